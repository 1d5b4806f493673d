#!/bin/bash
# kipsec-cost: 30
# kipsec-debug: no (too many process launches for the debug kernel: sa_sp_debug.sh covers it there)
# The control plane: kipsec sa/sp/stats and the netlink requests under them.
# Adds, gets, lists, updates, deletes and flushes SAs and policies; every
# required attribute missing (in the tool and in raw netlink requests), bad
# keys and algorithms, duplicates and inconsistent families are rejected with
# the expected message and leave the previous state whole; thousands of SAs
# and policies install and dump in full; state is per network namespace.
. "$(dirname "$0")/../lib.sh"

KGENL=$(dirname "$0")/../bin/kgenl.py
K20=0x0102030405060708091011121314151617181920
K32=0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
# make check: a few thousand; make check-full (KIPSEC_FULL=1): 100k.
# The debug kernel (KASAN, lockdep, kmemleak under TCG) gets a few hundred.
[ -r /kipsec-env ] && . /kipsec-env
def_scale=3000; [ "${KIPSEC_VM_KERNEL:-}" = debug ] && def_scale=300
SCALE=${KIPSEC_CTL_SCALE:-$([ -n "${KIPSEC_FULL:-}" ] && echo 100000 || echo $def_scale)}
# 6.1 has no formatted extack messages: the value is left out there.
old_extack=; case $(uname -r) in 6.1.*) old_extack=1 ;; esac

ns_create a b
ka() { nsx a kipsec "$@"; }
kg() { nsx a python3 "$KGENL" "$@"; }
state() { ka sa list; ka sp list; }

# expect_err NAME RC MESSAGE CMD...: CMD exits RC, prints exactly MESSAGE on
# stderr, and the SAD/SPD of namespace a are as before.
expect_err() {
	local name=$1 rc=$2 msg=$3 before after out got
	shift 3
	before=$(state)
	out=$("$@" 2>&1 >/dev/null); got=$?
	after=$(state)
	if [ "$got" != "$rc" ]; then
		tap_fail "$name" "exit $got, expected $rc: $out"
	elif [ "$out" != "$msg" ]; then
		tap_fail "$name" "expected: $msg
actual:   $out"
	elif [ "$before" != "$after" ]; then
		tap_fail "$name" "state changed"
	else
		tap_ok "$name"
	fi
}
# kexpect NAME MESSAGE ATTRS...: queues a raw request expected to fail with
# MESSAGE; kexpect_run sends the queue through one socket (python starts
# slowly on the debug kernel) and checks each result and that the state is
# unchanged.
KQ_NAMES=(); KQ_MSGS=(); KQ_REQS=()
KQ_OUT=$(mktemp)
trap 'rm -f "$KQ_OUT"; ns_cleanup' EXIT
kexpect() {
	local name=$1 msg=$2 line
	shift 2
	printf -v line '%q ' "$@"
	KQ_NAMES+=("netlink: $name"); KQ_MSGS+=("$msg"); KQ_REQS+=("$line")
}
kexpect_run() {
	local before after i
	local -a res
	before=$(state)
	# (no /dev/fd in the VM: no process substitution)
	printf '%s\n' "${KQ_REQS[@]}" | kg batch >"$KQ_OUT" 2>&1
	mapfile -t res <"$KQ_OUT"
	after=$(state)
	for i in "${!KQ_NAMES[@]}"; do
		tap_expect "${KQ_NAMES[$i]}" "${KQ_MSGS[$i]}" "${res[$i]:-}"
	done
	tap_expect "netlink: state unchanged by rejected requests" "$before" "$after"
	KQ_NAMES=(); KQ_MSGS=(); KQ_REQS=()
}

SA1=(src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x1001 mode tunnel aead aes-gcm-16 $K20 128
     replay-window 64 sel src 192.168.1.0/24 dst 192.168.2.0/24)
tap_check "sa add (tunnel, aes-gcm-16)" ka sa add "${SA1[@]}"
tap_check "sa add (transport, aes-cbc + hmac-sha256)" ka sa add src 10.0.0.1 dst 10.0.0.2 \
	proto esp spi 0x1002 enc aes-cbc 0x00112233445566778899aabbccddeeff auth hmac-sha256 $K32
tap_check "sa add (IPv6 outer, IPv4 inner, chacha20-poly1305)" ka sa add src fd00::1 dst fd00::2 \
	proto esp spi 0x1003 mode tunnel aead chacha20-poly1305 0x$(printf '%072d' 7) 128 \
	sel src 10.1.0.0/16 dst 10.2.0.0/16
tap_expect "sa get" "src 10.0.0.1 dst 10.0.0.2
	proto esp spi 0x00001001 reqid 0 mode tunnel
	replay-window 64
	aead rfc4106(gcm(aes)) $K20 128
	sel src 192.168.1.0/24 dst 192.168.2.0/24" "$(ka sa get dst 10.0.0.2 proto esp spi 0x1001)"
tap_expect "sa list shows the three SAs" 3 "$(ka sa list | grep -c '^src ')"
tap_expect "sa list -j" '"spi":4099,"reqid":0,"mode":"tunnel"' \
	"$(ka -j sa list | grep -o '"spi":4099,"reqid":0,"mode":"tunnel"')"
tap_expect "SAs are per netns" "" "$(nsx b kipsec sa list)"

# Bad SAs, tool level (exit 2: usage).
expect_err "sa add without spi" 2 "kipsec sa add: missing 'spi'" \
	ka sa add src 10.0.0.1 dst 10.0.0.2 proto esp aead aes-gcm-16 $K20 128
expect_err "sa add without dst" 2 "kipsec sa add: missing 'dst'" \
	ka sa add src 10.0.0.1 proto esp spi 0x2000 aead aes-gcm-16 $K20 128
expect_err "sa add without src" 2 "kipsec sa add: missing 'src'" \
	ka sa add dst 10.0.0.2 proto esp spi 0x2000 aead aes-gcm-16 $K20 128
expect_err "sa add without proto" 2 "kipsec sa add: missing 'proto' (esp or ah)" \
	ka sa add src 10.0.0.1 dst 10.0.0.2 spi 0x2000 aead aes-gcm-16 $K20 128
expect_err "sa add without algorithm" 2 "kipsec sa add: missing 'aead' or 'enc' for an ESP SA" \
	ka sa add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x2000
expect_err "sa add spi below 256" 2 \
	"kipsec sa add: 'spi' expects a number from 256 to 4294967295, got '5'" \
	ka sa add src 10.0.0.1 dst 10.0.0.2 proto esp spi 5 aead aes-gcm-16 $K20 128
expect_err "sa add bad address" 2 \
	"kipsec sa add: 'dst' expects an IPv4 or IPv6 address, got '10.0.0.300'" \
	ka sa add src 10.0.0.1 dst 10.0.0.300 proto esp spi 0x2000 aead aes-gcm-16 $K20 128
expect_err "sa add mixed outer families" 2 "kipsec sa add: 'src' and 'dst' are of different families" \
	ka sa add src 10.0.0.1 dst fd00::2 proto esp spi 0x2000 aead aes-gcm-16 $K20 128
expect_err "sa add bad mode" 2 "kipsec sa add: 'mode' expects transport or tunnel, got 'tunel'" \
	ka sa add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x2000 mode tunel aead aes-gcm-16 $K20 128
expect_err "sa add odd hex key" 2 \
	"kipsec sa add: 'aead' key expects an even number of hex digits (at most 128 bytes), got 3 digits" \
	ka sa add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x2000 aead aes-gcm-16 0x123 128
expect_err "sa add unknown keyword" 2 "kipsec sa add: unknown keyword 'colour'" \
	ka sa add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x2000 colour blue

# Bad SAs the kernel rejects (exit 1: runtime).
if [ -n "$old_extack" ]; then m="SA with this spi already exists"; else m="SA with spi 0x1001 already exists"; fi
expect_err "duplicate SPI" 1 "kipsec sa add: $m: File exists" ka sa add "${SA1[@]}"
expect_err "wrong key length" 1 "kipsec sa add: kipsec: KIPSEC_A_SA_AEAD_KEY: 2 bytes is not a valid key for rfc4106(gcm(aes)) : Invalid argument" \
	ka sa add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x2000 aead aes-gcm-16 0x0102 128
expect_err "unknown algorithm" 1 "kipsec sa add: kipsec: KIPSEC_A_SA_AEAD_ALG: \"seqiv(rfc4106(gcm(nosuch)))\" unavailable (-2): No such file or directory" \
	ka sa add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x2000 aead 'rfc4106(gcm(nosuch))' $K20 128
if [ -n "$old_extack" ]; then m="no such SA"; else m="no SA with spi 0x2000"; fi
expect_err "sa del of a missing SA" 1 "kipsec sa del: $m: No such file or directory" \
	ka sa del dst 10.0.0.2 proto esp spi 0x2000

# Raw requests: every required attribute missing, bad values.
ID=(SA_PROTO=50 SA_SPI=0x2000 SA_FAMILY=2 SA_DST=10.0.0.2)
ALG=(SA_AEAD_ALG='rfc4106(gcm(aes))' SA_AEAD_KEY=$K20)
for a in SA_PROTO SA_SPI SA_FAMILY SA_DST; do
	args=()
	for x in "${ID[@]}"; do [ "${x%%=*}" = "$a" ] || args+=("$x"); done
	kexpect "SA_ADD without $a" "error 22: missing attribute KIPSEC_A_$a" \
		SA_ADD "${args[@]}" SA_SRC=10.0.0.1 "${ALG[@]}"
	kexpect "SA_DEL without $a" "error 22: missing attribute KIPSEC_A_$a" SA_DEL "${args[@]}"
done
kexpect "SA_ADD without SA_SRC" "error 22: missing attribute KIPSEC_A_SA_SRC" SA_ADD "${ID[@]}" "${ALG[@]}"
kexpect "SA_ADD without algorithm" \
	"error 22: missing attribute KIPSEC_A_SA_AEAD_ALG or KIPSEC_A_SA_ENC_ALG" \
	SA_ADD "${ID[@]}" SA_SRC=10.0.0.1
kexpect "SA_ADD without AEAD key" "error 22: missing attribute KIPSEC_A_SA_AEAD_KEY" \
	SA_ADD "${ID[@]}" SA_SRC=10.0.0.1 SA_AEAD_ALG='rfc4106(gcm(aes))'
kexpect "SA_ADD null cipher without integrity" \
	"error 22: kipsec: ESP needs an encryption or an integrity algorithm (found null and digest_null)" \
	SA_ADD "${ID[@]}" SA_SRC=10.0.0.1 SA_ENC_ALG='ecb(cipher_null)'
kexpect "SA_ADD IPv4 address for AF_INET6" "error 22: address must be 16 bytes for AF_INET6" \
	SA_ADD SA_PROTO=50 SA_SPI=0x2000 SA_FAMILY=10 SA_DST=10.0.0.2 SA_SRC=10.0.0.1 "${ALG[@]}"
kexpect "SA_ADD bad family" "error 97: family must be AF_INET (2) or AF_INET6 (10)" \
	SA_ADD SA_PROTO=50 SA_SPI=0x2000 SA_FAMILY=3 SA_DST=10.0.0.2 SA_SRC=10.0.0.1 "${ALG[@]}"
kexpect "SA_ADD spi below 256" "error 34: integer out of range" \
	SA_ADD SA_PROTO=50 SA_SPI=5 SA_FAMILY=2 SA_DST=10.0.0.2 SA_SRC=10.0.0.1 "${ALG[@]}"
kexpect "SA_ADD proto not esp/ah" "error 34: integer out of range" \
	SA_ADD SA_PROTO=6 SA_SPI=0x2000 SA_FAMILY=2 SA_DST=10.0.0.2 SA_SRC=10.0.0.1 "${ALG[@]}"
kexpect "SA_ADD replay window too big" "error 34: integer out of range" \
	SA_ADD "${ID[@]}" SA_SRC=10.0.0.1 "${ALG[@]}" SA_REPLAY_WINDOW=5000
kexpect "SA_ADD output-only attribute" "error 22: Unsupported attribute" \
	SA_ADD "${ID[@]}" SA_SRC=10.0.0.1 "${ALG[@]}" SA_CURLFT=0x00000000
kexpect "SA_ADD transport SA with other selector family" \
	"error 22: a transport mode SA's selector family must be its KIPSEC_A_SA_FAMILY" \
	SA_ADD "${ID[@]}" SA_SRC=10.0.0.1 "${ALG[@]}" SA_SEL=family:10,dst:fd00::1
kexpect "SA_ADD selector address of the wrong family" "error 22: address must be 4 bytes for AF_INET" \
	SA_ADD "${ID[@]}" SA_SRC=10.0.0.1 "${ALG[@]}" SA_MODE=1 SA_SEL=family:2,dst:fd00::1
kexpect "SA_ADD selector without family" "error 22: missing attribute KIPSEC_SEL_FAMILY" \
	SA_ADD "${ID[@]}" SA_SRC=10.0.0.1 "${ALG[@]}" SA_MODE=1 SA_SEL=dst:10.1.0.0
kexpect_run

# Update and delete.
tap_check "sa update (new key)" ka sa update src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x1001 \
	mode tunnel aead aes-gcm-16 0x$(printf '%040d' 1) 128 sel src 192.168.1.0/24 dst 192.168.2.0/24
tap_expect "sa get after update" "aead rfc4106(gcm(aes)) 0x$(printf '%040d' 1) 128" \
	"$(ka sa get dst 10.0.0.2 proto esp spi 0x1001 | sed -n 's/^\t//; /^aead/p')"
if [ -n "$old_extack" ]; then m="no SA with this identity to update"; else m="no SA with spi 0x2000 to update"; fi
expect_err "sa update of a missing SA" 1 "kipsec sa update: $m: No such file or directory" \
	ka sa update src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x2000 aead aes-gcm-16 $K20 128
tap_check "sa del" ka sa del dst 10.0.0.2 proto esp spi 0x1002
tap_expect "sa list after del" "0x00001001 0x00001003" "$(ka sa list | awk '/spi/ {print $4}' | xargs)"

# Policies.
SP1=(src 192.168.1.0/24 dst 192.168.2.0/24 dir out action protect
     tmpl proto esp mode tunnel src 10.0.0.1 dst 10.0.0.2 level require)
tap_expect "sp add returns the id" "id 1" "$(ka sp add "${SP1[@]}")"
tap_check "sp add (in, bypass, tcp port)" ka sp add src 0.0.0.0/0 dst 10.0.0.0/8 proto tcp dport 22 dir in action bypass priority 10
tap_check "sp add (IPv6, transport, unique)" ka sp add src fd01::/64 dst fd02::/64 dir fwd \
	tmpl proto esp mode transport level unique reqid 7
tap_expect "sp list" "src 192.168.1.0/24 dst 192.168.2.0/24 dir out action protect priority 524288 id 1
	tmpl proto esp mode tunnel src 10.0.0.1 dst 10.0.0.2 level require reqid 0
src 0.0.0.0/0 dst 10.0.0.0/8 proto tcp dport 22 dir in action bypass priority 10 id 2
src fd01::/64 dst fd02::/64 dir fwd action protect priority 524288 id 3
	tmpl proto esp mode transport level unique reqid 7" "$(ka sp list)"
tap_expect "sp get id 2" "src 0.0.0.0/0 dst 10.0.0.0/8 proto tcp dport 22 dir in action bypass priority 10 id 2" \
	"$(ka sp get id 2)"
expect_err "duplicate policy" 1 \
	"kipsec sp add: policy with this direction and selector already exists: File exists" \
	ka sp add "${SP1[@]}"
expect_err "sp add without dir" 2 "kipsec sp add: missing 'dir' (in, out or fwd)" \
	ka sp add src 10.0.0.0/8 dst 10.0.0.0/8 action bypass
expect_err "sp add protect without tmpl" 2 "kipsec sp add: 'action protect' needs a 'tmpl'" \
	ka sp add src 10.0.0.0/8 dst 10.0.0.0/8 dir out
expect_err "sp add selector of mixed families" 2 \
	"kipsec sp add: selector 'src' 10.0.0.0 and 'dst' fd00:: are of different families" \
	ka sp add src 10.0.0.0/8 dst fd00::/8 dir out action bypass
expect_err "sp add tunnel tmpl without endpoints" 2 "kipsec sp add: 'tmpl mode tunnel' needs 'src' and 'dst'" \
	ka sp add src 10.0.0.0/8 dst 10.0.0.0/8 dir out tmpl proto esp mode tunnel
expect_err "sp add transport tmpl of the other family" 2 \
	"kipsec sp add: a transport mode 'tmpl' must have the selector's family" \
	ka sp add src 10.0.0.0/8 dst 10.0.0.0/8 dir out tmpl proto esp mode transport dst fd00::1
expect_err "sp add ports without protocol" 2 "kipsec sp add: 'sport'/'dport' need 'proto' tcp, udp, sctp, udplite or dccp" \
	ka sp add src 10.0.0.0/8 dst 10.0.0.0/8 dport 80 dir in action bypass
expect_err "sp add bad dir" 2 "kipsec sp add: 'dir' expects in, out or fwd, got 'up'" \
	ka sp add src 10.0.0.0/8 dst 10.0.0.0/8 dir up action bypass
SEL='SP_SEL=family:2,dst:10.9.0.0,dst_plen:16'
kexpect "SP_ADD without SP_DIR" "error 22: missing attribute KIPSEC_A_SP_DIR" SP_ADD SP_ACTION=1 "$SEL"
kexpect "SP_ADD without SP_SEL" "error 22: missing attribute KIPSEC_A_SP_SEL" SP_ADD SP_DIR=1 SP_ACTION=1
kexpect "SP_ADD protect without templates" \
	"error 22: a protect policy needs KIPSEC_A_SP_TMPLS with a KIPSEC_A_TMPL" SP_ADD SP_DIR=1 "$SEL"
kexpect "SP_ADD bypass with templates" "error 22: only a protect policy takes templates" \
	SP_ADD SP_DIR=1 SP_ACTION=1 "$SEL" SP_TMPLS=proto:50
kexpect "SP_ADD template without proto" "error 22: missing attribute KIPSEC_TMPL_PROTO" \
	SP_ADD SP_DIR=1 "$SEL" SP_TMPLS=mode:0
kexpect "SP_ADD tunnel template without endpoints" \
	"error 22: a tunnel mode template needs KIPSEC_TMPL_SRC and KIPSEC_TMPL_DST" \
	SP_ADD SP_DIR=1 "$SEL" SP_TMPLS=proto:50,mode:1
kexpect "SP_ADD tunnel template, endpoint of the wrong family" \
	"error 22: address must be 16 bytes for AF_INET6" \
	SP_ADD SP_DIR=1 "$SEL" SP_TMPLS=proto:50,mode:1,family:10,src:10.0.0.1,dst:10.0.0.2
kexpect "SP_ADD transport template of the other family" \
	"error 22: a transport mode template's family must be the selector's" \
	SP_ADD SP_DIR=1 "$SEL" SP_TMPLS=proto:50,mode:0,family:10
kexpect "SP_ADD five templates" "error 7: at most 4 templates per policy" \
	SP_ADD SP_DIR=1 "$SEL" SP_TMPLS=proto:50+proto:50+proto:50+proto:50+proto:50
kexpect "SP_ADD bad direction" "error 34: integer out of range" SP_ADD SP_DIR=3 SP_ACTION=1 "$SEL"
kexpect "SP_ADD ports without protocol" \
	"error 22: ports need KIPSEC_SEL_PROTO tcp, udp, sctp, udplite or dccp" \
	SP_ADD SP_DIR=1 SP_ACTION=1 SP_SEL=family:2,dport:80
kexpect "SP_ADD prefix too long" "error 22: prefix length exceeds 32 for AF_INET" \
	SP_ADD SP_DIR=1 SP_ACTION=1 SP_SEL=family:2,dst:10.0.0.0,dst_plen:33
kexpect "SP_DEL without identity" \
	"error 22: missing attribute KIPSEC_A_SP_ID (or KIPSEC_A_SP_DIR and KIPSEC_A_SP_SEL)" SP_DEL
kexpect_run
tap_check "sp update (new priority, by selector)" ka sp update src 0.0.0.0/0 dst 10.0.0.0/8 proto tcp dport 22 \
	dir in action bypass priority 5
tap_expect "sp get after update" "src 0.0.0.0/0 dst 10.0.0.0/8 proto tcp dport 22 dir in action bypass priority 5 id 2" \
	"$(ka sp get id 2)"
tap_check "sp del by selector" ka sp del src 192.168.1.0/24 dst 192.168.2.0/24 dir out
expect_err "sp del of a missing policy" 1 "kipsec sp del: no such policy: No such file or directory" \
	ka sp del src 192.168.1.0/24 dst 192.168.2.0/24 dir out
tap_check "sp del by id" ka sp del id 3
tap_expect "sp list after deletes" "2" "$(ka sp list | awk '{print $NF}')"
tap_expect "policies are per netns" "" "$(nsx b kipsec sp list)"

# Flush.
tap_check "sp add out policy" ka sp add "${SP1[@]}"
tap_check "sp flush dir out" ka sp flush dir out
tap_expect "sp flush dir out keeps in" "in" "$(ka -j sp list | grep -o '"dir":"[a-z]*"' | cut -d'"' -f4 | xargs)"
tap_check "sp flush" ka sp flush
tap_expect "no policies after flush" "" "$(ka sp list)"
tap_check "sa flush" ka sa flush
tap_expect "no SAs after flush" "" "$(ka sa list)"

# Counters.
tap_expect "kipsec stats names the counters" "InNoStates OutNoStates Acquires" \
	"$(ka stats | awk '$1 == "InNoStates" || $1 == "OutNoStates" || $1 == "Acquires" {print $1}' | xargs)"
tap_expect "kipsec -j stats" '"InNoStates":0' "$(ka -j stats | grep -o '"InNoStates":[0-9]*')"
expect_err "stats with an argument" 2 "kipsec stats: expects no arguments, got 'x'" ka stats x

# Scale: bulk installs through one netlink socket, then full dumps.
t0=$(date +%s.%N)
out=$(kg bulk-sp "$SCALE" 2>&1)
t1=$(date +%s.%N)
tap_expect "install $SCALE policies" "ok $SCALE" "$out"
n=$(ka sp list | grep -c '^src ')
t2=$(date +%s.%N)
tap_expect "dump $SCALE policies" "$SCALE" "$n"
echo "# $SCALE policies: install $(echo "$t1 - $t0" | bc) s, dump $(echo "$t2 - $t1" | bc) s"
out=$(kg bulk-sa "$SCALE" 2>&1)
t3=$(date +%s.%N)
tap_expect "install $SCALE SAs" "ok $SCALE" "$out"
n=$(ka sa list | grep -c '^src ')
t4=$(date +%s.%N)
tap_expect "dump $SCALE SAs" "$SCALE" "$n"
echo "# $SCALE SAs: install $(echo "$t3 - $t2" | bc) s, dump $(echo "$t4 - $t3" | bc) s"
tap_check "flush $SCALE SAs and policies" sh -c "ip netns exec $NS_a kipsec sa flush && ip netns exec $NS_a kipsec sp flush"
# Left for the namespace exit path (ns a is deleted with SAs and policies in it).
ka sa add "${SA1[@]}"
ka sp add "${SP1[@]}" >/dev/null
tap_done
