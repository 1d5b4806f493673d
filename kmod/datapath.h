/* SPDX-License-Identifier: GPL-2.0 */
/* Entry points of the packet path (input.c, output.c), used by datapath.c. */
#ifndef _KIPSEC_DATAPATH_H
#define _KIPSEC_DATAPATH_H

#include <linux/skbuff.h>
#include <net/ipv6.h>
#include "stats.h"

/* Above esp4/esp6 (0) and ipcomp/vti (which use 0 and 100 on other chains). */
#define KIPSEC_XFRM_PRIORITY	10

/*
 * ESP input for family; encap: it came in UDP (encap.c), the UDP header
 * pulled.  -EINVAL: not a kipsec SA's, skb untouched; else consumed.
 */
int kipsec_esp_input(struct sk_buff *skb, u16 family, bool encap);
int kipsec_esp4_rcv(struct sk_buff *skb);
int kipsec_esp6_rcv(struct sk_buff *skb);
/* AH input (same contract). */
int kipsec_ah4_rcv(struct sk_buff *skb);
int kipsec_ah6_rcv(struct sk_buff *skb);
int kipsec_esp4_err(struct sk_buff *skb, u32 info);
int kipsec_esp6_err(struct sk_buff *skb, struct inet6_skb_parm *opt,
		    u8 type, u8 code, int offset, __be32 info);
int kipsec_esp_decline_input(struct sk_buff *skb, int nexthdr, __be32 spi,
			     int encap_type);
int kipsec_esp_decline_cb(struct sk_buff *skb, int err);

/*
 * Where input.c and output.c keep their state in skb->cb: after IPCB/IP6CB
 * (24 bytes), over the xfrm handler chain's tunnel pointer, which only
 * XFRM's own packets use.
 */
#define KIPSEC_INPUT_CB_OFF	24

struct kipsec_sa;
struct dst_entry;

/*
 * pmtu.c: true when skb (clear, of family, not to be fragmented) would not
 * fit dst, the route of its ESP packet through sa, once encapsulated; the
 * sender got the ICMP error then, and the caller drops skb.
 */
bool kipsec_pmtu_exceeded(struct sk_buff *skb, u16 family, struct kipsec_sa *sa,
			  const struct dst_entry *dst);
/* The largest clear packet whose ESP packet through sa fits mtu (hl: IP header). */
unsigned int kipsec_pmtu_inner(const struct kipsec_sa *sa, unsigned int mtu, unsigned int hl);
/* Tunnel mode over IPv4: whether the outer header of this clear packet gets DF. */
bool kipsec_pmtu_outer_df(const struct sk_buff *skb, u16 family, const struct kipsec_sa *sa);
/* ICMP "fragmentation needed" / "packet too big" about an ESP packet of sa. */
void kipsec_pmtu_learn(struct kipsec_sa *sa, u32 mtu);

/*
 * policy.c: inbound policy checks.  kipsec_policy_check_decrypted() returns
 * KIPSEC_STAT__MAX when the decrypted packet of flow fl, which came through
 * sa (and before it outer, the AH SA of an AH+ESP bundle, or NULL), may
 * pass, else the counter of the reason to drop it;
 * kipsec_policy_mark_decrypted() then
 * tells the LOCAL_IN/FORWARD hooks it was checked already.
 */
struct kipsec_flow;
struct kipsec_net;
int kipsec_policy_net_init(struct kipsec_net *kn);
void kipsec_policy_net_exit(struct net *net);
enum kipsec_stat kipsec_policy_check_decrypted(struct kipsec_net *kn, struct kipsec_sa *sa,
					       struct kipsec_sa *outer,
					       const struct kipsec_flow *fl);
void kipsec_policy_mark_decrypted(struct kipsec_net *kn, struct sk_buff *skb);
/* IKE and NAT keepalives (UDP from/to port 500 or 4500) bypass the SPD. */
bool kipsec_policy_is_ike(const struct kipsec_flow *fl, bool out);

int kipsec_output_net_init(struct net *net);
void kipsec_output_net_exit(struct net *net);

#endif
