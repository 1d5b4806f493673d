#!/bin/bash
# kipsec-debug: yes
# The control plane under KASAN, lockdep and kmemleak (the debug kernel):
# SAs and policies added, updated, dumped, rejected, deleted and flushed,
# some of them in bulk, and some left for the namespace's exit.  The full
# checks are in sa_sp_ctl.sh (stock kernels).
. "$(dirname "$0")/../lib.sh"

KGENL=$(dirname "$0")/../bin/kgenl.py
K20=0x0102030405060708091011121314151617181920
ns_create a
ka() { nsx a kipsec "$@"; }

tap_check "sa add" ka sa add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x1001 mode tunnel \
	aead aes-gcm-16 $K20 128 replay-window 64 sel src 192.168.1.0/24 dst 192.168.2.0/24
tap_check "sa update" ka sa update src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x1001 mode tunnel \
	aead aes-gcm-16 $K20 128 replay-window 128 sel src 192.168.1.0/24 dst 192.168.2.0/24
tap_check_fail "duplicate SPI rejected" ka sa add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x1001 \
	aead aes-gcm-16 $K20 128
tap_check "sp add" ka sp add src 192.168.1.0/24 dst 192.168.2.0/24 dir out \
	tmpl proto esp mode tunnel src 10.0.0.1 dst 10.0.0.2
tap_check "bulk: 200 SAs and 200 policies" sh -c \
	"ip netns exec $NS_a python3 $KGENL bulk-sa 200 && ip netns exec $NS_a python3 $KGENL bulk-sp 200"
tap_expect "dump SAs" 201 "$(ka sa list | grep -c '^src ')"
tap_expect "dump policies" 201 "$(ka sp list | grep -c '^src ')"
tap_check "sa del" ka sa del dst 10.0.0.2 proto esp spi 0x10000
tap_check "flush" sh -c "ip netns exec $NS_a kipsec sa flush && ip netns exec $NS_a kipsec sp flush"
# SAs and policies still installed when the namespace goes: its exit path.
tap_check "state left for the netns exit" sh -c \
	"ip netns exec $NS_a kipsec sa add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x1001 aead aes-gcm-16 $K20 128 &&
	 ip netns exec $NS_a python3 $KGENL bulk-sp 50 >/dev/null"
tap_done
