// SPDX-License-Identifier: GPL-2.0
/* kipsec version: tool, module and uAPI versions. */
#include <stdio.h>
#include <string.h>
#include "kipsec.h"
#include "nl.h"

struct version {
	char module[64];
	unsigned int uapi;
};

static int version_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[KIPSEC_A_MAX + 1];
	struct version *v = data;

	knl_parse(nlh, tb);
	if (tb[KIPSEC_A_VERSION])
		snprintf(v->module, sizeof(v->module), "%s",
			 mnl_attr_get_str(tb[KIPSEC_A_VERSION]));
	if (tb[KIPSEC_A_UAPI_VERSION])
		v->uapi = mnl_attr_get_u32(tb[KIPSEC_A_UAPI_VERSION]);
	return MNL_CB_OK;
}

int cmd_version(int argc, char **argv)
{
	struct version v = { "", 0 };
	char err[256];
	struct knl *nl;
	int ret;

	if (argc > 1) {
		fprintf(stderr, "kipsec version: unexpected argument '%s'\n", argv[1]);
		return EXIT_USAGE;
	}
	nl = knl_open();
	if (!nl) {
		if (opts.json)
			printf("{\"tool\":\"%s\",\"module\":null}\n", KIPSEC_VERSION);
		else
			printf("kipsec tool %s, module not loaded\n", KIPSEC_VERSION);
		return EXIT_RUNTIME;
	}
	ret = knl_talk(nl, knl_req(nl, KIPSEC_CMD_GET_VERSION, 0), version_cb, &v,
		       err, sizeof(err));
	knl_close(nl);
	if (ret < 0) {
		fprintf(stderr, "kipsec version: %s\n", err[0] ? err : strerror(-ret));
		return EXIT_RUNTIME;
	}
	if (opts.json)
		printf("{\"tool\":\"%s\",\"module\":\"%s\",\"uapi\":%u,\"uapi_tool\":%u}\n",
		       KIPSEC_VERSION, v.module, v.uapi, KIPSEC_GENL_VERSION);
	else
		printf("kipsec tool %s, module %s, uapi %u (tool uapi %u)\n",
		       KIPSEC_VERSION, v.module, v.uapi, KIPSEC_GENL_VERSION);
	if (v.uapi != KIPSEC_GENL_VERSION) {
		fprintf(stderr, "kipsec: warning: module uapi %u differs from tool uapi %u\n",
			v.uapi, KIPSEC_GENL_VERSION);
	}
	return EXIT_OK;
}
