/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The transforms of an SA, through the kernel crypto API only: one AEAD
 * transform, either a real AEAD (rfc4106(gcm(aes)), rfc7539esp(...)) or
 * authenc(auth,enc) built from an integrity and a cipher algorithm.
 */
#ifndef _KIPSEC_CRYPTO_H
#define _KIPSEC_CRYPTO_H

#include <linux/types.h>
#include <linux/kipsec.h>

struct crypto_aead;
struct crypto_ahash;
struct netlink_ext_ack;

/*
 * What userspace asked for, as parsed by netlink.c (names already resolved
 * from friendly names to crypto API names by crypto.c).
 */
struct kipsec_alg_params {
	char aead[KIPSEC_ALG_NAME_MAX];
	char enc[KIPSEC_ALG_NAME_MAX];
	char auth[KIPSEC_ALG_NAME_MAX];
	u8 aead_key[KIPSEC_KEY_MAX], enc_key[KIPSEC_KEY_MAX], auth_key[KIPSEC_KEY_MAX];
	u16 aead_keylen, enc_keylen, auth_keylen;	/* bytes */
	u16 aead_icv_bits, auth_trunc_bits;
	bool esn;	/* from KIPSEC_SAF_ESN: authenc becomes authencesn */
	bool legacy;	/* set by resolve: 3des/blowfish/md5, the tool warns */
	bool no_integrity;	/* set by resolve: digest_null, a 0-byte ICV */
};

struct kipsec_sa_crypto {
	struct crypto_aead *tfm;	/* ESP */
	struct crypto_ahash *ahash;	/* AH (ah.c): the HMAC; tfm is NULL */
	struct kipsec_alg_params *params;	/* kept for dumps; keys wiped on free */
	u16 ivlen;		/* bytes of IV on the wire */
	u16 icvlen;		/* bytes of ICV */
	u16 blksize;		/* padding alignment (>= 4) */
	bool null_enc;		/* ecb(cipher_null): no IV */
};

/*
 * Allocates and keys the transform for proto (ESP or AH).  On error the
 * extack names the algorithm and what is wrong (unknown, not available in
 * this kernel, wrong key length, bad ICV length).  On success c owns p
 * (kmalloc'ed by the caller) and kipsec_crypto_free() wipes and frees it; on
 * error p stays the caller's.
 */
int kipsec_crypto_init(struct kipsec_sa_crypto *c, u8 proto,
		       struct kipsec_alg_params *p, struct netlink_ext_ack *extack);
void kipsec_crypto_free(struct kipsec_sa_crypto *c);

/*
 * Rewrites friendly names ("aes-gcm-16", "hmac-sha256", ...) in p to crypto
 * API names and checks that the combination makes sense for ESP.  Called by
 * kipsec_crypto_init(); netlink.c may call it earlier to echo the names.
 */
int kipsec_crypto_resolve(struct kipsec_alg_params *p, struct netlink_ext_ack *extack);
/* The integrity part of it (friendly name, default truncation), for AH too. */
int kipsec_crypto_resolve_auth(struct kipsec_alg_params *p, struct netlink_ext_ack *extack);

#endif
