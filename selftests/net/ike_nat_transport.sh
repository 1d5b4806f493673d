#!/bin/bash
# kipsec-cost: 58
# SPDX-License-Identifier: GPL-2.0
# Host-to-host transport mode through an nftables masquerade NAT (RFC 7296
# 2.23.1, RFC 3948): kiked (programming kipsec) <-> strongSwan charon
# (Linux XFRM) on ike_nat.sh's layout, without inside addresses:
#
#   A: kiked 192.0.2.1  --  M (NAT)  --  B: charon 198.51.100.2
#
# 1. kiked behind the NAT initiates (B sees it as 198.51.100.254);
# 2. charon behind the NAT initiates (A sees it as 192.0.2.254).
# The traffic selectors name the NATed host by its private address; each
# side installs transport policies for the addresses its packets carry
# (kipsec: A <-> the peer's address as seen; XFRM likewise), kipsec accepts
# the decapsulated TCP/UDP whose checksums cover the pre-NAT addresses
# (A's TCP and UDP InCsumErrors stay 0).  Each time: NAT detected, both
# SAs ESP in UDP and equal charon's, ping, a 1 MB TCP transfer (sha256) and
# a UDP datagram in both directions, kipsec's packet counters move by
# exactly the pings, the outside link carries only UDP/4500 (no bare ESP,
# no clear traffic), NAT keepalives.  With charon behind the NAT, the NAT
# then moves it to another address: kiked follows (SA, policies, rekey).
# The XFRM side of the same datapath
# (an ip xfrm transport-mode ESP-in-UDP SA behind the NAT) is in
# espinudp_xfrm.sh.
set -u
cd "$(dirname "$0")/../.."
KIKED=$PWD/ike/kiked KIPSEC=$PWD/tools/kipsec
WAIT=${IKE_WAIT:-300}
T=$(mktemp -d /tmp/ike_natt.XXXXXX)
A=itA$$ M=itM$$ B=itB$$
N=0 FAIL=0 KP=
. selftests/lib.sh
. selftests/net/ike_lib.bash
trap ike_cleanup EXIT

ike_prereq nft socat
echo "1..29"
ike_nat_ns
# Host to host: no leftsubnet/rightsubnet on either side.
KIKED_SETUP="keepalive=2s" KIKED_SUBNETS= CHARON_SUBNETS=

# TCP and UDP checksum errors A's stack counted.
csum_errors() {
	ip netns exec $A cat /proc/net/snmp | awk '
		/^(Tcp|Udp):/ { if (!h[$1]++) { for (i = 2; i <= NF; i++) c[$1, i] = $i } else
			for (i = 2; i <= NF; i++) if (c[$1, i] == "InCsumErrors") s += $i }
		END { print s + 0 }'
}
# udp_to FROM_NS SRC TO_NS DST: one datagram arrives.
udp_to() {
	local tok=kipsec-$RANDOM
	rm -f "$T/udp"
	ip netns exec $3 timeout 20 socat -u UDP4-RECVFROM:5002,reuseaddr OPEN:"$T/udp",creat &
	local rp=$!
	sleep 0.5
	echo "$tok" | ip netns exec $1 socat -u STDIN UDP4:$4:5002,bind=$2
	wait $rp
	[ "$(cat "$T/udp" 2>/dev/null)" = "$tok" ]
}
stat_of() { ip netns exec $A "$KIPSEC" stats | awk -v k="$1" '$1 == k { print $2 }'; }
# 5 pings from A: kipsec's OutPackets and InPackets grow by exactly 5.
ping_counted() {
	local i0 o0 i1 o1
	sleep 1
	i0=$(stat_of InPackets); o0=$(stat_of OutPackets)
	ip netns exec $A ping -q -c 5 -i 0.2 -W 2 -I 192.0.2.1 $PA >/dev/null
	i1=$(stat_of InPackets); o1=$(stat_of OutPackets)
	[ $((i1 - i0)) = 5 ] && [ $((o1 - o0)) = 5 ] ||
		{ echo "# InPackets +$((i1 - i0)), OutPackets +$((o1 - o0))"; return 1; }
}
# kipsec's policies: out and in for 192.0.2.1 <-> $PA only, transport.
kipsec_sps() {
	local l
	l=$(ip netns exec $A "$KIPSEC" sp list)
	echo "$l" | grep -q "src 192\.0\.2\.1/32 dst ${PA//./\\.}/32 .*dir out" &&
		echo "$l" | grep -q "src ${PA//./\\.}/32 dst 192\.0\.2\.1/32 .*dir in" &&
		[ "$(echo "$l" | grep -c ' dir ')" = 2 ] && echo "$l" | grep -q 'mode transport' ||
		{ echo "$l" | sed 's/^/# sp: /'; return 1; }
}
# charon's XFRM policy out: 198.51.100.2 -> $PB (A as B sees it).
xfrm_sps() {
	ip -n $B xfrm policy | grep -q "src 198\.51\.100\.2/32 dst ${PB//./\\.}/32" ||
		{ ip -n $B xfrm policy | sed 's/^/# xfrm: /'; return 1; }
}

# The NAT moves charon (behind it) to 192.0.2.253: charon's next packets
# raise kipsec's MAPPING, kiked re-adds its outbound SA, rewrites its
# transport policies for the new address and rekeys the CHILD_SA.
addr_floats() {
	ip -n $M addr add 192.0.2.253/24 dev m0
	nat_towards m0 "snat to 192.0.2.253 random"
	ip netns exec $M conntrack -F >/dev/null 2>&1
	PA=192.0.2.253
	for _ in 1 2 3 4 5; do
		ip netns exec $B ping -q -c 2 -i 0.3 -W 1 -I 198.51.100.2 192.0.2.1 >/dev/null 2>&1 && break
	done
	wait_log "$T/kiked.log" "re-added for the peer's new address" &&
		wait_log "$T/kiked.log" "rekeyed" || return 1
	for _ in $(seq 50); do
		kipsec_sps >/dev/null && views_agree >/dev/null && break
		sleep 0.1
	done
	kipsec_sps && views_agree &&
		ip netns exec $A ping -q -c 3 -W 2 -I 192.0.2.1 $PA >/dev/null &&
		ip netns exec $B ping -q -c 3 -W 2 -I 198.51.100.2 192.0.2.1 >/dev/null &&
		tcp_transfer $A 192.0.2.1 $B $PA 198.51.100.2 && tcp_transfer $B 198.51.100.2 $A 192.0.2.1
}

for role in kiked charon; do
	rm -f "$T/charon.ike.log"
	# PA: B's address as A sees it, PB: A's as B sees it.
	if [ $role = kiked ]; then
		nat_towards m1; out=m1 natted=198.51.100.254 PA=198.51.100.2 PB=198.51.100.254
		me="local host" there="remote host is behind NAT"
		CHARON_RIGHT=%any start_charon add type=transport; start_kiked start type=transport
	else
		nat_towards m0; out=m0 natted=192.0.2.254 PA=192.0.2.254 PB=192.0.2.1
		me="remote host" there="local host is behind NAT"
		KIKED_RIGHT=%any start_kiked add type=transport; sleep 0.5; start_charon start type=transport
	fi
	pre="transport, $role behind the NAT initiates"
	e0=$(csum_errors)
	check "$pre: kiked installs the CHILD_SA into kipsec" wait_log "$T/kiked.log" "installed SAs"
	check "$pre: NAT detected in kiked's log ($me behind a NAT) and charon's" \
		eval 'grep -q "NAT detected: $me" "$T/kiked.log" && wait_log "$T/charon.ike.log" "$there"'
	check "$pre: IKE_SA on UDP 4500, kipsec statusall shows the NAT" \
		status_nat "$([ $role = kiked ] && echo 'local host behind NAT' || echo 'remote host behind NAT')"
	if [ $role = kiked ]; then
		# kiked proposed TSi 192.0.2.1; charon answers with the address it sees.
		check "$pre: transport CHILD_SA, charon narrowed TSi to kiked's NATed address" \
			grep -q "CHILD_SA established: transport mode.*TS 198\.51\.100\.254\.\.198\.51\.100\.254 === 198\.51\.100\.2\.\.198\.51\.100\.2" "$T/kiked.log"
	else
		check "$pre: transport CHILD_SA, TSi charon's private address (RFC 7296 2.23.1: the reply keeps it)" \
			grep -q "CHILD_SA established: transport mode.*TS 198\.51\.100\.2\.\.198\.51\.100\.2 === 192\.0\.2\.1\.\.192\.0\.2\.1" "$T/kiked.log"
	fi
	check "$pre: kipsec's policies are for the addresses on the wire (192.0.2.1 <-> $PA), charon's for $PB" \
		eval 'kipsec_sps && xfrm_sps'
	check "$pre: kipsec's and charon's SAs are ESP in UDP, equal (SPI, AEAD, key)" \
		eval 'encap_both && views_agree'
	check "$pre: ping A -> $PA and B -> $PB" \
		eval 'ip netns exec $A ping -q -c 3 -W 2 -I 192.0.2.1 $PA >/dev/null &&
		      ip netns exec $B ping -q -c 3 -W 2 -I 198.51.100.2 $PB >/dev/null'
	check "$pre: 1 MB TCP A -> B, sha256 equal" tcp_transfer $A 192.0.2.1 $B $PA 198.51.100.2
	check "$pre: 1 MB TCP B -> A, sha256 equal" tcp_transfer $B 198.51.100.2 $A $PB 192.0.2.1
	check "$pre: UDP datagram both ways" \
		eval 'udp_to $A 192.0.2.1 $B $PA && udp_to $B 198.51.100.2 $A $PB'
	check "$pre: A's TCP/UDP InCsumErrors unchanged" eval '[ "$(csum_errors)" = "$e0" ]'
	check "$pre: 5 pings move kipsec's In/OutPackets by exactly 5" ping_counted
	check "$pre: outside link carries only UDP/4500 (ESP in UDP), no bare ESP" \
		only_udp4500 $out 192.0.2.1 $PA 198.51.100.2 $PB
	check "$pre: NAT keepalives from the NATed side on the outside link" keepalive_seen $out $natted
	[ $role = charon ] &&
		check "$pre: the NAT moves charon to 192.0.2.253: kiked moves SA and policies there, rekeys; ping and TCP both ways" \
			addr_floats
	[ ${DUMP:-$FAIL} = 0 ] || { sed 's/^/# kiked: /' "$T/kiked.log" | tail -30; sed 's/^/# charon: /' "$T/charon.ike.log" | tail -40; }
	stop_all
done
exit $FAIL
