// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the IKEv2 mediation payloads (ike/me.c): the input is
 * a chain of generic payloads starting with a notify, as in an ME_CONNECT
 * or a connectivity check.  Every ME_* notify goes through me_collect; what
 * it accepts feeds the completeness check, ME_CONNECTAUTH verification and
 * the endpoint pairing, and each accepted endpoint must survive an
 * encode/parse round trip unchanged.  The raw input is also parsed as one
 * ME_ENDPOINT.  Build: make fuzz/ike_me_fuzz (clang).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../ike/me.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[16];
	struct me_pair pairs[ME_MAX_PAIRS];
	struct me_endpoint ep;
	struct me_info info;
	struct ike_msg m = { 0 };
	char err[128];
	uint8_t *copy;

	me_endpoint_parse(data, size, &ep, err, sizeof(err));
	if (size > IKE_MSG_MAX)
		return 0;
	copy = malloc(size + 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (msg_parse_chain(&m, PL_NOTIFY, copy, size, false) == 0 &&
	    me_collect(m.pl, m.npl, &info, err, sizeof(err)) == 0) {
		me_connect_complete(&info, err, sizeof(err));
		me_connectauth_ok(1, &info, key, sizeof(key));
		me_pairs_build(info.ep, info.nep, info.ep, info.nep, true, pairs, ME_MAX_PAIRS);
		for (int i = 0; i < info.nep; i++) {
			uint8_t d[ME_ENDPOINT_MAX_LEN];
			size_t l = me_endpoint_encode(&info.ep[i], d);

			if (!l || me_endpoint_parse(d, l, &ep, err, sizeof(err)) ||
			    ep.prio != info.ep[i].prio || ep.type != info.ep[i].type ||
			    !me_addr_eq(&ep.addr, &info.ep[i].addr, true))
				abort();
			if (i)
				me_mapping_classify(&info.ep[0].addr, &info.ep[i].addr,
						    &info.ep[i - 1].addr);
		}
	}
	free(copy);
	return 0;
}
