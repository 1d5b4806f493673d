// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel behind struct sk_ops and the monitor: thin adapters onto
 * req_nl.c, which owns every netlink encoding and decoding of SAs and
 * policies.  One socket for the whole command.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "nl.h"
#include "setkey.h"
#include "show.h"

static struct knl *knl;

static int ret_err(int ret, char *err, size_t len)
{
	if (ret && !err[0])
		snprintf(err, len, "%s", strerror(-ret));
	return ret;
}

static int k_sa_add(void *ctx, const struct ksa *sa, bool update, char *err, size_t len)
{
	err[0] = 0;
	return ret_err(ksa_request(knl, update ? KIPSEC_CMD_SA_UPDATE : KIPSEC_CMD_SA_ADD, sa,
				   err, len), err, len);
}

static int k_sa_del(void *ctx, const struct ksa *sa, char *err, size_t len)
{
	err[0] = 0;
	return ret_err(ksa_request(knl, KIPSEC_CMD_SA_DEL, sa, err, len), err, len);
}

static int get_cb(const struct nlmsghdr *nlh, void *data)
{
	return ksa_parse(nlh, data) ? MNL_CB_ERROR : MNL_CB_OK;
}

static int k_sa_get(void *ctx, struct ksa *sa, char *err, size_t len)
{
	struct nlmsghdr *nlh = knl_req(knl, KIPSEC_CMD_SA_GET, 0);

	err[0] = 0;
	ksa_put(nlh, sa, true);
	return ret_err(knl_talk(knl, nlh, get_cb, sa, err, len), err, len);
}

static int k_sa_flush(void *ctx, uint8_t proto, char *err, size_t len)
{
	struct nlmsghdr *nlh = knl_req(knl, KIPSEC_CMD_SA_FLUSH, 0);

	err[0] = 0;
	if (proto)
		mnl_attr_put_u8(nlh, KIPSEC_A_SA_PROTO, proto);
	return ret_err(knl_talk(knl, nlh, NULL, NULL, err, len), err, len);
}

static int k_sa_dump(void *ctx, uint8_t proto, int (*cb)(const struct ksa *, void *), void *arg,
		     char *err, size_t len)
{
	err[0] = 0;
	return ret_err(ksa_dump(knl, proto, cb, arg), err, len);
}

static int k_sp_add(void *ctx, const struct ksp *sp, bool update, char *err, size_t len)
{
	struct ksp tmp = *sp;

	err[0] = 0;
	return ret_err(ksp_request(knl, update ? KIPSEC_CMD_SP_UPDATE : KIPSEC_CMD_SP_ADD, &tmp,
				   err, len), err, len);
}

static int k_sp_del(void *ctx, const struct ksp *sp, char *err, size_t len)
{
	struct ksp tmp = *sp;

	err[0] = 0;
	tmp.id = 0;	/* setkey names policies by direction and selector */
	return ret_err(ksp_request(knl, KIPSEC_CMD_SP_DEL, &tmp, err, len), err, len);
}

static int k_sp_flush(void *ctx, char *err, size_t len)
{
	struct nlmsghdr *nlh = knl_req(knl, KIPSEC_CMD_SP_FLUSH, 0);

	err[0] = 0;
	return ret_err(knl_talk(knl, nlh, NULL, NULL, err, len), err, len);
}

static int k_sp_dump(void *ctx, int (*cb)(const struct ksp *, void *), void *arg,
		     char *err, size_t len)
{
	err[0] = 0;
	return ret_err(ksp_dump(knl, cb, arg), err, len);
}

static const struct sk_ops kernel_ops = {
	k_sa_add, k_sa_del, k_sa_get, k_sa_flush, k_sa_dump,
	k_sp_add, k_sp_del, k_sp_flush, k_sp_dump, NULL,
};

const struct sk_ops *sk_kernel_ops(char *err, size_t errlen)
{
	if (!knl)
		knl = knl_open();
	if (!knl) {
		snprintf(err, errlen, "cannot reach the kipsec module (is kipsec.ko loaded?)");
		return NULL;
	}
	return &kernel_ops;
}

void sk_kernel_close(void)
{
	if (knl)
		knl_close(knl);
	knl = NULL;
}

struct listen {
	int (*cb)(const struct mon_event *ev, void *arg);
	void *arg;
};

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[KIPSEC_A_MAX + 1];
	struct listen *l = data;
	static struct mon_event ev;

	memset(&ev, 0, sizeof(ev));
	knl_parse(nlh, tb);
	switch (g->cmd) {
	case KIPSEC_CMD_EXPIRE:
		ev.kind = MON_EXPIRE;
		ev.hard = tb[KIPSEC_A_EXPIRE_HARD] != NULL;
		ksa_parse(nlh, &ev.sa);
		break;
	case KIPSEC_CMD_MAPPING:
		ev.kind = MON_MAPPING;
		ksa_parse(nlh, &ev.sa);
		if (tb[KIPSEC_A_MAPPING_NEW_SRC]) {
			ev.new_src.family = mnl_attr_get_payload_len(tb[KIPSEC_A_MAPPING_NEW_SRC]) == 4 ?
					    AF_INET : AF_INET6;
			memcpy(ev.new_src.b, mnl_attr_get_payload(tb[KIPSEC_A_MAPPING_NEW_SRC]),
			       ev.new_src.family == AF_INET ? 4 : 16);
		}
		ev.new_sport = ev.sa.encap_sport;
		break;
	case KIPSEC_CMD_SA_ADD:
	case KIPSEC_CMD_SA_UPDATE:
	case KIPSEC_CMD_SA_DEL:
		ev.kind = g->cmd == KIPSEC_CMD_SA_DEL ? MON_SA_DEL : MON_SA_ADD;
		ksa_parse(nlh, &ev.sa);
		break;
	case KIPSEC_CMD_SA_FLUSH:
		ev.kind = MON_FLUSH_SA;
		break;
	case KIPSEC_CMD_ACQUIRE:
		ev.kind = MON_ACQUIRE;
		if (tb[KIPSEC_A_SP_ID])
			ev.sp.id = mnl_attr_get_u32(tb[KIPSEC_A_SP_ID]);
		ev.sp.dir = KIPSEC_DIR_OUT;
		if (tb[KIPSEC_A_SEL])
			ksel_parse(tb[KIPSEC_A_SEL], &ev.sp.sel);
		break;
	case KIPSEC_CMD_SP_ADD:
	case KIPSEC_CMD_SP_UPDATE:
	case KIPSEC_CMD_SP_DEL:
		ev.kind = g->cmd == KIPSEC_CMD_SP_DEL ? MON_SP_DEL : MON_SP_ADD;
		ksp_parse(nlh, &ev.sp);
		break;
	case KIPSEC_CMD_SP_FLUSH:
		ev.kind = MON_FLUSH_SP;
		break;
	default:
		return MNL_CB_OK;
	}
	return l->cb(&ev, l->arg) ? MNL_CB_STOP : MNL_CB_OK;
}

int monitor_listen(int (*cb)(const struct mon_event *ev, void *arg), void *arg,
		   char *err, size_t errlen)
{
	struct listen l = { cb, arg };
	int ret;

	if (!sk_kernel_ops(err, errlen))
		return -1;
	ret = knl_join_events(knl);
	if (ret) {
		snprintf(err, errlen, "cannot join the events group: %s", strerror(-ret));
		return -1;
	}
	for (;;) {
		ret = mnl_socket_recvfrom(knl->sock, knl->buf, sizeof(knl->buf));
		if (ret < 0) {
			if (errno == ENOBUFS) {
				/* The socket overran: say so, keep listening. */
				fprintf(stderr, "kipsec monitor: events were lost (receive buffer overrun)\n");
				continue;
			}
			snprintf(err, errlen, "receiving events: %s", strerror(errno));
			return -1;
		}
		ret = mnl_cb_run(knl->buf, ret, 0, 0, event_cb, &l);
		if (ret == MNL_CB_STOP)
			return 0;
		if (ret < 0) {
			snprintf(err, errlen, "bad event message: %s", strerror(errno));
			return -1;
		}
	}
}
