// SPDX-License-Identifier: GPL-2.0
/*
 * INFORMATIONAL (RFC 7296 1.4): deletes and liveness checks.  CHILD_SA
 * deletes we start (rekeyed SAs, hard expiry) are queued and sent when no
 * other request is outstanding; the SAs go when the peer answers, so the old
 * inbound SA keeps decrypting what is still in flight.
 */
#include <string.h>
#include "kiked.h"

static int send_info(struct ike_sa *sa, bool response, struct msg_builder *in,
		     uint8_t first)
{
	struct msg_builder out;
	uint32_t id = response ? sa->peer_msgid : sa->next_msgid;

	if (ikesa_encrypted_msg(sa, EXCH_INFORMATIONAL, response, id, in,
				first, &out))
		return -1;
	return response ? ikesa_send_response(sa, &out) :
			  ikesa_send_request(sa, &out);
}

static void put_delete_esp(struct msg_builder *b, const uint32_t *spi, int n)
{
	size_t s = mb_pl_begin(b, PL_DELETE);

	mb_u8(b, PROTO_ESP);
	mb_u8(b, 4);
	mb_u16(b, (uint16_t)n);
	for (int i = 0; i < n; i++)
		mb_u32(b, spi[i]);
	mb_pl_end(b, s);
}

int info_respond(struct ike_sa *sa, struct ike_msg *m)
{
	struct msg_builder in;
	uint32_t ours[CHILD_MAX];
	int nours = 0;

	mb_init(&in);
	for (int i = 0; i < m->npl; i++) {
		const struct payload *p = &m->pl[i];

		if (p->type != PL_DELETE || p->len < 4)
			continue;
		if (p->body[0] == PROTO_IKE) {
			logm(SS_IKE, L_INFO, "conn %s: peer deleted the IKE_SA",
			     sa->conn->name);
			send_info(sa, true, &in, PL_NONE);
			child_uninstall_all(sa);
			sa->state = ST_DEAD;
			if (sa->conn->mediation && sa->initiator)
				me_cli_deleted(sa);
			return 0;
		}
		if (p->body[0] == PROTO_ESP && p->body[1] == 4) {
			uint16_t n = (uint16_t)(p->body[2] << 8 | p->body[3]);

			for (uint16_t j = 0; j < n && 4u + 4u * j + 4 <= p->len; j++) {
				uint32_t spi = get_u32be(p->body + 4 + 4 * j);
				struct child_sa *c = child_by_spi_out(sa, spi);

				if (!c)
					continue;
				logm(SS_IKE, L_INFO, "conn %s: peer deleted CHILD_SA %08x/%08x",
				     sa->conn->name, c->spi_in, spi);
				/* Both deleting at once: answer without it (1.4.1). */
				if (c->state != CH_DELETING && nours < CHILD_MAX)
					ours[nours++] = c->spi_in;
				child_uninstall(sa, c);
			}
		}
	}
	if (nours)
		put_delete_esp(&in, ours, nours);
	/* Anything else, including the empty liveness check: empty answer. */
	return send_info(sa, true, &in, nours ? PL_DELETE : PL_NONE);
}

int info_response(struct ike_sa *sa, struct ike_msg *m)
{
	(void)m;
	if (sa->state == ST_DELETING) {
		logm(SS_IKE, L_INFO, "conn %s: IKE_SA deleted", sa->conn->name);
		sa->state = ST_DEAD;
		return 0;
	}
	/* The answer to our CHILD_SA delete: now the inbound SAs go too. */
	for (int i = 0; i < CHILD_MAX; i++)
		if (sa->child[i] && sa->child[i]->state == CH_DELETING)
			child_uninstall(sa, sa->child[i]);
	return 0;
}

void info_delete_child(struct ike_sa *sa, struct child_sa **ch, int n)
{
	for (int i = 0; i < n; i++)
		if (ch[i]->up && ch[i]->state != CH_DELETING)
			ch[i]->del_queued = true;
}

int info_send_queued(struct ike_sa *sa)
{
	struct msg_builder in;
	uint32_t spis[CHILD_MAX];
	int n = 0;

	for (int i = 0; i < CHILD_MAX; i++) {
		struct child_sa *c = sa->child[i];

		if (!c || !c->del_queued)
			continue;
		c->del_queued = false;
		c->state = CH_DELETING;
		spis[n++] = c->spi_in;
		logm(SS_IKE, L_INFO, "conn %s: deleting CHILD_SA %08x/%08x",
		     sa->conn->name, c->spi_in, c->spi_out);
	}
	if (!n)
		return 0;
	mb_init(&in);
	put_delete_esp(&in, spis, n);
	return send_info(sa, false, &in, PL_DELETE);
}

int info_delete(struct ike_sa *sa)
{
	struct msg_builder in;
	size_t s;

	if (sa->state != ST_ESTABLISHED) {
		sa->state = ST_DEAD;
		return 0;
	}
	mb_init(&in);
	s = mb_pl_begin(&in, PL_DELETE);
	mb_u8(&in, PROTO_IKE);
	mb_u8(&in, 0);
	mb_u16(&in, 0);
	mb_pl_end(&in, s);
	child_uninstall_all(sa);
	sa->state = ST_DELETING;
	return send_info(sa, false, &in, PL_DELETE);
}

int info_dpd(struct ike_sa *sa)
{
	struct msg_builder in;

	mb_init(&in);
	logm(SS_IKE, L_DBG, "conn %s: sending DPD liveness check", sa->conn->name);
	return send_info(sa, false, &in, PL_NONE);
}
