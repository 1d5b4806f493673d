#!/bin/bash
# kipsec-cost: 70
# SPDX-License-Identifier: GPL-2.0
# kiked's trap policies and DPD actions against strongSwan charon, on the
# site-to-site layout of ike_strongswan.sh (A: kiked + kipsec, M: router,
# B: charon + XFRM):
#  - auto=route: kiked installs out/in/fwd policies without SA; the first
#    ping raises kipsec's ACQUIRE, which starts exactly one IKE_SA; traffic
#    then flows with the SAs under the trap's reqid, and charon's and
#    kipsec's SAs agree.  When charon deletes the CHILD_SA the trap stays,
#    and the next packet makes a new CHILD_SA in the surviving IKE_SA.
#  - auto=route with a narrower responder: the ACQUIRE's packet leads
#    kiked's TSi/TSr (RFC 7296 2.9), charon picks its conn holding that
#    packet, which then crosses the CHILD_SA.
#  - DPD (dpddelay=2s, --retransmit 0.5,2): with charon unreachable (all
#    traffic dropped at M) dpdaction=clear removes every kipsec SA and
#    policy; dpdaction=hold leaves a trap whose ACQUIRE re-initiates once M
#    forwards again; dpdaction=restart (charon killed) re-initiates until
#    charon is back.
set -u
cd "$(dirname "$0")/../.."
KIKED=$PWD/ike/kiked KIPSEC=$PWD/tools/kipsec
WAIT=${IKE_WAIT:-300}
T=$(mktemp -d /tmp/ike_route.XXXXXX)
A=irA$$ M=irM$$ B=irB$$
N=0 FAIL=0 KP=
. selftests/lib.sh
. selftests/net/ike_lib.bash

trap ike_cleanup EXIT

ike_prereq nft
echo "1..22"
modprobe -q esp4 2>/dev/null; modprobe -q xfrm_user 2>/dev/null; modprobe -q veth 2>/dev/null
ike_routed_ns

# kipsec's policies and SAs in A: "N dirs" and the reqids they use.
sp_dirs() { ip netns exec $A "$KIPSEC" sp list | sed -n 's/^.* dir \([a-z]*\) action.*/\1/p' | sort | tr '\n' ' '; }
sp_reqids() { ip netns exec $A "$KIPSEC" sp list | grep -o 'reqid [0-9]*' | sort -u | tr '\n' ' '; }
sa_reqids() { ip netns exec $A "$KIPSEC" sa list | grep -o 'reqid [0-9]*' | sort -u | tr '\n' ' '; }
sa_count() { ip netns exec $A "$KIPSEC" sa list | grep -c 'proto esp spi'; }
# A trap: out, in and fwd for 10.1.0.0/24 <-> 10.2.0.0/24, no SA.
trap_only() {
	[ "$(sp_dirs)" = "fwd in out " ] && [ "$(sa_count)" = 0 ] ||
		{ echo "# policies: $(sp_dirs)$(sp_reqids), SAs: $(sa_count)"; return 1; }
}
charon_ike_sas() { charon_x "$T" ipsec status | grep -c 'ESTABLISHED'; }
# Until the SAs agree (charon's log lags on TCG).
wait_agree() { for _ in $(seq 100); do views_agree >/dev/null && return 0; sleep 0.1; done; views_agree; }
wait_cmd() { for _ in $(seq $WAIT); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done; "$@"; }
# Until kiked has installed its Nth CHILD_SA.
wait_installed() {
	for _ in $(seq $WAIT); do
		[ "$(grep -c "installed SAs" "$T/kiked.log")" -ge $1 ] && return 0; sleep 0.1
	done
	return 1
}
dump_log() { [ $FAIL = 0 ] || sed 's/^/# kiked: /' "$T/kiked.log" | tail -${1:-25}; }

# ---- auto=route
start_charon add; start_kiked route
check "auto=route: kiked installs trap policies (out, in, fwd) without SA" \
	wait_log "$T/kiked.log" "trap policies installed"
check "auto=route: kipsec holds only the trap: 3 policies, no SA, no IKE_SA started; kiked status shows it ROUTED" \
	eval 'trap_only && ! grep -q "initiating IKE_SA" "$T/kiked.log" &&
		ip netns exec $A "$KIPSEC" --ctl "$T/k.ctl" status | grep -q "t{[0-9]*}:  ROUTED, TUNNEL"'
TRAP_REQID=$(sp_reqids)
# The first echo request raises the ACQUIRE (and is dropped); more packets
# during the negotiation must not start another one.
ip netns exec $A ping -c 1 -W 1 -I 10.1.0.1 10.2.0.1 >/dev/null 2>&1
ip netns exec $A ping -c 10 -i 0.3 -W 1 -I 10.1.0.1 10.2.0.1 >/dev/null 2>&1 &
PP=$!
check "auto=route: the first packet raises an ACQUIRE, kiked initiates and installs the CHILD_SA" \
	eval 'grep -q "kipsec ACQUIRE for 10.1.0.1 -> 10.2.0.1 (policy [0-9]*): initiating" "$T/kiked.log" &&
		wait_log "$T/kiked.log" "installed SAs .*(the trap.s)"'
wait $PP
one_negotiation() {
	local i a c
	i=$(grep -c "initiating IKE_SA" "$T/kiked.log"); a=$(grep -c "ACQUIRE" "$T/kiked.log")
	c=$(charon_ike_sas)
	[ "$i" = 1 ] && [ "$a" = 1 ] && [ "$c" = 1 ] ||
		{ echo "# kiked: $i IKE_SA initiations, $a ACQUIREs; charon: $c IKE_SAs"; return 1; }
}
check "auto=route: exactly one ACQUIRE and one negotiation (kiked log, charon's ipsec status)" one_negotiation
check "auto=route: ping through the tunnel once the CHILD_SA is in" tunnel_ping
check "auto=route: kipsec sa list equals charon's ip xfrm state (SPI, AEAD, key)" wait_agree
check "auto=route: the SAs use the trap's reqid, the trap's 3 policies are the only ones" \
	eval '[ "$(sa_reqids)" = "$TRAP_REQID" ] && [ "$(sp_dirs)" = "fwd in out " ]'
check "auto=route: 1 MB TCP transfer, sha256 equal" tcp_transfer
# charon deletes the CHILD_SA, the IKE_SA stays: the trap stays, and the
# next packet makes a new CHILD_SA in that IKE_SA (CREATE_CHILD_SA).
charon_x "$T" ipsec down 't{*}' >/dev/null 2>&1
check "auto=route: CHILD_SA deleted by charon: SAs gone, the trap's policies stay" \
	eval 'wait_log "$T/kiked.log" "peer deleted CHILD_SA" && wait_cmd trap_only'
new_child() {
	ip netns exec $A ping -c 1 -W 1 -I 10.1.0.1 10.2.0.1 >/dev/null 2>&1
	wait_installed 2 && grep -q "ACQUIRE .*creating a CHILD_SA in its IKE_SA" "$T/kiked.log" &&
		[ "$(grep -c "initiating IKE_SA" "$T/kiked.log")" = 1 ] && wait_agree && tunnel_ping
}
check "auto=route: the next packet's ACQUIRE makes a new CHILD_SA in the IKE_SA; SAs agree, ping" new_child
stop_kiked() { kill $KP; wait $KP; KP=; }
check "auto=route: kiked stopped: its SAs and trap policies are gone from kipsec" \
	eval 'stop_kiked && [ -z "$(sp_dirs)" ] && [ "$(sa_count)" = 0 ]'
dump_log
stop_all

# ---- auto=route, a responder narrower than the trap (RFC 7296 2.9): kiked
# routes 10.2.0.0/16, charon has t (10.2.1.0/24) and t2 (10.2.2.0/24).  The
# first packet, to 10.2.2.1, leads kiked's TSi/TSr; charon picks the conn
# that holds it (without it: t, the first whose subnet overlaps).
ip -n $B addr add 10.2.2.1/32 dev lo
CHARON_SUBNETS='leftsubnet=10.2.1.0/24\nrightsubnet=10.1.0.0/24' CHARON_TAIL=$'conn t2\n  also=t\n  leftsubnet=10.2.2.0/24' \
	start_charon add
KIKED_SUBNETS='leftsubnet=10.1.0.0/24\nrightsubnet=10.2.0.0/16' start_kiked route
wait_log "$T/kiked.log" "trap policies installed" &&
	ip netns exec $A ping -c 1 -W 1 -I 10.1.0.1 10.2.2.1 >/dev/null 2>&1
check "auto=route, narrower peer: the first packet (ICMP 10.1.0.1 -> 10.2.2.1) leads TSi/TSr" \
	wait_log "$T/kiked.log" "proposing TSi 10\.1\.0\.1\.\.10\.1\.0\.1\[1\] 10\.1\.0\.0\.\.10\.1\.0\.255 TSr 10\.2\.2\.1\.\.10\.2\.2\.1\[1\] 10\.2\.0\.0\.\.10\.2\.255\.255, the triggering packet first"
check "auto=route, narrower peer: charon picks t2; the CHILD_SA is 10.1.0.0/24 === 10.2.2.0/24 on both sides" \
	eval 'wait_log "$T/kiked.log" "CHILD_SA established: .*TS 10\.1\.0\.0\.\.10\.1\.0\.255 === 10\.2\.2\.0\.\.10\.2\.2\.255$" &&
		charon_x "$T" ipsec status | grep -q "t2{[0-9]*}: *10\.2\.2\.0/24 === 10\.1\.0\.0/24"'
check "auto=route, narrower peer: the first packet's flow crosses the CHILD_SA (ping 10.2.2.1), SAs agree" \
	eval 'wait_agree && ip netns exec $A ping -q -c 3 -W 2 -I 10.1.0.1 10.2.2.1 >/dev/null'
dump_log
stop_all

# ---- DPD: charon unreachable or gone
DPD="dpddelay=2s
dpdtimeout=10s"
KIKED_ARGS="--retransmit 0.5,2"
block() { ip netns exec $M nft -f - <<-EOF
	table inet dpdblock {
		chain fw { type filter hook forward priority 0; policy drop; }
	}
	EOF
}
unblock() { ip netns exec $M nft delete table inet dpdblock; }
no_kipsec_state() { [ -z "$(sp_dirs)" ] && [ "$(sa_count)" = 0 ]; }
for act in clear hold restart; do
	start_charon add; start_kiked start "$DPD
dpdaction=$act"
	if ! wait_log "$T/kiked.log" "installed SAs" || ! wait_agree >/dev/null; then
		nok "dpdaction=$act: CHILD_SA installed"; dump_log; stop_all; continue
	fi
	case $act in
	clear)
		block
		check "dpdaction=clear: DPD fails, kiked closes the IKE_SA" \
			wait_log "$T/kiked.log" "not responding after 2 retransmissions; closing the IKE_SA$"
		check "dpdaction=clear: kipsec holds no SA and no policy, kiked no IKE_SA" \
			eval 'no_kipsec_state && ! ip netns exec $A "$KIPSEC" --ctl "$T/k.ctl" status | grep -q " t: "'
		unblock;;
	hold)
		block
		check "dpdaction=hold: DPD fails, kiked closes the IKE_SA and installs a trap" \
			wait_log "$T/kiked.log" "trap installed (dpdaction=hold)"
		check "dpdaction=hold: kipsec holds the trap's 3 policies and no SA" trap_only
		unblock
		held() {
			ip netns exec $A ping -c 1 -W 1 -I 10.1.0.1 10.2.0.1 >/dev/null 2>&1
			wait_installed 2 && grep -q "kipsec ACQUIRE .*initiating" "$T/kiked.log" &&
				wait_agree && tunnel_ping
		}
		check "dpdaction=hold: with M forwarding again, a packet re-initiates; SAs agree, ping" held;;
	restart)
		# charon dies without a word (no delete), its XFRM SAs go with it.
		ip netns pids $B | xargs -r kill -9; CHARON_PID=
		ip -n $B xfrm state flush; ip -n $B xfrm policy flush
		check "dpdaction=restart: DPD fails, kiked re-initiates" \
			wait_log "$T/kiked.log" "restarting (dpdaction=restart)"
		check "dpdaction=restart: the old SAs are gone from kipsec while charon is down" \
			eval '[ "$(sa_count)" = 0 ]'
		sleep 2; start_charon add
		back() { wait_installed 2 && wait_agree && tunnel_ping; }
		check "dpdaction=restart: charon restarted: new CHILD_SA, SAs agree, ping" back;;
	esac
	dump_log
	stop_all
done
exit $FAIL
