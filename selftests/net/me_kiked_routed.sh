#!/bin/bash
# kipsec-cost: 35
# SPDX-License-Identifier: GPL-2.0
# Issue 7 item 6: priming with a learnt hop count.  The seed's lab
# (selftests/net/me_lab.bash) with a router between the NATs (ME_ROUTED=1:
# [inet] routes, 203.0.113.1, instead of bridging), kiked on R2, R4 and
# R6 with the seed's files.  Each gateway learns from ICMP time-exceeded
# towards the mediation server that its NAT is 1 hop away with a public
# router beyond it, and primes its hole towards the peer's NAT with a TTL 2
# copy that dies at the router; the full-TTL checks then pass at once.
# Asserted: both gateways log the learnt hop count and the priming, R3's
# Internet side sees the router's time-exceeded for R2's priming copy to
# R5's NAT, no recovery from stray
# entries (the bridge lab's quiet period and hold), the mediated tunnel up
# within 20 s of registration, then me_direct_checks (ping, SHA-256-checked
# TCP, ESP-in-UDP between the NATs, no ESP at R4, nothing in clear).
# Bare masquerade NATs on 6.1, home-router NATs on the other kernels, both
# with KIPSEC_FULL=1.
set -u
cd "$(dirname "$0")/../.."
. selftests/lib.sh
. selftests/net/me_lab.bash
me_test_init kr $([ "${KIPSEC_FULL:-0}" = 1 ] && echo charon)

# logged N PATTERN: kiked's log on RN has a line matching PATTERN.
logged() { grep -q -- "$2" "$D/R$1/kiked.log"; }

run() {
	ME_ROUTED=1 me_lab_up kr R2 5 "$1"
	tap_check "$v: kiked started on R4, R2 and R6" \
		eval 'me_kiked_node R4 && me_kiked_node R2 && me_kiked_node R6'
	tap_check "$v: R4 lists r2 and r6 online at their NATs' port 4500" \
		me_wait 60 me_both_registered
	me_direct_checks "$v" tap_check 20
	tap_check "$v: one mediated IKE_SA on R2 and on R6" me_one_sa
	for n in 2 6; do
		tap_check "$v: R$n learnt its NAT 1 hop away, a router beyond it" \
			logged $n "conn medsrv: our NAT is 1 hop(s) away, a router beyond it"
		tap_check "$v: R$n primed its hole with TTL 2" \
			logged $n "conn peer: priming our NAT's mapping towards $ME_INET\.[35]\[4500\] with TTL 2"
		tap_check "$v: R$n needed no recovery from stray entries" \
			eval "! logged $n 'no endpoint pair answered\|holding it'"
	done
	# ICMP time exceeded from the router about a datagram to R5's NAT
	# (the inner header's destination 198.51.100.5 = c6336405).
	te=$(pcap_count R3 "$D/r3.pcap" "src host 203.0.113.1 and icmp[icmptype] = icmp-timxceed and icmp[24:4] = 0xc6336405")
	tap_check "$v: R3 saw the router's time-exceeded for R2's priming copy to R5's NAT ($te)" \
		test "$te" -ge 1
	me_show 'hop|priming|pair .* valid|establishing|no endpoint pair answered|holding'
	me_kiked_stop
	ns_cleanup
}

# charon on R6 (KIPSEC_FULL=1): kiked on R2 and R4.  charon neither
# probes nor primes and checks at once, so its first check may still reach
# R3 before R2's priming copy: asserted are R2's priming and the tunnel
# (the recovery of "kiked with charon" may run), not the time.
run_charon() {
	ME_ROUTED=1 me_lab_up krc R2 5 bare
	tap_check "$v+charon: kiked started on R4 and R2" \
		eval 'me_kiked_node R4 && me_kiked_node R2'
	tap_check "$v+charon: charon started on R6" \
		ss_start R6 "$(gw_conf 6 2 192.168.7.0/24 192.168.1.0/24)" "$(gw_secrets 6)"
	tap_check "$v+charon: R4 lists r2 and r6 online at their NATs' port 4500" \
		me_wait 60 me_both_registered
	me_direct_checks "$v+charon" tap_check 240
	tap_check "$v+charon: R2 primed its hole with TTL 2" \
		logged 2 "conn peer: priming our NAT's mapping towards $ME_INET\.5\[4500\] with TTL 2"
	me_show 'hop|priming|pair .* valid|establishing|no endpoint pair answered|holding'
	ss_stop
	me_kiked_stop
	ns_cleanup
}

full=${KIPSEC_FULL:-0} k=${KIPSEC_VM_KERNEL:-6.1}
if [ "$full" = 1 ] || [ "$k" = 6.1 ]; then run bare; fi
if [ "$full" = 1 ] || [ "$k" != 6.1 ]; then run home; fi
if [ "$full" = 1 ]; then run_charon; fi
tap_done
