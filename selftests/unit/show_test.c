// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the listings: the JSON writer, `kipsec show` table and
 * JSON, `kipsec monitor` lines.  The SAs and policies come from the setkey
 * parser, so what a user loads is what these render.  TAP output.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "json.h"
#include "setkey.h"
#include "show.h"

static int tests, failures;

static void ok(bool cond, const char *name)
{
	tests++;
	failures += !cond;
	printf("%s %d - %s\n", cond ? "ok" : "not ok", tests, name);
}

static void expect_str(const char *got, const char *want, const char *name)
{
	ok(!strcmp(got, want), name);
	if (strcmp(got, want))
		printf("#   got:  %s\n#   want: %s\n", got, want);
}

static void test_json(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json j;

	json_init(&j, f);
	json_obj_begin(&j, NULL);
	json_str(&j, "s", "quote\" back\\ nl\n tab\t ctl\x01");
	json_u64(&j, "u", 18446744073709551615ULL);
	json_i64(&j, "i", -1);
	json_bool(&j, "t", true);
	json_null(&j, "n");
	json_arr_begin(&j, "a");
	json_u64(&j, "ignored", 1);
	json_obj_begin(&j, NULL);
	json_arr_end(&j);	/* closes the object: the writer trusts the caller's nesting */
	json_arr_end(&j);
	json_arr_begin(&j, "empty");
	json_arr_end(&j);
	json_obj_end(&j);
	json_end(&j);
	fclose(f);
	expect_str(buf, "{\"s\":\"quote\\\" back\\\\ nl\\n tab\\t ctl\\u0001\",\"u\":18446744073709551615,"
		   "\"i\":-1,\"t\":true,\"n\":null,\"a\":[1,{]],\"empty\":[]}\n",
		   "json writer: escaping, numbers, nesting, commas");
	free(buf);
}

static struct sk_prog load(const char *text)
{
	struct sk_prog p;
	char err[512];

	if (sk_parse("t", text, strlen(text), &p, err, sizeof(err)))
		printf("# %s\n", err);
	return p;
}

static char *render(const struct sk_prog *p, bool json, bool stats)
{
	struct ksa sa[8];
	struct ksp sp[8];
	int nsa = 0, nsp = 0;
	struct show_opts o = { json, stats, 1000 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	for (int i = 0; i < p->n; i++)
		if (p->v[i].op == SK_ADD)
			sa[nsa++] = p->v[i].sa;
		else
			sp[nsp++] = p->v[i].sp;
	/* what the kernel adds in replies */
	sa[0].cur.hard_bytes = 1500;
	sa[0].cur.hard_packets = 10;
	sa[0].cur.hard_add = 900;
	sa[0].cur.hard_use = 990;
	sa[0].seq_out = 10;
	sa[0].ncounters = 1;
	snprintf(sa[0].counters[0].name, sizeof(sa[0].counters[0].name), "replay_drops");
	sa[0].counters[0].value = 3;
	sp[0].id = 7;
	sp[0].priority = 0x80000;
	sp[0].hits = 4;
	show_state(f, sa, nsa, sp, nsp, &o);
	fclose(f);
	return buf;
}

static void test_show(void)
{
	struct sk_prog p = load(
		"add 10.0.0.1 10.0.0.2 esp 0x201 -m tunnel -u 5 -r 32 -lh 3600 "
		"-E rijndael-cbc 0x00112233445566778899aabbccddeeff "
		"-A hmac-sha256 0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff;"
		"spdadd 172.16.1.0/24 172.16.2.0/24[80] tcp -P out ipsec "
		"esp/tunnel/10.0.0.1-10.0.0.2/unique:5;");
	char *t = render(&p, false, true);

	ok(strstr(t, "Security associations: 1\n") != NULL, "show: SA count");
	ok(strstr(t, "esp   0x00000201 tunnel    10.0.0.1 -> 10.0.0.2") != NULL,
	   "show: SPI, mode, endpoints");
	ok(strstr(t, "cbc(aes)+hmac(sha256)/128") != NULL, "show: algorithms with ICV bits");
	ok(strstr(t, "1500       10    3500s 32 in:0 out:10   10s ago") != NULL,
	   "show: bytes, packets, lifetime left, replay state, first use");
	ok(strstr(t, "replay_drops                 3") != NULL, "show -s: per-SA counters");
	ok(strstr(t, "00112233") == NULL, "show never prints keys");
	ok(strstr(t, "172.16.1.0/24 -> 172.16.2.0/24[80] tcp") != NULL &&
	   strstr(t, "esp/tunnel/10.0.0.1-10.0.0.2/unique:5") != NULL, "show: policy row");
	free(t);
	t = render(&p, true, true);
	expect_str(t,
		"{\"sas\":[{\"proto\":\"esp\",\"spi\":513,\"mode\":\"tunnel\",\"src\":\"10.0.0.1\","
		"\"dst\":\"10.0.0.2\",\"reqid\":5,\"esn\":false,\"replay_window\":32,\"seq_out\":10,"
		"\"seq_in\":0,\"aead\":null,\"enc\":{\"name\":\"cbc(aes)\",\"key_bits\":128,\"icv_bits\":0},"
		"\"auth\":{\"name\":\"hmac(sha256)\",\"key_bits\":256,\"icv_bits\":128},\"encap\":null,"
		"\"lifetime\":{\"soft_bytes\":0,\"hard_bytes\":0,\"soft_packets\":0,\"hard_packets\":0,"
		"\"soft_add_seconds\":0,\"hard_add_seconds\":3600,\"soft_use_seconds\":0,"
		"\"hard_use_seconds\":0},\"bytes\":1500,\"packets\":10,\"add_time\":900,"
		"\"first_use_time\":990,\"seconds_left\":3500,\"counters\":{\"replay_drops\":3}}],"
		"\"policies\":[{\"id\":7,\"dir\":\"out\",\"action\":\"ipsec\",\"priority\":524288,"
		"\"selector\":{\"family\":\"inet\",\"src\":\"172.16.1.0\",\"src_plen\":24,"
		"\"dst\":\"172.16.2.0\",\"dst_plen\":24,\"proto\":6,\"sport\":0,\"dport\":80},"
		"\"templates\":[{\"proto\":\"esp\",\"mode\":\"tunnel\",\"src\":\"10.0.0.1\","
		"\"dst\":\"10.0.0.2\",\"level\":\"unique\",\"reqid\":5}],\"hits\":4}]}\n",
		"show -j -s: the documented schema");
	free(t);
	sk_prog_free(&p);
}

static void test_monitor(void)
{
	struct sk_prog p = load("add 10.0.0.1 10.0.0.2 esp 0x201 -m tunnel -u 5 -E null;"
				"spdadd 10.1.0.0/16 10.2.0.0/16 any -P out ipsec esp/tunnel/10.0.0.1-10.0.0.2/require;");
	struct mon_event ev = { .kind = MON_EXPIRE, .hard = true, .sa = p.v[0].sa };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	monitor_print(f, &ev, false, 42);
	ev.kind = MON_ACQUIRE;
	ev.sp = p.v[1].sp;
	monitor_print(f, &ev, false, 43);
	ev.kind = MON_MAPPING;
	ev.new_src.family = AF_INET;
	ev.new_src.v4.s_addr = htonl(0xc0a80001);
	ev.new_sport = 4501;
	monitor_print(f, &ev, false, 44);
	ev.kind = MON_SA_DEL;
	monitor_print(f, &ev, true, 45);
	fclose(f);
	expect_str(buf,
		"42 EXPIRE hard esp spi 0x00000201 tunnel 10.0.0.1 -> 10.0.0.2 reqid 5\n"
		"43 ACQUIRE out 10.1.0.0/16 -> 10.2.0.0/16 any\n"
		"44 MAPPING esp spi 0x00000201 tunnel 10.0.0.1 -> 10.0.0.2 reqid 5 new source 192.168.0.1 port 4501\n"
		"{\"time\":45,\"event\":\"SA-DEL\",\"sa\":{\"proto\":\"esp\",\"spi\":513,\"mode\":\"tunnel\","
		"\"src\":\"10.0.0.1\",\"dst\":\"10.0.0.2\",\"reqid\":5,\"esn\":false,\"replay_window\":0,"
		"\"seq_out\":0,\"seq_in\":0,\"aead\":null,\"enc\":{\"name\":\"ecb(cipher_null)\",\"key_bits\":0,"
		"\"icv_bits\":0},\"auth\":{\"name\":\"digest_null\",\"key_bits\":0,\"icv_bits\":0},\"encap\":null,\"lifetime\":{\"soft_bytes\":0,\"hard_bytes\":0,"
		"\"soft_packets\":0,\"hard_packets\":0,\"soft_add_seconds\":0,\"hard_add_seconds\":0,"
		"\"soft_use_seconds\":0,\"hard_use_seconds\":0},\"bytes\":0,\"packets\":0,\"add_time\":0,"
		"\"first_use_time\":0,\"seconds_left\":-1}}\n",
		"monitor: one line per event, JSON lines with -j");
	free(buf);
	sk_prog_free(&p);
}

int main(void)
{
	printf("TAP version 13\n");
	test_json();
	test_show();
	test_monitor();
	printf("1..%d\n", tests);
	return failures ? 1 : 0;
}
