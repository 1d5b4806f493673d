#!/bin/bash
# kipsec-debug: yes
# The module skeleton: loads, registers the genl family, reports its version,
# keeps per-netns state, unloads without leaving anything behind, and lives
# beside Linux's XFRM.
. "$(dirname "$0")/../lib.sh"

loaded() { grep -q '^kipsec ' /proc/modules; }
family() { ip netns exec "$1" genl ctrl get name kipsec >/dev/null 2>&1; }

tap_check "module is loaded" loaded
tap_check "genl family kipsec is registered" genl ctrl get name kipsec
modver=$(cat /sys/module/kipsec/version 2>/dev/null)
out=$(kipsec version)
tap_expect "kipsec version reports the module's version" \
	"kipsec tool $(cat VERSION), module $modver, uapi 1 (tool uapi 1)" "$out"
tap_expect "module version is the tree's VERSION" "$(cat VERSION)" "$modver"
json=$(kipsec -j version)
tap_expect "kipsec -j version" "{\"tool\":\"$(cat VERSION)\",\"module\":\"$modver\",\"uapi\":1,\"uapi_tool\":1}" "$json"

ns_create a
tap_check "family usable from another netns" ip netns exec "$NS_a" kipsec version

# Linux XFRM in use at the same time: an SA in a namespace of its own.
need_modules esp4 esp6 xfrm_user
ip -n "$NS_a" xfrm state add src 10.9.0.1 dst 10.9.0.2 proto esp spi 0x100 mode tunnel \
	aead 'rfc4106(gcm(aes))' 0x0102030405060708091011121314151617181920 128
tap_check "XFRM state coexists" sh -c "ip -n $NS_a xfrm state | grep -q 'spi 0x00000100'"

tap_check "rmmod kipsec" rmmod kipsec
tap_check_fail "family gone after unload" genl ctrl get name kipsec
tap_check_fail "module gone after unload" loaded
tap_check_fail "no sysfs entry after unload" test -e /sys/module/kipsec
out=$(kipsec version 2>&1); rc=$?
tap_expect "kipsec version without module exits 1" 1 "$rc"
tap_check "kipsec version without module says so" sh -c "kipsec version 2>&1 | grep -q 'module not loaded'"
tap_check "XFRM state untouched by unload" sh -c "ip -n $NS_a xfrm state | grep -q 'spi 0x00000100'"

tap_check "insmod again" insmod /kipsec/kipsec.ko
tap_check "family usable in an existing netns after reload" ip netns exec "$NS_a" kipsec version
ip netns del "$NS_a"; NS_LIST=()
tap_check "netns removed with the module loaded" true
out=$(kipsec bogus 2>&1); rc=$?
tap_expect "unknown command exits 2" 2 "$rc"
tap_check "every command has --help" kipsec version --help
tap_done
