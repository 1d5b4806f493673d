// SPDX-License-Identifier: GPL-2.0
/*
 * `kipsec monitor`: kernel events as they happen, one line each, or one JSON
 * document per line with -j.  Lines start with a timestamp and the event
 * name so they can be grepped: ACQUIRE, EXPIRE (soft/hard), MAPPING,
 * SA-ADD, SA-DEL, SP-ADD, SP-DEL, SA-FLUSH, SP-FLUSH.
 */
#include <stdlib.h>
#include <string.h>
#include "json.h"
#include "kipsec.h"
#include "show.h"

static const char *const kind_names[] = {
	[MON_ACQUIRE] = "ACQUIRE", [MON_EXPIRE] = "EXPIRE", [MON_MAPPING] = "MAPPING",
	[MON_SA_ADD] = "SA-ADD", [MON_SA_DEL] = "SA-DEL", [MON_SP_ADD] = "SP-ADD",
	[MON_SP_DEL] = "SP-DEL", [MON_FLUSH_SA] = "SA-FLUSH", [MON_FLUSH_SP] = "SP-FLUSH",
};

static void text_sa(FILE *out, const struct ksa *sa)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

	fprintf(out, " %s spi 0x%08x %s %s -> %s", sa->proto == IPPROTO_AH ? "ah" : "esp",
		sa->spi, show_mode(sa->mode), show_addr(&sa->src, s, sizeof(s)),
		show_addr(&sa->dst, d, sizeof(d)));
	if (sa->reqid)
		fprintf(out, " reqid %u", sa->reqid);
}

static void text_sp(FILE *out, const struct ksp *sp)
{
	char sel[160];

	fprintf(out, " %s %s", show_dir(sp->dir), show_sel(&sp->sel, sel, sizeof(sel)));
	if (sp->id)
		fprintf(out, " id %u", sp->id);
}

void monitor_print(FILE *out, const struct mon_event *ev, bool json, time_t now)
{
	char b[INET6_ADDRSTRLEN];
	struct json j;

	if (json) {
		json_init(&j, out);
		json_obj_begin(&j, NULL);
		json_u64(&j, "time", now);
		json_str(&j, "event", kind_names[ev->kind]);
		switch (ev->kind) {
		case MON_EXPIRE:
			json_str(&j, "limit", ev->hard ? "hard" : "soft");
			json_sa(&j, "sa", &ev->sa, false, now);
			break;
		case MON_MAPPING:
			json_sa(&j, "sa", &ev->sa, false, now);
			json_str(&j, "new_src", show_addr(&ev->new_src, b, sizeof(b)));
			json_u64(&j, "new_sport", ev->new_sport);
			break;
		case MON_SA_ADD:
		case MON_SA_DEL:
			json_sa(&j, "sa", &ev->sa, false, now);
			break;
		case MON_ACQUIRE:
		case MON_SP_ADD:
		case MON_SP_DEL:
			json_sp(&j, "policy", &ev->sp);
			break;
		default:
			break;
		}
		json_obj_end(&j);
		json_end(&j);
		return;
	}
	fprintf(out, "%lld %s", (long long)now, kind_names[ev->kind]);
	switch (ev->kind) {
	case MON_EXPIRE:
		fprintf(out, " %s", ev->hard ? "hard" : "soft");
		text_sa(out, &ev->sa);
		break;
	case MON_MAPPING:
		text_sa(out, &ev->sa);
		fprintf(out, " new source %s port %u", show_addr(&ev->new_src, b, sizeof(b)),
			ev->new_sport);
		break;
	case MON_SA_ADD:
	case MON_SA_DEL:
		text_sa(out, &ev->sa);
		break;
	case MON_ACQUIRE:
	case MON_SP_ADD:
	case MON_SP_DEL:
		text_sp(out, &ev->sp);
		break;
	default:
		break;
	}
	fputc('\n', out);
	fflush(out);
}

struct mon_state {
	bool json;
	long count;	/* stop after this many events, 0 = never */
	long seen;
};

static int on_event(const struct mon_event *ev, void *arg)
{
	struct mon_state *m = arg;

	monitor_print(stdout, ev, m->json, time(NULL));
	return m->count && ++m->seen >= m->count;
}

int cmd_monitor(int argc, char **argv)
{
	struct mon_state m = { opts.json, 0, 0 };
	char err[512], *end;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-j")) {
			m.json = true;
		} else if (!strcmp(argv[i], "-c") && i + 1 < argc) {
			m.count = strtol(argv[++i], &end, 10);
			if (*end || m.count <= 0) {
				fprintf(stderr, "kipsec monitor: -c expects a positive count, found '%s'\n",
					argv[i]);
				return EXIT_USAGE;
			}
		} else {
			fprintf(stderr, "kipsec monitor: unknown argument '%s' (expected -j or -c COUNT)\n",
				argv[i]);
			return EXIT_USAGE;
		}
	}
	if (monitor_listen(on_event, &m, err, sizeof(err))) {
		fprintf(stderr, "kipsec monitor: %s\n", err);
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}
