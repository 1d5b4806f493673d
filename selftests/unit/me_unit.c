// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for ike/me.c (IKEv2 mediation), TAP output.  The wire
 * vectors follow strongSwan's encoding (endpoint_notify.c: priority,
 * family, type, port, address; ME_CONNECTAUTH = SHA-1 over message ID,
 * connect ID, ME_ENDPOINT data and the sender's key), the hashes were
 * computed independently with Python's hashlib.  The endpoints are those
 * of the seed's lab (Documentation/mediation.md): R2 at 192.168.1.2 and
 * 10.0.0.2 behind R3 198.51.100.3, R6 at 10.0.0.6 and 192.168.7.6 behind
 * R5 198.51.100.5.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "../../ike/me.h"

static int n, failed;

static void tap(bool ok, const char *name)
{
	printf("%sok %d - %s\n", ok ? "" : "not ", ++n, name);
	failed |= !ok;
}

static struct sockaddr_storage v4(const char *a, uint16_t port)
{
	struct sockaddr_storage s = { 0 };
	struct sockaddr_in *i = (struct sockaddr_in *)&s;

	i->sin_family = AF_INET;
	i->sin_port = htons(port);
	inet_pton(AF_INET, a, &i->sin_addr);
	return s;
}

static bool hex_eq(const uint8_t *p, size_t len, const char *hex)
{
	char buf[256] = "";

	for (size_t i = 0; i < len && 2 * i + 2 < sizeof(buf); i++)
		sprintf(buf + 2 * i, "%02x", p[i]);
	if (strcmp(buf, hex))
		printf("# got  %s\n# want %s\n", buf, hex);
	return !strcmp(buf, hex);
}

static void test_endpoint_encoding(void)
{
	struct sockaddr_storage h = v4("10.0.0.2", 4500), r = v4("198.51.100.3", 4500);
	struct me_endpoint ep, back;
	struct sockaddr_in6 *s6;
	uint8_t d[ME_ENDPOINT_MAX_LEN];
	char err[128];
	size_t l;
	bool ok;

	me_endpoint_set(&ep, ME_EP_HOST, &h, NULL);
	l = me_endpoint_encode(&ep, d);
	ok = l == 12 && hex_eq(d, l, "00ffffff010111940a000002");
	ok = ok && !me_endpoint_parse(d, l, &back, err, sizeof(err)) &&
	     back.type == ME_EP_HOST && back.prio == 0x00ffffff &&
	     me_addr_eq(&back.addr, &h, true);
	me_endpoint_set(&ep, ME_EP_SERVER_REFLEXIVE, &r, &h);
	l = me_endpoint_encode(&ep, d);
	ok = ok && l == 12 && hex_eq(d, l, "0040ffff01031194c6336403");
	/* A check's request: PEER_REFLEXIVE without address, zero port. */
	me_endpoint_set(&ep, ME_EP_PEER_REFLEXIVE, NULL, NULL);
	l = me_endpoint_encode(&ep, d);
	ok = ok && l == 8 && hex_eq(d, l, "0080ffff00020000") &&
	     !me_endpoint_parse(d, l, &back, err, sizeof(err)) && !back.addr.ss_family &&
	     !me_endpoint_parse(d, 6, &back, err, sizeof(err));
	/* IPv6 round trip. */
	memset(&h, 0, sizeof(h));
	s6 = (struct sockaddr_in6 *)&h;
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(4500);
	inet_pton(AF_INET6, "2001:db8::2", &s6->sin6_addr);
	me_endpoint_set(&ep, ME_EP_HOST, &h, NULL);
	l = me_endpoint_encode(&ep, d);
	ok = ok && l == 24 && hex_eq(d, l, "00ffffff0201119420010db8000000000000000000000002") &&
	     !me_endpoint_parse(d, l, &back, err, sizeof(err)) && me_addr_eq(&back.addr, &h, true);
	tap(ok, "ME_ENDPOINT: strongSwan's layout for HOST, SERVER_REFLEXIVE, address-less PEER_REFLEXIVE, IPv6; parsed back");
}

static void test_endpoint_malformed(void)
{
	static const struct {
		const char *hex, *why;
	} bad[] = {
		{ "", "empty" },
		{ "00ffffff01", "5 bytes" },
		{ "00ffffff010111940a0000", "IPv4 address truncated" },
		{ "00ffffff010111940a00000200", "IPv4 with a trailing byte" },
		{ "00ffffff0201119420010db8", "IPv6 address truncated" },
		{ "00ffffff030111940a000002", "family 3" },
		{ "00ffffff010011940a000002", "type 0" },
		{ "00ffffff010511940a000002", "type 5" },
		{ "00ffffff010100000a000002", "port 0" },
		{ "0080ffff0002000000", "no address, 9 bytes" },
	};
	struct me_endpoint ep;
	char err[128];
	bool ok = true;

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		uint8_t d[32];
		size_t l = strlen(bad[i].hex) / 2;

		for (size_t j = 0; j < l; j++)
			sscanf(bad[i].hex + 2 * j, "%2hhx", &d[j]);
		err[0] = 0;
		if (!me_endpoint_parse(d, l, &ep, err, sizeof(err)) || !err[0]) {
			printf("# accepted: %s\n", bad[i].why);
			ok = false;
		}
	}
	tap(ok, "ME_ENDPOINT: 10 malformed encodings refused with a reason");
}

static void test_connectauth(void)
{
	static const uint8_t cid[4] = { 0xde, 0xad, 0xbe, 0xef };
	uint8_t key[16], out[ME_AUTH_LEN], ep[ME_ENDPOINT_MAX_LEN];
	struct sockaddr_storage r = v4("198.51.100.3", 4500);
	struct me_endpoint e;
	size_t l;
	bool ok;

	for (int i = 0; i < 16; i++)
		key[i] = i;
	me_endpoint_set(&e, ME_EP_PEER_REFLEXIVE, NULL, NULL);
	l = me_endpoint_encode(&e, ep);
	ok = !me_connectauth(3, cid, 4, ep, l, key, 16, out) &&
	     hex_eq(out, ME_AUTH_LEN, "c792e70d9d25bfed8076ae18e327fcc0a4f50e53");
	/* The response: the peer-reflexive endpoint the responder saw. */
	me_endpoint_set(&e, ME_EP_PEER_REFLEXIVE, &r, NULL);
	e.prio = 0x0080ffff;
	l = me_endpoint_encode(&e, ep);
	ok = ok && hex_eq(ep, l, "0080ffff01021194c6336403") &&
	     !me_connectauth(1, cid, 4, ep, l, key, 16, out) &&
	     hex_eq(out, ME_AUTH_LEN, "84ea4183a441545a5575b6b67c710a236d25669a");
	tap(ok, "ME_CONNECTAUTH = SHA-1(MID | connect ID | ME_ENDPOINT | key): request and response vectors");
}

/* A notify payload body in buf at *off: proto 0, no SPI, type, data. */
static struct payload notify(uint8_t *buf, size_t *off, uint16_t type,
			     const void *data, size_t len)
{
	struct payload p = { .type = PL_NOTIFY, .body = buf + *off, .len = 4 + len };

	buf[*off] = 0;
	buf[*off + 1] = 0;
	buf[*off + 2] = type >> 8;
	buf[*off + 3] = type & 0xff;
	memcpy(buf + *off + 4, data, len);
	*off += 4 + len;
	return p;
}

static void test_collect_roundtrip(void)
{
	struct sockaddr_storage a = v4("192.168.1.2", 4500), b = v4("10.0.0.2", 4500),
				r = v4("198.51.100.3", 4500);
	struct me_info in = { 0 }, out;
	struct msg_builder mb;
	struct ike_msg m = { 0 };
	uint8_t key[16];
	char err[128];
	bool ok;

	in.callback = true;
	in.connect_id_len = ME_CONNECTID_LEN;
	memcpy(in.connect_id, "\x01\x02\x03\x04", 4);
	in.connect_key_len = ME_CONNECTKEY_LEN;
	memset(in.connect_key, 0x5a, ME_CONNECTKEY_LEN);
	me_endpoint_set(&in.ep[0], ME_EP_HOST, &a, NULL);
	me_endpoint_set(&in.ep[1], ME_EP_HOST, &b, NULL);
	me_endpoint_set(&in.ep[2], ME_EP_SERVER_REFLEXIVE, &r, &b);
	in.nep = 3;
	mb_init(&mb);
	me_put_connect(&mb, &in);
	ok = !mb.overflow && !msg_parse_chain(&m, PL_NOTIFY, mb.buf, mb.len, false) &&
	     m.npl == 6 && !me_collect(m.pl, m.npl, &out, err, sizeof(err)) &&
	     !me_connect_complete(&out, err, sizeof(err)) &&
	     out.callback && !out.response && out.connect_id_len == 4 &&
	     !memcmp(out.connect_id, in.connect_id, 4) && out.connect_key_len == 16 &&
	     out.nep == 3 && out.ep[2].type == ME_EP_SERVER_REFLEXIVE &&
	     me_addr_eq(&out.ep[2].addr, &r, true) && me_addr_eq(&out.ep[0].addr, &a, true);
	tap(ok, "ME_CONNECT request (ME_CALLBACK, ME_CONNECTID, ME_CONNECTKEY, 3 ME_ENDPOINTs): built, parsed by msg.c and me_collect");

	/* The server's callback alone is complete; a request missing parts is not. */
	memset(&in, 0, sizeof(in));
	in.callback = true;
	mb_init(&mb);
	me_put_connect(&mb, &in);
	memset(&m, 0, sizeof(m));
	ok = !msg_parse_chain(&m, PL_NOTIFY, mb.buf, mb.len, false) && m.npl == 1 &&
	     !me_collect(m.pl, m.npl, &out, err, sizeof(err)) && out.callback &&
	     !me_connect_complete(&out, err, sizeof(err));
	out.connect_key_len = 16;
	ok = ok && me_connect_complete(&out, err, sizeof(err)) &&
	     strstr(err, "ME_CONNECTID") != NULL;
	tap(ok, "ME_CALLBACK from the server is complete alone; ME_CONNECT without ME_CONNECTID is refused");

	/* A check: ME_CONNECTID, ME_ENDPOINT, ME_CONNECTAUTH verified. */
	{
		uint8_t buf[256], ep[ME_ENDPOINT_MAX_LEN], auth[ME_AUTH_LEN];
		struct payload pl[3];
		struct me_endpoint e;
		size_t off = 0, l;

		for (int i = 0; i < 16; i++)
			key[i] = i;
		me_endpoint_set(&e, ME_EP_PEER_REFLEXIVE, NULL, NULL);
		l = me_endpoint_encode(&e, ep);
		me_connectauth(3, (const uint8_t *)"\xde\xad\xbe\xef", 4, ep, l, key, 16, auth);
		pl[0] = notify(buf, &off, N_ME_CONNECTID, "\xde\xad\xbe\xef", 4);
		pl[1] = notify(buf, &off, N_ME_ENDPOINT, ep, l);
		pl[2] = notify(buf, &off, N_ME_CONNECTAUTH, auth, ME_AUTH_LEN);
		ok = !me_collect(pl, 3, &out, err, sizeof(err)) &&
		     me_connectauth_ok(3, &out, key, 16) &&
		     !me_connectauth_ok(4, &out, key, 16);
		key[15] ^= 1;
		ok = ok && !me_connectauth_ok(3, &out, key, 16);
		key[15] ^= 1;
		out.auth[0] ^= 0x80;
		ok = ok && !me_connectauth_ok(3, &out, key, 16);
		tap(ok, "connectivity check: ME_CONNECTAUTH verifies; wrong message ID, key or signature refused");
	}
}

static void test_collect_malformed(void)
{
	static const uint8_t key[16], id[4], auth[ME_AUTH_LEN];
	static const uint8_t ep_ok[12] = { 0, 0xff, 0xff, 0xff, 1, 1, 0x11, 0x94, 10, 0, 0, 2 };
	struct {
		const char *why;
		uint16_t t1, t2;
		const void *d1, *d2;
		size_t l1, l2;
	} cases[] = {
		{ "ME_CONNECTID twice", N_ME_CONNECTID, N_ME_CONNECTID, id, id, 4, 4 },
		{ "ME_CONNECTKEY twice", N_ME_CONNECTKEY, N_ME_CONNECTKEY, key, key, 16, 16 },
		{ "ME_CONNECTAUTH twice", N_ME_CONNECTAUTH, N_ME_CONNECTAUTH, auth, auth, 20, 20 },
		{ "empty ME_CONNECTID", N_ME_CONNECTID, 0, id, NULL, 0, 0 },
		{ "33-byte ME_CONNECTID", N_ME_CONNECTID, 0, auth, NULL, 33, 0 },
		{ "15-byte ME_CONNECTKEY", N_ME_CONNECTKEY, 0, key, NULL, 15, 0 },
		{ "19-byte ME_CONNECTAUTH", N_ME_CONNECTAUTH, 0, auth, NULL, 19, 0 },
		{ "ME_MEDIATION with data", N_ME_MEDIATION, 0, id, NULL, 1, 0 },
		{ "ME_RESPONSE with data", N_ME_RESPONSE, 0, id, NULL, 4, 0 },
		{ "truncated ME_ENDPOINT", N_ME_ENDPOINT, 0, ep_ok, NULL, 11, 0 },
	};
	uint8_t buf[ME_MAX_ENDPOINTS * 16 + 256];
	struct payload pl[ME_MAX_ENDPOINTS + 1];
	struct me_info out;
	char err[128];
	bool ok = true;

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		size_t off = 0;
		int np = 1;

		/* Longer than any source above: zeroes. */
		static const uint8_t zero[64];
		const void *d1 = cases[i].l1 > 16 ? zero : cases[i].d1;

		pl[0] = notify(buf, &off, cases[i].t1, d1, cases[i].l1);
		if (cases[i].t2)
			pl[np++] = notify(buf, &off, cases[i].t2, cases[i].d2, cases[i].l2);
		err[0] = 0;
		if (!me_collect(pl, np, &out, err, sizeof(err)) || !err[0]) {
			printf("# accepted: %s\n", cases[i].why);
			ok = false;
		}
	}
	/* One endpoint too many. */
	{
		size_t off = 0;

		for (int i = 0; i <= ME_MAX_ENDPOINTS; i++)
			pl[i] = notify(buf, &off, N_ME_ENDPOINT, ep_ok, sizeof(ep_ok));
		ok = ok && me_collect(pl, ME_MAX_ENDPOINTS, &out, err, sizeof(err)) == 0 &&
		     out.nep == ME_MAX_ENDPOINTS &&
		     me_collect(pl, ME_MAX_ENDPOINTS + 1, &out, err, sizeof(err)) == -1;
	}
	/* A notify whose SPI size runs past its body. */
	{
		uint8_t b[6] = { 0, 8, 0xa0, 0x03, 0, 0 };
		struct payload p = { .type = PL_NOTIFY, .body = b, .len = sizeof(b) };

		ok = ok && me_collect(&p, 1, &out, err, sizeof(err)) == -1;
	}
	tap(ok, "me_collect: duplicates, bad lengths, flags with data, 17 endpoints, bad SPI size refused");
}

static void test_pairs(void)
{
	struct sockaddr_storage r2l = v4("192.168.1.2", 4500), r2 = v4("10.0.0.2", 4500),
				r3 = v4("198.51.100.3", 4500), r6 = v4("10.0.0.6", 4500),
				r6l = v4("192.168.7.6", 4500), r5 = v4("198.51.100.5", 4500);
	struct me_endpoint a[3], b[3];
	struct me_pair p[ME_MAX_PAIRS], q[ME_MAX_PAIRS];
	int np, nq;
	bool ok;

	/* Exact for small values; rounded like strongSwan's double for
	 * real ones: it logs host pairs as 33554432 (0x2000000) and
	 * server-reflexive ones as 8519680 (0x820000) in their low 32 bits. */
	ok = me_pair_prio(1, 2) == 0x100000004ULL && me_pair_prio(2, 1) == 0x100000005ULL &&
	     me_pair_prio(0x00ffffff, 0x0040ffff) == 0x40ffff02000000ULL &&
	     me_pair_prio(0x0040ffff, 0x00ffffff) == 0x40ffff02000000ULL &&
	     me_pair_prio(0x00ffffff, 0x00ffffff) == 0xffffff02000000ULL &&
	     (uint32_t)me_pair_prio(0x0040ffff, 0x0040ffff) == 8519680 &&
	     me_prio(ME_EP_HOST, 0xffff) == 0x00ffffff &&
	     me_prio(ME_EP_PEER_REFLEXIVE, 0xffff) == 0x0080ffff &&
	     me_prio(ME_EP_SERVER_REFLEXIVE, 0xffff) == 0x0040ffff &&
	     me_prio(ME_EP_RELAYED, 0xffff) == 0x0000ffff;
	tap(ok, "priorities: endpoint 2^16*type+local, pair 2^32*min+2*max+(I>R) in double precision");

	/* R2 (ME_CONNECT initiator) and R6 as each announces itself. */
	me_endpoint_set(&a[0], ME_EP_HOST, &r2l, NULL);
	me_endpoint_set(&a[1], ME_EP_HOST, &r2, NULL);
	me_endpoint_set(&a[2], ME_EP_SERVER_REFLEXIVE, &r3, &r2);
	me_endpoint_set(&b[0], ME_EP_HOST, &r6, NULL);
	me_endpoint_set(&b[1], ME_EP_HOST, &r6l, NULL);
	me_endpoint_set(&b[2], ME_EP_SERVER_REFLEXIVE, &r5, &r6);
	np = me_pairs_build(a, 3, b, 3, true, p, ME_MAX_PAIRS);
	/* 9 combinations; the server-reflexive endpoint's pairs leave from its
	 * base 10.0.0.2, so 3 duplicate host pairs and are dropped. */
	ok = np == 6 &&
	     me_addr_eq(&p[0].local, &r2l, true) && me_addr_eq(&p[0].remote, &r6, true) &&
	     me_addr_eq(&p[1].local, &r2l, true) && me_addr_eq(&p[1].remote, &r6l, true) &&
	     me_addr_eq(&p[2].local, &r2, true) && me_addr_eq(&p[2].remote, &r6, true) &&
	     me_addr_eq(&p[3].local, &r2, true) && me_addr_eq(&p[3].remote, &r6l, true) &&
	     me_addr_eq(&p[4].local, &r2l, true) && me_addr_eq(&p[4].remote, &r5, true) &&
	     me_addr_eq(&p[5].local, &r2, true) && me_addr_eq(&p[5].remote, &r5, true) &&
	     p[0].prio == 0xffffff02000000ULL && p[5].prio == 0x40ffff02000000ULL &&
	     p[0].id == 1 && p[5].id == 6 && p[5].state == ME_WAITING;
	/* R6's view (responder): the initiator's endpoints still order
	 * equal pairs (as charon logged them in the lab). */
	nq = me_pairs_build(b, 3, a, 3, false, q, ME_MAX_PAIRS);
	ok = ok && nq == 6 &&
	     me_addr_eq(&q[0].local, &r6, true) && me_addr_eq(&q[0].remote, &r2l, true) &&
	     me_addr_eq(&q[1].local, &r6l, true) && me_addr_eq(&q[1].remote, &r2l, true) &&
	     me_addr_eq(&q[2].local, &r6, true) && me_addr_eq(&q[2].remote, &r2, true) &&
	     me_addr_eq(&q[4].local, &r6, true) && me_addr_eq(&q[4].remote, &r3, true) &&
	     me_addr_eq(&q[5].local, &r6l, true) && q[5].prio == 0x40ffff02000000ULL;
	/* max truncates after pruning. */
	ok = ok && me_pairs_build(a, 3, b, 3, true, q, 2) == 2 &&
	     me_addr_eq(&q[1].remote, &r6l, true);
	tap(ok, "endpoint pairs of the seed's lab: 6 pairs, host pairs first, duplicates via the base pruned, both sides agree");
}

static void test_rto(void)
{
	static const unsigned int want[] = { 25, 25, 45, 81, 145, 262, 472, 850, 1530,
					     2754, 4958, 8926, 16067, 28920 };
	unsigned int total = 0;
	bool ok = me_check_rto(0) == 0 && me_check_rto(ME_MAX_RETRANS + 2) == 0;

	for (int i = 1; i <= ME_MAX_RETRANS + 1; i++) {
		ok = ok && me_check_rto(i) == want[i - 1];
		total += me_check_rto(i);
	}
	ok = ok && total == 65060;
	tap(ok, "check retransmissions: 25 ms twice then *1.8, 13 retransmissions, a pair fails after 65.06 s");
}

static void test_mapping(void)
{
	struct sockaddr_storage base = v4("10.0.0.2", 4500), same = v4("198.51.100.3", 4500),
				moved = v4("198.51.100.3", 1024), other = v4("198.51.100.3", 1025),
				zero = { 0 };

	tap(me_mapping_classify(&base, &base, &base) == ME_MAP_NONE &&
	    me_mapping_classify(&base, &same, &same) == ME_MAP_PRESERVED &&
	    me_mapping_classify(&base, &moved, &moved) == ME_MAP_INDEPENDENT &&
	    me_mapping_classify(&base, &moved, &other) == ME_MAP_DEPENDENT &&
	    me_mapping_classify(&base, &same, &zero) == ME_MAP_UNKNOWN &&
	    strstr(me_mapping_str(ME_MAP_DEPENDENT), "symmetric"),
	    "NAT mapping classified from base, server- and peer-reflexive endpoints");
}

static struct ike_id id(const char *s)
{
	struct ike_id i = { .type = ID_RFC822_ADDR, .len = strlen(s) };

	memcpy(i.data, s, i.len);
	return i;
}

static void test_registry(void)
{
	struct ike_id r2 = id("r2@medsrv.org"), r6 = id("r6@medsrv.org"), x = id("x@medsrv.org"),
		      cb[ME_MAX_WAITERS];
	struct me_registry r;
	bool ok;

	me_reg_init(&r);
	ok = me_reg_online(&r, &r2, 11, cb, ME_MAX_WAITERS) == 0 && me_reg_lookup(&r, &r2) == 11 &&
	     me_reg_lookup(&r, &r6) == 0;
	/* r2 asks for r6, offline: waits; asking again does not duplicate. */
	ok = ok && me_reg_request(&r, &r6, &r2, true) == 0 && me_reg_request(&r, &r6, &r2, true) == 0 &&
	     me_reg_request(&r, &x, &r2, false) == 0 && r.n == 2;
	/* r6 comes online: one callback, for r2; the list is then empty. */
	ok = ok && me_reg_online(&r, &r6, 12, cb, ME_MAX_WAITERS) == 1 && me_id_eq(&cb[0], &r2) &&
	     me_reg_online(&r, &r6, 13, cb, ME_MAX_WAITERS) == 0 && me_reg_lookup(&r, &r6) == 13 &&
	     me_reg_request(&r, &r6, &r2, true) == 13;
	tap(ok, "registry: register, lookup, callback registered once and delivered when the peer comes online");

	/* x waits for r2; r2 goes offline: kept (x waits), r2's requests gone. */
	ok = me_reg_request(&r, &x, &r2, true) == 0 &&
	     me_reg_online(&r, &x, 14, cb, ME_MAX_WAITERS) == 1 &&
	     me_reg_request(&r, &r6, &x, true) == 13;
	me_reg_offline(&r, 13);
	ok = ok && me_reg_lookup(&r, &r6) == 0 && me_reg_request(&r, &r6, &x, true) == 0 &&
	     me_reg_request(&r, &r6, &r2, true) == 0;
	me_reg_offline(&r, 11);		/* r2: its wait for r6 lapses */
	ok = ok && me_reg_online(&r, &r6, 15, cb, ME_MAX_WAITERS) == 1 && me_id_eq(&cb[0], &x);
	me_reg_offline(&r, 14);
	me_reg_offline(&r, 15);
	me_reg_offline(&r, 99);
	ok = ok && r.n == 0;
	/* Waiters are bounded. */
	for (int i = 0; i < ME_MAX_WAITERS + 4; i++) {
		char s[32];
		struct ike_id w;

		snprintf(s, sizeof(s), "w%d@medsrv.org", i);
		w = id(s);
		me_reg_request(&r, &r2, &w, true);
	}
	ok = ok && r.n == 1 && r.peers[0].nwait == ME_MAX_WAITERS &&
	     me_reg_online(&r, &r2, 16, cb, 4) == 4 && r.peers[0].nwait == 0;
	me_reg_free(&r);
	tap(ok, "registry: offline peers keep their waiters, their own requests lapse, entries freed, waiters bounded");
}

int main(void)
{
	printf("TAP version 13\n1..13\n");
	test_endpoint_encoding();
	test_endpoint_malformed();
	test_connectauth();
	test_collect_roundtrip();
	test_collect_malformed();
	test_pairs();
	test_rto();
	test_mapping();
	test_registry();
	return failed;
}
