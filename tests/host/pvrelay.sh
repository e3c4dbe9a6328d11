#!/bin/bash
# pvrelay against a fake QEMU: two "CPU n/TCG" threads spinning on one host
# CPU each wait about half the time, so the steal pvrelay reports, in its
# CSV and on its output FIFO, must be near 50%; and its errors.
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
relay=$build/tools/pvrelay fake=$build/tests/fake_vcpus
n=0
tmp=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n pvrelay: $2"; else echo "not ok $n pvrelay: $2"; fi; }

out=$("$relay" -p 999999999 2>&1); rc=$?
[ $rc = 1 ] && grep -q "no process" <<<"$out"; ok $? "says when the process does not exist (status $rc)"
out=$("$relay" -p $$ -i 5 2>&1); rc=$?
[ $rc = 1 ] && grep -q "period" <<<"$out"; ok $? "rejects a 5 ms period (status $rc)"
out=$(timeout 40 "$relay" -p $$ 2>&1); rc=$?
[ $rc = 1 ] && grep -q "no 'CPU n/...' threads" <<<"$out"; ok $? "says when the process has no vCPU threads (status $rc)"

# The second thread names itself 300 ms after the first, as QEMU's do.
taskset -c 0 "$fake" 2 4 300 &
fake_pid=$!
mkfifo "$tmp/out"
cat "$tmp/out" >"$tmp/lines" &
"$relay" -p $fake_pid -n 2 -i 200 -o "$tmp/out" -l "$tmp/steal.csv" 2>/dev/null
rc=$?
wait $fake_pid
# The first and last periods may be partial: judge the middle ones.
# Both vCPUs from the first period: 3 fields on every line but the header.
[ "$(awk -F, 'NR > 1 && NF != 3' "$tmp/steal.csv" | wc -l)" = 0 ]
ok $? "relays every vCPU, also one that names itself late"
mean=$(awk -F, 'NR > 3 && NF == 3 { s += $2 + $3; k += 2 } END { if (k) printf "%d", s / k; else print -1 }' \
	"$tmp/steal.csv")
[ $rc = 0 ] && [ "$mean" -ge 35 ] && [ "$mean" -le 75 ]
ok $? "two vCPU threads sharing one CPU: mean steal $mean% (35-75 expected; 50 on an idle host)"
sleep 0.2
lines=$(grep -cE '^[01] \+[0-9]+$' "$tmp/lines")
# 2 threads sharing a CPU for 200 ms periods: about 100000 us each.
mean_us=$(awk '{ s += substr($2, 2); k++ } END { if (k) printf "%d", s / k; else print -1 }' "$tmp/lines")
[ "$lines" -ge 20 ] && ! grep -vqE '^[01] \+[0-9]+$' "$tmp/lines" &&
	[ "$mean_us" -ge 50000 ] && [ "$mean_us" -le 160000 ]
ok $? "writes a \"CPU +USEC\" line per vCPU and period ($lines lines, mean $mean_us us of 200000)"

"$fake" 2 15 &
fp=$!
out=$("$relay" -p $fp -n 3 -i 200 2>&1); rc=$?
kill $fp; wait $fp 2>/dev/null
[ $rc = 1 ] && grep -q "2 of 3 vCPU threads" <<<"$out"; ok $? "fails when -n vCPU threads do not appear (status $rc)"
