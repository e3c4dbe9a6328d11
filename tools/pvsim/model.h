/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A host model for the pvsteal policy: VMs whose vCPU threads share the
 * host's CPUs, some of them governed by kernel/pvsteal/policy.c. Used by
 * the simulator (pvsim.c) and the host unit tests (tests/host/).
 *
 * Each period, a VM with work W (in CPUs) spreads it over its A active
 * vCPUs: each wants d = min(1, W / A) of a CPU. Marked vCPUs that still
 * run something (kworkers, tasks confined to them) want @stuck each. The
 * host shares its P CPUs max-min fairly, as CFS does over a period: a
 * thread that wants less than its share gets all it wants, the others
 * split the rest equally,
 *
 *  - per thread (a host that schedules every vCPU thread alike), or
 *  - per VM (a cgroup per VM, as libvirt sets up, with cpu.weight
 *    @weight): VMs split P in proportion to their weights, what one does
 *    not use going to the others, then each VM's threads split its part.
 *
 * What a thread wants and does not get is steal. The steal source is as
 * real ones are: a vCPU accrues steal only while it wants to run (a marked,
 * idle vCPU reports none), an injected percentage takes that share of the
 * time it wanted (pvsteal's inject file), it can lag by a period (the host
 * reports what it measured last period) and carry noise: independent per
 * vCPU, correlated over a VM's vCPUs and in time, and bursts.
 *
 * The policy's probe spins for pvp_probe_us() on each CPU it asks for. A
 * host runs a woken thread on an idle CPU if it has one, so a probe that
 * finds one loses nothing, however full the host is on average; one that
 * finds none shares a CPU with the r threads already there (r the host's
 * runnable threads per CPU, at least 1), or on a per-VM host competes
 * within its VM's share. A woken thread runs first for about a slice
 * (@wake_ms), so a probe shorter than that sees less than the contention.
 *
 * Guests governed with law=host take a hint from the host's coordinator
 * (tools/pvhostd/coord.c), which sees what every VM's threads ran and
 * waited last period, exactly, as pvhostd reads them from schedstat.
 *
 * Useful work discounts busy time for vCPU preemption: a preempted lock
 * holder or wakee stalls the VM's other vCPUs (PVM_LHP_COST).
 */
#ifndef PVSIM_MODEL_H
#define PVSIM_MODEL_H

#include "../../kernel/pvsteal/policy.h"
#include "../pvhostd/coord.h"

/* Useful work lost to vCPU preemption: see pvm_step(). */
#define PVM_LHP_COST	0.3

struct pvm_vm {
	unsigned int n;			/* vCPUs */
	double work;			/* runnable work, in CPUs */
	double stuck;			/* what each marked online vCPU still wants */
	double weight;			/* per-VM hosts: share weight (cpu.weight / 100) */
	int governed;
	struct pvp_state *st;		/* the policy's state, governed VMs only */
	struct pvp_knobs knobs;
	struct pvp_mask online;
	unsigned int inject[PVP_MAX_CPUS];	/* percent of wanted time stolen */
	/* The steal source: samples of the last period and the one before. */
	struct pvp_sample smp[2][PVP_MAX_CPUS];
	/* Noise state: correlated component, periods of burst left. */
	double corr;
	unsigned int burst_left;
	/* Last period: active vCPUs, and CPUs of busy, steal, wanted, useful. */
	unsigned int active;
	double busy, steal, want, useful;
	/* Totals since pvm_vm_init() */
	double t_busy, t_steal, t_want, t_useful;
	unsigned int changes;
	struct pvc_guest hint;		/* the coordinator's view of it */
};

/* A hint holds this many periods in the guest. */
#define PVM_HINT_TTL	5

struct pvm_noise {
	double indep;			/* +- this on every vCPU's steal fraction */
	double corr;			/* +- this, shared by a VM's vCPUs, AR(1) 0.8 */
	double burst_p;			/* chance per period and VM of a burst */
	double burst;			/* that adds this to all its vCPUs' fractions */
	unsigned int burst_len;		/* for this many periods */
};

struct pvm_host {
	double cpus;			/* P */
	int per_vm;			/* share per VM, not per thread */
	unsigned int lag;		/* 0, or 1: samples describe the period before */
	struct pvm_noise noise;
	unsigned long long rng;
	unsigned int period_ms;		/* for the probe's length */
	double wake_ms;			/* a woken thread runs unstolen this long */
};

/* A VM of @n vCPUs with @work CPUs of work; governed ones get a policy. */
void pvm_vm_init(struct pvm_vm *vm, unsigned int n, double work, int governed,
		 const struct pvp_knobs *knobs);
void pvm_vm_free(struct pvm_vm *vm);
/* One period of every VM; governed VMs step their policy. */
void pvm_step(struct pvm_host *h, struct pvm_vm *vms, unsigned int nvm);
/* Active (online, unmarked) vCPUs of @vm. */
unsigned int pvm_active(const struct pvm_vm *vm);
/* Online marked vCPUs of @vm. */
unsigned int pvm_marked(const struct pvm_vm *vm);
/*
 * Jain's index of @got[i] / @fair[i] over @n entries with fair[i] > 0:
 * 1 when all got the same fraction of their fair share.
 */
double pvm_jain(const double *got, const double *fair, unsigned int n);
/*
 * What each VM would get, max-min fair, if it wanted @want[v] CPUs, on
 * host @h: into @got.
 */
void pvm_fair(const struct pvm_host *h, const struct pvm_vm *vms, unsigned int nvm,
	      const double *want, double *got);

#endif /* PVSIM_MODEL_H */
