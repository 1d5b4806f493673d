// SPDX-License-Identifier: GPL-2.0
/*
 * Inbound ESP and AH: the xfrm protocol handlers of datapath.c.  The contract of
 * that chain (net/ipv4/xfrm4_protocol.c, the same in 6.1 and 6.12): a
 * handler returning -EINVAL has not touched the skb and the next handler
 * (esp4/esp6, priority 0) gets it; anything else means consumed.
 * cb_handler passes with a positive return, err_handler with a non-zero one.
 *
 * A packet whose SPI is in kipsec's SAD is kipsec's from then on: replay
 * pre-check, decryption (possibly async), replay window update, lifetime
 * accounting, selector check, and then the clear packet re-enters the stack
 * through netif_rx() on the device it came in on, as a fresh IP packet.
 */
#include <linux/etherdevice.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/if_arp.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netdevice.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/xfrm.h>
#include "kipsec.h"
#include "datapath.h"
#include "esp.h"
#include "ah.h"
#include "encap.h"

/*
 * Our state while a packet is being decrypted, in skb->cb after the IP
 * layer's inet_skb_parm/inet6_skb_parm, which the stack still owns.
 */
struct kipsec_input_cb {
	struct kipsec_sa *sa;
	u64 seq;
	struct kipsec_sa *outer;	/* AH+ESP bundle: the AH SA, referenced */
};

#define KIPSEC_INPUT_CB(skb) \
	((struct kipsec_input_cb *)((skb)->cb + KIPSEC_INPUT_CB_OFF))

static void input_drop(struct sk_buff *skb, struct kipsec_sa *sa, enum kipsec_stat stat,
		       enum kipsec_sa_drop why)
{
	this_cpu_inc(sa->kn->stats->v[stat]);
	kipsec_sa_drop(sa, why);
	kfree_skb(skb);
}

/*
 * Transport mode: the outer IP header (for IPv6 with the extension headers
 * that preceded ESP/AH) goes back in front of the payload.  Returns its
 * length or -EINVAL.
 */
static int input_transport(struct sk_buff *skb, struct kipsec_sa *sa, u8 nexthdr)
{
	unsigned int hl, nhoff;
	int off;

	if (sa->id.family == AF_INET) {
		struct iphdr *iph;

		hl = ip_hdrlen(skb);
		memmove(skb->data - hl, skb_network_header(skb), hl);
		skb_push(skb, hl);
		skb_reset_network_header(skb);
		iph = ip_hdr(skb);
		iph->protocol = nexthdr;
		iph->tot_len = htons(skb->len);
		ip_send_check(iph);
		skb->protocol = htons(ETH_P_IP);
		return hl;
	}
	off = kipsec_ipv6_skip_exthdrs(skb_network_header(skb),
				       skb->data - skb_network_header(skb), &nhoff);
	if (off < 0 || (skb_network_header(skb)[nhoff] != IPPROTO_ESP &&
			skb_network_header(skb)[nhoff] != IPPROTO_AH))
		return -EINVAL;
	hl = off;
	memmove(skb->data - hl, skb_network_header(skb), hl);
	skb_push(skb, hl);
	skb_reset_network_header(skb);
	skb->data[nhoff] = nexthdr;
	ipv6_hdr(skb)->payload_len = htons(skb->len - sizeof(struct ipv6hdr));
	skb->protocol = htons(ETH_P_IPV6);
	return hl;
}

/* Tunnel mode: the payload is the inner IP packet. */
static int input_tunnel(struct sk_buff *skb, struct kipsec_sa *sa, u8 nexthdr)
{
	u16 family = nexthdr == IPPROTO_IPIP ? AF_INET :
		     nexthdr == IPPROTO_IPV6 ? AF_INET6 : 0;

	if (!family || (sa->sel.family && family != sa->sel.family))
		return -EINVAL;
	skb_reset_network_header(skb);
	if (family == AF_INET) {
		if (!pskb_may_pull(skb, sizeof(struct iphdr)) || ip_hdr(skb)->version != 4)
			return -EINVAL;
		skb->protocol = htons(ETH_P_IP);
	} else {
		if (!pskb_may_pull(skb, sizeof(struct ipv6hdr)) || ipv6_hdr(skb)->version != 6)
			return -EINVAL;
		skb->protocol = htons(ETH_P_IPV6);
	}
	return 0;
}

/*
 * The decrypted packet matches the SA's selector (RFC 4301 5.2 step 4) and
 * the inbound policy (policy.c).  Returns KIPSEC_STAT__MAX or the counter of
 * the reason to drop it.
 */
static enum kipsec_stat input_policy(struct sk_buff *skb, struct kipsec_sa *sa,
				     struct kipsec_sa *outer)
{
	u16 family = skb->protocol == htons(ETH_P_IP) ? AF_INET : AF_INET6;
	struct kipsec_flow fl;

	if (kipsec_flow_from_skb(skb, family, &fl))
		return KIPSEC_STAT_IN_HDR_ERROR;
	if (sa->sel.family && !kipsec_sel_match(&sa->sel, &fl))
		return KIPSEC_STAT_IN_STATE_MISMATCH;
	return kipsec_policy_check_decrypted(sa->kn, sa, outer, &fl);
}

/*
 * The clear packet goes round the device's receive path again, where taps
 * (tcpdump) read it from its link header: give it back the header it came
 * with, naming the inner protocol, as XFRM does.
 */
static void input_rebuild_mac(struct sk_buff *skb)
{
	if (skb->mac_len == ETH_HLEN && skb->dev->type == ARPHRD_ETHER &&
	    skb_mac_header_was_set(skb) && skb_headroom(skb) >= ETH_HLEN) {
		skb_mac_header_rebuild(skb);
		eth_hdr(skb)->h_proto = skb->protocol;
	} else {
		skb_reset_mac_header(skb);
	}
}

/* A failed ICV check or a malformed packet, counted for its protocol. */
static void input_crypto_error(struct sk_buff *skb, struct kipsec_sa *sa, int ret)
{
	bool ah = sa->id.proto == IPPROTO_AH;

	if (ret == -EBADMSG)
		input_drop(skb, sa, ah ? KIPSEC_STAT_IN_AH_AUTH_FAILED :
			   KIPSEC_STAT_IN_INTEGRITY_FAILED, KIPSEC_SA_DROP_INTEGRITY);
	else
		input_drop(skb, sa, ah ? KIPSEC_STAT_IN_AH_ERROR : KIPSEC_STAT_IN_HDR_ERROR,
			   KIPSEC_SA_DROP_MALFORMED);
}

static int input_xfrm(struct sk_buff *skb, u16 family, u8 proto, bool encap,
		      struct kipsec_sa *outer);

/*
 * AH+ESP bundle: AH in transport mode verified, ESP follows in the same
 * packet.  It goes straight to ESP input with the AH SA (its reference
 * handed over), so that the policy check sees both.
 */
static void input_bundle_esp(struct sk_buff *skb, struct kipsec_sa *ah, unsigned int hl)
{
	int err;

	__skb_pull(skb, hl);
	skb_reset_transport_header(skb);
	/* An async AH completion is not inside the receive path's RCU section. */
	rcu_read_lock();
	err = input_xfrm(skb, ah->id.family, IPPROTO_ESP, false, ah);
	rcu_read_unlock();
	if (err == -EINVAL) {
		KIPSEC_INC_STATS(ah->kn, IN_NO_STATES);
		kfree_skb(skb);
		kipsec_sa_put(ah);
	}
}

/* The clear packet re-enters the stack as a new packet. */
static void input_deliver(struct sk_buff *skb, struct kipsec_sa *sa)
{
	/* A new clear packet: no route, no conntrack entry, no checksum state. */
	memset(skb->cb, 0, sizeof(skb->cb));
	kipsec_policy_mark_decrypted(sa->kn, skb);
	skb_dst_drop(skb);
	nf_reset_ct(skb);
	skb->ip_summed = CHECKSUM_NONE;
	/* NAT-T transport mode: the inner checksums cover the pre-NAT addresses. */
	if (sa->encap.type && sa->mode == KIPSEC_MODE_TRANSPORT)
		skb->ip_summed = CHECKSUM_UNNECESSARY;
	skb->pkt_type = PACKET_HOST;
	input_rebuild_mac(skb);
	skb_reset_transport_header(skb);
	netif_rx(skb);
}

static void input_finish(struct sk_buff *skb, int ret, void *ctx)
{
	struct kipsec_sa *sa = KIPSEC_INPUT_CB(skb)->sa;
	struct kipsec_sa *outer = KIPSEC_INPUT_CB(skb)->outer;
	u64 seq = KIPSEC_INPUT_CB(skb)->seq;
	struct kipsec_net *kn = sa->kn;
	enum kipsec_stat why;
	unsigned int len;
	int err;

	if (ret < 0) {
		input_crypto_error(skb, sa, ret);
		goto out;
	}
	if (kipsec_replay_advance(sa->replay, seq)) {
		input_drop(skb, sa, KIPSEC_STAT_IN_STATE_SEQ_ERROR, KIPSEC_SA_DROP_REPLAY);
		goto out;
	}
	if (sa->encap.type)
		kipsec_encap_input_check(skb, sa);
	len = skb->len;
	err = sa->mode == KIPSEC_MODE_TUNNEL ? input_tunnel(skb, sa, ret) :
					       input_transport(skb, sa, ret);
	if (err < 0) {
		input_drop(skb, sa, KIPSEC_STAT_IN_STATE_MODE_ERROR, KIPSEC_SA_DROP_MALFORMED);
		goto out;
	}
	if (sa->id.proto == IPPROTO_AH && sa->mode == KIPSEC_MODE_TRANSPORT &&
	    ret == IPPROTO_ESP && !outer) {
		if (!kipsec_sa_account(sa, len, false)) {
			KIPSEC_INC_STATS(kn, IN_STATE_EXPIRED);
			kfree_skb(skb);
			goto out;
		}
		input_bundle_esp(skb, sa, err);
		return;
	}
	why = input_policy(skb, sa, outer);
	if (why != KIPSEC_STAT__MAX) {
		input_drop(skb, sa, why, why == KIPSEC_STAT_IN_HDR_ERROR ?
			   KIPSEC_SA_DROP_MALFORMED : KIPSEC_SA_DROP_SELECTOR);
		goto out;
	}
	if (!kipsec_sa_account(sa, len, false)) {
		KIPSEC_INC_STATS(kn, IN_STATE_EXPIRED);
		kfree_skb(skb);
		goto out;
	}
	KIPSEC_INC_STATS(kn, IN_PACKETS);
	KIPSEC_ADD_STATS(kn, IN_BYTES, len);
	input_deliver(skb, sa);
out:
	kipsec_sa_put(sa);
	if (outer)
		kipsec_sa_put(outer);
}

/* Authenticates (AH) or decrypts (ESP) the packet of sa; input_finish() follows. */
static void input_start(struct sk_buff *skb, struct kipsec_sa *sa, u16 family, u32 spi)
{
	u64 seq = KIPSEC_INPUT_CB(skb)->seq;
	bool esn = sa->flags & KIPSEC_SAF_ESN;
	int ret;

	if (sa->id.proto == IPPROTO_AH) {
		struct kipsec_ah_args a = { .spi = spi, .seq = seq, .esn = esn,
					    .family = family, .done = input_finish };

		ret = kipsec_ah_verify(&sa->crypto, skb, &a);
	} else {
		struct kipsec_esp_args a = { .spi = spi, .seq = seq, .esn = esn,
					     .done = input_finish };

		ret = kipsec_esp_decrypt(&sa->crypto, skb, &a);
	}
	if (ret != -EINPROGRESS)
		input_finish(skb, ret, NULL);
}

/*
 * ESP or AH input: -EINVAL when the SPI is not a kipsec SA's (skb untouched,
 * outer still the caller's); else the packet and outer are consumed.
 */
static int input_xfrm(struct sk_buff *skb, u16 family, u8 proto, bool encap,
		      struct kipsec_sa *outer)
{
	struct kipsec_net *kn = kipsec_pernet(dev_net(skb->dev));
	unsigned int off = proto == IPPROTO_AH ? 4 : 0;	/* of SPI, sequence number */
	union kipsec_addr daddr = {};
	struct kipsec_sa *sa;
	__be32 *h;

	BUILD_BUG_ON(sizeof(struct inet6_skb_parm) > KIPSEC_INPUT_CB_OFF ||
		     sizeof(struct inet_skb_parm) > KIPSEC_INPUT_CB_OFF ||
		     sizeof(struct kipsec_input_cb) + KIPSEC_INPUT_CB_OFF >
		     sizeof_field(struct sk_buff, cb));
	if (!pskb_may_pull(skb, off + 8))
		return -EINVAL;	/* esp4/esp6/ah4/ah6 count and drop it */
	h = (__be32 *)(skb->data + off);
	if (family == AF_INET)
		daddr.a4 = ip_hdr(skb)->daddr;
	else
		daddr.in6 = ipv6_hdr(skb)->daddr;
	sa = kipsec_sa_lookup_rcu(kn, proto, ntohl(h[0]), family, &daddr);
	if (!sa)
		return -EINVAL;	/* not ours: Linux XFRM's, or nobody's */

	/* From here on the packet is kipsec's, whatever happens to it. */
	if (!sa->encap.type != !encap) {
		/* ESP in UDP for an SA without encapsulation, or the reverse. */
		KIPSEC_INC_STATS(kn, IN_STATE_MISMATCH);
		goto drop;
	}
	if (READ_ONCE(sa->dead) || !refcount_inc_not_zero(&sa->ref)) {
		KIPSEC_INC_STATS(kn, IN_STATE_INVALID);
		goto drop;
	}
	KIPSEC_INPUT_CB(skb)->sa = sa;
	KIPSEC_INPUT_CB(skb)->outer = outer;
	if (kipsec_replay_check(sa->replay, ntohl(h[1]), &KIPSEC_INPUT_CB(skb)->seq)) {
		input_drop(skb, sa, KIPSEC_STAT_IN_STATE_SEQ_ERROR, KIPSEC_SA_DROP_REPLAY);
		kipsec_sa_put(sa);
		goto put;
	}
	input_start(skb, sa, family, ntohl(h[0]));
	return 0;
drop:
	kfree_skb(skb);
put:
	if (outer)
		kipsec_sa_put(outer);
	return 0;
}

int kipsec_esp_input(struct sk_buff *skb, u16 family, bool encap)
{
	return input_xfrm(skb, family, IPPROTO_ESP, encap, NULL);
}

int kipsec_esp4_rcv(struct sk_buff *skb)
{
	return kipsec_esp_input(skb, AF_INET, false);
}

int kipsec_esp6_rcv(struct sk_buff *skb)
{
	return kipsec_esp_input(skb, AF_INET6, false);
}

int kipsec_ah4_rcv(struct sk_buff *skb)
{
	return input_xfrm(skb, AF_INET, IPPROTO_AH, false, NULL);
}

int kipsec_ah6_rcv(struct sk_buff *skb)
{
	return input_xfrm(skb, AF_INET6, IPPROTO_AH, false, NULL);
}

/* ICMP errors about ESP we sent: path MTU of kipsec SAs comes later. */
/*
 * An ICMP error quoting an ESP packet (its outer header at skb->data, the
 * ESP header at off): a path MTU report about one of our SAs is learned
 * (pmtu.c) and consumed; everything else goes on to esp4/esp6 (XFRM).
 */
static int kipsec_esp_err(struct sk_buff *skb, u16 family, const union kipsec_addr *daddr,
			  unsigned int off, u32 mtu)
{
	struct kipsec_net *kn = kipsec_pernet(dev_net(skb->dev));
	const struct ip_esp_hdr *esph = (const void *)(skb->data + off);
	struct kipsec_sa *sa;

	sa = kipsec_sa_lookup_rcu(kn, IPPROTO_ESP, ntohl(esph->spi), family, daddr);
	if (!sa || sa->encap.type)
		return -ENOENT;
	kipsec_pmtu_learn(sa, mtu);
	return 0;
}

int kipsec_esp4_err(struct sk_buff *skb, u32 info)
{
	const struct iphdr *iph = (const struct iphdr *)skb->data;
	union kipsec_addr daddr = { .a4 = iph->daddr };

	/* icmp_unreach() pulled the quoted header and 8 bytes: the ESP header. */
	if (icmp_hdr(skb)->type != ICMP_DEST_UNREACH ||
	    icmp_hdr(skb)->code != ICMP_FRAG_NEEDED)
		return -ENOENT;
	return kipsec_esp_err(skb, AF_INET, &daddr, iph->ihl * 4, info);
}

int kipsec_esp6_err(struct sk_buff *skb, struct inet6_skb_parm *opt,
		    u8 type, u8 code, int offset, __be32 info)
{
	const struct ipv6hdr *ip6h = (const struct ipv6hdr *)skb->data;
	union kipsec_addr daddr = { .in6 = ip6h->daddr };

	if (type != ICMPV6_PKT_TOOBIG || !pskb_may_pull(skb, offset + sizeof(struct ip_esp_hdr)))
		return -ENOENT;
	/* pskb_may_pull() may have moved the data. */
	return kipsec_esp_err(skb, AF_INET6, &daddr, offset, ntohl(info));
}

/* xfrm_input() and its callback only ever carry XFRM's own states. */
int kipsec_esp_decline_input(struct sk_buff *skb, int nexthdr, __be32 spi,
			     int encap_type)
{
	return -EINVAL;
}

int kipsec_esp_decline_cb(struct sk_buff *skb, int err)
{
	return 1;
}
