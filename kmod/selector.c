// SPDX-License-Identifier: GPL-2.0
/*
 * Selector matching and flow extraction, shared by the SPD lookup, the
 * inbound SA check and the KUnit suites.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include "selector.h"

bool kipsec_addr_equal(u16 family, const union kipsec_addr *a,
		       const union kipsec_addr *b)
{
	if (family == AF_INET)
		return a->a4 == b->a4;
	return ipv6_addr_equal(&a->in6, &b->in6);
}

static bool kipsec_prefix_match32(__be32 a, __be32 p, u8 plen)
{
	if (!plen)
		return true;
	return !((a ^ p) & htonl(~0U << (32 - plen)));
}

bool kipsec_addr_match(u16 family, const union kipsec_addr *a,
		       const union kipsec_addr *p, u8 plen)
{
	int i;

	if (family == AF_INET)
		return kipsec_prefix_match32(a->a4, p->a4, min_t(u8, plen, 32));
	/* Whole words first, then the partial word. */
	for (i = 0; plen >= 32 && i < 4; i++, plen -= 32)
		if (a->a6[i] != p->a6[i])
			return false;
	if (i == 4)
		return true;
	return kipsec_prefix_match32(a->a6[i], p->a6[i], plen);
}

static bool kipsec_is_icmp(u16 family, u8 proto)
{
	return (family == AF_INET && proto == IPPROTO_ICMP) ||
	       (family == AF_INET6 && proto == IPPROTO_ICMPV6);
}

bool kipsec_sel_match(const struct kipsec_sel *sel, const struct kipsec_flow *fl)
{
	if (sel->family != fl->family)
		return false;
	if (sel->proto && sel->proto != fl->proto)
		return false;
	if (!kipsec_addr_match(fl->family, &fl->daddr, &sel->daddr, sel->dprefix) ||
	    !kipsec_addr_match(fl->family, &fl->saddr, &sel->saddr, sel->sprefix))
		return false;
	if (kipsec_is_icmp(sel->family, sel->proto)) {
		if (sel->has_icmp_type && sel->icmp_type != fl->icmp_type)
			return false;
		if (sel->has_icmp_code && sel->icmp_code != fl->icmp_code)
			return false;
		return true;
	}
	if (sel->sport && sel->sport != fl->sport)
		return false;
	if (sel->dport && sel->dport != fl->dport)
		return false;
	return true;
}

/* Ports or ICMP type/code of the transport header at off, if present. */
static int kipsec_flow_l4(struct sk_buff *skb, unsigned int off,
			  struct kipsec_flow *fl)
{
	__be16 ports[2], *pp;
	u8 tc[2], *t;

	switch (fl->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
		pp = skb_header_pointer(skb, off, sizeof(ports), ports);
		if (!pp)
			return -EINVAL;
		fl->sport = pp[0];
		fl->dport = pp[1];
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		t = skb_header_pointer(skb, off, sizeof(tc), tc);
		if (!t)
			return -EINVAL;
		fl->icmp_type = t[0];
		fl->icmp_code = t[1];
		break;
	}
	return 0;
}

static int kipsec_flow_v4(struct sk_buff *skb, struct kipsec_flow *fl)
{
	unsigned int off = skb_network_offset(skb);
	struct iphdr _iph, *iph;

	iph = skb_header_pointer(skb, off, sizeof(_iph), &_iph);
	if (!iph || iph->ihl < 5)
		return -EINVAL;
	fl->saddr.a4 = iph->saddr;
	fl->daddr.a4 = iph->daddr;
	fl->proto = iph->protocol;
	/* Non-first fragments carry no transport header. */
	if (iph->frag_off & htons(IP_OFFSET))
		return 0;
	return kipsec_flow_l4(skb, off + iph->ihl * 4, fl);
}

static int kipsec_flow_v6(struct sk_buff *skb, struct kipsec_flow *fl)
{
	unsigned int off = skb_network_offset(skb);
	struct ipv6hdr _ip6h, *ip6h;
	__be16 frag_off = 0;
	u8 nexthdr;
	int l4;

	ip6h = skb_header_pointer(skb, off, sizeof(_ip6h), &_ip6h);
	if (!ip6h)
		return -EINVAL;
	fl->saddr.in6 = ip6h->saddr;
	fl->daddr.in6 = ip6h->daddr;
	nexthdr = ip6h->nexthdr;
	l4 = ipv6_skip_exthdr(skb, off + sizeof(*ip6h), &nexthdr, &frag_off);
	if (l4 < 0)
		return -EINVAL;
	fl->proto = nexthdr;
	if (frag_off & htons(IP6_OFFSET))
		return 0;
	return kipsec_flow_l4(skb, l4, fl);
}

int kipsec_flow_from_skb(struct sk_buff *skb, u16 family, struct kipsec_flow *fl)
{
	memset(fl, 0, sizeof(*fl));
	fl->family = family;
	if (family == AF_INET)
		return kipsec_flow_v4(skb, fl);
	if (family == AF_INET6)
		return kipsec_flow_v6(skb, fl);
	return -EINVAL;
}
