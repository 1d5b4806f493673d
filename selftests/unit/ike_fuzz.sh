#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A brief libFuzzer run over whole IKE messages (longer: make fuzz).
cd "$(dirname "$0")/../.."
echo "TAP version 13"
if ! command -v clang >/dev/null; then
	echo "1..0 # SKIP clang not installed"; exit 4
fi
echo "1..1"
if make -s fuzz/ike_msg_fuzz >/tmp/ike_fuzz.$$ 2>&1 &&
   fuzz/ike_msg_fuzz -max_total_time=${IKE_FUZZ_TIME:-10} >>/tmp/ike_fuzz.$$ 2>&1; then
	echo "ok 1 - IKE message parser: $(grep -o 'Done [0-9]* runs' /tmp/ike_fuzz.$$) without a crash"
	rm -f /tmp/ike_fuzz.$$; exit 0
fi
echo "not ok 1 - IKE message parser fuzzing"; sed 's/^/# /' /tmp/ike_fuzz.$$ | tail -30
rm -f /tmp/ike_fuzz.$$; exit 1
