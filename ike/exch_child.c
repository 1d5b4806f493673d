// SPDX-License-Identifier: GPL-2.0
/*
 * CREATE_CHILD_SA (RFC 7296 1.3), both roles: a new CHILD_SA (1.3.1), the
 * rekey of a CHILD_SA (1.3.3: REKEY_SA notify, new SPIs, optional PFS KE)
 * and the rekey of the IKE_SA itself (1.3.2, 2.18: new IKE SPIs, SKEYSEED
 * from the old SK_d, the CHILD_SAs move to the new IKE_SA).
 *
 * Make-before-break: a rekeyed CHILD_SA's successor is installed (same
 * reqid, so the policies stay and kipsec sends on the newest SA) before the
 * old SAs are deleted with an INFORMATIONAL exchange (exch_info.c).
 * Simultaneous rekeys of one CHILD_SA (2.8.1): both exchanges complete and
 * the SA made by the exchange holding the lowest of the four nonces is
 * deleted by the side that initiated that exchange.
 */
#include <stdio.h>
#include <string.h>
#include "kiked.h"

#define NONCE_LEN 32

static uint16_t g16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put_bytes_pl(struct msg_builder *b, uint8_t type, const struct buf *v)
{
	size_t s = mb_pl_begin(b, type);

	mb_put(b, v->p, v->len);
	mb_pl_end(b, s);
}

static void put_ke(struct msg_builder *b, uint16_t group, const struct buf *pub)
{
	size_t s = mb_pl_begin(b, PL_KE);

	mb_u16(b, group);
	mb_u16(b, 0);
	mb_put(b, pub->p, pub->len);
	mb_pl_end(b, s);
}

/* REKEY_SA: protocol ESP, 4-byte SPI (our inbound SPI of the old SA). */
static void put_rekey_sa(struct msg_builder *b, uint32_t spi)
{
	size_t s = mb_pl_begin(b, PL_NOTIFY);

	mb_u8(b, PROTO_ESP);
	mb_u8(b, 4);
	mb_u16(b, N_REKEY_SA);
	mb_u32(b, spi);
	mb_pl_end(b, s);
}

static int new_nonce(struct buf *n)
{
	uint8_t r[NONCE_LEN];
	int ret = rand_bytes(r, sizeof(r)) || buf_set(n, r, sizeof(r));

	wipe(r, sizeof(r));
	return ret ? -1 : 0;
}

/* The lower of two nonces, compared as byte strings (2.8.1). */
static const struct buf *nonce_min(const struct buf *a, const struct buf *b)
{
	size_t l = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->p, b->p, l);

	return (c < 0 || (c == 0 && a->len <= b->len)) ? a : b;
}

static bool buf_lower(const struct buf *a, const uint8_t *b, size_t bl)
{
	size_t l = a->len < bl ? a->len : bl;
	int c = memcmp(a->p, b, l);

	return c < 0 || (c == 0 && a->len < bl);
}

void ccs_free(struct ike_sa *sa)
{
	dh_free(sa->ccs.dh);
	sa->ccs.dh = NULL;
	buf_wipe(&sa->ccs.ni);
	buf_free(&sa->ccs.ke);
	sa->ccs.kind = CCS_NONE;
	sa->ccs.coll_len = 0;
}

/* Child TS are kept as (IKE initiator's side, IKE responder's side). */
static void ts_local_remote(const struct ike_sa *sa, const struct child_sa *c,
			    const struct ts_list **l, const struct ts_list **r)
{
	*l = sa->initiator ? &c->tsi : &c->tsr;
	*r = sa->initiator ? &c->tsr : &c->tsi;
}

static void ts_set(const struct ike_sa *sa, struct child_sa *c,
		   const struct ts_list *local, const struct ts_list *remote)
{
	c->tsi = sa->initiator ? *local : *remote;
	c->tsr = sa->initiator ? *remote : *local;
}

/* ---- initiator ---- */

static int ccs_send(struct ike_sa *sa, struct msg_builder *in, uint8_t first)
{
	struct msg_builder out;

	if (ikesa_encrypted_msg(sa, EXCH_CREATE_CHILD_SA, false, sa->next_msgid,
				in, first, &out))
		return -1;
	return ikesa_send_request(sa, &out);
}

static int ccs_prepare(struct ike_sa *sa, int kind, uint16_t group)
{
	ccs_free(sa);
	sa->ccs.kind = kind;
	sa->ccs.dh_group = group;
	if (new_nonce(&sa->ccs.ni))
		return -1;
	if (!group)
		return 0;
	sa->ccs.dh = dh_new(group);
	return sa->ccs.dh && !dh_public(sa->ccs.dh, &sa->ccs.ke) ? 0 : -1;
}

/* A CHILD_SA request: [REKEY_SA] [USE_TRANSPORT_MODE] SA Ni [KEi] TSi TSr. */
static int child_request(struct ike_sa *sa, struct child_sa *old)
{
	struct conn *c = sa->conn;
	struct proposal props[CONF_MAX_PROPS];
	const struct ts_list *l = &c->lsub, *r = &c->rsub;
	struct msg_builder in;
	uint8_t spi[4];
	uint16_t group = props_first_group(&c->esp_ccs);

	if (ccs_prepare(sa, old ? CCS_CHILD_REKEY : CCS_CHILD_NEW, group))
		goto fail;
	sa->ccs.spi_in = new_spi();
	mb_init(&in);
	if (old) {
		sa->ccs.old_spi_in = old->spi_in;
		sa->ccs.old_reqid = old->reqid;
		put_rekey_sa(&in, old->spi_in);
		ts_local_remote(sa, old, &l, &r);
	}
	if (old ? old->transport : c->transport)
		mb_notify(&in, 0, N_USE_TRANSPORT_MODE, NULL, 0);
	put_u32be(spi, sa->ccs.spi_in);
	props_with_spi(&c->esp_ccs, spi, 4, props);
	sa_write(&in, props, c->esp_ccs.n);
	put_bytes_pl(&in, PL_NONCE, &sa->ccs.ni);
	if (group)
		put_ke(&in, group, &sa->ccs.ke);
	if (old) {
		ts_write(&in, PL_TSI, l);
		ts_write(&in, PL_TSR, r);
	} else {
		ts_write_child(sa, &in, l, r);
	}
	if (old) {
		old->state = CH_REKEYING;
		old->rekey_at = 0;
		logm(SS_IKE, L_INFO, "conn %s: rekeying CHILD_SA %08x/%08x, new inbound SPI %08x%s",
		     c->name, old->spi_in, old->spi_out, sa->ccs.spi_in,
		     group ? " (PFS)" : "");
	} else {
		logm(SS_IKE, L_INFO, "conn %s: creating a CHILD_SA, inbound SPI %08x",
		     c->name, sa->ccs.spi_in);
	}
	if (!ccs_send(sa, &in, (uint8_t)(old ? PL_NOTIFY : c->transport ? PL_NOTIFY : PL_SA)))
		return 0;
fail:
	logm(SS_IKE, L_ERR, "conn %s: cannot build the CREATE_CHILD_SA request", c->name);
	if (old)
		old->state = CH_INSTALLED;
	ccs_free(sa);
	return -1;
}

int ccs_rekey_child(struct ike_sa *sa, struct child_sa *ch)
{
	return child_request(sa, ch);
}

/* IKE_SA rekey request: SA (IKE, new SPIi) Ni KEi. */
int ccs_rekey_ike(struct ike_sa *sa)
{
	struct conn *c = sa->conn;
	struct proposal props[CONF_MAX_PROPS];
	struct msg_builder in;

	if (ccs_prepare(sa, CCS_IKE_REKEY, sa->s.dh) ||
	    rand_bytes(sa->ccs.spi_i, 8)) {
		ccs_free(sa);
		return -1;
	}
	sa->ike_rekey_at = 0;
	mb_init(&in);
	props_with_spi(&c->ike, sa->ccs.spi_i, 8, props);
	sa_write(&in, props, c->ike.n);
	put_bytes_pl(&in, PL_NONCE, &sa->ccs.ni);
	put_ke(&in, sa->ccs.dh_group, &sa->ccs.ke);
	logm(SS_IKE, L_INFO, "conn %s: rekeying the IKE_SA (group %u)", c->name,
	     sa->ccs.dh_group);
	if (ccs_send(sa, &in, PL_SA)) {
		ccs_free(sa);
		return -1;
	}
	return 0;
}

struct ike_sa *ccs_childless(const struct conn *c)
{
	for (struct ike_sa *sa = ikesa_list(); sa; sa = sa->next) {
		bool any = false;

		if (sa->conn != c || sa->state != ST_ESTABLISHED || sa->replaced)
			continue;
		for (int i = 0; i < CHILD_MAX; i++)
			any |= sa->child[i] && sa->child[i]->up;
		if (!any)
			return sa;
	}
	return NULL;
}

void child_timers(struct ike_sa *sa, double t)
{
	for (int i = 0; i < CHILD_MAX; i++) {
		struct child_sa *c = sa->child[i];

		if (c && c->up && c->out_pending && t >= c->out_at)
			child_activate_out(sa, c);
	}
}

void ccs_timers(struct ike_sa *sa, double t)
{
	if (sa->replaced || sa->ccs.retry_at > t)
		return;
	if (sa->ccs.want_child) {
		sa->ccs.want_child = false;
		child_request(sa, NULL);
		return;
	}
	if (sa->ike_rekey_at && t >= sa->ike_rekey_at) {
		ccs_rekey_ike(sa);
		return;
	}
	for (int i = 0; i < CHILD_MAX; i++) {
		struct child_sa *c = sa->child[i];

		if (c && c->up && c->state == CH_INSTALLED && c->rekey_at &&
		    t >= c->rekey_at) {
			ccs_rekey_child(sa, c);
			return;
		}
	}
}

/* The peer refused for now (TEMPORARY_FAILURE, 2.25): retry in 2..5 s. */
static void retry_later(struct ike_sa *sa, struct child_sa *old, const char *why)
{
	uint8_t r = 0;

	rand_bytes(&r, 1);
	sa->ccs.retry_at = now() + 2 + r % 4;
	logm(SS_IKE, L_INFO, "conn %s: peer answered %s; retrying in %.0f s",
	     sa->conn->name, why, sa->ccs.retry_at - now());
	if (old) {
		old->state = CH_INSTALLED;
		old->rekey_at = sa->ccs.retry_at;
	} else if (sa->ccs.kind == CCS_IKE_REKEY) {
		sa->ike_rekey_at = sa->ccs.retry_at;
	} else {
		sa->ccs.want_child = true;
	}
}

/* The CHILD_SAs move to the IKE_SA that replaces sa (2.18). */
static void move_children(struct ike_sa *from, struct ike_sa *to)
{
	for (int i = 0; i < CHILD_MAX; i++) {
		struct child_sa *c = from->child[i];

		to->child[i] = c;
		from->child[i] = NULL;
		if (!c)
			continue;
		if (from->initiator != to->initiator) {
			struct ts_list t = c->tsi;

			c->tsi = c->tsr;
			c->tsr = t;
		}
		/* A delete in flight on the old IKE_SA is sent again. */
		if (c->state == CH_DELETING)
			c->del_queued = true;
	}
}

/* Set up the new IKE_SA of a rekey; ni/nr are the CREATE_CHILD_SA nonces. */
static struct ike_sa *ike_successor(struct ike_sa *old, bool initiator,
				    const uint8_t spi_i[8], const uint8_t spi_r[8],
				    const struct suite *s, const struct buf *ni,
				    const struct buf *nr, const struct buf *gir)
{
	struct ike_sa *n = ikesa_new(old->conn, initiator);

	if (!n)
		return NULL;
	if (spi_i)
		memcpy(n->spi_i, spi_i, 8);
	if (spi_r)
		memcpy(n->spi_r, spi_r, 8);
	n->s = *s;
	n->dh_group = s->dh;
	n->local = old->local;
	n->peer = old->peer;
	n->nat = old->nat;
	if (buf_set(&n->ni, ni->p, ni->len) || buf_set(&n->nr, nr->p, nr->len) ||
	    ikesa_derive(n, gir->p, gir->len, old)) {
		n->state = ST_DEAD;
		return NULL;
	}
	n->state = ST_ESTABLISHED;
	n->next_msgid = n->peer_msgid = 0;
	ikesa_schedule(n);
	move_children(old, n);
	{
		uint64_t a, b;

		memcpy(&a, n->spi_i, 8);
		memcpy(&b, n->spi_r, 8);
		logm(SS_IKE, L_INFO, "conn %s: IKE_SA rekeyed (%s), new SPIs %016llx_i %016llx_r",
		     n->conn->name, initiator ? "initiator" : "responder",
		     (unsigned long long)be64toh(a), (unsigned long long)be64toh(b));
	}
	return n;
}

static int ike_rekey_response(struct ike_sa *sa, struct ike_msg *m)
{
	struct conn *c = sa->conn;
	const struct payload *sap = msg_find(m, PL_SA), *nr = msg_find(m, PL_NONCE);
	const struct payload *ke = msg_find(m, PL_KE);
	struct proposal got[2], chosen;
	struct suite s;
	struct buf gir = { 0 }, nrb = { 0 };
	struct ike_sa *n;

	if (!sap || !nr || !ke || ke->len < 4 || nr->len < 16 || nr->len > 256 ||
	    sa_parse(sap->body, sap->len, got, 2) != 1 ||
	    sa_choose(got, 1, &c->ike, &chosen, &s) || chosen.spi_len != 8 ||
	    s.dh != sa->ccs.dh_group || g16(ke->body) != s.dh ||
	    dh_shared(sa->ccs.dh, ke->body + 4, ke->len - 4, &gir) ||
	    buf_set(&nrb, nr->body, nr->len)) {
		logm(SS_IKE, L_ERR, "conn %s: unacceptable IKE_SA rekey response; keeping the IKE_SA",
		     c->name);
		buf_wipe(&gir);
		sa->ike_rekey_at = now() + 10;
		return -1;
	}
	n = ike_successor(sa, true, sa->ccs.spi_i, chosen.spi, &s, &sa->ccs.ni,
			  &nrb, &gir);
	buf_wipe(&gir);
	buf_free(&nrb);
	if (!n)
		return -1;
	/* The old IKE_SA goes; its CHILD_SAs live on in n. */
	sa->replaced = true;
	return info_delete(sa);
}

static int child_response(struct ike_sa *sa, struct ike_msg *m)
{
	struct conn *c = sa->conn;
	const struct payload *sap = msg_find(m, PL_SA), *nr = msg_find(m, PL_NONCE);
	const struct payload *ke = msg_find(m, PL_KE);
	const struct payload *tsi = msg_find(m, PL_TSI), *tsr = msg_find(m, PL_TSR);
	bool rekey = sa->ccs.kind == CCS_CHILD_REKEY;
	struct child_sa *old = rekey ? child_by_spi_in(sa, sa->ccs.old_spi_in) : NULL;
	struct child_sa prev = { .reqid = sa->ccs.old_reqid,
				 .spi_in = sa->ccs.old_spi_in };
	struct proposal got[2], chosen;
	struct ts_list ti, tr;
	struct buf gir = { 0 }, nrb = { 0 };
	struct child_sa *n = NULL;
	bool lost = false;

	if (old && old->state == CH_REKEYING)
		old->state = CH_INSTALLED;
	if (!sap || !nr || !tsi || !tsr || nr->len < 16 || nr->len > 256 ||
	    sa_parse(sap->body, sap->len, got, 2) != 1 ||
	    sa_choose(got, 1, &c->esp_ccs, &chosen, &(struct suite){ 0 }) ||
	    chosen.spi_len != 4 || ts_parse(tsi->body, tsi->len, &ti) ||
	    ts_parse(tsr->body, tsr->len, &tr) || buf_set(&nrb, nr->body, nr->len))
		goto bad;
	n = child_alloc(sa);
	if (!n)
		goto bad;
	suite_from_prop(&chosen, &n->s);
	if (n->s.has_dh && (!ke || ke->len < 4 || g16(ke->body) != sa->ccs.dh_group ||
			    !sa->ccs.dh ||
			    dh_shared(sa->ccs.dh, ke->body + 4, ke->len - 4, &gir)))
		goto bad;
	n->spi_in = sa->ccs.spi_in;
	n->spi_out = get_u32be(chosen.spi);
	n->transport = (old ? old->transport : c->transport) &&
		       msg_notify(m, N_USE_TRANSPORT_MODE);
	n->keymat_i = true;
	ts_set(sa, n, &ti, &tr);
	if (child_derive(sa, n, &sa->ccs.ni, &nrb, n->s.has_dh ? &gir : NULL))
		goto bad;
	buf_wipe(&gir);
	if (rekey && sa->ccs.coll_len) {
		/* Both rekeyed it: the SA with the lowest nonce is redundant. */
		lost = buf_lower(nonce_min(&sa->ccs.ni, &nrb), sa->ccs.coll,
				 sa->ccs.coll_len);
		logm(SS_IKE, L_INFO, "conn %s: simultaneous CHILD_SA rekey: %s exchange holds the lowest nonce, %s",
		     c->name, lost ? "our" : "the peer's",
		     lost ? "deleting the SA we created" : "the peer deletes its SA");
	}
	buf_free(&nrb);
	child_log(sa, n, rekey ? "rekeyed" : "established");
	if (child_install(sa, n, rekey ? (old ? old : &prev) : NULL)) {
		n->state = CH_NONE;
		return -1;
	}
	if (lost)
		n->del_queued = true;
	if (old) {
		old->state = CH_REKEYED;
		old->del_queued = true;	/* sent by net_timers right away */
	}
	return 0;
bad:
	buf_wipe(&gir);
	buf_free(&nrb);
	if (n)
		n->state = CH_NONE;	/* freed by child_gc */
	logm(SS_IKE, L_ERR, "conn %s: unacceptable CREATE_CHILD_SA response (SA/Nonce/KE/TS); %s",
	     c->name, old ? "keeping the old CHILD_SA, retrying later" : "no new CHILD_SA");
	if (old)
		old->rekey_at = now() + 10;
	return -1;
}

int ccs_response(struct ike_sa *sa, struct ike_msg *m)
{
	struct child_sa *old = sa->ccs.kind == CCS_CHILD_REKEY ?
		child_by_spi_in(sa, sa->ccs.old_spi_in) : NULL;
	const struct payload *np;
	int ret;

	if (sa->ccs.kind == CCS_NONE)
		return -1;
	if (msg_notify(m, N_TEMPORARY_FAILURE)) {
		retry_later(sa, old, "TEMPORARY_FAILURE");
		ret = 0;
	} else if ((np = msg_notify(m, N_INVALID_KE_PAYLOAD)) && np->len >= 6 &&
		   sa->ccs.kind != CCS_IKE_REKEY &&
		   props_have_group(&sa->conn->esp_ccs, g16(np->body + 4))) {
		/* Wants another PFS group we also accept: ask again with it. */
		logm(SS_IKE, L_INFO, "conn %s: peer wants PFS group %u", sa->conn->name,
		     g16(np->body + 4));
		retry_later(sa, old, "INVALID_KE_PAYLOAD");
		ret = 0;
	} else if (msg_notify(m, N_CHILD_SA_NOT_FOUND) && old) {
		/* 2.25: delete it silently, create a new one from scratch. */
		logm(SS_IKE, L_WARN, "conn %s: peer does not know CHILD_SA %08x/%08x any more: removing it, creating a new one",
		     sa->conn->name, old->spi_in, old->spi_out);
		child_uninstall(sa, old);
		sa->ccs.want_child = ccs_childless(sa->conn) == sa;
		ret = -1;
	} else if (msg_notify(m, N_NO_PROPOSAL_CHOSEN) || msg_notify(m, N_TS_UNACCEPTABLE) ||
		   msg_notify(m, N_INVALID_KE_PAYLOAD)) {
		logm(SS_IKE, L_ERR, "conn %s: peer refused our CREATE_CHILD_SA (%s); compare %s on both sides",
		     sa->conn->name, msg_notify(m, N_TS_UNACCEPTABLE) ? "TS_UNACCEPTABLE" :
		     msg_notify(m, N_NO_PROPOSAL_CHOSEN) ? "NO_PROPOSAL_CHOSEN" :
		     "INVALID_KE_PAYLOAD",
		     sa->ccs.kind == CCS_IKE_REKEY ? "ike=" : "esp= (including its PFS group)");
		if (old) {
			old->state = CH_INSTALLED;
			old->rekey_at = 0;	/* lives until its hard lifetime */
		}
		ret = -1;
	} else if (sa->ccs.kind == CCS_IKE_REKEY) {
		ret = ike_rekey_response(sa, m);
	} else {
		ret = child_response(sa, m);
	}
	ccs_free(sa);
	return ret;
}

/* ---- responder ---- */

static int send_notify(struct ike_sa *sa, struct ike_msg *m, uint16_t type,
		       const void *data, size_t len)
{
	struct msg_builder in, out;

	mb_init(&in);
	mb_notify(&in, 0, type, data, len);
	if (ikesa_encrypted_msg(sa, EXCH_CREATE_CHILD_SA, true, m->msgid, &in,
				PL_NOTIFY, &out))
		return -1;
	return ikesa_send_response(sa, &out);
}

static int invalid_ke(struct ike_sa *sa, struct ike_msg *m, uint16_t want,
		      uint16_t got)
{
	uint8_t g[2] = { (uint8_t)(want >> 8), (uint8_t)want };

	logm(SS_IKE, L_INFO, "conn %s: CREATE_CHILD_SA with KE group %u, we chose %u: INVALID_KE_PAYLOAD",
	     sa->conn->name, got, want);
	return send_notify(sa, m, N_INVALID_KE_PAYLOAD, g, 2);
}

static int ike_rekey_respond(struct ike_sa *sa, struct ike_msg *m,
			     const struct proposal *off, int noff)
{
	struct conn *c = sa->conn;
	const struct payload *ni = msg_find(m, PL_NONCE), *ke = msg_find(m, PL_KE);
	struct proposal chosen;
	struct suite s;
	struct buf nib = { 0 }, nrb = { 0 }, pub = { 0 }, gir = { 0 };
	struct msg_builder in, out;
	struct dh *dh = NULL;
	struct ike_sa *n;
	int ret = -1;

	if (sa->ccs.kind != CCS_NONE) {
		/* We are mid-exchange ourselves; the peer tries again. */
		logm(SS_IKE, L_INFO, "conn %s: IKE_SA rekey collision: our CREATE_CHILD_SA is outstanding, answering TEMPORARY_FAILURE",
		     c->name);
		return send_notify(sa, m, N_TEMPORARY_FAILURE, NULL, 0);
	}
	if (!ni || !ke || ke->len < 4 || ni->len < 16 || ni->len > 256)
		return send_notify(sa, m, N_INVALID_SYNTAX, NULL, 0);
	if (sa_choose(off, noff, &c->ike, &chosen, &s) || chosen.spi_len != 8) {
		log_no_proposal("IKE", c->name, off, noff, &c->ike, c->ike_str);
		return send_notify(sa, m, N_NO_PROPOSAL_CHOSEN, NULL, 0);
	}
	if (g16(ke->body) != s.dh)
		return invalid_ke(sa, m, s.dh, g16(ke->body));
	dh = dh_new(s.dh);
	if (!dh || dh_public(dh, &pub) ||
	    dh_shared(dh, ke->body + 4, ke->len - 4, &gir) ||
	    new_nonce(&nrb) || buf_set(&nib, ni->body, ni->len))
		goto out;
	n = ike_successor(sa, false, chosen.spi, NULL, &s, &nib, &nrb, &gir);
	if (!n)
		goto out;
	memcpy(chosen.spi, n->spi_r, 8);
	mb_init(&in);
	sa_write(&in, &chosen, 1);
	put_bytes_pl(&in, PL_NONCE, &nrb);
	put_ke(&in, s.dh, &pub);
	if (ikesa_encrypted_msg(sa, EXCH_CREATE_CHILD_SA, true, m->msgid, &in,
				PL_SA, &out))
		goto out;
	/* The old IKE_SA waits for the peer's delete; no more rekeys on it,
	 * and if the delete never comes it goes by itself. */
	sa->replaced = true;
	sa->ike_rekey_at = 0;
	sa->ike_expire_at = now() + 30;
	ret = ikesa_send_response(sa, &out);
out:
	dh_free(dh);
	buf_wipe(&gir);
	buf_wipe(&nib);
	buf_wipe(&nrb);
	buf_free(&pub);
	return ret;
}

static int child_respond(struct ike_sa *sa, struct ike_msg *m,
			 const struct proposal *off, int noff)
{
	struct conn *c = sa->conn;
	const struct payload *ni = msg_find(m, PL_NONCE), *ke = msg_find(m, PL_KE);
	const struct payload *tsi = msg_find(m, PL_TSI), *tsr = msg_find(m, PL_TSR);
	const struct payload *rk = msg_find(m, PL_NOTIFY) ? msg_notify(m, N_REKEY_SA) : NULL;
	struct child_sa *old = NULL, *n;
	struct proposal chosen;
	struct ts_list pi, pr, ti, tr;
	struct buf nib = { 0 }, nrb = { 0 }, pub = { 0 }, gir = { 0 };
	struct msg_builder in, out;
	struct dh *dh = NULL;
	bool collision = false;
	int ret = -1;

	if (rk) {
		uint32_t spi = rk->len >= 8 && rk->body[1] == 4 ? get_u32be(rk->body + 4) : 0;

		old = child_by_spi_out(sa, spi);
		if (!old) {
			logm(SS_IKE, L_INFO, "conn %s: peer rekeys unknown CHILD_SA %08x: CHILD_SA_NOT_FOUND",
			     c->name, spi);
			return send_notify(sa, m, N_CHILD_SA_NOT_FOUND, NULL, 0);
		}
		if (old->state == CH_REKEYED || old->state == CH_DELETING)
			return send_notify(sa, m, N_TEMPORARY_FAILURE, NULL, 0);
		collision = old->state == CH_REKEYING;
	}
	if (!ni || !tsi || !tsr || ni->len < 16 || ni->len > 256 ||
	    ts_parse(tsi->body, tsi->len, &pi) || ts_parse(tsr->body, tsr->len, &pr))
		return send_notify(sa, m, N_INVALID_SYNTAX, NULL, 0);
	n = child_alloc(sa);
	if (!n) {
		logm(SS_IKE, L_WARN, "conn %s: no room for another CHILD_SA (max %d)",
		     c->name, CHILD_MAX);
		return send_notify(sa, m, N_NO_PROPOSAL_CHOSEN, NULL, 0);
	}
	if (sa_choose(off, noff, &c->esp_ccs, &chosen, &n->s) || chosen.spi_len != 4) {
		log_no_proposal("ESP", c->name, off, noff, &c->esp_ccs, c->esp_str);
		return send_notify(sa, m, N_NO_PROPOSAL_CHOSEN, NULL, 0);
	}
	if (n->s.has_dh && (!ke || ke->len < 4 || g16(ke->body) != n->s.dh))
		return invalid_ke(sa, m, n->s.dh, ke && ke->len >= 4 ? g16(ke->body) : 0);
	n->transport = (old ? old->transport : c->transport) &&
		       msg_notify(m, N_USE_TRANSPORT_MODE);
	if (ts_narrow_child(sa, n->transport, &pi, &pr, &ti, &tr)) {
		char a[512], b[512];

		ts_list_str(&pi, a, sizeof(a));
		ts_list_str(&pr, b, sizeof(b));
		logm(SS_IKE, L_ERR, "conn %s: CREATE_CHILD_SA: TS_UNACCEPTABLE: received TSi %s TSr %s",
		     c->name, a, b);
		return send_notify(sa, m, N_TS_UNACCEPTABLE, NULL, 0);
	}
	if (new_nonce(&nrb) || buf_set(&nib, ni->body, ni->len))
		goto out;
	if (n->s.has_dh) {
		dh = dh_new(n->s.dh);
		if (!dh || dh_public(dh, &pub) ||
		    dh_shared(dh, ke->body + 4, ke->len - 4, &gir))
			goto out;
	}
	n->spi_out = get_u32be(chosen.spi);
	n->spi_in = new_spi();
	put_u32be(chosen.spi, n->spi_in);
	n->keymat_i = false;
	ts_set(sa, n, &tr, &ti);
	if (child_derive(sa, n, &nib, &nrb, n->s.has_dh ? &gir : NULL))
		goto out;
	mb_init(&in);
	if (n->transport)
		mb_notify(&in, 0, N_USE_TRANSPORT_MODE, NULL, 0);
	sa_write(&in, &chosen, 1);
	put_bytes_pl(&in, PL_NONCE, &nrb);
	if (n->s.has_dh)
		put_ke(&in, n->s.dh, &pub);
	ts_write(&in, PL_TSI, &ti);
	ts_write(&in, PL_TSR, &tr);
	if (ikesa_encrypted_msg(sa, EXCH_CREATE_CHILD_SA, true, m->msgid, &in,
				n->transport ? PL_NOTIFY : PL_SA, &out))
		goto out;
	if (collision) {
		/* Our rekey of the same SA is in flight: remember this
		 * exchange's lower nonce for the 2.8.1 tie-break. */
		const struct buf *lo = nonce_min(&nib, &nrb);

		memcpy(sa->ccs.coll, lo->p, lo->len);
		sa->ccs.coll_len = lo->len;
	}
	child_log(sa, n, old ? "rekeyed (by the peer)" : "established (by the peer)");
	if (old) {
		/* The initiator adds its new inbound SA when it reads our
		 * answer: send on the new SA once it deletes the old one. */
		n->out_pending = true;
		n->out_at = now() + 2;
	}
	if (child_install(sa, n, old)) {
		/* Refuse instead: the peer keeps its SAs. */
		memset(n, 0, sizeof(*n));
		ret = send_notify(sa, m, N_NO_PROPOSAL_CHOSEN, NULL, 0);
		goto out;
	}
	if (old && !collision)
		old->state = CH_REKEYED;	/* the peer deletes it */
	ret = ikesa_send_response(sa, &out);
out:
	if (ret && n->state == CH_NONE)
		memset(n, 0, sizeof(*n));
	dh_free(dh);
	buf_wipe(&gir);
	buf_wipe(&nib);
	buf_wipe(&nrb);
	buf_free(&pub);
	return ret;
}

int ccs_respond(struct ike_sa *sa, struct ike_msg *m)
{
	const struct payload *sap = msg_find(m, PL_SA);
	struct proposal off[CONF_MAX_PROPS * 2];
	int n = sap ? sa_parse(sap->body, sap->len, off, CONF_MAX_PROPS * 2) : -1;

	if (n <= 0) {
		logm(SS_IKE, L_INFO, "conn %s: CREATE_CHILD_SA without a valid SA payload",
		     sa->conn->name);
		return send_notify(sa, m, N_INVALID_SYNTAX, NULL, 0);
	}
	if (sa->replaced) {
		/* A rekeyed IKE_SA waiting for its delete takes nothing new. */
		return send_notify(sa, m, N_TEMPORARY_FAILURE, NULL, 0);
	}
	if (off[0].proto == PROTO_IKE)
		return ike_rekey_respond(sa, m, off, n);
	return child_respond(sa, m, off, n);
}
