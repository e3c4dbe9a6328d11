#!/bin/bash
# The project's packages (scripts/deb --no-kernel, which make check runs
# first) on a Debian guest that also installs kernels without the series:
#  - none is a DKMS package or depends on dkms: bookworm's dkms 3.0.10
#    fails "autoinstall" when a module's BUILD_EXCLUSIVE_CONFIG excludes a
#    kernel, and Debian's kernel hooks run with run-parts --exit-on-error,
#    so every later install of such a kernel failed. The module ships in
#    the kernel package (CONFIG_PVSTEAL=m) instead;
#  - nothing loads pvsteal through modules-load.d, which fails the boot of
#    such a kernel ("degraded"): the units that load or use it are skipped
#    there, checked here with systemd's own condition check on this host,
#    whose kernel has no series;
#  - the metrics of an earlier boot are removed at boot;
#  - the exporter runs confined (systemd-analyze security, exposure at most
#    1.0 of 10);
#  - lintian finds nothing, at any level, but the overrides the packages
#    ship with their reasons.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/scripts/lib.sh"
n=0 bad=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n packages: $2"; else echo "not ok $n packages: $2"; bad=1; fi; return "$1"; }
end() { echo "1..$n"; exit $bad; }

debs=()
for f in "$BUILD"/deb/*.deb; do
	case ${f##*/} in linux-*) ;; *) [ -f "$f" ] && debs+=("$f") ;; esac
done
[ ${#debs[@]} -ge 2 ]
ok $? "the project's packages are built (${#debs[@]} in $BUILD/deb; scripts/deb --no-kernel)" || end

for f in "${debs[@]}"; do
	name=$(dpkg-deb -f "$f" Package)
	rel=$(dpkg-deb -f "$f" Depends Pre-Depends Recommends)
	files=$(dpkg-deb -c "$f" | awk '{ print $6 }')
	shipped=$(grep -E '^\./(usr/src/|etc/kernel/|etc/modules-load\.d/)' <<<"$files")
	! grep -qw dkms <<<"$rel" && [ -z "$shipped" ]
	ok $? "$name: no dkms dependency, module sources, kernel hooks or modules-load.d entry" ||
		{ echo "$rel"; echo "$shipped"; } | sed 's/^/# /'
	dpkg-deb -x "$f" "$tmp/root"
done

# The units, as systemd would judge them on this host.
if [ -e /sys/devices/system/cpu/paravirt ]; then
	ok 0 "# SKIP this host's kernel has the paravirt CPU series: no kernel without it to judge the units on"
else
	for u in pvsteal.service pvcpu-exporter.service pvcpu-exporter.timer pvcpu-hint.service; do
		f=$tmp/root/lib/systemd/system/$u
		mapfile -t conds < <(sed -n 's/^\(Condition[A-Za-z]*=.*\)/\1/p' "$f" 2>/dev/null)
		[ ${#conds[@]} -gt 0 ] && ! systemd-analyze condition "${conds[@]}" >"$tmp/cond.log" 2>&1
		ok $? "$u is skipped on a kernel without the series (${conds[*]:-no condition})" ||
			sed 's/^/# /' "$tmp/cond.log"
	done
fi

# A metrics file left by an earlier boot, and systemd-tmpfiles as
# systemd-tmpfiles-setup.service runs it at boot.
prom=var/lib/prometheus/node-exporter/pvcpu.prom
conf=$(ls "$tmp"/root/usr/lib/tmpfiles.d/*.conf 2>/dev/null)
mkdir -p "$tmp/root/${prom%/*}"
echo 'pvcpu_paravirt{cpu="2"} 1' >"$tmp/root/$prom"
[ -n "$conf" ] && systemd-tmpfiles --root="$tmp/root" --create --remove --boot $conf >"$tmp/tmpfiles.log" 2>&1 &&
	[ ! -e "$tmp/root/$prom" ]
ok $? "the metrics of an earlier boot are removed at boot (${conf##*/root})" || sed 's/^/# /' "$tmp/tmpfiles.log"

# The exporter runs as root every 15 s: it must hold nothing it does not
# need (systemd-analyze's scale is 0-10; --threshold takes tenths).
unit=$tmp/root/lib/systemd/system/pvcpu-exporter.service
score=$(systemd-analyze security --offline=yes --no-pager "$unit" 2>&1 | sed -n 's/.*Overall exposure level.*: \([0-9.]*\) .*/\1/p')
systemd-analyze security --offline=yes --threshold=10 --no-pager "$unit" >"$tmp/sec.log" 2>&1
ok $? "pvcpu-exporter.service exposure ${score:-unknown} (at most 1.0 of 10)" || grep '✗' "$tmp/sec.log" | sed 's/^/# /'

lintian --fail-on error,warning,info,pedantic -I --pedantic "${debs[@]}" >"$tmp/lintian.log" 2>&1
ok $? "lintian finds nothing in ${debs[*]##*/}" || grep -v 'root privileges' "$tmp/lintian.log" | sed 's/^/# /'
end
