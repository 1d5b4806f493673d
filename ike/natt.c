// SPDX-License-Identifier: GPL-2.0
/*
 * NAT traversal (RFC 7296 2.23, RFC 3948).
 *
 * Both IKE_SA_INIT messages carry NAT_DETECTION_SOURCE_IP and
 * NAT_DETECTION_DESTINATION_IP: SHA-1(SPIi | SPIr | address | port) of the
 * sender's source and of its destination, with the SPIs of that message's
 * header.  The receiver compares them with the addresses the datagram really
 * had: a different source means the peer is behind a NAT (NAT_THERE), a
 * different destination that we are (NAT_HERE).  With either, the initiator
 * moves to port 4500 for IKE_AUTH and everything after (IKE there has the
 * four-byte non-ESP marker, net.c), the CHILD_SAs go into kipsec as ESP in
 * UDP between the endpoints as seen (kernel.c), and kipsec decapsulates the
 * ESP that reaches our port-4500 socket (ENCAP_ATTACH, below).
 *
 * Endpoints float like strongSwan's: an authenticated IKE message from or to
 * other addresses/ports, or kipsec's MAPPING event (ESP of one of our inbound
 * SAs from a new source, when the peer is behind a NAT), moves the IKE_SA
 * and updates every CHILD_SA's SAs.  The side behind a NAT sends keepalives
 * (one 0xff byte, RFC 3948 2.3) every `keepalive` seconds (config setup,
 * default 20) so the NAT keeps its mapping.
 */
#include <stdio.h>
#include <string.h>
#include <openssl/evp.h>
#include "kiked.h"
#include "nl.h"

#define NATD_LEN 20	/* SHA-1 */

void natt_attach(int fd, int family, uint16_t port)
{
	struct nlmsghdr *nlh;
	struct knl *nl;
	char err[256] = "";
	int ret;

	if (g_no_kernel)
		return;
	nl = knl_open();
	if (!nl) {
		logm(SS_KNL, L_WARN, "cannot attach UDP port %u to kipsec (module not loaded?): no ESP in UDP",
		     port);
		return;
	}
	nlh = knl_req(nl, KIPSEC_CMD_ENCAP_ATTACH, 0);
	mnl_attr_put_u32(nlh, KIPSEC_A_ENCAP_FD, (uint32_t)fd);
	ret = knl_talk(nl, nlh, NULL, NULL, err, sizeof(err));
	if (ret)
		logm(SS_KNL, L_WARN, "attaching UDP port %u (%s) to kipsec failed: %s%s%s",
		     port, family == AF_INET ? "IPv4" : "IPv6", strerror(-ret),
		     err[0] ? ": " : "", err);
	else
		logm(SS_KNL, L_INFO, "UDP port %u (%s) attached to kipsec: ESP in UDP decapsulated there",
		     port, family == AF_INET ? "IPv4" : "IPv6");
	knl_close(nl);
}

static void natd_hash(const uint8_t spi_i[8], const uint8_t spi_r[8],
		      const struct sockaddr_storage *s, uint8_t *out)
{
	uint8_t data[16 + 16 + 2];
	size_t l;
	const uint8_t *a = ss_addr(s, &l);
	uint16_t port = ss_port(s);

	memcpy(data, spi_i, 8);
	memcpy(data + 8, spi_r, 8);
	memcpy(data + 16, a, l);
	data[16 + l] = (uint8_t)(port >> 8);
	data[17 + l] = (uint8_t)port;
	EVP_Digest(data, 18 + l, out, NULL, EVP_sha1(), NULL);
}

/* Our source as the peer should see it: the local address, the port of the
 * socket we send from (net.c picks it by the local port). */
static void our_source(const struct ike_sa *sa, struct sockaddr_storage *s)
{
	*s = sa->local;
	ss_set_port(s, ss_port(s) == g_natt_port ? g_natt_port : g_ike_port);
}

void natt_put(struct msg_builder *b, const struct ike_sa *sa)
{
	struct sockaddr_storage src;
	uint8_t h[NATD_LEN];

	/* No source address known, or (responder) the peer sent none. */
	if (!sa->local.ss_family || !g_natt_port ||
	    (!sa->initiator && !(sa->nat & NAT_D_SEEN)))
		return;
	our_source(sa, &src);
	natd_hash(sa->spi_i, sa->spi_r, &src, h);
	mb_notify(b, 0, N_NAT_DETECTION_SOURCE_IP, h, sizeof(h));
	natd_hash(sa->spi_i, sa->spi_r, &sa->peer, h);
	mb_notify(b, 0, N_NAT_DETECTION_DESTINATION_IP, h, sizeof(h));
}

/* Does one of m's notifies of this type carry hash h?  *seen: any at all. */
static bool natd_match(const struct ike_msg *m, uint16_t type,
		       const uint8_t *h, bool *seen)
{
	bool found = false;

	for (int i = 0; i < m->npl; i++) {
		const struct payload *p = &m->pl[i];
		size_t spisz;

		if (p->type != PL_NOTIFY || p->len < 4 ||
		    (uint16_t)(p->body[2] << 8 | p->body[3]) != type)
			continue;
		spisz = p->body[1];
		*seen = true;
		if (p->len == 4 + spisz + NATD_LEN &&
		    !memcmp(p->body + 4 + spisz, h, NATD_LEN))
			found = true;
	}
	return found;
}

void natt_detect(struct ike_sa *sa, const struct ike_msg *m,
		 const struct sockaddr_storage *from,
		 const struct sockaddr_storage *to)
{
	uint8_t hs[NATD_LEN], hd[NATD_LEN];
	bool seen_s = false, seen_d = false, src_ok, dst_ok;
	char a[64], b[64];

	if (!g_natt_port || !to->ss_family)
		return;
	natd_hash(m->spi_i_b, m->spi_r_b, from, hs);
	natd_hash(m->spi_i_b, m->spi_r_b, to, hd);
	src_ok = natd_match(m, N_NAT_DETECTION_SOURCE_IP, hs, &seen_s);
	dst_ok = natd_match(m, N_NAT_DETECTION_DESTINATION_IP, hd, &seen_d);
	if (!seen_s || !seen_d) {
		logm(SS_IKE, L_INFO, "conn %s: peer sent no NAT detection: no NAT traversal",
		     sa->conn->name);
		return;
	}
	sa->nat = (uint8_t)(NAT_D_SEEN | (dst_ok ? 0 : NAT_HERE) |
			    (src_ok ? 0 : NAT_THERE));
	if (!sa->local.ss_family)
		sa->local = *to;
	if (!(sa->nat & NAT_ANY)) {
		logm(SS_IKE, L_INFO, "conn %s: no NAT between %s and %s", sa->conn->name,
		     sa_str(to, a, sizeof(a)), sa_str(from, b, sizeof(b)));
		return;
	}
	if (sa->nat & NAT_HERE)
		logm(SS_IKE, L_INFO, "conn %s: NAT detected: local host %s is behind a NAT, %s keepalives every %d s",
		     sa->conn->name, sa_str(to, a, sizeof(a)),
		     g_conf.keepalive ? "sending" : "no (keepalive=0)", g_conf.keepalive);
	if (sa->nat & NAT_THERE)
		logm(SS_IKE, L_INFO, "conn %s: NAT detected: remote host is behind a NAT (seen as %s)",
		     sa->conn->name, sa_str(from, b, sizeof(b)));
	/* 2.23: the initiator moves to 4500 for IKE_AUTH.  One that already
	 * sends from 4500 (a mediated IKE_SA) keeps the peer's port: it may be
	 * a NAT's mapping learnt by the connectivity checks. */
	if (sa->initiator && ss_port(&sa->local) != g_natt_port) {
		ss_set_port(&sa->local, g_natt_port);
		ss_set_port(&sa->peer, g_natt_port);
		logm(SS_IKE, L_INFO, "conn %s: switching to UDP port %u: %s...%s", sa->conn->name,
		     g_natt_port, sa_str(&sa->local, a, sizeof(a)), sa_str(&sa->peer, b, sizeof(b)));
	}
}

static void float_to(struct ike_sa *sa, const struct sockaddr_storage *peer,
		     const struct sockaddr_storage *local, const char *why)
{
	struct sockaddr_storage old = sa->peer;
	char a[64], b[64], c[64];
	int n = 0;

	sa->peer = *peer;
	if (local && local->ss_family)
		sa->local = *local;
	for (int i = 0; i < CHILD_MAX; i++) {
		if (!sa->child[i] || !sa->child[i]->up)
			continue;
		child_float(sa, sa->child[i], &old);
		n++;
	}
	logm(SS_IKE, L_INFO, "conn %s: %s: IKE_SA floats to %s...%s (peer was %s), %d CHILD_SA%s updated",
	     sa->conn->name, why, sa_str(&sa->local, a, sizeof(a)),
	     sa_str(&sa->peer, b, sizeof(b)), sa_str(&old, c, sizeof(c)), n,
	     n == 1 ? "" : "s");
}

void natt_update(struct ike_sa *sa, const struct sockaddr_storage *from,
		 const struct sockaddr_storage *to)
{
	if (!to->ss_family || (ss_equal(from, &sa->peer) && ss_equal(to, &sa->local)))
		return;
	/* Without a NAT only the move to port 4500 is accepted (2.23). */
	if (!(sa->nat & NAT_ANY) && ss_port(to) != g_natt_port)
		return;
	float_to(sa, from, to, ss_port(&sa->local) != ss_port(to) ?
		 "IKE moved to the NAT-T port" : "IKE message from a new address/port");
}

void natt_mapping(uint32_t spi, const struct sockaddr_storage *new_peer)
{
	for (struct ike_sa *sa = ikesa_list(); sa; sa = sa->next) {
		if (sa->state != ST_ESTABLISHED || !child_by_spi_in(sa, spi))
			continue;
		if (ss_equal(new_peer, &sa->peer))
			return;
		if (!(sa->nat & NAT_THERE)) {
			logm(SS_IKE, L_INFO, "conn %s: kipsec saw ESP of SA %08x from %s, but the peer is not behind a NAT: not floating",
			     sa->conn->name, spi, sa_str(new_peer, (char[64]){ 0 }, 64));
			return;
		}
		float_to(sa, new_peer, NULL, "kipsec MAPPING (NAT mapping changed)");
		return;
	}
}

void natt_timers(struct ike_sa *sa, double t)
{
	if (!(sa->nat & NAT_HERE) || !g_conf.keepalive || sa->replaced ||
	    sa->state != ST_ESTABLISHED)
		return;
	if (t < sa->ka_at)
		return;
	if (sa->ka_at)
		net_send_keepalive(&sa->local, &sa->peer);
	sa->ka_at = t + g_conf.keepalive;
}
