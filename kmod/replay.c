// SPDX-License-Identifier: GPL-2.0
/*
 * Anti-replay window and outbound sequence numbers.  One spinlock per SA
 * direction state: the check and the advance are a few instructions, and a
 * lock makes "sequence numbers never repeat on several CPUs" obvious.
 */
#include <linux/bitmap.h>
#include <linux/bitops.h>
#include <linux/log2.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/kipsec.h>
#include "replay.h"

struct kipsec_replay *kipsec_replay_alloc(u32 window, bool esn, gfp_t gfp)
{
	struct kipsec_replay *r;
	u32 nbits;

	if (window > KIPSEC_REPLAY_MAX)
		return NULL;
	nbits = roundup_pow_of_two(max_t(u32, window, BITS_PER_LONG));
	r = kzalloc(struct_size(r, bitmap, BITS_TO_LONGS(nbits)), gfp);
	if (!r)
		return NULL;
	spin_lock_init(&r->lock);
	r->window = window;
	r->nbits = nbits;
	r->esn = esn;
	return r;
}

void kipsec_replay_free(struct kipsec_replay *r)
{
	kfree(r);
}

/*
 * RFC 4303 appendix A2.2: which 2^32 "epoch" seq_lo belongs to, given the
 * top of the window.  A seq_lo below the bottom of the window is taken to be
 * in the next epoch (the sender wrapped), one above it while the window
 * straddles a wrap is in the previous one.
 */
u64 kipsec_replay_esn_infer(u64 top, u32 window, u32 seq_lo)
{
	u32 tl = lower_32_bits(top), th = upper_32_bits(top);
	u32 w = max_t(u32, window, 1);
	u32 bottom = tl - w + 1;	/* wraps when tl < w - 1 */

	if (tl >= w - 1) {
		if (seq_lo < bottom)
			th++;
	} else if (seq_lo >= bottom && th) {
		th--;
	}
	return ((u64)th << 32) | seq_lo;
}

static bool replay_seen(const struct kipsec_replay *r, u64 seq)
{
	return test_bit(seq & (r->nbits - 1), r->bitmap);
}

static int replay_check_locked(struct kipsec_replay *r, u64 seq)
{
	if (!seq)
		return -ERANGE;		/* 0 is never sent (RFC 4303 3.3.3) */
	if (!r->window || seq > r->top)
		return 0;
	if (r->top - seq >= r->window)
		return -ERANGE;
	return replay_seen(r, seq) ? -EEXIST : 0;
}

int kipsec_replay_check(struct kipsec_replay *r, u32 seq_lo, u64 *seq)
{
	int err;

	spin_lock_bh(&r->lock);
	*seq = r->esn ? kipsec_replay_esn_infer(r->top, r->window, seq_lo) : seq_lo;
	err = replay_check_locked(r, *seq);
	spin_unlock_bh(&r->lock);
	return err ? -ERANGE : 0;
}

/* Moves the top to seq, forgetting the numbers that leave the window. */
static void replay_slide(struct kipsec_replay *r, u64 seq)
{
	u64 diff = seq - r->top, s;

	if (diff >= r->nbits) {
		bitmap_zero(r->bitmap, r->nbits);
	} else {
		for (s = r->top + 1; s <= seq; s++)
			__clear_bit(s & (r->nbits - 1), r->bitmap);
	}
	r->top = seq;
}

int kipsec_replay_advance(struct kipsec_replay *r, u64 seq)
{
	int err;

	spin_lock_bh(&r->lock);
	err = replay_check_locked(r, seq);
	if (!err) {
		if (seq > r->top)
			replay_slide(r, seq);
		if (r->window)
			__set_bit(seq & (r->nbits - 1), r->bitmap);
	}
	spin_unlock_bh(&r->lock);
	return err;
}

int kipsec_replay_next_out(struct kipsec_replay *r, u64 *seq)
{
	u64 limit = r->esn ? U64_MAX : U32_MAX;
	int err = 0;

	spin_lock_bh(&r->lock);
	if (r->oseq >= limit)
		err = -EOVERFLOW;
	else
		*seq = ++r->oseq;
	spin_unlock_bh(&r->lock);
	return err;
}
