// SPDX-License-Identifier: GPL-2.0
/*
 * Sockets, dispatch and timers.  One thread, one poll loop: the IKE sockets
 * (UDP 500 and the NAT-T port 4500, IPv4 and IPv6, with PKTINFO so replies
 * leave from the address the request reached), the control socket, kipsec's
 * events, and per-SA deadlines for retransmission (exponential back-off),
 * DPD and NAT keepalives.  On port 4500 IKE messages carry the non-ESP
 * marker (RFC 3948 2.2); ESP there is decapsulated by kipsec (natt.c).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/errqueue.h>
#include "kiked.h"
#include "me.h"

/* IKE port and NAT-T port, each for IPv4 and IPv6; fd -1 when unavailable. */
static struct ike_sock {
	int fd, family;
	uint16_t port;
} socks[4] = { { .fd = -1 }, { .fd = -1 }, { .fd = -1 }, { .fd = -1 } };
#define NSOCKS ((int)(sizeof(socks) / sizeof(socks[0])))
static const uint8_t non_esp_marker[4];
double g_rtx_base = 1.0;
int g_rtx_tries = 5;
uint16_t g_ike_port = 500, g_natt_port = 4500;

double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- sockaddr helpers: one code path for both families ---- */
const uint8_t *ss_addr(const struct sockaddr_storage *s, size_t *len)
{
	if (s->ss_family == AF_INET) {
		*len = 4;
		return (const uint8_t *)&((const struct sockaddr_in *)s)->sin_addr;
	}
	*len = s->ss_family == AF_INET6 ? 16 : 0;
	return (const uint8_t *)&((const struct sockaddr_in6 *)s)->sin6_addr;
}

uint16_t ss_port(const struct sockaddr_storage *s)
{
	return ntohs(s->ss_family == AF_INET ? ((const struct sockaddr_in *)s)->sin_port :
		     ((const struct sockaddr_in6 *)s)->sin6_port);
}

void ss_set_port(struct sockaddr_storage *s, uint16_t port)
{
	if (s->ss_family == AF_INET)
		((struct sockaddr_in *)s)->sin_port = htons(port);
	else if (s->ss_family == AF_INET6)
		((struct sockaddr_in6 *)s)->sin6_port = htons(port);
}

void ss_make(struct sockaddr_storage *s, int family, const void *addr,
	     uint16_t port)
{
	size_t l;

	memset(s, 0, sizeof(*s));
	s->ss_family = (sa_family_t)family;
	memcpy((void *)ss_addr(s, &l), addr, family == AF_INET ? 4 : 16);
	ss_set_port(s, port);
}

bool ss_same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	size_t la, lb;
	const uint8_t *pa = ss_addr(a, &la), *pb = ss_addr(b, &lb);

	return a->ss_family == b->ss_family && la == lb && !memcmp(pa, pb, la);
}

bool ss_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	return ss_same_addr(a, b) && ss_port(a) == ss_port(b);
}

static socklen_t ss_len(const struct sockaddr_storage *s)
{
	return s->ss_family == AF_INET ? sizeof(struct sockaddr_in) :
	       sizeof(struct sockaddr_in6);
}

const char *sa_str(const struct sockaddr_storage *s, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "%any";
	size_t l;
	const uint8_t *p = ss_addr(s, &l);

	if (!l) {
		snprintf(buf, len, "%s", a);
		return buf;
	}
	inet_ntop(s->ss_family, p, a, sizeof(a));
	snprintf(buf, len, "%s[%u]", a, ss_port(s));
	return buf;
}

static int open_sock(struct ike_sock *k, int family, uint16_t port)
{
	struct sockaddr_storage a = { .ss_family = (sa_family_t)family };
	int on = 1, v6 = family == AF_INET6;

	ss_set_port(&a, port);
	k->family = family;
	k->port = port;
	k->fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (k->fd < 0 ||
	    (v6 && setsockopt(k->fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on))) ||
	    setsockopt(k->fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP,
		       v6 ? IPV6_RECVPKTINFO : IP_PKTINFO, &on, sizeof(on)) ||
	    setsockopt(k->fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) ||
	    bind(k->fd, (struct sockaddr *)&a, ss_len(&a))) {
		int e = errno;

		if (k->fd >= 0)
			close(k->fd);
		k->fd = -1;
		errno = e;
		return -1;
	}
	return 0;
}

int net_open(uint16_t port, uint16_t natt_port)
{
	g_ike_port = port;
	g_natt_port = natt_port;
	for (int i = 0; i < NSOCKS; i++) {
		int family = i & 1 ? AF_INET6 : AF_INET;
		uint16_t p = i < 2 ? port : natt_port;

		if (i >= 2 && !natt_port)
			break;
		if (!open_sock(&socks[i], family, p)) {
			if (i >= 2)
				natt_attach(socks[i].fd, family, p);
			continue;
		}
		if (family == AF_INET) {
			logm(SS_NET, L_ERR, "cannot bind UDP port %u (IPv4): %s (another IKE daemon running?)",
			     p, strerror(errno));
			return -1;
		}
		logm(SS_NET, L_WARN, "IPv6 IKE socket on port %u unavailable: %s",
		     p, strerror(errno));
	}
	return 0;
}

static struct ike_sock *sock_for(int family, uint16_t port)
{
	for (int i = 0; i < NSOCKS; i++)
		if (socks[i].fd >= 0 && socks[i].family == family &&
		    socks[i].port == port)
			return &socks[i];
	return NULL;
}

static void put_cmsg(struct msghdr *mh, int level, int type, const void *p,
		     size_t len)
{
	struct cmsghdr *c;

	mh->msg_controllen = CMSG_SPACE(len);
	c = CMSG_FIRSTHDR(mh);
	c->cmsg_level = level;
	c->cmsg_type = type;
	c->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(c), p, len);
}

/* IP_TTL / IPV6_UNICAST_HOPS of fd; -1 is the route's default. */
static void set_hops(int fd, int family, int hops)
{
	if (family == AF_INET)
		setsockopt(fd, IPPROTO_IP, IP_TTL, &hops, sizeof(hops));
	else
		setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops));
}

/* Sends from our port of `from` (IKE or NAT-T; the marker is added on the
 * latter unless raw, for keepalives), with at most `hops` hops (0: the
 * route's default). */
static int send_from(const struct sockaddr_storage *from,
		     const struct sockaddr_storage *to, const void *p,
		     size_t len, bool raw, int hops)
{
	union {
		char b[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} cb;
	bool natt = from && from->ss_family && g_natt_port &&
		    ss_port(from) == g_natt_port && g_natt_port != g_ike_port;
	struct ike_sock *k = sock_for(to->ss_family, natt ? g_natt_port : g_ike_port);
	bool marker = natt && !raw;
	struct iovec iov[2] = {
		{ .iov_base = (void *)non_esp_marker, .iov_len = marker ? 4 : 0 },
		{ .iov_base = (void *)p, .iov_len = len },
	};
	struct msghdr mh = {
		.msg_name = (void *)to, .msg_namelen = ss_len(to),
		.msg_iov = iov, .msg_iovlen = 2, .msg_control = cb.b,
	};
	char a[64];
	int ret, err;

	memset(&cb, 0, sizeof(cb));
	if (from && from->ss_family == AF_INET && to->ss_family == AF_INET) {
		struct in_pktinfo pi = {
			.ipi_spec_dst = ((const struct sockaddr_in *)from)->sin_addr,
		};

		put_cmsg(&mh, IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi));
	} else if (from && from->ss_family == AF_INET6 && to->ss_family == AF_INET6) {
		struct in6_pktinfo pi = {
			.ipi6_addr = ((const struct sockaddr_in6 *)from)->sin6_addr,
		};

		put_cmsg(&mh, IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof(pi));
	} else {
		mh.msg_control = NULL;
	}
	if (k && hops)
		set_hops(k->fd, to->ss_family, hops);
	ret = k ? (int)sendmsg(k->fd, &mh, 0) : -1;
	err = errno;
	if (k && hops)
		set_hops(k->fd, to->ss_family, -1);
	if (ret < 0) {
		logm(SS_NET, L_WARN, "send to %s failed: %s",
		     sa_str(to, a, sizeof(a)), k ? strerror(err) : "no socket");
		return -1;
	}
	logm(SS_NET, L_DBG, "sent %zu bytes %sto %s", len, raw ? "(keepalive) " : "",
	     sa_str(to, a, sizeof(a)));
	return 0;
}

int net_send(const struct sockaddr_storage *from,
	     const struct sockaddr_storage *to, const void *p, size_t len)
{
	return send_from(from, to, p, len, false, 0);
}

int net_send_keepalive(const struct sockaddr_storage *from,
		       const struct sockaddr_storage *to)
{
	static const uint8_t ka = 0xff;

	return send_from(from, to, &ka, 1, true, 0);
}

int net_send_keepalive_hops(const struct sockaddr_storage *from,
			    const struct sockaddr_storage *to, int hops)
{
	static const uint8_t ka = 0xff;

	return send_from(from, to, &ka, 1, true, hops);
}

static int recv_one(const struct ike_sock *k)
{
	static uint8_t pkt[IKE_MSG_MAX + 4];
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
	ssize_t n = recvmsg(k->fd, &mh, MSG_DONTWAIT);
	uint8_t *p = pkt;

	if (n < 0)
		return -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			ss_make(&to, AF_INET, &pi.ipi_addr, k->port);
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			ss_make(&to, AF_INET6, &pi.ipi6_addr, k->port);
		}
	}
	if (k->port == g_natt_port && g_natt_port != g_ike_port) {
		/* Keepalives and (without kipsec attached) ESP are not ours. */
		if (n < 4 || memcmp(p, non_esp_marker, 4)) {
			logm(SS_NET, L_DBG, "%s on port %u from %s: ignored",
			     n == 1 && p[0] == 0xff ? "NAT keepalive" : "non-IKE datagram",
			     k->port, sa_str(&from, (char[64]){ 0 }, 64));
			return 0;
		}
		p += 4;
		n -= 4;
	}
	net_dispatch(p, (size_t)n, &from, &to);
	return 0;
}

/*
 * The hop-count probe's socket (me_client.c): IPv4 UDP from an ephemeral
 * port with IP_RECVERR.  Not the NAT-T socket: the kernel hands ICMP
 * errors for a UDP encapsulation socket to the tunnel, never to its error
 * queue.  Opened at the first probe.
 */
static struct ike_sock probe = { .fd = -1 };

int net_probe(const struct sockaddr_storage *from,
	      const struct sockaddr_storage *to, int ttl)
{
	static const uint8_t ka = 0xff;
	struct sockaddr_storage a = *from;
	int on = 1;
	char b[64];

	if (to->ss_family != AF_INET || from->ss_family != AF_INET)
		return -1;
	if (probe.fd < 0) {
		ss_set_port(&a, 0);
		probe.fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (probe.fd < 0 ||
		    setsockopt(probe.fd, IPPROTO_IP, IP_RECVERR, &on, sizeof(on)) ||
		    bind(probe.fd, (struct sockaddr *)&a, ss_len(&a))) {
			logm(SS_NET, L_WARN, "hop-count probe socket: %s", strerror(errno));
			if (probe.fd >= 0)
				close(probe.fd);
			probe.fd = -1;
			return -1;
		}
	}
	set_hops(probe.fd, AF_INET, ttl);
	if (sendto(probe.fd, &ka, 1, 0, (const struct sockaddr *)to, ss_len(to)) < 0 &&
	    errno != EHOSTUNREACH && errno != ECONNREFUSED) {
		logm(SS_NET, L_WARN, "hop-count probe to %s: %s",
		     sa_str(to, b, sizeof(b)), strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * The ICMP errors a socket queued (IP_RECVERR): for each, the
 * destination of the datagram it is about, the ICMP type and code and the
 * router or host that sent it (SO_EE_OFFENDER), to me_client.c (hop count
 * and priming, Documentation/mediation.md).  Draining the queue also clears
 * the socket error a later recvmsg() would return.
 */
static void recv_errs(const struct ike_sock *k)
{
	for (int i = 0; i < 16; i++) {
		union {
			char b[CMSG_SPACE(sizeof(struct sock_extended_err) +
					  sizeof(struct sockaddr_in)) + 64];
			struct cmsghdr align;
		} cb;
		struct sockaddr_storage dst = { 0 }, off = { 0 };
		uint8_t body[64];
		struct iovec iov = { .iov_base = body, .iov_len = sizeof(body) };
		struct msghdr mh = {
			.msg_name = &dst, .msg_namelen = sizeof(dst),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = cb.b, .msg_controllen = sizeof(cb.b),
		};

		if (recvmsg(k->fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			return;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			struct sock_extended_err ee;
			const struct sockaddr_in *o;

			if (c->cmsg_level != IPPROTO_IP || c->cmsg_type != IP_RECVERR)
				continue;
			memcpy(&ee, CMSG_DATA(c), sizeof(ee));
			if (ee.ee_origin != SO_EE_ORIGIN_ICMP)
				continue;
			o = (const struct sockaddr_in *)SO_EE_OFFENDER(
				(struct sock_extended_err *)CMSG_DATA(c));
			if (o->sin_family == AF_INET)
				ss_make(&off, AF_INET, &o->sin_addr, 0);
			me_cli_icmp(&dst, ee.ee_type, ee.ee_code, &off);
		}
	}
}

static int decrypt(struct ike_sa *sa, struct ike_msg *m)
{
	struct sk_keys k;

	if (!m->sk_len)
		return -1;
	ikesa_keys(sa, false, &k);
	return sk_open(m, &k);
}

static void handle_request(struct ike_sa *sa, struct ike_msg *m,
			   const struct sockaddr_storage *from,
			   const struct sockaddr_storage *to)
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
	natt_update(sa, from, to);
	if (m->exch == EXCH_IKE_AUTH && sa->state == ST_INIT_DONE)
		auth_respond(sa, m);
	else if (m->exch == EXCH_INFORMATIONAL && sa->state >= ST_ESTABLISHED)
		info_respond(sa, m);
	else if (m->exch == EXCH_CREATE_CHILD_SA && sa->state == ST_ESTABLISHED)
		ccs_respond(sa, m);
	else if (m->exch == EXCH_ME_CONNECT && sa->state == ST_ESTABLISHED)
		me_request(sa, m);
}

static void handle_response(struct ike_sa *sa, struct ike_msg *m,
			    const struct sockaddr_storage *from,
			    const struct sockaddr_storage *to)
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
	buf_free(&sa->req);	/* answered: nothing to retransmit */
	sa->last_rx = now();
	if (m->exch == EXCH_IKE_SA_INIT)
		natt_detect(sa, m, from, to);
	else
		natt_update(sa, from, to);
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
	case EXCH_ME_CONNECT:
		me_response(sa, m);
		break;
	}
}

/*
 * Anyone can send us garbage, so a malformed datagram gets a warning
 * (an admin chasing a broken peer needs to see it) but at most one a
 * second; the next line counts the ones left out.
 */
static void log_malformed(const struct sockaddr_storage *from, size_t len,
			  const char *why)
{
	static double last = -1;
	static unsigned int skipped;
	double t = now();
	char a[64];

	if (last >= 0 && t - last < 1) {
		skipped++;
		return;
	}
	logm(SS_NET, L_WARN, "malformed IKE message of %zu bytes from %s (%s): dropped; %u more since the last such line",
	     len, sa_str(from, a, sizeof(a)), why ? why : "?", skipped);
	last = t;
	skipped = 0;
}

void net_dispatch(uint8_t *p, size_t len, const struct sockaddr_storage *from,
		  const struct sockaddr_storage *to)
{
	struct ike_msg m;
	struct ike_sa *sa;
	bool from_initiator, response;
	char a[64];

	if (msg_parse_hdr(&m, p, len)) {
		log_malformed(from, len, m.bad);
		return;
	}
	from_initiator = m.flags & IKE_FLAG_I;
	response = m.flags & IKE_FLAG_R;
	if (m.exch == EXCH_INFORMATIONAL && !m.spi_i && !m.spi_r) {
		me_check_rx(&m, from, to);	/* mediation connectivity check */
		msg_free(&m);
		return;
	}
	if (m.exch == EXCH_IKE_SA_INIT && !response && msg_notify(&m, N_ME_CONNECTID))
		me_cli_init_rx(&m);
	sa = ikesa_find(m.spi_i_b, m.spi_r_b, !from_initiator);
	if (!sa && m.exch == EXCH_IKE_SA_INIT && !response && from_initiator &&
	    m.msgid == 0) {
		init_respond(&m, from, to);
	} else if (sa && response) {
		handle_response(sa, &m, from, to);
	} else if (sa && !response) {
		if (m.exch == EXCH_IKE_SA_INIT && sa->resp.len)
			net_send(&sa->local, &sa->peer, sa->resp.p, sa->resp.len);
		else
			handle_request(sa, &m, from, to);
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
		natt_timers(sa, t);
		/* One request at a time: mediation relays, queued deletes,
		 * then rekeys, then DPD. */
		if (sa->state == ST_ESTABLISHED && !sa->req_pending)
			me_send_queued(sa);
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
	me_cli_timers(t);
	ikesa_reap();
}

int ctl_fd(void);
void ctl_accept(void);
extern volatile int g_stop;

int net_loop(void)
{
	while (!g_stop) {
		struct pollfd p[NSOCKS + 3] = {
			[NSOCKS] = { .fd = ctl_fd(), .events = POLLIN },
			[NSOCKS + 1] = { .fd = knl_event_fd(), .events = POLLIN },
			[NSOCKS + 2] = { .fd = probe.fd, .events = 0 },
		};
		int r;

		for (int i = 0; i < NSOCKS; i++)
			p[i] = (struct pollfd){ .fd = socks[i].fd, .events = POLLIN };
		r = poll(p, NSOCKS + 3, 100);
		if (r < 0 && errno != EINTR)
			return -1;
		for (int i = 0; r > 0 && i < NSOCKS; i++)
			if (p[i].revents & POLLIN)
				recv_one(&socks[i]);
		if (r > 0 && p[NSOCKS + 2].revents & POLLERR)
			recv_errs(&probe);
		if (r > 0 && p[NSOCKS].revents & POLLIN)
			ctl_accept();
		if (r > 0 && p[NSOCKS + 1].revents & POLLIN)
			knl_event_read();
		net_timers();
	}
	return 0;
}
