// SPDX-License-Identifier: GPL-2.0
/* ESP header and trailer helpers (RFC 4303 section 2). */
#include <crypto/aead.h>
#include <linux/errno.h>
#include <linux/ip.h>
#include <linux/scatterlist.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include "compat.h"
#include "crypto.h"
#include "esp.h"

void kipsec_esp_fill_trailer(u8 *tail, unsigned int padlen, u8 nexthdr)
{
	unsigned int i;

	for (i = 0; i < padlen; i++)
		tail[i] = i + 1;
	tail[padlen] = padlen;
	tail[padlen + 1] = nexthdr;
}

int kipsec_esp_parse_trailer(const u8 *buf, unsigned int len, u8 *nexthdr)
{
	unsigned int padlen, plen, i;

	if (len < KIPSEC_ESP_TRAILER_MIN)
		return -EINVAL;
	padlen = buf[len - 2];
	if (padlen + KIPSEC_ESP_TRAILER_MIN > len)
		return -EINVAL;
	plen = len - KIPSEC_ESP_TRAILER_MIN - padlen;
	/*
	 * Our algorithms do not define their own padding, so the default
	 * monotonic sequence is mandatory and a receiver should check it.
	 */
	for (i = 0; i < padlen; i++)
		if (buf[plen + i] != (u8)(i + 1))
			return -EINVAL;
	*nexthdr = buf[len - 1];
	return plen;
}

unsigned int kipsec_esp_overhead(const struct kipsec_sa_crypto *c)
{
	return KIPSEC_ESP_HLEN + c->ivlen + c->blksize - 1 +
	       KIPSEC_ESP_TRAILER_MIN + c->icvlen;
}

/*
 * State of one crypto request, allocated with the request (GFP_ATOMIC) and
 * freed in the completion: with async crypto nothing on the stack survives.
 */
struct kipsec_esp_req {
	struct sk_buff *skb;
	kipsec_esp_done_t done;
	void *ctx;
	unsigned int hlen;	/* ESP header + IV */
	bool esn;
	bool encrypt;
	__be32 saved;		/* 4 bytes the ESN AAD layout overwrote */
	struct scatterlist sg[1];
	/* then: the aead_request with its context, then the IV */
};

static struct aead_request *esp_req_aead(struct kipsec_esp_req *r)
{
	return (void *)PTR_ALIGN((u8 *)(r + 1), crypto_tfm_ctx_alignment());
}

static struct kipsec_esp_req *esp_req_alloc(struct crypto_aead *tfm, u8 **iv)
{
	unsigned int len = sizeof(struct kipsec_esp_req) + crypto_tfm_ctx_alignment() +
			   sizeof(struct aead_request) + crypto_aead_reqsize(tfm) +
			   crypto_aead_alignmask(tfm) + max_t(unsigned int, crypto_aead_ivsize(tfm), 8);
	struct kipsec_esp_req *r = kzalloc(len, GFP_ATOMIC);
	struct aead_request *req;

	if (!r)
		return NULL;
	req = esp_req_aead(r);
	aead_request_set_tfm(req, tfm);
	*iv = PTR_ALIGN((u8 *)(req + 1) + crypto_aead_reqsize(tfm),
			crypto_aead_alignmask(tfm) + 1);
	return r;
}

/*
 * With ESN the AAD is SPI, seq_hi, seq_lo (RFC 4106 section 5, and what
 * authencesn expects), but the wire has only SPI, seq_lo: the SPI moves 4
 * bytes down over what precedes the ESP header, which is saved and put back.
 */
static void esn_aad_build(struct sk_buff *skb, struct kipsec_esp_req *r, u32 seq_hi)
{
	__be32 *w = (__be32 *)skb_push(skb, 4);

	r->saved = w[0];
	w[0] = w[1];			/* SPI */
	w[1] = htonl(seq_hi);
}

static void esn_aad_undo(struct sk_buff *skb, struct kipsec_esp_req *r)
{
	__be32 *w = (__be32 *)skb->data;

	w[1] = w[0];
	w[0] = r->saved;
	skb_pull(skb, 4);
}

/* After decryption: drop ICV and trailer, leave data at the payload. */
static int esp_decrypt_finish(struct sk_buff *skb, struct kipsec_esp_req *r,
			      unsigned int icvlen, int err)
{
	int plen;
	u8 nh;

	if (r->esn)
		esn_aad_undo(skb, r);
	if (err)
		return err == -EBADMSG ? -EBADMSG : err;
	plen = kipsec_esp_parse_trailer(skb->data + r->hlen, skb->len - r->hlen - icvlen, &nh);
	if (plen < 0)
		return plen;
	skb_pull(skb, r->hlen);
	pskb_trim(skb, plen);
	return nh;
}

static void esp_encrypt_finish(struct sk_buff *skb, struct kipsec_esp_req *r)
{
	if (r->esn)
		esn_aad_undo(skb, r);
}

static KIPSEC_CRYPTO_DONE(esp_done)
{
	struct kipsec_esp_req *r = KIPSEC_CRYPTO_DONE_DATA();
	struct crypto_aead *tfm = crypto_aead_reqtfm(esp_req_aead(r));
	struct sk_buff *skb = r->skb;
	int ret = err;

	/* A backlogged request reports progress first; the real end follows. */
	if (err == -EINPROGRESS)
		return;
	if (r->encrypt)
		esp_encrypt_finish(skb, r);
	else
		ret = esp_decrypt_finish(skb, r, crypto_aead_authsize(tfm), err);
	r->done(skb, ret, r->ctx);
	kfree(r);
}

/* The packet gets private, linear, with room for what ESP adds. */
static int esp_make_room(struct sk_buff *skb, unsigned int head, unsigned int tail)
{
	if (skb_linearize_cow(skb))
		return -ENOMEM;
	if (skb_headroom(skb) < head || skb_tailroom(skb) < tail)
		return pskb_expand_head(skb, max_t(int, head - skb_headroom(skb), 0) + 16,
					max_t(int, tail - skb_tailroom(skb), 0), GFP_ATOMIC);
	return 0;
}

static int esp_submit(struct kipsec_esp_req *r, const struct kipsec_esp_args *a,
		      unsigned int assoclen, unsigned int cryptlen, u8 *iv)
{
	struct aead_request *req = esp_req_aead(r);
	struct sk_buff *skb = r->skb;
	int err;

	r->done = a->done;
	r->ctx = a->ctx;
	sg_init_one(r->sg, skb->data, skb->len);
	aead_request_set_callback(req, CRYPTO_TFM_REQ_MAY_BACKLOG, esp_done, r);
	aead_request_set_crypt(req, r->sg, r->sg, cryptlen, iv);
	aead_request_set_ad(req, assoclen);
	err = r->encrypt ? crypto_aead_encrypt(req) : crypto_aead_decrypt(req);
	if (err == -EINPROGRESS || err == -EBUSY)
		return -EINPROGRESS;
	return err;
}

int kipsec_esp_encrypt(const struct kipsec_sa_crypto *c, struct sk_buff *skb,
		       const struct kipsec_esp_args *a)
{
	unsigned int plen = skb->len, padlen = kipsec_esp_padlen(plen, c->blksize);
	unsigned int hlen = KIPSEC_ESP_HLEN + c->ivlen, esn = a->esn ? 4 : 0;
	struct kipsec_esp_req *r;
	struct ip_esp_hdr *esph;
	__be64 seqiv;
	u8 *iv;
	int err;

	err = esp_make_room(skb, hlen + esn, padlen + KIPSEC_ESP_TRAILER_MIN + c->icvlen);
	if (err)
		return err;
	r = esp_req_alloc(c->tfm, &iv);
	if (!r)
		return -ENOMEM;
	r->skb = skb;
	r->encrypt = true;
	r->esn = a->esn;
	r->hlen = hlen;
	kipsec_esp_fill_trailer(skb_put(skb, padlen + KIPSEC_ESP_TRAILER_MIN), padlen, a->nexthdr);
	skb_put(skb, c->icvlen);
	esph = skb_push(skb, hlen);
	esph->spi = htonl(a->spi);
	esph->seq_no = htonl(lower_32_bits(a->seq));
	if (a->esn)
		esn_aad_build(skb, r, upper_32_bits(a->seq));
	/* The IV generator (seqiv/echainiv) turns the sequence number into the IV. */
	seqiv = cpu_to_be64(a->seq);
	if (c->ivlen >= sizeof(seqiv))	/* the generators read its last 8 bytes */
		memcpy(iv + c->ivlen - sizeof(seqiv), &seqiv, sizeof(seqiv));
	err = esp_submit(r, a, KIPSEC_ESP_HLEN + esn,
			 c->ivlen + plen + padlen + KIPSEC_ESP_TRAILER_MIN, iv);
	if (err == -EINPROGRESS)
		return err;
	esp_encrypt_finish(skb, r);
	kfree(r);
	return err;
}

int kipsec_esp_decrypt(const struct kipsec_sa_crypto *c, struct sk_buff *skb,
		       const struct kipsec_esp_args *a)
{
	unsigned int hlen = KIPSEC_ESP_HLEN + c->ivlen, esn = a->esn ? 4 : 0;
	struct kipsec_esp_req *r;
	int elen = skb->len - hlen - c->icvlen;
	u8 *iv;
	int err;

	if (elen <= 0 || elen % c->blksize)
		return -EINVAL;
	err = esp_make_room(skb, esn, 0);
	if (err)
		return err;
	r = esp_req_alloc(c->tfm, &iv);
	if (!r)
		return -ENOMEM;
	r->skb = skb;
	r->esn = a->esn;
	r->hlen = hlen;
	if (a->esn)
		esn_aad_build(skb, r, upper_32_bits(a->seq));
	err = esp_submit(r, a, KIPSEC_ESP_HLEN + esn, c->ivlen + elen + c->icvlen, iv);
	if (err == -EINPROGRESS)
		return err;
	err = esp_decrypt_finish(skb, r, c->icvlen, err);
	kfree(r);
	return err;
}
