// SPDX-License-Identifier: GPL-2.0
/*
 * The security association database: an rhashtable keyed by what inbound
 * packets carry (proto, SPI, family, destination), a small hash for the
 * outbound choice, and an insertion-ordered list for dumps and flushes.
 * Writers hold sad.lock; the packet path only reads under RCU.  An SA is
 * freed by its last reference, after a grace period and in process context
 * (crypto transforms may not be freed from softirq).
 */
#include <linux/jhash.h>
#include <linux/netdevice.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include "kipsec.h"
#include "netlink.h"
#include "compat.h"

static struct workqueue_struct *kipsec_sa_wq;

static const struct rhashtable_params kipsec_sa_rht_params = {
	.key_len = sizeof(struct kipsec_sa_id),
	.key_offset = offsetof(struct kipsec_sa, id),
	.head_offset = offsetof(struct kipsec_sa, node),
	.automatic_shrinking = true,
};

int kipsec_sad_module_init(void)
{
	kipsec_sa_wq = alloc_workqueue("kipsec_sa", WQ_UNBOUND, 0);
	return kipsec_sa_wq ? 0 : -ENOMEM;
}

/* After rcu_barrier(): every queued free has been queued, run them. */
void kipsec_sad_module_exit(void)
{
	destroy_workqueue(kipsec_sa_wq);
}

static u32 kipsec_sa_out_hash(u8 proto, u16 family, const union kipsec_addr *d)
{
	u32 h = family == AF_INET ? jhash_1word(d->a4, proto) :
		jhash2(d->a6, 4, proto);

	return hash_32(h, KIPSEC_SAD_OUT_BITS);
}

static void kipsec_sa_lft_work(struct work_struct *w);

struct kipsec_sa *kipsec_sa_alloc(struct kipsec_net *kn)
{
	struct kipsec_sa *sa = kzalloc(sizeof(*sa), GFP_KERNEL);

	if (!sa)
		return NULL;
	sa->stats = netdev_alloc_pcpu_stats(struct kipsec_sa_pcpu_stats);
	if (!sa->stats) {
		kfree(sa);
		return NULL;
	}
	sa->kn = kn;
	refcount_set(&sa->ref, 1);
	spin_lock_init(&sa->lock);
	INIT_LIST_HEAD(&sa->list);
	INIT_DELAYED_WORK(&sa->lft_work, kipsec_sa_lft_work);
	return sa;
}

void kipsec_sa_free_new(struct kipsec_sa *sa)
{
	if (sa->crypto.params)
		kipsec_crypto_free(&sa->crypto);
	if (sa->replay)
		kipsec_replay_free(sa->replay);
	free_percpu(sa->stats);
	kfree(sa);
}

static void kipsec_sa_free_work(struct work_struct *w)
{
	struct kipsec_sa *sa = container_of(to_rcu_work(w), struct kipsec_sa, free_work);

	cancel_delayed_work_sync(&sa->lft_work);
	kipsec_sa_free_new(sa);
}

void kipsec_sa_put(struct kipsec_sa *sa)
{
	if (!refcount_dec_and_test(&sa->ref))
		return;
	INIT_RCU_WORK(&sa->free_work, kipsec_sa_free_work);
	queue_rcu_work(kipsec_sa_wq, &sa->free_work);
}

struct kipsec_sa *kipsec_sa_lookup_rcu(struct kipsec_net *kn, u8 proto, u32 spi,
				       u16 family, const union kipsec_addr *daddr)
{
	struct kipsec_sa_id id = { .spi = spi, .family = family, .proto = proto };

	if (family == AF_INET)
		id.daddr.a4 = daddr->a4;
	else
		id.daddr = *daddr;
	return rhashtable_lookup(&kn->sad.by_id, &id, kipsec_sa_rht_params);
}

static bool kipsec_sa_fits_tmpl(const struct kipsec_sa *sa, const struct kipsec_tmpl *t,
				const struct kipsec_flow *fl, u16 family,
				const union kipsec_addr *d)
{
	if (sa->id.proto != t->proto || sa->mode != t->mode ||
	    sa->id.family != family || READ_ONCE(sa->dead))
		return false;
	if (t->reqid && sa->reqid != t->reqid)
		return false;
	if (t->spi && sa->id.spi != t->spi)
		return false;
	if (!kipsec_addr_equal(family, &sa->id.daddr, d))
		return false;
	if (t->mode == KIPSEC_MODE_TUNNEL)
		return kipsec_addr_equal(family, &sa->saddr, &t->saddr);
	return kipsec_addr_equal(family, &sa->saddr, &fl->saddr);
}

/* The outer family and destination template t asks for on behalf of flow fl. */
static u16 kipsec_tmpl_dst(const struct kipsec_tmpl *t, const struct kipsec_flow *fl,
			   const union kipsec_addr **d)
{
	if (t->mode == KIPSEC_MODE_TUNNEL) {
		*d = &t->daddr;
		return t->family;
	}
	*d = &fl->daddr;
	return fl->family;
}

struct kipsec_sa *kipsec_sa_find_out_rcu(struct kipsec_net *kn,
					 const struct kipsec_tmpl *t,
					 const struct kipsec_flow *fl)
{
	const union kipsec_addr *d;
	u16 family = kipsec_tmpl_dst(t, fl, &d);
	struct kipsec_sa *sa;
	u32 h = kipsec_sa_out_hash(t->proto, family, d);

	hlist_for_each_entry_rcu(sa, &kn->sad.out[h], out_node)
		if (kipsec_sa_fits_tmpl(sa, t, fl, family, d))
			return sa;
	return NULL;
}

bool kipsec_sa_matches_tmpl(const struct kipsec_sa *sa, const struct kipsec_tmpl *t,
			    const struct kipsec_flow *fl)
{
	const union kipsec_addr *d;
	u16 family = kipsec_tmpl_dst(t, fl, &d);

	return kipsec_sa_fits_tmpl(sa, t, fl, family, d);
}

/* Time limits: the earliest pending soft or hard deadline, in seconds. */
static s64 kipsec_sa_next_deadline(struct kipsec_sa *sa, time64_t now, bool *hard)
{
	struct kipsec_lifetime *l = &sa->lft;
	s64 next = S64_MAX;
	time64_t use = sa->use_time;

	*hard = false;
	if (l->hard_add && sa->add_time + l->hard_add <= now)
		*hard = true;
	if (l->hard_use && use && use + l->hard_use <= now)
		*hard = true;
	if (*hard)
		return 0;
	if (l->hard_add)
		next = min_t(s64, next, sa->add_time + l->hard_add - now);
	if (l->hard_use && use)
		next = min_t(s64, next, use + l->hard_use - now);
	if (!sa->soft_expired) {
		if (l->soft_add)
			next = min_t(s64, next, sa->add_time + l->soft_add - now);
		if (l->soft_use && use)
			next = min_t(s64, next, use + l->soft_use - now);
	}
	return next;
}

static void kipsec_sa_soft_expire(struct kipsec_sa *sa)
{
	bool fire;

	spin_lock_bh(&sa->lock);
	fire = !sa->soft_expired;
	sa->soft_expired = true;
	spin_unlock_bh(&sa->lock);
	if (fire)
		kipsec_event_expire(sa, false);
}

static void kipsec_sa_unlink(struct kipsec_sa *sa);

/* Runs at deadlines (and right away on a packet-path hard expiry). */
static void kipsec_sa_lft_work(struct work_struct *w)
{
	struct kipsec_sa *sa = container_of(to_delayed_work(w), struct kipsec_sa, lft_work);
	struct kipsec_sad *sad = &sa->kn->sad;
	time64_t now = ktime_get_real_seconds();
	bool hard;
	s64 next;

	mutex_lock(&sad->lock);
	if (list_empty(&sa->list))
		goto out;	/* already deleted */
	next = kipsec_sa_next_deadline(sa, now, &hard);
	if (hard || READ_ONCE(sa->dead)) {
		kipsec_event_expire(sa, true);
		kipsec_sa_unlink(sa);
		kipsec_event_sa(sa, KIPSEC_CMD_SA_DEL);
		kipsec_sa_put(sa);
		goto out;
	}
	if (!sa->soft_expired) {
		struct kipsec_lifetime *l = &sa->lft;

		if ((l->soft_add && sa->add_time + l->soft_add <= now) ||
		    (l->soft_use && sa->use_time && sa->use_time + l->soft_use <= now)) {
			kipsec_sa_soft_expire(sa);
			next = kipsec_sa_next_deadline(sa, now, &hard);
		}
	}
	if (next != S64_MAX)
		queue_delayed_work(kipsec_sa_wq, &sa->lft_work, max_t(s64, next, 1) * HZ);
out:
	mutex_unlock(&sad->lock);
}

static void kipsec_sa_arm_lft(struct kipsec_sa *sa)
{
	bool hard;
	s64 next = kipsec_sa_next_deadline(sa, ktime_get_real_seconds(), &hard);

	if (next != S64_MAX)
		mod_delayed_work(kipsec_sa_wq, &sa->lft_work, next * HZ);
}

bool kipsec_sa_account(struct kipsec_sa *sa, unsigned int len, bool out)
{
	struct kipsec_sa_pcpu_stats *st;
	struct kipsec_lifetime *l = &sa->lft;
	bool soft = false, hard = false, first = false;

	if (READ_ONCE(sa->dead))
		return false;
	spin_lock(&sa->lock);
	sa->cur_bytes += len;
	sa->cur_packets++;
	if (!sa->use_time) {
		sa->use_time = ktime_get_real_seconds();
		first = l->soft_use || l->hard_use;
	}
	if ((l->hard_bytes && sa->cur_bytes > l->hard_bytes) ||
	    (l->hard_packets && sa->cur_packets > l->hard_packets))
		hard = true;
	else if (!sa->soft_expired &&
		 ((l->soft_bytes && sa->cur_bytes >= l->soft_bytes) ||
		  (l->soft_packets && sa->cur_packets >= l->soft_packets)))
		soft = sa->soft_expired = true;
	spin_unlock(&sa->lock);

	if (hard) {
		/* The work sends EXPIRE hard and removes the SA. */
		WRITE_ONCE(sa->dead, true);
		mod_delayed_work(kipsec_sa_wq, &sa->lft_work, 0);
		kipsec_sa_drop(sa, KIPSEC_SA_DROP_EXPIRED);
		return false;
	}
	if (soft)
		kipsec_event_expire(sa, false);
	if (first)
		mod_delayed_work(kipsec_sa_wq, &sa->lft_work, 0);

	st = this_cpu_ptr(sa->stats);
	u64_stats_update_begin(&st->syncp);
	if (out) {
		st->out_packets++;
		st->out_bytes += len;
	} else {
		st->in_packets++;
		st->in_bytes += len;
	}
	u64_stats_update_end(&st->syncp);
	return true;
}

void kipsec_sa_drop(struct kipsec_sa *sa, enum kipsec_sa_drop why)
{
	struct kipsec_sa_pcpu_stats *st = this_cpu_ptr(sa->stats);

	u64_stats_update_begin(&st->syncp);
	st->drops[why]++;
	u64_stats_update_end(&st->syncp);
}

void kipsec_sa_stats(struct kipsec_sa *sa, struct kipsec_sa_pcpu_stats *sum)
{
	int cpu, i;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		struct kipsec_sa_pcpu_stats *st = per_cpu_ptr(sa->stats, cpu);
		struct kipsec_sa_pcpu_stats v;
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&st->syncp);
			v = *st;
		} while (u64_stats_fetch_retry(&st->syncp, start));
		sum->in_packets += v.in_packets;
		sum->in_bytes += v.in_bytes;
		sum->out_packets += v.out_packets;
		sum->out_bytes += v.out_bytes;
		for (i = 0; i < KIPSEC_SA_DROP__MAX; i++)
			sum->drops[i] += v.drops[i];
	}
}

/* Under sad.lock: takes sa out of every table; the caller drops the table's ref. */
static void kipsec_sa_unlink(struct kipsec_sa *sa)
{
	struct kipsec_sad *sad = &sa->kn->sad;

	lockdep_assert_held(&sad->lock);
	WRITE_ONCE(sa->dead, true);
	rhashtable_remove_fast(&sad->by_id, &sa->node, kipsec_sa_rht_params);
	hlist_del_rcu(&sa->out_node);
	list_del_init(&sa->list);
	sad->count--;
	cancel_delayed_work(&sa->lft_work);
}

static void kipsec_sa_link_out(struct kipsec_sad *sad, struct kipsec_sa *sa)
{
	u32 h = kipsec_sa_out_hash(sa->id.proto, sa->id.family, &sa->id.daddr);

	hlist_add_head_rcu(&sa->out_node, &sad->out[h]);
}

/* Under sad.lock: new takes old's place (same id, same dump position). */
static int kipsec_sa_replace_locked(struct kipsec_sad *sad, struct kipsec_sa *old,
				    struct kipsec_sa *new)
{
	int err;

	err = rhashtable_replace_fast(&sad->by_id, &old->node, &new->node,
				      kipsec_sa_rht_params);
	if (err)
		return err;
	WRITE_ONCE(old->dead, true);
	hlist_del_rcu(&old->out_node);
	kipsec_sa_link_out(sad, new);
	new->gen = old->gen;
	list_replace_init(&old->list, &new->list);
	cancel_delayed_work(&old->lft_work);
	/* Keep the sequence space: an update must not reuse numbers. */
	if (old->replay && new->replay) {
		spin_lock_bh(&old->replay->lock);
		new->replay->oseq = old->replay->oseq;
		new->replay->top = old->replay->top;
		spin_unlock_bh(&old->replay->lock);
	}
	new->add_time = old->add_time;
	kipsec_sa_put(old);
	return 0;
}

static int kipsec_sa_setup(struct kipsec_sa *sa, struct kipsec_alg_params *p,
			   struct netlink_ext_ack *extack)
{
	u32 window = sa->replay_window;
	int err;

	p->esn = sa->flags & KIPSEC_SAF_ESN;	/* authencesn, ESN AAD */
	err = kipsec_crypto_init(&sa->crypto, sa->id.proto, p, extack);
	if (err)
		return err;
	sa->replay = kipsec_replay_alloc(window, sa->flags & KIPSEC_SAF_ESN, GFP_KERNEL);
	if (!sa->replay) {
		NL_SET_ERR_MSG(extack, "out of memory for the replay window");
		return -ENOMEM;
	}
	return 0;
}

int kipsec_sa_insert(struct kipsec_net *kn, struct kipsec_sa *sa,
		     struct kipsec_alg_params *p, bool replace,
		     struct netlink_ext_ack *extack)
{
	struct kipsec_sad *sad = &kn->sad;
	struct kipsec_sa *old;
	int err;

	err = kipsec_sa_setup(sa, p, extack);
	if (err)
		return err;
	sa->add_time = ktime_get_real_seconds();

	mutex_lock(&sad->lock);
	old = rhashtable_lookup_fast(&sad->by_id, &sa->id, kipsec_sa_rht_params);
	if (replace) {
		if (!old) {
			kipsec_err_fmt(extack, "no SA with this identity to update",
				       "no SA with spi 0x%x to update", sa->id.spi);
			err = -ENOENT;
			goto out;
		}
		err = kipsec_sa_replace_locked(sad, old, sa);
		if (err)
			goto out;
	} else {
		if (old) {
			kipsec_err_fmt(extack, "SA with this spi already exists",
				       "SA with spi 0x%x already exists", sa->id.spi);
			err = -EEXIST;
			goto out;
		}
		err = rhashtable_insert_fast(&sad->by_id, &sa->node, kipsec_sa_rht_params);
		if (err) {
			NL_SET_ERR_MSG(extack, "cannot insert the SA into the SAD");
			goto out;
		}
		kipsec_sa_link_out(sad, sa);
		sa->gen = ++sad->gen;
		list_add_tail(&sa->list, &sad->list);
		sad->count++;
	}
	kipsec_sa_arm_lft(sa);
	kipsec_event_sa(sa, KIPSEC_CMD_SA_ADD);
out:
	mutex_unlock(&sad->lock);
	return err;
}

struct kipsec_sa *kipsec_sa_get(struct kipsec_net *kn, const struct kipsec_sa_id *id)
{
	struct kipsec_sa *sa;

	mutex_lock(&kn->sad.lock);
	sa = rhashtable_lookup_fast(&kn->sad.by_id, id, kipsec_sa_rht_params);
	if (sa)
		kipsec_sa_hold(sa);
	mutex_unlock(&kn->sad.lock);
	return sa;
}

int kipsec_sa_delete(struct kipsec_net *kn, const struct kipsec_sa_id *id)
{
	struct kipsec_sa *sa;

	mutex_lock(&kn->sad.lock);
	sa = rhashtable_lookup_fast(&kn->sad.by_id, id, kipsec_sa_rht_params);
	if (sa) {
		kipsec_sa_unlink(sa);
		kipsec_event_sa(sa, KIPSEC_CMD_SA_DEL);
		kipsec_sa_put(sa);
	}
	mutex_unlock(&kn->sad.lock);
	return sa ? 0 : -ENOENT;
}

unsigned int kipsec_sa_flush(struct kipsec_net *kn, u8 proto)
{
	struct kipsec_sa *sa, *tmp;
	unsigned int n = 0;

	mutex_lock(&kn->sad.lock);
	list_for_each_entry_safe(sa, tmp, &kn->sad.list, list) {
		if (proto && sa->id.proto != proto)
			continue;
		kipsec_sa_unlink(sa);
		kipsec_sa_put(sa);
		n++;
		if (!(n & 1023))
			cond_resched();
	}
	mutex_unlock(&kn->sad.lock);
	return n;
}

/*
 * The list is in gen order.  When prev is still linked its successor is
 * next; when it was deleted meanwhile, the first SA with a higher gen is.
 */
struct kipsec_sa *kipsec_sa_next(struct kipsec_net *kn, struct kipsec_sa *prev)
{
	struct list_head *head = &kn->sad.list;
	struct kipsec_sa *sa = NULL, *it;

	mutex_lock(&kn->sad.lock);
	if (!prev) {
		sa = list_first_entry_or_null(head, struct kipsec_sa, list);
	} else if (!list_empty(&prev->list)) {
		if (!list_is_last(&prev->list, head))
			sa = list_next_entry(prev, list);
	} else {
		list_for_each_entry(it, head, list) {
			if (it->gen > prev->gen) {
				sa = it;
				break;
			}
		}
	}
	if (sa)
		kipsec_sa_hold(sa);
	mutex_unlock(&kn->sad.lock);
	return sa;
}

int kipsec_sad_init(struct kipsec_net *kn)
{
	int i;

	mutex_init(&kn->sad.lock);
	INIT_LIST_HEAD(&kn->sad.list);
	for (i = 0; i < ARRAY_SIZE(kn->sad.out); i++)
		INIT_HLIST_HEAD(&kn->sad.out[i]);
	return rhashtable_init(&kn->sad.by_id, &kipsec_sa_rht_params);
}

void kipsec_sad_exit(struct kipsec_net *kn)
{
	kipsec_sa_flush(kn, 0);
	/* Pending frees and lifetime works use kn: let them finish. */
	rcu_barrier();
	flush_workqueue(kipsec_sa_wq);
	rhashtable_destroy(&kn->sad.by_id);
}
