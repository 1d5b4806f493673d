// SPDX-License-Identifier: GPL-2.0
/*
 * kipsec up|down|status|statusall [CONN]: talk to kiked over its control
 * socket (--ctl SOCKET, default /run/kipsec/kiked.ctl).  One request line
 * out, kiked's text back; its first line says "ok" or "error: ...".
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "kipsec.h"

int cmd_ctl(int argc, char **argv)
{
	const char *path = opts.ctl ? opts.ctl : CTL_DEFAULT;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	bool need_conn = !strcmp(argv[0], "up") || !strcmp(argv[0], "down");
	char req[256], buf[4096];
	bool first = true, failed = false;
	FILE *f;
	int fd;

	if (wants_help(argc, argv) || argc != (need_conn ? 2 : 1)) {
		cmd_usage(find_cmd(argv[0]), 1);
		return EXIT_USAGE;
	}
	if (strlen(path) >= sizeof(a.sun_path)) {
		fprintf(stderr, "kipsec: --ctl %s: path too long\n", path);
		return EXIT_USAGE;
	}
	strcpy(a.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		fprintf(stderr, "kipsec: cannot reach kiked at %s: %s (is kiked running with --ctl %s?)\n",
			path, strerror(errno), path);
		if (fd >= 0)
			close(fd);
		return EXIT_RUNTIME;
	}
	snprintf(req, sizeof(req), "%s%s%s\n", argv[0], need_conn ? " " : "",
		 need_conn ? argv[1] : "");
	f = fdopen(fd, "r+");
	if (!f) {
		close(fd);
		return EXIT_RUNTIME;
	}
	fputs(req, f);
	fflush(f);
	while (fgets(buf, sizeof(buf), f)) {
		if (first) {
			first = false;
			if (!strncmp(buf, "error:", 6)) {
				failed = true;
				fprintf(stderr, "kipsec: kiked: %s", buf + 7);
				continue;
			}
			if (!strcmp(buf, "ok\n"))
				continue;	/* status: just the table */
		}
		fputs(buf, stdout);
	}
	fclose(f);
	if (first) {
		fprintf(stderr, "kipsec: kiked closed %s without answering\n", path);
		return EXIT_RUNTIME;
	}
	return failed ? EXIT_RUNTIME : EXIT_OK;
}
