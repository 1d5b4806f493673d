// SPDX-License-Identifier: GPL-2.0
/* What the command files need from the rest of the tool and the kernel
 * backend, for the host unit tests and the fuzzers. */
#include <stdio.h>
#include "kipsec.h"
#include "setkey.h"
#include "show.h"

struct kopts opts;

const struct kcmd *find_cmd(const char *name)
{
	return NULL;
}

void cmd_usage(const struct kcmd *c, int to_stderr)
{
}

const struct sk_ops *sk_kernel_ops(char *err, size_t errlen)
{
	snprintf(err, errlen, "no kernel in the fuzzer");
	return NULL;
}

void sk_kernel_close(void)
{
}

int monitor_listen(int (*cb)(const struct mon_event *ev, void *arg), void *arg,
		   char *err, size_t errlen)
{
	snprintf(err, errlen, "no kernel in the tests");
	return -1;
}
