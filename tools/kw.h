/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Keyword parsing shared by `kipsec sa` and `kipsec sp` (ip xfrm style).
 * Every helper prints "kipsec WHAT: ..." naming the keyword, the value and
 * what was expected, and returns -1 on bad input.
 */
#ifndef KIPSEC_TOOL_KW_H
#define KIPSEC_TOOL_KW_H

#include <stdint.h>
#include <stdio.h>
#include "req.h"

extern const char *kw_what;	/* "sa add", ...: prefix of messages */

#define kw_err(fmt, ...) fprintf(stderr, "kipsec %s: " fmt "\n", kw_what, ##__VA_ARGS__)

/* Exit status for a netlink request's result; on failure prints the kernel's
 * extack text ERR (may be empty) and the errno text. */
int kw_report(int ret, const char *err);
int kw_num(const char *kw, const char *val, uint64_t min, uint64_t max, uint64_t *out);
int kw_addr(const char *kw, const char *val, struct kaddr *a, uint8_t *plen);
int kw_proto(const char *kw, const char *val, uint8_t *proto);
const char *proto_name(uint8_t proto, char *buf, size_t len);
/* argv[*i] is a keyword needing n values: checks they are there. */
int kw_need(int argc, char **argv, int i, int n);
/* Parses "sel"-style selector keywords at argv[*i] (src, dst, proto, sport,
 * dport, type, code); returns 1 if it consumed one, 0 if not a selector
 * keyword, -1 on error. */
int kw_sel(int argc, char **argv, int *i, struct ksel *sel);
/* Checks and completes a selector (families agree, ports need a protocol). */
int kw_sel_finish(struct ksel *sel, int default_family);
void sel_print(const struct ksel *sel, FILE *out);
void sel_json(const struct ksel *sel, FILE *out);

#endif
