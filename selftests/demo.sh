#!/bin/bash
# make demo: boot a VM on the stock 6.1 kernel with kipsec loaded and show it
# at work: a kipsec <-> Linux XFRM tunnel, then the IKEv2 mediation lab
# (kiked on three nodes, two of them behind NATs; see selftests/demo/inside.sh).
# Exits non-zero if traffic does not get through (a smoke test).
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
make -s -C "$top" tools ike
exec "$top/selftests/vm/run" --kernel "${KIPSEC_KERNEL:-6.1}" -- selftests/demo/inside.sh
