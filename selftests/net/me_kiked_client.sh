#!/bin/bash
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
set -u
cd "$(dirname "$0")/../.."
. selftests/lib.sh
. selftests/net/me_lab.bash
me_test_init kc charon

kiked_direct() {
	me_kipsec R2 statusall | grep -q "peer: ESTABLISHED, 10\.0\.0\.2\[4500\]\.\.\.$ME_INET\.5\[4500\]" &&
		me_kipsec R2 statusall | grep -q "peer{[0-9]*}: INSTALLED"
}

# run FLAVOUR TIMEOUT
run() {
	me_lab_up kc R6 3 "$1"
	tap_check "$v: charon started on R4 (mediation server)" ss_start R4 "$srv_conf" "$srv_secrets"
	tap_check "$v: kiked started on R2 (seed's gateway files)" \
		me_kiked_start R2 "$(gw_conf 2 6 192.168.1.0/24 192.168.7.0/24)" "$(gw_secrets 2)"
	tap_check "$v: charon started on R6" ss_start R6 "$(gw_conf 6 2 192.168.7.0/24 192.168.1.0/24)" "$(gw_secrets 6)"
	tap_check "$v: kiked registered with charon: R4 saw R2 as 198.51.100.3[4500]" \
		me_wait 60 grep -q "SERVER_REFLEXIVE ME_ENDPOINT $ME_INET\.3\[4500\]" "$D/R4/full.log"
	tap_check "$v: kiked learnt its server-reflexive endpoint" \
		grep -q "the server sees us as $ME_INET\.3\[4500\]" "$D/R2/kiked.log"
	me_direct_checks "$v" tap_check "$2"
	tap_check "$v: kiked's statusall on R2: peer ESTABLISHED 10.0.0.2[4500]...198.51.100.5[4500], CHILD_SA INSTALLED" \
		kiked_direct
	[ "$1" = bare ] && tap_check "$v: kiked rescued it: held its NAT's mapping, then a new ME_CONNECT whose checks charon sent first" \
		eval 'grep -q "opening our NAT.s mapping towards the peer and holding it" "$D/R2/kiked.log" &&
			grep -q "the peer did not check again after the hold: a new ME_CONNECT" "$D/R2/kiked.log"'
	{
		echo "kiked on R2:"
		me_kipsec R2 statusall | grep -vE '^ok$' | head -24
		grep -E 'mediation|ME_|pair|check|server sees|mediated|hold|silent' "$D/R2/kiked.log" | head -40
		grep -iE 'error|fail|refus' "$D/R2/kiked.log" | head
		echo "R6's view:"
		charon_x "$D/R6" ipsec statusall 2>&1 | grep -E 'peer[[{]' | head -12
		grep -E 'pairs in waiting|is valid|checklist|ME_CONNECT' "$D/R6/full.log" | head -20
	} | sed 's/^/# /'
	ss_stop
	me_kiked_stop
	ns_cleanup
}

run home 90
# Plain masquerade NATs: charon and charon fail (me_strongswan.sh); kiked
# recovers (Documentation/mediation.md, "Recovery from stray NAT
# entries"), about two and a half minutes: make check-full only.
[ "${KIPSEC_FULL:-0}" = 1 ] && run bare 240
tap_done
