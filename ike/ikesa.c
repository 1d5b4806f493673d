// SPDX-License-Identifier: GPL-2.0
/*
 * IKE_SA state: the table, key derivation (RFC 7296 2.14 and 2.17), the
 * message header, and the request/response bookkeeping that gives us
 * retransmission and duplicate-request answers.
 */
#include <stdlib.h>
#include <string.h>
#include "kiked.h"

static struct ike_sa *sas;

struct ike_sa *ikesa_list(void)
{
	return sas;
}

struct ike_sa *ikesa_new(struct conn *c, bool initiator)
{
	struct ike_sa *sa = calloc(1, sizeof(*sa));

	if (!sa)
		return NULL;
	sa->conn = c;
	sa->initiator = initiator;
	if (rand_bytes(initiator ? sa->spi_i : sa->spi_r, 8)) {
		free(sa);
		return NULL;
	}
	sa->last_rx = now();
	sa->next = sas;
	sas = sa;
	return sa;
}

/* Our own SPI identifies the SA: SPIi if we initiated, else SPIr.  Before
 * the responder's SPI is known (IKE_SA_INIT), match on SPIi alone. */
struct ike_sa *ikesa_find(const uint8_t spi_i[8], const uint8_t spi_r[8],
			  bool initiator_role)
{
	static const uint8_t zero[8];

	for (struct ike_sa *sa = sas; sa; sa = sa->next) {
		if (sa->state == ST_DEAD || sa->initiator != initiator_role)
			continue;
		if (initiator_role && !memcmp(sa->spi_i, spi_i, 8))
			return sa;
		if (!initiator_role && !memcmp(sa->spi_r, spi_r, 8) &&
		    !memcmp(sa->spi_i, spi_i, 8))
			return sa;
		if (!initiator_role && !memcmp(spi_r, zero, 8) &&
		    !memcmp(sa->spi_i, spi_i, 8))
			return sa;	/* retransmitted IKE_SA_INIT */
	}
	return NULL;
}

void ikesa_free(struct ike_sa *sa)
{
	buf_wipe(&sa->ni);
	buf_wipe(&sa->nr);
	buf_free(&sa->kei);
	buf_free(&sa->ker);
	buf_free(&sa->cookie);
	buf_free(&sa->init_i);
	buf_free(&sa->init_r);
	buf_free(&sa->req);
	buf_free(&sa->resp);
	dh_free(sa->dh);
	wipe(sa, sizeof(*sa));
	free(sa);
}

void ikesa_reap(void)
{
	struct ike_sa **pp = &sas;

	while (*pp) {
		struct ike_sa *sa = *pp;

		if (sa->state == ST_DEAD) {
			*pp = sa->next;
			if (sa->child.up)
				child_uninstall(sa);
			ikesa_free(sa);
		} else {
			pp = &sa->next;
		}
	}
}

int ikesa_derive(struct ike_sa *sa, const uint8_t *gir, size_t gir_len)
{
	size_t pl = prf_len(sa->s.prf), al = integ_key_len(sa->s.integ);
	size_t el = encr_key_len(&sa->s), total = 3 * pl + 2 * al + 2 * el;
	uint8_t *nonces, *seed, *km;
	size_t nl = sa->ni.len + sa->nr.len, off = 0;
	int ret = -1;

	nonces = malloc(nl + 16);
	km = malloc(total);
	if (!nonces || !km)
		goto out;
	memcpy(nonces, sa->ni.p, sa->ni.len);
	memcpy(nonces + sa->ni.len, sa->nr.p, sa->nr.len);
	/* SKEYSEED = prf(Ni | Nr, g^ir) */
	if (prf(sa->s.prf, nonces, nl, gir, gir_len, sa->skeyseed))
		goto out;
	/* {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
	 *	= prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) */
	seed = nonces;
	memcpy(seed + nl, sa->spi_i, 8);
	memcpy(seed + nl + 8, sa->spi_r, 8);
	if (prf_plus(sa->s.prf, sa->skeyseed, pl, seed, nl + 16, km, total))
		goto out;
	memcpy(sa->sk_d, km + off, pl); off += pl;
	memcpy(sa->sk_ai, km + off, al); off += al;
	memcpy(sa->sk_ar, km + off, al); off += al;
	memcpy(sa->sk_ei, km + off, el); off += el;
	memcpy(sa->sk_er, km + off, el); off += el;
	memcpy(sa->sk_pi, km + off, pl); off += pl;
	memcpy(sa->sk_pr, km + off, pl);
	ret = 0;
out:
	if (km)
		wipe(km, total);
	free(km);
	free(nonces);
	return ret;
}

void ikesa_keys(const struct ike_sa *sa, bool out, struct sk_keys *k)
{
	bool i_keys = sa->initiator == out;

	k->encr = sa->s.encr;
	k->encr_keylen = sa->s.encr_keylen;
	k->integ = sa->s.integ;
	k->ek = i_keys ? sa->sk_ei : sa->sk_er;
	k->ak = sa->s.has_integ ? (i_keys ? sa->sk_ai : sa->sk_ar) : NULL;
}

/* KEYMAT = prf+(SK_d, Ni | Nr); initiator->responder keys first. */
int child_derive(struct ike_sa *sa)
{
	struct child_sa *c = &sa->child;
	size_t nl = sa->ni.len + sa->nr.len;
	uint8_t *seed = malloc(nl);
	int ret;

	if (!seed)
		return -1;
	memcpy(seed, sa->ni.p, sa->ni.len);
	memcpy(seed + sa->ni.len, sa->nr.p, sa->nr.len);
	c->ekl = encr_key_len(&c->s);
	c->akl = c->s.has_integ ? integ_key_len(c->s.integ) : 0;
	ret = prf_plus(sa->s.prf, sa->sk_d, prf_len(sa->s.prf), seed, nl,
		       c->keymat, 2 * (c->ekl + c->akl));
	free(seed);
	return ret;
}

void ike_hdr(struct msg_builder *b, const uint8_t spi_i[8],
	     const uint8_t spi_r[8], uint8_t first, uint8_t exch,
	     uint8_t flags, uint32_t msgid)
{
	mb_init(b);
	mb_put(b, spi_i, 8);
	mb_put(b, spi_r, 8);
	mb_u8(b, first);
	mb_u8(b, IKE_VERSION);
	mb_u8(b, exch);
	mb_u8(b, flags);
	mb_u32(b, msgid);
	mb_u32(b, 0);
	b->last_np = 16;
}

void ike_hdr_finish(struct msg_builder *b)
{
	b->buf[24] = (uint8_t)(b->len >> 24);
	b->buf[25] = (uint8_t)(b->len >> 16);
	b->buf[26] = (uint8_t)(b->len >> 8);
	b->buf[27] = (uint8_t)b->len;
}

/* Wrap the payload chain in `inner` into an SK payload. */
int ikesa_encrypted_msg(struct ike_sa *sa, uint8_t exch, bool response,
			uint32_t msgid, struct msg_builder *inner,
			uint8_t first, struct msg_builder *out)
{
	struct sk_keys k;
	uint8_t flags = (uint8_t)((sa->initiator ? IKE_FLAG_I : 0) |
				  (response ? IKE_FLAG_R : 0));

	if (inner->overflow)
		return -1;
	ike_hdr(out, sa->spi_i, sa->spi_r, PL_SK, exch, flags, msgid);
	ikesa_keys(sa, true, &k);
	return sk_seal(out, &k, first, inner->buf, inner->len);
}

int ikesa_send_request(struct ike_sa *sa, struct msg_builder *b)
{
	if (b->overflow || buf_set(&sa->req, b->buf, b->len))
		return -1;
	sa->req_pending = true;
	sa->req_exch = b->buf[18];
	sa->retries = 0;
	sa->req_timeout = g_rtx_base;
	sa->req_deadline = now() + sa->req_timeout;
	sa->next_msgid++;
	return net_send(&sa->local, &sa->peer, b->buf, b->len);
}

int ikesa_send_response(struct ike_sa *sa, struct msg_builder *b)
{
	if (b->overflow || buf_set(&sa->resp, b->buf, b->len))
		return -1;
	sa->peer_msgid++;
	return net_send(&sa->local, &sa->peer, b->buf, b->len);
}
