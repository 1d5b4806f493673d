#!/bin/bash
# kipsec-cost: 150
# SPDX-License-Identifier: GPL-2.0
# kiked (programming kipsec) <-> strongSwan charon (programming Linux XFRM),
# site-to-site tunnel 10.1.0.0/24 <-> 10.2.0.0/24 across a router namespace:
#
#   A: kiked, 10.1.0.1  --192.0.2.0/24--  M  --198.51.100.0/24--  B: charon, 10.2.0.1
#
# For each role (kiked initiating, charon initiating): the SAs kipsec holds
# equal those charon put into XFRM (SPI, algorithm and key), ping and a
# checksummed TCP transfer cross the tunnel, and M sees only ESP; then the
# same host-to-host in transport mode.
set -u
cd "$(dirname "$0")/../.."
KIKED=$PWD/ike/kiked KIPSEC=$PWD/tools/kipsec
WAIT=${IKE_WAIT:-300}
T=$(mktemp -d /tmp/ike_ss.XXXXXX)
A=ikA$$ M=ikM$$ B=ikB$$
N=0 FAIL=0 KP=
. selftests/lib.sh

. selftests/net/ike_lib.bash
trap ike_cleanup EXIT

ike_prereq
FULL=0; [ "${KIPSEC_FULL:-0}" = 1 ] && FULL=1
echo "1..$((35 + 5 * FULL))"
modprobe -q esp4 2>/dev/null; modprobe -q xfrm_user 2>/dev/null
modprobe -q veth 2>/dev/null; modprobe -q dummy 2>/dev/null
ike_routed_ns

# charon -> kipsec direction on the wire at M: ESP only, no inner packet.
only_esp_on_wire() {
	ip netns exec $M timeout 20 tcpdump --immediate-mode -l -n -i m1 -c 5 'src host 198.51.100.2 or src host 10.2.0.1' \
		>"$T/wire" 2>/dev/null &
	local tp=$!
	sleep 1
	ip netns exec $B ping -q -c 5 -i 0.2 -W 1 -I 10.2.0.1 10.1.0.1 >/dev/null 2>&1
	wait $tp
	[ "$(grep -c 'ESP(spi=' "$T/wire")" = 5 ] && ! grep -q "10\.2\.0\.1 >" "$T/wire" ||
		{ sed 's/^/# wire: /' "$T/wire"; return 1; }
}

# Packets counted on kipsec's inbound SA (the one whose destination is A).
in_packets() {
	ip netns exec $A "$KIPSEC" -s sa list | awk '
		/^src/ { inb = ($4 == "192.0.2.1") }
		inb && /packets/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }' | head -1
}
# charon encrypts, kipsec decrypts: exactly the 5 echo requests are counted.
inbound_exact() {
	local before after
	before=$(in_packets)
	ip netns exec $B ping -q -c 5 -i 0.2 -W 1 -I 10.2.0.1 10.1.0.1 >/dev/null 2>&1
	after=$(in_packets)
	[ -n "$before" ] && [ "$after" = $((before + 5)) ] || { echo "# inbound packets $before -> $after"; return 1; }
}
# Until kipsec has an outbound path (kdp), bidirectional traffic cannot work:
# report those as TODO (not failures) when inbound decryption is proven.
INBOUND_OK=0
check_bidir() {
	local n=$1; shift
	if "$@"; then ok "$n"
	elif [ $INBOUND_OK = 1 ]; then N=$((N + 1)); echo "not ok $N - $n # TODO kipsec outbound datapath not available yet"
	else nok "$n"; fi
}

for role in kiked charon; do
	if [ $role = kiked ]; then
		start_charon add; start_kiked start
	else
		start_kiked add; sleep 0.5; start_charon start
	fi
	check "$role initiates: kiked installs the CHILD_SA into kipsec" \
		wait_log "$T/kiked.log" "installed SAs"
	check "$role initiates: kipsec sa list equals charon's ip xfrm state (SPI, AEAD, key)" views_agree
	INBOUND_OK=0
	if inbound_exact; then INBOUND_OK=1; ok "$role initiates: charon -> kipsec: 5 pings decrypted, inbound SA counts exactly 5"
	else nok "$role initiates: charon -> kipsec: 5 pings decrypted, inbound SA counts exactly 5"; fi
	check_bidir "$role initiates: ping 10.1.0.1 -> 10.2.0.1 through the tunnel" tunnel_ping
	check_bidir "$role initiates: 1 MB TCP transfer, sha256 equal" tcp_transfer
	check "$role initiates: charon -> kipsec is only ESP on the wire (tcpdump on M)" only_esp_on_wire
	[ $FAIL = 0 ] || { sed 's/^/# kiked: /' "$T/kiked.log" | tail -15; }
	stop_all
done

# ---- Host-to-host transport mode (no subnets: each side's IKE address),
# each side initiating once: the SAs agree, a TCP transfer between the
# hosts' own addresses, and a ping's 10 IPv4 packets crossing M are all ESP.
transport_wire() {
	ip netns exec $M timeout 20 tcpdump --immediate-mode -l -n -i m1 -c 10 \
		'ip and not udp port 500 and not udp port 4500' >"$T/wire" 2>/dev/null &
	local tp=$!
	sleep 1
	ip netns exec $A ping -q -c 5 -i 0.2 -W 1 198.51.100.2 >/dev/null 2>&1
	wait $tp
	[ "$(grep -c 'ESP(spi=' "$T/wire")" = 10 ] || { sed 's/^/# wire: /' "$T/wire"; return 1; }
}
for role in kiked charon; do
	if [ $role = kiked ]; then
		CHARON_SUBNETS= start_charon add type=transport
		KIKED_SUBNETS= start_kiked start type=transport
	else
		KIKED_SUBNETS= start_kiked add type=transport; sleep 0.5
		CHARON_SUBNETS= start_charon start type=transport
	fi
	check "transport, $role initiates: kiked installs a transport-mode CHILD_SA" \
		eval 'wait_log "$T/kiked.log" "installed SAs" && grep -q "CHILD_SA .*: transport mode" "$T/kiked.log"'
	check "transport, $role initiates: kipsec sa list equals charon's ip xfrm state (SPI, AEAD, key)" views_agree
	check "transport, $role initiates: 1 MB TCP transfer 192.0.2.1 -> 198.51.100.2, sha256 equal" \
		tcp_transfer $A 192.0.2.1 $B 198.51.100.2
	check "transport, $role initiates: a ping's 10 packets at M are all ESP" transport_wire
	[ $FAIL = 0 ] || { sed 's/^/# kiked: /' "$T/kiked.log" | tail -15; }
	stop_all
done

# ---- Rekeying (RFC 7296 1.3) with lifetimes of seconds, under a ping stream.
# The side with the short lifetimes starts the rekeys: CHILD_SA at 3, 6 and
# 9 s, IKE_SA at 7 s; the other side's lifetimes are an hour.  The stream
# is 60 pings 0.2 s apart from kipsec's side (both ESP directions); a rekey
# replaces the SAs make-before-break, so none should be lost: LOSS_MAX (1)
# is slack for a loaded TCG VM (documented in kiked.md).
LOSS_MAX=${LOSS_MAX:-1}
SHORT="ikelifetime=10s
lifetime=6s
margintime=3s
rekeyfuzz=0%"
LONG="ikelifetime=1h
lifetime=1h"
ike_spis() {	# "SPIi SPIr" of the ESTABLISHED IKE_SAs, one per line, per side
	if [ $1 = kiked ]; then
		ip netns exec $A "$KIPSEC" --ctl "$T/k.ctl" status |
			sed -n 's/.*ESTABLISHED.*SPIs \([0-9a-f]*\)_i\** \([0-9a-f]*\)_r.*/\1 \2/p'
	else
		charon_x "$T" ipsec statusall |
			sed -n 's/.*IKEv2 SPIs: \([0-9a-f]*\)_i\** \([0-9a-f]*\)_r.*/\1 \2/p'
	fi
}
# One IKE_SA on each side, the same SPIs, not those of the first IKE_SA.
ike_rekeyed() {
	local k c
	for _ in $(seq 50); do
		k=$(ike_spis kiked); c=$(ike_spis charon)
		[ "$(echo "$k" | grep -c .)" = 1 ] && [ "$k" = "$c" ] && [ "$k" != "$IKE0" ] && return 0
		sleep 0.1
	done
	echo "# IKE SPIs first: $IKE0, kiked now: $k, charon now: $c" | tr '\n' ' '; echo
	return 1
}
# kipsec holds two SAs, both in charon's XFRM with the same algorithm and
# key, and none of the first SPIs is left on either side.  (charon keeps a
# rekeyed inbound SA 5 s longer, charon.delete_rekeyed_delay, so while it
# rekeys every 3 s its XFRM holds more than the two current SAs.)
child_rekeyed() {
	local k x
	for _ in $(seq 100); do
		k=$(kipsec_view); x=$(xfrm_view)
		[ -n "$x" ] && [ "$(echo "$k" | grep -c .)" = 2 ] &&
			[ -z "$(echo "$k" | grep -vxF "$x")" ] &&
			[ -z "$(printf '%s\n%s\n' "$k" "$x" | cut -d' ' -f1 | grep -xF -f "$T/spi0")" ] &&
			return 0
		sleep 0.1
	done
	echo "# SPIs first: $(echo $(cat "$T/spi0"))"
	echo "# kipsec:"; echo "$k" | sed 's/^/#   /'; echo "# xfrm:"; echo "$x" | sed 's/^/#   /'
	return 1
}
stream_loss_ok() {
	local tx rx
	tx=$(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) .*/\1/p' "$T/ping")
	rx=$(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) .*/\2/p' "$T/ping")
	echo "# ping stream: $rx of $tx answered"
	[ -n "$tx" ] && [ "$tx" -ge 60 ] && [ $((tx - rx)) -le $LOSS_MAX ]
}

# KIPSEC_FULL=1 adds "both": equal lifetimes, so both sides start the same
# rekeys at about the same time, and 100 ms of delay each way at M makes the
# requests cross (RFC 7296 2.8.1 collisions: kiked logs each one and who
# deletes which SA; their number depends on timing, so only the outcome is
# checked).
for who in charon kiked $([ $FULL = 1 ] && echo both); do
	if [ $who = charon ]; then
		# charon (IKE responder) rekeys, no PFS.
		start_charon add "$SHORT"; start_kiked start "$LONG"
	elif [ $who = both ]; then
		for d in m0 m1; do ip netns exec $M tc qdisc replace dev $d root netem delay 100ms; done
		start_charon add "$SHORT"; start_kiked start "$SHORT"
	else
		# kiked (IKE responder) rekeys, with PFS (ecp256) for the CHILD_SAs.
		KIKED_ESP=aes128gcm16-ecp256 start_kiked add "$SHORT"; sleep 0.5
		CHARON_ESP=aes128gcm16-ecp256 start_charon start "$LONG"
	fi
	if ! wait_log "$T/kiked.log" "installed SAs"; then
		nok "$who rekeys: CHILD_SA installed"; stop_all; continue
	fi
	views_agree >/dev/null; kipsec_view | cut -d' ' -f1 >"$T/spi0"; IKE0=$(ike_spis kiked)
	ip netns exec $A ping -i 0.2 -c 60 -W 1 -I 10.1.0.1 10.2.0.1 >"$T/ping" 2>&1
	if [ $who = both ]; then
		echo "# collisions: $(grep -c "simultaneous CHILD_SA rekey" "$T/kiked.log") CHILD_SA, $(grep -c "IKE_SA rekey collision" "$T/kiked.log") IKE_SA"
		check "both rekeys: CHILD_SAs rekeyed by both sides" \
			grep -q "rekeying CHILD_SA" "$T/kiked.log"
		check "both rekeys: IKE_SA rekeyed" grep -q "IKE_SA rekeyed" "$T/kiked.log"
	elif [ $who = charon ]; then
		answered() { grep -q "CHILD_SA rekeyed (by the peer)" "$T/kiked.log" &&
			grep -q "outbound SA [0-9a-f]* installed" "$T/kiked.log"; }
		check "charon rekeys: kiked answers its CHILD_SA rekeys (REKEY_SA, new SPIs), sends on the new SA once charon deletes the old" \
			answered
		check "charon rekeys: kiked answers its IKE_SA rekey" \
			grep -q "IKE_SA rekeyed (responder)" "$T/kiked.log"
	else
		check "kiked rekeys: kiked rekeys the CHILD_SA with PFS, charon agrees" \
			grep -q "rekeying CHILD_SA .* (PFS)" "$T/kiked.log"
		check "kiked rekeys: kiked rekeys the IKE_SA" \
			grep -q "IKE_SA rekeyed (initiator)" "$T/kiked.log"
	fi
	check "$who rekeys: one IKE_SA, both sides on the same new IKE SPIs" ike_rekeyed
	check "$who rekeys: new CHILD_SA SPIs in kipsec sa list and ip xfrm state (same keys), old SAs gone" \
		child_rekeyed
	check "$who rekeys: ping stream through the rekeys lost at most $LOSS_MAX of 60" stream_loss_ok
	[ $FAIL = 0 ] || { sed 's/^/# kiked: /' "$T/kiked.log" | tail -40; }
	stop_all
	[ $who = both ] && for d in m0 m1; do ip netns exec $M tc qdisc del dev $d root; done
done

# ---- Kernel EXPIRE events: packet limits only kipsec counts (lifepackets).
# Soft at 10 packets starts a rekey; when the peer refuses it (charon has no
# PFS group, kiked insists), hard at 30 packets deletes the CHILD_SA.
start_charon add "$LONG"; start_kiked start "$LONG
lifepackets=30
marginpackets=20"
if wait_log "$T/kiked.log" "installed SAs"; then
	views_agree >/dev/null; kipsec_view | cut -d' ' -f1 >"$T/spi0"
	ip netns exec $A ping -q -i 0.2 -c 12 -W 1 -I 10.1.0.1 10.2.0.1 >/dev/null 2>&1
	check "soft EXPIRE (packets) from kipsec makes kiked rekey the CHILD_SA" \
		wait_log "$T/kiked.log" "soft EXPIRE"
	check "after the EXPIRE-triggered rekey: new SPIs on both sides (same keys), old SAs gone" child_rekeyed
else
	nok "EXPIRE: CHILD_SA installed"
fi
stop_all
start_charon add "$LONG"; KIKED_ESP=aes128gcm16-ecp256 start_kiked start "$LONG
lifepackets=30
marginpackets=20"
if wait_log "$T/kiked.log" "installed SAs"; then
	ip netns exec $A ping -q -i 0.2 -c 35 -W 1 -I 10.1.0.1 10.2.0.1 >/dev/null 2>&1
	check "refused rekey (PFS mismatch) is logged with what to compare" \
		grep -q "peer refused our CREATE_CHILD_SA (NO_PROPOSAL_CHOSEN)" "$T/kiked.log"
	no_sas() { [ -z "$(kipsec_view)" ] && [ -z "$(xfrm_view)" ]; }
	hard_gone() { wait_log "$T/kiked.log" "hard EXPIRE" && for _ in $(seq 50); do no_sas && return 0; sleep 0.1; done; return 1; }
	check "hard EXPIRE from kipsec deletes the CHILD_SA on both sides (INFORMATIONAL delete)" hard_gone
	# The IKE_SA outlives its CHILD_SA: with esp= fixed and reloaded,
	# `kipsec up` makes a new CHILD_SA in it (CREATE_CHILD_SA, no REKEY_SA).
	new_child() {
		sed -i 's/esp=aes128gcm16-ecp256/esp=aes128gcm16/' "$T/k.conf"
		ip netns exec $A "$KIPSEC" --ctl "$T/k.ctl" reload >/dev/null &&
			ip netns exec $A "$KIPSEC" --ctl "$T/k.ctl" up t | grep -q "creating a CHILD_SA" ||
			return 1
		for _ in $(seq $WAIT); do
			[ "$(grep -c "installed SAs" "$T/kiked.log")" = 2 ] && break; sleep 0.1
		done
		for _ in $(seq 50); do views_agree >/dev/null && break; sleep 0.1; done
		views_agree && tunnel_ping
	}
	check "kipsec up on an IKE_SA without CHILD_SA: new CHILD_SA by CREATE_CHILD_SA, SAs agree, ping" \
		new_child
else
	nok "EXPIRE: CHILD_SA installed"
fi
[ $FAIL = 0 ] || { sed 's/^/# kiked: /' "$T/kiked.log" | tail -30; }
stop_all
exit $FAIL
