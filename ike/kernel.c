// SPDX-License-Identifier: GPL-2.0
/*
 * Programming negotiated CHILD_SAs into kipsec, through the shared
 * userspace representation (tools/req.h) and its netlink encoder
 * (tools/req_nl.c): one SA per direction and protect policies for every
 * pair of narrowed traffic selectors (out, in, and fwd for tunnels).
 * Inbound first, then outbound, then policies: traffic is only steered into
 * the tunnel once the peer's packets can already be decrypted.
 * With --no-kernel nothing is installed; SPIs and (at knl=3) keys are logged.
 */
#include <stdio.h>
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

static int fill_sa(struct ike_sa *sa, bool inbound, struct ksa *k)
{
	struct child_sa *c = &sa->child;
	/* KEYMAT order: i->r encr, i->r integ, r->i encr, r->i integ. */
	bool ir = sa->initiator != inbound;
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

static int add_sp(struct ike_sa *sa, uint8_t dir, const struct ts *src,
		  const struct ts *dst)
{
	struct child_sa *c = &sa->child;
	bool out = dir == KIPSEC_DIR_OUT;
	struct ksp sp;
	char err[256] = "";
	int ret;

	memset(&sp, 0, sizeof(sp));
	sp.dir = dir;
	sp.action = KIPSEC_ACTION_PROTECT;
	if (fill_sel(src, dst, &sp.sel)) {
		logm(SS_KNL, L_WARN, "conn %s: a traffic selector is not a prefix; policy skipped",
		     sa->conn->name);
		return 0;
	}
	sp.ntmpl = 1;
	sp.tmpl[0].proto = IPPROTO_ESP;
	sp.tmpl[0].mode = c->transport ? KIPSEC_MODE_TRANSPORT : KIPSEC_MODE_TUNNEL;
	sp.tmpl[0].level = KIPSEC_LEVEL_REQUIRE;
	sp.tmpl[0].reqid = c->reqid;
	if (!c->transport) {
		to_kaddr(out ? &sa->local : &sa->peer, &sp.tmpl[0].src);
		to_kaddr(out ? &sa->peer : &sa->local, &sp.tmpl[0].dst);
	}
	ret = ksp_request(nl, KIPSEC_CMD_SP_ADD, &sp, err, sizeof(err));
	if (ret) {
		logm(SS_KNL, L_ERR, "conn %s: adding %s policy failed: %s%s%s", sa->conn->name,
		     out ? "out" : dir == KIPSEC_DIR_IN ? "in" : "fwd", strerror(-ret),
		     err[0] ? ": " : "", err);
		return -1;
	}
	if (c->nsp < (int)(sizeof(c->sp_id) / sizeof(c->sp_id[0])))
		c->sp_id[c->nsp++] = sp.id;
	return 0;
}

static int add_sa(struct ike_sa *sa, bool inbound)
{
	struct ksa k;
	char err[256] = "";
	int ret;

	if (fill_sa(sa, inbound, &k))
		return -1;
	ret = ksa_request(nl, KIPSEC_CMD_SA_ADD, &k, err, sizeof(err));
	wipe(&k, sizeof(k));
	if (ret) {
		logm(SS_KNL, L_ERR, "conn %s: adding %s SA %08x failed: %s%s%s", sa->conn->name,
		     inbound ? "inbound" : "outbound",
		     inbound ? sa->child.spi_in : sa->child.spi_out, strerror(-ret),
		     err[0] ? ": " : "", err);
		return -1;
	}
	return 0;
}

static void log_keys(struct ike_sa *sa)
{
	struct child_sa *c = &sa->child;
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
	     sa->conn->name, sa->initiator ? c->spi_out : c->spi_in, e1, a1);
	logm(SS_KNL, L_DBG, "conn %s: SA r->i spi %08x enc %s auth %s",
	     sa->conn->name, sa->initiator ? c->spi_in : c->spi_out, e2, a2);
	wipe(e1, sizeof(e1));
	wipe(e2, sizeof(e2));
	wipe(a1, sizeof(a1));
	wipe(a2, sizeof(a2));
}

int child_install(struct ike_sa *sa)
{
	struct child_sa *c = &sa->child;
	const struct ts_list *l = sa->initiator ? &c->tsi : &c->tsr;
	const struct ts_list *r = sa->initiator ? &c->tsr : &c->tsi;

	c->up = true;
	c->reqid = next_reqid++;
	log_keys(sa);
	if (g_no_kernel)
		return 0;
	if (!nl)
		nl = knl_open();
	if (!nl) {
		logm(SS_KNL, L_ERR, "conn %s: cannot talk to kipsec (module not loaded?); CHILD_SA not installed",
		     sa->conn->name);
		return -1;
	}
	if (add_sa(sa, true))
		goto fail;
	c->sa_in = true;
	if (add_sa(sa, false))
		goto fail;
	c->sa_out = true;
	for (int i = 0; i < l->n; i++)
		for (int j = 0; j < r->n; j++)
			if (add_sp(sa, KIPSEC_DIR_OUT, &l->t[i], &r->t[j]) ||
			    add_sp(sa, KIPSEC_DIR_IN, &r->t[j], &l->t[i]) ||
			    (!c->transport &&
			     add_sp(sa, KIPSEC_DIR_FWD, &r->t[j], &l->t[i])))
				goto fail;
	logm(SS_KNL, L_INFO, "conn %s: installed SAs %08x (in) %08x (out) and %d policies, reqid %u",
	     sa->conn->name, c->spi_in, c->spi_out, c->nsp, c->reqid);
	return 0;
fail:
	child_uninstall(sa);
	return -1;
}

static void del_sa(struct ike_sa *sa, bool inbound)
{
	struct ksa k;
	char err[256] = "";

	memset(&k, 0, sizeof(k));
	k.proto = IPPROTO_ESP;
	k.spi = inbound ? sa->child.spi_in : sa->child.spi_out;
	to_kaddr(inbound ? &sa->local : &sa->peer, &k.dst);
	if (ksa_request(nl, KIPSEC_CMD_SA_DEL, &k, err, sizeof(err)))
		logm(SS_KNL, L_WARN, "conn %s: deleting SA %08x failed: %s",
		     sa->conn->name, k.spi, err);
}

void child_uninstall(struct ike_sa *sa)
{
	struct child_sa *c = &sa->child;

	c->up = false;
	wipe(c->keymat, sizeof(c->keymat));
	if (nl) {
		/* Policies first, so no packet is steered to a missing SA. */
		for (int i = 0; i < c->nsp; i++) {
			struct ksp sp = { .id = c->sp_id[i] };
			char err[256] = "";

			if (ksp_request(nl, KIPSEC_CMD_SP_DEL, &sp, err, sizeof(err)))
				logm(SS_KNL, L_WARN, "conn %s: deleting policy %u failed: %s",
				     sa->conn->name, c->sp_id[i], err);
		}
		if (c->sa_out)
			del_sa(sa, false);
		if (c->sa_in)
			del_sa(sa, true);
	}
	c->nsp = 0;
	c->sa_in = c->sa_out = false;
	logm(SS_KNL, L_INFO, "conn %s: CHILD_SA %08x/%08x removed", sa->conn->name,
	     c->spi_in, c->spi_out);
}
