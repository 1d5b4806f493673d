#!/bin/bash
# make bench, inside the VM: kipsec against Linux XFRM in the same VM run.
# Every figure is a ratio of the two measured back to back (alternating
# rounds, median), never an absolute time on its own.
#   throughput: single TCP flow through an AES-GCM-128 tunnel (iperf3)
#   small packets: 64-byte UDP datagrams delivered per second
#   SPD scaling: small-packet rate with 1k/10k/100k extra policies vs 1
#   SA install: N SAs through kipsec setkey -f vs ip -batch (ip xfrm)
#   IKE: kiked vs charon as responders, setups/s and memory per IKE_SA
#     (selftests/bench/ike.sh; BENCH_IKE_N=0 leaves it out)
set -u
. "$(dirname "$0")/../lib.sh" >/dev/null
need_modules veth esp4 xfrm_user
ROUNDS=${BENCH_ROUNDS:-3}
SECS=${BENCH_SECS:-4}
KEY=0x0102030405060708091011121314151617181920
A=10.0.0.1 B=10.0.0.2

ns_create a b
link_ns a $A/24 b $B/24

# spi SRC: the SPI of the SA leaving SRC (A -> B 0x1001, B -> A 0x1002), the
# same on both ends.
spi() { if [ "$1" = $A ]; then echo 0x1001; else echo 0x1002; fi; }
xfrm_side() {	# xfrm_side NS SRC DST: tunnel SRC<->DST with Linux XFRM
	local ns=$1 s=$2 d=$3
	ip -n "$ns" xfrm state add src $s dst $d proto esp spi "$(spi $s)" mode tunnel aead 'rfc4106(gcm(aes))' $KEY 128
	ip -n "$ns" xfrm state add src $d dst $s proto esp spi "$(spi $d)" mode tunnel aead 'rfc4106(gcm(aes))' $KEY 128
	ip -n "$ns" xfrm policy add src $s/32 dst $d/32 dir out tmpl src $s dst $d proto esp mode tunnel
	ip -n "$ns" xfrm policy add src $d/32 dst $s/32 dir in tmpl src $d dst $s proto esp mode tunnel
}
kipsec_side() {	# kipsec_side NS SRC DST: the same tunnel with kipsec
	local ns=$1 s=$2 d=$3
	ip netns exec "$ns" kipsec sa add src $s dst $d proto esp spi "$(spi $s)" mode tunnel aead aes-gcm-16 $KEY 128 sel src $s/32 dst $d/32
	ip netns exec "$ns" kipsec sa add src $d dst $s proto esp spi "$(spi $d)" mode tunnel aead aes-gcm-16 $KEY 128 sel src $d/32 dst $s/32
	ip netns exec "$ns" kipsec sp add src $s/32 dst $d/32 dir out action protect tmpl proto esp mode tunnel src $s dst $d level require >/dev/null
	ip netns exec "$ns" kipsec sp add src $d/32 dst $s/32 dir in action protect tmpl proto esp mode tunnel src $d dst $s level require >/dev/null
}
clear_all() {
	local ns
	for ns in "$NS_a" "$NS_b"; do
		ip -n "$ns" xfrm state flush; ip -n "$ns" xfrm policy flush
		ip netns exec "$ns" kipsec sa flush >/dev/null 2>&1
		ip netns exec "$ns" kipsec sp flush >/dev/null 2>&1
	done
}
setup() {	# setup xfrm|kipsec
	clear_all
	if [ "$1" = xfrm ]; then xfrm_side "$NS_a" $A $B; xfrm_side "$NS_b" $B $A
	else kipsec_side "$NS_a" $A $B; kipsec_side "$NS_b" $B $A; fi
}
tcp_bps() {
	nsx a timeout $((SECS + 30)) iperf3 -c $B -t "$SECS" -J 2>/dev/null |
		python3 -c 'import json,sys; print(int(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]))' 2>/dev/null || echo 0
}
udp_pps() {
	nsx a timeout $((SECS + 30)) iperf3 -c $B -u -l 64 -b 0 -t "$SECS" -J 2>/dev/null |
		python3 -c 'import json,sys; e=json.load(sys.stdin)["end"]["sum"]; print(int((e["packets"]-e["lost_packets"])/e["seconds"]))' 2>/dev/null || echo 0
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR ? a[int((NR+1)/2)] : 0)}'; }
ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print('%.2f' % (a/b) if b else 'n/a')" "$1" "$2"; }

nsx b iperf3 -s -D
sleep 1
declare -A tcp udp
for r in $(seq "$ROUNDS"); do
	for s in xfrm kipsec; do
		setup $s
		tcp[$s]+="$(tcp_bps) "
		udp[$s]+="$(udp_pps) "
	done
done
tx=$(echo ${tcp[xfrm]} | tr ' ' '\n' | median); tk=$(echo ${tcp[kipsec]} | tr ' ' '\n' | median)
ux=$(echo ${udp[xfrm]} | tr ' ' '\n' | median); uk=$(echo ${udp[kipsec]} | tr ' ' '\n' | median)
echo "bench: TCP single flow, aes-gcm-16/128 tunnel: kipsec/xfrm = $(ratio "$tk" "$tx") (kipsec ${tk} bit/s, xfrm ${tx} bit/s; medians of $ROUNDS)"
echo "bench: 64-byte UDP delivered: kipsec/xfrm = $(ratio "$uk" "$ux") (kipsec ${uk} pkt/s, xfrm ${ux} pkt/s)"

# SPD scaling: extra policies that never match, to as many destinations
# (a gateway's remote sites), loaded in one batch.
setup kipsec
base=$uk
for n in ${BENCH_SPD:-1000 10000 100000}; do
	ip netns exec "$NS_a" kipsec sp flush >/dev/null
	python3 - "$n" > /tmp/spd.conf <<'PY'
import sys
n = int(sys.argv[1])
for i in range(n):
    print("spdadd 172.31.0.1/32 172.%d.%d.%d/32 any -P out none;" % (16 + (i >> 16) % 15, (i >> 8) & 255, i & 255))
PY
	if ! ip netns exec "$NS_a" kipsec setkey -f /tmp/spd.conf >/dev/null; then
		echo "bench: SPD scaling at $n policies: could not load the policies"; continue
	fi
	kipsec_side "$NS_a" $A $B 2>/dev/null
	p=$(udp_pps)
	echo "bench: 64-byte UDP with $n extra policies vs 1: $(ratio "$p" "$base") ($p vs $base pkt/s)"
done

# SA install rate: the same SAs through each stack's batch interface.
N=${BENCH_SAS:-5000}
python3 - "$N" > /tmp/sa.setkey <<'PY'
import sys
for i in range(int(sys.argv[1])):
    print("add 10.0.0.1 10.0.0.2 esp 0x%x -m tunnel -E aes-gcm-16 0x0102030405060708091011121314151617181920;" % (0x10000 + i))
PY
python3 - "$N" > /tmp/sa.ip <<'PY'
import sys
for i in range(int(sys.argv[1])):
    print("xfrm state add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x%x mode tunnel aead rfc4106(gcm(aes)) 0x0102030405060708091011121314151617181920 128" % (0x10000 + i))
PY
chmod 600 /tmp/sa.setkey
clear_all
t0=$(date +%s%N); ip -n "$NS_a" -batch /tmp/sa.ip; t1=$(date +%s%N)
ip netns exec "$NS_a" kipsec setkey -f /tmp/sa.setkey; t2=$(date +%s%N)
echo "bench: install $N SAs: kipsec/xfrm time = $(ratio $((t2 - t1)) $((t1 - t0)))"

# IKE: kiked against charon (its own namespaces, after the above is done).
clear_all
[ "${BENCH_IKE_N:-64}" = 0 ] || "$(dirname "$0")/ike.sh"
