/* SPDX-License-Identifier: GPL-2.0 */
/*
 * AH (RFC 4302): header, ICV over the packet with its mutable fields
 * zeroed, through an ahash transform (HMAC) of the SA.  The zeroing helpers
 * work on plain buffers, shared by the packet path and the KUnit suite.
 */
#ifndef _KIPSEC_AH_H
#define _KIPSEC_AH_H

#include <linux/kernel.h>
#include <linux/socket.h>
#include <linux/types.h>
#include "esp.h"

struct kipsec_sa_crypto;
struct kipsec_alg_params;
struct netlink_ext_ack;
struct sk_buff;

#define KIPSEC_AH_HLEN	12	/* next header, length, reserved, SPI, sequence number */

/*
 * The AH header kipsec sends with an ICV of icvlen bytes: padded to 8 bytes
 * for IPv6 (RFC 4302 2.6) and, as Linux XFRM does by default, for IPv4 too.
 * Inbound, IPv4 AH padded to 4 bytes only is accepted as well.
 */
static inline unsigned int kipsec_ah_hlen(unsigned int icvlen)
{
	return ALIGN(KIPSEC_AH_HLEN + icvlen, 8);
}

/*
 * The IPv4 header of hl bytes (options included) as AH authenticates it
 * (RFC 4302 3.3.3.1.1): TOS, flags and fragment offset, TTL and checksum
 * zeroed, mutable options zeroed, and with a source route the destination
 * replaced by the final one.  -EINVAL on a malformed option list.
 */
int kipsec_ah_mute4(u8 *hdr, unsigned int hl);

/*
 * The IPv6 header and the extension headers in front of AH (len bytes) as
 * AH authenticates them (RFC 4302 3.3.3.1.2): traffic class, flow label
 * and hop limit zeroed, the data of options with the "may change" bit
 * zeroed (hop-by-hop, destination options), a routing header as the
 * destination will see it (segments left 0, the final destination in the
 * IPv6 header).  -EINVAL on a malformed or unexpected header.
 */
int kipsec_ah_mute6(u8 *hdr, unsigned int len);

/*
 * The offset in hdr (an IPv6 packet, len bytes readable) of the first header
 * that is not a hop-by-hop, routing or destination options header, i.e.
 * where AH goes (or ESP/AH is); *nhoff is the offset of the next header
 * byte naming it.  -EINVAL when the headers do not fit in len.
 */
int kipsec_ipv6_skip_exthdrs(const u8 *hdr, unsigned int len, unsigned int *nhoff);

/*
 * Whether skb (network header in the linear part) is ESP or AH, for IPv6
 * after the extension headers above (the flow of an IPv6 packet names the
 * protocol after AH instead).
 */
bool kipsec_skb_is_ipsec(struct sk_buff *skb, u16 family);

struct kipsec_ah_args {
	u32 spi;		/* host order */
	u64 seq;		/* 64-bit; only the low half is on the wire */
	bool esn;		/* the high half is authenticated after the packet */
	u8 nexthdr;		/* signing: protocol after AH */
	u16 family;		/* of the IP header in front of AH */
	kipsec_esp_done_t done;	/* as for ESP: ret is the next header or an error */
	void *ctx;
};

/*
 * skb->data is the IP header, AH follows it (after the IPv6 extension headers
 * kipsec_ipv6_skip_exthdrs() skips) with kipsec_ah_hlen() bytes reserved.
 * Fills the AH header and its ICV.  Returns 0 (done not called),
 * -EINPROGRESS (done will be called) or an error.
 */
int kipsec_ah_sign(const struct kipsec_sa_crypto *c, struct sk_buff *skb,
		   unsigned int ahoff, const struct kipsec_ah_args *a);

/*
 * skb->data is the AH header, the network header the IP header in front of
 * it.  Checks the ICV; skb->data is then what follows AH.  Returns the next
 * header (>= 0), -EINPROGRESS (a->done will be called), -EBADMSG (ICV
 * mismatch) or -EINVAL (malformed).
 */
int kipsec_ah_verify(const struct kipsec_sa_crypto *c, struct sk_buff *skb,
		     const struct kipsec_ah_args *a);

/* crypto.c hooks: the HMAC transform of an AH SA. */
int kipsec_ah_crypto_init(struct kipsec_sa_crypto *c, struct kipsec_alg_params *p,
			  struct netlink_ext_ack *extack);
void kipsec_ah_crypto_free(struct kipsec_sa_crypto *c);

#endif
