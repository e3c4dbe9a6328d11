// SPDX-License-Identifier: GPL-2.0
/*
 * pvsim: the pvsteal policy (kernel/pvsteal/policy.c, the same file the
 * module compiles) against the host model of model.h, for its three laws;
 * law=host takes the hint of the coordinator of tools/pvhostd/coord.c.
 *
 * Scenarios: one governed guest whose host becomes contended for 50
 * periods and then frees up again, with the steal source exact or lagging
 * a period with +-8 points of noise; then many guests sharing one host,
 * none, all or half of them governed. Useful work discounts busy time for
 * vCPU preemption (model.h, PVM_LHP_COST).
 *
 * Then the scenarios of scenario.c over SEEDS seeds (20).
 *
 * Usage: pvsim [-l ours|upstream|host|all] [-s SEEDS] [-o DIR]
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scenario.h"

#define CALM		10	/* periods before the contention */
#define CONTENDED	50
#define AFTER		20

static const char *const law_name[] = { "ours", "upstream", "host" };

struct scenario {
	const char *name;
	unsigned int n;		/* vCPUs */
	double calm_p, busy_p;	/* host CPUs before/after and during */
	unsigned int q;		/* neighbour vCPUs during the contention */
	int per_vm, smt, noisy;
};

static const struct scenario scenarios[] = {
	{ "4 vCPUs, host 4 -> 2 -> 4 CPUs", 4, 4, 2, 0, 0, 0, 0 },
	{ "the same, lagging and noisy steal", 4, 4, 2, 0, 0, 0, 1 },
	{ "4 vCPUs on 4, a 4-vCPU neighbour (per thread)", 4, 4, 4, 4, 0, 0, 1 },
	{ "4 vCPUs on 4, a 4-vCPU neighbour (per VM)", 4, 4, 4, 4, 1, 0, 1 },
	{ "8 vCPUs in SMT pairs, host 8 -> 4 -> 8", 8, 8, 4, 0, 0, 1, 1 },
	{ "64 vCPUs, host 64 -> 40 -> 64", 64, 64, 40, 0, 0, 0, 1 },
};

struct result {
	int fold, unfold;		/* periods, -1 never */
	unsigned int changes;		/* during the contention */
	double useful;			/* CPU-periods of useful work while contended */
	double steal;			/* percent of the wanted time, while contended */
	unsigned int active;		/* at the end of the contention */
};

static void run(const struct scenario *sc, int law, int governed, struct result *r, FILE *csv)
{
	struct pvp_knobs k = { 20, 10, 1, (unsigned int)law };
	static struct pvm_vm vms[2];
	struct pvm_host h = { .cpus = sc->calm_p, .per_vm = sc->per_vm, .period_ms = 1000, .wake_ms = 3,
			      .rng = 42 };
	unsigned int nvm = 1, changes0 = 0;
	double want = 0, steal = 0;

	if (sc->noisy) {
		h.lag = 1;
		h.noise.indep = 0.08;
	}
	memset(r, 0, sizeof(*r));
	r->fold = r->unfold = -1;
	pvm_vm_init(&vms[0], sc->n, sc->n, governed, &k);
	if (sc->smt && governed)
		for (unsigned int i = 0; i < sc->n; i++)
			vms[0].st->cpu[i].group = i % (sc->n / 2);
	pvm_vm_init(&vms[1], sc->q ? sc->q : 1, sc->q, 0, &k);
	for (int t = 0; t < CALM + CONTENDED + AFTER; t++) {
		int contended = t >= CALM && t < CALM + CONTENDED;

		h.cpus = contended ? sc->busy_p : sc->calm_p;
		nvm = contended && sc->q ? 2 : 1;
		pvm_step(&h, vms, nvm);
		if (csv)
			fprintf(csv, "%s,%s,%d,%d,%u,%.1f,%.3f\n", sc->name,
				governed ? law_name[law] : "none", t, contended, vms[0].active,
				vms[0].want > 0 ? 100 * vms[0].steal / vms[0].want : 0, vms[0].useful);
		if (t == CALM - 1)
			changes0 = vms[0].changes;
		if (contended) {
			r->useful += vms[0].useful;
			want += vms[0].want;
			steal += vms[0].steal;
			if (r->fold < 0 && vms[0].changes > changes0)
				r->fold = t - CALM + 1;
		}
		if (t == CALM + CONTENDED - 1) {
			r->changes = vms[0].changes - changes0;
			r->active = pvm_active(&vms[0]);
		}
		if (t >= CALM + CONTENDED && r->unfold < 0 && governed &&
		    pvm_active(&vms[0]) == sc->n)
			r->unfold = t - CALM - CONTENDED + 1;
	}
	r->steal = want > 0 ? 100 * steal / want : 0;
	pvm_vm_free(&vms[0]);
	pvm_vm_free(&vms[1]);
}

static void periods(char *buf, size_t len, int p)
{
	if (p < 0)
		snprintf(buf, len, "never");
	else
		snprintf(buf, len, "%d", p);
}

static void scenario_table(const int *laws, int nlaws, FILE *csv)
{
	printf("\nOne guest: %d calm periods, %d contended, %d after (periods of 1 s).\n"
	       "fold/unfold: periods from the start/end of the contention to the first\n"
	       "change/an empty mask; gain: useful work while contended, over no governor.\n\n",
	       CALM, CONTENDED, AFTER);
	printf("| scenario | law | fold | unfold | changes in %d periods | active at the end | steal %% | gain |\n",
	       CONTENDED);
	printf("|---|---|---|---|---|---|---|---|\n");
	for (unsigned int i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		struct result none, r;

		run(&scenarios[i], 0, 0, &none, csv);
		printf("| %s | none | - | - | 0 | %u | %.0f | 1.00 |\n", scenarios[i].name,
		       scenarios[i].n, none.steal);
		for (int l = 0; l < nlaws; l++) {
			char f[16], u[16];

			run(&scenarios[i], laws[l], 1, &r, csv);
			periods(f, sizeof(f), r.fold);
			periods(u, sizeof(u), r.unfold);
			printf("| %s | %s | %s | %s | %u | %u | %.0f | %.2f |\n", scenarios[i].name,
			       law_name[laws[l]], f, u, r.changes, r.active, r.steal,
			       r.useful / none.useful);
		}
	}
}

/* Many guests on one host: 4 phases of load, none, all or half governed. */
struct size {
	const char *name;
	unsigned int guests, vcpus;
	double pcpus;
};

static const struct size sizes[] = {
	{ "8 guests x 16 vCPUs on 32 host CPUs", 8, 16, 32 },
	{ "100 guests x 64 vCPUs on 1024 host CPUs", 100, 64, 1024 },
};

static double load(int phase, unsigned int g)
{
	switch (phase) {
	case 1: return 1.0;
	case 2: return g % 2 ? 1.0 : 0.10;
	default: return 0.25;
	}
}

static void many(const struct size *sz, int per_vm, int law, int mode, double *useful,
		 unsigned int *maxch)
{
	struct pvp_knobs k = { 20, 10, 1, (unsigned int)law };
	struct pvm_host h = { .cpus = sz->pcpus, .period_ms = 1000, .lag = 1, .noise = { .indep = 0.08 }, .wake_ms = 3,
			      .rng = 7, .per_vm = per_vm };
	struct pvm_vm *vms = calloc(sz->guests, sizeof(*vms));
	const int per_phase = 60;

	if (!vms)
		abort();
	useful[0] = useful[1] = 0;
	*maxch = 0;
	for (unsigned int g = 0; g < sz->guests; g++)
		pvm_vm_init(&vms[g], sz->vcpus, 0, mode == 2 || (mode == 1 && g % 2 == 0), &k);
	for (int t = 0; t < 4 * per_phase; t++) {
		for (unsigned int g = 0; g < sz->guests; g++)
			vms[g].work = load(t / per_phase, g) * sz->vcpus;
		pvm_step(&h, vms, sz->guests);
	}
	for (unsigned int g = 0; g < sz->guests; g++) {
		useful[vms[g].governed] += vms[g].t_useful;
		if (vms[g].changes > *maxch)
			*maxch = vms[g].changes;
		pvm_vm_free(&vms[g]);
	}
	free(vms);
}

static void many_table(const int *laws, int nlaws)
{
	printf("\nMany guests, lagging and noisy steal; 60 periods each of: all at 25%% load,\n"
	       "all busy, odd guests busy and even ones at 10%%, all at 25%% again.\n"
	       "Useful work per guest over the ungoverned run; changes: most of any guest.\n\n");
	printf("| host | shares | law | all governed | half: governed | half: not governed | changes per guest, most |\n");
	printf("|---|---|---|---|---|---|---|\n");
	for (unsigned int i = 0; i < 2 * sizeof(sizes) / sizeof(sizes[0]); i++) {
		const struct size *sz = &sizes[i / 2];
		int per_vm = !(i % 2);
		double none[2], all[2], half[2];
		unsigned int ch_none, ch_all, ch_half;

		many(sz, per_vm, 0, 0, none, &ch_none);
		for (int l = 0; l < nlaws; l++) {
			double base = none[0] / sz->guests;

			many(sz, per_vm, laws[l], 2, all, &ch_all);
			many(sz, per_vm, laws[l], 1, half, &ch_half);
			printf("| %s | per %s | %s | %.2f | %.2f | %.2f | %u |\n", sz->name,
			       per_vm ? "VM" : "thread", law_name[laws[l]],
			       all[1] / sz->guests / base,
			       half[1] / ((sz->guests + 1) / 2) / base,
			       half[0] / (sz->guests / 2) / base,
			       ch_all > ch_half ? ch_all : ch_half);
		}
	}
}

/* The scenarios of scenario.c, worst case over seeds 1 .. @seeds. */
static void scenarios_table(const int *laws, int nlaws, unsigned int seeds)
{
	printf("\nScenarios of many guests and of neighbours (tools/pvsim/scenario.c), worst\n"
	       "case over seeds 1-%u: changes, most of a guest in a phase; > 3, percent of\n"
	       "the governed guests' phases with more than 3 changes; got, least CPU time\n"
	       "of a governed guest over the run against the same run ungoverned; Jain, of\n"
	       "got over fair share, worst phase (ungoverned in brackets); useful work over\n"
	       "ungoverned, mean; steal of the governed guests, mean.\n\n", seeds);
	printf("| scenario | law | changes | > 3 %% | got | Jain | useful | steal %% |\n");
	printf("|---|---|---|---|---|---|---|---|\n");
	for (unsigned int i = 0; i < pvs_nscenarios; i++) {
		for (int l = 0; l < nlaws; l++) {
			double got = 1e9, jain = 1e9, jn = 1e9, useful = 0, steal = 0;
			unsigned int changes = 0, over3 = 0, phases = 0;

			for (unsigned int s = 1; s <= seeds; s++) {
				struct pvs_result r;

				pvs_run(&pvs_scenarios[i], laws[l], s, &r);
				changes = r.max_changes > changes ? r.max_changes : changes;
				over3 += r.over3;
				phases += r.phases;
				got = r.got_min < got ? r.got_min : got;
				jain = r.jain_min < jain ? r.jain_min : jain;
				jn = r.jain_none < jn ? r.jain_none : jn;
				useful += r.useful / seeds;
				steal += r.steal / seeds;
			}
			printf("| %s | %s | %u | %.1f | %.2f | %.2f (%.2f) | %.2f | %.0f |\n",
			       pvs_scenarios[i].name, law_name[laws[l]], changes,
			       phases ? 100.0 * over3 / phases : 0, got, jain, jn, useful, steal);
		}
	}
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/*
 * What pvp_step() costs per period for a guest of @n vCPUs whose host
 * alternates between @p CPUs and enough, every 25 periods: each period is
 * replayed on a copy of the policy's state, and only that call is timed.
 */
static double policy_us(unsigned int n, double p)
{
	struct pvp_knobs k = { 20, 10, 1, PVP_LAW_OURS };
	struct pvm_host h = { .period_ms = 1000, .lag = 1, .noise = { .indep = 0.08 }, .wake_ms = 3, .rng = 3 };
	struct pvp_state *copy = malloc(sizeof(*copy));
	static struct pvm_vm vm;
	double total = 0;
	const int periods = 200;

	if (!copy)
		abort();
	pvm_vm_init(&vm, n, n, 1, &k);
	for (int t = 0; t < periods; t++) {
		double t0;

		h.cpus = (t / 25) % 2 ? n : p;
		memcpy(copy, vm.st, sizeof(*copy));
		pvm_step(&h, &vm, 1);
		/* The samples the policy just saw: with a lag, the other buffer. */
		t0 = now_us();
		pvp_step(copy, &k, &vm.online, vm.smp[copy->period % 2 ? 0 : 1]);
		total += now_us() - t0;
	}
	pvm_vm_free(&vm);
	free(copy);
	return total / periods;
}

static void usage(void)
{
	fprintf(stderr, "usage: pvsim [-l ours|upstream|host|all] [-s SEEDS] [-o DIR]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int laws[3] = { PVP_LAW_OURS, PVP_LAW_UPSTREAM, PVP_LAW_HOST }, nlaws = 3, opt;
	unsigned int seeds = 20;
	FILE *csv = NULL;
	char path[512];

	while ((opt = getopt(argc, argv, "l:o:s:h")) != -1) {
		switch (opt) {
		case 's':
			seeds = (unsigned int)atoi(optarg);
			if (!seeds)
				usage();
			break;
		case 'l':
			nlaws = 1;
			if (!strcmp(optarg, "upstream"))
				laws[0] = PVP_LAW_UPSTREAM;
			else if (!strcmp(optarg, "host"))
				laws[0] = PVP_LAW_HOST;
			else if (!strcmp(optarg, "all"))
				nlaws = 3;
			else if (strcmp(optarg, "ours"))
				usage();
			break;
		case 'o':
			snprintf(path, sizeof(path), "%s/pvsim.csv", optarg);
			csv = fopen(path, "w");
			if (!csv) {
				perror(path);
				return 1;
			}
			fprintf(csv, "scenario,law,period,contended,active_vcpus,steal_pct,useful_cpus\n");
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	printf("pvsim: kernel/pvsteal/policy.c with its defaults (high 20%%, low 10%%, min_active 1)\n"
	       "against the host model of tools/pvsim/model.h.\n");
	scenario_table(laws, nlaws, csv);
	many_table(laws, nlaws);
	scenarios_table(laws, nlaws, seeds);
	{
		double us = policy_us(1024, 600);

		printf("\nCost: pvp_step() takes %.1f us per period for 1024 vCPUs, %.4f%% of one CPU\n"
		       "at the default 1000 ms period.\n", us, us / 10000);
	}
	if (csv) {
		fclose(csv);
		printf("\nper-period CSV: %s\n", path);
	}
	return 0;
}
