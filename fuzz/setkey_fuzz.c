// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the setkey parser.  Any input must either fail with a
 * "NAME:LINE:COL: " message or parse; what parses must print as statements
 * that parse again and print identically (the -D/-DP round trip).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "setkey.h"

static char *print_prog(const struct sk_prog *p, size_t *len)
{
	char *t = NULL;
	FILE *f = open_memstream(&t, len);

	for (int i = 0; i < p->n; i++)
		if (p->v[i].op == SK_ADD || p->v[i].op == SK_UPDATE)
			sk_print_sa(f, &p->v[i].sa);
		else if (p->v[i].op == SK_SPDADD || p->v[i].op == SK_SPDUPDATE)
			sk_print_sp(f, &p->v[i].sp);
	fclose(f);
	return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sk_prog p, q;
	char err[1024], *t1, *t2;
	size_t l1, l2;

	if (sk_parse("f", (const char *)data, size, &p, err, sizeof(err))) {
		if (strncmp(err, "f:", 2) || p.n || p.v)
			abort();
		return 0;
	}
	t1 = print_prog(&p, &l1);
	if (sk_parse("dump", t1, l1, &q, err, sizeof(err))) {
		fprintf(stderr, "printed statements do not parse: %s\n%s", err, t1);
		abort();
	}
	t2 = print_prog(&q, &l2);
	if (l1 != l2 || memcmp(t1, t2, l1)) {
		fprintf(stderr, "round trip differs:\n%s---\n%s", t1, t2);
		abort();
	}
	free(t1);
	free(t2);
	sk_prog_free(&p);
	sk_prog_free(&q);
	return 0;
}
