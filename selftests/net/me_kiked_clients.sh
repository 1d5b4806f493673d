#!/bin/bash
# kipsec-cost: 60
# SPDX-License-Identifier: GPL-2.0
# Issue 7, mixed lab: kiked on both gateways R2 and R6, strongSwan charon
# as the mediation server on R4, the seed's files on all three roles
# (addresses adapted; DPD after 5 s instead of 60 s, me_fast_dpd).
# Asserted, home-router NATs: charon saw R2 and R6 at their NATs' port 4500
# and both kikeds learnt that endpoint; the mediated IKE_SA and CHILD_SA
# directly between the NATs with the checks of me_kiked_all.sh (R1 pings
# R7, TCP transfer intact, ESP-in-UDP between the NATs, no ESP at R4,
# nothing in clear, one mediated IKE_SA on each gateway).  Then charon on
# R4 dies (SIGKILL; strongSwan's starter restarts it): both kikeds notice
# by DPD on their medsrv IKE_SA, re-register with the new charon, and the
# direct tunnel carries R1's pings throughout.  The bare-masquerade flavour
# (kiked's stray-entry recovery under a charon server, ~2 more minutes)
# runs with KIPSEC_FULL=1.  make check runs this test on 6.12 only
# (me_kiked_restart.sh runs on 6.1); KIPSEC_FULL=1 everywhere.
set -u
cd "$(dirname "$0")/../.."
. selftests/lib.sh
. selftests/net/me_lab.bash
full=${KIPSEC_FULL:-0}
me_run_on 6.12
me_test_init kk charon
trap "me_kiked_role_stop; me_test_cleanup" EXIT
me_fast_dpd 5

srflx_seen() {	# N NAT: charon on R4 logged rN's server-reflexive endpoint
	grep -q "SERVER_REFLEXIVE ME_ENDPOINT $ME_INET\.$2\[4500\]" "$D/R4/full.log" &&
		grep -q "the server sees us as $ME_INET\.$2\[4500\]" "$D/R$1/kiked.log"
}
# charon_pid: the charon daemon of R4 (not its starter).
charon_pid() { charon_x "$D/R4" cat /var/run/charon.pid; }
# reregistered PID: a charon other than PID on R4 holds two medsrv IKE_SAs,
# and both kikeds learnt their server-reflexive endpoint a second time.
reregistered() {
	[ "$(charon_pid)" != "$1" ] &&
		[ "$(charon_x "$D/R4" ipsec status | grep -c 'medsrv\[[0-9]*\]: ESTABLISHED')" = 2 ] &&
		[ "$(grep -c "the server sees us as $ME_INET\.3\[4500\]" "$D/R2/kiked.log")" = 2 ] &&
		[ "$(grep -c "the server sees us as $ME_INET\.5\[4500\]" "$D/R6/kiked.log")" = 2 ]
}

# run FLAVOUR TIMEOUT [restart]
run() {
	local pid old
	me_lab_up kk R2 5 "$1"
	tap_check "$v: charon started on R4 (mediation server, seed's files)" \
		ss_start R4 "$srv_conf" "$srv_secrets"
	tap_check "$v: kiked started on R2" me_kiked_role R2
	tap_check "$v: kiked started on R6" me_kiked_role R6
	tap_check "$v: charon saw R2 at 198.51.100.3[4500], R2's kiked learnt it" \
		me_wait 60 srflx_seen 2 3
	tap_check "$v: charon saw R6 at 198.51.100.5[4500], R6's kiked learnt it" \
		me_wait 30 srflx_seen 6 5
	me_direct_checks "$v" tap_check "$2"
	tap_check "$v: one mediated IKE_SA on R2 and on R6" me_one_sa
	if [ "${3:-}" = restart ]; then
		pid=$(charon_pid)
		old=$(me_kipsec R2 status | grep '^ *peer: ESTABLISHED')
		me_ping_bg 20
		tap_check "$v: charon on R4 killed (SIGKILL)" kill -9 "$pid"
		tap_check "$v: R2's kiked notices by DPD and re-establishes medsrv" \
			me_wait 40 grep -q "conn medsrv: peer $ME_INET\.4\[4500\] not responding.*restarting" "$D/R2/kiked.log"
		tap_check "$v: R6's kiked too" \
			me_wait 20 grep -q "conn medsrv: peer $ME_INET\.4\[4500\] not responding.*restarting" "$D/R6/kiked.log"
		tap_check "$v: both re-registered with the restarted charon (its status: 2 medsrv IKE_SAs)" \
			me_wait 60 reregistered "$pid"
		tap_expect "$v: R1's pings through the direct tunnel meanwhile: none lost" 0 "$(me_ping_lost)"
		tap_expect "$v: R2's mediated IKE_SA is the one from before" "$old" \
			"$(me_kipsec R2 status | grep '^ *peer: ESTABLISHED')"
		tap_check "$v: R1 pings R7 afterwards" nsx R1 ping -c 2 -W 3 192.168.7.7
	fi
	me_show 'pair .* valid|establishing|already set up|not responding|server sees|came through'
	me_kiked_role_stop
	ss_stop
	ns_cleanup
}

run home 90 restart
if [ "$full" = 1 ]; then run bare 200; fi
tap_done
