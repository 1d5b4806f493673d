#!/bin/bash
# kipsec-cost: 38
# Site to site: h1 -- gwa (kipsec) == r == gwb (Linux XFRM) -- h2.
# gwa protects the subnets behind it (out policy on forwarded traffic, fwd
# policy on what it decapsulates), IPv4 (4-in-4) and IPv6 (6-in-6).  The
# router r's link to gwb has an MTU of 1400, smaller than everyone else's
# 1500: ping and a checked TCP transfer both ways, gwa's link carries only
# ESP, counters move by exactly the packets sent.  Path MTU: a DF packet
# that fits gwa's link once encapsulated but not r's far link is dropped by
# r, whose ICMP frag-needed / packet too big about the ESP packet gwa learns
# (InPmtuLearned); the next one gets ICMP from gwa with 1400 minus ESP's
# overhead (path MTU at h1 lowered).  Clear packets matching gwa's fwd
# policy are dropped.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/esp_lib.bash"

need_modules veth esp4 esp6 xfrm_user
ns_create h1 gwa r gwb h2
link_ns h1 192.168.1.2/24 gwa 192.168.1.1/24 fd01::2/64 fd01::1/64
link_ns gwa 10.0.0.1/24 r 10.0.0.2/24 fd00::1/64 fd00::2/64
link_ns r 10.0.1.1/24 gwb 10.0.1.2/24 fd10::1/64 fd10::2/64
link_ns gwb 192.168.2.1/24 h2 192.168.2.2/24 fd02::1/64 fd02::2/64
ip -n "$NS_r" link set to-gwb mtu 1400
ip -n "$NS_gwb" link set to-r mtu 1400
for g in gwa r gwb; do
	nsx $g sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
done
ip -n "$NS_h1" route add default via 192.168.1.1
ip -n "$NS_h1" -6 route add default via fd01::1
ip -n "$NS_h2" route add default via 192.168.2.1
ip -n "$NS_h2" -6 route add default via fd02::1
for n in 192.168.2.0/24 10.0.1.0/24; do ip -n "$NS_gwa" route add $n via 10.0.0.2; done
for n in fd02::/64 fd10::/64; do ip -n "$NS_gwa" -6 route add $n via fd00::2; done
for n in 192.168.1.0/24 10.0.0.0/24; do ip -n "$NS_gwb" route add $n via 10.0.1.1; done
for n in fd01::/64 fd00::/64; do ip -n "$NS_gwb" -6 route add $n via fd10::1; done
# r knows the sites too (clear packets from gwb to h1 reach gwa: fwd_clear)
ip -n "$NS_r" route add 192.168.1.0/24 via 10.0.0.1
ip -n "$NS_r" route add 192.168.2.0/24 via 10.0.1.2

TMP=$(mktemp -d)
trap 'ns_cleanup; rm -rf "$TMP"' EXIT
AEAD="aead 'rfc4106(gcm(aes))' 0x000102030405060708090a0b0c0d0e0f10111213 128"

# tunnel A B NET_A NET_B SPI_AB SPI_BA: gwa (outer A) <-> gwb (outer B)
# protecting NET_A <-> NET_B.
tunnel() {
	local a=$1 b=$2 na=$3 nb=$4 s1=$5 s2=$6
	eval "nsx gwa kipsec sa add src $a dst $b proto esp spi $s1 mode tunnel $AEAD sel src $na dst $nb"
	eval "nsx gwa kipsec sa add src $b dst $a proto esp spi $s2 mode tunnel $AEAD sel src $nb dst $na"
	nsx gwa kipsec sp add src "$na" dst "$nb" dir out action protect \
		tmpl proto esp mode tunnel src "$a" dst "$b" level require >/dev/null
	nsx gwa kipsec sp add src "$nb" dst "$na" dir fwd action protect \
		tmpl proto esp mode tunnel src "$b" dst "$a" level require >/dev/null
	eval "ip -n $NS_gwb xfrm state add src $a dst $b proto esp spi $s1 mode tunnel $AEAD"
	eval "ip -n $NS_gwb xfrm state add src $b dst $a proto esp spi $s2 mode tunnel $AEAD"
	ip -n "$NS_gwb" xfrm policy add src "$nb" dst "$na" dir out priority 100 \
		tmpl src "$b" dst "$a" proto esp mode tunnel
	local d
	for d in in fwd; do
		ip -n "$NS_gwb" xfrm policy add src "$na" dst "$nb" dir $d \
			tmpl src "$a" dst "$b" proto esp mode tunnel
	done
}
tunnel 10.0.0.1 10.0.1.2 192.168.1.0/24 192.168.2.0/24 0x2001 0x2002
tunnel fd00::1 fd10::2 fd01::/64 fd02::/64 0x2003 0x2004

stat() { nsx gwa kipsec stats | awk -v k="$1" '$1 == k { print $2 }'; }

MB=3
# pings H2ADDR: 3 pings h1 -> h2 through the tunnel.
pings() { nsx h1 ping -c 3 -i 0.2 -W 2 "$1"; }

# path_mtu H2ADDR SIZE WANT: a DF ping of SIZE bytes fits the 1400 link but
# not once encapsulated.  The first one's ESP packet fits gwa's link: r
# drops it and tells gwa (which learns 1400); the second gets gwa's ICMP
# error: h1 learns WANT.
path_mtu() {
	local dst=$1 size=$2 want=$3 l0 l1 o0 o1 got
	l0=$(stat InPmtuLearned); o0=$(stat OutPmtuExceeded)
	tap_check_fail "$dst: the first DF $size-byte ping is lost at r" \
		nsx h1 ping -c 1 -W 2 -M do -s "$size" "$dst"
	l1=$(stat InPmtuLearned); o1=$(stat OutPmtuExceeded)
	tap_expect "$dst: r's ICMP about the ESP packet: InPmtuLearned +1, no error to h1 yet" \
		"1 0" "$((l1 - l0)) $((o1 - o0))"
	nsx h1 ping -c 1 -W 2 -M do -s "$size" "$dst" >/dev/null 2>&1
	o1=$(stat OutPmtuExceeded)
	got=$(nsx h1 ip route get "$dst" | grep -o 'mtu [0-9]*')
	tap_expect "$dst: the next one: ICMP error with r's MTU minus ESP, OutPmtuExceeded +1" \
		"mtu $want 1" "$got $((o1 - o0))"
}

# site H2ADDR H1ADDR SIZE MTU: the checks of one address family (path_mtu
# first: TCP makes h1 learn the path MTU too).
site() {
	local h2=$1 h1=$2 o0 i0
	o0=$(stat OutPackets); i0=$(stat InPackets)
	tap_check "$h2: ping h1 -> h2 through the tunnel" pings "$h2"
	tap_expect "$h2: 3 pings: kipsec OutPackets +3 InPackets +3 on gwa" \
		"3 3" "$(($(stat OutPackets) - o0)) $(($(stat InPackets) - i0))"
	path_mtu "$h2" "$3" "$4"
	cap_start gwa to-r "ip or ip6" out
	TCP_MB=$MB tap_check "$h2: $MB MB TCP h1 -> h2 checked by sha256 (1400 MTU link)" \
		tcp_check "$h2" h1 h2
	TCP_MB=$MB tap_check "$h2: $MB MB TCP h2 -> h1 checked by sha256" tcp_check "$h1" h2 h1
	local clear esp
	read -r clear esp <<<"$(cap_stop)"
	tap_expect "$h2: the gateway link carries only ESP ($esp ESP)" 0 "$clear"
	[ "$clear" = 0 ] || cap_clear
}

# gwb lets its own pings to h1 go in clear: gwa's fwd policy drops them.
fwd_clear() {
	local b0
	ip -n "$NS_gwb" xfrm policy add src 192.168.2.1/32 dst 192.168.1.2/32 dir out \
		priority 10 action allow
	b0=$(stat InPolBlock)
	nsx gwb ping -I 192.168.2.1 -c 2 -i 0.2 -W 1 192.168.1.2 >/dev/null 2>&1
	tap_expect "clear packets matching gwa's fwd policy dropped, InPolBlock +2" \
		2 $(($(stat InPolBlock) - b0))
	ip -n "$NS_gwb" xfrm policy del src 192.168.2.1/32 dst 192.168.1.2/32 dir out
}

fwd_clear
site 192.168.2.2 192.168.1.2 1372 1346
site fd02::2 fd01::2 1352 1326
tap_done
