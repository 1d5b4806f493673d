#!/bin/bash
# Shared helpers for kipsec selftests: TAP reporting (kselftest style) and
# network namespaces that are removed when the test exits.
#
#   . "$(dirname "$0")/../lib.sh"
#   ns_create a b                      # namespaces <prefix>-a, <prefix>-b (names in $NS_a, $NS_b)
#   link_ns a 10.0.0.1/24 b 10.0.0.2/24 # veth pair between them, addresses given
#   tap_check "name" cmd args...       # ok/not ok from cmd's status, output shown on failure
#   tap_ok "name" / tap_fail "name" "why" / tap_skip "name" "why"
#   tap_done                           # plan line, exit status (0 pass, 1 fail, 4 skip)

TAP_N=0
TAP_FAILED=0
TAP_SKIPPED=0
KSFT_SKIP=4
NS_PREFIX=${NS_PREFIX:-kt$$}
NS_LIST=()

echo "TAP version 13"

tap_ok() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $1"; }
tap_fail() {
	TAP_N=$((TAP_N + 1)); TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_N - $1"
	[ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/# /'
	return 0
}
tap_skip() { TAP_N=$((TAP_N + 1)); TAP_SKIPPED=$((TAP_SKIPPED + 1)); echo "ok $TAP_N - $1 # SKIP ${2:-}"; }

# tap_check NAME CMD...: passes when CMD exits 0.
tap_check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then tap_ok "$name"; else tap_fail "$name" "$out"; fi
}

# tap_check_fail NAME CMD...: passes when CMD fails.
tap_check_fail() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then tap_fail "$name" "unexpectedly succeeded: $out"; else tap_ok "$name"; fi
}

# tap_expect NAME EXPECTED ACTUAL: passes when the strings are equal.
tap_expect() {
	if [ "$2" = "$3" ]; then tap_ok "$1"; else tap_fail "$1" "expected: $2
actual:   $3"; fi
}

tap_done() {
	echo "1..$TAP_N"
	[ $TAP_FAILED -gt 0 ] && exit 1
	[ $TAP_N -gt 0 ] && [ $TAP_SKIPPED = $TAP_N ] && exit $KSFT_SKIP
	exit 0
}

ns_cleanup() {
	local ns
	for ns in "${NS_LIST[@]}"; do ip netns del "$ns" 2>/dev/null; done
	NS_LIST=()
}
trap ns_cleanup EXIT

# ns_create NAME...: creates $NS_PREFIX-NAME, sets NS_<NAME>, brings lo up.
ns_create() {
	local n ns
	for n in "$@"; do
		ns=$NS_PREFIX-$n
		ip netns add "$ns" || return 1
		NS_LIST+=("$ns")
		printf -v "NS_$n" '%s' "$ns"
		ip -n "$ns" link set lo up
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
	done
}

# nsx NAME CMD...: runs CMD in namespace NAME.  Not for a program started
# with & and killed later: $! would be the subshell, and killing it leaves the
# program running; use ip netns exec "$NS_NAME" CMD & there.
nsx() { local n=$1; shift; ip netns exec "$NS_PREFIX-$n" "$@"; }

# link_ns A ADDR_A B ADDR_B [ADDR6_A ADDR6_B]: veth between namespaces A and B
# (interfaces named after the peer: in A "to-B", in B "to-A").
link_ns() {
	local a=$1 aa=$2 b=$3 ba=$4 a6=${5:-} b6=${6:-}
	ip link add "to-$b" netns "$NS_PREFIX-$a" type veth peer name "to-$a" netns "$NS_PREFIX-$b" || return 1
	[ -n "$aa" ] && ip -n "$NS_PREFIX-$a" addr add "$aa" dev "to-$b"
	[ -n "$ba" ] && ip -n "$NS_PREFIX-$b" addr add "$ba" dev "to-$a"
	[ -n "$a6" ] && ip -n "$NS_PREFIX-$a" addr add "$a6" dev "to-$b" nodad
	[ -n "$b6" ] && ip -n "$NS_PREFIX-$b" addr add "$b6" dev "to-$a" nodad
	ip -n "$NS_PREFIX-$a" link set "to-$b" up
	ip -n "$NS_PREFIX-$b" link set "to-$a" up
}

# Loads kernel modules the test needs; on the debug kernel they are built in.
need_modules() {
	local m
	for m in "$@"; do modprobe -q "$m" 2>/dev/null || true; done
}

# What may cross a protected link in the clear: ARP, IPv6 link-local and
# multicast traffic (ND, MLD, RS) and unicast neighbour discovery.
CLEAR_OK='arp or ip6 multicast or (ip6 and src net fe80::/10) or (icmp6 and ip6[40] >= 133 and ip6[40] <= 136)'

# wire_clear NS CAPFILE: prints how many captured packets were neither ESP/AH
# nor in CLEAR_OK; the first few are shown on stderr so a failure says which.
wire_clear() {
	local lines
	lines=$(nsx "$1" tcpdump -nn -r "$2" "not esp and not ah and not ($CLEAR_OK)" 2>/dev/null)
	[ -n "$lines" ] && printf '%s\n' "$lines" | head -5 | sed 's/^/# clear: /' >&2
	printf '%s\n' "$lines" | grep -c .
}

# strongSwan charon, the IKE peer of the ike_*.sh interop tests.
# charon_start NETNS DIR CONF SECRETS: writes CONF and SECRETS (texts) to
# DIR/c.conf and DIR/c.secrets and runs charon (`ipsec start --nofork`) in
# NETNS with its own mount namespace, where they are /etc/ipsec.conf and
# /etc/ipsec.secrets and /run (and /var/run) is private, so that several
# charons can run side by side; output in DIR/charon.log, pid of the job in
# CHARON_PID; a DIR/strongswan.conf, if there, is its /etc/strongswan.conf
# (settings such as cookie_threshold or NAT keepalives).
# Returns 0 once its stroke socket answers, 1 after
# IKE_WAIT tenths of a second (default 300: TCG VMs are slow).
CHARON_PID=
charon_start() {
	local ns=$1 dir=$2
	printf '%s\n' "$3" >"$dir/c.conf"
	printf '%s\n' "$4" >"$dir/c.secrets"
	chmod 600 "$dir/c.secrets"
	rm -f "$dir/c.pid"
	cat >"$dir/c.sh" <<-EOC
	mount -t tmpfs none /run
	[ -L /var/run ] || mount -t tmpfs none /var/run
	mount --bind $dir/c.conf /etc/ipsec.conf
	mount --bind $dir/c.secrets /etc/ipsec.secrets
	[ -f $dir/strongswan.conf ] && mount --bind $dir/strongswan.conf /etc/strongswan.conf
	echo \$\$ >$dir/c.pid
	exec $(stdbuf -oL true 2>/dev/null && echo stdbuf -oL -eL) ipsec start --nofork
	EOC
	ip netns exec "$ns" unshare -m --propagation private sh "$dir/c.sh" >"$dir/charon.log" 2>&1 &
	CHARON_PID=$!
	for _ in $(seq "${IKE_WAIT:-300}"); do
		[ -f "$dir/c.pid" ] && charon_x "$dir" ipsec status >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
# charon_x DIR CMD...: runs CMD in charon's namespaces (ipsec status, ...).
charon_x() { local dir=$1; shift; nsenter -t "$(cat "$dir/c.pid")" -m -n "$@"; }
# charon_stop NETNS DIR: stops charon, then flushes NETNS's XFRM SAs and policies.
charon_stop() {
	local ns=$1 dir=$2
	[ -n "$CHARON_PID" ] || return 0
	[ -f "$dir/c.pid" ] && charon_x "$dir" ipsec stop >/dev/null 2>&1
	for _ in $(seq 50); do kill -0 "$CHARON_PID" 2>/dev/null || break; sleep 0.1; done
	kill "$CHARON_PID" 2>/dev/null; wait "$CHARON_PID" 2>/dev/null
	CHARON_PID=; rm -f "$dir/c.pid"
	ip -n "$ns" xfrm state flush 2>/dev/null; ip -n "$ns" xfrm policy flush 2>/dev/null
}
