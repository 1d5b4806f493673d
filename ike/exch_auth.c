// SPDX-License-Identifier: GPL-2.0
/*
 * IKE_AUTH (RFC 7296 1.2, 2.15): identities, PSK authentication and the
 * first CHILD_SA with narrowed traffic selectors.  Every refusal logs one
 * line saying what was received, what was configured, and what to change.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include "kiked.h"

static const char key_pad[] = "Key Pad for IKEv2";

/*
 * SignedOctets = RealMessage | Nonce(peer) | prf(SK_p, IDbody) (RFC 7296
 * 2.15), for the PSK MAC and for signatures alike.
 */
static int signed_octets(struct ike_sa *sa, bool for_initiator,
			 const uint8_t *idpl, size_t idlen, struct buf *out)
{
	const struct buf *msg = for_initiator ? &sa->init_i : &sa->init_r;
	const struct buf *nonce = for_initiator ? &sa->nr : &sa->ni;
	uint8_t mac[64];

	if (prf(sa->s.prf, for_initiator ? sa->sk_pi : sa->sk_pr,
		prf_len(sa->s.prf), idpl, idlen, mac) ||
	    buf_set(out, msg->p, msg->len) || buf_cat(out, nonce->p, nonce->len) ||
	    buf_cat(out, mac, prf_len(sa->s.prf))) {
		buf_free(out);
		return -1;
	}
	return 0;
}

/* AUTH = prf(prf(PSK, "Key Pad for IKEv2"), <SignedOctets>). */
int psk_auth(struct ike_sa *sa, bool for_initiator, const uint8_t *idpl,
	     size_t idlen, uint8_t *out, size_t *outlen, const char **why)
{
	const struct conn *c = sa->conn;
	const struct secret *sec;
	size_t pl = prf_len(sa->s.prf);
	struct buf oct = { 0 };
	uint8_t key[64];
	char peer[300] = "%any";
	int ret = -1;

	/* rightid=%any: the identity the peer authenticates as. */
	if (c->rightid[0] && strcmp(c->rightid, "%any"))
		snprintf(peer, sizeof(peer), "%s", c->rightid);
	else if (sa->peer_id_set)
		id_str(&sa->peer_id, peer, sizeof(peer));
	sec = secret_find(&g_conf, c->leftid, peer);
	if (!sec) {
		*why = "no PSK in the secrets file for these IDs";
		return -1;
	}
	if (signed_octets(sa, for_initiator, idpl, idlen, &oct))
		return -1;
	if (prf(sa->s.prf, (const uint8_t *)sec->psk, sec->psk_len,
		(const uint8_t *)key_pad, strlen(key_pad), key))
		goto out;
	if (prf(sa->s.prf, key, pl, oct.p, oct.len, out))
		goto out;
	*outlen = pl;
	ret = 0;
out:
	wipe(key, sizeof(key));
	buf_free(&oct);
	return ret;
}

/*
 * Our AUTH data for the ID body: a PSK MAC, or with leftauth=pubkey a
 * Digital Signature (RFC 7427) with leftcert's key.
 */
static int our_auth(struct ike_sa *sa, const uint8_t *id, size_t idlen,
		    struct buf *out, uint8_t *method, const char **why)
{
	struct buf oct = { 0 };
	uint8_t mac[64];
	size_t ml = 0;
	int ret;

	if (!sa->conn->lpub) {
		*method = AUTH_METHOD_PSK;
		ret = psk_auth(sa, sa->initiator, id, idlen, mac, &ml, why) ||
		      buf_set(out, mac, ml);
		wipe(mac, sizeof(mac));
		return ret ? -1 : 0;
	}
	*method = AUTH_METHOD_DSIG;
	if (!sa->conn->cert) {
		*why = "leftauth=pubkey needs leftcert=";
		return -1;
	}
	if (signed_octets(sa, sa->initiator, id, idlen, &oct))
		return -1;
	ret = cert_sign(sa->conn, oct.p, oct.len, out, why);
	buf_free(&oct);
	return ret;
}

/* leftid, or the exact subject DN of leftcert when leftid defaulted to it. */
static int our_id(const struct conn *c, struct ike_id *id)
{
	if (c->leftid_cert)
		return cert_subject_id(c, id);
	return id_from_string(c->leftid, id);
}

size_t put_id(struct msg_builder *b, uint8_t pltype, const struct ike_id *id)
{
	size_t s = mb_pl_begin(b, pltype);

	mb_u8(b, id->type);
	mb_u8(b, 0);
	mb_u16(b, 0);
	mb_put(b, id->data, id->len);
	mb_pl_end(b, s);
	return s + 4;
}

static void put_auth(struct msg_builder *b, uint8_t method, const struct buf *a)
{
	size_t s = mb_pl_begin(b, PL_AUTH);

	mb_u8(b, method);
	mb_u8(b, 0);
	mb_u16(b, 0);
	mb_put(b, a->p, a->len);
	mb_pl_end(b, s);
}

void put_u32be(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

uint32_t get_u32be(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

uint32_t new_spi(void)
{
	uint32_t s = 0;

	while (s < 256)
		rand_bytes(&s, sizeof(s));
	return s;
}

/* Both AUTH payloads are computed and checked: the IKE_SA is up, and what
 * only IKE_AUTH needed (both IKE_SA_INIT messages) goes.  (Our DH key and
 * the KE values went when g^ir was computed, exch_init.c.) */
static void auth_done(struct ike_sa *sa)
{
	sa->state = ST_ESTABLISHED;
	ikesa_schedule(sa);
	buf_free(&sa->init_i);
	buf_free(&sa->init_r);
}

/* Another established IKE_SA of sa's conn with the same peer address. */
static struct ike_sa *other_ikesa(const struct ike_sa *sa)
{
	for (struct ike_sa *o = ikesa_list(); o; o = o->next)
		if (o != sa && o->conn == sa->conn && o->state == ST_ESTABLISHED &&
		    !o->replaced && ss_same_addr(&o->peer, &sa->peer))
			return o;
	return NULL;
}

/* RFC 7296 2.4: INITIAL_CONTACT from an authenticated peer means it kept
 * no state (it restarted, or gave us up after failed liveness checks): the
 * IKE_SAs we still hold with it are stale and go without a delete. */
static void initial_contact(struct ike_sa *sa)
{
	struct ike_sa *o;

	while ((o = other_ikesa(sa))) {
		logm(SS_IKE, L_INFO, "conn %s: INITIAL_CONTACT from the peer: dropping our previous IKE_SA with it",
		     sa->conn->name);
		child_uninstall_all(o);
		o->state = ST_DEAD;
	}
}

int auth_request(struct ike_sa *sa)
{
	struct conn *c = sa->conn;
	struct proposal props[CONF_MAX_PROPS];
	struct msg_builder in, out;
	struct ike_id idi, idr;
	struct buf auth = { 0 };
	uint8_t spi[4], method;
	size_t idoff;
	const char *why = "";

	if (our_id(c, &idi)) {
		logm(SS_CFG, L_ERR, "conn %s: leftid=%s: cannot encode (DN identities need certificates)",
		     c->name, c->leftid);
		goto fail;
	}
	mb_init(&in);
	idoff = put_id(&in, PL_IDI, &idi);
	if (our_auth(sa, in.buf + idoff, in.len - idoff, &auth, &method, &why)) {
		logm(SS_IKE, L_ERR, "conn %s: cannot authenticate: %s (local ID %s, peer ID %s)",
		     c->name, why, c->leftid, c->rightid);
		goto fail;
	}
	if (c->lpub)
		cert_put_cert(&in, c);
	if (c->rpub)
		cert_put_certreq(&in);
	if (c->rightid[0] && strcmp(c->rightid, "%any") &&
	    !id_from_string(c->rightid, &idr))
		put_id(&in, PL_IDR, &idr);
	put_auth(&in, method, &auth);
	buf_wipe(&auth);
	if (!other_ikesa(sa))
		mb_notify(&in, 0, N_INITIAL_CONTACT, NULL, 0);
	if (c->mediation) {
		/* A mediation connection: no CHILD_SA (me_client.c). */
		me_cli_auth_put(sa, &in);
		goto seal;
	}
	if (c->transport)
		mb_notify(&in, 0, N_USE_TRANSPORT_MODE, NULL, 0);
	if (!child_first(sa))
		goto fail;
	sa->child[0]->spi_in = new_spi();
	logm(SS_IKE, L_INFO, "conn %s: proposing CHILD_SA, inbound SPI %08x",
	     c->name, sa->child[0]->spi_in);
	put_u32be(spi, sa->child[0]->spi_in);
	props_with_spi(&c->esp, spi, 4, props);
	sa_write(&in, props, c->esp.n);
	ts_write_child(sa, &in, &c->lsub, &c->rsub);
seal:
	if (ikesa_encrypted_msg(sa, EXCH_IKE_AUTH, false, sa->next_msgid, &in,
				PL_IDI, &out))
		goto fail;
	sa->state = ST_AUTH_SENT;
	return ikesa_send_request(sa, &out);
fail:
	sa->state = ST_DEAD;
	return -1;
}

void child_log(struct ike_sa *sa, struct child_sa *ch, const char *verb)
{
	char i[512], r[512];

	ts_list_str(&ch->tsi, i, sizeof(i));
	ts_list_str(&ch->tsr, r, sizeof(r));
	logm(SS_IKE, L_INFO, "conn %s: CHILD_SA %s: %s mode, SPIs in %08x out %08x, ESP %s%u%s, TS %s === %s",
	     sa->conn->name, verb, ch->transport ? "transport" : "tunnel",
	     ch->spi_in, ch->spi_out,
	     ch->s.encr == ENCR_AES_GCM_16 ? "AES_GCM_16_" : "AES_CBC_",
	     ch->s.encr_keylen,
	     !ch->s.has_integ ? "" : ch->s.integ == AUTH_HMAC_SHA2_256_128 ?
	     "/HMAC_SHA2_256_128" : ch->s.integ == AUTH_HMAC_SHA2_384_192 ?
	     "/HMAC_SHA2_384_192" : "/HMAC_SHA2_512_256", i, r);
}

int parse_id(const struct payload *p, struct ike_id *id)
{
	if (!p || p->len < 4 || p->len - 4 > sizeof(id->data))
		return -1;
	id->type = p->body[0];
	id->len = p->len - 4;
	memcpy(id->data, p->body + 4, id->len);
	return 0;
}

static bool id_equal(const struct ike_id *a, const struct ike_id *b)
{
	return a->type == b->type && a->len == b->len &&
	       !memcmp(a->data, b->data, a->len);
}

/* The configured peer ID must match unless it is %any. */
static int check_peer_id(struct ike_sa *sa, const struct ike_id *got)
{
	struct conn *c = sa->conn;
	struct ike_id want;
	char g[300];

	if (!c->rightid[0] || !strcmp(c->rightid, "%any"))
		return 0;
	if (id_from_string(c->rightid, &want) == 0 && id_equal(&want, got))
		return 0;
	id_str(got, g, sizeof(g));
	logm(SS_IKE, L_ERR, "conn %s: identity mismatch: expected peer ID '%s', peer presented '%s'%s; set rightid=%s%s or change the peer's leftid",
	     c->name, c->rightid, g,
	     got->type == ID_IPV4_ADDR || got->type == ID_IPV6_ADDR ?
	     " (an address ID: is the peer behind NAT using its private address?)" : "",
	     got->type == ID_FQDN ? "@" : "", g);
	return -1;
}

static int verify_auth(struct ike_sa *sa, bool peer_is_initiator,
		       const struct ike_msg *m, const struct payload *idp,
		       const struct payload *ap)
{
	uint8_t want[64];
	size_t wl = 0;
	const char *why = "";
	int ok;

	if (!ap || ap->len < 5) {
		logm(SS_IKE, L_ERR, "conn %s: peer sent no AUTH payload", sa->conn->name);
		return -1;
	}
	if (sa->conn->rpub) {
		struct buf oct = { 0 };
		struct ike_id id;

		if (parse_id(idp, &id) ||
		    signed_octets(sa, peer_is_initiator, idp->body, idp->len, &oct))
			return -1;
		ok = !cert_verify(sa->conn, m, &id, ap->body, ap->len, oct.p, oct.len);
		buf_free(&oct);
		return ok ? 0 : -1;
	}
	if (ap->body[0] != AUTH_METHOD_PSK) {
		logm(SS_IKE, L_ERR, "conn %s: authentication failed: peer uses AUTH method %u, only PSK (2) is configured; set the peer's leftauth=psk or our rightauth=pubkey",
		     sa->conn->name, ap->body[0]);
		return -1;
	}
	if (psk_auth(sa, peer_is_initiator, idp->body, idp->len, want, &wl, &why)) {
		logm(SS_IKE, L_ERR, "conn %s: authentication failed: %s", sa->conn->name, why);
		return -1;
	}
	ok = ap->len - 4 == wl && !CRYPTO_memcmp(ap->body + 4, want, wl);
	wipe(want, sizeof(want));
	if (!ok) {
		struct ike_id id;
		char g[300];

		parse_id(idp, &id);
		id_str(&id, g, sizeof(g));
		logm(SS_IKE, L_ERR, "conn %s: authentication failed: peer '%s' proved a different pre-shared key (PSK mismatch); make the PSK for '%s' in ipsec.secrets equal on both sides",
		     sa->conn->name, g, g);
		return -1;
	}
	return 0;
}

static void send_auth_error(struct ike_sa *sa, uint16_t type)
{
	struct msg_builder in, out;

	mb_init(&in);
	mb_notify(&in, 0, type, NULL, 0);
	if (!ikesa_encrypted_msg(sa, EXCH_IKE_AUTH, true, sa->peer_msgid, &in,
				 PL_NOTIFY, &out))
		ikesa_send_response(sa, &out);
}

int auth_put_idr(struct ike_sa *sa, struct msg_builder *in)
{
	struct conn *c = sa->conn;
	struct ike_id myid;
	struct buf auth = { 0 };
	const char *why = "";
	uint8_t method;
	size_t idoff;

	if (our_id(c, &myid))
		return -1;
	idoff = put_id(in, PL_IDR, &myid);
	if (our_auth(sa, in->buf + idoff, in->len - idoff, &auth, &method, &why)) {
		logm(SS_IKE, L_ERR, "conn %s: cannot authenticate ourselves: %s", c->name, why);
		return -1;
	}
	if (c->lpub)
		cert_put_cert(in, c);
	put_auth(in, method, &auth);
	buf_wipe(&auth);
	return 0;
}

int auth_respond(struct ike_sa *sa, struct ike_msg *m)
{
	struct conn *c = sa->conn;
	const struct payload *idi = msg_find(m, PL_IDI), *ap = msg_find(m, PL_AUTH);
	const struct payload *sap = msg_find(m, PL_SA);
	const struct payload *tsi = msg_find(m, PL_TSI), *tsr = msg_find(m, PL_TSR);
	struct proposal off[CONF_MAX_PROPS * 2], chosen;
	struct ts_list ptsi, ptsr;
	struct child_sa *ch;
	struct msg_builder in, out;
	struct ike_id gid;
	int n;

	if (parse_id(idi, &gid) || (!sa->me && (!sap || !tsi || !tsr ||
	    ts_parse(tsi->body, tsi->len, &ptsi) || ts_parse(tsr->body, tsr->len, &ptsr)))) {
		logm(SS_IKE, L_ERR, "conn %s: IKE_AUTH request lacks IDi, SA, TSi or TSr, or they are malformed",
		     c->name);
		send_auth_error(sa, N_INVALID_SYNTAX);
		goto dead;
	}
	sa->peer_id = gid;
	sa->peer_id_set = true;
	if (check_peer_id(sa, &gid) || verify_auth(sa, true, m, idi, ap)) {
		send_auth_error(sa, N_AUTHENTICATION_FAILED);
		goto dead;
	}
	/* A mediation server's peers may share a NAT's address: its registry
	 * goes by identity (me_server.c), INITIAL_CONTACT by address would
	 * drop a neighbour's registration. */
	if (sa->me)
		return me_srv_auth(sa, m, &gid);
	if (msg_notify(m, N_INITIAL_CONTACT))
		initial_contact(sa);
	ch = child_first(sa);
	if (!ch) {
		send_auth_error(sa, N_TEMPORARY_FAILURE);
		goto dead;
	}
	n = sa_parse(sap->body, sap->len, off, CONF_MAX_PROPS * 2);
	if (n <= 0 || sa_choose(off, n, &c->esp, &chosen, &ch->s) ||
	    chosen.spi_len != 4) {
		if (n > 0)
			log_no_proposal("ESP", c->name, off, n, &c->esp, c->esp_str);
		send_auth_error(sa, N_NO_PROPOSAL_CHOSEN);
		goto dead;
	}
	ch->transport = c->transport && msg_notify(m, N_USE_TRANSPORT_MODE);
	if (ts_narrow_child(sa, ch->transport, &ptsi, &ptsr, &ch->tsi, &ch->tsr)) {
		char a[512], b[512], x[512], y[512];

		ts_list_str(&ptsi, a, sizeof(a));
		ts_list_str(&ptsr, b, sizeof(b));
		ts_list_str(&c->rsub, x, sizeof(x));
		ts_list_str(&c->lsub, y, sizeof(y));
		logm(SS_IKE, L_ERR, "conn %s: TS_UNACCEPTABLE: received TSi %s TSr %s, configured rightsubnet %s leftsubnet %s; make the peer's leftsubnet/rightsubnet overlap ours",
		     c->name, a, b, x, y);
		send_auth_error(sa, N_TS_UNACCEPTABLE);
		goto dead;
	}
	ch->spi_out = get_u32be(chosen.spi);
	ch->spi_in = new_spi();
	put_u32be(chosen.spi, ch->spi_in);
	mb_init(&in);
	if (auth_put_idr(sa, &in))
		goto dead;
	if (ch->transport)
		mb_notify(&in, 0, N_USE_TRANSPORT_MODE, NULL, 0);
	sa_write(&in, &chosen, 1);
	ts_write(&in, PL_TSI, &ch->tsi);
	ts_write(&in, PL_TSR, &ch->tsr);
	if (ikesa_encrypted_msg(sa, EXCH_IKE_AUTH, true, sa->peer_msgid, &in,
				PL_IDR, &out))
		goto dead;
	ch->keymat_i = sa->initiator;
	if (child_derive(sa, ch, &sa->ni, &sa->nr, NULL))
		goto dead;
	auth_done(sa);
	{
		char g[300];

		id_str(&gid, g, sizeof(g));
		logm(SS_IKE, L_INFO, "conn %s: IKE_SA established with '%s' (responder)", c->name, g);
	}
	if (ikesa_send_response(sa, &out))
		return -1;
	child_log(sa, ch, "established");
	return child_install(sa, ch, NULL);
dead:
	sa->state = ST_DEAD;
	return -1;
}

int auth_response(struct ike_sa *sa, struct ike_msg *m)
{
	struct conn *c = sa->conn;
	const struct payload *idr = msg_find(m, PL_IDR), *ap = msg_find(m, PL_AUTH);
	const struct payload *sap = msg_find(m, PL_SA);
	const struct payload *tsi = msg_find(m, PL_TSI), *tsr = msg_find(m, PL_TSR);
	struct proposal got[2], chosen;
	struct child_sa *ch = child_first(sa);
	struct ike_id gid;
	static const struct { uint16_t n; const char *why; } errs[] = {
		{ N_AUTHENTICATION_FAILED, "AUTHENTICATION_FAILED: the peer rejected our identity or PSK; compare leftid/rightid and ipsec.secrets on both sides" },
		{ N_NO_PROPOSAL_CHOSEN, "NO_PROPOSAL_CHOSEN for the CHILD_SA: the peer's esp= shares none of ours, or the peer could not install the SA (see its log)" },
		{ N_TS_UNACCEPTABLE, "TS_UNACCEPTABLE: the peer's leftsubnet/rightsubnet do not overlap ours" },
		{ N_INVALID_SYNTAX, "INVALID_SYNTAX: the peer could not parse our IKE_AUTH" },
	};

	if (parse_id(idr, &gid) || check_peer_id(sa, &gid) ||
	    verify_auth(sa, false, m, idr, ap)) {
		if (msg_notify(m, N_AUTHENTICATION_FAILED))
			logm(SS_IKE, L_ERR, "conn %s: peer answered %s", c->name, errs[0].why);
		goto dead;
	}
	auth_done(sa);
	{
		char g[300];

		id_str(&gid, g, sizeof(g));
		logm(SS_IKE, L_INFO, "conn %s: IKE_SA established with '%s' (initiator)", c->name, g);
	}
	if (c->mediation)
		return me_cli_established(sa, m);
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		if (msg_notify(m, errs[i].n)) {
			logm(SS_IKE, L_ERR, "conn %s: peer answered %s", c->name, errs[i].why);
			return -1;	/* IKE_SA stays up (RFC 7296 1.2) */
		}
	if (!ch || !sap || !tsi || !tsr || sa_parse(sap->body, sap->len, got, 2) != 1 ||
	    sa_choose(got, 1, &c->esp, &chosen, &ch->s) || chosen.spi_len != 4 ||
	    ts_parse(tsi->body, tsi->len, &ch->tsi) ||
	    ts_parse(tsr->body, tsr->len, &ch->tsr)) {
		logm(SS_IKE, L_ERR, "conn %s: IKE_AUTH response has no acceptable SA/TSi/TSr", c->name);
		goto dead;
	}
	ch->spi_out = get_u32be(chosen.spi);
	ch->transport = c->transport && msg_notify(m, N_USE_TRANSPORT_MODE);
	ch->keymat_i = sa->initiator;
	if (child_derive(sa, ch, &sa->ni, &sa->nr, NULL))
		goto dead;
	child_log(sa, ch, "established");
	return child_install(sa, ch, NULL);
dead:
	sa->state = ST_DEAD;
	return -1;
}
