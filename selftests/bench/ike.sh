#!/bin/bash
# make bench, inside the VM: kiked against strongSwan charon as IKEv2
# responders in the same VM run, as ratios (interleaved rounds, which one
# goes first alternates, medians).
#   setup rate: IKE_SA + CHILD_SA setups per second, BENCH_IKE_N clients
#     (default 256, a multiple of 64, at most 512): each a conn of a client
#     kiked (--no-kernel, 32 conns per daemon, each daemon on its own UDP
#     port, each conn from its own address with its own ID and subnet), PSK,
#     ecp256 (group 19), AES-GCM; the responder installs every CHILD_SA
#     (tunnel, its own selectors) into its kernel: kiked into kipsec, charon
#     into XFRM.  One client first warms the responder up (lazy
#     initialisation: OpenSSL's tables, first heap and stack pages); then
#     the first half of the N start at once, then the second half, each
#     timed until each client logged its CHILD_SA.
#   memory: the responder's private dirty memory (Private_Dirty of
#     /proc/PID/smaps_rollup: heap, stacks, anonymous mappings; not the
#     shared library pages that RSS also counts) after the second half
#     minus after the first, divided by N/2.  The first half's burst leaves
#     the allocator's pools, arenas and freed transient memory (half-open
#     SAs, DH keys, messages) in place, so the second half measures what an
#     established IKE_SA with one CHILD_SA keeps, not what its burst touched
#     on the way (with the delta from the warm-up alone, charon showed 0 kB
#     at N=64 and kiked 8 to 13 kB from run to run).
#   responder CPU: the responder process's utime + stime (all of charon's
#     threads) over both halves, per setup: what the rate costs, less
#     exposed to the host's load than the wall-clock rate.
# The clients run in the same VM and cost the same CPU in both runs (as
# much as the responder: the same key exchange), so the rate ratio
# understates the difference between the responders.  Cookies
# are off on both (thresholds above N): a load test, not a DoS test.
set -u
cd "$(dirname "$0")/../.."
. selftests/lib.sh >/dev/null
need_modules veth esp4 xfrm_user
KIKED=$PWD/ike/kiked KIPSEC=$PWD/tools/kipsec
ROUNDS=${BENCH_ROUNDS:-3}
NCLI=${BENCH_IKE_N:-256}
NCLI=$(( NCLI < 64 ? 64 : NCLI > 512 ? 512 : (NCLI + 63) / 64 * 64 ))
T=$(mktemp -d /tmp/ike_bench.XXXXXX)
S=198.18.0.1
# Client i: address 198.18.1+i/200.10+i%200, subnet 10.200+i/256.i%256.0/24;
# the warm-up client 198.18.0.9, subnet 10.199.0.0/24.
caddr() { echo "198.18.$((1 + $1 / 200)).$((10 + $1 % 200))"; }
csub() { echo "10.$((200 + $1 / 256)).$(($1 % 256)).0/24"; }
SPIDS=
CPIDS=
stop_clients() { [ -n "$CPIDS" ] && { kill $CPIDS 2>/dev/null; wait $CPIDS 2>/dev/null; }; CPIDS=; }
cleanup() {
	stop_clients
	[ -n "$SPIDS" ] && { kill $SPIDS 2>/dev/null; wait $SPIDS 2>/dev/null; }
	[ -n "$CHARON_PID" ] && charon_stop "$NS_s" "$T"
	ns_cleanup; rm -rf "$T"
}
trap cleanup EXIT

if ! command -v ipsec >/dev/null || [ ! -x "$KIKED" ]; then
	echo "bench: IKE setups: skipped (needs strongSwan and ike/kiked)"; exit 0
fi
ns_create s c
link_ns s $S/16 c 198.18.0.254/16
{ echo "addr add 198.18.0.9/16 dev to-s"
  for i in $(seq 0 $((NCLI - 1))); do echo "addr add $(caddr $i)/16 dev to-s"; done; } |
	ip -n "$NS_c" -batch -

PSK='bench-psk-0123456789'
# Client daemon k: conns k*32 .. k*32+31 (kiked holds at most 32 conns).
write_clients() {
	local k i n=$(((NCLI + 31) / 32))
	for k in $(seq 0 $((n - 1))); do
		: >"$T/c$k.conf"
		for i in $(seq $((k * 32)) $((k * 32 + 31))); do
			[ $i -lt $NCLI ] || break
			cat >>"$T/c$k.conf" <<-EOC
			conn c$i
			  left=$(caddr $i)
			  right=$S
			  leftid=@c$i.bench
			  rightid=@server.bench
			  authby=psk
			  leftsubnet=$(csub $i)
			  rightsubnet=10.0.0.0/24
			  ike=aes128gcm16-prfsha256-ecp256
			  esp=aes128gcm16
			  auto=start
			EOC
		done
		echo ": PSK \"$PSK\"" >"$T/c$k.secrets"; chmod 600 "$T/c$k.secrets"
	done
}
# The warm-up client: daemon w, conn cw.
write_warmup() {
	sed -n '/^conn c0$/,/auto=start/p' "$T/c0.conf" |
		sed "s/c0/cw/; s/$(caddr 0)\$/198.18.0.9/; s|$(csub 0)|10.199.0.0/24|" >"$T/cw.conf"
	cp "$T/c0.secrets" "$T/cw.secrets"
}
start_clients() {	# K...: client daemons K (0.., or w)
	local k
	for k in "$@"; do
		ip netns exec "$NS_c" "$KIKED" --conf "$T/c$k.conf" --secrets "$T/c$k.secrets" \
			--ctl "$T/c$k.ctl" --port $((5000 + ${k/w/99})) --no-kernel --foreground \
			--debug ike=2,net=1 >"$T/c$k.log" 2>&1 &
		CPIDS="$CPIDS $!"
	done
}
established() { cat "$T"/c*.log | grep -c "CHILD_SA established"; }
dirty_kb() { awk '/^Private_Dirty/ { print $2 }' /proc/$1/smaps_rollup; }
# utime + stime of the whole process (all of charon's threads), in ticks.
cpu_ticks() { sed 's/.*) //' /proc/$1/stat | awk '{ print $12 + $13 }'; }

server_conn() {	# ipsec.conf conn for both responders
	cat <<-EOC
	conn srv
	  left=$S
	  right=%any
	  leftid=@server.bench
	  rightid=%any
	  authby=psk
	  leftsubnet=10.0.0.0/24
	  rightsubnet=10.192.0.0/10
	  ike=aes128gcm16-prfsha256-ecp256${1:-}
	  esp=aes128gcm16${1:-}
	  auto=add
	EOC
}
# start_server kiked|charon: sets SPID (the process whose RSS is measured).
start_server() {
	if [ $1 = kiked ]; then
		server_conn >"$T/s.conf"
		echo ": PSK \"$PSK\"" >"$T/s.secrets"; chmod 600 "$T/s.secrets"
		ip netns exec "$NS_s" "$KIKED" --conf "$T/s.conf" --secrets "$T/s.secrets" \
			--ctl "$T/s.ctl" --foreground --cookie-threshold $((NCLI * 4)) \
			--debug 1 >"$T/s.log" 2>&1 &
		SPID=$! SPIDS=$!
		for _ in $(seq 100); do [ -S "$T/s.ctl" ] && break; sleep 0.1; done
	else
		{ cat /etc/strongswan.conf
		  printf 'charon {\n  cookie_threshold = %d\n  block_threshold = %d\n}\n' \
			$((NCLI * 4)) $((NCLI * 4)); } >"$T/strongswan.conf"
		charon_start "$NS_s" "$T" "config setup
  uniqueids=no
  charondebug=\"ike 0, knl 0, cfg 0, net 0, enc 0, job 0, mgr 0\"
$(server_conn '!')" ": PSK \"$PSK\"" || return 1
		SPID=$(for p in $(ip netns pids "$NS_s"); do
			[ "$(cat /proc/$p/comm 2>/dev/null)" = charon ] && echo $p; done | head -1)
	fi
	sleep 1
}
stop_server() {
	if [ $1 = kiked ]; then kill $SPIDS; wait $SPIDS 2>/dev/null; SPIDS=
	else charon_stop "$NS_s" "$T"; fi
	ip netns exec "$NS_s" "$KIPSEC" sa flush >/dev/null 2>&1
	ip netns exec "$NS_s" "$KIPSEC" sp flush >/dev/null 2>&1
}
wait_established() {	# N: until N clients have their CHILD_SA (120 s at most)
	for _ in $(seq 1200); do
		[ "$(established)" -ge $1 ] && return 0
		sleep 0.1
	done
	echo "bench: IKE $S_KIND: only $(established) of $1 CHILD_SAs in 120 s" >&2
	return 1
}
# One round against $1: prints "setups_per_s kb_per_sa cpu_ms_per_setup",
# or "0 0 0".
round() {
	local m1 m2 t t0 t1 c c0 ok=0 h=$((NCLI / 64))
	S_KIND=$1
	rm -f "$T"/c*.log
	if ! start_server $1 || [ -z "$SPID" ]; then echo "0 0 0"; return; fi
	start_clients w
	if wait_established 1; then
		sleep 1
		c0=$(cpu_ticks $SPID) t0=$(date +%s%N)
		start_clients $(seq 0 $((h - 1)))
		if wait_established $((NCLI / 2 + 1)); then
			t1=$(date +%s%N) t=$((t1 - t0))
			c=$(($(cpu_ticks $SPID) - c0))
			sleep 2
			m1=$(dirty_kb $SPID)
			c0=$(cpu_ticks $SPID) t0=$(date +%s%N)
			start_clients $(seq $h $((2 * h - 1)))
			wait_established $((NCLI + 1)) && ok=1
			t1=$(date +%s%N) t=$((t + t1 - t0))
			c=$((c + $(cpu_ticks $SPID) - c0))
			sleep 2
			m2=$(dirty_kb $SPID)
		fi
	fi
	stop_clients
	if [ $ok = 1 ]; then
		python3 -c "import os, sys; n,t,a,b,c=map(float,sys.argv[1:]); print('%.2f %.2f %.1f' % (n/t*1e9, (b-a)/(n/2), c/os.sysconf('SC_CLK_TCK')/n*1e3))" \
			$NCLI $t "$m1" "$m2" $c
	else
		echo "0 0 0"
	fi
	stop_server $1
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR ? a[int((NR+1)/2)] : 0)}'; }
ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print('%.2f' % (a/b) if b else 'n/a')" "$1" "$2"; }

write_clients
write_warmup
declare -A rate mem cpu
failed=
for r in $(seq "$ROUNDS"); do
	order="charon kiked"; [ $((r % 2)) = 0 ] && order="kiked charon"
	for s in $order; do
		set -- $(round $s)
		# A round that did not complete is reported, not counted.
		if [ "${1:-0}" = 0 ]; then failed+=" $s"; continue; fi
		rate[$s]+="$1 "; mem[$s]+="$2 "; cpu[$s]+="$3 "
	done
done
rk=$(echo ${rate[kiked]:-} | tr ' ' '\n' | median); rc=$(echo ${rate[charon]:-} | tr ' ' '\n' | median)
mk=$(echo ${mem[kiked]:-} | tr ' ' '\n' | median); mc=$(echo ${mem[charon]:-} | tr ' ' '\n' | median)
ck=$(echo ${cpu[kiked]:-} | tr ' ' '\n' | median); cc=$(echo ${cpu[charon]:-} | tr ' ' '\n' | median)
echo "bench: IKE_SA+CHILD_SA setups/s, $NCLI clients at once, PSK, ecp256: kiked/charon = $(ratio "$rk" "$rc") (kiked $rk/s, charon $rc/s; medians of $ROUNDS)"
echo "bench: private memory per established IKE_SA: kiked/charon = $(ratio "$mk" "$mc") (kiked $mk kB, charon $mc kB; medians of $ROUNDS)"
echo "bench: responder CPU time per IKE_SA+CHILD_SA setup: kiked/charon = $(ratio "$ck" "$cc") (kiked $ck ms, charon $cc ms; medians of $ROUNDS)"
echo "bench: IKE rounds: kiked ${rate[kiked]:-}/s, ${mem[kiked]:-}kB, ${cpu[kiked]:-}ms; charon ${rate[charon]:-}/s, ${mem[charon]:-}kB, ${cpu[charon]:-}ms${failed:+; rounds not completed by:$failed}"
