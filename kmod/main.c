// SPDX-License-Identifier: GPL-2.0
/*
 * kipsec: an IPsec stack (ESP, AH, ESP-in-UDP) with its own SAD and SPD,
 * driven over generic netlink.  It lives beside Linux's XFRM: nothing here
 * takes a protocol number or a hook away from it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <net/genetlink.h>
#include "kipsec.h"
#include "compat.h"
#include "encap.h"

unsigned int kipsec_net_id __read_mostly;

const char *const kipsec_stat_names[KIPSEC_STAT__MAX] = {
	[KIPSEC_STAT_IN_ERROR] = "InError",
	[KIPSEC_STAT_IN_BUFFER_ERROR] = "InBufferError",
	[KIPSEC_STAT_IN_HDR_ERROR] = "InHdrError",
	[KIPSEC_STAT_IN_NO_STATES] = "InNoStates",
	[KIPSEC_STAT_IN_STATE_PROTO_ERROR] = "InStateProtoError",
	[KIPSEC_STAT_IN_STATE_MODE_ERROR] = "InStateModeError",
	[KIPSEC_STAT_IN_STATE_SEQ_ERROR] = "InStateSeqError",
	[KIPSEC_STAT_IN_STATE_EXPIRED] = "InStateExpired",
	[KIPSEC_STAT_IN_STATE_MISMATCH] = "InStateMismatch",
	[KIPSEC_STAT_IN_STATE_INVALID] = "InStateInvalid",
	[KIPSEC_STAT_IN_TMPL_MISMATCH] = "InTmplMismatch",
	[KIPSEC_STAT_IN_NO_POLS] = "InNoPols",
	[KIPSEC_STAT_IN_POL_BLOCK] = "InPolBlock",
	[KIPSEC_STAT_IN_POL_ERROR] = "InPolError",
	[KIPSEC_STAT_IN_INTEGRITY_FAILED] = "InIntegrityFailed",
	[KIPSEC_STAT_IN_ENCAP_ERROR] = "InEncapError",
	[KIPSEC_STAT_IN_AH_ERROR] = "InAhError",
	[KIPSEC_STAT_IN_PACKETS] = "InPackets",
	[KIPSEC_STAT_IN_BYTES] = "InBytes",
	[KIPSEC_STAT_OUT_ERROR] = "OutError",
	[KIPSEC_STAT_OUT_BUNDLE_GEN_ERROR] = "OutBundleGenError",
	[KIPSEC_STAT_OUT_BUNDLE_CHECK_ERROR] = "OutBundleCheckError",
	[KIPSEC_STAT_OUT_NO_STATES] = "OutNoStates",
	[KIPSEC_STAT_OUT_STATE_PROTO_ERROR] = "OutStateProtoError",
	[KIPSEC_STAT_OUT_STATE_MODE_ERROR] = "OutStateModeError",
	[KIPSEC_STAT_OUT_STATE_SEQ_ERROR] = "OutStateSeqError",
	[KIPSEC_STAT_OUT_STATE_EXPIRED] = "OutStateExpired",
	[KIPSEC_STAT_OUT_POL_BLOCK] = "OutPolBlock",
	[KIPSEC_STAT_OUT_POL_DEAD] = "OutPolDead",
	[KIPSEC_STAT_OUT_POL_ERROR] = "OutPolError",
	[KIPSEC_STAT_OUT_STATE_INVALID] = "OutStateInvalid",
	[KIPSEC_STAT_OUT_PMTU_EXCEEDED] = "OutPmtuExceeded",
	[KIPSEC_STAT_OUT_PACKETS] = "OutPackets",
	[KIPSEC_STAT_OUT_BYTES] = "OutBytes",
	[KIPSEC_STAT_ACQUIRES] = "Acquires",
	[KIPSEC_STAT_ACQUIRES_SUPPRESSED] = "AcquiresSuppressed",
	[KIPSEC_STAT_IN_ENCAP_BAD_LENGTH] = "InEncapBadLength",
	[KIPSEC_STAT_IN_ENCAP_NON_ESP] = "InEncapNonEsp",
	[KIPSEC_STAT_IN_ENCAP_KEEPALIVES] = "InEncapKeepalives",
	[KIPSEC_STAT_ENCAP_MAPPINGS] = "EncapMappings",
	[KIPSEC_STAT_IN_AH_AUTH_FAILED] = "InAhAuthFailed",
	[KIPSEC_STAT_IN_PMTU_LEARNED] = "InPmtuLearned",
};

#ifdef KIPSEC_COMPAT_EXTACK_FMT
const char *kipsec_extack_fmt(const char *fmt, ...)
{
	static char ring[16][80];
	static atomic_t next = ATOMIC_INIT(0);
	char *buf = ring[(unsigned int)atomic_inc_return(&next) % ARRAY_SIZE(ring)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(ring[0]), fmt, ap);
	va_end(ap);
	return buf;
}
#endif

static int __net_init kipsec_net_init(struct net *net)
{
	struct kipsec_net *kn = kipsec_pernet(net);
	int err;

	kn->net = net;
	kn->stats = alloc_percpu(struct kipsec_stats);
	if (!kn->stats)
		return -ENOMEM;
	err = kipsec_sad_init(kn);
	if (err)
		goto err_stats;
	err = kipsec_spd_init(kn);
	if (err)
		goto err_sad;
	err = kipsec_dp_net_init(kn);
	if (err)
		goto err_spd;
	err = kipsec_encap_net_init(kn);
	if (err)
		goto err_dp;
	return 0;

err_dp:
	kipsec_dp_net_exit(kn);
err_spd:
	kipsec_spd_exit(kn);
err_sad:
	kipsec_sad_exit(kn);
err_stats:
	free_percpu(kn->stats);
	return err;
}

/* The datapath goes first so that no packet finds a half-torn database. */
static void __net_exit kipsec_net_exit(struct net *net)
{
	struct kipsec_net *kn = kipsec_pernet(net);

	kipsec_encap_net_exit(kn);
	kipsec_dp_net_exit(kn);
	kipsec_spd_exit(kn);
	kipsec_sad_exit(kn);
	free_percpu(kn->stats);
}

static struct pernet_operations kipsec_net_ops = {
	.init = kipsec_net_init,
	.exit = kipsec_net_exit,
	.id = &kipsec_net_id,
	.size = sizeof(struct kipsec_net),
};

static int __init kipsec_init(void)
{
	int err;

	err = kipsec_sad_module_init();
	if (err)
		return err;
	err = register_pernet_subsys(&kipsec_net_ops);
	if (err)
		goto err_sad;
	err = kipsec_dp_init();
	if (err)
		goto err_pernet;
	err = kipsec_genl_init();
	if (err)
		goto err_dp;
	pr_info("version %s loaded\n", KIPSEC_VERSION);
	return 0;

err_dp:
	kipsec_dp_exit();
err_pernet:
	unregister_pernet_subsys(&kipsec_net_ops);
err_sad:
	kipsec_sad_module_exit();
	return err;
}

/* Netlink first (no new state), then the packet path, then the state. */
static void __exit kipsec_exit(void)
{
	kipsec_genl_exit();
	kipsec_dp_exit();
	unregister_pernet_subsys(&kipsec_net_ops);
	rcu_barrier();
	kipsec_sad_module_exit();
	pr_info("unloaded\n");
}

module_init(kipsec_init);
module_exit(kipsec_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kipsec: IPsec (ESP, AH, ESP-in-UDP) with its own SAD/SPD over generic netlink");
MODULE_AUTHOR("The kipsec developers");
MODULE_VERSION(KIPSEC_VERSION);
MODULE_ALIAS_GENL_FAMILY(KIPSEC_GENL_NAME);
