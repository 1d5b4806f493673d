// SPDX-License-Identifier: GPL-2.0
/*
 * SAs and policies (req.h) to and from KIPSEC_CMD_* messages.  Shared by
 * `kipsec sa/sp`, the setkey front end and kiked.
 */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include "nl.h"
#include "req.h"

static int addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

static void put_addr(struct nlmsghdr *nlh, int attr, const struct kaddr *a)
{
	mnl_attr_put(nlh, attr, addr_len(a->family), a->b);
}

static void get_addr(const struct nlattr *a, int family, struct kaddr *out)
{
	memset(out, 0, sizeof(*out));
	if (mnl_attr_get_payload_len(a) != addr_len(family))
		return;
	out->family = family;
	memcpy(out->b, mnl_attr_get_payload(a), addr_len(family));
}

void ksel_put(struct nlmsghdr *nlh, int attr, const struct ksel *sel)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, attr);

	mnl_attr_put_u16(nlh, KIPSEC_SEL_FAMILY, sel->family);
	if (sel->src.family) {
		put_addr(nlh, KIPSEC_SEL_SRC, &sel->src);
		mnl_attr_put_u8(nlh, KIPSEC_SEL_SRC_PLEN, sel->splen);
	}
	if (sel->dst.family) {
		put_addr(nlh, KIPSEC_SEL_DST, &sel->dst);
		mnl_attr_put_u8(nlh, KIPSEC_SEL_DST_PLEN, sel->dplen);
	}
	if (sel->proto)
		mnl_attr_put_u8(nlh, KIPSEC_SEL_PROTO, sel->proto);
	if (sel->sport)
		mnl_attr_put_u16(nlh, KIPSEC_SEL_SPORT, sel->sport);
	if (sel->dport)
		mnl_attr_put_u16(nlh, KIPSEC_SEL_DPORT, sel->dport);
	if (sel->icmp_type >= 0)
		mnl_attr_put_u8(nlh, KIPSEC_SEL_ICMP_TYPE, sel->icmp_type);
	if (sel->icmp_code >= 0)
		mnl_attr_put_u8(nlh, KIPSEC_SEL_ICMP_CODE, sel->icmp_code);
	mnl_attr_nest_end(nlh, nest);
}

/* Collects the attributes of a nest (or message) of up to max types. */
static void nest_tb(const struct nlattr *nest, const struct nlattr **tb, int max)
{
	const struct nlattr *a;

	memset(tb, 0, sizeof(*tb) * (max + 1));
	mnl_attr_for_each_nested(a, nest)
		if (mnl_attr_get_type(a) <= max)
			tb[mnl_attr_get_type(a)] = a;
}

int ksel_parse(const void *nest, struct ksel *sel)
{
	const struct nlattr *tb[KIPSEC_SEL_MAX + 1];

	nest_tb(nest, tb, KIPSEC_SEL_MAX);
	memset(sel, 0, sizeof(*sel));
	sel->icmp_type = sel->icmp_code = -1;
	if (!tb[KIPSEC_SEL_FAMILY])
		return -EINVAL;
	sel->family = mnl_attr_get_u16(tb[KIPSEC_SEL_FAMILY]);
	if (tb[KIPSEC_SEL_SRC])
		get_addr(tb[KIPSEC_SEL_SRC], sel->family, &sel->src);
	if (tb[KIPSEC_SEL_DST])
		get_addr(tb[KIPSEC_SEL_DST], sel->family, &sel->dst);
	if (tb[KIPSEC_SEL_SRC_PLEN])
		sel->splen = mnl_attr_get_u8(tb[KIPSEC_SEL_SRC_PLEN]);
	if (tb[KIPSEC_SEL_DST_PLEN])
		sel->dplen = mnl_attr_get_u8(tb[KIPSEC_SEL_DST_PLEN]);
	if (tb[KIPSEC_SEL_PROTO])
		sel->proto = mnl_attr_get_u8(tb[KIPSEC_SEL_PROTO]);
	if (tb[KIPSEC_SEL_SPORT])
		sel->sport = mnl_attr_get_u16(tb[KIPSEC_SEL_SPORT]);
	if (tb[KIPSEC_SEL_DPORT])
		sel->dport = mnl_attr_get_u16(tb[KIPSEC_SEL_DPORT]);
	if (tb[KIPSEC_SEL_ICMP_TYPE])
		sel->icmp_type = mnl_attr_get_u8(tb[KIPSEC_SEL_ICMP_TYPE]);
	if (tb[KIPSEC_SEL_ICMP_CODE])
		sel->icmp_code = mnl_attr_get_u8(tb[KIPSEC_SEL_ICMP_CODE]);
	return 0;
}

static void put_lft(struct nlmsghdr *nlh, int attr, const struct klft *l)
{
	const uint64_t v[8] = { l->soft_bytes, l->hard_bytes, l->soft_packets,
				l->hard_packets, l->soft_add, l->hard_add,
				l->soft_use, l->hard_use };
	struct nlattr *nest;
	int i, any = 0;

	for (i = 0; i < 8; i++)
		any |= v[i] != 0;
	if (!any)
		return;
	nest = mnl_attr_nest_start(nlh, attr);
	for (i = 0; i < 8; i++)
		if (v[i])
			mnl_attr_put_u64(nlh, KIPSEC_LFT_SOFT_BYTES + i, v[i]);
	mnl_attr_nest_end(nlh, nest);
}

static void get_lft(const struct nlattr *nest, struct klft *l)
{
	const struct nlattr *tb[KIPSEC_LFT_MAX + 1];
	uint64_t *v[8] = { &l->soft_bytes, &l->hard_bytes, &l->soft_packets,
			   &l->hard_packets, &l->soft_add, &l->hard_add,
			   &l->soft_use, &l->hard_use };
	int i;

	nest_tb(nest, tb, KIPSEC_LFT_MAX);
	for (i = 0; i < 8; i++)
		if (tb[KIPSEC_LFT_SOFT_BYTES + i])
			*v[i] = mnl_attr_get_u64(tb[KIPSEC_LFT_SOFT_BYTES + i]);
}

static void put_alg(struct nlmsghdr *nlh, const struct ksa_alg *alg, int name_attr,
		    int key_attr, int bits_attr)
{
	if (!alg->name[0])
		return;
	mnl_attr_put_strz(nlh, name_attr, alg->name);
	mnl_attr_put(nlh, key_attr, alg->keylen, alg->key);
	if (bits_attr && alg->bits)
		mnl_attr_put_u32(nlh, bits_attr, alg->bits);
}

void ksa_put(struct nlmsghdr *nlh, const struct ksa *sa, bool id_only)
{
	mnl_attr_put_u8(nlh, KIPSEC_A_SA_PROTO, sa->proto);
	mnl_attr_put_u32(nlh, KIPSEC_A_SA_SPI, sa->spi);
	mnl_attr_put_u16(nlh, KIPSEC_A_SA_FAMILY, sa->dst.family);
	put_addr(nlh, KIPSEC_A_SA_DST, &sa->dst);
	if (id_only)
		return;
	if (sa->src.family)
		put_addr(nlh, KIPSEC_A_SA_SRC, &sa->src);
	mnl_attr_put_u8(nlh, KIPSEC_A_SA_MODE, sa->mode);
	if (sa->reqid)
		mnl_attr_put_u32(nlh, KIPSEC_A_SA_REQID, sa->reqid);
	if (sa->flags)
		mnl_attr_put_u32(nlh, KIPSEC_A_SA_FLAGS, sa->flags);
	if (sa->replay_window)
		mnl_attr_put_u32(nlh, KIPSEC_A_SA_REPLAY_WINDOW, sa->replay_window);
	put_alg(nlh, &sa->aead, KIPSEC_A_SA_AEAD_ALG, KIPSEC_A_SA_AEAD_KEY, KIPSEC_A_SA_AEAD_ICV);
	put_alg(nlh, &sa->enc, KIPSEC_A_SA_ENC_ALG, KIPSEC_A_SA_ENC_KEY, 0);
	put_alg(nlh, &sa->auth, KIPSEC_A_SA_AUTH_ALG, KIPSEC_A_SA_AUTH_KEY, KIPSEC_A_SA_AUTH_TRUNC);
	if (sa->has_sel)
		ksel_put(nlh, KIPSEC_A_SA_SEL, &sa->sel);
	put_lft(nlh, KIPSEC_A_SA_LIFETIME, &sa->lft);
	if (sa->has_encap) {
		struct nlattr *nest = mnl_attr_nest_start(nlh, KIPSEC_A_SA_ENCAP);

		mnl_attr_put_u8(nlh, KIPSEC_ENCAP_TYPE, KIPSEC_ENCAP_ESPINUDP);
		mnl_attr_put_u16(nlh, KIPSEC_ENCAP_SPORT, sa->encap_sport);
		mnl_attr_put_u16(nlh, KIPSEC_ENCAP_DPORT, sa->encap_dport);
		if (sa->encap_oa.family)
			put_addr(nlh, KIPSEC_ENCAP_OA, &sa->encap_oa);
		mnl_attr_nest_end(nlh, nest);
	}
}

static void get_alg(const struct nlattr **tb, int name, int key, int bits,
		    struct ksa_alg *alg)
{
	if (!tb[name])
		return;
	snprintf(alg->name, sizeof(alg->name), "%s", mnl_attr_get_str(tb[name]));
	if (tb[key]) {
		alg->keylen = mnl_attr_get_payload_len(tb[key]);
		if (alg->keylen > KIPSEC_KEY_MAX)
			alg->keylen = KIPSEC_KEY_MAX;
		memcpy(alg->key, mnl_attr_get_payload(tb[key]), alg->keylen);
	}
	if (bits && tb[bits])
		alg->bits = mnl_attr_get_u32(tb[bits]);
}

static void get_counters(const struct nlattr *nest, struct ksa *sa)
{
	const struct nlattr *one, *tb[KIPSEC_STAT_MAX + 1];

	mnl_attr_for_each_nested(one, nest) {
		if (sa->ncounters >= (int)(sizeof(sa->counters) / sizeof(sa->counters[0])))
			break;
		nest_tb(one, tb, KIPSEC_STAT_MAX);
		if (!tb[KIPSEC_STAT_NAME] || !tb[KIPSEC_STAT_VALUE])
			continue;
		snprintf(sa->counters[sa->ncounters].name, sizeof(sa->counters[0].name),
			 "%s", mnl_attr_get_str(tb[KIPSEC_STAT_NAME]));
		sa->counters[sa->ncounters++].value = mnl_attr_get_u64(tb[KIPSEC_STAT_VALUE]);
	}
}

int ksa_parse(const struct nlmsghdr *nlh, struct ksa *sa)
{
	const struct nlattr *tb[KIPSEC_A_MAX + 1];
	int family;

	knl_parse(nlh, tb);
	memset(sa, 0, sizeof(*sa));
	if (!tb[KIPSEC_A_SA_PROTO] || !tb[KIPSEC_A_SA_SPI] || !tb[KIPSEC_A_SA_FAMILY])
		return -EINVAL;
	sa->proto = mnl_attr_get_u8(tb[KIPSEC_A_SA_PROTO]);
	sa->spi = mnl_attr_get_u32(tb[KIPSEC_A_SA_SPI]);
	family = mnl_attr_get_u16(tb[KIPSEC_A_SA_FAMILY]);
	if (tb[KIPSEC_A_SA_SRC])
		get_addr(tb[KIPSEC_A_SA_SRC], family, &sa->src);
	if (tb[KIPSEC_A_SA_DST])
		get_addr(tb[KIPSEC_A_SA_DST], family, &sa->dst);
	if (tb[KIPSEC_A_SA_MODE])
		sa->mode = mnl_attr_get_u8(tb[KIPSEC_A_SA_MODE]);
	if (tb[KIPSEC_A_SA_REQID])
		sa->reqid = mnl_attr_get_u32(tb[KIPSEC_A_SA_REQID]);
	if (tb[KIPSEC_A_SA_FLAGS])
		sa->flags = mnl_attr_get_u32(tb[KIPSEC_A_SA_FLAGS]);
	if (tb[KIPSEC_A_SA_REPLAY_WINDOW])
		sa->replay_window = mnl_attr_get_u32(tb[KIPSEC_A_SA_REPLAY_WINDOW]);
	get_alg(tb, KIPSEC_A_SA_AEAD_ALG, KIPSEC_A_SA_AEAD_KEY, KIPSEC_A_SA_AEAD_ICV, &sa->aead);
	get_alg(tb, KIPSEC_A_SA_ENC_ALG, KIPSEC_A_SA_ENC_KEY, 0, &sa->enc);
	get_alg(tb, KIPSEC_A_SA_AUTH_ALG, KIPSEC_A_SA_AUTH_KEY, KIPSEC_A_SA_AUTH_TRUNC, &sa->auth);
	if (tb[KIPSEC_A_SA_SEL])
		sa->has_sel = !ksel_parse(tb[KIPSEC_A_SA_SEL], &sa->sel);
	if (tb[KIPSEC_A_SA_LIFETIME])
		get_lft(tb[KIPSEC_A_SA_LIFETIME], &sa->lft);
	if (tb[KIPSEC_A_SA_CURLFT])
		get_lft(tb[KIPSEC_A_SA_CURLFT], &sa->cur);
	if (tb[KIPSEC_A_SA_ENCAP]) {
		const struct nlattr *etb[KIPSEC_ENCAP_MAX + 1];

		nest_tb(tb[KIPSEC_A_SA_ENCAP], etb, KIPSEC_ENCAP_MAX);
		sa->has_encap = true;
		if (etb[KIPSEC_ENCAP_SPORT])
			sa->encap_sport = mnl_attr_get_u16(etb[KIPSEC_ENCAP_SPORT]);
		if (etb[KIPSEC_ENCAP_DPORT])
			sa->encap_dport = mnl_attr_get_u16(etb[KIPSEC_ENCAP_DPORT]);
		if (etb[KIPSEC_ENCAP_OA])
			get_addr(etb[KIPSEC_ENCAP_OA], family, &sa->encap_oa);
	}
	if (tb[KIPSEC_A_SA_SEQ_OUT])
		sa->seq_out = mnl_attr_get_u64(tb[KIPSEC_A_SA_SEQ_OUT]);
	if (tb[KIPSEC_A_SA_SEQ_IN])
		sa->seq_in = mnl_attr_get_u64(tb[KIPSEC_A_SA_SEQ_IN]);
	if (tb[KIPSEC_A_SA_COUNTERS])
		get_counters(tb[KIPSEC_A_SA_COUNTERS], sa);
	return 0;
}

static void put_tmpl(struct nlmsghdr *nlh, const struct ktmpl *t)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, KIPSEC_A_TMPL);

	mnl_attr_put_u8(nlh, KIPSEC_TMPL_PROTO, t->proto);
	mnl_attr_put_u8(nlh, KIPSEC_TMPL_MODE, t->mode);
	mnl_attr_put_u8(nlh, KIPSEC_TMPL_LEVEL, t->level);
	if (t->src.family || t->dst.family)
		mnl_attr_put_u16(nlh, KIPSEC_TMPL_FAMILY,
				 t->dst.family ? t->dst.family : t->src.family);
	if (t->src.family)
		put_addr(nlh, KIPSEC_TMPL_SRC, &t->src);
	if (t->dst.family)
		put_addr(nlh, KIPSEC_TMPL_DST, &t->dst);
	if (t->reqid)
		mnl_attr_put_u32(nlh, KIPSEC_TMPL_REQID, t->reqid);
	if (t->spi)
		mnl_attr_put_u32(nlh, KIPSEC_TMPL_SPI, t->spi);
	mnl_attr_nest_end(nlh, nest);
}

void ksp_put(struct nlmsghdr *nlh, const struct ksp *sp, bool ident_only)
{
	struct nlattr *nest;
	int i;

	if (sp->id)
		mnl_attr_put_u32(nlh, KIPSEC_A_SP_ID, sp->id);
	if (ident_only && sp->id)
		return;
	mnl_attr_put_u8(nlh, KIPSEC_A_SP_DIR, sp->dir);
	ksel_put(nlh, KIPSEC_A_SP_SEL, &sp->sel);
	if (ident_only)
		return;
	mnl_attr_put_u8(nlh, KIPSEC_A_SP_ACTION, sp->action);
	if (sp->has_priority)
		mnl_attr_put_u32(nlh, KIPSEC_A_SP_PRIORITY, sp->priority);
	if (!sp->ntmpl)
		return;
	nest = mnl_attr_nest_start(nlh, KIPSEC_A_SP_TMPLS);
	for (i = 0; i < sp->ntmpl; i++)
		put_tmpl(nlh, &sp->tmpl[i]);
	mnl_attr_nest_end(nlh, nest);
}

static void get_tmpl(const struct nlattr *nest, struct ktmpl *t)
{
	const struct nlattr *tb[KIPSEC_TMPL_MAX + 1];
	int family = 0;

	nest_tb(nest, tb, KIPSEC_TMPL_MAX);
	memset(t, 0, sizeof(*t));
	if (tb[KIPSEC_TMPL_PROTO])
		t->proto = mnl_attr_get_u8(tb[KIPSEC_TMPL_PROTO]);
	if (tb[KIPSEC_TMPL_MODE])
		t->mode = mnl_attr_get_u8(tb[KIPSEC_TMPL_MODE]);
	if (tb[KIPSEC_TMPL_LEVEL])
		t->level = mnl_attr_get_u8(tb[KIPSEC_TMPL_LEVEL]);
	if (tb[KIPSEC_TMPL_FAMILY])
		family = mnl_attr_get_u16(tb[KIPSEC_TMPL_FAMILY]);
	if (tb[KIPSEC_TMPL_SRC])
		get_addr(tb[KIPSEC_TMPL_SRC], family, &t->src);
	if (tb[KIPSEC_TMPL_DST])
		get_addr(tb[KIPSEC_TMPL_DST], family, &t->dst);
	if (tb[KIPSEC_TMPL_REQID])
		t->reqid = mnl_attr_get_u32(tb[KIPSEC_TMPL_REQID]);
	if (tb[KIPSEC_TMPL_SPI])
		t->spi = mnl_attr_get_u32(tb[KIPSEC_TMPL_SPI]);
}

int ksp_parse(const struct nlmsghdr *nlh, struct ksp *sp)
{
	const struct nlattr *tb[KIPSEC_A_MAX + 1], *a;

	knl_parse(nlh, tb);
	memset(sp, 0, sizeof(*sp));
	if (tb[KIPSEC_A_SP_ID])
		sp->id = mnl_attr_get_u32(tb[KIPSEC_A_SP_ID]);
	if (tb[KIPSEC_A_SP_DIR])
		sp->dir = mnl_attr_get_u8(tb[KIPSEC_A_SP_DIR]);
	if (tb[KIPSEC_A_SP_ACTION])
		sp->action = mnl_attr_get_u8(tb[KIPSEC_A_SP_ACTION]);
	if (tb[KIPSEC_A_SP_PRIORITY]) {
		sp->priority = mnl_attr_get_u32(tb[KIPSEC_A_SP_PRIORITY]);
		sp->has_priority = true;
	}
	if (tb[KIPSEC_A_SP_SEL])
		ksel_parse(tb[KIPSEC_A_SP_SEL], &sp->sel);
	if (tb[KIPSEC_A_SP_TMPLS])
		mnl_attr_for_each_nested(a, tb[KIPSEC_A_SP_TMPLS])
			if (sp->ntmpl < 4)
				get_tmpl(a, &sp->tmpl[sp->ntmpl++]);
	if (tb[KIPSEC_A_SP_COUNTERS]) {
		struct ksa tmp;

		tmp.ncounters = 0;
		get_counters(tb[KIPSEC_A_SP_COUNTERS], &tmp);
		if (tmp.ncounters)
			sp->hits = tmp.counters[0].value;
	}
	return 0;
}

int ksa_request(struct knl *nl, int cmd, const struct ksa *sa, char *err, size_t errlen)
{
	struct nlmsghdr *nlh = knl_req(nl, cmd, 0);

	int ret;

	ksa_put(nlh, sa, cmd == KIPSEC_CMD_SA_DEL || cmd == KIPSEC_CMD_SA_GET);
	ret = knl_talk(nl, nlh, NULL, NULL, err, errlen);
	/* Encryption only: the kernel takes it (as XFRM), the user is told. */
	if (!ret && (cmd == KIPSEC_CMD_SA_ADD || cmd == KIPSEC_CMD_SA_UPDATE) &&
	    sa->proto == IPPROTO_ESP && !sa->aead.name[0] &&
	    (!sa->auth.name[0] || !strcmp(sa->auth.name, "digest_null")))
		fprintf(stderr, "kipsec: warning: ESP SA spi 0x%08x has no integrity protection (encryption only): its packets can be altered undetected\n",
			sa->spi);
	return ret;
}

static int sp_id_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[KIPSEC_A_MAX + 1];

	knl_parse(nlh, tb);
	if (tb[KIPSEC_A_SP_ID])
		*(uint32_t *)data = mnl_attr_get_u32(tb[KIPSEC_A_SP_ID]);
	return MNL_CB_OK;
}

int ksp_request(struct knl *nl, int cmd, struct ksp *sp, char *err, size_t errlen)
{
	struct nlmsghdr *nlh = knl_req(nl, cmd, 0);
	uint32_t id = 0;
	int ret;

	ksp_put(nlh, sp, cmd == KIPSEC_CMD_SP_DEL || cmd == KIPSEC_CMD_SP_GET);
	ret = knl_talk(nl, nlh, sp_id_cb, &id, err, errlen);
	if (!ret && id)
		sp->id = id;
	return ret;
}

struct dump_ctx {
	int (*sa_cb)(const struct ksa *, void *);
	int (*sp_cb)(const struct ksp *, void *);
	void *data;
};

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *c = data;

	if (c->sa_cb) {
		static struct ksa sa;

		if (ksa_parse(nlh, &sa) == 0 && c->sa_cb(&sa, c->data))
			return MNL_CB_ERROR;
	} else {
		struct ksp sp;

		if (ksp_parse(nlh, &sp) == 0 && c->sp_cb(&sp, c->data))
			return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

int ksa_dump(struct knl *nl, uint8_t proto, int (*cb)(const struct ksa *, void *), void *data)
{
	struct nlmsghdr *nlh = knl_req(nl, KIPSEC_CMD_SA_GET, NLM_F_DUMP);
	struct dump_ctx c = { .sa_cb = cb, .data = data };

	if (proto)
		mnl_attr_put_u8(nlh, KIPSEC_A_SA_PROTO, proto);
	return knl_talk(nl, nlh, dump_cb, &c, NULL, 0);
}

int ksp_dump(struct knl *nl, int (*cb)(const struct ksp *, void *), void *data)
{
	struct nlmsghdr *nlh = knl_req(nl, KIPSEC_CMD_SP_GET, NLM_F_DUMP);
	struct dump_ctx c = { .sp_cb = cb, .data = data };

	return knl_talk(nl, nlh, dump_cb, &c, NULL, 0);
}
