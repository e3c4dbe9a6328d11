/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Scenarios of many guests on one host (model.h), in phases of load, and
 * what the governor did in them: the table pvsim prints and the limits
 * tests/host/neighbours_test.c asserts come from the same runs.
 *
 * Every run of a scenario with governed guests is paired with a run of the
 * same scenario and seed in which nobody is governed: "ungoverned" below
 * is that run.
 */
#ifndef PVSIM_SCENARIO_H
#define PVSIM_SCENARIO_H

#include "model.h"

#define PVS_PHASES	4
#define PVS_GROUPS	3

/* Guests alike: how many, their size, and their load per phase. */
struct pvs_group {
	unsigned int count, vcpus;
	int governed;
	int smt;			/* vCPUs in sibling pairs (i, i + n/2) */
	double stuck;			/* what each marked vCPU still runs */
	double weight;			/* per-VM hosts, 0 = 1 */
	double load[PVS_PHASES];	/* work, in vCPUs' worth: 1 = all busy */
};

enum pvs_noise {
	PVS_EXACT,			/* no lag, no noise */
	PVS_LAG,			/* a period of lag, no noise */
	PVS_NOISY,			/* lag, independent, correlated and bursty noise */
};

struct pvs_scenario {
	const char *name;
	int per_vm;
	enum pvs_noise noise;
	unsigned int nphases, len;	/* phases of len periods */
	double cpus[PVS_PHASES];	/* host CPUs per phase */
	struct pvs_group g[PVS_GROUPS];
};

/* What happened, per phase; "guest" means governed guests only. */
struct pvs_result {
	unsigned int max_changes;	/* most mask changes of a guest in a phase */
	unsigned int over3, phases;	/* guest phases with more than 3 changes, of all */
	double got_min;			/* worst guest: CPU time over ungoverned, whole run */
	double jain_min;		/* worst phase: Jain of got over fair share */
	double jain_none;		/* the same, ungoverned */
	double useful;			/* all guests: useful work over ungoverned */
	double steal;			/* guests: percent of wanted time stolen */
	int react_max;			/* worst guest: periods from a phase start to
					 * its first change, where it changed */
	unsigned int active_end;	/* first guest: active vCPUs at the end */
	unsigned int nguests;
};

/* Set the host's noise and lag. */
void pvs_noise(struct pvm_host *h, enum pvs_noise n, unsigned long long seed);
/* Run @sc with @law and @seed, against the same run with nobody governed. */
void pvs_run(const struct pvs_scenario *sc, int law, unsigned long long seed,
	     struct pvs_result *r);

extern const struct pvs_scenario pvs_scenarios[];
extern const unsigned int pvs_nscenarios;

#endif /* PVSIM_SCENARIO_H */
