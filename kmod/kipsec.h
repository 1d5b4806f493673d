/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Module-wide definitions: the per-network-namespace state.  Each concern
 * (SAD, SPD, counters, encapsulation sockets) keeps its own part of it and
 * its own header.
 */
#ifndef _KIPSEC_H
#define _KIPSEC_H

#include <linux/types.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <linux/kipsec.h>

#ifndef KIPSEC_VERSION
#define KIPSEC_VERSION "0.0.0"
#endif

#include "sad.h"
#include "spd.h"
#include "stats.h"

struct kipsec_spd;
struct kipsec_dp_net;
struct kipsec_encap_net;

struct kipsec_net {
	struct net *net;
	struct kipsec_sad sad;			/* sad.c */
	struct kipsec_spd *spd;			/* spd.c */
	struct kipsec_stats __percpu *stats;	/* stats.h counters */
	struct kipsec_dp_net *dp;		/* datapath: hooks, devices (datapath.c) */
	struct kipsec_encap_net *encap;		/* ESP-in-UDP sockets (encap.c) */
	u64 mark_cookie;			/* policy.c: marks decrypted packets */
};

extern unsigned int kipsec_net_id;

static inline struct kipsec_net *kipsec_pernet(const struct net *net)
{
	return net_generic(net, kipsec_net_id);
}

int kipsec_genl_init(void);
void kipsec_genl_exit(void);

/*
 * Datapath (datapath.c): global registration (protocol handlers) and per netns
 * state (netfilter hooks, ...).
 */
int kipsec_dp_init(void);
void kipsec_dp_exit(void);
int kipsec_dp_net_init(struct kipsec_net *kn);
void kipsec_dp_net_exit(struct kipsec_net *kn);

#endif /* _KIPSEC_H */
