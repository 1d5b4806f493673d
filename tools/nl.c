// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/netlink.h>
#include "nl.h"

/* The events group's id, from a CTRL_ATTR_MCAST_GROUPS nest. */
static uint32_t events_group(const struct nlattr *grps)
{
	const struct nlattr *one, *x;

	mnl_attr_for_each_nested(one, grps) {
		const char *name = NULL;
		uint32_t id = 0;

		mnl_attr_for_each_nested(x, one) {
			if (mnl_attr_get_type(x) == CTRL_ATTR_MCAST_GRP_NAME)
				name = mnl_attr_get_str(x);
			else if (mnl_attr_get_type(x) == CTRL_ATTR_MCAST_GRP_ID)
				id = mnl_attr_get_u32(x);
		}
		if (name && !strcmp(name, KIPSEC_MCGRP_EVENTS))
			return id;
	}
	return 0;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	struct knl *nl = data;
	struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID)
			nl->family = mnl_attr_get_u16(a);
		else if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GROUPS)
			nl->events_grp = events_group(a);
	}
	return MNL_CB_OK;
}

/* One CTRL_CMD_GETFAMILY answers both the family id and the group ids. */
static int resolve_family(struct knl *nl)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->buf);
	struct genlmsghdr *g;
	char err[256] = "";

	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++nl->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, KIPSEC_GENL_NAME);
	nl->family = 0;
	nl->events_grp = 0;
	return knl_talk(nl, nlh, family_cb, nl, err, sizeof(err));
}

struct knl *knl_open(void)
{
	struct knl *nl = calloc(1, sizeof(*nl));
	int one = 1;

	if (!nl)
		return NULL;
	nl->sock = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->sock) {
		fprintf(stderr, "kipsec: cannot open netlink socket: %s\n", strerror(errno));
		free(nl);
		return NULL;
	}
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		fprintf(stderr, "kipsec: cannot bind netlink socket: %s\n", strerror(errno));
		knl_close(nl);
		return NULL;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = time(NULL);
	if (resolve_family(nl) < 0 || !nl->family) {
		fprintf(stderr, "kipsec: module not loaded (modprobe kipsec)\n");
		knl_close(nl);
		return NULL;
	}
	return nl;
}

void knl_close(struct knl *nl)
{
	if (!nl)
		return;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl);
}

struct nlmsghdr *knl_req(struct knl *nl, uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = nl->family;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++nl->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = KIPSEC_GENL_VERSION;
	return nlh;
}

/* Pulls the extack message out of an NLMSG_ERROR. */
static void extack_msg(const struct nlmsghdr *nlh, char *errmsg, size_t errlen)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*e);
	struct nlattr *a;

	if (!errmsg || !(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += mnl_nlmsg_get_payload_len(&e->msg) + sizeof(struct nlmsghdr) -
		       sizeof(e->msg);
	mnl_attr_for_each(a, nlh, off)
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG)
			snprintf(errmsg, errlen, "%s", mnl_attr_get_str(a));
}

int knl_talk(struct knl *nl, struct nlmsghdr *req, mnl_cb_t cb, void *data,
	     char *errmsg, size_t errlen)
{
	uint32_t seq = req->nlmsg_seq;
	int ret;

	if (errmsg && errlen)
		errmsg[0] = 0;
	if (mnl_socket_sendto(nl->sock, req, req->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ret = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
		if (ret < 0)
			return -errno;
		{
			/* Look for an error message first so that extack is kept. */
			struct nlmsghdr *nlh = (struct nlmsghdr *)nl->buf;
			int len = ret;

			while (mnl_nlmsg_ok(nlh, len)) {
				if (nlh->nlmsg_type == NLMSG_ERROR && nlh->nlmsg_seq == seq) {
					const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

					if (e->error)
						extack_msg(nlh, errmsg, errlen);
				}
				nlh = mnl_nlmsg_next(nlh, &len);
			}
		}
		ret = mnl_cb_run(nl->buf, ret, seq, nl->portid, cb, data);
		if (ret <= MNL_CB_STOP)
			break;
	}
	return ret < 0 ? -errno : 0;
}

int knl_join_events(struct knl *nl)
{
	uint32_t grp = nl->events_grp;

	if (!grp)
		return -ENOENT;
	if (mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)) < 0)
		return -errno;
	return 0;
}

static int parse_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, KIPSEC_A_MAX) < 0)
		return MNL_CB_OK;	/* newer module: ignore what we do not know */
	tb[type] = attr;
	return MNL_CB_OK;
}

int knl_parse(const struct nlmsghdr *nlh, const struct nlattr **tb)
{
	memset(tb, 0, sizeof(*tb) * (KIPSEC_A_MAX + 1));
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), parse_cb, tb);
}
