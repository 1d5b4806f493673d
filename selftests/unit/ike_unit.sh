#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Builds and runs kiked's host unit tests (selftests/unit/ike_unit.c).
cd "$(dirname "$0")/../.."
make -s ike >/dev/null 2>&1 || { echo "TAP version 13"; echo "1..1"; echo "not ok 1 - build ike/"; exit 1; }
out=$(mktemp)
cc -O1 -g -Wall -Wextra -D_GNU_SOURCE -Iuapi -o "$out" selftests/unit/ike_unit.c \
	ike/msg.o ike/sa.o ike/ts.o ike/crypto.o ike/log.o ike/ikesa.o -lcrypto 2>/dev/null ||
	{ echo "TAP version 13"; echo "1..1"; echo "not ok 1 - build ike_unit"; rm -f "$out"; exit 1; }
"$out"; rc=$?
rm -f "$out"
exit $rc
