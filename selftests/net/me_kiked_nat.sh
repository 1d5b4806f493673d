#!/bin/bash
# kipsec-cost: 57
# SPDX-License-Identifier: GPL-2.0
# Issue 7 item 7: kiked past strongSwan on NATs that rewrite ports.  The
# seed's lab (selftests/net/me_lab.bash), kiked on R2, R4 and R6 with the
# seed's files:
#   prflx      R3 a full cone mapping 10.0.0.2:4500 to 14500 for everyone,
#              R5 `masquerade random` (a new port per destination): the
#              endpoint R4 saw for R6 is useless to R2, R6's checks reveal
#              R6's mapping towards R3 (a peer-reflexive endpoint) and the
#              tunnel must use it.  Asserted: R2 logs the peer-reflexive
#              endpoint and the peer's NAT as mapping per destination, the
#              pair to it is valid, R2's mediated IKE_SA goes to that
#              endpoint (not to the port R4 lists for R6), then the checks of
#              me_direct_checks (ping, SHA-256-checked TCP, ESP-in-UDP between
#              the NATs, no ESP at R4, nothing in clear).
#   symmetric  both NATs `masquerade random`: no pair can work.  Asserted:
#              both gateways log the one-line diagnosis naming both mappings
#              (as R4 saw them) and what to change, within 20 s of both being
#              registered (not the recovery's minutes), and no mediated IKE_SA.
set -u
cd "$(dirname "$0")/../.."
. selftests/lib.sh
. selftests/net/me_lab.bash
me_test_init kn

# srflx_port N NAT: the port R4 lists rN@medsrv.org online at.
srflx_port() {
	me_kipsec R4 statusall | sed -n "s/^  r$1@medsrv.org: online, $ME_INET\.$2\[\([0-9]*\)\].*/\1/p"
}
# prflx_port: the peer-reflexive endpoint of R6 that R2 learnt.
prflx_port() {
	sed -n "s/.*conn peer: peer-reflexive endpoint $ME_INET\.5\[\([0-9]*\)\].*/\1/p" "$D/R2/kiked.log" | head -1
}
r2_to_prflx() {
	me_kipsec R2 statusall | grep -q "peer: ESTABLISHED, 10\.0\.0\.2\[4500\]\.\.\.$ME_INET\.5\[$(prflx_port)\]"
}
show() { me_show 'pair .* valid|reflexive|NAT:|establishing|symmetric|no endpoint pair'; }
start_all() {
	tap_check "$v: kiked started on R4, R2 and R6" \
		eval 'me_kiked_node R4 && me_kiked_node R2 && me_kiked_node R6'
	tap_check "$v: R4 lists r2 and r6 online (R3 at $ME_PORT3)" me_wait 60 me_both_registered
}

run_prflx() {
	local p6
	me_lab_up kn R2 5 prflx
	start_all
	me_direct_checks "$v" tap_check 90
	p6=$(srflx_port 6 5)
	tap_check "$v: R2 learnt R6's peer-reflexive endpoint 198.51.100.5[$(prflx_port)], not the [$p6] R4 saw" \
		eval '[ -n "$(prflx_port)" ] && [ "$(prflx_port)" != "$p6" ]'
	tap_check "$v: R2 classified R6's NAT as mapping per destination" \
		grep -q "conn peer: the peer's NAT: NAT mapping per destination (symmetric) (10\.0\.0\.6\[4500\] maps to $ME_INET\.5\[$p6\] towards the server, $ME_INET\.5\[$(prflx_port)\]" \
		"$D/R2/kiked.log"
	tap_check "$v: R2's pair to the peer-reflexive endpoint is valid" \
		grep -q "endpoint pair [0-9]* is valid: 10\.0\.0\.2\[4500\] - $ME_INET\.5\[$(prflx_port)\] PEER_REFLEXIVE" "$D/R2/kiked.log"
	tap_check "$v: R2's mediated IKE_SA goes to the peer-reflexive endpoint" r2_to_prflx
	tap_check "$v: one mediated IKE_SA on R2 and on R6" me_one_sa
	show
	me_kiked_stop
	ns_cleanup
}

# diag NODE: NODE's one-line diagnosis, naming both mappings as R4 saw them.
diag() {
	local us=$1 p2 p6 line
	p2=$(srflx_port 2 3) p6=$(srflx_port 6 5)
	if [ "$1" = R2 ]; then
		line="ours maps 10\.0\.0\.2\[4500\] to $ME_INET\.3\[$p2\] towards the server and the peer's maps 10\.0\.0\.6\[4500\] to $ME_INET\.5\[$p6\]"
	else
		line="ours maps 10\.0\.0\.6\[4500\] to $ME_INET\.5\[$p6\] towards the server and the peer's maps 10\.0\.0\.2\[4500\] to $ME_INET\.3\[$p2\]"
	fi
	grep "conn peer: connectivity checks with .* failed: both NATs are symmetric: $line, both rewrite the port.*one NAT at least must map endpoint-independently" \
		"$D/$us/kiked.log" >/dev/null
}

run_symmetric() {
	local t0 dt
	me_lab_up kn R2 5 symmetric
	me_capture_stop
	start_all
	t0=$SECONDS
	me_wait 40 eval 'diag R2 && diag R6'
	dt=$((SECONDS - t0))
	tap_check "$v: R2 logs the diagnosis naming both mappings" diag R2
	tap_check "$v: R6 logs it too" diag R6
	tap_check "$v: within 20 s of both registering (took ${dt} s), not the recovery's minutes" \
		test "$dt" -le 20
	tap_check "$v: no recovery attempted" \
		eval '! grep -q "no endpoint pair answered" "$D/R2/kiked.log" "$D/R6/kiked.log"'
	tap_check "$v: no mediated IKE_SA on R2" \
		eval '! me_kipsec R2 status | grep -q "^ *peer: ESTABLISHED"'
	show
	grep -h "both NATs are symmetric" "$D/R2/kiked.log" | head -1 | sed 's/^/# /'
	me_kiked_stop
	ns_cleanup
}

run_prflx
run_symmetric
tap_done
