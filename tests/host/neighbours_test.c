// SPDX-License-Identifier: GPL-2.0
/*
 * The governor among neighbours: the scenarios of tools/pvsim/scenario.c
 * (max-min fair hosts per thread and per VM, lagging, noisy and bursty
 * steal, neighbours that are not governed, work left on marked vCPUs,
 * hosts that change), each over PVSIM_SEEDS seeds (20 by default; the long
 * run: PVSIM_SEEDS=400). Every limit is the worst case over the seeds,
 * with its measured value next to it. The scenarios the law does not hold
 * yet (see "Among neighbours" in Documentation/pvsteal.rst) are in the
 * simulator's table, not here.
 */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "../../tools/pvsim/scenario.h"

static unsigned int seeds = 20;

/* The worst over the seeds of each figure of one scenario. */
struct worst {
	unsigned int changes, active_min, active_max;
	double got, useful, steal;
	int react;
};

static const struct pvs_scenario *find(const char *name)
{
	for (unsigned int i = 0; i < pvs_nscenarios; i++)
		if (!strcmp(pvs_scenarios[i].name, name))
			return &pvs_scenarios[i];
	printf("# no scenario \"%s\"\n", name);
	exit(2);
}

static struct worst run(const char *name)
{
	const struct pvs_scenario *sc = find(name);
	struct worst w = { 0, ~0U, 0, 1e9, 1e9, 0, 0 };

	for (unsigned int s = 1; s <= seeds; s++) {
		struct pvs_result r;

		pvs_run(sc, PVP_LAW_OURS, s, &r);
		if (r.max_changes > w.changes)
			w.changes = r.max_changes;
		if (r.active_end < w.active_min)
			w.active_min = r.active_end;
		if (r.active_end > w.active_max)
			w.active_max = r.active_end;
		if (r.got_min < w.got)
			w.got = r.got_min;
		if (r.useful < w.useful)
			w.useful = r.useful;
		if (r.steal > w.steal)
			w.steal = r.steal;
		if (r.react_max > w.react)
			w.react = r.react_max;
	}
	return w;
}

static void smt_pairs_fold_whole_without_overshoot(void)
{
	/*
	 * 6 active (3 pairs) on 5 CPUs, not 4; before, 31 changes (8 -> 4 -> 8).
	 * Worst over 20 seeds: 3 changes. Over 400 (PVSIM_SEEDS=400) some
	 * seeds still reach 6 changes or end unfolded at 8: a burst of noise
	 * after the fold lets the probe see room.
	 */
	struct worst w = run("8 vCPUs in SMT pairs on 5 CPUs");

	EXPECT(w.active_min == 6 && w.active_max == 6, "%u-%u active at the end, want 6",
	       w.active_min, w.active_max);
	EXPECT(w.changes <= 4, "%u changes in 100 periods", w.changes);
}

static void per_vm_hosts_fold_without_ceding(void)
{
	/* Worst over 20 seeds: got 0.97-0.99, useful work 1.39x-4.6x. */
	static const char *const names[] = {
		"8 x 16 vCPUs on 32 CPUs, per VM",
		"100 x 64 vCPUs on 1024 CPUs, per VM",
		"8 x 16 on 32, half governed, per VM",
	};

	for (unsigned int i = 0; i < 3; i++) {
		struct worst w = run(names[i]);

		EXPECT(w.got >= 0.90, "%s: a guest got %.2f of ungoverned", names[i], w.got);
		EXPECT(w.useful >= 1.3, "%s: useful work %.2fx", names[i], w.useful);
	}
}

int main(void)
{
	const char *env = getenv("PVSIM_SEEDS");

	if (env && atoi(env) > 0)
		seeds = (unsigned int)atoi(env);
	printf("TAP version 13\n# %u seeds\n", seeds);
	TAP_RUN(smt_pairs_fold_whole_without_overshoot);
	TAP_RUN(per_vm_hosts_fold_without_ceding);
	return tap_done();
}
