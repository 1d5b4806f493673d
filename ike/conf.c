// SPDX-License-Identifier: GPL-2.0
/*
 * ipsec.conf and ipsec.secrets in the syntax strongSwan's starter reads (the
 * subset the seeds use).  Every option we do not implement is reported with
 * file and line; every bad value names the option, the line, the value and
 * what was expected.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include "kiked.h"
#include "me.h"

struct kv {
	char key[32];
	char val[256];
	int line;
};

struct section {
	char name[64];
	bool is_setup;
	int line;
	int nkv;
	struct kv kv[64];
};

struct raw_conf {
	const char *file;
	int nsec;
	struct section sec[CONF_MAX_CONNS + 2];
};

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

static int unquote(char *v)
{
	size_t l = strlen(v);

	if (l && (v[0] == '"' || v[0] == '\'')) {
		if (l < 2 || v[l - 1] != v[0])
			return -1;
		memmove(v, v + 1, l - 2);
		v[l - 2] = 0;
	}
	return 0;
}

static int read_raw(struct raw_conf *rc, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512];
	int ln = 0;
	struct section *cur = NULL;

	if (!f) {
		logm(SS_CFG, L_ERR, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	rc->file = path;
	while (fgets(line, sizeof(line), f)) {
		bool indented = line[0] == ' ' || line[0] == '\t';
		char *s, *hash, *eq;

		ln++;
		hash = strchr(line, '#');
		if (hash && !memchr(line, '"', (size_t)(hash - line)))
			*hash = 0;
		s = trim(line);
		if (!*s)
			continue;
		if (!indented) {
			char kw[16], name[64];

			if (rc->nsec >= (int)(sizeof(rc->sec) / sizeof(rc->sec[0]))) {
				logm(SS_CFG, L_ERR, "%s:%d: too many sections (max %d)",
				     path, ln, CONF_MAX_CONNS);
				goto fail;
			}
			if (!strcmp(s, "config setup")) {
				cur = &rc->sec[rc->nsec++];
				memset(cur, 0, sizeof(*cur));
				cur->is_setup = true;
				cur->line = ln;
				continue;
			}
			if (sscanf(s, "%15s %63s", kw, name) == 2 && !strcmp(kw, "conn")) {
				cur = &rc->sec[rc->nsec++];
				memset(cur, 0, sizeof(*cur));
				snprintf(cur->name, sizeof(cur->name), "%s", name);
				cur->line = ln;
				continue;
			}
			if (!strncmp(s, "include", 7)) {
				logm(SS_CFG, L_WARN, "%s:%d: 'include' is not supported by kiked, ignoring '%s'",
				     path, ln, s);
				continue;
			}
			logm(SS_CFG, L_ERR, "%s:%d: expected 'config setup' or 'conn NAME', got '%s'",
			     path, ln, s);
			goto fail;
		}
		eq = strchr(s, '=');
		if (!cur || !eq) {
			logm(SS_CFG, L_ERR, "%s:%d: expected an indented 'key=value' inside a section, got '%s'",
			     path, ln, s);
			goto fail;
		}
		*eq = 0;
		if (cur->nkv >= 64) {
			logm(SS_CFG, L_ERR, "%s:%d: too many options in section", path, ln);
			goto fail;
		}
		{
			struct kv *kv = &cur->kv[cur->nkv++];

			snprintf(kv->key, sizeof(kv->key), "%s", trim(s));
			snprintf(kv->val, sizeof(kv->val), "%s", trim(eq + 1));
			kv->line = ln;
			if (unquote(kv->val)) {
				logm(SS_CFG, L_ERR, "%s:%d: %s: unterminated quote in '%s'",
				     path, ln, kv->key, kv->val);
				goto fail;
			}
		}
	}
	fclose(f);
	return 0;
fail:
	fclose(f);
	return -1;
}

static int parse_addr(const char *v, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (!strcmp(v, "%any") || !strcmp(v, "%defaultroute") || !*v)
		return 0;
	if (inet_pton(AF_INET, v, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(500);
		return 0;
	}
	if (inet_pton(AF_INET6, v, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(500);
		return 0;
	}
	return -1;
}

/* Seconds from "60", "60s", "10m", "1h", "1d". */
static int parse_time(const char *v, int *out)
{
	char *end;
	long n = strtol(v, &end, 10);

	if (end == v || n < 0)
		return -1;
	switch (*end) {
	case 0: case 's': break;
	case 'm': n *= 60; break;
	case 'h': n *= 3600; break;
	case 'd': n *= 86400; break;
	default: return -1;
	}
	if (*end && end[1])
		return -1;
	*out = (int)n;
	return 0;
}

static int parse_subnets(const char *v, struct ts_list *l)
{
	char tmp[256], *save = NULL;

	l->n = 0;
	snprintf(tmp, sizeof(tmp), "%s", v);
	for (char *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (l->n >= TS_MAX || ts_from_subnet(trim(t), &l->t[l->n]))
			return -1;
		l->n++;
	}
	return l->n ? 0 : -1;
}

/* Options recognised but belonging to features this kiked does not have. */
static const char *const unsupported[] = {
	"rightcert",
	"leftca", "leftsourceip", "rightsourceip", "compress",
	"fragmentation", "leftfirewall", "rightfirewall", "leftupdown",
	"aggressive", "reauth", "forceencaps", "closeaction",
};

static const char *const setup_known[] = {
	"charondebug", "uniqueids", "strictcrlpolicy", "cachecrls",
	"plutodebug", "nat_traversal", "keepalive",
};

/* lifepackets, marginpackets, lifebytes, marginbytes: the field, or NULL. */
static uint64_t *volume_field(struct conn *c, const char *k)
{
	if (!strcmp(k, "lifepackets"))
		return &c->lifepackets;
	if (!strcmp(k, "marginpackets"))
		return &c->marginpackets;
	if (!strcmp(k, "lifebytes"))
		return &c->lifebytes;
	if (!strcmp(k, "marginbytes"))
		return &c->marginbytes;
	return NULL;
}

#define BAD(fmt, ...) do { \
	logm(SS_CFG, L_ERR, "%s:%d: %s=%s: " fmt, file, kv->line, kv->key, \
	     kv->val, ##__VA_ARGS__); \
	return -1; } while (0)

/* 0: a volume limit, applied; 1: another option; -1: bad value. */
static int apply_volume(struct conn *c, const struct kv *kv, const char *file)
{
	uint64_t *vol = volume_field(c, kv->key);
	unsigned long long n;
	char extra;

	if (!vol)
		return 1;
	if (sscanf(kv->val, "%llu%c", &n, &extra) != 1 || kv->val[0] == '-') {
		logm(SS_CFG, L_ERR, "%s:%d: %s=%s: expected a number", file, kv->line,
		     kv->key, kv->val);
		return -1;
	}
	*vol = n;
	return 0;
}

static int apply_kv(struct conn *c, const struct kv *kv, const char *file)
{
	const char *k = kv->key, *v = kv->val;
	char err[256];

	if (!strcmp(k, "left")) {
		snprintf(c->left, sizeof(c->left), "%s", v);
		if (parse_addr(v, &c->laddr))
			BAD("expected an IP address, %%any or %%defaultroute");
	} else if (!strcmp(k, "right")) {
		snprintf(c->right, sizeof(c->right), "%s", v);
		if (parse_addr(v, &c->raddr))
			BAD("expected an IP address or %%any");
	} else if (!strcmp(k, "leftid")) {
		snprintf(c->leftid, sizeof(c->leftid), "%s", v);
	} else if (!strcmp(k, "rightid")) {
		snprintf(c->rightid, sizeof(c->rightid), "%s", v);
	} else if (!strcmp(k, "leftsubnet")) {
		if (parse_subnets(v, &c->lsub))
			BAD("expected comma-separated subnets like 10.1.0.0/16");
		c->lsub_set = true;
	} else if (!strcmp(k, "rightsubnet")) {
		if (parse_subnets(v, &c->rsub))
			BAD("expected comma-separated subnets like 10.2.0.0/16");
		c->rsub_set = true;
	} else if (!strcmp(k, "ike")) {
		if (props_parse(v, PROTO_IKE, &c->ike, err, sizeof(err)))
			BAD("%s", err);
		snprintf(c->ike_str, sizeof(c->ike_str), "%s", v);
	} else if (!strcmp(k, "esp")) {
		if (props_parse(v, PROTO_ESP, &c->esp, err, sizeof(err)) ||
		    props_parse_ex(v, PROTO_ESP, true, &c->esp_ccs, err, sizeof(err)))
			BAD("%s", err);
		snprintf(c->esp_str, sizeof(c->esp_str), "%s", v);
	} else if (!strcmp(k, "keyexchange")) {
		if (strcmp(v, "ikev2"))
			BAD("kiked speaks IKEv2 only, expected 'ikev2'");
	} else if (!strcmp(k, "authby") || !strcmp(k, "leftauth") ||
		   !strcmp(k, "rightauth")) {
		bool pub = !strcmp(v, "pubkey") || !strcmp(v, "rsasig") ||
			   !strcmp(v, "ecdsasig") || !strcmp(v, "rsa") ||
			   !strcmp(v, "ecdsa");

		if (!pub && strcmp(v, "psk") && strcmp(v, "secret"))
			BAD("expected psk, secret, pubkey, rsasig or ecdsasig");
		if (k[0] != 'r')
			c->lpub = pub;
		if (k[0] != 'l')
			c->rpub = pub;
	} else if (!strcmp(k, "leftcert")) {
		snprintf(c->leftcert, sizeof(c->leftcert), "%s", v);
	} else if (!strcmp(k, "rightca")) {
		snprintf(c->rightca, sizeof(c->rightca), "%s", v);
	} else if (!strcmp(k, "leftsendcert")) {
		if (strcmp(v, "always") && strcmp(v, "yes") && strcmp(v, "ifasked"))
			BAD("kiked always sends its certificate, expected 'always' or 'ifasked'");
	} else if (!strcmp(k, "type")) {
		if (!strcmp(v, "transport"))
			c->transport = true;
		else if (!strcmp(v, "tunnel"))
			c->transport = false;
		else
			BAD("expected 'tunnel' or 'transport'");
	} else if (!strcmp(k, "auto")) {
		if (!strcmp(v, "ignore"))
			c->auto_mode = AUTO_IGNORE;
		else if (!strcmp(v, "add"))
			c->auto_mode = AUTO_ADD;
		else if (!strcmp(v, "route"))
			c->auto_mode = AUTO_ROUTE;
		else if (!strcmp(v, "start"))
			c->auto_mode = AUTO_START;
		else
			BAD("expected ignore, add, route or start");
	} else if (!strcmp(k, "ikelifetime")) {
		if (parse_time(v, &c->ikelifetime))
			BAD("expected a time like 3h, 60m or 30s");
	} else if (!strcmp(k, "keylife") || !strcmp(k, "lifetime")) {
		if (parse_time(v, &c->lifetime))
			BAD("expected a time like 1h, 60m or 30s");
	} else if (!strcmp(k, "rekeymargin") || !strcmp(k, "margintime")) {
		if (parse_time(v, &c->rekeymargin))
			BAD("expected a time like 9m or 30s");
	} else if (!strcmp(k, "rekeyfuzz")) {
		if (sscanf(v, "%d%%", &c->rekeyfuzz) != 1 || c->rekeyfuzz < 0)
			BAD("expected a percentage like 100%%");
	} else if (!strcmp(k, "keyingtries")) {
		if (!strcmp(v, "%forever"))
			c->keyingtries = 0;
		else if (sscanf(v, "%d", &c->keyingtries) != 1 || c->keyingtries < 0)
			BAD("expected a number or %%forever");
	} else if (!strcmp(k, "dpdaction")) {
		if (!strcmp(v, "none"))
			c->dpdaction = DPD_NONE;
		else if (!strcmp(v, "clear"))
			c->dpdaction = DPD_CLEAR;
		else if (!strcmp(v, "hold"))
			c->dpdaction = DPD_HOLD;
		else if (!strcmp(v, "restart"))
			c->dpdaction = DPD_RESTART;
		else
			BAD("expected none, clear, hold or restart");
	} else if (!strcmp(k, "dpddelay")) {
		if (parse_time(v, &c->dpddelay))
			BAD("expected a time like 30s");
	} else if (!strcmp(k, "dpdtimeout")) {
		if (parse_time(v, &c->dpdtimeout))
			BAD("expected a time like 150s");
	} else if (!strcmp(k, "mobike")) {
		if (strcmp(v, "no"))
			BAD("MOBIKE is not implemented, expected 'no'");
	} else if (!strcmp(k, "mediation") || !strcmp(k, "mediated_by") ||
		   !strcmp(k, "me_peerid")) {
		if (me_conf_kv(c, k, v, kv->line))
			BAD("expected yes or no");
	} else {
		for (size_t i = 0; i < sizeof(unsupported) / sizeof(*unsupported); i++)
			if (!strcmp(k, unsupported[i])) {
				logm(SS_CFG, L_WARN, "%s:%d: conn %s: option '%s' is not supported by this kiked yet; ignored",
				     file, kv->line, c->name, k);
				return 0;
			}
		logm(SS_CFG, L_WARN, "%s:%d: conn %s: unknown option '%s'; ignored",
		     file, kv->line, c->name, k);
	}
	return 0;
}

static const struct section *find_sec(const struct raw_conf *rc, const char *n)
{
	for (int i = 0; i < rc->nsec; i++)
		if (!rc->sec[i].is_setup && !strcmp(rc->sec[i].name, n))
			return &rc->sec[i];
	return NULL;
}

/* Apply a section, following also= first so the section's own values win. */
static int apply_sec(struct conn *c, const struct raw_conf *rc,
		     const struct section *s, int depth)
{
	if (depth > 8) {
		logm(SS_CFG, L_ERR, "%s:%d: conn %s: also= nests too deep (loop?)",
		     rc->file, s->line, s->name);
		return -1;
	}
	for (int i = 0; i < s->nkv; i++) {
		const struct kv *kv = &s->kv[i];
		const struct section *inc;

		if (strcmp(kv->key, "also"))
			continue;
		inc = find_sec(rc, kv->val);
		if (!inc) {
			logm(SS_CFG, L_ERR, "%s:%d: also=%s: no conn of that name",
			     rc->file, kv->line, kv->val);
			return -1;
		}
		if (apply_sec(c, rc, inc, depth + 1))
			return -1;
	}
	for (int i = 0; i < s->nkv; i++) {
		int r;

		if (!strcmp(s->kv[i].key, "also"))
			continue;
		r = apply_volume(c, &s->kv[i], rc->file);
		if (r < 0 || (r > 0 && apply_kv(c, &s->kv[i], rc->file)))
			return -1;
	}
	return 0;
}

static void conn_defaults(struct conn *c)
{
	char err[128];

	memset(c, 0, sizeof(*c));
	c->ikelifetime = 3 * 3600;
	c->lifetime = 3600;
	c->rekeymargin = 540;
	c->rekeyfuzz = 100;
	c->keyingtries = 3;
	c->dpdaction = DPD_NONE;
	c->dpddelay = 30;
	c->dpdtimeout = 150;
	props_parse("aes256gcm16-prfsha256-ecp256-curve25519-modp2048,aes256-aes128-sha256-sha384-prfsha256-ecp256-modp2048",
		    PROTO_IKE, &c->ike, err, sizeof(err));
	props_parse("aes256gcm16-aes128gcm16,aes256-aes128-sha256",
		    PROTO_ESP, &c->esp, err, sizeof(err));
	c->esp_ccs = c->esp;
}

static bool is_local(const struct sockaddr_storage *a)
{
	int fd;
	bool ok;

	if (!a->ss_family)
		return false;
	fd = socket(a->ss_family, SOCK_DGRAM, 0);
	if (fd < 0)
		return false;
	{
		struct sockaddr_storage t = *a;

		((struct sockaddr_in *)&t)->sin_port = 0;
		ok = bind(fd, (struct sockaddr *)&t, a->ss_family == AF_INET ?
			  sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)) == 0;
	}
	close(fd);
	return ok;
}

/* Like starter: "left" is us unless only "right" is a local address. */
static void orient(struct conn *c)
{
	if (!is_local(&c->laddr) && is_local(&c->raddr)) {
		struct conn t = *c;

		memcpy(c->left, t.right, sizeof(c->left));
		memcpy(c->right, t.left, sizeof(c->right));
		c->laddr = t.raddr;
		c->raddr = t.laddr;
		memcpy(c->leftid, t.rightid, sizeof(c->leftid));
		memcpy(c->rightid, t.leftid, sizeof(c->rightid));
		c->lsub = t.rsub;
		c->rsub = t.lsub;
		c->lsub_set = t.rsub_set;
		c->rsub_set = t.lsub_set;
		c->lpub = t.rpub;
		c->rpub = t.lpub;
	}
	/* With certificates, leftid defaults to the subject DN and the peer
	 * may present any ID its certificate proves. */
	if (!c->leftid[0] && c->laddr.ss_family && !c->leftcert[0])
		snprintf(c->leftid, sizeof(c->leftid), "%s", c->left);
	if (!c->rightid[0] && c->raddr.ss_family && !c->rpub)
		snprintf(c->rightid, sizeof(c->rightid), "%s", c->right);
	if (!c->lsub_set && c->laddr.ss_family)
		parse_subnets(c->left, &c->lsub);
	if (!c->rsub_set && c->raddr.ss_family)
		parse_subnets(c->right, &c->rsub);
}

int conf_load(struct config *cf, const char *conf, const char *secrets)
{
	static struct raw_conf rc;
	const struct section *def;

	memset(&rc, 0, sizeof(rc));
	memset(cf, 0, sizeof(*cf));
	cf->half_open_max = 20;
	cf->keepalive = 20;
	if (read_raw(&rc, conf))
		return -1;
	def = find_sec(&rc, "%default");
	for (int i = 0; i < rc.nsec; i++) {
		const struct section *s = &rc.sec[i];
		struct conn *c;

		if (s->is_setup) {
			for (int j = 0; j < s->nkv; j++) {
				bool known = false;

				for (size_t k = 0; k < sizeof(setup_known) / sizeof(*setup_known); k++)
					known |= !strcmp(s->kv[j].key, setup_known[k]);
				if (!known)
					logm(SS_CFG, L_WARN, "%s:%d: config setup: unknown option '%s'; ignored",
					     conf, s->kv[j].line, s->kv[j].key);
				if (!strcmp(s->kv[j].key, "keepalive") &&
				    parse_time(s->kv[j].val, &cf->keepalive)) {
					logm(SS_CFG, L_ERR, "%s:%d: config setup: keepalive=%s: expected seconds like 20s (0: none)",
					     conf, s->kv[j].line, s->kv[j].val);
					return -1;
				}
			}
			continue;
		}
		if (!strcmp(s->name, "%default"))
			continue;
		c = &cf->conns[cf->nconns++];
		conn_defaults(c);
		snprintf(c->name, sizeof(c->name), "%s", s->name);
		c->line = s->line;
		if ((def && apply_sec(c, &rc, def, 0)) || apply_sec(c, &rc, s, 0))
			return -1;
		orient(c);
		if (cert_conn_load(c))
			return -1;
		if (!c->raddr.ss_family && c->auto_mode >= AUTO_ROUTE && !c->mediated_by[0]) {
			logm(SS_CFG, L_ERR, "%s:%d: conn %s: auto=%s needs a concrete right= address",
			     conf, s->line, c->name, c->auto_mode == AUTO_ROUTE ? "route" : "start");
			return -1;
		}
	}
	if (me_conf_check(cf, conf))
		return -1;
	return secrets ? secrets_load(cf, secrets) : 0;
}

/* Lines: [ID ...] : PSK "secret", or : RSA|ECDSA FILE (a PEM private key,
 * relative paths under g_certdir/private). */
int secrets_load(struct config *cf, const char *path)
{
	struct stat st;
	FILE *f;
	char line[512];
	int ln = 0;

	if (stat(path, &st)) {
		logm(SS_CFG, L_ERR, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	if (st.st_mode & 077) {
		logm(SS_CFG, L_ERR, "%s: refusing secrets readable or writable by group/other (mode %04o); fix with: chmod 600 %s",
		     path, (unsigned int)(st.st_mode & 07777), path);
		return -1;
	}
	f = fopen(path, "r");
	if (!f) {
		logm(SS_CFG, L_ERR, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	cert_keys_clear();
	while (fgets(line, sizeof(line), f)) {
		char *s = line, *colon, *save = NULL, *kind, *val;
		struct secret *sec;

		ln++;
		while (isspace((unsigned char)*s))
			s++;
		if (!*s || *s == '#')
			continue;
		colon = strstr(s, ": ");
		if (!colon && *s == ':')
			colon = s;
		if (!colon) {
			logm(SS_CFG, L_ERR, "%s:%d: expected '[IDs] : PSK \"secret\"'", path, ln);
			goto fail;
		}
		*colon = 0;
		kind = trim(colon + 1);
		if ((!strncmp(kind, "RSA", 3) || !strncmp(kind, "ECDSA", 5)) &&
		    isspace((unsigned char)kind[kind[0] == 'R' ? 3 : 5])) {
			val = trim(kind + (kind[0] == 'R' ? 3 : 5));
			if (unquote(val) || cert_key_load(val))
				goto fail;
			continue;
		}
		if (strncmp(kind, "PSK", 3) || !isspace((unsigned char)kind[3])) {
			logm(SS_CFG, L_WARN, "%s:%d: secret type '%.8s' is not supported by kiked (only PSK, RSA, ECDSA); ignored",
			     path, ln, kind);
			continue;
		}
		val = trim(kind + 3);
		if (unquote(val)) {
			logm(SS_CFG, L_ERR, "%s:%d: PSK: unterminated quote", path, ln);
			goto fail;
		}
		if (cf->nsecrets >= (int)(sizeof(cf->secrets) / sizeof(cf->secrets[0])))
			goto fail;
		sec = &cf->secrets[cf->nsecrets++];
		memset(sec, 0, sizeof(*sec));
		for (char *t = strtok_r(s, " \t", &save); t && sec->nids < 4;
		     t = strtok_r(NULL, " \t", &save))
			snprintf(sec->ids[sec->nids++], sizeof(sec->ids[0]), "%s", t);
		snprintf(sec->psk, sizeof(sec->psk), "%s", val);
		sec->psk_len = strlen(sec->psk);
		wipe(line, sizeof(line));
	}
	fclose(f);
	return 0;
fail:
	wipe(line, sizeof(line));
	fclose(f);
	return -1;
}

static bool id_match(const char *a, const char *b)
{
	if (*a == '@')
		a++;
	if (*b == '@')
		b++;
	return !strcmp(a, b) || !strcmp(a, "%any");
}

/* Best match: both IDs listed, then one, then a catch-all ": PSK". */
const struct secret *secret_find(const struct config *cf, const char *me,
				 const char *peer)
{
	const struct secret *best = NULL;
	int best_score = -1;

	for (int i = 0; i < cf->nsecrets; i++) {
		const struct secret *s = &cf->secrets[i];
		int score = 0;
		bool m_me = false, m_peer = false;

		for (int j = 0; j < s->nids; j++) {
			m_me |= id_match(s->ids[j], me);
			m_peer |= id_match(s->ids[j], peer);
		}
		if (s->nids && !m_me && !m_peer)
			continue;
		score = (m_me ? 1 : 0) + (m_peer ? 2 : 0);
		if (score > best_score) {
			best = s;
			best_score = score;
		}
	}
	return best;
}

int id_from_string(const char *s, struct ike_id *id)
{
	memset(id, 0, sizeof(*id));
	if (inet_pton(AF_INET, s, id->data) == 1) {
		id->type = ID_IPV4_ADDR;
		id->len = 4;
	} else if (inet_pton(AF_INET6, s, id->data) == 1) {
		id->type = ID_IPV6_ADDR;
		id->len = 16;
	} else if (!strncmp(s, "@#", 2)) {
		size_t n = strlen(s + 2) / 2;

		if (n > sizeof(id->data))
			return -1;
		for (size_t i = 0; i < n; i++)
			if (sscanf(s + 2 + 2 * i, "%2hhx", &id->data[i]) != 1)
				return -1;
		id->type = ID_KEY_ID;
		id->len = n;
	} else if (*s == '@') {
		id->type = ID_FQDN;
		id->len = strlen(s + 1);
		if (id->len > sizeof(id->data))
			return -1;
		memcpy(id->data, s + 1, id->len);
	} else if (strchr(s, '=')) {
		id->len = sizeof(id->data);
		if (dn_to_der(s, id->data, &id->len))
			return -1;
		id->type = ID_DER_ASN1_DN;
	} else {
		id->type = strchr(s, '@') ? ID_RFC822_ADDR : ID_FQDN;
		id->len = strlen(s);
		if (id->len > sizeof(id->data))
			return -1;
		memcpy(id->data, s, id->len);
	}
	return 0;
}

void id_str(const struct ike_id *id, char *out, size_t len)
{
	switch (id->type) {
	case ID_IPV4_ADDR:
		if (id->len == 4) {
			inet_ntop(AF_INET, id->data, out, (socklen_t)len);
			return;
		}
		break;
	case ID_IPV6_ADDR:
		if (id->len == 16) {
			inet_ntop(AF_INET6, id->data, out, (socklen_t)len);
			return;
		}
		break;
	case ID_FQDN:
	case ID_RFC822_ADDR:
		snprintf(out, len, "%.*s", (int)id->len, (const char *)id->data);
		for (char *p = out; *p; p++)
			if (!isprint((unsigned char)*p))
				*p = '?';
		return;
	case ID_DER_ASN1_DN:
		dn_str(id->data, id->len, out, len);
		return;
	case ID_KEY_ID: {
		size_t o = (size_t)snprintf(out, len, "@#");

		for (size_t i = 0; i < id->len && o + 3 < len; i++)
			o += (size_t)snprintf(out + o, len - o, "%02x", id->data[i]);
		return;
	}
	}
	snprintf(out, len, "(ID type %u, %zu bytes)", id->type, id->len);
}

void conf_wipe(struct config *c)
{
	wipe(c->secrets, sizeof(c->secrets));
	c->nsecrets = 0;
}
