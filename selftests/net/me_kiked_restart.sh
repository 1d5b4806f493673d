#!/bin/bash
# kipsec-cost: 115
# SPDX-License-Identifier: GPL-2.0
# Issue 7, restarts: the all-kiked lab (me_lab.bash, home-router NATs, the
# seed's files on R2, R4 and R6 with DPD after 5 s instead of 60 s and
# retransmissions after 0.5, 1, 2, 4 s: me_fast_dpd).  Once the mediated
# tunnel is up:
#   1. the mediation server dies (kiked on R4, SIGKILL) and is started again
#      at once: R2 and R6 notice by DPD on their medsrv IKE_SA, re-register
#      (R4's statusall lists both online again at their NATs' port 4500),
#      and the direct tunnel is untouched: the same mediated IKE_SA, none of
#      R1's pings to R7 (every 0.5 s meanwhile) lost, TCP intact afterwards;
#      then R4's kiked stops cleanly (SIGTERM: it deletes the mediation
#      IKE_SAs) and starts again: both clients log the Delete and register
#      again (me_cli_deleted), no ping lost, the same mediated IKE_SA;
#   2. gateway R6 dies (kiked SIGKILLed, its kipsec state flushed: a crashed
#      node): R2's DPD on the mediated IKE_SA fails and R2 mediates again (a
#      new ME_CONNECT for r6); R6 restarts and registers (R4 keeps it
#      online when the crashed kiked's IKE_SA goes), and the mediated
#      tunnel comes back directly between the NATs with the checks of
#      me_kiked_all.sh (ping, TCP, ESP-in-UDP between the NATs, no ESP at R4,
#      nothing in clear) and one mediated IKE_SA on each gateway.
# About 1.5 minutes on TCG: make check runs it on 6.1 only
# (me_kiked_clients.sh runs on 6.12); KIPSEC_FULL=1 everywhere.
set -u
cd "$(dirname "$0")/../.."
. selftests/lib.sh
. selftests/net/me_lab.bash
me_run_on 6.1
me_test_init kr
trap "me_kiked_role_stop; me_test_cleanup" EXIT
me_fast_dpd 5

# dpd_failed NODE CONN PEER: NODE's kiked logged CONN's DPD failure towards PEER.
dpd_failed() { grep -q "conn $2: peer ${3//./\\.}\[4500\] not responding.*restarting" "$D/$1/kiked.log"; }
connects() { grep -c "conn peer: sending ME_CONNECT for 'r6@medsrv.org'" "$D/R2/kiked.log"; }
more_connects() { [ "$(connects)" -gt "$1" ]; }
peer_sa() { me_kipsec R2 status | grep '^ *peer: ESTABLISHED'; }
# r6_once: R4 holds one medsrv IKE_SA from R5's NAT (the crashed kiked's
# is gone) and still lists r6 online.
r6_once() {
	[ "$(me_kipsec R4 status | grep -c "^ *medsrv: ESTABLISHED, .*\.\.\.$ME_INET\.5\[4500\]")" = 1 ] &&
		me_registered 6 5
}

me_lab_up kr
for n in R4 R2 R6; do tap_check "$v: kiked started on $n" me_kiked_role $n; done
tap_check "$v: R4 lists r2 and r6 online" me_wait 60 me_both_registered
tap_check "$v: mediated IKE_SA and CHILD_SA up on R2" me_wait 90 peer_up
tap_check "$v: R1 pings R7" nsx R1 ping -c 2 -W 3 192.168.7.7

# 1. The server restarts.
old=$(peer_sa)
me_ping_bg 20
me_kiked_kill R4 KILL
tap_check "$v: kiked on R4 killed and started again" me_kiked_role R4
tap_check "$v: R2 notices by DPD on medsrv and reconnects" me_wait 40 dpd_failed R2 medsrv $ME_INET.4
tap_check "$v: R6 too" me_wait 20 dpd_failed R6 medsrv $ME_INET.4
tap_check "$v: the restarted R4 lists r2 and r6 online again" me_wait 40 me_both_registered
tap_expect "$v: R1's pings through the tunnel meanwhile: none lost" 0 "$(me_ping_lost)"
tap_expect "$v: R2's mediated IKE_SA is the one from before" "$old" "$(peer_sa)"
tap_check "$v: TCP transfer R1 -> R7 afterwards intact (sha256)" tcp_ok

# 1b. The server restarts cleanly: it deletes the mediation IKE_SAs.
me_ping_bg 15
me_kiked_kill R4 TERM
tap_check "$v: kiked on R4 stopped (SIGTERM) and started again" me_kiked_role R4
tap_check "$v: R2 got the server's Delete and registers again" \
	me_wait 10 grep -q "conn medsrv: the mediation server deleted our IKE_SA.*registering again" "$D/R2/kiked.log"
tap_check "$v: R6 too" \
	me_wait 5 grep -q "conn medsrv: the mediation server deleted our IKE_SA.*registering again" "$D/R6/kiked.log"
tap_check "$v: R4 lists r2 and r6 online again" me_wait 40 me_both_registered
tap_expect "$v: R1's pings through the tunnel meanwhile: none lost" 0 "$(me_ping_lost)"
tap_expect "$v: R2's mediated IKE_SA is still the one from before" "$old" "$(peer_sa)"

# 2. Gateway R6 crashes: DPD on R2's mediated IKE_SA, re-mediation.
n=$(connects)
me_kiked_kill R6 KILL
nsx R6 "$KIPSEC" sa flush >/dev/null
nsx R6 "$KIPSEC" sp flush >/dev/null
tap_check "$v: R6 crashed: R2's DPD on the mediated IKE_SA fails" \
	me_wait 40 dpd_failed R2 peer $ME_INET.5
tap_check "$v: R2 mediates again: a new ME_CONNECT for r6" me_wait 10 more_connects "$n"
tap_check "$v: kiked on R6 started again" me_kiked_role R6
tap_check "$v: R4 lists r6 online again" me_wait 60 me_registered 6 5
tap_check "$v: R4 drops the crashed kiked's IKE_SA and keeps r6 online" me_wait 30 r6_once
me_capture_stop
rm -f "$D/r3.pcap" "$D/r4.pcap"
me_capture R4 to-inet "$D/r4.pcap"
me_capture R3 to-inet "$D/r3.pcap"
me_direct_checks "$v: after R6's restart" tap_check 90
tap_check "$v: one mediated IKE_SA on R2 and on R6" me_one_sa
{
	grep -E "not responding|went offline|online at|ME_CALLBACK" "$D/R4/kiked.log" | head -8
	grep -E "not responding|ME_CONNECT|not online|pair .* valid|establishing|already set up|INITIAL_CONTACT|failed" \
		"$D/R2/kiked.log" | head -20
} | sed 's/^/# /'
me_kiked_role_stop
tap_done
