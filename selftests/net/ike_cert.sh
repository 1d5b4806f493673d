#!/bin/bash
# kipsec-cost: 63
# SPDX-License-Identifier: GPL-2.0
# kiked (programming kipsec) <-> strongSwan charon (Linux XFRM) with X.509
# certificates from a test CA made by openssl: RFC 7427 signatures with
# ECDSA (kiked initiating) and RSA (charon initiating), a ping through the
# tunnel each time; a peer certificate from an unknown CA is refused with
# one log line naming the chain.
set -u
cd "$(dirname "$0")/../.."
KIKED=$PWD/ike/kiked KIPSEC=$PWD/tools/kipsec
WAIT=${IKE_WAIT:-300}
T=$(mktemp -d /tmp/ike_cert.XXXXXX)
A=icA$$ B=icB$$
N=0 FAIL=0 KP=
. selftests/lib.sh
. selftests/unit/ike_certs.sh
. selftests/net/ike_lib.bash

trap ike_cleanup EXIT

ike_prereq openssl
echo "1..5"
modprobe -q esp4 2>/dev/null; modprobe -q xfrm_user 2>/dev/null; modprobe -q veth 2>/dev/null
ip netns add $B
ip link add a0 netns $A type veth peer name b0 netns $B
ip -n $A addr add 192.0.2.1/24 dev a0; ip -n $B addr add 192.0.2.2/24 dev b0
for n in $A $B; do ip -n $n link set lo up; done
ip -n $A link set a0 up; ip -n $B link set b0 up
ip -n $A addr add 10.1.0.1/32 dev lo; ip -n $B addr add 10.2.0.1/32 dev lo
ip -n $A route add 10.2.0.0/24 via 192.0.2.2; ip -n $B route add 10.1.0.0/24 via 192.0.2.1
mkcerts "$T"

# $1 key type (rsa|ec), $2 auto= of kiked, $3 auto= of charon, $4 charon cert suffix.
start_both() {
	local k=$1 kind=ECDSA
	[ "$k" = rsa ] && kind=RSA
	cat >"$T/k.conf" <<-EOC
	conn t
	  left=192.0.2.1
	  right=192.0.2.2
	  authby=pubkey
	  leftcert=$T/kiked-$k.pem
	  rightid=@charon.test
	  leftsubnet=10.1.0.0/24
	  rightsubnet=10.2.0.0/24
	  ike=aes256gcm16-prfsha256-ecp256
	  esp=aes128gcm16
	  auto=$2
	EOC
	echo ": $kind $T/kiked-$k.key" >"$T/k.secrets"
	chmod 600 "$T/k.secrets"
	[ "$2" = start ] || { ip netns exec $A "$KIKED" --conf "$T/k.conf" --secrets "$T/k.secrets" \
		--cacerts "$T/cacerts" --ctl "$T/k.ctl" --foreground --debug ike=2 >"$T/kiked.log" 2>&1 &
		KP=$!; sleep 0.5; }
	charon_start $B "$T" "config setup
  charondebug=\"ike 1, cfg 1\"
ca test
  cacert=$T/ca.pem
  auto=add
conn t
  keyexchange=ikev2
  left=192.0.2.2
  right=192.0.2.1
  authby=pubkey
  leftcert=$T/charon-$k${4:-}.pem
  leftid=@charon.test
  leftsendcert=always
  rightid=\"C=CH, O=kipsec test, CN=kiked-$k\"
  leftsubnet=10.2.0.0/24
  rightsubnet=10.1.0.0/24
  ike=aes256gcm16-prfsha256-ecp256!
  esp=aes128gcm16!
  auto=$3" ": $kind $T/charon-$k.key"
	# charon answers NO_PROPOSAL_CHOSEN until starter has loaded conn t.
	for _ in $(seq $WAIT); do
		charon_x "$T" ipsec statusall 2>/dev/null | grep -q "^ *t: " && break; sleep 0.1
	done
	[ "$2" = start ] && { ip netns exec $A "$KIKED" --conf "$T/k.conf" --secrets "$T/k.secrets" \
		--cacerts "$T/cacerts" --ctl "$T/k.ctl" --foreground --debug ike=2 >"$T/kiked.log" 2>&1 &
		KP=$!; }
	return 0
}
up() {	# $1 key type $2 role
	wait_log "$T/kiked.log" "CHILD_SA established" &&
	grep -q "IKE_SA established with 'charon.test' ($2)" "$T/kiked.log" &&
	grep -q "authenticated with certificate 'C=CH, O=kipsec test, CN=charon-$1' issued by 'C=CH, O=kipsec test, CN=ca'" "$T/kiked.log" &&
	charon_x "$T" ipsec status | grep -q "t\[1\]: ESTABLISHED.*C=CH, O=kipsec test, CN=kiked-$1" ||
	{ tail -3 "$T/kiked.log" | sed 's/^/# /'; false; }
}
# Packets counted by charon's inbound XFRM SA (192.0.2.1 -> 192.0.2.2).
xfrm_in_pkts() {
	ip -s -n $B xfrm state | awk '/^src 192.0.2.1 dst 192.0.2.2/ { i = 1 }
		/^src 192.0.2.2/ { i = 0 }
		i && /[0-9]\(bytes\), [0-9]+\(packets\)/ { sub(/\(packets\).*/, ""); sub(/.*, /, ""); print; exit }'
}
# 3 pings answered, and charon's inbound SA decrypted at least those 3
# (B drops clear 10.1/24 -> 10.2/24 packets: charon's policy requires ESP).
tunnel_ping() {
	local n
	ip netns exec $A ping -q -c 3 -W 2 -I 10.1.0.1 10.2.0.1 >/dev/null || return 1
	n=$(xfrm_in_pkts)
	[ "${n:-0}" -ge 3 ] || { echo "# charon's inbound SA counted ${n:-no} packets"; return 1; }
}

start_both ec start add
check "ECDSA certificates, kiked initiates: both sides authenticated the other's cert" up ec initiator
check "ping through the tunnel (ECDSA)" tunnel_ping
stop_all

start_both rsa add start
check "RSA certificates, charon initiates: both sides authenticated the other's cert" up rsa responder
check "ping through the tunnel (RSA)" tunnel_ping
stop_all

start_both ec add start -evil
check "peer certificate from an unknown CA refused, chain named in one log line" \
	wait_log "$T/kiked.log" "untrusted certificate chain: peer cert 'C=CH, O=kipsec test, CN=charon-ec' issued by 'C=CH, O=kipsec test, CN=evilca'"
stop_all
exit $FAIL
