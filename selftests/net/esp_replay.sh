#!/bin/bash
# kipsec-debug: yes
# Anti-replay and integrity on kipsec's inbound path, with ESP produced by
# Linux XFRM in netns B: a captured packet re-injected is dropped as a replay
# (InStateSeqError +1 exactly), a packet with a changed sequence number or a
# flipped ciphertext byte fails integrity (InIntegrityFailed +1 each), a
# sequence number far beyond the window is accepted and moves the window (the
# old packet is then too old: InStateSeqError +1).
. "$(dirname "$0")/../lib.sh"

need_modules veth esp4 xfrm_user
ns_create a b
link_ns a 10.0.0.1/24 b 10.0.0.2/24
TMP=$(mktemp -d)
trap 'ns_cleanup; rm -rf "$TMP"' EXIT
KEY=0x000102030405060708090a0b0c0d0e0f10111213

xsa() {
	ip -n "$NS_b" xfrm state add src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x2001 \
		mode transport aead 'rfc4106(gcm(aes))' $KEY 128 "$@"
}
xsa
ip -n "$NS_b" xfrm policy add src 10.0.0.2 dst 10.0.0.1 proto udp dport 9999 dir out \
	tmpl src 10.0.0.2 dst 10.0.0.1 proto esp mode transport
nsx a kipsec sa add src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x2001 mode transport \
	aead 'rfc4106(gcm(aes))' $KEY 128 replay-window 64 ||
	{ tap_fail "kipsec sa add"; tap_done; }

stat() { nsx a kipsec stats | awk -v k="$1" '$1 == k { print $2 }'; }
send_udp() { nsx b bash -c 'echo replay-test > /dev/udp/10.0.0.1/9999'; sleep 0.3; }

# The first ESP frame B sends, as seen on A's link.
nsx a tcpdump --immediate-mode -U -n -i to-b -c 1 -w "$TMP/cap" esp 2>/dev/null &
dump=$!
sleep 0.5
in0=$(stat InPackets)
send_udp
wait $dump
tap_expect "first packet accepted (InPackets +1)" 1 $(($(stat InPackets) - in0))

# inject [SEQ] [FLIP_OFFSET]: B sends the captured ESP packet again (raw IP
# protocol 50), with the ESP sequence number replaced and/or one byte at
# FLIP_OFFSET of the ESP packet flipped.
inject() {
	local incl off=$((24 + 16 + 14 + 20)) f=$TMP/esp byte
	incl=$(od -An -tu4 -j32 -N4 "$TMP/cap" | tr -d ' ')
	tail -c +$((off + 1)) "$TMP/cap" | head -c $((incl - 34)) >"$f"
	if [ -n "${1:-}" ]; then
		printf "$(printf '\\x%02x' $(($1 >> 24 & 255)) $(($1 >> 16 & 255)) \
			$(($1 >> 8 & 255)) $(($1 & 255)))" |
			dd of="$f" bs=1 seek=4 conv=notrunc 2>/dev/null
	fi
	if [ -n "${2:-}" ]; then
		byte=$(od -An -tu1 -j"$2" -N1 "$f" | tr -d ' ')
		printf "$(printf '\\x%02x' $((byte ^ 1)))" |
			dd of="$f" bs=1 seek="$2" conv=notrunc 2>/dev/null
	fi
	nsx b socat -u "OPEN:$f" IP4-SENDTO:10.0.0.1:50
	sleep 0.3
}

counts() { echo "$(stat InPackets) $(stat InStateSeqError) $(stat InIntegrityFailed)"; }
delta() {
	local a=($1) b=($2)
	echo "in+$((b[0] - a[0])) replay+$((b[1] - a[1])) integrity+$((b[2] - a[2]))"
}

c0=$(counts); inject; c1=$(counts)
tap_expect "re-injected packet dropped as a replay" "in+0 replay+1 integrity+0" "$(delta "$c0" "$c1")"
c0=$(counts); inject 1000; c1=$(counts)
tap_expect "changed sequence number fails integrity" "in+0 replay+0 integrity+1" "$(delta "$c0" "$c1")"
c0=$(counts); inject 1001 20; c1=$(counts)
tap_expect "flipped ciphertext byte fails integrity" "in+0 replay+0 integrity+1" "$(delta "$c0" "$c1")"

# XFRM jumps ahead: its next sequence number is 100001.
ip -n "$NS_b" xfrm state del src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x2001
xsa replay-oseq 100000
c0=$(counts); send_udp; c1=$(counts)
tap_expect "sequence number far ahead accepted" "in+1 replay+0 integrity+0" "$(delta "$c0" "$c1")"
c0=$(counts); inject; c1=$(counts)
tap_expect "window moved: the first packet is now too old" "in+0 replay+1 integrity+0" "$(delta "$c0" "$c1")"
c0=$(counts); send_udp; send_udp; c1=$(counts)
tap_expect "in-order traffic continues" "in+2 replay+0 integrity+0" "$(delta "$c0" "$c1")"
tap_done
