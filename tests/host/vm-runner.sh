#!/bin/bash
# tools/vm/vm returns the command's status, and fails a run whose guest kernel
# log reports a problem, or that overruns its time limit.
top=$(cd "$(dirname "$0")/../.." && pwd)
vm="$top/tools/vm/vm"
n=0 bad=0
check() { # check WANT DESCRIPTION -- VM ARGS...
	local want=$1 desc=$2 got
	shift 3
	n=$((n + 1))
	"$vm" -q -c 2 "$@" >/dev/null 2>&1
	got=$?
	if [ "$got" = "$want" ]; then
		echo "ok $n vm: $desc"
	else
		echo "not ok $n vm: $desc (status $got, want $want)"
		bad=1
	fi
}
check 0 "a command that succeeds returns 0" -- -t 120 -- true
check 7 "the command's exit status comes back" -- -t 120 -- sh -c 'exit 7'
check 125 "a WARNING in the guest kernel log fails the run" -- -t 120 -- \
	sh -c 'echo "WARNING: CPU: 0 PID: 1 at test" >/dev/kmsg'
# 300 KiB of log after the warning: more than the default 128 KiB ring
# buffer, which would have lost it (printk.devkmsg=on: no rate limit).
# (The guest's command is one line: the runner passes it on the kernel
# command line.)
fill='line=$(printf "%0100d" 0); i=0; while [ $i -lt 3000 ]; do echo "filler $i $line" >/dev/kmsg; i=$((i + 1)); done'
check 125 "a WARNING followed by 300 KiB of kernel log still fails the run" -- -t 120 \
	-e printk.devkmsg=on -- sh -c "echo 'WARNING: CPU: 0 PID: 1 at test' >/dev/kmsg; $fill"
check 125 "a UBSAN report in the guest kernel log fails the run" -- -t 120 -- \
	sh -c 'echo "UBSAN: shift-out-of-bounds in kernel/sched/test.c:1:2" >/dev/kmsg'
check 124 "a guest that overruns --timeout fails the run" -- -t 25 -- sleep 600
check 2 "a bad option is refused before booting" -- --cpus zero -- true
check 2 "a bad --port is refused before booting" -- --port nopath -- true
check 2 "a --disk that is no image file is refused before booting" -- --disk /nonexistent.img -- true
check 0 "single-threaded TCG (-a tcg1) boots" -- -a tcg1 -t 120 -- true
check 2 "--icount with multi-threaded TCG is refused before booting" -- -I 0 -a tcg -- true
# With -I the guest's clock follows the instructions it runs and skips idle
# time: a 600 s sleep in the guest ends well within 200 s of the host's.
check 0 "-I 0 boots, and the guest's idle time passes without the host waiting" -- -I 0 -t 200 -- sleep 600
check 2 "--nodes that do not split the CPUs evenly are refused" -- --nodes 3 -- true
check 0 "two NUMA nodes boot, one CPU each, with a clean kernel log" -- -n 2 -t 120 -- \
	sh -c '[ "$(cat /sys/devices/system/node/node1/cpulist)" = 1 ]'
# -q shows the command's output, including what it writes by reopening
# /dev/stdout (as run_kselftest.sh does), and keeps the console in the log.
tmp=$(mktemp -d)
n=$((n + 1))
"$vm" -q -c 2 -t 120 -l "$tmp/console" -- sh -c \
	'echo out-1; echo err-2 >&2; echo dev-3 >>/dev/stdout; echo out-4; echo "<3>kmsg-5" >/dev/kmsg' \
	>"$tmp/out" 2>/dev/null
if [ "$(tr '\n' ' ' <"$tmp/out")" = "out-1 err-2 dev-3 out-4 " ] &&
   grep -q kmsg-5 "$tmp/console"; then
	echo "ok $n vm: -q shows the command's output in order, and only that; the console is in the log"
else
	echo "not ok $n vm: -q output: '$(tr '\n' ' ' <"$tmp/out" | cut -c1-200)'"
	bad=1
fi
rm -rf "$tmp"
# A line written into the host side of a --port arrives in the guest.
tmp=$(mktemp -d)
mkfifo "$tmp/p.in" "$tmp/p.out"
(sleep 1; echo hello-port >"$tmp/p.in") &
check 0 "a --port carries a line from the host into the guest" -- -t 120 -p "test=$tmp/p" -- \
	sh -c 'd=$(grep -l "^test$" /sys/class/virtio-ports/*/name) && read -r l <"/dev/$(basename "$(dirname "$d")")" && [ "$l" = hello-port ]'
wait
rm -rf "$tmp"
echo "1..$n"
exit $bad
