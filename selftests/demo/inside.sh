#!/bin/bash
# Runs in the demo VM (make demo).  Two parts:
#
# 1. A warm-up: kipsec <-> Linux XFRM.  Site "left" protected by kipsec and
#    "right" by Linux's own XFRM (a peer nobody here wrote), an ESP tunnel
#    between their gateways; a ping crosses it, the wire shows ESP only.
#
# 2. The main show, the IKEv2 mediation lab of issue 7 (the seed's R1..R7,
#    selftests/net/me_lab.bash, home-router NATs): kiked on R4 as the
#    mediation server and on the gateways R2 and R6 behind the NATs R3 and
#    R5, all with the seed's ipsec.conf/ipsec.secrets (addresses adapted).
#    R4 introduces R2 and R6, they punch through their NATs and build a
#    direct IKE_SA and ESP-in-UDP CHILD_SA; R1 pings R7 through it.
#
# Exits non-zero if a ping through either tunnel fails (a smoke test).
cd "$(dirname "$0")/../.."
. selftests/lib.sh >/dev/null
. selftests/net/me_lab.bash
need_modules veth bridge esp4 xfrm_user nf_tables nft_masq nf_nat nf_conntrack
PATH=$PWD/tools:$PATH KIKED=$PWD/ike/kiked KIPSEC=$PWD/tools/kipsec
T=$(mktemp -d /tmp/demo.XXXXXX) D=$T
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# at NODE CMD...: shows "NODE# CMD" and runs CMD in NODE's namespace.
at() { local n=$1; shift; echo "$n# $*" | sed "s|$T/||g"; nsx "$n" "$@"; }
# kctl NODE ARGS...: kipsec against NODE's kiked, shown.
kctl() { local n=$1; shift; at "$n" kipsec --ctl "$T/$n/k.ctl" "$@"; }
cleanup() {
	me_capture_stop
	me_kiked_stop
	ns_cleanup
	rm -rf "$T"
}
trap cleanup EXIT
set -o pipefail
rc=0

# ---- 1. kipsec <-> Linux XFRM -----------------------------------------
#   10.1.0.0/24 [left] 192.0.2.1 ---- wire ---- 192.0.2.2 [right] 10.2.0.0/24
say "1. warm-up: kipsec (left) <-> Linux XFRM (right), ESP tunnel AES-GCM-16/128"
KEY_LR=0x4a6f686e20446f65204a6f686e20446f65202020
KEY_RL=0x53616c6c7920536d697468205361726168202020
ns_create left wire right
nsx wire ip link add br0 type bridge && nsx wire ip link set br0 up
for s in left right; do
	link_ns $s 192.0.2.$([ $s = left ] && echo 1 || echo 2)/24 wire ""
	nsx wire ip link set "to-$s" master br0
	nsx $s ip link add lan0 type dummy
	nsx $s ip addr add 10.$([ $s = left ] && echo 1 || echo 2).0.1/24 dev lan0
	nsx $s ip link set lan0 up
done
nsx left ip route add 10.2.0.0/24 via 192.0.2.2 src 10.1.0.1
nsx right ip route add 10.1.0.0/24 via 192.0.2.1 src 10.2.0.1
L="nsx left kipsec"
$L sa add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1001 mode tunnel aead aes-gcm-16 $KEY_LR 128 \
	replay-window 64 sel src 10.1.0.0/24 dst 10.2.0.0/24
$L sa add src 192.0.2.2 dst 192.0.2.1 proto esp spi 0x2001 mode tunnel aead aes-gcm-16 $KEY_RL 128 \
	replay-window 64 sel src 10.2.0.0/24 dst 10.1.0.0/24
$L sp add src 10.1.0.0/24 dst 10.2.0.0/24 dir out action protect \
	tmpl proto esp mode tunnel src 192.0.2.1 dst 192.0.2.2 level require >/dev/null
$L sp add src 10.2.0.0/24 dst 10.1.0.0/24 dir in action protect \
	tmpl proto esp mode tunnel src 192.0.2.2 dst 192.0.2.1 level require >/dev/null
R="nsx right ip"
$R xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1001 mode tunnel aead 'rfc4106(gcm(aes))' $KEY_LR 128
$R xfrm state add src 192.0.2.2 dst 192.0.2.1 proto esp spi 0x2001 mode tunnel aead 'rfc4106(gcm(aes))' $KEY_RL 128
$R xfrm policy add src 10.2.0.0/24 dst 10.1.0.0/24 dir out tmpl src 192.0.2.2 dst 192.0.2.1 proto esp mode tunnel
$R xfrm policy add src 10.1.0.0/24 dst 10.2.0.0/24 dir in tmpl src 192.0.2.1 dst 192.0.2.2 proto esp mode tunnel
echo "(kipsec sa/sp add on left, ip xfrm state/policy add on right: selftests/demo/inside.sh)"
nsx wire tcpdump --immediate-mode -U -nn -i br0 -w "$T/wire.pcap" >/dev/null 2>&1 &
ME_CAP_PIDS+=($!)
sleep 1
at left ping -c 3 -i 0.3 -W 2 -I 10.1.0.1 10.2.0.1 || rc=1
me_capture_stop
echo "on the wire:"
tcpdump -nn -r "$T/wire.pcap" 2>/dev/null | grep -v -i arp | head -4 | cut -c1-100
at left kipsec -s sa list | head -7
ns_cleanup

# ---- 2. the IKEv2 mediation lab ---------------------------------------
say "2. IKEv2 mediation: R2 and R6 behind NATs meet through R4 and build a direct tunnel"
sed -n '/^#   R1 /,/^#   R7 /p' selftests/net/me_lab.bash | sed 's/^#//'
NS_PREFIX=demo$$
me_lab_build home || { echo "demo: building the lab failed"; exit 1; }
echo "(R3 and R5: nftables masquerade of 10.0.0.0/24, dropping unsolicited inbound)"
me_capture R3 to-inet "$T/r3.pcap"
for n in R4 R2 R6; do
	me_kiked_node $n || { echo "demo: kiked did not start on $n"; cat "$T/$n/kiked.log"; exit 1; }
done
echo "kiked started on R4 (mediation server), R2 and R6 (gateways) with the seed's files; R2's ipsec.conf:"
sed 's/^/    /' "$T/R2/k.conf"
ME_GW=R2 ME_FAR=5
printf 'waiting for the gateways to register and the mediated tunnel to come up...'
t0=$SECONDS
if me_wait 60 me_both_registered && me_wait 90 peer_up; then
	echo " up after $((SECONDS - t0)) s"
else
	echo " NOT up after $((SECONDS - t0)) s (logs: R2/kiked.log, R4/kiked.log, R6/kiked.log)"
fi

say "R4 (mediation server): kipsec statusall -- the registered peers"
kctl R4 statusall | grep -v '^ok$'
say "R2 (gateway): kipsec statusall -- medsrv IKE_SA to R4, peer IKE_SA direct to R6's NAT"
kctl R2 statusall | grep -v '^ok$'
echo "how it was found (R2's kiked log):"
grep -E 'server sees us|pair .* valid|establishing|peer initiates|ME_CALLBACK' "$T/R2/kiked.log" |
	awk '!seen[substr($0, index($0, " "))]++' | head -6 | cut -c1-150 | sed 's/^/    /'

say "R1 -> R7 through the direct tunnel"
at R1 ping -c 3 -i 0.3 -W 3 192.168.7.7 || rc=1

say "R2: kipsec -s sa list -- the ESP-in-UDP SAs with their counters"
at R2 kipsec -s sa list
say "R2: kipsec stats (non-zero counters)"
at R2 kipsec stats | awk '$2 != 0'

me_capture_stop
say "R3's Internet side: tcpdump excerpt, UDP/4500 between the two NATs"
f="host $ME_INET.3 and host $ME_INET.5 and udp port 4500"
echo "R3# tcpdump -nn -i to-inet '$f'  (last lines)"
nsx R3 tcpdump -nn -r "$T/r3.pcap" "$f" 2>/dev/null | tail -6 | cut -c1-110
esp=$(pcap_count R3 "$T/r3.pcap" "host $ME_INET.5 and $ESPINUDP")
r4=$(pcap_count R3 "$T/r3.pcap" "host $ME_INET.4 and $ESPINUDP")
echo "ESP-in-UDP packets R3 <-> R5: $esp; to or from R4: $r4 (the tunnel is direct)"

say "teardown"
me_kiked_stop
ns_cleanup
if [ $rc = 0 ]; then echo "demo: OK (both pings went through)"; else echo "demo: FAILED (a ping did not go through)"; fi
exit $rc
