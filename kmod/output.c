// SPDX-License-Identifier: GPL-2.0
/*
 * Outbound IPv4 (LOCAL_OUT): SPD lookup on the packet's flow, the SA its
 * first template resolves to, ESP encryption, then the packet leaves
 * through ip_local_out().  Our output is ESP, and ESP is never looked up
 * (nor is a packet XFRM is about to transform), so there is no recursion.
 * IPv6, FORWARD and several templates are not done yet.
 */
#include <linux/ip.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <net/dst.h>
#include <net/ip.h>
#include <net/route.h>
#include "compat.h"
#include "kipsec.h"
#include "datapath.h"
#include "esp.h"
#include "encap.h"

struct kipsec_output_cb {
	struct kipsec_sa *sa;
	unsigned int inner_len;
	u8 hl;		/* transport mode: IP header length, header kept in front */
};

#define KIPSEC_OUTPUT_CB(skb) \
	((struct kipsec_output_cb *)((skb)->cb + KIPSEC_INPUT_CB_OFF))

/* Transport mode: the IP header in front of the ESP header again. */
static void output_transport_hdr(struct sk_buff *skb, unsigned int hl)
{
	struct iphdr *iph;

	skb_push(skb, hl);
	skb_reset_network_header(skb);
	iph = ip_hdr(skb);
	iph->protocol = IPPROTO_ESP;
	iph->tot_len = htons(skb->len);
	ip_send_check(iph);
}

static int output_tunnel_hdr(struct net *net, struct sk_buff *skb, struct kipsec_sa *sa)
{
	struct rtable *rt;
	struct iphdr *iph;
	struct flowi4 fl4 = {
		.daddr = sa->id.daddr.a4,
		.saddr = sa->saddr.a4,
		.flowi4_proto = IPPROTO_ESP,
	};

	rt = ip_route_output_key(net, &fl4);
	if (IS_ERR(rt))
		return PTR_ERR(rt);
	if (skb_cow_head(skb, sizeof(*iph) + LL_RESERVED_SPACE(rt->dst.dev))) {
		ip_rt_put(rt);
		return -ENOMEM;
	}
	skb_dst_drop(skb);
	skb_dst_set(skb, &rt->dst);
	skb_push(skb, sizeof(*iph));
	skb_reset_network_header(skb);
	iph = ip_hdr(skb);
	*iph = (struct iphdr) {
		.version = 4, .ihl = 5, .ttl = 64, .protocol = IPPROTO_ESP,
		.saddr = sa->saddr.a4, .daddr = sa->id.daddr.a4,
		.tot_len = htons(skb->len),
	};
	ip_select_ident(net, skb, NULL);
	ip_send_check(iph);
	skb->protocol = htons(ETH_P_IP);
	return 0;
}

static void output_finish(struct sk_buff *skb, int err, void *ctx)
{
	struct kipsec_output_cb *cb = KIPSEC_OUTPUT_CB(skb);
	struct kipsec_sa *sa = cb->sa;
	struct kipsec_net *kn = sa->kn;
	struct net *net = kn->net;
	unsigned int len = cb->inner_len;

	if (!err) {
		if (sa->mode == KIPSEC_MODE_TUNNEL)
			err = output_tunnel_hdr(net, skb, sa);
		else
			output_transport_hdr(skb, cb->hl);
	}
	if (!err && sa->encap.type)
		err = kipsec_encap_output(skb, sa);
	if (err) {
		KIPSEC_INC_STATS(kn, OUT_ERROR);
		kfree_skb(skb);
		goto out;
	}
	KIPSEC_INC_STATS(kn, OUT_PACKETS);
	KIPSEC_ADD_STATS(kn, OUT_BYTES, len);
	memset(IPCB(skb), 0, sizeof(*IPCB(skb)));
	/* The outer packet may exceed the MTU: fragment it rather than drop. */
	skb->ignore_df = 1;
	ip_local_out(net, skb->sk, skb);
out:
	kipsec_sa_put(sa);
}

/* One packet, GSO already resolved: encrypt and send; consumes skb. */
static void output_one(struct sk_buff *skb, struct kipsec_sa *sa)
{
	struct kipsec_net *kn = sa->kn;
	struct kipsec_esp_args args = { .spi = sa->id.spi, .esn = sa->flags & KIPSEC_SAF_ESN,
					.done = output_finish };
	struct kipsec_output_cb *cb = KIPSEC_OUTPUT_CB(skb);
	unsigned int hlen = KIPSEC_ESP_HLEN + sa->crypto.ivlen, hl = ip_hdrlen(skb);
	int err;

	if ((skb->ip_summed == CHECKSUM_PARTIAL && skb_checksum_help(skb)) ||
	    skb_cow_head(skb, hlen + 4 + 16))
		goto drop;
	if (!kipsec_sa_account(sa, skb->len, true)) {
		KIPSEC_INC_STATS(kn, OUT_STATE_EXPIRED);
		goto free;
	}
	if (kipsec_replay_next_out(sa->replay, &args.seq)) {
		KIPSEC_INC_STATS(kn, OUT_STATE_SEQ_ERROR);
		kipsec_sa_drop(sa, KIPSEC_SA_DROP_SEQ_OVERFLOW);
		goto free;
	}
	if (!refcount_inc_not_zero(&sa->ref))
		goto free;	/* being deleted */
	cb->sa = sa;
	cb->inner_len = skb->len;
	cb->hl = hl;
	if (sa->mode == KIPSEC_MODE_TUNNEL) {
		args.nexthdr = IPPROTO_IPIP;
	} else {
		/* Payload only; the header goes where ESP's will end. */
		args.nexthdr = ip_hdr(skb)->protocol;
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
}

static unsigned int kipsec_out4(struct sk_buff *skb,
				const struct nf_hook_state *state)
{
	struct kipsec_net *kn = kipsec_pernet(state->net);
	struct sk_buff *segs, *next;
	const struct kipsec_tmpl *t;
	struct kipsec_flow fl;
	struct kipsec_sp *sp;
	struct kipsec_sa *sa;

	if (ip_hdr(skb)->protocol == IPPROTO_ESP || kipsec_encap_is_ours(kn, skb, AF_INET) ||
	    (skb_dst(skb) && skb_dst(skb)->xfrm))
		return NF_ACCEPT;	/* ours already, or Linux XFRM's */
	if (kipsec_flow_from_skb(skb, AF_INET, &fl))
		return NF_ACCEPT;
	sp = kipsec_spd_lookup_rcu(kn, KIPSEC_DIR_OUT, &fl);
	if (!sp || sp->action == KIPSEC_ACTION_BYPASS)
		return NF_ACCEPT;
	if (sp->action == KIPSEC_ACTION_DISCARD || !sp->ntmpl) {
		KIPSEC_INC_STATS(kn, OUT_POL_BLOCK);
		return NF_DROP;
	}
	t = &sp->tmpl[0];
	sa = kipsec_sa_find_out_rcu(kn, t, &fl);
	if (!sa || (sa->mode == KIPSEC_MODE_TUNNEL && sa->id.family != AF_INET)) {
		kipsec_acquire(kn, sp, t, &fl);
		KIPSEC_INC_STATS(kn, OUT_NO_STATES);
		return NF_DROP;
	}
	if (!skb_is_gso(skb)) {
		output_one(skb, sa);
		return NF_STOLEN;
	}
	/* Encrypt MTU-sized segments, never a 64 KB super-packet. */
	segs = skb_gso_segment(skb, 0);
	if (IS_ERR_OR_NULL(segs)) {
		KIPSEC_INC_STATS(kn, OUT_ERROR);
		return NF_DROP;
	}
	consume_skb(skb);
	skb_list_walk_safe(segs, segs, next) {
		skb_mark_not_on_list(segs);
		output_one(segs, sa);
	}
	return NF_STOLEN;
}

/*
 * LOCAL_OUT runs in process context with bottom halves enabled, while
 * inbound ESP touches the same SA lock and per-CPU counters from softirq.
 * Disabling BH here keeps one locking rule for both directions.
 */
static unsigned int kipsec_out4_hook(void *priv, struct sk_buff *skb,
				     const struct nf_hook_state *state)
{
	unsigned int verdict;

	local_bh_disable();
	verdict = kipsec_out4(skb, state);
	local_bh_enable();
	return verdict;
}

static const struct nf_hook_ops kipsec_out_ops[] = {
	{
		.hook = kipsec_out4_hook,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_OUT,
		/* After conntrack/NAT saw the clear packet, before filter. */
		.priority = NF_IP_PRI_FILTER - 1,
	},
};

int kipsec_output_net_init(struct net *net)
{
	return nf_register_net_hooks(net, kipsec_out_ops, ARRAY_SIZE(kipsec_out_ops));
}

void kipsec_output_net_exit(struct net *net)
{
	nf_unregister_net_hooks(net, kipsec_out_ops, ARRAY_SIZE(kipsec_out_ops));
}
