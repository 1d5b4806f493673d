// SPDX-License-Identifier: GPL-2.0
/*
 * IKE_SA_INIT (RFC 7296 1.2): proposals, key exchange and nonces, plus the
 * two ways a responder can ask for a retry: COOKIE (2.6) and
 * INVALID_KE_PAYLOAD (1.3).
 */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include "kiked.h"

#define NONCE_LEN 32

static uint8_t cookie_secret[32];
static bool cookie_secret_set;

static uint16_t g16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* RFC 7427 4: the hashes we can sign and verify with (SHA2-256/384/512). */
static void put_sig_hashes(struct msg_builder *b)
{
	static const uint8_t h[] = { 0, 2, 0, 3, 0, 4 };

	mb_notify(b, 0, N_SIGNATURE_HASH_ALGORITHMS, h, sizeof(h));
}

/* g^ir is known: our DH key and the KE values are not needed any more
 * (the KE payloads stay in init_i/init_r, which AUTH signs). */
static void ke_done(struct ike_sa *sa)
{
	dh_free(sa->dh);
	sa->dh = NULL;
	buf_free(&sa->kei);
	buf_free(&sa->ker);
}

static int init_send(struct ike_sa *sa)
{
	static const uint8_t zero[8];
	struct msg_builder b;
	size_t s;

	dh_free(sa->dh);
	sa->dh = dh_new(sa->dh_group);
	if (!sa->dh || dh_public(sa->dh, &sa->kei))
		return -1;
	ike_hdr(&b, sa->spi_i, zero, PL_NONE, EXCH_IKE_SA_INIT, IKE_FLAG_I, 0);
	if (sa->cookie.len)
		mb_notify(&b, 0, N_COOKIE, sa->cookie.p, sa->cookie.len);
	sa_write(&b, sa->conn->ike.p, sa->conn->ike.n);
	s = mb_pl_begin(&b, PL_KE);
	mb_u16(&b, sa->dh_group);
	mb_u16(&b, 0);
	mb_put(&b, sa->kei.p, sa->kei.len);
	mb_pl_end(&b, s);
	s = mb_pl_begin(&b, PL_NONCE);
	mb_put(&b, sa->ni.p, sa->ni.len);
	mb_pl_end(&b, s);
	put_sig_hashes(&b);
	natt_put(&b, sa);
	me_cli_init(sa, &b);
	ike_hdr_finish(&b);
	if (b.overflow || buf_set(&sa->init_i, b.buf, b.len))
		return -1;
	sa->next_msgid = 0;
	sa->state = ST_INIT_SENT;
	return ikesa_send_request(sa, &b);
}

int init_start(struct conn *c)
{
	if (c->mediated_by[0] || c->mediation)
		return me_cli_start(c);
	return init_start_at(c, &c->laddr, &c->raddr) ? 0 : -1;
}

struct ike_sa *init_start_at(struct conn *c, const struct sockaddr_storage *local,
			     const struct sockaddr_storage *peer)
{
	struct ike_sa *sa = ikesa_new(c, true);
	uint8_t n[NONCE_LEN];
	char a[64];

	if (!sa)
		return NULL;
	sa->peer = *peer;
	sa->local = *local;
	sa->dh_group = props_first_group(&c->ike);
	if (rand_bytes(n, sizeof(n)) || buf_set(&sa->ni, n, sizeof(n)))
		goto fail;
	logm(SS_IKE, L_INFO, "conn %s: initiating IKE_SA to %s (group %u)",
	     c->name, sa_str(&sa->peer, a, sizeof(a)), sa->dh_group);
	if (init_send(sa))
		goto fail;
	return sa;
fail:
	sa->state = ST_DEAD;
	return NULL;
}

static void send_plain_notify(const struct ike_msg *m,
			      const struct sockaddr_storage *from,
			      const struct sockaddr_storage *to, uint16_t type,
			      const void *data, size_t len)
{
	static const uint8_t zero[8];
	struct msg_builder b;

	ike_hdr(&b, m->spi_i_b, zero, PL_NONE, EXCH_IKE_SA_INIT, IKE_FLAG_R, 0);
	mb_notify(&b, 0, type, data, len);
	ike_hdr_finish(&b);
	net_send(to, from, b.buf, b.len);
}

static struct conn *conn_for(const struct sockaddr_storage *from,
			     const struct sockaddr_storage *to)
{
	for (int i = 0; i < g_conf.nconns; i++) {
		struct conn *c = &g_conf.conns[i];
		if (c->auto_mode == AUTO_IGNORE)
			continue;
		if ((c->raddr.ss_family && !ss_same_addr(&c->raddr, from)) ||
		    (c->laddr.ss_family && !ss_same_addr(&c->laddr, to)))
			continue;
		return c;
	}
	return NULL;
}

static void cookie_calc(const struct ike_msg *m, const struct payload *ni,
			const struct sockaddr_storage *from, uint8_t *out)
{
	uint8_t data[8 + 16 + 256];
	size_t l, nl = ni->len > 256 ? 256 : ni->len;
	const uint8_t *a = ss_addr(from, &l);

	if (!cookie_secret_set) {
		rand_bytes(cookie_secret, sizeof(cookie_secret));
		cookie_secret_set = true;
	}
	memcpy(data, m->spi_i_b, 8);
	memcpy(data + 8, a, l);
	l += 8;
	memcpy(data + l, ni->body, nl);
	prf(PRF_HMAC_SHA2_256, cookie_secret, sizeof(cookie_secret), data,
	    l + nl, out);
}

static int half_open(void)
{
	int n = 0;

	for (struct ike_sa *sa = ikesa_list(); sa; sa = sa->next)
		n += !sa->initiator && sa->state == ST_INIT_DONE;
	return n;
}

/* COOKIE (RFC 7296 2.6): above the half-open threshold, demand that the
 * initiator proves it can receive at its source address. */
static bool need_cookie(const struct ike_msg *m, const struct payload *ni,
			const struct sockaddr_storage *from,
			const struct sockaddr_storage *to)
{
	const struct payload *c = msg_notify(m, N_COOKIE);
	uint8_t want[32];

	if (half_open() < g_conf.half_open_max)
		return false;
	cookie_calc(m, ni, from, want);
	if (c && c->len == 4 + sizeof(want) && !memcmp(c->body + 4, want, sizeof(want)))
		return false;
	{
		char a[64];

		logm(SS_IKE, L_INFO, "%d half-open IKE_SAs (limit %d): asking %s for a COOKIE",
		     half_open(), g_conf.half_open_max, sa_str(from, a, sizeof(a)));
	}
	send_plain_notify(m, from, to, N_COOKIE, want, sizeof(want));
	return true;
}

static void props_str(const struct proposal *p, int n, char *out, size_t len)
{
	size_t o = 0;

	out[0] = 0;
	for (int i = 0; i < n && o < len; i++) {
		char b[256];

		prop_str(&p[i], b, sizeof(b));
		o += (size_t)snprintf(out + o, len - o, "%s%s", i ? ", " : "", b);
	}
}

void log_no_proposal(const char *what, const char *conn,
		     const struct proposal *off, int noff,
		     const struct prop_list *conf, const char *conf_str)
{
	char r[1024], c[1024];

	props_str(off, noff, r, sizeof(r));
	props_str(conf->p, conf->n, c, sizeof(c));
	logm(SS_IKE, L_ERR, "conn %s: NO_PROPOSAL_CHOSEN for %s: received [%s], configured [%s]; add one of the received proposals to %s= in ipsec.conf",
	     conn, what, r, c, what[0] == 'I' ? "ike" : "esp");
	(void)conf_str;
}

int init_respond(struct ike_msg *m, const struct sockaddr_storage *from,
		 const struct sockaddr_storage *to)
{
	struct proposal offered[CONF_MAX_PROPS * 2], chosen;
	const struct payload *sap, *ke, *ni;
	struct buf gir = { 0 };
	struct msg_builder b;
	struct conn *c;
	struct ike_sa *sa;
	uint8_t n[NONCE_LEN];
	int noff;
	size_t s;
	char a[64];

	sap = msg_find(m, PL_SA);
	ke = msg_find(m, PL_KE);
	ni = msg_find(m, PL_NONCE);
	if (!sap || !ke || !ni || ke->len < 4 || ni->len < 16 || ni->len > 256) {
		logm(SS_IKE, L_INFO, "IKE_SA_INIT from %s lacks SA, KE or Nonce; answering INVALID_SYNTAX",
		     sa_str(from, a, sizeof(a)));
		send_plain_notify(m, from, to, N_INVALID_SYNTAX, NULL, 0);
		return -1;
	}
	/* Stateless check first: no work for unproven source addresses. */
	if (need_cookie(m, ni, from, to))
		return 0;
	c = conn_for(from, to);
	if (!c) {
		logm(SS_IKE, L_ERR, "IKE_SA_INIT from %s: no conn with right=%s (or %%any) and a matching left; add one to ipsec.conf",
		     sa_str(from, a, sizeof(a)), a);
		send_plain_notify(m, from, to, N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return -1;
	}
	noff = sa_parse(sap->body, sap->len, offered, CONF_MAX_PROPS * 2);
	if (noff <= 0) {
		logm(SS_IKE, L_INFO, "IKE_SA_INIT from %s: malformed SA payload; answering INVALID_SYNTAX",
		     sa_str(from, a, sizeof(a)));
		send_plain_notify(m, from, to, N_INVALID_SYNTAX, NULL, 0);
		return -1;
	}
	if (sa_choose(offered, noff, &c->ike, &chosen, &(struct suite){ 0 })) {
		log_no_proposal("IKE", c->name, offered, noff, &c->ike, c->ike_str);
		send_plain_notify(m, from, to, N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return -1;
	}
	sa = ikesa_new(c, false);
	if (!sa)
		return -1;
	suite_from_prop(&chosen, &sa->s);
	if (g16(ke->body) != sa->s.dh) {
		uint8_t g[2] = { (uint8_t)(sa->s.dh >> 8), (uint8_t)sa->s.dh };

		logm(SS_IKE, L_INFO, "conn %s: peer sent KE for group %u, we chose %u: INVALID_KE_PAYLOAD",
		     c->name, g16(ke->body), sa->s.dh);
		send_plain_notify(m, from, to, N_INVALID_KE_PAYLOAD, g, 2);
		sa->state = ST_DEAD;
		return 0;
	}
	memcpy(sa->spi_i, m->spi_i_b, 8);
	sa->peer = *from;
	sa->local = *to;
	natt_detect(sa, m, from, to);
	sa->dh_group = sa->s.dh;
	sa->dh = dh_new(sa->dh_group);
	if (!sa->dh || dh_public(sa->dh, &sa->ker) ||
	    dh_shared(sa->dh, ke->body + 4, ke->len - 4, &gir)) {
		logm(SS_IKE, L_ERR, "conn %s: key exchange with group %u failed (bad public value from %s?)",
		     c->name, sa->dh_group, sa_str(from, a, sizeof(a)));
		send_plain_notify(m, from, to, N_INVALID_SYNTAX, NULL, 0);
		goto fail;
	}
	if (rand_bytes(n, sizeof(n)) || buf_set(&sa->nr, n, sizeof(n)) ||
	    buf_set(&sa->ni, ni->body, ni->len) ||
	    buf_set(&sa->init_i, m->raw, m->raw_len) ||
	    ikesa_derive(sa, gir.p, gir.len, NULL))
		goto fail;
	buf_wipe(&gir);

	ike_hdr(&b, sa->spi_i, sa->spi_r, PL_NONE, EXCH_IKE_SA_INIT, IKE_FLAG_R, 0);
	sa_write(&b, &chosen, 1);
	s = mb_pl_begin(&b, PL_KE);
	mb_u16(&b, sa->dh_group);
	mb_u16(&b, 0);
	mb_put(&b, sa->ker.p, sa->ker.len);
	mb_pl_end(&b, s);
	s = mb_pl_begin(&b, PL_NONCE);
	mb_put(&b, sa->nr.p, sa->nr.len);
	mb_pl_end(&b, s);
	if (c->rpub)
		cert_put_certreq(&b);
	put_sig_hashes(&b);
	natt_put(&b, sa);
	me_srv_init(sa, m, &b);
	ike_hdr_finish(&b);
	if (b.overflow || buf_set(&sa->init_r, b.buf, b.len))
		goto fail;
	ke_done(sa);
	sa->state = ST_INIT_DONE;
	sa->peer_msgid = 0;
	{
		char p[256];

		prop_str(&chosen, p, sizeof(p));
		logm(SS_IKE, L_INFO, "conn %s: IKE_SA_INIT from %s, selected %s",
		     c->name, sa_str(from, a, sizeof(a)), p);
	}
	return ikesa_send_response(sa, &b);
fail:
	buf_wipe(&gir);
	sa->state = ST_DEAD;
	return -1;
}

int init_response(struct ike_sa *sa, struct ike_msg *m)
{
	struct proposal got[2], chosen;
	const struct payload *sap, *ke, *nr, *np;
	struct buf gir = { 0 };
	struct conn *c = sa->conn;
	char p[256];
	int n;

	np = msg_notify(m, N_INVALID_KE_PAYLOAD);
	if (np && np->len >= 6) {
		uint16_t g = g16(np->body + 4);

		if (!props_have_group(&c->ike, g) || sa->ke_retries++ > 2) {
			logm(SS_IKE, L_ERR, "conn %s: peer wants DH group %u which is not in ike=%s",
			     c->name, g, c->ike_str[0] ? c->ike_str : "(default)");
			sa->state = ST_DEAD;
			return -1;
		}
		logm(SS_IKE, L_INFO, "conn %s: peer asks for DH group %u, retrying", c->name, g);
		sa->dh_group = g;
		return init_send(sa);
	}
	np = msg_notify(m, N_COOKIE);
	if (np && np->len > 4 && np->len <= 4 + 64) {
		if (buf_set(&sa->cookie, np->body + 4, np->len - 4))
			return -1;
		logm(SS_IKE, L_INFO, "conn %s: peer demands a COOKIE, retrying", c->name);
		return init_send(sa);
	}
	if (msg_notify(m, N_NO_PROPOSAL_CHOSEN)) {
		char cs[1024] = "";

		for (int i = 0; i < c->ike.n; i++) {
			prop_str(&c->ike.p[i], p, sizeof(p));
			snprintf(cs + strlen(cs), sizeof(cs) - strlen(cs), "%s%s", i ? ", " : "", p);
		}
		logm(SS_IKE, L_ERR, "conn %s: peer answered NO_PROPOSAL_CHOSEN to our IKE proposals [%s]; the peer's ike= must share one of them",
		     c->name, cs);
		sa->state = ST_DEAD;
		return -1;
	}
	sap = msg_find(m, PL_SA);
	ke = msg_find(m, PL_KE);
	nr = msg_find(m, PL_NONCE);
	if (!sap || !ke || !nr || ke->len < 4 || nr->len < 16 || nr->len > 256)
		goto bad;
	n = sa_parse(sap->body, sap->len, got, 2);
	if (n != 1 || sa_choose(got, 1, &c->ike, &chosen, &sa->s) ||
	    chosen.nxf != got[0].nxf || sa->s.dh != sa->dh_group ||
	    g16(ke->body) != sa->dh_group)
		goto bad;
	memcpy(sa->spi_r, m->spi_r_b, 8);
	if (buf_set(&sa->nr, nr->body, nr->len) ||
	    buf_set(&sa->init_r, m->raw, m->raw_len) ||
	    dh_shared(sa->dh, ke->body + 4, ke->len - 4, &gir) ||
	    ikesa_derive(sa, gir.p, gir.len, NULL)) {
		buf_wipe(&gir);
		goto bad;
	}
	buf_wipe(&gir);
	ke_done(sa);
	prop_str(&chosen, p, sizeof(p));
	logm(SS_IKE, L_INFO, "conn %s: IKE_SA_INIT done, peer selected %s", c->name, p);
	if (c->mediation && me_cli_init_response(sa, m)) {
		sa->state = ST_DEAD;
		return -1;
	}
	return auth_request(sa);
bad:
	logm(SS_IKE, L_ERR, "conn %s: malformed or unacceptable IKE_SA_INIT response (SA must be one of our proposals, KE of group %u)",
	     c->name, sa->dh_group);
	sa->state = ST_DEAD;
	return -1;
}
