# Shared by the kiked <-> charon VM tests (ike_strongswan.sh, ike_cert.sh,
# ike_route.sh, ike_nat.sh, ike_nat_transport.sh),
# sourced after selftests/lib.sh.  Their checks run in the test's own shell,
# not in tap_check's subshell, because several of them set state (the
# daemon's pid, SPIs) that later checks read.
#   A (kiked, kipsec, 10.1.0.1 inside), B (charon, 10.2.0.1 inside),
#   M (router), T (scratch dir), KP (kiked's pid), KIKED, KIPSEC (programs),
#   WAIT (tenths of a second to wait for a log line).

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

# ike_prereq PROGRAM...: exits with a SKIP (4) unless strongSwan, the
# PROGRAMs, ike/kiked and the kipsec module (seen from netns A, created here)
# are there.
ike_prereq() {
	local p
	for p in ipsec "$@"; do
		command -v "$p" >/dev/null && continue
		echo "1..0 # SKIP needs $p"
		exit 4
	done
	if [ ! -x "$KIKED" ] || ! ip netns add $A 2>/dev/null ||
	   ! ip netns exec $A "$KIPSEC" sa list >/dev/null 2>&1; then
		echo "1..0 # SKIP needs ike/kiked, netns and the kipsec module"
		exit 4
	fi
}

# ike_cleanup: stop_all, then namespaces A, M (if set) and B and dir T removed.
ike_cleanup() {
	stop_all
	for n in $A ${M:-} $B; do ip netns del $n 2>/dev/null; done
	rm -rf "$T"
}

# ike_routed_ns: with A made, adds M and B, a router between two links:
#   A 192.0.2.1 (a0) -- (m0) 192.0.2.254 M 198.51.100.254 (m1) -- (b0) 198.51.100.2 B
# and the inside addresses 10.1.0.1 (A) and 10.2.0.1 (B) on lo.
ike_routed_ns() {
	ip netns add $M; ip netns add $B
	ip link add a0 netns $A type veth peer name m0 netns $M
	ip link add b0 netns $B type veth peer name m1 netns $M
	ip -n $A addr add 192.0.2.1/24 dev a0; ip -n $M addr add 192.0.2.254/24 dev m0
	ip -n $B addr add 198.51.100.2/24 dev b0; ip -n $M addr add 198.51.100.254/24 dev m1
	for n in $A $M $B; do ip -n $n link set lo up; done
	ip -n $A link set a0 up; ip -n $M link set m0 up; ip -n $M link set m1 up; ip -n $B link set b0 up
	ip -n $A addr add 10.1.0.1/32 dev lo; ip -n $B addr add 10.2.0.1/32 dev lo
	ip -n $A route add default via 192.0.2.254; ip -n $B route add default via 198.51.100.254
	ip netns exec $M sysctl -qw net.ipv4.ip_forward=1
}

# start_charon AUTO [OPTIONS] / start_kiked AUTO [OPTIONS]: the two ends of
# the routed layout, PSK, conn "t" (OPTIONS: extra conn lines, one per line).
# CHARON_RIGHT / KIKED_RIGHT replace the peer's address (%any for a
# responder behind a NAT), CHARON_SUBNETS / KIKED_SUBNETS the
# leftsubnet/rightsubnet lines ('\n' between them; empty: none, host to
# host), CHARON_TAIL adds conns after charon's, CHARON_ESP / KIKED_ESP the ESP proposal,
# KIKED_SETUP adds `config setup` lines, KIKED_DEBUG sets kiked's --debug.
start_charon() {
	charon_start $B "$T" "config setup
  charondebug=\"ike 1, knl 1, cfg 1\"
conn t
  keyexchange=ikev2
  left=198.51.100.2
  right=${CHARON_RIGHT:-192.0.2.1}
  leftid=@charon.test
  rightid=@kiked.test
  authby=psk
$(printf '%b\n' "${CHARON_SUBNETS-leftsubnet=10.2.0.0/24\nrightsubnet=10.1.0.0/24}" | sed '/^$/d; s/^/  /')
  ike=aes256gcm16-prfsha256-ecp256!
  esp=${CHARON_ESP:-aes128gcm16}!
  reauth=no
  auto=$1
$(echo "${2:-}" | sed 's/^/  /')
${CHARON_TAIL:-}" '@charon.test @kiked.test : PSK "tunnel-psk-1"'
}
start_kiked() {
	cat >"$T/k.conf" <<-EOC
	$([ -n "${KIKED_SETUP:-}" ] && printf 'config setup\n%s\n' "$(echo "$KIKED_SETUP" | sed 's/^/  /')")
	conn t
	  left=192.0.2.1
	  right=${KIKED_RIGHT:-198.51.100.2}
	  leftid=@kiked.test
	  rightid=@charon.test
	  authby=psk
	$(printf '%b\n' "${KIKED_SUBNETS-leftsubnet=10.1.0.0/24\nrightsubnet=10.2.0.0/24}" | sed '/^$/d; s/^/  /')
	  ike=aes256gcm16-prfsha256-ecp256
	  esp=${KIKED_ESP:-aes128gcm16}
	  auto=$1
	$(echo "${2:-}" | sed 's/^/  /')
	EOC
	echo '@kiked.test @charon.test : PSK "tunnel-psk-1"' >"$T/k.secrets"
	chmod 600 "$T/k.secrets"
	ip netns exec $A "$KIKED" --conf "$T/k.conf" --secrets "$T/k.secrets" \
		--ctl "$T/k.ctl" --foreground --debug ${KIKED_DEBUG:-ike=2,knl=2} ${KIKED_ARGS:-} >"$T/kiked.log" 2>&1 &
	KP=$!
}
# wait_log FILE REGEX: up to WAIT tenths of a second for REGEX in FILE.
wait_log() { for _ in $(seq $WAIT); do grep -q "$2" "$1" && return 0; sleep 0.1; done; return 1; }

# "spi 0x... aead rfc4106(gcm(aes)) 0xKEY 128" per SA, sorted, from each side.
xfrm_view() {
	ip -n $B xfrm state | awk '/proto esp spi/ { s = $4 } /aead/ { print s, $2, $3, $4 }' | sort
}
kipsec_view() {
	ip netns exec $A "$KIPSEC" sa list | awk '/proto esp spi/ { s = $4 } /aead/ { print s, $2, $3, $4 }' | sort
}
views_agree() {
	local x k
	x=$(xfrm_view); k=$(kipsec_view)
	[ "$(echo "$x" | grep -c .)" = 2 ] && [ "$x" = "$k" ] || {
		echo "# xfrm:"; echo "$x" | sed 's/^/#   /'; echo "# kipsec:"; echo "$k" | sed 's/^/#   /'
		return 1; }
}
# Ping and a checksummed 1 MB TCP transfer from 10.1.0.1 (A) to 10.2.0.1 (B).
tunnel_ping() { ip netns exec $A ping -q -c 3 -W 2 -I 10.1.0.1 10.2.0.1 >/dev/null; }
# tcp_transfer [FROM_NS SRC TO_NS DST [BIND]]: the same between other
# addresses (BIND: where TO_NS listens, default DST).
tcp_transfer() {
	local fns=${1:-$A} src=${2:-10.1.0.1} tns=${3:-$B} dst=${4:-10.2.0.1}
	local bind=${5:-$dst}
	head -c 1000000 /dev/urandom >"$T/tx"
	ip netns exec $tns socat -u TCP-LISTEN:5001,bind=$bind,reuseaddr OPEN:"$T/rx",creat,trunc &
	local sp=$!
	sleep 0.5
	if ! timeout 20 ip netns exec $fns socat -u OPEN:"$T/tx" TCP:$dst:5001,bind=$src,connect-timeout=10; then
		kill $sp 2>/dev/null; wait $sp 2>/dev/null; return 1
	fi
	wait $sp
	[ "$(sha256sum <"$T/tx")" = "$(sha256sum <"$T/rx")" ]
}

# ---- through M's NAT (ike_nat.sh, ike_nat_transport.sh); $M's nft ruleset.
# ike_nat_ns: the modules, the routed layout, and charon's strongswan.conf
# for the NAT tests: NAT keepalives every 2 s, its IKE log in $T/charon.ike.log.
ike_nat_ns() {
	need_modules esp4 xfrm_user veth nf_tables nft_masq nft_chain_nat nf_nat nf_conntrack \
		nf_conntrack_netlink
	ike_routed_ns
	{ cat /etc/strongswan.conf 2>/dev/null
	  printf 'charon {\n  keep_alive = 2s\n  filelog {\n    ike {\n      path = %s\n' "$T/charon.ike.log"
	  printf '      default = 1\n      flush_line = yes\n    }\n  }\n}\n'; } >"$T/strongswan.conf"
}
nat_towards() {	# $1: M's interface whose outgoing packets are NATed, $2: how
	ip netns exec $M nft -f - <<-EOF
	flush ruleset
	table ip nat {
		chain post {
			type nat hook postrouting priority srcnat;
			oifname "$1" ${2:-masquerade random}
		}
	}
	EOF
}
# kiked's statusall: established on 4500 at both ends, NAT state $1.
status_nat() {
	local s
	s=$(ip netns exec $A "$KIPSEC" --ctl "$T/k.ctl" statusall)
	echo "$s" | grep -q "ESTABLISHED, 192\.0\.2\.1\[4500\]\.\.\.[0-9.]*\[[0-9]*\]" &&
		echo "$s" | grep -q "NAT: $1" || { echo "$s" | sed 's/^/# status: /'; return 1; }
}
# Both of kipsec's SAs are ESP in UDP with port 4500 on our side; prints
# the peer's port (the outbound SA's destination port).
kipsec_peer_port() {
	ip netns exec $A "$KIPSEC" sa list | awk '
		/^src/ { out = ($2 == "192.0.2.1") }
		/encap espinudp/ { if (out && $3 == 4500) p = $4; if (!out && $4 == 4500) n++ }
		END { if (p && n == 1) print p }'
}
# The port charon sends its ESP to (its outbound SA, towards A's side).
xfrm_peer_port() {
	ip -n $B xfrm state | awk '
		/^src 198\.51\.100\.2/ { out = 1; next } /^src/ { out = 0 }
		out && /encap type espinudp/ { for (i = 1; i < NF; i++) if ($i == "dport") print $(i + 1) }'
}
encap_both() {
	local k x
	k=$(kipsec_peer_port); x=$(ip -n $B xfrm state | grep -c 'encap type espinudp')
	[ -n "$k" ] && [ "$x" = 2 ] || {
		ip netns exec $A "$KIPSEC" sa list | sed 's/^/# kipsec: /'
		ip -n $B xfrm state | grep -v 'aead\|auth\|enc ' | sed 's/^/# xfrm: /'; return 1; }
}
# On the outside link (M's $1) during pings both ways (A from $2 to $3, B
# from $4 to $5; default the tunnel's inside addresses): UDP with port 4500
# at one end only, ESP in it, no bare ESP.
only_udp4500() {
	ip netns exec $M timeout 20 tcpdump --immediate-mode -l -nn -i $1 -c 20 ip \
		>"$T/wire" 2>/dev/null &
	local tp=$!
	sleep 1
	ip netns exec $A ping -q -c 5 -i 0.2 -W 1 -I ${2:-10.1.0.1} ${3:-10.2.0.1} >/dev/null 2>&1
	ip netns exec $B ping -q -c 5 -i 0.2 -W 1 -I ${4:-10.2.0.1} ${5:-10.1.0.1} >/dev/null 2>&1
	wait $tp
	[ "$(grep -c 'UDP-encap: ESP' "$T/wire")" -ge 10 ] && ! grep -v '\.4500[ :]' "$T/wire" | grep -q . &&
		! grep 'ESP(' "$T/wire" | grep -qv 'UDP-encap: ESP(' ||
		{ sed 's/^/# wire: /' "$T/wire"; return 1; }
}
# A NAT keepalive (one 0xff byte in UDP) from the NATed side ($2: its
# address after the NAT) crosses M's $1 within 6 s.
keepalive_seen() {
	ip netns exec $M timeout 6 tcpdump -l -nn -i $1 -c 1 \
		"src host $2 and udp and udp[4:2] = 9 and udp[8] = 0xff" >"$T/ka" 2>/dev/null
	grep -q 'isakmp-nat-keep-alive\|UDP, length 1' "$T/ka" || { sed 's/^/# ka: /' "$T/ka"; return 1; }
}
