#!/bin/bash
# kipsec-cost: 47
# SPDX-License-Identifier: GPL-2.0
# Issue 7, bad input on the wire: the all-kiked lab (me_lab.bash,
# home-router NATs, the seed's files) with an attacker R8 on the Internet
# segment (198.51.100.8).  R8 forges connectivity checks (unencrypted
# INFORMATIONALs with zero SPIs, me_forge.py) with the source address of
# R6's NAT, 198.51.100.5:4500, towards R2's NAT (they pass R3's firewall
# once R2's mapping towards R6 exists), from the start of the mediation
# until the tunnel is up and afterwards, and with its own address towards
# R4 (the server, kiked) and R3.  Asserted, each from the log line of the
# kiked that got it: an ME_ENDPOINT of 5 bytes, of an unknown family, of
# type 0, with port 0, a check without ME_CONNECTID, one for a connect ID
# nobody announced, and one with a connect ID read off the wire (R3's
# Internet side) and a forged ME_CONNECTAUTH: each dropped with its log line
# (on R2, and on R4 for those sent there), nothing from R8's own address
# reaches R2; then kiked still runs on R2, R4 and R6, the mediated
# tunnel carries ping and TCP with the checks of me_kiked_all.sh, and one
# mediated IKE_SA on each gateway.  make check runs it on 6.12 only;
# KIPSEC_FULL=1 everywhere.
set -u
cd "$(dirname "$0")/../.."
. selftests/lib.sh
. selftests/net/me_lab.bash
me_run_on 6.12
command -v python3 >/dev/null || { echo "1..0 # SKIP needs python3"; exit 4; }
me_test_init kb
trap "me_kiked_role_stop; me_test_cleanup" EXIT
FORGE=$PWD/selftests/net/me_forge.py
EP=00ffffff01010fa00a000002		# a HOST ME_ENDPOINT, 10.0.0.2:4000
AUTH=$(printf '%040d' 0)
NAT6=$ME_INET.5 NAT2=$ME_INET.3

# forge DST_NODE_IP SRC NOTIFY...: one forged check from R8, SRC:4500 -> DST:4500.
forge() { local dst=$1 src=$2; shift 2; nsx R8 python3 "$FORGE" send "$src" 4500 "$dst" 4500 1 "$@"; }
# logged NODE REGEX: NODE's kiked logged REGEX (waits up to 5 s).
logged() { me_wait 5 grep -qE "$2" "$D/$1/kiked.log"; }
# alive NODE: NODE's kiked runs and answers statusall.
alive() { kill -0 "$(cat "$D/$1/kiked.pid")" && me_kipsec "$1" statusall >/dev/null; }
# flood: forged checks towards R2 (spoofed R6 NAT) every 0.3 s until the tunnel is up.
flood() {
	for _ in $(seq 200); do
		forge $NAT2 $NAT6 40965:0a0b0c0d 40963:$EP 40967:$AUTH
		forge $NAT2 $NAT6 40965:0a0b0c0d 40963:0102030405 40967:$AUTH
		peer_up && break
		sleep 0.3
	done
}

me_lab_up kb
ns_create R8 && link_ns R8 $ME_INET.8/24 inet ""
nsx inet ip link set to-R8 master br0
for n in R4 R2 R6; do tap_check "$v: kiked started on $n" me_kiked_role $n; done
flood &
fl=$!
tap_check "$v: R4 lists r2 and r6 online" me_wait 60 me_both_registered
tap_check "$v: mediated IKE_SA up on R2 despite forged checks during the mediation" me_wait 90 peer_up
wait $fl
tap_check "$v: forged checks reached R2 during the mediation, dropped: unknown connect ID" \
	logged R2 "connectivity check from $NAT6\[4500\] for an unknown connect ID: dropped"

e="invalid connectivity check from $NAT6\[4500\] \(.*"
forge $NAT2 $NAT6 40965:01020304 40963:0102030405 40967:$AUTH
tap_check "$v: R2: ME_ENDPOINT of 5 bytes dropped with a log line" logged R2 "${e}ME_ENDPOINT.*\): dropped"
forge $NAT2 $NAT6 40965:01020304 40963:00ffffff07010fa00a000002 40967:$AUTH
tap_check "$v: R2: ME_ENDPOINT of family 7 dropped" logged R2 "${e}famil.*\): dropped"
forge $NAT2 $NAT6 40965:01020304 40963:00ffffff01000fa00a000002 40967:$AUTH
tap_check "$v: R2: ME_ENDPOINT of type 0 dropped" logged R2 "${e}type.*\): dropped"
forge $NAT2 $NAT6 40965:01020304 40963:00ffffff010100000a000002 40967:$AUTH
tap_check "$v: R2: ME_ENDPOINT with port 0 dropped" logged R2 "${e}port.*\): dropped"
forge $NAT2 $NAT6 40963:$EP 40967:$AUTH
tap_check "$v: R2: check without ME_CONNECTID dropped" logged R2 "${e}no ME_CONNECTID\): dropped"
forge $NAT2 $NAT6 40965:01020304 40963:$EP 40967:$AUTH:400
tap_check "$v: R2: a notify chain running past the datagram dropped, the fault named" \
	logged R2 "malformed IKE message of [0-9]+ bytes from $NAT6\[4500\] \(payload length outside the message\): dropped"
cids=$(nsx R8 python3 "$FORGE" cids "$D/r3.pcap")
tap_check "$v: connect IDs of the real checks read off R3's Internet side" test -n "$cids"
for c in $cids; do forge $NAT2 $NAT6 40965:$c 40963:$EP 40967:$AUTH; done
tap_check "$v: R2: a check with a real connect ID and a forged ME_CONNECTAUTH dropped" \
	logged R2 "conn peer: connectivity check from $NAT6\[4500\] failed ME_CONNECTAUTH verification: dropped"
# R8's own address: to R4 (the server has no checklist) and to R3 (firewall).
forge $ME_INET.4 $ME_INET.8 40965:0a0b0c0d 40963:$EP 40967:$AUTH
tap_check "$v: R4: check from R8 for an unknown connect ID dropped" \
	logged R4 "connectivity check from $ME_INET\.8\[4500\] for an unknown connect ID: dropped"
forge $ME_INET.4 $ME_INET.8 40965:0a0b0c0d 40963:0102030405 40967:$AUTH
tap_check "$v: R4: malformed ME_ENDPOINT from R8 dropped" \
	logged R4 "invalid connectivity check from $ME_INET\.8\[4500\] \(.*ME_ENDPOINT.*\): dropped"
forge $NAT2 $ME_INET.8 40965:0a0b0c0d 40963:$EP 40967:$AUTH
sleep 1
tap_check_fail "$v: nothing from R8's own address reached R2 (R3's firewall)" \
	grep -q "from $ME_INET\.8" "$D/R2/kiked.log"
for n in R2 R4 R6; do tap_check "$v: kiked on $n still runs and answers" alive $n; done
me_direct_checks "$v" tap_check 10
tap_check "$v: one mediated IKE_SA on R2 and on R6" me_one_sa
{
	for n in R2 R4; do
		echo "$n:"
		grep -E "connectivity check|pair .* valid" "$D/$n/kiked.log" | cut -d' ' -f2- |
			sort | uniq -c | sort -rn | head -12
	done
} | sed 's/^/# /'
me_kiked_role_stop
tap_done
