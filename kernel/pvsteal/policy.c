// SPDX-License-Identifier: GPL-2.0
/*
 * The pvsteal control laws. See policy.h for the interface and
 * Documentation/pvsteal.rst for the reasoning.
 *
 * Ours, in short: fold (mark) when the active vCPUs lose more than high_pct
 * of the time they want to run, down to the capacity the host gives the
 * guest; keep probing a quarter as many marked vCPUs as there are active
 * ones with a short pinned spin, and unfold when the probes show
 * that the host would run more vCPUs without steal. A global fold after
 * which the guest gets less CPU time and still loses it to steal ceded its
 * share (a host that shares per vCPU thread gives it to the neighbours):
 * it is undone with every fold before it, and folding waits, four times
 * as long each time. Everything is O(nr_cpus) per period.
 */
#include "policy.h"

/*
 * A fold keeps this much less than a whole CPU of measured capacity: two
 * periods of an 8-vCPU guest's noise move the capacity by about a seventh.
 */
#define PVP_FOLD_SLACK		(PVP_ONE / 4)
/*
 * A guest whose active CPUs want less than half a CPU in all has nothing
 * to gain from folding; a group that wants less than a tenth of a period
 * says nothing about its host.
 */
#define PVP_MIN_WANT		(PVP_ONE / 2)
#define PVP_MIN_GROUP_WANT	(PVP_ONE / 10)
/* A probed CPU that ran at least this long ran its probe. */
#define PVP_PROBE_MIN		(PVP_ONE / 1000)
/*
 * A global fold that cost the guest more than this percent of its CPU
 * time, plus a tenth of the steal it had, while its active vCPUs still
 * lose more than high_pct, ceded its share. Measured busy time is what the
 * guest wanted less what the steal source reports, so its noise grows with
 * the steal: +-8 points per vCPU and a few shared by all move the busy
 * time of a guest losing half its time by 5-10%.
 */
#define PVP_CEDE_PCT		5
/*
 * A fold that ceded will cede again while the same neighbours run: no
 * global fold for this many periods, four times as long each time it
 * happens again, or until the contention has been gone for
 * PVP_CALM_PERIODS in a row (a new episode may be on another host, or
 * with other neighbours).
 */
#define PVP_FOLD_BACKOFF	256
#define PVP_BACKOFF_MAX		4096
#define PVP_CALM_PERIODS	32
/* The longest probe, in microseconds. */
#define PVP_PROBE_MAX_US	20000U
/*
 * The probes' readings in a row below low_pct that unfold all: at first 2,
 * so that the guest unfolds within 3 periods of the contention ending.
 * One reading carries the noise of one CPU's steal; where the host is just
 * full (a per-VM host that gives the guest as many CPUs as it kept
 * active), k probes among A active vCPUs lose about k / (A + k), a fifth,
 * and two noisy readings in a row fall below low_pct every few dozen
 * periods. An unfold on such readings that is followed by a global fold
 * within PVP_REFOLD_PERIODS was wrong: twice as many readings next time,
 * up to PVP_PROBE_NEED_MAX, until the guest has run unfolded without
 * contention for PVP_CALM_PERIODS. A reading below half of low_pct is more
 * than that noise and unfolds at once; within PVP_REFOLD_PERIODS of a
 * global fold it undoes that fold rather than unfold all: the probes found
 * room, not necessarily room for every vCPU (the fold was on a burst of
 * noise, or a neighbour on a per-VM host folded a vCPU short of its share
 * and left one spare for a moment).
 */
#define PVP_PROBE_NEED		2
#define PVP_PROBE_NEED_MAX	64
#define PVP_REFOLD_PERIODS	16

/* Sums over the active CPUs and over the probed marked ones, in PVP_ONE units. */
struct pvp_totals {
	unsigned long long got;		/* busy time of all online CPUs */
	unsigned long long a_steal, a_want, a_busy;
	unsigned long long m_steal, m_want;	/* probed marked CPUs */
	unsigned long long m_steal_all;		/* all marked CPUs */
	unsigned int active, marked, probed;
};

static unsigned int umin(unsigned int a, unsigned int b)
{
	return a < b ? a : b;
}

void pvp_reset(struct pvp_state *s)
{
	unsigned int i;

	for (i = 0; i < PVP_WORDS; i++)
		s->mask.w[i] = 0;
	for (i = 0; i < PVP_MAX_CPUS; i++) {
		s->cpu[i].steal = 0;
		s->cpu[i].smooth = 0;
	}
	s->period = 0;
	s->last_change = 0;
	s->probe = (struct pvp_mask){ { 0 } };
	s->probe_prev = s->probe;
	s->nprobe = 0;
	s->probe_next = 0;
	s->probe_low = 0;
	s->probe_need = PVP_PROBE_NEED;
	s->fold_at = 0;
	s->unfold_at = 0;
	s->hot_cap = 0;
	s->hot_got = 0;
	s->check = 0;
	s->fold_block = 0;
	s->fold_backoff = PVP_FOLD_BACKOFF;
	s->calm = 0;
	s->hint_mcpu = 0;
	s->hint_left = 0;
}

void pvp_init(struct pvp_state *s, unsigned int ncpus)
{
	unsigned int i;

	s->ncpus = umin(ncpus, PVP_MAX_CPUS);
	s->changes = 0;
	for (i = 0; i < PVP_MAX_CPUS; i++)
		s->cpu[i].group = i;
	pvp_reset(s);
}

int pvp_knobs_valid(const struct pvp_knobs *k, unsigned int ncpus)
{
	if (k->high_pct < 1 || k->high_pct > 100)
		return -1;
	if (k->low_pct >= k->high_pct)
		return -1;
	if (k->min_active < 1 || k->min_active > ncpus)
		return -1;
	if (k->law != PVP_LAW_OURS && k->law != PVP_LAW_UPSTREAM && k->law != PVP_LAW_HOST)
		return -1;
	return 0;
}

unsigned int pvp_probe_us(const struct pvp_state *s, unsigned int period_ms)
{
	unsigned long long budget = (unsigned long long)s->ncpus * period_ms * 5;

	if (s->nprobe)
		budget /= s->nprobe;
	return budget < PVP_PROBE_MAX_US ? (unsigned int)budget : PVP_PROBE_MAX_US;
}

/* Percent of @want that @steal is, 0 when nothing was wanted. */
static unsigned int pct(unsigned long long steal, unsigned long long want)
{
	return want ? (unsigned int)(steal * 100 / want) : 0;
}

/*
 * Fill s->order with the first CPUs of the online groups that are marked
 * (@marked) or active, sorted by steal: most first with ties to the highest
 * group when @desc (what to fold), least first with ties to the lowest
 * otherwise (what to unfold). A bucket sort over whole percents, so O(n).
 * Groups that say nothing (no wanted time) sort as @unknown percent.
 */
static unsigned int order_groups(struct pvp_state *s, const struct pvp_mask *online,
				 int marked, int desc, unsigned int unknown)
{
	unsigned int n = s->ncpus, count = 0, b, j;
	int i;

	for (b = 0; b <= 100; b++)
		s->head[b] = n;
	for (j = 0; j < n; j++) {
		unsigned int g, key;

		/* Pushing at the head reverses: walk up for desc, down for asc. */
		i = desc ? (int)j : (int)(n - 1 - j);
		g = s->cpu[i].group;
		if (!pvp_test(online, i) || s->g_first[g] != (unsigned int)i ||
		    pvp_test(&s->mask, i) != marked)
			continue;
		key = s->g_want[g] ? pct(s->g_steal[g], s->g_want[g]) : unknown;
		s->next[i] = s->head[key];
		s->head[key] = i;
	}
	for (b = 0; b <= 100; b++)
		for (j = s->head[desc ? 100 - b : b]; j < n; j = s->next[j])
			s->order[count++] = j;
	return count;
}

/*
 * Flip the groups flagged in g_n's high bit: every online CPU of the group
 * takes the opposite of the state its first CPU had before this period.
 */
#define PVP_FLIP	0x80000000U

static void apply_flips(struct pvp_state *s, const struct pvp_mask *online,
			const struct pvp_mask *old)
{
	unsigned int i;

	for (i = 0; i < s->ncpus; i++) {
		unsigned int g = s->cpu[i].group;

		if (!pvp_test(online, i) || !(s->g_n[g] & PVP_FLIP))
			continue;
		if (pvp_test(old, s->g_first[g]))
			pvp_clear(&s->mask, i);
		else
			pvp_set(&s->mask, i);
	}
}

static unsigned int group_cpus(const struct pvp_state *s, unsigned int first)
{
	return s->g_n[s->cpu[first].group] & ~PVP_FLIP;
}

static void flip(struct pvp_state *s, unsigned int first)
{
	s->g_n[s->cpu[first].group] |= PVP_FLIP;
}

/*
 * Fold active groups, most steal first, while more than @target CPUs are
 * active; only groups whose steal is above @above percent. Never below
 * min_active or @target: a group that would cross either is skipped for a
 * smaller one, so SMT siblings folding together do not overshoot a host
 * whose capacity is not a multiple of the group size. Returns the CPUs
 * folded.
 */
static unsigned int fold(struct pvp_state *s, const struct pvp_knobs *k,
			 const struct pvp_mask *online, unsigned int active,
			 unsigned int target, unsigned int above)
{
	unsigned int n = order_groups(s, online, 0, 1, 0), i, folded = 0;

	for (i = 0; i < n && active > target; i++) {
		unsigned int first = s->order[i], g = s->cpu[first].group;
		unsigned int cpus = group_cpus(s, first);

		if (pct(s->g_steal[g], s->g_want[g]) <= above && above)
			break;
		if (active - cpus < k->min_active || active - cpus < target)
			continue;
		flip(s, first);
		active -= cpus;
		folded += cpus;
	}
	return folded;
}

/* Unfold marked groups, least probed steal first, while fewer than @target are active. */
static void unfold(struct pvp_state *s, const struct pvp_mask *online,
		   unsigned int active, unsigned int target)
{
	unsigned int n = order_groups(s, online, 1, 0, 50), i;

	for (i = 0; i < n && active < target; i++) {
		flip(s, s->order[i]);
		active += group_cpus(s, s->order[i]);
	}
}

/*
 * The last global fold has been in force for two periods: if it ceded the
 * guest's share, the host shares per vCPU thread and every fold before it
 * ceded too. Unfold all, and keep global folds off for a while. 1 if the
 * mask changed.
 */
static int judge(struct pvp_state *s, const struct pvp_knobs *k,
		 const struct pvp_mask *online)
{
	unsigned int cede = PVP_CEDE_PCT + s->steal_before / 10, i;

	s->check = 0;
	/*
	 * A fold to what the host gives leaves at most high_pct of steal, and
	 * the guest as much CPU time; it was not the guest's load that fell
	 * while its vCPUs still lose time.
	 */
	if (s->got_after * 100 >= s->got_before * (100 - cede) ||
	    s->steal_after <= k->high_pct) {
		s->fold_backoff = PVP_FOLD_BACKOFF;
		return 0;
	}
	for (i = 0; i < s->ncpus; i++)
		if (pvp_test(online, i))
			pvp_clear(&s->mask, i);
	s->fold_block = s->period + s->fold_backoff;
	s->fold_backoff = umin(4 * s->fold_backoff, PVP_BACKOFF_MAX);
	return 1;
}

/*
 * The capacity (or CPU time) of two contended periods: their mean, or the
 * better one when the other is a quarter below it. A burst of host noise
 * only ever takes time away, and one must not fold the guest below what
 * the host gives it.
 */
static unsigned long long hot_mean(unsigned long long a, unsigned long long b)
{
	unsigned long long hi = a > b ? a : b, lo = a > b ? b : a;

	return lo * 4 < hi * 3 ? hi : (a + b) / 2;
}

/* Whether @when, a period in the past or 0 for none, is within PVP_REFOLD_PERIODS. */
static int recent(const struct pvp_state *s, unsigned int when)
{
	return when && s->period - when <= PVP_REFOLD_PERIODS;
}

/* Periods since @when, which may lie ahead. */
static int before_period(const struct pvp_state *s, unsigned int when)
{
	return (int)(when - s->period) > 0;
}

/*
 * Our law. The steal fraction of the active CPUs says when to fold, the
 * capacity the host gives says how far. The probe says when to unfold:
 * the probed CPUs are that many more runnable vCPUs for a moment, so what
 * they lose is what the guest would lose with them unfolded. What the guest
 * got before and after a global fold says whether it ceded (judge()).
 * Returns 1 when it asked for a global fold, which is then judged.
 */
static unsigned int step_ours(struct pvp_state *s, const struct pvp_knobs *k,
			      const struct pvp_mask *online, const struct pvp_totals *t)
{
	unsigned long long cap = t->a_busy, got = t->got, probe_cap = 0, target;
	unsigned long long hot_steal = 0, hot_want = 0;
	unsigned int s_probe = 0, i, hot_cpus = 0;
	int local, global;

	/*
	 * The period right after a change still describes the old mask when
	 * the steal source lags (the relay; a host that reports late): wait.
	 */
	if (s->last_change && s->period - s->last_change < 2) {
		s->hot_cap = 0;
		s->probe_low = 0;
		return 0;
	}
	if (s->check) {
		/*
		 * The better of the two periods after the fold: bursts of noise
		 * only take time away, and must not look like a ceded share.
		 */
		if (t->got > s->got_after)
			s->got_after = t->got;
		if (!s->check_n || pct(t->a_steal, t->a_want) < s->steal_after)
			s->steal_after = pct(t->a_steal, t->a_want);
		if (++s->check_n == 2 && judge(s, k, online))
			return 0;
	}

	if (t->probed) {
		s_probe = pct(t->m_steal, t->m_want);
		/* Capacity if the probed CPUs were active too, at the probe's steal. */
		probe_cap = (t->a_want + (unsigned long long)t->probed * PVP_ONE) *
			    (100 - s_probe) / 100;
	}

	/* Local: some groups are hot while the others are well below. */
	for (i = 0; i < s->ncpus; i++) {
		unsigned int g = s->cpu[i].group, n = group_cpus(s, s->g_first[g]);

		if (!pvp_test(online, i) || pvp_test(&s->mask, i) ||
		    s->g_want[g] < PVP_MIN_GROUP_WANT ||
		    pct(s->g_steal[g], s->g_want[g]) <= k->high_pct)
			continue;
		hot_cpus++;
		hot_steal += s->g_steal[g] / n;
		hot_want += s->g_want[g] / n;
	}
	local = hot_cpus && hot_cpus < t->active && t->a_want > hot_want &&
		t->a_steal >= hot_steal &&
		pct(t->a_steal - hot_steal, t->a_want - hot_want) * 2 <= k->high_pct;
	global = t->a_want >= PVP_MIN_WANT &&
		 t->a_steal * 100 > (unsigned long long)k->high_pct * t->a_want;
	if (local || global) {
		/*
		 * Fold on the second contended period in a row, with the mean
		 * capacity of the two: one noisy period is not enough.
		 */
		if (!s->hot_cap) {
			s->hot_cap = cap + 1;
			s->hot_got = got;
			s->hot_steal = pct(t->a_steal, t->a_want);
			return 0;
		}
		s->hot_steal = umin(s->hot_steal, pct(t->a_steal, t->a_want));
		cap = hot_mean(cap, s->hot_cap - 1);
		got = hot_mean(got, s->hot_got);
		s->hot_cap = 0;
	} else {
		s->hot_cap = 0;
	}
	/*
	 * The contention has gone for a while (a guest that unfolded after a
	 * ceded fold may be calm only until its neighbours unfold too): the
	 * next episode may fold at once.
	 */
	if (t->a_steal * 100 < (unsigned long long)k->low_pct * t->a_want || !t->a_want) {
		if (++s->calm >= PVP_CALM_PERIODS) {
			s->fold_block = s->period;
			s->fold_backoff = PVP_FOLD_BACKOFF;
			/* A guest folded to its share is calm too. */
			if (!t->marked)
				s->probe_need = PVP_PROBE_NEED;
		}
	} else {
		s->calm = 0;
	}
	if (local) {
		fold(s, k, online, t->active, 0, k->high_pct);
		return 0;
	}
	if (global) {
		/* Not before the last fold has shown what it did, nor while blocked. */
		if (s->check || before_period(s, s->fold_block))
			return 0;
		/* Global: down to the capacity the host gives. */
		if (probe_cap > cap)
			cap = probe_cap;
		target = cap > PVP_FOLD_SLACK ? (cap - PVP_FOLD_SLACK + PVP_ONE - 1) / PVP_ONE : 0;
		if (!fold(s, k, online, t->active, (unsigned int)target, 0))
			return 0;
		/* The probes' noise unfolded: more readings next time. */
		if (recent(s, s->unfold_at))
			s->probe_need = umin(2 * s->probe_need, PVP_PROBE_NEED_MAX);
		s->unfold_at = 0;
		s->fold_at = s->period;
		s->fold_from = t->active;
		s->got_before = got;
		s->steal_before = s->hot_steal;
		return 1;
	}

	if (!t->probed) {
		s->probe_low = 0;
		return 0;
	}
	/*
	 * The host may have room for some: as many as the capacity the probe
	 * measured, less 5% for its noise; for all when the probes ran
	 * (almost) unstolen, or, right after a global fold, for as many as
	 * that fold found; for all on probe_need readings below low_pct.
	 */
	target = (probe_cap * 95 / 100 + PVP_FOLD_SLACK) / PVP_ONE;
	s->probe_low = s_probe < k->low_pct ? s->probe_low + 1 : 0;
	if (s_probe * 2 < k->low_pct) {
		target = recent(s, s->fold_at) ? s->fold_from : s->ncpus;
	} else if (s->probe_low >= s->probe_need) {
		target = s->ncpus;
		s->unfold_at = s->period;
	}
	if (target > t->active)
		unfold(s, online, t->active, (unsigned int)target);
	return 0;
}

/*
 * The steal governor merged for Linux 7.4 (drivers/virt/steal_governor.c,
 * tip/sched/core 2026-09-28): every interval (1 s, its interval_ms), the
 * steal of all CPUs, marked ones included, over the interval times the
 * number of active CPUs, marked ones included (get_system_cpus() is
 * num_active_cpus()); above high_threshold (500, i.e. 5.00%) one more core
 * becomes non-preferred, the highest-numbered one, never the first
 * housekeeping core; at or below low_threshold (200, 2.00%) the
 * lowest-numbered non-preferred core is preferred again. One core per
 * interval either way, SMT siblings together.
 */
static void step_upstream(struct pvp_state *s, const struct pvp_knobs *k,
			  const struct pvp_mask *online, const struct pvp_totals *t)
{
	unsigned int cpus = t->active + t->marked;
	unsigned long long steal = t->a_steal + t->m_steal_all;
	int i, first = -1;

	if (!cpus)
		return;
	for (i = 0; i < (int)s->ncpus && first < 0; i++)
		if (pvp_test(online, i))
			first = s->g_first[s->cpu[i].group];
	if (steal * 100 > (unsigned long long)PVP_UPSTREAM_HIGH * PVP_ONE * cpus) {
		for (i = s->ncpus - 1; i >= 0; i--) {
			if (!pvp_test(online, i) || pvp_test(&s->mask, i) ||
			    s->g_first[s->cpu[i].group] != (unsigned int)i || i == first)
				continue;
			if (t->active - group_cpus(s, i) >= k->min_active)
				flip(s, i);
			return;
		}
	} else if (steal * 100 <= (unsigned long long)PVP_UPSTREAM_LOW * PVP_ONE * cpus) {
		for (i = 0; i < (int)s->ncpus; i++) {
			if (pvp_test(online, i) && pvp_test(&s->mask, i) &&
			    s->g_first[s->cpu[i].group] == (unsigned int)i) {
				flip(s, i);
				return;
			}
		}
	}
}

void pvp_hint(struct pvp_state *s, unsigned int mcpu, unsigned int ttl)
{
	s->hint_mcpu = mcpu;
	s->hint_left = ttl;
}

/*
 * law=host with a hint: fold or unfold to the vCPUs the host's share
 * covers, no probe. A fraction of a CPU is worth a vCPU, which then loses
 * some of its time, unless it is small: a share left unused is ceded.
 */
static void step_host(struct pvp_state *s, const struct pvp_knobs *k,
		      const struct pvp_mask *online, const struct pvp_totals *t)
{
	unsigned int target = (s->hint_mcpu + 999 - PVP_HINT_ROUND) / 1000;

	/* The steal law starts afresh when the hint stops. */
	s->hot_cap = 0;
	s->check = 0;
	if (target < k->min_active)
		target = k->min_active;
	if (target > t->active + t->marked)
		target = t->active + t->marked;
	if (t->active > target)
		fold(s, k, online, t->active, target, 0);
	else if (t->active < target)
		unfold(s, online, t->active, target);
}

/*
 * The marked groups to probe next period, round robin: one CPU each, and
 * enough of them (a quarter of the active CPUs) that the probe is a load
 * the host notices when it is full: at capacity, k probes among A active
 * vCPUs lose k / (A + k) of their time, at least a fifth. None unless
 * @probe (law=upstream does not probe).
 */
static void choose_probes(struct pvp_state *s, const struct pvp_mask *online, int probe)
{
	unsigned int n = s->ncpus, active = 0, want, j, i = 0;

	for (j = 0; j < n; j++)
		active += pvp_test(online, j) && !pvp_test(&s->mask, j);
	want = !probe ? 0 : active ? (active + 3) / 4 : 1;

	s->probe_prev = s->probe;
	for (j = 0; j < PVP_WORDS; j++)
		s->probe.w[j] = 0;
	s->nprobe = 0;
	if (!want)
		return;
	for (j = 0; j < n && s->nprobe < want; j++) {
		i = (s->probe_next + j) % n;
		if (pvp_test(online, i) && pvp_test(&s->mask, i) &&
		    s->g_first[s->cpu[i].group] == i) {
			pvp_set(&s->probe, i);
			s->nprobe++;
		}
	}
	s->probe_next = (i + 1) % n;
}

/* A CPU probed this period or the one before. */
static int is_probe(const struct pvp_state *s, unsigned int cpu)
{
	return pvp_test(&s->probe, cpu) || pvp_test(&s->probe_prev, cpu);
}

int pvp_step(struct pvp_state *s, const struct pvp_knobs *k,
	     const struct pvp_mask *online, const struct pvp_sample *smp)
{
	struct pvp_totals t = { 0 };
	struct pvp_mask old = s->mask;
	unsigned int n = s->ncpus, i, check = 0, probe_want = 0;
	int changed = 0, hint = k->law == PVP_LAW_HOST && s->hint_left;

	s->period++;
	if (hint)
		s->hint_left--;
	for (i = 0; i < n; i++) {
		unsigned int g = s->cpu[i].group;

		s->g_steal[g] = 0;
		s->g_want[g] = 0;
		s->g_n[g] = 0;
		s->g_first[g] = n;
	}
	for (i = 0; i < n; i++) {
		unsigned int g = s->cpu[i].group;

		if (!pvp_test(online, i)) {
			/* Offline CPUs are not marked and keep no history. */
			pvp_clear(&s->mask, i);
			s->cpu[i].steal = 0;
		} else if (s->g_first[g] == n) {
			s->g_first[g] = i;
		} else if (pvp_test(&s->mask, i) != pvp_test(&s->mask, s->g_first[g])) {
			/* A sibling back from hotplug: it joins its group's state. */
			if (pvp_test(&s->mask, i))
				pvp_clear(&s->mask, i);
			else
				pvp_set(&s->mask, i);
		}
	}
	for (i = 0; i < n; i++) {
		struct pvp_cpu *c = &s->cpu[i];
		unsigned int g = c->group, steal, busy;

		if (!pvp_test(online, i))
			continue;
		steal = umin(smp[i].steal, PVP_ONE);
		busy = umin(smp[i].busy, PVP_ONE - steal);
		c->steal = pct(steal, (unsigned long long)steal + busy);
		c->smooth = (3 * c->smooth + 100 * c->steal) / 4;
		s->g_steal[g] += steal;
		s->g_want[g] += steal + busy;
		s->g_n[g]++;
		t.got += busy;
		if (!pvp_test(&s->mask, i)) {
			t.active++;
			t.a_steal += steal;
			t.a_want += steal + busy;
			t.a_busy += busy;
			continue;
		}
		t.marked++;
		t.m_steal_all += steal;
		if (is_probe(s, i) && steal + busy > probe_want)
			probe_want = steal + busy;
	}
	/*
	 * The probes: the CPUs this period's samples or, from a lagging
	 * source, the last period's describe, that ran about as long as the
	 * longest of them. Other marked CPUs may run kworkers or confined
	 * tasks for a few milliseconds, which say nothing about room.
	 */
	for (i = 0; i < n && probe_want >= PVP_PROBE_MIN; i++) {
		unsigned int steal = umin(smp[i].steal, PVP_ONE);
		unsigned int busy = umin(smp[i].busy, PVP_ONE - steal);

		if (!pvp_test(online, i) || !pvp_test(&s->mask, i) || !is_probe(s, i) ||
		    (steal + busy) * 2 < probe_want)
			continue;
		t.probed++;
		t.m_steal += steal;
		t.m_want += steal + busy;
	}

	/*
	 * Hotplug can take the active CPUs below min_active (the last one
	 * went offline): unfold before anything else.
	 */
	if (t.active < umin(k->min_active, t.active + t.marked))
		unfold(s, online, t.active, umin(k->min_active, t.active + t.marked));
	else if (hint)
		step_host(s, k, online, &t);
	else if (k->law == PVP_LAW_UPSTREAM)
		step_upstream(s, k, online, &t);
	else
		check = step_ours(s, k, online, &t);
	apply_flips(s, online, &old);

	for (i = 0; i < PVP_WORDS; i++)
		if (old.w[i] != s->mask.w[i])
			changed = 1;
	if (changed) {
		s->changes++;
		s->last_change = s->period;
		/* A global fold is judged; any other change ends a judgement. */
		s->check = check;
		s->got_after = 0;
		s->check_n = 0;
	}
	choose_probes(s, online, !hint && k->law != PVP_LAW_UPSTREAM);
	return changed;
}
