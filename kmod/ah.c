// SPDX-License-Identifier: GPL-2.0
/*
 * AH (RFC 4302).  The ICV is an HMAC (ahash, possibly asynchronous) over the
 * whole packet, IP header included, with the fields that may change in
 * transit zeroed and the ICV field itself zero; with ESN the high half of
 * the sequence number is authenticated after the packet (RFC 4302 2.5.1).
 *
 * The packet is made private and linear; the IP header and the extension
 * headers up to AH (and for verification AH itself) are saved in the
 * request, zeroed in place for the HMAC, and put back when it is done.
 */
#include <crypto/algapi.h>
#include <crypto/hash.h>
#include <linux/errno.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/scatterlist.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/netlink.h>
#include "compat.h"
#include "crypto.h"
#include "ah.h"

/* IPv4 options that do not change in transit (RFC 4302 A.1). */
static bool ah_opt4_immutable(u8 type)
{
	switch (type) {
	case IPOPT_SEC:
	case 0x85:		/* extended security */
	case IPOPT_CIPSO:	/* commercial security */
	case IPOPT_RA:
	case 0x95:		/* sender directed multi-destination delivery */
		return true;
	}
	return false;
}

/* Source routes: the ICV covers the final destination (the last address). */
static void ah_opt4_srr(struct iphdr *iph, const u8 *opt, unsigned int len)
{
	if (len >= 7)
		memcpy(&iph->daddr, opt + len - 4, 4);
}

int kipsec_ah_mute4(u8 *hdr, unsigned int hl)
{
	struct iphdr *iph = (struct iphdr *)hdr;
	unsigned int i = sizeof(*iph), len;

	if (hl < sizeof(*iph) || iph->ihl * 4 != hl)
		return -EINVAL;
	iph->tos = 0;
	iph->frag_off = 0;
	iph->ttl = 0;
	iph->check = 0;
	while (i < hl && hdr[i] != IPOPT_END) {
		if (hdr[i] == IPOPT_NOOP) {
			i++;
			continue;
		}
		if (i + 2 > hl)
			return -EINVAL;
		len = hdr[i + 1];
		if (len < 2 || i + len > hl)
			return -EINVAL;
		if (!ah_opt4_immutable(hdr[i])) {
			if (hdr[i] == IPOPT_LSRR || hdr[i] == IPOPT_SSRR)
				ah_opt4_srr(iph, hdr + i, len);
			memset(hdr + i, 0, len);
		}
		i += len;
	}
	return 0;
}

/* Hop-by-hop or destination options: data of "may change" options zeroed. */
static int ah_mute6_opts(u8 *eh, unsigned int elen)
{
	unsigned int i = 2, olen;

	while (i < elen) {
		if (eh[i] == IPV6_TLV_PAD1) {
			i++;
			continue;
		}
		if (i + 2 > elen)
			return -EINVAL;
		olen = eh[i + 1];
		if (i + 2 + olen > elen)
			return -EINVAL;
		if (eh[i] & 0x20)
			memset(eh + i + 2, 0, olen);
		i += 2 + olen;
	}
	return 0;
}

/*
 * A routing header as it arrives at the final destination, as Linux's ah6
 * computes it: segments left 0, the addresses shifted so that the IPv6
 * destination is the final one.
 */
static int ah_mute6_rthdr(struct ipv6hdr *ip6h, u8 *eh, unsigned int elen)
{
	unsigned int segs = eh[1] >> 1, left = eh[3];
	struct in6_addr *addrs = (struct in6_addr *)(eh + 8), final;

	if (!left)
		return 0;
	if (left > segs || 8 + segs * sizeof(*addrs) > elen)
		return -EINVAL;
	eh[3] = 0;
	final = addrs[segs - 1];
	addrs += segs - left;
	memmove(addrs + 1, addrs, (left - 1) * sizeof(*addrs));
	addrs[0] = ip6h->daddr;
	ip6h->daddr = final;
	return 0;
}

static bool ah_exthdr(u8 nh)
{
	return nh == NEXTHDR_HOP || nh == NEXTHDR_ROUTING || nh == NEXTHDR_DEST;
}

int kipsec_ipv6_skip_exthdrs(const u8 *hdr, unsigned int len, unsigned int *nhoff)
{
	unsigned int off = sizeof(struct ipv6hdr);

	if (len < off)
		return -EINVAL;
	*nhoff = offsetof(struct ipv6hdr, nexthdr);
	while (ah_exthdr(hdr[*nhoff])) {
		if (off + 8 > len)
			return -EINVAL;
		*nhoff = off;
		off += (hdr[off + 1] + 1) * 8;
		if (off > len)
			return -EINVAL;
	}
	return off;
}

bool kipsec_skb_is_ipsec(struct sk_buff *skb, u16 family)
{
	unsigned int nhoff = offsetof(struct iphdr, protocol);
	u8 *nh = skb_network_header(skb);

	if (family == AF_INET6 &&
	    kipsec_ipv6_skip_exthdrs(nh, skb_headlen(skb) - skb_network_offset(skb), &nhoff) < 0)
		return false;
	return nh[nhoff] == IPPROTO_ESP || nh[nhoff] == IPPROTO_AH;
}

int kipsec_ah_mute6(u8 *hdr, unsigned int len)
{
	struct ipv6hdr *ip6h = (struct ipv6hdr *)hdr;
	unsigned int off = sizeof(*ip6h), elen;
	u8 nh;
	int err;

	if (len < off)
		return -EINVAL;
	nh = ip6h->nexthdr;
	ip6h->priority = 0;
	memset(ip6h->flow_lbl, 0, sizeof(ip6h->flow_lbl));
	ip6h->hop_limit = 0;
	while (off < len) {
		if (off + 8 > len)
			return -EINVAL;
		elen = (hdr[off + 1] + 1) * 8;
		if (off + elen > len)
			return -EINVAL;
		if (nh == NEXTHDR_HOP || nh == NEXTHDR_DEST)
			err = ah_mute6_opts(hdr + off, elen);
		else if (nh == NEXTHDR_ROUTING)
			err = ah_mute6_rthdr(ip6h, hdr + off, elen);
		else
			err = -EINVAL;
		if (err)
			return err;
		nh = hdr[off];
		off += elen;
	}
	return 0;
}

/*
 * One HMAC computation, allocated with the request (GFP_ATOMIC) and freed in
 * the completion: with async crypto nothing on the stack survives.
 */
struct kipsec_ah_req {
	struct sk_buff *skb;
	kipsec_esp_done_t done;
	void *ctx;
	unsigned int ahoff;	/* IP (and extension) headers in front of AH */
	unsigned int ahlen;	/* AH header with ICV and padding */
	unsigned int icvlen;
	unsigned int saved_len;	/* bytes of saved[]: up to AH (sign), AH included (verify) */
	bool verify;
	__be32 seq_hi;
	u8 *digest;		/* the full HMAC */
	u8 *saved;
	struct scatterlist sg[2];
	/* then: the ahash_request with its context, the digest, the saved headers */
};

static struct ahash_request *ah_req_hash(struct kipsec_ah_req *r)
{
	return (void *)PTR_ALIGN((u8 *)(r + 1), crypto_tfm_ctx_alignment());
}

static struct kipsec_ah_req *ah_req_alloc(struct crypto_ahash *tfm, unsigned int saved_len)
{
	unsigned int dlen = crypto_ahash_digestsize(tfm);
	unsigned int len = sizeof(struct kipsec_ah_req) + crypto_tfm_ctx_alignment() +
			   sizeof(struct ahash_request) + crypto_ahash_reqsize(tfm) +
			   dlen + saved_len;
	struct kipsec_ah_req *r = kzalloc(len, GFP_ATOMIC);
	struct ahash_request *req;

	if (!r)
		return NULL;
	req = ah_req_hash(r);
	ahash_request_set_tfm(req, tfm);
	r->digest = (u8 *)(req + 1) + crypto_ahash_reqsize(tfm);
	r->saved = r->digest + dlen;
	r->saved_len = saved_len;
	return r;
}

/* The headers AH authenticates, zeroed where they may change in transit. */
static int ah_mute(u8 *nh, u16 family, unsigned int ahoff)
{
	return family == AF_INET ? kipsec_ah_mute4(nh, ahoff) : kipsec_ah_mute6(nh, ahoff);
}

/* The HMAC is done: headers back, ICV placed (sign) or compared (verify). */
static int ah_finish(struct kipsec_ah_req *r, int err)
{
	struct sk_buff *skb = r->skb;
	u8 *icv = skb->data + r->ahoff + KIPSEC_AH_HLEN;
	u8 nexthdr;

	if (!err && r->verify &&
	    crypto_memneq(r->digest, r->saved + r->ahoff + KIPSEC_AH_HLEN, r->icvlen))
		err = -EBADMSG;
	memcpy(skb->data, r->saved, r->saved_len);
	if (err)
		return err;
	if (!r->verify) {
		memcpy(icv, r->digest, r->icvlen);
		return 0;
	}
	nexthdr = skb->data[r->ahoff];
	skb_pull(skb, r->ahoff + r->ahlen);
	return nexthdr;
}

static KIPSEC_CRYPTO_DONE(ah_done)
{
	struct kipsec_ah_req *r = KIPSEC_CRYPTO_DONE_DATA();
	struct sk_buff *skb = r->skb;
	int ret;

	/* A backlogged request reports progress first; the real end follows. */
	if (err == -EINPROGRESS)
		return;
	ret = ah_finish(r, err);
	r->done(skb, ret, r->ctx);
	kfree(r);
}

/* skb->data is the IP header: the HMAC over the packet (+ seq_hi with ESN). */
static int ah_submit(const struct kipsec_sa_crypto *c, struct kipsec_ah_req *r,
		     const struct kipsec_ah_args *a)
{
	struct ahash_request *req = ah_req_hash(r);
	struct sk_buff *skb = r->skb;
	unsigned int len = skb->len;
	int err;

	r->done = a->done;
	r->ctx = a->ctx;
	r->icvlen = c->icvlen;
	sg_init_table(r->sg, a->esn ? 2 : 1);
	sg_set_buf(&r->sg[0], skb->data, skb->len);
	if (a->esn) {
		r->seq_hi = htonl(upper_32_bits(a->seq));
		sg_set_buf(&r->sg[1], &r->seq_hi, sizeof(r->seq_hi));
		len += sizeof(r->seq_hi);
	}
	err = ah_mute(skb->data, a->family, r->ahoff);
	if (err)
		return err;
	memset(skb->data + r->ahoff + KIPSEC_AH_HLEN, 0, c->icvlen);
	ahash_request_set_callback(req, CRYPTO_TFM_REQ_MAY_BACKLOG, ah_done, r);
	ahash_request_set_crypt(req, r->sg, r->digest, len);
	err = crypto_ahash_digest(req);
	if (err == -EINPROGRESS || err == -EBUSY)
		return -EINPROGRESS;
	return err;
}

/* Starts the HMAC; the synchronous and error cases end here. */
static int ah_run(const struct kipsec_sa_crypto *c, struct kipsec_ah_req *r,
		  const struct kipsec_ah_args *a)
{
	int err;

	memcpy(r->saved, r->skb->data, r->saved_len);
	err = ah_submit(c, r, a);
	if (err == -EINPROGRESS)
		return err;
	err = ah_finish(r, err);
	kfree(r);
	return err;
}

int kipsec_ah_sign(const struct kipsec_sa_crypto *c, struct sk_buff *skb,
		   unsigned int ahoff, const struct kipsec_ah_args *a)
{
	unsigned int ahlen = kipsec_ah_hlen(c->icvlen);
	struct ip_auth_hdr *ah;
	struct kipsec_ah_req *r;

	if (skb_linearize_cow(skb))
		return -ENOMEM;
	if (skb->len < ahoff + ahlen)
		return -EINVAL;
	ah = (struct ip_auth_hdr *)(skb->data + ahoff);
	memset(ah, 0, ahlen);
	ah->nexthdr = a->nexthdr;
	ah->hdrlen = ahlen / 4 - 2;
	ah->spi = htonl(a->spi);
	ah->seq_no = htonl(lower_32_bits(a->seq));
	r = ah_req_alloc(c->ahash, ahoff);
	if (!r)
		return -ENOMEM;
	r->skb = skb;
	r->ahoff = ahoff;
	r->ahlen = ahlen;
	return ah_run(c, r, a);
}

int kipsec_ah_verify(const struct kipsec_sa_crypto *c, struct sk_buff *skb,
		     const struct kipsec_ah_args *a)
{
	unsigned int ahlen, ahoff;
	struct kipsec_ah_req *r;

	if (skb_linearize_cow(skb))
		return -ENOMEM;
	ahoff = skb->data - skb_network_header(skb);
	ahlen = (skb->data[1] + 2) * 4;
	if (skb->len < ahlen || (ahlen != kipsec_ah_hlen(c->icvlen) &&
				 (a->family != AF_INET || ahlen != ALIGN(KIPSEC_AH_HLEN + c->icvlen, 4))))
		return -EINVAL;
	r = ah_req_alloc(c->ahash, ahoff + ahlen);
	if (!r)
		return -ENOMEM;
	r->skb = skb;
	r->ahoff = ahoff;
	r->ahlen = ahlen;
	r->verify = true;
	skb_push(skb, ahoff);
	return ah_run(c, r, a);
}

int kipsec_ah_crypto_init(struct kipsec_sa_crypto *c, struct kipsec_alg_params *p,
			  struct netlink_ext_ack *extack)
{
	struct crypto_ahash *tfm;
	unsigned int dbits;
	int err;

	err = kipsec_crypto_resolve_auth(p, extack);
	if (err)
		return err;
	if (p->no_integrity) {
		/* AH is nothing but its ICV. */
		NL_SET_ERR_MSG_MOD(extack, "KIPSEC_A_SA_AUTH_ALG: AH needs an integrity algorithm (found digest_null)");
		return -EINVAL;
	}
	tfm = crypto_alloc_ahash(p->auth, 0, 0);
	if (IS_ERR(tfm)) {
		NL_SET_ERR_MSG_FMT_MOD(extack, "KIPSEC_A_SA_AUTH_ALG: \"%s\" unavailable (%ld)",
				       p->auth, PTR_ERR(tfm));
		return PTR_ERR(tfm);
	}
	dbits = crypto_ahash_digestsize(tfm) * 8;
	if (!p->auth_trunc_bits || p->auth_trunc_bits % 32 || p->auth_trunc_bits > dbits) {
		NL_SET_ERR_MSG_FMT_MOD(extack,
				       "KIPSEC_A_SA_AUTH_TRUNC: %u bits is not valid for AH with %s (a multiple of 32 up to %u)",
				       p->auth_trunc_bits, p->auth, dbits);
		err = -EINVAL;
		goto err;
	}
	err = crypto_ahash_setkey(tfm, p->auth_key, p->auth_keylen);
	if (err) {
		NL_SET_ERR_MSG_FMT_MOD(extack, "KIPSEC_A_SA_AUTH_KEY: %u bytes is not a valid key for %s",
				       p->auth_keylen, p->auth);
		goto err;
	}
	c->ahash = tfm;
	c->params = p;
	c->icvlen = p->auth_trunc_bits / 8;
	return 0;
err:
	crypto_free_ahash(tfm);
	return err;
}

void kipsec_ah_crypto_free(struct kipsec_sa_crypto *c)
{
	if (c->ahash)
		crypto_free_ahash(c->ahash);
	c->ahash = NULL;
}
