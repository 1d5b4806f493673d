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
	nsx inet ip link add br0 type bridge
	for r in R3 R4 R5; do nsx inet ip link set "to-$r" master br0; done
	nsx inet ip link set br0 up
	nsx R1 ip route add default via 192.168.1.2
	nsx R2 ip route add default via 10.0.0.3
	nsx R6 ip route add default via 10.0.0.5
	nsx R7 ip route add default via 192.168.7.6
	for r in R2 R3 R5 R6; do nsx $r sysctl -qw net.ipv4.ip_forward=1; done
	me_nat R3 to-R2 "$variant" && me_nat R5 to-R6 "$variant"
}

# me_nat NS LAN_IF VARIANT: NS masquerades 10.0.0.0/24 from LAN_IF out of
# to-inet; "home" adds a stateful firewall dropping unsolicited inbound.
me_nat() {
	local ns=$1 lan=$2 variant=$3 fw=
	[ "$variant" = home ] && fw="
table inet fw {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		iifname != \"to-inet\" accept
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		iifname \"$lan\" accept
	}
}"
	nsx "$ns" nft -f - <<-EOF
	table ip nat {
		chain postrouting {
			type nat hook postrouting priority srcnat;
			oifname "to-inet" ip saddr 10.0.0.0/24 masquerade
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
