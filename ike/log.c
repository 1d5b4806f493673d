// SPDX-License-Identifier: GPL-2.0
/*
 * Logging with a level per subsystem ("ike=2,net=1"), to stderr or syslog.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include "kiked.h"

int log_level[SS_MAX] = { L_INFO, L_INFO, L_WARN, L_INFO, L_WARN };
static const char *const ss_names[SS_MAX] = { "ike", "cfg", "net", "knl", "enc" };
static bool to_syslog;

void log_setup(const char *spec, bool use_syslog)
{
	char tmp[256], *save = NULL;

	to_syslog = use_syslog;
	if (use_syslog)
		openlog("kiked", LOG_PID, LOG_DAEMON);
	if (!spec)
		return;
	snprintf(tmp, sizeof(tmp), "%s", spec);
	for (char *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(t, '=');

		if (!eq) {	/* a bare number sets every subsystem */
			for (int i = 0; i < SS_MAX; i++)
				log_level[i] = atoi(t);
			continue;
		}
		*eq = 0;
		for (int i = 0; i < SS_MAX; i++)
			if (!strcmp(t, ss_names[i]) || !strcmp(t, "all"))
				log_level[i] = atoi(eq + 1);
	}
}

void logm(int ss, int lvl, const char *fmt, ...)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char msg[2048];
	va_list ap;

	if (lvl > log_level[ss])
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (to_syslog) {
		syslog(prio[lvl], "[%s] %s", ss_names[ss], msg);
	} else {
		struct timespec ts;
		struct tm tm;
		char t[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(t, sizeof(t), "%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ld kiked[%s] %s%s\n", t, ts.tv_nsec / 1000000,
			ss_names[ss], lvl == L_ERR ? "error: " :
			lvl == L_WARN ? "warning: " : "", msg);
	}
}
