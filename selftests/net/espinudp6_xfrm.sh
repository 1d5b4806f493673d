#!/bin/bash
# kipsec-cost: 46
# ESP in UDP (RFC 3948) over IPv6 between kipsec (a) and Linux XFRM (b),
# through a router m whose tcpdump sees the wire:
#   a fd01::2 -- m fd01::1 | fd02::1 -- b fd02::2
# Transport mode, then tunnel mode (6-in-6, fd11::1 <-> fd12::1 behind the
# endpoints): ping from each side, 1 MB TCP each way checked by sha256,
# kipsec's counters, and on the wire only UDP/4500 carrying ESP of our SPIs
# (XFRM drops a datagram whose UDP checksum is wrong: kipsec computes it).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/esp_lib.bash"

BIN=$(cd "$(dirname "$0")/../bin" && pwd)
TMP=$(mktemp -d)
XSOCK=
trap '[ -n "$XSOCK" ] && kill $XSOCK; wait; ns_cleanup; rm -rf "$TMP"' EXIT
need_modules veth dummy esp6 xfrm_user

ns_create a m b
link_ns a "" m "" fd01::2/64 fd01::1/64
link_ns m "" b "" fd02::1/64 fd02::2/64
nsx m sysctl -qw net.ipv6.conf.all.forwarding=1
for n in a b; do
	i=1; [ $n = b ] && i=2
	nsx $n ip link add inner type dummy
	nsx $n ip addr add fd1$i::1/64 dev inner nodad
	nsx $n ip link set inner up
done
nsx a ip -6 route add default via fd01::1
nsx b ip -6 route add default via fd02::1
nsx a ip -6 route replace fd12::/64 via fd01::1 src fd11::1
nsx b ip -6 route replace fd11::/64 via fd02::1 src fd12::1

K20=0x000102030405060708090a0b0c0d0e0f10111213
ALG="aead rfc4106(gcm(aes)) $K20 128"
S1=0x2601	# kipsec -> XFRM
S2=0x2602	# XFRM -> kipsec
KA=fd01::2 XB=fd02::2

stat() { nsx a kipsec stats | awk -v k="$1" '$1 == k { print $2 }'; }

# (not through nsx: $! must be the program itself)
ip netns exec "$NS_b" python3 "$BIN/udp_encap_sock.py" xfrm 4500 6 >"$TMP/xsock" &
XSOCK=$!
for _ in $(seq 100); do grep -q ready "$TMP/xsock" && break; sleep 0.1; done
tap_check "XFRM's IPv6 encapsulation socket on port 4500" grep -q ready "$TMP/xsock"
tap_check "kipsec encap add port 4500" nsx a kipsec encap add port 4500
tap_check "kipsec's socket has IPv6" sh -c "ip netns exec $NS_a kipsec encap list | grep -q 'port 4500 family inet6'"

setup() {	# setup MODE
	local mode=$1 encap="encap espinudp 4500 4500 ::"
	nsx a kipsec sa add src $KA dst $XB proto esp spi $S1 mode "$mode" $ALG \
		encap espinudp 4500 4500 || return 1
	nsx a kipsec sa add src $XB dst $KA proto esp spi $S2 mode "$mode" $ALG \
		encap espinudp 4500 4500 || return 1
	nsx b ip xfrm state add src $KA dst $XB proto esp spi $S1 mode "$mode" \
		aead 'rfc4106(gcm(aes))' $K20 128 $encap || return 1
	nsx b ip xfrm state add src $XB dst $KA proto esp spi $S2 mode "$mode" \
		aead 'rfc4106(gcm(aes))' $K20 128 $encap || return 1
	# XFRM checks its inbound policy on the UDP datagram before it is
	# decapsulated: port 4500 itself bypasses IPsec (as IKE would).
	nsx b ip xfrm policy add src $KA/128 dst $XB/128 proto udp sport 4500 dir in \
		priority 10 action allow
	nsx b ip xfrm policy add src $XB/128 dst $KA/128 proto udp dport 4500 dir out \
		priority 10 action allow
	if [ "$mode" = transport ]; then
		nsx a kipsec sp add src $KA/128 dst $XB/128 dir out action protect \
			tmpl proto esp mode transport level require >/dev/null || return 1
		nsx a kipsec sp add src $XB/128 dst $KA/128 dir in action protect \
			tmpl proto esp mode transport level require >/dev/null || return 1
		nsx b ip xfrm policy add src $XB/128 dst $KA/128 dir out priority 100 \
			tmpl proto esp mode transport
		nsx b ip xfrm policy add src $KA/128 dst $XB/128 dir in priority 100 \
			tmpl proto esp mode transport
	else
		nsx a kipsec sp add src fd11::/64 dst fd12::/64 dir out action protect \
			tmpl proto esp mode tunnel src $KA dst $XB level require >/dev/null || return 1
		nsx a kipsec sp add src fd12::/64 dst fd11::/64 dir in action protect \
			tmpl proto esp mode tunnel src $XB dst $KA level require >/dev/null || return 1
		nsx b ip xfrm policy add src fd12::/64 dst fd11::/64 dir out priority 100 \
			tmpl src $XB dst $KA proto esp mode tunnel
		nsx b ip xfrm policy add src fd11::/64 dst fd12::/64 dir in priority 100 \
			tmpl src $KA dst $XB proto esp mode tunnel
	fi
}

teardown() {
	nsx a kipsec sa flush; nsx a kipsec sp flush
	nsx a ip -6 route flush cache	# path MTUs learned in this mode
	nsx b ip xfrm state flush; nsx b ip xfrm policy flush
}

# wire NAME N [FRAG_OK]: m's link to b carried only UDP/4500 with ESP of S1
# and S2 (neighbour discovery aside), each at least N times.  With FRAG_OK,
# fragments of UDP datagrams are tolerated: in transport mode kipsec's ESP
# packet takes the clear packet's route, whose path MTU kipsec's own ICMP
# error lowered for the sender, so full-size ESP packets leave fragmented
# (a known limit, Documentation/architecture.md "Path MTU").
wire() {
	local other s1 s2 filter="ip6 and not udp port 4500 and not ($CLEAR_OK)"
	[ -n "${3:-}" ] && filter+=" and not (ip6[6] == 44 and ip6[40] == 17)"
	other=$(nsx m tcpdump -n -r "$TMP/cap" "$filter" 2>/dev/null | wc -l)
	s1=$(nsx m tcpdump -n -r "$TMP/cap" "udp port 4500 and ip6[48:4] = $S1" 2>/dev/null | wc -l)
	s2=$(nsx m tcpdump -n -r "$TMP/cap" "udp port 4500 and ip6[48:4] = $S2" 2>/dev/null | wc -l)
	if [ "$other" = 0 ] && [ "$s1" -ge "$2" ] && [ "$s2" -ge "$2" ]; then
		tap_ok "$1: the wire carries only UDP/4500 with ESP ($s1 + $s2 packets)"
	else
		tap_fail "$1: the wire carries only UDP/4500 with ESP" \
			"other $other, spi $S1: $s1, spi $S2: $s2
$(nsx m tcpdump -n -r "$TMP/cap" "$filter" 2>/dev/null | head -5)"
	fi
}

for mode in transport tunnel; do
	src=$KA dst=$XB
	[ $mode = tunnel ] && { src=fd11::1; dst=fd12::1; }
	if ! setup $mode; then
		tap_fail "$mode: setup"
		teardown
		continue
	fi
	cap_start m to-b ip6
	o0=$(stat OutPackets); i0=$(stat InPackets)
	tap_check "$mode: ping kipsec -> XFRM" nsx a ping -c 3 -i 0.3 -W 3 -I $src $dst
	tap_check "$mode: ping XFRM -> kipsec" nsx b ping -c 3 -i 0.3 -W 3 -I $dst $src
	o1=$(stat OutPackets); i1=$(stat InPackets)
	tap_expect "$mode: kipsec OutPackets/InPackets +6 each" "6 6" "$((o1 - o0)) $((i1 - i0))"
	tap_check "$mode: 1 MB TCP kipsec -> XFRM checked by sha256" tcp_check $dst a b
	tap_check "$mode: 1 MB TCP XFRM -> kipsec checked by sha256" tcp_check $src b a
	cap_stop >/dev/null
	wire "$mode" 6 $([ $mode = transport ] && echo frag-ok)
	teardown
done

tap_done
