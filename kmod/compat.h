/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels kipsec supports (6.1 .. 6.12), kept in one
 * place so that the rest of the module reads like current upstream code.
 */
#ifndef _KIPSEC_COMPAT_H
#define _KIPSEC_COMPAT_H

#include <linux/version.h>
#include <net/genetlink.h>

/* 6.2 gave genl ops a "small" variant; 6.1 only has full ops with policies. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
#define KIPSEC_GENL_RESV_START_OP
#else
#define KIPSEC_GENL_RESV_START_OP .resv_start_op = __KIPSEC_CMD_MAX,
#endif

/*
 * 6.2 added formatted extack messages (80 bytes).  On 6.1 they are
 * formatted here into one of a ring of static buffers of the same size,
 * which outlives the handler until the ack is built.
 */
#ifndef NL_SET_ERR_MSG_FMT_MOD
#define KIPSEC_COMPAT_EXTACK_FMT
const char *kipsec_extack_fmt(const char *fmt, ...) __printf(1, 2);
#define NL_SET_ERR_MSG_FMT_MOD(extack, fmt, args...)				\
	do {									\
		struct netlink_ext_ack *__ea = (extack);			\
		if (__ea)							\
			__ea->_msg = kipsec_extack_fmt(KBUILD_MODNAME ": " fmt, ##args); \
	} while (0)
#endif

/*
 * 6.3 passes the request's data pointer straight to crypto completions;
 * before, the callback got the crypto_async_request and read ->data.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
#define KIPSEC_CRYPTO_DONE(name) void name(struct crypto_async_request *kipsec_areq, int err)
#define KIPSEC_CRYPTO_DONE_DATA() (kipsec_areq->data)
#else
#define KIPSEC_CRYPTO_DONE(name) void name(void *kipsec_data, int err)
#define KIPSEC_CRYPTO_DONE_DATA() (kipsec_data)
#endif

/*
 * 6.2 added formatted extack messages.  6.1 keeps only a pointer to a
 * static string, so there the message loses its value.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
#define kipsec_err_fmt(extack, plain, fmt, args...) NL_SET_ERR_MSG(extack, plain)
#else
#define kipsec_err_fmt(extack, plain, fmt, args...) NL_SET_ERR_MSG_FMT(extack, fmt, ##args)
#endif

/* The request attributes of a dump. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
#define kipsec_dump_attrs(cb) (genl_dumpit_info(cb)->attrs)
#else
#define kipsec_dump_attrs(cb) (genl_dumpit_info(cb)->info.attrs)
#endif

/* 6.4 moved skb_gso_segment() and friends to their own header. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
#include <net/gso.h>
#endif

#endif /* _KIPSEC_COMPAT_H */
