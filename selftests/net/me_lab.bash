# SPDX-License-Identifier: GPL-2.0
# The IKEv2 mediation lab of issue 7 (seed 000_5e8ed8f6299feb47), sourced
# after selftests/lib.sh.  Seven namespaces exactly as the seed's diagram,
# the seed's "Internet" 2.2.2.0/24 moved to 198.51.100.0/24 (RFC 5737), the
# private ranges kept as the seed has them (both sites use 10.0.0.0/24):
#
#   R1 192.168.1.1 --LAN1-- 192.168.1.2 R2 10.0.0.2 -- 10.0.0.3 R3 (NAT) 198.51.100.3 --+
#                                                                                    [inet]  R4 198.51.100.4
#   R7 192.168.7.7 --LAN7-- 192.168.7.6 R6 10.0.0.6 -- 10.0.0.5 R5 (NAT) 198.51.100.5 --+   (mediation server)
#
# [inet] is a bridge in its own namespace (the seed's shared segment, a
# switch, not a router), so R4 sees only what is sent to it.  R2 and R6 are
# the IPsec gateways, R3 and R5 masquerade their site's 10.0.0.0/24 with
# nftables (the seed's pf "nat ... from $localnet"):
#   me_lab_build home   the NAT routers also drop unsolicited inbound packets,
#                       forwarded or to themselves (a home router's firewall)
#   me_lab_build bare   masquerade only: an inbound packet nobody asked for
#                       reaches the router's own stack (and its conntrack).
# Interfaces are named after the peer (lib.sh's link_ns): R3's "to-R2",
# "to-inet"; the bridge's ports "to-R3", "to-R4", "to-R5".

ME_INET=198.51.100

# me_lab_build VARIANT: namespaces R1..R7 and inet, addresses, routes, NAT.
me_lab_build() {
	local variant=$1 r
	ns_create R1 R2 R3 R4 R5 R6 R7 inet || return 1
	link_ns R1 192.168.1.1/24 R2 192.168.1.2/24
	link_ns R2 10.0.0.2/24 R3 10.0.0.3/24
	link_ns R3 $ME_INET.3/24 inet ""
	link_ns R4 $ME_INET.4/24 inet ""
	link_ns R5 $ME_INET.5/24 inet ""
	link_ns R6 10.0.0.6/24 R5 10.0.0.5/24
	link_ns R6 192.168.7.6/24 R7 192.168.7.7/24
	if [ "${ME_ROUTED:-0}" = 1 ]; then
		me_inet_router
	else
		nsx inet ip link add br0 type bridge
		for r in R3 R4 R5; do nsx inet ip link set "to-$r" master br0; done
		nsx inet ip link set br0 up
	fi
	nsx R1 ip route add default via 192.168.1.2
	nsx R2 ip route add default via 10.0.0.3
	nsx R6 ip route add default via 10.0.0.5
	nsx R7 ip route add default via 192.168.7.6
	for r in R2 R3 R5 R6; do nsx $r sysctl -qw net.ipv4.ip_forward=1; done
	me_nat R3 to-R2 "$variant" && me_nat R5 to-R6 "$variant"
}

# ME_ROUTED=1 me_lab_build ...: [inet] is a router instead of the bridge,
# 203.0.113.1 (RFC 5737) on each of its links to R3, R4 and R5, which keep
# their addresses and reach 198.51.100.0/24 through it: one hop between
# the NATs, as on the real Internet (kiked primes its holes there).
me_inet_router() {
	local r
	nsx inet sysctl -qw net.ipv4.ip_forward=1
	for r in 3 4 5; do
		nsx inet ip addr add 203.0.113.1/32 dev to-R$r
		nsx inet ip route add $ME_INET.$r/32 dev to-R$r
		nsx R$r ip route del $ME_INET.0/24 dev to-inet
		nsx R$r ip route add 203.0.113.1/32 dev to-inet
		nsx R$r ip route add $ME_INET.0/24 via 203.0.113.1 dev to-inet
	done
}

# me_nat NS LAN_IF VARIANT: NS masquerades 10.0.0.0/24 from LAN_IF out of
# to-inet; every flavour but "bare" adds a stateful firewall dropping
# unsolicited inbound (a home router's).
#   portmap    R3 maps port 4500 to 14500 for every destination (an
#              endpoint-independent mapping that does not keep the port)
#   prflx      R3 a full cone: 10.0.0.2:4500 <-> 14500 both ways for every
#              peer (snat and dnat); R5 `masquerade random`, a new random
#              port per destination (endpoint-dependent): only the
#              peer-reflexive endpoint R6's checks reveal works
#   symmetric  both NATs `masquerade random`: nothing can work
me_nat() {
	local ns=$1 lan=$2 variant=$3 fw= pm= pre= dnat= masq=masquerade
	if [ "$ns" = R3 ] && { [ "$variant" = portmap ] || [ "$variant" = prflx ]; }; then
		pm="oifname \"to-inet\" ip saddr 10.0.0.0/24 udp sport 4500 snat to $ME_INET.3:14500"
	fi
	if [ "$ns" = R3 ] && [ "$variant" = prflx ]; then
		pre="iifname \"to-inet\" udp dport 14500 dnat to 10.0.0.2:4500"
		dnat="ct status dnat accept"
	fi
	{ [ "$ns" = R5 ] && [ "$variant" = prflx ]; } || [ "$variant" = symmetric ] &&
		masq="masquerade random"
	[ "$variant" = bare ] || fw="
table inet fw {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		iifname != \"to-inet\" accept
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		$dnat
		iifname \"$lan\" accept
	}
}"
	nsx "$ns" nft -f - <<-EOF
	table ip nat {
		chain prerouting {
			type nat hook prerouting priority dstnat;
			$pre
		}
		chain postrouting {
			type nat hook postrouting priority srcnat;
			$pm
			oifname "to-inet" ip saddr 10.0.0.0/24 $masq
		}
	}
	$fw
	EOF
}

# me_capture NS IF FILE: tcpdump -p (frames addressed to NS only, as R4's
# own stack would see them) on IF into FILE; pid in ME_CAP_PIDS.
ME_CAP_PIDS=()
me_capture() {
	ip netns exec "$NS_PREFIX-$1" tcpdump -p --immediate-mode -U -nn -i "$2" -w "$3" \
		>/dev/null 2>&1 &
	ME_CAP_PIDS+=($!)
}
me_capture_stop() {
	local p
	sleep 1
	for p in "${ME_CAP_PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	ME_CAP_PIDS=()
}

# tap_todo NAME CMD...: a known failure (TAP TODO): reported, never fails
# the run; passes as "ok ... # TODO" should it start to work.
tap_todo() {
	local name=$1
	shift
	TAP_N=$((TAP_N + 1))
	if "$@" >/dev/null 2>&1; then echo "ok $TAP_N - $name # TODO"; else echo "not ok $TAP_N - $name # TODO"; fi
}

# me_wait SECONDS CMD...: polls CMD every half second until it succeeds,
# for at most SECONDS of wall time (a poll may itself take a second on TCG).
me_wait() {
	local end=$((SECONDS + $1))
	shift
	while [ $SECONDS -lt $end ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.5
	done
	"$@" >/dev/null 2>&1
}

# ---- the seed's ipsec.conf/ipsec.secrets and charon on the lab's nodes ----
# (me_strongswan.sh, me_kiked_server.sh).  Callers set D (per-run directory)
# and T (scratch directory).
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
# The gateway the checks look at (charon's view, or kiked's when that node
# has kiked's control socket) and the far NAT's last octet; R3's port 4500 maps to ME_PORT3, R5's
# to ME_PORT5 (regexes: `masquerade random` picks a port per destination).
ME_GW=R2 ME_FAR=5 ME_PORT3=4500 ME_PORT5=4500
peer_direct() {
	local port=$ME_PORT3
	[ "$ME_FAR" = 5 ] && port=$ME_PORT5
	if [ -S "$D/$ME_GW/k.ctl" ]; then
		me_kipsec "$ME_GW" statusall | grep -q "peer: ESTABLISHED, [0-9.]*\[4500\]\.\.\.$ME_INET\.$ME_FAR\[$port\]"
	else
		charon_x "$D/$ME_GW" ipsec statusall peer | grep -q "peer\[[0-9]*\]: ESTABLISHED.*\.\.\.$ME_INET\.$ME_FAR\["
	fi
}
peer_up() {
	if [ -S "$D/$ME_GW/k.ctl" ]; then
		me_kipsec "$ME_GW" status | grep -q 'peer{[0-9]*}: INSTALLED'
	else
		charon_x "$D/$ME_GW" ipsec status peer | grep -q 'peer{[0-9]*}: *INSTALLED'
	fi
}
# pcap_count NS FILE FILTER
pcap_count() { nsx "$1" tcpdump -nn -r "$2" "$3" 2>/dev/null | grep -c .; }
# ESP-in-UDP: non-zero SPI where IKE has the zero non-ESP marker, longer
# than a NAT-keepalive's single byte.
ESPBODY='udp[4:2] > 9 and udp[8:4] != 0'
ESPINUDP="udp port 4500 and $ESPBODY"
tcp_ok() {
	local sum
	head -c 200000 /dev/urandom >"$T/blob"
	nsx R7 timeout 20 socat -u TCP-LISTEN:5001,reuseaddr OPEN:"$T/rx",creat,trunc &
	sleep 1
	nsx R1 timeout 15 socat -u OPEN:"$T/blob" TCP:192.168.7.7:5001 || return 1
	wait $! 2>/dev/null
	sum=$(sha256sum <"$T/blob")
	[ "$sum" = "$(sha256sum <"$T/rx")" ]
}

# me_direct_checks VARIANT CHECK TIMEOUT: the mediated tunnel as a user
# checks it, R2 being charon (CHECK: tap_check, or tap_todo for a known
# failure); stops the captures R4.pcap and R3.pcap (me_capture) of $D.
me_direct_checks() {
	local v=$1 chk=$2 tmo=$3 esp r4 clear
	$chk "$v: mediated IKE_SA and CHILD_SA up on $ME_GW" me_wait "$tmo" peer_up
	$chk "$v: $ME_GW's peer IKE_SA is direct to the far NAT $ME_INET.$ME_FAR" \
		peer_direct
	$chk "$v: R1 pings R7 through the tunnel" nsx R1 ping -c 3 -W 3 -i 0.3 192.168.7.7
	$chk "$v: TCP transfer R1 -> R7 arrives intact (sha256)" tcp_ok
	me_capture_stop
	# R5's port: 4500, or its random mapping (any port).
	local dport="udp dst port 4500 and" dname=4500
	[ "$ME_PORT5" = 4500 ] || dport= dname="R5's mapped port"
	esp=$(pcap_count R3 "$D/r3.pcap" "src host $ME_INET.3 and dst host $ME_INET.5 and udp src port $ME_PORT3 and $dport $ESPBODY")
	$chk "$v: R1's traffic crossed R3's Internet side as ESP-in-UDP $ME_PORT3->$dname to R5 ($esp packets)" \
		test "$esp" -ge 6
	r4=$(pcap_count R4 "$D/r4.pcap" "esp or ($ESPINUDP)")
	tap_expect "$v: no ESP delivered to R4" 0 "$r4"
	clear=$(pcap_count R3 "$D/r3.pcap" "(host 192.168.1.1 or host 192.168.7.7) and not udp")
	tap_expect "$v: nothing of R1<->R7 in clear on the Internet" 0 "$clear"
}

# me_conf NODE, me_secrets NODE: the seed's ipsec.conf and ipsec.secrets of
# NODE's role (R4 the mediation server, R2 and R6 the gateways).
me_conf() {
	case $1 in
	R4) printf '%s\n' "$srv_conf" ;;
	R2) gw_conf 2 6 192.168.1.0/24 192.168.7.0/24 ;;
	R6) gw_conf 6 2 192.168.7.0/24 192.168.1.0/24 ;;
	esac
}
me_secrets() {
	case $1 in
	R4) printf '%s\n' "$srv_secrets" ;;
	*) gw_secrets "${1#R}" ;;
	esac
}
# me_kiked_node NODE: kiked in NODE with the seed's files of its role.
me_kiked_node() { me_kiked_start "$1" "$(me_conf "$1")" "$(me_secrets "$1")"; }
# me_registered N NAT: R4's kiked lists rN@medsrv.org online at NAT's 4500
# (R3's ME_PORT3).
me_registered() {
	local port=$ME_PORT5
	[ "$2" = 3 ] && port=$ME_PORT3
	me_kipsec R4 statusall | grep -q "^  r$1@medsrv.org: online, $ME_INET\.$2\[$port\], conn medsrv"
}
me_both_registered() { me_registered 2 3 && me_registered 6 5; }
# me_one_sa: exactly one mediated IKE_SA on R2 and on R6 (kiked on both).
me_one_sa() {
	[ "$(me_kipsec R2 status | grep -c '^ *peer: ESTABLISHED')" = 1 ] &&
		[ "$(me_kipsec R6 status | grep -c '^ *peer: ESTABLISHED')" = 1 ]
}

# me_kiked_start NODE CONF SECRETS: kiked in NODE (KIKED), log in
# $D/NODE/kiked.log, control socket $D/NODE/k.ctl, kiked's own pid in
# $D/NODE/kiked.pid (the shell execs ip netns exec, which execs kiked; a
# pid from $! would be a subshell's, lost when tap_check runs this in one).
me_kiked_start() {
	local d=$D/$1
	mkdir -p "$d"
	printf '%s\n' "$2" >"$d/k.conf"
	printf '%s\n' "$3" >"$d/k.secrets"
	chmod 600 "$d/k.secrets"
	sh -c 'echo $$ >"$0"; exec "$@"' "$d/kiked.pid" ip netns exec "$NS_PREFIX-$1" \
		"$KIKED" --conf "$d/k.conf" --secrets "$d/k.secrets" \
		--ctl "$d/k.ctl" --foreground --debug ike=2 >"$d/kiked.log" 2>&1 &
	me_wait 10 test -S "$d/k.ctl"
}
# me_kiked_stop: every kiked of $D stopped (SIGTERM: it deletes its
# IKE_SAs), waiting up to 5 s for each to exit.
me_kiked_stop() {
	local f p
	for f in "${D:-/nonexistent}"/*/kiked.pid; do
		[ -f "$f" ] || continue
		p=$(cat "$f"); rm -f "$f"
		kill "$p" 2>/dev/null || continue
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	done
}
# me_kipsec NODE ARGS...: kipsec against NODE's kiked.
me_kipsec() { local n=$1; shift; nsx "$n" "$KIPSEC" --ctl "$D/$n/k.ctl" "$@"; }

# me_show REGEX: as TAP comments, for R2 and R6 (kiked), the mediation and
# mediated IKE_SAs from statusall and the first log lines matching REGEX.
me_show() {
	local n
	for n in R2 R6; do
		echo "kiked on $n:"
		me_kipsec $n statusall | grep -E '^ *(peer|medsrv)[:{]' | head -12
		grep -E "$1" "$D/$n/kiked.log" | head -12
	done | sed 's/^/# /'
}

# me_run_on KERNEL: outside make check-full (KIPSEC_FULL=1) the test is
# skipped unless the VM runs KERNEL (the CI budget: each stock kernel runs
# its share of the long lab tests).
me_run_on() {
	local k=${KIPSEC_VM_KERNEL:-6.1}
	[ "${KIPSEC_FULL:-0}" = 1 ] || [ "$k" = "$1" ] && return 0
	echo "1..0 # SKIP on $k without KIPSEC_FULL=1 (CI budget: runs on $1)"
	exit 4
}

# me_test_init TAG [charon]: the prologue of a kiked lab test: the skip
# check (strongSwan too with "charon"), modules, KIKED and KIPSEC, the
# scratch dir T (/tmp/me_TAG.*) and the cleanup on exit.
me_test_init() {
	local p
	KIKED=$PWD/ike/kiked KIPSEC=$PWD/tools/kipsec
	for p in nft tcpdump ${2:+ipsec}; do
		command -v "$p" >/dev/null && continue
		echo "1..0 # SKIP needs $p"
		exit "$KSFT_SKIP"
	done
	if [ ! -x "$KIKED" ] || [ ! -x "$KIPSEC" ]; then
		echo "1..0 # SKIP needs ike/kiked and tools/kipsec"
		exit "$KSFT_SKIP"
	fi
	need_modules veth bridge nf_tables nft_masq nf_nat nf_conntrack ${2:+esp4 xfrm_user}
	T=$(mktemp -d "/tmp/me_$1.XXXXXX")
	trap me_test_cleanup EXIT
}
me_test_cleanup() {
	me_capture_stop
	me_kiked_stop
	ss_stop
	ns_cleanup
	rm -rf "$T"
}

# me_lab_up TAG [GW FAR [FLAVOUR]]: the lab with FLAVOUR NATs (home, the
# default, bare, portmap, prflx or symmetric: see me_nat; sets ME_PORT3 and
# ME_PORT5; namespaces me<TAG><flavour><pid>), R4's and R3's
# Internet sides captured to $D/r4.pcap and $D/r3.pcap, the checks looking
# at gateway GW (R2) and the far NAT's octet FAR (5) (sets v, NS_PREFIX, D,
# ME_GW, ME_FAR).  A lab that cannot be built ends the test.
me_lab_up() {
	v=${4:-home} ME_PORT3=4500 ME_PORT5=4500
	case $v in
	portmap) ME_PORT3=14500 ;;
	prflx) ME_PORT3=14500 ME_PORT5='[0-9]*' ;;
	symmetric) ME_PORT3='[0-9]*' ME_PORT5='[0-9]*' ;;
	esac
	NS_PREFIX=me$1$v$$ D=$T/$1$v ME_GW=${2:-R2} ME_FAR=${3:-5}
	me_lab_build $v || { tap_fail "lab built"; tap_done; exit 1; }
	mkdir -p "$D"
	me_capture R4 to-inet "$D/r4.pcap"
	me_capture R3 to-inet "$D/r3.pcap"
}

# ---- robustness: restarts, DPD, forged input (me_kiked_clients.sh,
# me_kiked_restart.sh, me_kiked_badinput.sh) ----
# me_fast_dpd SECONDS: the kikeds started after this (me_kiked_role) run
# their role's seed files with dpddelay=SECONDS instead of 60s and
# retransmit after 0.5, 1, 2 and 4 s (--retransmit 0.5,3): a dead peer is
# noticed within SECONDS + 7.5 s instead of minutes.
ME_DPD= ME_KIKED_ARGS=
me_fast_dpd() { ME_DPD=$1 ME_KIKED_ARGS="--retransmit 0.5,3"; }
# me_kiked_role NODE: kiked in NODE with its role's seed files (and
# me_fast_dpd's settings), through a wrapper that writes kiked's own pid to
# $D/NODE/kiked.pid (me_kiked_start's job is a subshell around it, and
# tap_check runs it in another one).
me_kiked_role() {
	local conf
	conf=$(me_conf "$1")
	[ -n "$ME_DPD" ] && conf=$(printf '%s\n' "$conf" | sed "s/dpddelay=60s/dpddelay=${ME_DPD}s/")
	printf '#!/bin/sh\necho $$ >"%s"\nexec %s %s "$@"\n' "$D/$1/kiked.pid" "$KIKED" \
		"$ME_KIKED_ARGS" >"$T/kiked-$1"
	chmod +x "$T/kiked-$1"
	KIKED=$T/kiked-$1 me_kiked_start "$1" "$conf" "$(me_secrets "$1")"
}
# me_kiked_kill NODE SIG: stops NODE's kiked with SIG, KILL (a crash: no
# Delete sent, its kipsec state left behind) or TERM (it deletes its
# IKE_SAs); its log is kept as kiked.SIG.log for the next start.
me_kiked_kill() {
	kill -"$2" "$(cat "$D/$1/kiked.pid")" || return 1
	[ "$2" = KILL ] || me_wait 10 grep -q "kiked stopped" "$D/$1/kiked.log"
	sleep 0.5
	rm -f "$D/$1/k.ctl"
	mv "$D/$1/kiked.log" "$D/$1/kiked.$2.log"
}
# me_ping_bg SECONDS: R1 pings R7 every 0.5 s for SECONDS in the
# background, its summary in $D/ping.bg; me_ping_lost prints how many of
# its echo requests went unanswered.
me_ping_bg() {
	nsx R1 ping -n -i 0.5 -w "$1" 192.168.7.7 >"$D/ping.bg" 2>&1 &
}
me_ping_lost() {
	me_wait 60 grep -q "packets transmitted" "$D/ping.bg"
	sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' "$D/ping.bg" |
		{ read -r tx rx && echo $((tx - rx)); }
}
# me_kiked_role_stop: the kikeds me_kiked_role started (me_kiked_stop).
me_kiked_role_stop() { me_kiked_stop; }
