// SPDX-License-Identifier: GPL-2.0
/*
 * Events on the "events" multicast group: SA/SP changes, ACQUIRE and
 * EXPIRE.  They may be raised from the packet path, so messages are built
 * with GFP_ATOMIC, and nothing is built when nobody listens.
 */
#include "kipsec.h"
#include "netlink.h"

/* An ACQUIRE stays pending this long unless an SA is added meanwhile. */
#define KIPSEC_ACQUIRE_PENDING	(30 * HZ)

static struct sk_buff *kipsec_event_new(struct net *net, u8 cmd, void **hdr)
{
	struct sk_buff *msg;

	if (!genl_has_listeners(&kipsec_genl_family, net, 0))
		return NULL;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_ATOMIC);
	if (!msg)
		return NULL;
	*hdr = genlmsg_put(msg, 0, 0, &kipsec_genl_family, 0, cmd);
	if (!*hdr) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static void kipsec_event_send(struct net *net, struct sk_buff *msg, void *hdr, int err)
{
	if (err) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&kipsec_genl_family, net, msg, 0, 0, GFP_ATOMIC);
}

void kipsec_event_sa(struct kipsec_sa *sa, u8 cmd)
{
	struct net *net = sa->kn->net;
	struct sk_buff *msg;
	void *hdr;

	msg = kipsec_event_new(net, cmd, &hdr);
	if (msg)
		kipsec_event_send(net, msg, hdr, kipsec_nl_put_sa(msg, sa, false));
}

void kipsec_event_expire(struct kipsec_sa *sa, bool hard)
{
	struct net *net = sa->kn->net;
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = kipsec_event_new(net, KIPSEC_CMD_EXPIRE, &hdr);
	if (!msg)
		return;
	err = kipsec_nl_put_sa(msg, sa, false);
	if (!err && hard)
		err = nla_put_flag(msg, KIPSEC_A_EXPIRE_HARD);
	kipsec_event_send(net, msg, hdr, err);
}

void kipsec_event_sp(struct kipsec_net *kn, struct kipsec_sp *sp, u8 cmd)
{
	struct sk_buff *msg;
	void *hdr;

	msg = kipsec_event_new(kn->net, cmd, &hdr);
	if (msg)
		kipsec_event_send(kn->net, msg, hdr, kipsec_nl_put_sp(msg, sp));
}

/* A host selector describing the flow that raised the ACQUIRE. */
static void kipsec_flow_sel(const struct kipsec_flow *fl, struct kipsec_sel *sel)
{
	u8 full = fl->family == AF_INET ? 32 : 128;

	memset(sel, 0, sizeof(*sel));
	sel->family = fl->family;
	sel->saddr = fl->saddr;
	sel->daddr = fl->daddr;
	sel->sprefix = full;
	sel->dprefix = full;
	sel->proto = fl->proto;
	sel->sport = fl->sport;
	sel->dport = fl->dport;
	if (fl->proto == IPPROTO_ICMP || fl->proto == IPPROTO_ICMPV6) {
		sel->sport = 0;
		sel->dport = 0;
		sel->has_icmp_type = true;
		sel->icmp_type = fl->icmp_type;
	}
}

/*
 * One ACQUIRE per policy while it is pending: until KIPSEC_ACQUIRE_PENDING
 * has passed or an SA was added (the SAD generation moved), further packets
 * are only counted as suppressed.
 */
static bool kipsec_acquire_due(struct kipsec_net *kn, struct kipsec_sp *sp)
{
	unsigned long now = jiffies, last = READ_ONCE(sp->acquire_at);
	u64 gen = READ_ONCE(kn->sad.gen);

	if (last && READ_ONCE(sp->acquire_gen) == gen &&
	    time_before(now, last + KIPSEC_ACQUIRE_PENDING))
		return false;
	/* Several CPUs may race here: only the one that swaps raises it. */
	if (cmpxchg(&sp->acquire_at, last, now | 1) != last)
		return false;
	WRITE_ONCE(sp->acquire_gen, gen);
	return true;
}

void kipsec_acquire(struct kipsec_net *kn, struct kipsec_sp *sp,
		    const struct kipsec_tmpl *t, const struct kipsec_flow *fl)
{
	struct kipsec_sel sel;
	struct sk_buff *msg;
	void *hdr;
	int err;

	if (!kipsec_acquire_due(kn, sp)) {
		KIPSEC_INC_STATS(kn, ACQUIRES_SUPPRESSED);
		return;
	}
	KIPSEC_INC_STATS(kn, ACQUIRES);
	msg = kipsec_event_new(kn->net, KIPSEC_CMD_ACQUIRE, &hdr);
	if (!msg)
		return;
	kipsec_flow_sel(fl, &sel);
	err = nla_put_u32(msg, KIPSEC_A_SP_ID, sp->id) ||
	      nla_put_u8(msg, KIPSEC_A_SP_DIR, sp->dir) ||
	      kipsec_nl_put_sel(msg, KIPSEC_A_SEL, &sel) ||
	      kipsec_nl_put_tmpl(msg, t);
	kipsec_event_send(kn->net, msg, hdr, err ? -EMSGSIZE : 0);
}

/*
 * The peer of an ESP-in-UDP SA now sends from src/sport: SA identity, the
 * encapsulation with the new source port, the new source address.
 */
void kipsec_event_mapping(struct kipsec_sa *sa, const union kipsec_addr *src, __be16 sport)
{
	int alen = sa->id.family == AF_INET ? 4 : 16;
	struct net *net = sa->kn->net;
	struct sk_buff *msg;
	struct nlattr *nest;
	void *hdr;
	int err;

	msg = kipsec_event_new(net, KIPSEC_CMD_MAPPING, &hdr);
	if (!msg)
		return;
	err = nla_put_u8(msg, KIPSEC_A_SA_PROTO, sa->id.proto) ||
	      nla_put_u32(msg, KIPSEC_A_SA_SPI, sa->id.spi) ||
	      nla_put_u16(msg, KIPSEC_A_SA_FAMILY, sa->id.family) ||
	      nla_put(msg, KIPSEC_A_SA_SRC, alen, &sa->saddr) ||
	      nla_put(msg, KIPSEC_A_SA_DST, alen, &sa->id.daddr) ||
	      nla_put_u8(msg, KIPSEC_A_SA_MODE, sa->mode) ||
	      nla_put_u32(msg, KIPSEC_A_SA_REQID, sa->reqid) ||
	      nla_put(msg, KIPSEC_A_MAPPING_NEW_SRC, alen, src);
	nest = err ? NULL : nla_nest_start(msg, KIPSEC_A_SA_ENCAP);
	if (!nest || nla_put_u8(msg, KIPSEC_ENCAP_TYPE, sa->encap.type) ||
	    nla_put_u16(msg, KIPSEC_ENCAP_SPORT, ntohs(sport)) ||
	    nla_put_u16(msg, KIPSEC_ENCAP_DPORT, ntohs(sa->encap.dport)))
		err = -EMSGSIZE;
	else
		nla_nest_end(msg, nest);
	kipsec_event_send(net, msg, hdr, err);
}
