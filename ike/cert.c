// SPDX-License-Identifier: GPL-2.0
/*
 * Certificate authentication (RFC 7296 3.6-3.8, RFC 7427) through OpenSSL:
 * our certificate and private key, trust anchors from a directory, the
 * CERT/CERTREQ payloads, Digital Signature AUTH (method 14) and the peer's
 * chain, identity and signature checks.  Each refusal is one log line.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include "kiked.h"

const char *g_cacerts = "/etc/kipsec/cacerts";
const char *g_certdir = "/etc/kipsec";

#define MAX_KEYS 8
static EVP_PKEY *keys[MAX_KEYS];
static int nkeys;
static X509_STORE *store;
static STACK_OF(X509) *anchors;

/* Relative paths are under g_certdir/SUB (strongSwan: /etc/ipsec.d/SUB). */
static void cert_path(const char *f, const char *sub, char *out, size_t len)
{
	if (f[0] == '/')
		snprintf(out, len, "%s", f);
	else
		snprintf(out, len, "%s/%s/%s", g_certdir, sub, f);
}

void cert_keys_clear(void)
{
	while (nkeys)
		EVP_PKEY_free(keys[--nkeys]);
}

int cert_key_load(const char *file)
{
	char p[512];
	FILE *f;
	EVP_PKEY *k;

	cert_path(file, "private", p, sizeof(p));
	f = fopen(p, "r");
	if (!f) {
		logm(SS_CFG, L_ERR, "%s: cannot open private key", p);
		return -1;
	}
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!k || nkeys >= MAX_KEYS) {
		logm(SS_CFG, L_ERR, "%s: not a PEM private key (or more than %d keys)", p, MAX_KEYS);
		EVP_PKEY_free(k);
		return -1;
	}
	keys[nkeys++] = k;
	return 0;
}

static X509 *pem_cert(const char *p)
{
	FILE *f = fopen(p, "r");
	X509 *x;

	if (!f)
		return NULL;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	return x;
}

/* Trust anchors: every PEM certificate in g_cacerts, loaded once. */
static X509_STORE *cert_store(void)
{
	DIR *d;
	struct dirent *e;

	if (store)
		return store;
	store = X509_STORE_new();
	anchors = sk_X509_new_null();
	d = opendir(g_cacerts);
	if (!d) {
		logm(SS_CFG, L_WARN, "%s: no CA directory: no trust anchors", g_cacerts);
		return store;
	}
	while ((e = readdir(d))) {
		char p[512];
		X509 *x;

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", g_cacerts, e->d_name);
		x = pem_cert(p);
		if (!x) {
			logm(SS_CFG, L_WARN, "%s: not a PEM certificate, ignored", p);
			continue;
		}
		X509_STORE_add_cert(store, x);
		sk_X509_push(anchors, x);
	}
	closedir(d);
	logm(SS_CFG, L_INFO, "loaded %d trust anchors from %s", sk_X509_num(anchors), g_cacerts);
	return store;
}

static void name_str(const X509_NAME *n, char *out, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	int l;

	X509_NAME_print_ex(b, n, 0, XN_FLAG_SEP_CPLUS_SPC | ASN1_STRFLGS_RFC2253);
	l = BIO_read(b, out, (int)len - 1);
	out[l > 0 ? l : 0] = 0;
	BIO_free(b);
}

int dn_to_der(const char *s, uint8_t *out, size_t *len)
{
	X509_NAME *n = X509_NAME_new();
	char buf[256], *save = NULL;
	unsigned char *p = NULL;
	int l, ret = -1;

	snprintf(buf, sizeof(buf), "%s", s);
	for (char *t = strtok_r(buf, ",/", &save); t; t = strtok_r(NULL, ",/", &save)) {
		char *eq = strchr(t, '=');

		while (*t == ' ')
			t++;
		if (!eq)
			goto out;
		*eq = 0;
		if (!X509_NAME_add_entry_by_txt(n, t, MBSTRING_UTF8,
						(unsigned char *)eq + 1, -1, -1, 0))
			goto out;
	}
	l = i2d_X509_NAME(n, &p);
	if (l > 0 && (size_t)l <= *len) {
		memcpy(out, p, (size_t)l);
		*len = (size_t)l;
		ret = 0;
	}
out:
	OPENSSL_free(p);
	X509_NAME_free(n);
	return ret;
}

void dn_str(const uint8_t *der, size_t len, char *out, size_t olen)
{
	const unsigned char *p = der;
	X509_NAME *n = d2i_X509_NAME(NULL, &p, (long)len);

	if (!n) {
		snprintf(out, olen, "(bad DN)");
		return;
	}
	name_str(n, out, olen);
	X509_NAME_free(n);
}

/* Our certificate; leftid defaults to its subject DN. */
int cert_conn_load(struct conn *c)
{
	char p[512];
	X509 *x;

	if (c->lpub || c->rpub)
		cert_store();	/* before dropping privileges */
	if (!c->leftcert[0])
		return 0;
	cert_path(c->leftcert, "certs", p, sizeof(p));
	x = pem_cert(p);
	if (!x) {
		logm(SS_CFG, L_ERR, "conn %s: leftcert=%s: cannot read a PEM certificate", c->name, p);
		return -1;
	}
	c->cert = x;
	if (!c->leftid[0]) {
		name_str(X509_get_subject_name(x), c->leftid, sizeof(c->leftid));
		c->leftid_cert = true;
	}
	return 0;
}

/* The subject as encoded in the certificate (string types kept). */
int cert_subject_id(const struct conn *c, struct ike_id *id)
{
	unsigned char *d = NULL;
	int l = i2d_X509_NAME(X509_get_subject_name(c->cert), &d);

	if (l <= 0 || (size_t)l > sizeof(id->data)) {
		OPENSSL_free(d);
		return -1;
	}
	id->type = ID_DER_ASN1_DN;
	id->len = (size_t)l;
	memcpy(id->data, d, (size_t)l);
	OPENSSL_free(d);
	return 0;
}

static EVP_PKEY *our_key(const struct conn *c)
{
	for (int i = 0; i < nkeys; i++)
		if (X509_check_private_key(c->cert, keys[i]))
			return keys[i];
	return NULL;
}

void cert_put_cert(struct msg_builder *b, const struct conn *c)
{
	unsigned char *d = NULL;
	int l = i2d_X509(c->cert, &d);
	size_t s;

	if (l <= 0)
		return;
	s = mb_pl_begin(b, PL_CERT);
	mb_u8(b, CERT_X509_SIG);
	mb_put(b, d, (size_t)l);
	mb_pl_end(b, s);
	OPENSSL_free(d);
}

/* CERTREQ: SHA-1 of each trust anchor's SubjectPublicKeyInfo (3.7). */
void cert_put_certreq(struct msg_builder *b)
{
	X509_STORE *st = cert_store();
	size_t s;

	if (!st || !sk_X509_num(anchors))
		return;
	s = mb_pl_begin(b, PL_CERTREQ);
	mb_u8(b, CERT_X509_SIG);
	for (int i = 0; i < sk_X509_num(anchors); i++) {
		unsigned char *d = NULL, h[SHA_DIGEST_LENGTH];
		int l = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(sk_X509_value(anchors, i)), &d);

		if (l > 0) {
			SHA1(d, (size_t)l, h);
			mb_put(b, h, sizeof(h));
		}
		OPENSSL_free(d);
	}
	mb_pl_end(b, s);
}

/* RFC 7427 3: AUTH data = len | AlgorithmIdentifier | signature. */
int cert_sign(const struct conn *c, const uint8_t *oct, size_t ol,
	      struct buf *out, const char **why)
{
	EVP_PKEY *k = our_key(c);
	EVP_MD_CTX *ctx = NULL;
	X509_ALGOR *alg = NULL;
	const EVP_MD *md = EVP_sha256();
	unsigned char *ad = NULL, *sig = NULL;
	size_t sl = 0;
	int al, nid, ret = -1;

	if (!k) {
		*why = "no private key (ipsec.secrets ': RSA FILE' or ': ECDSA FILE') matches leftcert";
		return -1;
	}
	if (EVP_PKEY_base_id(k) == EVP_PKEY_EC) {
		if (EVP_PKEY_bits(k) > 256)
			md = EVP_sha384();
		nid = md == EVP_sha384() ? NID_ecdsa_with_SHA384 : NID_ecdsa_with_SHA256;
	} else if (EVP_PKEY_base_id(k) == EVP_PKEY_RSA) {
		nid = NID_sha256WithRSAEncryption;
	} else {
		*why = "private key is neither RSA nor ECDSA";
		return -1;
	}
	alg = X509_ALGOR_new();
	ctx = EVP_MD_CTX_new();
	if (!alg || !ctx ||
	    !X509_ALGOR_set0(alg, OBJ_nid2obj(nid),
			     nid == NID_sha256WithRSAEncryption ? V_ASN1_NULL : V_ASN1_UNDEF, NULL))
		goto out;
	al = i2d_X509_ALGOR(alg, &ad);
	if (al <= 0 || al > 255 ||
	    EVP_DigestSignInit(ctx, NULL, md, NULL, k) != 1 ||
	    EVP_DigestSign(ctx, NULL, &sl, oct, ol) != 1)
		goto out;
	sig = malloc(sl);
	if (!sig || EVP_DigestSign(ctx, sig, &sl, oct, ol) != 1)
		goto out;
	if (buf_set(out, &(uint8_t){ (uint8_t)al }, 1) || buf_cat(out, ad, (size_t)al) ||
	    buf_cat(out, sig, sl))
		goto out;
	ret = 0;
out:
	if (ret && !*why[0])
		*why = "signing failed";
	free(sig);
	OPENSSL_free(ad);
	X509_ALGOR_free(alg);
	EVP_MD_CTX_free(ctx);
	return ret;
}

static bool id_in_cert(X509 *x, const struct ike_id *id)
{
	char s[300];

	switch (id->type) {
	case ID_DER_ASN1_DN: {
		const unsigned char *p = id->data;
		X509_NAME *n = d2i_X509_NAME(NULL, &p, (long)id->len);
		bool ok = n && !X509_NAME_cmp(n, X509_get_subject_name(x));

		X509_NAME_free(n);
		return ok;
	}
	case ID_FQDN:
		snprintf(s, sizeof(s), "%.*s", (int)id->len, (const char *)id->data);
		return X509_check_host(x, s, 0, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, NULL) == 1;
	case ID_RFC822_ADDR:
		snprintf(s, sizeof(s), "%.*s", (int)id->len, (const char *)id->data);
		return X509_check_email(x, s, 0, 0) == 1;
	case ID_IPV4_ADDR:
	case ID_IPV6_ADDR:
		return X509_check_ip(x, id->data, id->len, 0) == 1;
	}
	return false;
}

static void sans_str(X509 *x, char *out, size_t len)
{
	GENERAL_NAMES *g = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	size_t o = 0;

	out[0] = 0;
	for (int i = 0; g && i < sk_GENERAL_NAME_num(g); i++) {
		GENERAL_NAME *n = sk_GENERAL_NAME_value(g, i);

		if ((n->type == GEN_DNS || n->type == GEN_EMAIL) && o < len)
			o += (size_t)snprintf(out + o, len - o, "%s%.*s", o ? ", " : "",
					      ASN1_STRING_length(n->d.ia5),
					      (const char *)ASN1_STRING_get0_data(n->d.ia5));
	}
	GENERAL_NAMES_free(g);
	if (!o)
		snprintf(out, len, "none");
}

/* rightca: some certificate of the verified chain has this subject. */
static bool chain_has_ca(const struct conn *c, STACK_OF(X509) *chain)
{
	uint8_t der[512];
	size_t dl = sizeof(der);
	const unsigned char *p = der;
	X509_NAME *want;
	bool ok = false;

	if (!c->rightca[0])
		return true;
	if (!strcmp(c->rightca, "%same")) {
		want = X509_NAME_dup(X509_get_issuer_name(c->cert));
	} else {
		if (dn_to_der(c->rightca, der, &dl))
			return false;
		want = d2i_X509_NAME(NULL, &p, (long)dl);
	}
	for (int i = 1; want && i < sk_X509_num(chain); i++)
		ok |= !X509_NAME_cmp(want, X509_get_subject_name(sk_X509_value(chain, i)));
	X509_NAME_free(want);
	return ok;
}

/*
 * The peer's CERT payloads (end entity first), its ID and the AUTH payload
 * body (method, 3 reserved, data) over the signed octets.
 */
int cert_verify(const struct conn *c, const struct ike_msg *m,
		const struct ike_id *id, const uint8_t *auth, size_t alen,
		const uint8_t *oct, size_t ol)
{
	STACK_OF(X509) *extra = sk_X509_new_null();
	X509_STORE_CTX *sc = X509_STORE_CTX_new();
	X509 *ee = NULL;
	X509_ALGOR *alg = NULL;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	const unsigned char *p;
	char subj[300], iss[300], ids[300];
	int ret = -1, mdnid, pknid;

	for (int i = 0; i < m->npl; i++) {
		const struct payload *pl = &m->pl[i];
		X509 *x;

		if (pl->type != PL_CERT || pl->len < 2 || pl->body[0] != CERT_X509_SIG)
			continue;
		p = pl->body + 1;
		x = d2i_X509(NULL, &p, (long)pl->len - 1);
		if (!x)
			continue;
		if (!ee)
			ee = x;
		else
			sk_X509_push(extra, x);
	}
	id_str(id, ids, sizeof(ids));
	if (!ee) {
		logm(SS_IKE, L_ERR, "conn %s: authentication failed: peer '%s' sent no X.509 certificate (CERT payload); set the peer's leftsendcert=always or give it leftcert=",
		     c->name, ids);
		goto out;
	}
	name_str(X509_get_subject_name(ee), subj, sizeof(subj));
	name_str(X509_get_issuer_name(ee), iss, sizeof(iss));
	if (!sc || !X509_STORE_CTX_init(sc, cert_store(), ee, extra) ||
	    X509_verify_cert(sc) != 1) {
		int e = sc ? X509_STORE_CTX_get_error(sc) : 0;
		X509 *bad = sc ? X509_STORE_CTX_get_current_cert(sc) : NULL;
		char bs[300] = "", bi[300] = "";

		if (bad) {
			name_str(X509_get_subject_name(bad), bs, sizeof(bs));
			name_str(X509_get_issuer_name(bad), bi, sizeof(bi));
		}
		logm(SS_IKE, L_ERR, "conn %s: authentication failed: untrusted certificate chain: peer cert '%s' issued by '%s': %s (at '%s', issuer '%s'); put the issuing CA certificate in %s",
		     c->name, subj, iss, X509_verify_cert_error_string(e), bs, bi, g_cacerts);
		goto out;
	}
	if (!chain_has_ca(c, X509_STORE_CTX_get0_chain(sc))) {
		logm(SS_IKE, L_ERR, "conn %s: authentication failed: peer cert '%s' (issuer '%s') does not chain to rightca=%s",
		     c->name, subj, iss, c->rightca);
		goto out;
	}
	if (!id_in_cert(ee, id)) {
		char sans[300];

		sans_str(ee, sans, sizeof(sans));
		logm(SS_IKE, L_ERR, "conn %s: authentication failed: ID not in certificate: peer presented ID '%s', its cert has subject '%s' and subjectAltNames [%s]; set the peer's leftid to one of these",
		     c->name, ids, subj, sans);
		goto out;
	}
	if (alen < 5 || auth[0] != AUTH_METHOD_DSIG || auth[4] == 0 ||
	    (size_t)auth[4] + 5 > alen) {
		logm(SS_IKE, L_ERR, "conn %s: authentication failed: peer '%s' uses AUTH method %u, expected Digital Signature (14, RFC 7427)",
		     c->name, ids, alen ? auth[0] : 0);
		goto out;
	}
	p = auth + 5;
	alg = d2i_X509_ALGOR(NULL, &p, auth[4]);
	if (!alg || !OBJ_find_sigid_algs(OBJ_obj2nid(alg->algorithm), &mdnid, &pknid) ||
	    !ctx || EVP_DigestVerifyInit(ctx, NULL, EVP_get_digestbynid(mdnid), NULL,
					 X509_get0_pubkey(ee)) != 1) {
		logm(SS_IKE, L_ERR, "conn %s: authentication failed: peer '%s' signed with an unsupported algorithm (RSA PKCS#1 v1.5 and ECDSA with SHA-2 are supported)",
		     c->name, ids);
		goto out;
	}
	if (EVP_DigestVerify(ctx, auth + 5 + auth[4], alen - 5 - auth[4], oct, ol) != 1) {
		logm(SS_IKE, L_ERR, "conn %s: authentication failed: bad signature from '%s' (cert '%s'): the AUTH payload does not verify with the certificate's public key",
		     c->name, ids, subj);
		goto out;
	}
	logm(SS_IKE, L_INFO, "conn %s: peer '%s' authenticated with certificate '%s' issued by '%s' (%s)",
	     c->name, ids, subj, iss, OBJ_nid2sn(OBJ_obj2nid(alg->algorithm)));
	ret = 0;
out:
	X509_ALGOR_free(alg);
	EVP_MD_CTX_free(ctx);
	X509_STORE_CTX_free(sc);
	X509_free(ee);
	sk_X509_pop_free(extra, X509_free);
	return ret;
}
