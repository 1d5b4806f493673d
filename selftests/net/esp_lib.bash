# Helpers of the ESP datapath tests (esp_*.sh), sourced after ../lib.sh.
# Not a test itself (no .sh suffix).  The caller sets TMP to a scratch
# directory.

# pair_with_inner: namespaces a and b on one link (10.0.0.1/2, fd00::1/2),
# each with an inner network on a dummy device (192.168.1.1/fd01::1 in a,
# 192.168.2.1/fd02::1 in b) routed through the other: the tunnel-mode
# layout of the XFRM interop tests.
pair_with_inner() {
	local n i
	ns_create a b
	link_ns a 10.0.0.1/24 b 10.0.0.2/24 fd00::1/64 fd00::2/64
	for n in a b; do
		i=1; [ $n = b ] && i=2
		ip -n "$NS_PREFIX-$n" link add inner type dummy
		ip -n "$NS_PREFIX-$n" addr add 192.168.$i.1/24 dev inner
		ip -n "$NS_PREFIX-$n" addr add fd0$i::1/64 dev inner nodad
		ip -n "$NS_PREFIX-$n" link set inner up
	done
	ip -n "$NS_a" route add 192.168.2.0/24 via 10.0.0.2 src 192.168.1.1
	ip -n "$NS_a" route add fd02::/64 via fd00::2 src fd01::1
	ip -n "$NS_b" route add 192.168.1.0/24 via 10.0.0.1 src 192.168.2.1
	ip -n "$NS_b" route add fd01::/64 via fd00::1 src fd02::1
}

# wait_port PROTO PORT: until $WAIT_NS (default a) listens there (socat
# starts slowly under TCG).
wait_port() {
	local i
	for i in $(seq 50); do
		nsx "${WAIT_NS:-a}" ss -Hln"$1" "sport = :$2" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

# tcp_check DST [FROM TO]: $TCP_MB (default 1) MB FROM -> TO (default b -> a)
# over TCP, checked by sha256.
tcp_check() {
	local from=${2:-b} to=${3:-a} dst=$1 port=$((8000 + RANDOM % 1000)) l=TCP4 d=$1
	[[ $dst == *:* ]] && { l=TCP6; d="[$dst]"; }
	head -c $((${TCP_MB:-1} * 1048576)) /dev/urandom >"$TMP/data"
	rm -f "$TMP/recv"
	nsx "$to" timeout 60 socat -u "$l-LISTEN:$port,reuseaddr" "OPEN:$TMP/recv,creat" &
	local pid=$!
	WAIT_NS=$to wait_port t $port
	nsx "$from" timeout 60 socat -u "OPEN:$TMP/data" "TCP:$d:$port" || return 1
	wait $pid
	[ "$(sha256sum <"$TMP/data" | cut -d' ' -f1)" = "$(sha256sum <"$TMP/recv" | cut -d' ' -f1)" ]
}

# udp_check DST [FROM TO [BIND]]: one datagram FROM -> TO (default b -> a),
# optionally sent from address BIND; 0 when TO received exactly it.
udp_check() {
	local dst=$1 from=${2:-b} to=${3:-a} bind=${4:-} port=$((7000 + RANDOM % 1000))
	local tok="kipsec-$RANDOM-$RANDOM" l=UDP4 d=$1 opt=
	[[ $dst == *:* ]] && { l=UDP6; d="[$dst]"; }
	[ -n "$bind" ] && { [[ $bind == *:* ]] && bind="[$bind]"; opt=",bind=$bind"; }
	rm -f "$TMP/udp"
	nsx "$to" timeout 30 socat -u "$l-RECVFROM:$port,reuseaddr" "OPEN:$TMP/udp,creat" &
	local pid=$!
	WAIT_NS=$to wait_port u $port
	echo "$tok" | nsx "$from" socat -u STDIN "$l:$d:$port$opt"
	wait $pid
	[ "$(cat "$TMP/udp" 2>/dev/null)" = "$tok" ]
}

# cap_start NS DEV FILTER [in|out]: capture FILTER on DEV in NS until cap_stop
# (a receiver's tap also shows what it decrypted, as with XFRM tunnel mode:
# "out" on the sender sees the wire only), which
# prints the number of captured packets that are not ESP (ARP and ICMPv6,
# i.e. neighbour discovery, aside) and the number of ESP packets.  IPv6
# fragments of ESP packets are ESP (tcpdump's "esp" only sees an ESP header
# right after the fixed header; IPv4 fragments keep protocol 50).
CAP_CLEAR="not esp and not ($CLEAR_OK) and not (icmp6 and ip6[40] < 128) and not (ip6 and ip6[6] == 44 and ip6[40] == 50)"

cap_start() {
	CAP_NS=$1
	# Not through nsx: $! must be tcpdump itself for cap_stop's kill.
	ip netns exec "$NS_PREFIX-$1" tcpdump --immediate-mode -U -Q "${4:-inout}" -n -i "$2" -w "$TMP/cap" "$3" \
		>/dev/null 2>&1 &
	CAP_PID=$!
	sleep 0.5
}

cap_stop() {
	local clear esp
	sleep 0.3; kill "$CAP_PID"; wait "$CAP_PID" 2>/dev/null
	clear=$(nsx "$CAP_NS" tcpdump -n -r "$TMP/cap" "$CAP_CLEAR" 2>/dev/null | wc -l)
	esp=$(nsx "$CAP_NS" tcpdump -n -r "$TMP/cap" esp 2>/dev/null | wc -l)
	echo "$clear $esp"
}

# cap_clear [N]: the first N (5) packets of the last capture that were not ESP.
cap_clear() {
	nsx "$CAP_NS" tcpdump -n -r "$TMP/cap" "$CAP_CLEAR" 2>/dev/null |
		head -"${1:-5}"
}
