#!/bin/bash
# kipsec-cost: 90
# kipsec-debug: full
# ESP in UDP (RFC 3948) between kipsec and Linux XFRM across an nftables
# masquerade NAT in its own netns:
#   in (10.0.1.2) -- nat (10.0.1.1 | 192.0.2.1, masquerade) -- out (192.0.2.2)
# 1. kipsec inside, XFRM outside; 2. XFRM inside, kipsec outside.  Transport
#    and tunnel mode: ping and 1 MB TCP checked by sha256, kipsec's counters,
#    and on the outside link only UDP/4500 carrying ESP of our SPIs.
# 3. kipsec outside: keepalives, a non-ESP marker and a short datagram on
#    kipsec's own socket (counters), a NAT rebinding (conntrack flushed,
#    masquerade moved to port 5000) gives exactly one MAPPING event, and the
#    SAs updated to the new port carry traffic again.
# 4. The daemon-socket path: a UDP/4500 socket attached by fd gets the IKE
#    packet (non-ESP marker) while ESP on the same port is decrypted in the
#    kernel; closing it detaches; rmmod with a socket attached leaves it a
#    plain UDP socket.
# 5. Bad requests: clear extack errors.
. "$(dirname "$0")/../lib.sh"

BIN=$(cd "$(dirname "$0")/../bin" && pwd)
need_modules veth dummy esp4 xfrm_user nf_tables nft_masq nft_chain_nat nf_nat nf_conntrack \
	nf_conntrack_netlink
ns_create in nat out
link_ns in 10.0.1.2/24 nat 10.0.1.1/24
link_ns nat 192.0.2.1/24 out 192.0.2.2/24
ip -n "$NS_in" route add default via 10.0.1.1
nsx nat sysctl -qw net.ipv4.ip_forward=1
for n in in out; do
	i=1; [ $n = out ] && i=2
	ip -n "$NS_PREFIX-$n" link add inner type dummy
	ip -n "$NS_PREFIX-$n" addr add 172.16.$i.1/24 dev inner
	ip -n "$NS_PREFIX-$n" link set inner up
done
ip -n "$NS_in" route add 172.16.2.0/24 via 10.0.1.1 src 172.16.1.1
ip -n "$NS_out" route add 172.16.1.0/24 via 192.0.2.1 src 172.16.2.1

TMP=$(mktemp -d)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	ns_cleanup
	rm -rf "$TMP"
}
trap cleanup EXIT

# masquerade [ARGS]: the NAT's only rule, e.g. "to :5000".
masquerade() {
	nsx nat nft -f - <<-EOF
	flush ruleset
	table ip nat {
		chain post {
			type nat hook postrouting priority srcnat;
			${1:+oifname "to-out" meta l4proto udp masquerade $*}
			oifname "to-out" masquerade
		}
	}
	EOF
}
masquerade

K20=0x000102030405060708090a0b0c0d0e0f10111213
ALG="aead rfc4106(gcm(aes)) $K20 128"
S1=0x2001	# kipsec -> XFRM
S2=0x2002	# XFRM -> kipsec

stat() { nsx "$KNS" kipsec stats | awk -v k="$1" '$1 == k { print $2 }'; }

# start NS CMD...: a background helper printing "ready" once set up.
start() {
	local ns=$1 f
	shift
	f=$TMP/ready.$RANDOM
	ip netns exec "$NS_PREFIX-$ns" "$@" >"$f" &
	PIDS+=($!)
	LAST=$!
	for _ in $(seq 100); do
		grep -q ready "$f" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

wait_port() {
	local i
	for i in $(seq 50); do
		nsx "$1" ss -Hlnt "sport = :$2" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

# tcp_check FROM TO DST: 1 MB FROM -> TO over TCP, checked by sha256.
tcp_check() {
	local from=$1 to=$2 dst=$3 port=$((8000 + RANDOM % 1000))
	head -c 1048576 /dev/urandom >"$TMP/data"
	rm -f "$TMP/recv"
	nsx "$to" timeout 60 socat -u "TCP4-LISTEN:$port,reuseaddr" "OPEN:$TMP/recv,creat" &
	local pid=$!
	wait_port "$to" $port
	nsx "$from" timeout 60 socat -u "OPEN:$TMP/data" "TCP4:$dst:$port" || return 1
	wait $pid
	[ "$(sha256sum <"$TMP/data" | cut -d' ' -f1)" = "$(sha256sum <"$TMP/recv" | cut -d' ' -f1)" ]
}

# setup KNS XNS KL KP XL XP MODE: kipsec in KNS (local address KL, seen by
# the peer as KP), XFRM in XNS (XL, seen as XP), SAs both ways with UDP
# encapsulation on port 4500 and policies for MODE.
setup() {
	KNS=$1 XNS=$2 KL=$3 KP=$4 XL=$5 XP=$6 MODE=$7
	local ki=172.16.1.0/24 xi=172.16.2.0/24 encap="encap espinudp 4500 4500 0.0.0.0"
	[ "$KNS" = out ] && { ki=172.16.2.0/24; xi=172.16.1.0/24; }
	nsx "$KNS" kipsec sa add src "$KL" dst "$XP" proto esp spi $S1 mode "$MODE" $ALG \
		encap espinudp 4500 4500 || return 1
	nsx "$KNS" kipsec sa add src "$XP" dst "$KL" proto esp spi $S2 mode "$MODE" $ALG \
		encap espinudp 4500 4500 || return 1
	ip -n "$NS_PREFIX-$XNS" xfrm state add src "$KP" dst "$XL" proto esp spi $S1 mode "$MODE" \
		aead 'rfc4106(gcm(aes))' $K20 128 $encap || return 1
	ip -n "$NS_PREFIX-$XNS" xfrm state add src "$XL" dst "$KP" proto esp spi $S2 mode "$MODE" \
		aead 'rfc4106(gcm(aes))' $K20 128 $encap || return 1
	# XFRM checks its inbound policy on the UDP datagram before decapsulation;
	# IKE (here: the test's datagrams to port 4500) bypasses IPsec.
	ip -n "$NS_PREFIX-$XNS" xfrm policy add src "$KP/32" dst "$XL/32" proto udp sport 4500 \
		dir in priority 10 action allow
	ip -n "$NS_PREFIX-$XNS" xfrm policy add src "$XL/32" dst "$KP/32" proto udp dport 4500 \
		dir out priority 10 action allow
	if [ "$MODE" = transport ]; then
		nsx "$KNS" kipsec sp add src "$KL/32" dst "$XP/32" dir out action protect \
			tmpl proto esp mode transport level require >/dev/null || return 1
		ip -n "$NS_PREFIX-$XNS" xfrm policy add src "$XL/32" dst "$KP/32" dir out priority 100 \
			tmpl proto esp mode transport
		ip -n "$NS_PREFIX-$XNS" xfrm policy add src "$KP/32" dst "$XL/32" dir in priority 100 \
			tmpl proto esp mode transport
	else
		nsx "$KNS" kipsec sp add src $ki dst $xi dir out action protect \
			tmpl proto esp mode tunnel src "$KL" dst "$XP" level require >/dev/null || return 1
		ip -n "$NS_PREFIX-$XNS" xfrm policy add src $xi dst $ki dir out priority 100 \
			tmpl src "$XL" dst "$KP" proto esp mode tunnel
		ip -n "$NS_PREFIX-$XNS" xfrm policy add src $ki dst $xi dir in priority 100 \
			tmpl src "$KP" dst "$XL" proto esp mode tunnel
	fi
}

teardown() {
	nsx "$KNS" kipsec sa flush
	nsx "$KNS" kipsec sp flush
	ip -n "$NS_PREFIX-$XNS" xfrm state flush
	ip -n "$NS_PREFIX-$XNS" xfrm policy flush
	nsx nat conntrack -F 2>/dev/null
}

# capture FILE [FILTER]: tcpdump on the NAT's outside link until capture_end.
capture() {
	rm -f "$TMP/tcpdump.err"
	ip netns exec "$NS_nat" tcpdump --immediate-mode -U -n -i to-out -w "$1" ${2:-} 2>"$TMP/tcpdump.err" &
	DUMP=$!
	for _ in $(seq 100); do
		grep -q listening "$TMP/tcpdump.err" 2>/dev/null && break
		sleep 0.1
	done
}
# tcpdump is slow under TCG: give it time to write what the kernel queued.
capture_end() { sleep 1; kill $DUMP; wait $DUMP 2>/dev/null; }

# wire_check NAME CAP: the outside link carried only UDP/4500 with ESP of S1/S2.
wire_check() {
	local cap=$2 other marker s1 s2 frag
	# kipsec does no PMTU yet: its too-big outer packets leave as IP
	# fragments, whose non-first parts carry no UDP header.
	frag='ip proto udp and ip[6:2] & 0x1fff != 0'
	other=$(tcpdump -n -r "$cap" "ip and not udp port 4500 and not ($frag)" 2>/dev/null | wc -l)
	marker=$(tcpdump -n -r "$cap" 'udp port 4500 and udp[8:4] = 0' 2>/dev/null | wc -l)
	s1=$(tcpdump -n -r "$cap" "udp port 4500 and udp[8:4] = $S1" 2>/dev/null | wc -l)
	s2=$(tcpdump -n -r "$cap" "udp port 4500 and udp[8:4] = $S2" 2>/dev/null | wc -l)
	if [ "$other" = 0 ] && [ "$marker" = 0 ] && [ "$s1" -gt 0 ] && [ "$s2" -gt 0 ]; then
		tap_ok "$1: outside link only UDP/4500 with ESP ($s1 + $s2 packets)"
	else
		tap_fail "$1: outside link only UDP/4500 with ESP" \
			"other $other, non-ESP marker $marker, spi $S1: $s1, spi $S2: $s2
$(tcpdump -n -r "$cap" 2>/dev/null | head -5)"
	fi
}

# traffic NAME: ping and TCP from the inside host (the NAT needs it to start).
traffic() {
	local name=$1 dst=192.0.2.2 src=() in0 out0 in1 out1
	[ "$MODE" = tunnel ] && { dst=172.16.2.1; src=(-I 172.16.1.1); }
	capture "$TMP/cap"
	in0=$(stat InPackets); out0=$(stat OutPackets)
	tap_check "$name: ping through the NAT" nsx in ping -c 3 -i 0.3 -W 3 "${src[@]}" $dst
	in1=$(stat InPackets); out1=$(stat OutPackets)
	tap_expect "$name: kipsec InPackets/OutPackets +3 each" "3 3" \
		"$((in1 - in0)) $((out1 - out0))"
	tap_check "$name: 1 MB TCP in -> out checked by sha256" tcp_check in out $dst
	capture_end
	wire_check "$name" "$TMP/cap"
}

# 1. kipsec behind the NAT ------------------------------------------------
start out python3 "$BIN/udp_encap_sock.py" xfrm 4500 || tap_fail "XFRM's encap socket"
XSOCK=$LAST
tap_check "kipsec encap add port 4500 (inside)" nsx in kipsec encap add port 4500
for mode in transport tunnel; do
	if setup in out 10.0.1.2 192.0.2.1 192.0.2.2 192.0.2.2 $mode; then
		traffic "kipsec behind NAT, $mode"
	else
		tap_fail "kipsec behind NAT, $mode: setup"
	fi
	teardown
done
nsx in kipsec encap del port 4500
kill $XSOCK

# 2. XFRM behind the NAT -------------------------------------------------
start in python3 "$BIN/udp_encap_sock.py" xfrm 4500 || tap_fail "XFRM's encap socket"
XSOCK=$LAST
tap_check "kipsec encap add port 4500 (outside)" nsx out kipsec encap add port 4500
tap_expect "kipsec encap list" "port 4500 family inet kipsec" \
	"$(nsx out kipsec encap list | grep inet\ )"
tap_expect "kipsec -j encap list" '[{"port":4500,"family":"inet","owner":"kipsec"}' \
	"$(nsx out kipsec -j encap list | cut -d, -f1-3)"
for mode in tunnel transport; do
	if setup out in 192.0.2.2 192.0.2.2 10.0.1.2 192.0.2.1 $mode; then
		traffic "XFRM behind NAT, $mode"
	else
		tap_fail "XFRM behind NAT, $mode: setup"
	fi
	[ $mode = tunnel ] && teardown
done

# IPv6: XFRM in nat sends ESP in UDP over IPv6 to kipsec's IPv6 socket
# (kipsec's IPv6 output: espinudp6_xfrm.sh).
ip -n "$NS_nat" addr add fd00::1/64 dev to-out nodad
ip -n "$NS_out" addr add fd00::2/64 dev to-nat nodad
ip -n "$NS_nat" xfrm state add src fd00::1 dst fd00::2 proto esp spi 0x2006 mode transport \
	aead 'rfc4106(gcm(aes))' $K20 128 encap espinudp 4600 4500 ::
ip -n "$NS_nat" xfrm policy add src fd00::1/128 dst fd00::2/128 proto udp dport 7777 dir out \
	tmpl proto esp mode transport
nsx out kipsec sa add src fd00::1 dst fd00::2 proto esp spi 0x2006 mode transport $ALG \
	encap espinudp 4600 4500
capture "$TMP/cap6" ip6
in0=$(stat InPackets)
rm -f "$TMP/udp6"
nsx out timeout 10 socat -u UDP6-RECVFROM:7777 "OPEN:$TMP/udp6,creat" &
pid=$!
sleep 0.5
echo kipsec-v6 | nsx nat socat -u STDIN UDP6:[fd00::2]:7777
wait $pid
in1=$(stat InPackets)
capture_end
tap_expect "IPv6 ESP in UDP from XFRM (port 4600 -> 4500): datagram decrypted, InPackets +1, on the wire" \
	"kipsec-v6 1 1" "$(cat "$TMP/udp6" 2>/dev/null) $((in1 - in0)) $(tcpdump -n -r "$TMP/cap6" 'ip6 and udp dst port 4500 and ip6[48:4] = 0x2006' 2>/dev/null | wc -l)"
nsx out kipsec sa del dst fd00::2 proto esp spi 0x2006
ip -n "$NS_nat" xfrm state flush; ip -n "$NS_nat" xfrm policy flush

# 3. Keepalives, bad datagrams, rebinding (transport SAs still in place) -
send() {	# send NS HEX [DST]: one datagram to port 4500
	nsx "$1" python3 -c 'import socket,sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(bytes.fromhex(sys.argv[1]), (sys.argv[2], 4500))' "$2" "${3:-192.0.2.2}"
}
counters() { echo "$(stat InEncapKeepalives) $(stat InEncapNonEsp) $(stat InEncapBadLength) $(stat InEncapError)"; }
c0=($(counters))
send nat ff; send nat ff
c1=($(counters))
tap_expect "2 keepalives: InEncapKeepalives +2, not errors" "2 0 0 0" \
	"$((c1[0] - c0[0])) $((c1[1] - c0[1])) $((c1[2] - c0[2])) $((c1[3] - c0[3]))"
send nat 00000000aabbccdd
send nat 616263
c2=($(counters))
tap_expect "non-ESP marker and a 3-byte datagram on kipsec's ESP-only socket: errors +1 each" \
	"0 1 1 2" "$((c2[0] - c1[0])) $((c2[1] - c1[1])) $((c2[2] - c1[2])) $((c2[3] - c1[3]))"

nsx out kipsec monitor >"$TMP/mon" &
MON=$!
PIDS+=($MON)
sleep 0.5
m0=$(stat EncapMappings)
masquerade "to :5000"
nsx nat conntrack -F 2>/dev/null
nsx in ping -c 3 -i 0.3 -W 1 192.0.2.2 >/dev/null 2>&1	# replies go to the old port
sleep 0.5
m1=$(stat EncapMappings)
kill $MON; wait $MON 2>/dev/null
tap_expect "NAT rebinding: one MAPPING event (new source 192.0.2.1 port 5000), EncapMappings +1" \
	"1 1 1" "$(grep -c MAPPING "$TMP/mon") $(grep MAPPING "$TMP/mon" | grep -c 'spi 0x00002002.*new source 192.0.2.1 port 5000') $((m1 - m0))"
# The daemon's answer to MAPPING: float the SAs to the new port.
nsx out kipsec sa update src 192.0.2.2 dst 192.0.2.1 proto esp spi $S1 mode transport $ALG \
	encap espinudp 4500 5000
nsx out kipsec sa update src 192.0.2.1 dst 192.0.2.2 proto esp spi $S2 mode transport $ALG \
	encap espinudp 5000 4500
tap_check "after floating the SAs to port 5000: ping through the NAT" \
	nsx in ping -c 2 -i 0.3 -W 3 192.0.2.2
teardown
masquerade
nsx out kipsec encap del port 4500
kill $XSOCK

# 4. A daemon's socket attached by fd ------------------------------------
# XFRM in nat (192.0.2.1) talks to kipsec in out (192.0.2.2) directly.
start nat python3 "$BIN/udp_encap_sock.py" xfrm 4500 || tap_fail "XFRM's encap socket"
XSOCK=$LAST
if start out python3 "$BIN/udp_encap_sock.py" daemon 4500 "$TMP/daemon"; then
	tap_ok "kipsec encap attach fd N from a UDP/4500 socket"
else
	tap_fail "kipsec encap attach fd N from a UDP/4500 socket"
fi
DAEMON=$LAST
tap_expect "kipsec encap list shows the attached socket" "port 4500 family inet attached" \
	"$(nsx out kipsec encap list)"
setup out nat 192.0.2.2 192.0.2.2 192.0.2.1 192.0.2.1 transport
in0=$(stat InPackets)
tap_check "ESP on the attached socket's port: ping decrypted by kipsec" \
	nsx nat ping -c 3 -i 0.3 -W 3 192.0.2.2
in1=$(stat InPackets)
IKE=00000000$(printf 'IKE_SA_INIT-%s' test | od -An -tx1 | tr -d ' \n')
send nat "$IKE"
send nat ff
sleep 0.5
tap_expect "the socket got the IKE packet (non-ESP marker) and nothing else; kipsec InPackets +3" \
	"192.0.2.1 $IKE|3" "$(cut -d' ' -f1,3 "$TMP/daemon" | tr '\n' ' ' | sed 's/ $//')|$((in1 - in0))"
kill $DAEMON; wait $DAEMON 2>/dev/null
tap_expect "closing the socket detaches it" "" "$(nsx out kipsec encap list)"
teardown

# rmmod while a socket is attached: it stays a working plain UDP socket.
rm -f "$TMP/daemon"
start out python3 "$BIN/udp_encap_sock.py" daemon 4500 "$TMP/daemon"
DAEMON=$LAST
if tap_check "rmmod kipsec with a socket attached" rmmod kipsec; then
	send nat 0000200200000001aabbccdd
	sleep 0.5
	tap_expect "after rmmod the socket receives ESP-looking datagrams itself" \
		"192.0.2.1 0000200200000001aabbccdd" "$(cut -d' ' -f1,3 "$TMP/daemon")"
	tap_check "insmod kipsec again" insmod /kipsec/kipsec.ko
fi
kill $DAEMON; wait $DAEMON 2>/dev/null
kill $XSOCK

# 5. Bad requests ---------------------------------------------------------
KGENL=$BIN/kgenl.py
err() { nsx out "$@" 2>&1 >/dev/null; }
# has NAME PATTERN OUTPUT: OUTPUT (an error) matches PATTERN.
has() { if grep -q "$2" <<<"$3"; then tap_ok "$1"; else tap_fail "$1" "$3"; fi; }
nsx out kipsec encap add port 4500
out=$(err kipsec encap add port 4500 family inet)
has "duplicate encap add: -EEXIST with a message" "kipsec already has an .*encapsulation socket on .*File exists" "$out"
out=$(err kipsec encap del port 4501)
has "encap del of a missing port: -ENOENT with a message" "no kipsec encapsulation socket on .*No such file" "$out"
nsx out kipsec encap del port 4500
out=$(err python3 "$KGENL" req ENCAP_ADD ENCAP_PORT=0)
has "encap add port 0: rejected by the policy" "error" "$out"
out=$(err python3 "$KGENL" req ENCAP_ADD ENCAP_PORT=4500 ENCAP_FAMILY=7)
has "encap add family 7: named error" "family must be AF_INET" "$out"
out=$(err python3 -c 'import socket, subprocess
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
subprocess.run(["kipsec", "encap", "attach", "fd", str(s.fileno())], pass_fds=(s.fileno(),))')
has "attaching a TCP socket: 'not a UDP socket'" "fd is not a UDP socket" "$out"
has "attaching a closed fd: 'fd is not open'" "fd is not open" "$(err kipsec encap attach fd 77)"
out=$(err python3 -c 'import socket, subprocess
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(17, 100, 2); s.bind(("0.0.0.0", 4600))
subprocess.run(["kipsec", "encap", "attach", "fd", str(s.fileno())], pass_fds=(s.fileno(),))')
has "attaching a socket XFRM already decapsulates: -EBUSY" "already has a UDP encapsulation" "$out"
has "encap on an AH SA: named error" "UDP encapsulation needs KIPSEC_A_SA_PROTO esp" "$(err kipsec sa add src 192.0.2.1 dst 192.0.2.2 proto ah spi 0x3000 auth 'hmac(sha256)' 0x$(printf '%064x' 1) encap espinudp 4500 4500)"
tap_check_fail "encap espinudp with port 70000: usage error" nsx out kipsec sa add src 192.0.2.1 \
	dst 192.0.2.2 proto esp spi 0x3001 $ALG encap espinudp 70000 4500
tap_done
