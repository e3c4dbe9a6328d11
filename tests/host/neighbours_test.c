// SPDX-License-Identifier: GPL-2.0
/*
 * The governor among neighbours: the scenarios of tools/pvsim/scenario.c
 * (max-min fair hosts per thread and per VM, lagging, noisy and bursty
 * steal, neighbours that are not governed, work left on marked vCPUs,
 * hosts that change), each over PVSIM_SEEDS seeds (20 by default; the long
 * run: PVSIM_SEEDS=400, figures in Documentation/pvsteal.rst). Each limit
 * is the worst case over the seeds, or the share of seeds past a limit,
 * with the law's worst over 20 seeds and the previous law's next to it.
 */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "../../tools/pvsim/scenario.h"

static unsigned int seeds = 20;

/* The worst over the seeds of each figure of one scenario. */
struct worst {
	unsigned int changes, active_min, active_max;
	double got, useful, steal, jain;
	int react;
	unsigned int steal_over_5;	/* seeds with more than 5% steal */
	unsigned int over3, phases;	/* guest phases with more than 3 changes, of all */
};

static const struct pvs_scenario *find(const char *name)
{
	for (unsigned int i = 0; i < pvs_nscenarios; i++)
		if (!strcmp(pvs_scenarios[i].name, name))
			return &pvs_scenarios[i];
	printf("# no scenario \"%s\"\n", name);
	exit(2);
}

/* Percent of the governed guests' phases with more than 3 changes. */
static double over3_pct(const struct worst *w)
{
	return w->phases ? 100.0 * w->over3 / w->phases : 0;
}

static struct worst run_law(const char *name, int law)
{
	const struct pvs_scenario *sc = find(name);
	struct worst w = { 0, ~0U, 0, 1e9, 1e9, 0, 1e9, 0, 0, 0, 0 };

	for (unsigned int s = 1; s <= seeds; s++) {
		struct pvs_result r;

		pvs_run(sc, law, s, &r);
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
		if (r.jain_min < w.jain)
			w.jain = r.jain_min;
		w.steal_over_5 += r.steal > 5;
		w.over3 += r.over3;
		w.phases += r.phases;
		if (r.react_max > w.react)
			w.react = r.react_max;
	}
	printf("# %s, law %s: worst of %u seeds: %u changes in a phase (more than 3 in %.1f%%), got %.2f, Jain %.2f, useful %.2f, steal %.0f%% (%u seeds above 5%%), react %d, %u-%u active at the end\n",
	       name, law == PVP_LAW_HOST ? "host" : "ours", seeds, w.changes, over3_pct(&w),
	       w.got, w.jain, w.useful, w.steal, w.steal_over_5, w.react, w.active_min,
	       w.active_max);
	return w;
}

static struct worst run(const char *name)
{
	return run_law(name, PVP_LAW_OURS);
}

static void never_cedes_to_neighbours_that_are_not_governed(void)
{
	/*
	 * Worst over 20 seeds 0.97-0.99; before the ceding check 0.38-0.65.
	 * Changes in a phase: a fold that ceded and its undoing (before: 1-2
	 * and no undoing); the neighbour that arrives when the guest has
	 * folded on its own makes it fold further first.
	 */
	static const struct { const char *name; unsigned int changes; } c[] = {
		{ "8 vCPUs, 4 CPUs of work, busy 4-thread neighbour, 4 CPUs", 2 },
		{ "4 vCPUs, busy 6-thread neighbour, 2 CPUs", 2 },
		{ "8 busy vCPUs, busy 4-thread neighbour, 4 CPUs", 2 },
		{ "8 busy vCPUs on 4 CPUs, then a busy 4-thread neighbour", 3 },
		{ "8 x 16 on 32, half governed, per thread", 2 },
	};

	for (unsigned int i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct worst w = run(c[i].name);

		EXPECT(w.got >= 0.95, "%s: a guest got %.2f of its CPU time ungoverned",
		       c[i].name, w.got);
		EXPECT(w.changes <= c[i].changes, "%s: %u changes in a phase", c[i].name,
		       w.changes);
	}
}

static void smt_pairs_fold_whole_without_overshoot(void)
{
	/*
	 * 6 active (3 pairs) on 5 CPUs, not 4. Worst over 20 seeds: 3
	 * changes in 100 periods (a burst of noise folds a pair more, and
	 * that is undone); 4 when probes that ran unstolen right after that
	 * fold unfolded all rather than undid it; before: 31 (8 -> 4 -> 8).
	 */
	struct worst w = run("8 vCPUs in SMT pairs on 5 CPUs");

	EXPECT(w.active_min == 6 && w.active_max == 6, "%u-%u active at the end, want 6",
	       w.active_min, w.active_max);
	EXPECT(w.changes <= 3, "%u changes in 100 periods", w.changes);
}

static void work_left_on_marked_vcpus_is_not_a_probe(void)
{
	/*
	 * 2 ms/s on every marked vCPU: settles within a vCPU or two of the
	 * host's size, worst 8-9 of 8 and 31-34 of 32, at most 13% steal
	 * over the run (the fold itself included); before: 5, 10 and 43
	 * active, 28-34%.
	 */
	static const struct { const char *name; unsigned int cpus; } c[] = {
		{ "8 vCPUs on 4 CPUs, 2 ms/s left on marked vCPUs", 4 },
		{ "16 vCPUs on 8 CPUs, 2 ms/s left on marked vCPUs", 8 },
		{ "64 vCPUs on 32 CPUs, 2 ms/s left on marked vCPUs", 32 },
	};

	for (unsigned int i = 0; i < 3; i++) {
		struct worst w = run(c[i].name);

		EXPECT(w.active_max <= c[i].cpus + 2 && w.active_min + 1 >= c[i].cpus,
		       "%s: %u-%u active at the end", c[i].name, w.active_min, w.active_max);
		EXPECT(w.steal <= 15, "%s: %.0f%% steal", c[i].name, w.steal);
	}
}

static void follows_a_host_that_shrinks_and_grows(void)
{
	/*
	 * 8 -> 4 -> 2 -> 8 CPUs: the first change within 3 periods of each
	 * step, the guest's CPU time at least 0.95 of ungoverned (worst
	 * 0.97-0.99), and at most 5% steal over the run in 19 seeds of 20
	 * (one noisy seed folds a vCPU short of the host and stays at 21%);
	 * before, folded at 4 on 2 CPUs: 9-11% in every seed.
	 */
	static const char *const names[] = {
		"8 vCPUs, host 8 -> 4 -> 2 -> 8 CPUs, exact",
		"8 vCPUs, host 8 -> 4 -> 2 -> 8 CPUs, lag",
		"8 vCPUs, host 8 -> 4 -> 2 -> 8 CPUs",
	};

	for (unsigned int i = 0; i < 3; i++) {
		struct worst w = run(names[i]);

		EXPECT(w.steal_over_5 * 20 <= seeds, "%s: %u of %u seeds above 5%% steal (worst %.1f%%)",
		       names[i], w.steal_over_5, seeds, w.steal);
		EXPECT(w.react <= 3, "%s: %d periods to react", names[i], w.react);
		EXPECT(w.got >= 0.95, "%s: got %.2f of ungoverned", names[i], w.got);
		EXPECT(w.active_min == 8, "%s: %u active on 8 CPUs at the end", names[i],
		       w.active_min);
	}
}

static void per_vm_hosts_fold_without_ceding(void)
{
	/*
	 * Worst over 20 seeds: got 0.98-0.99, useful work 1.36x-4.82x of
	 * ungoverned, 6-7 changes in a phase of 60 periods, more than 3 in
	 * 3.4-4.4% of the guests' phases. Where the host is just full, two
	 * noisy probe readings in a row below low_pct unfold all once before
	 * the probes back off, and the next contended periods fold again; a
	 * burst of noise folds, and the probes find the room it left. With
	 * the same law but for the probes' backoff and the undoing of a fold
	 * (the law of 2026-12-06): 6-8 changes, more than 3 in 3.9-6.9%.
	 */
	static const struct { const char *name; double over3; } c[] = {
		{ "8 x 16 vCPUs on 32 CPUs, per VM", 5 },
		{ "100 x 64 vCPUs on 1024 CPUs, per VM", 4 },
		{ "8 x 16 on 32, half governed, per VM", 4.5 },
	};

	for (unsigned int i = 0; i < 3; i++) {
		struct worst w = run(c[i].name);

		EXPECT(w.got >= 0.95, "%s: a guest got %.2f of ungoverned", c[i].name, w.got);
		EXPECT(w.useful >= 1.3, "%s: useful work %.2fx", c[i].name, w.useful);
		EXPECT(w.changes <= 7, "%s: %u changes in a phase", c[i].name, w.changes);
		EXPECT(over3_pct(&w) <= c[i].over3, "%s: more than 3 changes in %.1f%% of the phases",
		       c[i].name, over3_pct(&w));
	}
}

static void the_host_coordinator_holds_every_guest_to_its_share(void)
{
	/*
	 * law=host with the coordinator of tools/pvhostd/coord.c, in every
	 * scenario. Worst over 20 seeds: 3 changes in a phase (the guest law:
	 * up to 8), Jain 1.00 in every phase (0.82), got 0.94 (0.64); useful
	 * work at least the guest law's, up to 1.07x it (100 x 64 per VM).
	 * The least got is a guest of 100 x 64 whose 10.24 CPUs were rounded
	 * to 10 while 24 others run 11 (coord.c, whole_cpus()); half
	 * governed, the governed guests get no less than ungoverned.
	 */
	for (unsigned int i = 0; i < pvs_nscenarios; i++) {
		const char *name = pvs_scenarios[i].name;
		struct worst h = run_law(name, PVP_LAW_HOST), o = run(name);

		EXPECT(h.changes <= 3, "%s: %u changes in a phase", name, h.changes);
		EXPECT(h.jain >= 0.95, "%s: Jain %.2f", name, h.jain);
		EXPECT(h.got >= (strstr(name, "half") ? 0.98 : 0.93), "%s: a guest got %.2f",
		       name, h.got);
		EXPECT(h.useful >= 0.98 * o.useful, "%s: useful %.2f, the guest law %.2f", name,
		       h.useful, o.useful);
	}
}

int main(void)
{
	const char *env = getenv("PVSIM_SEEDS");

	if (env && atoi(env) > 0)
		seeds = (unsigned int)atoi(env);
	printf("TAP version 13\n# %u seeds\n", seeds);
	TAP_RUN(never_cedes_to_neighbours_that_are_not_governed);
	TAP_RUN(smt_pairs_fold_whole_without_overshoot);
	TAP_RUN(work_left_on_marked_vcpus_is_not_a_probe);
	TAP_RUN(follows_a_host_that_shrinks_and_grows);
	TAP_RUN(per_vm_hosts_fold_without_ceding);
	TAP_RUN(the_host_coordinator_holds_every_guest_to_its_share);
	return tap_done();
}
