#!/bin/bash
# The VM runner is itself tested: a failing command and a kernel warning must
# both fail the run, and a clean run must pass, so that no VM suite can pass
# by accident.
. "$(dirname "$0")/../lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
run=$top/selftests/vm/run
kernel=6.1

tap_check "vm/run -- true exits 0" "$run" --kernel $kernel -- true
"$run" --kernel $kernel -- false >/dev/null 2>&1; rc=$?
tap_expect "vm/run -- false exits 1" 1 "$rc"
"$run" --kernel $kernel -- sh -c 'exit 3' >/dev/null 2>&1; rc=$?
tap_expect "vm/run passes the command's status through" 3 "$rc"
out=$("$run" --kernel $kernel -- sh -c 'echo hello-from-vm; uname -r' 2>&1)
tap_check "command output is streamed" grep -q hello-from-vm <<<"$out"

rel=$(ls -1 /lib/modules | grep -E '^6\.1\..*-cloud-amd64$' | sort -V | tail -1)
mod=$top/selftests/vm/warn_mod
if make -s -C "/lib/modules/$rel/build" M="$mod" modules >/dev/null 2>&1; then
	tap_check "a module loaded without warning passes" "$run" --kernel $kernel -- insmod selftests/vm/warn_mod/kipsec_warn.ko warn=0
	out=$("$run" --kernel $kernel -- insmod selftests/vm/warn_mod/kipsec_warn.ko warn=1 2>&1); rc=$?
	tap_check_fail "a WARN_ON in the kernel fails the run" test "$rc" = 0
	tap_check "the splat is printed" grep -q 'kernel splat' <<<"$out"
else
	tap_fail "build the WARN_ON scratch module" "make -C /lib/modules/$rel/build M=$mod failed"
fi
make -s -C "/lib/modules/$rel/build" M="$mod" clean >/dev/null 2>&1
tap_done
