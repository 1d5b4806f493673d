/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IKEv2 Mediation Extension (draft-brunner-ikev2-mediation-00, as strongSwan
 * implements it): wire constants, the ME_* notify encoders and bounds-checked
 * parsers, connectivity-check authentication, endpoint pairs and their
 * order, and the mediation server's peer registry.  Plain data, no I/O and
 * no timers: the exchanges (ME_CONNECT, checks) will drive these.
 * Documentation/mediation.md describes the protocol and kipsec's design.
 */
#ifndef KIKED_ME_H
#define KIKED_ME_H

#include "kiked.h"

/* Exchange type (private use range) and payload type of the peer's ID. */
#define EXCH_ME_CONNECT		240
#define PL_ID_PEER		128

/* Notify types: ME_CONNECT_FAILED is an error type, the rest status types
 * from the private use range. */
enum me_notify {
	N_ME_CONNECT_FAILED = 8192,
	N_ME_MEDIATION = 40962,
	N_ME_ENDPOINT = 40963,
	N_ME_CALLBACK = 40964,
	N_ME_CONNECTID = 40965,
	N_ME_CONNECTKEY = 40966,
	N_ME_CONNECTAUTH = 40967,
	N_ME_RESPONSE = 40968,
};

/* ME_ENDPOINT: Priority(4) Family(1) Type(1) Port(2) Address(4|16). */
enum me_family { ME_FAM_NONE = 0, ME_FAM_IPV4 = 1, ME_FAM_IPV6 = 2 };
enum me_ep_type {
	ME_EP_NONE = 0,
	ME_EP_HOST = 1,
	ME_EP_PEER_REFLEXIVE = 2,
	ME_EP_SERVER_REFLEXIVE = 3,
	ME_EP_RELAYED = 4,
};

/* Type preferences (the high 16 bits of an endpoint's priority). */
#define ME_PREF_HOST		255
#define ME_PREF_PEER		128
#define ME_PREF_SERVER		64
#define ME_PREF_RELAY		0

#define ME_CONNECTID_LEN	4	/* what strongSwan sends */
#define ME_CONNECTKEY_LEN	16
#define ME_ID_MAX		32	/* accepted on receipt */
#define ME_KEY_MIN		16
#define ME_KEY_MAX		64
#define ME_AUTH_LEN		20	/* SHA-1 */
#define ME_ENDPOINT_MAX_LEN	24
#define ME_MAX_ENDPOINTS	16	/* per message */
#define ME_MAX_PAIRS		64

struct me_endpoint {
	uint32_t prio;
	uint8_t type;			/* enum me_ep_type */
	struct sockaddr_storage addr;	/* ss_family 0: no address (a request) */
	struct sockaddr_storage base;	/* local address it is reached through
					 * (reflexive ones), ss_family 0 = addr */
};

uint32_t me_prio(uint8_t type, uint16_t local_pref);
void me_endpoint_set(struct me_endpoint *ep, uint8_t type,
		     const struct sockaddr_storage *addr,
		     const struct sockaddr_storage *base);
/* Encoded notification data into out (at least ME_ENDPOINT_MAX_LEN): its
 * length, 0 for an address family ME_ENDPOINT cannot carry. */
size_t me_endpoint_encode(const struct me_endpoint *ep, uint8_t *out);
/* 0, or -1 with the reason in err. */
int me_endpoint_parse(const uint8_t *p, size_t len, struct me_endpoint *ep,
		      char *err, size_t errlen);
const char *me_ep_type_str(uint8_t type);
/* Same family and address (and port, with port set). */
bool me_addr_eq(const struct sockaddr_storage *a,
		const struct sockaddr_storage *b, bool port);

/* One notify payload's header, bounds-checked: type and data. */
int me_notify_split(const struct payload *pl, uint16_t *type,
		    const uint8_t **data, size_t *len);

/* What the ME_* notifies of one message carry. */
struct me_info {
	bool mediation, callback, response, failed;
	uint8_t connect_id[ME_ID_MAX];
	size_t connect_id_len;		/* 0: absent */
	uint8_t connect_key[ME_KEY_MAX];
	size_t connect_key_len;
	uint8_t auth[ME_AUTH_LEN];
	bool has_auth;
	int nep;
	struct me_endpoint ep[ME_MAX_ENDPOINTS];
	/* The raw data of the first ME_ENDPOINT (a check signs it as sent). */
	uint8_t ep_raw[ME_ENDPOINT_MAX_LEN];
	size_t ep_raw_len;
};

/* Collects the ME_* notifies among npl payloads.  Malformed data, a
 * duplicated ME_CONNECTID/ME_CONNECTKEY/ME_CONNECTAUTH, lengths out of
 * range or more than ME_MAX_ENDPOINTS endpoints: -1 and the reason. */
int me_collect(const struct payload *pl, int npl, struct me_info *info,
	       char *err, size_t errlen);
/* What an ME_CONNECT must carry: connect ID, key and at least one endpoint
 * with an address, unless it is the server's bare ME_CALLBACK or an
 * ME_CONNECT_FAILED.  0, or -1 with the reason. */
int me_connect_complete(const struct me_info *info, char *err, size_t errlen);

/* Notifies of an ME_CONNECT (or IKE_SA_INIT/IKE_AUTH) message. */
void me_put_flag(struct msg_builder *b, uint16_t type);
void me_put_endpoint(struct msg_builder *b, const struct me_endpoint *ep);
void me_put_connect(struct msg_builder *b, const struct me_info *info);

/* ME_CONNECTAUTH = SHA-1(message ID | connect ID | ME_ENDPOINT data |
 * sender's ME_CONNECTKEY), the key being the one its sender announced. */
int me_connectauth(uint32_t msgid, const uint8_t *cid, size_t cid_len,
		   const uint8_t *ep_raw, size_t ep_len, const uint8_t *key,
		   size_t key_len, uint8_t out[ME_AUTH_LEN]);
/* A received check's ME_CONNECTAUTH, in constant time: true when valid. */
bool me_connectauth_ok(uint32_t msgid, const struct me_info *info,
		       const uint8_t *key, size_t key_len);

/* ---- endpoint pairs (connectivity checks) ---- */
enum me_check_state { ME_WAITING, ME_IN_PROGRESS, ME_SUCCEEDED, ME_FAILED };

struct me_pair {
	uint32_t id;			/* 1..n, the checks' message ID */
	uint64_t prio;
	struct sockaddr_storage local, remote;
	uint8_t local_type, remote_type;
	int state;			/* enum me_check_state */
	int retransmitted;
};

/* ICE's pair priority: 2^32*min(I,R) + 2*max(I,R) + (I > R), I the
 * priority of the ME_CONNECT initiator's endpoint, R the responder's,
 * rounded to double precision as strongSwan computes it. */
uint64_t me_pair_prio(uint32_t init_prio, uint32_t resp_prio);
/* All pairs of same-family endpoints, local side the base of ours, by
 * priority (high first, ties in the order of the initiator's list, then
 * the responder's, as strongSwan orders them), the lower of two
 * identical local/remote pairs dropped, numbered from 1.  Returns how many
 * (at most max). */
int me_pairs_build(const struct me_endpoint *ours, int nours,
		   const struct me_endpoint *theirs, int ntheirs,
		   bool we_initiated, struct me_pair *out, int max);
/* Retransmission timeout (ms) before retransmission n (1-based) of a check,
 * strongSwan's schedule: 25 ms twice, then 25 * 1.8^(n-2); 0 once
 * ME_MAX_RETRANS retransmissions were sent (the pair failed). */
#define ME_CHECK_INTERVAL	25
#define ME_MAX_RETRANS		13
unsigned int me_check_rto(int n);

/* How a NAT mapped the same local endpoint towards two destinations: the
 * server saw srflx, the peer saw prflx (a peer-reflexive endpoint). */
enum me_mapping {
	ME_MAP_UNKNOWN,
	ME_MAP_NONE,		/* no NAT: both equal the base */
	ME_MAP_PRESERVED,	/* NAT keeps the port */
	ME_MAP_INDEPENDENT,	/* port changed, same for both destinations */
	ME_MAP_DEPENDENT,	/* different per destination: symmetric */
};
int me_mapping_classify(const struct sockaddr_storage *base,
			const struct sockaddr_storage *srflx,
			const struct sockaddr_storage *prflx);
const char *me_mapping_str(int m);

/* ---- the mediation server's registry ---- */
#define ME_MAX_WAITERS		16

struct me_peer {
	struct ike_id id;		/* its identity on the mediation conn */
	uint64_t sa;			/* its mediation IKE_SA, 0: offline */
	int nwait;			/* peers waiting for it (ME_CALLBACK) */
	struct ike_id waiting[ME_MAX_WAITERS];
};

struct me_registry {
	int n, cap;
	struct me_peer *peers;
};

bool me_id_eq(const struct ike_id *a, const struct ike_id *b);
void me_reg_init(struct me_registry *r);
void me_reg_free(struct me_registry *r);
/* id came online on IKE_SA sa (or moved to it).  The peers that asked for
 * a callback are returned in cb (at most max; the list is cleared).
 * Returns their number, or -1 when the registry is full. */
int me_reg_online(struct me_registry *r, const struct ike_id *id, uint64_t sa,
		  struct ike_id *cb, int max);
/* IKE_SA sa went away: its peer goes offline and its own pending requests
 * for callbacks are dropped. */
void me_reg_offline(struct me_registry *r, uint64_t sa);
/* The mediation IKE_SA of id, 0 when offline or unknown. */
uint64_t me_reg_lookup(const struct me_registry *r, const struct ike_id *id);
/* requester asks for peer: its IKE_SA when online; otherwise 0, and with
 * callback set the requester waits for peer (at most ME_MAX_WAITERS). */
uint64_t me_reg_request(struct me_registry *r, const struct ike_id *peer,
			const struct ike_id *requester, bool callback);

/* ---- exchanges (me_server.c, shared with me_client.c) ---- */
/* Queues an ME_CONNECT request (ID_PEER peer, info's notifies) on IKE_SA
 * to, sent when no other request of it is outstanding. */
void me_enqueue(struct ike_sa *to, const struct ike_id *peer,
		const struct me_info *info);
/* The ME_CONNECT response to the current request of sa: empty or notify. */
void me_respond(struct ike_sa *sa, uint16_t notify);

/* ---- configuration (conf.c's hooks) ---- */
/* mediation=, mediated_by=, me_peerid= of conn c at line: stored; -1 for a
 * mediation= value other than yes or no. */
int me_conf_kv(struct conn *c, const char *key, const char *val, int line);
/* After all conns are read: mediated_by names a mediation=yes conn, no
 * conn is both, me_peerid only with mediated_by.  0, or -1 after logging
 * why. */
int me_conf_check(const struct config *cf, const char *file);

#endif
