// SPDX-License-Identifier: GPL-2.0
/*
 * IKEv2 Mediation Extension: the ME_* payloads, connectivity-check
 * authentication, endpoint pairs and the mediation server's registry
 * (see me.h; the protocol in Documentation/mediation.md).  Nothing here
 * touches the network: every input is a buffer that may be hostile.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include "me.h"

static const char *const ep_type_names[] = {
	"NONE", "HOST", "PEER_REFLEXIVE", "SERVER_REFLEXIVE", "RELAYED",
};

const char *me_ep_type_str(uint8_t type)
{
	return type < sizeof(ep_type_names) / sizeof(*ep_type_names) ?
	       ep_type_names[type] : "UNKNOWN";
}

uint32_t me_prio(uint8_t type, uint16_t local_pref)
{
	uint32_t pref;

	switch (type) {
	case ME_EP_HOST:
		pref = ME_PREF_HOST;
		break;
	case ME_EP_PEER_REFLEXIVE:
		pref = ME_PREF_PEER;
		break;
	case ME_EP_SERVER_REFLEXIVE:
		pref = ME_PREF_SERVER;
		break;
	default:
		pref = ME_PREF_RELAY;
		break;
	}
	return pref << 16 | local_pref;
}

void me_endpoint_set(struct me_endpoint *ep, uint8_t type,
		     const struct sockaddr_storage *addr,
		     const struct sockaddr_storage *base)
{
	memset(ep, 0, sizeof(*ep));
	ep->type = type;
	/* strongSwan gives every endpoint of a type the same local preference
	 * (65535); so do we, until there is a reason to rank addresses. */
	ep->prio = me_prio(type, 0xffff);
	if (addr)
		ep->addr = *addr;
	if (base)
		ep->base = *base;
}

static uint16_t sa_port(const struct sockaddr_storage *s)
{
	if (s->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)s)->sin_port);
	if (s->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)s)->sin6_port);
	return 0;
}

bool me_addr_eq(const struct sockaddr_storage *a,
		const struct sockaddr_storage *b, bool port)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (port && sa_port(a) != sa_port(b))
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			       &((const struct sockaddr_in6 *)b)->sin6_addr, 16);
	return a->ss_family == 0;
}

size_t me_endpoint_encode(const struct me_endpoint *ep, uint8_t *out)
{
	const struct sockaddr_storage *a = &ep->addr;
	uint32_t prio = htonl(ep->prio);
	size_t alen;

	memcpy(out, &prio, 4);
	out[5] = ep->type;
	switch (a->ss_family) {
	case 0:
		out[4] = ME_FAM_NONE;
		alen = 0;
		break;
	case AF_INET:
		out[4] = ME_FAM_IPV4;
		alen = 4;
		memcpy(out + 8, &((const struct sockaddr_in *)a)->sin_addr, 4);
		break;
	case AF_INET6:
		out[4] = ME_FAM_IPV6;
		alen = 16;
		memcpy(out + 8, &((const struct sockaddr_in6 *)a)->sin6_addr, 16);
		break;
	default:
		return 0;
	}
	/* Without an address strongSwan still sends a zero port. */
	out[6] = sa_port(a) >> 8;
	out[7] = sa_port(a) & 0xff;
	return 8 + alen;
}

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

int me_endpoint_parse(const uint8_t *p, size_t len, struct me_endpoint *ep,
		      char *err, size_t errlen)
{
	uint32_t prio;
	uint16_t port;

	memset(ep, 0, sizeof(*ep));
	if (len < 6)
		FAIL("ME_ENDPOINT of %zu bytes, at least 6 expected", len);
	memcpy(&prio, p, 4);
	ep->prio = ntohl(prio);
	ep->type = p[5];
	if (ep->type == ME_EP_NONE || ep->type > ME_EP_RELAYED)
		FAIL("ME_ENDPOINT of unknown type %u", ep->type);
	switch (p[4]) {
	case ME_FAM_NONE:
		/* No address: a connectivity check's request; the port, when
		 * present, is ignored. */
		if (len != 6 && len != 8)
			FAIL("ME_ENDPOINT without address of %zu bytes, 6 or 8 expected", len);
		return 0;
	case ME_FAM_IPV4:
		if (len != 12)
			FAIL("IPv4 ME_ENDPOINT of %zu bytes, 12 expected", len);
		break;
	case ME_FAM_IPV6:
		if (len != 24)
			FAIL("IPv6 ME_ENDPOINT of %zu bytes, 24 expected", len);
		break;
	default:
		FAIL("ME_ENDPOINT of unknown family %u", p[4]);
	}
	port = (uint16_t)(p[6] << 8 | p[7]);
	if (!port)
		FAIL("ME_ENDPOINT with port 0");
	if (p[4] == ME_FAM_IPV4) {
		struct sockaddr_in *s = (struct sockaddr_in *)&ep->addr;

		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		memcpy(&s->sin_addr, p + 8, 4);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ep->addr;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons(port);
		memcpy(&s->sin6_addr, p + 8, 16);
	}
	return 0;
}

int me_notify_split(const struct payload *pl, uint16_t *type,
		    const uint8_t **data, size_t *len)
{
	size_t spi;

	if (pl->type != PL_NOTIFY || pl->len < 4)
		return -1;
	spi = pl->body[1];
	if (pl->len < 4 + spi)
		return -1;
	*type = (uint16_t)(pl->body[2] << 8 | pl->body[3]);
	*data = pl->body + 4 + spi;
	*len = pl->len - 4 - spi;
	return 0;
}

static const char *notify_name(uint16_t t)
{
	switch (t) {
	case N_ME_MEDIATION: return "ME_MEDIATION";
	case N_ME_ENDPOINT: return "ME_ENDPOINT";
	case N_ME_CALLBACK: return "ME_CALLBACK";
	case N_ME_CONNECTID: return "ME_CONNECTID";
	case N_ME_CONNECTKEY: return "ME_CONNECTKEY";
	case N_ME_CONNECTAUTH: return "ME_CONNECTAUTH";
	case N_ME_RESPONSE: return "ME_RESPONSE";
	case N_ME_CONNECT_FAILED: return "ME_CONNECT_FAILED";
	}
	return "?";
}

/* A variable-length value notify, once per message, min..max bytes. */
static int take_value(uint16_t t, const uint8_t *d, size_t l, uint8_t *dst,
		      size_t *dst_len, size_t min, size_t max, char *err,
		      size_t errlen)
{
	if (*dst_len)
		FAIL("%s twice in one message", notify_name(t));
	if (l < min || l > max)
		FAIL("%s of %zu bytes, %zu to %zu expected", notify_name(t), l, min, max);
	memcpy(dst, d, l);
	*dst_len = l;
	return 0;
}

int me_collect(const struct payload *pl, int npl, struct me_info *info,
	       char *err, size_t errlen)
{
	memset(info, 0, sizeof(*info));
	for (int i = 0; i < npl; i++) {
		const uint8_t *d;
		uint16_t t;
		size_t l, auth_len;
		char why[96];

		if (pl[i].type != PL_NOTIFY)
			continue;
		if (me_notify_split(&pl[i], &t, &d, &l))
			FAIL("truncated notify payload");
		switch (t) {
		case N_ME_MEDIATION:
		case N_ME_CALLBACK:
		case N_ME_RESPONSE:
		case N_ME_CONNECT_FAILED:
			if (l)
				FAIL("%s with %zu bytes of data, none expected", notify_name(t), l);
			*(t == N_ME_MEDIATION ? &info->mediation :
			  t == N_ME_CALLBACK ? &info->callback :
			  t == N_ME_RESPONSE ? &info->response : &info->failed) = true;
			break;
		case N_ME_CONNECTID:
			if (take_value(t, d, l, info->connect_id, &info->connect_id_len,
				       1, ME_ID_MAX, err, errlen))
				return -1;
			break;
		case N_ME_CONNECTKEY:
			if (take_value(t, d, l, info->connect_key, &info->connect_key_len,
				       ME_KEY_MIN, ME_KEY_MAX, err, errlen))
				return -1;
			break;
		case N_ME_CONNECTAUTH:
			auth_len = info->has_auth ? ME_AUTH_LEN : 0;
			if (take_value(t, d, l, info->auth, &auth_len, ME_AUTH_LEN,
				       ME_AUTH_LEN, err, errlen))
				return -1;
			info->has_auth = true;
			break;
		case N_ME_ENDPOINT:
			if (info->nep == ME_MAX_ENDPOINTS)
				FAIL("more than %d ME_ENDPOINT notifies", ME_MAX_ENDPOINTS);
			if (me_endpoint_parse(d, l, &info->ep[info->nep], why, sizeof(why)))
				FAIL("%s", why);
			if (!info->nep) {
				memcpy(info->ep_raw, d, l);
				info->ep_raw_len = l;
			}
			info->nep++;
			break;
		default:
			break;
		}
	}
	return 0;
}

int me_connect_complete(const struct me_info *info, char *err, size_t errlen)
{
	/* The server's callback (ME_CALLBACK alone) and its ME_CONNECT_FAILED
	 * carry nothing else; a request with ME_CALLBACK carries everything. */
	if (info->failed ||
	    (info->callback && !info->connect_id_len && !info->connect_key_len && !info->nep))
		return 0;
	if (!info->connect_id_len)
		FAIL("ME_CONNECT without ME_CONNECTID");
	if (!info->connect_key_len)
		FAIL("ME_CONNECT without ME_CONNECTKEY");
	for (int i = 0; i < info->nep; i++)
		if (info->ep[i].addr.ss_family)
			return 0;
	FAIL("ME_CONNECT without an ME_ENDPOINT that has an address");
}

void me_put_flag(struct msg_builder *b, uint16_t type)
{
	mb_notify(b, 0, type, NULL, 0);
}

void me_put_endpoint(struct msg_builder *b, const struct me_endpoint *ep)
{
	uint8_t d[ME_ENDPOINT_MAX_LEN];
	size_t l = me_endpoint_encode(ep, d);

	if (l)
		mb_notify(b, 0, N_ME_ENDPOINT, d, l);
}

void me_put_connect(struct msg_builder *b, const struct me_info *info)
{
	if (info->callback) {
		me_put_flag(b, N_ME_CALLBACK);
		if (!info->connect_id_len)
			return;		/* the server's callback: nothing else */
	}
	if (info->response)
		me_put_flag(b, N_ME_RESPONSE);
	mb_notify(b, 0, N_ME_CONNECTID, info->connect_id, info->connect_id_len);
	mb_notify(b, 0, N_ME_CONNECTKEY, info->connect_key, info->connect_key_len);
	for (int i = 0; i < info->nep; i++)
		me_put_endpoint(b, &info->ep[i]);
}

int me_connectauth(uint32_t msgid, const uint8_t *cid, size_t cid_len,
		   const uint8_t *ep_raw, size_t ep_len, const uint8_t *key,
		   size_t key_len, uint8_t out[ME_AUTH_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint32_t mid = htonl(msgid);
	unsigned int ol = 0;
	int ok;

	ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1 &&
	     EVP_DigestUpdate(ctx, &mid, 4) == 1 &&
	     EVP_DigestUpdate(ctx, cid, cid_len) == 1 &&
	     EVP_DigestUpdate(ctx, ep_raw, ep_len) == 1 &&
	     EVP_DigestUpdate(ctx, key, key_len) == 1 &&
	     EVP_DigestFinal_ex(ctx, out, &ol) == 1 && ol == ME_AUTH_LEN;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}

bool me_connectauth_ok(uint32_t msgid, const struct me_info *info,
		       const uint8_t *key, size_t key_len)
{
	uint8_t want[ME_AUTH_LEN];

	if (!info->has_auth || !info->connect_id_len || !info->ep_raw_len ||
	    me_connectauth(msgid, info->connect_id, info->connect_id_len,
			   info->ep_raw, info->ep_raw_len, key, key_len, want))
		return false;
	return !CRYPTO_memcmp(want, info->auth, ME_AUTH_LEN);
}

/* ---- endpoint pairs ---- */
uint64_t me_pair_prio(uint32_t init_prio, uint32_t resp_prio)
{
	uint32_t lo = init_prio < resp_prio ? init_prio : resp_prio;
	uint32_t hi = init_prio < resp_prio ? resp_prio : init_prio;
	double p;

	/* strongSwan evaluates the formula in double precision: the low bits
	 * (the I > R tie-break among them) round away for large priorities.
	 * Both sides must order pairs alike, so we round the same way. */
	p = 4294967296.0 * lo + 2.0 * hi;
	p += init_prio > resp_prio ? 1.0 : 0.0;
	return (uint64_t)p;
}

static const struct sockaddr_storage *ep_base(const struct me_endpoint *e)
{
	return e->base.ss_family ? &e->base : &e->addr;
}

int me_pairs_build(const struct me_endpoint *ours, int nours,
		   const struct me_endpoint *theirs, int ntheirs,
		   bool we_initiated, struct me_pair *out, int max)
{
	struct me_pair all[ME_MAX_ENDPOINTS * ME_MAX_ENDPOINTS];
	int n = 0, kept = 0;

	if (nours > ME_MAX_ENDPOINTS)
		nours = ME_MAX_ENDPOINTS;
	if (ntheirs > ME_MAX_ENDPOINTS)
		ntheirs = ME_MAX_ENDPOINTS;
	/* The initiator's endpoints in the outer loop, as strongSwan does:
	 * pairs of equal priority come in the same order on both sides. */
	for (int i = 0; i < (we_initiated ? nours : ntheirs); i++) {
		for (int j = 0; j < (we_initiated ? ntheirs : nours); j++) {
			const struct me_endpoint *o = we_initiated ? &ours[i] : &ours[j];
			const struct me_endpoint *t = we_initiated ? &theirs[j] : &theirs[i];
			struct me_pair p = { 0 };
			int k;

			if (!o->addr.ss_family || o->addr.ss_family != t->addr.ss_family)
				continue;
			p.prio = we_initiated ? me_pair_prio(o->prio, t->prio) :
						me_pair_prio(t->prio, o->prio);
			p.local = *ep_base(o);
			p.remote = t->addr;
			p.local_type = o->type;
			p.remote_type = t->type;
			/* Stable insertion: after every pair of >= priority. */
			for (k = n; k > 0 && all[k - 1].prio < p.prio; k--)
				all[k] = all[k - 1];
			all[k] = p;
			n++;
		}
	}
	for (int i = 0; i < n && kept < max; i++) {
		bool dup = false;

		for (int j = 0; j < kept && !dup; j++)
			dup = me_addr_eq(&out[j].local, &all[i].local, true) &&
			      me_addr_eq(&out[j].remote, &all[i].remote, true);
		if (dup)
			continue;
		out[kept] = all[i];
		out[kept].id = kept + 1;
		out[kept].state = ME_WAITING;
		kept++;
	}
	return kept;
}

unsigned int me_check_rto(int n)
{
	double rto = ME_CHECK_INTERVAL;

	if (n < 1 || n > ME_MAX_RETRANS + 1)
		return 0;
	for (int i = 2; i < n; i++)
		rto *= 1.8;
	return (unsigned int)rto;
}

int me_mapping_classify(const struct sockaddr_storage *base,
			const struct sockaddr_storage *srflx,
			const struct sockaddr_storage *prflx)
{
	if (!base->ss_family || !srflx->ss_family || !prflx->ss_family)
		return ME_MAP_UNKNOWN;
	if (me_addr_eq(srflx, base, true) && me_addr_eq(prflx, base, true))
		return ME_MAP_NONE;
	if (!me_addr_eq(srflx, prflx, true))
		return ME_MAP_DEPENDENT;
	return sa_port(srflx) == sa_port(base) ? ME_MAP_PRESERVED : ME_MAP_INDEPENDENT;
}

const char *me_mapping_str(int m)
{
	switch (m) {
	case ME_MAP_NONE: return "no NAT";
	case ME_MAP_PRESERVED: return "NAT preserving the port";
	case ME_MAP_INDEPENDENT: return "NAT changing the port, endpoint-independent";
	case ME_MAP_DEPENDENT: return "NAT mapping per destination (symmetric)";
	}
	return "unknown";
}

/* ---- registry ---- */
bool me_id_eq(const struct ike_id *a, const struct ike_id *b)
{
	return a->type == b->type && a->len == b->len &&
	       a->len <= sizeof(a->data) && !memcmp(a->data, b->data, a->len);
}

void me_reg_init(struct me_registry *r)
{
	memset(r, 0, sizeof(*r));
}

void me_reg_free(struct me_registry *r)
{
	free(r->peers);
	me_reg_init(r);
}

static struct me_peer *reg_find(const struct me_registry *r, const struct ike_id *id)
{
	for (int i = 0; i < r->n; i++)
		if (me_id_eq(&r->peers[i].id, id))
			return &r->peers[i];
	return NULL;
}

#define ME_REG_MAX	65536

static struct me_peer *reg_add(struct me_registry *r, const struct ike_id *id)
{
	struct me_peer *p = reg_find(r, id);

	if (p)
		return p;
	if (r->n == r->cap) {
		int cap = r->cap ? 2 * r->cap : 16;

		if (cap > ME_REG_MAX)
			return NULL;
		p = realloc(r->peers, cap * sizeof(*p));
		if (!p)
			return NULL;
		r->peers = p;
		r->cap = cap;
	}
	p = &r->peers[r->n++];
	memset(p, 0, sizeof(*p));
	p->id = *id;
	return p;
}

static void reg_drop(struct me_registry *r, struct me_peer *p)
{
	*p = r->peers[--r->n];
}

int me_reg_online(struct me_registry *r, const struct ike_id *id, uint64_t sa,
		  struct ike_id *cb, int max)
{
	struct me_peer *p = reg_add(r, id);
	int n = 0;

	if (!p)
		return -1;
	p->sa = sa;
	for (int i = 0; i < p->nwait && n < max; i++)
		cb[n++] = p->waiting[i];
	p->nwait = 0;
	return n;
}

void me_reg_offline(struct me_registry *r, uint64_t sa)
{
	struct ike_id id;
	int i;

	for (i = 0; i < r->n && r->peers[i].sa != sa; i++)
		;
	if (!sa || i == r->n)
		return;
	id = r->peers[i].id;
	r->peers[i].sa = 0;
	/* Its own requests lapse with it: it asks again when it is back. */
	for (int j = r->n - 1; j >= 0; j--) {
		struct me_peer *p = &r->peers[j];

		for (int k = 0; k < p->nwait; k++)
			if (me_id_eq(&p->waiting[k], &id))
				p->waiting[k--] = p->waiting[--p->nwait];
		if (!p->sa && !p->nwait)
			reg_drop(r, p);
	}
}

uint64_t me_reg_lookup(const struct me_registry *r, const struct ike_id *id)
{
	const struct me_peer *p = reg_find(r, id);

	return p ? p->sa : 0;
}

uint64_t me_reg_request(struct me_registry *r, const struct ike_id *peer,
			const struct ike_id *requester, bool callback)
{
	struct me_peer *p = reg_find(r, peer);

	if (p && p->sa)
		return p->sa;
	if (!callback)
		return 0;
	p = reg_add(r, peer);
	if (!p)
		return 0;
	for (int k = 0; k < p->nwait; k++)
		if (me_id_eq(&p->waiting[k], requester))
			return 0;
	if (p->nwait < ME_MAX_WAITERS)
		p->waiting[p->nwait++] = *requester;
	return 0;
}

/* ---- configuration ---- */
int me_conf_kv(struct conn *c, const char *key, const char *val, int line)
{
	if (!strcmp(key, "mediation")) {
		if (strcmp(val, "yes") && strcmp(val, "no"))
			return -1;
		c->mediation = !strcmp(val, "yes");
		if (!c->mediation)
			return 0;
	} else if (!strcmp(key, "mediated_by")) {
		snprintf(c->mediated_by, sizeof(c->mediated_by), "%s", val);
	} else {
		snprintf(c->me_peerid, sizeof(c->me_peerid), "%s", val);
	}
	if (!c->me_line)
		c->me_line = line;
	return 0;
}

static const struct conn *conf_conn(const struct config *cf, const char *name)
{
	for (int i = 0; i < cf->nconns; i++)
		if (!strcmp(cf->conns[i].name, name))
			return &cf->conns[i];
	return NULL;
}

int me_conf_check(const struct config *cf, const char *file)
{
	for (int i = 0; i < cf->nconns; i++) {
		const struct conn *c = &cf->conns[i], *m;

		if (!c->me_line)
			continue;
		if (c->mediation && c->mediated_by[0]) {
			logm(SS_CFG, L_ERR, "%s:%d: conn %s: a mediation connection (mediation=yes) cannot also be mediated_by=%s",
			     file, c->me_line, c->name, c->mediated_by);
			return -1;
		}
		if (c->me_peerid[0] && !c->mediated_by[0]) {
			logm(SS_CFG, L_ERR, "%s:%d: conn %s: me_peerid=%s needs mediated_by=",
			     file, c->me_line, c->name, c->me_peerid);
			return -1;
		}
		if (c->mediated_by[0]) {
			m = conf_conn(cf, c->mediated_by);
			if (!m || !m->mediation) {
				logm(SS_CFG, L_ERR, "%s:%d: conn %s: mediated_by=%s must name a conn with mediation=yes%s",
				     file, c->me_line, c->name, c->mediated_by,
				     m ? "" : " (there is no such conn)");
				return -1;
			}
		}
	}
	return 0;
}
