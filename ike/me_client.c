// SPDX-License-Identifier: GPL-2.0
/*
 * IKEv2 mediation client (Documentation/mediation.md, strongSwan's
 * behaviour).  A conn with mediated_by= starts through its mediation conn:
 * that IKE_SA carries ME_MEDIATION, floats to port 4500 whether or not
 * there is a NAT, has no CHILD_SA, and asks the server for our
 * server-reflexive endpoint.  Once it is up, the mediated conn sends
 * ME_CONNECT (ID_PEER = me_peerid, a connect ID, our key, ME_CALLBACK and our
 * endpoints: the mediation IKE_SA's local address and the server-reflexive
 * one, port 4500).  The relayed answer gives the peer's key and endpoints;
 * both sides then run connectivity checks over the endpoint pairs (me.c
 * builds them in charon's order), unencrypted INFORMATIONALs with zero SPIs
 * signed with ME_CONNECTAUTH, one new check per timer tick, triggered
 * checks first, charon's retransmission schedule.  The side that sent the
 * first ME_CONNECT initiates the mediated IKE_SA over the best valid pair
 * from port 4500, with ME_CONNECTID in its IKE_SA_INIT (which ends the
 * peer's checklist); the CHILD_SA then goes into kipsec as ESP in UDP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "me.h"

#define ME_LISTS	4
#define ME_WAIT_FINISH	1.0	/* s after the first valid pair (charon) */
/* A checklist answers the peer's checks this long (charon's last
 * retransmission comes 65 s after its first check; a recovery below takes
 * up to ME_QUIET + 2 * (ME_HOLD + ME_REMEDIATE), about 165 s). */
#define ME_LIST_LIFE	240.0
/*
 * Recovery from stray NAT entries (issue 7 item 6, Documentation/
 * mediation.md): a NAT that does not drop unsolicited packets (plain
 * masquerade) records the first check that reaches it from the peer before
 * our own packets passed it; our checks then leave it from another port and
 * never match the peer's mapping.  When no pair answered within
 * ME_RECOVER_AFTER, both sides fall silent until ME_QUIET after the checks
 * started (charon retransmits a check for 36 s, and a NAT keeps an
 * unanswered UDP entry 30 s after its last packet); then one side (the holder, the
 * lower server-reflexive endpoint) sends one check, which opens its own
 * NAT's mapping (and leaves a stray entry at the other NAT), and keeps that
 * mapping open with keepalives that die after one hop while the stray entry
 * expires; after ME_HOLD the other side checks again, its packets leave its
 * NAT on the port the holder's mapping expects, and the holder answers.
 * A peer that does not recover this way (charon: its checklist is over by
 * then) is asked for new checks instead: ME_REMEDIATE after the hold, when
 * nothing came, the holder sends a new ME_CONNECT; the peer, answering it,
 * sends its first checks at once, while ours wait up to ME_PRIMED_WAIT for
 * one of them to come through our mapping, still held (ours would
 * otherwise reach the peer's NAT first and leave a stray entry there
 * again: a slow peer must not lose that race).  When we are
 * not the holder and our checks after the hold get no answer within
 * ME_REMEDIATE, the peer did not hold (charon): we hold instead, our checks
 * having opened our mapping, and remediate after the hold as above.
 * When none of the peer's checks came through after a remediation either
 * (its NAT moved its port: a stray entry our checks left there was still
 * alive, or the peer was slower than ME_PRIMED_WAIT), we hold again and
 * remediate once more, ME_REHOLD_AFTER after its answer: by the second
 * ME_CONNECT the peer's checks of the first (36 s of retransmissions from
 * its answer, charon) and their moved mapping at its NAT (30 s more) are
 * gone.  ME_REMEDIATIONS new ME_CONNECTs at most, then finish() says so.
 */
#define ME_RECOVER_AFTER	8.0
#define ME_QUIET		75.0
#define ME_HOLD			40.0
#define ME_HOLD_KA		5.0	/* keepalive interval while holding */
#define ME_HOLD_MAX		40.0	/* the holder's wait for the peer after ME_HOLD */
#define ME_REMEDIATE		5.0
#define ME_PRIMED_WAIT		15.0
#define ME_REHOLD_AFTER		35.0	/* + ME_HOLD + ME_REMEDIATE > 36 + 30 */
#define ME_REMEDIATIONS		2

enum { ME_PH_CHECK, ME_PH_QUIET, ME_PH_HOLD };
/*
 * Symmetric NATs (issue 7 item 7): when both NATs rewrite the source port
 * (each side's server-reflexive port differs from its host port) and
 * nothing crossed in either direction this long after our checks started,
 * the mappings depend on the destination: no server-reflexive endpoint
 * reaches the peer and no peer-reflexive one can be learnt.  An
 * endpoint-independent NAT on either side lets a check through within a
 * second (its server-reflexive endpoint is right), so we stop here with
 * the diagnosis instead of the recovery's minutes.
 */
#define ME_SYMMETRIC_AFTER	5.0
/* How long the ME_CONNECT initiator waits for the peer's own mediated
 * IKE_SA when the peer also sent ME_CONNECT (s). */
#define ME_DEFER	5.0
/*
 * Priming (issue 7 item 6, Documentation/mediation.md "Priming"): once the
 * mediation IKE_SA is up behind a NAT we learn how many hops away our NAT
 * is: one-byte datagrams towards the server with TTL 1, 2, ... (net_probe:
 * from an ephemeral port, as the NAT-T socket never sees its ICMP errors;
 * one at a time, the next when the ICMP time-exceeded of the last came back,
 * at most ME_PROBE_MAX), our NAT being the last router with a private address; a
 * public router answering the next TTL means the NAT's outside is not the
 * server's segment (the real Internet).  Then, before the first full-TTL
 * check, each pair towards a server-reflexive endpoint gets a keepalive with
 * TTL hops + 1: it opens our NAT's mapping and dies at that router, before
 * the peer's NAT; full-TTL checks follow ME_PRIME_WAIT later, when the
 * peer has primed its own.  The checks wait up to ME_PROBE_WAIT for a
 * probe still running.
 */
#define ME_PROBE_MAX	8
#define ME_PROBE_RTO	0.5
#define ME_PROBE_WAIT	2.5
#define ME_PRIME_WAIT	1.0
enum { ME_PR_UNDECIDED, ME_PR_WAIT, ME_PR_DONE };

struct me_list {
	bool used, initiator, checking;
	struct conn *conn;		/* the mediated conn */
	struct ike_sa *direct;		/* our mediated IKE_SA, once started */
	uint8_t cid[ME_ID_MAX];
	size_t cid_len;
	uint8_t key[ME_CONNECTKEY_LEN];
	uint8_t pkey[ME_KEY_MAX];
	size_t pkey_len;
	int nours, ntheirs, npairs, ntrig;
	struct me_endpoint ours[ME_MAX_ENDPOINTS], theirs[ME_MAX_ENDPOINTS];
	struct me_pair pairs[ME_MAX_PAIRS];
	double rtx_at[ME_MAX_PAIRS];
	int trig[ME_MAX_PAIRS];
	double next_at, valid_at, started;
	/* Recovery (above): phase since phase_at, once per list. */
	int phase, remediations;
	bool recovered, holder, primed;
	/* Priming (above): state, full-TTL checks from prime_at. */
	int prime;
	double prime_at;
	double checks_at, phase_at, ka_at, again_at;
	/* What the checks revealed: a check or response from the peer came
	 * through; our mapping as the peer saw it (a response's endpoint). */
	bool heard;
	struct sockaddr_storage mapped;
};

static struct me_list lists[ME_LISTS];

/*
 * A mediation server that shuts down (or restarts) deletes our mediation
 * IKE_SA; a client whose mediated conns are auto=start registers again
 * ME_REREG_DELAY later (then, with dpdaction=restart, until it succeeds),
 * so that it stays reachable for ME_CONNECT and callbacks.
 */
#define ME_REREG_DELAY	2.0
static struct {
	struct conn *conn;
	double at;
} rereg[ME_LISTS];

/* Per mediation conn: the server-reflexive endpoint it reported, and the
 * hop count to our NAT learnt towards the server (priming, above): hops
 * (0: unknown), beyond (a public router answered past it), the probe's
 * TTL, whether its ICMP came (got), done, the next step's time. */
static struct me_srflx {
	const struct conn *conn;
	struct sockaddr_storage srflx, base, server;
	int hops, ttl;
	bool beyond, got, done;
	double at;
} srflx[ME_LISTS];

static struct conn *conn_named(const char *name)
{
	for (int i = 0; i < g_conf.nconns; i++)
		if (!strcmp(g_conf.conns[i].name, name))
			return &g_conf.conns[i];
	return NULL;
}

static struct ike_sa *med_sa(const struct conn *m)
{
	for (struct ike_sa *sa = ikesa_list(); sa; sa = sa->next)
		if (sa->conn == m && sa->initiator && sa->state == ST_ESTABLISHED)
			return sa;
	return NULL;
}

/* An established IKE_SA of c, either role. */
static bool conn_up(const struct conn *c)
{
	for (struct ike_sa *sa = ikesa_list(); sa; sa = sa->next)
		if (sa->conn == c && sa->state == ST_ESTABLISHED)
			return true;
	return false;
}

static bool med_sa_pending(const struct conn *m)
{
	for (struct ike_sa *sa = ikesa_list(); sa; sa = sa->next)
		if (sa->conn == m && sa->state != ST_DEAD)
			return true;
	return false;
}

static const char *peerid(const struct conn *c)
{
	return c->me_peerid[0] ? c->me_peerid : c->rightid;
}

/* The source address the routing table picks towards dst. */
static int route_src(const struct sockaddr_storage *dst, struct sockaddr_storage *src)
{
	socklen_t l = sizeof(*src);
	int fd = socket(dst->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int ret = -1;

	if (fd < 0)
		return -1;
	if (!connect(fd, (const struct sockaddr *)dst,
		     dst->ss_family == AF_INET ? sizeof(struct sockaddr_in) :
		     sizeof(struct sockaddr_in6)) &&
	    !getsockname(fd, (struct sockaddr *)src, &l))
		ret = 0;
	close(fd);
	return ret;
}

/* ---- the mediation IKE_SA ---- */
void me_cli_init(struct ike_sa *sa, struct msg_builder *b)
{
	if (sa->conn->mediation) {
		me_put_flag(b, N_ME_MEDIATION);
		return;
	}
	for (int i = 0; i < ME_LISTS; i++)
		if (lists[i].used && lists[i].direct == sa)
			mb_notify(b, 0, N_ME_CONNECTID, lists[i].cid, lists[i].cid_len);
}

int me_cli_init_response(struct ike_sa *sa, const struct ike_msg *m)
{
	char a[64], b[64];

	if (!msg_notify(m, N_ME_MEDIATION)) {
		logm(SS_IKE, L_ERR, "conn %s: the server did not return ME_MEDIATION: it is no mediation server (mediation=yes on its conn?)",
		     sa->conn->name);
		return -1;
	}
	/* Always on 4500: the mediated IKE_SA uses the same local port. */
	ss_set_port(&sa->local, g_natt_port);
	ss_set_port(&sa->peer, g_natt_port);
	logm(SS_IKE, L_INFO, "conn %s: mediation connection on UDP port %u: %s...%s",
	     sa->conn->name, g_natt_port, sa_str(&sa->local, a, sizeof(a)),
	     sa_str(&sa->peer, b, sizeof(b)));
	return 0;
}

void me_cli_auth_put(struct ike_sa *sa, struct msg_builder *in)
{
	struct me_endpoint ep = { .prio = me_prio(ME_EP_SERVER_REFLEXIVE, 0xffff),
				  .type = ME_EP_SERVER_REFLEXIVE };

	me_put_endpoint(in, &ep);	/* the request: no address */
}

static void send_connect(struct me_list *l, struct ike_sa *msa, bool response);
static struct me_list *connect_new(struct conn *c, struct ike_sa *msa);

int me_cli_established(struct ike_sa *sa, struct ike_msg *m)
{
	struct me_info info;
	char err[128], a[64];
	int slot = -1;

	if (me_collect(m->pl, m->npl, &info, err, sizeof(err)))
		logm(SS_IKE, L_WARN, "conn %s: malformed ME_* notify from the server: %s",
		     sa->conn->name, err);
	else if (info.nep && info.ep[0].type == ME_EP_SERVER_REFLEXIVE &&
		 info.ep[0].addr.ss_family) {
		for (int i = 0; i < ME_LISTS; i++)
			if (srflx[i].conn == sa->conn || (!srflx[i].conn && slot < 0))
				slot = i;
		if (slot >= 0) {
			srflx[slot].conn = sa->conn;
			srflx[slot].srflx = info.ep[0].addr;
			srflx[slot].base = sa->local;
			srflx[slot].server = sa->peer;
			srflx[slot].hops = srflx[slot].ttl = 0;
			srflx[slot].beyond = srflx[slot].got = false;
			/* Behind a NAT only. */
			srflx[slot].done = me_addr_eq(&srflx[slot].srflx, &sa->local, true);
			srflx[slot].at = now();
		}
		logm(SS_IKE, L_INFO, "conn %s: the server sees us as %s (server-reflexive endpoint)",
		     sa->conn->name, sa_str(&info.ep[0].addr, a, sizeof(a)));
	}
	logm(SS_IKE, L_INFO, "conn %s: mediation connection up", sa->conn->name);
	/* The mediated conns waiting for it. */
	for (int i = 0; i < g_conf.nconns; i++) {
		struct conn *c = &g_conf.conns[i];

		if (c->mediated_by[0] && !strcmp(c->mediated_by, sa->conn->name) &&
		    c->auto_mode == AUTO_START)
			me_cli_start(c);
	}
	return 0;
}

/* ---- ME_CONNECT ---- */
static void gather(struct me_list *l, struct ike_sa *msa)
{
	l->nours = 0;
	me_endpoint_set(&l->ours[l->nours++], ME_EP_HOST, &msa->local, NULL);
	for (int i = 0; i < ME_LISTS; i++)
		if (srflx[i].conn == msa->conn && !me_addr_eq(&srflx[i].srflx, &msa->local, true))
			me_endpoint_set(&l->ours[l->nours++], ME_EP_SERVER_REFLEXIVE,
					&srflx[i].srflx, &srflx[i].base);
}

static void send_connect(struct me_list *l, struct ike_sa *msa, bool response)
{
	struct me_info info = { .callback = !response, .response = response };
	struct ike_id peer;

	if (id_from_string(peerid(l->conn), &peer)) {
		logm(SS_CFG, L_ERR, "conn %s: me_peerid=%s: cannot encode", l->conn->name,
		     peerid(l->conn));
		return;
	}
	memcpy(info.connect_id, l->cid, l->cid_len);
	info.connect_id_len = l->cid_len;
	memcpy(info.connect_key, l->key, sizeof(l->key));
	info.connect_key_len = sizeof(l->key);
	info.nep = l->nours;
	memcpy(info.ep, l->ours, sizeof(l->ours[0]) * l->nours);
	logm(SS_IKE, L_INFO, "conn %s: sending ME_CONNECT%s for '%s' (%d endpoints)",
	     l->conn->name, response ? " response" : "", peerid(l->conn), l->nours);
	me_enqueue(msa, &peer, &info);
}

static struct me_list *list_new(struct conn *c)
{
	for (int i = 0; i < ME_LISTS; i++)
		if (!lists[i].used || now() - lists[i].started > ME_LIST_LIFE) {
			memset(&lists[i], 0, sizeof(lists[i]));
			lists[i].used = true;
			lists[i].conn = c;
			lists[i].started = now();
			rand_bytes(lists[i].key, sizeof(lists[i].key));
			return &lists[i];
		}
	return NULL;
}

/* The mediation conn m's IKE_SA; left=%defaultroute: from the route's
 * source address (NAT detection needs one). */
static int med_start(struct conn *m)
{
	struct sockaddr_storage local = m->laddr;

	if (!local.ss_family && route_src(&m->raddr, &local)) {
		logm(SS_IKE, L_ERR, "conn %s: no route to the mediation server", m->name);
		return -1;
	}
	ss_set_port(&local, g_ike_port);
	return init_start_at(m, &local, &m->raddr) ? 0 : -1;
}

int me_cli_start(struct conn *c)
{
	struct conn *m = c->mediation ? c : conn_named(c->mediated_by);
	struct ike_sa *msa;

	if (!m)
		return -1;
	if (c == m)	/* `up`, DPD restart of the mediation conn itself */
		return m->raddr.ss_family ? med_start(m) : -1;
	if (conn_up(c)) {
		/* Already up (a mediation IKE_SA that came back, a callback):
		 * nothing to mediate. */
		logm(SS_IKE, L_DBG, "conn %s: mediated IKE_SA up, not mediating", c->name);
		return 0;
	}
	msa = med_sa(m);
	if (!msa) {
		if (med_sa_pending(m))
			return 0;	/* me_cli_established starts us */
		logm(SS_IKE, L_INFO, "conn %s: bringing up mediation connection %s first",
		     c->name, m->name);
		return med_start(m);
	}
	return connect_new(c, msa) ? 0 : -1;
}

/* A new checklist for c and its ME_CONNECT over msa. */
static struct me_list *connect_new(struct conn *c, struct ike_sa *msa)
{
	struct me_list *l = list_new(c);

	if (!l)
		return NULL;
	l->initiator = true;
	l->cid_len = ME_CONNECTID_LEN;
	rand_bytes(l->cid, l->cid_len);
	gather(l, msa);
	send_connect(l, msa, false);
	return l;
}

static struct me_list *list_by_cid(const uint8_t *cid, size_t len)
{
	for (int i = 0; i < ME_LISTS; i++)
		if (lists[i].used && lists[i].cid_len == len && !memcmp(lists[i].cid, cid, len))
			return &lists[i];
	return NULL;
}

static struct conn *conn_for_peer(const struct ike_sa *msa, const struct ike_id *peer)
{
	for (int i = 0; i < g_conf.nconns; i++) {
		struct conn *c = &g_conf.conns[i];
		struct ike_id id;

		if (c->mediated_by[0] && !strcmp(c->mediated_by, msa->conn->name) &&
		    !id_from_string(peerid(c), &id) && me_id_eq(&id, peer))
			return c;
	}
	return NULL;
}

/* The first endpoint of type in e[0..n) (of family fam unless 0). */
static const struct me_endpoint *ep_of(const struct me_endpoint *e, int n,
				       uint8_t type, int fam)
{
	for (int i = 0; i < n; i++)
		if (e[i].type == type && (!fam || e[i].addr.ss_family == fam))
			return &e[i];
	return NULL;
}

static void start_checks(struct me_list *l, const struct me_info *info)
{
	char a[64], b[64];

	memcpy(l->pkey, info->connect_key, info->connect_key_len);
	l->pkey_len = info->connect_key_len;
	l->ntheirs = 0;
	for (int i = 0; i < info->nep; i++)
		if (info->ep[i].addr.ss_family)
			l->theirs[l->ntheirs++] = info->ep[i];
	l->npairs = me_pairs_build(l->ours, l->nours, l->theirs, l->ntheirs,
				   l->initiator, l->pairs, ME_MAX_PAIRS);
	for (int i = 0; i < l->npairs; i++)
		logm(SS_IKE, L_INFO, "conn %s: endpoint pair %u: %s - %s", l->conn->name,
		     l->pairs[i].id, sa_str(&l->pairs[i].local, a, sizeof(a)),
		     sa_str(&l->pairs[i].remote, b, sizeof(b)));
	l->checking = true;
	l->next_at = l->checks_at = now();
}

int me_cli_request(struct ike_sa *sa, struct ike_msg *m)
{
	const struct payload *idp = msg_find(m, PL_ID_PEER);
	struct ike_id peer;
	struct me_info info;
	struct me_list *l;
	struct conn *c;
	char err[128];

	if (!idp || parse_id(idp, &peer) ||
	    me_collect(m->pl, m->npl, &info, err, sizeof(err)) ||
	    me_connect_complete(&info, err, sizeof(err))) {
		logm(SS_IKE, L_WARN, "conn %s: malformed ME_CONNECT from the server: INVALID_SYNTAX",
		     sa->conn->name);
		me_respond(sa, N_INVALID_SYNTAX);
		return -1;
	}
	c = conn_for_peer(sa, &peer);
	if (!c) {
		logm(SS_IKE, L_WARN, "conn %s: ME_CONNECT for a peer no mediated_by=%s conn names: ME_CONNECT_FAILED",
		     sa->conn->name, sa->conn->name);
		me_respond(sa, N_ME_CONNECT_FAILED);
		return 0;
	}
	me_respond(sa, 0);
	if (!info.connect_id_len) {
		logm(SS_IKE, L_INFO, "conn %s: ME_CALLBACK: '%s' is online now", c->name, peerid(c));
		return me_cli_start(c);
	}
	if (info.response) {
		l = list_by_cid(info.connect_id, info.connect_id_len);
		if (!l || !l->initiator) {
			logm(SS_IKE, L_WARN, "conn %s: ME_CONNECT response with an unknown connect ID: ignored",
			     c->name);
			return 0;
		}
		logm(SS_IKE, L_INFO, "conn %s: '%s' answered ME_CONNECT: checking connectivity",
		     c->name, peerid(c));
		start_checks(l, &info);
		return 0;
	}
	/* The peer's request, relayed: we answer with ours and check. */
	l = list_new(c);
	if (!l)
		return 0;
	memcpy(l->cid, info.connect_id, info.connect_id_len);
	l->cid_len = info.connect_id_len;
	gather(l, sa);
	send_connect(l, sa, true);
	start_checks(l, &info);
	return 0;
}

void me_response(struct ike_sa *sa, struct ike_msg *m)
{
	if (msg_notify(m, N_ME_CONNECT_FAILED))
		logm(SS_IKE, L_INFO, "conn %s: the mediated peer is not online: waiting for the server's ME_CALLBACK",
		     sa->conn->name);
}

/* ---- connectivity checks ---- */
static void send_check(struct me_list *l, const struct me_pair *p, uint32_t msgid,
		       bool request, const struct me_endpoint *ep)
{
	static const uint8_t zero[8];
	uint8_t raw[ME_ENDPOINT_MAX_LEN], auth[ME_AUTH_LEN];
	struct msg_builder b;
	size_t rl = me_endpoint_encode(ep, raw);

	ike_hdr(&b, zero, zero, PL_NONE, EXCH_INFORMATIONAL,
		request ? IKE_FLAG_I : IKE_FLAG_R, msgid);
	mb_notify(&b, 0, N_ME_CONNECTID, l->cid, l->cid_len);
	mb_notify(&b, 0, N_ME_ENDPOINT, raw, rl);
	if (me_connectauth(msgid, l->cid, l->cid_len, raw, rl, l->key, sizeof(l->key), auth))
		return;
	mb_notify(&b, 0, N_ME_CONNECTAUTH, auth, sizeof(auth));
	ike_hdr_finish(&b);
	net_send(&p->local, &p->remote, b.buf, b.len);
}

static void check_request(struct me_list *l, struct me_pair *p)
{
	struct me_endpoint ep = { .prio = me_prio(ME_EP_PEER_REFLEXIVE, 0xffff),
				  .type = ME_EP_PEER_REFLEXIVE };

	p->state = ME_IN_PROGRESS;
	send_check(l, p, p->id, true, &ep);
}

static struct me_pair *pair_by(struct me_list *l, const struct sockaddr_storage *local,
			       const struct sockaddr_storage *remote)
{
	for (int i = 0; i < l->npairs; i++)
		if (me_addr_eq(&l->pairs[i].local, local, true) &&
		    me_addr_eq(&l->pairs[i].remote, remote, true))
			return &l->pairs[i];
	return NULL;
}

static void trigger(struct me_list *l, struct me_pair *p)
{
	for (int i = 0; i < l->ntrig; i++)
		if (l->trig[i] == p - l->pairs)
			return;
	if (l->ntrig < ME_MAX_PAIRS)
		l->trig[l->ntrig++] = (int)(p - l->pairs);
	p->state = ME_WAITING;
	l->checking = true;
}

/*
 * How a NAT mapped base towards the server (srflx, as announced) and towards
 * the other gateway (prflx, what the checks revealed): logged, and the
 * class returned (me_mapping_classify).
 */
static int mapping_log(const struct me_list *l, const char *whose,
		       const struct me_endpoint *srf,
		       const struct sockaddr_storage *base,
		       const struct sockaddr_storage *prflx)
{
	char a[64], b[64], c[64];
	int cls;

	if (!srf || !base)
		return ME_MAP_UNKNOWN;
	cls = me_mapping_classify(base, &srf->addr, prflx);
	logm(SS_IKE, L_INFO, "conn %s: %s NAT: %s (%s maps to %s towards the server, %s towards the other gateway)",
	     l->conn->name, whose, me_mapping_str(cls), sa_str(base, a, sizeof(a)),
	     sa_str(&srf->addr, b, sizeof(b)), sa_str(prflx, c, sizeof(c)));
	return cls;
}

/*
 * A check request from an address and port the peer did not announce: the
 * peer's NAT mapped it there for us (item 7).  The new pair to it ranks
 * above every pair to a server-reflexive endpoint (ICE's peer-reflexive
 * type preference), so once valid it is the one the mediated IKE_SA uses:
 * the way through a NAT that maps per destination on the peer's side when
 * ours lets the check in (an endpoint-independent mapping).
 */
static void prflx_learnt(struct me_list *l, const struct me_pair *p,
			 const struct sockaddr_storage *from)
{
	const struct me_endpoint *host = ep_of(l->theirs, l->ntheirs, ME_EP_HOST,
					       from->ss_family);
	char a[64];

	logm(SS_IKE, L_INFO, "conn %s: peer-reflexive endpoint %s: pair %u, preferred to the server-reflexive ones",
	     l->conn->name, sa_str(from, a, sizeof(a)), p->id);
	mapping_log(l, "the peer's", ep_of(l->theirs, l->ntheirs, ME_EP_SERVER_REFLEXIVE,
					   from->ss_family),
		    host ? &host->addr : NULL, from);
}

void me_check_rx(struct ike_msg *m, const struct sockaddr_storage *from,
		 const struct sockaddr_storage *to)
{
	struct me_info info;
	struct me_list *l;
	struct me_pair *p;
	char err[128], a[64], b[64];

	if (!me_collect(m->pl, m->npl, &info, err, sizeof(err)))
		snprintf(err, sizeof(err), "%s", !info.connect_id_len ? "no ME_CONNECTID" :
			 !info.has_auth ? "no ME_CONNECTAUTH" :
			 info.nep != 1 ? "not exactly one ME_ENDPOINT" : "");
	if (err[0]) {
		logm(SS_IKE, L_INFO, "invalid connectivity check from %s (%s): dropped",
		     sa_str(from, a, sizeof(a)), err);
		return;
	}
	l = list_by_cid(info.connect_id, info.connect_id_len);
	if (!l || !l->pkey_len) {
		logm(SS_IKE, L_INFO, "connectivity check from %s for an unknown connect ID: dropped",
		     sa_str(from, a, sizeof(a)));
		return;
	}
	if (!me_connectauth_ok(m->msgid, &info, l->pkey, l->pkey_len)) {
		logm(SS_IKE, L_WARN, "conn %s: connectivity check from %s failed ME_CONNECTAUTH verification: dropped",
		     l->conn->name, sa_str(from, a, sizeof(a)));
		return;
	}
	l->heard = true;
	if (l->phase != ME_PH_CHECK) {
		logm(SS_IKE, L_INFO, "conn %s: a check from %s came through: checking again",
		     l->conn->name, sa_str(from, a, sizeof(a)));
		l->phase = ME_PH_CHECK;
	}
	if (!(m->flags & IKE_FLAG_R)) {
		struct me_endpoint ep;

		p = pair_by(l, to, from);
		if (!p && l->npairs < ME_MAX_PAIRS) {
			/* A peer-reflexive endpoint: a new pair. */
			p = &l->pairs[l->npairs];
			memset(p, 0, sizeof(*p));
			p->id = (uint32_t)++l->npairs;
			p->local = *to;
			p->remote = *from;
			p->local_type = ME_EP_HOST;
			p->remote_type = ME_EP_PEER_REFLEXIVE;
			p->prio = l->initiator ?
				  me_pair_prio(me_prio(ME_EP_HOST, 0xffff), info.ep[0].prio) :
				  me_pair_prio(info.ep[0].prio, me_prio(ME_EP_HOST, 0xffff));
			prflx_learnt(l, p, from);
		}
		if (p && p->state != ME_SUCCEEDED) {
			if (p->state == ME_IN_PROGRESS)
				p->retransmitted = ME_MAX_RETRANS;
			trigger(l, p);
		}
		me_endpoint_set(&ep, ME_EP_PEER_REFLEXIVE, from, NULL);
		ep.prio = info.ep[0].prio;
		send_check(l, &(struct me_pair){ .local = *to, .remote = *from },
			   m->msgid, false, &ep);
		return;
	}
	for (int i = 0; i < l->npairs; i++) {
		p = &l->pairs[i];
		if (p->id != m->msgid)
			continue;
		if (me_addr_eq(&p->local, to, true) && me_addr_eq(&p->remote, from, true) &&
		    p->state != ME_SUCCEEDED) {
			p->state = ME_SUCCEEDED;
			if (!l->valid_at)
				l->valid_at = now();
			if (!l->mapped.ss_family && info.ep[0].addr.ss_family) {
				l->mapped = info.ep[0].addr;
				mapping_log(l, "our", ep_of(l->ours, l->nours, ME_EP_SERVER_REFLEXIVE,
							    to->ss_family),
					    to, &l->mapped);
			}
			logm(SS_IKE, L_INFO, "conn %s: endpoint pair %u is valid: %s - %s %s (the peer sees us as %s)",
			     l->conn->name, p->id, sa_str(&p->local, a, sizeof(a)),
			     sa_str(&p->remote, b, sizeof(b)), me_ep_type_str(p->remote_type),
			     sa_str(&info.ep[0].addr, err, sizeof(err)));
		}
	}
}

void me_cli_init_rx(const struct ike_msg *m)
{
	const struct payload *p = msg_notify(m, N_ME_CONNECTID);
	const uint8_t *d;
	size_t len;
	uint16_t t;
	struct me_list *l;

	if (!p || me_notify_split(p, &t, &d, &len))
		return;
	l = list_by_cid(d, len);
	if (l && !l->initiator && l->checking) {
		logm(SS_IKE, L_INFO, "conn %s: the peer initiates the mediated IKE_SA: checks done",
		     l->conn->name);
		/* Kept (ME_LIST_LIFE): our own checklist then defers to it. */
		l->checking = false;
	}
}

static bool mediated_sa(const struct conn *c)
{
	for (struct ike_sa *sa = ikesa_list(); sa; sa = sa->next)
		if (sa->conn == c && sa->state != ST_DEAD)
			return true;
	return false;
}

/*
 * The peer sent its own ME_CONNECT for c and will initiate over it: wait
 * ME_DEFER for it (charon initiates at once), and longer when its connect
 * ID is above ours (two kikeds: the higher ID initiates).
 */
static bool defer_to_peer(const struct me_list *l)
{
	double waited = now() - l->valid_at;

	for (int i = 0; i < ME_LISTS; i++) {
		const struct me_list *o = &lists[i];

		if (!o->used || o->initiator || o->conn != l->conn || !o->pkey_len)
			continue;
		if (waited < ME_DEFER)
			return true;
		if (waited < 6 * ME_DEFER && o->cid_len == l->cid_len &&
		    memcmp(o->cid, l->cid, l->cid_len) > 0)
			return true;
	}
	return false;
}

static void finish(struct me_list *l)
{
	struct me_pair *best = NULL;
	char a[64], b[64];

	for (int i = 0; i < l->npairs; i++)
		if (l->pairs[i].state == ME_SUCCEEDED &&
		    (!best || l->pairs[i].prio > best->prio))
			best = &l->pairs[i];
	/*
	 * Both ends sent ME_CONNECT (auto=start on both): two checklists, and
	 * charon initiates over its own.  One mediated IKE_SA is enough: wait
	 * for the peer's, initiate ours only if it does not come.
	 */
	if (best && l->initiator && defer_to_peer(l))
		return;
	l->checking = false;
	if (best && l->initiator && mediated_sa(l->conn)) {
		logm(SS_IKE, L_INFO, "conn %s: the peer already set up the mediated IKE_SA: not initiating another",
		     l->conn->name);
		l->used = false;
		return;
	}
	if (!best && !l->initiator)
		return;
	if (!best) {
		char tried[512] = "", srv[64] = "?", why[160] = "";
		size_t o = 0;

		for (int i = 0; i < l->npairs && o < sizeof(tried); i++)
			o += (size_t)snprintf(tried + o, sizeof(tried) - o, "%s%s -> %s",
					      i ? ", " : "",
					      sa_str(&l->pairs[i].local, a, sizeof(a)),
					      sa_str(&l->pairs[i].remote, b, sizeof(b)));
		for (int i = 0; i < l->nours; i++)
			if (l->ours[i].type == ME_EP_SERVER_REFLEXIVE)
				sa_str(&l->ours[i].addr, srv, sizeof(srv));
		if (l->primed)
			snprintf(why, sizeof(why), ", also after a silent period for stray NAT entries to expire and %d new ME_CONNECTs with our NAT's mapping held",
				 l->remediations);
		else if (l->recovered)
			snprintf(why, sizeof(why), ", also after a silent period for stray NAT entries to expire");
		logm(SS_IKE, L_ERR, "conn %s: connectivity checks with '%s' failed: no answer on any endpoint pair (tried %s)%s; the server saw us as %s, the peer's checks never reached us: a NAT on the way changed the port or dropped them; the NATs must preserve the source port or map endpoint-independently (Documentation/mediation.md)",
		     l->conn->name, peerid(l->conn), tried, why, srv);
		l->used = false;
		return;
	}
	if (!l->initiator)
		return;		/* answers checks until the peer initiates */
	logm(SS_IKE, L_INFO, "conn %s: establishing the mediated IKE_SA over %s - %s",
	     l->conn->name, sa_str(&best->local, a, sizeof(a)), sa_str(&best->remote, b, sizeof(b)));
	l->direct = init_start_at(l->conn, &best->local, &best->remote);
	l->used = false;
}

/* The first server-reflexive endpoint in e[0..n). */
static const struct sockaddr_storage *srflx_in(const struct me_endpoint *e, int n)
{
	for (int i = 0; i < n; i++)
		if (e[i].type == ME_EP_SERVER_REFLEXIVE)
			return &e[i].addr;
	return NULL;
}

/*
 * Nothing crossed ME_SYMMETRIC_AFTER after the checks started and both NATs
 * rewrite the port: the fast failure (ME_SYMMETRIC_AFTER above), one line
 * naming both mappings and what to change.  True when the list ended.
 */
static bool symmetric_fail(struct me_list *l, double t)
{
	const struct me_endpoint *os = ep_of(l->ours, l->nours, ME_EP_SERVER_REFLEXIVE, 0);
	const struct me_endpoint *ps, *ph;
	char a[64], b[64], c[64], d[64];

	if (l->heard || l->valid_at || l->recovered || !os ||
	    t - l->checks_at < ME_SYMMETRIC_AFTER)
		return false;
	ps = ep_of(l->theirs, l->ntheirs, ME_EP_SERVER_REFLEXIVE, os->addr.ss_family);
	ph = ep_of(l->theirs, l->ntheirs, ME_EP_HOST, os->addr.ss_family);
	if (!ps || !ph || ss_port(&os->addr) == ss_port(&os->base) ||
	    ss_port(&ps->addr) == ss_port(&ph->addr))
		return false;
	logm(SS_IKE, L_ERR, "conn %s: connectivity checks with '%s' failed: both NATs are symmetric: ours maps %s to %s towards the server and the peer's maps %s to %s, both rewrite the port, and no check crossed in either direction within %.0f s, so each NAT picks a new port per destination and neither endpoint the server saw reaches the other gateway; one NAT at least must map endpoint-independently (masquerade without random/fully-random, or a static snat+dnat of UDP 4500) or preserve the source port",
	     l->conn->name, peerid(l->conn), sa_str(&os->base, a, sizeof(a)),
	     sa_str(&os->addr, b, sizeof(b)), sa_str(&ph->addr, c, sizeof(c)),
	     sa_str(&ps->addr, d, sizeof(d)), ME_SYMMETRIC_AFTER);
	l->checking = false;
	l->used = false;
	return true;
}

/* Both sides behind a NAT, no pair answered yet: start the recovery once. */
static bool recover_start(struct me_list *l, double t)
{
	const struct sockaddr_storage *o = srflx_in(l->ours, l->nours);
	const struct sockaddr_storage *p = srflx_in(l->theirs, l->ntheirs);
	char a[64], b[64];

	if (l->recovered || !o || !p)
		return false;
	/* Both sides order the same two strings alike. */
	l->holder = strcmp(sa_str(o, a, sizeof(a)), sa_str(p, b, sizeof(b))) < 0;
	l->recovered = true;
	l->phase = ME_PH_QUIET;
	l->phase_at = t;
	logm(SS_IKE, L_WARN, "conn %s: no endpoint pair answered within %.0f s (we are %s, the peer %s as the server saw us): a NAT may hold stray entries from the first checks (plain masquerade); both sides stay silent until %.0f s after the checks started so that they expire, then %s",
	     l->conn->name, ME_RECOVER_AFTER, a, b, ME_QUIET,
	     l->holder ? "we open our NAT's mapping and hold it while the peer's NAT forgets our check" :
			 "the peer opens its NAT's mapping and we check again");
	return true;
}

static void restart_checks(struct me_list *l, double t)
{
	for (int i = 0; i < l->npairs; i++) {
		l->pairs[i].state = ME_WAITING;
		l->pairs[i].retransmitted = 0;
	}
	l->ntrig = 0;
	l->phase = ME_PH_CHECK;
	l->checking = true;
	l->next_at = l->again_at = t;
	logm(SS_IKE, L_INFO, "conn %s: checking the endpoint pairs again", l->conn->name);
}

/* The probe's result for the mediation conn of l's conn, or NULL. */
static struct me_srflx *srflx_of(const struct me_list *l)
{
	for (int i = 0; i < ME_LISTS; i++)
		if (srflx[i].conn && !strcmp(srflx[i].conn->name, l->conn->mediated_by))
			return &srflx[i];
	return NULL;
}

/* Hops to our NAT: learnt, else 1 (the NAT is the first hop). */
static int nat_hops(const struct me_list *l)
{
	const struct me_srflx *s = srflx_of(l);

	return s && s->hops ? s->hops : 1;
}

/* The holder's pairs towards the peer's NAT: one check, or keepalives that
 * refresh our NAT's mapping and die at it (nat_hops). */
static void hold_send(struct me_list *l, bool check)
{
	for (int i = 0; i < l->npairs; i++) {
		struct me_pair *p = &l->pairs[i];

		if (p->remote_type != ME_EP_SERVER_REFLEXIVE)
			continue;
		if (check)
			check_request(l, p);
		else
			net_send_keepalive_hops(&p->local, &p->remote, nat_hops(l));
	}
}

/*
 * The holder, nothing heard ME_REMEDIATE after the hold: a new ME_CONNECT,
 * whose checks wait for the peer's (ME_PRIMED_WAIT).  The conn's lists in
 * recovery end here; our mapping lives 30 s after the last keepalive.
 */
static bool remediate(struct me_list *l)
{
	struct ike_sa *msa = med_sa(conn_named(l->conn->mediated_by));
	struct me_list *n;

	if (!msa)
		return false;
	logm(SS_IKE, L_INFO, "conn %s: the peer did not check again after the hold: a new ME_CONNECT, its checks first",
	     l->conn->name);
	for (int i = 0; i < ME_LISTS; i++)
		if (lists[i].used && lists[i].conn == l->conn && lists[i].recovered)
			lists[i].used = false;
	n = connect_new(l->conn, msa);
	if (n) {
		n->recovered = n->primed = true;
		n->remediations = l->remediations + 1;
	}
	return true;
}

/* A remediation's checks, nothing from the peer: hold and ask again. */
static bool rehold(struct me_list *l, double t)
{
	if (!l->primed || l->heard || l->valid_at || !l->checks_at ||
	    l->remediations >= ME_REMEDIATIONS || t - l->checks_at < ME_REHOLD_AFTER)
		return false;
	logm(SS_IKE, L_WARN, "conn %s: none of the peer's checks came through within %.0f s of its answer to our new ME_CONNECT (its NAT gave them another port, or it was late): we hold our mapping %.0f s more and send ME_CONNECT again (%d of %d)",
	     l->conn->name, ME_REHOLD_AFTER, ME_HOLD + ME_REMEDIATE,
	     l->remediations + 1, ME_REMEDIATIONS);
	l->holder = true;
	l->phase = ME_PH_HOLD;
	l->phase_at = l->ka_at = t;
	return true;
}

/* Not the holder, our checks after the hold unanswered: we hold. */
static void hold_instead(struct me_list *l, double t)
{
	logm(SS_IKE, L_INFO, "conn %s: no answer to our checks after the hold: the peer does not hold its mapping (not kiked?); we hold ours %.0f s, then ask for new checks",
	     l->conn->name, ME_HOLD);
	l->holder = true;
	l->phase = ME_PH_HOLD;
	l->phase_at = l->ka_at = t;
}

static void recover_tick(struct me_list *l, double t)
{
	if (l->phase == ME_PH_QUIET) {
		if (t - l->checks_at < ME_QUIET)
			return;
		l->phase = ME_PH_HOLD;
		l->phase_at = t;
		l->ka_at = t + ME_HOLD_KA;
		if (l->holder) {
			logm(SS_IKE, L_INFO, "conn %s: opening our NAT's mapping towards the peer and holding it (keepalives with TTL %d)",
			     l->conn->name, nat_hops(l));
			hold_send(l, true);
		}
		return;
	}
	if (!l->holder) {
		if (t - l->phase_at >= ME_HOLD)
			restart_checks(l, t);
		return;
	}
	if (t >= l->ka_at) {
		hold_send(l, false);
		l->ka_at = t + ME_HOLD_KA;
	}
	if (t - l->phase_at >= ME_HOLD + ME_REMEDIATE && remediate(l))
		return;
	if (t - l->phase_at >= ME_HOLD + ME_HOLD_MAX)
		restart_checks(l, t);	/* the peer never came: finish() says so */
}

/* m is a mediation conn some auto=start conn is mediated by. */
static bool wanted(const struct conn *m)
{
	if (m->auto_mode == AUTO_START)
		return true;
	for (int i = 0; i < g_conf.nconns; i++)
		if (g_conf.conns[i].auto_mode == AUTO_START &&
		    !strcmp(g_conf.conns[i].mediated_by, m->name))
			return true;
	return false;
}

void me_cli_deleted(struct ike_sa *sa)
{
	int slot = -1;

	if (!wanted(sa->conn))
		return;
	for (int i = 0; i < ME_LISTS; i++)
		if (rereg[i].conn == sa->conn || (!rereg[i].conn && slot < 0))
			slot = i;
	if (slot < 0)
		return;
	rereg[slot].conn = sa->conn;
	rereg[slot].at = now() + ME_REREG_DELAY;
	logm(SS_IKE, L_INFO, "conn %s: the mediation server deleted our IKE_SA (shutting down or restarting?): registering again in %.0f s",
	     sa->conn->name, ME_REREG_DELAY);
}

static void rereg_timers(double t)
{
	for (int i = 0; i < ME_LISTS; i++) {
		struct conn *m = rereg[i].conn;

		if (!m || t < rereg[i].at)
			continue;
		rereg[i].conn = NULL;
		if (!med_sa_pending(m))
			med_start(m);
	}
}

/* ---- hop count and priming (above) ---- */
/* Not globally routable: RFC 1918, RFC 6598 (100.64/10), link-local, ULA. */
static bool private_addr(const struct sockaddr_storage *a)
{
	size_t n;
	const uint8_t *p = ss_addr(a, &n);

	if (n == 16)
		return (p[0] & 0xfe) == 0xfc || (p[0] == 0xfe && (p[1] & 0xc0) == 0x80);
	return n == 4 && (p[0] == 10 || (p[0] == 172 && (p[1] & 0xf0) == 16) ||
			  (p[0] == 192 && p[1] == 168) ||
			  (p[0] == 100 && (p[1] & 0xc0) == 64) ||
			  (p[0] == 169 && p[1] == 254));
}

static void probe_done(struct me_srflx *s, const char *why)
{
	char a[64];

	s->done = true;
	if (s->hops && s->beyond)
		logm(SS_IKE, L_INFO, "conn %s: our NAT is %d hop(s) away, a router beyond it (%s): checks towards a NAT are primed with TTL %d",
		     s->conn->name, s->hops, why, s->hops + 1);
	else
		logm(SS_IKE, L_INFO, "conn %s: our NAT is %d hop(s) away%s, no router seen between it and the server %s (%s): no priming (the NATs may be adjacent)",
		     s->conn->name, s->hops ? s->hops : 1, s->hops ? "" : " (assumed)",
		     sa_str(&s->server, a, sizeof(a)), why);
}

static void probe_tick(double t)
{
	for (int i = 0; i < ME_LISTS; i++) {
		struct me_srflx *s = &srflx[i];

		if (!s->conn || s->done || t < s->at)
			continue;
		if (s->ttl && !s->got) {
			probe_done(s, "no ICMP for the last TTL");
			continue;
		}
		if (s->ttl >= ME_PROBE_MAX) {
			probe_done(s, "TTL limit");
			continue;
		}
		s->got = false;
		s->at = t + ME_PROBE_RTO;
		if (net_probe(&s->base, &s->server, ++s->ttl))
			probe_done(s, "cannot probe");
	}
}

void me_cli_icmp(const struct sockaddr_storage *dst, int type, int code,
		 const struct sockaddr_storage *offender)
{
	bool exceeded = type == 11;	/* ICMP time exceeded */

	for (int i = 0; i < ME_LISTS; i++) {
		struct me_srflx *s = &srflx[i];

		if (!s->conn || s->done || !s->ttl || s->got ||
		    !me_addr_eq(dst, &s->server, true))
			continue;
		if (!exceeded || !offender->ss_family) {
			probe_done(s, "ICMP other than time exceeded");
		} else if (private_addr(offender)) {
			s->hops = s->ttl;
			s->got = true;
			s->at = 0;
		} else {
			s->beyond = s->hops > 0;
			probe_done(s, "time exceeded from a public address");
		}
	}
}

/* Whether full-TTL checks may go: after the probe (up to ME_PROBE_WAIT)
 * and, with a router beyond our NAT, ME_PRIME_WAIT after the priming. */
static bool prime_ready(struct me_list *l, double t)
{
	const struct me_srflx *s = srflx_of(l);
	char a[64];

	if (l->prime == ME_PR_DONE)
		return true;
	if (l->prime == ME_PR_WAIT) {
		if (t < l->prime_at)
			return false;
		l->prime = ME_PR_DONE;
		return true;
	}
	if (s && !s->done && t - l->checks_at < ME_PROBE_WAIT)
		return false;
	l->prime = ME_PR_DONE;
	if (!s || !s->done || !s->beyond)
		return true;
	for (int i = 0; i < l->npairs; i++) {
		const struct me_pair *p = &l->pairs[i];

		if (p->remote_type != ME_EP_SERVER_REFLEXIVE)
			continue;
		logm(SS_IKE, L_INFO, "conn %s: priming our NAT's mapping towards %s with TTL %d",
		     l->conn->name, sa_str(&p->remote, a, sizeof(a)), s->hops + 1);
		net_send_keepalive_hops(&p->local, &p->remote, s->hops + 1);
		l->prime = ME_PR_WAIT;
	}
	l->prime_at = t + ME_PRIME_WAIT;
	return l->prime == ME_PR_DONE;
}

void me_cli_timers(double t)
{
	rereg_timers(t);
	probe_tick(t);
	for (int i = 0; i < ME_LISTS; i++) {
		struct me_list *l = &lists[i];
		bool busy = false, waiting;

		if (l->used && t - l->started > ME_LIST_LIFE)
			l->used = false;
		if (!l->used || !l->checking)
			continue;
		if (l->phase != ME_PH_CHECK) {
			recover_tick(l, t);
			continue;
		}
		if (!prime_ready(l, t))
			continue;
		for (int j = 0; j < l->npairs; j++) {
			struct me_pair *p = &l->pairs[j];

			if (p->state == ME_IN_PROGRESS && t >= l->rtx_at[j]) {
				unsigned int rto = me_check_rto(++p->retransmitted);

				if (!rto) {
					p->state = ME_FAILED;
					continue;
				}
				check_request(l, p);
				l->rtx_at[j] = t + rto / 1000.0;
			}
			busy |= p->state == ME_WAITING || p->state == ME_IN_PROGRESS;
		}
		/* After a remediation: the peer's checks first, our mapping held. */
		waiting = l->primed && !l->heard && t - l->checks_at < ME_PRIMED_WAIT;
		if (waiting && t >= l->ka_at) {
			hold_send(l, false);
			l->ka_at = t + ME_HOLD_KA;
		}
		if (t >= l->next_at && !waiting) {
			struct me_pair *p = NULL;

			if (l->ntrig) {
				p = &l->pairs[l->trig[0]];
				memmove(l->trig, l->trig + 1, sizeof(l->trig[0]) * --l->ntrig);
			} else {
				for (int j = 0; j < l->npairs && !p; j++)
					if (l->pairs[j].state == ME_WAITING)
						p = &l->pairs[j];
			}
			if (p) {
				p->retransmitted = 0;
				check_request(l, p);
				l->rtx_at[p - l->pairs] = t + ME_CHECK_INTERVAL / 1000.0;
				busy = true;
			}
			l->next_at = t + ME_CHECK_INTERVAL / 1000.0;
		}
		if (l->recovered && !l->holder && l->again_at && !l->heard &&
		    t - l->again_at >= ME_REMEDIATE) {
			hold_instead(l, t);
			continue;
		}
		if (symmetric_fail(l, t) || rehold(l, t))
			continue;
		if (!l->valid_at && l->npairs && t - l->checks_at >= ME_RECOVER_AFTER &&
		    recover_start(l, t))
			continue;
		if ((l->initiator && l->valid_at && t - l->valid_at >= ME_WAIT_FINISH) ||
		    (!busy && l->npairs))
			finish(l);
	}
}
