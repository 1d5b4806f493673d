#!/bin/bash
# Linux's own XFRM keeps carrying ESP while kipsec is loaded (its ESP handler
# sits before esp4/esp6 in the xfrm protocol chain), after kipsec is unloaded
# and after it is loaded again.  ESP with an SPI nobody owns still reaches
# XFRM, which counts it (kipsec declines it instead of eating it).
. "$(dirname "$0")/../lib.sh"

need_modules veth esp4 esp6 xfrm_user
ns_create x y
link_ns x 10.11.0.1/24 y 10.11.0.2/24 fd11::1/64 fd11::2/64
KEY_XY=0x0102030405060708091011121314151617181920
KEY_YX=0x2122232425262728293031323334353637383940

# sa NS SRC DST SPI KEY: one transport-mode AES-GCM SA in NS.
sa() {
	ip -n "$NS_PREFIX-$1" xfrm state add src "$2" dst "$3" proto esp spi "$4" \
		mode transport aead 'rfc4106(gcm(aes))' "$5" 128
}
# pol NS SRC DST DIR: transport-mode ESP required between SRC and DST.
pol() {
	ip -n "$NS_PREFIX-$1" xfrm policy add src "$2" dst "$3" dir "$4" \
		tmpl src "$2" dst "$3" proto esp mode transport
}
for f in 4 6; do
	if [ $f = 4 ]; then A=10.11.0.1 B=10.11.0.2; else A=fd11::1 B=fd11::2; fi
	sp=$((0x${f}00))
	sa x $A $B $((sp + 1)) $KEY_XY; sa y $A $B $((sp + 1)) $KEY_XY
	sa x $B $A $((sp + 2)) $KEY_YX; sa y $B $A $((sp + 2)) $KEY_YX
	pol x $A $B out; pol x $B $A in
	pol y $B $A out; pol y $A $B in
done

# xfrm_packets NS SPI: packets counted on the XFRM state with that SPI.
xfrm_packets() {
	ip -n "$NS_PREFIX-$1" -s xfrm state | awk -v spi="$(printf '0x%08x' "$2")" '
		$0 ~ "spi " spi { hit = 1 }
		hit && /lifetime current:/ { cur = 1; next }
		hit && cur { sub(/\(packets\)/, "", $2); print $2; exit }'
}

TMP=$(mktemp -d)
trap 'ns_cleanup; rm -rf "$TMP"' EXIT
head -c 262144 /dev/urandom >"$TMP/data"
SUM=$(sha256sum <"$TMP/data" | cut -d' ' -f1)

# tcp_transfer PHASE ADDR: data from x to y over TCP, checked by sha256.
tcp_transfer() {
	local addr=$2 port=$((5000 + RANDOM % 1000)) listen
	if [[ $addr == *:* ]]; then listen=TCP6-LISTEN:$port; else listen=TCP4-LISTEN:$port; fi
	rm -f "$TMP/recv"
	nsx y socat -u "$listen,reuseaddr" "OPEN:$TMP/recv,creat,trunc" &
	local pid=$!
	sleep 0.3
	[[ $addr == *:* ]] && addr="[$addr]"
	nsx x socat -u "OPEN:$TMP/data" "TCP:$addr:$port" || { kill $pid 2>/dev/null; return 1; }
	wait $pid
	[ "$(sha256sum <"$TMP/recv" | cut -d' ' -f1)" = "$SUM" ]
}

# phase NAME: ping (counted on the SAs) and a TCP transfer, IPv4 and IPv6,
# with tcpdump on y's link seeing only ESP between the hosts.
phase() {
	local name=$1 f A B sp before after
	ip netns exec "$NS_y" tcpdump --immediate-mode -U -n -i to-x -w "$TMP/cap" >/dev/null 2>&1 &
	local dump=$!
	sleep 0.5
	for f in 4 6; do
		if [ $f = 4 ]; then A=10.11.0.1 B=10.11.0.2; else A=fd11::1 B=fd11::2; fi
		sp=$((0x${f}00 + 1))
		before=$(xfrm_packets y $sp)
		tap_check "$name: ping IPv$f over XFRM ESP" nsx x ping -$f -c 3 -i 0.2 -W 2 -q $B
		after=$(xfrm_packets y $sp)
		tap_expect "$name: XFRM inbound SA IPv$f counted 3 echo requests" \
			3 $((after - before))
		tap_check "$name: TCP transfer IPv$f checked by sha256" tcp_transfer "$name" $B
	done
	sleep 0.3
	kill $dump; wait $dump 2>/dev/null
	local clear
	clear=$(wire_clear y "$TMP/cap")
	local esp
	esp=$(nsx y tcpdump -n -r "$TMP/cap" esp 2>/dev/null | wc -l)
	tap_expect "$name: no clear-text packet on the link" 0 "$clear"
	tap_check "$name: ESP on the link ($esp packets)" test "$esp" -gt 10
}

# An SPI nobody has: x sends on a state y lacks; XFRM in y counts it.
unknown_spi() {
	local name=$1 before after stat=/proc/net/xfrm_stat
	if ! nsx y test -r $stat; then
		tap_skip "$name: unknown SPI counted by XFRM" "no CONFIG_XFRM_STATISTICS"
		return
	fi
	# A second address of y, reached through an SA y does not have.
	ip -n "$NS_y" addr add 10.11.0.3/32 dev to-x 2>/dev/null
	ip -n "$NS_x" xfrm policy add src 10.11.0.1 dst 10.11.0.3 dir out \
		tmpl src 10.11.0.1 dst 10.11.0.3 proto esp mode transport
	sa x 10.11.0.1 10.11.0.3 0x7777 $KEY_XY
	before=$(nsx y awk '$1 == "XfrmInNoStates" { print $2 }' $stat)
	nsx x bash -c 'for i in 1 2 3; do echo x > /dev/udp/10.11.0.3/9; done' 2>/dev/null
	sleep 0.3
	after=$(nsx y awk '$1 == "XfrmInNoStates" { print $2 }' $stat)
	tap_expect "$name: 3 ESP packets of an unknown SPI reach XFRM (XfrmInNoStates)" \
		3 $((after - before))
	ip -n "$NS_x" xfrm policy del src 10.11.0.1 dst 10.11.0.3 dir out
	ip -n "$NS_x" xfrm state del src 10.11.0.1 dst 10.11.0.3 proto esp spi 0x7777
}

tap_check "kipsec is loaded" grep -q '^kipsec ' /proc/modules
phase "kipsec loaded"
unknown_spi "kipsec loaded"
tap_check "rmmod kipsec with XFRM SAs in use" rmmod kipsec
phase "kipsec unloaded"
tap_check "insmod kipsec again" insmod /kipsec/kipsec.ko
phase "kipsec reloaded"
unknown_spi "kipsec reloaded"
tap_done
