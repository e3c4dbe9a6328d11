#!/bin/bash
# Interrupt windows in the scheduler are real windows on the kernels users
# run. Without lockdep's irqflags tracing, local_irq_enable() followed by
# local_irq_disable() compiles to "sti; cli" on x86, and the STI shadow
# holds interrupts off until the instruction after the sti has run: no
# interrupt gets in. Checks every object of kernel/sched/ of the plain
# kernel (no lockdep; "make check" builds those objects) for an sti whose
# next instruction is a cli.
top=$(cd "$(dirname "$0")/../.." && pwd)
obj=${BUILD:-$top/build}/obj-plain/kernel/sched
n=0 bad=0
shopt -s nullglob
objs=("$obj"/*.o)
if [ ${#objs[@]} = 0 ]; then
	echo "not ok 1 kernel/sched objects of the plain kernel exist ($obj)"
	echo "1..1"
	exit 1
fi
for o in "${objs[@]}"; do
	n=$((n + 1))
	# One line per zero-width window ("function+offset"), then the number
	# of sti instructions seen.
	out=$(objdump -d --no-show-raw-insn "$o" | awk '
		/^[0-9a-f]+ <.*>:$/ { fn = $2; gsub(/[<>:]/, "", fn); prev = ""; next }
		/^ *[0-9a-f]+:\t/ {
			split($0, f, "\t"); insn = f[2]; sub(/ .*/, "", insn)
			if (prev == "sti" && insn == "cli")
				printf "%s+0x%s\n", fn, addr
			sti += insn == "sti"
			prev = insn; addr = f[1]; sub(/:$/, "", addr); gsub(/ /, "", addr)
		}
		END { print sti + 0 }')
	sti=${out##*$'\n'}
	out=$(sed '$d' <<<"$out")
	if [ -z "$out" ]; then
		echo "ok $n no sti directly followed by cli in $(basename "$o") ($sti sti)"
	else
		echo "not ok $n no sti directly followed by cli in $(basename "$o")"
		sed 's/^/# sti; cli at the sti of /' <<<"$out"
		bad=1
	fi
done
echo "1..$n"
exit $bad
