// SPDX-License-Identifier: GPL-2.0
/* kipsec stats: the global counters, like /proc/net/xfrm_stat. */
#include <stdio.h>
#include <string.h>
#include "kipsec.h"
#include "nl.h"

static int stats_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[KIPSEC_A_MAX + 1], *one, *a;
	int *n = data;

	knl_parse(nlh, tb);
	if (!tb[KIPSEC_A_STATS])
		return MNL_CB_OK;
	mnl_attr_for_each_nested(one, tb[KIPSEC_A_STATS]) {
		const char *name = NULL;
		unsigned long long v = 0;

		mnl_attr_for_each_nested(a, one) {
			if (mnl_attr_get_type(a) == KIPSEC_STAT_NAME)
				name = mnl_attr_get_str(a);
			else if (mnl_attr_get_type(a) == KIPSEC_STAT_VALUE)
				v = mnl_attr_get_u64(a);
		}
		if (!name)
			continue;
		if (opts.json)
			printf("%s\"%s\":%llu", (*n)++ ? "," : "", name, v);
		else
			printf("%-24s%llu\n", name, v);
	}
	return MNL_CB_OK;
}

int cmd_stats(int argc, char **argv)
{
	struct nlmsghdr *nlh;
	struct knl *nl;
	char err[256];
	int ret, n = 0;

	if (argc > 1) {
		fprintf(stderr, "kipsec stats: expects no arguments, got '%s'\n", argv[1]);
		return EXIT_USAGE;
	}
	nl = knl_open();
	if (!nl)
		return EXIT_RUNTIME;
	nlh = knl_req(nl, KIPSEC_CMD_STATS_GET, 0);
	if (opts.json)
		printf("{");
	ret = knl_talk(nl, nlh, stats_cb, &n, err, sizeof(err));
	if (opts.json)
		printf("}\n");
	knl_close(nl);
	if (ret) {
		fprintf(stderr, "kipsec stats: %s %s\n", err, strerror(-ret));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}
