#!/bin/bash
# kipsec-debug: yes
# Inbound policy enforcement.  A (kipsec) has an `in` policy requiring ESP
# with reqid 1 for UDP from B to one port; B (Linux XFRM) sends to it:
# clear datagrams are dropped and InPolBlock moves by exactly their number
# (other clear traffic still passes), datagrams through the right SA are
# delivered, and datagrams through an SA of A whose selector fits but which
# is not the policy's (reqid 2) are dropped, InTmplMismatch +N.  IPv4 and
# IPv6, transport mode.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/esp_lib.bash"

need_modules veth esp4 esp6 xfrm_user
ns_create a b
link_ns a 10.0.0.1/24 b 10.0.0.2/24 fd00::1/64 fd00::2/64
TMP=$(mktemp -d)
trap 'ns_cleanup; rm -rf "$TMP"' EXIT
AEAD="aead 'rfc4106(gcm(aes))' 0x000102030405060708090a0b0c0d0e0f10111213 128"

stat() { nsx a kipsec stats | awk -v k="$1" '$1 == k { print $2 }'; }

# send N WORD DST PORT: N datagrams B -> A.
send() {
	local i d=$3
	[[ $d == *:* ]] && d="[$d]"
	for i in $(seq "$1"); do
		echo "$2-$i" | nsx b socat -u STDIN "UDP:$d:$4"
	done
	sleep 0.5
}
got() { grep -c "^$1-" "$TMP/got" 2>/dev/null; }

# xfrm_sa SPI REQID: B's SA and policy to A for the protected port.
xfrm_sa() {
	ip -n "$NS_b" xfrm state flush; ip -n "$NS_b" xfrm policy flush
	eval "ip -n $NS_b xfrm state add src $B dst $A proto esp spi $1 mode transport reqid $2 $AEAD"
	ip -n "$NS_b" xfrm policy add src "$B" dst "$A" proto udp dport "$PORT" dir out \
		tmpl src "$B" dst "$A" proto esp mode transport reqid "$2"
}

# family A B PORT
family() {
	A=$1 B=$2 PORT=$3
	local l=UDP4 r i
	[[ $A == *:* ]] && l=UDP6
	rm -f "$TMP/got"
	nsx a socat -u "$l-RECV:$PORT,reuseaddr" "OPEN:$TMP/got,creat,append" &
	local rx=$!
	wait_port u "$PORT"
	for r in 1 2; do
		eval "nsx a kipsec sa add src $B dst $A proto esp spi 0x300$r mode transport reqid $r $AEAD"
	done
	nsx a kipsec sp add src "$B" dst "$A" proto udp dport "$PORT" dir in action protect \
		tmpl proto esp mode transport reqid 1 level require >/dev/null

	local b0 t0 i0
	b0=$(stat InPolBlock)
	send 4 clear "$A" "$PORT"
	tap_expect "$A: 4 clear datagrams to a protected port dropped, InPolBlock +4" \
		"0 4" "$(got clear) $(($(stat InPolBlock) - b0))"
	tap_check "$A: clear traffic outside the policy passes (ping)" \
		nsx b ping -c 1 -W 2 "$A"

	xfrm_sa 0x3001 1
	i0=$(stat InPackets); b0=$(stat InPolBlock)
	send 2 esp "$A" "$PORT"
	tap_expect "$A: 2 datagrams through the policy's SA delivered, InPackets +2, InPolBlock +0" \
		"2 2 0" "$(got esp) $(($(stat InPackets) - i0)) $(($(stat InPolBlock) - b0))"

	xfrm_sa 0x3002 2
	i0=$(stat InPackets); t0=$(stat InTmplMismatch)
	send 2 wrongsa "$A" "$PORT"
	tap_expect "$A: 2 datagrams through another SA (reqid 2) dropped, InTmplMismatch +2" \
		"0 0 2" "$(got wrongsa) $(($(stat InPackets) - i0)) $(($(stat InTmplMismatch) - t0))"

	kill $rx; wait $rx 2>/dev/null
	nsx a kipsec sa flush; nsx a kipsec sp flush
	ip -n "$NS_b" xfrm state flush; ip -n "$NS_b" xfrm policy flush
}

family 10.0.0.1 10.0.0.2 5555
family fd00::1 fd00::2 5556
tap_done
