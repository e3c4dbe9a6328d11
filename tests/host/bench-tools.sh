#!/bin/bash
# The benchmark tools without guests: tools/bench/zerocost -t summarises a
# run from its runs.csv over the complete pairs only (a stopped run's last
# pair left out) with the ratio the boots would give, and the tools refuse
# bad input with a message and status 2, or 1 when there is nothing to read;
# tools/bench/bench -t gives busy-auto's cells as ratios to busy-none;
# tools/bench/bench -A -t gives the applications' cells (throughput and
# times as speed, latency as measured) and refuses set-ups they do not run.
top=$(cd "$(dirname "$0")/../.." && pwd)
zc=$top/tools/bench/zerocost kf=$top/tools/bench/keyflip tc=$top/tools/bench/tickcost bench=$top/tools/bench/bench
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
for args in "-c 1" "-c 17" "-n -1" "-n 2001" "-r 0" "extra"; do
	out=$("$tc" $args 2>&1); rc=$?
	[ $rc = 2 ] && grep -q "error:" <<<"$out"; ok $? "tickcost $args: usage error (status $rc)"
done
# Three repetitions: busy host threads halve none; auto beside them 0.8x of that.
mkdir -p "$tmp/b/guest"
for r in 1 2 3; do
	for m in "none 2.0 100 100 1000" "busy-none 4.0 50 200 2000" "busy-auto 5.0 40 200 2000"; do
		read -r s h o p50 p99 <<<"$m"
		echo "$r $s hackbench_s $h"; echo "$r $s stress_ops $o"
		echo "$r $s lat_p50_us $p50"; echo "$r $s lat_p99_us $p99"
	done
done >"$tmp/b/guest/results.txt"
echo "evac evac_us 1000 2000 3000 offline_us 4000 5000 6000" >>"$tmp/b/guest/results.txt"
printf 'time,phase,steal,mask\n1000,timeline-off,50,0\n2000,timeline-auto,10,2\n' >"$tmp/b/guest/agent.csv"
printf 'time,rate\n1000,5\n2000,6\n' >"$tmp/b/guest/meter.csv"
out=$("$bench" -t -o "$tmp/b" 2>&1); rc=$?
[ $rc = 0 ] && grep -q '^| busy-none | 0.50 / 0.50 / 0.50 | 0.50 / 0.50 / 0.50 |' <<<"$out" &&
	grep -q '^| busy-auto (to busy-none) | 0.80 / 0.80 / 0.80 | 0.80 / 0.80 / 0.80 | 1.00 / 1.00 / 1.00 |' <<<"$out"
ok $? "bench -t: busy-none to none, busy-auto to busy-none (status $rc)"
for args in "-S 'static auto'" "-S 'none busy-auto'" "-S 'none nosuch'" "-r 0"; do
	out=$(eval "\"\$bench\" $args" 2>&1); rc=$?
	[ $rc = 2 ] && grep -q "error:" <<<"$out"; ok $? "bench $args: usage error (status $rc)"
done
# Applications: static 1.5x the throughput and a build 2x as fast, latency
# two thirds; right-sized against the main guest's none of the same repetition.
mkdir -p "$tmp/a/guest" "$tmp/a/right-sized"
for r in 1 2 3; do
	for m in "none 100 3000 20" "static 150 2000 10" "auto 100 3000 20"; do
		read -r s tps p99 b <<<"$m"
		echo "$r $s pg_tpcb_tps $tps"; echo "$r $s pg_tpcb_p99_us $p99"; echo "$r $s build_s $b"
	done
done >"$tmp/a/guest/results.txt"
for r in 1 2 3; do echo "$r right-sized build_s 16"; done >"$tmp/a/right-sized/results.txt"
out=$("$bench" -A -t -o "$tmp/a" 2>&1); rc=$?
[ $rc = 0 ] && grep -q '^static,pg_tpcb_tps,1.500,1.500,1.500$' "$tmp/a.csv" &&
	grep -q '^static,pg_tpcb_p99_us,0.667,0.667,0.667$' "$tmp/a.csv" &&
	grep -q '^static,build_s,2.000,2.000,2.000$' "$tmp/a.csv" &&
	grep -q '^right-sized,build_s,1.250,1.250,1.250$' "$tmp/a.csv" &&
	grep -q '^| PostgreSQL TPC-B, tps | 100 | 1.50 / 1.50 / 1.50 | 1.00 / 1.00 / 1.00 |' <<<"$out" &&
	[ -s "$tmp/a/apps-throughput.png" ] && [ -s "$tmp/a/apps-latency.png" ]
ok $? "bench -A -t: the applications' ratios, times as speed, right-sized to the main guest's none (status $rc)"
grep -v ' none ' "$tmp/a/guest/results.txt" >"$tmp/a/r" && mv "$tmp/a/r" "$tmp/a/guest/results.txt"
out=$("$bench" -A -t -o "$tmp/a" 2>&1); rc=$?
[ $rc = 1 ] && grep -q "no set-up none" <<<"$out"; ok $? "bench -A -t without none says so (status $rc)"
for args in "-A -S 'none taskset'" "-A -b 2" "-A -s"; do
	out=$(eval "\"\$bench\" $args" 2>&1); rc=$?
	[ $rc = 2 ] && grep -q "error:" <<<"$out"; ok $? "bench $args: usage error (status $rc)"
done
echo "1..$n"
