/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A host model for the pvsteal policy: VMs whose vCPU threads share the
 * host's CPUs, some of them governed by kernel/pvsteal/policy.c. Used by
 * the simulator (pvsim.c) and the host unit tests (tests/host/).
 *
 * Each period, a VM with work W (in CPUs) spreads it over its A active
 * vCPUs: each wants d = min(1, W / A) of a CPU. The host runs a share s
 * of what every VM wants and the rest is steal:
 *
 *  - per thread (a host that schedules every vCPU thread alike): s =
 *    min(1, P / R), R the runnable vCPUs of all VMs;
 *  - per VM (a cgroup per VM with equal weights, as libvirt sets up):
 *    P is split equally between the VMs, what one VM does not use going
 *    to the others (water-filling).
 *
 * The steal source is as real ones are: a vCPU accrues steal only while it
 * wants to run (a marked, idle vCPU reports none), an injected percentage
 * takes that share of the time it wanted (pvsteal's inject file), it can
 * lag by a period (the host reports what it measured last period) and
 * carry noise. The policy's probe runs for pvp_probe_share() of a period on
 * the CPU it asks for, competing with everything else.
 */
#ifndef PVSIM_MODEL_H
#define PVSIM_MODEL_H

#include "../../kernel/pvsteal/policy.h"

/* Useful work lost to vCPU preemption: see pvm_step(). */
#define PVM_LHP_COST	0.3

struct pvm_vm {
	unsigned int n;			/* vCPUs */
	double work;			/* runnable work, in CPUs */
	int governed;
	struct pvp_state *st;		/* the policy's state, governed VMs only */
	struct pvp_knobs knobs;
	struct pvp_mask online;
	unsigned int inject[PVP_MAX_CPUS];	/* percent of wanted time stolen */
	/* The steal source: samples of the last period and the one before. */
	struct pvp_sample smp[2][PVP_MAX_CPUS];
	/* Last period: active vCPUs, and CPUs of busy, steal, wanted, useful. */
	unsigned int active;
	double busy, steal, want, useful;
	/* Totals since pvm_vm_init() */
	double t_busy, t_steal, t_want, t_useful;
	unsigned int changes;
};

struct pvm_host {
	double cpus;			/* P */
	int per_vm;			/* share per VM, not per thread */
	unsigned int lag;		/* 0, or 1: samples describe the period before */
	double noise;			/* +- this fraction on every steal fraction */
	unsigned long long rng;
	unsigned int period_ms;	/* for the probe's length */
};

/* A VM of @n vCPUs with @work CPUs of work; governed ones get a policy. */
void pvm_vm_init(struct pvm_vm *vm, unsigned int n, double work, int governed,
		 const struct pvp_knobs *knobs);
void pvm_vm_free(struct pvm_vm *vm);
/* One period of every VM; governed VMs step their policy. */
void pvm_step(struct pvm_host *h, struct pvm_vm *vms, unsigned int nvm);
/* Active (online, unmarked) vCPUs of @vm. */
unsigned int pvm_active(const struct pvm_vm *vm);

#endif /* PVSIM_MODEL_H */
