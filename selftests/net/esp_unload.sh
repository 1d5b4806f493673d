#!/bin/bash
# kipsec-debug: yes
# Unload with live SAs and ESP traffic arriving: rmmod succeeds while
# packets are being decrypted, nothing is left behind (the debug kernel's
# KASAN/kmemleak/lockdep watch the console), and after the reload the same
# traffic goes back to Linux XFRM's handler (no SA in kipsec any more).
. "$(dirname "$0")/../lib.sh"

need_modules veth esp4 xfrm_user
ns_create a b
link_ns a 10.0.0.1/24 b 10.0.0.2/24
KEY=0x000102030405060708090a0b0c0d0e0f10111213
ip -n "$NS_b" xfrm state add src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x3001 \
	mode transport aead 'rfc4106(gcm(aes))' $KEY 128
ip -n "$NS_b" xfrm policy add src 10.0.0.2 dst 10.0.0.1 proto udp dir out \
	tmpl src 10.0.0.2 dst 10.0.0.1 proto esp mode transport
ok=1
for spi in $(seq $((0x4000)) $((0x4000 + 99))) $((0x3001)); do
	nsx a kipsec sa add src 10.0.0.2 dst 10.0.0.1 proto esp spi $spi mode transport \
		aead 'rfc4106(gcm(aes))' $KEY 128 || ok=0
done
tap_expect "101 kipsec SAs added" 1 $ok

stat() { nsx a kipsec stats | awk -v k="$1" '$1 == k { print $2 }'; }
nsx b bash -c 'while :; do echo flood > /dev/udp/10.0.0.1/9; done' 2>/dev/null &
flood=$!
sleep 1
n=$(stat InPackets)
tap_check "traffic is being decrypted by kipsec (InPackets $n)" test "${n:-0}" -gt 10
tap_check "rmmod kipsec during traffic with 101 SAs" rmmod kipsec
sleep 0.5
tap_check_fail "module gone" grep -q '^kipsec ' /proc/modules
before=$(nsx a awk '$1 == "XfrmInNoStates" { print $2 }' /proc/net/xfrm_stat 2>/dev/null)
sleep 0.5
after=$(nsx a awk '$1 == "XfrmInNoStates" { print $2 }' /proc/net/xfrm_stat 2>/dev/null)
if [ -n "$before" ]; then
	tap_check "without kipsec the ESP goes to XFRM (XfrmInNoStates $before -> $after)" \
		test "$after" -gt "$before"
else
	tap_skip "ESP goes to XFRM after unload" "no /proc/net/xfrm_stat"
fi
kill $flood; wait $flood 2>/dev/null
tap_check "insmod kipsec again" insmod /kipsec/kipsec.ko
tap_expect "no SA survives the reload" "" "$(nsx a kipsec sa list 2>&1)"
tap_done
