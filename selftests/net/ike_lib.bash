# Shared by the kiked <-> charon VM tests (ike_strongswan.sh, ike_cert.sh),
# sourced after selftests/lib.sh.  Their checks run in the test's own shell,
# not in tap_check's subshell, because several of them set state (the
# daemon's pid, SPIs) that later checks read.
#   A (kiked, kipsec), B (charon), T (scratch dir), KP (kiked's pid).

ok() { N=$((N + 1)); echo "ok $N - $1"; }
nok() { N=$((N + 1)); FAIL=1; echo "not ok $N - $1"; }
check() { local n=$1; shift; if "$@"; then ok "$n"; else nok "$n"; fi; }

# stop_all: kiked and charon stopped, kipsec's SAD and SPD in A emptied.
stop_all() {
	[ -n "$KP" ] && { kill $KP 2>/dev/null; wait $KP 2>/dev/null; }
	KP=
	charon_stop $B "$T"
	ip netns exec $A "$KIPSEC" sa flush >/dev/null 2>&1
	ip netns exec $A "$KIPSEC" sp flush >/dev/null 2>&1
}
