#!/bin/bash
# Runs inside the test VM for selftests/host/pkg.sh, without the tree's
# module loaded: loads the DKMS-built kipsec.ko that the host test copied
# from the installed package into /lib/modules/REL/updates/dkms, uses the
# packaged tool in /pkg/usr/sbin, and starts kiked the way its units do
# (kiked.service, and kiked@NAME.service in network namespace NAME, side by
# side).  Prints one KEY=VALUE fact per line for the host test to assert on.
#   vm-check.sh [UNITDIR]
pkg=/pkg
units=${1:-}
fact() { printf '%s=%s\n' "$1" "$2"; }
alive() { kill -0 "$1" 2>/dev/null && echo yes || echo no; }

fact loaded_before "$(grep -c '^kipsec ' /proc/modules)"
modprobe kipsec; fact modprobe $?
fact modfile "$(modinfo -n kipsec 2>&1)"
fact sysver "$(cat /sys/module/kipsec/version 2>&1)"
fact version "$($pkg/usr/sbin/kipsec version 2>&1)"
rmmod kipsec; fact rmmod $?
# The genl family alias: the first netlink request loads the module again.
out=$($pkg/usr/sbin/kipsec version 2>&1)
fact autoload "$(grep -c '^kipsec ' /proc/modules) $out"

[ -n "$units" ] && [ -x $pkg/usr/sbin/kiked ] || { fact kiked absent; exit 0; }

# unit_line UNIT KEY INSTANCE: the unit's KEY= line, %i expanded, packaged paths.
unit_line() {
	sed -n "s/^$2=//p" "$1" | sed -e "s/%i/$3/g" -e "s|/usr/sbin/|$pkg/usr/sbin/|g"
}
# start_unit NAME UNIT [INSTANCE]: what systemd would do for ExecStart
# (RuntimeDirectory, NetworkNamespacePath); sets pid_NAME, ctl_NAME.
start_unit() {
	local name=$1 unit=$2 inst=${3:-} cmd netns=() ctl
	cmd=$(unit_line "$unit" ExecStart "$inst")
	ctl=$(sed -n 's/.*--ctl \([^ ]*\).*/\1/p' <<<"$cmd")
	mkdir -p "$(dirname "$ctl")" && chmod 0750 "$(dirname "$ctl")"
	if grep -q '^NetworkNamespacePath=' "$unit"; then
		ip netns add "$inst" && ip -n "$inst" link set lo up
		netns=(ip netns exec "$inst")
	fi
	# shellcheck disable=SC2086 # the unit's command line, split as systemd does
	"${netns[@]}" $cmd > "/tmp/$name.log" 2>&1 &
	printf -v "pid_$name" '%s' $!
	printf -v "ctl_$name" '%s' "$ctl"
}

cp -a $pkg/etc/kipsec /etc/
mkdir -p /etc/kipsec/blue
cp -a /etc/kipsec/ipsec.conf /etc/kipsec/ipsec.secrets /etc/kipsec/blue/
start_unit main "$units/kiked.service"
start_unit blue "$units/kiked@.service" blue
for n in main blue; do
	p=pid_$n c=ctl_$n
	for _ in $(seq 50); do [ -S "${!c}" ] && break; sleep 0.2; done
	fact "${n}_socket" "$([ -S "${!c}" ] && echo yes || echo no)"
	fact "${n}_running" "$(alive "${!p}")"
done
unit_line "$units/kiked.service" ExecReload "" | sh > /tmp/reload-main.log 2>&1
fact main_reload $?
unit_line "$units/kiked@.service" ExecReload blue | sh > /tmp/reload-blue.log 2>&1
fact blue_reload $?
sleep 0.5
for n in main blue; do
	p=pid_$n
	fact "${n}_after_reload" "$(alive "${!p}")"
	kill -TERM "${!p}" 2>/dev/null
	for _ in $(seq 25); do kill -0 "${!p}" 2>/dev/null || break; sleep 0.2; done
	fact "${n}_stopped" "$([ "$(alive "${!p}")" = no ] && echo yes || echo no)"
done
ip netns del blue
for f in /tmp/main.log /tmp/blue.log /tmp/reload-main.log /tmp/reload-blue.log; do
	sed "s|^|# $(basename "$f" .log): |" "$f" | tail -10
done
exit 0
