// SPDX-License-Identifier: GPL-2.0
/*
 * Inbound policy enforcement (RFC 4301 5.2): what arrives in clear must not
 * match a policy that requires protection, and what kipsec decrypted must
 * have come through an SA that the matching policy's templates call for.
 *
 * Decrypted packets are checked in input.c before they re-enter the stack,
 * with the SA at hand: against the `in` policies when the inner destination
 * is local (always in transport mode), the `fwd` ones otherwise.  They are
 * then marked (kipsec_policy_mark_decrypted) so that the LOCAL_IN and
 * FORWARD hooks here, which check every other packet against the `in` /
 * `fwd` policies, let them through.
 *
 * The mark is a random cookie of the netns in the last 8 bytes of skb->cb.
 * Nothing between netif_rx() and those hooks writes there (IPCB/IP6CB and
 * the IP defragmenter's state end before it); a tc ingress BPF program on
 * the device (whose data_end pointer is stored there) loses the mark, and
 * decrypted packets are then treated as clear: dropped if a policy
 * requires protection, never the reverse.  A fragmented inner packet takes
 * the mark of its first fragment.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/random.h>
#include <net/addrconf.h>
#include <net/ip.h>
#include <net/route.h>
#include "kipsec.h"
#include "datapath.h"
#include "ah.h"

#define KIPSEC_MARK_OFF		(sizeof_field(struct sk_buff, cb) - sizeof(u64))

static u64 *policy_mark(struct sk_buff *skb)
{
	return (u64 *)(skb->cb + KIPSEC_MARK_OFF);
}

void kipsec_policy_mark_decrypted(struct kipsec_net *kn, struct sk_buff *skb)
{
	*policy_mark(skb) = kn->mark_cookie;
}

/* The mark is used once: a packet leaving by a veth keeps its skb->cb. */
static bool policy_decrypted(struct kipsec_net *kn, struct sk_buff *skb)
{
	if (*policy_mark(skb) != kn->mark_cookie)
		return false;
	*policy_mark(skb) = 0;
	return true;
}

/* Whether the inner destination is this host: the `in` policies apply, else `fwd`. */
static bool policy_local(struct net *net, const struct kipsec_flow *fl)
{
	if (fl->family == AF_INET)
		return inet_addr_type(net, fl->daddr.a4) != RTN_UNICAST;
	return ipv6_addr_is_multicast(&fl->daddr.in6) ||
	       ipv6_chk_addr(net, &fl->daddr.in6, NULL, 0);
}

/*
 * The SAs a packet came through (innermost first: sas[0] is the last one
 * removed) against the templates of its policy (innermost first), in order:
 * each SA must satisfy the next template, a template may be skipped only if
 * optional (level use), and every SA must be used.
 */
static bool policy_tmpls_ok(const struct kipsec_sp *sp, struct kipsec_sa *const *sas, int n,
			    const struct kipsec_flow *fl)
{
	int i, j = 0;

	for (i = 0; i < sp->ntmpl; i++) {
		if (j < n && kipsec_sa_matches_tmpl(sas[j], &sp->tmpl[i], fl))
			j++;
		else if (sp->tmpl[i].level != KIPSEC_LEVEL_USE)
			return false;
	}
	return j == n;
}

enum kipsec_stat kipsec_policy_check_decrypted(struct kipsec_net *kn, struct kipsec_sa *sa,
					       struct kipsec_sa *outer,
					       const struct kipsec_flow *fl)
{
	struct kipsec_sa *sas[2] = { sa, outer };
	u8 dir = KIPSEC_DIR_IN;
	struct kipsec_sp *sp;

	if (sa->mode == KIPSEC_MODE_TUNNEL && !policy_local(kn->net, fl))
		dir = KIPSEC_DIR_FWD;
	sp = kipsec_spd_lookup_rcu(kn, dir, fl);
	if (!sp || sp->action == KIPSEC_ACTION_BYPASS)
		return KIPSEC_STAT__MAX;	/* no policy: what the SA's selector allows */
	if (sp->action == KIPSEC_ACTION_DISCARD)
		return KIPSEC_STAT_IN_POL_BLOCK;
	if (policy_tmpls_ok(sp, sas, outer ? 2 : 1, fl))
		return KIPSEC_STAT__MAX;
	return KIPSEC_STAT_IN_TMPL_MISMATCH;
}

/*
 * IKE (UDP 500, and 4500 with NAT traversal, with NAT keepalives) passes
 * whatever the policies say, as the per-socket bypass policies of IKE
 * daemons do with XFRM: inbound to our port, outbound from it (a peer
 * behind a NAT has another one).  Host-to-host transport policies cover
 * the IKE endpoints themselves.
 */
bool kipsec_policy_is_ike(const struct kipsec_flow *fl, bool out)
{
	__be16 port = out ? fl->sport : fl->dport;

	return fl->proto == IPPROTO_UDP && (port == htons(500) || port == htons(4500));
}

/* A clear packet matching a protect policy with a mandatory template is dropped. */
static bool policy_clear_ok(const struct kipsec_sp *sp)
{
	int i;

	for (i = 0; i < sp->ntmpl; i++)
		if (sp->tmpl[i].level != KIPSEC_LEVEL_USE)
			return false;
	return true;
}

static unsigned int policy_check_clear(struct sk_buff *skb, const struct nf_hook_state *state,
				       u8 dir)
{
	struct kipsec_net *kn = kipsec_pernet(state->net);
	u16 family = state->pf == NFPROTO_IPV4 ? AF_INET : AF_INET6;
	struct kipsec_flow fl;
	struct kipsec_sp *sp;

	if (policy_decrypted(kn, skb))
		return NF_ACCEPT;	/* checked by input.c */
	/* ESP and AH for us are processed next, then checked as above. */
	if (dir == KIPSEC_DIR_IN && kipsec_skb_is_ipsec(skb, family))
		return NF_ACCEPT;
	if (kipsec_flow_from_skb(skb, family, &fl) || kipsec_policy_is_ike(&fl, false))
		return NF_ACCEPT;
	sp = kipsec_spd_lookup_rcu(kn, dir, &fl);
	if (!sp || sp->action == KIPSEC_ACTION_BYPASS ||
	    (sp->action == KIPSEC_ACTION_PROTECT && policy_clear_ok(sp)))
		return NF_ACCEPT;
	KIPSEC_INC_STATS(kn, IN_POL_BLOCK);
	return NF_DROP;
}

static unsigned int kipsec_in_hook(void *priv, struct sk_buff *skb,
				   const struct nf_hook_state *state)
{
	return policy_check_clear(skb, state, KIPSEC_DIR_IN);
}

static unsigned int kipsec_fwd_hook(void *priv, struct sk_buff *skb,
				    const struct nf_hook_state *state)
{
	return policy_check_clear(skb, state, KIPSEC_DIR_FWD);
}

/* Before filter, as XFRM's check comes before the socket or ip_forward. */
static const struct nf_hook_ops kipsec_policy_ops[] = {
	{
		.hook = kipsec_in_hook,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_IN,
		.priority = NF_IP_PRI_FILTER - 1,
	},
	{
		.hook = kipsec_in_hook,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_LOCAL_IN,
		.priority = NF_IP6_PRI_FILTER - 1,
	},
	{
		.hook = kipsec_fwd_hook,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_FORWARD,
		.priority = NF_IP_PRI_FILTER - 1,
	},
	{
		.hook = kipsec_fwd_hook,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_FORWARD,
		.priority = NF_IP6_PRI_FILTER - 1,
	},
};

int kipsec_policy_net_init(struct kipsec_net *kn)
{
	/* After IPCB/IP6CB and the defragmenter's state (struct ipfrag_skb_cb). */
	BUILD_BUG_ON(sizeof(struct inet_skb_parm) + 16 > KIPSEC_MARK_OFF ||
		     sizeof(struct inet6_skb_parm) + 16 > KIPSEC_MARK_OFF);
	get_random_bytes(&kn->mark_cookie, sizeof(kn->mark_cookie));
	return nf_register_net_hooks(kn->net, kipsec_policy_ops, ARRAY_SIZE(kipsec_policy_ops));
}

void kipsec_policy_net_exit(struct net *net)
{
	nf_unregister_net_hooks(net, kipsec_policy_ops, ARRAY_SIZE(kipsec_policy_ops));
}
