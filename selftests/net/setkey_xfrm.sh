#!/bin/bash
# kipsec-cost: 150
# The seeds' manual-key setkey configurations loaded with `kipsec setkey -f`
# on one host and the same SAs/policies given to Linux XFRM with `ip xfrm` on
# the peer: ping crosses a router where tcpdump must see only ESP/AH with the
# configured SPIs, and kipsec's SA counters move by exactly the packets sent.
# Then: -D/-DP dump -> flush -> reload gives identical state and traffic
# still flows; a file that fails half-way leaves nothing behind; -n touches
# nothing.
#
#   a (kipsec) 192.168.1.100 -- m (router, tcpdump) -- 192.168.2.100 b (XFRM)
. "$(dirname "$0")/../lib.sh"

SEEDS=selftests/unit/setkey-seeds
PINGS=3
TMP=$(mktemp -d)
cleanup() { [ -n "${TCPDUMP:-}" ] && kill "$TCPDUMP" 2>/dev/null; rm -rf "$TMP"; ns_cleanup; }
trap cleanup EXIT

need_modules veth esp4 ah4 xfrm_user des3_ede md5 cbc aes blowfish_generic crypto_null

if ! kipsec setkey -D >"$TMP/probe" 2>&1; then
	tap_skip "setkey against the kernel" "$(cat "$TMP/probe")"
	tap_done
fi

ns_create a m b
link_ns a 192.168.1.100/24 m 192.168.1.1/24
link_ns m 192.168.2.1/24 b 192.168.2.100/24
nsx m sysctl -qw net.ipv4.ip_forward=1
nsx a ip route add default via 192.168.1.1
nsx b ip route add default via 192.168.2.1
# hosts behind the gateways (tunnel seed); the NetBSD examples' hosts: hosts()
nsx a ip addr add 172.16.1.1/24 dev lo
nsx b ip addr add 172.16.2.1/24 dev lo
nsx m ip route add 172.16.1.0/24 via 192.168.1.100
nsx m ip route add 172.16.2.0/24 via 192.168.2.100

ks() { nsx a kipsec "$@"; }
xb() { nsx b ip xfrm "$@"; }

reset() {
	ks setkey -F >/dev/null 2>&1; ks setkey -FP >/dev/null 2>&1
	xb state flush; xb policy flush
	hosts_clear
}

# hosts NS ADDR...: /32 addresses on NS's loopback, routed to it by m; undone
# by reset (the seeds' hosts overlap: each section has its own).
HOSTS=()
hosts() {
	local ns=$1 a via
	shift
	if [ "$ns" = a ]; then via=192.168.1.100; else via=192.168.2.100; fi
	for a in "$@"; do
		nsx "$ns" ip addr add "$a/32" dev lo
		nsx m ip route add "$a/32" via $via
		HOSTS+=("$ns $a")
	done
}
hosts_clear() {
	local h
	for h in "${HOSTS[@]}"; do
		set -- $h
		nsx "$1" ip addr del "$2/32" dev lo
		nsx m ip route del "$2/32"
	done
	HOSTS=()
}



# capture_start [SRC DST]: tcpdump on the middle hop.  "listening" is printed
# before the socket sees packets under load, so with SRC/DST a warm-up ping
# through the tunnel is repeated until the capture holds it.
capture_start() {
	rm -f "$TMP/cap.pcap" "$TMP/cap.err"
	ip netns exec "$NS_m" tcpdump --immediate-mode -i to-b -nn -U -w "$TMP/cap.pcap" >"$TMP/cap.err" 2>&1 &
	TCPDUMP=$!
	for _ in $(seq 50); do grep -q listening "$TMP/cap.err" && break; sleep 0.1; done
	sleep 0.3
	[ -n "${2:-}" ] || return 0
	for _ in $(seq 20); do
		nsx a ping -c 1 -W 1 -I "$1" "$2" >/dev/null 2>&1
		nsx m tcpdump -r "$TMP/cap.pcap" -nn 2>/dev/null | grep -q ESP && break
	done
}
capture_stop() {
	sleep 0.3
	kill "$TCPDUMP"; wait "$TCPDUMP" 2>/dev/null; TCPDUMP=
	nsx m tcpdump -r "$TMP/cap.pcap" -nn 2>/dev/null >"$TMP/cap.txt"
}

# count_after MATCH SEQ: packets on the wire matching "ESP(spi=...", with an
# ESP sequence number above SEQ: what was sent after the warm-up, however late
# the capture caught up with it.
count_after() {
	local n=0 s
	for s in $(grep -o -- "$1,seq=0x[0-9a-f]*" "$TMP/cap.txt" | sed 's/.*seq=0x//'); do
		[ $((16#$s)) -gt "$2" ] && n=$((n + 1))
	done
	echo $n
}

# sa_packets SPI: packets counted by kipsec for that SA (the PACKETS column
# of `kipsec show`; the VM has no JSON parser).
sa_packets() {
	ks show | awk -v spi="$(printf '0x%08x' "$1")" '$2 == spi { print $10; n++ } END { if (!n) print "none" }'
}

# xfrm_oseq SPI: the last ESP sequence number XFRM in b sent on that SA.
xfrm_oseq() {
	nsx b ip -s xfrm state | awk -v spi="$(printf '0x%08x' "$1")" '
		$0 ~ "spi " spi { hit = 1 }
		hit && /oseq/ { sub(/.*oseq /, ""); sub(/,.*/, ""); print; exit }'
}

# traffic NAME SRC DST OUT_MATCH IN_MATCH OUT_SPI IN_SPI: the sequence
# numbers each sender last used pick this run's packets out of the capture.
traffic() {
	local name=$1 src=$2 dst=$3 om=$4 im=$5 ospi=$6 ispi=$7 o0 i0 o1 i1 oseq iseq
	capture_start "$src" "$dst"
	o0=$(sa_packets "$ospi"); i0=$(sa_packets "$ispi")
	oseq=$o0	# kipsec's outbound packet count is its sequence number
	iseq=$(($(xfrm_oseq "$ispi")))
	tap_check "$name: ping $src -> $dst through the tunnel" \
		nsx a ping -c $PINGS -i 0.2 -W 1 -I "$src" "$dst"
	capture_stop
	tap_expect "$name: $PINGS requests on the wire as $om" $PINGS "$(count_after "$om" "$oseq")"
	tap_expect "$name: $PINGS replies on the wire as $im" $PINGS "$(count_after "$im" "$iseq")"
	# IPv6 neighbour discovery on the link is not tunnel traffic.
	local clear
	clear=$(grep ICMP "$TMP/cap.txt" | grep -vE 'ICMP6, (router|neighbor) (solicitation|advertisement)|ICMP6, multicast listener')
	if [ -z "$clear" ]; then tap_ok "$name: no ICMP in clear on the wire"
	else tap_fail "$name: no ICMP in clear on the wire" "$clear"; fi
	o1=$(sa_packets "$ospi"); i1=$(sa_packets "$ispi")
	tap_expect "$name: outbound SA $ospi counted $PINGS packets" $PINGS $((o1 - o0))
	tap_expect "$name: inbound SA $ispi counted $PINGS packets" $PINGS $((i1 - i0))
}

# load NAME FILE: 0 when loaded; 1 when kipsec or the kernel lacks an algorithm or
# protocol the file uses (reported as a SKIP, after checking that the refused
# file left nothing behind); 1 and a failure otherwise.
load() {
	local out
	if ks setkey -f "$2" >"$TMP/load.err" 2>&1; then
		tap_ok "$1: kipsec setkey -f $(basename "$2")"
		return 0
	fi
	out=$(cat "$TMP/load.err")
	case "$out" in
	*"not supported"*|*"unknown integrity algorithm"*|*"unknown encryption algorithm"*|*'" unavailable ('*)
		tap_skip "$1: kipsec setkey -f $(basename "$2")" "not supported here (kipsec or this kernel): $out"
		tap_expect "$1: refused file left nothing behind" "" "$(ks setkey -D; ks setkey -DP)" ;;
	*)
		tap_fail "$1: kipsec setkey -f $(basename "$2")" "$out" ;;
	esac
	return 1
}

# The reply direction of the NetBSD host-to-host seeds needs a policy on this
# side too (ipsec-tools users add it by hand; the seed leaves it to "use").
seed_with_in() {	# seed_with_in SEED SRC DST: the seed plus an "in" policy
	cp "$SEEDS/$1.conf" "$TMP/s.conf"
	echo "spdadd $2 $3 any -P in ipsec esp/transport//require;" >>"$TMP/s.conf"
	chmod 600 "$TMP/s.conf"
}
hex() { printf %s "$1" | od -v -An -tx1 | tr -d ' \n'; }
# no_integrity NAME: the last load warned that its ESP SAs have no integrity.
no_integrity() {
	tap_check "$1: the tool warns that the SAs have no integrity" \
		grep -q "no integrity protection" "$TMP/load.err"
}

# seed_transport NAME SEED ME PEER OUT_SPI OUT_KEY IN_SPI IN_KEY XFRM_ENC: a
# NetBSD encryption-only transport seed with kipsec as host ME, XFRM as PEER.
seed_transport() {
	local name=$1 seed=$2 me=$3 peer=$4 ospi=$5 okey=$6 ispi=$7 ikey=$8 enc=$9
	reset
	hosts a "$me"; hosts b "$peer"
	seed_with_in "$seed" "$peer" "$me"
	load "$name" "$TMP/s.conf" || return 0
	no_integrity "$name"
	xb state add src "$me" dst "$peer" proto esp spi "$ospi" mode transport enc "$enc" "$okey"
	xb state add src "$peer" dst "$me" proto esp spi "$ispi" mode transport enc "$enc" "$ikey"
	xb policy add src "$peer/32" dst "$me/32" dir out tmpl proto esp mode transport
	xb policy add src "$me/32" dst "$peer/32" dir in tmpl proto esp mode transport
	traffic "$name" "$me" "$peer" "$(printf 'ESP(spi=0x%08x' "$ospi")" \
		"$(printf 'ESP(spi=0x%08x' "$ispi")" "$ospi" "$ispi"
}

# --- NetBSD host-to-host seeds: ESP with encryption only (no -A), transport ---
seed_transport rijndael netbsd-esp-rijndael 10.1.1.1 20.1.1.1 \
	9876 "0x$(hex hogehogehogehoge)" 10000 0xdeadbeefdeadbeefdeadbeefdeadbeef 'cbc(aes)'
seed_transport 3des-a netbsd-esp-3des-a 10.1.1.1 20.1.1.1 \
	9876 "0x$(hex hogehogehogehogehogehoge)" \
	10000 0xdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeef 'cbc(des3_ede)'
seed_transport 3des-b netbsd-esp-3des-b 20.1.1.1 10.1.1.1 \
	10000 0xdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeef \
	9876 "0x$(hex hogehogehogehogehogehoge)" 'cbc(des3_ede)'

# seed_tunnel SEED: the seed with "-m tunnel" on its SAs.  Its tunnel
# policies need tunnel-mode SAs: on Linux (PF_KEY and XFRM alike, and
# kipsec) an SA without -m is a transport SA, never "any" as on NetBSD.
seed_tunnel() {
	sed 's/^\(add .* esp [0-9]*\) -E/\1 -m tunnel -E/' "$SEEDS/$1.conf" >"$TMP/s.conf"
	chmod 600 "$TMP/s.conf"
}

# xfrm_tunnel ME PEER OUT_SPI OUT_KEY IN_SPI IN_KEY ENC MY_NET PEER_NET: the
# XFRM peer PEER of kipsec's tunnel seed (SAs ME -> PEER with OUT_*, back
# with IN_*, cipher ENC without integrity), protecting MY_NET <-> PEER_NET.
xfrm_tunnel() {
	xb state add src "$1" dst "$2" proto esp spi "$3" mode tunnel enc "$7" "$4"
	xb state add src "$2" dst "$1" proto esp spi "$5" mode tunnel enc "$7" "$6"
	xb policy add src "$9" dst "$8" dir out tmpl src "$2" dst "$1" proto esp mode tunnel
	xb policy add src "$8" dst "$9" dir in tmpl src "$1" dst "$2" proto esp mode tunnel
}

# --- NetBSD leaf host: everything it sends goes through a tunnel to its
# gateway 10.0.1.1 (XFRM), rijndael-cbc without integrity ---
reset
hosts a 10.0.1.5; hosts b 10.0.1.1 20.1.1.1
seed_tunnel netbsd-leaf-tunnel
if load leaf-tunnel "$TMP/s.conf"; then
	no_integrity leaf-tunnel
	xfrm_tunnel 10.0.1.5 10.0.1.1 1012 0xdeadbeefdeadbeefdeadbeefdeadbeef \
		1011 "0x$(hex rijndaeltest.001)" 'cbc(aes)' 10.0.1.5/32 0.0.0.0/0
	traffic leaf-tunnel 10.0.1.5 20.1.1.1 "ESP(spi=0x000003f4" "ESP(spi=0x000003f3" 1012 1011
fi

# --- NetBSD VPN: 10.0.1.0/24 <-> 10.0.2.0/24 between gateways 20.0.0.1
# (kipsec) and 20.0.0.2 (XFRM), blowfish-cbc without integrity ---
reset
hosts a 20.0.0.1 10.0.1.1; hosts b 20.0.0.2 10.0.2.1
seed_tunnel netbsd-vpn-blowfish
if load vpn-blowfish "$TMP/s.conf"; then
	no_integrity vpn-blowfish
	xfrm_tunnel 20.0.0.1 20.0.0.2 13245 "0x$(hex blowfishtest.001)" \
		13246 0xdeadbeefdeadbeefdeadbeefdeadbeef 'cbc(blowfish)' 10.0.1.0/24 10.0.2.0/24
	traffic vpn-blowfish 10.0.1.1 10.0.2.1 "ESP(spi=0x000033bd" "ESP(spi=0x000033be" 13245 13246
fi

# --- Linux HOWTO tunnel: 3des-cbc + hmac-md5, -m tunnel, fwd policy ---
reset
cp "$SEEDS/howto-tunnel.conf" "$TMP/t.conf"; chmod 600 "$TMP/t.conf"
if load tunnel "$TMP/t.conf"; then
	xb state add src 192.168.1.100 dst 192.168.2.100 proto esp spi 0x201 mode tunnel \
		enc 'cbc(des3_ede)' 0x7aeaca3f87d060a12f4a4487d5a5c3355920fae69a96c831 \
		auth-trunc 'hmac(md5)' 0xc0291ff014dccdd03874d9e8e4cdf3e6 96
	xb state add src 192.168.2.100 dst 192.168.1.100 proto esp spi 0x301 mode tunnel \
		enc 'cbc(des3_ede)' 0xf6ddb555acfd9d77b03ea3843f2653255afe8eb5573965df \
		auth-trunc 'hmac(md5)' 0x96358c90783bbfa3d7b196ceabe0536b 96
	xb policy add src 172.16.2.0/24 dst 172.16.1.0/24 dir out \
		tmpl src 192.168.2.100 dst 192.168.1.100 proto esp mode tunnel
	xb policy add src 172.16.1.0/24 dst 172.16.2.0/24 dir in \
		tmpl src 192.168.1.100 dst 192.168.2.100 proto esp mode tunnel
	traffic tunnel 172.16.1.1 172.16.2.1 "ESP(spi=0x00000201" "ESP(spi=0x00000301" 0x201 0x301

	# --- dump -> flush -> reload round trip ---
	ks setkey -D >"$TMP/d1" && ks setkey -DP >"$TMP/p1"
	tap_expect "round trip: -D lists the 2 SAs" 2 "$(grep -c '^add ' "$TMP/d1")"
	tap_expect "round trip: -DP lists the 3 policies" 3 "$(grep -c '^spdadd ' "$TMP/p1")"
	ks setkey -F && ks setkey -FP
	tap_expect "round trip: flushed" "" "$(ks setkey -D; ks setkey -DP)"
	tap_check "round trip: SAD dump loads back" ks setkey -f "$TMP/d1"
	tap_check "round trip: SPD dump loads back" ks setkey -f "$TMP/p1"
	ks setkey -D >"$TMP/d2"; ks setkey -DP >"$TMP/p2"
	tap_check "round trip: SAD identical" diff -u "$TMP/d1" "$TMP/d2"
	tap_check "round trip: SPD identical" diff -u "$TMP/p1" "$TMP/p2"
	traffic reloaded 172.16.1.1 172.16.2.1 "ESP(spi=0x00000201" "ESP(spi=0x00000301" 0x201 0x301
fi

# --- the same tunnel with today's algorithms (setkey grammar, XFRM peer) ---
reset
cat >"$TMP/m.conf" <<'CONF'
flush; spdflush;
add 192.168.1.100 192.168.2.100 esp 0x1201 -m tunnel -r 64 -E aes-gcm-16
	0x00112233445566778899aabbccddeeff01020304;
add 192.168.2.100 192.168.1.100 esp 0x1301 -m tunnel -r 64 -E rijndael-cbc
	0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f \
	-A hmac-sha256 "0123456789abcdef0123456789abcdef";
spdadd 172.16.1.0/24 172.16.2.0/24 any -P out ipsec esp/tunnel/192.168.1.100-192.168.2.100/require;
spdadd 172.16.2.0/24 172.16.1.0/24 any -P in ipsec esp/tunnel/192.168.2.100-192.168.1.100/require;
CONF
chmod 600 "$TMP/m.conf"
if load modern "$TMP/m.conf"; then
	xb state add src 192.168.1.100 dst 192.168.2.100 proto esp spi 0x1201 mode tunnel \
		replay-window 64 aead 'rfc4106(gcm(aes))' 0x00112233445566778899aabbccddeeff01020304 128
	xb state add src 192.168.2.100 dst 192.168.1.100 proto esp spi 0x1301 mode tunnel \
		replay-window 64 enc 'cbc(aes)' 0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f \
		auth-trunc 'hmac(sha256)' "0x$(printf 0123456789abcdef0123456789abcdef | od -v -An -tx1 | tr -d ' \n')" 128
	xb policy add src 172.16.2.0/24 dst 172.16.1.0/24 dir out \
		tmpl src 192.168.2.100 dst 192.168.1.100 proto esp mode tunnel
	xb policy add src 172.16.1.0/24 dst 172.16.2.0/24 dir in \
		tmpl src 192.168.1.100 dst 192.168.2.100 proto esp mode tunnel
	traffic modern 172.16.1.1 172.16.2.1 "ESP(spi=0x00001201" "ESP(spi=0x00001301" 0x1201 0x1301
fi

# --- Linux HOWTO transport: AH and ESP together ---
reset
cp "$SEEDS/howto-transport-a.conf" "$TMP/ah.conf"; chmod 600 "$TMP/ah.conf"
if load ah+esp "$TMP/ah.conf"; then
	xb state add src 192.168.1.100 dst 192.168.2.100 proto ah spi 0x200 mode transport \
		auth-trunc 'hmac(md5)' 0xc0291ff014dccdd03874d9e8e4cdf3e6 96
	xb state add src 192.168.2.100 dst 192.168.1.100 proto ah spi 0x300 mode transport \
		auth-trunc 'hmac(md5)' 0x96358c90783bbfa3d7b196ceabe0536b 96
	xb state add src 192.168.1.100 dst 192.168.2.100 proto esp spi 0x201 mode transport \
		enc 'cbc(des3_ede)' 0x7aeaca3f87d060a12f4a4487d5a5c3355920fae69a96c831
	xb state add src 192.168.2.100 dst 192.168.1.100 proto esp spi 0x301 mode transport \
		enc 'cbc(des3_ede)' 0xf6ddb555acfd9d77b03ea3843f2653255afe8eb5573965df
	xb policy add src 192.168.2.100 dst 192.168.1.100 dir out \
		tmpl proto esp mode transport tmpl proto ah mode transport
	xb policy add src 192.168.1.100 dst 192.168.2.100 dir in \
		tmpl proto esp mode transport tmpl proto ah mode transport
	traffic ah+esp 192.168.1.100 192.168.2.100 "AH(spi=0x00000200" "AH(spi=0x00000300" 0x201 0x301
fi

# --- every seed configuration loads (or is refused precisely) and its
# -D/-DP dump reloads to the identical state ---
for f in "$SEEDS"/*.conf; do
	n=$(basename "$f" .conf)
	reset
	cp "$f" "$TMP/s.conf"; chmod 600 "$TMP/s.conf"
	load "seed $n" "$TMP/s.conf" || continue
	ks setkey -D >"$TMP/sd1"; ks setkey -DP >"$TMP/sp1"
	tap_expect "seed $n: SAs and policies in the kernel as in the file" \
		"$(grep -c '^add ' "$f")/$(grep -c '^spdadd ' "$f")" \
		"$(grep -c '^add ' "$TMP/sd1")/$(grep -c '^spdadd ' "$TMP/sp1")"
	ks setkey -F; ks setkey -FP
	chmod 600 "$TMP/sd1" "$TMP/sp1"
	ks setkey -f "$TMP/sd1" 2>/dev/null && ks setkey -f "$TMP/sp1"
	ks setkey -D >"$TMP/sd2"; ks setkey -DP >"$TMP/sp2"
	tap_check "seed $n: dump reloads identically" diff -u "$TMP/sd1" "$TMP/sd2"
	tap_check "seed $n: policy dump reloads identically" diff -u "$TMP/sp1" "$TMP/sp2"
done

# --- all or nothing ---
reset
cat >"$TMP/bad.conf" <<'CONF'
add 10.9.0.1 10.9.0.2 esp 0x500 -E rijndael-cbc 0x00112233445566778899aabbccddeeff -A hmac-sha1 "12345678901234567890";
spdadd 10.9.1.0/24 10.9.2.0/24 any -P out ipsec esp/tunnel/10.9.0.1-10.9.0.2/require;
add 10.9.0.1 10.9.0.2 esp 0x500 -E rijndael-cbc 0x00112233445566778899aabbccddeeff -A hmac-sha1 "12345678901234567890";
CONF
chmod 600 "$TMP/bad.conf"
out=$(ks setkey -f "$TMP/bad.conf" 2>&1); rc=$?
tap_expect "a duplicate SPI on line 3 fails with exit 1" 1 "$rc"
case "$out" in
"$TMP/bad.conf:3:1: add failed"*) tap_ok "the error names line 3" ;;
*) tap_fail "the error names line 3" "$out" ;;
esac
tap_expect "lines 1-2 were rolled back" "" "$(ks setkey -D; ks setkey -DP)"
out=$(ks setkey -n -f "$TMP/t.conf" 2>&1); rc=$?
tap_expect "-n checks a file without applying it" "0:" "$rc:$(ks setkey -D; ks setkey -DP)"

# --- monitor: one line per event, JSON lines with -j ---
reset
nsx a timeout 10 kipsec monitor -c 3 >"$TMP/mon.txt" 2>&1 &
MON=$!
nsx a timeout 10 kipsec -j monitor -c 1 >"$TMP/monj.txt" 2>&1 &
MONJ=$!
sleep 0.5
echo 'add 10.9.0.1 10.9.0.2 esp 0x777 -E rijndael-cbc 0x00112233445566778899aabbccddeeff -A hmac-sha1 "12345678901234567890";
spdadd 10.9.1.0/24 10.9.2.0/24 tcp -P out discard;
delete 10.9.0.1 10.9.0.2 esp 0x777;' | ks setkey -c
wait $MON $MONJ
tap_expect "monitor: SA-ADD, SP-ADD, SA-DEL lines" \
	"SA-ADD esp spi 0x00000777 transport 10.9.0.1 -> 10.9.0.2|SP-ADD out 10.9.1.0/24 -> 10.9.2.0/24 tcp|SA-DEL esp spi 0x00000777 transport 10.9.0.1 -> 10.9.0.2" \
	"$(cut -d' ' -f2- "$TMP/mon.txt" | sed 's/ id [0-9]*$//' | paste -sd'|')"
tap_check "monitor -j: a JSON line for SA-ADD" grep -q '^{"time":[0-9]*,"event":"SA-ADD","sa":{"proto":"esp","spi":1911,' "$TMP/monj.txt"

reset
tap_done
