#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs the installed kipsec selftests, with the options of the kernel's
# tools/testing/selftests/run_kselftest.sh.  Exit status: 0 when every test
# passed or skipped, 1 otherwise.
BASE_DIR=$(cd "$(dirname "$0")" && pwd)
. "$BASE_DIR/kselftest/runner.sh"
list=$BASE_DIR/kselftest-list.txt
ksft_log=/dev/stdout

usage() {
	cat <<USAGE
Usage: $0 [OPTIONS]
  -s | --summary                Only the results here, the tests' output in output.log
  -t | --test COLLECTION:TEST   Run TEST from COLLECTION
  -c | --collection COLLECTION  Run all tests from COLLECTION
  -l | --list                   List the available collection:test entries
  -d | --dry-run                Print what would run
  -o | --override-timeout SECS  Use SECS instead of the settings' timeout
  -h | --help                   This help
USAGE
	exit "$1"
}

[ -r "$list" ] || { echo "$0: cannot read the list of tests ($list)" >&2; exit 1; }
available=$(cat "$list")
selected=
dry=0
while [ $# -gt 0 ]; do
	case $1 in
	-s|--summary) ksft_log=$BASE_DIR/output.log; : > "$ksft_log"; shift ;;
	-t|--test)
		[ -n "${2:-}" ] || usage 1
		grep -qxF -- "$2" "$list" || { echo "No such test '$2'" >&2; exit 1; }
		selected+="$2"$'\n'; shift 2 ;;
	-c|--collection)
		[ -n "${2:-}" ] || usage 1
		grep -q "^$2:" "$list" || { echo "No such collection '$2'" >&2; exit 1; }
		selected+=$(grep "^$2:" "$list")$'\n'; shift 2 ;;
	-l|--list) echo "$available"; exit 0 ;;
	-d|--dry-run) dry=1; shift ;;
	-o|--override-timeout) ksft_override_timeout=$2; shift 2 ;;
	-h|--help) usage 0 ;;
	*) usage 1 ;;
	esac
done
[ -n "$selected" ] && available=$(printf '%s' "$selected" | awk 'NF && !seen[$0]++')

for c in $(echo "$available" | cut -d: -f1 | awk '!seen[$0]++'); do
	tests=$(echo "$available" | grep "^$c:" | cut -d: -f2)
	if [ $dry = 1 ]; then
		for t in $tests; do echo "$c:$t"; done
		continue
	fi
	[ -w /dev/kmsg ] && echo "kselftest: Running tests in $c" >> /dev/kmsg
	# shellcheck disable=SC2086 # one word per test
	ksft_run_collection "$c" $tests
done
exit $ksft_failed
