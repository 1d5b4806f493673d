// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites of the control plane: selector matching and SPD lookup
 * (priority, prefixes, ports, ICMP, families, directions), on the same code
 * the packet path runs.  The SPD suite uses a private kipsec_net.
 */
#include <kunit/test.h>
#include <linux/inet.h>
#include <linux/slab.h>
#include "../kipsec.h"

static union kipsec_addr v4(const char *s)
{
	union kipsec_addr a = {};

	in4_pton(s, -1, (u8 *)&a.a4, -1, NULL);
	return a;
}

static union kipsec_addr v6(const char *s)
{
	union kipsec_addr a = {};

	in6_pton(s, -1, (u8 *)&a.in6, -1, NULL);
	return a;
}

static struct kipsec_flow flow4(const char *src, const char *dst, u8 proto,
				u16 sport, u16 dport)
{
	struct kipsec_flow fl = { .family = AF_INET, .proto = proto,
				  .sport = htons(sport), .dport = htons(dport) };

	fl.saddr = v4(src);
	fl.daddr = v4(dst);
	return fl;
}

static struct kipsec_sel sel4(const char *src, u8 splen, const char *dst, u8 dplen)
{
	struct kipsec_sel sel = { .family = AF_INET, .sprefix = splen, .dprefix = dplen };

	sel.saddr = v4(src);
	sel.daddr = v4(dst);
	return sel;
}

static void kipsec_test_addr_match(struct kunit *test)
{
	union kipsec_addr a = v4("192.168.1.177"), p = v4("192.168.1.0");
	union kipsec_addr a6 = v6("fd00:1:2:3::1"), p6 = v6("fd00:1:2::");

	KUNIT_EXPECT_TRUE(test, kipsec_addr_match(AF_INET, &a, &p, 24));
	KUNIT_EXPECT_FALSE(test, kipsec_addr_match(AF_INET, &a, &p, 25));
	KUNIT_EXPECT_TRUE(test, kipsec_addr_match(AF_INET, &a, &p, 0));
	KUNIT_EXPECT_FALSE(test, kipsec_addr_match(AF_INET, &a, &p, 32));
	KUNIT_EXPECT_TRUE(test, kipsec_addr_match(AF_INET, &a, &a, 32));
	KUNIT_EXPECT_TRUE(test, kipsec_addr_match(AF_INET6, &a6, &p6, 48));
	KUNIT_EXPECT_FALSE(test, kipsec_addr_match(AF_INET6, &a6, &p6, 64));
	KUNIT_EXPECT_TRUE(test, kipsec_addr_match(AF_INET6, &a6, &a6, 128));
	KUNIT_EXPECT_TRUE(test, kipsec_addr_match(AF_INET6, &a6, &p6, 0));
	/* A prefix length that is not a multiple of 32. */
	p6 = v6("fd00:1:2:2::");
	KUNIT_EXPECT_TRUE(test, kipsec_addr_match(AF_INET6, &a6, &p6, 62));
	KUNIT_EXPECT_FALSE(test, kipsec_addr_match(AF_INET6, &a6, &p6, 64));
}

static void kipsec_test_sel_match(struct kunit *test)
{
	struct kipsec_sel sel = sel4("192.168.1.0", 24, "192.168.2.0", 24);
	struct kipsec_flow fl = flow4("192.168.1.5", "192.168.2.9", IPPROTO_TCP, 1234, 22);

	KUNIT_EXPECT_TRUE(test, kipsec_sel_match(&sel, &fl));
	fl.daddr = v4("192.168.3.9");
	KUNIT_EXPECT_FALSE(test, kipsec_sel_match(&sel, &fl));
	fl = flow4("192.168.1.5", "192.168.2.9", IPPROTO_TCP, 1234, 22);
	/* Protocol and ports. */
	sel.proto = IPPROTO_TCP;
	sel.dport = htons(22);
	KUNIT_EXPECT_TRUE(test, kipsec_sel_match(&sel, &fl));
	sel.dport = htons(23);
	KUNIT_EXPECT_FALSE(test, kipsec_sel_match(&sel, &fl));
	sel.dport = 0;
	sel.sport = htons(1234);
	KUNIT_EXPECT_TRUE(test, kipsec_sel_match(&sel, &fl));
	sel.proto = IPPROTO_UDP;
	KUNIT_EXPECT_FALSE(test, kipsec_sel_match(&sel, &fl));
	/* Family. */
	sel = sel4("0.0.0.0", 0, "0.0.0.0", 0);
	KUNIT_EXPECT_TRUE(test, kipsec_sel_match(&sel, &fl));
	fl.family = AF_INET6;
	KUNIT_EXPECT_FALSE(test, kipsec_sel_match(&sel, &fl));
}

static void kipsec_test_sel_icmp(struct kunit *test)
{
	struct kipsec_sel sel = sel4("0.0.0.0", 0, "0.0.0.0", 0);
	struct kipsec_flow fl = flow4("10.0.0.1", "10.0.0.2", IPPROTO_ICMP, 0, 0);

	sel.proto = IPPROTO_ICMP;
	sel.has_icmp_type = true;
	sel.icmp_type = 8;
	fl.icmp_type = 8;
	KUNIT_EXPECT_TRUE(test, kipsec_sel_match(&sel, &fl));
	fl.icmp_type = 0;
	KUNIT_EXPECT_FALSE(test, kipsec_sel_match(&sel, &fl));
	sel.has_icmp_type = false;
	sel.has_icmp_code = true;
	sel.icmp_code = 1;
	KUNIT_EXPECT_FALSE(test, kipsec_sel_match(&sel, &fl));
	fl.icmp_code = 1;
	KUNIT_EXPECT_TRUE(test, kipsec_sel_match(&sel, &fl));
}

/* SPD ------------------------------------------------------------------- */

struct spd_ctx {
	struct kipsec_net kn;
};

static int kipsec_spd_test_init(struct kunit *test)
{
	struct spd_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, c);
	/* Events of the test SPD go to init_net's group (if anyone listens). */
	c->kn.net = &init_net;
	KUNIT_ASSERT_EQ(test, kipsec_spd_init(&c->kn), 0);
	test->priv = c;
	return 0;
}

static void kipsec_spd_test_exit(struct kunit *test)
{
	struct spd_ctx *c = test->priv;

	kipsec_spd_exit(&c->kn);
	rcu_barrier();
}

/* Adds a bypass (or discard) policy; returns its id. */
static u32 add_sp(struct kunit *test, u8 dir, u8 action, u32 prio, struct kipsec_sel sel)
{
	struct spd_ctx *c = test->priv;
	struct kipsec_sp *sp = kipsec_sp_alloc();

	KUNIT_ASSERT_NOT_NULL(test, sp);
	sp->dir = dir;
	sp->action = action;
	sp->priority = prio;
	sp->sel = sel;
	KUNIT_ASSERT_EQ(test, kipsec_sp_insert(&c->kn, sp, false, NULL), 0);
	return sp->id;
}

static u32 lookup(struct kunit *test, u8 dir, struct kipsec_flow fl)
{
	struct spd_ctx *c = test->priv;
	struct kipsec_sp *sp;
	u32 id;

	rcu_read_lock();
	sp = kipsec_spd_lookup_rcu(&c->kn, dir, &fl);
	id = sp ? sp->id : 0;
	rcu_read_unlock();
	return id;
}

static void kipsec_test_spd_prefixes(struct kunit *test)
{
	struct kipsec_flow fl = flow4("192.168.1.5", "192.168.2.9", IPPROTO_UDP, 5, 53);
	u32 any, net, host;

	KUNIT_EXPECT_EQ(test, lookup(test, KIPSEC_DIR_OUT, fl), 0U);
	any = add_sp(test, KIPSEC_DIR_OUT, KIPSEC_ACTION_BYPASS, 100,
		     sel4("0.0.0.0", 0, "0.0.0.0", 0));
	KUNIT_EXPECT_EQ(test, lookup(test, KIPSEC_DIR_OUT, fl), any);
	/* Same priority: the older policy wins, whatever its prefix. */
	net = add_sp(test, KIPSEC_DIR_OUT, KIPSEC_ACTION_BYPASS, 100,
		     sel4("0.0.0.0", 0, "192.168.2.0", 24));
	KUNIT_EXPECT_EQ(test, lookup(test, KIPSEC_DIR_OUT, fl), any);
	/* Lower value wins. */
	host = add_sp(test, KIPSEC_DIR_OUT, KIPSEC_ACTION_DISCARD, 50,
		      sel4("192.168.1.5", 32, "192.168.2.9", 32));
	KUNIT_EXPECT_EQ(test, lookup(test, KIPSEC_DIR_OUT, fl), host);
	fl.saddr = v4("192.168.1.6");
	KUNIT_EXPECT_EQ(test, lookup(test, KIPSEC_DIR_OUT, fl), any);
	/* Other directions and families see nothing. */
	KUNIT_EXPECT_EQ(test, lookup(test, KIPSEC_DIR_IN, fl), 0U);
	KUNIT_EXPECT_EQ(test, lookup(test, KIPSEC_DIR_FWD, fl), 0U);
	fl.family = AF_INET6;
	KUNIT_EXPECT_EQ(test, lookup(test, KIPSEC_DIR_OUT, fl), 0U);
	/* Deleting the winner exposes the next one. */
	KUNIT_EXPECT_EQ(test, kipsec_sp_delete(&((struct spd_ctx *)test->priv)->kn, any, 0, NULL), 0);
	fl = flow4("192.168.1.6", "192.168.2.9", IPPROTO_UDP, 5, 53);
	KUNIT_EXPECT_EQ(test, lookup(test, KIPSEC_DIR_OUT, fl), net);
	fl.daddr = v4("192.168.3.1");
	KUNIT_EXPECT_EQ(test, lookup(test, KIPSEC_DIR_OUT, fl), 0U);
}

static void kipsec_test_spd_ports(struct kunit *test)
{
	struct kipsec_sel ssh = sel4("0.0.0.0", 0, "10.0.0.0", 8);
	struct kipsec_flow fl = flow4("1.2.3.4", "10.1.1.1", IPPROTO_TCP, 40000, 22);
	u32 all, id;

	all = add_sp(test, KIPSEC_DIR_IN, KIPSEC_ACTION_DISCARD, 100, ssh);
	ssh.proto = IPPROTO_TCP;
	ssh.dport = htons(22);
	id = add_sp(test, KIPSEC_DIR_IN, KIPSEC_ACTION_BYPASS, 10, ssh);
	KUNIT_EXPECT_EQ(test, lookup(test, KIPSEC_DIR_IN, fl), id);
	fl.dport = htons(23);
	KUNIT_EXPECT_EQ(test, lookup(test, KIPSEC_DIR_IN, fl), all);
	fl.dport = htons(22);
	fl.proto = IPPROTO_UDP;
	KUNIT_EXPECT_EQ(test, lookup(test, KIPSEC_DIR_IN, fl), all);
}

static void kipsec_test_spd_v6(struct kunit *test)
{
	struct kipsec_sel sel = { .family = AF_INET6, .dprefix = 64, .sprefix = 0 };
	struct kipsec_flow fl = { .family = AF_INET6, .proto = IPPROTO_UDP };
	u32 n64, n62;

	sel.daddr = v6("fd00:0:0:1::");
	n64 = add_sp(test, KIPSEC_DIR_FWD, KIPSEC_ACTION_BYPASS, 20, sel);
	sel.daddr = v6("fd00::");
	sel.dprefix = 62;
	n62 = add_sp(test, KIPSEC_DIR_FWD, KIPSEC_ACTION_DISCARD, 30, sel);
	fl.daddr = v6("fd00:0:0:1::7");
	KUNIT_EXPECT_EQ(test, lookup(test, KIPSEC_DIR_FWD, fl), n64);
	fl.daddr = v6("fd00:0:0:2::7");
	KUNIT_EXPECT_EQ(test, lookup(test, KIPSEC_DIR_FWD, fl), n62);
	fl.daddr = v6("fd00:0:0:4::7");
	KUNIT_EXPECT_EQ(test, lookup(test, KIPSEC_DIR_FWD, fl), 0U);
}

/* Many host policies: still found, and the right one. */
static void kipsec_test_spd_many(struct kunit *test)
{
	struct kipsec_flow fl = flow4("10.0.0.1", "0.0.0.0", IPPROTO_UDP, 1, 2);
	char buf[20];
	u32 first = 0, id, i;

	for (i = 0; i < 2000; i++) {
		snprintf(buf, sizeof(buf), "10.%u.%u.%u", 128 + (i >> 16), (i >> 8) & 255, i & 255);
		id = add_sp(test, KIPSEC_DIR_OUT, KIPSEC_ACTION_BYPASS, 100,
			    sel4("0.0.0.0", 0, buf, 32));
		if (!i)
			first = id;
	}
	for (i = 0; i < 2000; i += 97) {
		snprintf(buf, sizeof(buf), "10.%u.%u.%u", 128 + (i >> 16), (i >> 8) & 255, i & 255);
		fl.daddr = v4(buf);
		KUNIT_EXPECT_EQ(test, lookup(test, KIPSEC_DIR_OUT, fl), first + i);
	}
	fl.daddr = v4("10.200.0.1");
	KUNIT_EXPECT_EQ(test, lookup(test, KIPSEC_DIR_OUT, fl), 0U);
	KUNIT_EXPECT_EQ(test, kipsec_sp_flush(&((struct spd_ctx *)test->priv)->kn, -1), 2000U);
}

/*
 * One destination, many policies told apart by protocol, port and source:
 * each in its own class or chain; priority across classes; ICMP selectors
 * ignore ports; a duplicate selector is refused, one differing only in the
 * source port is not.
 */
static void kipsec_test_spd_classes(struct kunit *test)
{
	struct spd_ctx *c = test->priv;
	struct kipsec_sel sel = sel4("0.0.0.0", 0, "10.9.9.9", 32);
	struct kipsec_flow fl = flow4("192.168.7.7", "10.9.9.9", IPPROTO_TCP, 999, 0);
	u32 port[100], any, src, icmp, i;
	struct kipsec_sp *sp;
	char buf[20];

	any = add_sp(test, KIPSEC_DIR_OUT, KIPSEC_ACTION_DISCARD, 100, sel);
	sel.proto = IPPROTO_TCP;
	for (i = 0; i < ARRAY_SIZE(port); i++) {
		sel.dport = htons(1000 + i);
		port[i] = add_sp(test, KIPSEC_DIR_OUT, KIPSEC_ACTION_BYPASS, 100, sel);
	}
	for (i = 0; i < 200; i++) {
		snprintf(buf, sizeof(buf), "192.168.%u.0", i);
		add_sp(test, KIPSEC_DIR_OUT, KIPSEC_ACTION_BYPASS, 100,
		       sel4(buf, 24, "10.9.9.9", 32));
	}
	/* Same priority: the oldest wins, whatever its class. */
	fl.dport = htons(1042);
	KUNIT_EXPECT_EQ(test, lookup(test, KIPSEC_DIR_OUT, fl), any);
	KUNIT_EXPECT_EQ(test, kipsec_sp_delete(&c->kn, any, 0, NULL), 0);
	KUNIT_EXPECT_EQ(test, lookup(test, KIPSEC_DIR_OUT, fl), port[42]);
	fl.dport = htons(2000);
	KUNIT_EXPECT_EQ(test, lookup(test, KIPSEC_DIR_OUT, fl), port[0] + ARRAY_SIZE(port) + 7);
	fl.proto = IPPROTO_UDP;
	fl.dport = htons(1042);
	KUNIT_EXPECT_EQ(test, lookup(test, KIPSEC_DIR_OUT, fl), port[0] + ARRAY_SIZE(port) + 7);
	/* A lower value in a class probed later still wins. */
	src = add_sp(test, KIPSEC_DIR_OUT, KIPSEC_ACTION_DISCARD, 5,
		     sel4("192.168.7.7", 32, "10.9.9.0", 24));
	fl.proto = IPPROTO_TCP;
	KUNIT_EXPECT_EQ(test, lookup(test, KIPSEC_DIR_OUT, fl), src);
	fl.saddr = v4("192.168.7.8");
	KUNIT_EXPECT_EQ(test, lookup(test, KIPSEC_DIR_OUT, fl), port[42]);
	/* ICMP: a port in the selector is not matched. */
	sel.proto = IPPROTO_ICMP;
	sel.dport = htons(7);
	icmp = add_sp(test, KIPSEC_DIR_OUT, KIPSEC_ACTION_BYPASS, 1, sel);
	fl = flow4("1.1.1.1", "10.9.9.9", IPPROTO_ICMP, 0, 0);
	fl.icmp_type = 8;
	KUNIT_EXPECT_EQ(test, lookup(test, KIPSEC_DIR_OUT, fl), icmp);
	/* Exact duplicates are refused; a different source port is another policy. */
	sel.proto = IPPROTO_TCP;
	sel.dport = htons(1000);
	sp = kipsec_sp_alloc();
	KUNIT_ASSERT_NOT_NULL(test, sp);
	sp->dir = KIPSEC_DIR_OUT;
	sp->sel = sel;
	KUNIT_EXPECT_EQ(test, kipsec_sp_insert(&c->kn, sp, false, NULL), -EEXIST);
	kipsec_sp_free_new(sp);
	sel.sport = htons(5);
	add_sp(test, KIPSEC_DIR_OUT, KIPSEC_ACTION_BYPASS, 100, sel);
	KUNIT_EXPECT_EQ(test, kipsec_sp_flush(&c->kn, -1), ARRAY_SIZE(port) + 200 + 3);
	KUNIT_EXPECT_EQ(test, lookup(test, KIPSEC_DIR_OUT, fl), 0U);
}

static struct kunit_case kipsec_selector_cases[] = {
	KUNIT_CASE(kipsec_test_addr_match),
	KUNIT_CASE(kipsec_test_sel_match),
	KUNIT_CASE(kipsec_test_sel_icmp),
	{}
};

static struct kunit_suite kipsec_selector_suite = {
	.name = "kipsec_selector",
	.test_cases = kipsec_selector_cases,
};

static struct kunit_case kipsec_spd_cases[] = {
	KUNIT_CASE(kipsec_test_spd_prefixes),
	KUNIT_CASE(kipsec_test_spd_ports),
	KUNIT_CASE(kipsec_test_spd_v6),
	KUNIT_CASE(kipsec_test_spd_many),
	KUNIT_CASE(kipsec_test_spd_classes),
	{}
};

static struct kunit_suite kipsec_spd_suite = {
	.name = "kipsec_spd",
	.init = kipsec_spd_test_init,
	.exit = kipsec_spd_test_exit,
	.test_cases = kipsec_spd_cases,
};

kunit_test_suites(&kipsec_selector_suite, &kipsec_spd_suite);
