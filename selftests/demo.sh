#!/bin/bash
# make demo: boot a VM on the stock 6.1 kernel with kipsec loaded and show it
# at work (see selftests/demo/inside.sh for what runs in the VM).
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
exec "$top/selftests/vm/run" --kernel "${KIPSEC_KERNEL:-6.1}" -- selftests/demo/inside.sh
