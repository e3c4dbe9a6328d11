// SPDX-License-Identifier: GPL-2.0
/*
 * pvsim: many guests on one host, each cooperating guest running the same
 * kernel/pvsteal/policy.c as the module, the others keeping all vCPUs.
 *
 * Host model: P physical CPUs shared fairly by every runnable vCPU thread.
 * A guest with work W (in CPUs) spreads it over its A active vCPUs; each
 * wants d = min(1, W / A) of a CPU and gets d * share, where
 * share = min(1, P / (all runnable vCPUs)); the rest of d is steal.
 *
 * Useful work: a guest's busy time loses efficiency to vCPU preemption,
 * since a preempted lock holder or wakee stalls the other vCPUs:
 * efficiency = 1 / (1 + LHP_COST * steal * (A - 1)), with steal the
 * fraction of the wanted time that was stolen. LHP_COST = 0.3 reproduces
 * the 1.45x that hackbench on 2 of 4 overcommitted TCG vCPUs measured over
 * all 4 (DESIGN.md, environment notes).
 *
 * Usage: pvsim [-s small|large] [-o FILE.csv] [-p PERIODS_PER_PHASE]
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kernel/pvsteal/policy.h"

#define LHP_COST	0.3
#define MAX_GUESTS	128
#define NPHASES		4

struct guest {
	int n;			/* vCPUs */
	int coop;		/* runs the governor */
	double load[NPHASES];	/* work per phase, fraction of n */
	struct pvp_state *st;
	/* totals */
	double steal_sum, want_sum, useful, busy;
	unsigned int changes;
	double active_sum;
};

struct scenario {
	const char *name;
	int guests, vcpus, pcpus;
};

static const struct scenario scenarios[] = {
	{ "small", 8, 16, 32 },
	{ "large", 100, 64, 1024 },
};

static const char *phase_desc[NPHASES] = {
	"all guests at 25% load",
	"all guests busy (4x overcommit at peak)",
	"odd guests busy, even guests at 10%",
	"all guests at 25% load again",
};

static struct pvp_knobs knobs = { .high_pct = 20, .low_pct = 5, .min_active = 1 };

static int active_of(const struct guest *g)
{
	int a = 0;

	for (int i = 0; i < g->n; i++)
		a += !(g->coop && pvp_test(&g->st->mask, i));
	return a;
}

static double guest_load(const struct guest *g, int phase, int gi)
{
	switch (phase) {
	case 0: case 3: return 0.25;
	case 1: return 1.0;
	default: return gi % 2 ? 1.0 : 0.10;
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: pvsim [-s small|large] [-o FILE.csv] [-p PERIODS_PER_PHASE]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const struct scenario *sc = &scenarios[0];
	static struct guest guests[MAX_GUESTS];
	struct pvp_sample smp[PVP_MAX_CPUS];
	struct pvp_mask online;
	const char *csv_path = NULL;
	int per_phase = 60, opt;
	FILE *csv = NULL;

	while ((opt = getopt(argc, argv, "s:o:p:h")) != -1) {
		switch (opt) {
		case 's':
			if (!strcmp(optarg, "large"))
				sc = &scenarios[1];
			else if (strcmp(optarg, "small"))
				usage();
			break;
		case 'o': csv_path = optarg; break;
		case 'p': per_phase = atoi(optarg); break;
		default: usage();
		}
	}
	if (per_phase < 5 || per_phase > 100000)
		usage();
	if (csv_path) {
		csv = fopen(csv_path, "w");
		if (!csv) {
			perror(csv_path);
			return 1;
		}
		fprintf(csv, "period,phase,guest,coop,active,steal_pct,busy_cpus,useful_cpus\n");
	}

	memset(&online, 0, sizeof(online));
	for (int gi = 0; gi < sc->guests; gi++) {
		struct guest *g = &guests[gi];

		g->n = sc->vcpus;
		/* Every other guest cooperates; the rest do not run pvsteal. */
		g->coop = gi % 2 == 0;
		g->st = calloc(1, sizeof(*g->st));
		if (!g->st) {
			perror("calloc");
			return 1;
		}
		pvp_init(g->st, g->n);
	}
	for (int i = 0; i < sc->vcpus; i++)
		pvp_set(&online, i);

	printf("pvsim: %d guests x %d vCPUs on %d host CPUs, %d periods per phase\n",
	       sc->guests, sc->vcpus, sc->pcpus, per_phase);
	for (int ph = 0; ph < NPHASES; ph++)
		printf("  phase %d: %s\n", ph + 1, phase_desc[ph]);

	for (int t = 0; t < NPHASES * per_phase; t++) {
		int phase = t / per_phase;
		double runnable = 0, share = 1;

		for (int gi = 0; gi < sc->guests; gi++) {
			struct guest *g = &guests[gi];
			double w = guest_load(g, phase, gi) * g->n;
			int a = active_of(g);

			runnable += w < a ? w : a;
		}
		if (runnable > sc->pcpus)
			share = sc->pcpus / runnable;

		for (int gi = 0; gi < sc->guests; gi++) {
			struct guest *g = &guests[gi];
			double w = guest_load(g, phase, gi) * g->n;
			int a = active_of(g);
			double d = w / a > 1 ? 1 : w / a;
			double busy = a * d * share, steal = a * d * (1 - share);
			double sfrac = d > 0 ? 1 - share : 0;
			double useful = busy / (1 + LHP_COST * sfrac * (a - 1));

			g->steal_sum += steal;
			g->want_sum += a * d;
			g->busy += busy;
			g->useful += useful;
			g->active_sum += a;
			if (csv)
				fprintf(csv, "%d,%d,%d,%d,%d,%.1f,%.3f,%.3f\n", t, phase + 1, gi,
					g->coop, a, 100 * sfrac, busy, useful);
			if (!g->coop)
				continue;
			for (int i = 0; i < g->n; i++) {
				int marked = pvp_test(&g->st->mask, i);

				smp[i].busy_pct = marked ? 0 : (unsigned int)lround(100 * d * share);
				smp[i].steal_pct = marked ? 0 : (unsigned int)lround(100 * d * (1 - share));
			}
			g->changes += pvp_step(g->st, &knobs, &online, smp);
		}
	}

	printf("\n%-6s %-5s %9s %10s %12s %12s %8s\n", "guest", "gov", "vCPUs", "steal %",
	       "busy cpu-s", "useful cpu-s", "changes");
	double useful[2] = { 0 }, steal[2] = { 0 }, want[2] = { 0 }, sq[2] = { 0 };
	int count[2] = { 0 };
	unsigned int maxchg = 0;

	for (int gi = 0; gi < sc->guests; gi++) {
		struct guest *g = &guests[gi];
		int c = g->coop;

		useful[c] += g->useful;
		sq[c] += g->useful * g->useful;
		steal[c] += g->steal_sum;
		want[c] += g->want_sum;
		count[c]++;
		if (g->changes > maxchg)
			maxchg = g->changes;
		if (sc->guests <= 16 || gi < 4)
			printf("%-6d %-5s %9.1f %10.1f %12.0f %12.0f %8u\n", gi, c ? "yes" : "no",
			       g->active_sum / (NPHASES * per_phase),
			       g->want_sum ? 100 * g->steal_sum / g->want_sum : 0,
			       g->busy, g->useful, g->changes);
	}
	if (sc->guests > 16)
		printf("... (%d more guests in the CSV)\n", sc->guests - 4);

	printf("\n%-28s %12s %12s\n", "", "governor", "no governor");
	printf("%-28s %12d %12d\n", "guests", count[1], count[0]);
	printf("%-28s %12.1f %12.1f\n", "steal % of wanted time",
	       want[1] ? 100 * steal[1] / want[1] : 0, want[0] ? 100 * steal[0] / want[0] : 0);
	printf("%-28s %12.0f %12.0f\n", "useful cpu-s per guest",
	       count[1] ? useful[1] / count[1] : 0, count[0] ? useful[0] / count[0] : 0);
	printf("%-28s %12.3f %12.3f\n", "Jain index within group",
	       sq[1] ? useful[1] * useful[1] / (count[1] * sq[1]) : 1,
	       sq[0] ? useful[0] * useful[0] / (count[0] * sq[0]) : 1);
	printf("%-28s %12.2f\n", "useful work, gov / no gov",
	       count[0] && useful[0] ? (useful[1] / count[1]) / (useful[0] / count[0]) : 0);
	printf("%-28s %12u\n", "most mask changes, a guest", maxchg);
	if (csv) {
		fclose(csv);
		printf("per-period CSV: %s\n", csv_path);
	}
	for (int gi = 0; gi < sc->guests; gi++)
		free(guests[gi].st);
	return 0;
}
