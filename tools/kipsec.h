/* SPDX-License-Identifier: GPL-2.0 */
/* The kipsec admin tool: shared definitions of the subcommands. */
#ifndef KIPSEC_TOOL_H
#define KIPSEC_TOOL_H

#include <stdbool.h>

/* Exit codes: success, runtime error, usage error. */
#define EXIT_OK		0
#define EXIT_RUNTIME	1
#define EXIT_USAGE	2

struct kopts {
	bool json;	/* -j: JSON output */
	bool stats;	/* -s: add counters */
	const char *ctl;	/* --ctl: kiked control socket */
};
extern struct kopts opts;

struct kcmd {
	const char *name;
	int (*run)(int argc, char **argv);	/* argv[0] is the command name */
	const char *usage;	/* one line: arguments */
	const char *help;	/* what it does */
};

/* True when argv asks for help (-h/--help/help). */
bool wants_help(int argc, char **argv);
/* Prints the usage of one command to out. */
void cmd_usage(const struct kcmd *c, int to_stderr);
const struct kcmd *find_cmd(const char *name);

int cmd_version(int argc, char **argv);
int cmd_sa(int argc, char **argv);
int cmd_sp(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_setkey(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
/* kiked's control socket when --ctl is not given. */
#define CTL_DEFAULT "/run/kipsec/kiked.ctl"
int cmd_ctl(int argc, char **argv);
int cmd_encap(int argc, char **argv);

#endif
