// SPDX-License-Identifier: GPL-2.0
/* KUnit: anti-replay window, ESN reconstruction, outbound sequence numbers. */
#include <kunit/test.h>
#include "../replay.h"

static struct kipsec_replay *new_replay(struct kunit *test, u32 window, bool esn)
{
	struct kipsec_replay *r = kipsec_replay_alloc(window, esn, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, r);
	return r;
}

/* check + advance, as the packet path does around decryption. */
static int rx(struct kipsec_replay *r, u32 seq_lo, u64 *seq)
{
	int err = kipsec_replay_check(r, seq_lo, seq);

	return err ?: kipsec_replay_advance(r, *seq);
}

static void replay_in_order_and_duplicates(struct kunit *test)
{
	struct kipsec_replay *r = new_replay(test, 64, false);
	u64 seq;
	u32 i;

	KUNIT_EXPECT_EQ(test, rx(r, 0, &seq), -ERANGE);	/* 0 is never valid */
	for (i = 1; i <= 100; i++)
		KUNIT_EXPECT_EQ(test, rx(r, i, &seq), 0);
	KUNIT_EXPECT_EQ(test, seq, 100ULL);
	KUNIT_EXPECT_EQ(test, rx(r, 100, &seq), -ERANGE);
	KUNIT_EXPECT_EQ(test, rx(r, 37, &seq), -ERANGE);	/* 100 - 37 >= 64 */
	KUNIT_EXPECT_EQ(test, rx(r, 50, &seq), -ERANGE);	/* seen */
	kipsec_replay_free(r);
}

static void replay_out_of_order(struct kunit *test)
{
	struct kipsec_replay *r = new_replay(test, 32, false);
	u64 seq;

	KUNIT_EXPECT_EQ(test, rx(r, 10, &seq), 0);
	KUNIT_EXPECT_EQ(test, rx(r, 5, &seq), 0);
	KUNIT_EXPECT_EQ(test, rx(r, 5, &seq), -ERANGE);
	KUNIT_EXPECT_EQ(test, rx(r, 41, &seq), 0);
	KUNIT_EXPECT_EQ(test, rx(r, 10, &seq), -ERANGE);	/* 41 - 10 >= 32 */
	KUNIT_EXPECT_EQ(test, rx(r, 11, &seq), 0);		/* last slot */
	KUNIT_EXPECT_EQ(test, rx(r, 11, &seq), -ERANGE);
	kipsec_replay_free(r);
}

/* The bits of a ring must be forgotten as the window passes them. */
static void replay_far_ahead_moves_window(struct kunit *test)
{
	struct kipsec_replay *r = new_replay(test, 4096, false);
	u64 seq;
	u32 i;

	for (i = 1; i <= 4096; i++)
		KUNIT_ASSERT_EQ(test, rx(r, i, &seq), 0);
	KUNIT_EXPECT_EQ(test, rx(r, 1, &seq), -ERANGE);
	KUNIT_EXPECT_EQ(test, rx(r, 4096 + 4096 + 1, &seq), 0);	/* bit of 1 and 4097 */
	KUNIT_EXPECT_EQ(test, rx(r, 4097, &seq), -ERANGE);	/* now too old */
	KUNIT_EXPECT_EQ(test, rx(r, 4098, &seq), 0);		/* bottom of window, unseen */
	KUNIT_EXPECT_EQ(test, rx(r, 8000, &seq), 0);
	KUNIT_EXPECT_EQ(test, rx(r, 8000, &seq), -ERANGE);
	KUNIT_EXPECT_EQ(test, rx(r, 1000000, &seq), 0);
	KUNIT_EXPECT_EQ(test, rx(r, 1000000 - 4095, &seq), 0);
	KUNIT_EXPECT_EQ(test, rx(r, 1000000 - 4096, &seq), -ERANGE);
	kipsec_replay_free(r);
}

/* A copy accepted between check and advance (two CPUs) loses the race. */
static void replay_race_after_check(struct kunit *test)
{
	struct kipsec_replay *r = new_replay(test, 64, false);
	u64 a, b;

	KUNIT_EXPECT_EQ(test, kipsec_replay_check(r, 7, &a), 0);
	KUNIT_EXPECT_EQ(test, kipsec_replay_check(r, 7, &b), 0);
	KUNIT_EXPECT_EQ(test, kipsec_replay_advance(r, a), 0);
	KUNIT_EXPECT_EQ(test, kipsec_replay_advance(r, b), -EEXIST);
	kipsec_replay_free(r);
}

static void replay_window_zero(struct kunit *test)
{
	struct kipsec_replay *r = new_replay(test, 0, false);
	u64 seq;

	KUNIT_EXPECT_EQ(test, rx(r, 5, &seq), 0);
	KUNIT_EXPECT_EQ(test, rx(r, 5, &seq), 0);	/* no check at all */
	kipsec_replay_free(r);
	KUNIT_EXPECT_NULL(test, kipsec_replay_alloc(4097, false, GFP_KERNEL));
}

/* RFC 4303 appendix A2.2, both cases of the window position. */
static void replay_esn_infer(struct kunit *test)
{
	/* Window inside one epoch: low values belong to the next one. */
	KUNIT_EXPECT_EQ(test, kipsec_replay_esn_infer(0xfffffff0ULL, 64, 5), 0x100000005ULL);
	KUNIT_EXPECT_EQ(test, kipsec_replay_esn_infer(0xfffffff0ULL, 64, 0xffffffb1),
			0xffffffb1ULL);
	KUNIT_EXPECT_EQ(test, kipsec_replay_esn_infer(0xfffffff0ULL, 64, 0xffffffb0),
			0x1ffffffb0ULL);
	/* Window straddling a wrap: high values belong to the previous one. */
	KUNIT_EXPECT_EQ(test, kipsec_replay_esn_infer(0x10000000aULL, 64, 0xfffffff0),
			0xfffffff0ULL);
	KUNIT_EXPECT_EQ(test, kipsec_replay_esn_infer(0x10000000aULL, 64, 3), 0x100000003ULL);
	KUNIT_EXPECT_EQ(test, kipsec_replay_esn_infer(0x10000000aULL, 64, 100), 0x100000064ULL);
	/* Epoch 0, top small: never an epoch -1. */
	KUNIT_EXPECT_EQ(test, kipsec_replay_esn_infer(3, 64, 0xfffffff0), 0xfffffff0ULL);
}

static void replay_esn_wrap(struct kunit *test)
{
	struct kipsec_replay *r = new_replay(test, 128, true);
	u64 seq;

	KUNIT_EXPECT_EQ(test, rx(r, 0xfffffffe, &seq), 0);
	KUNIT_EXPECT_EQ(test, rx(r, 0xffffffff, &seq), 0);
	KUNIT_EXPECT_EQ(test, rx(r, 0, &seq), 0);		/* 2^32: valid with ESN */
	KUNIT_EXPECT_EQ(test, seq, 0x100000000ULL);
	KUNIT_EXPECT_EQ(test, rx(r, 1, &seq), 0);
	KUNIT_EXPECT_EQ(test, seq, 0x100000001ULL);
	KUNIT_EXPECT_EQ(test, rx(r, 0xffffffff, &seq), -ERANGE);	/* replay across wrap */
	KUNIT_EXPECT_EQ(test, rx(r, 0xfffffffd, &seq), 0);	/* late, still in window */
	KUNIT_EXPECT_EQ(test, seq, 0xfffffffdULL);
	kipsec_replay_free(r);
}

static void replay_next_out(struct kunit *test)
{
	struct kipsec_replay *r = new_replay(test, 64, false);
	u64 seq = 0;

	KUNIT_EXPECT_EQ(test, kipsec_replay_next_out(r, &seq), 0);
	KUNIT_EXPECT_EQ(test, seq, 1ULL);
	KUNIT_EXPECT_EQ(test, kipsec_replay_next_out(r, &seq), 0);
	KUNIT_EXPECT_EQ(test, seq, 2ULL);
	r->oseq = U32_MAX - 1;
	KUNIT_EXPECT_EQ(test, kipsec_replay_next_out(r, &seq), 0);
	KUNIT_EXPECT_EQ(test, seq, (u64)U32_MAX);
	KUNIT_EXPECT_EQ(test, kipsec_replay_next_out(r, &seq), -EOVERFLOW);
	KUNIT_EXPECT_EQ(test, kipsec_replay_next_out(r, &seq), -EOVERFLOW);
	r->esn = true;
	KUNIT_EXPECT_EQ(test, kipsec_replay_next_out(r, &seq), 0);
	KUNIT_EXPECT_EQ(test, seq, 1ULL << 32);
	kipsec_replay_free(r);
}

static struct kunit_case kipsec_replay_cases[] = {
	KUNIT_CASE(replay_in_order_and_duplicates),
	KUNIT_CASE(replay_out_of_order),
	KUNIT_CASE(replay_far_ahead_moves_window),
	KUNIT_CASE(replay_race_after_check),
	KUNIT_CASE(replay_window_zero),
	KUNIT_CASE(replay_esn_infer),
	KUNIT_CASE(replay_esn_wrap),
	KUNIT_CASE(replay_next_out),
	{}
};

static struct kunit_suite kipsec_replay_suite = {
	.name = "kipsec_replay",
	.test_cases = kipsec_replay_cases,
};

kunit_test_suites(&kipsec_replay_suite);
