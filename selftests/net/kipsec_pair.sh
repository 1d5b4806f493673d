#!/bin/bash
# kipsec-cost: 36
# kipsec on both ends (each netns has its own SAD/SPD): transport and tunnel
# mode with the friendly algorithm names, ping and a sha256-checked TCP
# transfer, both SAs counting every packet, only ESP on the link.  This
# proves the two datapath halves agree with each other; the wire format
# itself is proven against XFRM in esp_xfrm_interop.sh.
. "$(dirname "$0")/../lib.sh"

need_modules veth
ns_create a b
link_ns a 10.0.0.1/24 b 10.0.0.2/24
# Tunnel mode protects the hosts' inner addresses.
ip -n "$NS_a" addr add 192.168.1.1/32 dev lo
ip -n "$NS_b" addr add 192.168.2.1/32 dev lo
ip -n "$NS_a" route add 192.168.2.1/32 via 10.0.0.2 src 192.168.1.1
ip -n "$NS_b" route add 192.168.1.1/32 via 10.0.0.1 src 192.168.2.1
TMP=$(mktemp -d)
trap 'ns_cleanup; rm -rf "$TMP"' EXIT
head -c 1048576 /dev/urandom >"$TMP/data"
SUM=$(sha256sum <"$TMP/data" | cut -d' ' -f1)

K20=0x0102030405060708091011121314151617181920
K36=0x010203040506070809101112131415161718192021222324252627282930313233343536
K16=0x0102030405060708090a0b0c0d0e0f10
K32=0x0102030405060708091011121314151617181920212223242526272829303132
ALGS=(
	"aes-gcm-16|aead aes-gcm-16 $K20 128"
	"chacha20-poly1305|aead chacha20-poly1305 $K36 128"
	"aes-cbc+hmac-sha256|enc aes-cbc $K16 auth hmac-sha256 $K32"
)

# sa_pair NS MODE ALG SEL...: the SAs a->b (0x100) and b->a (0x200) in NS.
sa_pair() {
	local ns=$1 mode=$2 alg=$3
	shift 3
	eval "nsx $ns kipsec sa add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x100 mode $mode $alg $*" &&
	eval "nsx $ns kipsec sa add src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x200 mode $mode $alg $*"
}
# sp_pair NS MODE LOCAL PEER DIR_OUT_SRC...: out and in policies of NS.
sp_pair() {
	local ns=$1 mode=$2 l=$3 p=$4 lo=$5 po=$6
	nsx "$ns" kipsec sp add src "$l/32" dst "$p/32" dir out action protect \
		tmpl proto esp mode "$mode" src "$lo" dst "$po" level require >/dev/null &&
	nsx "$ns" kipsec sp add src "$p/32" dst "$l/32" dir in action protect \
		tmpl proto esp mode "$mode" src "$po" dst "$lo" level require >/dev/null
}
packets() {	# packets NS SPI: the SA's packet counter
	nsx "$1" kipsec show | awk -v spi="$(printf '0x%08x' "$2")" '$2 == spi { print $10 }'
}
tcp_check() {
	local port=$((8000 + RANDOM % 1000))
	rm -f "$TMP/recv"
	nsx b timeout 60 socat -u "TCP4-LISTEN:$port,reuseaddr" "OPEN:$TMP/recv,creat" &
	local pid=$!
	sleep 0.5
	nsx a timeout 60 socat -u "OPEN:$TMP/data" "TCP:$1:$port,bind=$2" || return 1
	wait $pid
	[ "$(sha256sum <"$TMP/recv" | cut -d' ' -f1)" = "$SUM" ]
}

# case MODE ALG
case_() {
	local mode=$1 name="$1 ${2%%|*}" alg=${2#*|} ai=10.0.0.1 bi=10.0.0.2 sel=()
	[ "$mode" = tunnel ] && { ai=192.168.1.1; bi=192.168.2.1; }
	if ! sa_pair a "$mode" "$alg" || ! sa_pair b "$mode" "$alg" ||
	   ! sp_pair a "$mode" $ai $bi 10.0.0.1 10.0.0.2 || ! sp_pair b "$mode" $bi $ai 10.0.0.2 10.0.0.1; then
		tap_fail "$name: SAs and policies installed"
		return
	fi
	# What each side sends (-Q out): a receiver's tap also shows the
	# packets it decrypted.
	ip netns exec "$NS_a" tcpdump --immediate-mode -U -Q out -n -i to-b -w "$TMP/cap.a" >/dev/null 2>&1 &
	local cap=$!
	ip netns exec "$NS_b" tcpdump --immediate-mode -U -Q out -n -i to-a -w "$TMP/cap.b" >/dev/null 2>&1 &
	local capb=$! a0 b0
	sleep 0.5
	a0=$(packets a 0x100); b0=$(packets b 0x100)
	tap_check "$name: ping $ai -> $bi" nsx a ping -c 5 -i 0.2 -W 2 -I $ai $bi
	tap_expect "$name: a's outbound SA and b's inbound SA counted the 5 requests" \
		"5 5" "$(($(packets a 0x100) - a0)) $(($(packets b 0x100) - b0))"
	tap_check "$name: 1 MB TCP transfer checked by sha256" tcp_check $bi $ai
	sleep 0.3; kill $cap $capb; wait $cap $capb 2>/dev/null
	tap_expect "$name: only ESP on the link, both ways" "0 0" \
		"$(wire_clear a "$TMP/cap.a") $(wire_clear b "$TMP/cap.b")"
	for ns in a b; do nsx $ns kipsec sa flush; nsx $ns kipsec sp flush; done
}

for mode in transport tunnel; do
	for alg in "${ALGS[@]}"; do case_ $mode "$alg"; done
done
tap_done
