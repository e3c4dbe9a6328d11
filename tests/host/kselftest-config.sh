#!/bin/bash
# selftests/paravirt/config must list what the tests need, as the kernel
# that runs all of them in make check (the jl kernel) has it: an option the
# fragment names must be set the same there, so that "make kselftest-merge"
# gives a kernel that can run them.
top=$(cd "$(dirname "$0")/../.." && pwd)
config=${BUILD:-$top/build}/obj-jl/.config
if [ ! -f "$config" ]; then
	echo "not ok 1 kselftest config: no $config (make KFLAVOR=jl kernel)"
	echo "1..1"
	exit 1
fi
n=0 missing=()
while IFS= read -r line; do
	case "$line" in CONFIG_*=*) ;; *) continue ;; esac
	n=$((n + 1))
	grep -qx "$line" "$config" || missing+=("$line")
done <"$top/selftests/paravirt/config"
if [ ${#missing[@]} = 0 ] && [ $n -gt 0 ]; then
	echo "ok 1 kselftest config: the jl kernel has all $n options of selftests/paravirt/config"
else
	echo "not ok 1 kselftest config: the jl kernel lacks ${missing[*]:-every option (empty fragment)}"
fi
echo "1..1"
[ ${#missing[@]} = 0 ] && [ $n -gt 0 ]
