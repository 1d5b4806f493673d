/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Global per-netns counters, the kipsec analogue of /proc/net/xfrm_stat.
 * Names are user-visible (kipsec stats) and stable: append, never reorder.
 */
#ifndef _KIPSEC_STATS_H
#define _KIPSEC_STATS_H

#include <linux/percpu.h>

/* The counters; kipsec_stat_names[] in main.c gives their user-visible names. */
enum kipsec_stat {
	KIPSEC_STAT_IN_ERROR,
	KIPSEC_STAT_IN_BUFFER_ERROR,
	KIPSEC_STAT_IN_HDR_ERROR,
	KIPSEC_STAT_IN_NO_STATES,
	KIPSEC_STAT_IN_STATE_PROTO_ERROR,
	KIPSEC_STAT_IN_STATE_MODE_ERROR,
	KIPSEC_STAT_IN_STATE_SEQ_ERROR,
	KIPSEC_STAT_IN_STATE_EXPIRED,
	KIPSEC_STAT_IN_STATE_MISMATCH,
	KIPSEC_STAT_IN_STATE_INVALID,
	KIPSEC_STAT_IN_TMPL_MISMATCH,
	KIPSEC_STAT_IN_NO_POLS,
	KIPSEC_STAT_IN_POL_BLOCK,
	KIPSEC_STAT_IN_POL_ERROR,
	KIPSEC_STAT_IN_INTEGRITY_FAILED,
	KIPSEC_STAT_IN_ENCAP_ERROR,
	KIPSEC_STAT_IN_AH_ERROR,
	KIPSEC_STAT_IN_PACKETS,
	KIPSEC_STAT_IN_BYTES,
	KIPSEC_STAT_OUT_ERROR,
	KIPSEC_STAT_OUT_BUNDLE_GEN_ERROR,
	KIPSEC_STAT_OUT_BUNDLE_CHECK_ERROR,
	KIPSEC_STAT_OUT_NO_STATES,
	KIPSEC_STAT_OUT_STATE_PROTO_ERROR,
	KIPSEC_STAT_OUT_STATE_MODE_ERROR,
	KIPSEC_STAT_OUT_STATE_SEQ_ERROR,
	KIPSEC_STAT_OUT_STATE_EXPIRED,
	KIPSEC_STAT_OUT_POL_BLOCK,
	KIPSEC_STAT_OUT_POL_DEAD,
	KIPSEC_STAT_OUT_POL_ERROR,
	KIPSEC_STAT_OUT_STATE_INVALID,
	KIPSEC_STAT_OUT_PMTU_EXCEEDED,
	KIPSEC_STAT_OUT_PACKETS,
	KIPSEC_STAT_OUT_BYTES,
	KIPSEC_STAT_ACQUIRES,
	KIPSEC_STAT_ACQUIRES_SUPPRESSED,
	KIPSEC_STAT_IN_ENCAP_BAD_LENGTH,	/* UDP payload too short for ESP (also InEncapError) */
	KIPSEC_STAT_IN_ENCAP_NON_ESP,		/* non-ESP marker on an ESP-only socket (also InEncapError) */
	KIPSEC_STAT_IN_ENCAP_KEEPALIVES,	/* NAT keepalives swallowed (not errors) */
	KIPSEC_STAT_ENCAP_MAPPINGS,		/* MAPPING events raised */
	KIPSEC_STAT_IN_AH_AUTH_FAILED,		/* AH ICV mismatch (malformed AH: InAhError) */
	KIPSEC_STAT_IN_PMTU_LEARNED,		/* ICMP path MTU reports about our ESP packets */
	KIPSEC_STAT__MAX
};


extern const char *const kipsec_stat_names[KIPSEC_STAT__MAX];

struct kipsec_stats {
	u64 v[KIPSEC_STAT__MAX];
};

/* The per-netns counters (kn->stats, per CPU); bumped from any context. */
#define KIPSEC_INC_STATS(kn, id)	this_cpu_inc((kn)->stats->v[KIPSEC_STAT_##id])
#define KIPSEC_ADD_STATS(kn, id, n)	this_cpu_add((kn)->stats->v[KIPSEC_STAT_##id], (n))

#endif
