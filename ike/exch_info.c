// SPDX-License-Identifier: GPL-2.0
/*
 * INFORMATIONAL (RFC 7296 1.4): deletes and liveness checks.
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

static void put_delete_esp(struct msg_builder *b, uint32_t spi)
{
	size_t s = mb_pl_begin(b, PL_DELETE);

	mb_u8(b, PROTO_ESP);
	mb_u8(b, 4);
	mb_u16(b, 1);
	mb_u32(b, spi);
	mb_pl_end(b, s);
}

int info_respond(struct ike_sa *sa, struct ike_msg *m)
{
	struct msg_builder in;
	uint8_t first = PL_NONE;

	mb_init(&in);
	for (int i = 0; i < m->npl; i++) {
		const struct payload *p = &m->pl[i];

		if (p->type != PL_DELETE || p->len < 4)
			continue;
		if (p->body[0] == PROTO_IKE) {
			logm(SS_IKE, L_INFO, "conn %s: peer deleted the IKE_SA",
			     sa->conn->name);
			send_info(sa, true, &in, PL_NONE);
			if (sa->child.up)
				child_uninstall(sa);
			sa->state = ST_DEAD;
			return 0;
		}
		if (p->body[0] == PROTO_ESP && p->body[1] == 4) {
			uint16_t n = (uint16_t)(p->body[2] << 8 | p->body[3]);

			for (uint16_t j = 0; j < n && 4u + 4u * j + 4 <= p->len; j++) {
				const uint8_t *q = p->body + 4 + 4 * j;
				uint32_t spi = (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 |
					       (uint32_t)q[2] << 8 | q[3];

				if (!sa->child.up || spi != sa->child.spi_out)
					continue;
				logm(SS_IKE, L_INFO, "conn %s: peer deleted CHILD_SA %08x/%08x",
				     sa->conn->name, sa->child.spi_in, spi);
				put_delete_esp(&in, sa->child.spi_in);
				first = PL_DELETE;
				child_uninstall(sa);
			}
		}
	}
	/* Anything else, including the empty liveness check: empty answer. */
	return send_info(sa, true, &in, first);
}

int info_response(struct ike_sa *sa, struct ike_msg *m)
{
	if (sa->state == ST_DELETING) {
		logm(SS_IKE, L_INFO, "conn %s: IKE_SA deleted", sa->conn->name);
		sa->state = ST_DEAD;
	}
	return 0;
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
	if (sa->child.up)
		child_uninstall(sa);
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
