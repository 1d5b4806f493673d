#!/bin/bash
# Kernel coding style: every file of the module and the uAPI header passes
# the kernel's scripts/checkpatch.pl (from our linux-source-6.1 tree).
# compat.h exists to compare kernel versions, so LINUX_VERSION_CODE is
# allowed there and nowhere else.
. "$(dirname "$0")/../lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
kdir=$(selftests/vm/build-debug-kernel 2>/dev/null)
cp=$kdir/scripts/checkpatch.pl
[ -x "$cp" ] || { tap_skip "checkpatch" "no checkpatch.pl in $kdir"; tap_done; }
for f in $(git ls-files 'kmod/*.c' 'kmod/*.h' 'uapi/*.h'); do
	extra=()
	case $f in kmod/compat.h) extra=(--ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON) ;; esac
	tap_check "checkpatch $f" "$cp" --no-tree --terse --show-types --max-line-length=100 "${extra[@]}" -f "$f"
done
tap_done
