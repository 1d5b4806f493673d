#!/bin/bash
# kipsec-cost: 100
# SPDX-License-Identifier: GPL-2.0
# Issue 7: the all-kiked mediation lab.  The seed's lab
# (selftests/net/me_lab.bash) with home-router NATs, then with plain
# masquerade NATs (stray entries: the recovery in me_client.c), and with
# R3 mapping port 4500 to 14500 (endpoint-independent); kiked on all three
# roles with the seed's files (addresses adapted): mediation server on R4,
# gateways R2 and R6.  Asserted: both gateways registered (R4's statusall),
# one mediated IKE_SA between R2 and R6 (both sent ME_CONNECT: the higher
# connect ID initiates, the other waits for it), directly between the NATs
# on port 4500 with the CHILD_SA in kipsec; R1 pings R7, a TCP transfer
# arrives with the same SHA-256, ESP-in-UDP between the NATs, no ESP at R4,
# nothing in clear.
set -u
cd "$(dirname "$0")/../.."
. selftests/lib.sh
. selftests/net/me_lab.bash
me_test_init ka

# run FLAVOUR TIMEOUT: the lab with FLAVOUR NATs, kiked on R2, R4, R6.
run() {
	me_lab_up ka R2 5 "$1"
	tap_check "$v: kiked started on R4 (mediation server)" me_kiked_node R4
	tap_check "$v: kiked started on R2" me_kiked_node R2
	tap_check "$v: kiked started on R6" me_kiked_node R6
	tap_check "$v: R4 lists r2 and r6 online at their NATs' port 4500 (R3's $ME_PORT3)" \
		me_wait 60 me_both_registered
	me_direct_checks "$v" tap_check "$2"
	tap_check "$v: one mediated IKE_SA on R2 and on R6" me_one_sa
	me_show 'pair .* valid|establishing|already set up|peer initiates|ME_CALLBACK|not online|no endpoint pair answered|holding|checking .* again|came through'
	me_kiked_stop
	ns_cleanup
}

run home 90
# The NAT flavours below take 1 to 2 minutes each: make check runs the bare
# one on 6.1 and the port-mapping one on the other kernels, make check-full
# both everywhere.
full=${KIPSEC_FULL:-0} k=${KIPSEC_VM_KERNEL:-6.1}
# R3 maps port 4500 to 14500 for every destination: the server-reflexive
# endpoint the server reports is the one the peer must use.
if [ "$full" = 1 ] || [ "$k" != 6.1 ]; then run portmap 90; fi
# Plain masquerade NATs keep stray entries from the first checks (charon
# fails there, me_strongswan.sh): kiked's recovery lets them expire
# (me_client.c, Documentation/mediation.md), about 2 minutes.
if [ "$full" = 1 ] || [ "$k" = 6.1 ]; then run bare 200; fi
tap_done
