// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of kernel/pvsteal/policy.c, one per policy property
 * (Documentation/pvsteal.rst, "Properties"), against the host model of tools/pvsim/model.h: vCPU threads
 * sharing P host CPUs (per thread, or per VM), steal only while a vCPU
 * wants to run, injected steal as pvsteal's inject file makes it, a source
 * that can lag by a period and carry +-8 points of noise, and the policy's
 * probe competing like any other vCPU.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tap.h"
#include "../../tools/pvsim/model.h"

#define NOISE	0.08	/* +- 8 percentage points, as the relay showed */

static struct pvp_knobs knobs = { .high_pct = 20, .low_pct = 10, .min_active = 1 };
static struct pvm_host host;
static struct pvm_vm vms[2];
static unsigned int nvm;
#define vm (&vms[0])

/* One governed VM of @n vCPUs with @work CPUs of work on @p host CPUs. */
static void setup(unsigned int n, double work, double p)
{
	for (unsigned int i = 0; i < nvm; i++)
		pvm_vm_free(&vms[i]);
	memset(&host, 0, sizeof(host));
	host.cpus = p;
	host.period_ms = 1000;
	host.rng = 1;
	pvm_vm_init(vm, n, work, 1, &knobs);
	/* law=host takes the hints the tests give it, not the model's coordinator. */
	vm->hint.cooperates = 0;
	nvm = 1;
}

/* A neighbour VM of @q busy vCPUs, not governed. */
static void neighbour(unsigned int q)
{
	pvm_vm_init(&vms[1], q, q, 0, &knobs);
	nvm = 2;
}

/* Seed 0: an exact source; any other: lagging a period, noisy, from @seed. */
static void lag_and_noise(unsigned long long seed)
{
	if (!seed)
		return;
	host.lag = 1;
	host.noise.indep = NOISE;
	host.rng = seed;
}

static unsigned int nmarked(void)
{
	unsigned int c = 0;

	for (unsigned int i = 0; i < vm->n; i++)
		c += pvp_test(&vm->st->mask, i);
	return c;
}

static unsigned int nactive(void)
{
	return pvm_active(vm);
}

static void inject(unsigned int from, unsigned int to, unsigned int pct)
{
	for (unsigned int i = from; i <= to; i++)
		vm->inject[i] = pct;
}

/* Step one period; 1 if the mask changed. */
static int step(void)
{
	unsigned int before = vm->changes;

	pvm_step(&host, vms, nvm);
	return vm->changes != before;
}

/* Step @periods periods; return how many changed the mask. */
static int run(int periods)
{
	int changes = 0;

	for (int i = 0; i < periods; i++)
		changes += step();
	return changes;
}

/* Periods until @done() holds, at most @limit; limit + 1 if never. */
static int periods_until(int (*done)(void), int limit)
{
	for (int p = 0; p <= limit; p++) {
		if (done())
			return p;
		step();
	}
	return limit + 1;
}

static int is_unfolded(void) { return nmarked() == 0; }
static int is_folded(void) { return nmarked() > 0; }

/* Seeds for the noisy runs: each case runs with several. */
#ifndef NSEEDS
#define NSEEDS	8
#endif

static void folds_within_3_periods_of_contention_starting(void)
{
	for (int seed = 0; seed <= NSEEDS; seed++) {
		int p;

		/* 4 busy vCPUs on 2 host CPUs: 50% steal from the first period. */
		setup(4, 4, 2);
		lag_and_noise(seed);
		p = periods_until(is_folded, 10);
		EXPECT(p <= 3, "seed %d: 4 vCPUs on 2 CPUs folded after %d periods", seed, p);

		/* Injected steal on 2-3 of a busy guest on a free host. */
		setup(4, 4, 8);
		lag_and_noise(seed);
		run(5);
		inject(2, 3, 60);
		p = periods_until(is_folded, 10);
		EXPECT(p <= 3, "seed %d: inject 2-3 60 folded after %d periods", seed, p);
		EXPECT(vm->st->mask.w[0] == 0xc, "seed %d: mask %#llx, want 2-3", seed,
		       vm->st->mask.w[0]);
	}
}

static void unfolds_within_3_periods_when_contention_ends_right_after_a_fold(void)
{
	for (int seed = 0; seed <= NSEEDS; seed++) {
		int p;

		/* Injected steal everywhere, cleared in the period that folded. */
		setup(4, 4, 8);
		lag_and_noise(seed);
		inject(0, 3, 60);
		p = periods_until(is_folded, 10);
		EXPECT(p <= 3, "seed %d: folded after %d periods", seed, p);
		inject(0, 3, 0);
		p = periods_until(is_unfolded, 10);
		EXPECT(p <= 3, "seed %d: still folded %d periods after inject 0-3 cleared", seed, p);
		EXPECT(run(50) == 0, "seed %d: changed again after unfolding", seed);

		/* The same for the local case. */
		setup(4, 4, 8);
		lag_and_noise(seed);
		inject(2, 3, 60);
		periods_until(is_folded, 10);
		inject(2, 3, 0);
		p = periods_until(is_unfolded, 10);
		EXPECT(p <= 3, "seed %d: still folded %d periods after inject 2-3 cleared", seed, p);

		/* A neighbour leaves as soon as the guest folded. */
		setup(4, 4, 4);
		lag_and_noise(seed);
		neighbour(4);
		periods_until(is_folded, 10);
		nvm = 1;
		p = periods_until(is_unfolded, 10);
		EXPECT(p <= 3, "seed %d: still folded %d periods after the neighbour left", seed, p);
	}
}

/*
 * Fold on 60% injected on every CPU, then inject @pct: the periods until
 * the guest is unfolded again, at most @limit (limit + 1 if never).
 */
static int fold_then_unfold_on(unsigned int pct, int limit)
{
	int p;

	inject(0, 3, 60);
	p = periods_until(is_folded, 10);
	EXPECT(p <= 3, "folded after %d periods", p);
	inject(0, 3, pct);
	return periods_until(is_unfolded, limit);
}

/*
 * Probe readings of 8%, below low_pct but not below half of it, are what a
 * host that is just full shows now and then. Two in a row unfold all; if
 * the guest has to fold again right after, the next unfold takes four,
 * until the guest has run unfolded and calm for 32 periods.
 */
static void probes_that_unfolded_too_early_need_more_readings_until_calm(void)
{
	int p;

	setup(4, 4, 8);
	/* A period's wait after the fold, then two readings. */
	p = fold_then_unfold_on(8, 10);
	EXPECT(p <= 3, "first unfold on readings of 8%%: %d periods", p);
	p = fold_then_unfold_on(8, 20);
	EXPECT(p == 5, "second unfold on readings of 8%%: %d periods, want 5 (4 readings)", p);

	/* Calm for 40 periods: the next episode is judged afresh. */
	EXPECT(run(40) == 0, "changed while calm");
	p = fold_then_unfold_on(8, 10);
	EXPECT(p <= 3, "unfold after calm on readings of 8%%: %d periods", p);
}

/*
 * The host gives 1.6 CPUs, then all it has, then 1.6 again at once, three
 * times (pvsteal_test's contention_ending_right_after_a_fold...): every
 * fold and unfold within 3 periods. The probes' unfold in between says
 * nothing about how much room the next contention leaves.
 */
static void contention_coming_back_right_after_an_unfold_folds_within_3_periods(void)
{
	for (int seed = 0; seed <= NSEEDS; seed++) {
		setup(4, 4, 8);
		lag_and_noise(seed);
		for (int round = 0; round < 3; round++) {
			int p;

			host.cpus = 1.6;
			p = periods_until(is_folded, 10);
			EXPECT(p <= 3, "seed %d round %d: folded after %d periods", seed, round, p);
			host.cpus = 8;
			p = periods_until(is_unfolded, 10);
			EXPECT(p <= 3, "seed %d round %d: unfolded after %d periods", seed, round, p);
		}
	}
}

static void unfolds_within_3_periods_when_the_host_grows(void)
{
	for (int seed = 0; seed <= NSEEDS; seed++) {
		int p;

		setup(4, 4, 2);
		lag_and_noise(seed);
		run(20);
		EXPECT(nactive() == 2, "seed %d: %u active on 2 host CPUs", seed, nactive());
		host.cpus = 4;
		p = periods_until(is_unfolded, 10);
		EXPECT(p <= 3, "seed %d: still folded %d periods after the host grew to 4", seed, p);
		EXPECT(run(50) == 0, "seed %d: changed again on 4 host CPUs", seed);
	}
}

/* Constant conditions: guest size, host CPUs, work, neighbour, per VM or per thread. */
static const struct fb_case {
	const char *name;
	unsigned int n;
	double p, work;
	unsigned int q;
	int per_vm;
} cases[] = {
	{ "4 busy vCPUs on 2 host CPUs", 4, 2, 4, 0, 0 },
	{ "4 busy vCPUs on 3 host CPUs", 4, 3, 4, 0, 0 },
	{ "8 busy vCPUs, 4 host CPUs, a 4-vCPU neighbour (per thread)", 8, 4, 8, 4, 0 },
	{ "8 busy vCPUs, 8 host CPUs, an 8-vCPU neighbour (per VM)", 8, 8, 8, 8, 1 },
	{ "8 vCPUs with 3 CPUs of work, 4 host CPUs, 2-vCPU neighbour", 8, 4, 3, 2, 0 },
	{ "16 busy vCPUs, 8 host CPUs, 4-vCPU neighbour", 16, 8, 16, 4, 0 },
	{ "64 busy vCPUs on 40 host CPUs", 64, 40, 64, 0, 0 },
	{ "8 busy vCPUs on 12 host CPUs (no overcommit)", 8, 12, 8, 0, 0 },
};
#define NCASES	(sizeof(cases) / sizeof(cases[0]))

static void setup_case(const struct fb_case *c)
{
	setup(c->n, c->work, c->p);
	host.per_vm = c->per_vm;
	if (c->q)
		neighbour(c->q);
}

static void at_most_two_changes_in_50_periods(void)
{
	for (unsigned int i = 0; i < NCASES; i++) {
		for (int seed = 0; seed <= NSEEDS; seed++) {
			int changes;

			setup_case(&cases[i]);
			lag_and_noise(seed);
			changes = run(50);
			EXPECT(changes <= 2, "%s, seed %d: %d changes, %u active at the end",
			       cases[i].name, seed, changes, nactive());
			changes = run(200);
			EXPECT(changes <= 1, "%s, seed %d: %d more changes in the next 200 periods",
			       cases[i].name, seed, changes);
		}
	}
	/* Constant local steal: fold once, stay. */
	setup(8, 8, 16);
	inject(6, 7, 50);
	EXPECT(run(50) == 1, "local steal on 6-7: %u changes", vm->changes);
}

static void never_folds_below_what_the_host_gives(void)
{
	for (int seed = 0; seed <= NSEEDS; seed++) {
		/* This machine: 4 vCPUs on 2 cores settle at 2, not 3 and not 1. */
		setup(4, 4, 2);
		lag_and_noise(seed);
		run(50);
		EXPECT(nactive() == 2, "seed %d: 4 vCPUs on 2 CPUs: %u active", seed, nactive());

		/* A neighbour VM with equal weight: the guest's share is 2 of 4. */
		setup(4, 4, 4);
		host.per_vm = 1;
		neighbour(4);
		lag_and_noise(seed);
		run(50);
		EXPECT(nactive() == 2, "seed %d: per-VM neighbour: %u active, want 2", seed, nactive());
		EXPECT(vm->busy > 1.8, "seed %d: per-VM neighbour: the guest got %.2f CPUs, its share is 2",
		       seed, vm->busy);

		/*
		 * Per-thread sharing: 4 vCPUs and 2 neighbour threads on 2 CPUs
		 * give the guest 1.33 CPUs; folding to 1 would cede most of it.
		 */
		setup(4, 4, 2);
		neighbour(2);
		lag_and_noise(seed);
		run(100);
		EXPECT(nactive() >= 2, "seed %d: per-thread neighbour: %u active, below the 1.33 CPUs the guest had",
		       seed, nactive());
	}
}

static void a_guest_that_wants_little_or_loses_high_pct_stays_unfolded(void)
{
	for (int seed = 0; seed <= NSEEDS; seed++) {
		/* 0.4 CPUs of work on a host that gives 0.1: 75% steal, nothing to gain. */
		setup(4, 0.4, 0.1);
		lag_and_noise(seed);
		EXPECT(run(20) == 0, "seed %d: a guest wanting 0.4 CPUs folded to %u", seed,
		       nactive());
	}
	/* 5 busy vCPUs on 4 CPUs lose exactly 20%: not above high_pct. */
	setup(5, 5, 4);
	EXPECT(run(20) == 0, "5 vCPUs on 4 CPUs (20%% steal) folded to %u", nactive());
}

static void a_cpu_that_wants_next_to_nothing_is_not_folded_for_its_steal(void)
{
	struct pvp_sample smp[4] = { { 0, PVP_ONE }, { 0, PVP_ONE }, { 0, PVP_ONE },
				     /* 5% of the period wanted, 60% of it stolen */
				     { PVP_ONE / 20 * 6 / 10, PVP_ONE / 20 * 4 / 10 } };

	setup(4, 4, 8);
	for (int i = 0; i < 10; i++)
		pvp_step(vm->st, &knobs, &vm->online, smp);
	EXPECT(vm->st->mask.w[0] == 0, "CPU 3 wanting 5%% folded: mask %#llx", vm->st->mask.w[0]);
	/* The same CPU wanting the whole period is folded. */
	smp[3] = (struct pvp_sample){ PVP_ONE * 6 / 10, PVP_ONE * 4 / 10 };
	for (int i = 0; i < 10; i++)
		pvp_step(vm->st, &knobs, &vm->online, smp);
	EXPECT(vm->st->mask.w[0] == 0x8, "CPU 3 wanting 100%%: mask %#llx", vm->st->mask.w[0]);
}

static void square_wave_folds_and_unfolds_within_3_periods_each_time(void)
{
	for (int seed = 0; seed <= NSEEDS; seed++) {
		setup(4, 4, 8);
		lag_and_noise(seed);
		for (int round = 0; round < 3; round++) {
			int p, on;

			inject(2, 3, 60);
			p = periods_until(is_folded, 10);
			EXPECT(p <= 3, "seed %d round %d: folded after %d periods", seed, round, p);
			on = 10 - (p > 10 ? 10 : p);
			run(on);
			inject(2, 3, 0);
			p = periods_until(is_unfolded, 5);
			EXPECT(p <= 3, "seed %d round %d: unfolded after %d periods", seed, round, p);
			run(5 - (p > 5 ? 5 : p));
		}
		EXPECT(vm->changes == 6, "seed %d: %u changes for 3 square waves", seed, vm->changes);
	}
}

static void folds_most_steal_first_and_keeps_smt_siblings_together(void)
{
	/* 8 busy vCPUs in SMT pairs (i, i + 4) on a free host, steal injected. */
	setup(8, 8, 16);
	for (unsigned int i = 0; i < 8; i++)
		vm->st->cpu[i].group = i % 4;
	inject(0, 7, 30);
	vm->inject[1] = 60;
	vm->inject[5] = 50;	/* pair 1-5: 55% */
	vm->inject[2] = 40;	/* pair 2-6: 35% */
	run(2);
	EXPECT(pvp_test(&vm->st->mask, 1) && pvp_test(&vm->st->mask, 5),
	       "the hottest pair 1,5 first: mask %#llx", vm->st->mask.w[0]);
	run(10);
	for (unsigned int i = 0; i < 4; i++)
		EXPECT(pvp_test(&vm->st->mask, i) == pvp_test(&vm->st->mask, i + 4),
		       "pair %u,%u split: mask %#llx", i, i + 4, vm->st->mask.w[0]);
}

static void never_marks_below_min_active(void)
{
	for (unsigned int min = 1; min <= 4; min++) {
		knobs.min_active = min;
		/* A host that gives the guest half a CPU. */
		setup(8, 8, 0.5);
		run(10);
		EXPECT(nactive() == min, "min_active %u: %u active", min, nactive());
	}
	/* SMT pairs: a pair is not split to honour min_active. */
	knobs.min_active = 3;
	setup(8, 8, 0.5);
	for (unsigned int i = 0; i < 8; i++)
		vm->st->cpu[i].group = i / 2;
	run(10);
	EXPECT(nactive() == 4, "pairs, min_active 3: %u active", nactive());
	knobs.min_active = 1;
}

static void offline_cpus_are_never_marked(void)
{
	setup(4, 4, 0.5);
	pvp_clear(&vm->online, 3);
	run(5);
	EXPECT(!pvp_test(&vm->st->mask, 3), "offline CPU 3 marked: %#llx", vm->st->mask.w[0]);
	EXPECT(nactive() == 1, "%u active of 3 online", nactive());
	/* A marked CPU that goes offline leaves the mask. */
	pvp_clear(&vm->online, 2);
	step();
	EXPECT(!pvp_test(&vm->st->mask, 2), "offline CPU 2 still marked: %#llx", vm->st->mask.w[0]);
	pvp_set(&vm->online, 2);
	pvp_set(&vm->online, 3);
	run(5);
	EXPECT(nactive() == 1, "after both came back: %u active", nactive());
}

static void a_group_split_by_hotplug_is_whole_again(void)
{
	/* 4 busy vCPUs in SMT pairs {0,1} and {2,3}, steal on 2-3. */
	setup(4, 4, 8);
	vm->st->cpu[1].group = 0;
	vm->st->cpu[3].group = 2;
	inject(2, 3, 60);
	run(5);
	EXPECT(vm->st->mask.w[0] == 0xc, "mask %#llx, want 2-3", vm->st->mask.w[0]);
	/* CPU 3 goes offline and comes back unmarked. */
	pvp_clear(&vm->online, 3);
	step();
	pvp_set(&vm->online, 3);
	run(5);
	EXPECT(vm->st->mask.w[0] == 0xc, "after CPU 3 came back: mask %#llx, want 2-3",
	       vm->st->mask.w[0]);
	inject(2, 3, 0);
	run(10);
	EXPECT(vm->st->mask.w[0] == 0, "the steal stopped: mask %#llx", vm->st->mask.w[0]);
}

static void the_last_active_cpu_going_offline_unfolds_to_min_active(void)
{
	setup(4, 4, 0.5);
	run(10);
	EXPECT(nactive() == 1 && !pvp_test(&vm->st->mask, 0), "folded to CPU 0: mask %#llx",
	       vm->st->mask.w[0]);
	pvp_clear(&vm->online, 0);
	run(2);
	EXPECT(nactive() == 1, "CPU 0 offline: %u active, mask %#llx", nactive(), vm->st->mask.w[0]);
}

static void probe_costs_at_most_half_a_percent(void)
{
	static const unsigned int periods[] = { 10, 100, 500, 1000, 60000 };
	static const unsigned int sizes[] = { 2, 4, 64, 1024 };

	for (unsigned int i = 0; i < 5; i++) {
		for (unsigned int j = 0; j < 4; j++) {
			double cost;

			/* However many CPUs are probed: none, one, a quarter of them. */
			const unsigned int probed[] = { 0, 1, sizes[j] / 4 };

			for (unsigned int p = 0; p < 3; p++) {
				unsigned int k = probed[p];

				setup(sizes[j], 0, 1);
				vm->st->nprobe = k;
				cost = (double)pvp_probe_us(vm->st, periods[i]) * (k ? k : 1) /
				       (1000.0 * periods[i] * sizes[j]);
				EXPECT(cost <= 0.005, "%u CPUs, %u probed, %u ms: probes cost %.3f%%",
				       sizes[j], k, periods[i], 100 * cost);
			}
		}
	}
}

/* Seconds for @steps periods of a 1024-vCPU guest folding and unfolding. */
static double time_steps(unsigned int n, int steps)
{
	struct timespec a, b;
	double best = 1e9;

	for (int r = 0; r < 5; r++) {
		setup(n, n, n / 4.0);
		clock_gettime(CLOCK_MONOTONIC, &a);
		for (int i = 0; i < steps; i++) {
			pvp_step(vm->st, &knobs, &vm->online, vm->smp[0]);
			host.cpus = i % 20 < 10 ? n / 4.0 : n;
			pvm_step(&host, vms, nvm);
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		if (b.tv_sec - a.tv_sec + (b.tv_nsec - a.tv_nsec) / 1e9 < best)
			best = b.tv_sec - a.tv_sec + (b.tv_nsec - a.tv_nsec) / 1e9;
	}
	return best;
}

static void cost_per_period_is_linear_in_cpus(void)
{
	/* The model's own cost is linear too: both scale by 8 if linear, 64 if not. */
	double small = time_steps(128, 100), large = time_steps(1024, 100);

	EXPECT(large / small < 24, "8x the CPUs cost %.1fx the time", large / small);
}

static void upstream_law_is_the_7_4_rule(void)
{
	knobs.law = PVP_LAW_UPSTREAM;
	setup(8, 8, 16);
	/*
	 * 10% of what the busy CPUs want, over all 8 CPUs (marked ones are
	 * idle but still counted): above 5% while more than 4 are active.
	 * Dividing by the unmarked CPUs only would fold to one.
	 */
	inject(0, 7, 10);
	step();
	EXPECT(vm->st->mask.w[0] == 0x80, "first period: mask %#llx, want CPU 7", vm->st->mask.w[0]);
	run(20);
	EXPECT(vm->st->mask.w[0] == 0xf0, "steal over all active CPUs: mask %#llx, want 4-7",
	       vm->st->mask.w[0]);
	inject(0, 7, 90);
	run(20);
	EXPECT(vm->st->mask.w[0] == 0xfe, "keeps the first core: mask %#llx", vm->st->mask.w[0]);
	inject(0, 7, 0);
	step();
	EXPECT(vm->st->mask.w[0] == 0xfc, "unmarks one per period, lowest first: %#llx",
	       vm->st->mask.w[0]);
	run(10);
	EXPECT(vm->st->mask.w[0] == 0, "all unmarked: %#llx", vm->st->mask.w[0]);
	EXPECT(vm->st->nprobe == 0, "upstream does not probe");
	knobs.law = PVP_LAW_OURS;
}

/*
 * law=host: the host's hint decides while it holds, whole vCPUs rounded
 * up past a tenth of a CPU, SMT pairs whole, min_active kept, no probe;
 * without a hint the steal law takes over.
 */
static void host_law_folds_to_the_hint_and_the_steal_law_takes_over_after_its_ttl(void)
{
	static const struct { unsigned int mcpu, active; } round[] = {
		{ 3000, 3 }, { 2100, 2 }, { 2101, 3 }, { 0, 1 }, { 7999, 8 }, { 999999, 8 },
	};

	knobs.law = PVP_LAW_HOST;
	setup(8, 8, 8);
	for (unsigned int i = 0; i < sizeof(round) / sizeof(round[0]); i++) {
		pvp_hint(vm->st, round[i].mcpu, 5);
		step();
		EXPECT(nactive() == round[i].active, "hint %u: %u active, want %u",
		       round[i].mcpu, nactive(), round[i].active);
		EXPECT(vm->st->nprobe == 0, "hint %u: %u probes", round[i].mcpu, vm->st->nprobe);
	}
	/* The hint lapses after 5 periods; the host has room: ours unfolds. */
	pvp_hint(vm->st, 2000, 5);
	run(5);
	EXPECT(nactive() == 2, "within the TTL: %u active, want 2", nactive());
	EXPECT(periods_until(is_unfolded, 10) <= 10, "the steal law did not unfold: %u active",
	       nactive());
	/* SMT pairs (i, i + 4): a hint of 3 CPUs keeps 2 pairs; min_active 3 is kept. */
	setup(8, 8, 8);
	for (unsigned int i = 0; i < 8; i++)
		vm->st->cpu[i].group = i % 4;
	pvp_hint(vm->st, 3000, 5);
	step();
	EXPECT(nactive() == 4, "SMT: %u active, want 4", nactive());
	for (unsigned int i = 0; i < 4; i++)
		EXPECT(pvp_test(&vm->st->mask, i) == pvp_test(&vm->st->mask, i + 4),
		       "pair %u,%u split: mask %#llx", i, i + 4, vm->st->mask.w[0]);
	knobs.min_active = 3;
	setup(8, 8, 8);
	pvp_hint(vm->st, 1000, 5);
	step();
	EXPECT(nactive() == 3, "min_active 3: %u active", nactive());
	knobs.min_active = 1;
	knobs.law = PVP_LAW_OURS;
}

static void knobs_are_validated(void)
{
	struct pvp_knobs k = { 20, 10, 1, PVP_LAW_OURS };

	EXPECT(pvp_knobs_valid(&k, 4) == 0, "defaults rejected");
	k.low_pct = 20;
	EXPECT(pvp_knobs_valid(&k, 4) < 0, "low == high accepted");
	k.low_pct = 10;
	k.high_pct = 101;
	EXPECT(pvp_knobs_valid(&k, 4) < 0, "high 101 accepted");
	k.high_pct = 0;
	EXPECT(pvp_knobs_valid(&k, 4) < 0, "high 0 accepted");
	k.high_pct = 20;
	k.min_active = 0;
	EXPECT(pvp_knobs_valid(&k, 4) < 0, "min_active 0 accepted");
	k.min_active = 5;
	EXPECT(pvp_knobs_valid(&k, 4) < 0, "min_active above the CPU count accepted");
	k.min_active = 1;
	k.law = PVP_LAW_HOST + 1;
	EXPECT(pvp_knobs_valid(&k, 4) < 0, "law %d accepted", PVP_LAW_HOST + 1);
}

int main(void)
{
	printf("TAP version 13\n");
	TAP_RUN(folds_within_3_periods_of_contention_starting);
	TAP_RUN(unfolds_within_3_periods_when_contention_ends_right_after_a_fold);
	TAP_RUN(unfolds_within_3_periods_when_the_host_grows);
	TAP_RUN(contention_coming_back_right_after_an_unfold_folds_within_3_periods);
	TAP_RUN(probes_that_unfolded_too_early_need_more_readings_until_calm);
	TAP_RUN(at_most_two_changes_in_50_periods);
	TAP_RUN(never_folds_below_what_the_host_gives);
	TAP_RUN(a_guest_that_wants_little_or_loses_high_pct_stays_unfolded);
	TAP_RUN(a_cpu_that_wants_next_to_nothing_is_not_folded_for_its_steal);
	TAP_RUN(square_wave_folds_and_unfolds_within_3_periods_each_time);
	TAP_RUN(folds_most_steal_first_and_keeps_smt_siblings_together);
	TAP_RUN(never_marks_below_min_active);
	TAP_RUN(offline_cpus_are_never_marked);
	TAP_RUN(a_group_split_by_hotplug_is_whole_again);
	TAP_RUN(the_last_active_cpu_going_offline_unfolds_to_min_active);
	TAP_RUN(probe_costs_at_most_half_a_percent);
	TAP_RUN(cost_per_period_is_linear_in_cpus);
	TAP_RUN(upstream_law_is_the_7_4_rule);
	TAP_RUN(host_law_folds_to_the_hint_and_the_steal_law_takes_over_after_its_ttl);
	TAP_RUN(knobs_are_validated);
	for (unsigned int i = 0; i < nvm; i++)
		pvm_vm_free(&vms[i]);
	return tap_done();
}
