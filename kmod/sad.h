/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The security association database (one per netns).
 *
 * Ownership: sad.c keeps the tables, the lifetimes and the references;
 * crypto.c owns sa->crypto, replay.c owns sa->replay.  The packet path only
 * ever sees an SA through an RCU lookup followed by kipsec_sa_hold() when it
 * has to keep it beyond the RCU section (async crypto).
 */
#ifndef _KIPSEC_SAD_H
#define _KIPSEC_SAD_H

#include <linux/refcount.h>
#include <linux/rhashtable-types.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/u64_stats_sync.h>
#include <net/genetlink.h>
#include "selector.h"
#include "replay.h"
#include "crypto.h"

struct kipsec_net;

/* Lookup key of an SA: what an inbound ESP/AH packet carries. */
struct kipsec_sa_id {
	union kipsec_addr daddr;
	__u32 spi;
	__u16 family;
	__u8 proto;
	__u8 pad;
};

struct kipsec_lifetime {
	u64 soft_bytes, hard_bytes;
	u64 soft_packets, hard_packets;
	u64 soft_add, hard_add;		/* seconds after add */
	u64 soft_use, hard_use;		/* seconds after first use */
};

struct kipsec_encap {
	u8 type;			/* 0 none, KIPSEC_ENCAP_ESPINUDP */
	__be16 sport;
	__be16 dport;
	union kipsec_addr oa;		/* original address, transport mode */
	bool has_oa;
	/* Inbound: the last MAPPING reported (encap.c), under the SA's lock. */
	union kipsec_addr map_addr;
	__be16 map_port;
	unsigned long map_time;		/* jiffies | 1; 0 = never */
};

/* Per-SA drop reasons (kipsec show -s). */
enum kipsec_sa_drop {
	KIPSEC_SA_DROP_REPLAY,
	KIPSEC_SA_DROP_INTEGRITY,
	KIPSEC_SA_DROP_SELECTOR,
	KIPSEC_SA_DROP_EXPIRED,
	KIPSEC_SA_DROP_NOMEM,
	KIPSEC_SA_DROP_MALFORMED,
	KIPSEC_SA_DROP_SEQ_OVERFLOW,
	KIPSEC_SA_DROP_PMTU,
	KIPSEC_SA_DROP__MAX
};


struct kipsec_sa_pcpu_stats {
	u64 in_packets, in_bytes;
	u64 out_packets, out_bytes;
	u64 drops[KIPSEC_SA_DROP__MAX];
	struct u64_stats_sync syncp;
};

struct kipsec_sa {
	struct rhash_head node;		/* kn->sad.by_id */
	struct hlist_node out_node;	/* kn->sad.out[], outbound lookup */
	u64 gen;			/* insertion order, dump cursor */
	struct rcu_work free_work;	/* frees after a grace period, in process context */
	struct list_head list;		/* kn->sad.list, for dumps and flush; under sad.lock */
	struct rcu_head rcu;
	refcount_t ref;
	struct kipsec_net *kn;

	struct kipsec_sa_id id;		/* proto, spi, family, daddr (outer) */
	union kipsec_addr saddr;	/* outer source */
	u8 mode;			/* KIPSEC_MODE_* */
	u32 reqid;
	u32 flags;			/* KIPSEC_SAF_* */
	u32 replay_window;		/* packets, as configured */
	struct kipsec_sel sel;		/* inner traffic; sel.family = inner family */
	struct kipsec_lifetime lft;
	struct kipsec_encap encap;

	struct kipsec_sa_crypto crypto;	/* crypto.c */
	struct kipsec_replay *replay;	/* replay.c: inbound window + outbound seq */

	spinlock_t lock;		/* lifetime accounting, expiry state */
	u64 cur_bytes, cur_packets;
	time64_t add_time, use_time;	/* use_time 0 = unused */
	bool soft_expired;
	bool dead;			/* hard expired or deleted: no new packets */
	struct delayed_work lft_work;	/* time-based lifetimes */

	struct kipsec_sa_pcpu_stats __percpu *stats;

	/* Path MTU of the ESP packets, learned from ICMP (pmtu.c); 0 = none. */
	u32 pmtu;
	unsigned long pmtu_expires;	/* jiffies */
};

#define KIPSEC_SAD_OUT_BITS 12

struct kipsec_sad {
	struct rhashtable by_id;
	/* Outbound: hashed by (proto, family, outer daddr); newest first. */
	struct hlist_head out[1 << KIPSEC_SAD_OUT_BITS];
	struct list_head list;		/* in gen order */
	struct mutex lock;		/* writers */
	unsigned int count;
	u64 gen;
};

int kipsec_sad_module_init(void);
void kipsec_sad_module_exit(void);

/* Control plane (netlink.c), under no lock; they take sad.lock. */
struct kipsec_sa *kipsec_sa_alloc(struct kipsec_net *kn);
/* Frees an SA that was never inserted (crypto/replay as far as set up). */
void kipsec_sa_free_new(struct kipsec_sa *sa);
/*
 * Sets up crypto (taking ownership of p on success) and replay, then
 * inserts sa; with replace, sa takes the place of the SA of the same id.
 * On error nothing changed and the caller frees sa with kipsec_sa_free_new().
 */
int kipsec_sa_insert(struct kipsec_net *kn, struct kipsec_sa *sa,
		     struct kipsec_alg_params *p, bool replace,
		     struct netlink_ext_ack *extack);
/* Referenced SA with identity id, or NULL. */
struct kipsec_sa *kipsec_sa_get(struct kipsec_net *kn, const struct kipsec_sa_id *id);
int kipsec_sa_delete(struct kipsec_net *kn, const struct kipsec_sa_id *id);
/* Deletes every SA (of proto, if not 0); returns how many. */
unsigned int kipsec_sa_flush(struct kipsec_net *kn, u8 proto);
/*
 * Dump cursor: the SA after prev (referenced, may be NULL to start) in
 * insertion order, referenced, or NULL at the end.  prev keeps its reference.
 */
struct kipsec_sa *kipsec_sa_next(struct kipsec_net *kn, struct kipsec_sa *prev);
/* Per-SA counters summed over CPUs. */
void kipsec_sa_stats(struct kipsec_sa *sa, struct kipsec_sa_pcpu_stats *sum);

int kipsec_sad_init(struct kipsec_net *kn);
void kipsec_sad_exit(struct kipsec_net *kn);

/* Packet path, under rcu_read_lock(). */
struct kipsec_sa *kipsec_sa_lookup_rcu(struct kipsec_net *kn, u8 proto, u32 spi,
				       u16 family, const union kipsec_addr *daddr);

/*
 * The SA to use for an outbound packet matching template t of policy sp
 * (see spd.h): same proto, mode, reqid (if the template has one), and outer
 * endpoints (the template's in tunnel mode, the flow's in transport mode),
 * alive.  The newest one wins, so that a rekeyed SA takes over.
 */
struct kipsec_tmpl;
struct kipsec_sa *kipsec_sa_find_out_rcu(struct kipsec_net *kn,
					 const struct kipsec_tmpl *t,
					 const struct kipsec_flow *fl);

/*
 * Whether sa is an SA template t (of a policy matching flow fl) calls for:
 * the same test as kipsec_sa_find_out_rcu(), used inbound to check that a
 * decrypted packet came through the SA its policy requires.
 */
bool kipsec_sa_matches_tmpl(const struct kipsec_sa *sa, const struct kipsec_tmpl *t,
			    const struct kipsec_flow *fl);

static inline void kipsec_sa_hold(struct kipsec_sa *sa)
{
	refcount_inc(&sa->ref);
}

void kipsec_sa_put(struct kipsec_sa *sa);

/*
 * Accounts a packet of len bytes on sa (both directions).  Returns false if
 * the SA may no longer be used (hard lifetime reached: the caller drops the
 * packet).  Raises the soft/hard EXPIRE events.
 */
bool kipsec_sa_account(struct kipsec_sa *sa, unsigned int len, bool out);
void kipsec_sa_drop(struct kipsec_sa *sa, enum kipsec_sa_drop why);

#endif
