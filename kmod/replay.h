/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Anti-replay (RFC 4303 3.4.3, RFC 4304 ESN) and outbound sequence numbers.
 * Pure logic, no skb: the same functions run on the packet path and in the
 * KUnit suite.
 */
#ifndef _KIPSEC_REPLAY_H
#define _KIPSEC_REPLAY_H

#include <linux/types.h>
#include <linux/spinlock.h>

struct kipsec_replay {
	spinlock_t lock;
	u64 top;		/* highest sequence number accepted (64-bit with ESN) */
	u64 oseq;		/* last sequence number sent */
	u32 window;		/* window size in packets, 0 = no replay check */
	u32 nbits;		/* bitmap size, a power of two >= window */
	bool esn;
	/*
	 * A ring: sequence number s is bit (s & (nbits - 1)).  Advancing the
	 * window clears only the bits it passes, so no shifting of 4096 bits
	 * per packet.
	 */
	unsigned long bitmap[];
};

/* NULL when out of memory or window > KIPSEC_REPLAY_MAX. */
struct kipsec_replay *kipsec_replay_alloc(u32 window, bool esn, gfp_t gfp);
void kipsec_replay_free(struct kipsec_replay *r);

/*
 * Before decryption: the full 64-bit sequence number for the 32 bits on the
 * wire (RFC 4304 appendix A), or -ERANGE when seq is already known to be a
 * replay or too old.  Does not change the window.
 */
int kipsec_replay_check(struct kipsec_replay *r, u32 seq_lo, u64 *seq);
/*
 * After successful integrity check: records seq; -EEXIST if it was a replay
 * (a copy won the race since the check), -ERANGE if it fell out of the window.
 */
int kipsec_replay_advance(struct kipsec_replay *r, u64 seq);
/* Next outbound sequence number; -EOVERFLOW when the space is exhausted. */
int kipsec_replay_next_out(struct kipsec_replay *r, u64 *seq);

/* Pure helper of kipsec_replay_check: RFC 4303 appendix A. */
u64 kipsec_replay_esn_infer(u64 top, u32 window, u32 seq_lo);

#endif
