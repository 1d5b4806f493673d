#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Mediation bad input on the wire: kiked (mediation server conn, one network
# namespace, --no-kernel) receives connectivity checks (unencrypted
# INFORMATIONALs with zero SPIs) that are malformed (an ME_ENDPOINT of 5
# bytes, an ME_CONNECTAUTH of 3 bytes, no ME_CONNECTID) or well-formed but
# for a connect ID nobody announced, or not IKE at all (a notify whose length
# runs past the datagram, a datagram shorter than the IKE header): each is
# dropped with a log line naming the fault, such lines at most one a second
# (a flood is counted, not printed), and kiked keeps answering its control
# socket.  ME_BAD_KEEP=1 prints kiked's
# log at the end.  TAP; exit 0 pass, 1 fail, 4 skip.
set -u
cd "$(dirname "$0")/../.."
KIKED=$PWD/ike/kiked
T=$(mktemp -d /tmp/me_bad.XXXXXX)
NS=meb$$ P=
cleanup() { [ -n "$P" ] && kill $P 2>/dev/null; wait 2>/dev/null; ip netns del $NS 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
[ -n "${ME_BAD_KEEP:-}" ] && trap "cat \"\$T/log\"; cleanup" EXIT
echo "TAP version 13"
if [ ! -x "$KIKED" ] || ! command -v python3 >/dev/null || ! ip netns add $NS 2>/dev/null; then
	echo "1..0 # SKIP needs root, netns, python3 and a built ike/kiked"; exit 4
fi
echo "1..8"
ip -n $NS link set lo up
printf 'conn medsrv\n  left=127.0.0.1\n  leftid=r4@medsrv.org\n  right=%%any\n  authby=secret\n  mediation=yes\n  auto=add\n' >"$T/c"
echo 'r2@medsrv.org : PSK "x"' >"$T/s"; chmod 600 "$T/s"
ip netns exec $NS "$KIKED" --conf "$T/c" --secrets "$T/s" --ctl "$T/ctl" --foreground \
	--no-kernel --debug ike=2 >"$T/log" 2>&1 & P=$!
for _ in $(seq 50); do [ -S "$T/ctl" ] && break; sleep 0.1; done
# send_check NAME NOTIFIES...: one check, notifies as TYPE:HEXDATA.
send_check() {
	ip netns exec $NS python3 - "$@" <<-'EOF'
	import socket, struct, sys
	nots = [a.split(":") for a in sys.argv[1:]]
	body = b""
	for i, (t, d) in enumerate(nots):
	    data = bytes.fromhex(d)
	    nxt = 41 if i + 1 < len(nots) else 0
	    body += struct.pack("!BBHBBH", nxt, 0, 8 + len(data), 0, 0, int(t)) + data
	hdr = bytes(16) + struct.pack("!BBBBII", 41, 0x20, 37, 0x08, 1, 28 + len(body))
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	s.sendto(hdr + body, ("127.0.0.1", 500))
	EOF
}
# send_raw HEX [COUNT]: COUNT datagrams of raw bytes to port 500.
send_raw() {
	ip netns exec $NS python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(int(sys.argv[2])):
    s.sendto(bytes.fromhex(sys.argv[1]), ("127.0.0.1", 500))' "$1" "${2:-1}"
}
n=0 rc=0
check() {	# NAME LOG-REGEX
	n=$((n + 1))
	for _ in $(seq 30); do grep -qE "$2" "$T/log" && break; sleep 0.1; done
	if grep -qE "$2" "$T/log"; then echo "ok $n - $1"; else rc=1; echo "not ok $n - $1"; fi
}
EP=00ffffff00020000 AUTH=$(printf '%040d' 0)
send_check 40965:01020304 40963:0102030405 40967:$AUTH
check "ME_ENDPOINT of 5 bytes: dropped with a log line" \
	"invalid connectivity check from 127.0.0.1.*ME_ENDPOINT.*: dropped"
send_check 40965:01020304 40963:$EP 40967:010203
check "ME_CONNECTAUTH of 3 bytes: dropped with a log line" \
	"invalid connectivity check from 127.0.0.1.*ME_CONNECTAUTH of 3 bytes.*: dropped"
send_check 40963:$EP 40967:$AUTH
check "check without ME_CONNECTID: dropped with a log line" \
	"invalid connectivity check from 127.0.0.1.*\\(no ME_CONNECTID\\): dropped"
send_check 40965:0a0b0c0d 40963:$EP 40967:$AUTH
check "well-formed check for an unknown connect ID: dropped with a log line" \
	"connectivity check from 127.0.0.1.*unknown connect ID: dropped"
# A check whose only notify claims 40 bytes where 8 follow the IKE header.
sleep 1.1
send_raw "$(printf '%032d' 0)292025080000000100000024000000280000a005"
check "notify length past the datagram: dropped, the fault named" \
	"malformed IKE message of 36 bytes from 127.0.0.1.*\(payload length outside the message\): dropped"
sleep 1.1
send_raw 0102030405060708090a 20
sleep 1.1
send_raw 0102030405
check "20 short datagrams: one line naming the fault" \
	"malformed IKE message of 10 bytes from 127.0.0.1.*\(shorter than the IKE header\): dropped; 0 more"
check "the next line, a second later, counts the 19 left out" \
	"malformed IKE message of 5 bytes .*dropped; 19 more since the last such line"
n=$((n + 1))
if kill -0 $P 2>/dev/null && ip netns exec $NS tools/kipsec --ctl "$T/ctl" status >/dev/null 2>&1; then
	echo "ok $n - kiked still runs and answers its control socket"
else rc=1; echo "not ok $n - kiked still runs and answers its control socket"; sed 's/^/# /' "$T/log"; fi
exit $rc
