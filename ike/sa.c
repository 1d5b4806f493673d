// SPDX-License-Identifier: GPL-2.0
/*
 * SA payloads: proposal parsing/serialisation, strongSwan proposal strings
 * ("aes256gcm16-prfsha256-ecp256") and proposal selection (RFC 7296 2.7).
 */
#include <stdio.h>
#include <string.h>
#include "kiked.h"

#define XF_ATTR_KEYLEN 0x800e

static uint16_t g16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static int xf_parse(const uint8_t *p, size_t len, struct xform *x)
{
	size_t off = 8;

	x->type = p[4];
	x->id = g16(p + 6);
	x->keylen = 0;
	while (off < len) {
		uint16_t at;

		if (len - off < 4)
			return -1;
		at = g16(p + off);
		if (at & 0x8000) {
			if (at == XF_ATTR_KEYLEN)
				x->keylen = g16(p + off + 2);
			else
				return -1;	/* unknown attribute: reject */
			off += 4;
		} else {
			uint16_t alen = g16(p + off + 2);

			if (alen > len - off - 4)
				return -1;
			off += 4u + alen;
		}
	}
	return 0;
}

/* Parse the proposals of an SA payload body; returns their count or -1. */
int sa_parse(const uint8_t *p, size_t len, struct proposal *out, int max)
{
	size_t off = 0;
	int n = 0;

	while (off < len) {
		const uint8_t *pp = p + off;
		size_t plen, xoff;
		struct proposal *pr;
		int nxf;

		if (len - off < 8 || n >= max)
			return -1;
		plen = g16(pp + 2);
		if (plen < 8 || plen > len - off)
			return -1;
		pr = &out[n++];
		memset(pr, 0, sizeof(*pr));
		pr->num = pp[4];
		pr->proto = pp[5];
		pr->spi_len = pp[6];
		nxf = pp[7];
		if (pr->spi_len > sizeof(pr->spi) || 8u + pr->spi_len > plen)
			return -1;
		memcpy(pr->spi, pp + 8, pr->spi_len);
		xoff = 8u + pr->spi_len;
		for (int i = 0; i < nxf; i++) {
			size_t xlen;

			if (plen - xoff < 8)
				return -1;
			xlen = g16(pp + xoff + 2);
			if (xlen < 8 || xlen > plen - xoff)
				return -1;
			/* Beyond our table, or with unknown attributes, a
			 * transform is one we cannot choose: skip it. */
			if (pr->nxf < (int)(sizeof(pr->xf) / sizeof(pr->xf[0])) &&
			    xf_parse(pp + xoff, xlen, &pr->xf[pr->nxf]) == 0)
				pr->nxf++;
			xoff += xlen;
		}
		if (xoff != plen)
			return -1;
		off += plen;
		if (pp[0] == 0)
			break;
	}
	return off == len ? n : -1;
}

void sa_write(struct msg_builder *b, const struct proposal *props, int n)
{
	size_t s = mb_pl_begin(b, PL_SA);

	for (int i = 0; i < n; i++) {
		const struct proposal *pr = &props[i];
		size_t ps = b->len;

		mb_u8(b, i == n - 1 ? 0 : 2);
		mb_u8(b, 0);
		mb_u16(b, 0);
		mb_u8(b, pr->num ? pr->num : (uint8_t)(i + 1));
		mb_u8(b, pr->proto);
		mb_u8(b, pr->spi_len);
		mb_u8(b, (uint8_t)pr->nxf);
		mb_put(b, pr->spi, pr->spi_len);
		for (int j = 0; j < pr->nxf; j++) {
			const struct xform *x = &pr->xf[j];

			mb_u8(b, j == pr->nxf - 1 ? 0 : 3);
			mb_u8(b, 0);
			mb_u16(b, x->keylen ? 12 : 8);
			mb_u8(b, x->type);
			mb_u8(b, 0);
			mb_u16(b, x->id);
			if (x->keylen) {
				mb_u16(b, XF_ATTR_KEYLEN);
				mb_u16(b, x->keylen);
			}
		}
		if (!b->overflow) {
			size_t plen = b->len - ps;

			b->buf[ps + 2] = (uint8_t)(plen >> 8);
			b->buf[ps + 3] = (uint8_t)plen;
		}
	}
	mb_pl_end(b, s);
}

static const struct xf_name {
	const char *tok;
	uint8_t type;
	uint16_t id, keylen;
} xf_names[] = {
	{ "aes128", XF_ENCR, ENCR_AES_CBC, 128 },
	{ "aes192", XF_ENCR, ENCR_AES_CBC, 192 },
	{ "aes256", XF_ENCR, ENCR_AES_CBC, 256 },
	{ "aes128gcm16", XF_ENCR, ENCR_AES_GCM_16, 128 },
	{ "aes128gcm128", XF_ENCR, ENCR_AES_GCM_16, 128 },
	{ "aes256gcm16", XF_ENCR, ENCR_AES_GCM_16, 256 },
	{ "aes256gcm128", XF_ENCR, ENCR_AES_GCM_16, 256 },
	{ "sha256", XF_INTEG, AUTH_HMAC_SHA2_256_128, 0 },
	{ "sha2_256", XF_INTEG, AUTH_HMAC_SHA2_256_128, 0 },
	{ "sha384", XF_INTEG, AUTH_HMAC_SHA2_384_192, 0 },
	{ "sha2_384", XF_INTEG, AUTH_HMAC_SHA2_384_192, 0 },
	{ "sha512", XF_INTEG, AUTH_HMAC_SHA2_512_256, 0 },
	{ "sha2_512", XF_INTEG, AUTH_HMAC_SHA2_512_256, 0 },
	{ "prfsha256", XF_PRF, PRF_HMAC_SHA2_256, 0 },
	{ "prfsha384", XF_PRF, PRF_HMAC_SHA2_384, 0 },
	{ "prfsha512", XF_PRF, PRF_HMAC_SHA2_512, 0 },
	{ "modp2048", XF_DH, DH_MODP2048, 0 },
	{ "ecp256", XF_DH, DH_ECP256, 0 },
	{ "ecp384", XF_DH, DH_ECP384, 0 },
	{ "curve25519", XF_DH, DH_CURVE25519, 0 },
	{ "x25519", XF_DH, DH_CURVE25519, 0 },
	{ "esn", XF_ESN, 1, 0 },
	{ "noesn", XF_ESN, 0, 0 },
};

static bool has_type(const struct proposal *p, uint8_t t)
{
	for (int i = 0; i < p->nxf; i++)
		if (p->xf[i].type == t)
			return true;
	return false;
}

static int add_xf(struct proposal *p, uint8_t type, uint16_t id, uint16_t kl)
{
	if (p->nxf >= (int)(sizeof(p->xf) / sizeof(p->xf[0])))
		return -1;
	p->xf[p->nxf++] = (struct xform){ .type = type, .id = id, .keylen = kl };
	return 0;
}

static int prop_parse_one(char *s, uint8_t proto, bool keep_dh,
			  struct proposal *p, char *err, size_t errlen)
{
	char *save = NULL;
	bool aead = false;

	memset(p, 0, sizeof(*p));
	p->proto = proto;
	for (char *t = strtok_r(s, "-", &save); t; t = strtok_r(NULL, "-", &save)) {
		const struct xf_name *xn = NULL;

		for (size_t i = 0; i < sizeof(xf_names) / sizeof(xf_names[0]); i++)
			if (!strcmp(xf_names[i].tok, t))
				xn = &xf_names[i];
		if (!xn || (proto == PROTO_IKE && xn->type == XF_ESN)) {
			snprintf(err, errlen,
				 "unsupported algorithm '%s' (expected one of aes128/aes256[gcm16], sha256/384/512, prfsha256/384/512, modp2048, ecp256, ecp384, curve25519%s)",
				 t, proto == PROTO_ESP ? ", esn, noesn" : "");
			return -1;
		}
		if (xn->type == XF_ENCR && xn->id == ENCR_AES_GCM_16)
			aead = true;
		if (proto == PROTO_ESP && xn->type == XF_PRF) {
			snprintf(err, errlen, "'%s' is not valid in an ESP proposal", t);
			return -1;
		}
		if (add_xf(p, xn->type, xn->id, xn->keylen))
			return -1;
	}
	if (!has_type(p, XF_ENCR)) {
		snprintf(err, errlen, "proposal has no encryption algorithm");
		return -1;
	}
	if (aead && has_type(p, XF_INTEG)) {
		snprintf(err, errlen, "AES-GCM proposals take no integrity algorithm");
		return -1;
	}
	if (!aead && !has_type(p, XF_INTEG)) {
		snprintf(err, errlen, "AES-CBC needs an integrity algorithm (sha256, sha384, sha512)");
		return -1;
	}
	if (proto == PROTO_IKE) {
		if (!has_type(p, XF_DH)) {
			snprintf(err, errlen, "IKE proposal has no DH group (modp2048, ecp256, ecp384, curve25519)");
			return -1;
		}
		/* strongSwan derives the PRF from the integrity algorithm when
		 * none is given; do the same so both read one string alike. */
		if (!has_type(p, XF_PRF)) {
			int n = p->nxf;

			for (int i = 0; i < n; i++)
				if (p->xf[i].type == XF_INTEG)
					add_xf(p, XF_PRF, (uint16_t)(p->xf[i].id - 7), 0);
			if (!has_type(p, XF_PRF))
				add_xf(p, XF_PRF, PRF_HMAC_SHA2_256, 0);
		}
	} else {
		/* PFS groups apply to CREATE_CHILD_SA only; the first CHILD_SA
		 * is keyed from the IKE_SA (RFC 7296 1.2), so drop them here. */
		int j = 0;

		for (int i = 0; i < p->nxf; i++)
			if (keep_dh || p->xf[i].type != XF_DH)
				p->xf[j++] = p->xf[i];
		p->nxf = j;
		if (!has_type(p, XF_ESN))
			add_xf(p, XF_ESN, 0, 0);
	}
	return 0;
}

int props_parse(const char *spec, uint8_t proto, struct prop_list *out,
		char *err, size_t errlen)
{
	return props_parse_ex(spec, proto, false, out, err, errlen);
}

int props_parse_ex(const char *spec, uint8_t proto, bool keep_dh,
		   struct prop_list *out, char *err, size_t errlen)
{
	char tmp[512], *save = NULL;
	size_t l;

	out->n = 0;
	snprintf(tmp, sizeof(tmp), "%s", spec);
	l = strlen(tmp);
	if (l && tmp[l - 1] == '!')
		tmp[l - 1] = 0;
	for (char *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (out->n >= CONF_MAX_PROPS) {
			snprintf(err, errlen, "more than %d proposals", CONF_MAX_PROPS);
			return -1;
		}
		if (prop_parse_one(t, proto, keep_dh, &out->p[out->n], err, errlen))
			return -1;
		out->p[out->n].num = (uint8_t)(out->n + 1);
		out->n++;
	}
	if (!out->n) {
		snprintf(err, errlen, "empty proposal list");
		return -1;
	}
	return 0;
}

static bool xf_eq(const struct xform *a, const struct xform *b)
{
	return a->type == b->type && a->id == b->id && a->keylen == b->keylen;
}

/* Pick, for one transform type, the first offered transform we accept. */
static int pick(const struct proposal *off, const struct proposal *conf,
		uint8_t type, struct proposal *out)
{
	bool o = has_type(off, type), c = has_type(conf, type);

	if (!o && !c)
		return 0;
	if (type == XF_ESN && !o)
		return 0;	/* not offered: nothing to answer */
	if (type == XF_ESN && !c) {
		/* We did not configure ESN: accept "no ESN" if offered. */
		for (int i = 0; i < off->nxf; i++)
			if (off->xf[i].type == XF_ESN && off->xf[i].id == 0)
				return add_xf(out, XF_ESN, 0, 0);
		return -1;
	}
	if (o != c)
		return -1;
	for (int i = 0; i < off->nxf; i++) {
		if (off->xf[i].type != type)
			continue;
		for (int j = 0; j < conf->nxf; j++)
			if (xf_eq(&off->xf[i], &conf->xf[j]))
				return add_xf(out, type, off->xf[i].id,
					      off->xf[i].keylen);
	}
	return -1;
}

int sa_choose(const struct proposal *offered, int noff,
	      const struct prop_list *conf, struct proposal *chosen,
	      struct suite *s)
{
	static const uint8_t types[] = { XF_ENCR, XF_PRF, XF_INTEG, XF_DH, XF_ESN };

	for (int i = 0; i < noff; i++) {
		for (int j = 0; j < conf->n; j++) {
			const struct proposal *c = &conf->p[j];
			size_t k;

			if (offered[i].proto != c->proto)
				continue;
			memset(chosen, 0, sizeof(*chosen));
			chosen->num = offered[i].num;
			chosen->proto = offered[i].proto;
			chosen->spi_len = offered[i].spi_len;
			memcpy(chosen->spi, offered[i].spi, offered[i].spi_len);
			for (k = 0; k < sizeof(types); k++)
				if (pick(&offered[i], c, types[k], chosen))
					break;
			if (k == sizeof(types) && !suite_from_prop(chosen, s))
				return 0;
		}
	}
	return -1;
}

int suite_from_prop(const struct proposal *p, struct suite *s)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < p->nxf; i++) {
		const struct xform *x = &p->xf[i];

		switch (x->type) {
		case XF_ENCR:
			s->encr = x->id;
			s->encr_keylen = x->keylen;
			break;
		case XF_PRF:
			s->prf = x->id;
			break;
		case XF_INTEG:
			s->integ = x->id;
			s->has_integ = true;
			break;
		case XF_DH:
			s->dh = x->id;
			s->has_dh = true;
			break;
		case XF_ESN:
			s->esn = x->id;
			break;
		}
	}
	if (s->encr != ENCR_AES_CBC && s->encr != ENCR_AES_GCM_16)
		return -1;
	if (s->encr_keylen != 128 && s->encr_keylen != 192 && s->encr_keylen != 256)
		return -1;
	if ((s->encr == ENCR_AES_CBC) != s->has_integ)
		return -1;
	if (p->proto == PROTO_IKE && (!prf_len(s->prf) || !s->has_dh))
		return -1;
	return 0;
}

static const char *xf_str(const struct xform *x, char *b, size_t l)
{
	static const char *const prfs[] = { [5] = "PRF_HMAC_SHA2_256",
		[6] = "PRF_HMAC_SHA2_384", [7] = "PRF_HMAC_SHA2_512" };
	static const char *const integs[] = { [12] = "HMAC_SHA2_256_128",
		[13] = "HMAC_SHA2_384_192", [14] = "HMAC_SHA2_512_256" };
	const char *n = NULL;

	switch (x->type) {
	case XF_ENCR:
		if (x->id == ENCR_AES_CBC)
			n = "AES_CBC";
		else if (x->id == ENCR_AES_GCM_16)
			n = "AES_GCM_16";
		break;
	case XF_PRF:
		n = x->id < 8 ? prfs[x->id] : NULL;
		break;
	case XF_INTEG:
		n = x->id < 15 ? integs[x->id] : NULL;
		break;
	case XF_DH:
		n = x->id == 14 ? "MODP_2048" : x->id == 19 ? "ECP_256" :
		    x->id == 20 ? "ECP_384" : x->id == 31 ? "CURVE_25519" : NULL;
		break;
	case XF_ESN:
		n = x->id ? "EXT_SEQ" : "NO_EXT_SEQ";
		break;
	}
	if (n && x->keylen)
		snprintf(b, l, "%s_%u", n, x->keylen);
	else if (n)
		snprintf(b, l, "%s", n);
	else
		snprintf(b, l, "T%u_%u", x->type, x->id);
	return b;
}

void prop_str(const struct proposal *p, char *out, size_t len)
{
	size_t o = 0;

	out[0] = 0;
	o += (size_t)snprintf(out, len, "%s:", p->proto == PROTO_IKE ? "IKE" :
			      p->proto == PROTO_ESP ? "ESP" : "AH");
	for (int i = 0; i < p->nxf && o < len; i++) {
		char b[48];

		o += (size_t)snprintf(out + o, len - o, "%s%s", i ? "/" : "",
				      xf_str(&p->xf[i], b, sizeof(b)));
	}
}

/* The list's proposals carrying the given SPI (ESP: 4 bytes, IKE: 8). */
void props_with_spi(const struct prop_list *l, const uint8_t *spi,
		    uint8_t len, struct proposal *out)
{
	for (int i = 0; i < l->n; i++) {
		out[i] = l->p[i];
		out[i].spi_len = len;
		memcpy(out[i].spi, spi, len);
	}
}

/* First DH group of a proposal list (for the KE payload we send), or 0. */
uint16_t props_first_group(const struct prop_list *l)
{
	for (int i = 0; i < l->n; i++)
		for (int j = 0; j < l->p[i].nxf; j++)
			if (l->p[i].xf[j].type == XF_DH)
				return l->p[i].xf[j].id;
	return 0;
}

bool props_have_group(const struct prop_list *l, uint16_t g)
{
	for (int i = 0; i < l->n; i++)
		for (int j = 0; j < l->p[i].nxf; j++)
			if (l->p[i].xf[j].type == XF_DH && l->p[i].xf[j].id == g)
				return true;
	return false;
}
