// SPDX-License-Identifier: GPL-2.0
/*
 * Outbound: netfilter hooks on LOCAL_OUT (the host's own traffic) and
 * FORWARD (a gateway protecting the networks behind it), IPv4 and IPv6.
 * SPD lookup on the packet's flow, the SA its first template resolves to,
 * the route of the ESP packet (the packet's own in transport mode, the
 * outer family's in tunnel mode), the path MTU check (pmtu.c), ESP
 * encryption, the new headers, and output_send().  Our output is ESP, and
 * ESP is never looked up (nor is a packet XFRM is about to transform), so
 * there is no recursion.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <net/dst.h>
#include <net/ip.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/route.h>
#include "compat.h"
#include "kipsec.h"
#include "datapath.h"
#include "esp.h"
#include "ah.h"
#include "encap.h"

struct kipsec_output_cb {
	struct kipsec_sa *sa;
	struct kipsec_sa *outer;	/* AH+ESP bundle: the AH SA after ESP, referenced */
	unsigned int inner_len;
	u16 family;	/* of the packet being protected */
	u8 hl;		/* transport mode: IP header length, header kept in front */
	bool df;	/* tunnel mode: the outer IPv4 header gets DF (pmtu.c) */
};

#define KIPSEC_OUTPUT_CB(skb) \
	((struct kipsec_output_cb *)((skb)->cb + KIPSEC_INPUT_CB_OFF))

/* Transport mode: the IP header in front of the ESP header again. */
static void output_transport_hdr(struct sk_buff *skb, u16 family, unsigned int hl)
{
	struct iphdr *iph;

	skb_push(skb, hl);
	skb_reset_network_header(skb);
	if (family == AF_INET6) {
		ipv6_hdr(skb)->nexthdr = IPPROTO_ESP;
		ipv6_hdr(skb)->payload_len = htons(skb->len - hl);
		return;
	}
	iph = ip_hdr(skb);
	iph->protocol = IPPROTO_ESP;
	iph->tot_len = htons(skb->len);
	ip_send_check(iph);
}

static void output_outer4(struct net *net, struct sk_buff *skb, const struct kipsec_sa *sa,
			  bool df)
{
	struct iphdr *iph = ip_hdr(skb);

	*iph = (struct iphdr) {
		.version = 4, .ihl = 5, .protocol = sa->id.proto,
		.frag_off = df ? htons(IP_DF) : 0,
		.ttl = ip4_dst_hoplimit(skb_dst(skb)),
		.saddr = sa->saddr.a4, .daddr = sa->id.daddr.a4,
		.tot_len = htons(skb->len),
	};
	/*
	 * The ESP packet may still be fragmented (output_send()): even with
	 * DF it needs a real IP ID, which ip_select_ident() only gives a DF
	 * packet with ignore_df.
	 */
	skb->ignore_df = 1;
	ip_select_ident(net, skb, NULL);
	ip_send_check(iph);
	skb->protocol = htons(ETH_P_IP);
}

static void output_outer6(struct sk_buff *skb, const struct kipsec_sa *sa)
{
	struct ipv6hdr *ip6h = ipv6_hdr(skb);

	memset(ip6h, 0, sizeof(*ip6h));
	ip6_flow_hdr(ip6h, 0, 0);
	ip6h->payload_len = htons(skb->len - sizeof(*ip6h));
	ip6h->nexthdr = sa->id.proto;
	ip6h->hop_limit = ip6_dst_hoplimit(skb_dst(skb));
	ip6h->saddr = sa->saddr.in6;
	ip6h->daddr = sa->id.daddr.in6;
	skb->protocol = htons(ETH_P_IPV6);
}

/* Tunnel mode: a new outer header of the SA's family; skb's dst is the outer route. */
static int output_tunnel_hdr(struct net *net, struct sk_buff *skb, const struct kipsec_sa *sa,
			     bool df)
{
	unsigned int hl = sa->id.family == AF_INET ? sizeof(struct iphdr) :
						     sizeof(struct ipv6hdr);

	if (skb_cow_head(skb, hl + LL_RESERVED_SPACE(skb_dst(skb)->dev)))
		return -ENOMEM;
	skb_push(skb, hl);
	skb_reset_network_header(skb);
	if (sa->id.family == AF_INET)
		output_outer4(net, skb, sa, df);
	else
		output_outer6(skb, sa);
	return 0;
}

/*
 * The last step of every ESP packet: the output function of the outer
 * family.  A UDP encapsulation step (ESP-in-UDP) belongs here.  The ESP
 * packet is a new packet for conntrack; it may be fragmented (path MTU was
 * handled on the clear packet by pmtu.c).
 */
static void output_send(struct net *net, struct sk_buff *skb, u16 family)
{
	nf_reset_ct(skb);
	skb->ignore_df = 1;
	if (family == AF_INET) {
		memset(IPCB(skb), 0, sizeof(*IPCB(skb)));
		ip_local_out(net, skb->sk, skb);
	} else {
		memset(IP6CB(skb), 0, sizeof(*IP6CB(skb)));
		ip6_local_out(net, skb->sk, skb);
	}
}

/*
 * The end of every protected packet: UDP encapsulation, counters, send.
 * Drops the reference on sa taken for it.
 */
static void output_deliver(struct sk_buff *skb, struct kipsec_sa *sa, int err)
{
	struct kipsec_net *kn = sa->kn;
	unsigned int len = KIPSEC_OUTPUT_CB(skb)->inner_len;

	if (!err && sa->encap.type)
		err = kipsec_encap_output(skb, sa);
	if (err) {
		KIPSEC_INC_STATS(kn, OUT_ERROR);
		kfree_skb(skb);
	} else {
		KIPSEC_INC_STATS(kn, OUT_PACKETS);
		KIPSEC_ADD_STATS(kn, OUT_BYTES, len);
		output_send(kn->net, skb, sa->id.family);
	}
	kipsec_sa_put(sa);
}

/*
 * Lifetime accounting, the next sequence number and a reference on sa for
 * the packet (async crypto); false: the packet must be dropped.
 */
static bool output_take(struct kipsec_sa *sa, struct sk_buff *skb, u64 *seq)
{
	struct kipsec_net *kn = sa->kn;

	if (!kipsec_sa_account(sa, skb->len, true)) {
		KIPSEC_INC_STATS(kn, OUT_STATE_EXPIRED);
		return false;
	}
	if (kipsec_replay_next_out(sa->replay, seq)) {
		KIPSEC_INC_STATS(kn, OUT_STATE_SEQ_ERROR);
		kipsec_sa_drop(sa, KIPSEC_SA_DROP_SEQ_OVERFLOW);
		return false;
	}
	return refcount_inc_not_zero(&sa->ref);	/* else being deleted */
}

static void output_ah_done(struct sk_buff *skb, int err, void *ctx)
{
	output_deliver(skb, KIPSEC_OUTPUT_CB(skb)->sa, err);
}

/*
 * AH headers around the IP packet at skb->data (family): a new outer header
 * in tunnel mode, else AH after the IP header (and the IPv6 extension
 * headers that precede it).  Fills a->nexthdr, returns where AH starts.
 */
static int output_ah_hdr(struct sk_buff *skb, struct kipsec_sa *sa, u16 family,
			 struct kipsec_ah_args *a)
{
	unsigned int ahlen = kipsec_ah_hlen(sa->crypto.icvlen), nhoff;
	int hl;

	if (skb_cow_head(skb, ahlen + sizeof(struct ipv6hdr) + LL_RESERVED_SPACE(skb_dst(skb)->dev)))
		return -ENOMEM;
	if (sa->mode == KIPSEC_MODE_TUNNEL) {
		a->nexthdr = family == AF_INET ? IPPROTO_IPIP : IPPROTO_IPV6;
		skb_push(skb, ahlen);
		/* No DF: kipsec learns no path MTU for AH (pmtu.c). */
		hl = output_tunnel_hdr(sa->kn->net, skb, sa, false);
		if (hl)
			return hl;
		return sa->id.family == AF_INET ? sizeof(struct iphdr) : sizeof(struct ipv6hdr);
	}
	if (family == AF_INET) {
		hl = ip_hdrlen(skb);
		nhoff = offsetof(struct iphdr, protocol);
	} else {
		hl = kipsec_ipv6_skip_exthdrs(skb->data, skb_headlen(skb), &nhoff);
		if (hl < 0)
			return hl;
	}
	a->nexthdr = skb->data[nhoff];
	skb_push(skb, ahlen);
	memmove(skb->data, skb->data + ahlen, hl);
	skb->data[nhoff] = IPPROTO_AH;
	skb_reset_network_header(skb);
	if (family == AF_INET)
		ip_hdr(skb)->tot_len = htons(skb->len);
	else
		ipv6_hdr(skb)->payload_len = htons(skb->len - sizeof(struct ipv6hdr));
	return hl;
}

/*
 * AH over the IP packet at skb->data (family), its route set: the only
 * transform (inner_len the clear packet's length) or the outer one of an
 * AH+ESP bundle.  Consumes skb.
 */
static void output_ah(struct sk_buff *skb, struct kipsec_sa *sa, u16 family,
		      unsigned int inner_len)
{
	struct kipsec_output_cb *cb = KIPSEC_OUTPUT_CB(skb);
	struct kipsec_ah_args a = { .spi = sa->id.spi, .esn = sa->flags & KIPSEC_SAF_ESN,
				    .family = sa->id.family, .done = output_ah_done };
	int ahoff;

	if (!output_take(sa, skb, &a.seq)) {
		kfree_skb(skb);
		return;
	}
	cb->sa = sa;
	cb->outer = NULL;
	cb->inner_len = inner_len;
	ahoff = output_ah_hdr(skb, sa, family, &a);
	ahoff = ahoff < 0 ? ahoff : kipsec_ah_sign(&sa->crypto, skb, ahoff, &a);
	if (ahoff != -EINPROGRESS)
		output_deliver(skb, sa, ahoff);
}

static void output_finish(struct sk_buff *skb, int err, void *ctx)
{
	struct kipsec_output_cb *cb = KIPSEC_OUTPUT_CB(skb);
	struct kipsec_sa *sa = cb->sa, *outer = cb->outer;

	if (!err) {
		if (sa->mode == KIPSEC_MODE_TUNNEL)
			err = output_tunnel_hdr(sa->kn->net, skb, sa, cb->df);
		else
			output_transport_hdr(skb, cb->family, cb->hl);
	}
	if (!err && outer) {
		output_ah(skb, outer, sa->id.family, cb->inner_len);
		kipsec_sa_put(sa);
	} else {
		output_deliver(skb, sa, err);
	}
	if (outer)
		kipsec_sa_put(outer);
}

/*
 * Transport mode: what goes inside ESP is the payload after the IP header
 * (for IPv6 the fixed header: extension headers are protected with the
 * payload, except hop-by-hop options, which must stay first).
 */
static int output_transport_prep(struct sk_buff *skb, u16 family, u8 *hl, u8 *nexthdr)
{
	if (family == AF_INET) {
		*hl = ip_hdrlen(skb);
		*nexthdr = ip_hdr(skb)->protocol;
	} else {
		*hl = sizeof(struct ipv6hdr);
		*nexthdr = ipv6_hdr(skb)->nexthdr;
		if (*nexthdr == NEXTHDR_HOP)
			return -EPROTONOSUPPORT;
	}
	return 0;
}

/* ESP over one packet (of family, its route set); consumes skb and outer's reference. */
static void output_esp(struct sk_buff *skb, struct kipsec_sa *sa, struct kipsec_sa *outer,
		       u16 family)
{
	struct kipsec_net *kn = sa->kn;
	struct kipsec_esp_args args = { .spi = sa->id.spi, .esn = sa->flags & KIPSEC_SAF_ESN,
					.done = output_finish };
	struct kipsec_output_cb *cb = KIPSEC_OUTPUT_CB(skb);
	unsigned int hlen = KIPSEC_ESP_HLEN + sa->crypto.ivlen;
	u8 hl = 0;
	int err;

	if (sa->mode == KIPSEC_MODE_TUNNEL)
		args.nexthdr = family == AF_INET ? IPPROTO_IPIP : IPPROTO_IPV6;
	else if (output_transport_prep(skb, family, &hl, &args.nexthdr))
		goto drop;
	if (skb_cow_head(skb, hlen + 4 + 16))
		goto drop;
	if (!output_take(sa, skb, &args.seq))
		goto free;
	cb->sa = sa;
	cb->outer = outer;
	cb->inner_len = skb->len;
	cb->family = family;
	cb->hl = hl;
	cb->df = kipsec_pmtu_outer_df(skb, family, sa);
	if (hl) {
		/* Payload only; the header goes where ESP's will end. */
		skb_pull(skb, hl);
		memmove(skb->data - hlen - hl, skb->data - hl, hl);
	}
	err = kipsec_esp_encrypt(&sa->crypto, skb, &args);
	if (err != -EINPROGRESS)
		output_finish(skb, err, NULL);
	return;
drop:
	KIPSEC_INC_STATS(kn, OUT_ERROR);
free:
	kfree_skb(skb);
	if (outer)
		kipsec_sa_put(outer);
}

/*
 * One packet, GSO already resolved, dst its (referenced) route: protect and
 * send; consumes skb and dst.  outer: the AH SA of an AH+ESP bundle.
 */
static void output_one(struct sk_buff *skb, struct kipsec_sa *sa, struct kipsec_sa *outer,
		       struct dst_entry *dst, u16 family)
{
	skb_dst_drop(skb);
	skb_dst_set(skb, dst);
	if (skb->ip_summed == CHECKSUM_PARTIAL && skb_checksum_help(skb)) {
		KIPSEC_INC_STATS(sa->kn, OUT_ERROR);
		kfree_skb(skb);
		return;
	}
	if (sa->id.proto == IPPROTO_AH) {
		output_ah(skb, sa, family, skb->len);
		return;
	}
	if (outer && !refcount_inc_not_zero(&outer->ref)) {
		kfree_skb(skb);	/* being deleted */
		return;
	}
	output_esp(skb, sa, outer, family);
}

static struct dst_entry *output_route4(struct net *net, const struct kipsec_sa *sa)
{
	struct flowi4 fl4 = {
		.daddr = sa->id.daddr.a4,
		.saddr = sa->saddr.a4,
		.flowi4_proto = IPPROTO_ESP,
	};
	struct rtable *rt = ip_route_output_key(net, &fl4);

	return IS_ERR(rt) ? ERR_CAST(rt) : &rt->dst;
}

static struct dst_entry *output_route6(struct net *net, const struct kipsec_sa *sa)
{
	struct flowi6 fl6 = {
		.daddr = sa->id.daddr.in6,
		.saddr = sa->saddr.in6,
		.flowi6_proto = IPPROTO_ESP,
	};
	struct dst_entry *dst = ip6_route_output(net, NULL, &fl6);
	int err = dst->error;

	if (err) {
		dst_release(dst);
		return ERR_PTR(err);
	}
	return dst;
}

/*
 * The route the ESP packet will take, referenced: in tunnel mode the outer
 * destination's in the SA's family, in transport mode the packet's own.
 */
static struct dst_entry *output_route(struct net *net, struct sk_buff *skb,
				      const struct kipsec_sa *sa)
{
	if (sa->mode == KIPSEC_MODE_TUNNEL)
		return sa->id.family == AF_INET ? output_route4(net, sa) : output_route6(net, sa);
	skb_dst_force(skb);
	if (!skb_dst(skb))
		return ERR_PTR(-EHOSTUNREACH);
	return dst_clone(skb_dst(skb));
}

/*
 * AH+ESP bundle (the only one supported): ESP first, then AH around it, as
 * XFRM applies `tmpl esp ... tmpl ah ...`.  The AH SA, or NULL when the
 * policy has one template or an optional AH template without an SA;
 * ERR_PTR(-EINVAL): unsupported bundle, ERR_PTR(-ENOENT): no SA yet.
 */
static struct kipsec_sa *output_bundle_sa(struct kipsec_net *kn, struct kipsec_sp *sp,
					  const struct kipsec_flow *fl)
{
	const struct kipsec_tmpl *t = &sp->tmpl[1];
	struct kipsec_sa *sa;

	if (sp->ntmpl == 1)
		return NULL;
	if (sp->ntmpl > 2 || sp->tmpl[0].proto != IPPROTO_ESP || t->proto != IPPROTO_AH) {
		KIPSEC_INC_STATS(kn, OUT_BUNDLE_GEN_ERROR);
		return ERR_PTR(-EINVAL);
	}
	sa = kipsec_sa_find_out_rcu(kn, t, fl);
	if (sa || t->level == KIPSEC_LEVEL_USE)
		return sa;
	kipsec_acquire(kn, sp, t, fl);
	KIPSEC_INC_STATS(kn, OUT_NO_STATES);
	return ERR_PTR(-ENOENT);
}

/*
 * The SA a packet must go through, or NULL with *verdict what to do with
 * the packet (accept: no policy or bypass; drop: discard or no SA yet).
 */
static struct kipsec_sa *output_sa(struct kipsec_net *kn, struct sk_buff *skb, u16 family,
				   bool local, unsigned int *verdict, struct kipsec_sa **outer)
{
	const struct kipsec_tmpl *t;
	struct kipsec_flow fl;
	struct kipsec_sp *sp;
	struct kipsec_sa *sa;

	*verdict = NF_ACCEPT;
	if (kipsec_skb_is_ipsec(skb, family) || (skb_dst(skb) && skb_dst(skb)->xfrm))
		return NULL;	/* ours already, or Linux XFRM's */
	if (kipsec_flow_from_skb(skb, family, &fl))
		return NULL;
	/* Our own IKE only: a forwarded one follows the policies. */
	if (local && kipsec_policy_is_ike(&fl, true))
		return NULL;
	sp = kipsec_spd_lookup_rcu(kn, KIPSEC_DIR_OUT, &fl);
	if (!sp || sp->action == KIPSEC_ACTION_BYPASS)
		return NULL;
	/* Our own ESP in UDP, under a policy that covers the peer: an SA lookup
	 * only for the UDP packets some policy would otherwise take.
	 */
	if (kipsec_encap_is_ours(kn, skb, family))
		return NULL;
	*verdict = NF_DROP;
	if (sp->action == KIPSEC_ACTION_DISCARD || !sp->ntmpl) {
		KIPSEC_INC_STATS(kn, OUT_POL_BLOCK);
		return NULL;
	}
	*outer = output_bundle_sa(kn, sp, &fl);
	if (IS_ERR(*outer))
		return NULL;
	t = &sp->tmpl[0];
	sa = kipsec_sa_find_out_rcu(kn, t, &fl);
	if (!sa) {
		kipsec_acquire(kn, sp, t, &fl);
		KIPSEC_INC_STATS(kn, OUT_NO_STATES);
	}
	return sa;
}

/* Encrypt MTU-sized segments, never a 64 KB super-packet; consumes skb. */
static void output_segments(struct sk_buff *skb, struct kipsec_sa *sa, struct kipsec_sa *outer,
			    struct dst_entry *dst, u16 family)
{
	struct sk_buff *segs, *next;

	if (!skb_is_gso(skb)) {
		output_one(skb, sa, outer, dst_clone(dst), family);
		return;
	}
	segs = skb_gso_segment(skb, 0);
	if (IS_ERR_OR_NULL(segs)) {
		KIPSEC_INC_STATS(sa->kn, OUT_ERROR);
		kfree_skb(skb);
		return;
	}
	consume_skb(skb);
	skb_list_walk_safe(segs, segs, next) {
		skb_mark_not_on_list(segs);
		output_one(segs, sa, outer, dst_clone(dst), family);
	}
}

static unsigned int kipsec_out(struct sk_buff *skb, const struct nf_hook_state *state,
			       u16 family)
{
	struct kipsec_net *kn = kipsec_pernet(state->net);
	struct kipsec_sa *sa, *outer = NULL;
	struct dst_entry *dst;
	unsigned int verdict;

	sa = output_sa(kn, skb, family, state->hook == NF_INET_LOCAL_OUT, &verdict, &outer);
	if (!sa)
		return verdict;
	/* The route of the outermost tunnel of a bundle. */
	dst = output_route(state->net, skb,
			   outer && outer->mode == KIPSEC_MODE_TUNNEL ? outer : sa);
	if (IS_ERR(dst)) {
		KIPSEC_INC_STATS(kn, OUT_ERROR);
		return NF_DROP;
	}
	if (kipsec_pmtu_exceeded(skb, family, sa, dst))
		kfree_skb(skb);
	else
		output_segments(skb, sa, outer, dst, family);
	dst_release(dst);
	return NF_STOLEN;
}

/*
 * LOCAL_OUT runs in process context with bottom halves enabled, while
 * inbound ESP touches the same SA lock and per-CPU counters from softirq.
 * Disabling BH here keeps one locking rule for both directions.
 */
static unsigned int kipsec_out_local_hook(void *priv, struct sk_buff *skb,
					  const struct nf_hook_state *state)
{
	unsigned int verdict;

	local_bh_disable();
	verdict = kipsec_out(skb, state, state->pf == NFPROTO_IPV4 ? AF_INET : AF_INET6);
	local_bh_enable();
	return verdict;
}

/* Forwarded packets (softirq); the time stamp cleared as ip_forward_finish() does. */
static unsigned int kipsec_out_fwd_hook(void *priv, struct sk_buff *skb,
					const struct nf_hook_state *state)
{
	skb_clear_tstamp(skb);
	return kipsec_out(skb, state, state->pf == NFPROTO_IPV4 ? AF_INET : AF_INET6);
}

static const struct nf_hook_ops kipsec_out_ops[] = {
	{
		.hook = kipsec_out_local_hook,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_OUT,
		/* After conntrack/NAT saw the clear packet, before filter. */
		.priority = NF_IP_PRI_FILTER - 1,
	},
	{
		.hook = kipsec_out_local_hook,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = NF_IP6_PRI_FILTER - 1,
	},
	{
		.hook = kipsec_out_fwd_hook,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_FORWARD,
		/* After filter: the firewall sees (and may drop) the clear packet. */
		.priority = NF_IP_PRI_FILTER + 1,
	},
	{
		.hook = kipsec_out_fwd_hook,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_FORWARD,
		.priority = NF_IP6_PRI_FILTER + 1,
	},
};

int kipsec_output_net_init(struct net *net)
{
	BUILD_BUG_ON(sizeof(struct kipsec_output_cb) + KIPSEC_INPUT_CB_OFF >
		     sizeof_field(struct sk_buff, cb));
	return nf_register_net_hooks(net, kipsec_out_ops, ARRAY_SIZE(kipsec_out_ops));
}

void kipsec_output_net_exit(struct net *net)
{
	nf_unregister_net_hooks(net, kipsec_out_ops, ARRAY_SIZE(kipsec_out_ops));
}
