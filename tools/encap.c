// SPDX-License-Identifier: GPL-2.0
/*
 * kipsec encap add|del|list|attach: ESP-in-UDP sockets (RFC 3948).
 *   add port N [family inet|inet6]   kipsec opens its own socket(s) on port N
 *   del port N [family inet|inet6]   closes them
 *   del fd N                         detaches a socket attached with attach
 *   attach fd N                      attaches the caller's UDP socket N
 *                                    (inherited fd, e.g. from a daemon)
 *   list                             the sockets (-j: JSON)
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include "json.h"
#include "kipsec.h"
#include "kw.h"
#include "nl.h"

struct encap_args {
	uint64_t port, fd, family;
	bool has_port, has_fd;
};

static int encap_parse(int argc, char **argv, struct encap_args *a)
{
	for (int i = 2; i < argc; i++) {
		const char *kw = argv[i];

		if (kw_need(argc, argv, i, 1))
			return -1;
		i++;
		if (!strcmp(kw, "port")) {
			if (kw_num("port", argv[i], 1, 65535, &a->port))
				return -1;
			a->has_port = true;
		} else if (!strcmp(kw, "fd") || !strcmp(kw, "--fd")) {
			if (kw_num("fd", argv[i], 0, 0x7fffffff, &a->fd))
				return -1;
			a->has_fd = true;
		} else if (!strcmp(kw, "family")) {
			if (!strcmp(argv[i], "inet") || !strcmp(argv[i], "ipv4")) {
				a->family = AF_INET;
			} else if (!strcmp(argv[i], "inet6") || !strcmp(argv[i], "ipv6")) {
				a->family = AF_INET6;
			} else {
				kw_err("'family' expects inet or inet6, got '%s'", argv[i]);
				return -1;
			}
		} else {
			kw_err("unknown keyword '%s' (expected port, family or fd)", kw);
			return -1;
		}
	}
	return 0;
}

struct encap_list {
	struct json j;
	int n;
};

static int encap_list_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[KIPSEC_A_MAX + 1];
	struct encap_list *l = data;
	const char *fam, *kind;
	unsigned int port;

	knl_parse(nlh, tb);
	if (!tb[KIPSEC_A_ENCAP_PORT])
		return MNL_CB_OK;
	port = mnl_attr_get_u16(tb[KIPSEC_A_ENCAP_PORT]);
	fam = tb[KIPSEC_A_ENCAP_FAMILY] &&
	      mnl_attr_get_u16(tb[KIPSEC_A_ENCAP_FAMILY]) == AF_INET6 ? "inet6" : "inet";
	kind = tb[KIPSEC_A_ENCAP_ATTACHED] ? "attached" : "kipsec";
	l->n++;
	if (opts.json) {
		json_obj_begin(&l->j, NULL);
		json_u64(&l->j, "port", port);
		json_str(&l->j, "family", fam);
		json_str(&l->j, "owner", kind);
		json_obj_end(&l->j);
	} else {
		printf("port %u family %s %s\n", port, fam, kind);
	}
	return MNL_CB_OK;
}

int cmd_encap(int argc, char **argv)
{
	static char what[32];
	const char *sub = argc > 1 ? argv[1] : "list";
	struct encap_args a = { 0 };
	struct encap_list l = { 0 };
	struct nlmsghdr *nlh;
	char err[256] = "";
	struct knl *nl;
	int cmd, ret;

	snprintf(what, sizeof(what), "encap %s", sub);
	kw_what = what;
	if (!strcmp(sub, "add")) {
		cmd = KIPSEC_CMD_ENCAP_ADD;
	} else if (!strcmp(sub, "del") || !strcmp(sub, "delete")) {
		cmd = KIPSEC_CMD_ENCAP_DEL;
	} else if (!strcmp(sub, "attach")) {
		cmd = KIPSEC_CMD_ENCAP_ATTACH;
	} else if (!strcmp(sub, "list") || !strcmp(sub, "show")) {
		cmd = KIPSEC_CMD_ENCAP_GET;
	} else {
		fprintf(stderr, "kipsec encap: unknown subcommand '%s' (add, del, attach, list)\n",
			sub);
		return EXIT_USAGE;
	}
	if (encap_parse(argc, argv, &a))
		return EXIT_USAGE;
	if ((cmd == KIPSEC_CMD_ENCAP_ADD && (!a.has_port || a.has_fd)) ||
	    (cmd == KIPSEC_CMD_ENCAP_DEL && a.has_port == a.has_fd) ||
	    (cmd == KIPSEC_CMD_ENCAP_ATTACH && (!a.has_fd || a.has_port || a.family)) ||
	    (cmd == KIPSEC_CMD_ENCAP_GET && argc > 2)) {
		cmd_usage(find_cmd("encap"), 1);
		return EXIT_USAGE;
	}
	nl = knl_open();
	if (!nl)
		return EXIT_RUNTIME;
	nlh = knl_req(nl, cmd, cmd == KIPSEC_CMD_ENCAP_GET ? NLM_F_DUMP : 0);
	if (a.has_port)
		mnl_attr_put_u16(nlh, KIPSEC_A_ENCAP_PORT, a.port);
	if (a.has_fd)
		mnl_attr_put_u32(nlh, KIPSEC_A_ENCAP_FD, a.fd);
	if (a.family)
		mnl_attr_put_u16(nlh, KIPSEC_A_ENCAP_FAMILY, a.family);
	if (cmd == KIPSEC_CMD_ENCAP_GET && opts.json) {
		json_init(&l.j, stdout);
		json_arr_begin(&l.j, NULL);
	}
	ret = knl_talk(nl, nlh, cmd == KIPSEC_CMD_ENCAP_GET ? encap_list_cb : NULL, &l,
		       err, sizeof(err));
	if (cmd == KIPSEC_CMD_ENCAP_GET && opts.json) {
		json_arr_end(&l.j);
		json_end(&l.j);
	}
	knl_close(nl);
	if (ret) {
		fprintf(stderr, "kipsec %s: %s%s%s\n", kw_what, err, err[0] ? ": " : "",
			strerror(-ret));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}
