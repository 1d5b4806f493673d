// SPDX-License-Identifier: GPL-2.0
/*
 * kiked --conf FILE --secrets FILE --ctl SOCKET [--foreground] [--no-kernel]
 *       [--debug SPEC] [--port N]
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include "kiked.h"

struct config g_conf;
volatile int g_stop;
const char *g_conf_path = "/etc/kipsec/ipsec.conf";
const char *g_secrets_path = "/etc/kipsec/ipsec.secrets";

int ctl_open(const char *path);

static void on_signal(int s)
{
	(void)s;
	g_stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: kiked [--conf FILE] [--secrets FILE] [--ctl SOCKET] [--foreground]\n"
		   "             [--no-kernel] [--debug SPEC] [--port N] [--natt-port N]\n"
		   "             [--syslog] [--check]\n"
		   "             [--retransmit BASE[,TRIES]] [--cookie-threshold HALF_OPEN]\n"
		   "             [--cacerts DIR] [--certdir DIR]\n"
		   "  defaults: --conf /etc/kipsec/ipsec.conf --secrets /etc/kipsec/ipsec.secrets\n"
		   "            --ctl /run/kipsec/kiked.ctl\n"
		   "            --cacerts /etc/kipsec/cacerts --certdir /etc/kipsec; SPEC like 2 or ike=3,net=2\n");
}

/* Keep only what the daemon still needs once its sockets are open:
 * CAP_NET_ADMIN for netlink to kipsec.  Port 500 is already bound. */
static void drop_caps(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { 0 };
	uint32_t keep = 1u << CAP_NET_ADMIN;

	d[0].effective = d[0].permitted = keep;
	if (syscall(SYS_capset, &h, d))
		logm(SS_CFG, L_WARN, "could not drop capabilities");
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "conf", required_argument, NULL, 'c' },
		{ "secrets", required_argument, NULL, 's' },
		{ "ctl", required_argument, NULL, 'C' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "no-kernel", no_argument, NULL, 'n' },
		{ "debug", required_argument, NULL, 'd' },
		{ "port", required_argument, NULL, 'p' },
		{ "natt-port", required_argument, NULL, 'N' },
		{ "syslog", no_argument, NULL, 'S' },
		{ "check", no_argument, NULL, 'k' },
		{ "retransmit", required_argument, NULL, 'r' },
		{ "cookie-threshold", required_argument, NULL, 'T' },
		{ "cacerts", required_argument, NULL, 'A' },
		{ "certdir", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *ctl = "/run/kipsec/kiked.ctl", *dbg = NULL;
	bool fg = false, use_syslog = false, check = false;
	int port = 500, natt_port = 4500, o, cookie_threshold = 20;

	while ((o = getopt_long(argc, argv, "c:s:C:fnd:p:N:Skr:T:A:D:h", opts, NULL)) != -1) {
		switch (o) {
		case 'c': g_conf_path = optarg; break;
		case 's': g_secrets_path = optarg; break;
		case 'C': ctl = optarg; break;
		case 'f': fg = true; break;
		case 'n': g_no_kernel = true; break;
		case 'd': dbg = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'N': natt_port = atoi(optarg); break;
		case 'S': use_syslog = true; break;
		case 'k': check = true; break;
		case 'r':
			if (sscanf(optarg, "%lf,%d", &g_rtx_base, &g_rtx_tries) < 1) {
				usage(stderr);
				return 2;
			}
			break;
		case 'T':
			cookie_threshold = atoi(optarg);
			if (cookie_threshold < 0) {
				usage(stderr);
				return 2;
			}
			break;
		case 'A': g_cacerts = optarg; break;
		case 'D': g_certdir = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || port <= 0 || port > 65535 || natt_port < 0 ||
	    natt_port > 65535 || natt_port == port) {
		usage(stderr);
		return 2;
	}
	log_setup(dbg, use_syslog);
	if (conf_load(&g_conf, g_conf_path, g_secrets_path))
		return 1;
	g_conf.half_open_max = cookie_threshold;
	if (check) {
		printf("%s: %d conns, %s: %d secrets: ok\n", g_conf_path,
		       g_conf.nconns, g_secrets_path, g_conf.nsecrets);
		conf_wipe(&g_conf);
		return 0;
	}
	if (net_open((uint16_t)port, (uint16_t)natt_port) || ctl_open(ctl))
		return 1;
	if (!fg && daemon(0, 0)) {
		perror("daemon");
		return 1;
	}
	drop_caps();
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	logm(SS_CFG, L_INFO, "kiked %s started: %d conns from %s", KIPSEC_VERSION,
	     g_conf.nconns, g_conf_path);
	for (int i = 0; i < g_conf.nconns; i++)
		if (g_conf.conns[i].auto_mode == AUTO_START)
			init_start(&g_conf.conns[i]);
		else if (g_conf.conns[i].auto_mode == AUTO_ROUTE)
			trap_install(&g_conf.conns[i]);
	net_loop();
	for (struct ike_sa *sa = ikesa_list(); sa; sa = sa->next)
		info_delete(sa);
	for (int i = 0; i < g_conf.nconns; i++)
		trap_uninstall(&g_conf.conns[i]);
	conf_wipe(&g_conf);
	unlink(ctl);
	logm(SS_CFG, L_INFO, "kiked stopped");
	return 0;
}
