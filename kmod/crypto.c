// SPDX-License-Identifier: GPL-2.0
/*
 * SA transforms through the kernel crypto API.  Every ESP SA has exactly one
 * AEAD transform: a real AEAD (GCM, ChaCha20-Poly1305) or the kernel's
 * authenc/authencesn wrapper around a cipher and an HMAC, so that the packet
 * path has a single code path (and the same wire format as esp4/esp6).
 */
#include <crypto/aead.h>
#include <crypto/authenc.h>
#include <linux/rtnetlink.h>
#include <linux/in.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <net/netlink.h>
#include "compat.h"
#include "crypto.h"
#include "ah.h"

struct kipsec_alg_alias {
	const char *friendly;
	const char *kernel;
};

static const struct kipsec_alg_alias aead_aliases[] = {
	{ "aes-gcm-16", "rfc4106(gcm(aes))" },
	{ "aes-gcm", "rfc4106(gcm(aes))" },
	{ "chacha20-poly1305", "rfc7539esp(chacha20,poly1305)" },
	{}
};

static const struct kipsec_alg_alias enc_aliases[] = {
	{ "aes-cbc", "cbc(aes)" },
	{ "aes", "cbc(aes)" },
	{ "null", "ecb(cipher_null)" },
	{ "cipher_null", "ecb(cipher_null)" },
	{ "3des-cbc", "cbc(des3_ede)" },
	{ "des3_ede", "cbc(des3_ede)" },
	{ "blowfish-cbc", "cbc(blowfish)" },
	{ "blowfish", "cbc(blowfish)" },
	{}
};

/* Ciphers accepted only with a warning from the tool (64-bit blocks). */
static const char *const legacy_enc[] = { "cbc(des3_ede)", "cbc(blowfish)", NULL };

/* Integrity algorithms with their RFC truncation (bits) when none is given. */
struct kipsec_auth_alg {
	const char *friendly;
	const char *kernel;
	u16 trunc_bits;
	bool legacy;
};

static const struct kipsec_auth_alg auth_algs[] = {
	{ "hmac-sha256", "hmac(sha256)", 128 },
	{ "sha256", "hmac(sha256)", 128 },
	{ "hmac-sha384", "hmac(sha384)", 192 },
	{ "sha384", "hmac(sha384)", 192 },
	{ "hmac-sha512", "hmac(sha512)", 256 },
	{ "sha512", "hmac(sha512)", 256 },
	{ "hmac-sha1", "hmac(sha1)", 96 },
	{ "sha1", "hmac(sha1)", 96 },
	{ "hmac-md5", "hmac(md5)", 96, true },
	{ "md5", "hmac(md5)", 96, true },
	/* No integrity: ESP with encryption only, a 0-byte ICV (as XFRM). */
	{ "null", "digest_null", 0 },
	{}
};

static void resolve_alias(char *name, const struct kipsec_alg_alias *a)
{
	for (; a->friendly; a++) {
		if (!strcmp(name, a->friendly)) {
			strscpy(name, a->kernel, KIPSEC_ALG_NAME_MAX);
			return;
		}
	}
}

static const struct kipsec_auth_alg *auth_lookup(const char *kernel)
{
	const struct kipsec_auth_alg *a;

	for (a = auth_algs; a->friendly; a++)
		if (!strcmp(kernel, a->kernel))
			return a;
	return NULL;
}

int kipsec_crypto_resolve_auth(struct kipsec_alg_params *p, struct netlink_ext_ack *extack)
{
	const struct kipsec_auth_alg *a;

	for (a = auth_algs; a->friendly; a++) {
		if (!strcmp(p->auth, a->friendly)) {
			strscpy(p->auth, a->kernel, sizeof(p->auth));
			break;
		}
	}
	a = auth_lookup(p->auth);
	if (!a) {
		NL_SET_ERR_MSG_FMT_MOD(extack,
				       "KIPSEC_A_SA_AUTH_ALG: unknown integrity algorithm \"%s\" (expected hmac(sha256|sha384|sha512|sha1), digest_null or a friendly name)",
				       p->auth);
		return -EINVAL;
	}
	if (!a->trunc_bits) {
		if (p->auth_keylen || p->auth_trunc_bits) {
			NL_SET_ERR_MSG_MOD(extack,
					   "KIPSEC_A_SA_AUTH_ALG: digest_null takes no key and no truncation");
			return -EINVAL;
		}
		p->no_integrity = true;
	}
	if (a->legacy)
		p->legacy = true;
	if (!p->auth_trunc_bits)
		p->auth_trunc_bits = a->trunc_bits;
	return 0;
}

int kipsec_crypto_resolve(struct kipsec_alg_params *p, struct netlink_ext_ack *extack)
{
	const char *const *l;
	int err;

	if (p->aead[0]) {
		if (p->enc[0] || p->auth[0]) {
			NL_SET_ERR_MSG_MOD(extack,
					   "KIPSEC_A_SA_AEAD_ALG excludes KIPSEC_A_SA_ENC_ALG and KIPSEC_A_SA_AUTH_ALG");
			return -EINVAL;
		}
		resolve_alias(p->aead, aead_aliases);
		if (!p->aead_icv_bits)
			p->aead_icv_bits = 128;
		return 0;
	}
	/* Encryption without integrity: the null digest, as XFRM does it. */
	if (!p->auth[0])
		strscpy(p->auth, "digest_null", sizeof(p->auth));
	if (!p->enc[0])
		strscpy(p->enc, "ecb(cipher_null)", sizeof(p->enc));
	resolve_alias(p->enc, enc_aliases);
	for (l = legacy_enc; *l; l++)
		if (!strcmp(p->enc, *l))
			p->legacy = true;
	err = kipsec_crypto_resolve_auth(p, extack);
	if (!err && p->no_integrity && !strcmp(p->enc, "ecb(cipher_null)")) {
		NL_SET_ERR_MSG_MOD(extack,
				   "ESP needs an encryption or an integrity algorithm (found null and digest_null)");
		err = -EINVAL;
	}
	return err;
}

/* authenc keys: an rtattr carrying the cipher key length, then both keys. */
static int authenc_setkey(struct crypto_aead *tfm, const struct kipsec_alg_params *p)
{
	struct crypto_authenc_key_param *param;
	unsigned int len;
	struct rtattr *rta;
	u8 *key;
	int err;

	len = RTA_SPACE(sizeof(*param)) + p->auth_keylen + p->enc_keylen;
	key = kmalloc(len, GFP_KERNEL);
	if (!key)
		return -ENOMEM;
	rta = (struct rtattr *)key;
	rta->rta_type = CRYPTO_AUTHENC_KEYA_PARAM;
	rta->rta_len = RTA_LENGTH(sizeof(*param));
	param = RTA_DATA(rta);
	param->enckeylen = cpu_to_be32(p->enc_keylen);
	memcpy(key + RTA_SPACE(sizeof(*param)), p->auth_key, p->auth_keylen);
	memcpy(key + RTA_SPACE(sizeof(*param)) + p->auth_keylen, p->enc_key, p->enc_keylen);
	err = crypto_aead_setkey(tfm, key, len);
	kfree_sensitive(key);
	return err;
}

static struct crypto_aead *alloc_tfm(const char *name, const char *attr,
				     struct netlink_ext_ack *extack)
{
	struct crypto_aead *tfm = crypto_alloc_aead(name, 0, 0);

	if (IS_ERR(tfm))
		NL_SET_ERR_MSG_FMT_MOD(extack,
				       "%s: \"%s\" unavailable (%ld)",
				       attr, name, PTR_ERR(tfm));
	return tfm;
}

static int init_aead(struct kipsec_sa_crypto *c, struct kipsec_alg_params *p,
		     struct netlink_ext_ack *extack)
{
	int err;

	char name[KIPSEC_ALG_NAME_MAX];

	/*
	 * seqiv derives the IV from the sequence number, as esp4/esp6 do for
	 * counter-mode AEADs: unique per packet without a random number.
	 */
	if (snprintf(name, sizeof(name), "seqiv(%s)", p->aead) >= sizeof(name)) {
		NL_SET_ERR_MSG_MOD(extack, "KIPSEC_A_SA_AEAD_ALG: algorithm name too long");
		return -EINVAL;
	}
	c->tfm = alloc_tfm(name, "KIPSEC_A_SA_AEAD_ALG", extack);
	if (IS_ERR(c->tfm))
		return PTR_ERR(c->tfm);
	err = crypto_aead_setkey(c->tfm, p->aead_key, p->aead_keylen);
	if (err) {
		NL_SET_ERR_MSG_FMT_MOD(extack,
				       "KIPSEC_A_SA_AEAD_KEY: %u bytes is not a valid key for %s (key and 4-byte salt: 20/36 for AES-GCM, 36 for ChaCha20-Poly1305)",
				       p->aead_keylen, p->aead);
		return err;
	}
	err = crypto_aead_setauthsize(c->tfm, p->aead_icv_bits / 8);
	if (err || p->aead_icv_bits % 8) {
		NL_SET_ERR_MSG_FMT_MOD(extack,
				       "KIPSEC_A_SA_AEAD_ICV: %u bits is not valid for %s (expected 64, 96 or 128)",
				       p->aead_icv_bits, p->aead);
		return err ?: -EINVAL;
	}
	return 0;
}

static int init_authenc(struct kipsec_sa_crypto *c, struct kipsec_alg_params *p,
			struct netlink_ext_ack *extack)
{
	char name[KIPSEC_ALG_NAME_MAX];
	int err;

	bool null_enc = !strcmp(p->enc, "ecb(cipher_null)");

	/*
	 * CBC needs an unpredictable IV: echainiv (encrypted sequence number)
	 * as esp4/esp6 use; the null cipher has no IV at all.
	 */
	if (snprintf(name, sizeof(name), "%s%s(%s,%s)%s", null_enc ? "" : "echainiv(",
		     p->esn ? "authencesn" : "authenc", p->auth, p->enc,
		     null_enc ? "" : ")") >= sizeof(name)) {
		NL_SET_ERR_MSG_MOD(extack, "KIPSEC_A_SA_ENC_ALG: algorithm names too long");
		return -EINVAL;
	}
	c->tfm = alloc_tfm(name, "KIPSEC_A_SA_ENC_ALG/KIPSEC_A_SA_AUTH_ALG", extack);
	if (IS_ERR(c->tfm))
		return PTR_ERR(c->tfm);
	err = authenc_setkey(c->tfm, p);
	if (err) {
		NL_SET_ERR_MSG_FMT_MOD(extack,
				       "KIPSEC_A_SA_ENC_KEY: %u bytes is not a valid key for %s (expected 16, 24 or 32 for AES, 24 for 3DES, 5 to 56 for Blowfish, 0 for null)",
				       p->enc_keylen, p->enc);
		return err;
	}
	err = crypto_aead_setauthsize(c->tfm, p->auth_trunc_bits / 8);
	if (err || p->auth_trunc_bits % 8) {
		NL_SET_ERR_MSG_FMT_MOD(extack,
				       "KIPSEC_A_SA_AUTH_TRUNC: %u bits is not valid for %s (expected a multiple of 8 up to the digest size)",
				       p->auth_trunc_bits, p->auth);
		return err ?: -EINVAL;
	}
	return 0;
}

int kipsec_crypto_init(struct kipsec_sa_crypto *c, u8 proto,
		       struct kipsec_alg_params *p, struct netlink_ext_ack *extack)
{
	int err;

	memset(c, 0, sizeof(*c));
	if (proto == IPPROTO_AH)
		return kipsec_ah_crypto_init(c, p, extack);
	err = kipsec_crypto_resolve(p, extack);
	if (err)
		return err;
	err = p->aead[0] ? init_aead(c, p, extack) : init_authenc(c, p, extack);
	if (err) {
		if (!IS_ERR(c->tfm))
			crypto_free_aead(c->tfm);
		c->tfm = NULL;
		return err;
	}
	c->params = p;
	c->ivlen = crypto_aead_ivsize(c->tfm);
	c->icvlen = crypto_aead_authsize(c->tfm);
	/* ESP pads to the cipher block and never to less than 4 bytes. */
	c->blksize = ALIGN(crypto_aead_blocksize(c->tfm), 4);
	c->null_enc = !p->aead[0] && !strcmp(p->enc, "ecb(cipher_null)");
	return 0;
}

void kipsec_crypto_free(struct kipsec_sa_crypto *c)
{
	if (c->tfm)
		crypto_free_aead(c->tfm);
	c->tfm = NULL;
	kipsec_ah_crypto_free(c);
	kfree_sensitive(c->params);	/* owned since a successful init */
	c->params = NULL;
}
