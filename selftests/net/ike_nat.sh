#!/bin/bash
# kipsec-cost: 54
# SPDX-License-Identifier: GPL-2.0
# NAT traversal: kiked (programming kipsec) <-> strongSwan charon (Linux XFRM)
# through an nftables masquerade NAT (random source ports) in M:
#
#   A: kiked, 10.1.0.1  --192.0.2.0/24--  M  --198.51.100.0/24--  B: charon, 10.2.0.1
#
# 1. kiked behind the NAT initiates (M masquerades what leaves towards B);
# 2. charon behind the NAT initiates to kiked (M masquerades towards A).
# Each time: both logs say which side is behind the NAT, IKE moved to UDP
# 4500, kipsec's SAs are ESP in UDP and equal charon's (SPI, key), ping and a
# checked TCP transfer cross the tunnel, the outside link carries only UDP
# with port 4500 (ESP in UDP, IKE) and no bare ESP, the NATed side's
# keepalives (every 2 s here) are on the wire.  Then the NAT forgets its
# mappings (conntrack -F): the next packets get new ports, the side in front
# of the NAT floats its SAs (charon on XFRM's MAPPING, kiked on kipsec's) and
# traffic continues; with charon behind the NAT also a CHILD_SA rekey whose
# request is the first packet from a new port, an IKE_SA rekey, and the NAT
# moving charon to another address.
set -u
cd "$(dirname "$0")/../.."
KIKED=$PWD/ike/kiked KIPSEC=$PWD/tools/kipsec
WAIT=${IKE_WAIT:-300}
T=$(mktemp -d /tmp/ike_nat.XXXXXX)
A=inA$$ M=inM$$ B=inB$$
N=0 FAIL=0 KP=
. selftests/lib.sh
. selftests/net/ike_lib.bash
trap ike_cleanup EXIT

ike_prereq nft
echo "1..30"
ike_nat_ns

# Both ends as in ike_lib.bash; kiked sends keepalives every 2 s too.
KIKED_SETUP="keepalive=2s" KIKED_DEBUG=ike=2,knl=2,net=2

ping_from() {	# $1: A or B; a few tries while the SAs float
	local ns=$A src=10.1.0.1 dst=10.2.0.1
	[ $1 = B ] && ns=$B src=10.2.0.1 dst=10.1.0.1
	for _ in 1 2 3 4 5; do
		ip netns exec $ns ping -q -c 2 -i 0.3 -W 1 -I $src $dst >/dev/null 2>&1 && return 0
	done
	return 1
}
# Port of the side in front of the NAT ($1: kipsec or xfrm) changes from
# $2 after a conntrack flush and traffic from behind the NAT ($3: A or B).
floats() {
	local p
	ip netns exec $M conntrack -F >/dev/null 2>&1
	ping_from $3
	for _ in $(seq 50); do
		p=$(${1}_peer_port)
		[ -n "$p" ] && [ "$p" != "$2" ] && return 0
		sleep 0.1
	done
	echo "# $1 peer port stayed $2 ($p)"; return 1
}
# Conntrack flushed, then charon rekeys the CHILD_SA: its CREATE_CHILD_SA
# request is the first packet from the new port (keepalives aside, which
# kipsec drops): kiked floats on it, and the new SAs use the new port ($1:
# the port before).
rekey_floats() {
	local p
	ip netns exec $M conntrack -F >/dev/null 2>&1
	charon_x "$T" ipsec stroke rekey 't{1}' >/dev/null 2>&1
	wait_log "$T/kiked.log" "IKE message from a new address/port" &&
		wait_log "$T/kiked.log" "rekeyed (by the peer)" || return 1
	for _ in $(seq 50); do
		p=$(kipsec_peer_port)
		[ -n "$p" ] && [ "$p" != "$1" ] && views_agree >/dev/null && return 0
		sleep 0.1
	done
	echo "# kipsec peer port $p (was $1)"; views_agree
}
ike_rekey() {
	charon_x "$T" ipsec stroke rekey 't[1]' >/dev/null 2>&1
	wait_log "$T/kiked.log" "IKE_SA rekeyed" && status_nat 'remote host behind NAT'
}
# The NAT moves charon to another address (192.0.2.253): kiked floats on
# kipsec's MAPPING, re-adds its outbound SA and updates the tunnel policies
# for the new address, and rekeys the CHILD_SA (the re-added SA's sequence
# numbers restart).
addr_floats() {
	ip -n $M addr add 192.0.2.253/24 dev m0
	nat_towards m0 "snat to 192.0.2.253 random"
	ip netns exec $M conntrack -F >/dev/null 2>&1
	ping_from B
	wait_log "$T/kiked.log" "re-added for the peer's new address" || return 1
	for _ in $(seq 50); do
		ip netns exec $A "$KIPSEC" sa list | grep -q '^src 192\.0\.2\.1 dst 192\.0\.2\.253' &&
			! ip netns exec $A "$KIPSEC" sa list | grep -q '192\.0\.2\.254' &&
			[ "$(grep -c 'rekeyed' "$T/kiked.log")" -ge 2 ] && views_agree >/dev/null && return 0
		sleep 0.1
	done
	ip netns exec $A "$KIPSEC" sa list | grep '^src' | sed 's/^/# /'; views_agree
}

for role in kiked charon; do
	rm -f "$T/charon.ike.log"
	if [ $role = kiked ]; then
		nat_towards m1; out=m1 natted=198.51.100.254 me="local host" there="remote host is behind NAT"
		CHARON_RIGHT=%any start_charon add; start_kiked start
	else
		nat_towards m0; out=m0 natted=192.0.2.254 me="remote host" there="local host is behind NAT"
		KIKED_RIGHT=%any start_kiked add; sleep 0.5; start_charon start
	fi
	pre="$role behind the NAT initiates"
	check "$pre: kiked installs the CHILD_SA into kipsec" wait_log "$T/kiked.log" "installed SAs"
	check "$pre: NAT detected in kiked's log ($me behind a NAT) and charon's" \
		eval 'grep -q "NAT detected: $me" "$T/kiked.log" && wait_log "$T/charon.ike.log" "$there"'
	check "$pre: IKE_SA on UDP 4500, kipsec statusall shows the NAT" \
		status_nat "$([ $role = kiked ] && echo 'local host behind NAT' || echo 'remote host behind NAT')"
	check "$pre: kipsec's and charon's SAs are ESP in UDP" encap_both
	check "$pre: kipsec sa list equals charon's ip xfrm state (SPI, AEAD, key)" views_agree
	check "$pre: ping 10.1.0.1 -> 10.2.0.1 through the tunnel" tunnel_ping
	check "$pre: 1 MB TCP transfer, sha256 equal" tcp_transfer
	check "$pre: outside link carries only UDP/4500 (ESP in UDP), no bare ESP" only_udp4500 $out
	check "$pre: NAT keepalives from the NATed side on the outside link" keepalive_seen $out $natted
	if [ $role = kiked ]; then
		old=$(xfrm_peer_port)
		check "$pre: conntrack flushed: charon floats its SAs to the new port" floats xfrm "$old" A
	else
		old=$(kipsec_peer_port)
		check "$pre: conntrack flushed: kiked floats on kipsec's MAPPING" floats kipsec "$old" B
		check "$pre: kiked's log names the float" wait_log "$T/kiked.log" "kipsec MAPPING"
	fi
	check "$pre: after the float: kipsec and charon still agree (SPI, key)" views_agree
	check "$pre: after the float: ping both ways" eval 'ping_from A && ping_from B'
	if [ $role = charon ]; then
		check "$pre: conntrack flushed, charon rekeys the CHILD_SA: kiked floats on the IKE request, new SAs ESP in UDP to the new port" \
			rekey_floats "$(kipsec_peer_port)"
		check "$pre: charon rekeys the IKE_SA: the new one keeps the NAT state" ike_rekey
		check "$pre: after the rekeys: ping both ways, 1 MB TCP transfer" eval 'ping_from A && ping_from B && tcp_transfer'
		check "$pre: the NAT changes charon's address: kiked floats its SAs and policies, rekeys, SAs agree" addr_floats
		check "$pre: after the address change: ping both ways" eval 'ping_from A && ping_from B'
	fi
	# DUMP=1: both logs even when all passed.
	[ ${DUMP:-$FAIL} = 0 ] || { sed 's/^/# kiked: /' "$T/kiked.log" | tail -30; sed 's/^/# charon: /' "$T/charon.ike.log" | tail -40; }
	stop_all
done
exit $FAIL
