// SPDX-License-Identifier: GPL-2.0
/*
 * Applying a parsed setkey file as one transaction, as far as the kernel
 * allows.  The kernel has no multi-message transaction, so:
 *  - a file of additions only is undone by deleting what was added so far;
 *  - a file that also flushes, deletes or updates first snapshots the SAD and
 *    SPD, and on failure flushes both and puts the snapshot back.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "setkey.h"

struct snap {
	struct ksa *sa;
	int nsa, capsa;
	struct ksp *sp;
	int nsp, capsp;
	uint8_t proto;		/* dump filter for collect_sa */
	const struct ksa *match;	/* deleteall filter */
};

static int grow(void **v, int *cap, int n, size_t sz)
{
	void *nv;
	int ncap;

	if (n < *cap)
		return 0;
	ncap = *cap ? 2 * *cap : 16;
	nv = realloc(*v, ncap * sz);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = ncap;
	return 0;
}

static bool same_addr(const struct kaddr *a, const struct kaddr *b)
{
	return a->family == b->family &&
	       !memcmp(a->b, b->b, a->family == AF_INET ? 4 : 16);
}

static int collect_sa(const struct ksa *sa, void *arg)
{
	struct snap *s = arg;

	if (s->proto && sa->proto != s->proto)
		return 0;
	if (s->match && (!same_addr(&sa->src, &s->match->src) ||
			 !same_addr(&sa->dst, &s->match->dst)))
		return 0;
	if (grow((void **)&s->sa, &s->capsa, s->nsa, sizeof(*sa)))
		return -ENOMEM;
	s->sa[s->nsa++] = *sa;
	return 0;
}

static int collect_sp(const struct ksp *sp, void *arg)
{
	struct snap *s = arg;

	if (grow((void **)&s->sp, &s->capsp, s->nsp, sizeof(*sp)))
		return -ENOMEM;
	s->sp[s->nsp++] = *sp;
	return 0;
}

static void snap_free(struct snap *s)
{
	free(s->sa);
	free(s->sp);
	memset(s, 0, sizeof(*s));
}

struct printer {
	FILE *out;
	uint8_t proto;
};

static int print_sa_cb(const struct ksa *sa, void *arg)
{
	struct printer *p = arg;

	if (!p->proto || p->proto == sa->proto)
		sk_print_sa(p->out, sa);
	return 0;
}

static int print_sp_cb(const struct ksp *sp, void *arg)
{
	sk_print_sp(((struct printer *)arg)->out, sp);
	return 0;
}

static bool destructive(const struct sk_prog *prog)
{
	for (int i = 0; i < prog->n; i++)
		switch (prog->v[i].op) {
		case SK_UPDATE:
		case SK_DELETE:
		case SK_DELETEALL:
		case SK_FLUSH:
		case SK_SPDUPDATE:
		case SK_SPDDELETE:
		case SK_SPDFLUSH:
			return true;
		default:
			break;
		}
	return false;
}

static int deleteall(const struct sk_ops *ops, const struct sk_stmt *st, char *kerr, size_t len)
{
	struct snap s = { .proto = st->sa.proto, .match = &st->sa };
	int ret;

	ret = ops->sa_dump(ops->ctx, st->sa.proto, collect_sa, &s, kerr, len);
	for (int i = 0; !ret && i < s.nsa; i++)
		ret = ops->sa_del(ops->ctx, &s.sa[i], kerr, len);
	snap_free(&s);
	return ret;
}

static int run_stmt(const struct sk_ops *ops, const struct sk_stmt *st, FILE *out,
		    char *kerr, size_t len)
{
	struct printer p = { out, st->proto };
	struct ksa sa;
	int ret;

	switch (st->op) {
	case SK_ADD:
	case SK_UPDATE:
		return ops->sa_add(ops->ctx, &st->sa, st->op == SK_UPDATE, kerr, len);
	case SK_GET:
		sa = st->sa;
		ret = ops->sa_get(ops->ctx, &sa, kerr, len);
		if (!ret)
			sk_print_sa(out, &sa);
		return ret;
	case SK_DELETE:
		return ops->sa_del(ops->ctx, &st->sa, kerr, len);
	case SK_DELETEALL:
		return deleteall(ops, st, kerr, len);
	case SK_FLUSH:
		return ops->sa_flush(ops->ctx, st->proto, kerr, len);
	case SK_DUMP:
		return ops->sa_dump(ops->ctx, st->proto, print_sa_cb, &p, kerr, len);
	case SK_SPDADD:
	case SK_SPDUPDATE:
		return ops->sp_add(ops->ctx, &st->sp, st->op == SK_SPDUPDATE, kerr, len);
	case SK_SPDDELETE:
		return ops->sp_del(ops->ctx, &st->sp, kerr, len);
	case SK_SPDFLUSH:
		return ops->sp_flush(ops->ctx, kerr, len);
	case SK_SPDDUMP:
		return ops->sp_dump(ops->ctx, print_sp_cb, &p, kerr, len);
	}
	return -EINVAL;
}

static const char *op_name(enum sk_op op)
{
	static const char *const names[] = {
		"add", "update", "get", "delete", "deleteall", "flush", "dump",
		"spdadd", "spdupdate", "spddelete", "spdflush", "spddump",
	};
	return names[op];
}

/* Deletes what statements [0, upto) added; returns how many failed. */
static int undo_adds(const struct sk_prog *prog, int upto, const struct sk_ops *ops)
{
	char e[256];
	int failed = 0;

	for (int i = upto - 1; i >= 0; i--) {
		const struct sk_stmt *st = &prog->v[i];

		if (st->op == SK_ADD)
			failed += !!ops->sa_del(ops->ctx, &st->sa, e, sizeof(e));
		else if (st->op == SK_SPDADD)
			failed += !!ops->sp_del(ops->ctx, &st->sp, e, sizeof(e));
	}
	return failed;
}

/* Puts the snapshot back; returns how many entries could not be restored. */
static int restore(const struct snap *s, const struct sk_ops *ops)
{
	char e[256];
	int failed = 0;

	ops->sa_flush(ops->ctx, 0, e, sizeof(e));
	ops->sp_flush(ops->ctx, e, sizeof(e));
	for (int i = 0; i < s->nsa; i++)
		failed += !!ops->sa_add(ops->ctx, &s->sa[i], false, e, sizeof(e));
	for (int i = 0; i < s->nsp; i++) {
		struct ksp sp = s->sp[i];

		sp.id = 0;
		failed += !!ops->sp_add(ops->ctx, &sp, false, e, sizeof(e));
	}
	return failed;
}

int sk_apply(const char *fname, const struct sk_prog *prog, const struct sk_ops *ops,
	     FILE *out, char *err, size_t errlen)
{
	struct snap s = { 0 };
	bool snapshot = destructive(prog);
	char kerr[512];
	int i, ret = 0, lost;

	if (snapshot) {
		ret = ops->sa_dump(ops->ctx, 0, collect_sa, &s, kerr, sizeof(kerr));
		if (!ret)
			ret = ops->sp_dump(ops->ctx, collect_sp, &s, kerr, sizeof(kerr));
		if (ret) {
			snprintf(err, errlen, "%s: cannot save the current state before applying: %s",
				 fname, kerr[0] ? kerr : strerror(-ret));
			snap_free(&s);
			return -1;
		}
	}
	for (i = 0; i < prog->n; i++) {
		kerr[0] = 0;
		ret = run_stmt(ops, &prog->v[i], out, kerr, sizeof(kerr));
		if (ret)
			break;
	}
	if (!ret) {
		snap_free(&s);
		return 0;
	}
	lost = snapshot ? restore(&s, ops) : undo_adds(prog, i, ops);
	snprintf(err, errlen, "%s:%d:%d: %s failed: %s%s%s%s; %s", fname, prog->v[i].line,
		 prog->v[i].col, op_name(prog->v[i].op), strerror(-ret),
		 kerr[0] ? " (" : "", kerr, kerr[0] ? ")" : "",
		 lost ? "the previous state could not be fully restored" :
		 "nothing from this file was applied");
	snap_free(&s);
	return -1;
}
