#!/bin/bash
# kipsec-cost: 170
# SPDX-License-Identifier: GPL-2.0
# kiked <-> kiked, each programming its own kipsec (two network namespaces):
# site-to-site tunnel 10.1.0.0/24 <-> 10.2.0.0/24, PSK, for each DH group
# (14, 19, 20, 31, with CBC+HMAC and GCM suites for IKE and ESP):
#   a: kiked initiating, 192.0.2.1, 10.1.0.1  ---  b: kiked responding, 192.0.2.2, 10.2.0.1
# the two `kipsec sa list` agree SA for SA (SPI, addresses, algorithms,
# keys: a's inbound SA is b's outbound and the reverse), ping and a 1 MB TCP
# transfer (sha256 compared) cross the tunnel, and what each side sends on
# the link is only ESP (besides IKE).  Then (6.12, or every kernel with
# KIPSEC_FULL=1) the rest of ike_strongswan.sh's matrix between two kikeds:
# ECDSA and RSA certificates, transport mode, CHILD_SA and IKE_SA rekeys in
# both directions under a ping stream, dpdaction=clear|restart, auto=route.
# Both sides are ours, so this proves the daemons agree with each other; the
# interop proofs are ike_strongswan.sh, ike_cert.sh, ike_nat.sh and ike_route.sh.
set -u
cd "$(dirname "$0")/../.."
. selftests/lib.sh
KIKED=$PWD/ike/kiked KIPSEC=$PWD/tools/kipsec
T=$(mktemp -d /tmp/ike_pair.XXXXXX)
PA= PB=
stop_pair() {
	[ -n "$PA" ] && kill $PA 2>/dev/null; [ -n "$PB" ] && kill $PB 2>/dev/null
	[ -n "$PA$PB" ] && wait $PA $PB 2>/dev/null; PA= PB=
}
cleanup() { stop_pair; ns_cleanup; rm -rf "$T"; }
trap cleanup EXIT

if [ ! -x "$KIKED" ] || ! ns_create a b || ! nsx a "$KIPSEC" sa list >/dev/null 2>&1; then
	echo "1..0 # SKIP needs ike/kiked, netns and the kipsec module"
	exit $KSFT_SKIP
fi
need_modules veth
link_ns a 192.0.2.1/24 b 192.0.2.2/24
mkdir -p "$T/cacerts"
TA=10.1.0.1 TB=10.2.0.1
nsx a ip addr add 10.1.0.1/32 dev lo; nsx b ip addr add 10.2.0.1/32 dev lo
nsx a ip route add 10.2.0.0/24 via 192.0.2.2; nsx b ip route add 10.1.0.0/24 via 192.0.2.1

other() { [ "$1" = a ] && echo b || echo a; }
pair_id() {	# the identity of side $1
	case ${PAIR_AUTH:-psk} in
	psk) echo "$1.test" ;;
	*) [ "$1" = a ] && echo kiked.test || echo charon.test ;;
	esac
}
# start_pair IKE ESP: a and b, each with kipsec, conn "t".  PAIR_AUTH: psk
# (default), ec or rsa (certificates of a test CA: a has "kiked", b
# "charon" from ike_certs.sh's mkcerts); PAIR_A / PAIR_B: extra conn lines
# for a / b; AUTO_A (start) and AUTO_B (add).  Returns once both installed
# their SAs (with AUTO_A=route: once a installed its trap).
start_pair() {
	local s me peer auto sub rsub extra auth secret cn sel
	: >"$T/a.log"; : >"$T/b.log"
	for s in a b; do
		if [ $s = a ]; then
			me=192.0.2.1 peer=192.0.2.2 auto=${AUTO_A:-start} sub=10.1 rsub=10.2 extra=${PAIR_A:-} cn=kiked
		else
			me=192.0.2.2 peer=192.0.2.1 auto=${AUTO_B:-add} sub=10.2 rsub=10.1 extra=${PAIR_B:-} cn=charon
		fi
		auth="authby=psk" secret='@a.test @b.test : PSK "kiked-pair-psk"'
		# Certificates name kiked.test and charon.test (subjectAltName).
		case ${PAIR_AUTH:-psk} in
		ec) auth="authby=pubkey
leftcert=$T/$cn-ec.pem" secret=": ECDSA $T/$cn-ec.key" ;;
		rsa) auth="authby=pubkey
leftcert=$T/$cn-rsa.pem" secret=": RSA $T/$cn-rsa.key" ;;
		esac
		sel="leftsubnet=$sub.0.0/24
rightsubnet=$rsub.0.0/24"
		[ "${PAIR_TYPE:-tunnel}" = transport ] && sel="type=transport"
		{
			echo "conn t"
			printf '%s\n' "left=$me" "right=$peer" "leftid=@$(pair_id $s)" "rightid=@$(pair_id $(other $s))" \
				"$sel" "ike=$1" "esp=$2" "auto=$auto" "$auth" "$extra" | grep . | sed 's/^/  /'
		} >"$T/$s.conf"
		echo "$secret" >"$T/$s.secrets"
		chmod 600 "$T/$s.secrets"
	done
	start_side b
	for _ in $(seq 50); do [ -S "$T/b.ctl" ] && break; sleep 0.1; done
	start_side a
	for _ in $(seq 300); do
		if [ "${AUTO_A:-start}" = route ]; then
			grep -q "trap policies installed" "$T/a.log" && return 0
		else
			grep -q "installed SAs" "$T/a.log" && grep -q "installed SAs" "$T/b.log" && return 0
		fi
		sleep 0.1
	done
	return 1
}
# start_side a|b: that side's kiked (pid in PA or PB).
start_side() {
	ip netns exec "$(eval echo \$NS_$1)" "$KIKED" --conf "$T/$1.conf" --secrets "$T/$1.secrets" \
		--cacerts "$T/cacerts" --ctl "$T/$1.ctl" --retransmit 0.5,2 \
		--foreground --debug ike=2,knl=2 >>"$T/$1.log" 2>&1 &
	if [ "$1" = a ]; then PA=$!; else PB=$!; fi
}

# One line per SA: spi src dst and the algorithm lines (name, key, bits).
sa_view() {
	nsx $1 "$KIPSEC" sa list | awk '
		/^src/ { if (spi != "") print spi, s, d, mode alg; s = $2; d = $4; spi = ""; alg = "" }
		/proto esp spi/ { spi = $4; mode = $8 }
		/^\t(aead|enc|auth-trunc) / { alg = alg " " $1 " " $2 " " $3 " " $4 }
		END { if (spi != "") print spi, s, d, mode alg }' | sort
}
sas_agree() {
	local va vb
	va=$(sa_view a); vb=$(sa_view b)
	[ "$(echo "$va" | grep -c 'aead\|enc')" = 2 ] && [ "$va" = "$vb" ] || {
		echo "# a:"; echo "$va" | sed 's/^/#   /'; echo "# b:"; echo "$vb" | sed 's/^/#   /'
		return 1; }
}
# a's inbound SPI (logged "SPIs in X out Y") is b's outbound and the reverse.
spis_cross() {
	local a b
	a=$(sed -n 's/.*SPIs in \([0-9a-f]*\) out \([0-9a-f]*\).*/\1 \2/p' "$T/a.log")
	b=$(sed -n 's/.*SPIs in \([0-9a-f]*\) out \([0-9a-f]*\).*/\2 \1/p' "$T/b.log")
	[ -n "$a" ] && [ "$a" = "$b" ] || { echo "# a in/out: $a, b out/in: $b"; return 1; }
}
# Packets counted on the SA of side $1 whose source is $2.
out_packets() {
	nsx $1 "$KIPSEC" -s sa list | awk -v src=$2 '
		/^src/ { o = ($2 == src) }
		o && /packets/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }' | head -1
}
tcp_checked() {
	head -c 1000000 /dev/urandom >"$T/tx"
	ip netns exec "$NS_b" socat -u TCP-LISTEN:5001,bind=$TB,reuseaddr OPEN:"$T/rx",creat,trunc &
	local sp=$!
	sleep 0.3
	if ! timeout 20 ip netns exec "$NS_a" socat -u OPEN:"$T/tx" TCP:$TB:5001,bind=$TA,connect-timeout=10; then
		kill $sp 2>/dev/null; wait $sp 2>/dev/null; return 1
	fi
	wait $sp
	[ "$(sha256sum <"$T/tx")" = "$(sha256sum <"$T/rx")" ]
}
# Ping and transfer from TA (a) to TB (b), each side's link captured as it sends (a receiver's
# capture shows the decrypted packets too): only ESP (and IKE) leaves.
traffic() {
	local tpa tpb rc=0 n s ea eb
	ip netns exec "$NS_a" tcpdump -U -n -Q out -i to-b -w "$T/a.pcap" 'not udp port 500' 2>/dev/null &
	tpa=$!
	ip netns exec "$NS_b" tcpdump -U -n -Q out -i to-a -w "$T/b.pcap" 'not udp port 500' 2>/dev/null &
	tpb=$!
	sleep 0.5
	nsx a ping -q -c 3 -W 2 -I $TA $TB >/dev/null || { echo "# ping failed"; rc=1; }
	tcp_checked || { echo "# TCP transfer failed"; rc=1; }
	sleep 0.3; kill $tpa $tpb; wait $tpa $tpb 2>/dev/null
	for s in a b; do
		n=$(wire_clear $s "$T/$s.pcap")
		[ "$n" = 0 ] || { echo "# $n packets sent in clear by $s"; rc=1; }
	done
	# 1 MB is at least 690 full-sized segments, each one ESP packet of a's
	# outbound SA; the captures hold ESP from both sides.
	n=$(out_packets a 192.0.2.1)
	ea=$(nsx a tcpdump -nn -r "$T/a.pcap" esp 2>/dev/null | grep -c .)
	eb=$(nsx b tcpdump -nn -r "$T/b.pcap" esp 2>/dev/null | grep -c .)
	[ "${n:-0}" -ge 690 ] && [ "$ea" -gt 0 ] && [ "$eb" -gt 0 ] ||
		{ echo "# a's outbound SA: ${n:-?} packets; ESP captured: a $ea, b $eb"; rc=1; }
	return $rc
}

for c in "14 aes128-sha256-modp2048 aes256-sha512" "19 aes256gcm16-prfsha256-ecp256 aes128gcm16" \
	 "20 aes256-sha384-ecp384 aes128-sha384" "31 aes128gcm16-prfsha512-curve25519 aes256gcm16"; do
	set -- $c
	if ! start_pair "$2" "$3"; then
		tap_fail "group $1 (ike=$2 esp=$3): CHILD_SA installed on both sides" \
			"$(tail -5 "$T/a.log" "$T/b.log")"
		stop_pair; nsx a "$KIPSEC" sa flush; nsx b "$KIPSEC" sa flush
		continue
	fi
	tap_check "group $1 (ike=$2 esp=$3): both kipsec SA lists agree (SPI, addresses, algorithms, keys)" sas_agree
	tap_check "group $1: a's inbound SPI is b's outbound and the reverse" spis_cross
	tap_check "group $1: ping and a 1 MB TCP transfer (sha256 equal) through the tunnel, only ESP on the wire" traffic
	if [ "$1" = 14 ]; then
		# kiked on the default control socket: plain `kipsec status`
		# adds its IKE_SAs to the kernel's listing.
		mkdir -p /run/kipsec; ln -sf "$T/a.ctl" /run/kipsec/kiked.ctl
		nsx a "$KIPSEC" status >"$T/status" 2>&1
		rm -f /run/kipsec/kiked.ctl
		tap_check "kipsec status (no --ctl): the kernel's SAs, then kiked's ESTABLISHED IKE_SA" \
			sh -c "grep -q '^Security associations: 2' '$T/status' && grep -q '^IKE (kiked at' '$T/status' && grep -q ESTABLISHED '$T/status'"
	fi
	stop_pair
	tap_expect "group $1: both daemons stopped: no SA or policy left in either kipsec" "0 0 0 0" \
		"$(for s in a b; do nsx $s "$KIPSEC" sa list | grep -c 'proto esp'; nsx $s "$KIPSEC" sp list | grep -c ' dir '; done | tr '\n' ' ' | sed 's/ $//')"
done

# ---- The rest of the kiked <-> charon matrix, kiked on both ends:
# certificates (ECDSA, RSA), transport mode, rekeys in both directions under
# a ping stream, DPD (clear, restart) and auto=route.  NAT traversal between
# two kikeds is the mediated tunnel of me_kiked_all.sh.  make check runs
# this part on 6.12 (about a minute), make check-full on every kernel.
if [ "${KIPSEC_FULL:-0}" != 1 ] && [ "${KIPSEC_VM_KERNEL:-6.12}" = 6.1 ]; then tap_done; fi
IKE=aes256gcm16-prfsha256-ecp256 ESP=aes128gcm16
flush_both() { for s in a b; do nsx $s "$KIPSEC" sa flush; nsx $s "$KIPSEC" sp flush; done >/dev/null 2>&1; }
# pair_up NAME: start_pair with IKE/ESP and the PAIR_* settings, or a failure.
pair_up() {
	start_pair $IKE $ESP && return 0
	tap_fail "$1: CHILD_SA installed on both sides" "$(tail -5 "$T/a.log" "$T/b.log")"
	stop_pair; flush_both; return 1
}
wait_grep() {	# wait_grep SECONDS FILE REGEX
	for _ in $(seq $(($1 * 10))); do grep -q "$3" "$2" && return 0; sleep 0.1; done; return 1
}

. selftests/unit/ike_certs.sh
mkcerts "$T"
for k in ec rsa; do
	PAIR_AUTH=$k pair_up "$k certificates" || continue
	cert_auth() {
		grep -q "authenticated with certificate 'C=CH, O=kipsec test, CN=charon-$k' issued by 'C=CH, O=kipsec test, CN=ca'" "$T/a.log" &&
			grep -q "authenticated with certificate 'C=CH, O=kipsec test, CN=kiked-$k' issued by 'C=CH, O=kipsec test, CN=ca'" "$T/b.log"
	}
	tap_check "$k certificates: each kiked authenticated the other's certificate (RFC 7427, test CA)" cert_auth
	tap_check "$k certificates: SA lists agree, ping and TCP transfer, only ESP on the wire" \
		eval 'sas_agree && traffic'
	stop_pair; flush_both
done

if PAIR_TYPE=transport pair_up "transport mode"; then
	tap_check "transport mode: both SA lists agree, mode transport" \
		eval 'sas_agree && [ "$(sa_view a | grep -c " transport ")" = 2 ]'
	TA=192.0.2.1 TB=192.0.2.2 tap_check "transport mode: ping and TCP transfer 192.0.2.1 -> 192.0.2.2, only ESP on the wire" traffic
	stop_pair; flush_both
fi

# Rekeys both ways: a has 6 s CHILD_SAs (a rekeys them at 3, 6, 9 s), b a
# 10 s IKE_SA (b rekeys it at 7 s), under a 12 s ping stream; make-before-
# break loses nothing (1 allowed on a loaded TCG VM, as ike_strongswan.sh).
ike_spis() {
	nsx $1 "$KIPSEC" --ctl "$T/$1.ctl" status |
		sed -n 's/.*ESTABLISHED.*SPIs \([0-9a-f]*\)_i\** \([0-9a-f]*\)_r.*/\1 \2/p'
}
if PAIR_A="lifetime=6s
margintime=3s
rekeyfuzz=0%" PAIR_B="ikelifetime=10s
margintime=3s
rekeyfuzz=0%" pair_up "rekeys"; then
	spi0=$(sa_view a | cut -d' ' -f1) ike0=$(ike_spis a)
	nsx a ping -i 0.2 -c 60 -W 1 -I 10.1.0.1 10.2.0.1 >"$T/ping" 2>&1
	tap_check "rekeys: a rekeyed the CHILD_SA, b answered (new SPIs)" \
		eval 'grep -q "rekeying CHILD_SA" "$T/a.log" && grep -q "rekeyed (by the peer)" "$T/b.log"'
	tap_check "rekeys: b rekeyed the IKE_SA, a answered" \
		eval 'grep -q "IKE_SA rekeyed (initiator)" "$T/b.log" && grep -q "IKE_SA rekeyed (responder)" "$T/a.log"'
	new_ike() {
		local x y
		x=$(ike_spis a); y=$(ike_spis b)
		[ "$(echo "$x" | grep -c .)" = 1 ] && [ "$x" = "$y" ] && [ "$x" != "$ike0" ] ||
			{ echo "# IKE SPIs first: $ike0, a: $x, b: $y"; return 1; }
	}
	tap_check "rekeys: one IKE_SA on each side, same new SPIs" new_ike
	new_child() {
		for _ in $(seq 50); do
			sas_agree >/dev/null && [ -z "$(sa_view a | cut -d' ' -f1 | grep -xF "$spi0")" ] && return 0
			sleep 0.1
		done
		echo "# first SPIs: $(echo $spi0)"; sas_agree
	}
	tap_check "rekeys: both SA lists agree on new SPIs, the first SAs are gone" new_child
	loss_ok() {
		local tx rx
		set -- $(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) .*/\1 \2/p' "$T/ping")
		tx=${1:-0} rx=${2:-0}
		echo "# ping stream: $rx of $tx answered"
		[ "${tx:-0}" -ge 60 ] && [ $((tx - rx)) -le 1 ]
	}
	tap_check "rekeys: the ping stream lost at most 1 of 60" loss_ok
	stop_pair; flush_both
fi

# DPD: b dies without a word (kill -9, its kipsec state flushed as by a
# reboot); a probes every 2 s, retransmits 0.5 s and 1 s later, then acts.
DPD="dpddelay=2s
dpdtimeout=10s"
for act in clear restart; do
	PAIR_A="$DPD
dpdaction=$act" pair_up "dpdaction=$act" || continue
	kill -9 $PB; wait $PB 2>/dev/null; PB=
	nsx b "$KIPSEC" sa flush; nsx b "$KIPSEC" sp flush
	if [ $act = clear ]; then
		tap_check "dpdaction=clear: a's DPD fails and closes the IKE_SA" \
			wait_grep 20 "$T/a.log" "not responding after 2 retransmissions; closing the IKE_SA$"
		sleep 0.5
		tap_expect "dpdaction=clear: a's kipsec holds no SA and no policy" "0 0" \
			"$(nsx a "$KIPSEC" sa list | grep -c 'proto esp') $(nsx a "$KIPSEC" sp list | grep -c ' dir ')"
	else
		tap_check "dpdaction=restart: a's DPD fails and re-initiates" \
			wait_grep 20 "$T/a.log" "restarting (dpdaction=restart)"
		start_side b
		back() {
			wait_grep 30 "$T/b.log" "installed SAs" && sleep 0.5 && sas_agree &&
				nsx a ping -q -c 3 -W 2 -I 10.1.0.1 10.2.0.1 >/dev/null
		}
		tap_check "dpdaction=restart: b restarted: a new CHILD_SA, SA lists agree, ping" back
	fi
	stop_pair; flush_both
done

# auto=route: trap policies on a, the first packet's ACQUIRE starts it.
if AUTO_A=route pair_up "auto=route"; then
	tap_expect "auto=route: a holds the trap (3 policies) and no SA" "0 3" \
		"$(nsx a "$KIPSEC" sa list | grep -c 'proto esp') $(nsx a "$KIPSEC" sp list | grep -c ' dir ')"
	nsx a ping -q -c 1 -W 1 -I 10.1.0.1 10.2.0.1 >/dev/null 2>&1
	routed() {
		wait_grep 20 "$T/b.log" "installed SAs" && wait_grep 5 "$T/a.log" "installed SAs" &&
			[ "$(grep -c "kipsec ACQUIRE .*initiating" "$T/a.log")" = 1 ] && sleep 0.3 && sas_agree &&
			nsx a ping -q -c 3 -W 2 -I 10.1.0.1 10.2.0.1 >/dev/null
	}
	tap_check "auto=route: the first packet's ACQUIRE makes one negotiation; SA lists agree, ping" routed
	stop_pair; flush_both
fi
tap_done
