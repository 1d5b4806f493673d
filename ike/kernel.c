// SPDX-License-Identifier: GPL-2.0
/*
 * Programming negotiated CHILD_SAs into kipsec, through the shared
 * userspace representation (tools/req.h) and its netlink encoder
 * (tools/req_nl.c): one SA per direction and protect policies for every
 * pair of narrowed traffic selectors (out, in, and fwd for tunnels).
 * Inbound first, then outbound, then policies: traffic is only steered into
 * the tunnel once the peer's packets can already be decrypted.
 * With --no-kernel nothing is installed; SPIs and (at knl=3) keys are logged.
 * auto=route conns have trap policies (same selectors, no SA) whose ACQUIRE
 * events start the IKE_SA; their CHILD_SAs take the trap's reqid.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "kiked.h"
#include "nl.h"
#include "req.h"

bool g_no_kernel;
static struct knl *nl;
static uint32_t next_reqid = 1;

static void hex(const uint8_t *p, size_t l, char *o, size_t ol)
{
	size_t n = 0;

	o[0] = 0;
	for (size_t i = 0; i < l && n + 3 < ol; i++)
		n += (size_t)snprintf(o + n, ol - n, "%02x", p[i]);
}

static void to_kaddr(const struct sockaddr_storage *s, struct kaddr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = s->ss_family;
	if (s->ss_family == AF_INET)
		a->v4 = ((const struct sockaddr_in *)s)->sin_addr;
	else if (s->ss_family == AF_INET6)
		a->v6 = ((const struct sockaddr_in6 *)s)->sin6_addr;
}

static int set_alg(struct ksa_alg *a, const char *name, const uint8_t *key,
		   size_t len, int bits)
{
	if (len > sizeof(a->key))
		return -1;
	snprintf(a->name, sizeof(a->name), "%s", name);
	memcpy(a->key, key, len);
	a->keylen = (int)len;
	a->bits = bits;
	return 0;
}

/* Kernel lifetimes: soft at the rekey time (its EXPIRE event asks us to
 * rekey), hard at the configured lifetime, a backstop should the rekey not
 * happen (RFC 7296 2.8). */
static uint64_t soft_of(uint64_t life, uint64_t margin)
{
	return margin < life ? life - margin : life / 2 + 1;
}

static void fill_lft(const struct conn *cn, struct klft *l)
{
	if (cn->lifetime > 0) {
		l->hard_add = (uint64_t)cn->lifetime;
		l->soft_add = soft_of(l->hard_add, (uint64_t)cn->rekeymargin);
	}
	/* Packet and byte limits only the kernel can count: its soft EXPIRE
	 * is what starts those rekeys. */
	if (cn->lifepackets) {
		l->hard_packets = cn->lifepackets;
		l->soft_packets = soft_of(cn->lifepackets, cn->marginpackets);
	}
	if (cn->lifebytes) {
		l->hard_bytes = cn->lifebytes;
		l->soft_bytes = soft_of(cn->lifebytes, cn->marginbytes);
	}
}

static int fill_sa(struct ike_sa *sa, struct child_sa *c, bool inbound,
		   struct ksa *k)
{
	/* KEYMAT order: i->r encr, i->r integ, r->i encr, r->i integ. */
	bool ir = c->keymat_i != inbound;
	const uint8_t *e = c->keymat + (ir ? 0 : c->ekl + c->akl);
	const uint8_t *a = e + c->ekl;

	memset(k, 0, sizeof(*k));
	k->proto = IPPROTO_ESP;
	k->spi = inbound ? c->spi_in : c->spi_out;
	to_kaddr(inbound ? &sa->peer : &sa->local, &k->src);
	to_kaddr(inbound ? &sa->local : &sa->peer, &k->dst);
	k->mode = c->transport ? KIPSEC_MODE_TRANSPORT : KIPSEC_MODE_TUNNEL;
	k->reqid = c->reqid;
	k->replay_window = 64;
	if (sa->nat & NAT_ANY) {
		/* ESP in UDP between the IKE endpoints as seen (natt.c). */
		k->has_encap = true;
		k->encap_sport = ss_port(inbound ? &sa->peer : &sa->local);
		k->encap_dport = ss_port(inbound ? &sa->local : &sa->peer);
	}
	fill_lft(sa->conn, &k->lft);
	if (c->s.esn)
		k->flags |= KIPSEC_SAF_ESN;
	if (c->s.encr == ENCR_AES_GCM_16)
		return set_alg(&k->aead, "rfc4106(gcm(aes))", e, c->ekl, 128);
	if (set_alg(&k->enc, "cbc(aes)", e, c->ekl, 0))
		return -1;
	switch (c->s.integ) {
	case AUTH_HMAC_SHA2_256_128:
		return set_alg(&k->auth, "hmac(sha256)", a, c->akl, 128);
	case AUTH_HMAC_SHA2_384_192:
		return set_alg(&k->auth, "hmac(sha384)", a, c->akl, 192);
	case AUTH_HMAC_SHA2_512_256:
		return set_alg(&k->auth, "hmac(sha512)", a, c->akl, 256);
	}
	return -1;
}

/* An address range as prefix; -1 when it is not a CIDR block. */
static int range_prefix(const struct ts *t)
{
	int bits = t->type == TS_IPV4_ADDR_RANGE ? 32 : 128, p = 0;

	while (p < bits) {
		uint8_t m = (uint8_t)(0x80 >> (p % 8));

		if ((t->start[p / 8] & m) != (t->end[p / 8] & m))
			break;
		p++;
	}
	for (int i = p; i < bits; i++) {
		uint8_t m = (uint8_t)(0x80 >> (i % 8));

		if ((t->start[i / 8] & m) || !(t->end[i / 8] & m))
			return -1;
	}
	return p;
}

static int fill_sel(const struct ts *src, const struct ts *dst, struct ksel *s)
{
	int sp = range_prefix(src), dp = range_prefix(dst);
	size_t al = src->type == TS_IPV4_ADDR_RANGE ? 4 : 16;

	if (sp < 0 || dp < 0 || src->type != dst->type)
		return -1;
	memset(s, 0, sizeof(*s));
	s->family = al == 4 ? AF_INET : AF_INET6;
	s->src.family = s->dst.family = s->family;
	memcpy(s->src.b, src->start, al);
	memcpy(s->dst.b, dst->start, al);
	s->splen = (uint8_t)sp;
	s->dplen = (uint8_t)dp;
	s->proto = src->proto ? src->proto : dst->proto;
	s->sport = src->sport == src->eport ? src->sport : 0;
	s->dport = dst->sport == dst->eport ? dst->sport : 0;
	s->icmp_type = s->icmp_code = -1;
	return 0;
}

/* Whose protect policies are added: a CHILD_SA's or a conn's traps. */
struct sp_owner {
	const struct conn *cn;
	const struct sockaddr_storage *local, *peer;
	bool transport;
	uint32_t reqid;
	uint32_t *ids;
	int *nids, max;
	/* SP_ADD records each new policy's id; SP_UPDATE (a NAT-T float)
	 * rewrites ids[n], in the order they were added. */
	int cmd, n;
};

static int add_sp(struct sp_owner *o, uint8_t dir, const struct ts *src,
		  const struct ts *dst)
{
	bool out = dir == KIPSEC_DIR_OUT;
	struct ksp sp;
	char err[256] = "";
	int ret;

	memset(&sp, 0, sizeof(sp));
	sp.dir = dir;
	sp.action = KIPSEC_ACTION_PROTECT;
	if (fill_sel(src, dst, &sp.sel)) {
		logm(SS_KNL, L_WARN, "conn %s: a traffic selector is not a prefix; policy skipped",
		     o->cn->name);
		return 0;
	}
	sp.ntmpl = 1;
	sp.tmpl[0].proto = IPPROTO_ESP;
	sp.tmpl[0].mode = o->transport ? KIPSEC_MODE_TRANSPORT : KIPSEC_MODE_TUNNEL;
	sp.tmpl[0].level = KIPSEC_LEVEL_REQUIRE;
	sp.tmpl[0].reqid = o->reqid;
	if (!o->transport) {
		to_kaddr(out ? o->local : o->peer, &sp.tmpl[0].src);
		to_kaddr(out ? o->peer : o->local, &sp.tmpl[0].dst);
	}
	if (o->cmd == KIPSEC_CMD_SP_UPDATE)
		sp.id = o->n < *o->nids ? o->ids[o->n] : 0;
	o->n++;
	ret = ksp_request(nl, o->cmd, &sp, err, sizeof(err));
	if (ret) {
		logm(SS_KNL, L_ERR, "conn %s: %s %s policy failed: %s%s%s", o->cn->name,
		     o->cmd == KIPSEC_CMD_SP_UPDATE ? "updating" : "adding", out ? "out" : dir == KIPSEC_DIR_IN ? "in" : "fwd", strerror(-ret),
		     err[0] ? ": " : "", err);
		return -1;
	}
	if (o->cmd == KIPSEC_CMD_SP_ADD && *o->nids < o->max)
		o->ids[(*o->nids)++] = sp.id;
	return 0;
}

/* The pair (src, dst) has the selector of one of cn's trap policies. */
static bool trap_covers(const struct conn *cn, const struct ts *src,
			const struct ts *dst)
{
	struct ksel a, b;

	if (!cn->trap_reqid || fill_sel(src, dst, &a))
		return false;
	for (int i = 0; i < cn->lsub.n; i++)
		for (int j = 0; j < cn->rsub.n; j++)
			if (!fill_sel(&cn->lsub.t[i], &cn->rsub.t[j], &b) &&
			    !memcmp(&a, &b, sizeof(a)))
				return true;
	return false;
}

/* out, in (and fwd in tunnel mode) for every pair of l x r, except the
 * pairs a trap of the conn already has policies for. */
static int add_sps(struct sp_owner *o, const struct ts_list *l,
		   const struct ts_list *r)
{
	for (int i = 0; i < l->n; i++)
		for (int j = 0; j < r->n; j++)
			if (!trap_covers(o->cn, &l->t[i], &r->t[j]) &&
			    (add_sp(o, KIPSEC_DIR_OUT, &l->t[i], &r->t[j]) ||
			     add_sp(o, KIPSEC_DIR_IN, &r->t[j], &l->t[i]) ||
			     (!o->transport &&
			      add_sp(o, KIPSEC_DIR_FWD, &r->t[j], &l->t[i]))))
				return -1;
	return 0;
}

static void del_sps(const struct conn *cn, const uint32_t *ids, int n)
{
	for (int i = 0; i < n; i++) {
		struct ksp sp = { .id = ids[i] };
		char err[256] = "";

		if (ksp_request(nl, KIPSEC_CMD_SP_DEL, &sp, err, sizeof(err)))
			logm(SS_KNL, L_WARN, "conn %s: deleting policy %u failed: %s",
			     cn->name, ids[i], err);
	}
}

static bool knl_ready(const struct conn *cn, const char *what)
{
	if (!nl)
		nl = knl_open();
	if (!nl)
		logm(SS_KNL, L_ERR, "conn %s: cannot talk to kipsec (module not loaded?); %s not installed",
		     cn->name, what);
	return nl;
}

static int put_sa(struct ike_sa *sa, struct child_sa *c, bool inbound, int cmd)
{
	struct ksa k;
	char err[256] = "";
	int ret;

	if (fill_sa(sa, c, inbound, &k))
		return -1;
	ret = ksa_request(nl, cmd, &k, err, sizeof(err));
	wipe(&k, sizeof(k));
	if (ret) {
		logm(SS_KNL, L_ERR, "conn %s: %s %s SA %08x failed: %s%s%s", sa->conn->name,
		     cmd == KIPSEC_CMD_SA_ADD ? "adding" : "updating",
		     inbound ? "inbound" : "outbound",
		     inbound ? c->spi_in : c->spi_out, strerror(-ret),
		     err[0] ? ": " : "", err);
		return -1;
	}
	return 0;
}

static int add_sa(struct ike_sa *sa, struct child_sa *c, bool inbound)
{
	return put_sa(sa, c, inbound, KIPSEC_CMD_SA_ADD);
}

/* c's policies, added (SP_ADD) or rewritten for a new endpoint (SP_UPDATE). */
static int put_sps(struct ike_sa *sa, struct child_sa *c, int cmd)
{
	struct sp_owner o = {
		.cn = sa->conn, .local = &sa->local, .peer = &sa->peer,
		.transport = c->transport, .reqid = c->reqid, .ids = c->sp_id,
		.nids = &c->nsp, .max = c->sp_max,
		.cmd = cmd,
	};
	struct ts_list l = sa->initiator ? c->tsi : c->tsr;
	struct ts_list r = sa->initiator ? c->tsr : c->tsi;

	/* Transport mode through a NAT: for the addresses on the wire. */
	if (c->transport)
		ts_nat_transport(sa, &l, &r);
	return add_sps(&o, &l, &r);
}

static void log_keys(struct ike_sa *sa, struct child_sa *c)
{
	const uint8_t *ir_e = c->keymat, *ir_a = ir_e + c->ekl;
	const uint8_t *ri_e = ir_a + c->akl, *ri_a = ri_e + c->ekl;
	char e1[200], a1[200], e2[200], a2[200];

	if (log_level[SS_KNL] < L_DBG)
		return;
	hex(ir_e, c->ekl, e1, sizeof(e1));
	hex(ir_a, c->akl, a1, sizeof(a1));
	hex(ri_e, c->ekl, e2, sizeof(e2));
	hex(ri_a, c->akl, a2, sizeof(a2));
	logm(SS_KNL, L_DBG, "conn %s: SA i->r spi %08x enc %s auth %s",
	     sa->conn->name, c->keymat_i ? c->spi_out : c->spi_in, e1, a1);
	logm(SS_KNL, L_DBG, "conn %s: SA r->i spi %08x enc %s auth %s",
	     sa->conn->name, c->keymat_i ? c->spi_in : c->spi_out, e2, a2);
	wipe(e1, sizeof(e1));
	wipe(e2, sizeof(e2));
	wipe(a1, sizeof(a1));
	wipe(a2, sizeof(a2));
}

int child_install(struct ike_sa *sa, struct child_sa *c,
		  const struct child_sa *rekey_of)
{
	c->up = true;
	c->state = CH_INSTALLED;
	/* Under a trap the SAs take its reqid: its policies lead to them. */
	c->reqid = rekey_of ? rekey_of->reqid :
		   sa->conn->trap_reqid && c->transport == sa->conn->transport ?
		   sa->conn->trap_reqid : next_reqid++;
	c->nsp = 0;
	child_schedule(sa, c);
	log_keys(sa, c);
	if (g_no_kernel)
		return 0;
	if (!knl_ready(sa->conn, "CHILD_SA"))
		return -1;
	if (add_sa(sa, c, true))
		goto fail;
	c->sa_in = true;
	/* kipsec picks the newest outbound SA of a reqid: from here on
	 * traffic leaves on the new SA while the old one still decrypts. */
	if (!c->out_pending) {
		if (add_sa(sa, c, false))
			goto fail;
		c->sa_out = true;
	}
	if (rekey_of) {
		logm(SS_KNL, L_INFO, "conn %s: installed SAs %08x (in) %08x (out%s), replacing %08x/%08x, reqid %u",
		     sa->conn->name, c->spi_in, c->spi_out,
		     c->out_pending ? " once the peer deletes the old one" : "",
		     rekey_of->spi_in, rekey_of->spi_out, c->reqid);
		return 0;
	}
	if (child_sp_alloc(c) || put_sps(sa, c, KIPSEC_CMD_SP_ADD))
		goto fail;
	logm(SS_KNL, L_INFO, "conn %s: installed SAs %08x (in) %08x (out) and %d policies, reqid %u%s",
	     sa->conn->name, c->spi_in, c->spi_out, c->nsp, c->reqid,
	     c->reqid == sa->conn->trap_reqid ? " (the trap's)" : "");
	return 0;
fail:
	child_uninstall(sa, c);
	return -1;
}

static void del_sa(struct ike_sa *sa, struct child_sa *c, bool inbound)
{
	struct ksa k;
	char err[256] = "";
	int ret;

	memset(&k, 0, sizeof(k));
	k.proto = IPPROTO_ESP;
	k.spi = inbound ? c->spi_in : c->spi_out;
	to_kaddr(inbound ? &sa->local : &sa->peer, &k.dst);
	/* ENOENT: the kernel removed it at its hard lifetime already. */
	ret = ksa_request(nl, KIPSEC_CMD_SA_DEL, &k, err, sizeof(err));
	if (ret && ret != -ENOENT)
		logm(SS_KNL, L_WARN, "conn %s: deleting SA %08x failed: %s",
		     sa->conn->name, k.spi, err);
}

/* Another live CHILD_SA of the same reqid (a rekey's successor). */
static struct child_sa *successor(struct ike_sa *sa, const struct child_sa *c)
{
	for (int i = 0; i < CHILD_MAX; i++) {
		struct child_sa *o = sa->child[i];

		if (o && o != c && o->up && o->reqid == c->reqid && !o->del_queued &&
		    o->state != CH_DELETING && o->state != CH_REKEYED)
			return o;
	}
	return NULL;
}

void child_activate_out(struct ike_sa *sa, struct child_sa *c)
{
	if (!c->out_pending)
		return;
	c->out_pending = false;
	if (g_no_kernel || !nl)
		return;
	if (add_sa(sa, c, false) == 0) {
		c->sa_out = true;
		logm(SS_KNL, L_INFO, "conn %s: outbound SA %08x installed, reqid %u",
		     sa->conn->name, c->spi_out, c->reqid);
	}
}

void child_float(struct ike_sa *sa, struct child_sa *c,
		 const struct sockaddr_storage *old_peer)
{
	struct sockaddr_storage now_peer = sa->peer;

	if (g_no_kernel || !nl)
		return;
	if (c->sa_in)
		put_sa(sa, c, true, KIPSEC_CMD_SA_UPDATE);
	if (c->sa_out && ss_same_addr(old_peer, &sa->peer)) {
		put_sa(sa, c, false, KIPSEC_CMD_SA_UPDATE);
	} else if (c->sa_out && add_sa(sa, c, false) == 0) {
		/* The SA's identity has the peer's address: a new one (tunnel
		 * templates name the endpoints, transport policies through a
		 * NAT the peer's address as seen: updated before the old SA
		 * goes).  Its sequence numbers restart, which the peer's replay
		 * window refuses: rekey at once. */
		if (c->nsp && (!c->transport || (sa->nat & NAT_THERE)))
			put_sps(sa, c, KIPSEC_CMD_SP_UPDATE);
		sa->peer = *old_peer;
		del_sa(sa, c, false);
		sa->peer = now_peer;
		if (c->state == CH_INSTALLED) {
			c->rekey_at = now();
			logm(SS_KNL, L_INFO, "conn %s: outbound SA %08x re-added for the peer's new address; rekeying the CHILD_SA",
			     sa->conn->name, c->spi_out);
		}
	}
}

void child_uninstall(struct ike_sa *sa, struct child_sa *c)
{
	struct child_sa *succ = successor(sa, c);

	if (!c->up && c->state == CH_NONE)
		return;
	/* Make-before-break: the successor sends before we stop. */
	if (succ)
		child_activate_out(sa, succ);
	c->up = false;
	c->state = CH_NONE;
	c->rekey_at = 0;
	c->del_queued = false;
	c->out_pending = false;
	if (c->keymat)
		wipe(c->keymat, 2 * (c->ekl + c->akl));
	if (succ && c->nsp) {
		/* The policies belong to the reqid, which lives on. */
		free(succ->sp_id);
		succ->sp_id = c->sp_id;
		succ->sp_max = c->sp_max;
		succ->nsp = c->nsp;
		c->sp_id = NULL;
		c->sp_max = c->nsp = 0;
	}
	if (nl) {
		/* Policies first, so no packet is steered to a missing SA
		 * (a trap's stay: their next packet raises an ACQUIRE). */
		del_sps(sa->conn, c->sp_id, c->nsp);
		if (c->sa_out)
			del_sa(sa, c, false);
		if (c->sa_in)
			del_sa(sa, c, true);
	}
	c->nsp = 0;
	c->sa_in = c->sa_out = false;
	logm(SS_KNL, L_INFO, "conn %s: CHILD_SA %08x/%08x removed", sa->conn->name,
	     c->spi_in, c->spi_out);
}

void child_uninstall_all(struct ike_sa *sa)
{
	for (int i = 0; i < CHILD_MAX; i++)
		if (sa->child[i] && sa->child[i]->up)
			child_uninstall(sa, sa->child[i]);
}

/* ---- auto=route: trap policies, removed only with the conn ---- */
int trap_install(struct conn *c)
{
	struct sp_owner o = {
		.cn = c, .local = &c->laddr, .peer = &c->raddr,
		.transport = c->transport, .ids = c->trap_id, .nids = &c->ntrap,
		.max = (int)(sizeof(c->trap_id) / sizeof(c->trap_id[0])),
		.cmd = KIPSEC_CMD_SP_ADD,
	};
	char l[512], r[512];

	if (c->trap_reqid || g_no_kernel)
		return 0;
	if (!c->laddr.ss_family || !c->raddr.ss_family) {
		logm(SS_KNL, L_ERR, "conn %s: trap policies need concrete left= and right= addresses; not installed",
		     c->name);
		return -1;
	}
	if (!knl_ready(c, "trap policy"))
		return -1;
	knl_event_fd();		/* listening before the first ACQUIRE */
	o.reqid = next_reqid++;
	c->ntrap = 0;
	if (add_sps(&o, &c->lsub, &c->rsub)) {
		del_sps(c, c->trap_id, c->ntrap);
		c->ntrap = 0;
		return -1;
	}
	c->trap_reqid = o.reqid;
	ts_list_str(&c->lsub, l, sizeof(l));
	ts_list_str(&c->rsub, r, sizeof(r));
	logm(SS_KNL, L_INFO, "conn %s: trap policies installed (%d, reqid %u): the first packet %s === %s starts it",
	     c->name, c->ntrap, c->trap_reqid, l, r);
	return 0;
}

void trap_uninstall(struct conn *c)
{
	if (!c->trap_reqid)
		return;
	if (nl)
		del_sps(c, c->trap_id, c->ntrap);
	logm(SS_KNL, L_INFO, "conn %s: trap policies removed", c->name);
	c->ntrap = 0;
	c->trap_reqid = 0;
}

static bool same_traffic(const struct conn *a, const struct conn *b)
{
	return a->transport == b->transport &&
	       !memcmp(&a->laddr, &b->laddr, sizeof(a->laddr)) &&
	       !memcmp(&a->raddr, &b->raddr, sizeof(a->raddr)) &&
	       !memcmp(&a->lsub, &b->lsub, sizeof(a->lsub)) &&
	       !memcmp(&a->rsub, &b->rsub, sizeof(a->rsub));
}

void trap_reload(struct config *old, struct config *nc)
{
	for (int i = 0; i < old->nconns; i++) {
		struct conn *o = &old->conns[i], *n = NULL;

		for (int j = 0; j < nc->nconns && o->trap_reqid; j++)
			if (!strcmp(nc->conns[j].name, o->name))
				n = &nc->conns[j];
		if (!o->trap_reqid)
			continue;
		if (n && n->auto_mode == AUTO_ROUTE && same_traffic(o, n)) {
			n->trap_reqid = o->trap_reqid;
			n->ntrap = o->ntrap;
			memcpy(n->trap_id, o->trap_id, sizeof(n->trap_id));
			o->trap_reqid = 0;
		} else {
			trap_uninstall(o);
		}
	}
	for (int j = 0; j < nc->nconns; j++)
		if (nc->conns[j].auto_mode == AUTO_ROUTE)
			trap_install(&nc->conns[j]);
}

/* c's IKE_SA being set up or established, if any. */
static struct ike_sa *conn_ikesa(const struct conn *c)
{
	for (struct ike_sa *sa = ikesa_list(); sa; sa = sa->next)
		if (sa->conn == c && sa->state < ST_DELETING && !sa->replaced)
			return sa;
	return NULL;
}

/* The CHILD_SA that sa creates next proposes the ACQUIRE's packet first. */
static void want_flow(struct ike_sa *sa, const struct ksel *sel)
{
	ts_from_flow(sel->family, sel->src.b, sel->dst.b, sel->proto, sel->sport,
		     sel->dport, &sa->want_tsi.t[0], &sa->want_tsr.t[0]);
	sa->want_tsi.n = sa->want_tsr.n = 1;
}

/* An outbound packet hit a trap: start the conn's IKE_SA (or its CHILD_SA
 * in an IKE_SA that has none), unless one is already on its way.  The
 * packet's selectors lead the CHILD_SA's TSi/TSr (RFC 7296 2.9). */
static void on_acquire(uint32_t sp_id, const struct ksel *sel)
{
	struct conn *c = NULL;
	struct ike_sa *sa;
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

	for (int i = 0; i < g_conf.nconns && !c; i++)
		for (int j = 0; j < g_conf.conns[i].ntrap; j++)
			if (g_conf.conns[i].trap_reqid && g_conf.conns[i].trap_id[j] == sp_id)
				c = &g_conf.conns[i];
	if (!c) {
		logm(SS_KNL, L_DBG, "kipsec ACQUIRE on policy %u, not a trap of ours", sp_id);
		return;
	}
	inet_ntop(sel->family, sel->src.b, s, sizeof(s));
	inet_ntop(sel->family, sel->dst.b, d, sizeof(d));
	sa = ccs_childless(c);
	if (sa) {
		logm(SS_KNL, L_INFO, "conn %s: kipsec ACQUIRE for %s -> %s (policy %u): creating a CHILD_SA in its IKE_SA",
		     c->name, s, d, sp_id);
		sa->ccs.want_child = true;
		want_flow(sa, sel);
		return;
	}
	if (conn_ikesa(c)) {
		logm(SS_KNL, L_INFO, "conn %s: kipsec ACQUIRE for %s -> %s (policy %u): an IKE_SA is already on its way",
		     c->name, s, d, sp_id);
		return;
	}
	logm(SS_KNL, L_INFO, "conn %s: kipsec ACQUIRE for %s -> %s (policy %u): initiating",
	     c->name, s, d, sp_id);
	if (init_start(c) == 0 && (sa = conn_ikesa(c)) && sa->state < ST_ESTABLISHED)
		want_flow(sa, sel);
}

/* ---- kernel events: soft EXPIRE -> rekey, hard EXPIRE -> delete ---- */
static struct knl *ev;
static bool ev_tried;

int knl_event_fd(void)
{
	if (g_no_kernel)
		return -1;
	if (!ev && !ev_tried) {
		ev_tried = true;
		ev = knl_open();
		if (ev && knl_join_events(ev)) {
			knl_close(ev);
			ev = NULL;
		}
		if (!ev)
			logm(SS_KNL, L_WARN, "cannot listen to kipsec events: no EXPIRE-triggered rekeys (kiked's own timers still run)");
	}
	return ev ? mnl_socket_get_fd(ev->sock) : -1;
}

static void on_expire(const struct ksa *k, bool hard)
{
	for (struct ike_sa *sa = ikesa_list(); sa; sa = sa->next) {
		struct child_sa *c = NULL;
		bool inbound = false;

		if (sa->state != ST_ESTABLISHED)
			continue;
		for (int i = 0; i < CHILD_MAX && !c; i++) {
			struct child_sa *o = sa->child[i];

			if (o && o->up && o->spi_in == k->spi && o->sa_in)
				c = o, inbound = true;
			else if (o && o->up && o->spi_out == k->spi && o->sa_out)
				c = o;
		}
		if (!c)
			continue;
		logm(SS_KNL, L_INFO, "conn %s: kipsec: %s EXPIRE of %s SA %08x",
		     sa->conn->name, hard ? "hard" : "soft",
		     inbound ? "inbound" : "outbound", k->spi);
		if (hard) {
			/* The kernel removed that SA; the CHILD_SA is over. */
			if (inbound)
				c->sa_in = false;
			else
				c->sa_out = false;
			if (c->state != CH_DELETING && !c->del_queued)
				info_delete_child(sa, &c, 1);
		} else if (c->state == CH_INSTALLED) {
			c->rekey_at = now();	/* net_timers starts it */
		}
		return;
	}
}

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[KIPSEC_A_MAX + 1];
	struct ksa k;

	(void)data;
	if ((g->cmd != KIPSEC_CMD_EXPIRE && g->cmd != KIPSEC_CMD_ACQUIRE &&
	     g->cmd != KIPSEC_CMD_MAPPING) || knl_parse(nlh, tb) < 0)
		return MNL_CB_OK;
	if (g->cmd == KIPSEC_CMD_ACQUIRE) {
		struct ksel sel;

		memset(&sel, 0, sizeof(sel));
		if (tb[KIPSEC_A_SP_ID] && tb[KIPSEC_A_SEL] &&
		    !ksel_parse(tb[KIPSEC_A_SEL], &sel))
			on_acquire(mnl_attr_get_u32(tb[KIPSEC_A_SP_ID]), &sel);
		return MNL_CB_OK;
	}
	if (g->cmd == KIPSEC_CMD_MAPPING) {
		const struct nlattr *a = tb[KIPSEC_A_MAPPING_NEW_SRC];
		struct sockaddr_storage np;

		if (ksa_parse(nlh, &k) == 0 && a && k.has_encap &&
		    mnl_attr_get_payload_len(a) == (k.src.family == AF_INET ? 4u : 16u)) {
			ss_make(&np, k.src.family, mnl_attr_get_payload(a), k.encap_sport);
			natt_mapping(k.spi, &np);
		}
		wipe(&k, sizeof(k));
		return MNL_CB_OK;
	}
	memset(&k, 0, sizeof(k));
	if (ksa_parse(nlh, &k) == 0 && k.proto == IPPROTO_ESP)
		on_expire(&k, tb[KIPSEC_A_EXPIRE_HARD] != NULL);
	wipe(&k, sizeof(k));
	return MNL_CB_OK;
}

void knl_event_read(void)
{
	int n = mnl_socket_recvfrom(ev->sock, ev->buf, sizeof(ev->buf));

	if (n < 0) {
		if (errno == ENOBUFS)
			logm(SS_KNL, L_WARN, "kipsec events lost (receive buffer overrun)");
		return;
	}
	mnl_cb_run(ev->buf, (size_t)n, 0, 0, event_cb, NULL);
}
