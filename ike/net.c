// SPDX-License-Identifier: GPL-2.0
/*
 * Sockets, dispatch and timers.  One thread, one poll loop: the IKE sockets
 * (UDP 500, IPv4 and IPv6, with PKTINFO so replies leave from the address
 * the request reached), the control socket, and per-SA deadlines for
 * retransmission (exponential back-off) and DPD.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include "kiked.h"

static int fd4 = -1, fd6 = -1;
double g_rtx_base = 1.0;
int g_rtx_tries = 5;

double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *sa_str(const struct sockaddr_storage *s, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "%any";

	if (s->ss_family == AF_INET) {
		const struct sockaddr_in *v = (const void *)s;

		inet_ntop(AF_INET, &v->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s[%u]", a, ntohs(v->sin_port));
	} else if (s->ss_family == AF_INET6) {
		const struct sockaddr_in6 *v = (const void *)s;

		inet_ntop(AF_INET6, &v->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "%s[%u]", a, ntohs(v->sin6_port));
	} else {
		snprintf(buf, len, "%s", a);
	}
	return buf;
}

int net_open(uint16_t port)
{
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	int on = 1;

	fd4 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd4 < 0 || setsockopt(fd4, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) ||
	    setsockopt(fd4, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) ||
	    bind(fd4, (struct sockaddr *)&a4, sizeof(a4))) {
		logm(SS_NET, L_ERR, "cannot bind UDP port %u (IPv4): %s (another IKE daemon running?)",
		     port, strerror(errno));
		return -1;
	}
	fd6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd6 >= 0 && (setsockopt(fd6, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) ||
	    setsockopt(fd6, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)) ||
	    bind(fd6, (struct sockaddr *)&a6, sizeof(a6)))) {
		logm(SS_NET, L_WARN, "IPv6 IKE socket unavailable: %s", strerror(errno));
		close(fd6);
		fd6 = -1;
	}
	return 0;
}

int net_send(const struct sockaddr_storage *from,
	     const struct sockaddr_storage *to, const void *p, size_t len)
{
	union {
		char b[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} cb;
	struct iovec iov = { .iov_base = (void *)p, .iov_len = len };
	struct msghdr mh = {
		.msg_name = (void *)to,
		.msg_namelen = to->ss_family == AF_INET ?
			sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6),
		.msg_iov = &iov, .msg_iovlen = 1,
	};
	int fd = to->ss_family == AF_INET ? fd4 : fd6;
	char a[64];

	memset(&cb, 0, sizeof(cb));
	if (from && from->ss_family == AF_INET && fd == fd4) {
		struct cmsghdr *c;
		struct in_pktinfo pi = { 0 };

		mh.msg_control = cb.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(pi));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		pi.ipi_spec_dst = ((const struct sockaddr_in *)from)->sin_addr;
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	} else if (from && from->ss_family == AF_INET6 && fd == fd6) {
		struct cmsghdr *c;
		struct in6_pktinfo pi = { 0 };

		mh.msg_control = cb.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(pi));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		pi.ipi6_addr = ((const struct sockaddr_in6 *)from)->sin6_addr;
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	}
	if (fd < 0 || sendmsg(fd, &mh, 0) < 0) {
		logm(SS_NET, L_WARN, "send to %s failed: %s",
		     sa_str(to, a, sizeof(a)), strerror(errno));
		return -1;
	}
	logm(SS_NET, L_DBG, "sent %zu bytes to %s", len, sa_str(to, a, sizeof(a)));
	return 0;
}

static int recv_one(int fd)
{
	static uint8_t pkt[IKE_MSG_MAX];
	union {
		char b[CMSG_SPACE(sizeof(struct in6_pktinfo)) + 64];
		struct cmsghdr align;
	} cb;
	struct sockaddr_storage from = { 0 }, to = { 0 };
	struct iovec iov = { .iov_base = pkt, .iov_len = sizeof(pkt) };
	struct msghdr mh = {
		.msg_name = &from, .msg_namelen = sizeof(from),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cb.b, .msg_controllen = sizeof(cb.b),
	};
	ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);

	if (n < 0)
		return -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			struct sockaddr_in *t = (struct sockaddr_in *)&to;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			t->sin_family = AF_INET;
			t->sin_addr = pi.ipi_addr;
			t->sin_port = htons(500);
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			struct sockaddr_in6 *t = (struct sockaddr_in6 *)&to;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			t->sin6_family = AF_INET6;
			t->sin6_addr = pi.ipi6_addr;
			t->sin6_port = htons(500);
		}
	}
	net_dispatch(pkt, (size_t)n, &from, &to);
	return 0;
}

static int decrypt(struct ike_sa *sa, struct ike_msg *m)
{
	struct sk_keys k;

	if (!m->sk_len)
		return -1;
	ikesa_keys(sa, false, &k);
	return sk_open(m, &k);
}

static void handle_request(struct ike_sa *sa, struct ike_msg *m)
{
	if (sa->resp.len && m->msgid + 1 == sa->peer_msgid) {
		logm(SS_NET, L_DBG, "conn %s: duplicate request %u, resending our response",
		     sa->conn->name, m->msgid);
		net_send(&sa->local, &sa->peer, sa->resp.p, sa->resp.len);
		return;
	}
	if (m->msgid != sa->peer_msgid) {
		logm(SS_NET, L_DBG, "conn %s: request with message ID %u, expected %u: dropped",
		     sa->conn->name, m->msgid, sa->peer_msgid);
		return;
	}
	if (decrypt(sa, m)) {
		logm(SS_ENC, L_INFO, "conn %s: request %u failed integrity/decryption: dropped",
		     sa->conn->name, m->msgid);
		return;
	}
	sa->last_rx = now();
	if (m->exch == EXCH_IKE_AUTH && sa->state == ST_INIT_DONE)
		auth_respond(sa, m);
	else if (m->exch == EXCH_INFORMATIONAL && sa->state >= ST_ESTABLISHED)
		info_respond(sa, m);
	else if (m->exch == EXCH_CREATE_CHILD_SA && sa->state == ST_ESTABLISHED)
		ccs_respond(sa, m);
}

static void handle_response(struct ike_sa *sa, struct ike_msg *m)
{
	if (!sa->req_pending || m->msgid + 1 != sa->next_msgid ||
	    m->exch != sa->req_exch) {
		logm(SS_NET, L_DBG, "unexpected response %u: dropped", m->msgid);
		return;
	}
	if (m->exch != EXCH_IKE_SA_INIT && decrypt(sa, m)) {
		logm(SS_ENC, L_INFO, "conn %s: response %u failed integrity/decryption: dropped",
		     sa->conn->name, m->msgid);
		return;
	}
	sa->req_pending = false;
	sa->last_rx = now();
	switch (m->exch) {
	case EXCH_IKE_SA_INIT:
		init_response(sa, m);
		break;
	case EXCH_IKE_AUTH:
		auth_response(sa, m);
		break;
	case EXCH_INFORMATIONAL:
		info_response(sa, m);
		break;
	case EXCH_CREATE_CHILD_SA:
		ccs_response(sa, m);
		break;
	}
}

void net_dispatch(uint8_t *p, size_t len, const struct sockaddr_storage *from,
		  const struct sockaddr_storage *to)
{
	struct ike_msg m;
	struct ike_sa *sa;
	bool from_initiator, response;
	char a[64];

	if (msg_parse_hdr(&m, p, len)) {
		logm(SS_NET, L_DBG, "malformed message from %s: dropped",
		     sa_str(from, a, sizeof(a)));
		return;
	}
	from_initiator = m.flags & IKE_FLAG_I;
	response = m.flags & IKE_FLAG_R;
	sa = ikesa_find(m.spi_i_b, m.spi_r_b, !from_initiator);
	if (!sa && m.exch == EXCH_IKE_SA_INIT && !response && from_initiator &&
	    m.msgid == 0) {
		init_respond(&m, from, to);
	} else if (sa && response) {
		handle_response(sa, &m);
	} else if (sa && !response) {
		if (m.exch == EXCH_IKE_SA_INIT && sa->resp.len)
			net_send(&sa->local, &sa->peer, sa->resp.p, sa->resp.len);
		else
			handle_request(sa, &m);
	} else {
		logm(SS_NET, L_DBG, "message for unknown IKE_SA from %s: dropped",
		     sa_str(from, a, sizeof(a)));
	}
	msg_free(&m);
	ikesa_reap();
}

static void dpd_failed(struct ike_sa *sa)
{
	struct conn *c = sa->conn;

	if (sa->replaced) {
		/* A rekeyed IKE_SA whose delete went unanswered: its
		 * successor carries on (and has its own liveness checks). */
		sa->state = ST_DEAD;
		return;
	}

	logm(SS_IKE, L_ERR, "conn %s: peer %s not responding after %d retransmissions; %s",
	     c->name, sa_str(&sa->peer, (char[64]){ 0 }, 64), g_rtx_tries,
	     c->dpdaction == DPD_RESTART ? "restarting (dpdaction=restart)" :
	     c->dpdaction == DPD_HOLD ? "closing the IKE_SA, trap installed (dpdaction=hold)" :
	     "closing the IKE_SA");
	sa->state = ST_DEAD;
	child_uninstall_all(sa);
	if (c->dpdaction == DPD_RESTART)
		init_start(c);
	else if (c->dpdaction == DPD_HOLD)
		trap_install(c);
}

void net_timers(void)
{
	double t = now();

	for (struct ike_sa *sa = ikesa_list(); sa; sa = sa->next) {
		struct conn *c = sa->conn;

		if (sa->state == ST_DEAD)
			continue;
		if (sa->req_pending && t >= sa->req_deadline) {
			if (++sa->retries > g_rtx_tries) {
				sa->req_pending = false;
				dpd_failed(sa);
				continue;
			}
			sa->req_timeout *= 2;	/* exponential back-off */
			sa->req_deadline = t + sa->req_timeout;
			logm(SS_NET, L_INFO, "conn %s: retransmit %d of request %u",
			     c->name, sa->retries, sa->next_msgid - 1);
			net_send(&sa->local, &sa->peer, sa->req.p, sa->req.len);
		}
		if (sa->state == ST_ESTABLISHED && sa->ike_expire_at &&
		    t >= sa->ike_expire_at) {
			logm(SS_IKE, L_INFO, "conn %s: IKE_SA reached ikelifetime=%ds without a rekey: deleting it",
			     c->name, c->ikelifetime);
			sa->req_pending = false;
			info_delete(sa);
			continue;
		}
		if (sa->state == ST_ESTABLISHED)
			child_timers(sa, t);
		/* One request at a time: queued deletes, then rekeys, then DPD. */
		if (sa->state == ST_ESTABLISHED && !sa->req_pending)
			info_send_queued(sa);
		if (sa->state == ST_ESTABLISHED && !sa->req_pending)
			ccs_timers(sa, t);
		if (sa->state == ST_ESTABLISHED && !sa->req_pending && !sa->replaced &&
		    c->dpdaction != DPD_NONE && c->dpddelay &&
		    t - sa->last_rx >= c->dpddelay)
			info_dpd(sa);
		/* Half-open responder SAs that never finished expire. */
		if (!sa->initiator && sa->state == ST_INIT_DONE &&
		    t - sa->last_rx > 30)
			sa->state = ST_DEAD;
	}
	ikesa_reap();
}

int ctl_fd(void);
void ctl_accept(void);
extern volatile int g_stop;

int net_loop(void)
{
	while (!g_stop) {
		struct pollfd p[4] = {
			{ .fd = fd4, .events = POLLIN },
			{ .fd = fd6, .events = POLLIN },
			{ .fd = ctl_fd(), .events = POLLIN },
			{ .fd = knl_event_fd(), .events = POLLIN },
		};
		int r = poll(p, 4, 100);

		if (r < 0 && errno != EINTR)
			return -1;
		if (r > 0) {
			if (p[0].revents & POLLIN)
				recv_one(fd4);
			if (p[1].revents & POLLIN)
				recv_one(fd6);
			if (p[2].revents & POLLIN)
				ctl_accept();
			if (p[3].revents & POLLIN)
				knl_event_read();
		}
		net_timers();
	}
	return 0;
}
