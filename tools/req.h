/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SAs and policies as userspace holds them: one representation shared by the
 * `kipsec sa/sp` keyword parser, the setkey parser and kiked.  req_nl.c
 * turns them into KIPSEC_CMD_* requests and parses replies back.
 */
#ifndef KIPSEC_TOOL_REQ_H
#define KIPSEC_TOOL_REQ_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <linux/kipsec.h>

struct kaddr {
	int family;			/* AF_INET, AF_INET6, 0 = unset */
	union {
		struct in_addr v4;
		struct in6_addr v6;
		uint8_t b[16];
	};
};

struct ksel {
	int family;			/* 0 = unset */
	struct kaddr src, dst;
	uint8_t splen, dplen;
	uint8_t proto;			/* 0 = any */
	uint16_t sport, dport;		/* host order, 0 = any */
	int icmp_type, icmp_code;	/* -1 = any */
};

struct klft {
	uint64_t soft_bytes, hard_bytes, soft_packets, hard_packets;
	uint64_t soft_add, hard_add, soft_use, hard_use;
};

struct ksa_alg {
	char name[KIPSEC_ALG_NAME_MAX];	/* "" = unused */
	uint8_t key[KIPSEC_KEY_MAX];
	int keylen;			/* bytes */
	int bits;			/* ICV / truncation bits, 0 = default */
};

struct ksa {
	uint8_t proto;			/* IPPROTO_ESP, IPPROTO_AH */
	uint32_t spi;
	struct kaddr src, dst;
	uint8_t mode;			/* KIPSEC_MODE_* */
	uint32_t reqid;
	uint32_t flags;			/* KIPSEC_SAF_* */
	uint32_t replay_window;
	struct ksa_alg aead, enc, auth;
	bool has_sel;
	struct ksel sel;
	struct klft lft;
	bool has_encap;
	uint16_t encap_sport, encap_dport;
	struct kaddr encap_oa;		/* family 0 = none */

	/* Only in replies. */
	struct klft cur;		/* bytes/packets in hard_*, times in hard_add/use */
	uint64_t seq_out, seq_in;
	int ncounters;
	struct { char name[32]; uint64_t value; } counters[24];
};

struct ktmpl {
	uint8_t proto, mode, level;
	struct kaddr src, dst;		/* tunnel endpoints */
	uint32_t reqid, spi;
};

struct ksp {
	uint32_t id;			/* 0 = unset / assigned by the kernel */
	uint8_t dir;			/* KIPSEC_DIR_* */
	uint8_t action;			/* KIPSEC_ACTION_* */
	uint32_t priority;
	bool has_priority;
	struct ksel sel;
	int ntmpl;
	struct ktmpl tmpl[4];		/* innermost first */
	uint64_t hits;			/* reply only */
};

/* Address/prefix parsing shared by every front end: "10.0.0.1", "fe80::1",
 * "192.168.1.0/24".  Returns 0 or -1; plen is the family's full length when
 * no prefix is given. */
int kaddr_parse(const char *s, struct kaddr *a, uint8_t *plen);
const char *kaddr_str(const struct kaddr *a, char *buf, size_t len);

/* req_nl.c: the objects above <-> KIPSEC_CMD_* messages (tools/nl.h). */
struct nlmsghdr;
struct knl;
/* Adds the SA's attributes; id_only: just its identity (del, get). */
void ksa_put(struct nlmsghdr *nlh, const struct ksa *sa, bool id_only);
int ksa_parse(const struct nlmsghdr *nlh, struct ksa *sa);
/* Adds the policy's attributes; ident_only: id, or dir + selector. */
void ksp_put(struct nlmsghdr *nlh, const struct ksp *sp, bool ident_only);
int ksp_parse(const struct nlmsghdr *nlh, struct ksp *sp);
void ksel_put(struct nlmsghdr *nlh, int attr, const struct ksel *sel);
int ksel_parse(const void *nest, struct ksel *sel);

/* One request, with its error text; returns 0 or -errno.  For SP add the
 * kernel-assigned id is stored in sp->id. */
int ksa_request(struct knl *nl, int cmd, const struct ksa *sa, char *err, size_t errlen);
int ksp_request(struct knl *nl, int cmd, struct ksp *sp, char *err, size_t errlen);
/* Dumps: cb is called for every object; returns 0 or -errno. */
int ksa_dump(struct knl *nl, uint8_t proto, int (*cb)(const struct ksa *, void *), void *data);
int ksp_dump(struct knl *nl, int (*cb)(const struct ksp *, void *), void *data);

#endif
