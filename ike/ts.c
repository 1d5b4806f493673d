// SPDX-License-Identifier: GPL-2.0
/*
 * Traffic selectors (RFC 7296 3.13): parsing, serialisation, building them
 * from leftsubnet/rightsubnet and narrowing (2.9).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "kiked.h"

static size_t alen(uint8_t type)
{
	return type == TS_IPV4_ADDR_RANGE ? 4 : 16;
}

int ts_parse(const uint8_t *p, size_t len, struct ts_list *out)
{
	size_t off = 4;
	int n;

	if (len < 4)
		return -1;
	n = p[0];
	out->n = 0;
	for (int i = 0; i < n; i++) {
		struct ts t;
		size_t sl, al;

		if (len - off < 8)
			return -1;
		memset(&t, 0, sizeof(t));
		t.type = p[off];
		t.proto = p[off + 1];
		sl = (size_t)(p[off + 2] << 8 | p[off + 3]);
		if (sl < 8 || sl > len - off)
			return -1;
		if (t.type != TS_IPV4_ADDR_RANGE && t.type != TS_IPV6_ADDR_RANGE) {
			off += sl;	/* unknown type: skip it */
			continue;
		}
		al = alen(t.type);
		if (sl != 8 + 2 * al)
			return -1;
		t.sport = (uint16_t)(p[off + 4] << 8 | p[off + 5]);
		t.eport = (uint16_t)(p[off + 6] << 8 | p[off + 7]);
		memcpy(t.start, p + off + 8, al);
		memcpy(t.end, p + off + 8 + al, al);
		if (out->n < TS_MAX)
			out->t[out->n++] = t;
		off += sl;
	}
	return off == len ? 0 : -1;
}

void ts_write(struct msg_builder *b, uint8_t type, const struct ts_list *l)
{
	size_t s = mb_pl_begin(b, type);

	mb_u8(b, (uint8_t)l->n);
	mb_u8(b, 0);
	mb_u16(b, 0);
	for (int i = 0; i < l->n; i++) {
		const struct ts *t = &l->t[i];
		size_t al = alen(t->type);

		mb_u8(b, t->type);
		mb_u8(b, t->proto);
		mb_u16(b, (uint16_t)(8 + 2 * al));
		mb_u16(b, t->sport);
		mb_u16(b, t->eport);
		mb_put(b, t->start, al);
		mb_put(b, t->end, al);
	}
	mb_pl_end(b, s);
}

/* "10.1.0.0/16", "10.1.0.1", "fd00::/64", "0.0.0.0/0" -> address range. */
int ts_from_subnet(const char *s, struct ts *t)
{
	char a[64], *slash;
	int plen = -1, bits;
	size_t al;

	memset(t, 0, sizeof(*t));
	snprintf(a, sizeof(a), "%s", s);
	slash = strchr(a, '/');
	if (slash) {
		char *end;

		*slash = 0;
		plen = (int)strtol(slash + 1, &end, 10);
		if (*end || plen < 0)
			return -1;
	}
	if (inet_pton(AF_INET, a, t->start) == 1)
		t->type = TS_IPV4_ADDR_RANGE;
	else if (inet_pton(AF_INET6, a, t->start) == 1)
		t->type = TS_IPV6_ADDR_RANGE;
	else
		return -1;
	al = alen(t->type);
	bits = (int)al * 8;
	if (plen < 0)
		plen = bits;
	if (plen > bits)
		return -1;
	for (int i = 0; i < bits; i++) {
		uint8_t m = (uint8_t)(0x80 >> (i % 8));

		if (i < plen) {
			t->end[i / 8] |= t->start[i / 8] & m;
		} else {
			t->start[i / 8] &= (uint8_t)~m;
			t->end[i / 8] |= m;
		}
	}
	t->sport = 0;
	t->eport = 0xffff;
	return 0;
}

static int cmp(const uint8_t *a, const uint8_t *b, size_t l)
{
	return memcmp(a, b, l);
}

/* Intersection of two selectors; 0 if non-empty. */
static int ts_meet(const struct ts *a, const struct ts *b, struct ts *o)
{
	size_t al = alen(a->type);

	if (a->type != b->type)
		return -1;
	if (a->proto && b->proto && a->proto != b->proto)
		return -1;
	memset(o, 0, sizeof(*o));
	o->type = a->type;
	o->proto = a->proto ? a->proto : b->proto;
	o->sport = a->sport > b->sport ? a->sport : b->sport;
	o->eport = a->eport < b->eport ? a->eport : b->eport;
	if (o->sport > o->eport)
		return -1;
	memcpy(o->start, cmp(a->start, b->start, al) > 0 ? a->start : b->start, al);
	memcpy(o->end, cmp(a->end, b->end, al) < 0 ? a->end : b->end, al);
	return cmp(o->start, o->end, al) > 0 ? -1 : 0;
}

/* a lies within b. */
static bool ts_within(const struct ts *a, const struct ts *b)
{
	size_t al = alen(a->type);

	return a->type == b->type && (!b->proto || a->proto == b->proto) &&
	       a->sport >= b->sport && a->eport <= b->eport &&
	       cmp(a->start, b->start, al) >= 0 && cmp(a->end, b->end, al) <= 0;
}

/* Drops the selectors of l that another one holds (the first of equals stays). */
static void ts_drop_contained(struct ts_list *l)
{
	int n = 0;

	for (int i = 0; i < l->n; i++) {
		bool in = false;

		for (int k = 0; k < l->n && !in; k++)
			in = k != i && ts_within(&l->t[i], &l->t[k]) &&
			     (!ts_within(&l->t[k], &l->t[i]) || k < i);
		if (!in)
			l->t[n++] = l->t[i];
	}
	l->n = n;
}

/*
 * Narrow what the initiator proposed to what we allow (RFC 7296 2.9): the
 * result is every non-empty intersection that no other one holds.  The
 * first TS of a proposal may be the packet that triggered it: it only
 * survives alone when we allow no larger part of the proposal around it.
 */
int ts_narrow(const struct ts_list *proposed, const struct ts_list *conf,
	      struct ts_list *out)
{
	out->n = 0;
	for (int i = 0; i < proposed->n; i++)
		for (int j = 0; j < conf->n && out->n < TS_MAX; j++) {
			struct ts o;
			bool dup = false;

			if (ts_meet(&proposed->t[i], &conf->t[j], &o))
				continue;
			for (int k = 0; k < out->n; k++)
				if (!memcmp(&out->t[k], &o, sizeof(o)))
					dup = true;
			if (!dup)
				out->t[out->n++] = o;
		}
	ts_drop_contained(out);
	return out->n ? 0 : -1;
}

/* A single-address selector for a (any protocol and port). */
void ts_host(struct ts *t, const struct sockaddr_storage *a)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)a;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)a;
	bool v4 = a->ss_family == AF_INET;
	const void *p = v4 ? (const void *)&s4->sin_addr : (const void *)&s6->sin6_addr;
	size_t l = v4 ? 4 : 16;

	/* (not ss_addr(): the fuzz targets link this file without net.c) */
	memset(t, 0, sizeof(*t));
	t->type = l == 4 ? TS_IPV4_ADDR_RANGE : TS_IPV6_ADDR_RANGE;
	memcpy(t->start, p, l);
	memcpy(t->end, p, l);
	t->eport = 0xffff;
}

static bool is_host(const struct ts *t, uint8_t type)
{
	return t->type == type && !memcmp(t->start, t->end, alen(t->type));
}

/* Every single-address selector of l takes a's address (protocol and ports
 * kept), duplicates dropped. */
static void nat_subst(struct ts_list *l, const struct sockaddr_storage *a)
{
	struct ts h;
	int n = 0;

	ts_host(&h, a);
	for (int i = 0; i < l->n; i++) {
		struct ts t = l->t[i];
		bool dup = false;

		if (is_host(&t, h.type)) {
			memcpy(t.start, h.start, sizeof(t.start));
			memcpy(t.end, h.end, sizeof(t.end));
		}
		for (int k = 0; k < n; k++)
			if (!memcmp(&l->t[k], &t, sizeof(t)))
				dup = true;
		if (!dup)
			l->t[n++] = t;
	}
	l->n = n;
}

/*
 * Transport mode through a NAT (RFC 7296 2.23.1, RFC 3948): the selectors
 * name a NATed host by its address before the NAT, its packets carry the
 * one IKE sees.  The host selectors of the NATed side(s) of sa take the IKE
 * address: what the kernel's policies must match.
 */
void ts_nat_transport(const struct ike_sa *sa, struct ts_list *local,
		      struct ts_list *remote)
{
	if (sa->nat & NAT_HERE)
		nat_subst(local, &sa->local);
	if (sa->nat & NAT_THERE)
		nat_subst(remote, &sa->peer);
}

/* Back to what the peer proposed: l's selectors for a's address take the
 * first single address of orig (the reply carries the original TS). */
static void nat_restore(struct ts_list *l, const struct sockaddr_storage *a,
			const struct ts_list *orig)
{
	const struct ts *o = NULL;
	struct ts h;

	ts_host(&h, a);
	for (int i = 0; i < orig->n && !o; i++)
		if (is_host(&orig->t[i], h.type))
			o = &orig->t[i];
	for (int i = 0; o && i < l->n; i++)
		if (is_host(&l->t[i], h.type) && !memcmp(l->t[i].start, h.start, sizeof(h.start))) {
			memcpy(l->t[i].start, o->start, sizeof(o->start));
			memcpy(l->t[i].end, o->end, sizeof(o->end));
		}
}

/*
 * The responder's narrowing of a CHILD_SA request's TSi (pi, the peer's
 * side) and TSr (pr, ours) to rightsubnet/leftsubnet.  In transport mode
 * a side without leftsubnet/rightsubnet is its IKE address, and through a
 * NAT the NATed side's host selectors are compared as that address
 * (2.23.1); ti/tr, the reply, keep the addresses the peer proposed.
 */
int ts_narrow_child(const struct ike_sa *sa, bool transport,
		    const struct ts_list *pi, const struct ts_list *pr,
		    struct ts_list *ti, struct ts_list *tr)
{
	const struct conn *c = sa->conn;
	struct ts_list si = *pi, sr = *pr, ci = c->rsub, cr = c->lsub;

	if (transport) {
		if (!c->rsub_set) {
			ci.n = 1;
			ts_host(&ci.t[0], &sa->peer);
		}
		if (!c->lsub_set) {
			cr.n = 1;
			ts_host(&cr.t[0], &sa->local);
		}
		ts_nat_transport(sa, &sr, &si);
	}
	if (ts_narrow(&si, &ci, ti) || ts_narrow(&sr, &cr, tr))
		return -1;
	if (transport && (sa->nat & NAT_THERE))
		nat_restore(ti, &sa->peer, pi);
	if (transport && (sa->nat & NAT_HERE))
		nat_restore(tr, &sa->local, pr);
	return 0;
}

/* What an initiator proposes: the packet that triggered the negotiation
 * (an ACQUIRE's, trig->n == 1) first, then the configured selectors
 * (RFC 7296 2.9: the responder narrows to the subset holding that packet). */
static void ts_with_trigger(const struct ts_list *trig, const struct ts_list *conf,
			    struct ts_list *out)
{
	*out = *trig;
	for (int i = 0; i < conf->n && out->n < TS_MAX; i++)
		out->t[out->n++] = conf->t[i];
}

/* TSi and TSr of a new CHILD_SA's request from l and r (our side and the
 * peer's), led by sa's pending ACQUIRE packet, which is then used up. */
void ts_write_child(struct ike_sa *sa, struct msg_builder *b,
		    const struct ts_list *l, const struct ts_list *r)
{
	struct ts_list i, o;

	ts_with_trigger(&sa->want_tsi, l, &i);
	ts_with_trigger(&sa->want_tsr, r, &o);
	if (sa->want_tsi.n) {
		char a[512], z[512];

		ts_list_str(&i, a, sizeof(a));
		ts_list_str(&o, z, sizeof(z));
		logm(SS_IKE, L_INFO, "conn %s: proposing TSi %s TSr %s, the triggering packet first",
		     sa->conn->name, a, z);
	}
	sa->want_tsi.n = sa->want_tsr.n = 0;
	ts_write(b, PL_TSI, &i);
	ts_write(b, PL_TSR, &o);
}

/* The flow of an ACQUIRE as a pair of single-address selectors, with its
 * protocol and, for TCP, UDP and SCTP, ports. */
void ts_from_flow(int family, const void *src, const void *dst, uint8_t proto,
		  uint16_t sport, uint16_t dport, struct ts *s, struct ts *d)
{
	size_t al = family == AF_INET ? 4 : 16;
	bool ports = proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP;

	memset(s, 0, sizeof(*s));
	s->type = al == 4 ? TS_IPV4_ADDR_RANGE : TS_IPV6_ADDR_RANGE;
	s->proto = proto;
	s->eport = 0xffff;
	*d = *s;
	memcpy(s->start, src, al);
	memcpy(s->end, src, al);
	memcpy(d->start, dst, al);
	memcpy(d->end, dst, al);
	if (ports && sport)
		s->sport = s->eport = sport;
	if (ports && dport)
		d->sport = d->eport = dport;
}

static void one_str(const struct ts *t, char *o, size_t l)
{
	int af = t->type == TS_IPV4_ADDR_RANGE ? AF_INET : AF_INET6;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	char ports[32] = "";
	char proto[16] = "";

	inet_ntop(af, t->start, a, sizeof(a));
	inet_ntop(af, t->end, b, sizeof(b));
	if (t->proto)
		snprintf(proto, sizeof(proto), "[%u", t->proto);
	if (t->sport != 0 || t->eport != 0xffff)
		snprintf(ports, sizeof(ports), "%s%u-%u]", t->proto ? "/" : "[",
			 t->sport, t->eport);
	else if (t->proto)
		snprintf(ports, sizeof(ports), "]");
	snprintf(o, l, "%s..%s%s%s", a, b, proto, ports);
}

void ts_list_str(const struct ts_list *l, char *out, size_t len)
{
	size_t o = 0;

	out[0] = 0;
	if (!l->n)
		snprintf(out, len, "(none)");
	for (int i = 0; i < l->n && o < len; i++) {
		char b[128];

		one_str(&l->t[i], b, sizeof(b));
		o += (size_t)snprintf(out + o, len - o, "%s%s", i ? " " : "", b);
	}
}
