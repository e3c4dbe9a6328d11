#!/bin/bash
# The benchmark tools without guests: tools/bench/zerocost -t summarises a
# run from its runs.csv over the complete pairs only (a stopped run's last
# pair left out) with the ratio the boots would give, and the tools refuse
# bad input with a message and status 2, or 1 when there is nothing to read.
top=$(cd "$(dirname "$0")/../.." && pwd)
zc=$top/tools/bench/zerocost kf=$top/tools/bench/keyflip
n=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n bench tools: $2"; else echo "not ok $n bench tools: $2"; fi; }

# Two complete pairs, patched 10% slower in each, and half of a third.
{
	echo "pair,kernel,run,seconds"
	for r in 1 2; do echo "1,patched,$r,1.1"; echo "1,unpatched,$r,1.0"; done
	for r in 1 2; do echo "2,unpatched,$r,2.0"; echo "2,patched,$r,2.2"; done
	echo "3,patched,1,9.0"
} >"$tmp/runs.csv"
out=$("$zc" -t -o "$tmp" 2>&1); rc=$?
[ $rc = 0 ] && grep -q "2 pairs of boots, 2 hackbench runs" <<<"$out" &&
	grep -q "per-pair ratios 1.1000, 95% bootstrap interval 1.1000-1.1000" <<<"$out" &&
	! grep -q "^3," "$tmp/runs.csv" && [ -s "$tmp/summary.txt" ]
ok $? "zerocost -t: the ratio of the complete pairs, the incomplete one left out (status $rc)"

mkdir "$tmp/empty"
out=$("$zc" -t -o "$tmp/empty" 2>&1); rc=$?
[ $rc = 1 ] && grep -q "no .*runs.csv" <<<"$out"; ok $? "zerocost -t without runs.csv says so (status $rc)"
echo "pair,kernel,run,seconds" >"$tmp/empty/runs.csv"
echo "1,patched,1,1.0" >>"$tmp/empty/runs.csv"
out=$("$zc" -t -o "$tmp/empty" 2>&1); rc=$?
[ $rc = 1 ] && grep -q "no complete pair" <<<"$out"; ok $? "zerocost -t with no complete pair says so (status $rc)"
for args in "-n 0" "-c debug" "-m fast" "extra"; do
	out=$("$zc" $args 2>&1); rc=$?
	[ $rc = 2 ] && grep -q "error:" <<<"$out"; ok $? "zerocost $args: usage error (status $rc)"
done
for args in "-c 3" "-c 65" "-n x" "extra"; do
	out=$("$kf" $args 2>&1); rc=$?
	[ $rc = 2 ] && grep -q "error:" <<<"$out"; ok $? "keyflip $args: usage error (status $rc)"
done
echo "1..$n"
