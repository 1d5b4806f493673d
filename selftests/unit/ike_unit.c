// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for kiked's building blocks, TAP output: key exchange in
 * every group, prf+ against an independent implementation (Python's hmac,
 * values recorded below), proposal selection, traffic-selector narrowing,
 * SK payload round trips and tamper detection, config errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../ike/kiked.h"

struct config g_conf;
bool g_no_kernel = true;
double g_rtx_base = 1;
int g_rtx_tries = 1;
static int n, failed;

/* ikesa.c (for the header builder) links against the event loop. */
double now(void) { return 0; }
void child_uninstall_all(struct ike_sa *sa) { (void)sa; }
void ccs_free(struct ike_sa *sa) { (void)sa; }
void me_sa_gone(struct ike_sa *sa) { (void)sa; }
int net_send(const struct sockaddr_storage *from, const struct sockaddr_storage *to,
	     const void *p, size_t len) { (void)from; (void)to; (void)p; (void)len; return 0; }

static void tap(bool ok, const char *name)
{
	printf("%sok %d - %s\n", ok ? "" : "not ", ++n, name);
	failed |= !ok;
}

static void test_dh(uint16_t g, size_t seclen)
{
	struct dh *a = dh_new(g), *b = dh_new(g);
	struct buf pa = { 0 }, pb = { 0 }, sa = { 0 }, sb = { 0 };
	char name[96];
	bool ok = a && b && !dh_public(a, &pa) && !dh_public(b, &pb) &&
		  pa.len == dh_pub_len(g) &&
		  !dh_shared(a, pb.p, pb.len, &sa) && !dh_shared(b, pa.p, pa.len, &sb) &&
		  sa.len == seclen && sb.len == seclen && !memcmp(sa.p, sb.p, seclen);

	/* A truncated public value must be refused. */
	ok = ok && dh_shared(a, pb.p, pb.len - 1, &sa) != 0;
	if (g != DH_CURVE25519) {
		/* ECP: a point off the curve (y xor 1), coordinates >= p;
		 * MODP: all ones (>= p) and 1. */
		pb.p[pb.len - 1] ^= 1;
		ok = ok && (g == DH_MODP2048 || dh_shared(a, pb.p, pb.len, &sa) != 0);
		memset(pb.p, 0xff, pb.len);
		ok = ok && dh_shared(a, pb.p, pb.len, &sa) != 0;
		memset(pb.p, 0, pb.len);
		pb.p[pb.len - 1] = 1;
		ok = ok && dh_shared(a, pb.p, pb.len, &sa) != 0;
	}
	snprintf(name, sizeof(name), "DH group %u: both sides derive the same %zu-byte secret%s",
		 g, seclen, g != DH_CURVE25519 ? ", invalid public values refused" : "");
	tap(ok, name);
	dh_free(a);
	dh_free(b);
	buf_free(&pa); buf_free(&pb); buf_free(&sa); buf_free(&sb);
}

static void test_prf_plus(void)
{
	static const char want[] =
		"30e2ea880da7b33695536209f56e1f28c89be69cb21e8727c3b75e1a53d6c156"
		"95f47992d7b932ed3f8d0304670d2b922920f9ca8911ec60a406fe25fb089794"
		"362284fea833d62f28f90ce0590a037e";
	uint8_t key[32], out[80];
	char hex[161];

	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	prf_plus(PRF_HMAC_SHA2_256, key, 32, (const uint8_t *)"seed-data", 9, out, 80);
	for (int i = 0; i < 80; i++)
		sprintf(hex + 2 * i, "%02x", out[i]);
	tap(!strcmp(hex, want), "prf+ (HMAC-SHA2-256, 80 bytes) matches Python's hmac");
}

static void test_choose(void)
{
	struct prop_list off, conf;
	struct proposal ch;
	struct suite s;
	char err[256];

	props_parse("aes128-sha256-modp2048,aes256gcm16-prfsha256-ecp256", PROTO_IKE, &off, err, sizeof(err));
	props_parse("aes256gcm16-prfsha384-prfsha256-ecp384-ecp256", PROTO_IKE, &conf, err, sizeof(err));
	tap(!sa_choose(off.p, off.n, &conf, &ch, &s) && ch.num == 2 && s.dh == DH_ECP256 &&
	    s.prf == PRF_HMAC_SHA2_256 && s.encr == ENCR_AES_GCM_16 && s.encr_keylen == 256,
	    "proposal selection: first acceptable offered proposal, one transform per type");
	props_parse("aes128-sha512-modp2048", PROTO_IKE, &conf, err, sizeof(err));
	tap(sa_choose(off.p, 1, &conf, &ch, &s) != 0, "proposal selection: no common integrity -> none chosen");
	tap(props_parse("aes128-md5-modp2048", PROTO_IKE, &conf, err, sizeof(err)) != 0 &&
	    strstr(err, "'md5'"), "proposal string: unsupported algorithm named");
}

static void test_ts(void)
{
	struct ts_list p = { .n = 1 }, c = { .n = 2 }, o;
	char s[256];

	ts_from_subnet("10.0.0.0/8", &p.t[0]);
	ts_from_subnet("10.1.0.0/24", &c.t[0]);
	ts_from_subnet("192.168.0.0/16", &c.t[1]);
	tap(!ts_narrow(&p, &c, &o) && o.n == 1 && (ts_list_str(&o, s, sizeof(s)), 1) &&
	    !strcmp(s, "10.1.0.0..10.1.0.255"), "TS narrowing: 10/8 against 10.1.0.0/24,192.168/16");
	ts_from_subnet("172.16.0.0/12", &p.t[0]);
	tap(ts_narrow(&p, &c, &o) != 0, "TS narrowing: disjoint selectors -> none");
}

/* The ACQUIRE's packet first (RFC 7296 2.9), transport mode through a NAT (2.23.1). */
static void test_ts_nat_trigger(void)
{
	struct ts_list p = { .n = 2 }, c = { .n = 1 }, o, pi = { .n = 1 }, pr = { .n = 1 }, ti, tr;
	struct sockaddr_in peer = { .sin_family = AF_INET }, me = { .sin_family = AF_INET };
	struct conn cn;
	struct ike_sa sa;
	uint8_t a[4] = { 10, 2, 2, 1 }, b[4] = { 10, 1, 0, 1 };
	char s[256], t[256];

	ts_from_flow(AF_INET, b, a, IPPROTO_TCP, 40000, 22, &o.t[0], &p.t[0]);
	ts_from_subnet("10.2.0.0/16", &p.t[1]);
	ts_from_subnet("10.2.2.0/24", &c.t[0]);
	tap(!ts_narrow(&p, &c, &o) && (ts_list_str(&o, s, sizeof(s)), 1) &&
	    !strcmp(s, "10.2.2.0..10.2.2.255"),
	    "TS narrowing: the trigger packet 10.2.2.1[6/22] and 10.2.0.0/16 against 10.2.2.0/24 -> the /24 alone");
	c.n = 0;
	ts_from_subnet("10.2.2.1", &c.t[c.n++]);
	c.t[0].proto = IPPROTO_TCP;
	tap(!ts_narrow(&p, &c, &o) && (ts_list_str(&o, s, sizeof(s)), 1) &&
	    !strcmp(s, "10.2.2.1..10.2.2.1[6]"),
	    "TS narrowing: only TCP to the trigger's host allowed -> that, all ports (the packet's flow within)");
	/* charon behind a NAT: proposes TSi 198.51.100.2, seen as 192.0.2.254. */
	memset(&cn, 0, sizeof(cn));
	memset(&sa, 0, sizeof(sa));
	inet_pton(AF_INET, "192.0.2.254", &peer.sin_addr);
	inet_pton(AF_INET, "192.0.2.1", &me.sin_addr);
	memcpy(&sa.peer, &peer, sizeof(peer));
	memcpy(&sa.local, &me, sizeof(me));
	sa.conn = &cn;
	sa.nat = NAT_THERE;
	ts_from_subnet("192.0.2.1", &cn.lsub.t[cn.lsub.n++]);
	cn.lsub_set = false;
	ts_from_subnet("198.51.100.2", &pi.t[0]);
	ts_from_subnet("192.0.2.1", &pr.t[0]);
	tap(ts_narrow_child(&sa, false, &pi, &pr, &ti, &tr) != 0,
	    "TS narrowing, tunnel mode, right=%any without rightsubnet: nothing to narrow to");
	tap(!ts_narrow_child(&sa, true, &pi, &pr, &ti, &tr) &&
	    (ts_list_str(&ti, s, sizeof(s)), ts_list_str(&tr, t, sizeof(t)), 1) &&
	    !strcmp(s, "198.51.100.2..198.51.100.2") && !strcmp(t, "192.0.2.1..192.0.2.1"),
	    "TS narrowing, transport through a NAT: the peer's private TSi accepted, answered unchanged");
	ts_nat_transport(&sa, &tr, &ti);
	tap((ts_list_str(&ti, s, sizeof(s)), 1) && !strcmp(s, "192.0.2.254..192.0.2.254"),
	    "transport through a NAT: the policies use the peer's address as seen");
}

static void test_sk(uint16_t encr, uint16_t integ, const char *name)
{
	struct sk_keys k = { .encr = encr, .encr_keylen = 128, .integ = integ };
	static const uint8_t zero[8];
	uint8_t ek[36], ak[64], inner[64];
	struct msg_builder b, in;
	struct ike_msg m;
	bool ok;

	memset(ek, 7, sizeof(ek));
	memset(ak, 9, sizeof(ak));
	k.ek = ek;
	k.ak = integ ? ak : NULL;
	mb_init(&in);
	mb_notify(&in, 0, N_INITIAL_CONTACT, "hello", 5);
	memcpy(inner, in.buf, in.len);
	ike_hdr(&b, zero, zero, PL_SK, EXCH_INFORMATIONAL, IKE_FLAG_I, 3);
	ok = !sk_seal(&b, &k, PL_NOTIFY, inner, in.len);
	ok = ok && !msg_parse_hdr(&m, b.buf, b.len) && !sk_open(&m, &k) &&
	     m.npl == 1 && m.pl[0].type == PL_NOTIFY && m.pl[0].len == 9 &&
	     !memcmp(m.pl[0].body + 4, "hello", 5);
	msg_free(&m);
	b.buf[b.len - 20] ^= 1;	/* flip a ciphertext/ICV bit */
	ok = ok && !msg_parse_hdr(&m, b.buf, b.len) && sk_open(&m, &k) != 0;
	msg_free(&m);
	tap(ok, name);
}

static void hexs(const uint8_t *p, size_t l, char *o)
{
	for (size_t i = 0; i < l; i++)
		sprintf(o + 2 * i, "%02x", p[i]);
}

/* IKE_SA rekey (RFC 7296 2.18) and a PFS CHILD_SA (2.17), against Python:
 * SKEYSEED = prf(SK_d old, g^ir | Ni | Nr), SK_d = first of prf+(SKEYSEED,
 * Ni | Nr | SPIi | SPIr); KEYMAT = prf+(SK_d, g^ir | Ni | Nr). */
static void test_rekey_keys(void)
{
	static struct ike_sa old, sa;
	struct child_sa ch = { 0 };
	struct buf gir = { 0 };
	uint8_t b[32];
	char h[2 * 40 + 1];
	bool ok;

	old.s.prf = sa.s.prf = PRF_HMAC_SHA2_256;
	sa.s.encr = ENCR_AES_GCM_16;
	sa.s.encr_keylen = 256;
	for (int i = 0; i < 32; i++)
		old.sk_d[i] = (uint8_t)i;
	for (int i = 0; i < 8; i++) {
		sa.spi_i[i] = (uint8_t)(i + 1);
		sa.spi_r[i] = (uint8_t)(i + 9);
	}
	memset(b, 0x11, 32);
	buf_set(&sa.ni, b, 32);
	memset(b, 0x22, 32);
	buf_set(&sa.nr, b, 32);
	memset(b, 0xaa, 32);
	buf_set(&gir, b, 32);
	ok = !ikesa_derive(&sa, gir.p, gir.len, &old);
	hexs(sa.sk_d, 32, h);
	ok = ok && !strcmp(h, "459d200bca00ac4bf23d22bd6c71a9e35b55cdc5f8266a4991b375c2ef1366cf");
	tap(ok, "IKE_SA rekey: SK_d from SKEYSEED = prf(SK_d old, g^ir | Ni | Nr) matches Python");
	ch.s.encr = ENCR_AES_GCM_16;
	ch.s.encr_keylen = 128;
	ok = !child_derive(&sa, &ch, &sa.ni, &sa.nr, &gir);
	hexs(ch.keymat, 40, h);
	tap(ok && !strcmp(h, "a44e9317e172d972aa849bb086af6fc9fcde0f938e2dbd382b25f3d5f4a26e465c54ffde1d908eeb"),
	    "CHILD_SA with PFS: KEYMAT = prf+(SK_d, g^ir | Ni | Nr) matches Python");
	free(ch.keymat);
	buf_free(&sa.ni);
	buf_free(&sa.nr);
	buf_free(&gir);
}

int main(void)
{
	log_level[SS_CFG] = -1;
	printf("TAP version 13\n1..19\n");
	test_dh(DH_MODP2048, 256);
	test_dh(DH_ECP256, 32);
	test_dh(DH_ECP384, 48);
	test_dh(DH_CURVE25519, 32);
	test_prf_plus();
	test_choose();
	test_ts();
	test_ts_nat_trigger();
	test_sk(ENCR_AES_GCM_16, 0, "SK payload AES-GCM-16: round trip, tampering detected");
	test_sk(ENCR_AES_CBC, AUTH_HMAC_SHA2_256_128, "SK payload AES-CBC + HMAC-SHA2-256-128: round trip, tampering detected");
	test_rekey_keys();
	return failed;
}
