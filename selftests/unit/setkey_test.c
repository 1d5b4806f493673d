// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the setkey front end (tools/setkey.c, setkey_apply.c):
 * every seed configuration, every grammar construct, malformed inputs with
 * their exact messages, print -> parse round trips, and the all-or-nothing
 * apply against a fake kernel.  TAP output.
 *
 * Usage: setkey_test SEED_DIR
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "setkey.h"

static int tests, failures;

static void ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	tests++;
	if (!cond)
		failures++;
	printf("%s %d - ", cond ? "ok" : "not ok", tests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static int parse(const char *text, struct sk_prog *p, char *err, size_t len)
{
	return sk_parse("t.conf", text, strlen(text), p, err, len);
}

/* ---- malformed inputs: input -> exact message ---- */

static const struct {
	const char *in, *err;
} bad[] = {
	{ "frobnicate;",
	  "t.conf:1:1: expected a command (add, update, get, delete, deleteall, flush, dump, spdadd, spdupdate, spddelete, spdflush, spddump), found 'frobnicate'" },
	{ "add 10.0.0.1 10.0.0.2 esp 0x100 -E rijndael-cbc \"short\";",
	  "t.conf:1:49: key for rijndael-cbc must be 16, 24 or 32 bytes, found 5" },
	{ "add 10.0.0.1 10.0.0.2 esp 0x100 -A hmac-sha256 0x0102030405060708090a0b0c0d0e0f1011121314;",
	  "t.conf:1:48: key for hmac-sha256 must be 32 bytes, found 20" },
	{ "add 10.0.0.1 10.0.0.2 esp 12 -E null;",
	  "t.conf:1:27: expected an SPI 256..4294967295 (decimal or 0x hex), found '12'" },
	{ "add 10.0.0.1 10.0.0.2 esp 0x100 -E null",
	  "t.conf:1:40: expected ';', found end of file" },
	{ "add 10.0.0.1 fe80::1 esp 0x100 -E null;",
	  "t.conf:1:14: expected an IPv4 address (same family as the source), found 'fe80::1'" },
	{ "add host.example 10.0.0.2 esp 0x100 -E null;",
	  "t.conf:1:5: expected an IPv4 or IPv6 address (host names are not resolved), found 'host.example'" },
	{ "add 10.0.0.1 10.0.0.2 ipcomp 0x100 -C deflate;",
	  "t.conf:1:23: IPcomp is not supported by kipsec, found 'ipcomp'" },
	{ "add 10.0.0.1 10.0.0.2 esp 0x100 -C deflate;",
	  "t.conf:1:33: IPcomp is not supported by kipsec, found '-C'" },
	{ "add 10.0.0.1 10.0.0.2 esp 0x100 -m bogus -E null;",
	  "t.conf:1:36: expected a mode (transport, tunnel or any), found 'bogus'" },
	{ "add 10.0.0.1 10.0.0.2 esp 0x100 -E rot13 \"x\";",
	  "t.conf:1:36: expected an encryption algorithm (3des-cbc, rijndael-cbc, aes-ctr, aes-gcm-16, blowfish-cbc, cast128-cbc, twofish-cbc, camellia-cbc, des-cbc, null), found 'rot13'" },
	{ "add 10.0.0.1 10.0.0.2 esp 0x100 -E 3des-cbc 0x0102;",
	  "t.conf:1:45: key for 3des-cbc must be 24 bytes, found 2" },
	{ "add 10.0.0.1 10.0.0.2 esp 0x100 -E 3des-cbc 0x010;",
	  "t.conf:1:45: expected an even number of hex digits, found 3" },
	{ "add 10.0.0.1 10.0.0.2 esp 0x100 -E 3des-cbc 0x01zz;",
	  "t.conf:1:49: expected a hex digit, found 'z'" },
	{ "add 10.0.0.1 10.0.0.2 esp 0x100 -E 3des-cbc key;",
	  "t.conf:1:45: expected a key (\"ascii\" or 0x followed by hex digits), found 'key'" },
	{ "add 10.0.0.1 10.0.0.2 esp 0x100 -E 3des-cbc \"unterminated;",
	  "t.conf:1:45: expected '\"' closing the string, found end of file" },
	{ "add 10.0.0.1 10.0.0.2 esp 0x100;",
	  "t.conf:1:32: expected -E ALGORITHM KEY (ESP needs an encryption algorithm), found ';'" },
	{ "add 10.0.0.1 10.0.0.2 ah 0x100;",
	  "t.conf:1:31: expected -A ALGORITHM KEY (AH needs an authentication algorithm), found ';'" },
	{ "add 10.0.0.1 10.0.0.2 ah 0x100 -E null;",
	  "t.conf:1:35: AH takes only -A, found '-E null'" },
	{ "add 10.0.0.1 10.0.0.2 esp 0x100 -r 5000 -E null;",
	  "t.conf:1:36: expected a replay window 0..4096 (packets), found '5000'" },
	{ "add 10.0.0.1 10.0.0.2 esp 0x100 -u 0 -E null;",
	  "t.conf:1:36: expected a reqid 1..4294967295, found '0'" },
	{ "add 10.0.0.1 10.0.0.2 esp 0x100 -x -E null;",
	  "t.conf:1:33: expected an option (-m, -r, -u, -f, -lh, -ls, -bh, -bs, -E, -A) or ';', found '-x'" },
	{ "add 10.0.0.1 10.0.0.2 esp 0x100 -E hmac-md5 \"x\";",
	  "t.conf:1:36: expected an encryption algorithm (this one goes after -A), found 'hmac-md5'" },
	{ "add 10.0.0.1 10.0.0.2 esp 0x100 -E aes-gcm-16 0x0102030405060708090a0b0c0d0e0f10;",
	  "t.conf:1:47: key for aes-gcm-16 must be 20, 28 or 36 bytes, found 16" },
	{ "add 10.0.0.1 10.0.0.2 esp 0x100 -E aes-gcm-16 0x0102030405060708090a0b0c0d0e0f1011121314 -A hmac-md5 \"hogehogehogehoge\";",
	  "t.conf:1:93: algorithm hmac-md5: this SA already has an algorithm (an AEAD takes no other)" },
	{ "add 10.0.0.1 10.0.0.2 esp 0x100 -E des-deriv \"x\";",
	  "t.conf:1:36: algorithm des-deriv is an obsolete RFC 1829 variant and is not supported" },
	{ "add 10.0.0.1 10.0.0.2 esp 0x100 -A keyed-md5 \"x\";",
	  "t.conf:1:36: algorithm keyed-md5 is an obsolete RFC 1828 transform and is not supported" },
	{ "add 10.0.0.1[4500] 10.0.0.2 esp 0x100 -E null;",
	  "t.conf:1:29: expected esp-udp for addresses with ports, found 'esp'" },
	{ "add 10.0.0.1/24 10.0.0.2 esp 0x100 -E null;",
	  "t.conf:1:13: expected an address without a prefix length, found '/24'" },
	{ "add 10.0.0.1 10.0.0.2 esp 0x100 -E blowfish-cbc \"abc\";",
	  "t.conf:1:49: key for blowfish-cbc must be 5 to 56 bytes, found 3" },
	{ "add 10.0.0.1 10.0.0.2 esp-old 0x100 -E null;",
	  "t.conf:1:23: the old RFC 1826/1827 transforms are not supported, found 'esp-old'" },
	{ "spdadd 10.0.0.0/33 10.0.1.0/24 any -P out none;",
	  "t.conf:1:17: expected a prefix length 0..32, found '33'" },
	{ "spdadd 10.0.0.0/24 10.0.1.0/24 any -P sideways none;",
	  "t.conf:1:39: expected a direction (in, out or fwd), found 'sideways'" },
	{ "spdadd 10.0.0.0/24 10.0.1.0/24 any out none;",
	  "t.conf:1:36: expected -P, found 'out'" },
	{ "spdadd 10.0.0.0/24 10.0.1.0/24 any -P out allow;",
	  "t.conf:1:43: expected discard, none or ipsec, found 'allow'" },
	{ "spdadd 10.0.0.0/24 10.0.1.0/24 any -P out ipsec;",
	  "t.conf:1:48: expected a request like esp/transport//require, found ';'" },
	{ "spdadd 10.0.0.0/24 10.0.1.0/24 any -P out ipsec esp/tunnel//require;",
	  "t.conf:1:60: expected tunnel endpoints SRC-DST after tunnel/, found '/'" },
	{ "spdadd 10.0.0.0/24 10.0.1.0/24 any -P out ipsec esp/tunnel/1.2.3.4/require;",
	  "t.conf:1:60: expected tunnel endpoints SRC-DST, found '1.2.3.4'" },
	{ "spdadd 10.0.0.0/24 10.0.1.0/24 any -P out ipsec esp/tunnel/1.2.3.4-::1/require;",
	  "t.conf:1:68: expected an IPv4 address (same family as the source), found '::1'" },
	{ "spdadd 10.0.0.0/24 10.0.1.0/24 any -P out ipsec esp/sideways//require;",
	  "t.conf:1:53: expected transport or tunnel, found 'sideways'" },
	{ "spdadd 10.0.0.0/24 10.0.1.0/24 any -P out ipsec esp/transport//sometimes;",
	  "t.conf:1:64: expected default, use, require or unique[:ID], found 'sometimes'" },
	{ "spdadd 10.0.0.0/24 10.0.1.0/24 any -P out ipsec esp/transport//unique:0;",
	  "t.conf:1:71: expected a reqid 1..4294967295, found '0'" },
	{ "spdadd 10.0.0.0/24 10.0.1.0/24 any -P out ipsec ipcomp/transport//use;",
	  "t.conf:1:49: IPcomp is not supported by kipsec, found 'ipcomp'" },
	{ "spdadd 10.0.0.0/24 10.0.1.0/24 any -P out ipsec gre/transport//use;",
	  "t.conf:1:49: expected esp or ah, found 'gre'" },
	{ "spdadd 10.0.0.0/24 10.0.1.0/24 any -P out ipsec esp/transport//use/extra;",
	  "t.conf:1:67: expected ';' or a space after the level, found '/'" },
	{ "spdadd 10.0.0.0/24[80] 10.0.1.0/24 any -P out none;",
	  "t.conf:1:36: expected tcp, udp or sctp (the selector has ports), found 'any'" },
	{ "spdadd 10.0.0.0/24[http] 10.0.1.0/24 tcp -P out none;",
	  "t.conf:1:20: expected a port 0..65535 or any, found 'http'" },
	{ "spdadd 10.0.0.0/24 10.0.1.0/24 smtp -P out none;",
	  "t.conf:1:32: expected an upper-layer protocol (any, tcp, udp, icmp, icmp6 or a number), found 'smtp'" },
	{ "spdadd 10.0.0.0/24 10.0.1.0/24 any -P out none extra;",
	  "t.conf:1:48: expected ';', found 'extra'" },
	{ "spdadd 10.0.0.0/24 10.0.1.0/24 any -P out prio bogus none;",
	  "t.conf:1:48: expected a priority (a number, or high, def or low [+|- OFFSET]), found 'bogus'" },
	{ "spdadd 10.0.0.0/24 10.0.1.0/24 icmp 300 -P out none;",
	  "t.conf:1:37: expected an ICMP type 0..255, found '300'" },
	{ "flush esp extra;",
	  "t.conf:1:11: expected ';', found 'extra'" },
	{ "flush bogus;",
	  "t.conf:1:7: expected a protocol (esp, ah or esp-udp), found 'bogus'" },
	{ "spdflush now;",
	  "t.conf:1:10: expected ';', found 'now'" },
	{ "get 10.0.0.1 10.0.0.2 esp;",
	  "t.conf:1:26: expected an SPI 256..4294967295 (decimal or 0x hex), found ';'" },
	{ "deleteall 10.0.0.1 10.0.0.2;",
	  "t.conf:1:28: expected a protocol (esp, ah or esp-udp), found ';'" },
	{ "add 10.0.0.1 10.0.0.2 esp 0x100 -ctx 1 1 \"x\";",
	  "t.conf:1:33: security contexts are not supported, found '-ctx'" },
	{ "add -7 10.0.0.1 10.0.0.2 esp 0x100 -E null;",
	  "t.conf:1:5: expected -4, -6, -n or an address, found '-7'" },
	/* line and column tracking across lines, continuations and comments */
	{ "flush;\n# comment\n  spdadd 10.0.0.0/24 \\\n 10.0.1.0/24 any -P up none;",
	  "t.conf:4:21: expected a direction (in, out or fwd), found 'up'" },
	{ "add 10.0.0.1 10.0.0.2 esp 0x100\n\t-E 3des-cbc\n\t0x0102;",
	  "t.conf:3:2: key for 3des-cbc must be 24 bytes, found 2" },
	{ "add 10.0.0.1 10.0.0.2 esp 0x100 -E null;\nadd 10.0.0.1 10.0.0.2 esp 0x101 -E null; # ok\nadd",
	  "t.conf:3:4: expected a source address, found end of file" },
	{ "add 10.0.0.1 10.0.0.2 esp 0x100 -E 3des-cbc \"abc\n\";",
	  "t.conf:1:45: expected '\"' closing the string, found end of line" },
	{ "spdflush;\x01",
	  "t.conf:1:10: expected a word, found control character 0x01" },
};

static void test_bad(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sk_prog p;
		char err[512] = "";
		int r = parse(bad[i].in, &p, err, sizeof(err));

		ok(r == -1 && !strcmp(err, bad[i].err), "malformed %zu: %s", i + 1, bad[i].err);
		if (r != -1 || strcmp(err, bad[i].err))
			printf("#   got: %s\n", r ? err : "(parsed)");
		ok(p.n == 0 && p.v == NULL, "malformed %zu leaves nothing to apply", i + 1);
	}
}

/* ---- grammar constructs ---- */

static struct sk_stmt *one(const char *text, enum sk_op op)
{
	static struct sk_stmt st;
	struct sk_prog p;
	char err[512];

	if (parse(text, &p, err, sizeof(err))) {
		printf("#   unexpected error: %s\n", err);
		return NULL;
	}
	if (p.n != 1 || p.v[0].op != op) {
		sk_prog_free(&p);
		return NULL;
	}
	st = p.v[0];
	sk_prog_free(&p);
	return &st;
}

static void test_constructs(void)
{
	struct sk_stmt *s;

	s = one("add 10.0.0.1 10.0.0.2 esp 0x1000 -m tunnel -u 7 -r 64 -lh 3600 -ls 3000 "
		"-bh 1000000 -bs 900000 -f random-pad -E rijndael-cbc "
		"0x00112233445566778899aabbccddeeff -A hmac-sha256 "
		"0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff;", SK_ADD);
	ok(s && s->sa.spi == 0x1000 && s->sa.mode == KIPSEC_MODE_TUNNEL && s->sa.reqid == 7 &&
	   s->sa.replay_window == 64 && s->sa.lft.hard_add == 3600 &&
	   s->sa.lft.soft_add == 3000 && s->sa.lft.hard_bytes == 1000000 &&
	   s->sa.lft.soft_bytes == 900000 && !strcmp(s->sa.enc.name, "cbc(aes)") &&
	   s->sa.enc.keylen == 16 && s->sa.enc.key[15] == 0xff &&
	   !strcmp(s->sa.auth.name, "hmac(sha256)") && s->sa.auth.keylen == 32 &&
	   s->sa.auth.bits == 128, "add with every SA option");
	s = one("add -6 2001:db8::1 2001:db8::2 ah 300 -A hmac-sha1 \"12345678901234567890\";",
		SK_ADD);
	ok(s && s->sa.src.family == AF_INET6 && s->sa.proto == IPPROTO_AH &&
	   s->sa.spi == 300 && s->sa.auth.keylen == 20 && s->sa.auth.key[0] == '1' &&
	   s->sa.auth.bits == 96, "IPv6 AH with an ASCII key and -6");
	s = one("add 10.0.0.1 10.0.0.2 esp 0x100 -m any -E aes-gcm-16 "
		"0x0102030405060708090a0b0c0d0e0f1011121314;", SK_ADD);
	ok(s && !strcmp(s->sa.aead.name, "rfc4106(gcm(aes))") && s->sa.aead.keylen == 20 &&
	   s->sa.aead.bits == 128 && s->sa.mode == KIPSEC_MODE_TRANSPORT,
	   "AEAD aes-gcm-16 with salt, -m any is transport");
	s = one("add 10.0.0.1[4500] 10.0.0.2[4501] esp-udp 0x100 -E null -A null;", SK_ADD);
	ok(s && s->sa.has_encap && s->sa.encap_sport == 4500 && s->sa.encap_dport == 4501 &&
	   !strcmp(s->sa.enc.name, "ecb(cipher_null)") && !strcmp(s->sa.auth.name, "digest_null"),
	   "esp-udp with ports, null algorithms take no key");
	s = one("get 10.0.0.1 10.0.0.2 ah 0x300;", SK_GET);
	ok(s && s->sa.proto == IPPROTO_AH && s->sa.spi == 0x300, "get");
	s = one("delete 10.0.0.1 10.0.0.2 esp 4096;", SK_DELETE);
	ok(s && s->sa.spi == 4096, "delete");
	s = one("deleteall 10.0.0.1 10.0.0.2 esp;", SK_DELETEALL);
	ok(s && s->sa.proto == IPPROTO_ESP, "deleteall");
	s = one("flush ah;", SK_FLUSH);
	ok(s && s->proto == IPPROTO_AH, "flush with a protocol");
	s = one("flush;", SK_FLUSH);
	ok(s && s->proto == 0, "flush");
	s = one("dump esp;", SK_DUMP);
	ok(s && s->proto == IPPROTO_ESP, "dump");
	ok(one("spdflush;", SK_SPDFLUSH) != NULL, "spdflush");
	ok(one("spddump;", SK_SPDDUMP) != NULL, "spddump");
	s = one("spdadd 10.0.0.0/24[any] 10.0.1.5[80] tcp -P out prio high + 5 ipsec "
		"esp/tunnel/1.1.1.1-2.2.2.2/unique:9 ah/transport//use;", SK_SPDADD);
	ok(s && s->sp.dir == KIPSEC_DIR_OUT && s->sp.sel.splen == 24 && s->sp.sel.dplen == 32 &&
	   s->sp.sel.sport == 0 && s->sp.sel.dport == 80 && s->sp.sel.proto == IPPROTO_TCP &&
	   s->sp.has_priority && s->sp.priority == 0x40005 && s->sp.ntmpl == 2 &&
	   s->sp.tmpl[0].mode == KIPSEC_MODE_TUNNEL && s->sp.tmpl[0].level == KIPSEC_LEVEL_UNIQUE &&
	   s->sp.tmpl[0].reqid == 9 && s->sp.tmpl[1].proto == IPPROTO_AH &&
	   s->sp.tmpl[1].level == KIPSEC_LEVEL_USE, "spdadd with ports, priority, two requests");
	s = one("spdupdate 2001:db8::/32 ::/0 icmp6 135,0 -P in discard;", SK_SPDUPDATE);
	ok(s && s->sp.sel.family == AF_INET6 && s->sp.sel.proto == IPPROTO_ICMPV6 &&
	   s->sp.sel.icmp_type == 135 && s->sp.sel.icmp_code == 0 &&
	   s->sp.action == KIPSEC_ACTION_DISCARD, "spdupdate IPv6 icmp6 type,code discard");
	s = one("spdadd 10.0.0.0/8 10.0.0.0/8 any -P fwd none;", SK_SPDADD);
	ok(s && s->sp.dir == KIPSEC_DIR_FWD && s->sp.action == KIPSEC_ACTION_BYPASS, "none, fwd");
	s = one("spddelete 10.0.0.0/8 10.0.0.0/8 any -P in;", SK_SPDDELETE);
	ok(s && s->sp.dir == KIPSEC_DIR_IN, "spddelete without a policy");
	s = one("spdadd 10.0.0.0/8 10.0.0.0/8 47 -P out ipsec esp/transport;", SK_SPDADD);
	ok(s && s->sp.sel.proto == 47 && s->sp.tmpl[0].level == KIPSEC_LEVEL_REQUIRE,
	   "numeric protocol, request without level is require");
	s = one("add 10.0.0.1 10.0.0.2 esp 0x100 -E 3des-cbc \"123456789012345678901234\";", SK_ADD);
	ok(s && !strcmp(s->sa.auth.name, "digest_null") && s->sa.auth.keylen == 0 &&
	   s->sa.auth.bits == 0, "ESP without -A gets the null digest (no ICV, as XFRM)");
	if (s) {
		char *t = NULL;
		size_t l = 0;
		FILE *f = open_memstream(&t, &l);

		sk_print_sa(f, &s->sa);
		fclose(f);
		ok(!strcmp(t, "add 10.0.0.1 10.0.0.2 esp 0x100 -m transport -E 3des-cbc "
			   "0x313233343536373839303132333435363738393031323334;\n"),
		   "ESP without -A prints without -A");
		free(t);
	}
	s = one("add 10.0.0.1 10.0.0.2 ah 0x100 -A null;", SK_ADD);
	if (s) {
		char *t = NULL;
		size_t l = 0;
		FILE *f = open_memstream(&t, &l);

		sk_print_sa(f, &s->sa);
		fclose(f);
		ok(!strcmp(t, "add 10.0.0.1 10.0.0.2 ah 0x100 -m transport -A null;\n"),
		   "AH with -A null prints -A null");
		free(t);
	} else {
		ok(false, "AH with -A null parses");
	}
	s = one("update 10.0.0.1 10.0.0.2 esp 0x100 -E null;", SK_UPDATE);
	ok(s != NULL, "update");
}

/* ---- seeds ---- */

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf;

	if (!f)
		return NULL;
	buf = malloc(1 << 20);
	*len = fread(buf, 1, (1 << 20) - 1, f);
	buf[*len] = 0;
	fclose(f);
	return buf;
}

/* print every add/spdadd, parse the output, print again: same text */
static bool round_trip(const struct sk_prog *p, char **text_out)
{
	char *t1 = NULL, *t2 = NULL;
	size_t l1 = 0, l2 = 0;
	FILE *f = open_memstream(&t1, &l1);
	struct sk_prog q;
	char err[512];
	bool same = false;

	for (int i = 0; i < p->n; i++)
		if (p->v[i].op == SK_ADD)
			sk_print_sa(f, &p->v[i].sa);
		else if (p->v[i].op == SK_SPDADD)
			sk_print_sp(f, &p->v[i].sp);
	fclose(f);
	if (sk_parse("dump", t1, l1, &q, err, sizeof(err))) {
		printf("#   reparse: %s\n", err);
		free(t1);
		return false;
	}
	f = open_memstream(&t2, &l2);
	for (int i = 0; i < q.n; i++)
		if (q.v[i].op == SK_ADD)
			sk_print_sa(f, &q.v[i].sa);
		else
			sk_print_sp(f, &q.v[i].sp);
	fclose(f);
	same = l1 == l2 && !memcmp(t1, t2, l1);
	sk_prog_free(&q);
	free(t2);
	if (text_out)
		*text_out = t1;
	else
		free(t1);
	return same;
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_seeds(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *names[128];
	int n = 0;

	ok(d != NULL, "seed directory %s", dir);
	if (!d)
		return;
	while ((e = readdir(d)) && n < 128)
		if (strstr(e->d_name, ".conf"))
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmpstr);
	ok(n >= 15, "found %d seed configurations", n);
	for (int i = 0; i < n; i++) {
		char path[1024], err[512];
		struct sk_prog p;
		size_t len;
		char *text;
		int r;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		text = slurp(path, &len);
		r = text ? sk_parse(names[i], text, len, &p, err, sizeof(err)) : -1;
		ok(r == 0 && p.n > 0, "seed %s parses (%d statements)", names[i], r ? 0 : p.n);
		if (r)
			printf("#   %s\n", err);
		else
			ok(round_trip(&p, NULL), "seed %s: print -> parse -> print is stable",
			   names[i]);
		if (!r)
			sk_prog_free(&p);
		free(text);
		free(names[i]);
	}
}

/* ---- apply against a fake kernel ---- */

struct fake {
	struct ksa sa[64];
	int nsa;
	struct ksp sp[64];
	int nsp;
	int fail_after;		/* fail the Nth add (1-based), 0 = never */
	int adds;
};

static int f_sa_add(void *c, const struct ksa *sa, bool update, char *err, size_t len)
{
	struct fake *f = c;

	if (f->fail_after && ++f->adds == f->fail_after) {
		snprintf(err, len, "algorithm not available");
		return -ENOENT;
	}
	for (int i = 0; i < f->nsa; i++)
		if (f->sa[i].spi == sa->spi && f->sa[i].proto == sa->proto) {
			if (!update)
				return -EEXIST;
			f->sa[i] = *sa;
			return 0;
		}
	f->sa[f->nsa++] = *sa;
	return 0;
}

static int f_sa_del(void *c, const struct ksa *sa, char *err, size_t len)
{
	struct fake *f = c;

	for (int i = 0; i < f->nsa; i++)
		if (f->sa[i].spi == sa->spi && f->sa[i].proto == sa->proto) {
			f->sa[i] = f->sa[--f->nsa];
			return 0;
		}
	return -ESRCH;
}

static int f_sa_get(void *c, struct ksa *sa, char *err, size_t len)
{
	struct fake *f = c;

	for (int i = 0; i < f->nsa; i++)
		if (f->sa[i].spi == sa->spi && f->sa[i].proto == sa->proto) {
			*sa = f->sa[i];
			return 0;
		}
	return -ESRCH;
}

static int f_sa_flush(void *c, uint8_t proto, char *err, size_t len)
{
	struct fake *f = c;

	for (int i = 0; i < f->nsa;)
		if (!proto || f->sa[i].proto == proto)
			f->sa[i] = f->sa[--f->nsa];
		else
			i++;
	return 0;
}

static int f_sa_dump(void *c, uint8_t proto, int (*cb)(const struct ksa *, void *), void *arg,
		     char *err, size_t len)
{
	struct fake *f = c;

	for (int i = 0; i < f->nsa; i++)
		if (!proto || f->sa[i].proto == proto)
			cb(&f->sa[i], arg);
	return 0;
}

static bool same_sp(const struct ksp *a, const struct ksp *b)
{
	return a->dir == b->dir && !memcmp(&a->sel, &b->sel, sizeof(a->sel));
}

static int f_sp_add(void *c, const struct ksp *sp, bool update, char *err, size_t len)
{
	struct fake *f = c;

	if (f->fail_after && ++f->adds == f->fail_after) {
		snprintf(err, len, "template rejected");
		return -EINVAL;
	}
	for (int i = 0; i < f->nsp; i++)
		if (same_sp(&f->sp[i], sp)) {
			if (!update)
				return -EEXIST;
			f->sp[i] = *sp;
			return 0;
		}
	f->sp[f->nsp++] = *sp;
	return 0;
}

static int f_sp_del(void *c, const struct ksp *sp, char *err, size_t len)
{
	struct fake *f = c;

	for (int i = 0; i < f->nsp; i++)
		if (same_sp(&f->sp[i], sp)) {
			f->sp[i] = f->sp[--f->nsp];
			return 0;
		}
	return -ENOENT;
}

static int f_sp_flush(void *c, char *err, size_t len)
{
	((struct fake *)c)->nsp = 0;
	return 0;
}

static int f_sp_dump(void *c, int (*cb)(const struct ksp *, void *), void *arg,
		     char *err, size_t len)
{
	struct fake *f = c;

	for (int i = 0; i < f->nsp; i++)
		cb(&f->sp[i], arg);
	return 0;
}

static int apply(struct fake *f, const char *text, char *err, size_t len, char **out)
{
	struct sk_ops ops = {
		f_sa_add, f_sa_del, f_sa_get, f_sa_flush, f_sa_dump,
		f_sp_add, f_sp_del, f_sp_flush, f_sp_dump, f,
	};
	struct sk_prog p;
	size_t ol = 0;
	FILE *o;
	int r;

	if (parse(text, &p, err, len))
		return -2;
	o = open_memstream(out, &ol);
	f->adds = 0;
	r = sk_apply("t.conf", &p, &ops, o, err, len);
	fclose(o);
	sk_prog_free(&p);
	return r;
}

static void test_apply(void)
{
	static struct fake f;
	char err[512], *out = NULL;
	const char *base =
		"add 10.0.0.1 10.0.0.2 esp 0x100 -E null;\n"
		"spdadd 10.0.0.1 10.0.0.2 any -P out ipsec esp/transport//require;\n";
	const char *more =
		"add 10.0.0.1 10.0.0.2 esp 0x200 -E null;\n"
		"add 10.0.0.2 10.0.0.1 esp 0x201 -E null;\n"
		"spdadd 10.0.0.2 10.0.0.1 any -P in ipsec esp/transport//require;\n";
	char flushing[512];
	int r;

	r = apply(&f, base, err, sizeof(err), &out);
	ok(r == 0 && f.nsa == 1 && f.nsp == 1, "apply: additions land");
	free(out);
	f.fail_after = 3;
	r = apply(&f, more, err, sizeof(err), &out);
	ok(r == -1 && f.nsa == 1 && f.nsp == 1 && f.sa[0].spi == 0x100,
	   "apply: a kernel error on line 3 rolls back lines 1-2");
	ok(!strcmp(err, "t.conf:3:1: spdadd failed: Invalid argument (template rejected); "
		   "nothing from this file was applied"), "apply: error names line 3: %s", err);
	free(out);
	snprintf(flushing, sizeof(flushing), "flush;\nspdflush;\n%s", more);
	f.fail_after = 2;
	r = apply(&f, flushing, err, sizeof(err), &out);
	ok(r == -1 && f.nsa == 1 && f.nsp == 1 && f.sa[0].spi == 0x100 &&
	   f.sp[0].dir == KIPSEC_DIR_OUT, "apply: a failing file that flushed restores the old state");
	ok(!strcmp(err, "t.conf:4:1: add failed: No such file or directory (algorithm not available); "
		   "nothing from this file was applied"), "apply: error names line 4: %s", err);
	free(out);
	f.fail_after = 0;
	r = apply(&f, "dump esp; spddump; get 10.0.0.1 10.0.0.2 esp 0x100;", err, sizeof(err), &out);
	ok(r == 0 && out && !strcmp(out,
		"add 10.0.0.1 10.0.0.2 esp 0x100 -m transport -E null;\n"
		"spdadd 10.0.0.1/32 10.0.0.2/32 any -P out ipsec esp/transport//require;\n"
		"add 10.0.0.1 10.0.0.2 esp 0x100 -m transport -E null;\n"),
	   "apply: dump, spddump and get print loadable statements");
	free(out);
	r = apply(&f, "deleteall 10.0.0.1 10.0.0.2 esp; spddelete 10.0.0.1 10.0.0.2 any -P out;",
		  err, sizeof(err), &out);
	ok(r == 0 && f.nsa == 0 && f.nsp == 0, "apply: deleteall and spddelete");
	free(out);
	r = apply(&f, "delete 10.0.0.1 10.0.0.2 esp 0x999;", err, sizeof(err), &out);
	ok(r == -1 && strstr(err, "t.conf:1:1: delete failed: No such process"),
	   "apply: deleting a missing SA fails with its line");
	free(out);
}

int main(int argc, char **argv)
{
	printf("TAP version 13\n");
	test_bad();
	test_constructs();
	test_seeds(argc > 1 ? argv[1] : "selftests/unit/setkey-seeds");
	test_apply();
	printf("1..%d\n", tests);
	return failures ? 1 : 0;
}
