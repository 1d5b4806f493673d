#!/bin/bash
# kipsec-cost: 80
# kipsec-debug: yes
# Interop with Linux XFRM.  Inbound: netns B encrypts with ip xfrm (a peer
# nobody here wrote), netns A decrypts with kipsec SAs added by
# `kipsec sa add`.  Outbound: kipsec encrypts in A by policy (`kipsec sp
# add`), XFRM decrypts in B.  Every algorithm, transport and tunnel mode,
# IPv4, IPv6, 4-in-6 and 6-in-4, both directions.  Checks bytes end to end,
# kipsec's counters and XFRM's moving by exactly the packets sent, and that
# the protected side's traffic is only ESP on the wire.  (In the inbound
# cases A answers in clear, which B accepts: it has no inbound policy.)
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/esp_lib.bash"

need_modules veth dummy esp4 esp6 xfrm_user
pair_with_inner

TMP=$(mktemp -d)
trap 'ns_cleanup; rm -rf "$TMP"' EXIT

K20=0x000102030405060708090a0b0c0d0e0f10111213
K36=0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223
K16=0x000102030405060708090a0b0c0d0e0f
K32=0x202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f
K48=${K32}404142434445464748494a4b4c4d4e4f
K64=${K48}505152535455565758595a5b5c5d5e5f
K20A=0x404142434445464748494a4b4c4d4e4f50515253
# name|algorithm arguments (the same words for ip xfrm and kipsec)
ALGS=(
	"aes-gcm-128|aead 'rfc4106(gcm(aes))' $K20 128"
	"aes-gcm-256|aead 'rfc4106(gcm(aes))' $K36 128"
	"chacha20-poly1305|aead 'rfc7539esp(chacha20,poly1305)' $K36 128"
	"aes-cbc+sha256|enc 'cbc(aes)' $K16 auth-trunc 'hmac(sha256)' $K32 128"
	"aes-cbc+sha384|enc 'cbc(aes)' $K32 auth-trunc 'hmac(sha384)' $K48 192"
	"aes-cbc+sha512|enc 'cbc(aes)' $K32 auth-trunc 'hmac(sha512)' $K64 256"
	"aes-cbc+sha1|enc 'cbc(aes)' $K16 auth-trunc 'hmac(sha1)' $K20A 96"
	"null+sha256|enc 'ecb(cipher_null)' '' auth-trunc 'hmac(sha256)' $K32 128"
)

stat() { nsx a kipsec stats | awk -v k="$1" '$1 == k { print $2 }'; }
xfrm_out_packets() {
	ip -n "$NS_b" -s xfrm state | awk '/lifetime current:/ { c = 1; next }
		c { sub(/\(packets\)/, "", $2); print $2; exit }'
}

# addrs MODE OUTER INNER: the outer (ao, bo) and inner (ai, bi) addresses of
# A and B and the selector prefix length (ip) for one case.
addrs() {
	ao=10.0.0.1 bo=10.0.0.2 ip=32
	[ "$2" = 6 ] && { ao=fd00::1; bo=fd00::2; }
	if [ "$1" = transport ]; then
		ai=$ao bi=$bo
		[ "$2" = 6 ] && ip=128
	else
		ai=192.168.1.1 bi=192.168.2.1
		[ "$3" = 6 ] && { ai=fd01::1; bi=fd02::1; ip=128; }
	fi
	return 0
}

# one MODE OUTER INNER ALG [tcp]: SA B -> A under test.
one() {
	local mode=$1 of=$2 if=$3 alg=${4#*|} name="$1 $2/$3 ${4%%|*}"
	local ao bo ai bi ip spi=$((0x1000 + RANDOM % 4096)) sel=()
	addrs "$mode" "$of" "$if"
	[ "$mode" = tunnel ] && sel=(sel src "$bi/$ip" dst "$ai/$ip")
	eval "ip -n $NS_b xfrm state add src $bo dst $ao proto esp spi $spi mode $mode $alg ${sel[*]}"
	ip -n "$NS_b" xfrm policy add src "$bi/$ip" dst "$ai/$ip" dir out \
		tmpl src $bo dst $ao proto esp mode "$mode"
	local err
	if ! err=$(eval "nsx a kipsec sa add src $bo dst $ao proto esp spi $spi mode $mode $alg ${sel[*]}" 2>&1); then
		tap_fail "$name: kipsec sa add" "$err"
		ip -n "$NS_b" xfrm state flush; ip -n "$NS_b" xfrm policy flush
		return
	fi
	local in0 out0 in1 out1
	in0=$(stat InPackets); out0=$(xfrm_out_packets)
	if udp_check "$ai"; then
		in1=$(stat InPackets); out1=$(xfrm_out_packets)
		tap_expect "$name: UDP datagram decrypted, counters +1 (kipsec InPackets, XFRM out)" \
			"1 1" "$((in1 - in0)) $((out1 - out0))"
	else
		tap_fail "$name: UDP datagram decrypted" "$(nsx a kipsec stats | awk '$2 != 0')"
	fi
	if [ "${5:-}" = tcp ]; then
		cap_start b to-a "src host $bo" out
		tap_check "$name: 1 MB TCP transfer checked by sha256" tcp_check "$ai"
		local clear esp
		read -r clear esp <<<"$(cap_stop)"
		tap_expect "$name: B's packets on the wire are only ESP ($esp ESP)" 0 "$clear"
	fi
	nsx a kipsec sa flush
	ip -n "$NS_b" xfrm state flush; ip -n "$NS_b" xfrm policy flush
}

# out MODE OUTER INNER ALG: kipsec in A encrypts (policy + SA), XFRM in B
# decrypts (in tunnel mode B needs an inbound policy: XFRM drops decapsulated
# packets without one, XfrmInNoPols).
out() {
	local mode=$1 of=$2 if=$3 alg=${4#*|} name="out $1 $2/$3 ${4%%|*}"
	local spi=$((0x5000 + RANDOM % 4096)) ao bo ai bi ip
	addrs "$mode" "$of" "$if"
	local sel="sel src $ai/$ip dst $bi/$ip"
	eval "ip -n $NS_b xfrm state add src $ao dst $bo proto esp spi $spi mode $mode $alg $sel"
	[ "$mode" = tunnel ] && ip -n "$NS_b" xfrm policy add src "$ai/$ip" dst "$bi/$ip" dir in \
		tmpl src $ao dst $bo proto esp mode tunnel
	eval "nsx a kipsec sa add src $ao dst $bo proto esp spi $spi mode $mode $alg $sel"
	nsx a kipsec sp add src "$ai/$ip" dst "$bi/$ip" dir out action protect \
		tmpl proto esp mode $mode src $ao dst $bo level require
	local o0 o1 got=0
	o0=$(stat OutPackets)
	udp_check "$bi" a b "$ai" && got=1
	o1=$(stat OutPackets)
	tap_expect "$name: UDP datagram decrypted by XFRM, kipsec OutPackets +1" \
		"1 1" "$got $((o1 - o0))"
	cap_start a to-b "src host $ao" out
	tap_check "$name: 1 MB TCP transfer A -> B checked by sha256" tcp_check "$bi" a b
	local clear esp
	read -r clear esp <<<"$(cap_stop)"
	tap_expect "$name: A's packets on the wire are only ESP ($esp ESP)" 0 "$clear"
	[ "$clear" = 0 ] || cap_clear
	nsx a kipsec sa flush; nsx a kipsec sp flush
	ip -n "$NS_b" xfrm state flush; ip -n "$NS_b" xfrm policy flush
}

out transport 4 4 "${ALGS[0]}"
out tunnel 6 4 "${ALGS[6]}"
# The debug kernel (5-7 times slower) runs the two cases above.
if [ "${KIPSEC_VM_KERNEL:-}" != debug ]; then
	out transport 6 6 "${ALGS[2]}"
	out tunnel 4 4 "${ALGS[3]}"
	out tunnel 6 6 "${ALGS[0]}"
	out tunnel 4 6 "${ALGS[1]}"
fi
[ -n "${OUT_ONLY:-}" ] && tap_done
one transport 4 4 "${ALGS[0]}" tcp
one transport 6 6 "${ALGS[0]}" tcp
one tunnel 4 4 "${ALGS[0]}" tcp
one tunnel 6 6 "${ALGS[2]}" tcp
one tunnel 6 4 "${ALGS[3]}"
one tunnel 4 6 "${ALGS[1]}"
# The debug kernel (5-7 times slower) runs the cases above; every algorithm
# runs on the stock kernels.
if [ "${KIPSEC_VM_KERNEL:-}" != debug ]; then
	for a in "${ALGS[@]:1}"; do
		one transport 4 4 "$a"
		one tunnel 6 6 "$a"
	done
fi
tap_done
