#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Baseline for issue 7 (IKEv2 mediation): strongSwan charon on every node of
# the seed's lab (selftests/net/me_lab.bash), R4 the mediation server, R2 and
# R6 gateways behind the NATs R3 and R5, with the seed's ipsec.conf and
# ipsec.secrets (only the Internet addresses moved to 198.51.100.0/24).
# Asserted, for the "home" NATs that drop unsolicited inbound packets:
#   - both gateways register with R4 (R4 logs their SERVER_REFLEXIVE
#     endpoints, the NAT addresses) and the mediated "peer" IKE_SA and
#     CHILD_SA come up directly between 198.51.100.3 and 198.51.100.5;
#   - R1 pings R7 and a checksummed TCP transfer crosses the tunnel;
#   - R4 receives no ESP (-p capture: what is delivered to R4), the
#     Internet side of R3 carries R1's traffic as ESP-in-UDP 4500<->4500
#     between the two NAT addresses only, nothing in clear.
# For bare masquerade NATs the same checks are TAP TODO: issue 7 item 6
# says charon fails there (Documentation/mediation.md records what was
# observed; KIPSEC_FULL=1 only, waiting 90 s for it); the run prints
# the NAT mappings, the first packets between the NATs and charon's view.
set -u
cd "$(dirname "$0")/../.."
. selftests/lib.sh
. selftests/net/me_lab.bash
T=$(mktemp -d /tmp/me_ss.XXXXXX)
SETTLE=${ME_WAIT:-90}

if ! command -v ipsec >/dev/null || ! command -v nft >/dev/null || ! command -v tcpdump >/dev/null; then
	echo "1..0 # SKIP needs strongSwan (ipsec), nft and tcpdump"
	exit $KSFT_SKIP
fi
need_modules veth bridge esp4 xfrm_user nf_tables nft_masq nf_nat nf_conntrack

conf_default='conn %default
	ikelifetime=60m
	keylife=20m
	rekeymargin=3m
	keyingtries=1
	authby=secret
	keyexchange=ikev2'

# The seed's files, Internet addresses adapted (2.2.2.x -> 198.51.100.x).
gw_conf() {	# $1: own number, $2: peer's number, $3: own LAN, $4: peer's LAN
	cat <<-EOF
	$conf_default
	  dpdaction=restart
	  dpddelay=60s
	  left=%defaultroute
	conn medsrv
	  leftid=r$1@medsrv.org
	  leftauth=psk
	  right=$ME_INET.4
	  rightid=r4@medsrv.org
	  rightauth=psk
	  mediation=yes
	  auto=add
	conn peer
	  leftsubnet=$3
	  leftid=r$1@bsdrp.net
	  right=%any
	  rightid=r$2@bsdrp.net
	  rightsubnet=$4
	  mediated_by=medsrv
	  me_peerid=r$2@medsrv.org
	  auto=start
	EOF
}
srv_conf="config setup
$conf_default
	mobike=no
	dpdaction=clear
	dpddelay=60s
conn medsrv
	left=$ME_INET.4
	leftid=r4@medsrv.org
	leftauth=psk
	right=%any
	rightauth=psk
	mediation=yes
	auto=add"
srv_secrets='r2@medsrv.org : PSK "MediaServerPassword"
r6@medsrv.org : PSK "MediaServerPassword"'
gw_secrets() {
	printf '%s\n' "r$1@medsrv.org : PSK \"MediaServerPassword\"" \
		'r2@bsdrp.net r6@bsdrp.net : PSK "IPsecPassword"'
}

# ss_start NODE CONF SECRETS: charon in NODE, its log (ike 2) in $D/NODE/full.log.
ss_start() {
	local d=$D/$1
	mkdir -p "$d"
	cat >"$d/strongswan.conf" <<-EOF
	charon {
		load_modular = yes
		plugins {
			include /etc/strongswan.d/charon/*.conf
		}
		filelog {
			full {
				path = $d/full.log
				time_format = %T
				default = 1
				ike = 2
			}
		}
	}
	include /etc/strongswan.d/*.conf
	EOF
	STRONGSWAN_CONF=$d/strongswan.conf charon_start "$NS_PREFIX-$1" "$d" "$2" "$3" || return 1
	echo "$CHARON_PID" >"$d/bg.pid"
}
ss_stop() {
	local n
	for n in R2 R4 R6; do
		[ -f "$D/$n/bg.pid" ] || continue
		CHARON_PID=$(cat "$D/$n/bg.pid") charon_stop "$NS_PREFIX-$n" "$D/$n"
		rm -f "$D/$n/bg.pid"
	done
}
cleanup() {
	me_capture_stop
	ss_stop
	ns_cleanup
	rm -rf "$T"
}
trap cleanup EXIT

peer_direct() {
	charon_x "$D/R2" ipsec statusall peer | grep -q "peer\[[0-9]*\]: ESTABLISHED.*\.\.\.$ME_INET\.5\["
}
peer_up() { charon_x "$D/R2" ipsec status peer | grep -q 'peer{[0-9]*}: *INSTALLED'; }
# pcap_count NS FILE FILTER
pcap_count() { nsx "$1" tcpdump -nn -r "$2" "$3" 2>/dev/null | grep -c .; }
# ESP-in-UDP: non-zero SPI where IKE has the zero non-ESP marker, longer
# than a NAT-keepalive's single byte.
ESPINUDP='udp port 4500 and udp[4:2] > 9 and udp[8:4] != 0'
tcp_ok() {
	local sum
	head -c 200000 /dev/urandom >"$T/blob"
	nsx R7 timeout 20 socat -u TCP-LISTEN:5001,reuseaddr OPEN:"$T/rx",creat,trunc &
	sleep 1
	nsx R1 timeout 15 socat -u OPEN:"$T/blob" TCP:192.168.7.7:5001 || return 1
	wait $! 2>/dev/null
	sum=$(md5sum <"$T/blob")
	[ "$sum" = "$(md5sum <"$T/rx")" ]
}

# run VARIANT CHECK: builds the lab, starts the three charons, checks with
# CHECK (tap_check, or tap_todo for the expected failure).
run() {
	local v=$1 chk=$2 esp r4 clear tmo=$SETTLE
	NS_PREFIX=me$v$$ D=$T/$v
	me_lab_build "$v" || { tap_fail "$v: lab built"; return; }
	mkdir -p "$D"
	me_capture R4 to-inet "$D/r4.pcap"
	me_capture R3 to-inet "$D/r3.pcap"
	tap_check "$v: charon started on R4 (mediation server)" ss_start R4 "$srv_conf" "$srv_secrets"
	tap_check "$v: charon started on R2" ss_start R2 "$(gw_conf 2 6 192.168.1.0/24 192.168.7.0/24)" "$(gw_secrets 2)"
	tap_check "$v: charon started on R6" ss_start R6 "$(gw_conf 6 2 192.168.7.0/24 192.168.1.0/24)" "$(gw_secrets 6)"
	tap_check "$v: both gateways registered with R4 (two medsrv IKE_SAs up there)" \
		me_wait 60 sh -c "test \$(nsenter -t \$(cat $D/R4/c.pid) -m -n ipsec status |
			grep -c 'medsrv\[[0-9]*\]: ESTABLISHED') = 2"
	sleep 5
	{ nsx R3 conntrack -L -p udp; nsx R5 conntrack -L -p udp; } 2>/dev/null | grep 'port=4500' >"$D/ct.early"
	$chk "$v: mediated IKE_SA and CHILD_SA up on R2" me_wait "$tmo" peer_up
	$chk "$v: R2's peer IKE_SA is direct to R6's NAT 198.51.100.5" \
		peer_direct
	$chk "$v: R1 pings R7 through the tunnel" nsx R1 ping -c 3 -W 3 -i 0.3 192.168.7.7
	$chk "$v: TCP transfer R1 -> R7 arrives intact" tcp_ok
	me_capture_stop
	esp=$(pcap_count R3 "$D/r3.pcap" "src host $ME_INET.3 and dst host $ME_INET.5 and udp src port 4500 and udp dst port 4500 and $ESPINUDP")
	$chk "$v: R1's traffic crossed R3's Internet side as ESP-in-UDP 4500->4500 to R5 ($esp packets)" \
		test "$esp" -ge 6
	r4=$(pcap_count R4 "$D/r4.pcap" "esp or ($ESPINUDP)")
	tap_expect "$v: no ESP delivered to R4" 0 "$r4"
	clear=$(pcap_count R3 "$D/r3.pcap" "(host 192.168.1.1 or host 192.168.7.7) and not udp")
	tap_expect "$v: nothing of R1<->R7 in clear on the Internet" 0 "$clear"
	{
		echo "$v: R2's view of the mediated connection and the NAT mappings:"
		charon_x "$D/R2" ipsec statusall peer 2>&1 | grep -E 'peer[[{]' | head -6
		for n in R2 R6; do
			echo "$n's checks:"
			grep -hE 'ME_CONNECT|ME_CALLBACK|not online|is valid|no pairs in waiting|establishing mediated|failed after|verification failed|checklist|unencrypted informational|initiating IKE_SA peer' \
				"$D/$n/full.log" | cut -d' ' -f3- | awk '!s[$0]++' | head -24
		done
		echo "R4 saw the server-reflexive endpoints:"
		grep -h 'SERVER_REFLEXIVE ME_ENDPOINT' "$D/R4/full.log" | cut -d' ' -f3- | sort -u
		echo "first packets between the NATs (R3's Internet side):"
		nsx R3 tcpdump -nn -r "$D/r3.pcap" "udp and host $ME_INET.5" 2>/dev/null | cut -d' ' -f2- | head -12
		echo "R3 and R5 conntrack, 5 s after registration:"; cat "$D/ct.early"
		echo "R3 and R5 conntrack at the end:"
		{ nsx R3 conntrack -L -p udp; nsx R5 conntrack -L -p udp; } 2>/dev/null | grep 'port=4500' 
	} | sed 's/^/# /'
	ss_stop
	ns_cleanup
}

run home tap_check
# The bare masquerade run documents strongSwan's failure (it proves nothing
# about kipsec): make check-full only.
if [ "${KIPSEC_FULL:-0}" = 1 ]; then run bare tap_todo; fi
tap_done
