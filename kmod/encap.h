/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ESP in UDP (RFC 3948), encap.c: the encapsulation sockets of a netns
 * (kipsec's own, and callers' sockets attached by fd), decapsulation into
 * the ESP input of input.c, encapsulation of the ESP packets output.c
 * finished, and the MAPPING check.
 */
#ifndef _KIPSEC_ENCAP_H
#define _KIPSEC_ENCAP_H

#include <linux/skbuff.h>
#include <net/genetlink.h>

struct kipsec_net;
struct kipsec_sa;

int kipsec_encap_net_init(struct kipsec_net *kn);
/* Closes kipsec's sockets and detaches the attached ones. */
void kipsec_encap_net_exit(struct kipsec_net *kn);

/* Netlink handlers (KIPSEC_CMD_ENCAP_*), wired in netlink.c. */
int kipsec_nl_encap_add(struct sk_buff *skb, struct genl_info *info);
int kipsec_nl_encap_del(struct sk_buff *skb, struct genl_info *info);
int kipsec_nl_encap_dump(struct sk_buff *skb, struct netlink_callback *cb);
int kipsec_nl_encap_attach(struct sk_buff *skb, struct genl_info *info);

/*
 * Output: skb is the finished ESP packet of sa (network header at
 * skb->data, ESP right after the IP header); puts the UDP header of the
 * SA's ports between them.  Returns 0 or an error (skb still the caller's).
 */
int kipsec_encap_output(struct sk_buff *skb, struct kipsec_sa *sa);

/*
 * Output hook: true if skb (IP header at the network header) is ESP in UDP
 * of one of our outbound SAs, i.e. kipsec's own output, never to be
 * looked up in the SPD again.
 */
bool kipsec_encap_is_ours(struct kipsec_net *kn, struct sk_buff *skb, u16 family);

/*
 * Input, after the ESP of an SA with encapsulation was authenticated (the
 * outer IP and UDP headers are still in front): raises a MAPPING event,
 * rate-limited, when the peer's address or port is not the SA's.
 */
void kipsec_encap_input_check(struct sk_buff *skb, struct kipsec_sa *sa);

#endif
