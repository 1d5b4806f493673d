// SPDX-License-Identifier: GPL-2.0
/*
 * The one IKEv2 message parser and serialiser.  Every length read from the
 * wire is checked against what remains before it is used; payload bodies are
 * referenced in place, never copied.
 */
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "kiked.h"

void buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = 0;
}

void buf_wipe(struct buf *b)
{
	if (b->p)
		wipe(b->p, b->len);
	buf_free(b);
}

int buf_set(struct buf *b, const void *p, size_t len)
{
	buf_wipe(b);
	return buf_cat(b, p, len);
}

int buf_cat(struct buf *b, const void *p, size_t len)
{
	uint8_t *n = realloc(b->p, b->len + len + 1);

	if (!n)
		return -1;
	if (len)
		memcpy(n + b->len, p, len);
	b->p = n;
	b->len += len;
	return 0;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* Parsing stops at the first fault; the reason goes to the log. */
static int parse_fail(struct ike_msg *m, const char *why)
{
	m->bad = why;
	return -1;
}

int msg_parse_hdr(struct ike_msg *m, uint8_t *raw, size_t len)
{
	uint32_t total;

	memset(m, 0, sizeof(*m));
	if (len < IKE_HDR_LEN)
		return parse_fail(m, "shorter than the IKE header");
	total = get32(raw + 24);
	if (total != len)
		return parse_fail(m, "header length differs from the datagram's");
	if ((raw[17] & 0xf0) != IKE_VERSION)
		return parse_fail(m, "major version not 2");
	memcpy(m->spi_i_b, raw, 8);
	memcpy(m->spi_r_b, raw + 8, 8);
	memcpy(&m->spi_i, raw, 8);
	memcpy(&m->spi_r, raw + 8, 8);
	m->first_pl = raw[16];
	m->exch = raw[18];
	m->flags = raw[19];
	m->msgid = get32(raw + 20);
	m->raw = raw;
	m->raw_len = len;
	return msg_parse_chain(m, m->first_pl, raw + IKE_HDR_LEN,
			       len - IKE_HDR_LEN, false);
}

/*
 * Walk a chain of generic payload headers.  The SK payload must be the last
 * one of the outer chain (RFC 7296 3.14); its contents are parsed after
 * decryption with inner = true.
 */
int msg_parse_chain(struct ike_msg *m, uint8_t first, const uint8_t *p,
		    size_t len, bool inner)
{
	uint8_t type = first;
	size_t off = 0;

	while (type != PL_NONE) {
		uint16_t plen;
		struct payload *pl;

		if (len - off < 4)
			return parse_fail(m, "payload chain truncated");
		plen = get16(p + off + 2);
		if (plen < 4 || plen > len - off)
			return parse_fail(m, "payload length outside the message");
		if (type == PL_SK) {
			if (inner || off + plen != len)
				return parse_fail(m, "SK payload not last");
			m->sk_off = (size_t)(p + off - m->raw);
			m->sk_len = plen;
			m->sk_next = p[off];
			return 0;
		}
		if (m->npl >= MSG_MAX_PL)
			return parse_fail(m, "too many payloads");
		pl = &m->pl[m->npl++];
		pl->type = type;
		pl->critical = p[off + 1] & 0x80;
		pl->body = p + off + 4;
		pl->len = plen - 4u;
		type = p[off];
		off += plen;
	}
	/* Trailing bytes after the last payload are malformed, except the
	 * padding that follows the inner chain, which sk_open strips. */
	return off == len ? 0 : parse_fail(m, "bytes after the last payload");
}

const struct payload *msg_find(const struct ike_msg *m, uint8_t type)
{
	for (int i = 0; i < m->npl; i++)
		if (m->pl[i].type == type)
			return &m->pl[i];
	return NULL;
}

/* Notify body: proto(1) spi_size(1) type(2) spi data. */
const struct payload *msg_notify(const struct ike_msg *m, uint16_t ntype)
{
	for (int i = 0; i < m->npl; i++) {
		const struct payload *pl = &m->pl[i];

		if (pl->type != PL_NOTIFY || pl->len < 4)
			continue;
		if (get16(pl->body + 2) == ntype)
			return pl;
	}
	return NULL;
}

void msg_free(struct ike_msg *m)
{
	if (m->plain) {
		wipe(m->plain, m->plain_len);
		free(m->plain);
	}
	m->plain = NULL;
}

void mb_init(struct msg_builder *b)
{
	b->len = 0;
	b->last_np = (size_t)-1;
	b->overflow = false;
}

void mb_put(struct msg_builder *b, const void *p, size_t len)
{
	if (b->overflow || len > sizeof(b->buf) - b->len) {
		b->overflow = true;
		return;
	}
	if (len)
		memcpy(b->buf + b->len, p, len);
	b->len += len;
}

void mb_u8(struct msg_builder *b, uint8_t v)
{
	mb_put(b, &v, 1);
}

void mb_u16(struct msg_builder *b, uint16_t v)
{
	uint16_t n = htons(v);

	mb_put(b, &n, 2);
}

void mb_u32(struct msg_builder *b, uint32_t v)
{
	uint32_t n = htonl(v);

	mb_put(b, &n, 4);
}

/* Start a payload: link it from the previous one's next-payload byte. */
size_t mb_pl_begin(struct msg_builder *b, uint8_t type)
{
	size_t start = b->len;

	if (b->last_np != (size_t)-1 && b->last_np < b->len)
		b->buf[b->last_np] = type;
	b->last_np = start;
	mb_u8(b, PL_NONE);
	mb_u8(b, 0);
	mb_u16(b, 0);
	return start;
}

void mb_pl_end(struct msg_builder *b, size_t start)
{
	size_t plen = b->len - start;

	if (b->overflow || plen > 0xffff) {
		b->overflow = true;
		return;
	}
	b->buf[start + 2] = (uint8_t)(plen >> 8);
	b->buf[start + 3] = (uint8_t)plen;
}

void mb_notify(struct msg_builder *b, uint8_t proto, uint16_t type,
	       const void *data, size_t len)
{
	size_t s = mb_pl_begin(b, PL_NOTIFY);

	mb_u8(b, proto);
	mb_u8(b, 0);
	mb_u16(b, type);
	mb_put(b, data, len);
	mb_pl_end(b, s);
}
