// SPDX-License-Identifier: GPL-2.0
/*
 * IKEv2 mediation server (draft-brunner-ikev2-mediation, as strongSwan
 * speaks it; Documentation/mediation.md).  A conn with mediation=yes
 * accepts IKE_SAs that carry ME_MEDIATION in IKE_SA_INIT: they get no
 * CHILD_SA, their IKE_AUTH response reports the server-reflexive endpoint
 * (the address and port the request came from, usually a NAT's port 4500)
 * and the peer's identity goes into the registry (me.c).  ME_CONNECT
 * requests are answered at once (empty, or ME_CONNECT_FAILED when the peer
 * is not online, remembering the requester for ME_CALLBACK) and relayed to
 * the requested peer in a new ME_CONNECT request on that peer's mediation
 * IKE_SA; relays wait in a per-IKE_SA queue while another request of that
 * IKE_SA is outstanding (one request at a time).  A mediation IKE_SA that
 * goes (delete, DPD, expiry) takes its peer offline.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "me.h"

static struct me_registry reg;

struct relay {
	struct relay *next;
	struct ike_sa *sa;		/* whose request it becomes */
	struct msg_builder in;		/* inner payloads, ID_PEER first */
};

static struct relay *queue;

static uint64_t sa_key(const struct ike_sa *sa)
{
	return (uint64_t)(uintptr_t)sa;
}

/* The established mediation IKE_SA registered under key k. */
static struct ike_sa *sa_by_key(uint64_t k)
{
	for (struct ike_sa *sa = ikesa_list(); k && sa; sa = sa->next)
		if (sa_key(sa) == k && sa->me && sa->state == ST_ESTABLISHED)
			return sa;
	return NULL;
}

static const char *idstr(const struct ike_id *id, char *out, size_t len)
{
	id_str(id, out, len);
	return out;
}

void me_srv_init(struct ike_sa *sa, const struct ike_msg *m,
		 struct msg_builder *b)
{
	if (!sa->conn->mediation)
		return;
	sa->me = true;
	if (!msg_notify(m, N_ME_MEDIATION)) {
		logm(SS_IKE, L_INFO, "conn %s: IKE_SA_INIT without ME_MEDIATION on a mediation=yes conn: accepted as a mediation IKE_SA all the same (no CHILD_SA)",
		     sa->conn->name);
		return;
	}
	me_put_flag(b, N_ME_MEDIATION);
}

/* The callback (ME_CONNECT with ID_PEER and ME_CALLBACK) or relay into to. */
void me_enqueue(struct ike_sa *to, const struct ike_id *peer,
		    const struct me_info *info)
{
	struct relay *r = calloc(1, sizeof(*r)), **pp;

	if (!r) {
		logm(SS_IKE, L_ERR, "conn %s: out of memory relaying ME_CONNECT", to->conn->name);
		return;
	}
	r->sa = to;
	mb_init(&r->in);
	put_id(&r->in, PL_ID_PEER, peer);
	me_put_connect(&r->in, info);
	for (pp = &queue; *pp; pp = &(*pp)->next)
		;
	*pp = r;
	if (!to->req_pending)
		me_send_queued(to);
}

void me_send_queued(struct ike_sa *sa)
{
	struct msg_builder out;
	struct relay **pp, *r;

	for (pp = &queue; *pp && (*pp)->sa != sa; pp = &(*pp)->next)
		;
	r = *pp;
	if (!r)
		return;
	*pp = r->next;
	if (ikesa_encrypted_msg(sa, EXCH_ME_CONNECT, false, sa->next_msgid, &r->in,
				PL_ID_PEER, &out) || ikesa_send_request(sa, &out))
		logm(SS_IKE, L_ERR, "conn %s: cannot send ME_CONNECT", sa->conn->name);
	free(r);
}

void me_sa_gone(struct ike_sa *sa)
{
	struct relay **pp = &queue;

	while (*pp) {
		struct relay *r = *pp;

		if (r->sa == sa) {
			*pp = r->next;
			free(r);
		} else {
			pp = &r->next;
		}
	}
	if (!sa->me || !sa->peer_id_set)
		return;
	if (me_reg_lookup(&reg, &sa->peer_id) == sa_key(sa)) {
		char g[300];

		logm(SS_IKE, L_INFO, "conn %s: mediation peer '%s' went offline",
		     sa->conn->name, idstr(&sa->peer_id, g, sizeof(g)));
	}
	me_reg_offline(&reg, sa_key(sa));
}

int me_srv_auth(struct ike_sa *sa, struct ike_msg *m, const struct ike_id *gid)
{
	struct ike_id cb[ME_MAX_WAITERS];
	struct msg_builder in, out;
	struct me_endpoint ep;
	struct me_info info;
	char err[128], g[300], a[64];
	int n;

	if (me_collect(m->pl, m->npl, &info, err, sizeof(err))) {
		logm(SS_IKE, L_WARN, "conn %s: malformed ME_* notify in IKE_AUTH from '%s' (%s): ignored",
		     sa->conn->name, idstr(gid, g, sizeof(g)), err);
		info.nep = 0;
	}
	if (msg_find(m, PL_SA))
		logm(SS_IKE, L_INFO, "conn %s: '%s' proposed a CHILD_SA on the mediation connection: none created",
		     sa->conn->name, idstr(gid, g, sizeof(g)));
	mb_init(&in);
	if (auth_put_idr(sa, &in))
		goto dead;
	/* The request for our view of its address: the first ME_ENDPOINT,
	 * SERVER_REFLEXIVE, as strongSwan sends it when behind a NAT. */
	if (info.nep && info.ep[0].type == ME_EP_SERVER_REFLEXIVE) {
		me_endpoint_set(&ep, ME_EP_SERVER_REFLEXIVE, &sa->peer, NULL);
		me_put_endpoint(&in, &ep);
	}
	if (ikesa_encrypted_msg(sa, EXCH_IKE_AUTH, true, sa->peer_msgid, &in,
				PL_IDR, &out))
		goto dead;
	sa->state = ST_ESTABLISHED;
	ikesa_schedule(sa);
	if (ikesa_send_response(sa, &out))
		goto dead;
	n = me_reg_online(&reg, gid, sa_key(sa), cb, ME_MAX_WAITERS);
	if (n < 0) {
		logm(SS_IKE, L_ERR, "conn %s: mediation registry full: '%s' not registered",
		     sa->conn->name, idstr(gid, g, sizeof(g)));
		return 0;
	}
	logm(SS_IKE, L_INFO, "conn %s: mediation peer '%s' online at %s (server-reflexive endpoint)%s",
	     sa->conn->name, idstr(gid, g, sizeof(g)), sa_str(&sa->peer, a, sizeof(a)),
	     n ? ", calling back the peers waiting for it" : "");
	for (int i = 0; i < n; i++) {
		struct ike_sa *w = sa_by_key(me_reg_lookup(&reg, &cb[i]));
		struct me_info ci = { .callback = true };
		char h[300];

		if (!w)
			continue;
		logm(SS_IKE, L_INFO, "conn %s: ME_CALLBACK to '%s': '%s' is online",
		     sa->conn->name, idstr(&cb[i], h, sizeof(h)), g);
		me_enqueue(w, gid, &ci);
	}
	return 0;
dead:
	sa->state = ST_DEAD;
	return -1;
}

void me_respond(struct ike_sa *sa, uint16_t notify)
{
	struct msg_builder in, out;

	mb_init(&in);
	if (notify)
		me_put_flag(&in, notify);
	if (!ikesa_encrypted_msg(sa, EXCH_ME_CONNECT, true, sa->peer_msgid, &in,
				 notify ? PL_NOTIFY : PL_NONE, &out))
		ikesa_send_response(sa, &out);
}

/* An ME_CONNECT request from a registered peer: answer and relay. */
static int srv_connect(struct ike_sa *sa, struct ike_msg *m)
{
	const struct payload *idp = msg_find(m, PL_ID_PEER);
	struct ike_id peer;
	struct me_info info;
	struct ike_sa *to;
	char err[128], g[300], p[300];

	idstr(&sa->peer_id, g, sizeof(g));
	if (!idp || parse_id(idp, &peer)) {
		logm(SS_IKE, L_WARN, "conn %s: ME_CONNECT from '%s' without a valid ID_PEER: INVALID_SYNTAX",
		     sa->conn->name, g);
		me_respond(sa, N_INVALID_SYNTAX);
		return -1;
	}
	idstr(&peer, p, sizeof(p));
	if (me_collect(m->pl, m->npl, &info, err, sizeof(err)) ||
	    me_connect_complete(&info, err, sizeof(err)) || info.failed ||
	    !info.connect_id_len) {
		/* A peer's request always carries ID, key and endpoints. */
		if (info.failed || !info.connect_id_len)
			snprintf(err, sizeof(err), "ME_CONNECT_FAILED or a bare ME_CALLBACK from a peer");
		logm(SS_IKE, L_WARN, "conn %s: ME_CONNECT from '%s' for '%s' refused: %s: INVALID_SYNTAX",
		     sa->conn->name, g, p, err);
		me_respond(sa, N_INVALID_SYNTAX);
		return -1;
	}
	to = sa_by_key(me_reg_request(&reg, &peer, &sa->peer_id, info.callback));
	if (!to) {
		logm(SS_IKE, L_INFO, "conn %s: ME_CONNECT from '%s': '%s' is not online: ME_CONNECT_FAILED%s",
		     sa->conn->name, g, p, info.callback ? " (ME_CALLBACK when it comes)" : "");
		me_respond(sa, N_ME_CONNECT_FAILED);
		return 0;
	}
	logm(SS_IKE, L_INFO, "conn %s: relaying ME_CONNECT%s from '%s' to '%s' (%d endpoints)",
	     sa->conn->name, info.response ? " response" : "", g, p, info.nep);
	me_respond(sa, 0);
	info.callback = false;		/* the relay carries the rest only */
	me_enqueue(to, &sa->peer_id, &info);
	return 0;
}

int me_request(struct ike_sa *sa, struct ike_msg *m)
{
	if (sa->me && !sa->initiator && sa->peer_id_set)
		return srv_connect(sa, m);
	if (sa->initiator && sa->conn->mediation)
		return me_cli_request(sa, m);
	logm(SS_IKE, L_WARN, "conn %s: ME_CONNECT on an IKE_SA that is not a mediation server's: INVALID_SYNTAX",
	     sa->conn->name);
	me_respond(sa, N_INVALID_SYNTAX);
	return -1;
}

void me_status(void *file)
{
	FILE *f = file;

	if (!reg.n)
		return;
	fprintf(f, "Mediation peers (%d):\n", reg.n);
	for (int i = 0; i < reg.n; i++) {
		const struct me_peer *p = &reg.peers[i];
		struct ike_sa *sa = sa_by_key(p->sa);
		char g[300], w[300], a[64];

		idstr(&p->id, g, sizeof(g));
		if (sa)
			fprintf(f, "  %s: online, %s, conn %s\n", g,
				sa_str(&sa->peer, a, sizeof(a)), sa->conn->name);
		else
			fprintf(f, "  %s: offline\n", g);
		for (int j = 0; j < p->nwait; j++)
			fprintf(f, "  %s: awaited by %s (ME_CALLBACK)\n", g,
				idstr(&p->waiting[j], w, sizeof(w)));
	}
}
