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

/* Wipes and frees one CHILD_SA (its KEYMAT, its policy ids). */
static void child_free(struct child_sa *c)
{
	if (!c)
		return;
	if (c->keymat)
		wipe(c->keymat, 2 * (c->ekl + c->akl));
	free(c->keymat);
	free(c->sp_id);
	wipe(c, sizeof(*c));
	free(c);
}

void ikesa_free(struct ike_sa *sa)
{
	for (int i = 0; i < CHILD_MAX; i++)
		child_free(sa->child[i]);
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
	ccs_free(sa);
	me_sa_gone(sa);
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
			child_uninstall_all(sa);
			ikesa_free(sa);
		} else {
			child_gc(sa);
			pp = &sa->next;
		}
	}
}

int ikesa_derive(struct ike_sa *sa, const uint8_t *gir, size_t gir_len,
		 const struct ike_sa *old)
{
	size_t pl = prf_len(sa->s.prf), al = integ_key_len(sa->s.integ);
	size_t el = encr_key_len(&sa->s), total = 3 * pl + 2 * al + 2 * el;
	uint8_t *nonces, *seed, *km, skeyseed[64];
	size_t nl = sa->ni.len + sa->nr.len, off = 0;
	int ret = -1;

	nonces = malloc(gir_len + nl + 16);
	km = malloc(total);
	if (!nonces || !km)
		goto out;
	if (old) {
		/* Rekey (2.18): SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr),
		 * with the old IKE_SA's PRF. */
		memcpy(nonces, gir, gir_len);
		memcpy(nonces + gir_len, sa->ni.p, sa->ni.len);
		memcpy(nonces + gir_len + sa->ni.len, sa->nr.p, sa->nr.len);
		if (prf(old->s.prf, old->sk_d, prf_len(old->s.prf), nonces,
			gir_len + nl, skeyseed))
			goto out;
	}
	memcpy(nonces, sa->ni.p, sa->ni.len);
	memcpy(nonces + sa->ni.len, sa->nr.p, sa->nr.len);
	/* SKEYSEED = prf(Ni | Nr, g^ir) */
	if (!old && prf(sa->s.prf, nonces, nl, gir, gir_len, skeyseed))
		goto out;
	/* {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
	 *	= prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) */
	seed = nonces;
	memcpy(seed + nl, sa->spi_i, 8);
	memcpy(seed + nl + 8, sa->spi_r, 8);
	if (prf_plus(sa->s.prf, skeyseed, pl, seed, nl + 16, km, total))
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
	wipe(skeyseed, sizeof(skeyseed));
	if (km)
		wipe(km, total);
	free(km);
	if (nonces)
		wipe(nonces, gir_len + nl + 16);
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

/* KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr) (2.17); initiator->responder
 * keys first. */
int child_derive(struct ike_sa *sa, struct child_sa *c, const struct buf *ni,
		 const struct buf *nr, const struct buf *gir)
{
	size_t gl = gir ? gir->len : 0, nl = gl + ni->len + nr->len;
	uint8_t *seed = malloc(nl);
	int ret;

	if (!seed)
		return -1;
	if (gl)
		memcpy(seed, gir->p, gl);
	memcpy(seed + gl, ni->p, ni->len);
	memcpy(seed + gl + ni->len, nr->p, nr->len);
	if (c->keymat)
		wipe(c->keymat, 2 * (c->ekl + c->akl));
	free(c->keymat);
	c->ekl = encr_key_len(&c->s);
	c->akl = c->s.has_integ ? integ_key_len(c->s.integ) : 0;
	c->keymat = malloc(2 * (c->ekl + c->akl));
	ret = c->keymat ? prf_plus(sa->s.prf, sa->sk_d, prf_len(sa->s.prf), seed,
				   nl, c->keymat, 2 * (c->ekl + c->akl)) : -1;
	wipe(seed, nl);
	free(seed);
	return ret;
}

static bool child_unused(const struct child_sa *c)
{
	return !c->up && c->state == CH_NONE;
}

struct child_sa *child_alloc(struct ike_sa *sa)
{
	int i;

	for (i = 0; i < CHILD_MAX && sa->child[i] && !child_unused(sa->child[i]); i++)
		;
	if (i == CHILD_MAX)
		return NULL;
	child_free(sa->child[i]);
	sa->child[i] = calloc(1, sizeof(*sa->child[i]));
	return sa->child[i];
}

struct child_sa *child_first(struct ike_sa *sa)
{
	if (!sa->child[0])
		sa->child[0] = calloc(1, sizeof(*sa->child[0]));
	return sa->child[0];
}

void child_gc(struct ike_sa *sa)
{
	if (sa->state != ST_ESTABLISHED)
		return;
	for (int i = 0; i < CHILD_MAX; i++)
		if (sa->child[i] && child_unused(sa->child[i])) {
			child_free(sa->child[i]);
			sa->child[i] = NULL;
		}
}

int child_sp_alloc(struct child_sa *c)
{
	int n = 3 * c->tsi.n * c->tsr.n;

	if (c->sp_max >= n)
		return 0;
	free(c->sp_id);
	c->sp_id = calloc((size_t)n, sizeof(*c->sp_id));
	c->sp_max = c->sp_id ? n : 0;
	return c->sp_id ? 0 : -1;
}

static struct child_sa *child_by_spi(struct ike_sa *sa, uint32_t spi, bool in)
{
	for (int i = 0; i < CHILD_MAX; i++) {
		struct child_sa *c = sa->child[i];

		if (c && c->up && (in ? c->spi_in : c->spi_out) == spi)
			return c;
	}
	return NULL;
}

struct child_sa *child_by_spi_out(struct ike_sa *sa, uint32_t spi)
{
	return child_by_spi(sa, spi, false);
}

struct child_sa *child_by_spi_in(struct ike_sa *sa, uint32_t spi)
{
	return child_by_spi(sa, spi, true);
}

/* Rekey at life - margin - random(0 .. margin * fuzz%), like strongSwan;
 * 0 (never) when no lifetime is configured. */
static double rekey_time(int life, int margin, int fuzz)
{
	uint32_t r = 0;
	double f;

	if (life <= 0)
		return 0;
	if (margin >= life)
		margin = life / 2;
	rand_bytes(&r, sizeof(r));
	f = (double)margin * fuzz / 100.0 * ((double)r / 4294967296.0);
	return now() + life - margin - f;
}

void child_schedule(struct ike_sa *sa, struct child_sa *ch)
{
	const struct conn *c = sa->conn;

	ch->rekey_at = rekey_time(c->lifetime, c->rekeymargin, c->rekeyfuzz);
}

void ikesa_schedule(struct ike_sa *sa)
{
	const struct conn *c = sa->conn;

	sa->ike_rekey_at = rekey_time(c->ikelifetime, c->rekeymargin, c->rekeyfuzz);
	sa->ike_expire_at = c->ikelifetime > 0 ? now() + c->ikelifetime : 0;
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
