// SPDX-License-Identifier: GPL-2.0
/*
 * ESP in UDP (RFC 3948).
 *
 * Sockets: per netns, a list of UDP sockets whose encap_rcv is ours.  Two
 * kinds, handled by one attach function:
 *  - kipsec's own (KIPSEC_CMD_ENCAP_ADD/DEL, for manually keyed setups):
 *    kernel sockets bound to a port, ESP only: a non-ESP marker there is an
 *    error;
 *  - a caller's socket passed by fd (KIPSEC_CMD_ENCAP_ATTACH, an IKE
 *    daemon's port 4500 socket): ESP is consumed here, everything else (IKE
 *    behind the non-ESP marker) stays on the socket's queue.  It is
 *    detached when the socket is closed (encap_destroy), on
 *    KIPSEC_CMD_ENCAP_DEL with its fd, and when the netns or the module goes.
 * The sockets are made with sock_create_kern() rather than the udp_tunnel
 * helpers so that kipsec.ko needs no other module (it is insmod-able).
 *
 * Input (softirq, from the UDP receive path): a keepalive (one 0xff byte)
 * is counted and dropped; ESP loses its UDP header (the IP header stays
 * where it is, the UDP header behind it for the MAPPING check) and goes to
 * input.c's ESP input, which only accepts it for SAs with encapsulation.
 *
 * Output: output.c calls kipsec_encap_output() on the finished ESP packet
 * of an SA with encapsulation; the UDP checksum is 0 for IPv4 (RFC 3948
 * 3.1) and computed for IPv6.
 */
#include <linux/file.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/net.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ipv6.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/sock.h>
#include <net/udp.h>
#include <net/udp_tunnel.h>
#include "compat.h"
#include "kipsec.h"
#include "datapath.h"
#include "encap.h"
#include "netlink.h"

/* The same peer address/port is reported again at most this often. */
#define KIPSEC_MAPPING_REPEAT	(30 * HZ)

struct kipsec_encap_sock {
	struct list_head list;
	struct sock *sk;	/* referenced */
	struct socket *sock;	/* kipsec's own socket; NULL when attached */
	u16 port;		/* host order */
	u16 family;
};

struct kipsec_encap_net {
	struct mutex lock;	/* control requests */
	spinlock_t list_lock;	/* socks; also taken by encap_destroy */
	struct list_head socks;
};

static int kipsec_encap_rcv(struct sock *sk, struct sk_buff *skb, bool own)
{
	struct kipsec_net *kn = kipsec_pernet(sock_net(sk));
	unsigned int len = skb->len - sizeof(struct udphdr);
	u16 family;
	u8 *data;

	if (!pskb_may_pull(skb, sizeof(struct udphdr) + min(len, 8u))) {
		if (!own)
			return 1;
		goto bad_len;
	}
	data = skb->data + sizeof(struct udphdr);
	if (len == 1 && data[0] == 0xff) {
		KIPSEC_INC_STATS(kn, IN_ENCAP_KEEPALIVES);
		consume_skb(skb);
		return 0;
	}
	if (len >= 4 && !get_unaligned((u32 *)data)) {
		if (!own)
			return 1;	/* non-ESP marker: IKE, the socket's */
		KIPSEC_INC_STATS(kn, IN_ENCAP_ERROR);
		KIPSEC_INC_STATS(kn, IN_ENCAP_NON_ESP);
		kfree_skb(skb);
		return 0;
	}
	if (len <= sizeof(struct ip_esp_hdr)) {
		if (!own)
			return 1;	/* not ESP either: let the daemon see it */
		goto bad_len;
	}
	if (skb_unclone(skb, GFP_ATOMIC)) {
		KIPSEC_INC_STATS(kn, IN_BUFFER_ERROR);
		kfree_skb(skb);
		return 0;
	}
	if (skb->protocol == htons(ETH_P_IP)) {
		family = AF_INET;
	} else {
		/* ESP must follow the fixed header once UDP is gone. */
		if (skb_network_header_len(skb) != sizeof(struct ipv6hdr))
			goto err;
		ipv6_hdr(skb)->nexthdr = IPPROTO_ESP;
		family = AF_INET6;
	}
	/* The IP and UDP headers stay in front for kipsec_encap_input_check(). */
	__skb_pull(skb, sizeof(struct udphdr));
	skb_reset_transport_header(skb);
	if (kipsec_esp_input(skb, family, true) == -EINVAL) {
		KIPSEC_INC_STATS(kn, IN_NO_STATES);
		kfree_skb(skb);
	}
	return 0;

bad_len:
	KIPSEC_INC_STATS(kn, IN_ENCAP_BAD_LENGTH);
err:
	KIPSEC_INC_STATS(kn, IN_ENCAP_ERROR);
	kfree_skb(skb);
	return 0;
}

static int kipsec_encap_rcv_own(struct sock *sk, struct sk_buff *skb)
{
	return kipsec_encap_rcv(sk, skb, true);
}

static int kipsec_encap_rcv_attached(struct sock *sk, struct sk_buff *skb)
{
	return kipsec_encap_rcv(sk, skb, false);
}

/* Takes e off its list if it still is there; true if it was. */
static bool kipsec_encap_unlink(struct kipsec_encap_net *en, struct kipsec_encap_sock *e)
{
	struct kipsec_encap_sock *p;
	bool found = false;

	spin_lock_bh(&en->list_lock);
	list_for_each_entry(p, &en->socks, list) {
		if (p == e) {
			list_del(&e->list);
			found = true;
			break;
		}
	}
	spin_unlock_bh(&en->list_lock);
	return found;
}

/* Gives sk its plain UDP receive back (if it still has ours). */
static void kipsec_encap_clear(struct sock *sk)
{
	struct udp_sock *up = udp_sk(sk);

	if (READ_ONCE(up->encap_rcv) == kipsec_encap_rcv_attached ||
	    READ_ONCE(up->encap_rcv) == kipsec_encap_rcv_own) {
		WRITE_ONCE(up->encap_type, 0);
		WRITE_ONCE(up->encap_rcv, NULL);
	}
	WRITE_ONCE(up->encap_destroy, NULL);
}

static void kipsec_encap_free(struct kipsec_encap_sock *e)
{
	sock_put(e->sk);
	kfree(e);
}

/* encap_destroy of attached sockets: the caller closed it. */
static void kipsec_encap_destroy(struct sock *sk)
{
	struct kipsec_encap_net *en = kipsec_pernet(sock_net(sk))->encap;
	struct kipsec_encap_sock *e, *found = NULL;

	spin_lock_bh(&en->list_lock);
	list_for_each_entry(e, &en->socks, list) {
		if (e->sk == sk) {
			list_del(&e->list);
			found = e;
			break;
		}
	}
	spin_unlock_bh(&en->list_lock);
	/* No packet can be on its way to us: the socket is unhashed. */
	if (found)
		kipsec_encap_free(found);
}

static u16 kipsec_encap_sk_port(struct sock *sk)
{
	return ntohs(inet_sk(sk)->inet_sport);
}

/*
 * Makes sk an ESP-in-UDP socket of ours.  Called with en->lock held; sk
 * must be a bound UDP socket of this netns.
 */
static int kipsec_encap_attach_sk(struct kipsec_encap_net *en, struct socket *sock,
				  bool own, struct netlink_ext_ack *extack)
{
	struct sock *sk = sock->sk;
	struct udp_sock *up = udp_sk(sk);
	struct kipsec_encap_sock *e;
	int err = 0;

	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	lock_sock(sk);
	if (READ_ONCE(up->encap_type) || READ_ONCE(up->encap_rcv)) {
		NL_SET_ERR_MSG(extack, "the socket already has a UDP encapsulation");
		err = -EBUSY;
		goto out;
	}
	sock_hold(sk);
	e->sk = sk;
	e->sock = own ? sock : NULL;
	e->port = kipsec_encap_sk_port(sk);
	e->family = sk->sk_family;
	spin_lock_bh(&en->list_lock);
	list_add_tail(&e->list, &en->socks);
	spin_unlock_bh(&en->list_lock);
	if (!own)
		WRITE_ONCE(up->encap_destroy, kipsec_encap_destroy);
	WRITE_ONCE(up->encap_rcv, own ? kipsec_encap_rcv_own : kipsec_encap_rcv_attached);
	/* The receive path tests encap_type first, then reads encap_rcv. */
	smp_wmb();
	WRITE_ONCE(up->encap_type, UDP_ENCAP_ESPINUDP);
	udp_tunnel_encap_enable(sk);
out:
	release_sock(sk);
	if (err)
		kfree(e);
	return err;
}

/* Detaches or closes e, already off the list, under en->lock. */
static void kipsec_encap_release(struct kipsec_encap_sock *e)
{
	kipsec_encap_clear(e->sk);
	/* Packets already in kipsec_encap_rcv() finish before we go on. */
	synchronize_net();
	if (e->sock) {
		kernel_sock_shutdown(e->sock, SHUT_RDWR);
		sock_release(e->sock);
	}
	kipsec_encap_free(e);
}

static struct kipsec_encap_sock *kipsec_encap_find(struct kipsec_encap_net *en,
						   u16 port, u16 family)
{
	struct kipsec_encap_sock *e;

	list_for_each_entry(e, &en->socks, list)
		if (e->sock && e->port == port && e->family == family)
			return e;
	return NULL;
}

static int kipsec_encap_open(struct kipsec_net *kn, u16 port, u16 family,
			     struct netlink_ext_ack *extack)
{
	struct kipsec_encap_net *en = kn->encap;
	struct sockaddr_storage ss = {};
	struct socket *sock;
	int err, alen;

	if (kipsec_encap_find(en, port, family)) {
		kipsec_err_fmt(extack, "kipsec already has an encapsulation socket on that port",
			       "kipsec already has an %s encapsulation socket on port %u",
			       family == AF_INET ? "IPv4" : "IPv6", port);
		return -EEXIST;
	}
	err = sock_create_kern(kn->net, family, SOCK_DGRAM, IPPROTO_UDP, &sock);
	if (err) {
		NL_SET_ERR_MSG(extack, "cannot create a UDP socket of that family");
		return err;
	}
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		alen = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		alen = sizeof(*sin6);
		ip6_sock_set_v6only(sock->sk);
	}
	err = kernel_bind(sock, (struct sockaddr *)&ss, alen);
	if (err) {
		kipsec_err_fmt(extack, "cannot bind the UDP port (in use?)",
			       "cannot bind UDP port %u (%s)", port,
			       err == -EADDRINUSE ? "in use" : "error");
		goto err;
	}
	err = kipsec_encap_attach_sk(en, sock, true, extack);
	if (err)
		goto err;
	return 0;
err:
	sock_release(sock);
	return err;
}

static int kipsec_encap_get_family(struct genl_info *info, u16 *family)
{
	struct nlattr *a = info->attrs[KIPSEC_A_ENCAP_FAMILY];

	*family = a ? nla_get_u16(a) : AF_UNSPEC;
	if (*family == AF_UNSPEC || *family == AF_INET || *family == AF_INET6)
		return 0;
	NL_SET_ERR_MSG_ATTR(info->extack, a, "family must be AF_INET (2) or AF_INET6 (10)");
	return -EAFNOSUPPORT;
}

/* The port and family of an ENCAP_ADD or a port ENCAP_DEL. */
static int kipsec_encap_port_family(struct genl_info *info, u16 *port, u16 *family)
{
	if (!kipsec_require(info, KIPSEC_A_ENCAP_PORT))
		return -EINVAL;
	*port = nla_get_u16(info->attrs[KIPSEC_A_ENCAP_PORT]);
	return kipsec_encap_get_family(info, family);
}

int kipsec_nl_encap_add(struct sk_buff *skb, struct genl_info *info)
{
	struct kipsec_net *kn = kipsec_pernet(genl_info_net(info));
	struct kipsec_encap_net *en = kn->encap;
	u16 port, family;
	int err;

	err = kipsec_encap_port_family(info, &port, &family);
	if (err)
		return err;
	mutex_lock(&en->lock);
	if (family != AF_INET6)
		err = kipsec_encap_open(kn, port, AF_INET, info->extack);
	/* Both families by default; IPv6 only where the netns has it. */
	if (!err && family != AF_INET) {
		err = kipsec_encap_open(kn, port, AF_INET6, info->extack);
		if (err == -EAFNOSUPPORT && family == AF_UNSPEC)
			err = 0;
		if (err && family == AF_UNSPEC) {
			struct kipsec_encap_sock *e = kipsec_encap_find(en, port, AF_INET);

			kipsec_encap_unlink(en, e);
			kipsec_encap_release(e);
		}
	}
	mutex_unlock(&en->lock);
	return err;
}

static int kipsec_encap_del_fd(struct kipsec_encap_net *en, struct genl_info *info)
{
	struct nlattr *a = info->attrs[KIPSEC_A_ENCAP_FD];
	struct kipsec_encap_sock *e, *found = NULL;
	struct socket *sock;
	int err;

	sock = sockfd_lookup(nla_get_u32(a), &err);
	if (!sock) {
		NL_SET_ERR_MSG_ATTR(info->extack, a, "not an open socket");
		return err;
	}
	spin_lock_bh(&en->list_lock);
	list_for_each_entry(e, &en->socks, list) {
		if (!e->sock && e->sk == sock->sk) {
			list_del(&e->list);
			found = e;
			break;
		}
	}
	spin_unlock_bh(&en->list_lock);
	sockfd_put(sock);
	if (!found) {
		NL_SET_ERR_MSG_ATTR(info->extack, a, "socket not attached to kipsec");
		return -ENOENT;
	}
	kipsec_encap_release(found);
	return 0;
}

int kipsec_nl_encap_del(struct sk_buff *skb, struct genl_info *info)
{
	struct kipsec_encap_net *en = kipsec_pernet(genl_info_net(info))->encap;
	struct kipsec_encap_sock *e, *tmp;
	LIST_HEAD(gone);
	u16 port, family;
	bool found;
	int err;

	if (info->attrs[KIPSEC_A_ENCAP_FD]) {
		mutex_lock(&en->lock);
		err = kipsec_encap_del_fd(en, info);
		mutex_unlock(&en->lock);
		return err;
	}
	/* Else by port (the fd form is above). */
	err = kipsec_encap_port_family(info, &port, &family);
	if (err)
		return err;
	mutex_lock(&en->lock);
	spin_lock_bh(&en->list_lock);
	list_for_each_entry_safe(e, tmp, &en->socks, list)
		if (e->sock && e->port == port && (!family || e->family == family))
			list_move_tail(&e->list, &gone);
	spin_unlock_bh(&en->list_lock);
	found = !list_empty(&gone);
	list_for_each_entry_safe(e, tmp, &gone, list)
		kipsec_encap_release(e);
	mutex_unlock(&en->lock);
	if (found)
		return 0;
	kipsec_err_fmt(info->extack, "no kipsec encapsulation socket on that port",
		       "no kipsec encapsulation socket on port %u", port);
	return -ENOENT;
}

int kipsec_nl_encap_attach(struct sk_buff *skb, struct genl_info *info)
{
	struct kipsec_encap_net *en = kipsec_pernet(genl_info_net(info))->encap;
	struct nlattr *a = info->attrs[KIPSEC_A_ENCAP_FD];
	struct socket *sock;
	struct sock *sk;
	int err;

	if (!a) {
		NL_SET_ERR_MSG(info->extack, "missing attribute KIPSEC_A_ENCAP_FD");
		NL_SET_ERR_ATTR_MISS(info->extack, NULL, KIPSEC_A_ENCAP_FD);
		return -EINVAL;
	}
	/* The request is handled in the sender's context: fd is its own. */
	sock = sockfd_lookup(nla_get_u32(a), &err);
	if (!sock) {
		if (err == -ENOTSOCK)
			NL_SET_ERR_MSG_ATTR(info->extack, a, "fd is not a socket");
		else
			NL_SET_ERR_MSG_ATTR(info->extack, a, "fd is not open");
		return err;
	}
	sk = sock->sk;
	err = -EPROTONOSUPPORT;
	if (!sk || sk->sk_type != SOCK_DGRAM || sk->sk_protocol != IPPROTO_UDP ||
	    (sk->sk_family != AF_INET && sk->sk_family != AF_INET6)) {
		NL_SET_ERR_MSG_ATTR(info->extack, a, "fd is not a UDP socket");
		goto out;
	}
	err = -EINVAL;
	if (!net_eq(sock_net(sk), genl_info_net(info))) {
		NL_SET_ERR_MSG_ATTR(info->extack, a, "the socket is in another network namespace");
		goto out;
	}
	if (!kipsec_encap_sk_port(sk)) {
		NL_SET_ERR_MSG_ATTR(info->extack, a, "the socket is not bound to a port");
		goto out;
	}
	mutex_lock(&en->lock);
	err = kipsec_encap_attach_sk(en, sock, false, info->extack);
	mutex_unlock(&en->lock);
out:
	sockfd_put(sock);
	return err;
}

int kipsec_nl_encap_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct kipsec_encap_net *en = kipsec_pernet(sock_net(skb->sk))->encap;
	struct kipsec_encap_sock *e;
	long i = 0, skip = cb->args[0];
	void *hdr;

	spin_lock_bh(&en->list_lock);
	list_for_each_entry(e, &en->socks, list) {
		if (i++ < skip)
			continue;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
				  &kipsec_genl_family, NLM_F_MULTI, KIPSEC_CMD_ENCAP_GET);
		if (!hdr)
			break;
		if (nla_put_u16(skb, KIPSEC_A_ENCAP_PORT, e->port) ||
		    nla_put_u16(skb, KIPSEC_A_ENCAP_FAMILY, e->family) ||
		    (!e->sock && nla_put_flag(skb, KIPSEC_A_ENCAP_ATTACHED))) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0] = i;
	}
	spin_unlock_bh(&en->list_lock);
	return skb->len;
}

/* Output ---------------------------------------------------------------- */

int kipsec_encap_output(struct sk_buff *skb, struct kipsec_sa *sa)
{
	unsigned int hl, ulen;
	struct udphdr *uh;

	if (sa->id.family == AF_INET)
		hl = ip_hdrlen(skb);
	else if (ipv6_hdr(skb)->nexthdr == IPPROTO_ESP)
		hl = sizeof(struct ipv6hdr);
	else
		return -EINVAL;
	if (skb_cow_head(skb, sizeof(*uh)))
		return -ENOMEM;
	skb_push(skb, sizeof(*uh));
	memmove(skb->data, skb->data + sizeof(*uh), hl);
	skb_reset_network_header(skb);
	skb_set_transport_header(skb, hl);
	ulen = skb->len - hl;
	uh = udp_hdr(skb);
	uh->source = sa->encap.sport;
	uh->dest = sa->encap.dport;
	uh->len = htons(ulen);
	uh->check = 0;
	if (sa->id.family == AF_INET) {
		struct iphdr *iph = ip_hdr(skb);

		iph->protocol = IPPROTO_UDP;
		iph->tot_len = htons(skb->len);
		ip_send_check(iph);
	} else {
		struct ipv6hdr *ip6h = ipv6_hdr(skb);

		ip6h->nexthdr = IPPROTO_UDP;
		ip6h->payload_len = htons(ulen);
		uh->check = csum_ipv6_magic(&ip6h->saddr, &ip6h->daddr, ulen, IPPROTO_UDP,
					    skb_checksum(skb, hl, ulen, 0));
		if (!uh->check)
			uh->check = CSUM_MANGLED_0;
	}
	skb->ip_summed = CHECKSUM_NONE;
	/* A new UDP flow for conntrack, not the clear packet's. */
	nf_reset_ct(skb);
	return 0;
}

bool kipsec_encap_is_ours(struct kipsec_net *kn, struct sk_buff *skb, u16 family)
{
	struct { struct udphdr uh; __be32 spi; } _h, *h;
	union kipsec_addr daddr = {};
	struct kipsec_sa *sa;
	unsigned int off;

	if (family == AF_INET) {
		if (ip_hdr(skb)->protocol != IPPROTO_UDP)
			return false;
		off = ip_hdrlen(skb);
		daddr.a4 = ip_hdr(skb)->daddr;
	} else {
		if (ipv6_hdr(skb)->nexthdr != IPPROTO_UDP)
			return false;
		off = sizeof(struct ipv6hdr);
		daddr.in6 = ipv6_hdr(skb)->daddr;
	}
	h = skb_header_pointer(skb, skb_network_offset(skb) + off, sizeof(_h), &_h);
	if (!h || !h->spi)
		return false;
	sa = kipsec_sa_lookup_rcu(kn, IPPROTO_ESP, ntohl(h->spi), family, &daddr);
	return sa && sa->encap.type && sa->encap.sport == h->uh.source &&
	       sa->encap.dport == h->uh.dest;
}

/* Input ----------------------------------------------------------------- */

void kipsec_encap_input_check(struct sk_buff *skb, struct kipsec_sa *sa)
{
	struct kipsec_encap *enc = &sa->encap;
	union kipsec_addr src = {};
	const struct udphdr *uh;
	unsigned long now = jiffies;
	bool report;

	if (sa->id.family == AF_INET) {
		src.a4 = ip_hdr(skb)->saddr;
		uh = (void *)(skb_network_header(skb) + ip_hdrlen(skb));
	} else {
		src.in6 = ipv6_hdr(skb)->saddr;
		uh = (void *)(skb_network_header(skb) + sizeof(struct ipv6hdr));
	}
	if (uh->source == enc->sport && kipsec_addr_equal(sa->id.family, &src, &sa->saddr))
		return;
	/* Once per new address/port, again only after KIPSEC_MAPPING_REPEAT. */
	spin_lock(&sa->lock);
	report = !enc->map_time || uh->source != enc->map_port ||
		 !kipsec_addr_equal(sa->id.family, &src, &enc->map_addr) ||
		 time_after(now, enc->map_time + KIPSEC_MAPPING_REPEAT);
	if (report) {
		enc->map_addr = src;
		enc->map_port = uh->source;
		enc->map_time = now | 1;
	}
	spin_unlock(&sa->lock);
	if (!report)
		return;
	KIPSEC_INC_STATS(sa->kn, ENCAP_MAPPINGS);
	kipsec_event_mapping(sa, &src, uh->source);
}

/* Netns ------------------------------------------------------------------ */

int kipsec_encap_net_init(struct kipsec_net *kn)
{
	struct kipsec_encap_net *en = kzalloc(sizeof(*en), GFP_KERNEL);

	if (!en)
		return -ENOMEM;
	mutex_init(&en->lock);
	spin_lock_init(&en->list_lock);
	INIT_LIST_HEAD(&en->socks);
	kn->encap = en;
	return 0;
}

void kipsec_encap_net_exit(struct kipsec_net *kn)
{
	struct kipsec_encap_net *en = kn->encap;
	struct kipsec_encap_sock *e, *tmp;
	LIST_HEAD(gone);

	mutex_lock(&en->lock);
	spin_lock_bh(&en->list_lock);
	list_splice_init(&en->socks, &gone);
	spin_unlock_bh(&en->list_lock);
	list_for_each_entry_safe(e, tmp, &gone, list)
		kipsec_encap_release(e);
	mutex_unlock(&en->lock);
	kfree(en);
}
