/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pvsteal policy: from per-CPU steal and busy time over one period,
 * decide which vCPUs to mark as paravirt for the next one, and which
 * marked vCPUs to probe.
 *
 * Pure C with no headers: the kernel module, the host unit tests and the
 * simulator (tools/pvsim) all compile policy.c. The control laws are
 * described in Documentation/pvsteal.rst.
 */
#ifndef PVSTEAL_POLICY_H
#define PVSTEAL_POLICY_H

#define PVP_MAX_CPUS	1024
#define PVP_WORDS	(PVP_MAX_CPUS / 64)

/* Samples are in millionths of the period; a CPU of capacity is PVP_ONE. */
#define PVP_ONE		1000000U

/*
 * The steal governor merged for Linux 7.4 (law=upstream): its default
 * high_threshold 500 and low_threshold 200, in hundredths of a percent.
 */
#define PVP_UPSTREAM_HIGH	5
#define PVP_UPSTREAM_LOW	2

enum pvp_law {
	PVP_LAW_OURS,
	PVP_LAW_UPSTREAM,
	PVP_LAW_HOST,		/* the host's hint (pvp_hint()), else ours */
};

/* A hint rounds up to whole vCPUs past this many thousandths of a CPU. */
#define PVP_HINT_ROUND	100

struct pvp_mask {
	unsigned long long w[PVP_WORDS];
};

struct pvp_knobs {
	unsigned int high_pct;		/* fold when steal is above this */
	unsigned int low_pct;		/* unfold when a probe sees less */
	unsigned int min_active;	/* never fewer unmarked online CPUs */
	unsigned int law;		/* enum pvp_law */
};

/*
 * What one CPU did during the last period, in millionths of the period:
 * steal, and busy time that was not stolen. Their sum is the time the CPU
 * wanted to run.
 */
struct pvp_sample {
	unsigned int steal;
	unsigned int busy;
};

struct pvp_cpu {
	unsigned int group;		/* CPUs with the same group fold together (SMT) */
	unsigned int steal;		/* last period, percent of the time it wanted */
	unsigned int smooth;		/* moving average, hundredths of a percent */
};

struct pvp_state {
	unsigned int ncpus;		/* CPUs 0 .. ncpus - 1 */
	unsigned int period;		/* periods stepped */
	unsigned int changes;		/* times the mask changed */
	unsigned int last_change;	/* period of the last change, 0 = none */
	struct pvp_mask mask;		/* marked CPUs */
	struct pvp_mask probe;		/* marked CPUs to probe next period */
	struct pvp_mask probe_prev;	/* and the ones probed the period before */
	unsigned int nprobe;		/* CPUs in probe */
	unsigned int probe_next;	/* where the round robin of probes goes on */
	unsigned int probe_low;		/* probe readings below low_pct in a row */
	unsigned int probe_need;	/* and how many it takes to unfold all */
	/* The last global fold: period (0 = none), and the CPUs active before. */
	unsigned int fold_at, fold_from;
	/* The last unfold on probe_need readings below low_pct: period, 0 = none. */
	unsigned int unfold_at;
	unsigned long long hot_cap;	/* 1 + capacity of a contended last period, or 0 */
	unsigned long long hot_got;	/* and the CPU time the guest got in it */
	unsigned int hot_steal;		/* and the percent its active CPUs lost */
	/* The last global fold, until it has shown whether it ceded: */
	unsigned int check;		/* 1 while it is judged */
	unsigned long long got_before;	/* CPU time per period before it */
	unsigned int steal_before;	/* and the percent the active CPUs lost */
	unsigned long long got_after;	/* the most of the periods after it */
	unsigned int check_n;		/* periods after it */
	unsigned int steal_after;	/* the least percent lost in them */
	/* No global fold before this period, and the next such wait. */
	unsigned int fold_block, fold_backoff;
	unsigned int calm;		/* periods in a row without contention */
	/* The host's hint: thousandths of a CPU, and periods it holds for. */
	unsigned int hint_mcpu, hint_left;
	struct pvp_cpu cpu[PVP_MAX_CPUS];
	/* scratch, per group id: steal and wanted time, CPUs, first CPU */
	unsigned long long g_steal[PVP_MAX_CPUS], g_want[PVP_MAX_CPUS];
	unsigned int g_n[PVP_MAX_CPUS], g_first[PVP_MAX_CPUS];
	/* scratch: groups in decision order, and the bucket lists behind it */
	unsigned int order[PVP_MAX_CPUS], next[PVP_MAX_CPUS], head[101];
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
 * The host says the guest has @mcpu thousandths of a CPU for the next @ttl
 * periods: law=host folds to that many vCPUs, a fraction of a CPU above
 * PVP_HINT_ROUND counting as one more, and uses the steal law ours when no
 * hint holds. @ttl 0 drops the hint.
 */
void pvp_hint(struct pvp_state *s, unsigned int mcpu, unsigned int ttl);
/*
 * One period: @online says which CPUs exist now, @smp[cpu] what they did.
 * Updates s->mask and s->probe; returns 1 if the mask changed, else 0.
 */
int pvp_step(struct pvp_state *s, const struct pvp_knobs *k,
	     const struct pvp_mask *online, const struct pvp_sample *smp);
/*
 * How long the probe spins on each CPU of s->probe, in microseconds, for a
 * period of @period_ms: 20 ms, or less so that all of them together cost
 * at most 0.5% of the guest's capacity (ncpus * period / 200).
 */
unsigned int pvp_probe_us(const struct pvp_state *s, unsigned int period_ms);

#endif /* PVSTEAL_POLICY_H */
