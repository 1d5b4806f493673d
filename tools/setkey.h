/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The setkey front end: the ipsec-tools setkey(8) grammar parsed into
 * struct ksa / struct ksp (req.h), applied as one transaction, and printed
 * back in the same grammar.
 *
 * The parser does no I/O and never touches the kernel, so the unit tests and
 * the fuzzer drive it directly; applying goes through struct sk_ops so the
 * rollback logic can be tested on the host with a fake kernel.
 */
#ifndef KIPSEC_TOOL_SETKEY_H
#define KIPSEC_TOOL_SETKEY_H

#include <stddef.h>
#include <stdio.h>
#include "req.h"

enum sk_op {
	SK_ADD,
	SK_UPDATE,
	SK_GET,
	SK_DELETE,
	SK_DELETEALL,
	SK_FLUSH,
	SK_DUMP,
	SK_SPDADD,
	SK_SPDUPDATE,
	SK_SPDDELETE,
	SK_SPDFLUSH,
	SK_SPDDUMP,
};

/* One statement of a setkey file. */
struct sk_stmt {
	enum sk_op op;
	int line, col;		/* where the statement starts, 1-based */
	uint8_t proto;		/* flush/dump/deleteall filter, 0 = all */
	struct ksa sa;		/* add, update, get, delete, deleteall */
	struct ksp sp;		/* spdadd, spdupdate, spddelete */
};

struct sk_prog {
	struct sk_stmt *v;
	int n, cap;
};

/*
 * Parses text (len bytes, need not be NUL-terminated) named fname in
 * messages.  Returns 0, or -1 with "FILE:LINE:COL: ..." in err; on error
 * prog holds nothing that needs applying (sk_prog_free() it either way).
 */
int sk_parse(const char *fname, const char *text, size_t len,
	     struct sk_prog *prog, char *err, size_t errlen);
void sk_prog_free(struct sk_prog *prog);

/* What applying needs from the kernel; each returns 0 or -errno with the
 * kernel's reason in err. */
struct sk_ops {
	int (*sa_add)(void *ctx, const struct ksa *sa, bool update, char *err, size_t len);
	int (*sa_del)(void *ctx, const struct ksa *sa, char *err, size_t len);
	int (*sa_get)(void *ctx, struct ksa *sa, char *err, size_t len);
	int (*sa_flush)(void *ctx, uint8_t proto, char *err, size_t len);
	/* Calls cb for every SA (proto 0 = all); cb returns 0 to go on. */
	int (*sa_dump)(void *ctx, uint8_t proto,
		       int (*cb)(const struct ksa *sa, void *arg), void *arg,
		       char *err, size_t len);
	int (*sp_add)(void *ctx, const struct ksp *sp, bool update, char *err, size_t len);
	int (*sp_del)(void *ctx, const struct ksp *sp, char *err, size_t len);
	int (*sp_flush)(void *ctx, char *err, size_t len);
	int (*sp_dump)(void *ctx, int (*cb)(const struct ksp *sp, void *arg), void *arg,
		       char *err, size_t len);
	void *ctx;
};

/*
 * Applies a parsed program.  Additions are undone when a later statement
 * fails (flushes and deletions cannot be undone: the kernel has no
 * transaction, so a file mixing them stops at the failing line).  get/dump
 * output goes to out.  Returns 0, or -1 with "FILE:LINE:COL: ..." in err.
 */
int sk_apply(const char *fname, const struct sk_prog *prog, const struct sk_ops *ops,
	     FILE *out, char *err, size_t errlen);

/* The command line of `kipsec setkey`, as ipsec-tools setkey(8) has it. */
enum sk_mode { SK_M_NONE, SK_M_FILE, SK_M_STDIN, SK_M_DUMP_SA, SK_M_DUMP_SP,
	       SK_M_FLUSH_SA, SK_M_FLUSH_SP };

struct sk_args {
	enum sk_mode mode;
	const char *file;	/* -f FILE */
	bool dry_run;		/* -n: parse and check only */
	bool verbose;		/* -v */
};

/* argv[0] is "setkey".  Returns 0, or -1 with the reason in err. */
int sk_parse_args(int argc, char **argv, struct sk_args *a, char *err, size_t errlen);

/* The kernel behind struct sk_ops (req_nl.c); NULL with err set when the
 * module cannot be reached. */
const struct sk_ops *sk_kernel_ops(char *err, size_t errlen);
void sk_kernel_close(void);

/* Prints one SA / SP as a statement that sk_parse() reads back. */
void sk_print_sa(FILE *out, const struct ksa *sa);
void sk_print_sp(FILE *out, const struct ksp *sp);

/* setkey name <-> kernel crypto API name, NULL when unknown. */
const char *sk_alg_kernel_name(const char *setkey_name);
const char *sk_alg_setkey_name(const char *kernel_name);

#endif
