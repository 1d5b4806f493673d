/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The genl family shared by the request handlers (netlink.c) and the event
 * emitters (events.c), and the attribute writers both use.
 */
#ifndef _KIPSEC_NETLINK_H
#define _KIPSEC_NETLINK_H

#include <net/genetlink.h>
#include "kipsec.h"

extern struct genl_family kipsec_genl_family;

/* Required attribute: the message names it (the uAPI's spelling). */
#define kipsec_require(info, attr) ({						\
	bool __ok = !!(info)->attrs[attr];					\
	if (!__ok) {								\
		NL_SET_ERR_MSG((info)->extack, "missing attribute " #attr);	\
		NL_SET_ERR_ATTR_MISS((info)->extack, NULL, attr);		\
	}									\
	__ok;									\
})

int kipsec_nl_put_sa(struct sk_buff *msg, struct kipsec_sa *sa, bool keys);
int kipsec_nl_put_sp(struct sk_buff *msg, struct kipsec_sp *sp);
int kipsec_nl_put_sel(struct sk_buff *msg, int attr, const struct kipsec_sel *sel);
int kipsec_nl_put_tmpl(struct sk_buff *msg, const struct kipsec_tmpl *t);

/* Multicasts on the events group (events.c); any context. */
void kipsec_event_sa(struct kipsec_sa *sa, u8 cmd);
void kipsec_event_expire(struct kipsec_sa *sa, bool hard);
void kipsec_event_sp(struct kipsec_net *kn, struct kipsec_sp *sp, u8 cmd);
void kipsec_event_mapping(struct kipsec_sa *sa, const union kipsec_addr *src, __be16 sport);

#endif
