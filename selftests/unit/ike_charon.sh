#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kiked <-> strongSwan charon on the host, in two network namespaces, without
# the kernel module (kiked --no-kernel): proves the IKEv2 exchanges interoperate
# in both roles and that both sides agree on SPIs and algorithms (charon's
# SAs as installed in Linux XFRM vs. kiked's log).  Also asserts the one-line
# diagnostics for PSK, identity, proposal and traffic-selector mismatches.
# TAP output; exit 0 pass, 1 fail, 4 skip.
set -u
cd "$(dirname "$0")/../.."
KIKED=$PWD/ike/kiked
T=$(mktemp -d /tmp/ike_charon.XXXXXX)
NA=kiA$$ NB=kiB$$
N=0 FAIL=0
# Tenths of a second to wait for a log line: TCG VMs are slow.
WAIT=${IKE_WAIT:-300}
KIKED_PID=
. selftests/lib.sh

ok() { N=$((N + 1)); echo "ok $N - $1"; }
nok() { N=$((N + 1)); FAIL=1; echo "not ok $N - $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else nok "$name"; fi; }

cleanup() {
	stop_kiked; stop_charon
	ip netns del $NA 2>/dev/null; ip netns del $NB 2>/dev/null
	[ -n "${KEEP:-}" ] && echo "# kept $T" || rm -rf "$T"
}
trap cleanup EXIT

if [ "$(id -u)" != 0 ] || ! command -v ipsec >/dev/null || [ ! -x "$KIKED" ] ||
   ! ip netns add $NA 2>/dev/null; then
	echo "1..0 # SKIP needs root, netns, strongSwan (ipsec) and a built ike/kiked"
	exit 4
fi
echo "1..23"
ip netns add $NB
ip link add va$$ netns $NA type veth peer name vb$$ netns $NB
ip -n $NA addr add 192.0.2.1/24 dev va$$; ip -n $NA link set va$$ up; ip -n $NA link set lo up
ip -n $NB addr add 192.0.2.2/24 dev vb$$; ip -n $NB link set vb$$ up; ip -n $NB link set lo up

# Can this kernel hold XFRM SAs (esp4)?  The host here cannot load modules;
# then charon fails to install its CHILD_SAs and we compare against the SAs
# charon tried to add (its log), which is still the peer's own view.
modprobe -q esp4 2>/dev/null; modprobe -q xfrm_user 2>/dev/null
XFRM_OK=0
ip -n $NB xfrm state add src 192.0.2.9 dst 192.0.2.8 proto esp spi 0x101 \
	enc 'cbc(aes)' 0x00112233445566778899aabbccddeeff 2>/dev/null && XFRM_OK=1
ip -n $NB xfrm state flush
[ $XFRM_OK = 1 ] || echo "# kernel cannot install XFRM SAs: comparing with charon's 'adding SAD entry' log"

# charon in netns B, its own mount namespace for /etc/ipsec.* and /run.
start_charon() {	# $1: conn options (one per line)
	charon_start $NB "$T" "config setup
  charondebug=\"ike 2, knl 2, cfg 2\"
conn t
  keyexchange=ikev2
  left=192.0.2.2
  right=192.0.2.1
  leftsubnet=10.2.0.0/24
  rightsubnet=10.1.0.0/24
$(printf '%s\n%s\n' "${CHARON_AUTH:-$PSK_AUTH}" "$1" | sed 's/^/  /')
${CHARON_CA:-}" "${CHARON_SECRETS:-@charon.test @kiked.test : PSK \"${CHARON_PSK:-s3cret-psk}\"}"
}
# Authentication lines of each side's conn (PSK unless the test says).
PSK_AUTH="leftid=@charon.test
rightid=@kiked.test
authby=psk"
charon_saw_sad() {
	if [ $XFRM_OK = 1 ]; then
		for _ in $(seq $WAIT); do
			[ "$(ip -n $NB xfrm state | grep -c '^src')" -ge 2 ] && return 0; sleep 0.1
		done
		return 1
	fi
	wait_log "$T/charon.log" "SAD entry with SPI"; sleep 0.5
}
charon_established() {
	grep -q "IKE_SA t\[1\] established" "$T/charon.log" ||
		charon ipsec status 2>/dev/null | grep -q ESTABLISHED
}
stop_charon() { charon_stop $NB "$T"; }
charon() { charon_x "$T" "$@"; }

start_kiked() {	# $1: conn options
	cat >"$T/k.conf" <<-EOC
	# kiked side
	config setup
	  uniqueids=yes
	conn %default
	  keyexchange=ikev2
	conn t
	  left=192.0.2.1
	  right=192.0.2.2
	  leftsubnet=10.1.0.0/24
	  rightsubnet=10.2.0.0/24
	$(printf '%s\n%s\n' "${KIKED_AUTH:-leftid=@kiked.test
rightid=@charon.test
authby=psk}" "$1" | sed 's/^/  /')
	EOC
	printf '%s\n' "${KIKED_SECRETS:-@kiked.test @charon.test : PSK \"${KIKED_PSK:-s3cret-psk}\"}" >"$T/k.secrets"
	chmod 600 "$T/k.secrets"
	ip netns exec $NA "$KIKED" --conf "$T/k.conf" --secrets "$T/k.secrets" \
		--ctl "$T/k.ctl" --foreground --no-kernel --debug ike=2,knl=3 ${KIKED_OPTS:-} \
		>"$T/kiked.log" 2>&1 &
	KIKED_PID=$!
	for _ in $(seq 30); do [ -S "$T/k.ctl" ] && break; sleep 0.1; done
}
stop_kiked() {
	[ -n "$KIKED_PID" ] || return 0
	kill $KIKED_PID 2>/dev/null; wait $KIKED_PID 2>/dev/null; KIKED_PID=
}
wait_log() {	# file pattern [tenths]
	for _ in $(seq ${3:-$WAIT}); do grep -q "$2" "$1" && return 0; sleep 0.1; done
	return 1
}

charon_spis() {
	if [ $XFRM_OK = 1 ]; then
		ip -n $NB xfrm state | sed -n 's/.*spi 0x\([0-9a-f]*\) .*/\1/p'
	else
		sed -n 's/.*add\(ing\)\? SAD entry with SPI \([0-9a-f]*\) .*/\2/p' "$T/charon.log" | sort -u
	fi | sort | tr '\n' ' '
}
# kiked's logged SPIs must be exactly the two SAs charon installed.
spis_agree() {
	local line in out xs
	line=$(grep "CHILD_SA established" "$T/kiked.log" | tail -1)
	in=$(echo "$line" | sed -n 's/.*SPIs in \([0-9a-f]*\) out \([0-9a-f]*\).*/\1/p')
	out=$(echo "$line" | sed -n 's/.*SPIs in \([0-9a-f]*\) out \([0-9a-f]*\).*/\2/p')
	xs=$(charon_spis)
	[ -n "$in" ] && [ "$xs" = "$(printf '%s\n%s\n' "$in" "$out" | sort | tr '\n' ' ')" ] || {
		echo "# kiked in=$in out=$out, charon: $xs"; return 1; }
}
algs_agree() {	# $1 xfrm alg (rfc4106(gcm(aes))) $2 charon name (AES_GCM_16) $3 kiked name
	if [ $XFRM_OK = 1 ]; then
		ip -n $NB xfrm state | grep -qF "$1"
	else
		grep -q "using encryption algorithm $2" "$T/charon.log"
	fi && grep "CHILD_SA established" "$T/kiked.log" | tail -1 | grep -q "$3"
}
# kiked initiating: the SPI kiked proposed is one charon installs.
init_spi_agrees() {
	local spi
	spi=$(sed -n 's/.*inbound SPI \([0-9a-f]*\).*/\1/p' "$T/kiked.log" | tail -1)
	[ -n "$spi" ] && charon_spis | grep -qw "$spi" || { echo "# kiked proposed $spi, charon: $(charon_spis)"; return 1; }
}

. selftests/unit/ike_certs.sh

# Certificates: both sides trust "CN=ca"; kiked with leftcert (leftid = its
# subject DN), charon with its own, sent because kiked's CERTREQ asks for it
# (charon's default leftsendcert=ifasked).  $1: key type (rsa|ec), $2: who
# initiates (kiked|charon), $3: charon's cert ("" or -evil: unknown CA).
cert_conf() {
	local k=$1 c=${3:-}
	CHARON_AUTH="authby=pubkey
leftcert=$T/charon-$k$c.pem
leftid=@charon.test
rightid=\"C=CH, O=kipsec test, CN=kiked-$k\""
	CHARON_CA="ca test
  cacert=$T/ca.pem
  auto=add"
	CHARON_SECRETS=": $([ $k = rsa ] && echo RSA || echo ECDSA) $T/charon-$k.key"
	KIKED_AUTH="authby=pubkey
leftcert=$T/kiked-$k.pem
rightid=@charon.test
rightca=\"C=CH, O=kipsec test, CN=ca\""
	KIKED_SECRETS=": $([ $k = rsa ] && echo RSA || echo ECDSA) kiked-$k.key"
	KIKED_OPTS="--cacerts $T/cacerts --certdir $T"
	mkdir -p "$T/private"; cp "$T/kiked-$k.key" "$T/private/"
}
cert_case() {	# key type, initiator: both sides established, kiked checked the chain
	local k=$1 who=$2 role
	cert_conf "$k"
	if [ "$who" = kiked ]; then
		start_charon "auto=add"; start_kiked "auto=start"; role=initiator
	else
		start_kiked "auto=add"; start_charon "auto=start"; role=responder
	fi
	cert_ok() {
		wait_log "$T/kiked.log" "IKE_SA established with 'charon.test' ($role)" &&
		grep -q "peer 'charon.test' authenticated with certificate 'C=CH, O=kipsec test, CN=charon-$k' issued by 'C=CH, O=kipsec test, CN=ca'" "$T/kiked.log" &&
		{ [ $XFRM_OK = 0 ] && [ $role = initiator ] ||
		  wait_log "$T/kiked.log" "CHILD_SA established"; } &&
		{ charon_saw_sad &&
		  charon ipsec status | grep -q "t\[1\]: ESTABLISHED.*C=CH, O=kipsec test, CN=kiked-$k" &&
		  { [ $XFRM_OK = 1 ] ||	# charon's log lags in the VM
		    grep -q 'received cert request for "C=CH, O=kipsec test, CN=ca"' "$T/charon.log"; }; } ||
		{ grep -E "ERR|failed|established|cert request|authentication of" \
			"$T/kiked.log" "$T/charon.log" | tail -8 | sed 's/^/# /'; false; }
	}
	check "certificates ($k): $who initiates, chain to CA verified, both IKE_SAs up" cert_ok
	stop_kiked; stop_charon
}
cert_tests() {
	mkcerts "$T"
	cert_case ec kiked
	cert_case rsa charon
	cert_case rsa kiked
	cert_case ec charon
	# Negative: charon's cert from an unknown CA.
	cert_conf ec kiked -evil
	start_kiked "auto=add"; start_charon "auto=start"
	check "certificate from an unknown CA refused: untrusted chain named in kiked's log" \
		wait_log "$T/kiked.log" "authentication failed: untrusted certificate chain: peer cert 'C=CH, O=kipsec test, CN=charon-ec' issued by 'C=CH, O=kipsec test, CN=evilca': unable to get local issuer certificate"
	stop_kiked; stop_charon
	unset CHARON_AUTH CHARON_CA CHARON_SECRETS KIKED_AUTH KIKED_SECRETS KIKED_OPTS
}
if [ -n "${CERT_ONLY:-}" ]; then cert_tests; exit $FAIL; fi

# 1-3: kiked initiates, GCM + ECP-256.
start_charon "ike=aes256gcm16-prfsha256-ecp256!
esp=aes128gcm16!
auto=add"
start_kiked "ike=aes256gcm16-prfsha256-ecp256
esp=aes128gcm16
auto=start"
check "kiked initiates, IKE_SA established (ecp256, AES-GCM-256)" \
	wait_log "$T/kiked.log" "IKE_SA established with 'charon.test' (initiator)"
charon_saw_sad
check "charon installs the CHILD_SA SPI kiked proposed" init_spi_agrees
both_agree() { spis_agree && algs_agree "rfc4106(gcm(aes))" AES_GCM_16 AES_GCM_16_128; }
if [ $XFRM_OK = 1 ]; then
	check "both sides agree on SPIs and AES_GCM_16_128 (ip xfrm state)" both_agree
else
	N=$((N + 1)); echo "ok $N - both sides agree on SPIs and algorithm # SKIP no XFRM in this kernel"
fi
stop_kiked; stop_charon

[ -n "${ONLY1:-}" ] && exit $FAIL
[ -n "${FROM7:-}" ] || {
# 4-6: charon initiates, CBC + HMAC, each DH group.
for g in modp2048 curve25519 ecp384; do
	start_kiked "ike=aes128-sha256-$g
esp=aes256-sha256
auto=add"
	start_charon "ike=aes128-sha256-$g!
esp=aes256-sha256!
auto=start"
	if { wait_log "$T/kiked.log" "CHILD_SA established" || { echo "# no CHILD_SA"; false; }; } &&
	   { charon_saw_sad || { echo "# charon added no SAD entry"; false; }; } && spis_agree &&
	   { algs_agree "cbc(aes)" AES_CBC "AES_CBC_256/HMAC_SHA2_256_128" || { echo "# algs differ"; false; }; } &&
	   { charon_established || { echo "# charon: no IKE_SA"; false; }; }; then
		ok "charon initiates with $g, AES-CBC/HMAC-SHA2: SPIs and algorithms agree"
	else
		nok "charon initiates with $g, AES-CBC/HMAC-SHA2: SPIs and algorithms agree"
		tail -5 "$T/kiked.log" | sed 's/^/# /'
	fi
	stop_kiked; stop_charon
done

}
[ -n "${ONLY2:-}" ] && exit $FAIL
# 7: INVALID_KE_PAYLOAD: kiked guesses ecp256 first, charon only takes curve25519.
start_charon "ike=aes256gcm16-prfsha256-curve25519!
esp=aes128gcm16!
auto=add"
start_kiked "ike=aes256gcm16-prfsha256-ecp256-curve25519
esp=aes128gcm16
auto=start"
ke_retry() { wait_log "$T/kiked.log" "IKE_SA established with 'charon.test'" &&
	grep -q "peer asks for DH group 31, retrying" "$T/kiked.log" &&
	grep -q "peer selected IKE:AES_GCM_16_256/PRF_HMAC_SHA2_256/CURVE_25519" "$T/kiked.log"; }
check "INVALID_KE_PAYLOAD: retry with the peer's group (curve25519)" ke_retry
# 8: delete from kiked's control socket reaches charon.
was_up=0; charon ipsec status 2>/dev/null | grep -q ESTABLISHED && was_up=1
ctl_status() {
	local st spi
	st=$("$PWD/tools/kipsec" --ctl "$T/k.ctl" status) || return 1
	spi=$(sed -n 's/.*inbound SPI \([0-9a-f]*\).*/\1/p' "$T/kiked.log" | tail -1)
	echo "$st" | grep -q "t: ESTABLISHED, 192.0.2.1\[500\]...192.0.2.2\[500\], initiator" &&
		{ [ $XFRM_OK = 0 ] || echo "$st" | grep -q "ESP SPIs: ${spi}_i"; } ||
		{ echo "$st" | sed 's/^/# /'; return 1; }
}
check "kipsec --ctl status: IKE_SA ESTABLISHED with endpoints and SPIs" ctl_status
"$PWD/tools/kipsec" --ctl "$T/k.ctl" down t >/dev/null
gone() {
	[ $was_up = 1 ] || { echo "# charon had no ESTABLISHED IKE_SA before 'down'"; return 1; }
	for _ in $(seq $WAIT); do
		! charon ipsec status 2>/dev/null | grep -q ESTABLISHED &&
			[ -z "$(ip -n $NB xfrm state)" ] && return 0
		sleep 0.1
	done
	return 1
}
check "kipsec down: INFORMATIONAL delete reaches charon, its IKE_SA and SAs are gone" gone
stop_kiked; stop_charon

[ -n "${ONLY3:-}" ] && exit $FAIL
# 9: PSK mismatch: charon initiates, kiked (responder) names the reason.
start_kiked "auto=add"
CHARON_PSK=other-psk start_charon "auto=start"
check "PSK mismatch: one-line reason in kiked's log" \
	wait_log "$T/kiked.log" "authentication failed: peer 'charon.test' proved a different pre-shared key (PSK mismatch)"
stop_kiked; stop_charon

# 10: identity mismatch.
start_kiked "auto=add"
start_charon "auto=start
leftid=@wrong.test"
check "identity mismatch: expected vs presented ID in kiked's log" \
	wait_log "$T/kiked.log" "identity mismatch: expected peer ID '@charon.test', peer presented 'wrong.test'"
stop_kiked; stop_charon

# 11: proposal mismatch.
start_kiked "auto=add
ike=aes256gcm16-prfsha256-ecp256"
start_charon "auto=start
ike=aes128-sha512-modp2048!"
check "proposal mismatch: received and configured proposals in kiked's log" \
	wait_log "$T/kiked.log" "NO_PROPOSAL_CHOSEN for IKE: received \[IKE:AES_CBC_128/HMAC_SHA2_512_256/PRF_HMAC_SHA2_512/MODP_2048\], configured \[IKE:AES_GCM_16_256/PRF_HMAC_SHA2_256/ECP_256\]"
stop_kiked; stop_charon

# 12: traffic selector mismatch.
start_kiked "auto=add"
start_charon "auto=start
leftsubnet=10.9.0.0/24"
check "TS mismatch: both selector sets in kiked's log" \
	wait_log "$T/kiked.log" "TS_UNACCEPTABLE: received TSi 10.9.0.0..10.9.0.255 TSr 10.1.0.0..10.1.0.255, configured rightsubnet 10.2.0.0..10.2.0.255"
stop_kiked; stop_charon

# 16-17: DPD: charon dies; dpdaction=clear drops the IKE_SA, =restart retries.
for act in clear restart; do
	start_charon "auto=add"
	KIKED_OPTS="--retransmit 0.3,3" start_kiked "auto=start
dpdaction=$act
dpddelay=1s"
	wait_log "$T/kiked.log" "IKE_SA established" >/dev/null
	cp=$(cat "$T/c.pid"); kill -9 $(pgrep -P "$cp") "$cp" 2>/dev/null
	dpd_ok() {
		wait_log "$T/kiked.log" "not responding after 3 retransmissions" || return 1
		if [ $act = clear ]; then
			grep -q "closing the IKE_SA" "$T/kiked.log" &&
				! "$PWD/tools/kipsec" --ctl "$T/k.ctl" status | grep -q ESTABLISHED
		else
			grep -q "restarting (dpdaction=restart)" "$T/kiked.log" &&
				[ "$(grep -c 'initiating IKE_SA' "$T/kiked.log")" -ge 2 ]
		fi
	}
	check "DPD: dead peer detected, dpdaction=$act behaves as configured" dpd_ok
	stop_kiked; stop_charon
done

# 18: COOKIE: 10 half-open IKE_SAs from other addresses, threshold 5:
# kiked demands a cookie, charon answers with it and still connects.
if [ -x selftests/unit/ike_flood ] && cp selftests/unit/ike_flood "$T/ike_flood"; then
	for i in $(seq 100 109); do ip -n $NB addr add 192.0.2.$i/24 dev vb$$; done
	KIKED_OPTS="--cookie-threshold 5" start_kiked "auto=add
right=%any"
	ip netns exec $NB "$T/ike_flood" 192.0.2.1 192.0.2. 100 10
	start_charon "auto=start"
	cookie_ok() {
		wait_log "$T/kiked.log" "IKE_SA established with 'charon.test' (responder)" &&
			grep -q "half-open IKE_SAs (limit 5): asking 192.0.2.2\[500\] for a COOKIE" "$T/kiked.log"
	}
	check "COOKIE: above 5 half-open SAs kiked demands a cookie, charon still connects" cookie_ok
	stop_kiked; stop_charon
else
	N=$((N + 1)); echo "ok $N - COOKIE # SKIP selftests/unit/ike_flood not built (make ike)"
fi

# 19-23: X.509 certificates, RFC 7427 signatures.
cert_tests

# 13: secrets readable by others are refused, naming the fix.
printf ': PSK "x"\n' >"$T/bad.secrets"; chmod 644 "$T/bad.secrets"
printf 'conn x\n  right=192.0.2.9\n  auto=add\n' >"$T/x.conf"
out=$("$KIKED" --check --conf "$T/x.conf" --secrets "$T/bad.secrets" 2>&1); rc=$?
refused() { [ $rc = 1 ] && echo "$out" | grep -qF "chmod 600 $T/bad.secrets"; }
check "group/other-readable ipsec.secrets refused with 'chmod 600 FILE'" refused

# 14: unsupported option reported with file:line.
printf 'conn x\n  right=192.0.2.9\n  leftfirewall=yes\n  auto=add\n' >"$T/x.conf"; chmod 600 "$T/bad.secrets"
out=$("$KIKED" --check --conf "$T/x.conf" --secrets "$T/bad.secrets" 2>&1)
reported() { echo "$out" | grep -qF "$T/x.conf:3: conn x: option 'leftfirewall' is not supported"; }
check "unsupported option reported with file and line" reported

exit $FAIL
