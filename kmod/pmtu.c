// SPDX-License-Identifier: GPL-2.0
/*
 * Path MTU for outbound ESP.  ESP makes a packet bigger (header, IV,
 * padding, ICV, and the outer header in tunnel mode).  A clear packet that
 * may not be fragmented and would not fit the route of its ESP packet once
 * encapsulated gets ICMP "fragmentation needed" (IPv4, DF set) or ICMPv6
 * "packet too big", carrying the largest clear packet that fits: the
 * sender (a local socket, or a host behind this gateway) lowers its path
 * MTU and TCP its MSS.  Other packets are encrypted and the ESP packet is
 * fragmented, as with every packet of an SA flagged KIPSEC_SAF_NOPMTUDISC.
 *
 * The MTU is that of the device the ESP packet leaves by, not the route's
 * learned path MTU: in transport mode (and in tunnel mode between the two
 * hosts themselves) that route is the clear packet's, whose path MTU our
 * own ICMP error just lowered.  What a router reports about the ESP
 * packets themselves (ICMP "fragmentation needed" / "packet too big"
 * quoting an ESP packet of a kipsec SA, input.c) is kept in the SA instead
 * (sa->pmtu, for KIPSEC_PMTU_EXPIRES) and lowers that MTU.  So that IPv4
 * routers report it, a tunnel-mode outer IPv4 header has DF when the clear
 * packet may not be fragmented.
 */
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <net/dst.h>
#include <net/icmp.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include "compat.h"
#include "kipsec.h"
#include "datapath.h"
#include "esp.h"
#include "ah.h"

/* IPv4 paths below this are not believed by the stack either (ip_rt_min_pmtu). */
#define KIPSEC_PMTU_MIN4	552
/* A learned path MTU is forgotten after this, as the stack's (ip_rt_mtu_expires). */
#define KIPSEC_PMTU_EXPIRES	(10 * 60 * HZ)

void kipsec_pmtu_learn(struct kipsec_sa *sa, u32 mtu)
{
	u32 min = sa->id.family == AF_INET ? KIPSEC_PMTU_MIN4 : IPV6_MIN_MTU;

	/* As the stack does: a path MTU below the minimum is taken as the minimum. */
	WRITE_ONCE(sa->pmtu_expires, jiffies + KIPSEC_PMTU_EXPIRES);
	WRITE_ONCE(sa->pmtu, max(mtu, min));
	KIPSEC_INC_STATS(sa->kn, IN_PMTU_LEARNED);
}

/* The device MTU, or the SA's learned path MTU while it is valid and lower. */
static unsigned int pmtu_of(const struct kipsec_sa *sa, unsigned int mtu)
{
	u32 learned = READ_ONCE(sa->pmtu);

	if (learned && learned < mtu &&
	    time_before(jiffies, READ_ONCE(sa->pmtu_expires)))
		return learned;
	return mtu;
}

bool kipsec_pmtu_outer_df(const struct sk_buff *skb, u16 family, const struct kipsec_sa *sa)
{
	if (sa->mode != KIPSEC_MODE_TUNNEL || sa->id.family != AF_INET ||
	    (sa->flags & KIPSEC_SAF_NOPMTUDISC) || skb->ignore_df)
		return false;
	/* IPv6 packets are never fragmented on the way. */
	return family == AF_INET6 || (ip_hdr(skb)->frag_off & htons(IP_DF));
}

/*
 * The largest clear packet of family whose ESP packet fits in mtu bytes.
 * Transport mode protects what follows the IP header (hl bytes), tunnel
 * mode the whole packet behind a new outer header of the SA's family (and
 * a UDP header for ESP in UDP).
 */
unsigned int kipsec_pmtu_inner(const struct kipsec_sa *sa, unsigned int mtu, unsigned int hl)
{
	const struct kipsec_sa_crypto *c = &sa->crypto;
	unsigned int fixed = KIPSEC_ESP_HLEN + c->ivlen + c->icvlen;

	if (sa->mode == KIPSEC_MODE_TUNNEL)
		fixed += sa->id.family == AF_INET ? sizeof(struct iphdr) : sizeof(struct ipv6hdr);
	else
		fixed += hl;
	if (sa->encap.type)
		fixed += sizeof(struct udphdr);	/* ESP in UDP */
	if (sa->id.proto == IPPROTO_AH) {
		/* No padding: what AH adds is fixed. */
		fixed += kipsec_ah_hlen(c->icvlen) - KIPSEC_ESP_HLEN - c->icvlen;
		return mtu < fixed ? 0 : mtu - fixed + (sa->mode == KIPSEC_MODE_TUNNEL ? 0 : hl);
	}
	if (mtu < fixed + c->blksize)
		return 0;
	/* Payload plus the 2 trailer bytes padded to the block size. */
	return rounddown(mtu - fixed, c->blksize) - KIPSEC_ESP_TRAILER_MIN +
	       (sa->mode == KIPSEC_MODE_TUNNEL ? 0 : hl);
}

static bool pmtu_too_big(const struct sk_buff *skb, unsigned int mtu)
{
	if (skb_is_gso(skb))
		return !skb_gso_validate_network_len(skb, mtu);
	return skb->len > mtu;
}

static bool pmtu_exceeded4(struct sk_buff *skb, const struct kipsec_sa *sa, unsigned int mtu)
{
	if (!(ip_hdr(skb)->frag_off & htons(IP_DF)) || skb->ignore_df)
		return false;	/* may be fragmented: the ESP packet will be */
	mtu = kipsec_pmtu_inner(sa, mtu, ip_hdrlen(skb));
	if (mtu < KIPSEC_PMTU_MIN4 || !pmtu_too_big(skb, mtu))
		return false;
	icmp_send(skb, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, htonl(mtu));
	return true;
}

static bool pmtu_exceeded6(struct sk_buff *skb, const struct kipsec_sa *sa, unsigned int mtu)
{
	if (skb->ignore_df)
		return false;	/* a local socket allows fragmentation */
	mtu = kipsec_pmtu_inner(sa, mtu, sizeof(struct ipv6hdr));
	if (mtu < IPV6_MIN_MTU || !pmtu_too_big(skb, mtu))
		return false;
	/* As ip6_fragment(): locally generated packets have no device yet. */
	if (!skb->dev)
		skb->dev = skb_dst(skb)->dev;
	icmpv6_send(skb, ICMPV6_PKT_TOOBIG, 0, mtu);
	return true;
}

bool kipsec_pmtu_exceeded(struct sk_buff *skb, u16 family, struct kipsec_sa *sa,
			  const struct dst_entry *dst)
{
	unsigned int mtu = pmtu_of(sa, READ_ONCE(dst->dev->mtu));
	bool exceeded;

	if (!skb_dst(skb) || (sa->flags & KIPSEC_SAF_NOPMTUDISC))
		return false;	/* the ESP packet is fragmented instead */
	if (family == AF_INET)
		exceeded = pmtu_exceeded4(skb, sa, mtu);
	else
		exceeded = pmtu_exceeded6(skb, sa, mtu);
	if (exceeded) {
		KIPSEC_INC_STATS(sa->kn, OUT_PMTU_EXCEEDED);
		kipsec_sa_drop(sa, KIPSEC_SA_DROP_PMTU);
	}
	return exceeded;
}
