#!/bin/bash
# kipsec-cost: 22
# SPDX-License-Identifier: GPL-2.0
# Issue 7, step 2: kiked as an IKEv2 mediation client.  The seed's lab
# (selftests/net/me_lab.bash) with home-router NATs: charon as the mediation
# server on R4, kiked on R2 and charon on R6, all three with the seed's
# ipsec.conf/ipsec.secrets (addresses adapted).  Asserted:
#   - kiked registers with charon over port 4500 (R4 logs R2's
#     server-reflexive endpoint 198.51.100.3[4500]) and learns that endpoint;
#   - ME_CONNECT and the connectivity checks find a valid pair, and the
#     mediated IKE_SA and CHILD_SA come up directly between the NATs
#     (charon's view on R6, kiked's statusall on R2: ESP in UDP in kipsec);
#   - R1 pings R7, a TCP transfer arrives with the same SHA-256, ESP-in-UDP
#     between the NATs, no ESP delivered to R4, nothing in clear.
# With KIPSEC_FULL=1 the same behind plain masquerade NATs, where two
# charons fail, three times: kiked on R2 and charon on R6, kiked on R6 and
# charon on R2, and that again with a stray entry at R3 (stray below);
# kiked rescues it each time by holding its NAT's mapping and sending a new
# ME_CONNECT, twice in the last (Documentation/mediation.md, "kiked with
# charon behind plain masquerade NATs").  A failed run prints kiked's log,
# charon's checks, both NATs' conntrack tables and R3's Internet side
# (ME_KC_DEBUG=1: always); ME_KC_RUN="bare 300 R6" runs one lab only.
set -u
cd "$(dirname "$0")/../.."
. selftests/lib.sh
. selftests/net/me_lab.bash
me_test_init kc charon

# K, C: the kiked and the charon gateway (R2/R6); k, c: their numbers;
# kn, cn: their NATs' last octets.
roles() {
	K=$1 C=$2 k=${1#R} c=${2#R} kn=3 cn=5
	[ "$K" = R6 ] && kn=5 cn=3
}
kiked_direct() {
	me_kipsec $K statusall | grep -q "peer: ESTABLISHED, 10\.0\.0\.$k\[4500\]\.\.\.$ME_INET\.$cn\[4500\]" &&
		me_kipsec $K statusall | grep -q "peer{[0-9]*}: INSTALLED"
}
# lan N: gateway N's LAN.
lan() { [ "$1" = 2 ] && echo 192.168.1.0/24 || echo 192.168.7.0/24; }

# stray: when kiked holds because charon did not, a stray entry at charon's
# NAT for its own port 4500 that outlives the hold by 15 s (as a late check
# from kiked would leave; kiked's checks before the hold left one there
# already: its timeout is set, else it is made): charon's checks after the
# new ME_CONNECT leave that NAT on another port and never reach kiked.
stray() {
	local ct="-p udp -s $ME_INET.$kn -d $ME_INET.$cn --sport 4500 --dport 4500"
	tap_check "$v: stray entry $ME_INET.$kn:4500 -> $ME_INET.$cn:4500 put at R$cn while kiked holds" eval \
		'me_wait 200 grep -q "we hold ours" "$D/$K/kiked.log" &&
		{ nsx R$cn conntrack -I $ct -t 60 || nsx R$cn conntrack -U $ct -t 60; } 2>/dev/null'
}

# run FLAVOUR TIMEOUT [KIKED_NODE [stray]]: charon on R4 and on the other
# gateway.
run() {
	local failed=$TAP_FAILED moved
	roles "${3:-R2}" "$([ "${3:-R2}" = R2 ] && echo R6 || echo R2)"
	me_lab_up kc$k $C $kn "$1"
	tap_check "$v: charon started on R4 (mediation server)" ss_start R4 "$srv_conf" "$srv_secrets"
	tap_check "$v: kiked started on $K (seed's gateway files)" \
		me_kiked_start $K "$(gw_conf $k $c "$(lan $k)" "$(lan $c)")" "$(gw_secrets $k)"
	tap_check "$v: charon started on $C" ss_start $C "$(gw_conf $c $k "$(lan $c)" "$(lan $k)")" "$(gw_secrets $c)"
	tap_check "$v: kiked registered with charon: R4 saw $K as 198.51.100.$kn[4500]" \
		me_wait 60 grep -q "SERVER_REFLEXIVE ME_ENDPOINT $ME_INET\.$kn\[4500\]" "$D/R4/full.log"
	tap_check "$v: kiked learnt its server-reflexive endpoint" \
		grep -q "the server sees us as $ME_INET\.$kn\[4500\]" "$D/$K/kiked.log"
	[ "${4:-}" = stray ] && stray
	me_direct_checks "$v" tap_check "$2"
	tap_check "$v: kiked's statusall on $K: peer ESTABLISHED 10.0.0.$k[4500]...198.51.100.$cn[4500], CHILD_SA INSTALLED" \
		kiked_direct
	# kiked on R6 is not the holder (R2's endpoint sorts first): it holds
	# when charon leaves its checks after the hold unanswered.
	if [ "${4:-}" = stray ]; then
		moved=$(pcap_count R$cn "$D/r3.pcap" "src host $ME_INET.$cn and dst host $ME_INET.$kn and udp dst port 4500 and not udp src port 4500")
		tap_check "$v: charon's checks left R$cn on another port than 4500 ($moved packets)" test "$moved" -gt 0
		# Whether the stray entry still catches charon's checks of the new
		# ME_CONNECT depends on when charon sends them; if they came
		# through, there was nothing to rescue twice.
		if grep -q "none of the peer's checks came through.*(2 of 2)" "$D/$K/kiked.log"; then
			tap_ok "$v: charon's checks after the new ME_CONNECT lost, kiked held again and asked once more"
		else
			tap_skip "$v: charon's checks after the new ME_CONNECT lost, kiked held again and asked once more" \
				"charon's checks of the first new ME_CONNECT came through this run"
		fi
	fi
	[ "$1" = bare ] && tap_check "$v: kiked rescued it: held its NAT's mapping, then a new ME_CONNECT whose checks charon sent first" \
		eval 'grep -q "opening our NAT.s mapping towards the peer and holding it\|the peer does not hold its mapping" "$D/$K/kiked.log" &&
			grep -q "the peer did not check again after the hold: a new ME_CONNECT" "$D/$K/kiked.log"'
	{
		echo "kiked on $K:"
		me_kipsec $K statusall | grep -vE '^ok$' | head -24
		grep -E 'mediation|ME_|pair|check|server sees|mediated|hold|silent' "$D/$K/kiked.log" | head -40
		grep -iE 'error|fail|refus' "$D/$K/kiked.log" | head
		echo "$C's view:"
		charon_x "$D/$C" ipsec statusall 2>&1 | grep -E 'peer[[{]' | head -12
		grep -E 'pairs in waiting|is valid|checklist|ME_CONNECT' "$D/$C/full.log" | head -20
	} | sed 's/^/# /'
	# A failed run: everything needed for a packet-level timeline.
	[ "$TAP_FAILED" -gt "$failed" ] || [ "${ME_KC_DEBUG:-0}" = 1 ] && {
		echo "==== kiked $K"; cat "$D/$K/kiked.log"
		echo "==== charon $C"; grep -E 'ME_|check|pair|waiting|valid|IKE_SA|sending packet|received packet' "$D/$C/full.log"
		for n in R3 R5; do echo "==== conntrack $n"; nsx $n conntrack -L 2>&1; done
		echo "==== R3 to-inet"; nsx R3 tcpdump -tttt -nn -r "$D/r3.pcap" udp 2>/dev/null | head -400
	} | sed 's/^/#D /'
	ss_stop
	me_kiked_stop
	ns_cleanup
}

if [ -n "${ME_KC_RUN:-}" ]; then
	run $ME_KC_RUN
	tap_done
fi
run home 90
# Plain masquerade NATs: charon and charon fail (me_strongswan.sh); kiked
# recovers (Documentation/mediation.md, "Recovery from stray NAT
# entries"), about two and a half minutes with kiked on R2 (the holder),
# three with kiked on R6, which holds when charon on R2 does not and asks
# it for new checks ("kiked with charon"), four with a stray entry at R3
# that costs the first new ME_CONNECT: make check-full only.
if [ "${KIPSEC_FULL:-0}" = 1 ]; then
	run bare 240
	run bare 300 R6
	run bare 330 R6 stray
fi
tap_done
