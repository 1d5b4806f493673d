#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kselftest-style runner for an installed kipsec selftest tree, sourced by
# run_kselftest.sh: one TAP stream per collection, each test's output
# prefixed with "# ", its exit status mapped as the kernel's runner does
# (0 ok, 4 SKIP, 124 TIMEOUT, anything else not ok), and the per-collection
# "settings" file honoured (timeout=SECONDS).

KSFT_SKIP=4
KSFT_TIMEOUT_RC=124
ksft_default_timeout=45
ksft_failed=0

# ksft_timeout DIR: the timeout for tests in DIR (settings, or the override).
ksft_timeout() {
	local t=$ksft_default_timeout line
	if [ -r "$1/settings" ]; then
		while IFS= read -r line; do
			case $line in timeout=*) t=${line#timeout=} ;; esac
		done < "$1/settings"
	fi
	echo "${ksft_override_timeout:-$t}"
}

# ksft_run_one COLLECTION TEST NUM: runs BASE/COLLECTION/TEST from its own
# directory and prints its result line.
ksft_run_one() {
	local dir=$BASE_DIR/$1 test=$2 num=$3 hdr="selftests: $1: $2" limit rc
	limit=$(ksft_timeout "$dir")
	echo "# $hdr"
	if [ ! -x "$dir/$test" ]; then
		echo "# Warning: $dir/$test is missing or not executable"
		echo "not ok $num $hdr"
		ksft_failed=1
		return
	fi
	(cd "$dir" && timeout -k 5 "$limit" "./$test" 2>&1) | sed -u 's/^/# /' >> "$ksft_log"
	rc=${PIPESTATUS[0]}
	case $rc in
	0) echo "ok $num $hdr" ;;
	"$KSFT_SKIP") echo "ok $num $hdr # SKIP" ;;
	"$KSFT_TIMEOUT_RC") echo "not ok $num $hdr # TIMEOUT $limit seconds"; ksft_failed=1 ;;
	*) echo "not ok $num $hdr # exit=$rc"; ksft_failed=1 ;;
	esac
}

# ksft_run_collection COLLECTION TEST...
ksft_run_collection() {
	local c=$1 n=0 t
	shift
	echo "TAP version 13"
	echo "1..$#"
	for t in "$@"; do
		n=$((n + 1))
		ksft_run_one "$c" "$t" "$n"
	done
}
