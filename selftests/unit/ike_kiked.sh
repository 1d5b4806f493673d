#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kiked <-> kiked in two network namespaces (--no-kernel): for each DH group
# and both ESP algorithm families, IKE_SA and CHILD_SA come up and the two
# daemons agree on the SPIs (in on one side = out on the other) and on the
# keys (logged at knl=3).  TAP; exit 0 pass, 1 fail, 4 skip.
set -u
cd "$(dirname "$0")/../.."
KIKED=$PWD/ike/kiked
T=$(mktemp -d /tmp/ike_kiked.XXXXXX)
NA=kkA$$ NB=kkB$$ N=0 FAIL=0 PA= PB=
cleanup() {
	[ -n "$PA" ] && kill $PA 2>/dev/null; [ -n "$PB" ] && kill $PB 2>/dev/null; wait 2>/dev/null
	ip netns del $NA 2>/dev/null; ip netns del $NB 2>/dev/null; rm -rf "$T"
}
trap cleanup EXIT
echo "TAP version 13"
if [ ! -x "$KIKED" ] || ! ip netns add $NA 2>/dev/null; then
	echo "1..0 # SKIP needs root, netns and a built ike/kiked"; exit 4
fi
echo "1..4"
ip netns add $NB
ip link add ka$$ netns $NA type veth peer name kb$$ netns $NB
ip -n $NA addr add 192.0.2.1/24 dev ka$$; ip -n $NA link set ka$$ up
ip -n $NB addr add 192.0.2.2/24 dev kb$$; ip -n $NB link set kb$$ up

run_pair() {	# ike esp
	for s in a b; do
		if [ $s = a ]; then me=192.0.2.1 peer=192.0.2.2 auto=start; else me=192.0.2.2 peer=192.0.2.1 auto=add; fi
		printf 'conn t\n  left=%s\n  right=%s\n  leftid=@%s.test\n  rightid=@%s.test\n  leftsubnet=10.%s.0.0/24\n  rightsubnet=10.%s.0.0/24\n  ike=%s\n  esp=%s\n  auto=%s\n' \
			$me $peer $s $([ $s = a ] && echo b || echo a) $([ $s = a ] && echo 1 || echo 2) \
			$([ $s = a ] && echo 2 || echo 1) "$1" "$2" $auto >"$T/$s.conf"
		echo '@a.test @b.test : PSK "kiked-pair"' >"$T/$s.secrets"; chmod 600 "$T/$s.secrets"
	done
	ip netns exec $NB "$KIKED" --conf "$T/b.conf" --secrets "$T/b.secrets" --ctl "$T/b.ctl" \
		--foreground --no-kernel --debug ike=2,knl=3 >"$T/b.log" 2>&1 & PB=$!
	sleep 0.3
	ip netns exec $NA "$KIKED" --conf "$T/a.conf" --secrets "$T/a.secrets" --ctl "$T/a.ctl" \
		--foreground --no-kernel --debug ike=2,knl=3 >"$T/a.log" 2>&1 & PA=$!
	for _ in $(seq 100); do grep -q "CHILD_SA established" "$T/a.log" 2>/dev/null &&
		grep -q "CHILD_SA established" "$T/b.log" && break; sleep 0.1; done
	kill $PA $PB; wait $PA $PB 2>/dev/null; PA= PB=
	local ia oa ib ob
	ia=$(sed -n 's/.*SPIs in \([0-9a-f]*\) out \([0-9a-f]*\).*/\1/p' "$T/a.log")
	oa=$(sed -n 's/.*SPIs in \([0-9a-f]*\) out \([0-9a-f]*\).*/\2/p' "$T/a.log")
	ib=$(sed -n 's/.*SPIs in \([0-9a-f]*\) out \([0-9a-f]*\).*/\1/p' "$T/b.log")
	ob=$(sed -n 's/.*SPIs in \([0-9a-f]*\) out \([0-9a-f]*\).*/\2/p' "$T/b.log")
	[ -n "$ia" ] && [ "$ia" = "$ob" ] && [ "$oa" = "$ib" ] &&
		[ "$(grep -c 'SA i->r spi .* enc [0-9a-f]\{32,\}\|SA r->i spi .* enc [0-9a-f]\{32,\}' "$T/a.log")" = 2 ] &&
		[ "$(grep 'SA i->r\|SA r->i' "$T/a.log" | sed 's/.*conn t: //')" = \
		  "$(grep 'SA i->r\|SA r->i' "$T/b.log" | sed 's/.*conn t: //')" ]
}
for c in "aes256gcm16-prfsha256-ecp256 aes128gcm16" "aes128-sha256-modp2048 aes256-sha512" \
	 "aes256-sha384-ecp384 aes128-sha384" "aes128gcm16-prfsha512-curve25519 aes256gcm16"; do
	set -- $c
	N=$((N + 1))
	if run_pair "$1" "$2"; then echo "ok $N - kiked <-> kiked: ike=$1 esp=$2, SPIs and keys agree"
	else FAIL=1; echo "not ok $N - kiked <-> kiked: ike=$1 esp=$2"; tail -3 "$T/a.log" "$T/b.log" | sed 's/^/# /'; fi
done
exit $FAIL
