// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the command-line parser of `kipsec setkey`.  The input is
 * split at NUL bytes into argv; the parser must accept or reject with a
 * message, never crash, and an accepted line must be self-consistent.
 */
#include <stdlib.h>
#include <string.h>
#include "setkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[64];
	struct sk_args a;
	char err[256];
	int argc = 1;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = 0;
	argv[0] = "setkey";
	for (size_t i = 0; i < size && argc < 63; ) {
		argv[argc++] = buf + i;
		i += strlen(buf + i) + 1;
	}
	argv[argc] = NULL;
	err[0] = 0;
	if (sk_parse_args(argc, argv, &a, err, sizeof(err))) {
		if (!err[0])
			abort();
	} else {
		if (a.mode == SK_M_NONE || (a.mode == SK_M_FILE && !a.file))
			abort();
	}
	free(buf);
	return 0;
}
