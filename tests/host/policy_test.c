// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of kernel/pvsteal/policy.c, one per policy property of
 * DESIGN.md, against two models of the host:
 *
 *  - fixed: each vCPU sees a given steal whether marked or not, as with
 *    pvsteal's inject file;
 *  - feedback: the guest's busy vCPUs share P host CPUs with a neighbour
 *    running Q busy threads. A marked vCPU is idle and sees no steal; an
 *    active one wanting a fraction d of a CPU gets d * P / (A + Q) of it
 *    when the A active vCPUs and the neighbour oversubscribe the host, and
 *    the rest is steal. Folding therefore lowers the steal the policy sees.
 */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "../../kernel/pvsteal/policy.h"

static struct pvp_state st;
static struct pvp_knobs knobs = { .high_pct = 20, .low_pct = 5, .min_active = 1 };

struct model {
	unsigned int n;		/* guest vCPUs */
	unsigned int p, q;	/* host CPUs, neighbour busy threads */
	double demand;		/* guest work in CPUs (spread over the active vCPUs) */
	int feedback;		/* 0: fixed steal per vCPU */
	unsigned int steal[PVP_MAX_CPUS];	/* fixed model: steal percent */
	struct pvp_mask online;
};

static void model_init(struct model *m, unsigned int n)
{
	memset(m, 0, sizeof(*m));
	m->n = n;
	for (unsigned int i = 0; i < n; i++)
		pvp_set(&m->online, i);
	pvp_init(&st, n);
}

static unsigned int nmarked(void)
{
	unsigned int c = 0;

	for (unsigned int i = 0; i < st.ncpus; i++)
		c += pvp_test(&st.mask, i);
	return c;
}

static unsigned int nactive(const struct model *m)
{
	unsigned int c = 0;

	for (unsigned int i = 0; i < m->n; i++)
		c += pvp_test(&m->online, i) && !pvp_test(&st.mask, i);
	return c;
}

/* Sample one period of the model for the current mask and step the policy. */
static int step(struct model *m)
{
	struct pvp_sample smp[PVP_MAX_CPUS];
	unsigned int a = nactive(m);
	double d = a ? m->demand / a : 0, share = 1;

	if (d > 1)
		d = 1;
	if (m->feedback && a * d + m->q > m->p)
		share = m->p / (a * d + m->q);
	for (unsigned int i = 0; i < m->n; i++) {
		int marked = pvp_test(&st.mask, i);

		if (m->feedback) {
			smp[i].busy_pct = marked ? 0 : (unsigned int)(100 * d * share + 0.5);
			smp[i].steal_pct = marked ? 0 : (unsigned int)(100 * d * (1 - share) + 0.5);
		} else {
			smp[i].steal_pct = m->steal[i];
			smp[i].busy_pct = marked ? 0 : (unsigned int)(100 * d + 0.5);
		}
	}
	return pvp_step(&st, &knobs, &m->online, smp);
}

/* Step @periods periods; return how many changed the mask. */
static int run(struct model *m, int periods)
{
	int changes = 0;

	for (int i = 0; i < periods; i++)
		changes += step(m);
	return changes;
}

/* Period (1-based, within this run) of the last change, 0 if none. */
static int last_change(struct model *m, int periods)
{
	int last = 0;

	for (int i = 1; i <= periods; i++)
		if (step(m))
			last = i;
	return last;
}

static void folds_above_high_unfolds_below_low(void)
{
	struct model m;

	model_init(&m, 4);
	m.steal[2] = m.steal[3] = 60;
	run(&m, 3);
	EXPECT(st.mask.w[0] == 0xc, "mask %#llx, want 2-3", st.mask.w[0]);
	/* Between low and high: hysteresis keeps the fold. */
	m.steal[2] = m.steal[3] = 10;
	run(&m, 10);
	EXPECT(st.mask.w[0] == 0xc, "mask %#llx after steal fell to 10%%", st.mask.w[0]);
	m.steal[2] = m.steal[3] = 2;
	run(&m, 3);
	EXPECT(st.mask.w[0] == 0, "mask %#llx after steal fell to 2%%", st.mask.w[0]);
	/* And a calm guest is not folded at all: 15% is under high. */
	m.steal[0] = m.steal[1] = m.steal[2] = m.steal[3] = 15;
	run(&m, 10);
	EXPECT(st.mask.w[0] == 0, "mask %#llx at 15%% steal", st.mask.w[0]);
}

static void folds_most_steal_first_and_keeps_smt_siblings_together(void)
{
	struct model m;

	/* 8 vCPUs in SMT pairs (i, i + 4), busy; the host gives 6 CPUs. */
	model_init(&m, 8);
	for (unsigned int i = 0; i < 8; i++)
		st.cpu[i].group = i % 4;
	for (unsigned int i = 0; i < 8; i++)
		m.steal[i] = 25;
	m.steal[1] = 40;
	m.steal[5] = 30;	/* pair 1-5: 35% */
	m.steal[2] = 30;	/* pair 2-6: 27% */
	m.demand = 6;
	run(&m, 1);
	EXPECT(pvp_test(&st.mask, 1) && pvp_test(&st.mask, 5),
	       "the hottest pair 1,5 first: mask %#llx", st.mask.w[0]);
	EXPECT(nmarked() == 2, "only one pair for 6 CPUs of capacity: mask %#llx", st.mask.w[0]);
	run(&m, 5);
	for (unsigned int i = 0; i < 4; i++)
		EXPECT(pvp_test(&st.mask, i) == pvp_test(&st.mask, i + 4),
		       "pair %u,%u split: mask %#llx", i, i + 4, st.mask.w[0]);
}

static void never_marks_below_min_active(void)
{
	struct model m;

	for (unsigned int min = 1; min <= 4; min++) {
		model_init(&m, 8);
		knobs.min_active = min;
		for (unsigned int i = 0; i < 8; i++)
			m.steal[i] = 90;
		run(&m, 10);
		EXPECT(nactive(&m) == min, "min_active %u: %u active", min, nactive(&m));
	}
	/* The same with SMT pairs: a pair is not split to honour min_active. */
	model_init(&m, 8);
	knobs.min_active = 3;
	for (unsigned int i = 0; i < 8; i++) {
		st.cpu[i].group = i / 2;
		m.steal[i] = 90;
	}
	run(&m, 10);
	EXPECT(nactive(&m) == 4, "pairs, min_active 3: %u active", nactive(&m));
	knobs.min_active = 1;
}

/* The feedback cases: guest size, host CPUs, neighbour, guest demand. */
static const struct fb_case {
	const char *name;
	unsigned int n, p, q;
	double demand;
} fb_cases[] = {
	{ "4 busy vCPUs on 2 host CPUs", 4, 2, 0, 4 },
	{ "8 busy vCPUs, 4 host CPUs, 4 noisy threads", 8, 4, 4, 8 },
	{ "8 vCPUs with 3 CPUs of work, 4 host CPUs, 2 noisy threads", 8, 4, 2, 3 },
	{ "16 busy vCPUs, 8 host CPUs, 4 noisy threads", 16, 8, 4, 16 },
	{ "64 busy vCPUs on 40 host CPUs", 64, 40, 0, 64 },
	{ "8 busy vCPUs on 12 host CPUs (no overcommit)", 8, 12, 0, 8 },
};

static void fb_model(struct model *m, const struct fb_case *c)
{
	model_init(m, c->n);
	m->feedback = 1;
	m->p = c->p;
	m->q = c->q;
	m->demand = c->demand;
}

static void stable_within_3_periods_under_constant_steal(void)
{
	struct model m;

	for (unsigned int i = 0; i < sizeof(fb_cases) / sizeof(fb_cases[0]); i++) {
		int last;

		fb_model(&m, &fb_cases[i]);
		last = last_change(&m, 50);
		EXPECT(last <= 3, "%s: last change in period %d", fb_cases[i].name, last);
	}
}

static void at_most_two_changes_in_50_periods(void)
{
	struct model m;

	for (unsigned int i = 0; i < sizeof(fb_cases) / sizeof(fb_cases[0]); i++) {
		int changes;

		fb_model(&m, &fb_cases[i]);
		changes = run(&m, 50);
		EXPECT(changes <= 2, "%s: %d changes, %u active at the end",
		       fb_cases[i].name, changes, nactive(&m));
	}
	/* Fixed local steal: fold once, stay. */
	model_init(&m, 8);
	m.steal[6] = m.steal[7] = 50;
	EXPECT(run(&m, 50) == 1, "local steal on 6-7: %u changes", st.changes);
}

static void unfolds_within_3_periods_after_steal_stops(void)
{
	struct model m;
	int p;

	/* Neighbour leaves, and the host can hold the whole guest. */
	fb_model(&m, &fb_cases[1]);
	m.p = 8;
	run(&m, 50);
	EXPECT(nmarked() > 0, "folded while the neighbour runs: mask %#llx", st.mask.w[0]);
	m.q = 0;
	for (p = 1; p <= 10 && nmarked(); p++)
		step(&m);
	EXPECT(p - 1 <= 3, "unfolded %d periods after the neighbour left", p - 1);
	EXPECT(run(&m, 20) == 0, "stays unfolded: %u marked", nmarked());

	/* Injected steal on some CPUs stops. */
	model_init(&m, 4);
	m.steal[2] = m.steal[3] = 60;
	run(&m, 20);
	m.steal[2] = m.steal[3] = 0;
	for (p = 1; p <= 10 && nmarked(); p++)
		step(&m);
	EXPECT(p - 1 <= 3, "unfolded %d periods after the injected steal stopped", p - 1);

	/* Injected steal everywhere stops. */
	model_init(&m, 4);
	for (int i = 0; i < 4; i++)
		m.steal[i] = 60;
	run(&m, 20);
	EXPECT(nactive(&m) == 1, "folded to min_active: %u active", nactive(&m));
	for (int i = 0; i < 4; i++)
		m.steal[i] = 0;
	for (p = 1; p <= 10 && nmarked(); p++)
		step(&m);
	EXPECT(p - 1 <= 3, "unfolded %d periods after steal everywhere stopped", p - 1);
}

static void silent_fold_is_probed_with_backoff(void)
{
	struct model m;
	int changes;

	/* Capacity exactly 2: the fold leaves no steal to watch. */
	fb_model(&m, &fb_cases[0]);
	changes = run(&m, 1000);
	/* 1 fold, then probes at 64, 128, 256, 512 periods: 2 changes each. */
	EXPECT(changes <= 1 + 2 * 4, "%d changes in 1000 periods", changes);
	EXPECT(nactive(&m) == 2, "ends folded to the capacity: %u active", nactive(&m));

	/* When the host grows, a probe finds out and the guest unfolds. */
	fb_model(&m, &fb_cases[0]);
	run(&m, 10);
	m.p = 4;
	run(&m, PVP_PROBE_PERIODS + 5);
	EXPECT(nmarked() == 0, "unfolded by the probe: %u marked", nmarked());
}

/* The same model defeats a rule without the evidence test: the check above can fail. */
static void naive_threshold_rule_oscillates_in_the_model(void)
{
	struct model m;
	int changes = 0;

	fb_model(&m, &fb_cases[0]);
	for (int i = 0; i < 50; i++) {
		for (unsigned int c = 0; c < m.n; c++)
			st.cpu[c].post = 100;	/* as if every fold left steal behind */
		changes += step(&m);
	}
	EXPECT(changes > 10, "only %d changes: the model does not feed back", changes);
}

static void offline_cpus_are_never_marked(void)
{
	struct model m;

	model_init(&m, 4);
	for (int i = 0; i < 4; i++)
		m.steal[i] = 60;
	pvp_clear(&m.online, 3);
	run(&m, 5);
	EXPECT(!pvp_test(&st.mask, 3), "offline CPU 3 marked: %#llx", st.mask.w[0]);
	EXPECT(nactive(&m) == 1, "%u active of 3 online", nactive(&m));
	/* A marked CPU that goes offline leaves the mask. */
	pvp_clear(&m.online, 2);
	step(&m);
	EXPECT(!pvp_test(&st.mask, 2), "offline CPU 2 still marked: %#llx", st.mask.w[0]);
	pvp_set(&m.online, 2);
	pvp_set(&m.online, 3);
	run(&m, 5);
	EXPECT(nactive(&m) == 1, "after both came back: %u active", nactive(&m));
}

static void knobs_are_validated(void)
{
	struct pvp_knobs k = { 20, 5, 1 };

	EXPECT(pvp_knobs_valid(&k, 4) == 0, "defaults rejected");
	k.low_pct = 20;
	EXPECT(pvp_knobs_valid(&k, 4) < 0, "low == high accepted");
	k.low_pct = 5;
	k.high_pct = 101;
	EXPECT(pvp_knobs_valid(&k, 4) < 0, "high 101 accepted");
	k.high_pct = 0;
	EXPECT(pvp_knobs_valid(&k, 4) < 0, "high 0 accepted");
	k.high_pct = 20;
	k.min_active = 0;
	EXPECT(pvp_knobs_valid(&k, 4) < 0, "min_active 0 accepted");
	k.min_active = 5;
	EXPECT(pvp_knobs_valid(&k, 4) < 0, "min_active above the CPU count accepted");
}

int main(void)
{
	printf("TAP version 13\n");
	TAP_RUN(folds_above_high_unfolds_below_low);
	TAP_RUN(folds_most_steal_first_and_keeps_smt_siblings_together);
	TAP_RUN(never_marks_below_min_active);
	TAP_RUN(stable_within_3_periods_under_constant_steal);
	TAP_RUN(at_most_two_changes_in_50_periods);
	TAP_RUN(unfolds_within_3_periods_after_steal_stops);
	TAP_RUN(silent_fold_is_probed_with_backoff);
	TAP_RUN(naive_threshold_rule_oscillates_in_the_model);
	TAP_RUN(offline_cpus_are_never_marked);
	TAP_RUN(knobs_are_validated);
	return tap_done();
}
