#!/bin/bash
# kipsec-cost: 51
# kipsec-debug: yes
# AH (RFC 4302) interop with Linux XFRM: netns A runs kipsec (`kipsec sa
# add ... proto ah`, `kipsec sp add`), netns B runs XFRM (`ip xfrm`), both
# with policies requiring AH both ways, so every exchange crosses each
# implementation's signing and verification.  Transport and tunnel mode,
# IPv4 with an IP option (ping -R: record route, an option every receiver
# rewrites, so AH must zero it) and IPv6 with a hop-by-hop header (a router
# alert and an option with the "may change" bit), every algorithm.  Checks:
# the traffic arrives, tcpdump on the link sees it only inside AH (protocol
# 51), kipsec's InPackets/OutPackets move by exactly the packets sent; an
# AH packet with a wrong ICV is counted as InAhAuthFailed and dropped; an
# AH+ESP bundle (two templates, ESP inside AH) against XFRM's bundle.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/esp_lib.bash"

need_modules veth dummy ah4 ah6 esp4 esp6 xfrm_user md5 sha1 sha256 sha512
pair_with_inner

TMP=$(mktemp -d)
trap 'ns_cleanup; rm -rf "$TMP"' EXIT

K16=0x000102030405060708090a0b0c0d0e0f
K20=0x404142434445464748494a4b4c4d4e4f50515253
K32=0x202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f
K64=${K32}505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f
BAD32=0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
# name|algorithm arguments (the same words for ip xfrm and kipsec)
ALGS=(
	"sha256-128|auth-trunc 'hmac(sha256)' $K32 128"
	"sha512-256|auth-trunc 'hmac(sha512)' $K64 256"
	"sha1-96|auth-trunc 'hmac(sha1)' $K20 96"
	"md5-96|auth-trunc 'hmac(md5)' $K16 96"
)

stat() { nsx a kipsec stats | awk -v k="$1" '$1 == k { print $2 }'; }
xs() { ip -n "$NS_b" xfrm "$@"; }

# Captures: what A and B send on the link (-Q out: a receiver's tap also
# sees the packets it decapsulated in tunnel mode).  ah_count: packets
# inside AH; clear_count: packets neither AH (with or without a hop-by-hop
# header in front) nor neighbour discovery.
cap_begin() {
	local n peer=b
	CAP_PIDS=()
	for n in a b; do
		ip netns exec "$NS_PREFIX-$n" tcpdump --immediate-mode -U -n -Q out -i "to-$peer" \
			-w "$TMP/cap.$n" >/dev/null 2>&1 &
		peer=a
		CAP_PIDS+=($!)
	done
	sleep 0.5
}
cap_end() { sleep 0.3; kill "${CAP_PIDS[@]}"; wait "${CAP_PIDS[@]}" 2>/dev/null; }
cap_read() { local n; for n in a b; do nsx $n tcpdump -nn "$@" -r "$TMP/cap.$n" 2>/dev/null; done; }
ah_count() { cap_read | grep -c "AH(spi="; }
clear_count() {
	cap_read "not ah and not (ip6 and ip6[6] == 0 and ip6[40] == 51) and not ($CLEAR_OK)" | grep -c .
}
# cap_has REGEX: a line of the last captures (tcpdump -v) matches.
cap_has() { cap_read -v | grep -q "$1"; }

# setup MODE FAMILY ALG [PROTOS]: SAs A->B (SPI 0x2001) and B->A (0x2002)
# and policies requiring them on both sides; sets AI/BI (the traffic's
# addresses).  PROTOS "esp ah": the AH+ESP bundle (ESP SPIs 0x3001/0x3002).
setup() {
	local mode=$1 fam=$2 alg=${3#*|} protos=${4:-ah} ao=10.0.0.1 bo=10.0.0.2 ip=32
	[ "$fam" = 6 ] && { ao=fd00::1; bo=fd00::2; ip=128; }
	if [ "$mode" = transport ]; then AI=$ao BI=$bo
	else AI=192.168.1.1 BI=192.168.2.1; [ "$fam" = 6 ] && { AI=fd01::1; BI=fd02::1; }
	fi
	local p spi a eab=() eba=() kout=() kin=() xout=() xin=()
	[ "$mode" = tunnel ] && { eab=(src "$ao" dst "$bo"); eba=(src "$bo" dst "$ao"); }
	# ip xfrm: tmpl [src A dst B] proto P mode M; kipsec: tmpl proto P mode M [src A dst B]
	for p in $protos; do
		spi=0x2001 a=$alg
		[ "$p" = esp ] && { spi=0x3001; a="enc 'cbc(aes)' $K16 auth-trunc 'hmac(sha1)' $K20 96"; }
		eval "xs state add src $ao dst $bo proto $p spi $spi mode $mode $a"
		eval "xs state add src $bo dst $ao proto $p spi $((spi + 1)) mode $mode $a"
		eval "nsx a kipsec sa add src $ao dst $bo proto $p spi $spi mode $mode $a" || return 1
		eval "nsx a kipsec sa add src $bo dst $ao proto $p spi $((spi + 1)) mode $mode $a" ||
			return 1
		kout+=(tmpl proto "$p" mode "$mode" "${eab[@]}" level require)
		kin+=(tmpl proto "$p" mode "$mode" "${eba[@]}" level require)
		xout+=(tmpl "${eba[@]}" proto "$p" mode "$mode")
		xin+=(tmpl "${eab[@]}" proto "$p" mode "$mode")
	done
	xs policy add src "$BI/$ip" dst "$AI/$ip" dir out "${xout[@]}" &&
		xs policy add src "$AI/$ip" dst "$BI/$ip" dir in "${xin[@]}" &&
		nsx a kipsec sp add src "$AI/$ip" dst "$BI/$ip" dir out action protect "${kout[@]}" >/dev/null &&
		nsx a kipsec sp add src "$BI/$ip" dst "$AI/$ip" dir in action protect "${kin[@]}" >/dev/null
}

teardown() {
	nsx a kipsec sa flush; nsx a kipsec sp flush
	xs state flush; xs policy flush
}

# counted NAME IN OUT CMD...: CMD succeeds, kipsec InPackets/OutPackets move
# by IN/OUT, the link carries IN + OUT AH packets and nothing in clear.
counted() {
	local name=$1 ein=$2 eout=$3 i0 o0 i1 o1 ah clear
	shift 3
	cap_begin
	i0=$(stat InPackets); o0=$(stat OutPackets)
	tap_check "$name" "$@"
	i1=$(stat InPackets); o1=$(stat OutPackets)
	cap_end
	ah=$(ah_count); clear=$(clear_count)
	tap_expect "$name: kipsec InPackets +$ein, OutPackets +$eout" "$ein $eout" \
		"$((i1 - i0)) $((o1 - o0))"
	tap_expect "$name: $((ein + eout)) AH packets on the link, none in clear" \
		"$((ein + eout)) 0" "$ah $clear"
}

# hbh_send NS DST PORT TOKEN: a UDP datagram with a hop-by-hop header
# (router alert, and option 0x3e: skip if unknown, may change en route).
hbh_send() {
	nsx "$1" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, 54, bytes([0, 1, 5, 2, 0, 0, 0x3e, 8]) + bytes(range(1, 9)))
s.sendto(sys.argv[3].encode(), (sys.argv[1], int(sys.argv[2])))' "$2" "$3" "$4"
}

# hbh_check FROM TO DST: one such datagram arrives intact.
hbh_check() {
	local port=$((7000 + RANDOM % 1000)) tok="hbh-$RANDOM"
	rm -f "$TMP/udp"
	nsx "$2" timeout 20 socat -u "UDP6-RECVFROM:$port,reuseaddr" "OPEN:$TMP/udp,creat" &
	local pid=$!
	WAIT_NS=$2 wait_port u $port
	hbh_send "$1" "$3" $port "$tok"
	wait $pid
	[ "$(cat "$TMP/udp" 2>/dev/null)" = "$tok" ]
}

# ping_case MODE FAMILY ALG: 3 pings B -> A (IPv4 transport: with the
# record route option), requests and replies in AH.
ping_case() {
	local name="$1 $2 ${3%%|*}" opt=()
	[ "$1/$2" = transport/4 ] && opt=(-R)
	if ! setup "$1" "$2" "$3"; then
		tap_fail "$name: SAs and policies" "see above"
		teardown
		return
	fi
	counted "$name: 3 pings B -> A ${opt[*]}" 3 3 \
		nsx b ping -q -c 3 -i 0.3 -W 2 "${opt[@]}" -I "$BI" "$AI"
}

for a in "${ALGS[@]}"; do
	ping_case transport 4 "$a"
	[ "$a" = "${ALGS[0]}" ] && {
		cap_begin
		nsx b ping -q -c 1 -W 2 -R "$AI" >/dev/null
		cap_end
		tap_check "transport 4: the record route option is on the wire, in AH" \
			cap_has "proto AH (51).*options (NOP,RR"
		# --- a wrong ICV: B's B -> A SA rekeyed under the same SPI ---
		xs state del src 10.0.0.2 dst 10.0.0.1 proto ah spi 0x2002
		xs state add src 10.0.0.2 dst 10.0.0.1 proto ah spi 0x2002 mode transport \
			replay-oseq 1000 auth-trunc 'hmac(sha256)' $BAD32 128
		f0=$(stat InAhAuthFailed); i0=$(stat InPackets)
		tap_check_fail "wrong ICV: the ping is not answered" \
			nsx b ping -q -c 1 -W 2 "$AI"
		tap_expect "wrong ICV: InAhAuthFailed +1, InPackets +0" "1 0" \
			"$(($(stat InAhAuthFailed) - f0)) $(($(stat InPackets) - i0))"
	}
	teardown
	[ "${KIPSEC_VM_KERNEL:-}" = debug ] && break
done

ping_case tunnel 4 "${ALGS[0]}"; teardown
ping_case tunnel 6 "${ALGS[1]}"; teardown

# --- IPv6 transport with a hop-by-hop header, both directions ---
ping_case transport 6 "${ALGS[2]}"
counted "transport 6: UDP with a hop-by-hop header B -> A" 1 0 hbh_check b a fd00::1
counted "transport 6: UDP with a hop-by-hop header A -> B" 0 1 hbh_check a b fd00::2
tap_check "transport 6: the hop-by-hop header is in front of AH on the wire" \
	cap_has "HBH (rtalert.*opt_type 0x3e.*AH(length"
teardown

# --- AH+ESP bundle: ESP inside AH, both sides with two templates ---
if setup transport 4 "${ALGS[0]}" "esp ah"; then
	counted "bundle: 3 pings B -> A" 3 3 nsx b ping -q -c 3 -i 0.3 -W 2 "$AI"
	tap_expect "bundle: every AH packet carries ESP" 6 \
		"$(cap_read | grep -c 'AH(spi=.*ESP(spi=')"
	# ESP alone where the policy requires AH around it.
	xs policy del src 10.0.0.2/32 dst 10.0.0.1/32 dir out
	xs policy add src 10.0.0.2/32 dst 10.0.0.1/32 dir out tmpl proto esp mode transport
	m0=$(stat InTmplMismatch)
	tap_check_fail "bundle: ESP without AH is refused" nsx b ping -q -c 1 -W 2 "$AI"
	tap_expect "bundle: InTmplMismatch +1" 1 "$(($(stat InTmplMismatch) - m0))"
else
	tap_fail "bundle: SAs and policies" "see above"
fi
teardown
tap_done
