/* SPDX-License-Identifier: GPL-2.0 */
/* Talking to the kipsec generic netlink family through libmnl. */
#ifndef KIPSEC_TOOL_NL_H
#define KIPSEC_TOOL_NL_H

#include <stdint.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/kipsec.h>

struct knl {
	struct mnl_socket *sock;
	uint16_t family;
	uint32_t events_grp;	/* KIPSEC_MCGRP_EVENTS, resolved with the family */
	uint32_t seq;
	uint32_t portid;
	char buf[1 << 16];
};

/* Opens a socket and resolves the family; prints the reason and returns NULL
 * when the module is not loaded. */
struct knl *knl_open(void);
void knl_close(struct knl *nl);

/* Starts a request in nl->buf. */
struct nlmsghdr *knl_req(struct knl *nl, uint8_t cmd, uint16_t flags);

/*
 * Sends the request and feeds every reply message to cb (may be NULL).
 * Returns 0, or -errno; on a kernel error the extack text (if any) is copied
 * to errmsg.
 */
int knl_talk(struct knl *nl, struct nlmsghdr *req, mnl_cb_t cb, void *data,
	     char *errmsg, size_t errlen);

/* Joins the events multicast group. */
int knl_join_events(struct knl *nl);

/* Parses the attributes of a kipsec genl message into tb[KIPSEC_A_MAX+1]. */
int knl_parse(const struct nlmsghdr *nlh, const struct nlattr **tb);

#endif
