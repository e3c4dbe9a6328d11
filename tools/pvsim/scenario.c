// SPDX-License-Identifier: GPL-2.0
/* The scenarios of scenario.h and how a run of one is measured. */
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

#define BUSY4(x)	{ x, x, x, x }
/* The load of the many-guest scenarios: 25%, all busy, half busy, 25%. */
#define ODD		{ 0.25, 1, 1, 0.25 }
#define EVEN		{ 0.25, 1, 0.10, 0.25 }

const struct pvs_scenario pvs_scenarios[] = {
	/* Many guests: lockstep, fairness, what neighbours get. */
	{ "8 x 16 vCPUs on 32 CPUs, per thread", 0, PVS_NOISY, 4, 60, BUSY4(32),
	  { { 4, 16, 1, 0, 0, 0, ODD }, { 4, 16, 1, 0, 0, 0, EVEN } } },
	{ "8 x 16 vCPUs on 32 CPUs, per VM", 1, PVS_NOISY, 4, 60, BUSY4(32),
	  { { 4, 16, 1, 0, 0, 0, ODD }, { 4, 16, 1, 0, 0, 0, EVEN } } },
	{ "100 x 64 vCPUs on 1024 CPUs, per thread", 0, PVS_NOISY, 4, 60, BUSY4(1024),
	  { { 50, 64, 1, 0, 0, 0, ODD }, { 50, 64, 1, 0, 0, 0, EVEN } } },
	{ "100 x 64 vCPUs on 1024 CPUs, per VM", 1, PVS_NOISY, 4, 60, BUSY4(1024),
	  { { 50, 64, 1, 0, 0, 0, ODD }, { 50, 64, 1, 0, 0, 0, EVEN } } },
	{ "8 x 16 on 32, half governed, per thread", 0, PVS_NOISY, 4, 60, BUSY4(32),
	  { { 4, 16, 1, 0, 0, 0, ODD }, { 4, 16, 0, 0, 0, 0, ODD } } },
	{ "8 x 16 on 32, half governed, per VM", 1, PVS_NOISY, 4, 60, BUSY4(32),
	  { { 4, 16, 1, 0, 0, 0, ODD }, { 4, 16, 0, 0, 0, 0, ODD } } },
	{ "3 x 8 vCPUs on 6 CPUs, weights 2:1:1, per VM", 1, PVS_NOISY, 2, 60, { 6, 6 },
	  { { 1, 8, 1, 0, 0, 2, { 1, 1 } }, { 2, 8, 1, 0, 0, 1, { 1, 0.25 } } } },
	/* Neighbours that are not governed, on a host that shares per thread. */
	{ "8 vCPUs, 4 CPUs of work, busy 4-thread neighbour, 4 CPUs", 0, PVS_NOISY, 1, 100,
	  { 4 }, { { 1, 8, 1, 0, 0, 0, { 0.5 } }, { 1, 4, 0, 0, 0, 0, { 1 } } } },
	{ "4 vCPUs, busy 6-thread neighbour, 2 CPUs", 0, PVS_NOISY, 1, 100,
	  { 2 }, { { 1, 4, 1, 0, 0, 0, { 1 } }, { 1, 6, 0, 0, 0, 0, { 1 } } } },
	{ "8 busy vCPUs, busy 4-thread neighbour, 4 CPUs", 0, PVS_NOISY, 1, 100,
	  { 4 }, { { 1, 8, 1, 0, 0, 0, { 1 } }, { 1, 4, 0, 0, 0, 0, { 1 } } } },
	{ "8 busy vCPUs on 4 CPUs, then a busy 4-thread neighbour", 0, PVS_NOISY, 2, 50,
	  { 4, 4 }, { { 1, 8, 1, 0, 0, 0, { 1, 1 } }, { 1, 4, 0, 0, 0, 0, { 0, 1 } } } },
	/* One guest: SMT, work left on marked vCPUs, a host that changes. */
	{ "8 vCPUs in SMT pairs on 5 CPUs", 0, PVS_NOISY, 1, 100, { 5 },
	  { { 1, 8, 1, 1, 0, 0, { 1 } } } },
	{ "8 vCPUs on 4 CPUs, 2 ms/s left on marked vCPUs", 0, PVS_NOISY, 1, 100, { 4 },
	  { { 1, 8, 1, 0, 0.002, 0, { 1 } } } },
	{ "16 vCPUs on 8 CPUs, 2 ms/s left on marked vCPUs", 0, PVS_NOISY, 1, 100, { 8 },
	  { { 1, 16, 1, 0, 0.002, 0, { 1 } } } },
	{ "64 vCPUs on 32 CPUs, 2 ms/s left on marked vCPUs", 0, PVS_NOISY, 1, 100, { 32 },
	  { { 1, 64, 1, 0, 0.002, 0, { 1 } } } },
	{ "8 vCPUs, host 8 -> 4 -> 2 -> 8 CPUs", 0, PVS_NOISY, 4, 40, { 8, 4, 2, 8 },
	  { { 1, 8, 1, 0, 0, 0, BUSY4(1) } } },
	{ "8 vCPUs, host 8 -> 4 -> 2 -> 8 CPUs, exact", 0, PVS_EXACT, 4, 40, { 8, 4, 2, 8 },
	  { { 1, 8, 1, 0, 0, 0, BUSY4(1) } } },
	{ "8 vCPUs, host 8 -> 4 -> 2 -> 8 CPUs, lag", 0, PVS_LAG, 4, 40, { 8, 4, 2, 8 },
	  { { 1, 8, 1, 0, 0, 0, BUSY4(1) } } },
};
const unsigned int pvs_nscenarios = sizeof(pvs_scenarios) / sizeof(pvs_scenarios[0]);

void pvs_noise(struct pvm_host *h, enum pvs_noise n, unsigned long long seed)
{
	h->rng = seed * 0x9e3779b97f4a7c15ULL + 1;
	h->lag = n != PVS_EXACT;
	memset(&h->noise, 0, sizeof(h->noise));
	if (n == PVS_NOISY) {
		/*
		 * What the relay showed: +-8 points per vCPU and period, a few
		 * shared by all vCPUs of a guest and drifting, and now and then
		 * a period in which a host daemon takes a quarter.
		 */
		h->noise.indep = 0.08;
		h->noise.corr = 0.02;
		h->noise.burst_p = 0.02;
		h->noise.burst = 0.25;
		h->noise.burst_len = 1;
	}
}

/* Per guest and phase: CPU time, useful work, changes, first change. */
struct trace {
	double got[PVS_PHASES], useful[PVS_PHASES], want[PVS_PHASES], steal[PVS_PHASES];
	double settled[PVS_PHASES];	/* CPU time after the first 5 periods */
	unsigned int changes[PVS_PHASES];
	int first[PVS_PHASES];
	unsigned int active_end;
};

static unsigned int guests(const struct pvs_scenario *sc)
{
	unsigned int n = 0;

	for (int i = 0; i < PVS_GROUPS; i++)
		n += sc->g[i].count;
	return n;
}

static const struct pvs_group *group_of(const struct pvs_scenario *sc, unsigned int v)
{
	int i = 0;

	while (v >= sc->g[i].count)
		v -= sc->g[i++].count;
	return &sc->g[i];
}

static void simulate(const struct pvs_scenario *sc, int law, int governed,
		     unsigned long long seed, struct trace *tr)
{
	struct pvp_knobs k = { 20, 10, 1, (unsigned int)law };
	struct pvm_host h = { .per_vm = sc->per_vm, .period_ms = 1000, .wake_ms = 3 };
	unsigned int n = guests(sc);
	struct pvm_vm *vms = calloc(n, sizeof(*vms));
	unsigned int *before = calloc(n, sizeof(*before));

	if (!vms || !before)
		abort();
	pvs_noise(&h, sc->noise, seed);
	for (unsigned int v = 0; v < n; v++) {
		const struct pvs_group *g = group_of(sc, v);

		pvm_vm_init(&vms[v], g->vcpus, 0, governed && g->governed, &k);
		vms[v].stuck = g->stuck;
		vms[v].weight = g->weight > 0 ? g->weight : 1;
		if (g->smt && vms[v].st)
			for (unsigned int i = 0; i < g->vcpus; i++)
				vms[v].st->cpu[i].group = i % (g->vcpus / 2);
		memset(&tr[v], 0, sizeof(tr[v]));
	}
	for (unsigned int p = 0; p < sc->nphases; p++) {
		for (unsigned int v = 0; v < n; v++)
			tr[v].first[p] = -1;
		for (unsigned int t = 0; t < sc->len; t++) {
			h.cpus = sc->cpus[p];
			for (unsigned int v = 0; v < n; v++)
				vms[v].work = group_of(sc, v)->load[p] * vms[v].n;
			for (unsigned int v = 0; v < n; v++)
				before[v] = vms[v].changes;
			pvm_step(&h, vms, n);
			for (unsigned int v = 0; v < n; v++) {
				struct trace *x = &tr[v];

				x->got[p] += vms[v].busy;
				x->useful[p] += vms[v].useful;
				x->want[p] += vms[v].want;
				x->steal[p] += vms[v].steal;
				if (t >= 5)
					x->settled[p] += vms[v].busy;
				if (vms[v].changes != before[v]) {
					x->changes[p]++;
					if (x->first[p] < 0)
						x->first[p] = (int)t + 1;
				}
			}
		}
	}
	for (unsigned int v = 0; v < n; v++) {
		tr[v].active_end = pvm_active(&vms[v]);
		pvm_vm_free(&vms[v]);
	}
	free(vms);
	free(before);
}

void pvs_run(const struct pvs_scenario *sc, int law, unsigned long long seed,
	     struct pvs_result *r)
{
	unsigned int n = guests(sc);
	struct trace *gov = calloc(n, sizeof(*gov)), *none = calloc(n, sizeof(*none));
	double *got = calloc(n, sizeof(double)), *fair = calloc(n, sizeof(double));
	double *want = calloc(n, sizeof(double)), u_gov = 0, u_none = 0, st = 0, wt = 0;
	struct pvm_vm *shape = calloc(n, sizeof(*shape));
	struct pvm_host h = { .per_vm = sc->per_vm };

	if (!gov || !none || !got || !fair || !want || !shape)
		abort();
	simulate(sc, law, 1, seed, gov);
	simulate(sc, law, 0, seed, none);
	memset(r, 0, sizeof(*r));
	r->got_min = r->jain_min = r->jain_none = 1e9;
	r->nguests = n;
	for (unsigned int v = 0; v < n; v++) {
		shape[v].n = group_of(sc, v)->vcpus;
		shape[v].weight = group_of(sc, v)->weight > 0 ? group_of(sc, v)->weight : 1;
	}
	for (unsigned int p = 0; p < sc->nphases; p++) {
		double j;

		h.cpus = sc->cpus[p];
		for (unsigned int v = 0; v < n; v++)
			want[v] = group_of(sc, v)->load[p] * shape[v].n;
		pvm_fair(&h, shape, n, want, fair);
		for (unsigned int v = 0; v < n; v++)
			got[v] = gov[v].settled[p] / (sc->len - 5);
		j = pvm_jain(got, fair, n);
		r->jain_min = j < r->jain_min ? j : r->jain_min;
		for (unsigned int v = 0; v < n; v++)
			got[v] = none[v].settled[p] / (sc->len - 5);
		j = pvm_jain(got, fair, n);
		r->jain_none = j < r->jain_none ? j : r->jain_none;
		for (unsigned int v = 0; v < n; v++) {
			if (!group_of(sc, v)->governed)
				continue;
			u_gov += gov[v].useful[p];
			u_none += none[v].useful[p];
			st += gov[v].steal[p];
			wt += gov[v].want[p];
			if (gov[v].changes[p] > r->max_changes)
				r->max_changes = gov[v].changes[p];
			r->over3 += gov[v].changes[p] > 3;
			r->phases++;
			if (gov[v].first[p] > r->react_max)
				r->react_max = gov[v].first[p];
		}
	}
	/* Never cedes: what each guest got over the whole run. */
	for (unsigned int v = 0; v < n; v++) {
		double g = 0, u = 0, ratio;

		if (!group_of(sc, v)->governed)
			continue;
		for (unsigned int p = 0; p < sc->nphases; p++) {
			g += gov[v].got[p];
			u += none[v].got[p];
		}
		ratio = u > 0 ? g / u : 1;
		if (ratio < r->got_min)
			r->got_min = ratio;
	}
	r->useful = u_none > 0 ? u_gov / u_none : 1;
	r->steal = wt > 0 ? 100 * st / wt : 0;
	r->active_end = gov[0].active_end;
	free(gov);
	free(none);
	free(got);
	free(fair);
	free(want);
	free(shape);
}
