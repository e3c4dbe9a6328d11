#!/bin/bash
# pvsteal-dkms, without booting, with DKMS's own trees in a scratch
# directory (dkms --sourcetree/--dkmstree/--installtree): DKMS builds and
# installs the module against the debug kernel's tree, into
# build/dkms/pvsteal.ko, which make check's debug guest then loads instead
# of the one "make module" built; against the headers of Debian's own 6.12
# kernel (no CONFIG_PARAVIRT_CPUS) it declines with its BUILD_EXCLUSIVE
# message and status 77, the outcome autoinstall treats as "skipped", and
# installs nothing.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/scripts/lib.sh"
n=0 bad=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n dkms: $2"; else echo "not ok $n dkms: $2"; bad=1; fi; }
end() { echo "1..$n"; exit $bad; }

deb=$(ls "$BUILD"/deb/pvsteal-dkms_*_all.deb 2>/dev/null | tail -1)
[ -n "$deb" ] || { ok 1 "no pvsteal-dkms package in $BUILD/deb (scripts/deb --no-kernel)"; end; }
dpkg-deb -x "$deb" "$tmp/root"
ver=$(dpkg-deb -f "$deb" Version)
conf=$tmp/root/usr/src/pvsteal-$ver/dkms.conf
grep -qx 'AUTOINSTALL="yes"' "$conf" && grep -qx 'BUILD_EXCLUSIVE_CONFIG="CONFIG_PARAVIRT_CPUS"' "$conf" &&
	grep -qx "PACKAGE_VERSION=\"$ver\"" "$conf"
ok $? "dkms.conf: version $ver, AUTOINSTALL, BUILD_EXCLUSIVE_CONFIG=CONFIG_PARAVIRT_CPUS"

# dkms ACTION KERNELRELEASE KERNELTREE TREE [OPTION...]: one DKMS run in
# scratch tree TREE.
dkms_run() {
	local tree=$4
	dkms "$1" -m pvsteal -v "$ver" -k "$2" --kernelsourcedir "$3" --sourcetree "$tmp/root/usr/src" \
		--dkmstree "$tmp/$tree/dkms" --installtree "$tmp/$tree/install" "${@:5}" >"$tmp/$tree.log" 2>&1
}

# The patched kernel: built and installed.
obj=$BUILD/obj-debug
rel=$(cat "$obj/include/config/kernel.release" 2>/dev/null)
if [ -z "$rel" ]; then
	ok 1 "no debug kernel in $obj (make KFLAVOR=debug kernel)"
else
	# DKMS installs only into a kernel whose module directory exists, and
	# runs depmod on the system's /lib/modules unless told not to.
	mkdir -p "$tmp/patched/install/$rel"
	dkms_run install "$rel" "$obj" patched --no-depmod; rc=$?
	ko=$(find "$tmp/patched/install/$rel" -name pvsteal.ko 2>/dev/null)
	[ $rc = 0 ] && [ -n "$ko" ] && [ "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$rel" ]
	ok $? "builds and installs pvsteal.ko for the patched kernel $rel (status $rc)" ||
		tail -20 "$tmp/patched.log" | sed 's/^/# /'
	mkdir -p "$BUILD/dkms"
	rm -f "$BUILD/dkms/pvsteal.ko"
	[ -z "$ko" ] || cp "$ko" "$BUILD/dkms/pvsteal.ko"
fi

# Debian's own kernel: the headers package as the archive has it.
kver=${KERNEL_PIN%%-*}
hdr=linux-headers-$kver+deb12-amd64
stock=$BUILD/stock/$hdr
if [ ! -f "$stock/usr/src/$hdr/.config" ]; then
	mkdir -p "$BUILD/stock"
	(cd "$BUILD/stock" && apt-get download -q "$hdr" >/dev/null 2>&1) &&
		dpkg-deb -x "$BUILD/stock/${hdr}_"*.deb "$stock"
fi
if [ ! -f "$stock/usr/src/$hdr/.config" ]; then
	ok 1 "could not download $hdr from the Debian archive"
	end
fi
! grep -q '^CONFIG_PARAVIRT_CPUS=' "$stock/usr/src/$hdr/.config"
ok $? "$hdr has no CONFIG_PARAVIRT_CPUS"
dkms_run install "$kver+deb12-amd64" "$stock/usr/src/$hdr" stock; rc=$?
[ $rc = 77 ] && grep -q "BUILD_EXCLUSIVE directive which does not match" "$tmp/stock.log"
ok $? "on a stock kernel, DKMS declines with its BUILD_EXCLUSIVE message and status 77 (got $rc)" ||
	tail -5 "$tmp/stock.log" | sed 's/^/# /'
[ -z "$(find "$tmp/stock/install" -type f 2>/dev/null)" ] &&
	! dkms status --dkmstree "$tmp/stock/dkms" 2>/dev/null | grep -q installed
ok $? "on a stock kernel, nothing is built or installed"
end
