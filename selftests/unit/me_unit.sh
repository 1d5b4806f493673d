#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Builds and runs the mediation unit tests (selftests/unit/me_unit.c) with
# ASan and UBSan: ME_* payloads, check authentication, pairs, registry.
cd "$(dirname "$0")/../.."
make -s ike >/dev/null 2>&1 || { echo "TAP version 13"; echo "1..1"; echo "not ok 1 - build ike/"; exit 1; }
out=$(mktemp)
cc -O1 -g -Wall -Wextra -D_GNU_SOURCE -Iuapi -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-o "$out" selftests/unit/me_unit.c ike/me.c ike/msg.c ike/sa.c ike/crypto.c ike/log.c -lcrypto 2>&1 |
	sed 's/^/# /' >&2
[ -x "$out" ] && [ -s "$out" ] ||
	{ echo "TAP version 13"; echo "1..1"; echo "not ok 1 - build me_unit"; rm -f "$out"; exit 1; }
"$out"; rc=$?
rm -f "$out"
exit $rc
