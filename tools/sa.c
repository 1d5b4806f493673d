// SPDX-License-Identifier: GPL-2.0
/*
 * kipsec sa add|update|del|get|list|flush: SAs with ip xfrm's keywords.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include "kipsec.h"
#include "kw.h"
#include "nl.h"

/* Friendly names and the kernel's; bits = default ICV/truncation. */
static const struct alg_name {
	const char *kind, *name, *kname;
	int bits;
	bool legacy;
} alg_names[] = {
	{ "aead", "aes-gcm-16", "rfc4106(gcm(aes))", 128, false },
	{ "aead", "rfc4106(gcm(aes))", "rfc4106(gcm(aes))", 128, false },
	{ "aead", "chacha20-poly1305", "rfc7539esp(chacha20,poly1305)", 128, false },
	{ "aead", "rfc7539esp(chacha20,poly1305)", "rfc7539esp(chacha20,poly1305)", 128, false },
	{ "enc", "aes-cbc", "cbc(aes)", 0, false },
	{ "enc", "aes", "cbc(aes)", 0, false },
	{ "enc", "cbc(aes)", "cbc(aes)", 0, false },
	{ "enc", "null", "ecb(cipher_null)", 0, false },
	{ "enc", "cipher_null", "ecb(cipher_null)", 0, false },
	{ "enc", "ecb(cipher_null)", "ecb(cipher_null)", 0, false },
	{ "enc", "3des-cbc", "cbc(des3_ede)", 0, true },
	{ "enc", "des3_ede", "cbc(des3_ede)", 0, true },
	{ "enc", "cbc(des3_ede)", "cbc(des3_ede)", 0, true },
	{ "enc", "blowfish-cbc", "cbc(blowfish)", 0, true },
	{ "enc", "blowfish", "cbc(blowfish)", 0, true },
	{ "enc", "cbc(blowfish)", "cbc(blowfish)", 0, true },
	{ "auth", "hmac-sha256", "hmac(sha256)", 128, false },
	{ "auth", "sha256", "hmac(sha256)", 128, false },
	{ "auth", "hmac(sha256)", "hmac(sha256)", 128, false },
	{ "auth", "hmac-sha384", "hmac(sha384)", 192, false },
	{ "auth", "sha384", "hmac(sha384)", 192, false },
	{ "auth", "hmac(sha384)", "hmac(sha384)", 192, false },
	{ "auth", "hmac-sha512", "hmac(sha512)", 256, false },
	{ "auth", "sha512", "hmac(sha512)", 256, false },
	{ "auth", "hmac(sha512)", "hmac(sha512)", 256, false },
	{ "auth", "hmac-sha1", "hmac(sha1)", 96, false },
	{ "auth", "sha1", "hmac(sha1)", 96, false },
	{ "auth", "hmac(sha1)", "hmac(sha1)", 96, false },
	{ "auth", "hmac-md5", "hmac(md5)", 96, true },
	{ "auth", "md5", "hmac(md5)", 96, true },
	{ "auth", "hmac(md5)", "hmac(md5)", 96, true },
};

static const struct alg_name *alg_lookup(const char *kind, const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(alg_names) / sizeof(alg_names[0]); i++)
		if (!strcmp(alg_names[i].kind, kind) && !strcmp(alg_names[i].name, name))
			return &alg_names[i];
	return NULL;
}

/* "0x0102..." (hex) or any other string taken as ASCII bytes. */
static int parse_key(const char *kw, const char *val, struct ksa_alg *alg)
{
	size_t n = strlen(val), i;

	if (n >= 2 && val[0] == '0' && (val[1] == 'x' || val[1] == 'X')) {
		val += 2;
		n -= 2;
		if (n % 2 || n / 2 > KIPSEC_KEY_MAX || !n) {
			kw_err("'%s' key expects an even number of hex digits (at most %d bytes), got %zu digits",
			       kw, KIPSEC_KEY_MAX, n);
			return -1;
		}
		for (i = 0; i < n / 2; i++) {
			unsigned int b;

			if (sscanf(val + 2 * i, "%2x", &b) != 1 ||
			    !strchr("0123456789abcdefABCDEF", val[2 * i]) ||
			    !strchr("0123456789abcdefABCDEF", val[2 * i + 1])) {
				kw_err("'%s' key has a non-hex digit at position %zu", kw, 2 * i + 2);
				return -1;
			}
			alg->key[i] = b;
		}
		alg->keylen = n / 2;
		return 0;
	}
	if (n > KIPSEC_KEY_MAX) {
		kw_err("'%s' key is longer than %d bytes", kw, KIPSEC_KEY_MAX);
		return -1;
	}
	memcpy(alg->key, val, n);
	alg->keylen = n;
	return 0;
}

/* aead NAME KEY [ICV], enc NAME KEY, auth NAME KEY, auth-trunc NAME KEY BITS */
static int parse_alg(int argc, char **argv, int *i, struct ksa *sa)
{
	const char *kw = argv[*i];
	const char *kind = !strcmp(kw, "auth-trunc") ? "auth" : kw;
	struct ksa_alg *alg = !strcmp(kind, "aead") ? &sa->aead :
			      !strcmp(kind, "enc") ? &sa->enc : &sa->auth;
	const struct alg_name *an;
	uint64_t v;

	if (kw_need(argc, argv, *i, !strcmp(kw, "auth-trunc") ? 3 : 2))
		return -1;
	an = alg_lookup(kind, argv[*i + 1]);
	snprintf(alg->name, sizeof(alg->name), "%s", an ? an->kname : argv[*i + 1]);
	if (an && an->legacy)
		fprintf(stderr, "kipsec %s: warning: '%s' is a legacy algorithm; use it only where the peer allows nothing better\n",
			kw_what, argv[*i + 1]);
	alg->bits = an ? an->bits : 0;
	if (parse_key(kw, argv[*i + 2], alg))
		return -1;
	*i += 2;
	if (!strcmp(kw, "auth-trunc") ||
	    (!strcmp(kw, "aead") && *i + 1 < argc && argv[*i + 1][0] >= '0' &&
	     argv[*i + 1][0] <= '9')) {
		if (kw_num(kw, argv[*i + 1], 32, 512, &v))
			return -1;
		alg->bits = v;
		(*i)++;
	}
	return 0;
}

static int parse_limit(int argc, char **argv, int *i, struct klft *l)
{
	static const char *const names[] = {
		"byte-soft", "byte-hard", "packet-soft", "packet-hard",
		"time-soft", "time-hard", "time-use-soft", "time-use-hard",
	};
	uint64_t *v[8] = { &l->soft_bytes, &l->hard_bytes, &l->soft_packets,
			   &l->hard_packets, &l->soft_add, &l->hard_add,
			   &l->soft_use, &l->hard_use };
	int k;

	if (kw_need(argc, argv, *i, 2))
		return -1;
	for (k = 0; k < 8; k++)
		if (!strcmp(argv[*i + 1], names[k]))
			break;
	if (k == 8) {
		kw_err("'limit' expects byte-soft, byte-hard, packet-soft, packet-hard, time-soft, time-hard, time-use-soft or time-use-hard, got '%s'",
		       argv[*i + 1]);
		return -1;
	}
	if (kw_need(argc, argv, *i + 1, 1) || kw_num(names[k], argv[*i + 2], 0, UINT64_MAX, v[k]))
		return -1;
	*i += 2;
	return 0;
}

static int parse_sel(int argc, char **argv, int *i, struct ksa *sa)
{
	int r;

	sa->has_sel = true;
	sa->sel.icmp_type = sa->sel.icmp_code = -1;
	while (*i + 1 < argc) {
		(*i)++;
		r = kw_sel(argc, argv, i, &sa->sel);
		if (r < 0)
			return -1;
		if (!r) {
			(*i)--;
			break;
		}
	}
	return 0;
}

static int parse_mode(const char *val, uint8_t *mode)
{
	if (!strcmp(val, "transport"))
		*mode = KIPSEC_MODE_TRANSPORT;
	else if (!strcmp(val, "tunnel"))
		*mode = KIPSEC_MODE_TUNNEL;
	else {
		kw_err("'mode' expects transport or tunnel, got '%s'", val);
		return -1;
	}
	return 0;
}

static int parse_one(int argc, char **argv, int *i, struct ksa *sa)
{
	const char *kw = argv[*i];
	uint64_t v;

	if (!strcmp(kw, "aead") || !strcmp(kw, "enc") || !strcmp(kw, "auth") ||
	    !strcmp(kw, "auth-trunc"))
		return parse_alg(argc, argv, i, sa);
	if (!strcmp(kw, "sel"))
		return parse_sel(argc, argv, i, sa);
	if (!strcmp(kw, "limit"))
		return parse_limit(argc, argv, i, &sa->lft);
	if (kw_need(argc, argv, *i, 1))
		return -1;
	(*i)++;
	if (!strcmp(kw, "src"))
		return kw_addr(kw, argv[*i], &sa->src, NULL);
	if (!strcmp(kw, "dst"))
		return kw_addr(kw, argv[*i], &sa->dst, NULL);
	if (!strcmp(kw, "proto")) {
		if (!strcmp(argv[*i], "esp"))
			sa->proto = IPPROTO_ESP;
		else if (!strcmp(argv[*i], "ah"))
			sa->proto = IPPROTO_AH;
		else {
			kw_err("'proto' expects esp or ah, got '%s'", argv[*i]);
			return -1;
		}
		return 0;
	}
	if (!strcmp(kw, "spi")) {
		if (kw_num(kw, argv[*i], 256, UINT32_MAX, &v))
			return -1;
		sa->spi = v;
		return 0;
	}
	if (!strcmp(kw, "mode"))
		return parse_mode(argv[*i], &sa->mode);
	if (!strcmp(kw, "reqid")) {
		if (kw_num(kw, argv[*i], 0, UINT32_MAX, &v))
			return -1;
		sa->reqid = v;
		return 0;
	}
	if (!strcmp(kw, "replay-window")) {
		if (kw_num(kw, argv[*i], 0, KIPSEC_REPLAY_MAX, &v))
			return -1;
		sa->replay_window = v;
		return 0;
	}
	if (!strcmp(kw, "flag")) {
		if (!strcmp(argv[*i], "esn"))
			sa->flags |= KIPSEC_SAF_ESN;
		else if (!strcmp(argv[*i], "nopmtudisc"))
			sa->flags |= KIPSEC_SAF_NOPMTUDISC;
		else {
			kw_err("'flag' expects esn or nopmtudisc, got '%s'", argv[*i]);
			return -1;
		}
		return 0;
	}
	if (!strcmp(kw, "encap")) {
		if (strcmp(argv[*i], "espinudp")) {
			kw_err("'encap' expects espinudp, got '%s'", argv[*i]);
			return -1;
		}
		if (kw_need(argc, argv, *i, 2) ||
		    kw_num("encap sport", argv[*i + 1], 1, 65535, &v))
			return -1;
		sa->encap_sport = v;
		if (kw_num("encap dport", argv[*i + 2], 1, 65535, &v))
			return -1;
		sa->encap_dport = v;
		sa->has_encap = true;
		*i += 2;
		/* Optional original address (as ip xfrm's; 0.0.0.0 or :: = none). */
		if (*i + 1 < argc && strpbrk(argv[*i + 1], ".:")) {
			(*i)++;
			if (strcmp(argv[*i], "0.0.0.0") && strcmp(argv[*i], "::"))
				return kw_addr("encap oa", argv[*i], &sa->encap_oa, NULL);
		}
		return 0;
	}
	(*i)--;
	kw_err("unknown keyword '%s'", kw);
	return -1;
}

/* Checks what the kernel would also check, to say it in the tool's words. */
static int sa_check(struct ksa *sa, bool full)
{
	if (!sa->dst.family) {
		kw_err("missing 'dst'");
		return -1;
	}
	if (!sa->proto) {
		kw_err("missing 'proto' (esp or ah)");
		return -1;
	}
	if (!sa->spi) {
		kw_err("missing 'spi'");
		return -1;
	}
	if (!full)
		return 0;
	if (!sa->src.family) {
		kw_err("missing 'src'");
		return -1;
	}
	if (sa->src.family != sa->dst.family) {
		kw_err("'src' and 'dst' are of different families");
		return -1;
	}
	if (sa->has_sel && kw_sel_finish(&sa->sel, sa->src.family))
		return -1;
	if (sa->proto == IPPROTO_ESP && !sa->aead.name[0] && !sa->enc.name[0]) {
		kw_err("missing 'aead' or 'enc' for an ESP SA");
		return -1;
	}
	return 0;
}

static int sa_parse_args(int argc, char **argv, struct ksa *sa, bool full)
{
	int i;

	memset(sa, 0, sizeof(*sa));
	for (i = 2; i < argc; i++)
		if (parse_one(argc, argv, &i, sa))
			return -1;
	return sa_check(sa, full);
}

static void hex_print(FILE *out, const uint8_t *b, int n)
{
	fprintf(out, "0x");
	for (int i = 0; i < n; i++)
		fprintf(out, "%02x", b[i]);
}

static const char *mode_str(uint8_t mode)
{
	return mode == KIPSEC_MODE_TUNNEL ? "tunnel" : "transport";
}

static void sa_print_text(const struct ksa *sa)
{
	char s[64], d[64];

	printf("src %s dst %s\n", kaddr_str(&sa->src, s, sizeof(s)), kaddr_str(&sa->dst, d, sizeof(d)));
	printf("\tproto %s spi 0x%08x reqid %u mode %s\n", sa->proto == IPPROTO_AH ? "ah" : "esp",
	       sa->spi, sa->reqid, mode_str(sa->mode));
	printf("\treplay-window %u", sa->replay_window);
	if (sa->flags & KIPSEC_SAF_ESN)
		printf(" flag esn");
	if (sa->flags & KIPSEC_SAF_NOPMTUDISC)
		printf(" flag nopmtudisc");
	printf("\n");
	if (sa->aead.name[0]) {
		printf("\taead %s ", sa->aead.name);
		hex_print(stdout, sa->aead.key, sa->aead.keylen);
		printf(" %d\n", sa->aead.bits);
	}
	if (sa->enc.name[0]) {
		printf("\tenc %s ", sa->enc.name);
		hex_print(stdout, sa->enc.key, sa->enc.keylen);
		printf("\n");
	}
	if (sa->auth.name[0]) {
		printf("\tauth-trunc %s ", sa->auth.name);
		hex_print(stdout, sa->auth.key, sa->auth.keylen);
		printf(" %d\n", sa->auth.bits);
	}
	if (sa->has_encap)
		printf("\tencap espinudp %u %u\n", sa->encap_sport, sa->encap_dport);
	if (sa->has_sel) {
		printf("\tsel ");
		sel_print(&sa->sel, stdout);
		printf("\n");
	}
	if (opts.stats) {
		printf("\tseq-out %llu seq-in %llu bytes %llu packets %llu\n",
		       (unsigned long long)sa->seq_out, (unsigned long long)sa->seq_in,
		       (unsigned long long)sa->cur.hard_bytes,
		       (unsigned long long)sa->cur.hard_packets);
		printf("\tstats:");
		for (int k = 0; k < sa->ncounters; k++)
			printf(" %s %llu", sa->counters[k].name,
			       (unsigned long long)sa->counters[k].value);
		printf("\n");
	}
}

static void alg_json(const char *key, const struct ksa_alg *a)
{
	printf(",\"%s\":{\"name\":\"%s\",\"key\":\"", key, a->name);
	hex_print(stdout, a->key, a->keylen);
	printf("\",\"bits\":%d}", a->bits);
}

static void sa_print_json(const struct ksa *sa)
{
	char s[64], d[64];

	printf("{\"src\":\"%s\",\"dst\":\"%s\",\"proto\":\"%s\",\"spi\":%u,\"reqid\":%u,"
	       "\"mode\":\"%s\",\"replay_window\":%u,\"esn\":%s",
	       kaddr_str(&sa->src, s, sizeof(s)), kaddr_str(&sa->dst, d, sizeof(d)),
	       sa->proto == IPPROTO_AH ? "ah" : "esp", sa->spi, sa->reqid, mode_str(sa->mode),
	       sa->replay_window, sa->flags & KIPSEC_SAF_ESN ? "true" : "false");
	if (sa->aead.name[0])
		alg_json("aead", &sa->aead);
	if (sa->enc.name[0])
		alg_json("enc", &sa->enc);
	if (sa->auth.name[0])
		alg_json("auth", &sa->auth);
	if (sa->has_sel) {
		printf(",\"sel\":");
		sel_json(&sa->sel, stdout);
	}
	printf(",\"seq_out\":%llu,\"seq_in\":%llu,\"bytes\":%llu,\"packets\":%llu,\"counters\":{",
	       (unsigned long long)sa->seq_out, (unsigned long long)sa->seq_in,
	       (unsigned long long)sa->cur.hard_bytes, (unsigned long long)sa->cur.hard_packets);
	for (int k = 0; k < sa->ncounters; k++)
		printf("%s\"%s\":%llu", k ? "," : "", sa->counters[k].name,
		       (unsigned long long)sa->counters[k].value);
	printf("}}");
}

struct list_ctx {
	int n;
};

static int sa_list_cb(const struct ksa *sa, void *data)
{
	struct list_ctx *c = data;

	if (opts.json) {
		printf("%s", c->n ? "," : "");
		sa_print_json(sa);
	} else {
		sa_print_text(sa);
	}
	c->n++;
	return 0;
}

static int get_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ksa sa;

	if (ksa_parse(nlh, &sa) == 0)
		sa_list_cb(&sa, data);
	return MNL_CB_OK;
}

static int sa_list(struct knl *nl, int argc, char **argv)
{
	struct list_ctx c = { 0 };
	uint8_t proto = 0;
	int ret;

	if (argc > 2) {
		if (argc != 4 || strcmp(argv[2], "proto") || (strcmp(argv[3], "esp") && strcmp(argv[3], "ah"))) {
			kw_err("expects no arguments or 'proto esp|ah'");
			return EXIT_USAGE;
		}
		proto = !strcmp(argv[3], "esp") ? IPPROTO_ESP : IPPROTO_AH;
	}
	if (opts.json)
		printf("[");
	ret = ksa_dump(nl, proto, sa_list_cb, &c);
	if (opts.json)
		printf("]\n");
	return kw_report(ret, "");
}

static int sa_get(struct knl *nl, struct ksa *sa)
{
	struct list_ctx c = { 0 };
	struct nlmsghdr *nlh = knl_req(nl, KIPSEC_CMD_SA_GET, 0);
	char err[256];
	int ret;

	ksa_put(nlh, sa, true);
	ret = knl_talk(nl, nlh, get_cb, &c, err, sizeof(err));
	if (!ret && opts.json)
		printf("\n");
	return kw_report(ret, err);
}

static int sa_flush(struct knl *nl, int argc, char **argv)
{
	struct nlmsghdr *nlh;
	char err[256];

	if (argc > 2 && (argc != 4 || strcmp(argv[2], "proto") ||
			 (strcmp(argv[3], "esp") && strcmp(argv[3], "ah")))) {
		kw_err("expects no arguments or 'proto esp|ah'");
		return EXIT_USAGE;
	}
	nlh = knl_req(nl, KIPSEC_CMD_SA_FLUSH, 0);
	if (argc == 4)
		mnl_attr_put_u8(nlh, KIPSEC_A_SA_PROTO,
				!strcmp(argv[3], "esp") ? IPPROTO_ESP : IPPROTO_AH);
	return kw_report(knl_talk(nl, nlh, NULL, NULL, err, sizeof(err)), err);
}

int cmd_sa(int argc, char **argv)
{
	static char what[32];
	const char *sub = argc > 1 ? argv[1] : "list";
	struct knl *nl;
	struct ksa sa;
	int cmd = 0, ret;
	char err[256];

	snprintf(what, sizeof(what), "sa %s", sub);
	kw_what = what;
	if (!strcmp(sub, "add"))
		cmd = KIPSEC_CMD_SA_ADD;
	else if (!strcmp(sub, "update"))
		cmd = KIPSEC_CMD_SA_UPDATE;
	else if (!strcmp(sub, "del") || !strcmp(sub, "delete"))
		cmd = KIPSEC_CMD_SA_DEL;
	else if (!strcmp(sub, "get"))
		cmd = KIPSEC_CMD_SA_GET;
	else if (strcmp(sub, "list") && strcmp(sub, "show") && strcmp(sub, "flush")) {
		fprintf(stderr, "kipsec sa: unknown subcommand '%s' (add, update, del, get, list, flush)\n", sub);
		return EXIT_USAGE;
	}
	if (cmd && sa_parse_args(argc, argv, &sa,
				 cmd == KIPSEC_CMD_SA_ADD || cmd == KIPSEC_CMD_SA_UPDATE))
		return EXIT_USAGE;
	nl = knl_open();
	if (!nl)
		return EXIT_RUNTIME;
	if (!strcmp(sub, "flush"))
		ret = sa_flush(nl, argc, argv);
	else if (!cmd)
		ret = argc > 1 ? sa_list(nl, argc, argv) : sa_list(nl, 2, argv);
	else if (cmd == KIPSEC_CMD_SA_GET)
		ret = sa_get(nl, &sa);
	else
		ret = kw_report(ksa_request(nl, cmd, &sa, err, sizeof(err)), err);
	knl_close(nl);
	return ret;
}
