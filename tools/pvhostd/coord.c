// SPDX-License-Identifier: GPL-2.0
/*
 * The pvhostd coordinator. See coord.h for the interface and
 * Documentation/pvhostd.rst for the reasoning.
 */
#include <stdio.h>
#include <string.h>

#include "coord.h"

static unsigned int umin(unsigned int a, unsigned int b)
{
	return a < b ? a : b;
}

void pvc_guest_init(struct pvc_guest *g, unsigned int vcpus)
{
	memset(g, 0, sizeof(*g));
	g->vcpus = vcpus;
	g->weight = 100;
	g->runnable = -1;
	g->cap = vcpus * 1000;
}

/*
 * What a guest wants. One that does not take hints wants what its threads
 * wanted. One that does and used (nearly) all its cap may want more than
 * it could show, up to all its vCPUs, or the runnable tasks it reported;
 * one that left room wants what it used and a margin, so that a load that
 * grows is seen before it is squeezed.
 */
static unsigned int demand(struct pvc_guest *g)
{
	unsigned int all = g->vcpus * 1000;
	unsigned int wanted = umin(g->used + g->waited, all);

	g->saturated = g->cooperates && wanted + PVC_SLACK >= umin(g->cap, all);
	if (!g->cooperates)
		return wanted;
	if (g->saturated) {
		if (g->runnable < 0)
			return all;
		return umin(all, wanted > g->runnable * 1000U ? wanted : g->runnable * 1000U);
	}
	return umin(all, wanted + (wanted / 4 > PVC_MARGIN ? wanted / 4 : PVC_MARGIN));
}

/*
 * Max-min fair with weights: every guest gets min(want, level * weight),
 * the level as high as @mcpu allows. Guests whose want is under the level
 * are served first and the rest share what is left; at most n rounds.
 */
static void water_fill(const struct pvc_host *h, struct pvc_guest *g, unsigned int n)
{
	unsigned long long left = h->mcpu, wsum = 0;
	int done[PVC_MAX_GUESTS] = { 0 };
	unsigned int i, round;

	for (i = 0; i < n; i++)
		wsum += h->per_vm ? g[i].weight : g[i].vcpus;
	for (round = 0; round <= n && wsum; round++) {
		int served = 0;

		for (i = 0; i < n; i++) {
			unsigned long long w = h->per_vm ? g[i].weight : g[i].vcpus;

			if (done[i] || g[i].want * wsum > left * w)
				continue;
			g[i].fill = g[i].want;
			left -= g[i].want;
			wsum -= w;
			done[i] = served = 1;
		}
		if (!served)
			break;
	}
	for (i = 0; i < n; i++)
		if (!done[i])
			g[i].fill = wsum ? (unsigned int)(left * (h->per_vm ? g[i].weight :
								  g[i].vcpus) / wsum) : 0;
}

/*
 * A busy guest runs whole vCPUs: a part of 10.24 CPUs runs 11 that lose
 * 7% of their time, or 10 that leave 0.24 idle. Where the fraction is at
 * most a twentieth of the part, round the part down to whole CPUs and hand
 * the CPUs these fractions add up to, one each, to the largest fractions;
 * a guest that has one keeps it against an equal or slightly larger
 * fraction, so that noise does not move it around. A larger fraction (1.5
 * CPUs) stays: the guest runs one vCPU more, rather than cede a third.
 */
#define PVC_STICKY	250

static int rounds(const struct pvc_guest *g)
{
	unsigned int frac = g->fill % 1000;

	return g->saturated && frac && frac * 20 <= g->fill && g->fill < g->vcpus * 1000;
}

static void whole_cpus(struct pvc_guest *g, unsigned int n)
{
	unsigned int spare = 0, i;

	for (i = 0; i < n; i++)
		if (rounds(&g[i]))
			spare += g[i].fill % 1000;
	for (i = 0; i < n; i++)
		g[i].lower_frac = rounds(&g[i]);
	for (spare /= 1000; spare; spare--) {
		unsigned int best = n, best_key = 0;

		for (i = 0; i < n; i++) {
			unsigned int key = g[i].fill % 1000 + 1;

			if (!g[i].lower_frac || g[i].fill % 1000 == 0)
				continue;
			if (g[i].cap > g[i].fill)
				key += PVC_STICKY;
			if (key > best_key)
				best = i, best_key = key;
		}
		if (best == n)
			break;
		g[best].fill += 1000 - g[best].fill % 1000;
	}
	for (i = 0; i < n; i++)
		if (g[i].lower_frac)
			g[i].fill -= g[i].fill % 1000;
}

/*
 * Grow at once, shrink only when two periods agree (to the higher of the
 * two), and move by more than the dead band or to all vCPUs.
 */
static void set_cap(struct pvc_guest *g, unsigned int want_cap)
{
	unsigned int old = g->cap;

	if (want_cap > g->cap) {
		if (want_cap > g->cap + PVC_DEADBAND || want_cap == g->vcpus * 1000)
			g->cap = want_cap;
		g->lower = 0;
	} else if (want_cap + PVC_DEADBAND < g->cap) {
		if (g->lower)
			g->cap = want_cap > g->lower ? want_cap : g->lower;
		g->lower = g->cap == old ? want_cap : 0;
	} else {
		g->lower = 0;
	}
	if (g->cap != old)
		g->changes++;
}

void pvc_step(struct pvc_host *h, struct pvc_guest *g, unsigned int n)
{
	unsigned long long total = 0;
	unsigned int i;

	if (n > PVC_MAX_GUESTS)
		n = PVC_MAX_GUESTS;
	for (i = 0; i < n; i++) {
		if (!g[i].weight)
			g[i].weight = 100;
		g[i].want = demand(&g[i]);
		total += g[i].want;
	}
	h->contended = total > h->mcpu;
	water_fill(h, g, n);
	whole_cpus(g, n);
	/*
	 * A host that shares per thread gives what a folding guest leaves to
	 * every runnable thread: a neighbour that does not fold and wants
	 * more than its part would take it. Then folding cedes; nobody folds.
	 */
	h->holdback = 0;
	for (i = 0; i < n && !h->per_vm && h->contended; i++)
		if (!g[i].cooperates && g[i].want > g[i].fill + PVC_SLACK)
			h->holdback = 1;
	for (i = 0; i < n; i++) {
		unsigned int all = g[i].vcpus * 1000;

		if (!g[i].cooperates) {
			/* What it is sent, should it start taking hints: all of it. */
			g[i].cap = all;
			g[i].lower = 0;
			continue;
		}
		/* At least 1, so that a proposal is never mistaken for none. */
		set_cap(&g[i], h->contended && !h->holdback ?
			umin(g[i].fill ? g[i].fill : 1, all) : all);
	}
}

/* "WORD N N N" exactly, numbers without signs or leading junk. */
static int parse_numbers(const char *line, const char *word, unsigned int *v,
			 unsigned int count, const char **rest)
{
	size_t len = strlen(word);
	const char *p = line;
	unsigned int i;

	if (strncmp(p, word, len) || p[len] != ' ')
		return -1;
	p += len;
	for (i = 0; i < count; i++) {
		unsigned long long x = 0;
		int digits = 0;

		if (*p++ != ' ')
			return -1;
		while (*p >= '0' && *p <= '9' && digits < 11) {
			x = x * 10 + (unsigned int)(*p++ - '0');
			digits++;
		}
		if (!digits || x > 0xffffffffULL)
			return -1;
		v[i] = (unsigned int)x;
	}
	*rest = p;
	return 0;
}

int pvc_parse_cap(const char *line, unsigned int *mcpu, unsigned int *seq,
		  unsigned int *ttl)
{
	unsigned int v[3];
	const char *rest;

	if (parse_numbers(line, "cap", v, 3, &rest) || *rest ||
	    v[0] > PVC_MCPU_MAX || !v[2] || v[2] > PVC_TTL_MAX)
		return -1;
	*mcpu = v[0];
	*seq = v[1];
	*ttl = v[2];
	return 0;
}

int pvc_parse_demand(const char *line, unsigned int *runnable)
{
	unsigned int v[1];
	const char *rest;

	if (parse_numbers(line, "demand", v, 1, &rest) || *rest++ != ' ' || !*rest ||
	    v[0] > PVC_MCPU_MAX / 1000)
		return -1;
	if (strcmp(rest, "-")) {
		/* A cpulist: digits, ',' and '-' only, as the guest's sysfs prints it. */
		for (; *rest; rest++)
			if (!(*rest >= '0' && *rest <= '9') && *rest != ',' && *rest != '-')
				return -1;
	}
	*runnable = v[0];
	return 0;
}
