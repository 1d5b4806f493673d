/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Traffic selectors and packet flows.  Selector matching is shared by the
 * SPD lookup, the inbound SA check and the KUnit suites: it is written once,
 * in selector.c.
 */
#ifndef _KIPSEC_SELECTOR_H
#define _KIPSEC_SELECTOR_H

#include <linux/types.h>
#include <linux/in6.h>
#include <linux/skbuff.h>

union kipsec_addr {
	__be32 a4;
	__be32 a6[4];
	struct in6_addr in6;
};

struct kipsec_sel {
	u16 family;		/* AF_INET, AF_INET6 */
	u8 sprefix;		/* prefix lengths; 0 = any address */
	u8 dprefix;
	u8 proto;		/* 0 = any */
	u8 icmp_type;		/* valid if has_icmp_type */
	u8 icmp_code;		/* valid if has_icmp_code */
	bool has_icmp_type;
	bool has_icmp_code;
	__be16 sport;		/* 0 = any */
	__be16 dport;
	union kipsec_addr saddr;	/* host bits beyond the prefix are zero */
	union kipsec_addr daddr;
};

/* What a packet looks like to selectors (filled from its headers). */
struct kipsec_flow {
	u16 family;
	u8 proto;
	u8 icmp_type;
	u8 icmp_code;
	__be16 sport;
	__be16 dport;
	union kipsec_addr saddr;
	union kipsec_addr daddr;
};

bool kipsec_sel_match(const struct kipsec_sel *sel, const struct kipsec_flow *fl);
/* Address a within prefix p/plen of the family. */
bool kipsec_addr_match(u16 family, const union kipsec_addr *a,
		       const union kipsec_addr *p, u8 plen);
bool kipsec_addr_equal(u16 family, const union kipsec_addr *a,
		       const union kipsec_addr *b);
/*
 * Fills fl from the IP header at skb_network_header() (and the transport
 * header after it, skipping IPv6 extension headers).  Non-first fragments
 * have no ports.  Returns 0 or -EINVAL for a truncated packet.
 */
int kipsec_flow_from_skb(struct sk_buff *skb, u16 family, struct kipsec_flow *fl);

#endif
