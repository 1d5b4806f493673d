#!/bin/bash
# Install what kipsec needs to build and test, from Debian's packages.
# Idempotent: only missing packages are installed, apt-get update runs once.
set -euo pipefail
pkgs=(
	build-essential bc bison flex libelf-dev kmod cpio xz-utils pkg-config
	libmnl-dev libssl-dev
	qemu-system-x86 busybox-static
	linux-image-cloud-amd64 linux-headers-cloud-amd64
	linux-image-6.12-cloud-amd64 linux-headers-6.12-cloud-amd64
	linux-source-6.1
	iproute2 iputils-ping nftables conntrack iperf3 tcpdump socat python3
	strongswan-starter strongswan-swanctl strongswan-charon strongswan-libcharon
	libstrongswan-standard-plugins
	clang libclang-rt-14-dev
	debhelper dh-dkms dkms lintian bash-completion
)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || { echo "deps: need root to install: ${missing[*]}" >&2; exit 1; }
	echo "deps: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	stamp=/var/lib/apt/periodic/kipsec-update-stamp
	if [ ! -f $stamp ] || ! apt-get install -y --no-install-recommends "${missing[@]}" >/tmp/kipsec-apt.log 2>&1; then
		apt-get update >/tmp/kipsec-apt-update.log 2>&1
		mkdir -p "$(dirname $stamp)" && touch $stamp
		apt-get install -y --no-install-recommends "${missing[@]}" >/tmp/kipsec-apt.log 2>&1 ||
			{ tail -20 /tmp/kipsec-apt.log >&2; exit 1; }
	fi
fi
# The debug kernel is cached outside the tree; this builds it once per machine.
"$(dirname "$0")/vm/build-debug-kernel" >/dev/null
