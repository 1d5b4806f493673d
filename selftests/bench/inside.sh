#!/bin/bash
# make bench, inside the VM: kipsec against Linux XFRM in the same VM run.
# Every figure is a ratio of the two measured back to back (alternating
# rounds, median), never an absolute time on its own.
#   throughput: single TCP flow through an AES-GCM-128 tunnel (iperf3)
#   small packets: 64-byte UDP datagrams delivered per second
#   SPD scaling: small-packet rate with 1k/10k/100k extra policies vs 1,
#     measured in alternation with a twin namespace pair that has 1 policy
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

ns_create a b c d
link_ns a $A/24 b $B/24
# c -> d: the same tunnel with a single policy, the SPD benchmark's reference
link_ns c $A/24 d $B/24

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
pps_of() {	# pps_of FILE: packets delivered per second in an iperf3 -u -J report
	python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["end"]["sum"]; print(int((e["packets"]-e["lost_packets"])/e["seconds"]))' "$1" 2>/dev/null || echo 0
}
udp_pps() {
	nsx a timeout $((SECS + 30)) iperf3 -c $B -u -l 64 -b 0 -t "$SECS" -J >/tmp/udp.json 2>/dev/null
	pps_of /tmp/udp.json
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

# SPD scaling: N extra policies (never matching) loaded in one batch in a;
# each round runs the same 64-byte UDP flood from c (the same tunnel, one
# policy) and from a at the same time: the two share the VM's CPUs, so the
# ratio of their rates is the ratio of their per-packet costs, whatever the
# host's load does meanwhile.  The figure is the median of the rounds.  BENCH_SPD_SET: "mixed" (default: host and site policies,
# 16 prefix lengths, same-destination policies told apart only by protocol
# and port) or "hosts" (N host policies to N destinations).
setup kipsec
kipsec_side "$NS_c" $A $B; kipsec_side "$NS_d" $B $A
nsx d iperf3 -s -D
SPD_SET=${BENCH_SPD_SET:-mixed}
# 0 first: the two pairs with the same single policy, the measurement's own bias.
for n in ${BENCH_SPD:-0 1000 10000 100000}; do
	ip netns exec "$NS_a" kipsec sp flush >/dev/null
	python3 - "$n" "$SPD_SET" > /tmp/spd.conf <<'PY'
import sys
n, kind = int(sys.argv[1]), sys.argv[2]
seen = set()
for i in range(n):
    a, b, c = 16 + (i >> 16) % 15, (i >> 8) & 255, i & 255
    k = i % 8 if kind == "mixed" else 0
    if k < 3:	# host to host, distinct destinations
        print("spdadd 172.31.0.1/32 172.%d.%d.%d/32 any -P out none;" % (a, b, c))
    elif k < 5:	# site to site
        print("spdadd 10.%d.%d.0/24 172.%d.%d.0/24 any -P out none;" % (b, c, a, b))
    elif k < 7:	# one destination, services told apart by protocol and port
        print("spdadd 172.31.0.0/16 172.%d.%d.1/32[%d] %s -P out none;"
              % (a, b, 1 + (i >> 3) % 4000, "tcp" if k == 5 else "udp"))
    else:	# prefixes of 16 lengths
        l = 15 + (i >> 3) % 16
        m = (0xac000000 | (i << 8)) & (0xffffffff << (32 - l)) & 0xffffffff
        if (m, l) in seen:	# that prefix is taken: a host policy instead
            m, l = 0xac000000 | i, 32
        seen.add((m, l))
        print("spdadd 0.0.0.0/0 %d.%d.%d.%d/%d any -P out none;"
              % (m >> 24, (m >> 16) & 255, (m >> 8) & 255, m & 255, l))
PY
	t0=$(date +%s%N)
	if ! ip netns exec "$NS_a" kipsec setkey -f /tmp/spd.conf >/dev/null; then
		echo "bench: SPD scaling at $n policies: could not load the policies"; continue
	fi
	t1=$(date +%s%N)
	kipsec_side "$NS_a" $A $B 2>/dev/null
	sleep 2	# the hash table's deferred resize, the old set's RCU frees
	rs=""
	for r in $(seq "$ROUNDS"); do
		# which one starts first alternates
		for ns in $( ((r % 2)) && echo c a || echo a c); do
			nsx $ns timeout $((SECS + 30)) iperf3 -c $B -u -l 64 -b 0 -t "$SECS" -J \
				>/tmp/udp-$ns.json 2>/dev/null &
		done
		wait
		rs+="$(ratio "$(pps_of /tmp/udp-a.json)" "$(pps_of /tmp/udp-c.json)") "
	done
	m=$(echo $rs | tr ' ' '\n' | median)
	[ "$n" = 0 ] && twin=$m
	echo "bench: 64-byte UDP with $n extra policies ($SPD_SET) vs 1: $m, $(ratio "$m" "${twin:-$m}") of the twins' ratio with no extra policy (rounds: $rs; loaded in $(( (t1 - t0) / 1000000 )) ms)"
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
[ "${BENCH_IKE_N:-256}" = 0 ] || "$(dirname "$0")/ike.sh"
