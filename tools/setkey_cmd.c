// SPDX-License-Identifier: GPL-2.0
/*
 * `kipsec setkey`: the ipsec-tools setkey(8) command line.
 *   -f FILE   load a file        -c    read commands from stdin
 *   -n        parse and check only, touch nothing (works without the module)
 *   -D / -DP  print the SAD / SPD as statements that load back unchanged
 *   -F / -FP  flush the SAD / SPD
 * Exit codes: 0 ok, 1 runtime error (a bad file or a kernel refusal), 2 usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "kipsec.h"
#include "setkey.h"

static int set_mode(struct sk_args *a, enum sk_mode m, const char *flag, char *err, size_t len)
{
	if (a->mode != SK_M_NONE) {
		snprintf(err, len, "%s cannot be combined with another of -f, -c, -D, -DP, -F, -FP",
			 flag);
		return -1;
	}
	a->mode = m;
	return 0;
}

int sk_parse_args(int argc, char **argv, struct sk_args *a, char *err, size_t len)
{
	bool policy = false;	/* -P after -D or -F */

	memset(a, 0, sizeof(*a));
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];
		int r = 0;

		if (!strcmp(o, "-f")) {
			if (i + 1 >= argc) {
				snprintf(err, len, "-f needs a file name");
				return -1;
			}
			r = set_mode(a, SK_M_FILE, o, err, len);
			a->file = argv[++i];
		} else if (!strcmp(o, "-c")) {
			r = set_mode(a, SK_M_STDIN, o, err, len);
		} else if (!strcmp(o, "-n")) {
			a->dry_run = true;
		} else if (!strcmp(o, "-v")) {
			a->verbose = true;
		} else if (!strcmp(o, "-D") || !strcmp(o, "-DP")) {
			r = set_mode(a, o[2] ? SK_M_DUMP_SP : SK_M_DUMP_SA, o, err, len);
		} else if (!strcmp(o, "-F") || !strcmp(o, "-FP")) {
			r = set_mode(a, o[2] ? SK_M_FLUSH_SP : SK_M_FLUSH_SA, o, err, len);
		} else if (!strcmp(o, "-P")) {
			policy = true;
		} else {
			snprintf(err, len, "unknown option '%s' (expected -f FILE, -c, -n, -v, -D, -DP, -F or -FP)",
				 o);
			return -1;
		}
		if (r)
			return -1;
	}
	if (policy) {
		if (a->mode == SK_M_DUMP_SA)
			a->mode = SK_M_DUMP_SP;
		else if (a->mode == SK_M_FLUSH_SA)
			a->mode = SK_M_FLUSH_SP;
		else {
			snprintf(err, len, "-P goes with -D or -F");
			return -1;
		}
	}
	if (a->mode == SK_M_NONE) {
		snprintf(err, len, "expected one of -f FILE, -c, -D, -DP, -F, -FP");
		return -1;
	}
	if (a->dry_run && a->mode != SK_M_FILE && a->mode != SK_M_STDIN) {
		snprintf(err, len, "-n goes with -f or -c");
		return -1;
	}
	return 0;
}

static char *read_all(FILE *f, size_t *len)
{
	size_t cap = 1 << 16, n = 0, r;
	char *buf = malloc(cap);

	while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			char *nb = realloc(buf, cap *= 2);

			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
	}
	*len = n;
	return buf;
}

/* Keys in a file others can read are a leak: say so, loudly, but go on. */
static void check_perms(const char *path, const struct sk_prog *p)
{
	struct stat st;
	bool keys = false;

	for (int i = 0; i < p->n; i++)
		keys |= p->v[i].op == SK_ADD || p->v[i].op == SK_UPDATE;
	if (keys && !stat(path, &st) && (st.st_mode & 077))
		fprintf(stderr, "kipsec setkey: warning: %s holds keys but is readable by "
			"group/others (mode %03o); run chmod 600 %s\n", path,
			st.st_mode & 0777, path);
}

static int run_text(const struct sk_args *a)
{
	const char *name = a->mode == SK_M_FILE ? a->file : "<stdin>";
	FILE *f = a->mode == SK_M_FILE ? fopen(a->file, "r") : stdin;
	const struct sk_ops *ops;
	struct sk_prog prog;
	char err[1024];
	size_t len;
	char *text;
	int ret;

	if (!f) {
		fprintf(stderr, "kipsec setkey: %s: %s\n", name, strerror(errno));
		return EXIT_RUNTIME;
	}
	text = read_all(f, &len);
	if (f != stdin)
		fclose(f);
	if (!text) {
		fprintf(stderr, "kipsec setkey: %s: out of memory\n", name);
		return EXIT_RUNTIME;
	}
	ret = sk_parse(name, text, len, &prog, err, sizeof(err));
	free(text);
	if (ret) {
		fprintf(stderr, "%s\n", err);
		return EXIT_RUNTIME;
	}
	if (a->mode == SK_M_FILE)
		check_perms(a->file, &prog);
	if (a->dry_run) {
		if (a->verbose)
			printf("%s: %d statements parse and check\n", name, prog.n);
		sk_prog_free(&prog);
		return EXIT_OK;
	}
	ops = sk_kernel_ops(err, sizeof(err));
	if (!ops) {
		fprintf(stderr, "kipsec setkey: %s\n", err);
		sk_prog_free(&prog);
		return EXIT_RUNTIME;
	}
	ret = sk_apply(name, &prog, ops, stdout, err, sizeof(err));
	if (ret)
		fprintf(stderr, "%s\n", err);
	else if (a->verbose)
		printf("%s: %d statements applied\n", name, prog.n);
	sk_prog_free(&prog);
	sk_kernel_close();
	return ret ? EXIT_RUNTIME : EXIT_OK;
}

int cmd_setkey(int argc, char **argv)
{
	static const char *const stmt[] = {
		[SK_M_DUMP_SA] = "dump;", [SK_M_DUMP_SP] = "spddump;",
		[SK_M_FLUSH_SA] = "flush;", [SK_M_FLUSH_SP] = "spdflush;",
	};
	const struct sk_ops *ops;
	struct sk_prog prog;
	struct sk_args a;
	char err[1024];
	int ret;

	if (sk_parse_args(argc, argv, &a, err, sizeof(err))) {
		fprintf(stderr, "kipsec setkey: %s\n", err);
		cmd_usage(find_cmd("setkey"), 1);
		return EXIT_USAGE;
	}
	if (a.mode == SK_M_FILE || a.mode == SK_M_STDIN)
		return run_text(&a);
	/* -D, -DP, -F, -FP are the one-statement programs they stand for. */
	if (sk_parse("<command line>", stmt[a.mode], strlen(stmt[a.mode]), &prog, err,
		     sizeof(err)))
		return EXIT_RUNTIME;
	ops = sk_kernel_ops(err, sizeof(err));
	if (!ops) {
		fprintf(stderr, "kipsec setkey: %s\n", err);
		sk_prog_free(&prog);
		return EXIT_RUNTIME;
	}
	ret = sk_apply("kipsec setkey", &prog, ops, stdout, err, sizeof(err));
	if (ret)
		fprintf(stderr, "%s\n", err);
	sk_prog_free(&prog);
	sk_kernel_close();
	return ret ? EXIT_RUNTIME : EXIT_OK;
}
