/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The security policy database (one per netns, three directions).
 * spd.c owns the structure; the packet path calls kipsec_spd_lookup_rcu().
 */
#ifndef _KIPSEC_SPD_H
#define _KIPSEC_SPD_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/rhashtable-types.h>
#include "selector.h"

struct kipsec_net;
struct netlink_ext_ack;

#define KIPSEC_MAX_TMPLS 4

struct kipsec_tmpl {
	u8 proto;			/* IPPROTO_ESP / IPPROTO_AH */
	u8 mode;			/* KIPSEC_MODE_* */
	u8 level;			/* KIPSEC_LEVEL_* */
	u16 family;			/* of saddr/daddr; tunnel mode only */
	union kipsec_addr saddr;	/* tunnel endpoints */
	union kipsec_addr daddr;
	u32 reqid;			/* 0 = any */
	u32 spi;			/* 0 = any */
};

/*
 * Hash key of a policy (see spd.c): its class (direction, family, prefix
 * lengths, whether it names a protocol and a destination port) and the
 * values of those fields.
 */
struct kipsec_spd_key {
	union kipsec_addr daddr;	/* masked to dplen */
	union kipsec_addr saddr;	/* masked to splen */
	__be16 dport;			/* if shape has KIPSEC_SPD_DPORT */
	u16 family;
	u8 dir;
	u8 dplen;
	u8 splen;
	u8 proto;			/* if shape has KIPSEC_SPD_PROTO */
	u8 shape;
};

struct kipsec_sp {
	struct rcu_head rcu;
	refcount_t ref;
	u32 id;				/* kernel-assigned, never 0 */
	u8 dir;				/* KIPSEC_DIR_* */
	u8 action;			/* KIPSEC_ACTION_* */
	u32 priority;			/* lower wins */
	struct kipsec_sel sel;
	u8 ntmpl;
	struct kipsec_tmpl tmpl[KIPSEC_MAX_TMPLS];	/* innermost first */
	u64 __percpu *hits;		/* packets matched */
	unsigned long acquire_at;	/* jiffies of the last ACQUIRE, rate limit */
	u64 acquire_gen;		/* SAD generation at the last ACQUIRE */
	/* spd.c's linkage into its lookup structures follows. */
	struct kipsec_spd_key key;
	struct rhlist_head node;
};

struct kipsec_sp *kipsec_sp_alloc(void);
/* Frees a policy that was never inserted. */
void kipsec_sp_free_new(struct kipsec_sp *sp);
/*
 * Inserts sp (fills sp->id).  With update, sp replaces the policy with
 * sp->id if set, else the one of the same direction and selector.
 */
int kipsec_sp_insert(struct kipsec_net *kn, struct kipsec_sp *sp, bool update,
		     struct netlink_ext_ack *extack);
/* Referenced policy by id, or by (dir, sel) when id is 0; NULL if none. */
struct kipsec_sp *kipsec_sp_get(struct kipsec_net *kn, u32 id, u8 dir,
				const struct kipsec_sel *sel);
int kipsec_sp_delete(struct kipsec_net *kn, u32 id, u8 dir,
		     const struct kipsec_sel *sel);
/* Deletes all policies (of dir, unless dir < 0); returns how many. */
unsigned int kipsec_sp_flush(struct kipsec_net *kn, int dir);
/* Dump cursor: referenced policy with the smallest id > after, or NULL. */
struct kipsec_sp *kipsec_sp_next(struct kipsec_net *kn, u32 after);
void kipsec_sp_put(struct kipsec_sp *sp);
u64 kipsec_sp_hits(const struct kipsec_sp *sp);
bool kipsec_sel_equal(const struct kipsec_sel *a, const struct kipsec_sel *b);

struct kipsec_spd;

int kipsec_spd_init(struct kipsec_net *kn);
void kipsec_spd_exit(struct kipsec_net *kn);

/*
 * Highest-priority (lowest value) policy of direction dir matching fl, or
 * NULL.  Under rcu_read_lock(); the result is valid until rcu_read_unlock().
 * Cost: see Documentation/architecture.md.
 */
struct kipsec_sp *kipsec_spd_lookup_rcu(struct kipsec_net *kn, u8 dir,
					const struct kipsec_flow *fl);

/* Raises a rate-limited ACQUIRE event for sp/t on behalf of flow fl. */
void kipsec_acquire(struct kipsec_net *kn, struct kipsec_sp *sp,
		    const struct kipsec_tmpl *t, const struct kipsec_flow *fl);

#endif
