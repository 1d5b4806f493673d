#!/bin/bash
# Runs in the demo VM: two sites, "left" protected by kipsec and "right" by
# Linux's own XFRM (a peer nobody here wrote), joined by an ESP tunnel between
# their gateways; traffic crosses it, tcpdump on the wire in the middle shows
# ESP only, and kipsec shows its SAs, policies and counters.
#
#   10.1.0.0/24 [left] 192.0.2.1 ---- wire ---- 192.0.2.2 [right] 10.2.0.0/24
. "$(dirname "$0")/../lib.sh" >/dev/null
need_modules veth esp4 xfrm_user
set -e
KEY_LR=0x4a6f686e20446f65204a6f686e20446f65202020
KEY_RL=0x53616c6c7920536d697468205361726168202020
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

ns_create left wire right
# The wire is a namespace of its own with a bridge, so that tcpdump there sees
# exactly what travels between the gateways.
ip -n "$NS_wire" link add br0 type bridge && ip -n "$NS_wire" link set br0 up
for s in left right; do
	ip link add eth0 netns "$(eval echo \$NS_$s)" type veth peer name "p-$s" netns "$NS_wire"
	ip -n "$NS_wire" link set "p-$s" master br0 up
done
ip -n "$NS_left" addr add 192.0.2.1/24 dev eth0; ip -n "$NS_left" link set eth0 up
ip -n "$NS_right" addr add 192.0.2.2/24 dev eth0; ip -n "$NS_right" link set eth0 up
# Each site's LAN is a dummy interface holding the site's address.
ip -n "$NS_left" link add lan0 type dummy; ip -n "$NS_left" addr add 10.1.0.1/24 dev lan0; ip -n "$NS_left" link set lan0 up
ip -n "$NS_right" link add lan0 type dummy; ip -n "$NS_right" addr add 10.2.0.1/24 dev lan0; ip -n "$NS_right" link set lan0 up
ip -n "$NS_left" route add 10.2.0.0/24 via 192.0.2.2 src 10.1.0.1
ip -n "$NS_right" route add 10.1.0.0/24 via 192.0.2.1 src 10.2.0.1

say "left: kipsec SAs and policies (tunnel mode, AES-GCM-16/128)"
L="ip netns exec $NS_left"
$L kipsec sa add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1001 mode tunnel aead aes-gcm-16 $KEY_LR 128 \
	replay-window 64 sel src 10.1.0.0/24 dst 10.2.0.0/24
$L kipsec sa add src 192.0.2.2 dst 192.0.2.1 proto esp spi 0x2001 mode tunnel aead aes-gcm-16 $KEY_RL 128 \
	replay-window 64 sel src 10.2.0.0/24 dst 10.1.0.0/24
$L kipsec sp add src 10.1.0.0/24 dst 10.2.0.0/24 dir out action protect \
	tmpl proto esp mode tunnel src 192.0.2.1 dst 192.0.2.2 level require
$L kipsec sp add src 10.2.0.0/24 dst 10.1.0.0/24 dir in action protect \
	tmpl proto esp mode tunnel src 192.0.2.2 dst 192.0.2.1 level require
echo "(kipsec sa add ... / kipsec sp add ..., see selftests/demo/inside.sh)"

say "right: the same tunnel with Linux XFRM (ip xfrm)"
R="ip -n $NS_right"
$R xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1001 mode tunnel aead 'rfc4106(gcm(aes))' $KEY_LR 128
$R xfrm state add src 192.0.2.2 dst 192.0.2.1 proto esp spi 0x2001 mode tunnel aead 'rfc4106(gcm(aes))' $KEY_RL 128
$R xfrm policy add src 10.2.0.0/24 dst 10.1.0.0/24 dir out tmpl src 192.0.2.2 dst 192.0.2.1 proto esp mode tunnel
$R xfrm policy add src 10.1.0.0/24 dst 10.2.0.0/24 dir in tmpl src 192.0.2.1 dst 192.0.2.2 proto esp mode tunnel
$R xfrm state

say "traffic: ping 10.1.0.1 -> 10.2.0.1 and a 2 MB TCP transfer, tcpdump on the wire"
ip netns exec "$NS_wire" tcpdump --immediate-mode -U -i br0 -n -c 200 -w /tmp/wire.pcap 2>/dev/null &
dump=$!
sleep 1
ip netns exec "$NS_left" ping -c 3 -i 0.3 -I 10.1.0.1 10.2.0.1
head -c 2000000 /dev/urandom > /tmp/payload
ip netns exec "$NS_right" socat -u TCP-LISTEN:5001,bind=10.2.0.1,reuseaddr OPEN:/tmp/received,creat,trunc &
sleep 0.5
ip netns exec "$NS_left" socat -u OPEN:/tmp/payload TCP:10.2.0.1:5001,bind=10.1.0.1
sleep 0.5
sent=$(sha256sum < /tmp/payload | cut -c1-16); got=$(sha256sum < /tmp/received | cut -c1-16)
echo "sent sha256 $sent..., received sha256 $got... $([ "$sent" = "$got" ] && echo '(identical)' || echo '(DIFFERENT)')"
sleep 1; kill $dump 2>/dev/null || true; wait $dump 2>/dev/null || true
echo "on the wire (first packets):"
tcpdump -n -r /tmp/wire.pcap 2>/dev/null | grep -v -i arp | head -6
echo "protocols seen on the wire: $(tcpdump -n -r /tmp/wire.pcap 2>/dev/null | grep -v -i arp | grep -oE 'ESP|ICMP|TCP|UDP' | sort | uniq -c | xargs)"

say "left: kipsec status (SAs and policies, with counters)"
$L kipsec status -s
say "left: kipsec stats (non-zero counters)"
$L kipsec stats | awk '$2 != 0'
say "right: ip -s xfrm state (the peer's view)"
$R -s xfrm state | grep -E 'spi|lifetime current|bytes' | head -8
[ "$sent" = "$got" ]
