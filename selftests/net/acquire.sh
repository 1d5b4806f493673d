#!/bin/bash
# kipsec-debug: yes
# A protect policy without an SA: the first packet raises exactly one ACQUIRE
# on the multicast group (seen by `kipsec monitor`), the rest are counted as
# suppressed while it is pending, every packet is dropped (OutNoStates), and
# nothing leaves in the clear.  Once an SA was added and removed again, the
# next packet raises a new ACQUIRE.
. "$(dirname "$0")/../lib.sh"

need_modules veth
ns_create a b
link_ns a 10.0.0.1/24 b 10.0.0.2/24
TMP=$(mktemp -d)
# Background programs are started without the nsx function so that $! is the
# program itself (killing a function's subshell would leave it running).
trap 'kill $MON $MONJ $CAP 2>/dev/null; ns_cleanup; rm -rf "$TMP"' EXIT

stat() { nsx a kipsec stats | awk -v k="$1" '$1 == k { print $2 }'; }
stats3() { echo "$(stat Acquires) $(stat AcquiresSuppressed) $(stat OutNoStates)"; }
# deltas BEFORE AFTER: the three counters' differences, space separated.
deltas() {
	local -a b=($1) a=($2)
	echo "$((a[0] - b[0])) $((a[1] - b[1])) $((a[2] - b[2]))"
}

nsx a kipsec sp add src 10.0.0.1/32 dst 10.0.0.2/32 proto udp dport 9999 dir out \
	action protect tmpl proto esp mode transport src 10.0.0.1 dst 10.0.0.2 level require >/dev/null
ip netns exec "$NS_a" kipsec monitor >"$TMP/mon" 2>&1 &
MON=$!
ip netns exec "$NS_a" kipsec monitor -j >"$TMP/mon.json" 2>&1 &
MONJ=$!
ip netns exec "$NS_b" tcpdump --immediate-mode -U -n -i to-a -w "$TMP/cap" src host 10.0.0.1 >/dev/null 2>&1 &
CAP=$!
sleep 1

# send N: N UDP datagrams to the protected port, 0.1 s apart.
send() {
	local i
	for i in $(seq "$1"); do
		nsx a bash -c 'echo x > /dev/udp/10.0.0.2/9999' 2>/dev/null
		sleep 0.1
	done
}

s0=$(stats3)
send 5
sleep 0.5
s1=$(stats3)
tap_expect "5 packets without SA: Acquires +1, AcquiresSuppressed +4, OutNoStates +5" \
	"1 4 5" "$(deltas "$s0" "$s1")"
tap_expect "kipsec monitor saw exactly one ACQUIRE" 1 "$(grep -c ' ACQUIRE' "$TMP/mon")"
tap_check "the ACQUIRE names the flow (10.0.0.1 -> 10.0.0.2 udp 9999)" \
	grep -E 'ACQUIRE.*10\.0\.0\.1.*10\.0\.0\.2.*9999' "$TMP/mon"
tap_check "kipsec monitor -j: the ACQUIRE as a JSON line with the policy" \
	grep -E '"event":"ACQUIRE".*"policy"' "$TMP/mon.json"

# An SA arrives (the daemon's answer) and goes: the policy may ask again.
KEY=0x0102030405060708091011121314151617181920
nsx a kipsec sa add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x4242 mode transport \
	aead aes-gcm-16 $KEY 128 >/dev/null
send 2
s2=$(stats3)
tap_expect "with an SA: no ACQUIRE, no drop" "0 0 0" "$(deltas "$s1" "$s2")"
nsx a kipsec sa del src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x4242
send 3
sleep 0.5
s3=$(stats3)
tap_expect "SA gone: 3 packets raise one new ACQUIRE, 2 suppressed, 3 dropped" \
	"1 2 3" "$(deltas "$s2" "$s3")"
tap_expect "kipsec monitor saw two ACQUIREs in all" 2 "$(grep -c ' ACQUIRE' "$TMP/mon")"

sleep 0.3
kill $MON $MONJ $CAP; wait $MON $MONJ $CAP 2>/dev/null
tap_expect "no datagram of the protected flow crossed the link in the clear" 0 \
	"$(wire_clear b "$TMP/cap")"
tap_expect "the 2 datagrams sent with an SA crossed as ESP" 2 \
	"$(nsx b tcpdump -n -r "$TMP/cap" esp 2>/dev/null | wc -l)"
tap_done
