// SPDX-License-Identifier: GPL-2.0
/*
 * kipsec: the admin tool of the kipsec IPsec stack.
 * Exit codes: 0 ok, 1 runtime error, 2 usage error.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "kipsec.h"

struct kopts opts;

static int cmd_status(int argc, char **argv);

static const struct kcmd commands[] = {
	{ "version", cmd_version, "",
	  "Print the tool, module and uAPI versions." },
	{ "sa", cmd_sa,
	  "add|update|del|get|list|flush [src ADDR] dst ADDR proto esp|ah spi SPI [mode transport|tunnel]\n"
	  "    [reqid N] [replay-window N] [flag esn] [aead ALG KEY [ICV-BITS]] [enc ALG KEY]\n"
	  "    [auth ALG KEY | auth-trunc ALG KEY BITS] [sel src PREFIX dst PREFIX [proto P] [sport N] [dport N]]\n"
	  "    [limit byte-soft|byte-hard|packet-soft|packet-hard|time-soft|time-hard|time-use-soft|time-use-hard N]\n"
	  "    [encap espinudp SPORT DPORT [OA]]",
	  "Security associations (the SAD)." },
	{ "sp", cmd_sp,
	  "add|update|del|get|list|flush src PREFIX dst PREFIX [proto P] [sport N] [dport N] [type N [code N]]\n"
	  "    dir in|out|fwd [action protect|bypass|discard] [priority N] [id N]\n"
	  "    [tmpl proto esp|ah [mode transport|tunnel] [src ADDR dst ADDR] [level require|use|unique] [reqid N] [spi N]]...",
	  "Security policies (the SPD)." },
	{ "encap", cmd_encap,
	  "add port N [family inet|inet6] | del port N [family inet|inet6] | del fd N |\n"
	  "    attach fd N | list",
	  "ESP-in-UDP sockets: kipsec's own (add/del), a caller's UDP socket (attach fd)." },
	{ "stats", cmd_stats, "", "Global counters (like /proc/net/xfrm_stat)." },
	{ "setkey", cmd_setkey, "[-n] [-v] -f FILE | -c | -D | -DP | -F | -FP",
	  "Load, check (-n), dump or flush SAs and policies in setkey(8) syntax." },
	{ "show", cmd_show, "[-j] [-s]",
	  "List SAs and policies: SPI, mode, endpoints, algorithms, bytes, lifetimes, replay." },
	{ "status", cmd_status, "[-j] [-s]",
	  "Same as show; with --ctl SOCKET, kiked's IKE_SAs and CHILD_SAs." },
	{ "monitor", cmd_monitor, "[-j] [-c COUNT]",
	  "Print ACQUIRE, EXPIRE, MAPPING and SA/SP add/delete events as they happen." },
	{ "up", cmd_ctl, "CONN", "Ask kiked (--ctl SOCKET) to bring up a connection." },
	{ "down", cmd_ctl, "CONN", "Ask kiked to close a connection's IKE_SAs." },
	{ "reload", cmd_ctl, "", "Ask kiked to re-read ipsec.conf and ipsec.secrets." },
	{ "statusall", cmd_ctl, "", "kiked's connections, IKE_SAs and CHILD_SAs in detail." },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

/*
 * kipsec status: kiked's view with --ctl; else the kernel's SAs and
 * policies, followed by kiked's IKE_SAs when a kiked answers on the default
 * control socket (not in JSON output, which is the kernel's listing alone).
 */
static int cmd_status(int argc, char **argv)
{
	char *ctl_argv[] = { "status", NULL };
	struct stat st;
	int ret;

	if (opts.ctl)
		return cmd_ctl(argc, argv);
	ret = cmd_show(argc, argv);
	if (ret != EXIT_OK || wants_help(argc, argv) || opts.json ||
	    stat(CTL_DEFAULT, &st) || !S_ISSOCK(st.st_mode))
		return ret;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-j"))
			return ret;
	printf("\nIKE (kiked at %s):\n", CTL_DEFAULT);
	fflush(stdout);
	return cmd_ctl(1, ctl_argv);
}

const struct kcmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help") ||
		    !strcmp(argv[i], "help"))
			return true;
	return false;
}

void cmd_usage(const struct kcmd *c, int to_stderr)
{
	FILE *out = to_stderr ? stderr : stdout;

	fprintf(out, "Usage: kipsec [-j] [-s] %s %s\n  %s\n", c->name, c->usage, c->help);
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: kipsec [OPTIONS] COMMAND [ARGS...]\n"
		"Options:\n"
		"  -j, --json        JSON output\n"
		"  -s, --stats       include counters\n"
		"  --ctl SOCKET      kiked control socket\n"
		"  -h, --help        this help; 'kipsec COMMAND --help' for a command\n"
		"Commands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].help);
}

int main(int argc, char **argv)
{
	const struct kcmd *c;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			opts.json = true;
		} else if (!strcmp(argv[i], "-s") || !strcmp(argv[i], "--stats")) {
			opts.stats = true;
		} else if (!strcmp(argv[i], "--ctl")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "kipsec: --ctl needs a socket path\n");
				return EXIT_USAGE;
			}
			opts.ctl = argv[++i];
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version")) {
			argv[i] = "version";
			break;
		} else {
			fprintf(stderr, "kipsec: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	c = find_cmd(argv[i]);
	if (!c) {
		fprintf(stderr, "kipsec: unknown command '%s' (see kipsec --help)\n", argv[i]);
		return EXIT_USAGE;
	}
	if (wants_help(argc - i, argv + i)) {
		cmd_usage(c, 0);
		return EXIT_OK;
	}
	return c->run(argc - i, argv + i);
}
