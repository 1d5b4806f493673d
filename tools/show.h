/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `kipsec show` / `kipsec status`: the SAD and SPD as a table or JSON.
 * The formatting takes plain arrays so the host unit tests can check it.
 */
#ifndef KIPSEC_TOOL_SHOW_H
#define KIPSEC_TOOL_SHOW_H

#include <stdio.h>
#include <time.h>
#include "req.h"

struct show_opts {
	bool json;
	bool stats;	/* -s: per-SA counters */
	time_t now;	/* for "left" and "ago" columns */
};

void show_state(FILE *out, const struct ksa *sa, int nsa, const struct ksp *sp, int nsp,
		const struct show_opts *o);

/* Shared by show.c and monitor.c. */
struct json;
const char *show_addr(const struct kaddr *a, char *buf, size_t len);
const char *show_sel(const struct ksel *sel, char *buf, size_t len);
const char *show_mode(uint8_t mode);
const char *show_dir(uint8_t dir);
void json_sa(struct json *j, const char *key, const struct ksa *sa, bool stats, time_t now);
void json_sp(struct json *j, const char *key, const struct ksp *sp);

/* Events for `kipsec monitor`. */
enum mon_kind { MON_ACQUIRE, MON_EXPIRE, MON_MAPPING, MON_SA_ADD, MON_SA_DEL,
		MON_SP_ADD, MON_SP_DEL, MON_FLUSH_SA, MON_FLUSH_SP };

struct mon_event {
	enum mon_kind kind;
	bool hard;		/* EXPIRE */
	struct ksa sa;		/* EXPIRE, MAPPING, SA_ADD/DEL */
	struct ksp sp;		/* ACQUIRE (selector, template), SP_ADD/DEL */
	struct kaddr new_src;	/* MAPPING */
	uint16_t new_sport;	/* MAPPING */
};

/* One line per event; JSON lines with json. */
void monitor_print(FILE *out, const struct mon_event *ev, bool json, time_t now);

/*
 * Receives kernel events until cb returns non-zero or an error; implemented
 * with the kernel backend (setkey_kernel.c on top of req_nl.c).
 */
int monitor_listen(int (*cb)(const struct mon_event *ev, void *arg), void *arg,
		   char *err, size_t errlen);

#endif
