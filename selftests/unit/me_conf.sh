#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kiked --check on the mediation options (mediation=, mediated_by=,
# me_peerid=): the seed's server and gateway files are accepted, bad
# combinations are refused with file, line and a reason, mediation=no is
# accepted.
cd "$(dirname "$0")/../.."
T=$(mktemp -d /tmp/me_conf.XXXXXX)
trap 'rm -rf "$T"' EXIT
echo "TAP version 13"
make -s ike/kiked >/dev/null 2>&1 || { echo "1..1"; echo "not ok 1 - build ike/kiked"; exit 1; }
echo "1..8"
i=0 rc=0
printf 'r2@medsrv.org : PSK "MediaServerPassword"\nr2@bsdrp.net r6@bsdrp.net : PSK "IPsecPassword"\n' >"$T/s"
chmod 600 "$T/s"
# expect NAME STATUS REGEX CONF: kiked --check's status and its output.
expect() {
	local out st
	i=$((i + 1))
	printf '%s\n' "$4" >"$T/c"
	out=$(ike/kiked --check --conf "$T/c" --secrets "$T/s" 2>&1); st=$?
	if [ "$st" = "$2" ] && grep -qE "$3" <<<"$out"; then echo "ok $i - $1"
	else rc=1; echo "not ok $i - $1"; echo "# status $st, output: $out"; fi
}
medsrv='conn medsrv
	leftid=r2@medsrv.org
	right=198.51.100.4
	rightid=r4@medsrv.org
	authby=secret
	mediation=yes
	auto=add'
peer='conn peer
	leftsubnet=192.168.1.0/24
	leftid=r2@bsdrp.net
	right=%any
	rightid=r6@bsdrp.net
	rightsubnet=192.168.7.0/24
	authby=secret'

expect "seed's gateway (medsrv + peer): accepted" 0 "2 conns.*ok" \
	"$medsrv
$peer
	mediated_by=medsrv
	me_peerid=r6@medsrv.org
	auto=start"
expect "seed's mediation server (right=%any): accepted" 0 "1 conns.*ok" \
	'conn medsrv
	left=198.51.100.4
	leftid=r4@medsrv.org
	right=%any
	authby=secret
	mediation=yes
	auto=add'
expect "mediation=yes and mediated_by= on one conn: refused" 1 \
	"c:6: conn medsrv: a mediation connection \(mediation=yes\) cannot also be mediated_by=other" \
	"$medsrv
	mediated_by=other"
expect "mediated_by naming no conn: file:line and why" 1 \
	"c:8: conn peer: mediated_by=nosuch must name a conn with mediation=yes \(there is no such conn\)" \
	"$peer
	mediated_by=nosuch"
expect "mediated_by naming a conn without mediation=yes" 1 \
	"c:14: conn peer: mediated_by=medsrv must name a conn with mediation=yes\$" \
	"$(sed '/mediation=yes/d' <<<"$medsrv")
$peer
	mediated_by=medsrv"
expect "mediation=maybe: expected yes or no" 1 "c:6: mediation=maybe: expected yes or no" \
	"$(sed 's/mediation=yes/mediation=maybe/' <<<"$medsrv")"
expect "me_peerid without mediated_by: refused" 1 \
	"c:8: conn peer: me_peerid=r6@medsrv.org needs mediated_by=" \
	"$peer
	me_peerid=r6@medsrv.org"
expect "mediation=no: an ordinary conn, accepted" 0 "1 conns.*ok" \
	"$(sed 's/mediation=yes/mediation=no/' <<<"$medsrv")"
exit $rc
