#!/bin/bash
# Mutation testing of the policy and of the host's coordinator: each mutant
# below changes one rule of kernel/pvsteal/policy.c or tools/pvhostd/coord.c;
# the host tests (policy_test, neighbours_test, coord_test) must fail
# against every one of them. A mutant that survives names a rule no test
# holds the law to.
#
# Each line: a name, then a sed expression that must change the file.
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/kernel/pvsteal" "$tmp/tools/pvsim" "$tmp/tools/pvhostd" "$tmp/tests/host"
cp "$top"/kernel/pvsteal/policy.[ch] "$tmp/kernel/pvsteal/"
cp "$top"/tools/pvsim/*.[ch] "$tmp/tools/pvsim/"
cp "$top"/tools/pvhostd/coord.[ch] "$tmp/tools/pvhostd/"
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
	"one probe reading unfolds|s@s->probe_low >= s->probe_need) {@s->probe_low >= 1) {@"
	"an unstolen probe does not unfold all|s@	if (s_probe \* 2 < k->low_pct) {@	if (0) {@"
	"probe readings below low_pct never unfold all|s@} else if (s->probe_low >= s->probe_need) {@} else if (0) {@"
	"no backoff of the probes after a refold|s@s->probe_need = umin(2 \* s->probe_need, PVP_PROBE_NEED_MAX);@;@"
	"the probes' backoff never ends|s@^				s->probe_need = PVP_PROBE_NEED;@;@"
	"unstolen probes right after a fold unfold all|s@target = recent(s, s->fold_at) ? s->fold_from : s->ncpus;@target = s->ncpus;@"
	"a fold that folded nothing counts|s@if (!fold(s, k, online, t->active, (unsigned int)target, 0))@if (!fold(s, k, online, t->active, (unsigned int)target, 0) \&\& 0)@"
	"upstream divides by unmarked CPUs|s@unsigned int cpus = t->active + t->marked;@unsigned int cpus = t->active;@"
	"the host's hint never lapses|s@		s->hint_left--;@		;@"
	"the host's hint rounds down|s@(s->hint_mcpu + 999 - PVP_HINT_ROUND) / 1000@s->hint_mcpu / 1000@"
)
coord_mutants=(
	"caps shrink at once|s@		if (g->lower)@		if (1)@"
	"no holdback for a greedy neighbour|s@			h->holdback = 1;@			;@"
	"per-VM weights ignored|s@wsum += h->per_vm ? g\[i\].weight : g\[i\].vcpus;@wsum += g[i].vcpus;@"
	"no margin for a guest with room|s@return umin(all, wanted + (wanted / 4 > PVC_MARGIN ? wanted / 4 : PVC_MARGIN));@return wanted;@"
	"busy parts not rounded to whole CPUs|s@frac \* 20 <= g->fill@0@"
	"a reported runnable count is ignored|s@		if (g->runnable < 0)@		if (1)@"
	"a cap with trailing junk parses|s@parse_numbers(line, \"cap\", v, 3, \&rest) || \*rest ||@parse_numbers(line, \"cap\", v, 3, \&rest) ||@"
)

n=0 bad=0
for m in "${mutants[@]}" "${coord_mutants[@]/#/coord:}"; do
	file=kernel/pvsteal/policy.c
	case "$m" in coord:*) file=tools/pvhostd/coord.c m=${m#coord:} ;; esac
	name=${m%%|*} expr=${m#*|}
	n=$((n + 1))
	cp "$top"/kernel/pvsteal/policy.c "$tmp/kernel/pvsteal/"
	cp "$top"/tools/pvhostd/coord.c "$tmp/tools/pvhostd/"
	sed "$expr" "$top/$file" >"$tmp/$file"
	if cmp -s "$top/$file" "$tmp/$file"; then
		echo "not ok $n mutant: $name: the expression changes nothing ($file moved on?)"
		bad=1
		continue
	fi
	killed=
	# The tests that can see the file's rules: policy_test does not run the
	# coordinator, coord_test does not run the policy.
	tests="policy_test neighbours_test"
	[ "$file" = kernel/pvsteal/policy.c ] || tests="coord_test neighbours_test"
	for t in $tests; do
		if ! gcc -O2 -w -o "$tmp/$t" "$tmp/tests/host/$t.c" "$tmp/kernel/pvsteal/policy.c" \
			"$tmp/tools/pvhostd/coord.c" "$tmp/tools/pvsim/model.c" \
			"$tmp/tools/pvsim/scenario.c" -lm 2>"$tmp/cc.log"; then
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
