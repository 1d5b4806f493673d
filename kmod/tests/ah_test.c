// SPDX-License-Identifier: GPL-2.0
/* KUnit: AH mutable field zeroing (RFC 4302 3.3.3.1), IPv6 header walk. */
#include <kunit/test.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <net/ipv6.h>
#include <linux/slab.h>
#include "../crypto.h"
#include "../ah.h"

/* An IPv4 header with options: NOP, record route (7 bytes), router alert. */
static const u8 ip4_opts[] = {
	0x48, 0xb8, 0x00, 0x54, 0x12, 0x34, 0x40, 0x00,	/* ihl 8, tos 0xb8, DF */
	0x3f, 0x33, 0xab, 0xcd, 10, 0, 0, 2, 10, 0, 0, 1,	/* ttl 63, AH, csum */
	IPOPT_NOOP, IPOPT_RR, 7, 8, 10, 0, 0, 2,		/* record route, one address */
	IPOPT_RA, 4, 0, 0,					/* router alert */
};

static void ah_mute4_fields_and_options(struct kunit *test)
{
	u8 h[sizeof(ip4_opts)];
	struct iphdr *iph = (struct iphdr *)h;

	memcpy(h, ip4_opts, sizeof(h));
	KUNIT_ASSERT_EQ(test, kipsec_ah_mute4(h, sizeof(h)), 0);
	KUNIT_EXPECT_EQ(test, iph->tos, 0);
	KUNIT_EXPECT_EQ(test, iph->frag_off, 0);
	KUNIT_EXPECT_EQ(test, iph->ttl, 0);
	KUNIT_EXPECT_EQ(test, iph->check, 0);
	/* Immutable: version/ihl, length, id, protocol, addresses. */
	KUNIT_EXPECT_EQ(test, memcmp(h, ip4_opts, 1), 0);
	KUNIT_EXPECT_EQ(test, memcmp(h + 2, ip4_opts + 2, 4), 0);
	KUNIT_EXPECT_EQ(test, h[9], IPPROTO_AH);
	KUNIT_EXPECT_EQ(test, memcmp(h + 12, ip4_opts + 12, 8), 0);
	/* NOP kept, record route zeroed as a whole, router alert kept. */
	KUNIT_EXPECT_EQ(test, h[20], IPOPT_NOOP);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(h + 21, 0, 7));
	KUNIT_EXPECT_EQ(test, memcmp(h + 28, ip4_opts + 28, 4), 0);
}

static void ah_mute4_source_route(struct kunit *test)
{
	u8 h[28] = { 0x47, 0, 0, 28, 0, 0, 0, 0, 64, IPPROTO_AH, 0, 0,
		     10, 0, 0, 1, 10, 0, 0, 2,		/* daddr: the next hop */
		     IPOPT_LSRR, 7, 4, 10, 0, 0, 9,	/* final destination 10.0.0.9 */
		     IPOPT_END };

	KUNIT_ASSERT_EQ(test, kipsec_ah_mute4(h, sizeof(h)), 0);
	KUNIT_EXPECT_EQ(test, ((struct iphdr *)h)->daddr, htonl(0x0a000009));
	KUNIT_EXPECT_TRUE(test, !memchr_inv(h + 20, 0, 7));
}

static void ah_mute4_rejects(struct kunit *test)
{
	u8 h[24];

	memcpy(h, ip4_opts, 20);
	h[0] = 0x46;
	h[20] = IPOPT_RR;
	h[21] = 9;	/* runs past the header */
	KUNIT_EXPECT_EQ(test, kipsec_ah_mute4(h, sizeof(h)), -EINVAL);
	h[21] = 1;	/* shorter than type + length */
	KUNIT_EXPECT_EQ(test, kipsec_ah_mute4(h, sizeof(h)), -EINVAL);
	KUNIT_EXPECT_EQ(test, kipsec_ah_mute4(h, 20), -EINVAL);	/* ihl says 24 */
}

/* IPv6 header, hop-by-hop (router alert, option 0x3e "may change"), then AH. */
static void ip6_hbh(u8 *h)
{
	static const u8 hbh[16] = { IPPROTO_AH, 1, 5, 2, 0, 0, 0x3e, 8, 1, 2, 3, 4, 5, 6, 7, 8 };
	struct ipv6hdr *ip6h = (struct ipv6hdr *)h;

	memset(h, 0, 56);
	h[0] = 0x6b;		/* version 6, traffic class 0xb4 */
	h[1] = 0x4f;		/* flow label 0xf1234 */
	h[2] = 0x12;
	h[3] = 0x34;
	ip6h->nexthdr = NEXTHDR_HOP;
	ip6h->hop_limit = 64;
	ip6h->saddr.s6_addr[15] = 2;
	ip6h->daddr.s6_addr[15] = 1;
	memcpy(h + 40, hbh, sizeof(hbh));
}

static void ah_mute6_hbh(struct kunit *test)
{
	u8 h[56], orig[56];
	struct ipv6hdr *ip6h = (struct ipv6hdr *)h;

	ip6_hbh(h);
	memcpy(orig, h, sizeof(h));
	KUNIT_ASSERT_EQ(test, kipsec_ah_mute6(h, sizeof(h)), 0);
	KUNIT_EXPECT_EQ(test, h[0], 0x60);	/* version kept, class zeroed */
	KUNIT_EXPECT_TRUE(test, !memchr_inv(h + 1, 0, 3));
	KUNIT_EXPECT_EQ(test, ip6h->hop_limit, 0);
	KUNIT_EXPECT_EQ(test, memcmp(h + 4, orig + 4, 3), 0);	/* length, next header */
	KUNIT_EXPECT_EQ(test, memcmp(h + 8, orig + 8, 32), 0);	/* addresses */
	/* Router alert (change bit clear) kept, option 0x3e's data zeroed. */
	KUNIT_EXPECT_EQ(test, memcmp(h + 40, orig + 40, 8), 0);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(h + 48, 0, 8));
}

static void ah_mute6_rthdr(struct kunit *test)
{
	u8 h[40 + 8 + 32];
	struct ipv6hdr *ip6h = (struct ipv6hdr *)h;
	u8 *rt = h + 40;

	memset(h, 0, sizeof(h));
	h[0] = 0x60;
	ip6h->nexthdr = NEXTHDR_ROUTING;
	ip6h->daddr.s6_addr[15] = 0xa;	/* the next segment */
	rt[0] = IPPROTO_AH;
	rt[1] = 4;			/* two addresses */
	rt[3] = 2;			/* segments left */
	rt[8 + 15] = 0xb;
	rt[24 + 15] = 0xc;		/* final destination */
	KUNIT_ASSERT_EQ(test, kipsec_ah_mute6(h, sizeof(h)), 0);
	KUNIT_EXPECT_EQ(test, rt[3], 0);
	KUNIT_EXPECT_EQ(test, ip6h->daddr.s6_addr[15], 0xc);
	KUNIT_EXPECT_EQ(test, rt[8 + 15], 0xa);
	KUNIT_EXPECT_EQ(test, rt[24 + 15], 0xb);
}

static void ah_mute6_rejects(struct kunit *test)
{
	u8 h[56];

	ip6_hbh(h);
	h[43] = 20;	/* router alert data runs past the header */
	KUNIT_EXPECT_EQ(test, kipsec_ah_mute6(h, sizeof(h)), -EINVAL);
	ip6_hbh(h);
	KUNIT_EXPECT_EQ(test, kipsec_ah_mute6(h, 50), -EINVAL);	/* header cut */
	ip6_hbh(h);
	((struct ipv6hdr *)h)->nexthdr = IPPROTO_UDP;	/* not an extension header */
	KUNIT_EXPECT_EQ(test, kipsec_ah_mute6(h, sizeof(h)), -EINVAL);
}

static void ah_ipv6_walk(struct kunit *test)
{
	unsigned int nhoff;
	u8 h[56];

	ip6_hbh(h);
	KUNIT_EXPECT_EQ(test, kipsec_ipv6_skip_exthdrs(h, sizeof(h), &nhoff), 56);
	KUNIT_EXPECT_EQ(test, nhoff, 40U);
	((struct ipv6hdr *)h)->nexthdr = IPPROTO_AH;
	KUNIT_EXPECT_EQ(test, kipsec_ipv6_skip_exthdrs(h, sizeof(h), &nhoff), 40);
	KUNIT_EXPECT_EQ(test, nhoff, (unsigned int)offsetof(struct ipv6hdr, nexthdr));
	ip6_hbh(h);
	KUNIT_EXPECT_EQ(test, kipsec_ipv6_skip_exthdrs(h, 48, &nhoff), -EINVAL);
}

static void ah_header_length(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, kipsec_ah_hlen(12), 24U);		/* SHA-1-96, MD5-96 */
	KUNIT_EXPECT_EQ(test, kipsec_ah_hlen(16), 32U);		/* SHA-256-128, padded */
	KUNIT_EXPECT_EQ(test, kipsec_ah_hlen(32), 48U);		/* SHA-512-256, padded */
}

static struct kipsec_alg_params *ah_params(struct kunit *test, const char *alg, u16 trunc)
{
	struct kipsec_alg_params *p = kzalloc(sizeof(*p), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	strscpy(p->auth, alg, sizeof(p->auth));
	p->auth_keylen = 32;
	p->auth_trunc_bits = trunc;
	return p;
}

static void ah_crypto(struct kunit *test)
{
	struct kipsec_sa_crypto c;
	struct kipsec_alg_params *p;

	p = ah_params(test, "hmac-sha256", 0);
	KUNIT_ASSERT_EQ(test, kipsec_crypto_init(&c, IPPROTO_AH, p, NULL), 0);
	KUNIT_EXPECT_NOT_NULL(test, c.ahash);
	KUNIT_EXPECT_NULL(test, c.tfm);
	KUNIT_EXPECT_EQ(test, c.icvlen, 16);	/* the RFC 4868 truncation */
	KUNIT_EXPECT_STREQ(test, p->auth, "hmac(sha256)");
	kipsec_crypto_free(&c);			/* frees p */

	p = ah_params(test, "hmac-sha512", 256);
	KUNIT_ASSERT_EQ(test, kipsec_crypto_init(&c, IPPROTO_AH, p, NULL), 0);
	KUNIT_EXPECT_EQ(test, c.icvlen, 32);
	kipsec_crypto_free(&c);

	p = ah_params(test, "hmac-sha1", 80);	/* not a multiple of 32 bits */
	KUNIT_EXPECT_EQ(test, kipsec_crypto_init(&c, IPPROTO_AH, p, NULL), -EINVAL);
	KUNIT_EXPECT_NULL(test, c.ahash);
	kfree(p);
	p = ah_params(test, "hmac-sha1", 192);	/* longer than the digest */
	KUNIT_EXPECT_EQ(test, kipsec_crypto_init(&c, IPPROTO_AH, p, NULL), -EINVAL);
	kfree(p);
}

static struct kunit_case kipsec_ah_cases[] = {
	KUNIT_CASE(ah_mute4_fields_and_options),
	KUNIT_CASE(ah_mute4_source_route),
	KUNIT_CASE(ah_mute4_rejects),
	KUNIT_CASE(ah_mute6_hbh),
	KUNIT_CASE(ah_mute6_rthdr),
	KUNIT_CASE(ah_mute6_rejects),
	KUNIT_CASE(ah_ipv6_walk),
	KUNIT_CASE(ah_header_length),
	KUNIT_CASE(ah_crypto),
	{}
};

static struct kunit_suite kipsec_ah_suite = {
	.name = "kipsec_ah",
	.test_cases = kipsec_ah_cases,
};

kunit_test_suites(&kipsec_ah_suite);
