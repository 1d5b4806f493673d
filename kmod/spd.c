// SPDX-License-Identifier: GPL-2.0
/*
 * The security policy database.
 *
 * Policies live in an rhltable keyed by (direction, family, destination
 * prefix length, masked destination).  A lookup hashes the packet's
 * destination once for each destination prefix length in use in that
 * direction and family (a bitmap: at most 33 for IPv4, 129 for IPv6) and
 * checks the full selector of the few policies in each chain.  Its cost does
 * not depend on the number of policies, only on the number of distinct
 * destination prefix lengths and on how many policies share one destination
 * prefix (see Documentation/architecture.md).
 *
 * Ids come from an xarray, which also gives dumps a cursor that survives
 * deletions.  Writers hold spd->lock; readers use RCU.
 */
#include <linux/rhashtable.h>
#include <linux/xarray.h>
#include <linux/slab.h>
#include "kipsec.h"
#include "netlink.h"

#define KIPSEC_PLENS 129

struct kipsec_spd_plens {
	DECLARE_BITMAP(used, KIPSEC_PLENS);
	u32 count[KIPSEC_PLENS];
};

struct kipsec_spd {
	struct mutex lock;
	struct rhltable tab;
	struct xarray ids;
	u32 next_id;
	/* [dir][0 = IPv4, 1 = IPv6] */
	struct kipsec_spd_plens plens[3][2];
};

static const struct rhashtable_params kipsec_sp_rht_params = {
	.key_len = sizeof(struct kipsec_spd_key),
	.key_offset = offsetof(struct kipsec_sp, key),
	.head_offset = offsetof(struct kipsec_sp, node),
	.automatic_shrinking = true,
};

bool kipsec_sel_equal(const struct kipsec_sel *a, const struct kipsec_sel *b)
{
	return a->family == b->family && a->sprefix == b->sprefix &&
	       a->dprefix == b->dprefix && a->proto == b->proto &&
	       a->has_icmp_type == b->has_icmp_type &&
	       a->has_icmp_code == b->has_icmp_code &&
	       (!a->has_icmp_type || a->icmp_type == b->icmp_type) &&
	       (!a->has_icmp_code || a->icmp_code == b->icmp_code) &&
	       a->sport == b->sport && a->dport == b->dport &&
	       kipsec_addr_equal(a->family, &a->saddr, &b->saddr) &&
	       kipsec_addr_equal(a->family, &a->daddr, &b->daddr);
}

static void kipsec_mask(u16 family, union kipsec_addr *a, u8 plen)
{
	int i;

	if (family == AF_INET) {
		a->a4 &= plen ? htonl(~0U << (32 - plen)) : 0;
		return;
	}
	for (i = 0; i < 4; i++, plen = plen > 32 ? plen - 32 : 0)
		if (plen < 32)
			a->a6[i] &= plen ? htonl(~0U << (32 - plen)) : 0;
}

static void kipsec_spd_key_make(struct kipsec_spd_key *k, u8 dir, u16 family,
				const union kipsec_addr *d, u8 plen)
{
	memset(k, 0, sizeof(*k));
	k->dir = dir;
	k->family = family;
	k->dplen = plen;
	if (family == AF_INET)
		k->daddr.a4 = d->a4;
	else
		k->daddr = *d;
	kipsec_mask(family, &k->daddr, plen);
}

static struct kipsec_spd_plens *kipsec_plens(struct kipsec_spd *spd, u8 dir, u16 family)
{
	return &spd->plens[dir][family == AF_INET6];
}

/* Better: lower priority value, then older (lower id). */
static bool kipsec_sp_better(const struct kipsec_sp *a, const struct kipsec_sp *b)
{
	if (!b)
		return true;
	if (a->priority != b->priority)
		return a->priority < b->priority;
	return a->id < b->id;
}

struct kipsec_sp *kipsec_spd_lookup_rcu(struct kipsec_net *kn, u8 dir,
					const struct kipsec_flow *fl)
{
	struct kipsec_spd *spd = kn->spd;
	struct kipsec_spd_plens *pl;
	struct kipsec_sp *best = NULL, *sp;
	struct rhlist_head *list, *pos;
	struct kipsec_spd_key key;
	unsigned int plen;

	if (dir > KIPSEC_DIR_FWD ||
	    (fl->family != AF_INET && fl->family != AF_INET6))
		return NULL;
	pl = kipsec_plens(spd, dir, fl->family);
	for_each_set_bit(plen, pl->used, KIPSEC_PLENS) {
		kipsec_spd_key_make(&key, dir, fl->family, &fl->daddr, plen);
		list = rhltable_lookup(&spd->tab, &key, kipsec_sp_rht_params);
		rhl_for_each_entry_rcu(sp, pos, list, node)
			if (kipsec_sp_better(sp, best) && kipsec_sel_match(&sp->sel, fl))
				best = sp;
	}
	if (best)
		this_cpu_inc(*best->hits);
	return best;
}

struct kipsec_sp *kipsec_sp_alloc(void)
{
	struct kipsec_sp *sp = kzalloc(sizeof(*sp), GFP_KERNEL);

	if (!sp)
		return NULL;
	sp->hits = alloc_percpu(u64);
	if (!sp->hits) {
		kfree(sp);
		return NULL;
	}
	refcount_set(&sp->ref, 1);
	INIT_LIST_HEAD(&sp->list);
	return sp;
}

void kipsec_sp_free_new(struct kipsec_sp *sp)
{
	free_percpu(sp->hits);
	kfree(sp);
}

static void kipsec_sp_free_rcu(struct rcu_head *h)
{
	kipsec_sp_free_new(container_of(h, struct kipsec_sp, rcu));
}

void kipsec_sp_put(struct kipsec_sp *sp)
{
	if (refcount_dec_and_test(&sp->ref))
		call_rcu(&sp->rcu, kipsec_sp_free_rcu);
}

u64 kipsec_sp_hits(const struct kipsec_sp *sp)
{
	u64 n = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		n += *per_cpu_ptr(sp->hits, cpu);
	return n;
}

/* Under spd->lock: the policy of dir with exactly this selector. */
static struct kipsec_sp *kipsec_sp_find_sel(struct kipsec_spd *spd, u8 dir,
					    const struct kipsec_sel *sel)
{
	struct rhlist_head *list, *pos;
	struct kipsec_spd_key key;
	struct kipsec_sp *sp;

	kipsec_spd_key_make(&key, dir, sel->family, &sel->daddr, sel->dprefix);
	rcu_read_lock();
	list = rhltable_lookup(&spd->tab, &key, kipsec_sp_rht_params);
	rhl_for_each_entry_rcu(sp, pos, list, node)
		if (kipsec_sel_equal(&sp->sel, sel))
			break;
	rcu_read_unlock();
	return pos ? sp : NULL;
}

static int kipsec_sp_link(struct kipsec_spd *spd, struct kipsec_sp *sp)
{
	struct kipsec_spd_plens *pl = kipsec_plens(spd, sp->dir, sp->sel.family);
	int err;

	kipsec_spd_key_make(&sp->key, sp->dir, sp->sel.family, &sp->sel.daddr,
			    sp->sel.dprefix);
	err = rhltable_insert(&spd->tab, &sp->node, kipsec_sp_rht_params);
	if (err)
		return err;
	if (!pl->count[sp->key.dplen]++)
		set_bit(sp->key.dplen, pl->used);
	return 0;
}

static void kipsec_sp_unlink(struct kipsec_spd *spd, struct kipsec_sp *sp)
{
	struct kipsec_spd_plens *pl = kipsec_plens(spd, sp->dir, sp->sel.family);

	rhltable_remove(&spd->tab, &sp->node, kipsec_sp_rht_params);
	if (!--pl->count[sp->key.dplen])
		clear_bit(sp->key.dplen, pl->used);
}

static int kipsec_sp_replace(struct kipsec_spd *spd, struct kipsec_sp *old,
			     struct kipsec_sp *sp)
{
	int err;

	/* The new one is in place before the old one goes: no gap. */
	sp->id = old->id;
	err = kipsec_sp_link(spd, sp);
	if (err)
		return err;
	xa_store(&spd->ids, sp->id, sp, GFP_KERNEL);
	kipsec_sp_unlink(spd, old);
	kipsec_sp_put(old);
	return 0;
}

static int kipsec_sp_add(struct kipsec_spd *spd, struct kipsec_sp *sp,
			 struct netlink_ext_ack *extack)
{
	int err;

	err = xa_alloc_cyclic(&spd->ids, &sp->id, sp, xa_limit_31b, &spd->next_id,
			      GFP_KERNEL);
	if (err < 0) {
		NL_SET_ERR_MSG(extack, "no policy id left");
		return err;
	}
	err = kipsec_sp_link(spd, sp);
	if (err) {
		xa_erase(&spd->ids, sp->id);
		NL_SET_ERR_MSG(extack, "cannot insert the policy into the SPD");
	}
	return err;
}

int kipsec_sp_insert(struct kipsec_net *kn, struct kipsec_sp *sp, bool update,
		     struct netlink_ext_ack *extack)
{
	struct kipsec_spd *spd = kn->spd;
	struct kipsec_sp *old;
	int err;

	mutex_lock(&spd->lock);
	if (update && sp->id)
		old = xa_load(&spd->ids, sp->id);
	else
		old = kipsec_sp_find_sel(spd, sp->dir, &sp->sel);
	if (update) {
		err = -ENOENT;
		if (!old) {
			NL_SET_ERR_MSG(extack, "no such policy to update");
			goto out;
		}
		if (old->dir != sp->dir) {
			err = -EINVAL;
			NL_SET_ERR_MSG(extack, "an update cannot change the direction");
			goto out;
		}
		err = kipsec_sp_replace(spd, old, sp);
	} else if (old) {
		err = -EEXIST;
		NL_SET_ERR_MSG(extack, "policy with this direction and selector already exists");
	} else {
		err = kipsec_sp_add(spd, sp, extack);
	}
	if (!err)
		kipsec_event_sp(kn, sp, KIPSEC_CMD_SP_ADD);
out:
	mutex_unlock(&spd->lock);
	return err;
}

struct kipsec_sp *kipsec_sp_get(struct kipsec_net *kn, u32 id, u8 dir,
				const struct kipsec_sel *sel)
{
	struct kipsec_spd *spd = kn->spd;
	struct kipsec_sp *sp;

	mutex_lock(&spd->lock);
	sp = id ? xa_load(&spd->ids, id) : kipsec_sp_find_sel(spd, dir, sel);
	if (sp)
		refcount_inc(&sp->ref);
	mutex_unlock(&spd->lock);
	return sp;
}

int kipsec_sp_delete(struct kipsec_net *kn, u32 id, u8 dir,
		     const struct kipsec_sel *sel)
{
	struct kipsec_spd *spd = kn->spd;
	struct kipsec_sp *sp;

	mutex_lock(&spd->lock);
	sp = id ? xa_load(&spd->ids, id) : kipsec_sp_find_sel(spd, dir, sel);
	if (sp) {
		xa_erase(&spd->ids, sp->id);
		kipsec_sp_unlink(spd, sp);
		kipsec_event_sp(kn, sp, KIPSEC_CMD_SP_DEL);
		kipsec_sp_put(sp);
	}
	mutex_unlock(&spd->lock);
	return sp ? 0 : -ENOENT;
}

unsigned int kipsec_sp_flush(struct kipsec_net *kn, int dir)
{
	struct kipsec_spd *spd = kn->spd;
	struct kipsec_sp *sp;
	unsigned long id;
	unsigned int n = 0;

	mutex_lock(&spd->lock);
	xa_for_each(&spd->ids, id, sp) {
		if (dir >= 0 && sp->dir != dir)
			continue;
		xa_erase(&spd->ids, id);
		kipsec_sp_unlink(spd, sp);
		kipsec_sp_put(sp);
		if (!(++n & 1023))
			cond_resched();
	}
	mutex_unlock(&spd->lock);
	return n;
}

struct kipsec_sp *kipsec_sp_next(struct kipsec_net *kn, u32 after)
{
	struct kipsec_spd *spd = kn->spd;
	unsigned long id = (unsigned long)after + 1;
	struct kipsec_sp *sp;

	mutex_lock(&spd->lock);
	sp = xa_find(&spd->ids, &id, ULONG_MAX, XA_PRESENT);
	if (sp)
		refcount_inc(&sp->ref);
	mutex_unlock(&spd->lock);
	return sp;
}

int kipsec_spd_init(struct kipsec_net *kn)
{
	struct kipsec_spd *spd = kzalloc(sizeof(*spd), GFP_KERNEL);
	int err;

	if (!spd)
		return -ENOMEM;
	mutex_init(&spd->lock);
	xa_init_flags(&spd->ids, XA_FLAGS_ALLOC1);
	err = rhltable_init(&spd->tab, &kipsec_sp_rht_params);
	if (err) {
		kfree(spd);
		return err;
	}
	kn->spd = spd;
	return 0;
}

void kipsec_spd_exit(struct kipsec_net *kn)
{
	struct kipsec_spd *spd = kn->spd;

	kipsec_sp_flush(kn, -1);
	rhltable_destroy(&spd->tab);
	xa_destroy(&spd->ids);
	/* Policies still referenced by RCU readers are freed by call_rcu. */
	kfree(spd);
	kn->spd = NULL;
}
