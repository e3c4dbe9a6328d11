// SPDX-License-Identifier: GPL-2.0
/*
 * The pvsteal control laws. See policy.h for the interface and
 * Documentation/pvsteal.rst for the reasoning.
 *
 * Ours, in short: fold (mark) when the active vCPUs lose more than high_pct
 * of the time they want to run, down to the capacity the host gives the
 * guest and never below it; keep probing one marked vCPU with a short
 * pinned spin, and unfold as soon as the probe shows that the host would
 * run more vCPUs without steal. Everything is O(nr_cpus) per period.
 */
#include "policy.h"

/* A fold keeps this much less than a whole CPU of measured capacity. */
#define PVP_FOLD_SLACK		(PVP_ONE / 6)
/*
 * A guest whose active CPUs want less than half a CPU in all has nothing
 * to gain from folding; a group that wants less than a tenth of a period
 * says nothing about its host.
 */
#define PVP_MIN_WANT		(PVP_ONE / 2)
#define PVP_MIN_GROUP_WANT	(PVP_ONE / 10)
/* A marked CPU that ran at least this long was probed. */
#define PVP_PROBE_MIN		(PVP_ONE / 1000)
/* The longest probe, in microseconds. */
#define PVP_PROBE_MAX_US	20000U

/* Sums over the active CPUs and over the probed marked ones, in PVP_ONE units. */
struct pvp_totals {
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
	s->nprobe = 0;
	s->probe_next = 0;
	s->cap_ref = 0;
	s->hot_cap = 0;
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
	if (k->law != PVP_LAW_OURS && k->law != PVP_LAW_UPSTREAM)
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
 * whose capacity is not a multiple of the group size (and then unfold on
 * the room the overshoot left).
 */
static void fold(struct pvp_state *s, const struct pvp_knobs *k,
		 const struct pvp_mask *online, unsigned int active,
		 unsigned int target, unsigned int above)
{
	unsigned int n = order_groups(s, online, 0, 1, 0), i;

	for (i = 0; i < n && active > target; i++) {
		unsigned int first = s->order[i], g = s->cpu[first].group;
		unsigned int cpus = group_cpus(s, first);

		if (pct(s->g_steal[g], s->g_want[g]) <= above && above)
			break;
		if (active - cpus < k->min_active || active - cpus < target)
			continue;
		flip(s, first);
		active -= cpus;
	}
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
 * Our law. The steal fraction of the active CPUs says when to fold; the
 * capacity the host gives says how far, and the most it gave during this
 * fold is the floor, so a host that shares per vCPU thread is not ceded
 * more with every period. The probe says when to unfold: the probed CPUs
 * are that many more runnable vCPUs for a moment, so what they lose is
 * what the guest would lose with them unfolded.
 */
static void step_ours(struct pvp_state *s, const struct pvp_knobs *k,
		      const struct pvp_mask *online, const struct pvp_totals *t)
{
	unsigned long long cap = t->a_busy, probe_cap = 0, target;
	unsigned long long hot_steal = 0, hot_want = 0;
	unsigned int s_probe = 0, i, hot_cpus = 0;
	int local, global;

	if (!t->marked)
		s->cap_ref = 0;
	/*
	 * The period right after a change still describes the old mask when
	 * the steal source lags (the relay; a host that reports late): wait.
	 */
	if (s->last_change && s->period - s->last_change < 2) {
		s->hot_cap = 0;
		return;
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
			return;
		}
		cap = (cap + s->hot_cap - 1) / 2;
		s->hot_cap = 0;
	} else {
		s->hot_cap = 0;
	}
	if (local) {
		fold(s, k, online, t->active, 0, k->high_pct);
		return;
	}
	if (global) {
		/* Global: down to the capacity, never below what it was. */
		if (probe_cap > cap)
			cap = probe_cap;
		if (cap < s->cap_ref)
			cap = s->cap_ref;
		s->cap_ref = cap;
		target = cap > PVP_FOLD_SLACK ? (cap - PVP_FOLD_SLACK + PVP_ONE - 1) / PVP_ONE : 0;
		fold(s, k, online, t->active, (unsigned int)target, 0);
		return;
	}

	if (!t->probed)
		return;
	/* The probe ran (almost) unstolen: the contention has gone. */
	if (s_probe < k->low_pct) {
		unfold(s, online, t->active, s->ncpus);
		return;
	}
	/*
	 * The host may have room for some: as many as the capacity the probe
	 * measured, less 5% for its noise.
	 */
	target = (probe_cap * 95 / 100 + PVP_FOLD_SLACK) / PVP_ONE;
	if (target > t->active && probe_cap > s->cap_ref)
		s->cap_ref = probe_cap;
	unfold(s, online, t->active, (unsigned int)target);
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

/*
 * The marked groups to probe next period, round robin: one CPU each, and
 * enough of them (a quarter of the active CPUs) that the probe is a load
 * the host notices when it is full: at capacity, k probes among A active
 * vCPUs lose k / (A + k) of their time, at least a fifth.
 */
static void choose_probes(struct pvp_state *s, const struct pvp_mask *online)
{
	unsigned int n = s->ncpus, active = 0, want, j, i = 0;

	for (j = 0; j < n; j++)
		active += pvp_test(online, j) && !pvp_test(&s->mask, j);
	want = active ? (active + 3) / 4 : 1;

	for (j = 0; j < PVP_WORDS; j++)
		s->probe.w[j] = 0;
	s->nprobe = 0;
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

int pvp_step(struct pvp_state *s, const struct pvp_knobs *k,
	     const struct pvp_mask *online, const struct pvp_sample *smp)
{
	struct pvp_totals t = { 0 };
	struct pvp_mask old = s->mask;
	unsigned int n = s->ncpus, i;
	int changed = 0;

	s->period++;
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
		if (!pvp_test(&s->mask, i)) {
			t.active++;
			t.a_steal += steal;
			t.a_want += steal + busy;
			t.a_busy += busy;
			continue;
		}
		t.marked++;
		t.m_steal_all += steal;
		if (steal + busy >= PVP_PROBE_MIN) {
			t.probed++;
			t.m_steal += steal;
			t.m_want += steal + busy;
		}
	}

	/*
	 * Hotplug can take the active CPUs below min_active (the last one
	 * went offline): unfold before anything else.
	 */
	if (t.active < umin(k->min_active, t.active + t.marked))
		unfold(s, online, t.active, umin(k->min_active, t.active + t.marked));
	else if (k->law == PVP_LAW_UPSTREAM)
		step_upstream(s, k, online, &t);
	else
		step_ours(s, k, online, &t);
	apply_flips(s, online, &old);

	for (i = 0; i < PVP_WORDS; i++)
		if (old.w[i] != s->mask.w[i])
			changed = 1;
	if (changed) {
		s->changes++;
		s->last_change = s->period;
	}
	if (k->law == PVP_LAW_OURS)
		choose_probes(s, online);
	else
		s->nprobe = 0;
	return changed;
}
