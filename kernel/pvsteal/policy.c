// SPDX-License-Identifier: GPL-2.0
/*
 * The pvsteal control law. See policy.h for the interface and
 * Documentation/pvsteal.rst for the reasoning.
 *
 * In short: fold (mark) when the active vCPUs see steal above high_pct,
 * hottest SMT groups first, down to what the host is really giving the
 * guest; unfold a group only on evidence that the contention it was folded
 * for has gone: steal that stayed visible after the fold and has now
 * dropped below low_pct. A fold that left no visible steal behind gives no
 * such evidence, so it is probed after PVP_PROBE_PERIODS, with exponential
 * backoff when the probe has to be folded back.
 */
#include "policy.h"

static unsigned int umin(unsigned int a, unsigned int b)
{
	return a < b ? a : b;
}

static unsigned int umax(unsigned int a, unsigned int b)
{
	return a > b ? a : b;
}

void pvp_reset(struct pvp_state *s)
{
	unsigned int i;

	for (i = 0; i < PVP_WORDS; i++)
		s->mask.w[i] = 0;
	for (i = 0; i < PVP_MAX_CPUS; i++) {
		struct pvp_cpu *c = &s->cpu[i];

		c->steal = 0;
		c->smooth = 0;
		c->post = 0;
		c->fold_period = 0;
		c->probe_period = 0;
		c->ttl = PVP_PROBE_PERIODS;
		c->fresh = 0;
	}
	s->period = 0;
	s->gl_period = 0;	/* none: periods count from 1 */
	s->gl_runnable = 0;
	s->gl_busy = 0;
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
	return 0;
}

/* Mean steal of the online CPUs of @cpu's group. */
static unsigned int group_steal(const struct pvp_state *s, unsigned int cpu)
{
	unsigned int g = s->cpu[cpu].group;

	return s->g_n[g] ? s->g_sum[g] / s->g_n[g] : 0;
}

/*
 * How many active CPUs the host can run with steal at most @high percent,
 * when every active CPU is contended. @runnable and @busy are the sums over
 * the active CPUs of busy + steal and of busy time, in percent of a period.
 *
 * The host is modelled as P CPUs shared fairly by the guest's runnable
 * vCPUs (X = runnable / 100 of them) and Q other threads: a runnable vCPU
 * gets busy / runnable = P / (X + Q) of a CPU. One period gives one
 * equation; the previous contended period, if it was the last one and had
 * a different X, gives the second, and the target is the X for which
 * P / (X + Q) = 1 - high / 100. Without it, assume Q = 0: the guest is
 * held to the capacity it got, busy / 100 CPUs.
 */
static unsigned int fold_target(struct pvp_state *s, unsigned int high,
				unsigned long long runnable,
				unsigned long long busy)
{
	unsigned long long r1 = s->gl_runnable, b1 = s->gl_busy;
	unsigned long long r2 = runnable, b2 = busy;
	long long p100, q100, x100;
	unsigned int target;

	target = (busy + 99) / 100;
	if (s->gl_period && s->gl_period + 1 == s->period && r1 > r2 && b1 && b2 &&
	    r1 * b2 > r2 * b1) {
		/* P in hundredths of a CPU, from the two periods */
		p100 = (r1 - r2) * b1 * b2 / (r1 * b2 - r2 * b1);
		q100 = p100 * (long long)r1 / (long long)b1 - (long long)r1;
		x100 = p100 * 100 / (100 - high) - q100;
		if (q100 >= 0)
			target = x100 > 0 ? x100 / 100 : 0;
	}
	s->gl_period = s->period;
	s->gl_runnable = runnable;
	s->gl_busy = busy;
	return target;
}

/*
 * The active group to fold next: highest steal, ties to the highest group
 * (CPU 0 tends to carry the housekeeping), only hot ones if @hot_only.
 * Returns the group's first CPU, or -1.
 */
static int pick_fold(struct pvp_state *s, const struct pvp_mask *online,
		     unsigned int high, int hot_only)
{
	unsigned int i, best_steal = 0;
	int best = -1;

	for (i = 0; i < s->ncpus; i++) {
		unsigned int g = s->cpu[i].group, st;

		if (!pvp_test(online, i) || pvp_test(&s->mask, i) ||
		    s->g_first[g] != i || s->g_tried[g])
			continue;
		st = group_steal(s, i);
		if (hot_only && st <= high)
			continue;
		if (best < 0 || st > best_steal ||
		    (st == best_steal && g > s->cpu[best].group)) {
			best = i;
			best_steal = st;
		}
	}
	return best;
}

static void fold_group(struct pvp_state *s, const struct pvp_mask *online,
		       unsigned int first)
{
	unsigned int g = s->cpu[first].group, p = s->period, i;

	for (i = first; i < s->ncpus; i++) {
		struct pvp_cpu *c = &s->cpu[i];

		if (c->group != g || !pvp_test(online, i))
			continue;
		pvp_set(&s->mask, i);
		c->fresh = 1;
		c->post = 0;
		c->fold_period = p;
		/* Folded right back after a probe: wait twice as long next time. */
		if (c->probe_period && p - c->probe_period <= PVP_PROBE_FAIL)
			c->ttl = umin(2 * c->ttl, PVP_PROBE_MAX);
		c->probe_period = 0;
	}
}

static void unfold_group(struct pvp_state *s, const struct pvp_mask *online,
			 unsigned int first, int probe)
{
	unsigned int g = s->cpu[first].group, i;

	for (i = first; i < s->ncpus; i++) {
		if (s->cpu[i].group != g || !pvp_test(online, i))
			continue;
		pvp_clear(&s->mask, i);
		s->cpu[i].probe_period = probe ? s->period : 0;
	}
}

int pvp_step(struct pvp_state *s, const struct pvp_knobs *k,
	     const struct pvp_mask *online, const struct pvp_sample *smp)
{
	unsigned int n = s->ncpus, i, p, target;
	unsigned int active = 0, act_sum = 0, s_act;
	unsigned long long runnable = 0, busy = 0;
	unsigned int hot = 0, cool_n = 0, cool_sum = 0;
	struct pvp_mask old = s->mask;
	int folded = 0, changed = 0, first;

	p = ++s->period;

	/* Gather: per CPU, per group, and over the active CPUs. */
	for (i = 0; i < n; i++) {
		unsigned int g = s->cpu[i].group;

		s->g_sum[g] = 0;
		s->g_n[g] = 0;
		s->g_first[g] = n;
		s->g_tried[g] = 0;
	}
	for (i = 0; i < n; i++) {
		struct pvp_cpu *c = &s->cpu[i];
		unsigned int g = c->group;

		if (!pvp_test(online, i)) {
			/* Offline CPUs are not marked and keep no history. */
			pvp_clear(&s->mask, i);
			c->steal = 0;
			c->fresh = 0;
			c->probe_period = 0;
			continue;
		}
		c->steal = umin(smp[i].steal_pct, 100);
		c->smooth = (3 * c->smooth + 100 * c->steal) / 4;
		s->g_sum[g] += c->steal;
		s->g_n[g]++;
		if (s->g_first[g] == n)
			s->g_first[g] = i;
		if (!pvp_test(&s->mask, i)) {
			active++;
			act_sum += c->steal;
			busy += umin(smp[i].busy_pct, 100 - c->steal);
			runnable += umin(smp[i].busy_pct, 100 - c->steal) + c->steal;
		}
	}
	s_act = active ? act_sum / active : 0;

	/*
	 * The period after a fold tells whether steal stayed visible: on the
	 * folded group itself (injected or residual) or on the CPUs that
	 * stayed active. Its disappearance later is the evidence to unfold.
	 */
	for (i = 0; i < n; i++) {
		struct pvp_cpu *c = &s->cpu[i];

		if (c->fresh && pvp_test(online, i) && pvp_test(&s->mask, i)) {
			c->post = umax(group_steal(s, i), s_act);
			c->fresh = 0;
		}
	}

	/* Fold. */
	for (i = 0; i < n; i++) {
		if (!pvp_test(online, i) || pvp_test(&s->mask, i))
			continue;
		if (group_steal(s, i) > k->high_pct) {
			hot++;
		} else {
			cool_n++;
			cool_sum += s->cpu[i].steal;
		}
	}
	if (hot) {
		/*
		 * Local: the steal is on some CPUs while the rest are calm, so
		 * fold just the hot ones. Global: everything active is
		 * contended, so fold down to what the host can run without
		 * steal above high_pct (fold_target()), at least one group.
		 */
		int local = cool_n && cool_sum / cool_n < k->low_pct;

		if (local) {
			target = k->min_active;
		} else {
			target = fold_target(s, k->high_pct, runnable, busy);
			if (target >= active)
				target = active - 1;
			target = umax(target, k->min_active);
		}
		while (active > target) {
			first = pick_fold(s, online, k->high_pct, local);
			if (first < 0)
				break;
			s->g_tried[s->cpu[first].group] = 1;
			if (active - s->g_n[s->cpu[first].group] < k->min_active)
				continue;
			fold_group(s, online, first);
			active -= s->g_n[s->cpu[first].group];
			folded = 1;
		}
	}

	/* Unfold, on evidence or as a probe; never in a period that folded. */
	for (i = 0; i < n && !folded; i++) {
		struct pvp_cpu *c = &s->cpu[i];

		if (!pvp_test(online, i) || !pvp_test(&s->mask, i) ||
		    s->g_first[c->group] != i || c->fresh)
			continue;
		if (group_steal(s, i) >= k->low_pct || s_act >= k->low_pct)
			continue;
		if (c->post >= k->low_pct)
			unfold_group(s, online, i, 0);
		else if (p - c->fold_period >= c->ttl)
			unfold_group(s, online, i, 1);
	}

	/* A probe that held: back to the short wait. */
	for (i = 0; i < n; i++) {
		struct pvp_cpu *c = &s->cpu[i];

		if (c->probe_period && !pvp_test(&s->mask, i) &&
		    p - c->probe_period > PVP_PROBE_FAIL) {
			c->ttl = PVP_PROBE_PERIODS;
			c->probe_period = 0;
		}
	}

	for (i = 0; i < PVP_WORDS; i++)
		if (old.w[i] != s->mask.w[i])
			changed = 1;
	s->changes += changed;
	return changed;
}
