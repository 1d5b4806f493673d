#!/bin/bash
# Packaging end to end on this host (Documentation/packaging.md):
#  - make deb builds kipsec and kipsec-dkms with dpkg-buildpackage, lintian
#    finds no error, the packages hold what they should;
#  - installed, DKMS builds kipsec.ko for both stock kernels (and again when
#    a kernel is "upgraded"), modinfo describes it, the unit passes
#    systemd-analyze;
#  - purged, nothing of them is left on the host;
#  - the VM runner boots each stock kernel with the DKMS-built module (not the
#    tree's) where modprobe finds it, the packaged tool talks to it, and
#    kiked starts from its unit's ExecStart line when it is built;
#  - make install/uninstall with DESTDIR and PREFIX;
#  - the kselftest install runs from its install path and reports TAP.
# It never leaves kipsec packages installed, and will not touch kipsec
# packages that were installed before it started.
. "$(dirname "$0")/../lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
ver=$(cat VERSION)
work=$(mktemp -d /tmp/kipsec-pkg.XXXXXX)
cache=${KIPSEC_CACHE:-/var/cache/kipsec}/root
installed=0
start_stamp=$work/start
touch "$start_stamp"

purge() {
	DEBIAN_FRONTEND=noninteractive apt-get purge -y kipsec kipsec-dkms >"$work/purge.log" 2>&1
}
cleanup() {
	[ $installed = 1 ] && purge
	rm -rf "$work"
	ns_cleanup
}
trap cleanup EXIT

# The stock kernels the VM runner boots (same choice as selftests/vm/run).
kernel_rel() { ls -1 /lib/modules | grep -E "^${1//./\\.}\.[0-9].*-cloud-amd64$" | sort -V | tail -1; }
declare -A REL=([6.1]=$(kernel_rel 6.1) [6.12]=$(kernel_rel 6.12))
re() { sed 's/[].+*?^$()[{}|\\]/\\&/g' <<<"$1"; }	# a literal in a regex

# has_member DEB PATH: the package's file list holds PATH (./-relative).
has_member() { grep -qE "^\S+ \S+ +[0-9]+ \S+ \S+ \./${2}( |$)" "$work/$1.contents"; }
check_members() {	# check_members LABEL DEB PATH...
	local label=$1 deb=$2 p missing=
	shift 2
	for p in "$@"; do has_member "$deb" "$p" || missing+=" $p"; done
	if [ -z "$missing" ]; then tap_ok "$label"; else tap_fail "$label" "missing:$missing"; fi
}

# --- sources agree on the version ------------------------------------------
dkmsver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
debver=$(dpkg-parsechangelog -S Version 2>/dev/null)
tap_expect "dkms.conf, debian/changelog and VERSION agree" "$ver $ver" "$dkmsver $debver"

for t in dpkg-buildpackage dh dh_dkms lintian dkms apt-get; do
	command -v $t >/dev/null || { tap_skip "packaging" "$t is missing (make deps)"; tap_done; }
done

# --- make deb ---------------------------------------------------------------
if make -s deb >"$work/deb.log" 2>&1; then tap_ok "make deb"; else
	tap_fail "make deb" "$(tail -30 "$work/deb.log")"; tap_done; fi
deb_tool=build/deb/kipsec_${ver}_amd64.deb
deb_dkms=build/deb/kipsec-dkms_${ver}_all.deb
tap_check "make deb built kipsec and kipsec-dkms" test -f "$deb_tool" -a -f "$deb_dkms"
lint=$(lintian build/deb/kipsec_"${ver}"_amd64.changes 2>/dev/null)
tap_expect "lintian: no errors" "" "$(grep '^E:' <<<"$lint")"
grep -E '^[WI]:' <<<"$lint" | sed 's/^/# lintian /'

dpkg-deb -c "$deb_tool" > "$work/tool.contents"
dpkg-deb -c "$deb_dkms" > "$work/dkms.contents"
want=(usr/sbin/kipsec etc/kipsec/ipsec.conf etc/kipsec/ipsec.secrets)
with_kiked=0
if [ -n "$(ls ike/*.c 2>/dev/null)" ]; then
	with_kiked=1
	want+=(usr/sbin/kiked lib/systemd/system/kiked.service lib/systemd/system/kiked@.service
		usr/share/man/man8/kiked.8.gz usr/share/bash-completion/completions/kiked)
fi
[ -f Documentation/kipsec.8 ] && want+=(usr/share/man/man8/kipsec.8.gz)
[ -f tools/completion/kipsec.bash ] && want+=(usr/share/bash-completion/completions/kipsec)
check_members "kipsec .deb: programs, man pages, completion, unit, /etc/kipsec" tool "${want[@]}"
tap_check "kipsec .deb: ipsec.secrets is mode 0600" \
	grep -qE '^-rw------- root/root .* \./etc/kipsec/ipsec\.secrets$' "$work/tool.contents"
src=(dkms.conf Kbuild VERSION uapi/linux/kipsec.h)
while IFS= read -r f; do src+=("$f"); done < <(find kmod \( -name '*.[ch]' ! -name '*.mod.c' \) -o -name Kbuild | sort)
check_members "kipsec-dkms .deb: every module source file and dkms.conf" dkms \
	"${src[@]/#/usr/src/kipsec-$ver/}" usr/lib/modules-load.d/kipsec.conf

# kiked's completion (packaged with kiked), asked as bash would ask it.
if [ -f /usr/share/bash-completion/bash_completion ]; then
	out=$(bash -c '. /usr/share/bash-completion/bash_completion; . packaging/kiked.bash-completion
		COMP_WORDS=(kiked --c); COMP_CWORD=1; COMP_LINE="kiked --c"; COMP_POINT=${#COMP_LINE}
		_kiked kiked --c kiked; echo "${COMPREPLY[*]}"' 2>&1)
	tap_expect "bash completion: kiked --c<TAB>" "--conf --ctl" "$out"
else
	tap_skip "bash completion: kiked --c<TAB>" "bash-completion is not installed (make deps)"
fi

# --- install ----------------------------------------------------------------
if dpkg-query -W -f='${Status}' kipsec kipsec-dkms 2>/dev/null | grep -q 'installed'; then
	tap_skip "install, DKMS, VM and purge" "kipsec packages were installed before this test: not touching them"
	skip_install=1
else
	skip_install=0
fi

if [ $skip_install = 0 ]; then
	installed=1
	if DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		"./$deb_tool" "./$deb_dkms" >"$work/install.log" 2>&1; then
		tap_ok "apt-get install the two .debs"
	else
		tap_fail "apt-get install the two .debs" "$(tail -30 "$work/install.log")"
	fi
	dpkg -L kipsec kipsec-dkms > "$work/files" 2>/dev/null
	for k in 6.1 6.12; do
		rel=${REL[$k]}
		[ -n "$rel" ] || { tap_fail "DKMS built kipsec for $k" "no $k cloud kernel in /lib/modules"; continue; }
		st=$(dkms status -m kipsec -v "$ver" -k "$rel" 2>/dev/null)
		tap_check "DKMS built and installed kipsec for $rel" grep -q ': installed' <<<"$st"
		mi=$(modinfo -k "$rel" kipsec 2>&1)
		f() { sed -n "s/^$1: *//p" <<<"$mi" | head -1; }
		tap_check "modinfo -k $rel kipsec: the DKMS module in updates/dkms" \
			grep -qE "^filename: +/lib/modules/$(re "$rel")/updates/dkms/kipsec\.ko(\.xz)?$" <<<"$mi"
		tap_expect "modinfo -k $rel kipsec: version, license" "$ver GPL" "$(f version) $(f license)"
		tap_check "modinfo -k $rel kipsec: description and author" \
			test -n "$(f description)" -a -n "$(f author)"
		undocumented=$(modinfo -k "$rel" -F parm kipsec | grep -vE '^[a-z_0-9]+:.*[a-zA-Z]{3}' || true)
		tap_expect "modinfo -k $rel kipsec: every parameter documented" "" "$undocumented"
		# What the VM gets: the file DKMS installed and the host's depmod output.
		mkdir -p "$work/vm-$k/mods/updates/dkms"
		cp /lib/modules/"$rel"/updates/dkms/kipsec.ko* "$work/vm-$k/mods/updates/dkms/" 2>/dev/null
		cp /lib/modules/"$rel"/modules.* "$work/vm-$k/mods/"
	done
	# A kernel upgrade runs /etc/kernel/postinst.d/dkms for the new kernel.
	rel=${REL[6.12]}
	dkms remove -m kipsec -v "$ver" -k "$rel" >"$work/upgrade.log" 2>&1
	if ! dkms status -m kipsec -v "$ver" -k "$rel" 2>/dev/null | grep -q installed &&
		/etc/kernel/postinst.d/dkms "$rel" >>"$work/upgrade.log" 2>&1 &&
		dkms status -m kipsec -v "$ver" -k "$rel" 2>/dev/null | grep -q ': installed'; then
		tap_ok "kernel upgrade hook rebuilds kipsec for $rel"
	else
		tap_fail "kernel upgrade hook rebuilds kipsec for $rel" "$(tail -20 "$work/upgrade.log")"
	fi
	tap_check "modules-load.d loads kipsec at boot" \
		grep -qx kipsec /usr/lib/modules-load.d/kipsec.conf
	tap_check "packaged kipsec runs (version without module: exit 1, names it)" \
		sh -c '/usr/sbin/kipsec version 2>&1; test $? = 1'

	# The packaged programs, unit and configuration, for the VM.
	mkdir -p "$work/pkgroot/usr/sbin" "$work/pkgroot/etc"
	cp -a /usr/sbin/kipsec "$work/pkgroot/usr/sbin/"
	cp -a /etc/kipsec "$work/pkgroot/etc/"
	units=
	if [ $with_kiked = 1 ]; then
		cp -a /usr/sbin/kiked "$work/pkgroot/usr/sbin/"
		mkdir -p "$work/pkgroot/unit"
		cp /lib/systemd/system/kiked.service /lib/systemd/system/kiked@.service "$work/pkgroot/unit/"
		units=/pkg/unit
	fi
fi

# --- the units ---------------------------------------------------------------
# Without kiked built the units are not installed: verify the templates with
# the paths make install gives them; the only complaints allowed are about
# what is not there (kiked, its man page, kipsec(8), the tool when the
# packages were not installed here).
if command -v systemd-analyze >/dev/null; then
	for u in kiked kiked@; do
		if [ -f "/lib/systemd/system/$u.service" ]; then
			unitfile=/lib/systemd/system/$u.service
		else
			mkdir -p "$work/units"
			unitfile=$work/units/$u.service
			sed -e 's|@SBINDIR@|/usr/sbin|g' -e 's|@SYSCONFDIR@|/etc|g' \
				"packaging/$u.service.in" > "$unitfile"
		fi
		out=$(systemd-analyze verify "$unitfile" 2>&1)
		allowed=()
		[ -x /usr/sbin/kiked ] || allowed+=("Command /usr/sbin/kiked is not executable" "man kiked(8)")
		[ -x /usr/sbin/kipsec ] || allowed+=("Command /usr/sbin/kipsec is not executable")
		[ -f /usr/share/man/man8/kipsec.8.gz ] || allowed+=("man kipsec(8)")
		rest=$out
		for a in "${allowed[@]}"; do rest=$(grep -vF "$a" <<<"$rest"); done
		name="systemd-analyze verify $u.service"
		[ ${#allowed[@]} -gt 0 ] && name+=" (allowed, not built or installed: ${allowed[*]})"
		tap_expect "$name" "" "$rest"
		exposure=$(systemd-analyze security --offline=true "$unitfile" 2>&1 |
			sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p')
		tap_check "systemd-analyze security: $u.service exposure '$exposure' <= 3.0" \
			awk -v e="$exposure" 'BEGIN { exit !(e != "" && e <= 3.0) }'
	done
else
	tap_skip "systemd-analyze verify kiked.service" "systemd-analyze is not installed on this host"
fi

# --- purge: nothing left ----------------------------------------------------
if [ $skip_install = 0 ]; then
	purge; rc=$?
	installed=0
	tap_expect "apt-get purge kipsec kipsec-dkms" 0 "$rc"
	left=$(while IFS= read -r f; do
		[ -d "$f" ] && continue		# shared directories (and /lib -> usr/lib) stay
		[ -e "$f" ] || [ -L "$f" ] && echo "$f"
	done < "$work/files")
	tap_expect "purge: no file of the packages is left" "" "$left"
	left=$(ls -d /usr/src/kipsec-* /var/lib/dkms/kipsec /etc/kipsec /usr/share/doc/kipsec* \
		/lib/modules/*/updates/dkms/kipsec.ko* 2>/dev/null)
	tap_expect "purge: no DKMS tree, source, built module or /etc/kipsec left" "" "$left"
	left=$(grep -l 'kipsec' /lib/modules/*/modules.dep 2>/dev/null)
	tap_expect "purge: depmod forgot kipsec" "" "$left"
	tap_expect "purge: dpkg knows no kipsec package" "" \
		"$(dpkg-query -W -f='${Package} ${Status}\n' kipsec kipsec-dkms 2>/dev/null | grep -v not-installed)"
fi

# --- the DKMS-built module in the stock kernels' VMs -------------------------
if [ $skip_install = 0 ]; then
	for k in 6.1 6.12; do
		rel=${REL[$k]}
		[ -n "$rel" ] || continue
		out=$(selftests/vm/run --kernel "$k" --no-load --timeout 300 \
			--extra-dir "$work/vm-$k/mods:/usr/lib/modules/$rel" \
			--extra-dir "$work/pkgroot:/pkg" -- selftests/pkg/vm-check.sh $units 2>&1 | tr -d '\r')
		rc=${PIPESTATUS[0]}
		fact() { sed -n "s/^$1=//p" <<<"$out" | head -1; }
		tap_expect "VM $k: run status" 0 "$rc"
		tap_expect "VM $k: modprobe kipsec (nothing loaded before)" "0 0" "$(fact loaded_before) $(fact modprobe)"
		tap_check "VM $k: modprobe took the DKMS module" \
			grep -qE "^/lib/modules/$(re "$rel")/updates/dkms/kipsec\.ko(\.xz)?$" <<<"$(fact modfile)"
		tap_expect "VM $k: packaged kipsec version" \
			"kipsec tool $ver, module $ver, uapi 1 (tool uapi 1)" "$(fact version)"
		tap_expect "VM $k: rmmod, then the genl alias loads it on demand" \
			"0 1 kipsec tool $ver, module $ver, uapi 1 (tool uapi 1)" "$(fact rmmod) $(fact autoload)"
		if [ $with_kiked = 1 ]; then
			for n in main blue; do
				u=kiked.service; [ $n = blue ] && u="kiked@blue.service (netns blue)"
				tap_expect "VM $k: $u from its ExecStart: socket, running, ExecReload, stop" \
					"yes yes 0 yes yes" \
					"$(fact ${n}_socket) $(fact ${n}_running) $(fact ${n}_reload) $(fact ${n}_after_reload) $(fact ${n}_stopped)"
			done
		else
			tap_skip "VM $k: kiked from the unit's ExecStart" "kiked is not built in this tree (no ike/)"
		fi
		[ "$rc" = 0 ] || sed 's/^/# /' <<<"$out" | tail -30
	done
fi

# --- make install / uninstall -----------------------------------------------
# In a copy of the tree: building the module leaves objects beside its source.
d=$work/destdir
rel=${REL[6.1]}
mkdir -p "$work/src"
tar --exclude=./.git --exclude=./build -cf - . | tar -C "$work/src" -xf -
if make -s -C "$work/src" install DESTDIR="$d" PREFIX=/usr KDIR="/lib/modules/$rel/build" >"$work/mi.log" 2>&1; then
	tap_ok "make install DESTDIR= PREFIX=/usr"
else
	tap_fail "make install DESTDIR= PREFIX=/usr" "$(tail -20 "$work/mi.log")"
fi
files=(usr/sbin/kipsec etc/kipsec/ipsec.conf etc/kipsec/ipsec.secrets
	"lib/modules/$rel/updates/kipsec.ko" usr/lib/modules-load.d/kipsec.conf)
[ $with_kiked = 1 ] && files+=(usr/sbin/kiked usr/lib/systemd/system/kiked.service
	usr/lib/systemd/system/kiked@.service usr/share/bash-completion/completions/kiked)
missing=$(for f in "${files[@]}"; do [ -e "$d/$f" ] || echo "$f"; done)
tap_expect "make install: programs, config, module, modules-load.d" "" "$missing"
tap_expect "make install: ipsec.secrets mode" 600 "$(stat -c %a "$d/etc/kipsec/ipsec.secrets" 2>&1)"
echo "# edited" >> "$d/etc/kipsec/ipsec.conf"
make -s -C "$work/src" install-progs DESTDIR="$d" PREFIX=/usr >/dev/null 2>&1
tap_check "make install keeps an edited ipsec.conf" grep -q '^# edited' "$d/etc/kipsec/ipsec.conf"
make -s -C "$work/src" uninstall DESTDIR="$d" PREFIX=/usr KDIR="/lib/modules/$rel/build" >/dev/null 2>&1
tap_expect "make uninstall leaves only the admin's configuration" \
	"$d/etc/kipsec/ipsec.conf $d/etc/kipsec/ipsec.secrets" "$(find "$d" -type f | sort | xargs)"
make -s -C "$work/src" install-progs DESTDIR="$d/local" PREFIX=/usr/local >/dev/null 2>&1
tap_check "PREFIX=/usr/local: tool in /usr/local/sbin" test -x "$d/local/usr/local/sbin/kipsec"
make -s -C "$work/src" install-dkms DESTDIR="$d/dkms" >/dev/null 2>&1
tap_check "make install-dkms: the source DKMS builds from" \
	test -f "$d/dkms/usr/src/kipsec-$ver/dkms.conf" -a -f "$d/dkms/usr/src/kipsec-$ver/kmod/main.c"
make -s -C "$work/src" uninstall-dkms DESTDIR="$d/dkms" >/dev/null 2>&1
tap_expect "make uninstall-dkms removes it" "" "$(find "$d/dkms" -type f)"

# --- kselftest install --------------------------------------------------------
k=$work/ksft
make -s -C selftests install INSTALL_PATH="$k" >"$work/ksft.log" 2>&1
tap_check "make -C selftests install INSTALL_PATH=" test -x "$k/run_kselftest.sh" -a \
	-f "$k/kselftest/runner.sh" -a -f "$k/kipsec/lib.sh" -a -f "$k/kipsec/net/settings"
expect=$(for t in $(find selftests/net -maxdepth 1 -name '*.sh' -perm -u+x | sort); do
	echo "kipsec/net:$(basename "$t")"; done)
tap_expect "run_kselftest.sh -l lists every net test" "$expect" "$("$k/run_kselftest.sh" -l)"
# The runner's verdicts, on tests whose outcome is known.
s=$work/ksft-synth
cp -a "$k" "$s" && mkdir -p "$s/synth"
printf '#!/bin/sh\necho hello\n' > "$s/synth/pass.sh"
printf '#!/bin/sh\nexit 4\n' > "$s/synth/skip.sh"
printf '#!/bin/sh\nexit 3\n' > "$s/synth/fail.sh"
printf '#!/bin/sh\nsleep 5\n' > "$s/synth/slow.sh"
chmod +x "$s"/synth/*.sh
echo timeout=1 > "$s/synth/settings"
printf 'synth:%s\n' pass.sh skip.sh fail.sh slow.sh > "$s/kselftest-list.txt"
out=$("$s/run_kselftest.sh" 2>&1); rc=$?
tap_expect "runner: ok / SKIP / exit / TIMEOUT verdicts and exit 1" "TAP version 13
1..4
# selftests: synth: pass.sh
# hello
ok 1 selftests: synth: pass.sh
# selftests: synth: skip.sh
ok 2 selftests: synth: skip.sh # SKIP
# selftests: synth: fail.sh
not ok 3 selftests: synth: fail.sh # exit=3
# selftests: synth: slow.sh
not ok 4 selftests: synth: slow.sh # TIMEOUT 1 seconds
rc=1" "$out
rc=$rc"
out=$("$s/run_kselftest.sh" -t synth:pass.sh 2>&1); rc=$?
tap_expect "runner: -t runs one test, exit 0" "TAP version 13 1..1 ok 1 selftests: synth: pass.sh rc=0" \
	"$(grep -v '^#' <<<"$out" | xargs) rc=$rc"
# Dropped into a kernel's own kselftest install: the kernel's runner is kept
# and runs our collection (runner from the debug kernel's linux-source tree).
kk=$work/ksft-kernel
mkdir -p "$kk"
kst=$(selftests/vm/build-debug-kernel --print-dir)
with_kernel_runner=0
if [ -f "$kst/.done" ] && [ -f "$kst/tools/testing/selftests/kselftest/runner.sh" ]; then
	with_kernel_runner=1
	kst=$kst/tools/testing/selftests
	mkdir -p "$kk/kselftest"
	cp "$kst/run_kselftest.sh" "$kk/"
	cp "$kst/kselftest/runner.sh" "$kst/kselftest/prefix.pl" "$kk/kselftest/"
	echo "size:get_size" > "$kk/kselftest-list.txt"
	make -s -C selftests install INSTALL_PATH="$kk" >>"$work/ksft.log" 2>&1
	tap_check "into a kernel kselftest install: the kernel's run_kselftest.sh is kept" \
		cmp "$kst/run_kselftest.sh" "$kk/run_kselftest.sh"
	tap_expect "into a kernel kselftest install: our tests appended to its list" \
		"size:get_size
$expect" "$(cat "$kk/kselftest-list.txt")"
else
	tap_skip "into a kernel kselftest install" "no kernel tree with kselftest (selftests/vm/build-debug-kernel)"
fi
first=$(head -1 <<<"$expect")
out=$(selftests/vm/run --kernel 6.1 --timeout 300 --extra-dir "$k:/tmp/ksft" --extra-dir "$kk:/tmp/ksft-kernel" -- \
	sh -c "/tmp/ksft/run_kselftest.sh -t $first; echo ours-rc=\$?;
	       [ $with_kernel_runner = 0 ] || /tmp/ksft-kernel/run_kselftest.sh -t $first" 2>&1 | tr -d '\r')
rc=${PIPESTATUS[0]}
ours=$(sed -n '1,/^ours-rc=/p' <<<"$out")
theirs=$(sed -n '/^ours-rc=/,$p' <<<"$out")
tap_expect "VM: installed $first runs from the install path, TAP ok" \
	"TAP version 13 1..1 ok 1 selftests: kipsec/net: ${first#*:} ours-rc=0" \
	"$(grep -E '^(TAP|1\.\.|ok|not ok|ours-rc=)' <<<"$ours" | xargs)"
if [ $with_kernel_runner = 1 ]; then
	tap_expect "VM: the kernel's run_kselftest.sh runs it too, TAP ok" \
		"TAP version 13 1..1 ok 1 selftests: kipsec/net: ${first#*:}" \
		"$(grep -E '^(TAP|1\.\.|ok|not ok)' <<<"$theirs" | xargs)"
fi
tap_expect "VM: kselftest run status" 0 "$rc"
[ "$rc" = 0 ] || tail -30 <<<"$out" | sed 's/^/# /'

tap_done
