#!/bin/bash
# kipsec-cost: 26
# SPDX-License-Identifier: GPL-2.0
# Issue 7, step 1: kiked as the IKEv2 mediation server.  The seed's lab
# (selftests/net/me_lab.bash) with home-router NATs (R3 and R5 masquerade
# and drop unsolicited inbound): strongSwan charon on the gateways R2 and
# R6 with the seed's ipsec.conf/ipsec.secrets (addresses adapted), kiked on
# R4 with the seed's server files.  Asserted:
#   - both charons register with kiked over port 4500: kiked's statusall
#     on R4 lists r2@medsrv.org and r6@medsrv.org online at their NATs'
#     port 4500 (the server-reflexive endpoints it reported), and R2's
#     charon learnt that endpoint from kiked's IKE_AUTH response;
#   - kiked relayed ME_CONNECT between them and the mediated IKE_SA and
#     CHILD_SA come up directly between 198.51.100.3 and 198.51.100.5;
#   - R1 pings R7, a TCP transfer arrives with the same SHA-256, R1's
#     traffic crosses the Internet as ESP-in-UDP between the NATs, R4
#     receives no ESP (tcpdump -p), nothing of R1<->R7 in clear;
#   - R6's mediation IKE_SA deleted: kiked takes r6 offline.
# Bare masquerade NATs fail with charon clients whatever the server is
# (me_strongswan.sh, Documentation/mediation.md): not run here.
set -u
cd "$(dirname "$0")/../.."
. selftests/lib.sh
. selftests/net/me_lab.bash
me_test_init ks charon

me_lab_up ks
tap_check "$v: kiked started on R4 (mediation server, seed's files)" \
	me_kiked_start R4 "$srv_conf" "$srv_secrets"
tap_check "$v: charon started on R2" ss_start R2 "$(gw_conf 2 6 192.168.1.0/24 192.168.7.0/24)" "$(gw_secrets 2)"
tap_check "$v: charon started on R6" ss_start R6 "$(gw_conf 6 2 192.168.7.0/24 192.168.1.0/24)" "$(gw_secrets 6)"
tap_check "$v: kiked's statusall on R4 lists r2 and r6 online at their NATs' port 4500" \
	me_wait 60 me_both_registered
tap_check "$v: R2's charon got its server-reflexive endpoint 198.51.100.3[4500] from kiked" \
	grep -q "SERVER_REFLEXIVE.*$ME_INET\.3\[4500\]\|server reflexive.*$ME_INET\.3\[4500\]" "$D/R2/full.log"
me_direct_checks "$v" tap_check 90
tap_check "$v: kiked relayed ME_CONNECT between the gateways" \
	grep -q "relaying ME_CONNECT response from" "$D/R4/kiked.log"
tap_check "$v: R6's mediation IKE_SA deleted: kiked takes r6 offline" \
	sh -c "nsenter -t \$(cat $D/R6/c.pid) -m -n ipsec down medsrv >/dev/null 2>&1;
		for i in \$(seq 40); do grep -q \"'r6@medsrv.org' went offline\" $D/R4/kiked.log && exit 0; sleep 0.5; done; exit 1"
tap_check "$v: ... and r2 stays online" me_registered 2 3
{
	echo "kiked on R4:"
	me_kipsec R4 statusall | grep -vE '^ok$' | head -20
	grep -E 'mediation|ME_|relaying' "$D/R4/kiked.log" | head -20
	echo "R2's view:"
	charon_x "$D/R2" ipsec statusall 2>&1 | grep -E 'medsrv[[{]|peer[[{]' | head -8
} | sed 's/^/# /'
tap_done
