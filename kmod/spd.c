// SPDX-License-Identifier: GPL-2.0
/*
 * The security policy database.
 *
 * Tuple space search.  The policies of one direction and family fall into
 * classes by the shape of their selector: (destination prefix length, source
 * prefix length, whether it names a protocol, whether it names a destination
 * port).  Every policy is in one rhltable keyed by its class and its masked
 * addresses, protocol and port, so a chain only holds policies that differ
 * in what the key leaves out (source port, ICMP type/code).
 *
 * A lookup probes the classes in use in that direction and family, once
 * each: mask the packet's addresses to the class's lengths, hash, walk the
 * (short) chain.  Classes are kept sorted by the lowest priority value of
 * their policies: once a match is found, classes that cannot hold a better
 * one are not probed.  The cost depends on the number of classes in use, not
 * on the number of policies (see Documentation/architecture.md).
 *
 * The readers' class array is rebuilt by the writer and published with RCU
 * whenever a class appears, disappears or its lowest priority value drops.
 * Ids come from an xarray, which also gives dumps a cursor that survives
 * deletions.  Writers hold spd->lock; readers use RCU.
 */
#include <linux/rhashtable.h>
#include <linux/xarray.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include "kipsec.h"
#include "netlink.h"

#define KIPSEC_SPD_PROTO	1	/* the class's policies name a protocol */
#define KIPSEC_SPD_DPORT	2	/* ... and a destination port */

/* What a lookup needs of a class. */
struct kipsec_spd_cls {
	u32 min_prio;		/* no policy of the class has a lower value */
	u8 dplen;
	u8 splen;
	u8 shape;
};

/* The classes of one direction and family, by min_prio; read under RCU. */
struct kipsec_spd_clsv {
	struct rcu_head rcu;
	unsigned int n;
	struct kipsec_spd_cls c[];
};

/* The writer's record of a class. */
struct kipsec_spd_clsw {
	struct list_head list;
	struct kipsec_spd_cls c;
	u32 count;		/* policies in the class */
};

struct kipsec_spd {
	struct mutex lock;
	struct rhltable tab;
	struct xarray ids;
	u32 next_id;
	/* [dir][0 = IPv4, 1 = IPv6] */
	struct list_head clsw[3][2];
	struct kipsec_spd_clsv __rcu *clsv[3][2];
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

static u8 kipsec_sel_shape(const struct kipsec_sel *sel)
{
	bool icmp = sel->proto == (sel->family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);

	if (!sel->proto)
		return 0;
	/* Ports of an ICMP selector are not matched (selector.c). */
	return KIPSEC_SPD_PROTO | (sel->dport && !icmp ? KIPSEC_SPD_DPORT : 0);
}

/* The key of class c for a packet (or a selector) with these fields. */
static void kipsec_spd_key_make(struct kipsec_spd_key *k, u8 dir, u16 family,
				const struct kipsec_spd_cls *c,
				const union kipsec_addr *d, const union kipsec_addr *s,
				u8 proto, __be16 dport)
{
	memset(k, 0, sizeof(*k));
	k->dir = dir;
	k->family = family;
	k->dplen = c->dplen;
	k->splen = c->splen;
	k->shape = c->shape;
	if (family == AF_INET) {
		k->daddr.a4 = d->a4;
		k->saddr.a4 = s->a4;
	} else {
		k->daddr = *d;
		k->saddr = *s;
	}
	kipsec_mask(family, &k->daddr, c->dplen);
	kipsec_mask(family, &k->saddr, c->splen);
	if (c->shape & KIPSEC_SPD_PROTO)
		k->proto = proto;
	if (c->shape & KIPSEC_SPD_DPORT)
		k->dport = dport;
}

static void kipsec_sel_cls(const struct kipsec_sel *sel, u32 prio,
			   struct kipsec_spd_cls *c)
{
	c->min_prio = prio;
	c->dplen = sel->dprefix;
	c->splen = sel->sprefix;
	c->shape = kipsec_sel_shape(sel);
}

static void kipsec_sel_key(struct kipsec_spd_key *k, u8 dir, const struct kipsec_sel *sel)
{
	struct kipsec_spd_cls c;

	kipsec_sel_cls(sel, 0, &c);
	kipsec_spd_key_make(k, dir, sel->family, &c, &sel->daddr, &sel->saddr,
			    sel->proto, sel->dport);
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
	struct kipsec_sp *best = NULL, *sp;
	const struct kipsec_spd_clsv *v;
	struct rhlist_head *list, *pos;
	struct kipsec_spd_key key;
	unsigned int i;

	if (dir > KIPSEC_DIR_FWD ||
	    (fl->family != AF_INET && fl->family != AF_INET6))
		return NULL;
	v = rcu_dereference(spd->clsv[dir][fl->family == AF_INET6]);
	for (i = 0; v && i < v->n; i++) {
		/* Sorted by min_prio: nothing better in the rest. */
		if (best && v->c[i].min_prio > best->priority)
			break;
		kipsec_spd_key_make(&key, dir, fl->family, &v->c[i], &fl->daddr,
				    &fl->saddr, fl->proto, fl->dport);
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

/*
 * Under spd->lock: the policy of dir with exactly this selector.  Its chain
 * only holds policies that differ in source port or ICMP type/code.
 */
static struct kipsec_sp *kipsec_sp_find_sel(struct kipsec_spd *spd, u8 dir,
					    const struct kipsec_sel *sel)
{
	struct rhlist_head *list, *pos;
	struct kipsec_spd_key key;
	struct kipsec_sp *sp;

	kipsec_sel_key(&key, dir, sel);
	rcu_read_lock();
	list = rhltable_lookup(&spd->tab, &key, kipsec_sp_rht_params);
	rhl_for_each_entry_rcu(sp, pos, list, node)
		if (kipsec_sel_equal(&sp->sel, sel))
			break;
	rcu_read_unlock();
	return pos ? sp : NULL;
}

static int kipsec_cls_cmp(const void *a, const void *b)
{
	const struct kipsec_spd_cls *x = a, *y = b;

	return x->min_prio < y->min_prio ? -1 : x->min_prio > y->min_prio;
}

/*
 * Under spd->lock: publishes the classes of (dir, v6) that have policies,
 * sorted; forgets the empty ones.  On -ENOMEM the readers keep the previous
 * array (empty classes in it only cost a probe).
 */
static int kipsec_cls_publish(struct kipsec_spd *spd, u8 dir, bool v6)
{
	struct kipsec_spd_clsw *w, *tmp;
	struct kipsec_spd_clsv *v = NULL, *old;
	unsigned int n = 0;

	list_for_each_entry(w, &spd->clsw[dir][v6], list)
		n += !!w->count;
	if (n) {
		v = kmalloc(struct_size(v, c, n), GFP_KERNEL);
		if (!v)
			return -ENOMEM;
		v->n = 0;
		list_for_each_entry(w, &spd->clsw[dir][v6], list)
			if (w->count)
				v->c[v->n++] = w->c;
		sort(v->c, n, sizeof(v->c[0]), kipsec_cls_cmp, NULL);
	}
	old = rcu_replace_pointer(spd->clsv[dir][v6], v, lockdep_is_held(&spd->lock));
	if (old)
		kfree_rcu(old, rcu);
	list_for_each_entry_safe(w, tmp, &spd->clsw[dir][v6], list) {
		if (!w->count) {
			list_del(&w->list);
			kfree(w);
		}
	}
	return 0;
}

/* Under spd->lock: the writer's record of sp's class, created if needed. */
static struct kipsec_spd_clsw *kipsec_clsw_get(struct kipsec_spd *spd,
					       const struct kipsec_sp *sp)
{
	struct list_head *head = &spd->clsw[sp->dir][sp->sel.family == AF_INET6];
	struct kipsec_spd_clsw *w;
	struct kipsec_spd_cls c;

	kipsec_sel_cls(&sp->sel, sp->priority, &c);
	list_for_each_entry(w, head, list)
		if (w->c.dplen == c.dplen && w->c.splen == c.splen &&
		    w->c.shape == c.shape)
			return w;
	w = kzalloc(sizeof(*w), GFP_KERNEL);
	if (!w)
		return NULL;
	w->c = c;
	list_add_tail(&w->list, head);
	return w;
}

static void kipsec_sp_unlink(struct kipsec_spd *spd, struct kipsec_sp *sp)
{
	bool v6 = sp->sel.family == AF_INET6;
	struct kipsec_spd_clsw *w = kipsec_clsw_get(spd, sp);

	rhltable_remove(&spd->tab, &sp->node, kipsec_sp_rht_params);
	/* The class exists: sp is in it (no allocation happened). */
	if (!WARN_ON_ONCE(!w || !w->count) && !--w->count)
		kipsec_cls_publish(spd, sp->dir, v6);
}

static int kipsec_sp_link(struct kipsec_spd *spd, struct kipsec_sp *sp)
{
	bool v6 = sp->sel.family == AF_INET6;
	struct kipsec_spd_clsw *w;
	int err;

	kipsec_sel_key(&sp->key, sp->dir, &sp->sel);
	w = kipsec_clsw_get(spd, sp);
	if (!w)
		return -ENOMEM;
	err = rhltable_insert(&spd->tab, &sp->node, kipsec_sp_rht_params);
	if (err)
		goto undo;
	/* A lower bound is enough: the value only drops, until the class empties. */
	if (!w->count++ || sp->priority < w->c.min_prio) {
		w->c.min_prio = min(w->c.min_prio, sp->priority);
		err = kipsec_cls_publish(spd, sp->dir, v6);
		if (err) {
			w->count--;
			rhltable_remove(&spd->tab, &sp->node, kipsec_sp_rht_params);
			goto undo;
		}
	}
	return 0;
undo:
	if (!w->count) {
		list_del(&w->list);
		kfree(w);
	}
	return err;
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
	int err, dir;

	if (!spd)
		return -ENOMEM;
	mutex_init(&spd->lock);
	xa_init_flags(&spd->ids, XA_FLAGS_ALLOC1);
	for (dir = 0; dir < 3; dir++) {
		INIT_LIST_HEAD(&spd->clsw[dir][0]);
		INIT_LIST_HEAD(&spd->clsw[dir][1]);
	}
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

	struct kipsec_spd_clsw *w, *tmp;
	struct kipsec_spd_clsv *v;
	int dir, v6;

	kipsec_sp_flush(kn, -1);
	rhltable_destroy(&spd->tab);
	xa_destroy(&spd->ids);
	/* Left over only if a publish failed for lack of memory. */
	for (dir = 0; dir < 3; dir++) {
		for (v6 = 0; v6 < 2; v6++) {
			list_for_each_entry_safe(w, tmp, &spd->clsw[dir][v6], list)
				kfree(w);
			v = rcu_dereference_protected(spd->clsv[dir][v6], 1);
			if (v)
				kfree_rcu(v, rcu);
		}
	}
	/* Policies still referenced by RCU readers are freed by call_rcu. */
	kfree(spd);
	kn->spd = NULL;
}
