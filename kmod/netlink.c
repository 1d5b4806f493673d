// SPDX-License-Identifier: GPL-2.0
/*
 * The "kipsec" generic netlink family: request parsing and replies.
 * Attribute policies are strict so that the handlers only see well-formed
 * input; the handlers still explain semantic errors through extack, naming
 * the attribute and what was expected.  A request is parsed completely into
 * a new object before anything changes, so a rejected request changes
 * nothing.
 */
#include <net/genetlink.h>
#include <linux/slab.h>
#include <net/sock.h>
#include "kipsec.h"
#include "netlink.h"
#include "compat.h"
#include "encap.h"

static const struct nla_policy kipsec_sel_policy[KIPSEC_SEL_MAX + 1] = {
	[KIPSEC_SEL_FAMILY] = { .type = NLA_U16 },
	[KIPSEC_SEL_SRC] = NLA_POLICY_MIN_LEN(4),
	[KIPSEC_SEL_SRC_PLEN] = NLA_POLICY_MAX(NLA_U8, 128),
	[KIPSEC_SEL_DST] = NLA_POLICY_MIN_LEN(4),
	[KIPSEC_SEL_DST_PLEN] = NLA_POLICY_MAX(NLA_U8, 128),
	[KIPSEC_SEL_PROTO] = { .type = NLA_U8 },
	[KIPSEC_SEL_SPORT] = { .type = NLA_U16 },
	[KIPSEC_SEL_DPORT] = { .type = NLA_U16 },
	[KIPSEC_SEL_ICMP_TYPE] = { .type = NLA_U8 },
	[KIPSEC_SEL_ICMP_CODE] = { .type = NLA_U8 },
};

static const struct nla_policy kipsec_tmpl_policy[KIPSEC_TMPL_MAX + 1] = {
	[KIPSEC_TMPL_PROTO] = NLA_POLICY_RANGE(NLA_U8, IPPROTO_ESP, IPPROTO_AH),
	[KIPSEC_TMPL_MODE] = NLA_POLICY_MAX(NLA_U8, KIPSEC_MODE_TUNNEL),
	[KIPSEC_TMPL_FAMILY] = { .type = NLA_U16 },
	[KIPSEC_TMPL_SRC] = NLA_POLICY_MIN_LEN(4),
	[KIPSEC_TMPL_DST] = NLA_POLICY_MIN_LEN(4),
	[KIPSEC_TMPL_LEVEL] = NLA_POLICY_MAX(NLA_U8, KIPSEC_LEVEL_UNIQUE),
	[KIPSEC_TMPL_REQID] = { .type = NLA_U32 },
	[KIPSEC_TMPL_SPI] = { .type = NLA_U32 },
};

static const struct nla_policy kipsec_lft_policy[KIPSEC_LFT_MAX + 1] = {
	[KIPSEC_LFT_SOFT_BYTES] = { .type = NLA_U64 },
	[KIPSEC_LFT_HARD_BYTES] = { .type = NLA_U64 },
	[KIPSEC_LFT_SOFT_PACKETS] = { .type = NLA_U64 },
	[KIPSEC_LFT_HARD_PACKETS] = { .type = NLA_U64 },
	[KIPSEC_LFT_SOFT_ADD] = { .type = NLA_U64 },
	[KIPSEC_LFT_HARD_ADD] = { .type = NLA_U64 },
	[KIPSEC_LFT_SOFT_USE] = { .type = NLA_U64 },
	[KIPSEC_LFT_HARD_USE] = { .type = NLA_U64 },
};

static const struct nla_policy kipsec_encap_policy[KIPSEC_ENCAP_MAX + 1] = {
	[KIPSEC_ENCAP_TYPE] = NLA_POLICY_RANGE(NLA_U8, KIPSEC_ENCAP_ESPINUDP,
					       KIPSEC_ENCAP_ESPINUDP),
	[KIPSEC_ENCAP_SPORT] = NLA_POLICY_MIN(NLA_U16, 1),
	[KIPSEC_ENCAP_DPORT] = NLA_POLICY_MIN(NLA_U16, 1),
	[KIPSEC_ENCAP_OA] = NLA_POLICY_MIN_LEN(4),
};

#define KIPSEC_ALG_POLICY { .type = NLA_NUL_STRING, .len = KIPSEC_ALG_NAME_MAX - 1 }
#define KIPSEC_KEY_POLICY { .type = NLA_BINARY, .len = KIPSEC_KEY_MAX }

static const struct nla_policy kipsec_policy[KIPSEC_A_MAX + 1] = {
	[KIPSEC_A_VERSION] = { .type = NLA_NUL_STRING, .len = 64 },
	[KIPSEC_A_UAPI_VERSION] = { .type = NLA_U32 },
	[KIPSEC_A_SA_PROTO] = NLA_POLICY_RANGE(NLA_U8, IPPROTO_ESP, IPPROTO_AH),
	[KIPSEC_A_SA_SPI] = NLA_POLICY_MIN(NLA_U32, 256),
	[KIPSEC_A_SA_FAMILY] = { .type = NLA_U16 },
	[KIPSEC_A_SA_SRC] = NLA_POLICY_MIN_LEN(4),
	[KIPSEC_A_SA_DST] = NLA_POLICY_MIN_LEN(4),
	[KIPSEC_A_SA_MODE] = NLA_POLICY_MAX(NLA_U8, KIPSEC_MODE_TUNNEL),
	[KIPSEC_A_SA_REQID] = { .type = NLA_U32 },
	[KIPSEC_A_SA_FLAGS] = NLA_POLICY_MASK(NLA_U32, KIPSEC_SAF_ESN | KIPSEC_SAF_NOPMTUDISC),
	[KIPSEC_A_SA_REPLAY_WINDOW] = NLA_POLICY_MAX(NLA_U32, KIPSEC_REPLAY_MAX),
	[KIPSEC_A_SA_AEAD_ALG] = KIPSEC_ALG_POLICY,
	[KIPSEC_A_SA_AEAD_KEY] = KIPSEC_KEY_POLICY,
	[KIPSEC_A_SA_AEAD_ICV] = { .type = NLA_U32 },
	[KIPSEC_A_SA_ENC_ALG] = KIPSEC_ALG_POLICY,
	[KIPSEC_A_SA_ENC_KEY] = KIPSEC_KEY_POLICY,
	[KIPSEC_A_SA_AUTH_ALG] = KIPSEC_ALG_POLICY,
	[KIPSEC_A_SA_AUTH_KEY] = KIPSEC_KEY_POLICY,
	[KIPSEC_A_SA_AUTH_TRUNC] = { .type = NLA_U32 },
	[KIPSEC_A_SA_SEL] = NLA_POLICY_NESTED(kipsec_sel_policy),
	[KIPSEC_A_SA_LIFETIME] = NLA_POLICY_NESTED(kipsec_lft_policy),
	[KIPSEC_A_SA_ENCAP] = NLA_POLICY_NESTED(kipsec_encap_policy),
	[KIPSEC_A_SP_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[KIPSEC_A_SP_DIR] = NLA_POLICY_MAX(NLA_U8, KIPSEC_DIR_FWD),
	[KIPSEC_A_SP_ACTION] = NLA_POLICY_MAX(NLA_U8, KIPSEC_ACTION_DISCARD),
	[KIPSEC_A_SP_PRIORITY] = { .type = NLA_U32 },
	[KIPSEC_A_SP_SEL] = NLA_POLICY_NESTED(kipsec_sel_policy),
	[KIPSEC_A_SP_TMPLS] = { .type = NLA_NESTED },
	/* UDP encapsulation sockets (encap.c) */
	[KIPSEC_A_ENCAP_PORT] = NLA_POLICY_MIN(NLA_U16, 1),
	[KIPSEC_A_ENCAP_FD] = { .type = NLA_U32 },
	[KIPSEC_A_ENCAP_FAMILY] = { .type = NLA_U16 },
	[KIPSEC_A_ENCAP_ATTACHED] = { .type = NLA_REJECT },
};

#define KIPSEC_SP_DEFAULT_PRIORITY 0x80000

static int kipsec_family_len(u16 family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

static int kipsec_get_family(const struct nlattr *a, u16 *family,
			     struct netlink_ext_ack *extack)
{
	*family = nla_get_u16(a);
	if (kipsec_family_len(*family))
		return 0;
	NL_SET_ERR_MSG_ATTR(extack, a, "family must be AF_INET (2) or AF_INET6 (10)");
	return -EAFNOSUPPORT;
}

static int kipsec_get_addr(const struct nlattr *a, u16 family, union kipsec_addr *addr,
			   struct netlink_ext_ack *extack)
{
	int len = kipsec_family_len(family);

	if (nla_len(a) != len) {
		if (family == AF_INET)
			NL_SET_ERR_MSG_ATTR(extack, a, "address must be 4 bytes for AF_INET");
		else
			NL_SET_ERR_MSG_ATTR(extack, a, "address must be 16 bytes for AF_INET6");
		return -EINVAL;
	}
	memset(addr, 0, sizeof(*addr));
	memcpy(addr, nla_data(a), len);
	return 0;
}

static bool kipsec_proto_has_ports(u8 proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP ||
	       proto == IPPROTO_UDPLITE || proto == IPPROTO_DCCP;
}

static void kipsec_addr_mask(u16 family, union kipsec_addr *a, u8 plen)
{
	union kipsec_addr m = {};
	int i;

	for (i = 0; i < 4 && plen; i++, plen = plen > 32 ? plen - 32 : 0)
		m.a6[i] = plen >= 32 ? htonl(~0U) : htonl(~0U << (32 - plen));
	for (i = 0; i < 4; i++)
		a->a6[i] &= m.a6[i];
}

static int kipsec_parse_sel_addr(struct nlattr **tb, int addr_attr, int plen_attr,
				 struct kipsec_sel *sel, union kipsec_addr *a, u8 *plen,
				 struct netlink_ext_ack *extack)
{
	u8 full = sel->family == AF_INET ? 32 : 128;
	int err;

	*plen = 0;
	if (tb[addr_attr]) {
		err = kipsec_get_addr(tb[addr_attr], sel->family, a, extack);
		if (err)
			return err;
		*plen = full;
	}
	if (tb[plen_attr]) {
		*plen = nla_get_u8(tb[plen_attr]);
		if (*plen > full) {
			NL_SET_ERR_MSG_ATTR(extack, tb[plen_attr],
					    "prefix length exceeds 32 for AF_INET");
			return -EINVAL;
		}
	}
	kipsec_addr_mask(sel->family, a, *plen);
	return 0;
}

static int kipsec_parse_sel(struct nlattr *nest, struct kipsec_sel *sel,
			    struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KIPSEC_SEL_MAX + 1];
	int err;

	err = nla_parse_nested(tb, KIPSEC_SEL_MAX, nest, kipsec_sel_policy, extack);
	if (err)
		return err;
	memset(sel, 0, sizeof(*sel));
	if (!tb[KIPSEC_SEL_FAMILY]) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "missing attribute KIPSEC_SEL_FAMILY");
		return -EINVAL;
	}
	err = kipsec_get_family(tb[KIPSEC_SEL_FAMILY], &sel->family, extack);
	if (!err)
		err = kipsec_parse_sel_addr(tb, KIPSEC_SEL_SRC, KIPSEC_SEL_SRC_PLEN, sel,
					    &sel->saddr, &sel->sprefix, extack);
	if (!err)
		err = kipsec_parse_sel_addr(tb, KIPSEC_SEL_DST, KIPSEC_SEL_DST_PLEN, sel,
					    &sel->daddr, &sel->dprefix, extack);
	if (err)
		return err;
	if (tb[KIPSEC_SEL_PROTO])
		sel->proto = nla_get_u8(tb[KIPSEC_SEL_PROTO]);
	if ((tb[KIPSEC_SEL_SPORT] || tb[KIPSEC_SEL_DPORT]) &&
	    !kipsec_proto_has_ports(sel->proto)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[KIPSEC_SEL_SPORT] ?: tb[KIPSEC_SEL_DPORT],
				    "ports need KIPSEC_SEL_PROTO tcp, udp, sctp, udplite or dccp");
		return -EINVAL;
	}
	if ((tb[KIPSEC_SEL_ICMP_TYPE] || tb[KIPSEC_SEL_ICMP_CODE]) &&
	    !((sel->family == AF_INET && sel->proto == IPPROTO_ICMP) ||
	      (sel->family == AF_INET6 && sel->proto == IPPROTO_ICMPV6))) {
		NL_SET_ERR_MSG_ATTR(extack, tb[KIPSEC_SEL_ICMP_TYPE] ?: tb[KIPSEC_SEL_ICMP_CODE],
				    "ICMP type/code need KIPSEC_SEL_PROTO icmp (AF_INET) or ipv6-icmp (AF_INET6)");
		return -EINVAL;
	}
	if (tb[KIPSEC_SEL_SPORT])
		sel->sport = htons(nla_get_u16(tb[KIPSEC_SEL_SPORT]));
	if (tb[KIPSEC_SEL_DPORT])
		sel->dport = htons(nla_get_u16(tb[KIPSEC_SEL_DPORT]));
	if (tb[KIPSEC_SEL_ICMP_TYPE]) {
		sel->has_icmp_type = true;
		sel->icmp_type = nla_get_u8(tb[KIPSEC_SEL_ICMP_TYPE]);
	}
	if (tb[KIPSEC_SEL_ICMP_CODE]) {
		sel->has_icmp_code = true;
		sel->icmp_code = nla_get_u8(tb[KIPSEC_SEL_ICMP_CODE]);
	}
	return 0;
}

static void kipsec_parse_lft(struct nlattr *nest, struct kipsec_lifetime *l)
{
	struct nlattr *tb[KIPSEC_LFT_MAX + 1];

	/* Already validated with the family policy. */
	if (nla_parse_nested(tb, KIPSEC_LFT_MAX, nest, kipsec_lft_policy, NULL))
		return;
#define LFT(a, f) do { if (tb[a]) l->f = nla_get_u64(tb[a]); } while (0)
	LFT(KIPSEC_LFT_SOFT_BYTES, soft_bytes);
	LFT(KIPSEC_LFT_HARD_BYTES, hard_bytes);
	LFT(KIPSEC_LFT_SOFT_PACKETS, soft_packets);
	LFT(KIPSEC_LFT_HARD_PACKETS, hard_packets);
	LFT(KIPSEC_LFT_SOFT_ADD, soft_add);
	LFT(KIPSEC_LFT_HARD_ADD, hard_add);
	LFT(KIPSEC_LFT_SOFT_USE, soft_use);
	LFT(KIPSEC_LFT_HARD_USE, hard_use);
#undef LFT
}

static int kipsec_parse_encap(struct nlattr *nest, struct kipsec_sa *sa,
			      struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KIPSEC_ENCAP_MAX + 1];
	int err;

	err = nla_parse_nested(tb, KIPSEC_ENCAP_MAX, nest, kipsec_encap_policy, extack);
	if (err)
		return err;
	if (!tb[KIPSEC_ENCAP_SPORT] || !tb[KIPSEC_ENCAP_DPORT]) {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "missing attribute KIPSEC_ENCAP_SPORT or KIPSEC_ENCAP_DPORT");
		return -EINVAL;
	}
	sa->encap.type = KIPSEC_ENCAP_ESPINUDP;
	sa->encap.sport = htons(nla_get_u16(tb[KIPSEC_ENCAP_SPORT]));
	sa->encap.dport = htons(nla_get_u16(tb[KIPSEC_ENCAP_DPORT]));
	if (tb[KIPSEC_ENCAP_OA]) {
		err = kipsec_get_addr(tb[KIPSEC_ENCAP_OA], sa->id.family, &sa->encap.oa, extack);
		sa->encap.has_oa = !err;
	}
	return err;
}

static void kipsec_copy_alg(struct nlattr *name, struct nlattr *key, char *dst,
			    u8 *kdst, u16 *klen)
{
	nla_strscpy(dst, name, KIPSEC_ALG_NAME_MAX);
	if (key) {
		*klen = nla_len(key);
		memcpy(kdst, nla_data(key), *klen);
	}
}

static int kipsec_parse_algs(struct genl_info *info, u8 proto,
			     struct kipsec_alg_params *p)
{
	struct nlattr **a = info->attrs;
	struct netlink_ext_ack *extack = info->extack;

	if (a[KIPSEC_A_SA_AEAD_ALG] && (a[KIPSEC_A_SA_ENC_ALG] || a[KIPSEC_A_SA_AUTH_ALG])) {
		NL_SET_ERR_MSG_ATTR(extack, a[KIPSEC_A_SA_AEAD_ALG],
				    "KIPSEC_A_SA_AEAD_ALG excludes KIPSEC_A_SA_ENC_ALG and KIPSEC_A_SA_AUTH_ALG");
		return -EINVAL;
	}
	if (proto == IPPROTO_AH && (a[KIPSEC_A_SA_AEAD_ALG] || a[KIPSEC_A_SA_ENC_ALG])) {
		NL_SET_ERR_MSG(extack, "an AH SA takes only KIPSEC_A_SA_AUTH_ALG");
		return -EINVAL;
	}
	if (proto == IPPROTO_AH && !kipsec_require(info, KIPSEC_A_SA_AUTH_ALG))
		return -EINVAL;
	if (proto == IPPROTO_ESP && !a[KIPSEC_A_SA_AEAD_ALG]) {
		/* Without KIPSEC_A_SA_AUTH_ALG: no integrity (digest_null). */
		if (!a[KIPSEC_A_SA_ENC_ALG]) {
			NL_SET_ERR_MSG(extack,
				       "missing attribute KIPSEC_A_SA_AEAD_ALG or KIPSEC_A_SA_ENC_ALG");
			return -EINVAL;
		}
	}
	if (a[KIPSEC_A_SA_AEAD_ALG]) {
		if (!kipsec_require(info, KIPSEC_A_SA_AEAD_KEY))
			return -EINVAL;
		kipsec_copy_alg(a[KIPSEC_A_SA_AEAD_ALG], a[KIPSEC_A_SA_AEAD_KEY],
				p->aead, p->aead_key, &p->aead_keylen);
		if (a[KIPSEC_A_SA_AEAD_ICV])
			p->aead_icv_bits = nla_get_u32(a[KIPSEC_A_SA_AEAD_ICV]);
	}
	if (a[KIPSEC_A_SA_ENC_ALG])
		kipsec_copy_alg(a[KIPSEC_A_SA_ENC_ALG], a[KIPSEC_A_SA_ENC_KEY],
				p->enc, p->enc_key, &p->enc_keylen);
	if (a[KIPSEC_A_SA_AUTH_ALG]) {
		if (!kipsec_require(info, KIPSEC_A_SA_AUTH_KEY))
			return -EINVAL;
		kipsec_copy_alg(a[KIPSEC_A_SA_AUTH_ALG], a[KIPSEC_A_SA_AUTH_KEY],
				p->auth, p->auth_key, &p->auth_keylen);
		if (a[KIPSEC_A_SA_AUTH_TRUNC])
			p->auth_trunc_bits = nla_get_u32(a[KIPSEC_A_SA_AUTH_TRUNC]);
	}
	return 0;
}

/* The identity of an SA (del, get, and the start of add). */
static int kipsec_parse_sa_id(struct genl_info *info, struct kipsec_sa_id *id)
{
	struct nlattr **a = info->attrs;
	int err;

	if (!kipsec_require(info, KIPSEC_A_SA_PROTO) ||
	    !kipsec_require(info, KIPSEC_A_SA_SPI) ||
	    !kipsec_require(info, KIPSEC_A_SA_FAMILY) ||
	    !kipsec_require(info, KIPSEC_A_SA_DST))
		return -EINVAL;
	memset(id, 0, sizeof(*id));
	id->proto = nla_get_u8(a[KIPSEC_A_SA_PROTO]);
	id->spi = nla_get_u32(a[KIPSEC_A_SA_SPI]);
	err = kipsec_get_family(a[KIPSEC_A_SA_FAMILY], &id->family, info->extack);
	if (err)
		return err;
	return kipsec_get_addr(a[KIPSEC_A_SA_DST], id->family, &id->daddr, info->extack);
}

static int kipsec_parse_sa(struct genl_info *info, struct kipsec_sa *sa)
{
	struct nlattr **a = info->attrs;
	struct netlink_ext_ack *extack = info->extack;
	int err;

	err = kipsec_parse_sa_id(info, &sa->id);
	if (err)
		return err;
	if (!kipsec_require(info, KIPSEC_A_SA_SRC))
		return -EINVAL;
	err = kipsec_get_addr(a[KIPSEC_A_SA_SRC], sa->id.family, &sa->saddr, extack);
	if (err)
		return err;
	if (a[KIPSEC_A_SA_MODE])
		sa->mode = nla_get_u8(a[KIPSEC_A_SA_MODE]);
	if (a[KIPSEC_A_SA_REQID])
		sa->reqid = nla_get_u32(a[KIPSEC_A_SA_REQID]);
	if (a[KIPSEC_A_SA_FLAGS])
		sa->flags = nla_get_u32(a[KIPSEC_A_SA_FLAGS]);
	if (a[KIPSEC_A_SA_REPLAY_WINDOW])
		sa->replay_window = nla_get_u32(a[KIPSEC_A_SA_REPLAY_WINDOW]);
	if (a[KIPSEC_A_SA_SEL]) {
		err = kipsec_parse_sel(a[KIPSEC_A_SA_SEL], &sa->sel, extack);
		if (err)
			return err;
		if (sa->mode == KIPSEC_MODE_TRANSPORT && sa->sel.family != sa->id.family) {
			NL_SET_ERR_MSG_ATTR(extack, a[KIPSEC_A_SA_SEL],
					    "a transport mode SA's selector family must be its KIPSEC_A_SA_FAMILY");
			return -EINVAL;
		}
	} else {
		/* Any traffic of the outer family. */
		sa->sel.family = sa->id.family;
	}
	if (a[KIPSEC_A_SA_LIFETIME])
		kipsec_parse_lft(a[KIPSEC_A_SA_LIFETIME], &sa->lft);
	if (a[KIPSEC_A_SA_ENCAP]) {
		if (sa->id.proto != IPPROTO_ESP) {
			NL_SET_ERR_MSG_ATTR(extack, a[KIPSEC_A_SA_ENCAP],
					    "UDP encapsulation needs KIPSEC_A_SA_PROTO esp");
			return -EINVAL;
		}
		err = kipsec_parse_encap(a[KIPSEC_A_SA_ENCAP], sa, extack);
	}
	return err;
}

static int kipsec_nl_sa_new(struct sk_buff *skb, struct genl_info *info, bool update)
{
	struct kipsec_net *kn = kipsec_pernet(genl_info_net(info));
	struct kipsec_alg_params *p;
	struct kipsec_sa *sa;
	int err;

	sa = kipsec_sa_alloc(kn);
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	err = -ENOMEM;
	if (!sa || !p)
		goto err;
	err = kipsec_parse_sa(info, sa);
	if (!err)
		err = kipsec_parse_algs(info, sa->id.proto, p);
	if (err)
		goto err;
	err = kipsec_sa_insert(kn, sa, p, update, info->extack);
	if (err)
		goto err_inserted;
	return 0;

err_inserted:
	/* kipsec_sa_insert() took p if crypto came up. */
	if (sa->crypto.params == p)
		p = NULL;
err:
	kfree_sensitive(p);
	if (sa)
		kipsec_sa_free_new(sa);
	return err;
}

static int kipsec_nl_sa_add(struct sk_buff *skb, struct genl_info *info)
{
	return kipsec_nl_sa_new(skb, info, false);
}

static int kipsec_nl_sa_update(struct sk_buff *skb, struct genl_info *info)
{
	return kipsec_nl_sa_new(skb, info, true);
}

static int kipsec_nl_sa_del(struct sk_buff *skb, struct genl_info *info)
{
	struct kipsec_net *kn = kipsec_pernet(genl_info_net(info));
	struct kipsec_sa_id id;
	int err;

	err = kipsec_parse_sa_id(info, &id);
	if (err)
		return err;
	err = kipsec_sa_delete(kn, &id);
	if (err)
		kipsec_err_fmt(info->extack, "no such SA", "no SA with spi 0x%x", id.spi);
	return err;
}

static int kipsec_put_addr(struct sk_buff *msg, int attr, u16 family,
			   const union kipsec_addr *a)
{
	return nla_put(msg, attr, kipsec_family_len(family), a);
}

int kipsec_nl_put_sel(struct sk_buff *msg, int attr, const struct kipsec_sel *sel)
{
	struct nlattr *nest = nla_nest_start(msg, attr);

	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u16(msg, KIPSEC_SEL_FAMILY, sel->family) ||
	    kipsec_put_addr(msg, KIPSEC_SEL_SRC, sel->family, &sel->saddr) ||
	    nla_put_u8(msg, KIPSEC_SEL_SRC_PLEN, sel->sprefix) ||
	    kipsec_put_addr(msg, KIPSEC_SEL_DST, sel->family, &sel->daddr) ||
	    nla_put_u8(msg, KIPSEC_SEL_DST_PLEN, sel->dprefix) ||
	    nla_put_u8(msg, KIPSEC_SEL_PROTO, sel->proto) ||
	    (sel->sport && nla_put_u16(msg, KIPSEC_SEL_SPORT, ntohs(sel->sport))) ||
	    (sel->dport && nla_put_u16(msg, KIPSEC_SEL_DPORT, ntohs(sel->dport))) ||
	    (sel->has_icmp_type && nla_put_u8(msg, KIPSEC_SEL_ICMP_TYPE, sel->icmp_type)) ||
	    (sel->has_icmp_code && nla_put_u8(msg, KIPSEC_SEL_ICMP_CODE, sel->icmp_code))) {
		nla_nest_cancel(msg, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	return 0;
}

static int kipsec_put_lft(struct sk_buff *msg, int attr, const u64 *v)
{
	struct nlattr *nest = nla_nest_start(msg, attr);
	int i;

	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < 8; i++)
		if (v[i] && nla_put_u64_64bit(msg, KIPSEC_LFT_SOFT_BYTES + i, v[i],
					      KIPSEC_LFT_PAD))
			return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

static int kipsec_put_stat(struct sk_buff *msg, const char *name, u64 v)
{
	struct nlattr *nest = nla_nest_start(msg, KIPSEC_A_STAT);

	if (!nest || nla_put_string(msg, KIPSEC_STAT_NAME, name) ||
	    nla_put_u64_64bit(msg, KIPSEC_STAT_VALUE, v, KIPSEC_STAT_PAD))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

static const char *const kipsec_sa_drop_names[KIPSEC_SA_DROP__MAX] = {
	[KIPSEC_SA_DROP_REPLAY] = "replay",
	[KIPSEC_SA_DROP_INTEGRITY] = "integrity",
	[KIPSEC_SA_DROP_SELECTOR] = "selector",
	[KIPSEC_SA_DROP_EXPIRED] = "expired",
	[KIPSEC_SA_DROP_NOMEM] = "nomem",
	[KIPSEC_SA_DROP_MALFORMED] = "malformed",
	[KIPSEC_SA_DROP_SEQ_OVERFLOW] = "seq-overflow",
	[KIPSEC_SA_DROP_PMTU] = "pmtu",
};

static int kipsec_put_sa_counters(struct sk_buff *msg, struct kipsec_sa *sa)
{
	struct kipsec_sa_pcpu_stats st;
	struct nlattr *nest;
	int i;

	kipsec_sa_stats(sa, &st);
	nest = nla_nest_start(msg, KIPSEC_A_SA_COUNTERS);
	if (!nest || kipsec_put_stat(msg, "in-packets", st.in_packets) ||
	    kipsec_put_stat(msg, "in-bytes", st.in_bytes) ||
	    kipsec_put_stat(msg, "out-packets", st.out_packets) ||
	    kipsec_put_stat(msg, "out-bytes", st.out_bytes))
		return -EMSGSIZE;
	for (i = 0; i < KIPSEC_SA_DROP__MAX; i++)
		if (kipsec_put_stat(msg, kipsec_sa_drop_names[i], st.drops[i]))
			return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

/* Events go to a group anyone may join: keys only in requested replies. */
static int kipsec_put_algs(struct sk_buff *msg, const struct kipsec_alg_params *p,
			   bool keys)
{
	if (!p)
		return 0;
	if (p->aead[0] &&
	    (nla_put_string(msg, KIPSEC_A_SA_AEAD_ALG, p->aead) ||
	     (keys && nla_put(msg, KIPSEC_A_SA_AEAD_KEY, p->aead_keylen, p->aead_key)) ||
	     nla_put_u32(msg, KIPSEC_A_SA_AEAD_ICV, p->aead_icv_bits)))
		return -EMSGSIZE;
	if (p->enc[0] &&
	    (nla_put_string(msg, KIPSEC_A_SA_ENC_ALG, p->enc) ||
	     (keys && nla_put(msg, KIPSEC_A_SA_ENC_KEY, p->enc_keylen, p->enc_key))))
		return -EMSGSIZE;
	if (p->auth[0] &&
	    (nla_put_string(msg, KIPSEC_A_SA_AUTH_ALG, p->auth) ||
	     (keys && nla_put(msg, KIPSEC_A_SA_AUTH_KEY, p->auth_keylen, p->auth_key)) ||
	     nla_put_u32(msg, KIPSEC_A_SA_AUTH_TRUNC, p->auth_trunc_bits)))
		return -EMSGSIZE;
	return 0;
}

static int kipsec_put_encap(struct sk_buff *msg, const struct kipsec_sa *sa)
{
	struct nlattr *nest;

	if (!sa->encap.type)
		return 0;
	nest = nla_nest_start(msg, KIPSEC_A_SA_ENCAP);
	if (!nest || nla_put_u8(msg, KIPSEC_ENCAP_TYPE, sa->encap.type) ||
	    nla_put_u16(msg, KIPSEC_ENCAP_SPORT, ntohs(sa->encap.sport)) ||
	    nla_put_u16(msg, KIPSEC_ENCAP_DPORT, ntohs(sa->encap.dport)) ||
	    (sa->encap.has_oa &&
	     kipsec_put_addr(msg, KIPSEC_ENCAP_OA, sa->id.family, &sa->encap.oa)))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

static int kipsec_put_sa_state(struct sk_buff *msg, struct kipsec_sa *sa)
{
	u64 cur[8] = {};
	u64 oseq = 0, top = 0;

	spin_lock_bh(&sa->lock);
	cur[1] = sa->cur_bytes;
	cur[3] = sa->cur_packets;
	cur[5] = sa->add_time;
	cur[7] = sa->use_time;
	spin_unlock_bh(&sa->lock);
	if (sa->replay) {
		oseq = READ_ONCE(sa->replay->oseq);
		top = READ_ONCE(sa->replay->top);
	}
	if (kipsec_put_lft(msg, KIPSEC_A_SA_CURLFT, cur) ||
	    nla_put_u64_64bit(msg, KIPSEC_A_SA_SEQ_OUT, oseq, KIPSEC_A_SA_PAD) ||
	    nla_put_u64_64bit(msg, KIPSEC_A_SA_SEQ_IN, top, KIPSEC_A_SA_PAD))
		return -EMSGSIZE;
	return kipsec_put_sa_counters(msg, sa);
}

int kipsec_nl_put_sa(struct sk_buff *msg, struct kipsec_sa *sa, bool keys)
{
	const struct kipsec_lifetime *l = &sa->lft;
	u64 lft[8] = { l->soft_bytes, l->hard_bytes, l->soft_packets, l->hard_packets,
		       l->soft_add, l->hard_add, l->soft_use, l->hard_use };

	if (nla_put_u8(msg, KIPSEC_A_SA_PROTO, sa->id.proto) ||
	    nla_put_u32(msg, KIPSEC_A_SA_SPI, sa->id.spi) ||
	    nla_put_u16(msg, KIPSEC_A_SA_FAMILY, sa->id.family) ||
	    kipsec_put_addr(msg, KIPSEC_A_SA_SRC, sa->id.family, &sa->saddr) ||
	    kipsec_put_addr(msg, KIPSEC_A_SA_DST, sa->id.family, &sa->id.daddr) ||
	    nla_put_u8(msg, KIPSEC_A_SA_MODE, sa->mode) ||
	    nla_put_u32(msg, KIPSEC_A_SA_REQID, sa->reqid) ||
	    nla_put_u32(msg, KIPSEC_A_SA_FLAGS, sa->flags) ||
	    nla_put_u32(msg, KIPSEC_A_SA_REPLAY_WINDOW, sa->replay_window) ||
	    kipsec_put_algs(msg, sa->crypto.params, keys) ||
	    kipsec_nl_put_sel(msg, KIPSEC_A_SA_SEL, &sa->sel) ||
	    kipsec_put_lft(msg, KIPSEC_A_SA_LIFETIME, lft) ||
	    kipsec_put_encap(msg, sa))
		return -EMSGSIZE;
	return kipsec_put_sa_state(msg, sa);
}

/* Reply and dump scaffolding: fill(msg, obj) puts the attributes. */
typedef int (*kipsec_fill_t)(struct sk_buff *msg, void *obj);

/* A reply to info (command cmd) filled by fill; -ENOMEM/-EMSGSIZE or 0. */
static int kipsec_nl_reply(struct genl_info *info, u8 cmd, kipsec_fill_t fill, void *obj)
{
	struct sk_buff *msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	void *hdr;
	int err;

	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &kipsec_genl_family, 0, cmd);
	err = hdr ? fill(msg, obj) : -EMSGSIZE;
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/* One record of a dump; on error (skb full) nothing of it stays in skb. */
static int kipsec_nl_dump_one(struct sk_buff *skb, struct netlink_callback *cb, u8 cmd,
			      kipsec_fill_t fill, void *obj)
{
	void *hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
				&kipsec_genl_family, NLM_F_MULTI, cmd);
	int err = hdr ? fill(skb, obj) : -EMSGSIZE;

	if (err) {
		if (hdr)
			genlmsg_cancel(skb, hdr);
		return err;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* Replies and dumps carry keys (GENL_ADMIN_PERM); events do not. */
static int kipsec_fill_sa(struct sk_buff *msg, void *sa)
{
	return kipsec_nl_put_sa(msg, sa, true);
}

static int kipsec_nl_sa_get(struct sk_buff *skb, struct genl_info *info)
{
	struct kipsec_net *kn = kipsec_pernet(genl_info_net(info));
	struct kipsec_sa_id id;
	struct kipsec_sa *sa;
	int err;

	err = kipsec_parse_sa_id(info, &id);
	if (err)
		return err;
	sa = kipsec_sa_get(kn, &id);
	if (!sa) {
		kipsec_err_fmt(info->extack, "no such SA", "no SA with spi 0x%x", id.spi);
		return -ENOENT;
	}
	err = kipsec_nl_reply(info, KIPSEC_CMD_SA_GET, kipsec_fill_sa, sa);
	kipsec_sa_put(sa);
	return err;
}

/* cb->args[0]: the last SA sent (referenced), args[1]: proto filter. */
static int kipsec_nl_sa_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct kipsec_net *kn = kipsec_pernet(sock_net(skb->sk));
	struct kipsec_sa *prev = (struct kipsec_sa *)cb->args[0], *sa;
	struct nlattr **attrs = kipsec_dump_attrs(cb);
	u8 proto = attrs && attrs[KIPSEC_A_SA_PROTO] ? nla_get_u8(attrs[KIPSEC_A_SA_PROTO]) : 0;

	while ((sa = kipsec_sa_next(kn, prev))) {
		if ((!proto || sa->id.proto == proto) &&
		    kipsec_nl_dump_one(skb, cb, KIPSEC_CMD_SA_GET, kipsec_fill_sa, sa)) {
			kipsec_sa_put(sa);
			break;
		}
		if (prev)
			kipsec_sa_put(prev);
		prev = sa;
	}
	cb->args[0] = (long)prev;
	return skb->len;
}

static int kipsec_nl_sa_dump_done(struct netlink_callback *cb)
{
	if (cb->args[0])
		kipsec_sa_put((struct kipsec_sa *)cb->args[0]);
	return 0;
}

static int kipsec_nl_sa_flush(struct sk_buff *skb, struct genl_info *info)
{
	struct kipsec_net *kn = kipsec_pernet(genl_info_net(info));
	struct nlattr *a = info->attrs[KIPSEC_A_SA_PROTO];

	kipsec_sa_flush(kn, a ? nla_get_u8(a) : 0);
	return 0;
}

/* SP ------------------------------------------------------------------- */

static int kipsec_parse_tmpl(struct nlattr *nest, struct kipsec_sp *sp,
			     struct kipsec_tmpl *t, struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KIPSEC_TMPL_MAX + 1];
	int err;

	err = nla_parse_nested(tb, KIPSEC_TMPL_MAX, nest, kipsec_tmpl_policy, extack);
	if (err)
		return err;
	if (!tb[KIPSEC_TMPL_PROTO]) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "missing attribute KIPSEC_TMPL_PROTO");
		return -EINVAL;
	}
	t->proto = nla_get_u8(tb[KIPSEC_TMPL_PROTO]);
	t->mode = tb[KIPSEC_TMPL_MODE] ? nla_get_u8(tb[KIPSEC_TMPL_MODE]) : 0;
	t->level = tb[KIPSEC_TMPL_LEVEL] ? nla_get_u8(tb[KIPSEC_TMPL_LEVEL]) : 0;
	t->reqid = tb[KIPSEC_TMPL_REQID] ? nla_get_u32(tb[KIPSEC_TMPL_REQID]) : 0;
	t->spi = tb[KIPSEC_TMPL_SPI] ? nla_get_u32(tb[KIPSEC_TMPL_SPI]) : 0;
	t->family = sp->sel.family;
	if (tb[KIPSEC_TMPL_FAMILY]) {
		err = kipsec_get_family(tb[KIPSEC_TMPL_FAMILY], &t->family, extack);
		if (err)
			return err;
	}
	if (t->mode == KIPSEC_MODE_TRANSPORT) {
		if (t->family != sp->sel.family) {
			NL_SET_ERR_MSG_ATTR(extack, tb[KIPSEC_TMPL_FAMILY],
					    "a transport mode template's family must be the selector's");
			return -EINVAL;
		}
		return 0;
	}
	if (!tb[KIPSEC_TMPL_SRC] || !tb[KIPSEC_TMPL_DST]) {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "a tunnel mode template needs KIPSEC_TMPL_SRC and KIPSEC_TMPL_DST");
		return -EINVAL;
	}
	err = kipsec_get_addr(tb[KIPSEC_TMPL_SRC], t->family, &t->saddr, extack);
	if (!err)
		err = kipsec_get_addr(tb[KIPSEC_TMPL_DST], t->family, &t->daddr, extack);
	return err;
}

static int kipsec_parse_tmpls(struct nlattr *nest, struct kipsec_sp *sp,
			      struct netlink_ext_ack *extack)
{
	struct nlattr *a;
	int rem, err;

	nla_for_each_nested(a, nest, rem) {
		if (nla_type(a) != KIPSEC_A_TMPL) {
			NL_SET_ERR_MSG_ATTR(extack, a, "KIPSEC_A_SP_TMPLS holds only KIPSEC_A_TMPL");
			return -EINVAL;
		}
		if (sp->ntmpl == KIPSEC_MAX_TMPLS) {
			NL_SET_ERR_MSG_ATTR(extack, a, "at most 4 templates per policy");
			return -E2BIG;
		}
		err = kipsec_parse_tmpl(a, sp, &sp->tmpl[sp->ntmpl], extack);
		if (err)
			return err;
		sp->ntmpl++;
	}
	return 0;
}

static int kipsec_parse_sp(struct genl_info *info, struct kipsec_sp *sp)
{
	struct nlattr **a = info->attrs;
	struct netlink_ext_ack *extack = info->extack;
	int err;

	if (!kipsec_require(info, KIPSEC_A_SP_DIR) ||
	    !kipsec_require(info, KIPSEC_A_SP_SEL))
		return -EINVAL;
	sp->dir = nla_get_u8(a[KIPSEC_A_SP_DIR]);
	sp->action = a[KIPSEC_A_SP_ACTION] ? nla_get_u8(a[KIPSEC_A_SP_ACTION]) :
		     KIPSEC_ACTION_PROTECT;
	sp->priority = a[KIPSEC_A_SP_PRIORITY] ? nla_get_u32(a[KIPSEC_A_SP_PRIORITY]) :
		       KIPSEC_SP_DEFAULT_PRIORITY;
	if (a[KIPSEC_A_SP_ID])
		sp->id = nla_get_u32(a[KIPSEC_A_SP_ID]);
	err = kipsec_parse_sel(a[KIPSEC_A_SP_SEL], &sp->sel, extack);
	if (err)
		return err;
	if (a[KIPSEC_A_SP_TMPLS]) {
		err = kipsec_parse_tmpls(a[KIPSEC_A_SP_TMPLS], sp, extack);
		if (err)
			return err;
	}
	if (sp->action == KIPSEC_ACTION_PROTECT && !sp->ntmpl) {
		NL_SET_ERR_MSG(extack, "a protect policy needs KIPSEC_A_SP_TMPLS with a KIPSEC_A_TMPL");
		return -EINVAL;
	}
	if (sp->action != KIPSEC_ACTION_PROTECT && sp->ntmpl) {
		NL_SET_ERR_MSG_ATTR(extack, a[KIPSEC_A_SP_TMPLS],
				    "only a protect policy takes templates");
		return -EINVAL;
	}
	return 0;
}

static int kipsec_fill_sp_id(struct sk_buff *msg, void *id)
{
	return nla_put_u32(msg, KIPSEC_A_SP_ID, *(u32 *)id);
}

static int kipsec_nl_sp_new(struct genl_info *info, bool update)
{
	struct kipsec_net *kn = kipsec_pernet(genl_info_net(info));
	struct kipsec_sp *sp = kipsec_sp_alloc();
	u32 id;
	int err;

	if (!sp)
		return -ENOMEM;
	err = kipsec_parse_sp(info, sp);
	if (!err)
		err = kipsec_sp_insert(kn, sp, update, info->extack);
	if (err) {
		kipsec_sp_free_new(sp);
		return err;
	}
	/*
	 * The reply carries the id; sp itself may be gone already.  The policy
	 * is in: a reply that cannot be built is not an error of the request.
	 */
	id = sp->id;
	kipsec_nl_reply(info, update ? KIPSEC_CMD_SP_UPDATE : KIPSEC_CMD_SP_ADD,
			kipsec_fill_sp_id, &id);
	return 0;
}

static int kipsec_nl_sp_add(struct sk_buff *skb, struct genl_info *info)
{
	return kipsec_nl_sp_new(info, false);
}

static int kipsec_nl_sp_update(struct sk_buff *skb, struct genl_info *info)
{
	return kipsec_nl_sp_new(info, true);
}

/* Identity of a policy: KIPSEC_A_SP_ID, or KIPSEC_A_SP_DIR + KIPSEC_A_SP_SEL. */
static int kipsec_parse_sp_ident(struct genl_info *info, u32 *id, u8 *dir,
				 struct kipsec_sel *sel)
{
	struct nlattr **a = info->attrs;

	*id = 0;
	if (a[KIPSEC_A_SP_ID]) {
		*id = nla_get_u32(a[KIPSEC_A_SP_ID]);
		return 0;
	}
	if (!a[KIPSEC_A_SP_DIR] || !a[KIPSEC_A_SP_SEL]) {
		NL_SET_ERR_MSG(info->extack,
			       "missing attribute KIPSEC_A_SP_ID (or KIPSEC_A_SP_DIR and KIPSEC_A_SP_SEL)");
		return -EINVAL;
	}
	*dir = nla_get_u8(a[KIPSEC_A_SP_DIR]);
	return kipsec_parse_sel(a[KIPSEC_A_SP_SEL], sel, info->extack);
}

static int kipsec_nl_sp_del(struct sk_buff *skb, struct genl_info *info)
{
	struct kipsec_net *kn = kipsec_pernet(genl_info_net(info));
	struct kipsec_sel sel;
	u8 dir = 0;
	u32 id;
	int err;

	err = kipsec_parse_sp_ident(info, &id, &dir, &sel);
	if (err)
		return err;
	err = kipsec_sp_delete(kn, id, dir, &sel);
	if (err)
		NL_SET_ERR_MSG(info->extack, "no such policy");
	return err;
}

int kipsec_nl_put_tmpl(struct sk_buff *msg, const struct kipsec_tmpl *t)
{
	struct nlattr *nest = nla_nest_start(msg, KIPSEC_A_TMPL);

	if (!nest || nla_put_u8(msg, KIPSEC_TMPL_PROTO, t->proto) ||
	    nla_put_u8(msg, KIPSEC_TMPL_MODE, t->mode) ||
	    nla_put_u8(msg, KIPSEC_TMPL_LEVEL, t->level) ||
	    nla_put_u16(msg, KIPSEC_TMPL_FAMILY, t->family) ||
	    nla_put_u32(msg, KIPSEC_TMPL_REQID, t->reqid) ||
	    nla_put_u32(msg, KIPSEC_TMPL_SPI, t->spi))
		return -EMSGSIZE;
	if (t->mode == KIPSEC_MODE_TUNNEL &&
	    (kipsec_put_addr(msg, KIPSEC_TMPL_SRC, t->family, &t->saddr) ||
	     kipsec_put_addr(msg, KIPSEC_TMPL_DST, t->family, &t->daddr)))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

int kipsec_nl_put_sp(struct sk_buff *msg, struct kipsec_sp *sp)
{
	struct nlattr *nest;
	int i;

	if (nla_put_u32(msg, KIPSEC_A_SP_ID, sp->id) ||
	    nla_put_u8(msg, KIPSEC_A_SP_DIR, sp->dir) ||
	    nla_put_u8(msg, KIPSEC_A_SP_ACTION, sp->action) ||
	    nla_put_u32(msg, KIPSEC_A_SP_PRIORITY, sp->priority) ||
	    kipsec_nl_put_sel(msg, KIPSEC_A_SP_SEL, &sp->sel))
		return -EMSGSIZE;
	nest = nla_nest_start(msg, KIPSEC_A_SP_TMPLS);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < sp->ntmpl; i++)
		if (kipsec_nl_put_tmpl(msg, &sp->tmpl[i]))
			return -EMSGSIZE;
	nla_nest_end(msg, nest);
	nest = nla_nest_start(msg, KIPSEC_A_SP_COUNTERS);
	if (!nest || kipsec_put_stat(msg, "packets", kipsec_sp_hits(sp)))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

static int kipsec_fill_sp(struct sk_buff *msg, void *sp)
{
	return kipsec_nl_put_sp(msg, sp);
}

static int kipsec_nl_sp_get(struct sk_buff *skb, struct genl_info *info)
{
	struct kipsec_net *kn = kipsec_pernet(genl_info_net(info));
	struct kipsec_sel sel;
	struct kipsec_sp *sp;
	u8 dir = 0;
	u32 id;
	int err;

	err = kipsec_parse_sp_ident(info, &id, &dir, &sel);
	if (err)
		return err;
	sp = kipsec_sp_get(kn, id, dir, &sel);
	if (!sp) {
		NL_SET_ERR_MSG(info->extack, "no such policy");
		return -ENOENT;
	}
	err = kipsec_nl_reply(info, KIPSEC_CMD_SP_GET, kipsec_fill_sp, sp);
	kipsec_sp_put(sp);
	return err;
}

/* cb->args[0]: the id of the last policy sent. */
static int kipsec_nl_sp_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct kipsec_net *kn = kipsec_pernet(sock_net(skb->sk));
	struct kipsec_sp *sp;

	while ((sp = kipsec_sp_next(kn, cb->args[0]))) {
		if (kipsec_nl_dump_one(skb, cb, KIPSEC_CMD_SP_GET, kipsec_fill_sp, sp)) {
			kipsec_sp_put(sp);
			break;
		}
		cb->args[0] = sp->id;
		kipsec_sp_put(sp);
	}
	return skb->len;
}

static int kipsec_nl_sp_flush(struct sk_buff *skb, struct genl_info *info)
{
	struct kipsec_net *kn = kipsec_pernet(genl_info_net(info));
	struct nlattr *a = info->attrs[KIPSEC_A_SP_DIR];

	kipsec_sp_flush(kn, a ? nla_get_u8(a) : -1);
	return 0;
}

/* Counters --------------------------------------------------------------- */

static int kipsec_fill_stats(struct sk_buff *msg, void *obj)
{
	struct kipsec_net *kn = obj;
	struct nlattr *nest = nla_nest_start(msg, KIPSEC_A_STATS);
	int i, cpu;

	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < KIPSEC_STAT__MAX; i++) {
		u64 v = 0;

		for_each_possible_cpu(cpu)
			v += per_cpu_ptr(kn->stats, cpu)->v[i];
		if (kipsec_put_stat(msg, kipsec_stat_names[i], v))
			return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	return 0;
}

static int kipsec_nl_stats_get(struct sk_buff *skb, struct genl_info *info)
{
	return kipsec_nl_reply(info, KIPSEC_CMD_STATS_GET, kipsec_fill_stats,
			       kipsec_pernet(genl_info_net(info)));
}

static int kipsec_fill_version(struct sk_buff *msg, void *unused)
{
	if (nla_put_string(msg, KIPSEC_A_VERSION, KIPSEC_VERSION) ||
	    nla_put_u32(msg, KIPSEC_A_UAPI_VERSION, KIPSEC_GENL_VERSION))
		return -EMSGSIZE;
	return 0;
}

static int kipsec_nl_get_version(struct sk_buff *skb, struct genl_info *info)
{
	return kipsec_nl_reply(info, KIPSEC_CMD_GET_VERSION, kipsec_fill_version, NULL);
}

#define KIPSEC_OP(c, fn) { .cmd = (c), .doit = (fn), .flags = GENL_ADMIN_PERM }

static const struct genl_ops kipsec_genl_ops[] = {
	{
		.cmd = KIPSEC_CMD_GET_VERSION,
		.doit = kipsec_nl_get_version,
	},
	KIPSEC_OP(KIPSEC_CMD_SA_ADD, kipsec_nl_sa_add),
	KIPSEC_OP(KIPSEC_CMD_SA_UPDATE, kipsec_nl_sa_update),
	KIPSEC_OP(KIPSEC_CMD_SA_DEL, kipsec_nl_sa_del),
	{
		/* Replies carry keys: administrators only. */
		.cmd = KIPSEC_CMD_SA_GET,
		.doit = kipsec_nl_sa_get,
		.dumpit = kipsec_nl_sa_dump,
		.done = kipsec_nl_sa_dump_done,
		.flags = GENL_ADMIN_PERM,
	},
	KIPSEC_OP(KIPSEC_CMD_SA_FLUSH, kipsec_nl_sa_flush),
	KIPSEC_OP(KIPSEC_CMD_SP_ADD, kipsec_nl_sp_add),
	KIPSEC_OP(KIPSEC_CMD_SP_UPDATE, kipsec_nl_sp_update),
	KIPSEC_OP(KIPSEC_CMD_SP_DEL, kipsec_nl_sp_del),
	{
		.cmd = KIPSEC_CMD_SP_GET,
		.doit = kipsec_nl_sp_get,
		.dumpit = kipsec_nl_sp_dump,
		.flags = GENL_ADMIN_PERM,
	},
	KIPSEC_OP(KIPSEC_CMD_SP_FLUSH, kipsec_nl_sp_flush),
	KIPSEC_OP(KIPSEC_CMD_STATS_GET, kipsec_nl_stats_get),
	/* UDP encapsulation sockets: handlers in encap.c */
	KIPSEC_OP(KIPSEC_CMD_ENCAP_ADD, kipsec_nl_encap_add),
	KIPSEC_OP(KIPSEC_CMD_ENCAP_DEL, kipsec_nl_encap_del),
	{
		.cmd = KIPSEC_CMD_ENCAP_GET,
		.dumpit = kipsec_nl_encap_dump,
		.flags = GENL_ADMIN_PERM,
	},
	KIPSEC_OP(KIPSEC_CMD_ENCAP_ATTACH, kipsec_nl_encap_attach),
};

static const struct genl_multicast_group kipsec_mcgrps[] = {
	{ .name = KIPSEC_MCGRP_EVENTS },
};

struct genl_family kipsec_genl_family __ro_after_init = {
	.name = KIPSEC_GENL_NAME,
	.version = KIPSEC_GENL_VERSION,
	.maxattr = KIPSEC_A_MAX,
	.policy = kipsec_policy,
	.netnsok = true,
	.module = THIS_MODULE,
	.ops = kipsec_genl_ops,
	.n_ops = ARRAY_SIZE(kipsec_genl_ops),
	.mcgrps = kipsec_mcgrps,
	.n_mcgrps = ARRAY_SIZE(kipsec_mcgrps),
	KIPSEC_GENL_RESV_START_OP
};

int __init kipsec_genl_init(void)
{
	return genl_register_family(&kipsec_genl_family);
}

void kipsec_genl_exit(void)
{
	genl_unregister_family(&kipsec_genl_family);
}
