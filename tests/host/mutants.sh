#!/bin/bash
# Mutation testing of the policy: each mutant below changes one rule of
# kernel/pvsteal/policy.c; the host tests (policy_test, neighbours_test)
# must fail against every one of them. A mutant that survives names a rule
# no test holds the law to.
#
# Each line: a name, then a sed expression that must change policy.c.
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/kernel/pvsteal" "$tmp/tools/pvsim" "$tmp/tests/host"
cp "$top"/kernel/pvsteal/policy.h "$tmp/kernel/pvsteal/"
cp "$top"/tools/pvsim/*.[ch] "$tmp/tools/pvsim/"
cp "$top"/tests/host/*_test.c "$top"/tests/host/tap.h "$tmp/tests/host/"

mutants=(
	"probe budget not shared|s@budget /= s->nprobe;@;@"
	"no wait after a change|s@s->period - s->last_change < 2@0@"
	"folds a guest that wants next to nothing|s@t->a_want >= PVP_MIN_WANT \&\&@@"
	"a group that wants nothing is hot|s@s->g_want\[g\] < PVP_MIN_GROUP_WANT ||@@"
	"fold on steal at high_pct|s@t->a_steal \* 100 > (unsigned long long)k->high_pct@t->a_steal * 100 >= (unsigned long long)k->high_pct@"
	"fold on one contended period|s@		if (!s->hot_cap) {@		if (0) {@"
	"SMT groups overshoot the target|s@ || active - cpus < target)@)@"
	"no judging of a change|s@if (++s->check_n == 2 \&\& judge(s, k, online))@if (0)@"
	"a ceded fold is not undone|s@	    s->steal_after <= k->high_pct) {@	    1) {@"
	"no backoff after a ceded fold|s@^	s->fold_block = s->period + s->fold_backoff;@	;@"
	"kworkers on marked CPUs count as probes|s@(steal + busy) \* 2 < probe_want)@0)@"
	"one probe reading unfolds|s@	return avg ? (s->probe_pct - 1) / 100 : k->low_pct;@	return s_probe;@"
	"an unstolen probe does not unfold all|s@	if (probe_reading(s, k, s_probe) < k->low_pct) {@	if (probe_reading(s, k, s_probe) < 0) {@"
	"upstream divides by unmarked CPUs|s@unsigned int cpus = t->active + t->marked;@unsigned int cpus = t->active;@"
)

n=0 bad=0
for m in "${mutants[@]}"; do
	name=${m%%|*} expr=${m#*|}
	n=$((n + 1))
	sed "$expr" "$top/kernel/pvsteal/policy.c" >"$tmp/kernel/pvsteal/policy.c"
	if cmp -s "$top/kernel/pvsteal/policy.c" "$tmp/kernel/pvsteal/policy.c"; then
		echo "not ok $n mutant: $name: the expression changes nothing (policy.c moved on?)"
		bad=1
		continue
	fi
	killed=
	for t in policy_test neighbours_test; do
		if ! gcc -O2 -w -o "$tmp/$t" "$tmp/tests/host/$t.c" "$tmp/kernel/pvsteal/policy.c" \
			"$tmp/tools/pvsim/model.c" "$tmp/tools/pvsim/scenario.c" -lm 2>"$tmp/cc.log"; then
			echo "not ok $n mutant: $name: does not compile"; cat "$tmp/cc.log" | sed 's/^/# /'
			bad=1 killed=cc
			break
		fi
		if ! "$tmp/$t" >"$tmp/$t.log" 2>&1; then
			killed="$t: $(grep -m1 '^not ok' "$tmp/$t.log")"
			break
		fi
	done
	case "$killed" in
	cc) ;;
	"") echo "not ok $n mutant: $name: survives the host tests"; bad=1 ;;
	*) echo "ok $n mutant: $name: killed by $killed" ;;
	esac
done
echo "1..$n"
exit $bad
