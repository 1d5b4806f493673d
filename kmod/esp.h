/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ESP wire format (RFC 4303): header, IV, payload, padding, pad length,
 * next header, ICV.  Pure helpers on buffers, shared by the packet path and
 * the KUnit suite.
 */
#ifndef _KIPSEC_ESP_H
#define _KIPSEC_ESP_H

#include <linux/types.h>

struct kipsec_sa_crypto;

#define KIPSEC_ESP_HLEN		8	/* SPI + sequence number */
#define KIPSEC_ESP_TRAILER_MIN	2	/* pad length + next header */

/* Padding so that payload + padding + 2 is a multiple of blksize. */
static inline unsigned int kipsec_esp_padlen(unsigned int plen, unsigned int blksize)
{
	return (blksize - ((plen + KIPSEC_ESP_TRAILER_MIN) % blksize)) % blksize;
}

/* Writes padding (1, 2, 3, ... as RFC 4303 2.4), pad length, next header. */
void kipsec_esp_fill_trailer(u8 *tail, unsigned int padlen, u8 nexthdr);

/*
 * Checks the trailer at the end of a decrypted payload of len bytes (padding
 * included).  Returns the payload length without trailer, or -EINVAL when
 * the pad length does not fit or the padding is not the default sequence.
 */
int kipsec_esp_parse_trailer(const u8 *buf, unsigned int len, u8 *nexthdr);

struct sk_buff;

/*
 * Called when an encryption or decryption finished, in softirq or process
 * context, possibly on another CPU (async crypto).  For decryption ret is
 * the next header (>= 0) or a negative error; for encryption 0 or an error.
 * On error the skb is still the caller's to free.
 */
typedef void (*kipsec_esp_done_t)(struct sk_buff *skb, int ret, void *ctx);

/* What ESP needs besides the keys: the packet's SPI and sequence number. */
struct kipsec_esp_args {
	u32 spi;		/* host order */
	u64 seq;		/* 64-bit; only the low half is on the wire */
	bool esn;
	u8 nexthdr;		/* encryption: protocol of the payload */
	kipsec_esp_done_t done;
	void *ctx;
};

/*
 * skb->data is the payload to protect (transport header or inner IP
 * packet).  Adds the ESP header, IV, trailer and ICV around it and encrypts
 * in place; skb->data is then the ESP header.  Returns 0 when done
 * synchronously (done is not called), -EINPROGRESS when done will be called,
 * or an error (skb still the caller's).
 */
int kipsec_esp_encrypt(const struct kipsec_sa_crypto *c, struct sk_buff *skb,
		       const struct kipsec_esp_args *a);

/*
 * skb->data is the ESP header.  Authenticates and decrypts in place, checks
 * and removes the trailer; skb->data is then the payload.  Returns the next
 * header (>= 0) when done synchronously, -EINPROGRESS when a->done will be
 * called, or an error (-EBADMSG: integrity check failed, -EINVAL: malformed).
 */
int kipsec_esp_decrypt(const struct kipsec_sa_crypto *c, struct sk_buff *skb,
		       const struct kipsec_esp_args *a);

/* Worst-case bytes ESP adds to a packet of the SA (header, IV, pad, ICV). */
unsigned int kipsec_esp_overhead(const struct kipsec_sa_crypto *c);

#endif
