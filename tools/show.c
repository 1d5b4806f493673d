// SPDX-License-Identifier: GPL-2.0
/*
 * `kipsec show` / `kipsec status`: what the kernel holds, readable.
 * SAs: SPI, mode, endpoints, algorithms (never keys: `setkey -D` is the one
 * listing that prints keys, as setkey does), bytes/packets, lifetime left,
 * replay window and sequence numbers, time since first use.
 * Policies: direction, selector, action, templates, priority, hits.
 * The JSON schema is documented in Documentation/kipsec.8.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "json.h"
#include "kipsec.h"
#include "setkey.h"
#include "show.h"

const char *show_addr(const struct kaddr *a, char *buf, size_t len)
{
	if (!a->family || !inet_ntop(a->family, a->b, buf, len))
		snprintf(buf, len, "any");
	return buf;
}

static const char *proto_name(uint8_t p)
{
	switch (p) {
	case 0: return "any";
	case IPPROTO_ESP: return "esp";
	case IPPROTO_AH: return "ah";
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_ICMP: return "icmp";
	case IPPROTO_ICMPV6: return "icmp6";
	case IPPROTO_SCTP: return "sctp";
	default: return NULL;
	}
}

const char *show_mode(uint8_t mode)
{
	return mode == KIPSEC_MODE_TUNNEL ? "tunnel" : "transport";
}

const char *show_dir(uint8_t dir)
{
	static const char *const d[] = { "in", "out", "fwd" };

	return dir <= KIPSEC_DIR_FWD ? d[dir] : "?";
}

static const char *action_name(uint8_t a)
{
	static const char *const n[] = { "ipsec", "none", "discard" };

	return a <= KIPSEC_ACTION_DISCARD ? n[a] : "?";
}

static const char *level_name(uint8_t l)
{
	static const char *const n[] = { "require", "use", "unique" };

	return l <= KIPSEC_LEVEL_UNIQUE ? n[l] : "?";
}

/* "10.0.0.0/24[any] -> 10.0.1.0/24[80] tcp" */
const char *show_sel(const struct ksel *sel, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN], sp[12] = "", dp[12] = "", pr[8];
	const char *p = proto_name(sel->proto);
	struct kaddr zs = sel->src, zd = sel->dst;

	if (!zs.family)
		zs.family = sel->family ? sel->family : AF_INET;
	if (!zd.family)
		zd.family = zs.family;
	if (sel->sport)
		snprintf(sp, sizeof(sp), "[%u]", sel->sport);
	if (sel->dport)
		snprintf(dp, sizeof(dp), "[%u]", sel->dport);
	if (!p) {
		snprintf(pr, sizeof(pr), "%u", sel->proto);
		p = pr;
	}
	inet_ntop(zs.family, zs.b, s, sizeof(s));
	inet_ntop(zd.family, zd.b, d, sizeof(d));
	snprintf(buf, len, "%s/%u%s -> %s/%u%s %s", s, sel->splen, sp, d, sel->dplen, dp, p);
	return buf;
}

static const char *algs_str(const struct ksa *sa, char *buf, size_t len)
{
	bool auth = sa->auth.name[0] && strcmp(sa->auth.name, "digest_null");

	if (sa->aead.name[0])
		snprintf(buf, len, "%s/%d", sa->aead.name, sa->aead.bits);
	else if (auth && sa->enc.name[0])
		snprintf(buf, len, "%s+%s/%d", sa->enc.name, sa->auth.name, sa->auth.bits);
	else if (auth)
		snprintf(buf, len, "%s/%d", sa->auth.name, sa->auth.bits);
	else
		snprintf(buf, len, "%s", sa->enc.name[0] ? sa->enc.name : "-");
	return buf;
}

/* Seconds left of the hard add-time lifetime, -1 when none. */
static int64_t life_left(const struct ksa *sa, time_t now)
{
	int64_t left;

	if (!sa->lft.hard_add || !sa->cur.hard_add)
		return -1;
	left = (int64_t)sa->cur.hard_add + (int64_t)sa->lft.hard_add - (int64_t)now;
	return left < 0 ? 0 : left;
}

static void fmt_left(const struct ksa *sa, time_t now, char *buf, size_t len)
{
	int64_t l = life_left(sa, now);

	if (l >= 0)
		snprintf(buf, len, "%" PRId64 "s", l);
	else if (sa->lft.hard_bytes)
		snprintf(buf, len, "%" PRIu64 "B",
			 sa->lft.hard_bytes > sa->cur.hard_bytes ?
			 sa->lft.hard_bytes - sa->cur.hard_bytes : 0);
	else
		snprintf(buf, len, "-");
}

static void fmt_used(const struct ksa *sa, time_t now, char *buf, size_t len)
{
	if (!sa->cur.hard_use)
		snprintf(buf, len, "never");
	else
		snprintf(buf, len, "%llds ago",
			 (long long)(now > (time_t)sa->cur.hard_use ? now - (time_t)sa->cur.hard_use : 0));
}

static void table_sas(FILE *out, const struct ksa *v, int n, const struct show_opts *o)
{
	fprintf(out, "Security associations: %d\n", n);
	if (!n)
		return;
	fprintf(out, "%-5s %-10s %-9s %-33s %-5s %-32s %10s %8s %8s %-16s %s\n", "PROTO",
		"SPI", "MODE", "SRC -> DST", "REQID", "ALGORITHMS", "BYTES", "PACKETS",
		"LEFT", "REPLAY", "FIRST USE");
	for (int i = 0; i < n; i++) {
		const struct ksa *sa = &v[i];
		char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN], ends[96], alg[300];
		char left[24], used[32], replay[40];

		snprintf(ends, sizeof(ends), "%s -> %s", show_addr(&sa->src, s, sizeof(s)),
			 show_addr(&sa->dst, d, sizeof(d)));
		if (sa->replay_window)
			snprintf(replay, sizeof(replay), "%u in:%" PRIu64 " out:%" PRIu64,
				 sa->replay_window, sa->seq_in, sa->seq_out);
		else
			snprintf(replay, sizeof(replay), "off out:%" PRIu64, sa->seq_out);
		fmt_left(sa, o->now, left, sizeof(left));
		fmt_used(sa, o->now, used, sizeof(used));
		fprintf(out, "%-5s 0x%08x %-9s %-33s %-5u %-32s %10" PRIu64 " %8" PRIu64
			" %8s %-16s %s\n", sa->has_encap ? "esp-u" : proto_name(sa->proto),
			sa->spi, show_mode(sa->mode), ends, sa->reqid, algs_str(sa, alg, sizeof(alg)),
			sa->cur.hard_bytes, sa->cur.hard_packets, left, replay, used);
		if (sa->has_encap)
			fprintf(out, "      udp encap %u -> %u\n", sa->encap_sport, sa->encap_dport);
		if (o->stats)
			for (int c = 0; c < sa->ncounters; c++)
				fprintf(out, "      %-28s %" PRIu64 "\n", sa->counters[c].name,
					sa->counters[c].value);
	}
}

static void tmpl_str(const struct ktmpl *t, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

	if (t->mode == KIPSEC_MODE_TUNNEL)
		snprintf(buf, len, "%s/tunnel/%s-%s/%s", proto_name(t->proto),
			 show_addr(&t->src, s, sizeof(s)), show_addr(&t->dst, d, sizeof(d)),
			 level_name(t->level));
	else
		snprintf(buf, len, "%s/transport//%s", proto_name(t->proto), level_name(t->level));
	if (t->reqid)
		snprintf(buf + strlen(buf), len - strlen(buf), ":%u", t->reqid);
}

static void table_sps(FILE *out, const struct ksp *v, int n)
{
	fprintf(out, "Policies: %d\n", n);
	if (!n)
		return;
	fprintf(out, "%-5s %-4s %-52s %-8s %-8s %10s  %s\n", "ID", "DIR", "SELECTOR", "ACTION",
		"PRIO", "HITS", "TEMPLATES");
	for (int i = 0; i < n; i++) {
		const struct ksp *sp = &v[i];
		char sel[160], t[160];

		fprintf(out, "%-5u %-4s %-52s %-8s %-8u %10" PRIu64 " ", sp->id, show_dir(sp->dir),
			show_sel(&sp->sel, sel, sizeof(sel)), action_name(sp->action),
			sp->priority, sp->hits);
		for (int k = 0; k < sp->ntmpl; k++) {
			tmpl_str(&sp->tmpl[k], t, sizeof(t));
			fprintf(out, " %s", t);
		}
		fputc('\n', out);
	}
}

static void json_addr(struct json *j, const char *key, const struct kaddr *a)
{
	char b[INET6_ADDRSTRLEN];

	if (a->family)
		json_str(j, key, show_addr(a, b, sizeof(b)));
	else
		json_null(j, key);
}

static void json_alg(struct json *j, const char *key, const struct ksa_alg *a)
{
	if (!a->name[0]) {
		json_null(j, key);
		return;
	}
	json_obj_begin(j, key);
	json_str(j, "name", a->name);
	json_u64(j, "key_bits", (uint64_t)a->keylen * 8);
	json_u64(j, "icv_bits", a->bits);
	json_obj_end(j);
}

void json_sa(struct json *j, const char *key, const struct ksa *sa, bool stats, time_t now)
{
	json_obj_begin(j, key);
	json_str(j, "proto", proto_name(sa->proto));
	json_u64(j, "spi", sa->spi);
	json_str(j, "mode", show_mode(sa->mode));
	json_addr(j, "src", &sa->src);
	json_addr(j, "dst", &sa->dst);
	json_u64(j, "reqid", sa->reqid);
	json_bool(j, "esn", sa->flags & KIPSEC_SAF_ESN);
	json_u64(j, "replay_window", sa->replay_window);
	json_u64(j, "seq_out", sa->seq_out);
	json_u64(j, "seq_in", sa->seq_in);
	json_alg(j, "aead", &sa->aead);
	json_alg(j, "enc", &sa->enc);
	json_alg(j, "auth", &sa->auth);
	if (sa->has_encap) {
		json_obj_begin(j, "encap");
		json_u64(j, "sport", sa->encap_sport);
		json_u64(j, "dport", sa->encap_dport);
		json_obj_end(j);
	} else {
		json_null(j, "encap");
	}
	json_obj_begin(j, "lifetime");
	json_u64(j, "soft_bytes", sa->lft.soft_bytes);
	json_u64(j, "hard_bytes", sa->lft.hard_bytes);
	json_u64(j, "soft_packets", sa->lft.soft_packets);
	json_u64(j, "hard_packets", sa->lft.hard_packets);
	json_u64(j, "soft_add_seconds", sa->lft.soft_add);
	json_u64(j, "hard_add_seconds", sa->lft.hard_add);
	json_u64(j, "soft_use_seconds", sa->lft.soft_use);
	json_u64(j, "hard_use_seconds", sa->lft.hard_use);
	json_obj_end(j);
	json_u64(j, "bytes", sa->cur.hard_bytes);
	json_u64(j, "packets", sa->cur.hard_packets);
	json_u64(j, "add_time", sa->cur.hard_add);
	json_u64(j, "first_use_time", sa->cur.hard_use);
	json_i64(j, "seconds_left", life_left(sa, now));
	if (stats) {
		json_obj_begin(j, "counters");
		for (int c = 0; c < sa->ncounters; c++)
			json_u64(j, sa->counters[c].name, sa->counters[c].value);
		json_obj_end(j);
	}
	json_obj_end(j);
}

static void json_sel(struct json *j, const char *key, const struct ksel *sel)
{
	json_obj_begin(j, key);
	json_str(j, "family", sel->family == AF_INET6 ? "inet6" : "inet");
	json_addr(j, "src", &sel->src);
	json_u64(j, "src_plen", sel->splen);
	json_addr(j, "dst", &sel->dst);
	json_u64(j, "dst_plen", sel->dplen);
	json_u64(j, "proto", sel->proto);
	json_u64(j, "sport", sel->sport);
	json_u64(j, "dport", sel->dport);
	json_obj_end(j);
}

void json_sp(struct json *j, const char *key, const struct ksp *sp)
{
	json_obj_begin(j, key);
	json_u64(j, "id", sp->id);
	json_str(j, "dir", show_dir(sp->dir));
	json_str(j, "action", action_name(sp->action));
	json_u64(j, "priority", sp->priority);
	json_sel(j, "selector", &sp->sel);
	json_arr_begin(j, "templates");
	for (int k = 0; k < sp->ntmpl; k++) {
		const struct ktmpl *t = &sp->tmpl[k];

		json_obj_begin(j, NULL);
		json_str(j, "proto", proto_name(t->proto));
		json_str(j, "mode", show_mode(t->mode));
		json_addr(j, "src", &t->src);
		json_addr(j, "dst", &t->dst);
		json_str(j, "level", level_name(t->level));
		json_u64(j, "reqid", t->reqid);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_u64(j, "hits", sp->hits);
	json_obj_end(j);
}

void show_state(FILE *out, const struct ksa *sa, int nsa, const struct ksp *sp, int nsp,
		const struct show_opts *o)
{
	struct json j;

	if (!o->json) {
		table_sas(out, sa, nsa, o);
		fputc('\n', out);
		table_sps(out, sp, nsp);
		return;
	}
	json_init(&j, out);
	json_obj_begin(&j, NULL);
	json_arr_begin(&j, "sas");
	for (int i = 0; i < nsa; i++)
		json_sa(&j, NULL, &sa[i], o->stats, o->now);
	json_arr_end(&j);
	json_arr_begin(&j, "policies");
	for (int i = 0; i < nsp; i++)
		json_sp(&j, NULL, &sp[i]);
	json_arr_end(&j);
	json_obj_end(&j);
	json_end(&j);
}

/* ---- the command ---- */

struct collect {
	struct ksa *sa;
	struct ksp *sp;
	int nsa, nsp;
};

static int add_sa(const struct ksa *sa, void *arg)
{
	struct collect *c = arg;
	struct ksa *v = realloc(c->sa, (c->nsa + 1) * sizeof(*v));

	if (!v)
		return -1;
	c->sa = v;
	c->sa[c->nsa++] = *sa;
	return 0;
}

static int add_sp(const struct ksp *sp, void *arg)
{
	struct collect *c = arg;
	struct ksp *v = realloc(c->sp, (c->nsp + 1) * sizeof(*v));

	if (!v)
		return -1;
	c->sp = v;
	c->sp[c->nsp++] = *sp;
	return 0;
}

int cmd_show(int argc, char **argv)
{
	struct show_opts o = { opts.json, opts.stats, time(NULL) };
	struct collect c = { 0 };
	const struct sk_ops *ops;
	char err[512];
	int ret;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-j")) {
			o.json = true;
		} else if (!strcmp(argv[i], "-s")) {
			o.stats = true;
		} else {
			fprintf(stderr, "kipsec %s: unknown argument '%s' (expected -j or -s)\n",
				argv[0], argv[i]);
			return EXIT_USAGE;
		}
	}
	ops = sk_kernel_ops(err, sizeof(err));
	if (!ops) {
		fprintf(stderr, "kipsec %s: %s\n", argv[0], err);
		return EXIT_RUNTIME;
	}
	ret = ops->sa_dump(ops->ctx, 0, add_sa, &c, err, sizeof(err));
	if (!ret)
		ret = ops->sp_dump(ops->ctx, add_sp, &c, err, sizeof(err));
	if (ret)
		fprintf(stderr, "kipsec %s: %s\n", argv[0], err);
	else
		show_state(stdout, c.sa, c.nsa, c.sp, c.nsp, &o);
	free(c.sa);
	free(c.sp);
	sk_kernel_close();
	return ret ? EXIT_RUNTIME : EXIT_OK;
}
