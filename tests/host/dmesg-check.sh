#!/bin/bash
# tools/vm/dmesg-check must fail a run on real kernel reports and only on those.
top=$(cd "$(dirname "$0")/../.." && pwd)
n=0 bad=0
tmp=$(mktemp); trap 'rm -f "$tmp"' EXIT
check() { # check WANT_STATUS DESCRIPTION LINE
	n=$((n + 1))
	printf '%s\n' "[    1.000000] booting" "$3" "[    2.000000] done" >"$tmp"
	"$top/tools/vm/dmesg-check" "$tmp" >/dev/null
	if [ $? = "$1" ]; then echo "ok $n dmesg-check: $2"; else echo "not ok $n dmesg-check: $2"; bad=1; fi
}
check 0 "benign lockdep banner passes" "[    0.000000] RCU lockdep checking is enabled."
check 0 "MAX_LOCKDEP_KEYS line passes" "[    0.000000] ... MAX_LOCKDEP_KEYS:        8192"
check 0 "clean boot passes" "[    1.500000] pvsteal: loaded"
check 1 "WARNING fails" "[    3.1] WARNING: CPU: 1 PID: 7 at kernel/sched/core.c:100 foo+0x1/0x2"
check 1 "BUG fails" "[    3.1] BUG: sleeping function called from invalid context at mm/slub.c:1"
check 1 "lockdep circular dependency fails" "[    3.1] WARNING: possible circular locking dependency detected"
check 1 "inconsistent lock state fails" "[    3.1] inconsistent lock state"
check 1 "RCU stall fails" "[    3.1] rcu: INFO: rcu_preempt self-detected stall on CPU"
check 1 "soft lockup fails" "[    3.1] watchdog: BUG: soft lockup - CPU#1 stuck for 22s!"
check 1 "hung task fails" "[    3.1] INFO: task kworker/1:1:30 blocked for more than 60 seconds."
check 1 "panic fails" "[    3.1] Kernel panic - not syncing: Fatal exception"
echo "1..$n"
exit $bad
