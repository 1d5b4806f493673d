// SPDX-License-Identifier: GPL-2.0
/*
 * Control socket: one line request ("up NAME", "down NAME", "status",
 * "statusall", "reload"), text answer, close.  Answers start with "ok" or
 * "error:" on their first line so clients can set their exit code.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "kiked.h"

static int lfd = -1;
extern const char *g_conf_path, *g_secrets_path;

int ctl_fd(void)
{
	return lfd;
}

int ctl_open(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(a.sun_path)) {
		logm(SS_CFG, L_ERR, "--ctl %s: path too long (max %zu)", path,
		     sizeof(a.sun_path) - 1);
		return -1;
	}
	strcpy(a.sun_path, path);
	/* The default lives in /run/kipsec/, which may not exist yet. */
	{
		char dir[sizeof(a.sun_path)], *slash;

		strcpy(dir, path);
		slash = strrchr(dir, '/');
		if (slash && slash != dir) {
			*slash = 0;
			if (mkdir(dir, 0700) && errno != EEXIST)
				logm(SS_CFG, L_WARN, "--ctl %s: cannot create %s: %s",
				     path, dir, strerror(errno));
		}
	}
	unlink(path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 8)) {
		logm(SS_CFG, L_ERR, "--ctl %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static const char *state_name(enum sa_state s)
{
	static const char *const n[] = { "CONNECTING", "CONNECTING", "CONNECTING",
					 "ESTABLISHED", "DELETING", "DEAD" };
	return n[s];
}

static void status(FILE *f, bool all)
{
	for (int i = 0; i < g_conf.nconns && all; i++) {
		struct conn *c = &g_conf.conns[i];
		char l[512], r[512];

		ts_list_str(&c->lsub, l, sizeof(l));
		ts_list_str(&c->rsub, r, sizeof(r));
		fprintf(f, "%12s:  %s...%s  IKEv2, %s=%s === %s\n", c->name,
			c->left[0] ? c->left : "%any", c->right[0] ? c->right : "%any",
			c->transport ? "TRANSPORT" : "TUNNEL", l, r);
	}
	/* Trap policies (auto=route, dpdaction=hold), as strongSwan lists them. */
	for (int i = 0, n = 0; i < g_conf.nconns; i++) {
		struct conn *c = &g_conf.conns[i];
		char l[512], r[512];

		if (!c->trap_reqid)
			continue;
		if (!n++)
			fprintf(f, "Routed Connections:\n");
		ts_list_str(&c->lsub, l, sizeof(l));
		ts_list_str(&c->rsub, r, sizeof(r));
		fprintf(f, "%12s{%u}:  ROUTED, %s, reqid %u, %d policies\n", c->name,
			c->trap_reqid, c->transport ? "TRANSPORT" : "TUNNEL", c->trap_reqid,
			c->ntrap);
		fprintf(f, "%12s{%u}:   %s === %s\n", c->name, c->trap_reqid, l, r);
	}
	if (all)
		me_status(f);
	fprintf(f, "Security Associations:\n");
	for (struct ike_sa *sa = ikesa_list(); sa; sa = sa->next) {
		char a[64], b[64], l[512], r[512];
		uint64_t si, sr;

		memcpy(&si, sa->spi_i, 8);
		memcpy(&sr, sa->spi_r, 8);
		fprintf(f, "%12s: %s, %s...%s, %s, SPIs %016llx_i%s %016llx_r%s\n",
			sa->conn->name, state_name(sa->state),
			sa_str(&sa->local, a, sizeof(a)), sa_str(&sa->peer, b, sizeof(b)),
			sa->initiator ? "initiator" : "responder",
			(unsigned long long)be64toh(si), sa->initiator ? "*" : "",
			(unsigned long long)be64toh(sr), sa->initiator ? "" : "*");
		if (all && (sa->nat & NAT_D_SEEN))
			fprintf(f, "%12s: NAT: %s%s%s\n", sa->conn->name,
				!(sa->nat & NAT_ANY) ? "none detected" :
				sa->nat & NAT_HERE ? "local host behind NAT (keepalives)" : "",
				(sa->nat & NAT_ANY) == NAT_ANY ? ", " : "",
				sa->nat & NAT_THERE ? "remote host behind NAT" : "");
		if (all && sa->state == ST_ESTABLISHED && sa->ike_rekey_at)
			fprintf(f, "%12s: IKE_SA rekeying in %.0f seconds\n", sa->conn->name,
				sa->ike_rekey_at - now());
		for (int i = 0; i < CHILD_MAX; i++) {
			static const char *const st[] = { "", "INSTALLED", "REKEYING",
							  "REKEYED", "DELETING" };
			struct child_sa *ch = sa->child[i];

			if (!ch || !ch->up)
				continue;
			ts_list_str(&ch->tsi, l, sizeof(l));
			ts_list_str(&ch->tsr, r, sizeof(r));
			fprintf(f, "%12s{%u}: %s, %s, ESP SPIs: %08x_i %08x_o\n",
				sa->conn->name, ch->reqid, st[ch->state],
				ch->transport ? "TRANSPORT" : "TUNNEL", ch->spi_in, ch->spi_out);
			if (all)
				fprintf(f, "%12s{%u}: %s%u%s%s\n", sa->conn->name, ch->reqid,
					ch->s.encr == ENCR_AES_GCM_16 ? "AES_GCM_16_" : "AES_CBC_",
					ch->s.encr_keylen, ch->s.has_integ ? "/HMAC_SHA2" : "",
					ch->s.has_dh ? "/PFS" : "");
			if (all && ch->state == CH_INSTALLED && ch->rekey_at)
				fprintf(f, "%12s{%u}: rekeying in %.0f seconds\n", sa->conn->name,
					ch->reqid, ch->rekey_at - now());
			fprintf(f, "%12s{%u}:  %s === %s\n", sa->conn->name, ch->reqid,
				sa->initiator ? l : r, sa->initiator ? r : l);
		}
	}
}

static struct conn *find_conn(const char *n)
{
	for (int i = 0; i < g_conf.nconns; i++)
		if (!strcmp(g_conf.conns[i].name, n))
			return &g_conf.conns[i];
	return NULL;
}

/*
 * Re-reads ipsec.conf and ipsec.secrets.  Nothing changes unless both parse;
 * a connection that has IKE_SAs must keep its name and place, because the
 * IKE_SAs point at it (down it first to remove or reorder it).
 */
static void reload(FILE *f)
{
	static struct config nc;

	if (conf_load(&nc, g_conf_path, g_secrets_path)) {
		conf_wipe(&nc);
		fprintf(f, "error: %s or %s has an error (see kiked's log for file:line); the running configuration is unchanged\n",
			g_conf_path, g_secrets_path);
		return;
	}
	for (struct ike_sa *sa = ikesa_list(); sa; sa = sa->next) {
		int i = sa->conn - g_conf.conns;

		if (i >= nc.nconns || strcmp(nc.conns[i].name, sa->conn->name)) {
			conf_wipe(&nc);
			fprintf(f, "error: conn %s has IKE_SAs but was removed or moved; 'kipsec down %s' first; the running configuration is unchanged\n",
				sa->conn->name, sa->conn->name);
			return;
		}
	}
	nc.half_open_max = g_conf.half_open_max;
	trap_reload(&g_conf, &nc);
	conf_wipe(&g_conf);
	g_conf = nc;
	conf_wipe(&nc);
	logm(SS_CFG, L_INFO, "reloaded %s: %d conns, %d secrets", g_conf_path, g_conf.nconns,
	     g_conf.nsecrets);
	fprintf(f, "ok reloaded %d conns from %s\n", g_conf.nconns, g_conf_path);
}

static void handle(FILE *f, char *line)
{
	char cmd[32] = "", arg[64] = "";
	struct conn *c;

	line[strcspn(line, "\r\n")] = 0;
	sscanf(line, "%31s %63s", cmd, arg);
	if (!strcmp(cmd, "status") || !strcmp(cmd, "statusall")) {
		fprintf(f, "ok\n");
		status(f, !strcmp(cmd, "statusall"));
	} else if (!strcmp(cmd, "up") || !strcmp(cmd, "down")) {
		c = find_conn(arg);
		if (!c) {
			fprintf(f, "error: no conn named '%s'\n", arg);
			return;
		}
		if (cmd[0] == 'u') {
			struct ike_sa *sa = ccs_childless(c);

			/* An IKE_SA without CHILD_SA gets one (CREATE_CHILD_SA). */
			if (sa) {
				sa->ccs.want_child = true;
				fprintf(f, "ok creating a CHILD_SA for %s in its IKE_SA\n", arg);
				return;
			}
			fprintf(f, init_start(c) ? "error: initiating %s failed\n" :
				"ok initiating %s\n", arg);
			return;
		}
		for (struct ike_sa *sa = ikesa_list(); sa; sa = sa->next)
			if (sa->conn == c)
				info_delete(sa);
		fprintf(f, "ok closing %s\n", arg);
	} else if (!strcmp(cmd, "reload")) {
		reload(f);
	} else {
		fprintf(f, "error: unknown command '%s' (expected up, down, status, statusall, reload)\n",
			cmd);
	}
}

void ctl_accept(void)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	char line[256];
	FILE *f;

	if (fd < 0)
		return;
	f = fdopen(fd, "r+");
	if (!f) {
		close(fd);
		return;
	}
	if (fgets(line, sizeof(line), f))
		handle(f, line);
	fclose(f);
	ikesa_reap();
}
