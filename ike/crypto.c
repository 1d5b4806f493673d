// SPDX-License-Identifier: GPL-2.0
/*
 * Everything cryptographic goes through OpenSSL 3's EVP API: key exchange
 * (MODP 2048, ECP 256/384, Curve25519), HMAC-SHA2 PRFs, prf+ (RFC 7296
 * 2.13), and the SK payload (AES-CBC + HMAC-SHA2, AES-GCM-16, RFC 5282).
 *
 * What OpenSSL would look up or build again on every call is made once and
 * kept for the daemon's life: the key generation context of each group
 * (with its curve or prime already set up), the HMAC of each digest, the
 * ciphers.  The one-shot functions (HMAC(), EVP_PKEY_Q_keygen, a cipher
 * from EVP_aes_*()) fetch their algorithm from the provider, and key
 * generation builds its group from the curve's name, each time.
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include "kiked.h"

struct dh {
	uint16_t group;
	EVP_PKEY *key;
};

void wipe(void *p, size_t len)
{
	OPENSSL_cleanse(p, len);
}

int rand_bytes(void *p, size_t len)
{
	return RAND_bytes(p, (int)len) == 1 ? 0 : -1;
}

size_t dh_pub_len(uint16_t group)
{
	switch (group) {
	case DH_MODP2048: return 256;
	case DH_ECP256: return 64;
	case DH_ECP384: return 96;
	case DH_CURVE25519: return 32;
	}
	return 0;
}

/* The key generation context of a group, made once: its group (curve,
 * prime) is set up when the context is, not for each key. */
static EVP_PKEY_CTX *keygen_ctx(uint16_t group)
{
	static const struct { uint16_t group; const char *alg, *name; } gs[] = {
		{ DH_MODP2048, "DH", "modp_2048" },
		{ DH_ECP256, "EC", "P-256" },
		{ DH_ECP384, "EC", "P-384" },
		{ DH_CURVE25519, "X25519", NULL },
	};
	static EVP_PKEY_CTX *ctx[sizeof(gs) / sizeof(gs[0])];

	for (size_t i = 0; i < sizeof(gs) / sizeof(gs[0]); i++) {
		OSSL_PARAM p[] = {
			OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
					       (char *)gs[i].name, 0),
			OSSL_PARAM_END
		};

		if (gs[i].group != group)
			continue;
		if (ctx[i])
			return ctx[i];
		ctx[i] = EVP_PKEY_CTX_new_from_name(NULL, gs[i].alg, NULL);
		if (!ctx[i] || EVP_PKEY_keygen_init(ctx[i]) != 1 ||
		    (gs[i].name && EVP_PKEY_CTX_set_params(ctx[i], p) != 1)) {
			EVP_PKEY_CTX_free(ctx[i]);
			ctx[i] = NULL;
		}
		return ctx[i];
	}
	return NULL;
}

struct dh *dh_new(uint16_t group)
{
	EVP_PKEY_CTX *ctx = keygen_ctx(group);
	struct dh *d;

	if (!ctx)
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->group = group;
	if (EVP_PKEY_generate(ctx, &d->key) != 1) {
		EVP_PKEY_free(d->key);
		free(d);
		return NULL;
	}
	return d;
}

void dh_free(struct dh *d)
{
	if (!d)
		return;
	EVP_PKEY_free(d->key);
	free(d);
}

/* The KE payload's data: MODP left-padded to the prime's size, ECP as x|y
 * without the 0x04 point-format byte (RFC 5903 7), X25519 raw. */
int dh_public(struct dh *d, struct buf *pub)
{
	uint8_t tmp[512];
	size_t len = 0, want = dh_pub_len(d->group);

	if (d->group == DH_MODP2048) {
		BIGNUM *bn = NULL;

		if (!EVP_PKEY_get_bn_param(d->key, OSSL_PKEY_PARAM_PUB_KEY, &bn))
			return -1;
		BN_bn2binpad(bn, tmp, (int)want);
		BN_free(bn);
		return buf_set(pub, tmp, want);
	}
	if (!EVP_PKEY_get_octet_string_param(d->key,
			OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, tmp, sizeof(tmp), &len))
		return -1;
	if (d->group == DH_CURVE25519)
		return len == want ? buf_set(pub, tmp, len) : -1;
	if (len != want + 1 || tmp[0] != 0x04)
		return -1;
	return buf_set(pub, tmp + 1, want);
}

static EVP_PKEY *peer_key(struct dh *d, const uint8_t *p, size_t len)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pk = NULL;
	BIGNUM *bn = NULL;
	uint8_t tmp[512];

	if (len != dh_pub_len(d->group))
		return NULL;
	if (d->group == DH_CURVE25519)
		return EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, p, len);
	if (d->group != DH_MODP2048) {
		/* Our key's curve (copied, not built again from its name); the
		 * point is checked to be on it (EC_POINT_oct2point). */
		tmp[0] = 0x04;
		memcpy(tmp + 1, p, len);
		pk = EVP_PKEY_new();
		if (!pk || EVP_PKEY_copy_parameters(pk, d->key) != 1 ||
		    EVP_PKEY_set1_encoded_public_key(pk, tmp, len + 1) != 1) {
			EVP_PKEY_free(pk);
			pk = NULL;
		}
		return pk;
	}
	bld = OSSL_PARAM_BLD_new();
	if (!bld)
		return NULL;
	bn = BN_bin2bn(p, (int)len, NULL);
	if (!bn || !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
						    "modp_2048", 0) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, bn))
		goto out;
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
	params = OSSL_PARAM_BLD_to_param(bld);
	if (!ctx || !params || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pk = NULL;
out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	BN_free(bn);
	return pk;
}

/* g^ir: for MODP left-padded to 256 bytes, for ECP the x coordinate. */
int dh_shared(struct dh *d, const uint8_t *peer, size_t plen, struct buf *out)
{
	EVP_PKEY *pk = peer_key(d, peer, plen);
	EVP_PKEY_CTX *ctx = NULL;
	uint8_t sec[512];
	size_t len = sizeof(sec);
	int ret = -1;

	if (!pk)
		return -1;
	/* A full public key check only for MODP (1 < y < p - 1 and the
	 * subgroup): an ECP point is on its curve (peer_key) and the NIST
	 * curves have cofactor 1, where the check's n * Q = O is a second
	 * scalar multiplication for nothing; X25519 needs none (RFC 7748). */
	ctx = EVP_PKEY_CTX_new(d->key, NULL);
	if (!ctx || EVP_PKEY_derive_init(ctx) != 1 ||
	    EVP_PKEY_derive_set_peer_ex(ctx, pk, d->group == DH_MODP2048) != 1 ||
	    EVP_PKEY_derive(ctx, sec, &len) != 1)
		goto out;
	if (d->group == DH_MODP2048 && len < 256) {
		memmove(sec + 256 - len, sec, len);
		memset(sec, 0, 256 - len);
		len = 256;
	}
	ret = buf_set(out, sec, len);
out:
	wipe(sec, sizeof(sec));
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	return ret;
}

static const EVP_MD *prf_md(uint16_t p)
{
	switch (p) {
	case PRF_HMAC_SHA2_256: return EVP_sha256();
	case PRF_HMAC_SHA2_384: return EVP_sha384();
	case PRF_HMAC_SHA2_512: return EVP_sha512();
	}
	return NULL;
}

size_t prf_len(uint16_t p)
{
	const EVP_MD *md = prf_md(p);

	return md ? (size_t)EVP_MD_get_size(md) : 0;
}

/* HMAC-SHA2 with an osz-byte (32, 48, 64) digest over data into out: a
 * copy of that digest's HMAC context, made once, keyed for this call. */
static int hmac(size_t osz, const uint8_t *key, size_t klen,
		const uint8_t *data, size_t dlen, uint8_t *out)
{
	static EVP_MAC_CTX *tmpl[3];
	static const char *const names[3] = { "SHA2-256", "SHA2-384", "SHA2-512" };
	int i = osz == 32 ? 0 : osz == 48 ? 1 : osz == 64 ? 2 : -1;
	size_t ol = 0;
	EVP_MAC_CTX *c;
	int ret = -1;

	if (i < 0)
		return -1;
	if (!tmpl[i]) {
		EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
		OSSL_PARAM prm[] = {
			OSSL_PARAM_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)names[i], 0),
			OSSL_PARAM_END
		};

		tmpl[i] = mac ? EVP_MAC_CTX_new(mac) : NULL;
		EVP_MAC_free(mac);	/* the context holds its own reference */
		if (tmpl[i] && EVP_MAC_CTX_set_params(tmpl[i], prm) != 1) {
			EVP_MAC_CTX_free(tmpl[i]);
			tmpl[i] = NULL;
		}
		if (!tmpl[i])
			return -1;
	}
	c = EVP_MAC_CTX_dup(tmpl[i]);
	if (c && EVP_MAC_init(c, key, klen, NULL) == 1 &&
	    EVP_MAC_update(c, data, dlen) == 1 &&
	    EVP_MAC_final(c, out, &ol, osz) == 1 && ol == osz)
		ret = 0;
	EVP_MAC_CTX_free(c);
	return ret;
}

int prf(uint16_t p, const uint8_t *key, size_t klen, const uint8_t *data,
	size_t dlen, uint8_t *out)
{
	return hmac(prf_len(p), key, klen, data, dlen, out);
}

/* prf+ (RFC 7296 2.13): T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n). */
int prf_plus(uint16_t p, const uint8_t *key, size_t klen, const uint8_t *seed,
	     size_t slen, uint8_t *out, size_t outlen)
{
	size_t hl = prf_len(p), done = 0;
	uint8_t t[64], *in;
	size_t inlen = 0;
	int ret = -1;

	if (!hl || outlen > 255 * hl)
		return -1;
	in = malloc(hl + slen + 1);
	if (!in)
		return -1;
	for (unsigned int n = 1; done < outlen; n++) {
		size_t take;

		inlen = 0;
		if (n > 1) {
			memcpy(in, t, hl);
			inlen = hl;
		}
		memcpy(in + inlen, seed, slen);
		inlen += slen;
		in[inlen++] = (uint8_t)n;
		if (prf(p, key, klen, in, inlen, t))
			goto out;
		take = outlen - done < hl ? outlen - done : hl;
		memcpy(out + done, t, take);
		done += take;
	}
	ret = 0;
out:
	wipe(t, sizeof(t));
	wipe(in, hl + slen + 1);
	free(in);
	return ret;
}

static const EVP_MD *integ_md(uint16_t i)
{
	switch (i) {
	case AUTH_HMAC_SHA2_256_128: return EVP_sha256();
	case AUTH_HMAC_SHA2_384_192: return EVP_sha384();
	case AUTH_HMAC_SHA2_512_256: return EVP_sha512();
	}
	return NULL;
}

size_t integ_key_len(uint16_t i)
{
	const EVP_MD *md = integ_md(i);

	return md ? (size_t)EVP_MD_get_size(md) : 0;
}

size_t integ_icv_len(uint16_t i)
{
	return integ_key_len(i) / 2;
}

size_t encr_key_len(const struct suite *s)
{
	return s->encr_keylen / 8u + (s->encr == ENCR_AES_GCM_16 ? 4u : 0u);
}

/* Fetched once: EVP_aes_*() would be fetched again by every init. */
static EVP_CIPHER *cipher(uint16_t encr, uint16_t bits)
{
	static const char *const names[2][3] = {
		{ "AES-128-CBC", "AES-192-CBC", "AES-256-CBC" },
		{ "AES-128-GCM", "AES-192-GCM", "AES-256-GCM" },
	};
	static EVP_CIPHER *c[2][3];
	int g = encr == ENCR_AES_GCM_16, k = bits == 128 ? 0 : bits == 192 ? 1 : 2;

	if (!c[g][k])
		c[g][k] = EVP_CIPHER_fetch(NULL, names[g][k], NULL);
	return c[g][k];
}

/* Run a cipher over in[0..len) into out; for GCM also AAD and tag. */
static int run_cipher(const struct sk_keys *k, bool enc, const uint8_t *iv,
		      const uint8_t *aad, size_t aadlen, const uint8_t *in,
		      size_t len, uint8_t *out, uint8_t *tag)
{
	bool gcm = k->encr == ENCR_AES_GCM_16;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t nonce[12];
	int ol = 0, ret = -1;

	if (!c)
		return -1;
	if (gcm) {
		memcpy(nonce, k->ek + k->encr_keylen / 8, 4);
		memcpy(nonce + 4, iv, 8);
	}
	if (!cipher(k->encr, k->encr_keylen) ||
	    EVP_CipherInit_ex(c, cipher(k->encr, k->encr_keylen), NULL, k->ek,
			      gcm ? nonce : iv, enc) != 1)
		goto out;
	EVP_CIPHER_CTX_set_padding(c, 0);
	if (gcm && aadlen && EVP_CipherUpdate(c, NULL, &ol, aad, (int)aadlen) != 1)
		goto out;
	if (gcm && !enc &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag) != 1)
		goto out;
	if (EVP_CipherUpdate(c, out, &ol, in, (int)len) != 1)
		goto out;
	if (EVP_CipherFinal_ex(c, out + ol, &ol) != 1)
		goto out;
	if (gcm && enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) != 1)
		goto out;
	ret = 0;
out:
	EVP_CIPHER_CTX_free(c);
	return ret;
}

static int hmac_icv(const struct sk_keys *k, const uint8_t *p, size_t len,
		    uint8_t *icv)
{
	uint8_t full[64];

	if (hmac(integ_key_len(k->integ), k->ak, integ_key_len(k->integ),
		 p, len, full))
		return -1;
	memcpy(icv, full, integ_icv_len(k->integ));
	return 0;
}

int sk_seal(struct msg_builder *b, const struct sk_keys *k, uint8_t first,
	    const uint8_t *inner, size_t inner_len)
{
	bool gcm = k->encr == ENCR_AES_GCM_16;
	size_t ivl = gcm ? 8 : 16, icvl = gcm ? 16 : integ_icv_len(k->integ);
	size_t plen = gcm ? inner_len + 1 : (inner_len + 1 + 15) / 16 * 16;
	size_t skh = b->len, total = b->len + 4 + ivl + plen + icvl;
	uint8_t *plain, *iv, *ct;
	int ret = -1;

	if (total > sizeof(b->buf) || b->overflow)
		return -1;
	plain = calloc(1, plen);
	if (!plain)
		return -1;
	memcpy(plain, inner, inner_len);
	plain[plen - 1] = (uint8_t)(plen - 1 - inner_len);
	b->buf[16] = PL_SK;
	b->buf[24] = (uint8_t)(total >> 24);
	b->buf[25] = (uint8_t)(total >> 16);
	b->buf[26] = (uint8_t)(total >> 8);
	b->buf[27] = (uint8_t)total;
	b->buf[skh] = first;
	b->buf[skh + 1] = 0;
	b->buf[skh + 2] = (uint8_t)((total - skh) >> 8);
	b->buf[skh + 3] = (uint8_t)(total - skh);
	iv = b->buf + skh + 4;
	ct = iv + ivl;
	if (rand_bytes(iv, ivl))
		goto out;
	if (run_cipher(k, true, iv, b->buf, skh + 4, plain, plen, ct,
		       ct + plen))
		goto out;
	if (!gcm && hmac_icv(k, b->buf, total - icvl, ct + plen))
		goto out;
	b->len = total;
	ret = 0;
out:
	wipe(plain, plen);
	free(plain);
	return ret;
}

/* Verify and decrypt the SK payload, then parse the inner payload chain. */
int sk_open(struct ike_msg *m, const struct sk_keys *k)
{
	bool gcm = k->encr == ENCR_AES_GCM_16;
	size_t ivl = gcm ? 8 : 16, icvl = gcm ? 16 : integ_icv_len(k->integ);
	const uint8_t *iv, *ct;
	size_t ctlen, pad;
	uint8_t icv[64];

	if (!m->sk_len || m->sk_len < 4 + ivl + icvl + 1)
		return -1;
	if (m->sk_off + m->sk_len != m->raw_len)
		return -1;
	iv = m->raw + m->sk_off + 4;
	ct = iv + ivl;
	ctlen = m->sk_len - 4 - ivl - icvl;
	if (!gcm) {
		if (ctlen % 16)
			return -1;
		if (hmac_icv(k, m->raw, m->raw_len - icvl, icv) ||
		    CRYPTO_memcmp(icv, ct + ctlen, icvl))
			return -1;
	}
	m->plain = malloc(ctlen + 16);
	if (!m->plain)
		return -1;
	m->plain_len = ctlen;
	if (run_cipher(k, false, iv, m->raw, m->sk_off + 4, ct, ctlen, m->plain,
		       (uint8_t *)ct + ctlen))
		return -1;
	pad = m->plain[ctlen - 1];
	if (pad + 1 > ctlen)
		return -1;
	return msg_parse_chain(m, m->sk_next, m->plain, ctlen - pad - 1, true);
}
