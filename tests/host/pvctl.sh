#!/bin/bash
# pvctl against fake sysfs and debugfs files: output formats, usage errors
# and the messages for a kernel without support or without the module.
top=$(cd "$(dirname "$0")/../.." && pwd)
pvctl=${BUILD:-$top/build}/tools/pvctl
n=0 bad=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n pvctl: $2"; else echo "not ok $n pvctl: $2"; bad=1; fi; }

fake() {
	mkdir -p "$tmp/dbg"
	echo "2-3" >"$tmp/paravirt"
	printf 'mode auto\nmask 2-3\nchanges 4\nlast_change_ms 1234\nperiods 99\nerrors 0\n' >"$tmp/dbg/stats"
	printf 'cpu 0 steal 1 smooth 0.50 marked 0\ncpu 1 steal 2 smooth 1.25 marked 0\n' >>"$tmp/dbg/stats"
	printf 'cpu 2 steal 60 smooth 58.00 marked 1\ncpu 3 steal 61 smooth 59.75 marked 1\n' >>"$tmp/dbg/stats"
	echo auto >"$tmp/dbg/override"
}
run() { PVCTL_SYSFS=$tmp/paravirt PVCTL_DEBUGFS=$tmp/dbg "$pvctl" "$@"; }

out=$(PVCTL_SYSFS=$tmp/none "$pvctl" status 2>&1); rc=$?
[ $rc = 1 ] && grep -q "CONFIG_PARAVIRT_CPUS" <<<"$out"; ok $? "says when the kernel lacks support (status $rc)"

fake
rm -rf "$tmp/dbg"
out=$(run set 2-3 2>&1); rc=$?
[ $rc = 1 ] && grep -q "not loaded" <<<"$out"; ok $? "says when pvsteal is not loaded (status $rc)"
out=$(run status 2>&1); rc=$?
[ $rc = 0 ] && grep -q "pvsteal: not loaded" <<<"$out"; ok $? "status works without the module"

fake
out=$(run status); rc=$?
[ $rc = 0 ] && grep -q "^paravirt CPUs: 2-3$" <<<"$out" && grep -q "^mode: auto$" <<<"$out" &&
	grep -Eq "^ +3 +61 +59.75 +yes$" <<<"$out"; ok $? "status shows mask, mode and per-CPU steal"

out=$(run prometheus); rc=$?
[ $rc = 0 ] && grep -qx 'pvsteal_steal_percent{cpu="2"} 60' <<<"$out" &&
	grep -qx 'pvsteal_mask_changes_total 4' <<<"$out" && grep -qx 'pvsteal_auto 1' <<<"$out" &&
	grep -q '^# TYPE pvcpu_paravirt gauge$' <<<"$out"; ok $? "prometheus exposition"

run set 1,3 >/dev/null; rc=$?
[ $rc = 0 ] && [ "$(cat "$tmp/dbg/override")" = "1,3" ]; ok $? "set writes the override"

# A locked-down kernel (Secure Boot) lets debugfs open only world-readable
# files: root gets EPERM from the writable ones, as from an immutable file.
fake
if chattr +i "$tmp/dbg/override" 2>/dev/null; then
	printf 'none [integrity] confidentiality\n' >"$tmp/lockdown"
	out=$(PVCTL_LOCKDOWN=$tmp/lockdown run set 2 2>&1); rc=$?
	[ $rc = 3 ] && grep -q "locked down \[integrity\]" <<<"$out" && grep -q "modprobe.d/pvsteal.conf" <<<"$out" &&
		grep -q "the mask is unchanged" <<<"$out"
	ok $? "set under lockdown says why it cannot write and where the options go (status $rc)"
	printf '[none] integrity confidentiality\n' >"$tmp/lockdown"
	out=$(PVCTL_LOCKDOWN=$tmp/lockdown run set 2 2>&1); rc=$?
	[ $rc = 1 ] && grep -q "Operation not permitted" <<<"$out" && ! grep -q "locked down" <<<"$out"
	ok $? "set refused without lockdown gives the system's reason (status $rc)"
	chattr -i "$tmp/dbg/override"
else
	ok 0 "# SKIP set under lockdown: chattr +i is not allowed here (as root on ext4 or tmpfs)"
fi

out=$(run prometheus)
run prometheus -o "$tmp/pvcpu.prom"; rc=$?
[ $rc = 0 ] && [ "$(cat "$tmp/pvcpu.prom")" = "$out" ] && [ ! -e "$tmp/pvcpu.prom.tmp" ]
ok $? "prometheus -o writes the metrics to the file, through a renamed temporary (status $rc)"
out=$(run prometheus -o "$tmp/none/pvcpu.prom" 2>&1); rc=$?
[ $rc = 1 ] && grep -q "creating $tmp/none/pvcpu.prom.tmp" <<<"$out"
ok $? "prometheus -o into a missing directory fails with a message (status $rc)"
out=$(PVCTL_SYSFS=$tmp/none "$pvctl" prometheus -o "$tmp/stock.prom" 2>&1); rc=$?
[ $rc = 1 ] && [ ! -e "$tmp/stock.prom" ] && [ ! -e "$tmp/stock.prom.tmp" ]
ok $? "prometheus -o on a kernel without support leaves no file (status $rc)"

# top: a screen per interval, each the mask and a line per CPU with
# busy%, steal% and marked; -d takes tenths of a second.
echo 1 >"$tmp/paravirt"
t0=$(date +%s%N)
out=$(run top -n 2 -d 0.3); rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
[ $rc = 0 ] && [ "$(grep -c '  paravirt: 1$' <<<"$out")" = 2 ] &&
	[ "$(grep -cx '  cpu  busy%  steal%  marked' <<<"$out")" = 2 ] &&
	[ "$(grep -cE '^ +1 +[0-9.]+ +[0-9.]+ +yes$' <<<"$out")" = 2 ] &&
	[ "$(grep -cE '^ +0 +[0-9.]+ +[0-9.]+ +no$' <<<"$out")" = 2 ] &&
	[ "$(grep -cE '^ +[0-9]+ ' <<<"$out")" = $((2 * $(nproc))) ] && [ $ms -ge 600 ] && [ $ms -lt 2000 ]
ok $? "top -n 2 -d 0.3: two screens in $ms ms, with the mask, the columns and a line per CPU (status $rc)"

# --help prints the synopsis of Documentation/pvctl.rst (and of pvctl(1),
# made from it), on stdout.
doc=$(sed -n '/^Synopsis/,/^Commands/p' "$top/Documentation/pvctl.rst" | sed -n 's/^  pvctl /pvctl /p')
out=$("$pvctl" --help | sed 's/^usage: //; s/^ *//'); rc=$?
[ $rc = 0 ] && [ -n "$doc" ] && [ "$out" = "$doc" ]
ok $? "--help matches the synopsis in Documentation/pvctl.rst" ||
	diff <(echo "$doc") <(echo "$out") | sed 's/^/# /'

for args in "" "bogus" "set" "set 1 2" "top -n 0" "top -n x" "watch -d" "status extra" \
	"status -o x" "prometheus -n 3" "watch -d 2" "watch -d 1" "top -d 0" "top -d 0.05" \
	"top -d x" "top -d 3601" "--help extra"; do
	# shellcheck disable=SC2086
	run $args >/dev/null 2>&1; rc=$?
	[ $rc = 2 ]; ok $? "usage error for '$args' (status $rc)"
done
echo "1..$n"
exit $bad
