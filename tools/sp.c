// SPDX-License-Identifier: GPL-2.0
/*
 * kipsec sp add|update|del|get|list|flush: policies in the model of
 * setkey spdadd / ip xfrm policy.
 */
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include "kipsec.h"
#include "kw.h"
#include "nl.h"

static const char *const dirs[] = { "in", "out", "fwd" };
static const char *const actions[] = { "protect", "bypass", "discard" };
static const char *const levels[] = { "require", "use", "unique" };

static int pick(const char *kw, const char *val, const char *const *names, int n,
		const char *expect)
{
	for (int k = 0; k < n; k++)
		if (!strcmp(val, names[k]))
			return k;
	kw_err("'%s' expects %s, got '%s'", kw, expect, val);
	return -1;
}

/* tmpl proto esp|ah [mode M] [src A dst B] [level L] [reqid N] [spi N] */
static int parse_tmpl(int argc, char **argv, int *i, struct ksp *sp)
{
	struct ktmpl *t;
	uint64_t v;
	int k;

	if (sp->ntmpl == 4) {
		kw_err("at most 4 'tmpl' per policy");
		return -1;
	}
	t = &sp->tmpl[sp->ntmpl++];
	memset(t, 0, sizeof(*t));
	while (*i + 1 < argc) {
		const char *kw = argv[*i + 1];

		if (strcmp(kw, "proto") && strcmp(kw, "mode") && strcmp(kw, "src") &&
		    strcmp(kw, "dst") && strcmp(kw, "level") && strcmp(kw, "reqid") &&
		    strcmp(kw, "spi"))
			break;
		(*i)++;
		if (kw_need(argc, argv, *i, 1))
			return -1;
		(*i)++;
		if (!strcmp(kw, "proto")) {
			if (!strcmp(argv[*i], "esp"))
				t->proto = IPPROTO_ESP;
			else if (!strcmp(argv[*i], "ah"))
				t->proto = IPPROTO_AH;
			else {
				kw_err("'tmpl proto' expects esp or ah, got '%s'", argv[*i]);
				return -1;
			}
		} else if (!strcmp(kw, "mode")) {
			k = pick("tmpl mode", argv[*i], (const char *const[]){ "transport", "tunnel" },
				 2, "transport or tunnel");
			if (k < 0)
				return -1;
			t->mode = k;
		} else if (!strcmp(kw, "src")) {
			if (kw_addr("tmpl src", argv[*i], &t->src, NULL))
				return -1;
		} else if (!strcmp(kw, "dst")) {
			if (kw_addr("tmpl dst", argv[*i], &t->dst, NULL))
				return -1;
		} else if (!strcmp(kw, "level")) {
			k = pick("tmpl level", argv[*i], levels, 3, "require, use or unique");
			if (k < 0)
				return -1;
			t->level = k;
		} else {
			if (kw_num(!strcmp(kw, "reqid") ? "tmpl reqid" : "tmpl spi", argv[*i], 0,
				   UINT32_MAX, &v))
				return -1;
			if (!strcmp(kw, "reqid"))
				t->reqid = v;
			else
				t->spi = v;
		}
	}
	if (!t->proto) {
		kw_err("'tmpl' needs 'proto esp' or 'proto ah'");
		return -1;
	}
	if (t->mode == KIPSEC_MODE_TUNNEL && (!t->src.family || !t->dst.family)) {
		kw_err("'tmpl mode tunnel' needs 'src' and 'dst'");
		return -1;
	}
	if (t->src.family && t->dst.family && t->src.family != t->dst.family) {
		kw_err("'tmpl src' and 'tmpl dst' are of different families");
		return -1;
	}
	return 0;
}

static int parse_one(int argc, char **argv, int *i, struct ksp *sp, bool *has_dir)
{
	const char *kw = argv[*i];
	uint64_t v;
	int r, k;

	r = kw_sel(argc, argv, i, &sp->sel);
	if (r)
		return r < 0 ? -1 : 0;
	if (!strcmp(kw, "tmpl"))
		return parse_tmpl(argc, argv, i, sp);
	if (kw_need(argc, argv, *i, 1))
		return -1;
	(*i)++;
	if (!strcmp(kw, "dir")) {
		k = pick(kw, argv[*i], dirs, 3, "in, out or fwd");
		if (k < 0)
			return -1;
		sp->dir = k;
		*has_dir = true;
	} else if (!strcmp(kw, "action")) {
		/* setkey/ip xfrm spellings too. */
		if (!strcmp(argv[*i], "ipsec"))
			k = KIPSEC_ACTION_PROTECT;
		else if (!strcmp(argv[*i], "none") || !strcmp(argv[*i], "allow"))
			k = KIPSEC_ACTION_BYPASS;
		else if (!strcmp(argv[*i], "block"))
			k = KIPSEC_ACTION_DISCARD;
		else
			k = pick(kw, argv[*i], actions, 3, "protect, bypass or discard");
		if (k < 0)
			return -1;
		sp->action = k;
	} else if (!strcmp(kw, "priority")) {
		if (kw_num(kw, argv[*i], 0, UINT32_MAX, &v))
			return -1;
		sp->priority = v;
		sp->has_priority = true;
	} else if (!strcmp(kw, "id")) {
		if (kw_num(kw, argv[*i], 1, UINT32_MAX, &v))
			return -1;
		sp->id = v;
	} else {
		(*i)--;
		kw_err("unknown keyword '%s'", kw);
		return -1;
	}
	return 0;
}

static int sp_parse_args(int argc, char **argv, struct ksp *sp, bool full)
{
	bool has_dir = false;
	int i;

	memset(sp, 0, sizeof(*sp));
	sp->sel.icmp_type = sp->sel.icmp_code = -1;
	for (i = 2; i < argc; i++)
		if (parse_one(argc, argv, &i, sp, &has_dir))
			return -1;
	if (!full && sp->id)
		return 0;
	if (!has_dir) {
		kw_err("missing 'dir' (in, out or fwd)%s", full ? "" : " or 'id'");
		return -1;
	}
	if (kw_sel_finish(&sp->sel, 0))
		return -1;
	if (!full)
		return 0;
	if (sp->action == KIPSEC_ACTION_PROTECT && !sp->ntmpl) {
		kw_err("'action protect' needs a 'tmpl'");
		return -1;
	}
	if (sp->action != KIPSEC_ACTION_PROTECT && sp->ntmpl) {
		kw_err("only 'action protect' takes a 'tmpl'");
		return -1;
	}
	for (int k = 0; k < sp->ntmpl; k++)
		if (sp->tmpl[k].mode == KIPSEC_MODE_TRANSPORT && sp->tmpl[k].dst.family &&
		    sp->tmpl[k].dst.family != sp->sel.family) {
			kw_err("a transport mode 'tmpl' must have the selector's family");
			return -1;
		}
	return 0;
}

static void sp_print_text(const struct ksp *sp)
{
	char s[64], d[64];

	sel_print(&sp->sel, stdout);
	printf(" dir %s action %s priority %u id %u\n", dirs[sp->dir % 3],
	       actions[sp->action % 3], sp->priority, sp->id);
	for (int k = 0; k < sp->ntmpl; k++) {
		const struct ktmpl *t = &sp->tmpl[k];

		printf("\ttmpl proto %s mode %s", t->proto == IPPROTO_AH ? "ah" : "esp",
		       t->mode == KIPSEC_MODE_TUNNEL ? "tunnel" : "transport");
		if (t->mode == KIPSEC_MODE_TUNNEL)
			printf(" src %s dst %s", kaddr_str(&t->src, s, sizeof(s)),
			       kaddr_str(&t->dst, d, sizeof(d)));
		printf(" level %s reqid %u", levels[t->level % 3], t->reqid);
		if (t->spi)
			printf(" spi 0x%08x", t->spi);
		printf("\n");
	}
	if (opts.stats)
		printf("\tpackets %llu\n", (unsigned long long)sp->hits);
}

static void sp_print_json(const struct ksp *sp)
{
	char s[64], d[64];

	printf("{\"id\":%u,\"dir\":\"%s\",\"action\":\"%s\",\"priority\":%u,\"sel\":", sp->id,
	       dirs[sp->dir % 3], actions[sp->action % 3], sp->priority);
	sel_json(&sp->sel, stdout);
	printf(",\"tmpl\":[");
	for (int k = 0; k < sp->ntmpl; k++) {
		const struct ktmpl *t = &sp->tmpl[k];

		printf("%s{\"proto\":\"%s\",\"mode\":\"%s\",\"level\":\"%s\",\"reqid\":%u,\"spi\":%u",
		       k ? "," : "", t->proto == IPPROTO_AH ? "ah" : "esp",
		       t->mode == KIPSEC_MODE_TUNNEL ? "tunnel" : "transport",
		       levels[t->level % 3], t->reqid, t->spi);
		if (t->mode == KIPSEC_MODE_TUNNEL)
			printf(",\"src\":\"%s\",\"dst\":\"%s\"", kaddr_str(&t->src, s, sizeof(s)),
			       kaddr_str(&t->dst, d, sizeof(d)));
		printf("}");
	}
	printf("],\"packets\":%llu}", (unsigned long long)sp->hits);
}

static int sp_list_cb(const struct ksp *sp, void *data)
{
	int *n = data;

	if (opts.json) {
		printf("%s", *n ? "," : "");
		sp_print_json(sp);
	} else {
		sp_print_text(sp);
	}
	(*n)++;
	return 0;
}

static int sp_get_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ksp sp;

	if (ksp_parse(nlh, &sp) == 0)
		sp_list_cb(&sp, data);
	return MNL_CB_OK;
}

int cmd_sp(int argc, char **argv)
{
	static char what[32];
	const char *sub = argc > 1 ? argv[1] : "list";
	struct nlmsghdr *nlh;
	struct knl *nl;
	struct ksp sp;
	int cmd = 0, ret, n = 0;
	char err[256] = "";

	snprintf(what, sizeof(what), "sp %s", sub);
	kw_what = what;
	if (!strcmp(sub, "add"))
		cmd = KIPSEC_CMD_SP_ADD;
	else if (!strcmp(sub, "update"))
		cmd = KIPSEC_CMD_SP_UPDATE;
	else if (!strcmp(sub, "del") || !strcmp(sub, "delete"))
		cmd = KIPSEC_CMD_SP_DEL;
	else if (!strcmp(sub, "get"))
		cmd = KIPSEC_CMD_SP_GET;
	else if (!strcmp(sub, "flush"))
		cmd = KIPSEC_CMD_SP_FLUSH;
	else if (strcmp(sub, "list") && strcmp(sub, "show")) {
		fprintf(stderr, "kipsec sp: unknown subcommand '%s' (add, update, del, get, list, flush)\n", sub);
		return EXIT_USAGE;
	}
	memset(&sp, 0, sizeof(sp));
	if (cmd == KIPSEC_CMD_SP_FLUSH) {
		if (argc > 2 && (argc != 4 || strcmp(argv[2], "dir") ||
				 pick("dir", argv[3], dirs, 3, "in, out or fwd") < 0)) {
			if (argc != 4 || strcmp(argv[2], "dir"))
				kw_err("expects no arguments or 'dir in|out|fwd'");
			return EXIT_USAGE;
		}
	} else if (cmd && sp_parse_args(argc, argv, &sp,
					cmd == KIPSEC_CMD_SP_ADD || cmd == KIPSEC_CMD_SP_UPDATE)) {
		return EXIT_USAGE;
	} else if (!cmd && argc > 2) {
		kw_err("expects no arguments");
		return EXIT_USAGE;
	}
	nl = knl_open();
	if (!nl)
		return EXIT_RUNTIME;
	switch (cmd) {
	case 0:
		if (opts.json)
			printf("[");
		ret = ksp_dump(nl, sp_list_cb, &n);
		if (opts.json)
			printf("]\n");
		ret = kw_report(ret, "");
		break;
	case KIPSEC_CMD_SP_FLUSH:
		nlh = knl_req(nl, cmd, 0);
		if (argc == 4)
			mnl_attr_put_u8(nlh, KIPSEC_A_SP_DIR,
					pick("dir", argv[3], dirs, 3, ""));
		ret = kw_report(knl_talk(nl, nlh, NULL, NULL, err, sizeof(err)), err);
		break;
	case KIPSEC_CMD_SP_GET:
		nlh = knl_req(nl, cmd, 0);
		ksp_put(nlh, &sp, true);
		ret = kw_report(knl_talk(nl, nlh, sp_get_cb, &n, err, sizeof(err)), err);
		if (!ret && opts.json)
			printf("\n");
		break;
	default:
		ret = kw_report(ksp_request(nl, cmd, &sp, err, sizeof(err)), err);
		if (!ret && cmd == KIPSEC_CMD_SP_ADD && !opts.json)
			printf("id %u\n", sp.id);
		else if (!ret && cmd == KIPSEC_CMD_SP_ADD)
			printf("{\"id\":%u}\n", sp.id);
	}
	knl_close(nl);
	return ret;
}
