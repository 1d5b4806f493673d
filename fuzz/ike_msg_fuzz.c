// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target over whole IKE messages: the header and payload chain
 * parser, then every payload body parser (SA proposals, traffic selectors),
 * and the SK payload opener with fixed keys so the inner-chain parser is
 * reached too.  Build: make fuzz (clang -fsanitize=fuzzer,address).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../ike/kiked.h"

struct config g_conf;
bool g_no_kernel = true;
double g_rtx_base = 1;
int g_rtx_tries = 1;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[36];
	struct proposal props[16];
	struct ts_list tl;
	struct ike_msg m;
	uint8_t *copy;

	if (size > IKE_MSG_MAX)
		return 0;
	copy = malloc(size + 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (msg_parse_hdr(&m, copy, size) == 0) {
		for (int i = 0; i < m.npl; i++) {
			const struct payload *p = &m.pl[i];

			if (p->type == PL_SA)
				sa_parse(p->body, p->len, props, 16);
			else if (p->type == PL_TSI || p->type == PL_TSR)
				ts_parse(p->body, p->len, &tl);
		}
		if (m.sk_len) {
			struct sk_keys k = { .encr = ENCR_AES_GCM_16,
					     .encr_keylen = 128, .ek = key };

			sk_open(&m, &k);
		}
		msg_free(&m);
	}
	free(copy);
	return 0;
}
