#!/bin/bash
# kipsec-cost: 60
# SPDX-License-Identifier: GPL-2.0
# kiked <-> kiked, each programming its own kipsec (two network namespaces):
# site-to-site tunnel 10.1.0.0/24 <-> 10.2.0.0/24, PSK, for each DH group
# (14, 19, 20, 31, with CBC+HMAC and GCM suites for IKE and ESP):
#   a: kiked initiating, 192.0.2.1, 10.1.0.1  ---  b: kiked responding, 192.0.2.2, 10.2.0.1
# the two `kipsec sa list` agree SA for SA (SPI, addresses, algorithms,
# keys: a's inbound SA is b's outbound and the reverse), ping and a 1 MB TCP
# transfer (sha256 compared) cross the tunnel, and what each side sends on
# the link is only ESP (besides IKE).  Both sides are ours, so this proves the
# daemons agree with each other; the interop proofs are ike_strongswan.sh
# and ike_route.sh.
set -u
cd "$(dirname "$0")/../.."
. selftests/lib.sh
KIKED=$PWD/ike/kiked KIPSEC=$PWD/tools/kipsec
T=$(mktemp -d /tmp/ike_pair.XXXXXX)
PA= PB=
stop_pair() {
	[ -n "$PA" ] && kill $PA 2>/dev/null; [ -n "$PB" ] && kill $PB 2>/dev/null
	[ -n "$PA$PB" ] && wait $PA $PB 2>/dev/null; PA= PB=
}
cleanup() { stop_pair; ns_cleanup; rm -rf "$T"; }
trap cleanup EXIT

if [ ! -x "$KIKED" ] || ! ns_create a b || ! nsx a "$KIPSEC" sa list >/dev/null 2>&1; then
	echo "1..0 # SKIP needs ike/kiked, netns and the kipsec module"
	exit $KSFT_SKIP
fi
need_modules veth
link_ns a 192.0.2.1/24 b 192.0.2.2/24
nsx a ip addr add 10.1.0.1/32 dev lo; nsx b ip addr add 10.2.0.1/32 dev lo
nsx a ip route add 10.2.0.0/24 via 192.0.2.2; nsx b ip route add 10.1.0.0/24 via 192.0.2.1

# start_pair IKE ESP: a (auto=start) and b (auto=add), each with kipsec.
start_pair() {
	local s me peer auto sub rsub
	for s in a b; do
		if [ $s = a ]; then me=192.0.2.1 peer=192.0.2.2 auto=start sub=10.1 rsub=10.2
		else me=192.0.2.2 peer=192.0.2.1 auto=add sub=10.2 rsub=10.1; fi
		cat >"$T/$s.conf" <<-EOC
		conn t
		  left=$me
		  right=$peer
		  leftid=@$s.test
		  rightid=@$([ $s = a ] && echo b || echo a).test
		  authby=psk
		  leftsubnet=$sub.0.0/24
		  rightsubnet=$rsub.0.0/24
		  ike=$1
		  esp=$2
		  auto=$auto
		EOC
		echo '@a.test @b.test : PSK "kiked-pair-psk"' >"$T/$s.secrets"
		chmod 600 "$T/$s.secrets"
	done
	ip netns exec "$NS_b" "$KIKED" --conf "$T/b.conf" --secrets "$T/b.secrets" --ctl "$T/b.ctl" \
		--foreground --debug ike=2,knl=2 >"$T/b.log" 2>&1 &
	PB=$!
	for _ in $(seq 50); do [ -S "$T/b.ctl" ] && break; sleep 0.1; done
	ip netns exec "$NS_a" "$KIKED" --conf "$T/a.conf" --secrets "$T/a.secrets" --ctl "$T/a.ctl" \
		--foreground --debug ike=2,knl=2 >"$T/a.log" 2>&1 &
	PA=$!
	for _ in $(seq 300); do
		grep -q "installed SAs" "$T/a.log" && grep -q "installed SAs" "$T/b.log" && return 0
		sleep 0.1
	done
	return 1
}

# One line per SA: spi src dst and the algorithm lines (name, key, bits).
sa_view() {
	nsx $1 "$KIPSEC" sa list | awk '
		/^src/ { if (spi != "") print spi, s, d, mode alg; s = $2; d = $4; spi = ""; alg = "" }
		/proto esp spi/ { spi = $4; mode = $8 }
		/^\t(aead|enc|auth-trunc) / { alg = alg " " $1 " " $2 " " $3 " " $4 }
		END { if (spi != "") print spi, s, d, mode alg }' | sort
}
sas_agree() {
	local va vb
	va=$(sa_view a); vb=$(sa_view b)
	[ "$(echo "$va" | grep -c 'aead\|enc')" = 2 ] && [ "$va" = "$vb" ] || {
		echo "# a:"; echo "$va" | sed 's/^/#   /'; echo "# b:"; echo "$vb" | sed 's/^/#   /'
		return 1; }
}
# a's inbound SPI (logged "SPIs in X out Y") is b's outbound and the reverse.
spis_cross() {
	local a b
	a=$(sed -n 's/.*SPIs in \([0-9a-f]*\) out \([0-9a-f]*\).*/\1 \2/p' "$T/a.log")
	b=$(sed -n 's/.*SPIs in \([0-9a-f]*\) out \([0-9a-f]*\).*/\2 \1/p' "$T/b.log")
	[ -n "$a" ] && [ "$a" = "$b" ] || { echo "# a in/out: $a, b out/in: $b"; return 1; }
}
# Packets counted on the SA of side $1 whose source is $2.
out_packets() {
	nsx $1 "$KIPSEC" -s sa list | awk -v src=$2 '
		/^src/ { o = ($2 == src) }
		o && /packets/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }' | head -1
}
tcp_checked() {
	head -c 1000000 /dev/urandom >"$T/tx"
	ip netns exec "$NS_b" socat -u TCP-LISTEN:5001,bind=10.2.0.1,reuseaddr OPEN:"$T/rx",creat,trunc &
	local sp=$!
	sleep 0.3
	if ! timeout 20 ip netns exec "$NS_a" socat -u OPEN:"$T/tx" TCP:10.2.0.1:5001,bind=10.1.0.1,connect-timeout=10; then
		kill $sp 2>/dev/null; wait $sp 2>/dev/null; return 1
	fi
	wait $sp
	[ "$(sha256sum <"$T/tx")" = "$(sha256sum <"$T/rx")" ]
}
# Ping and transfer, each side's link captured as it sends (a receiver's
# capture shows the decrypted packets too): only ESP (and IKE) leaves.
traffic() {
	local tpa tpb rc=0 n s ea eb
	ip netns exec "$NS_a" tcpdump -U -n -Q out -i to-b -w "$T/a.pcap" 'not udp port 500' 2>/dev/null &
	tpa=$!
	ip netns exec "$NS_b" tcpdump -U -n -Q out -i to-a -w "$T/b.pcap" 'not udp port 500' 2>/dev/null &
	tpb=$!
	sleep 0.5
	nsx a ping -q -c 3 -W 2 -I 10.1.0.1 10.2.0.1 >/dev/null || { echo "# ping failed"; rc=1; }
	tcp_checked || { echo "# TCP transfer failed"; rc=1; }
	sleep 0.3; kill $tpa $tpb; wait $tpa $tpb 2>/dev/null
	for s in a b; do
		n=$(wire_clear $s "$T/$s.pcap")
		[ "$n" = 0 ] || { echo "# $n packets sent in clear by $s"; rc=1; }
	done
	# 1 MB is at least 690 full-sized segments, each one ESP packet of a's
	# outbound SA; the captures hold ESP from both sides.
	n=$(out_packets a 192.0.2.1)
	ea=$(nsx a tcpdump -nn -r "$T/a.pcap" esp 2>/dev/null | grep -c .)
	eb=$(nsx b tcpdump -nn -r "$T/b.pcap" esp 2>/dev/null | grep -c .)
	[ "${n:-0}" -ge 690 ] && [ "$ea" -gt 0 ] && [ "$eb" -gt 0 ] ||
		{ echo "# a's outbound SA: ${n:-?} packets; ESP captured: a $ea, b $eb"; rc=1; }
	return $rc
}

for c in "14 aes128-sha256-modp2048 aes256-sha512" "19 aes256gcm16-prfsha256-ecp256 aes128gcm16" \
	 "20 aes256-sha384-ecp384 aes128-sha384" "31 aes128gcm16-prfsha512-curve25519 aes256gcm16"; do
	set -- $c
	if ! start_pair "$2" "$3"; then
		tap_fail "group $1 (ike=$2 esp=$3): CHILD_SA installed on both sides" \
			"$(tail -5 "$T/a.log" "$T/b.log")"
		stop_pair; nsx a "$KIPSEC" sa flush; nsx b "$KIPSEC" sa flush
		continue
	fi
	tap_check "group $1 (ike=$2 esp=$3): both kipsec SA lists agree (SPI, addresses, algorithms, keys)" sas_agree
	tap_check "group $1: a's inbound SPI is b's outbound and the reverse" spis_cross
	tap_check "group $1: ping and a 1 MB TCP transfer (sha256 equal) through the tunnel, only ESP on the wire" traffic
	if [ "$1" = 14 ]; then
		# kiked on the default control socket: plain `kipsec status`
		# adds its IKE_SAs to the kernel's listing.
		mkdir -p /run/kipsec; ln -sf "$T/a.ctl" /run/kipsec/kiked.ctl
		nsx a "$KIPSEC" status >"$T/status" 2>&1
		rm -f /run/kipsec/kiked.ctl
		tap_check "kipsec status (no --ctl): the kernel's SAs, then kiked's ESTABLISHED IKE_SA" \
			sh -c "grep -q '^Security associations: 2' '$T/status' && grep -q '^IKE (kiked at' '$T/status' && grep -q ESTABLISHED '$T/status'"
	fi
	stop_pair
	tap_expect "group $1: both daemons stopped: no SA or policy left in either kipsec" "0 0 0 0" \
		"$(for s in a b; do nsx $s "$KIPSEC" sa list | grep -c 'proto esp'; nsx $s "$KIPSEC" sp list | grep -c ' dir '; done | tr '\n' ' ' | sed 's/ $//')"
done
tap_done
