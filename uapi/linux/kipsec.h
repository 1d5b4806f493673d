/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * kipsec - the generic netlink interface of the kipsec IPsec module.
 *
 * Family name "kipsec" (KIPSEC_GENL_NAME), version KIPSEC_GENL_VERSION.
 * Every request is validated strictly: unknown attributes, wrong lengths and
 * out-of-range values are rejected with an extack message that names the
 * attribute.  A rejected request changes nothing.
 *
 * Objects
 * -------
 * SA (security association), identified by (proto, spi, family, dst).
 *   KIPSEC_CMD_SA_ADD     create; -EEXIST if the identity is taken
 *   KIPSEC_CMD_SA_UPDATE  replace keys/lifetimes/encap of an existing SA
 *                         atomically (-ENOENT if missing)
 *   KIPSEC_CMD_SA_DEL     delete by identity
 *   KIPSEC_CMD_SA_GET     doit: one SA by identity; dumpit: all SAs, resumable
 *                         (NLM_F_DUMP), optionally filtered by KIPSEC_A_SA_PROTO
 *   KIPSEC_CMD_SA_FLUSH   delete all (optionally only KIPSEC_A_SA_PROTO)
 *
 * SP (security policy), identified by KIPSEC_A_SP_ID (assigned by the kernel
 * on add and returned in the reply) or by (dir, selector, priority).
 *   KIPSEC_CMD_SP_ADD / _UPDATE / _DEL / _GET (doit+dumpit) / _FLUSH
 *
 * Global counters: KIPSEC_CMD_STATS_GET returns KIPSEC_A_STATS, a nest of
 * KIPSEC_A_STAT entries, each a nest of KIPSEC_STAT_NAME (string, the name a
 * user reads, e.g. "InNoStates") and KIPSEC_STAT_VALUE (u64).  Names are
 * stable; new counters may be appended.
 *
 * UDP encapsulation (RFC 3948): KIPSEC_CMD_ENCAP_ADD/_DEL/_GET open, close
 * and list kipsec-owned ESP-in-UDP sockets per netns (KIPSEC_A_ENCAP_PORT,
 * optional KIPSEC_A_ENCAP_FAMILY; default both families).  These accept ESP
 * only.  KIPSEC_CMD_ENCAP_ATTACH with KIPSEC_A_ENCAP_FD attaches
 * decapsulation to a bound UDP socket owned by the caller (an IKE daemon's
 * port 4500 socket; the fd is the sender's): ESP is consumed by kipsec,
 * everything else (the non-ESP marker, IKE) stays on the socket.  It is
 * detached when the socket is closed, by KIPSEC_CMD_ENCAP_DEL with its
 * KIPSEC_A_ENCAP_FD, or when kipsec goes.  The dump marks such sockets with
 * KIPSEC_A_ENCAP_ATTACHED.  An SA with KIPSEC_A_SA_ENCAP only accepts ESP in
 * UDP, and an SA without it only plain ESP.  NAT keepalives (0xff) are
 * dropped on both kinds of socket.
 *
 * Events (multicast group KIPSEC_MCGRP_EVENTS):
 *   KIPSEC_CMD_ACQUIRE  an outbound packet hit a protect policy with no SA:
 *                       KIPSEC_A_SP_ID, KIPSEC_A_SP_DIR, KIPSEC_A_SEL (the
 *                       packet's addresses/ports as a host selector),
 *                       KIPSEC_A_TMPL (the first template without SA).
 *   KIPSEC_CMD_EXPIRE   an SA reached a lifetime: SA identity attributes,
 *                       KIPSEC_A_EXPIRE_HARD (flag) when hard.
 *   KIPSEC_CMD_MAPPING  the outer source address/port of an ESP-in-UDP SA
 *                       changed (seen on an authenticated packet): SA
 *                       identity, KIPSEC_A_SA_MODE, KIPSEC_A_SA_REQID,
 *                       KIPSEC_A_SA_ENCAP (the new source port),
 *                       KIPSEC_A_MAPPING_NEW_SRC (new address).  Once per
 *                       new address/port, at most every 30 s; the SA is not
 *                       changed (KIPSEC_CMD_SA_UPDATE floats it).
 *   SA_ADD/SA_DEL/SP_ADD/SP_DEL are also multicast after they took effect.
 *
 * Byte order: integers are in host order, addresses in network order
 * (4 bytes for AF_INET, 16 for AF_INET6), SPIs as u32 in host order.
 */
#ifndef _UAPI_LINUX_KIPSEC_H
#define _UAPI_LINUX_KIPSEC_H

#include <linux/types.h>

#define KIPSEC_GENL_NAME	"kipsec"
#define KIPSEC_GENL_VERSION	1
#define KIPSEC_MCGRP_EVENTS	"events"

/* Largest replay window (packets) an SA may have. */
#define KIPSEC_REPLAY_MAX	4096
/* Largest key (bytes) for any algorithm, salt included. */
#define KIPSEC_KEY_MAX		128
/* Longest algorithm name, NUL included (CRYPTO_MAX_ALG_NAME). */
#define KIPSEC_ALG_NAME_MAX	128

enum kipsec_cmd {
	KIPSEC_CMD_UNSPEC,
	KIPSEC_CMD_GET_VERSION,	/* reply: KIPSEC_A_VERSION, KIPSEC_A_UAPI_VERSION */
	KIPSEC_CMD_SA_ADD,
	KIPSEC_CMD_SA_UPDATE,
	KIPSEC_CMD_SA_DEL,
	KIPSEC_CMD_SA_GET,
	KIPSEC_CMD_SA_FLUSH,
	KIPSEC_CMD_SP_ADD,
	KIPSEC_CMD_SP_UPDATE,
	KIPSEC_CMD_SP_DEL,
	KIPSEC_CMD_SP_GET,
	KIPSEC_CMD_SP_FLUSH,
	KIPSEC_CMD_STATS_GET,
	KIPSEC_CMD_ENCAP_ADD,
	KIPSEC_CMD_ENCAP_DEL,
	KIPSEC_CMD_ENCAP_GET,
	KIPSEC_CMD_ENCAP_ATTACH,
	KIPSEC_CMD_ACQUIRE,	/* event */
	KIPSEC_CMD_EXPIRE,	/* event */
	KIPSEC_CMD_MAPPING,	/* event */
	__KIPSEC_CMD_MAX
};
#define KIPSEC_CMD_MAX (__KIPSEC_CMD_MAX - 1)

enum kipsec_mode {
	KIPSEC_MODE_TRANSPORT = 0,
	KIPSEC_MODE_TUNNEL = 1,
};

enum kipsec_dir {
	KIPSEC_DIR_IN = 0,
	KIPSEC_DIR_OUT = 1,
	KIPSEC_DIR_FWD = 2,
};

enum kipsec_action {
	KIPSEC_ACTION_PROTECT = 0,	/* apply the templates ("ipsec") */
	KIPSEC_ACTION_BYPASS = 1,	/* pass in clear ("none") */
	KIPSEC_ACTION_DISCARD = 2,	/* drop ("discard") */
};

enum kipsec_level {
	KIPSEC_LEVEL_REQUIRE = 0,	/* SA required; any SA matching the template */
	KIPSEC_LEVEL_USE = 1,		/* use an SA if there is one, else clear */
	KIPSEC_LEVEL_UNIQUE = 2,	/* SA required, bound to this policy (reqid) */
};

/* KIPSEC_A_SA_FLAGS */
#define KIPSEC_SAF_ESN		(1U << 0)	/* 64-bit extended sequence numbers */
#define KIPSEC_SAF_NOPMTUDISC	(1U << 1)	/* never send ICMP too-big for this SA */

/* KIPSEC_ENCAP_TYPE: the only kind is ESP in UDP, RFC 3948 (UDP_ENCAP_ESPINUDP) */
#define KIPSEC_ENCAP_ESPINUDP	2

enum kipsec_attr {
	KIPSEC_A_UNSPEC,
	KIPSEC_A_VERSION,		/* string: module version */
	KIPSEC_A_UAPI_VERSION,		/* u32: KIPSEC_GENL_VERSION */

	/* SA identity */
	KIPSEC_A_SA_PROTO,		/* u8: IPPROTO_ESP or IPPROTO_AH */
	KIPSEC_A_SA_SPI,		/* u32, host order, >= 256 */
	KIPSEC_A_SA_FAMILY,		/* u16: outer family AF_INET/AF_INET6 */
	KIPSEC_A_SA_SRC,		/* binary: outer source address */
	KIPSEC_A_SA_DST,		/* binary: outer destination address */
	/* SA parameters */
	KIPSEC_A_SA_MODE,		/* u8: enum kipsec_mode */
	KIPSEC_A_SA_REQID,		/* u32 */
	KIPSEC_A_SA_FLAGS,		/* u32: KIPSEC_SAF_* */
	KIPSEC_A_SA_REPLAY_WINDOW,	/* u32: 0 (off) .. KIPSEC_REPLAY_MAX */
	KIPSEC_A_SA_AEAD_ALG,		/* string: "rfc4106(gcm(aes))" or friendly name */
	KIPSEC_A_SA_AEAD_KEY,		/* binary: key followed by salt/nonce */
	KIPSEC_A_SA_AEAD_ICV,		/* u32: ICV length in bits */
	/* string: "cbc(aes)", "ecb(cipher_null)", legacy "cbc(des3_ede)", "cbc(blowfish)" */
	KIPSEC_A_SA_ENC_ALG,
	KIPSEC_A_SA_ENC_KEY,		/* binary */
	/*
	 * string: "hmac(sha256)", ...; absent or "digest_null" (empty key, no
	 * TRUNC) with ENC_ALG: ESP without integrity, a 0-byte ICV as XFRM
	 * (dumps say "digest_null")
	 */
	KIPSEC_A_SA_AUTH_ALG,
	KIPSEC_A_SA_AUTH_KEY,		/* binary */
	KIPSEC_A_SA_AUTH_TRUNC,		/* u32: truncated ICV length in bits */
	KIPSEC_A_SA_SEL,		/* nest (enum kipsec_sel_attr): inner traffic */
	KIPSEC_A_SA_LIFETIME,		/* nest (enum kipsec_lft_attr): limits */
	KIPSEC_A_SA_CURLFT,		/* nest (enum kipsec_lft_attr), output: usage so far */
	KIPSEC_A_SA_ENCAP,		/* nest (enum kipsec_encap_attr) */
	KIPSEC_A_SA_COUNTERS,		/* nest of KIPSEC_A_STAT, output: per-SA counters */
	KIPSEC_A_SA_SEQ_OUT,		/* u64, output: last sequence number sent */
	KIPSEC_A_SA_SEQ_IN,		/* u64, output: highest sequence number received */
	KIPSEC_A_SA_PAD,

	/* SP */
	KIPSEC_A_SP_ID,			/* u32: kernel-assigned policy id */
	KIPSEC_A_SP_DIR,		/* u8: enum kipsec_dir */
	KIPSEC_A_SP_ACTION,		/* u8: enum kipsec_action */
	KIPSEC_A_SP_PRIORITY,		/* u32: lower value wins; default 0x80000 */
	KIPSEC_A_SP_SEL,		/* nest (enum kipsec_sel_attr) */
	KIPSEC_A_SP_TMPLS,		/* nest of KIPSEC_A_TMPL (outermost last, max 4) */
	KIPSEC_A_SP_COUNTERS,		/* nest of KIPSEC_A_STAT, output: packets/bytes matched */

	KIPSEC_A_TMPL,			/* nest (enum kipsec_tmpl_attr) */
	KIPSEC_A_SEL,			/* nest (enum kipsec_sel_attr) in events */

	/* counters */
	KIPSEC_A_STATS,			/* nest of KIPSEC_A_STAT */
	KIPSEC_A_STAT,			/* nest (enum kipsec_stat_attr) */

	/* encapsulation sockets */
	KIPSEC_A_ENCAP_PORT,		/* u16: UDP port of a kipsec-owned socket */
	KIPSEC_A_ENCAP_FD,		/* u32: fd of a caller's UDP socket */
	KIPSEC_A_ENCAP_FAMILY,		/* u16: AF_INET or AF_INET6 (default both) */

	/* events */
	KIPSEC_A_EXPIRE_HARD,		/* flag */
	KIPSEC_A_MAPPING_NEW_SRC,	/* binary: new outer source address */

	KIPSEC_A_ENCAP_ATTACHED,	/* flag, output: a caller's socket (ENCAP_ATTACH) */

	__KIPSEC_A_MAX
};
#define KIPSEC_A_MAX (__KIPSEC_A_MAX - 1)

/*
 * Traffic selector: source and destination prefixes, upper-layer protocol
 * (0 = any) and ports (0 = any).  For ICMP/ICMPv6, KIPSEC_SEL_ICMP_TYPE and
 * KIPSEC_SEL_ICMP_CODE select on the message type instead of ports.
 * A missing address means the whole family (prefix length 0).
 */
enum kipsec_sel_attr {
	KIPSEC_SEL_UNSPEC,
	KIPSEC_SEL_FAMILY,		/* u16 */
	KIPSEC_SEL_SRC,			/* binary */
	KIPSEC_SEL_SRC_PLEN,		/* u8 */
	KIPSEC_SEL_DST,			/* binary */
	KIPSEC_SEL_DST_PLEN,		/* u8 */
	KIPSEC_SEL_PROTO,		/* u8: IPPROTO_*, 0 = any */
	KIPSEC_SEL_SPORT,		/* u16 */
	KIPSEC_SEL_DPORT,		/* u16 */
	KIPSEC_SEL_ICMP_TYPE,		/* u8 */
	KIPSEC_SEL_ICMP_CODE,		/* u8 */
	__KIPSEC_SEL_MAX
};
#define KIPSEC_SEL_MAX (__KIPSEC_SEL_MAX - 1)

/* Policy template: which SA protects matching traffic. */
enum kipsec_tmpl_attr {
	KIPSEC_TMPL_UNSPEC,
	KIPSEC_TMPL_PROTO,		/* u8: IPPROTO_ESP or IPPROTO_AH */
	KIPSEC_TMPL_MODE,		/* u8: enum kipsec_mode */
	KIPSEC_TMPL_FAMILY,		/* u16: family of SRC/DST (tunnel endpoints) */
	KIPSEC_TMPL_SRC,		/* binary: tunnel source (tunnel mode) */
	KIPSEC_TMPL_DST,		/* binary: tunnel destination (tunnel mode) */
	KIPSEC_TMPL_LEVEL,		/* u8: enum kipsec_level */
	KIPSEC_TMPL_REQID,		/* u32: 0 = any SA */
	KIPSEC_TMPL_SPI,		/* u32: 0 = any SA */
	__KIPSEC_TMPL_MAX
};
#define KIPSEC_TMPL_MAX (__KIPSEC_TMPL_MAX - 1)

/* Lifetimes: limits (KIPSEC_A_SA_LIFETIME) and usage (KIPSEC_A_SA_CURLFT). 0 = none. */
enum kipsec_lft_attr {
	KIPSEC_LFT_UNSPEC,
	KIPSEC_LFT_SOFT_BYTES,		/* u64 */
	KIPSEC_LFT_HARD_BYTES,		/* u64 */
	KIPSEC_LFT_SOFT_PACKETS,	/* u64 */
	KIPSEC_LFT_HARD_PACKETS,	/* u64 */
	KIPSEC_LFT_SOFT_ADD,		/* u64: seconds after add */
	KIPSEC_LFT_HARD_ADD,		/* u64 */
	KIPSEC_LFT_SOFT_USE,		/* u64: seconds after first use */
	KIPSEC_LFT_HARD_USE,		/* u64 */
	KIPSEC_LFT_PAD,
	__KIPSEC_LFT_MAX
};
#define KIPSEC_LFT_MAX (__KIPSEC_LFT_MAX - 1)

/* In KIPSEC_A_SA_CURLFT the same attributes carry: BYTES/PACKETS in the
 * HARD_ slots, the add and first-use times (seconds since the epoch) in
 * HARD_ADD and HARD_USE.
 */

enum kipsec_encap_attr {
	KIPSEC_ENCAP_UNSPEC,
	KIPSEC_ENCAP_TYPE,		/* u8: KIPSEC_ENCAP_ESPINUDP */
	KIPSEC_ENCAP_SPORT,		/* u16 */
	KIPSEC_ENCAP_DPORT,		/* u16 */
	KIPSEC_ENCAP_OA,		/* binary: original address (transport mode NAT-T) */
	__KIPSEC_ENCAP_MAX
};
#define KIPSEC_ENCAP_MAX (__KIPSEC_ENCAP_MAX - 1)

enum kipsec_stat_attr {
	KIPSEC_STAT_UNSPEC,
	KIPSEC_STAT_NAME,		/* string */
	KIPSEC_STAT_VALUE,		/* u64 */
	KIPSEC_STAT_PAD,
	__KIPSEC_STAT_MAX
};
#define KIPSEC_STAT_MAX (__KIPSEC_STAT_MAX - 1)

#endif /* _UAPI_LINUX_KIPSEC_H */
