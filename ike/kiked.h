/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kiked: a small IKEv2 (RFC 7296) daemon for kipsec.
 *
 * One header for the whole daemon: the wire constants, the parsed message,
 * the configuration and the IKE_SA state.  Files are split by concern:
 * msg.c (one bounds-checked parser/serialiser), sa.c (SA payload and
 * proposal matching), ts.c (traffic selectors), crypto.c (OpenSSL),
 * conf.c (ipsec.conf/ipsec.secrets), ikesa.c (state and keys),
 * exch_init.c, exch_auth.c, exch_info.c (one file per exchange),
 * net.c (sockets, timers, retransmission), natt.c (NAT traversal),
 * log.c and main.c; me.c/me.h (IKEv2 mediation payloads, pairs, registry),
 * me_server.c and me_client.c (the mediation exchanges and checks;
 * Documentation/mediation.md).
 */
#ifndef KIKED_H
#define KIKED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* ---- wire constants (RFC 7296 section 3) ---- */
#define IKE_HDR_LEN		28
#define IKE_VERSION		0x20
#define IKE_FLAG_I		0x08
#define IKE_FLAG_R		0x20
#define IKE_MSG_MAX		8192

enum ike_exch {
	EXCH_IKE_SA_INIT = 34,
	EXCH_IKE_AUTH = 35,
	EXCH_CREATE_CHILD_SA = 36,
	EXCH_INFORMATIONAL = 37,
};

enum ike_pl {
	PL_NONE = 0, PL_SA = 33, PL_KE = 34, PL_IDI = 35, PL_IDR = 36,
	PL_CERT = 37, PL_CERTREQ = 38, PL_AUTH = 39, PL_NONCE = 40,
	PL_NOTIFY = 41, PL_DELETE = 42, PL_VENDOR = 43, PL_TSI = 44,
	PL_TSR = 45, PL_SK = 46,
};

enum ike_proto { PROTO_IKE = 1, PROTO_AH = 2, PROTO_ESP = 3 };

enum ike_xf_type { XF_ENCR = 1, XF_PRF = 2, XF_INTEG = 3, XF_DH = 4, XF_ESN = 5 };

enum { ENCR_AES_CBC = 12, ENCR_AES_GCM_16 = 20 };
enum { PRF_HMAC_SHA2_256 = 5, PRF_HMAC_SHA2_384 = 6, PRF_HMAC_SHA2_512 = 7 };
enum { AUTH_HMAC_SHA2_256_128 = 12, AUTH_HMAC_SHA2_384_192 = 13,
       AUTH_HMAC_SHA2_512_256 = 14 };
enum { DH_MODP2048 = 14, DH_ECP256 = 19, DH_ECP384 = 20, DH_CURVE25519 = 31 };

enum ike_notify {
	N_INVALID_SYNTAX = 7,
	N_INVALID_MESSAGE_ID = 9,
	N_NO_PROPOSAL_CHOSEN = 14,
	N_INVALID_KE_PAYLOAD = 17,
	N_AUTHENTICATION_FAILED = 24,
	N_TS_UNACCEPTABLE = 38,
	N_TEMPORARY_FAILURE = 43,
	N_CHILD_SA_NOT_FOUND = 44,
	N_INITIAL_CONTACT = 16384,
	N_NAT_DETECTION_SOURCE_IP = 16388,
	N_NAT_DETECTION_DESTINATION_IP = 16389,
	N_COOKIE = 16390,
	N_USE_TRANSPORT_MODE = 16391,
	N_REKEY_SA = 16393,
	N_SIGNATURE_HASH_ALGORITHMS = 16431,
};

enum ike_id_type {
	ID_IPV4_ADDR = 1, ID_FQDN = 2, ID_RFC822_ADDR = 3, ID_IPV6_ADDR = 5,
	ID_DER_ASN1_DN = 9, ID_KEY_ID = 11,
};

enum { AUTH_METHOD_PSK = 2, AUTH_METHOD_DSIG = 14 };
enum { CERT_X509_SIG = 4 };
enum { TS_IPV4_ADDR_RANGE = 7, TS_IPV6_ADDR_RANGE = 8 };

/* ---- small helpers ---- */
struct buf {
	uint8_t *p;
	size_t len;
};

void buf_free(struct buf *b);
void buf_wipe(struct buf *b);
int buf_set(struct buf *b, const void *p, size_t len);
int buf_cat(struct buf *b, const void *p, size_t len);

/* ---- parsed message ---- */
#define MSG_MAX_PL	32

struct payload {
	uint8_t type;
	bool critical;
	const uint8_t *body;	/* points into the message buffer */
	size_t len;		/* body length, generic header excluded */
};

struct ike_msg {
	uint64_t spi_i, spi_r;	/* as on the wire (network order bytes) */
	uint8_t spi_i_b[8], spi_r_b[8];
	uint8_t exch, flags;
	uint32_t msgid;
	uint8_t first_pl;
	int npl;
	struct payload pl[MSG_MAX_PL];
	/* SK payload, when present (before decryption). */
	size_t sk_off;		/* offset of the SK generic header */
	size_t sk_len;		/* whole SK payload incl. header */
	uint8_t sk_next;	/* first inner payload */
	uint8_t *raw;		/* whole datagram */
	size_t raw_len;
	uint8_t *plain;		/* decrypted SK contents (owned) */
	size_t plain_len;
	const char *bad;	/* why parsing failed, for the log */
};

int msg_parse_hdr(struct ike_msg *m, uint8_t *raw, size_t len);
int msg_parse_chain(struct ike_msg *m, uint8_t first, const uint8_t *p,
		    size_t len, bool inner);
const struct payload *msg_find(const struct ike_msg *m, uint8_t type);
const struct payload *msg_notify(const struct ike_msg *m, uint16_t ntype);
void msg_free(struct ike_msg *m);

/* Serialiser: payloads are appended to a builder, the header is written
 * last when the length is known. */
struct msg_builder {
	uint8_t buf[IKE_MSG_MAX];
	size_t len;
	size_t last_np;		/* offset of the "next payload" byte to patch */
	bool overflow;
};

void mb_init(struct msg_builder *b);
void mb_put(struct msg_builder *b, const void *p, size_t len);
void mb_u8(struct msg_builder *b, uint8_t v);
void mb_u16(struct msg_builder *b, uint16_t v);
void mb_u32(struct msg_builder *b, uint32_t v);
size_t mb_pl_begin(struct msg_builder *b, uint8_t type);
void mb_pl_end(struct msg_builder *b, size_t start);
void mb_notify(struct msg_builder *b, uint8_t proto, uint16_t type,
	       const void *data, size_t len);

/* ---- proposals ---- */
#define PROP_MAX_XF	8

struct xform {
	uint8_t type;
	uint16_t id;
	uint16_t keylen;	/* bits, 0 = none */
};

struct proposal {
	uint8_t num, proto;
	uint8_t spi_len;
	uint8_t spi[8];
	int nxf;
	struct xform xf[96];
};

/* A negotiated suite: one transform of each kind. */
struct suite {
	uint16_t encr, encr_keylen, prf, integ, dh, esn;
	bool has_integ, has_dh;
};

#define CONF_MAX_PROPS	8
struct prop_list {
	int n;
	struct proposal p[CONF_MAX_PROPS];
};

int sa_parse(const uint8_t *p, size_t len, struct proposal *out, int max);
void sa_write(struct msg_builder *b, const struct proposal *props, int n);
int sa_choose(const struct proposal *offered, int noff,
	      const struct prop_list *conf, struct proposal *chosen,
	      struct suite *s);
int suite_from_prop(const struct proposal *p, struct suite *s);
void prop_str(const struct proposal *p, char *out, size_t len);
void props_with_spi(const struct prop_list *l, const uint8_t *spi,
		    uint8_t len, struct proposal *out);
uint16_t props_first_group(const struct prop_list *l);
bool props_have_group(const struct prop_list *l, uint16_t g);
void put_u32be(uint8_t *p, uint32_t v);
uint32_t get_u32be(const uint8_t *p);
int props_parse(const char *spec, uint8_t proto, struct prop_list *out,
		char *err, size_t errlen);
/* Like props_parse; keep_dh keeps the DH groups of ESP proposals (PFS for
 * CREATE_CHILD_SA, RFC 7296 1.3.1). */
int props_parse_ex(const char *spec, uint8_t proto, bool keep_dh,
		   struct prop_list *out, char *err, size_t errlen);

/* ---- traffic selectors ---- */
struct ts {
	uint8_t type, proto;
	uint16_t sport, eport;
	uint8_t start[16], end[16];
};

#define TS_MAX 8
struct ts_list {
	int n;
	struct ts t[TS_MAX];
};

int ts_parse(const uint8_t *p, size_t len, struct ts_list *out);
void ts_write(struct msg_builder *b, uint8_t type, const struct ts_list *l);
int ts_from_subnet(const char *s, struct ts *t);
int ts_narrow(const struct ts_list *proposed, const struct ts_list *conf,
	      struct ts_list *out);
void ts_list_str(const struct ts_list *l, char *out, size_t len);
struct ike_sa;
void ts_host(struct ts *t, const struct sockaddr_storage *a);
void ts_nat_transport(const struct ike_sa *sa, struct ts_list *local,
		      struct ts_list *remote);
int ts_narrow_child(const struct ike_sa *sa, bool transport,
		    const struct ts_list *pi, const struct ts_list *pr,
		    struct ts_list *ti, struct ts_list *tr);
void ts_write_child(struct ike_sa *sa, struct msg_builder *b,
		    const struct ts_list *l, const struct ts_list *r);
void ts_from_flow(int family, const void *src, const void *dst, uint8_t proto,
		  uint16_t sport, uint16_t dport, struct ts *s, struct ts *d);

/* ---- crypto ---- */
struct dh;
struct dh *dh_new(uint16_t group);
int dh_public(struct dh *d, struct buf *pub);
int dh_shared(struct dh *d, const uint8_t *peer, size_t len, struct buf *out);
void dh_free(struct dh *d);
size_t dh_pub_len(uint16_t group);

size_t prf_len(uint16_t prf);
int prf(uint16_t prf, const uint8_t *key, size_t klen,
	const uint8_t *data, size_t dlen, uint8_t *out);
int prf_plus(uint16_t prf, const uint8_t *key, size_t klen,
	     const uint8_t *seed, size_t slen, uint8_t *out, size_t outlen);
size_t integ_key_len(uint16_t integ);
size_t integ_icv_len(uint16_t integ);
size_t encr_key_len(const struct suite *s);	/* incl. GCM salt */
int rand_bytes(void *p, size_t len);
void wipe(void *p, size_t len);

struct sk_keys {
	uint16_t encr, encr_keylen, integ;
	const uint8_t *ek;	/* encryption key (+ salt for GCM) */
	const uint8_t *ak;	/* integrity key, NULL for AEAD */
};

/* Encrypt the payload chain [inner,inner_len) into an SK payload appended
 * to b (whose header must already be in place), finish the message. */
int sk_seal(struct msg_builder *b, const struct sk_keys *k, uint8_t first,
	    const uint8_t *inner, size_t inner_len);
int sk_open(struct ike_msg *m, const struct sk_keys *k);

/* ---- configuration ---- */
struct secret {
	char ids[4][128];
	int nids;
	char psk[256];
	size_t psk_len;
};

struct ike_id {
	uint8_t type;
	uint8_t data[256];
	size_t len;
};

struct conn {
	char name[64];
	int line;
	char left[64], right[64];
	struct sockaddr_storage laddr, raddr;	/* ss_family 0 = %any */
	char leftid[128], rightid[128];
	struct ts_list lsub, rsub;
	bool lsub_set, rsub_set;
	struct prop_list ike, esp;
	struct prop_list esp_ccs;	/* esp= with its DH groups (PFS) */
	char ike_str[256], esp_str[256];
	bool transport;
	int auto_mode;			/* AUTO_* */
	int ikelifetime, lifetime, rekeymargin, rekeyfuzz, keyingtries;
	/* Volume limits, enforced by kipsec (soft = life - margin). */
	uint64_t lifepackets, marginpackets, lifebytes, marginbytes;
	int dpdaction, dpddelay, dpdtimeout;
	/* Certificates (cert.c): leftauth/rightauth=pubkey, our cert (X509 *). */
	bool lpub, rpub;
	char leftcert[256], rightca[256];
	bool leftid_cert;		/* leftid is leftcert's subject */
	void *cert;
	/* IKEv2 mediation (me.c): mediation=yes, mediated_by=, me_peerid=;
	 * me_line is the line of the first of them (0: none). */
	bool mediation;
	char mediated_by[64], me_peerid[128];
	int me_line;
	/* Trap policies in kipsec (auto=route, dpdaction=hold): out/in/fwd
	 * for lsub x rsub with no SA; an ACQUIRE on one of them initiates.
	 * The conn's CHILD_SAs take trap_reqid, so the traps steer into
	 * them; they stay when the CHILD_SAs go. */
	uint32_t trap_reqid;		/* 0 = no trap */
	int ntrap;
	uint32_t trap_id[3 * TS_MAX * TS_MAX];
};

enum { AUTO_IGNORE, AUTO_ADD, AUTO_ROUTE, AUTO_START };
enum { DPD_NONE, DPD_CLEAR, DPD_HOLD, DPD_RESTART };

#define CONF_MAX_CONNS 32
struct config {
	int nconns;
	struct conn conns[CONF_MAX_CONNS];
	int nsecrets;
	struct secret secrets[32];
	int half_open_max;
	int keepalive;		/* NAT keepalive interval (s), 0 = none */
};

int conf_load(struct config *c, const char *conf, const char *secrets);
int secrets_load(struct config *c, const char *path);
const struct secret *secret_find(const struct config *c, const char *me,
				 const char *peer);
int id_from_string(const char *s, struct ike_id *id);
void id_str(const struct ike_id *id, char *out, size_t len);
void conf_wipe(struct config *c);

/* ---- IKE SA ---- */
enum sa_state {
	ST_INIT_SENT, ST_AUTH_SENT, ST_INIT_DONE, ST_ESTABLISHED, ST_DELETING,
	ST_DEAD,
};

/* CHILD_SA life (RFC 7296 1.3, 2.8): installed, replaced by a rekey
 * (kept, inbound SA still decrypting, until its delete exchange), deleted. */
enum child_state {
	CH_NONE, CH_INSTALLED, CH_REKEYING, CH_REKEYED, CH_DELETING,
};

struct child_sa {
	bool up;
	enum child_state state;
	double rekey_at;	/* our own rekey deadline, 0 = none */
	bool del_queued;	/* INFORMATIONAL delete to send when idle */
	/* Rekey responder: the outbound SA is added when the initiator deletes
	 * the old CHILD_SA (it has our new inbound SA by then), or at out_at. */
	bool out_pending;
	double out_at;
	bool keymat_i;		/* we initiated the exchange that keyed it */
	uint32_t spi_in, spi_out;
	struct suite s;
	struct ts_list tsi, tsr;
	bool transport;
	/* KEYMAT, 2 * (ekl + akl) bytes (child_derive): kept while the
	 * CHILD_SA lives (a pending outbound SA, a float re-adds its SAs). */
	uint8_t *keymat;
	size_t ekl, akl;
	uint32_t reqid;
	/* Ids of its policies in kipsec: nsp of sp_max (3 * |TSi| * |TSr|,
	 * allocated when installed). */
	int nsp, sp_max;
	uint32_t *sp_id;
	bool sa_in, sa_out;	/* installed in kipsec */
};

/* CHILD_SAs of an IKE_SA: slots of ike_sa.child, allocated on demand
 * (child_alloc), freed once no longer up (child_gc, ikesa_free). */
#define CHILD_MAX 4

struct ike_sa {
	struct ike_sa *next;
	struct conn *conn;
	bool initiator;
	enum sa_state state;
	uint8_t spi_i[8], spi_r[8];
	struct sockaddr_storage local, peer;
	struct suite s;
	uint16_t dh_group;
	struct dh *dh;
	struct buf ni, nr, kei, ker, cookie;
	struct buf init_i, init_r;	/* IKE_SA_INIT messages for AUTH */
	uint8_t sk_d[64], sk_ai[64], sk_ar[64], sk_ei[36], sk_er[36],
		sk_pi[64], sk_pr[64];
	/* Requests we sent: message ID, retransmission state; req is the
	 * outstanding request (freed when its response arrives), resp our
	 * last response (kept for a retransmitted request, RFC 7296 2.1). */
	uint32_t next_msgid;
	struct buf req;
	int retries;
	double req_deadline, req_timeout;
	bool req_pending;
	uint8_t req_exch;
	/* Responder side: last answered request, for duplicates. */
	uint32_t peer_msgid;		/* next expected */
	struct buf resp;
	double last_rx, dpd_due;
	struct child_sa *child[CHILD_MAX];	/* NULL: free slot */
	/* NAT traversal (natt.c): NAT_HERE/NAT_THERE from NAT-D, next keepalive. */
	uint8_t nat;
	double ka_at;
	/* IKEv2 mediation (me_server.c): a mediation IKE_SA (ME_MEDIATION);
	 * the peer's authenticated identity (PSK lookup with rightid=%any,
	 * the server's registry). */
	bool me;
	bool peer_id_set;
	struct ike_id peer_id;
	/* An ACQUIRE's packet (kernel.c), proposed first in the next
	 * CHILD_SA's TSi/TSr (0 or 1 selector each), then cleared. */
	struct ts_list want_tsi, want_tsr;
	int ke_retries;
	/* Lifetimes: rekey (soft) and hard deadlines of the IKE_SA. */
	double ike_rekey_at, ike_expire_at;
	bool replaced;		/* rekeyed: waits for its delete, starts nothing */
	/* Our CREATE_CHILD_SA in flight (exch_child.c). */
	struct {
		int kind;		/* CCS_* */
		uint32_t old_spi_in;	/* CHILD_SA being rekeyed */
		uint32_t old_reqid;
		uint32_t spi_in;	/* new inbound SPI we proposed */
		uint8_t spi_i[8];	/* new IKE SPI we proposed */
		uint16_t dh_group;
		struct dh *dh;
		struct buf ni, ke;
		double retry_at;	/* after TEMPORARY_FAILURE */
		bool want_child;	/* `up` on an IKE_SA without CHILD_SA */
		/* Simultaneous rekey (2.8.1): the lower nonce of the peer's
		 * exchange that rekeyed the same CHILD_SA meanwhile. */
		uint8_t coll[256];
		size_t coll_len;
	} ccs;
};

enum { CCS_NONE, CCS_CHILD_NEW, CCS_CHILD_REKEY, CCS_IKE_REKEY };

struct ike_sa *ikesa_new(struct conn *c, bool initiator);
struct ike_sa *ikesa_find(const uint8_t spi_i[8], const uint8_t spi_r[8],
			  bool initiator_role);
struct ike_sa *ikesa_list(void);
void ikesa_free(struct ike_sa *sa);
void ikesa_reap(void);
/* old: the IKE_SA being rekeyed (SKEYSEED from its SK_d, 2.18), or NULL. */
int ikesa_derive(struct ike_sa *sa, const uint8_t *gir, size_t gir_len,
		 const struct ike_sa *old);
void ikesa_keys(const struct ike_sa *sa, bool out, struct sk_keys *k);
/* KEYMAT for ch from Ni | Nr (and g^ir for PFS, NULL without). */
int child_derive(struct ike_sa *sa, struct child_sa *ch, const struct buf *ni,
		 const struct buf *nr, const struct buf *gir);
/* A fresh CHILD_SA in a free slot (NULL: none left or no memory). */
struct child_sa *child_alloc(struct ike_sa *sa);
/* The CHILD_SA of IKE_AUTH (slot 0, allocated when needed), or NULL. */
struct child_sa *child_first(struct ike_sa *sa);
/* Frees the CHILD_SAs of an established sa that are no longer up (between
 * events: no caller holds a pointer to them then). */
void child_gc(struct ike_sa *sa);
/* Sizes sp_id for its selectors; -1 without memory. */
int child_sp_alloc(struct child_sa *ch);
struct child_sa *child_by_spi_out(struct ike_sa *sa, uint32_t spi);
struct child_sa *child_by_spi_in(struct ike_sa *sa, uint32_t spi);
/* Lifetimes from the conn: rekey deadlines with margin and fuzz. */
void child_schedule(struct ike_sa *sa, struct child_sa *ch);
void ikesa_schedule(struct ike_sa *sa);
int ikesa_send_request(struct ike_sa *sa, struct msg_builder *b);
int ikesa_send_response(struct ike_sa *sa, struct msg_builder *b);
int ikesa_encrypted_msg(struct ike_sa *sa, uint8_t exch, bool response,
			uint32_t msgid, struct msg_builder *inner,
			uint8_t first, struct msg_builder *out);
void ike_hdr(struct msg_builder *b, const uint8_t spi_i[8],
	     const uint8_t spi_r[8], uint8_t first, uint8_t exch,
	     uint8_t flags, uint32_t msgid);
void ike_hdr_finish(struct msg_builder *b);

/* ---- exchanges ---- */
int init_start(struct conn *c);
/* An IKE_SA of c from local to peer (a mediated one: me_client.c). */
struct ike_sa *init_start_at(struct conn *c, const struct sockaddr_storage *local,
			     const struct sockaddr_storage *peer);
int init_respond(struct ike_msg *m, const struct sockaddr_storage *from,
		 const struct sockaddr_storage *to);
int init_response(struct ike_sa *sa, struct ike_msg *m);
int auth_request(struct ike_sa *sa);
int auth_respond(struct ike_sa *sa, struct ike_msg *m);
int auth_response(struct ike_sa *sa, struct ike_msg *m);
int info_respond(struct ike_sa *sa, struct ike_msg *m);
int info_response(struct ike_sa *sa, struct ike_msg *m);
int info_delete(struct ike_sa *sa);
int info_dpd(struct ike_sa *sa);
/* Queues the delete of CHILD_SAs; sent by info_send_queued when no
 * request is outstanding, the SAs removed when the peer answers. */
void info_delete_child(struct ike_sa *sa, struct child_sa **ch, int n);
int info_send_queued(struct ike_sa *sa);
int ccs_respond(struct ike_sa *sa, struct ike_msg *m);
int ccs_response(struct ike_sa *sa, struct ike_msg *m);
int ccs_rekey_child(struct ike_sa *sa, struct child_sa *ch);
int ccs_rekey_ike(struct ike_sa *sa);
/* The established IKE_SA of c that has no CHILD_SA (for `up`), or NULL. */
struct ike_sa *ccs_childless(const struct conn *c);
void ccs_timers(struct ike_sa *sa, double t);
void child_timers(struct ike_sa *sa, double t);
void ccs_free(struct ike_sa *sa);
uint32_t new_spi(void);
void child_log(struct ike_sa *sa, struct child_sa *ch, const char *verb);
void log_no_proposal(const char *what, const char *conn,
		     const struct proposal *off, int noff,
		     const struct prop_list *conf, const char *conf_str);
/* ID payload body (type, 3 reserved, data) into b; returns body offset. */
size_t put_id(struct msg_builder *b, uint8_t pltype, const struct ike_id *id);
int parse_id(const struct payload *p, struct ike_id *id);
/* IDr, CERT and AUTH of our IKE_AUTH response into in; -1 after logging. */
int auth_put_idr(struct ike_sa *sa, struct msg_builder *in);
int psk_auth(struct ike_sa *sa, bool for_initiator, const uint8_t *idpl,
	     size_t idlen, uint8_t *out, size_t *outlen, const char **why);

/* ---- IKEv2 mediation exchanges (me_server.c) ---- */
/* IKE_SA_INIT response of a mediation=yes conn: ME_MEDIATION. */
void me_srv_init(struct ike_sa *sa, const struct ike_msg *m,
		 struct msg_builder *b);
/* IKE_AUTH of a mediation IKE_SA (no CHILD_SA), after authentication. */
int me_srv_auth(struct ike_sa *sa, struct ike_msg *m, const struct ike_id *gid);
/* An ME_CONNECT request on an established IKE_SA. */
int me_request(struct ike_sa *sa, struct ike_msg *m);
/* Sends one queued ME_CONNECT of sa (no request outstanding). */
void me_send_queued(struct ike_sa *sa);
/* sa is freed: unregister it, drop what was queued for it. */
void me_sa_gone(struct ike_sa *sa);
void me_status(void *file);
/* Client (me_client.c): a mediated conn's start (through its mediation
 * conn); the mediation IKE_SA's IKE_SA_INIT (ME_MEDIATION, or ME_CONNECTID
 * on a mediated IKE_SA), its response (ME_MEDIATION, float to 4500), its
 * IKE_AUTH request (server-reflexive endpoint request) and response. */
int me_cli_start(struct conn *c);
void me_cli_init(struct ike_sa *sa, struct msg_builder *b);
int me_cli_init_response(struct ike_sa *sa, const struct ike_msg *m);
void me_cli_auth_put(struct ike_sa *sa, struct msg_builder *in);
int me_cli_established(struct ike_sa *sa, struct ike_msg *m);
/* ME_CONNECT request/response on a client's mediation IKE_SA. */
int me_cli_request(struct ike_sa *sa, struct ike_msg *m);
void me_response(struct ike_sa *sa, struct ike_msg *m);
/* An unencrypted INFORMATIONAL with zero SPIs: a connectivity check. */
void me_check_rx(struct ike_msg *m, const struct sockaddr_storage *from,
		 const struct sockaddr_storage *to);
void me_cli_timers(double t);
/* An IKE_SA_INIT request carrying ME_CONNECTID: ends that checklist. */
void me_cli_init_rx(const struct ike_msg *m);
/* An ICMP error (type, code, from offender; offender's family 0 when
 * unknown) about a datagram we sent to dst (net.c, IP_RECVERR). */
void me_cli_icmp(const struct sockaddr_storage *dst, int type, int code,
		 const struct sockaddr_storage *offender);
/* The server deleted our mediation IKE_SA: register again. */
void me_cli_deleted(struct ike_sa *sa);

/* ---- certificates (cert.c) ---- */
extern const char *g_cacerts;	/* trust anchors, --cacerts */
extern const char *g_certdir;	/* relative leftcert (certs/), keys (private/) */
int cert_key_load(const char *file);
void cert_keys_clear(void);
int cert_conn_load(struct conn *c);
int cert_subject_id(const struct conn *c, struct ike_id *id);
int dn_to_der(const char *s, uint8_t *out, size_t *len);
void dn_str(const uint8_t *der, size_t len, char *out, size_t olen);
void cert_put_cert(struct msg_builder *b, const struct conn *c);
void cert_put_certreq(struct msg_builder *b);
int cert_sign(const struct conn *c, const uint8_t *oct, size_t ol,
	      struct buf *out, const char **why);
int cert_verify(const struct conn *c, const struct ike_msg *m,
		const struct ike_id *id, const uint8_t *auth, size_t alen,
		const uint8_t *oct, size_t ol);

/* ---- network / event loop ---- */
extern struct config g_conf;
extern bool g_no_kernel;
extern double g_rtx_base;
extern int g_rtx_tries;
double now(void);
extern uint16_t g_ike_port, g_natt_port;
/* IKE on port, NAT-T (non-ESP marker, kipsec attached) on natt_port (0: none). */
int net_open(uint16_t port, uint16_t natt_port);
int net_send(const struct sockaddr_storage *from,
	     const struct sockaddr_storage *to, const void *p, size_t len);
int net_send_keepalive(const struct sockaddr_storage *from,
		       const struct sockaddr_storage *to);
/* A keepalive that goes at most `hops` hops: it refreshes the mapping of a
 * NAT on the way and dies before the peer (me_client.c). */
int net_send_keepalive_hops(const struct sockaddr_storage *from,
			    const struct sockaddr_storage *to, int hops);
/* A one-byte datagram from an ephemeral port of from's address to `to`
 * with TTL ttl, whose ICMP errors go to me_cli_icmp (IPv4 only). */
int net_probe(const struct sockaddr_storage *from,
	      const struct sockaddr_storage *to, int ttl);
void net_dispatch(uint8_t *p, size_t len, const struct sockaddr_storage *from,
		  const struct sockaddr_storage *to);
void net_timers(void);
int net_loop(void);
const char *sa_str(const struct sockaddr_storage *s, char *buf, size_t len);
/* The address bytes of s (len 4, 16, or 0 for %any), its port (host order). */
const uint8_t *ss_addr(const struct sockaddr_storage *s, size_t *len);
uint16_t ss_port(const struct sockaddr_storage *s);
void ss_set_port(struct sockaddr_storage *s, uint16_t port);
void ss_make(struct sockaddr_storage *s, int family, const void *addr,
	     uint16_t port);
bool ss_same_addr(const struct sockaddr_storage *a,
		  const struct sockaddr_storage *b);
bool ss_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b);

/* ---- NAT traversal (natt.c, RFC 7296 2.23, RFC 3948) ---- */
enum { NAT_HERE = 1, NAT_THERE = 2, NAT_ANY = 3, NAT_D_SEEN = 4 };
/* kipsec decapsulates ESP arriving on our NAT-T socket fd. */
void natt_attach(int fd, int family, uint16_t port);
/* NAT_DETECTION_SOURCE_IP/DESTINATION_IP for an IKE_SA_INIT message. */
void natt_put(struct msg_builder *b, const struct ike_sa *sa);
/* From the peer's IKE_SA_INIT message: sets sa->nat, floats to 4500. */
void natt_detect(struct ike_sa *sa, const struct ike_msg *m,
		 const struct sockaddr_storage *from,
		 const struct sockaddr_storage *to);
/* An authenticated message from/to other endpoints: float the IKE_SA. */
void natt_update(struct ike_sa *sa, const struct sockaddr_storage *from,
		 const struct sockaddr_storage *to);
/* kipsec's MAPPING event: ESP of inbound SA spi came from new_peer. */
void natt_mapping(uint32_t spi, const struct sockaddr_storage *new_peer);
void natt_timers(struct ike_sa *sa, double t);
/* Re-sends c's SAs with the IKE_SA's endpoints (SA_UPDATE; an outbound SA
 * whose peer address changed is added anew, then the old one deleted). */
void child_float(struct ike_sa *sa, struct child_sa *c,
		 const struct sockaddr_storage *old_peer);
/* rekey_of: the CHILD_SA this one replaces (same reqid and policies; the
 * new SAs are added before the old ones go: make-before-break), or NULL. */
int child_install(struct ike_sa *sa, struct child_sa *ch,
		  const struct child_sa *rekey_of);
void child_uninstall(struct ike_sa *sa, struct child_sa *ch);
void child_uninstall_all(struct ike_sa *sa);
/* Adds a pending outbound SA (see child_sa.out_pending). */
void child_activate_out(struct ike_sa *sa, struct child_sa *ch);
/* Trap policies of c (see struct conn); 0 when installed or nothing to do. */
int trap_install(struct conn *c);
void trap_uninstall(struct conn *c);
/* After a reload: traps move to the new conn of the same name and
 * subnets, the others are removed; new auto=route conns get theirs. */
void trap_reload(struct config *old, struct config *nc);
/* Kernel events (soft/hard EXPIRE, ACQUIRE): fd to poll, -1 without kipsec. */
int knl_event_fd(void);
void knl_event_read(void);

/* ---- logging ---- */
enum { L_ERR, L_WARN, L_INFO, L_DBG };
enum { SS_IKE, SS_CFG, SS_NET, SS_KNL, SS_ENC, SS_MAX };
extern int log_level[SS_MAX];
void logm(int ss, int lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void log_setup(const char *spec, bool use_syslog);

#endif
