#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A brief libFuzzer run over whole IKE messages and over the mediation
# (ME_*) notify payloads (longer: make fuzz).
cd "$(dirname "$0")/../.."
echo "TAP version 13"
if ! command -v clang >/dev/null; then
	echo "1..0 # SKIP clang not installed"; exit 4
fi
echo "1..2"
rc=0 i=0
# fuzz_one TARGET NAME [SEED_DIR]
fuzz_one() {
	local log=/tmp/ike_fuzz.$$ corpus
	i=$((i + 1))
	corpus=$(mktemp -d)
	if make -s "fuzz/$1" >$log 2>&1 &&
	   "fuzz/$1" -max_total_time=${IKE_FUZZ_TIME:-10} "$corpus" ${3:-} >>$log 2>&1; then
		echo "ok $i - $2: $(grep -o 'Done [0-9]* runs' $log) without a crash"
	else
		rc=1; echo "not ok $i - $2 fuzzing"; sed 's/^/# /' $log | tail -30
	fi
	rm -rf $log "$corpus"
}
fuzz_one ike_msg_fuzz "IKE message parser"
fuzz_one ike_me_fuzz "ME_* notify parsers" fuzz/corpus/ike_me_fuzz
exit $rc
