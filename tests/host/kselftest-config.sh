#!/bin/bash
# selftests/paravirt/config must list what the tests need, as the kernels
# that run them in make check have it: an option the fragment names must be
# set the same in the jl kernel (nohz_full_test and most others) or in the
# debug kernel (scx_test: sched_ext), so that "make kselftest-merge" gives a
# kernel that can run them all.
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
for k in jl debug; do
	if [ ! -f "$build/obj-$k/.config" ]; then
		echo "not ok 1 kselftest config: no $build/obj-$k/.config (make KFLAVOR=$k kernel)"
		echo "1..1"
		exit 1
	fi
done
n=0 missing=()
while IFS= read -r line; do
	case "$line" in CONFIG_*=*) ;; *) continue ;; esac
	n=$((n + 1))
	grep -qx "$line" "$build/obj-jl/.config" "$build/obj-debug/.config" || missing+=("$line")
done <"$top/selftests/paravirt/config"
if [ ${#missing[@]} = 0 ] && [ $n -gt 0 ]; then
	echo "ok 1 kselftest config: the test kernels have all $n options of selftests/paravirt/config"
else
	echo "not ok 1 kselftest config: neither test kernel has ${missing[*]:-any option (empty fragment)}"
fi
echo "1..1"
[ ${#missing[@]} = 0 ] && [ $n -gt 0 ]
