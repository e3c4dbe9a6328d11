/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pvsteal policy: from per-CPU steal and busy time over one period,
 * decide which vCPUs to mark as paravirt for the next one.
 *
 * Pure C with no headers: the kernel module, the host unit tests and the
 * simulator (tools/pvsim) all compile policy.c. The control law is
 * described in Documentation/pvsteal.rst.
 */
#ifndef PVSTEAL_POLICY_H
#define PVSTEAL_POLICY_H

#define PVP_MAX_CPUS	1024
#define PVP_WORDS	(PVP_MAX_CPUS / 64)

/* Periods a silent fold waits before it is probed, and the most it backs off to. */
#define PVP_PROBE_PERIODS	64
#define PVP_PROBE_MAX		4096
/* A probe that is folded back within this many periods failed. */
#define PVP_PROBE_FAIL		3

struct pvp_mask {
	unsigned long long w[PVP_WORDS];
};

struct pvp_knobs {
	unsigned int high_pct;		/* fold when steal is above this */
	unsigned int low_pct;		/* unfold only when steal is below this */
	unsigned int min_active;	/* never fewer unmarked online CPUs */
};

/* What one CPU did during the last period, in percent of the period. */
struct pvp_sample {
	unsigned int steal_pct;
	unsigned int busy_pct;
};

struct pvp_cpu {
	unsigned int group;		/* CPUs with the same group fold together (SMT) */
	unsigned int steal;		/* last period, percent */
	unsigned int smooth;		/* moving average, hundredths of a percent */
	unsigned int post;		/* steal seen the period after the fold */
	unsigned int fold_period;	/* when it was folded */
	unsigned int probe_period;	/* when a probe unfolded it, or 0 */
	unsigned int ttl;		/* periods before a silent fold is probed */
	unsigned char fresh;		/* folded last period, post not measured yet */
};

struct pvp_state {
	unsigned int ncpus;		/* CPUs 0 .. ncpus - 1 */
	unsigned int period;		/* periods stepped */
	unsigned int changes;		/* times the mask changed */
	struct pvp_mask mask;		/* marked CPUs */
	/* The last contended period: runnable and busy sums of the active CPUs */
	unsigned int gl_period;
	unsigned long long gl_runnable, gl_busy;
	struct pvp_cpu cpu[PVP_MAX_CPUS];
	/* scratch, per group id: steal sum, online CPUs, first CPU, tried */
	unsigned int g_sum[PVP_MAX_CPUS], g_n[PVP_MAX_CPUS];
	unsigned int g_first[PVP_MAX_CPUS];
	unsigned char g_tried[PVP_MAX_CPUS];
};

static inline int pvp_test(const struct pvp_mask *m, unsigned int cpu)
{
	return (m->w[cpu / 64] >> (cpu % 64)) & 1;
}

static inline void pvp_set(struct pvp_mask *m, unsigned int cpu)
{
	m->w[cpu / 64] |= 1ULL << (cpu % 64);
}

static inline void pvp_clear(struct pvp_mask *m, unsigned int cpu)
{
	m->w[cpu / 64] &= ~(1ULL << (cpu % 64));
}

/* Each CPU its own group; ncpus <= PVP_MAX_CPUS. */
void pvp_init(struct pvp_state *s, unsigned int ncpus);
/* Forget the mask and all history, as after a mode change. */
void pvp_reset(struct pvp_state *s);
/* 0 if the knobs are usable for ncpus CPUs, else -1. */
int pvp_knobs_valid(const struct pvp_knobs *k, unsigned int ncpus);
/*
 * One period: @online says which CPUs exist now, @smp[cpu] what they did.
 * Updates s->mask; returns 1 if it changed, 0 if not.
 */
int pvp_step(struct pvp_state *s, const struct pvp_knobs *k,
	     const struct pvp_mask *online, const struct pvp_sample *smp);

#endif /* PVSTEAL_POLICY_H */
