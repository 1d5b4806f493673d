// SPDX-License-Identifier: GPL-2.0
/*
 * The setkey(8) grammar of ipsec-tools, as our users' files use it.
 *
 * A file is a list of statements ended by ';'.  Newlines are plain
 * whitespace (statements span lines freely), '#' starts a comment, and a
 * backslash before a newline is whitespace too, so shell-style continuations
 * load.  The lexer tracks line and column so every message points at the
 * offending token: "FILE:LINE:COL: expected WHAT, found 'TOKEN'".
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "setkey.h"

#define TOK_MAX 1024

enum tok_kind { T_EOF, T_WORD, T_STR, T_SEMI };

struct tok {
	enum tok_kind kind;
	char s[TOK_MAX];
	int len;
	int line, col;
};

struct lex {
	const char *fname;
	const char *p, *end;
	int line, col;
	struct tok t;		/* current token */
	char *err;
	size_t errlen;
};

/* ---- messages ---------------------------------------------------------- */

static int errat(struct lex *lx, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int errat(struct lex *lx, int line, int col, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(lx->err, lx->errlen, "%s:%d:%d: ", lx->fname, line, col);
	if (n < 0 || (size_t)n >= lx->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(lx->err + n, lx->errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Quotes the current token for "found ..." (end of file has no quotes). */
static const char *found(const struct tok *t, char *buf, size_t len)
{
	switch (t->kind) {
	case T_EOF:
		return "end of file";
	case T_SEMI:
		return "';'";
	case T_STR:
		snprintf(buf, len, "'\"%s\"'", t->s);
		return buf;
	default:
		snprintf(buf, len, "'%s'", t->s);
		return buf;
	}
}

static int expected(struct lex *lx, const char *what)
{
	char buf[TOK_MAX + 8];

	return errat(lx, lx->t.line, lx->t.col, "expected %s, found %s",
		     what, found(&lx->t, buf, sizeof(buf)));
}

/* An error inside a word: col is the offset of the bad part in the token. */
static int expected_in(struct lex *lx, int off, const char *what, const char *part)
{
	return errat(lx, lx->t.line, lx->t.col + off, "expected %s, found '%s'", what, part);
}

/* ---- lexer ------------------------------------------------------------- */

static int peekc(const struct lex *lx, int ahead)
{
	return lx->p + ahead < lx->end ? (unsigned char)lx->p[ahead] : -1;
}

static void advance(struct lex *lx)
{
	if (*lx->p == '\n') {
		lx->line++;
		lx->col = 1;
	} else {
		lx->col++;
	}
	lx->p++;
}

static void skip_blank(struct lex *lx)
{
	for (;;) {
		int c = peekc(lx, 0);

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
			advance(lx);
		} else if (c == '\\' && (peekc(lx, 1) == '\n' ||
					 (peekc(lx, 1) == '\r' && peekc(lx, 2) == '\n'))) {
			advance(lx);	/* a continuation is just whitespace */
		} else if (c == '#') {
			while (peekc(lx, 0) != -1 && peekc(lx, 0) != '\n')
				advance(lx);
		} else {
			return;
		}
	}
}

static bool word_char(int c)
{
	return c > ' ' && c != ';' && c != '"' && c != '#' && c != 0x7f;
}

static int next(struct lex *lx)
{
	struct tok *t = &lx->t;
	int c;

	skip_blank(lx);
	t->line = lx->line;
	t->col = lx->col;
	t->len = 0;
	t->s[0] = 0;
	c = peekc(lx, 0);
	if (c == -1) {
		t->kind = T_EOF;
		return 0;
	}
	if (c == ';') {
		t->kind = T_SEMI;
		advance(lx);
		return 0;
	}
	if (c == '"') {
		t->kind = T_STR;
		advance(lx);
		while ((c = peekc(lx, 0)) != '"') {
			if (c == -1 || c == '\n')
				return errat(lx, t->line, t->col,
					     "expected '\"' closing the string, found %s",
					     c == -1 ? "end of file" : "end of line");
			if (t->len >= TOK_MAX - 1)
				return errat(lx, t->line, t->col,
					     "string longer than %d bytes", TOK_MAX - 1);
			t->s[t->len++] = c;
			advance(lx);
		}
		advance(lx);
		t->s[t->len] = 0;
		return 0;
	}
	if (!word_char(c))
		return errat(lx, t->line, t->col,
			     "expected a word, found control character 0x%02x", c);
	t->kind = T_WORD;
	while ((c = peekc(lx, 0)) != -1 && word_char(c)) {
		if (t->len >= TOK_MAX - 1)
			return errat(lx, t->line, t->col, "word longer than %d bytes",
				     TOK_MAX - 1);
		t->s[t->len++] = c;
		advance(lx);
	}
	t->s[t->len] = 0;
	return 0;
}

static bool is_word(const struct lex *lx, const char *w)
{
	return lx->t.kind == T_WORD && !strcmp(lx->t.s, w);
}

static int expect_semi(struct lex *lx)
{
	if (lx->t.kind != T_SEMI)
		return expected(lx, "';'");
	return 0;
}

/* ---- numbers, addresses ------------------------------------------------ */

/* Decimal or 0x hex, at most max. */
static bool parse_num(const char *s, uint64_t max, uint64_t *v)
{
	char *e;

	if (!isdigit((unsigned char)s[0]))
		return false;
	errno = 0;
	*v = strtoull(s, &e, 0);
	return !errno && !*e && *v <= max;
}

static bool parse_ip(const char *s, struct kaddr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &a->v4) == 1) {
		a->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, &a->v6) == 1) {
		a->family = AF_INET6;
		return true;
	}
	return false;
}

static const char *ip_str(const struct kaddr *a, char *buf, size_t len)
{
	if (!inet_ntop(a->family ? a->family : AF_INET, a->b, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

/*
 * "ADDR[/PLEN][[PORT]]" starting at offset off of the current word.
 * plen and port may be NULL when the context forbids them.
 */
static int parse_addr_word(struct lex *lx, char *w, int off, struct kaddr *a,
			   uint8_t *plen, uint16_t *port, int want_family)
{
	char *br = strchr(w, '['), *sl;
	uint64_t v;

	if (br) {
		char *close = strchr(br, ']');

		if (!port)
			return expected_in(lx, off + (br - w),
					   "an address without a port", br);
		if (!close || close[1])
			return expected_in(lx, off + (br - w), "a port like [500] or [any]", br);
		*close = 0;
		*br = 0;
		if (!strcmp(br + 1, "any"))
			*port = 0;
		else if (parse_num(br + 1, 65535, &v))
			*port = v;
		else
			return expected_in(lx, off + (br - w) + 1, "a port 0..65535 or any",
					   br + 1);
	}
	sl = strchr(w, '/');
	if (sl && !plen)
		return expected_in(lx, off + (sl - w), "an address without a prefix length", sl);
	if (sl)
		*sl = 0;
	if (!parse_ip(w, a))
		return expected_in(lx, off, "an IPv4 or IPv6 address (host names are not resolved)",
				   w);
	if (want_family && a->family != want_family)
		return expected_in(lx, off, want_family == AF_INET ?
				   "an IPv4 address (same family as the source)" :
				   "an IPv6 address (same family as the source)", w);
	if (plen) {
		int maxp = a->family == AF_INET ? 32 : 128;

		*plen = maxp;
		if (sl) {
			if (!parse_num(sl + 1, maxp, &v)) {
				char what[48];

				snprintf(what, sizeof(what), "a prefix length 0..%d", maxp);
				return expected_in(lx, off + (sl - w) + 1, what, sl + 1);
			}
			*plen = v;
		}
	}
	return 0;
}

/* ---- algorithms -------------------------------------------------------- */

enum alg_kind { ALG_ENC, ALG_AUTH, ALG_AEAD };

struct alg {
	const char *name;	/* setkey name */
	const char *kname;	/* kernel crypto API name, NULL = unsupported */
	enum alg_kind kind;
	int lens[3];		/* allowed key bytes; {min, max, -1} for a range */
	int bits;		/* ICV / truncation bits */
	const char *why;	/* for unsupported ones */
};

static const struct alg algs[] = {
	{ "des-cbc", "cbc(des)", ALG_ENC, { 8 }, 0, NULL },
	{ "3des-cbc", "cbc(des3_ede)", ALG_ENC, { 24 }, 0, NULL },
	{ "null", "ecb(cipher_null)", ALG_ENC, { 0 }, 0, NULL },
	{ "blowfish-cbc", "cbc(blowfish)", ALG_ENC, { 5, 56, -1 }, 0, NULL },
	{ "cast128-cbc", "cbc(cast5)", ALG_ENC, { 5, 16, -1 }, 0, NULL },
	{ "twofish-cbc", "cbc(twofish)", ALG_ENC, { 16, 24, 32 }, 0, NULL },
	{ "rijndael-cbc", "cbc(aes)", ALG_ENC, { 16, 24, 32 }, 0, NULL },
	{ "aes-cbc", "cbc(aes)", ALG_ENC, { 16, 24, 32 }, 0, NULL },
	{ "aes-ctr", "rfc3686(ctr(aes))", ALG_ENC, { 20, 28, 36 }, 0, NULL },
	{ "camellia-cbc", "cbc(camellia)", ALG_ENC, { 16, 24, 32 }, 0, NULL },
	{ "aes-gcm-16", "rfc4106(gcm(aes))", ALG_AEAD, { 20, 28, 36 }, 128, NULL },
	{ "aes-gcm-12", "rfc4106(gcm(aes))", ALG_AEAD, { 20, 28, 36 }, 96, NULL },
	{ "aes-gcm-8", "rfc4106(gcm(aes))", ALG_AEAD, { 20, 28, 36 }, 64, NULL },
	{ "chacha20-poly1305", "rfc7539esp(chacha20,poly1305)", ALG_AEAD, { 36 }, 128, NULL },
	{ "des-deriv", NULL, ALG_ENC, { 0 }, 0, "is an obsolete RFC 1829 variant" },
	{ "des-32iv", NULL, ALG_ENC, { 0 }, 0, "is an obsolete RFC 1829 variant" },
	{ "hmac-md5", "hmac(md5)", ALG_AUTH, { 16 }, 96, NULL },
	{ "hmac-sha1", "hmac(sha1)", ALG_AUTH, { 20 }, 96, NULL },
	{ "hmac-sha256", "hmac(sha256)", ALG_AUTH, { 32 }, 128, NULL },
	{ "hmac-sha384", "hmac(sha384)", ALG_AUTH, { 48 }, 192, NULL },
	{ "hmac-sha512", "hmac(sha512)", ALG_AUTH, { 64 }, 256, NULL },
	{ "hmac-ripemd160", "hmac(rmd160)", ALG_AUTH, { 20 }, 96, NULL },
	{ "aes-xcbc-mac", "xcbc(aes)", ALG_AUTH, { 16 }, 96, NULL },
	{ "null", "digest_null", ALG_AUTH, { 0 }, 0, NULL },
	{ "keyed-md5", NULL, ALG_AUTH, { 0 }, 0, "is an obsolete RFC 1828 transform" },
	{ "keyed-sha1", NULL, ALG_AUTH, { 0 }, 0, "is an obsolete RFC 1852 transform" },
	{ "tcp-md5", NULL, ALG_AUTH, { 0 }, 0, "is for TCP-MD5 signatures, not IPsec" },
};

#define N_ALGS (sizeof(algs) / sizeof(algs[0]))

static const struct alg *find_alg(const char *name, bool auth)
{
	for (size_t i = 0; i < N_ALGS; i++)
		if (!strcmp(algs[i].name, name) && (algs[i].kind == ALG_AUTH) == auth)
			return &algs[i];
	return NULL;
}

const char *sk_alg_kernel_name(const char *name)
{
	for (size_t i = 0; i < N_ALGS; i++)
		if (!strcmp(algs[i].name, name))
			return algs[i].kname;
	return NULL;
}

/* The first setkey name for a kernel name; AEADs also match on ICV bits. */
static const struct alg *alg_by_kname(const char *kname, int kind, int bits)
{
	for (size_t i = 0; i < N_ALGS; i++) {
		const struct alg *a = &algs[i];

		if ((int)a->kind != kind || !a->kname)
			continue;
		if (strcmp(a->kname, kname) && strcmp(a->name, kname))
			continue;
		if (kind == ALG_AEAD && bits && bits != a->bits)
			continue;
		return a;
	}
	return NULL;
}

const char *sk_alg_setkey_name(const char *kname)
{
	for (int k = ALG_ENC; k <= ALG_AEAD; k++) {
		const struct alg *a = alg_by_kname(kname, k, 0);

		if (a)
			return a->name;
	}
	return NULL;
}

static bool len_ok(const struct alg *a, int n)
{
	if (a->lens[2] == -1)
		return n >= a->lens[0] && n <= a->lens[1];
	for (int i = 0; i < 3; i++)
		if (a->lens[i] == n && (i == 0 || a->lens[i]))
			return true;
	return false;
}

static void lens_str(const struct alg *a, char *buf, size_t len)
{
	if (a->lens[2] == -1)
		snprintf(buf, len, "%d to %d bytes", a->lens[0], a->lens[1]);
	else if (a->lens[1] && a->lens[2])
		snprintf(buf, len, "%d, %d or %d bytes", a->lens[0], a->lens[1], a->lens[2]);
	else
		snprintf(buf, len, "%d bytes", a->lens[0]);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* A key: "ascii" or 0xHEX; then checks its length for the algorithm. */
static int parse_key(struct lex *lx, const struct alg *a, struct ksa_alg *out)
{
	int n = 0;

	if (next(lx))
		return -1;
	if (lx->t.kind == T_STR) {
		n = lx->t.len;
		if (n > KIPSEC_KEY_MAX)
			n = KIPSEC_KEY_MAX + 1;
		else
			memcpy(out->key, lx->t.s, n);
	} else if (lx->t.kind == T_WORD && (!strncmp(lx->t.s, "0x", 2) ||
					    !strncmp(lx->t.s, "0X", 2))) {
		const char *h = lx->t.s + 2;
		size_t hl = strlen(h);

		for (size_t i = 0; i < hl; i++)
			if (hexval(h[i]) < 0) {
				char bad[2] = { h[i], 0 };

				return expected_in(lx, 2 + i, "a hex digit", bad);
			}
		if (!hl || hl % 2)
			return errat(lx, lx->t.line, lx->t.col,
				     "expected an even number of hex digits, found %zu", hl);
		n = hl / 2;
		if (n > KIPSEC_KEY_MAX)
			n = KIPSEC_KEY_MAX + 1;
		else
			for (int i = 0; i < n; i++)
				out->key[i] = hexval(h[2 * i]) << 4 | hexval(h[2 * i + 1]);
	} else {
		return expected(lx, "a key (\"ascii\" or 0x followed by hex digits)");
	}
	if (!len_ok(a, n)) {
		char l[48];

		lens_str(a, l, sizeof(l));
		return errat(lx, lx->t.line, lx->t.col, "key for %s must be %s, found %d",
			     a->name, l, n);
	}
	out->keylen = n;
	return 0;
}

/* -E ALG KEY or -A ALG KEY; the current token is the flag. */
static int parse_alg(struct lex *lx, struct ksa *sa, bool auth)
{
	const struct alg *a;
	struct ksa_alg *slot;

	if (next(lx))
		return -1;
	if (lx->t.kind != T_WORD)
		return expected(lx, auth ? "an authentication algorithm" :
				"an encryption algorithm");
	a = find_alg(lx->t.s, auth);
	if (!a) {
		if (!auth && find_alg(lx->t.s, true))
			return expected(lx, "an encryption algorithm (this one goes after -A)");
		if (auth && find_alg(lx->t.s, false))
			return expected(lx, "an authentication algorithm (this one goes after -E)");
		return expected(lx, auth ?
				"an authentication algorithm (hmac-md5, hmac-sha1, hmac-sha256, hmac-sha384, hmac-sha512, hmac-ripemd160, aes-xcbc-mac, null)" :
				"an encryption algorithm (3des-cbc, rijndael-cbc, aes-ctr, aes-gcm-16, blowfish-cbc, cast128-cbc, twofish-cbc, camellia-cbc, des-cbc, null)");
	}
	if (!a->kname)
		return errat(lx, lx->t.line, lx->t.col, "algorithm %s %s and is not supported",
			     a->name, a->why);
	slot = a->kind == ALG_AEAD ? &sa->aead : auth ? &sa->auth : &sa->enc;
	if (slot->name[0] || (a->kind == ALG_AEAD && (sa->enc.name[0] || sa->auth.name[0])) ||
	    (a->kind != ALG_AEAD && sa->aead.name[0]))
		return errat(lx, lx->t.line, lx->t.col,
			     "algorithm %s: this SA already has %s", a->name,
			     sa->aead.name[0] || a->kind == ALG_AEAD ?
			     "an algorithm (an AEAD takes no other)" :
			     auth ? "an -A algorithm" : "an -E algorithm");
	if (sa->proto == IPPROTO_AH && !auth)
		return errat(lx, lx->t.line, lx->t.col, "AH takes only -A, found '-E %s'", a->name);
	snprintf(slot->name, sizeof(slot->name), "%s", a->kname);
	slot->bits = a->bits;
	if (a->lens[0] == 0 && a->lens[2] != -1)
		return 0;	/* null: no key follows */
	return parse_key(lx, a, slot);
}

/* ---- SA statements ----------------------------------------------------- */

static int parse_proto(struct lex *lx, uint8_t *proto, bool *udp, bool allow_none)
{
	const char *w = lx->t.s;

	if (udp)
		*udp = false;
	if (lx->t.kind == T_SEMI && allow_none) {
		*proto = 0;
		return 0;
	}
	if (lx->t.kind != T_WORD)
		return expected(lx, "a protocol (esp, ah or esp-udp)");
	if (!strcmp(w, "esp")) {
		*proto = IPPROTO_ESP;
	} else if (!strcmp(w, "ah")) {
		*proto = IPPROTO_AH;
	} else if (!strcmp(w, "esp-udp")) {
		*proto = IPPROTO_ESP;
		if (udp)
			*udp = true;
	} else if (!strcmp(w, "ipcomp")) {
		return errat(lx, lx->t.line, lx->t.col,
			     "IPcomp is not supported by kipsec, found 'ipcomp'");
	} else if (!strcmp(w, "esp-old") || !strcmp(w, "ah-old")) {
		return errat(lx, lx->t.line, lx->t.col,
			     "the old RFC 1826/1827 transforms are not supported, found '%s'", w);
	} else if (!strcmp(w, "tcp")) {
		return errat(lx, lx->t.line, lx->t.col,
			     "TCP-MD5 signature SAs are not supported, found 'tcp'");
	} else {
		return expected(lx, "a protocol (esp, ah or esp-udp)");
	}
	return 0;
}

/* [-4|-6|-n]... then "SRC DST"; the current token is the first one. */
static int parse_family_opts(struct lex *lx, int *family)
{
	*family = 0;
	while (lx->t.kind == T_WORD && lx->t.s[0] == '-') {
		if (!strcmp(lx->t.s, "-4"))
			*family = AF_INET;
		else if (!strcmp(lx->t.s, "-6"))
			*family = AF_INET6;
		else if (strcmp(lx->t.s, "-n"))
			return expected(lx, "-4, -6, -n or an address");
		if (next(lx))
			return -1;
	}
	return 0;
}

static int parse_sa_id(struct lex *lx, struct sk_stmt *st, bool want_spi, bool *udp)
{
	struct ksa *sa = &st->sa;
	uint16_t sport = 0, dport = 0;
	int family;
	uint64_t v;

	if (next(lx) || parse_family_opts(lx, &family))
		return -1;
	if (lx->t.kind != T_WORD)
		return expected(lx, "a source address");
	if (parse_addr_word(lx, lx->t.s, 0, &sa->src, NULL, &sport, family))
		return -1;
	if (next(lx))
		return -1;
	if (lx->t.kind != T_WORD)
		return expected(lx, "a destination address");
	if (parse_addr_word(lx, lx->t.s, 0, &sa->dst, NULL, &dport, sa->src.family))
		return -1;
	if (next(lx) || parse_proto(lx, &sa->proto, udp, false))
		return -1;
	if ((sport || dport) && !*udp)
		return errat(lx, lx->t.line, lx->t.col,
			     "expected esp-udp for addresses with ports, found '%s'", lx->t.s);
	if (*udp) {
		sa->has_encap = true;
		sa->encap_sport = sport ? sport : 4500;
		sa->encap_dport = dport ? dport : 4500;
	}
	if (!want_spi)
		return next(lx);
	if (next(lx))
		return -1;
	if (lx->t.kind != T_WORD || !parse_num(lx->t.s, 0xffffffffULL, &v) || v < 256)
		return expected(lx, "an SPI 256..4294967295 (decimal or 0x hex)");
	sa->spi = v;
	return next(lx);
}

static int parse_lifetime(struct lex *lx, uint64_t *slot, const char *what)
{
	uint64_t v;

	if (next(lx))
		return -1;
	if (lx->t.kind != T_WORD || !parse_num(lx->t.s, UINT64_MAX, &v))
		return expected(lx, what);
	*slot = v;
	return 0;
}

static int parse_sa_ext(struct lex *lx, struct ksa *sa, bool *seen_mode)
{
	const char *w = lx->t.s;
	uint64_t v;

	if (!strcmp(w, "-m")) {
		if (*seen_mode)
			return errat(lx, lx->t.line, lx->t.col, "-m given twice");
		*seen_mode = true;
		if (next(lx))
			return -1;
		if (is_word(lx, "transport") || is_word(lx, "any"))
			sa->mode = KIPSEC_MODE_TRANSPORT;
		else if (is_word(lx, "tunnel"))
			sa->mode = KIPSEC_MODE_TUNNEL;
		else
			return expected(lx, "a mode (transport, tunnel or any)");
		return 0;
	}
	if (!strcmp(w, "-r")) {
		if (next(lx))
			return -1;
		if (lx->t.kind != T_WORD || !parse_num(lx->t.s, KIPSEC_REPLAY_MAX, &v))
			return expected(lx, "a replay window 0..4096 (packets)");
		sa->replay_window = v;
		return 0;
	}
	if (!strcmp(w, "-u")) {
		if (next(lx))
			return -1;
		if (lx->t.kind != T_WORD || !parse_num(lx->t.s, 0xffffffffULL, &v) || !v)
			return expected(lx, "a reqid 1..4294967295");
		sa->reqid = v;
		return 0;
	}
	if (!strcmp(w, "-f")) {
		if (next(lx))
			return -1;
		/* RFC 4303 fixes padding and sequence rollover; accepted for
		 * compatibility, they change nothing. */
		if (is_word(lx, "zero-pad") || is_word(lx, "random-pad") ||
		    is_word(lx, "seq-pad") || is_word(lx, "nocyclic-seq") ||
		    is_word(lx, "cyclic-seq"))
			return 0;
		return expected(lx, "zero-pad, random-pad, seq-pad, nocyclic-seq or cyclic-seq");
	}
	if (!strcmp(w, "-lh"))
		return parse_lifetime(lx, &sa->lft.hard_add, "a hard lifetime in seconds");
	if (!strcmp(w, "-ls"))
		return parse_lifetime(lx, &sa->lft.soft_add, "a soft lifetime in seconds");
	if (!strcmp(w, "-bh"))
		return parse_lifetime(lx, &sa->lft.hard_bytes, "a hard byte limit");
	if (!strcmp(w, "-bs"))
		return parse_lifetime(lx, &sa->lft.soft_bytes, "a soft byte limit");
	if (!strcmp(w, "-E"))
		return parse_alg(lx, sa, false);
	if (!strcmp(w, "-A"))
		return parse_alg(lx, sa, true);
	if (!strcmp(w, "-C") || !strcmp(w, "-R"))
		return errat(lx, lx->t.line, lx->t.col,
			     "IPcomp is not supported by kipsec, found '%s'", w);
	if (!strcmp(w, "-ctx"))
		return errat(lx, lx->t.line, lx->t.col,
			     "security contexts are not supported, found '-ctx'");
	return expected(lx, "an option (-m, -r, -u, -f, -lh, -ls, -bh, -bs, -E, -A) or ';'");
}

static int parse_add(struct lex *lx, struct sk_stmt *st)
{
	struct ksa *sa = &st->sa;
	bool udp, seen_mode = false;
	int line, col;

	sa->mode = KIPSEC_MODE_TRANSPORT;
	if (parse_sa_id(lx, st, true, &udp))
		return -1;
	while (lx->t.kind == T_WORD) {
		if (parse_sa_ext(lx, sa, &seen_mode) || next(lx))
			return -1;
	}
	if (expect_semi(lx))
		return -1;
	line = lx->t.line;
	col = lx->t.col;
	if (sa->proto == IPPROTO_ESP && !sa->enc.name[0] && !sa->aead.name[0])
		return errat(lx, line, col,
			     "expected -E ALGORITHM KEY (ESP needs an encryption algorithm), found ';'");
	if (sa->proto == IPPROTO_AH && !sa->auth.name[0])
		return errat(lx, line, col,
			     "expected -A ALGORITHM KEY (AH needs an authentication algorithm), found ';'");
	/* ESP without -A is ESP with the null digest: no ICV on the wire, as
	 * Linux XFRM does it, and the kernel gets an explicit pair. */
	if (sa->proto == IPPROTO_ESP && sa->enc.name[0] && !sa->auth.name[0])
		snprintf(sa->auth.name, sizeof(sa->auth.name), "digest_null");
	return 0;
}

static int parse_sa_stmt(struct lex *lx, struct sk_stmt *st)
{
	bool udp;

	if (parse_sa_id(lx, st, st->op != SK_DELETEALL, &udp))
		return -1;
	return expect_semi(lx);
}

/* flush [proto];  dump [proto]; */
static int parse_proto_filter(struct lex *lx, struct sk_stmt *st)
{
	if (next(lx) || parse_proto(lx, &st->proto, NULL, true))
		return -1;
	if (lx->t.kind == T_SEMI)
		return 0;
	if (next(lx))
		return -1;
	return expect_semi(lx);
}

/* ---- SP statements ----------------------------------------------------- */

static const struct {
	const char *name;
	uint8_t proto;
} upper_names[] = {
	{ "any", 0 }, { "icmp", IPPROTO_ICMP }, { "tcp", IPPROTO_TCP },
	{ "udp", IPPROTO_UDP }, { "gre", IPPROTO_GRE }, { "esp", IPPROTO_ESP },
	{ "ah", IPPROTO_AH }, { "ip4", IPPROTO_IPIP }, { "ipv4", IPPROTO_IPIP },
	{ "ipv6", IPPROTO_IPV6 }, { "icmp6", IPPROTO_ICMPV6 },
	{ "ipv6-icmp", IPPROTO_ICMPV6 }, { "sctp", IPPROTO_SCTP },
	{ "udplite", IPPROTO_UDPLITE }, { "dccp", IPPROTO_DCCP },
};

static const char *upper_name(uint8_t p)
{
	for (size_t i = 0; i < sizeof(upper_names) / sizeof(upper_names[0]); i++)
		if (upper_names[i].proto == p)
			return upper_names[i].name;
	return NULL;
}

static bool has_ports(uint8_t p)
{
	return p == IPPROTO_TCP || p == IPPROTO_UDP || p == IPPROTO_SCTP ||
	       p == IPPROTO_UDPLITE || p == IPPROTO_DCCP;
}

static int parse_upper(struct lex *lx, struct ksel *sel)
{
	uint64_t v;
	size_t i;

	if (lx->t.kind != T_WORD)
		return expected(lx, "an upper-layer protocol (any, tcp, udp, icmp, icmp6 or a number)");
	for (i = 0; i < sizeof(upper_names) / sizeof(upper_names[0]); i++)
		if (!strcmp(upper_names[i].name, lx->t.s))
			break;
	if (i < sizeof(upper_names) / sizeof(upper_names[0]))
		sel->proto = upper_names[i].proto;
	else if (parse_num(lx->t.s, 255, &v))
		sel->proto = v;
	else
		return expected(lx, "an upper-layer protocol (any, tcp, udp, icmp, icmp6 or a number)");
	if ((sel->sport || sel->dport) && !has_ports(sel->proto))
		return expected(lx, "tcp, udp or sctp (the selector has ports)");
	if (sel->proto != IPPROTO_ICMP && sel->proto != IPPROTO_ICMPV6)
		return next(lx);
	/* icmp [TYPE[,CODE]] */
	if (next(lx))
		return -1;
	if (lx->t.kind == T_WORD && isdigit((unsigned char)lx->t.s[0])) {
		char *comma = strchr(lx->t.s, ',');

		if (comma)
			*comma = 0;
		if (!parse_num(lx->t.s, 255, &v))
			return expected_in(lx, 0, "an ICMP type 0..255", lx->t.s);
		sel->icmp_type = v;
		if (comma) {
			if (!parse_num(comma + 1, 255, &v))
				return expected_in(lx, comma - lx->t.s + 1, "an ICMP code 0..255",
						   comma + 1);
			sel->icmp_code = v;
		}
		return next(lx);
	}
	return 0;
}

/* Splits "a/b/c/d" in place into at most 5 parts; returns the count. */
static int split(char *s, char sep, char **parts, int *offs, int max)
{
	int n = 0;
	char *base = s;

	parts[n] = s;
	offs[n++] = 0;
	for (; *s; s++) {
		if (*s != sep)
			continue;
		*s = 0;
		if (n == max)
			return n + 1;
		parts[n] = s + 1;
		offs[n++] = s + 1 - base;
	}
	return n;
}

/* PROTO/MODE/SRC-DST/LEVEL in the current word. */
static int parse_request(struct lex *lx, struct ktmpl *t)
{
	char *w = lx->t.s, *p[4], *lv;
	int o[4], n;
	uint64_t v;

	n = split(w, '/', p, o, 4);
	if (n > 4)
		return expected_in(lx, o[3] + strlen(p[3]), "';' or a space after the level",
				   "/");
	if (!strcmp(p[0], "esp"))
		t->proto = IPPROTO_ESP;
	else if (!strcmp(p[0], "ah"))
		t->proto = IPPROTO_AH;
	else if (!strcmp(p[0], "ipcomp"))
		return errat(lx, lx->t.line, lx->t.col,
			     "IPcomp is not supported by kipsec, found 'ipcomp'");
	else
		return expected_in(lx, 0, "esp or ah", p[0]);
	if (n < 2)
		return expected_in(lx, strlen(p[0]), "/transport or /tunnel", "");
	if (!strcmp(p[1], "transport"))
		t->mode = KIPSEC_MODE_TRANSPORT;
	else if (!strcmp(p[1], "tunnel"))
		t->mode = KIPSEC_MODE_TUNNEL;
	else
		return expected_in(lx, o[1], "transport or tunnel", p[1]);
	t->level = KIPSEC_LEVEL_REQUIRE;
	if (n >= 3 && p[2][0]) {
		char *dash = strchr(p[2], '-');

		if (!dash)
			return expected_in(lx, o[2], "tunnel endpoints SRC-DST", p[2]);
		*dash = 0;
		if (parse_addr_word(lx, p[2], o[2], &t->src, NULL, NULL, 0) ||
		    parse_addr_word(lx, dash + 1, o[2] + (dash + 1 - p[2]), &t->dst, NULL,
				    NULL, t->src.family))
			return -1;
	} else if (t->mode == KIPSEC_MODE_TUNNEL) {
		return expected_in(lx, n >= 3 ? o[2] : (int)strlen(w),
				   "tunnel endpoints SRC-DST after tunnel/", n >= 3 ? "/" : "");
	}
	if (n < 4 || !p[3][0])
		return 0;
	lv = p[3];
	if (!strcmp(lv, "default") || !strcmp(lv, "require"))
		t->level = KIPSEC_LEVEL_REQUIRE;
	else if (!strcmp(lv, "use"))
		t->level = KIPSEC_LEVEL_USE;
	else if (!strcmp(lv, "unique"))
		t->level = KIPSEC_LEVEL_UNIQUE;
	else if (!strncmp(lv, "unique:", 7)) {
		if (!parse_num(lv + 7, 0xffffffffULL, &v) || !v)
			return expected_in(lx, o[3] + 7, "a reqid 1..4294967295", lv + 7);
		t->level = KIPSEC_LEVEL_UNIQUE;
		t->reqid = v;
	} else {
		return expected_in(lx, o[3], "default, use, require or unique[:ID]", lv);
	}
	return 0;
}

static int parse_prio(struct lex *lx, struct ksp *sp)
{
	static const struct { const char *n; uint32_t v; } base[] = {
		{ "high", 0x40000 }, { "def", 0x80000 }, { "low", 0xc0000 },
	};
	uint64_t v;

	if (next(lx))
		return -1;
	sp->has_priority = true;
	if (lx->t.kind == T_WORD && parse_num(lx->t.s, 0xffffffffULL, &v)) {
		sp->priority = v;
		return next(lx);
	}
	for (size_t i = 0; i < 3; i++) {
		if (!is_word(lx, base[i].n))
			continue;
		sp->priority = base[i].v;
		if (next(lx))
			return -1;
		if (is_word(lx, "+") || is_word(lx, "-")) {
			bool minus = lx->t.s[0] == '-';

			if (next(lx))
				return -1;
			if (lx->t.kind != T_WORD || !parse_num(lx->t.s, 0x3ffff, &v))
				return expected(lx, "a priority offset 0..262143");
			sp->priority = minus ? sp->priority - v : sp->priority + v;
			return next(lx);
		}
		return 0;
	}
	return expected(lx, "a priority (a number, or high, def or low [+|- OFFSET])");
}

/* -P DIR [prio ...] discard|none|ipsec REQUEST...;  (policy optional for spddelete) */
static int parse_policy(struct lex *lx, struct ksp *sp, bool policy_optional)
{
	if (!is_word(lx, "-P"))
		return expected(lx, "-P");
	if (next(lx))
		return -1;
	if (is_word(lx, "in"))
		sp->dir = KIPSEC_DIR_IN;
	else if (is_word(lx, "out"))
		sp->dir = KIPSEC_DIR_OUT;
	else if (is_word(lx, "fwd"))
		sp->dir = KIPSEC_DIR_FWD;
	else
		return expected(lx, "a direction (in, out or fwd)");
	if (next(lx))
		return -1;
	if (policy_optional && lx->t.kind == T_SEMI)
		return 0;
	if (is_word(lx, "prio") || is_word(lx, "priority"))
		if (parse_prio(lx, sp))
			return -1;
	if (is_word(lx, "discard")) {
		sp->action = KIPSEC_ACTION_DISCARD;
	} else if (is_word(lx, "none")) {
		sp->action = KIPSEC_ACTION_BYPASS;
	} else if (is_word(lx, "ipsec")) {
		sp->action = KIPSEC_ACTION_PROTECT;
		if (next(lx))
			return -1;
		while (lx->t.kind == T_WORD) {
			if (sp->ntmpl == 4)
				return expected(lx, "';' (at most 4 requests)");
			if (parse_request(lx, &sp->tmpl[sp->ntmpl++]) || next(lx))
				return -1;
		}
		if (!sp->ntmpl)
			return expected(lx, "a request like esp/transport//require");
		return expect_semi(lx);
	} else {
		return expected(lx, "discard, none or ipsec");
	}
	if (next(lx))
		return -1;
	return expect_semi(lx);
}

static int parse_spd(struct lex *lx, struct sk_stmt *st)
{
	struct ksp *sp = &st->sp;
	struct ksel *sel = &sp->sel;
	int family;

	sel->icmp_type = sel->icmp_code = -1;
	if (next(lx) || parse_family_opts(lx, &family))
		return -1;
	if (lx->t.kind != T_WORD)
		return expected(lx, "a source address range");
	if (parse_addr_word(lx, lx->t.s, 0, &sel->src, &sel->splen, &sel->sport, family))
		return -1;
	if (next(lx))
		return -1;
	if (lx->t.kind != T_WORD)
		return expected(lx, "a destination address range");
	if (parse_addr_word(lx, lx->t.s, 0, &sel->dst, &sel->dplen, &sel->dport,
			    sel->src.family))
		return -1;
	sel->family = sel->src.family;
	if (next(lx) || parse_upper(lx, sel))
		return -1;
	return parse_policy(lx, sp, st->op == SK_SPDDELETE);
}

/* ---- statements -------------------------------------------------------- */

static const struct {
	const char *name;
	enum sk_op op;
} cmds[] = {
	{ "add", SK_ADD }, { "update", SK_UPDATE }, { "get", SK_GET },
	{ "delete", SK_DELETE }, { "deleteall", SK_DELETEALL }, { "flush", SK_FLUSH },
	{ "dump", SK_DUMP }, { "spdadd", SK_SPDADD }, { "spdupdate", SK_SPDUPDATE },
	{ "spddelete", SK_SPDDELETE }, { "spdflush", SK_SPDFLUSH }, { "spddump", SK_SPDDUMP },
};

static int parse_stmt(struct lex *lx, struct sk_stmt *st)
{
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (is_word(lx, cmds[i].name))
			break;
	if (i == sizeof(cmds) / sizeof(cmds[0]))
		return expected(lx, "a command (add, update, get, delete, deleteall, flush, dump, spdadd, spdupdate, spddelete, spdflush, spddump)");
	memset(st, 0, sizeof(*st));
	st->op = cmds[i].op;
	st->line = lx->t.line;
	st->col = lx->t.col;
	switch (st->op) {
	case SK_ADD:
	case SK_UPDATE:
		return parse_add(lx, st);
	case SK_GET:
	case SK_DELETE:
	case SK_DELETEALL:
		return parse_sa_stmt(lx, st);
	case SK_FLUSH:
	case SK_DUMP:
		return parse_proto_filter(lx, st);
	case SK_SPDFLUSH:
	case SK_SPDDUMP:
		if (next(lx))
			return -1;
		return expect_semi(lx);
	default:
		return parse_spd(lx, st);
	}
}

static int prog_push(struct sk_prog *prog, struct sk_stmt **st)
{
	if (prog->n == prog->cap) {
		int cap = prog->cap ? 2 * prog->cap : 16;
		struct sk_stmt *v = realloc(prog->v, cap * sizeof(*v));

		if (!v)
			return -1;
		prog->v = v;
		prog->cap = cap;
	}
	*st = &prog->v[prog->n++];
	return 0;
}

int sk_parse(const char *fname, const char *text, size_t len, struct sk_prog *prog,
	     char *err, size_t errlen)
{
	struct lex lx = {
		.fname = fname, .p = text, .end = text + len, .line = 1, .col = 1,
		.err = err, .errlen = errlen,
	};
	struct sk_stmt *st;

	memset(prog, 0, sizeof(*prog));
	if (errlen)
		err[0] = 0;
	for (;;) {
		if (next(&lx))
			goto fail;
		if (lx.t.kind == T_EOF)
			return 0;
		if (lx.t.kind == T_SEMI)
			continue;	/* an empty statement */
		if (prog_push(prog, &st)) {
			errat(&lx, lx.t.line, lx.t.col, "out of memory");
			goto fail;
		}
		if (parse_stmt(&lx, st))
			goto fail;
	}
fail:
	sk_prog_free(prog);
	return -1;
}

void sk_prog_free(struct sk_prog *prog)
{
	free(prog->v);
	memset(prog, 0, sizeof(*prog));
}

/* ---- printing ---------------------------------------------------------- */

static void print_key(FILE *out, const struct ksa_alg *a)
{
	fputs(" 0x", out);
	for (int i = 0; i < a->keylen; i++)
		fprintf(out, "%02x", a->key[i]);
}

static void print_alg(FILE *out, const char *flag, const struct ksa_alg *a, int kind)
{
	const struct alg *sa = alg_by_kname(a->name, kind, a->bits);

	if (!sa) {
		/* No setkey name: say so in a comment-proof way the parser rejects. */
		fprintf(out, " %s unknown-algorithm(%s)", flag, a->name);
		return;
	}
	fprintf(out, " %s %s", flag, sa->name);
	if (sa->lens[0] || sa->lens[2] == -1)
		print_key(out, a);
}

void sk_print_sa(FILE *out, const struct ksa *sa)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

	fprintf(out, "add %s", ip_str(&sa->src, s, sizeof(s)));
	if (sa->has_encap)
		fprintf(out, "[%u]", sa->encap_sport);
	fprintf(out, " %s", ip_str(&sa->dst, d, sizeof(d)));
	if (sa->has_encap)
		fprintf(out, "[%u]", sa->encap_dport);
	fprintf(out, " %s 0x%x -m %s", sa->proto == IPPROTO_AH ? "ah" :
		sa->has_encap ? "esp-udp" : "esp", sa->spi,
		sa->mode == KIPSEC_MODE_TUNNEL ? "tunnel" : "transport");
	if (sa->reqid)
		fprintf(out, " -u %u", sa->reqid);
	if (sa->replay_window)
		fprintf(out, " -r %u", sa->replay_window);
	if (sa->lft.hard_add)
		fprintf(out, " -lh %llu", (unsigned long long)sa->lft.hard_add);
	if (sa->lft.soft_add)
		fprintf(out, " -ls %llu", (unsigned long long)sa->lft.soft_add);
	if (sa->lft.hard_bytes)
		fprintf(out, " -bh %llu", (unsigned long long)sa->lft.hard_bytes);
	if (sa->lft.soft_bytes)
		fprintf(out, " -bs %llu", (unsigned long long)sa->lft.soft_bytes);
	if (sa->aead.name[0])
		print_alg(out, "-E", &sa->aead, ALG_AEAD);
	if (sa->enc.name[0])
		print_alg(out, "-E", &sa->enc, ALG_ENC);
	/* ESP's implicit null digest (no -A) stays implicit; AH's is explicit. */
	if (sa->auth.name[0] && (sa->proto == IPPROTO_AH || strcmp(sa->auth.name, "digest_null")))
		print_alg(out, "-A", &sa->auth, ALG_AUTH);
	fputs(";\n", out);
}

static void print_range(FILE *out, const struct kaddr *a, int family, int plen, int port)
{
	char b[INET6_ADDRSTRLEN];
	struct kaddr any = { .family = family };

	fprintf(out, " %s/%d", ip_str(a->family ? a : &any, b, sizeof(b)), plen);
	if (port)
		fprintf(out, "[%d]", port);
}

void sk_print_sp(FILE *out, const struct ksp *sp)
{
	static const char *const dirs[] = { "in", "out", "fwd" };
	const struct ksel *sel = &sp->sel;
	int fam = sel->family ? sel->family : AF_INET;
	const char *up = upper_name(sel->proto);

	fputs("spdadd", out);
	print_range(out, &sel->src, fam, sel->splen, sel->sport);
	print_range(out, &sel->dst, fam, sel->dplen, sel->dport);
	if (up)
		fprintf(out, " %s", up);
	else
		fprintf(out, " %u", sel->proto);
	if ((sel->proto == IPPROTO_ICMP || sel->proto == IPPROTO_ICMPV6) && sel->icmp_type >= 0) {
		fprintf(out, " %d", sel->icmp_type);
		if (sel->icmp_code >= 0)
			fprintf(out, ",%d", sel->icmp_code);
	}
	fprintf(out, " -P %s", sp->dir <= KIPSEC_DIR_FWD ? dirs[sp->dir] : "?");
	if (sp->has_priority && sp->priority != 0x80000)
		fprintf(out, " prio %u", sp->priority);
	if (sp->action == KIPSEC_ACTION_DISCARD) {
		fputs(" discard;\n", out);
		return;
	}
	if (sp->action == KIPSEC_ACTION_BYPASS) {
		fputs(" none;\n", out);
		return;
	}
	fputs(" ipsec", out);
	for (int i = 0; i < sp->ntmpl; i++) {
		const struct ktmpl *t = &sp->tmpl[i];
		char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

		fprintf(out, " %s/%s/", t->proto == IPPROTO_AH ? "ah" : "esp",
			t->mode == KIPSEC_MODE_TUNNEL ? "tunnel" : "transport");
		if (t->mode == KIPSEC_MODE_TUNNEL && t->src.family)
			fprintf(out, "%s-%s", ip_str(&t->src, s, sizeof(s)),
				ip_str(&t->dst, d, sizeof(d)));
		if (t->level == KIPSEC_LEVEL_USE)
			fputs("/use", out);
		else if (t->level == KIPSEC_LEVEL_UNIQUE && t->reqid)
			fprintf(out, "/unique:%u", t->reqid);
		else if (t->level == KIPSEC_LEVEL_UNIQUE)
			fputs("/unique", out);
		else
			fputs("/require", out);
	}
	fputs(";\n", out);
}
