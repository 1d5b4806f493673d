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
 * own ICMP error just lowered.  Path MTU learned from ICMP errors about
 * ESP packets of kipsec SAs is not done yet.
 */
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
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

/*
 * The largest clear packet of family whose ESP packet fits in mtu bytes.
 * Transport mode protects what follows the IP header (hl bytes), tunnel
 * mode the whole packet behind a new outer header of the SA's family.
 */
unsigned int kipsec_pmtu_inner(const struct kipsec_sa *sa, unsigned int mtu, unsigned int hl)
{
	const struct kipsec_sa_crypto *c = &sa->crypto;
	unsigned int fixed = KIPSEC_ESP_HLEN + c->ivlen + c->icvlen;

	if (sa->mode == KIPSEC_MODE_TUNNEL)
		fixed += sa->id.family == AF_INET ? sizeof(struct iphdr) : sizeof(struct ipv6hdr);
	else
		fixed += hl;
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
	unsigned int mtu = READ_ONCE(dst->dev->mtu);
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
