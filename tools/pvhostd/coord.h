/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pvhostd coordinator: each period, from what every guest's vCPU
 * threads ran and waited on the host, the share of the host's CPUs each
 * guest is told it has, in thousandths of a CPU (millicpus).
 *
 * Plain C without allocation: pvhostd, the simulator (tools/pvsim) and
 * the host tests compile it, as they compile the guest's policy.c.
 *
 * The coordinator keeps the host's own notion of fairness and only takes
 * away the overcommit: a host that schedules every vCPU thread alike gives
 * guests CPU time in proportion to their runnable vCPUs, one with a cgroup
 * per VM in proportion to cpu.weight. It water-fills the host's CPUs that
 * way, max-min fair over what each guest wants, and tells each guest its
 * part; a guest that folds to its part loses nothing it would have got.
 * Guests fold whole vCPUs, so where it costs a guest little, the parts of
 * the busy ones are rounded to whole CPUs that add up to what they had.
 * See Documentation/pvhostd.rst.
 */
#ifndef PVHOSTD_COORD_H
#define PVHOSTD_COORD_H

#define PVC_MAX_GUESTS	256
/* A guest that wants this much less than its cap leaves room: it is not saturated. */
#define PVC_SLACK	100
/* Caps move only by more than this (a tenth of a CPU): measurement noise. */
#define PVC_DEADBAND	100
/* The margin an unsaturated guest gets over what it wanted, at least. */
#define PVC_MARGIN	500
/* The message's limits: at most this many periods, this many millicpus. */
#define PVC_TTL_MAX	1000
#define PVC_MCPU_MAX	1024000

struct pvc_guest {
	/* Set by the caller every period. */
	unsigned int vcpus;
	unsigned int weight;		/* cpu.weight (1..10000); per-VM hosts only */
	unsigned int used;		/* millicpus its vCPU threads ran */
	unsigned int waited;		/* millicpus they were runnable, not running */
	int runnable;			/* runnable tasks the guest reported, -1: none */
	int cooperates;			/* it takes the hint */
	/* Computed. */
	unsigned int want;		/* its demand this period, millicpus */
	int saturated;			/* it used all it was given */
	int lower_frac;			/* its part is rounded to whole CPUs */
	unsigned int fill;		/* its water-filled part of the host */
	unsigned int cap;		/* what it is told: vcpus * 1000 when not contended */
	unsigned int lower;		/* a lower cap proposed last period, 0: none */
	unsigned int changes;		/* times cap changed */
};

struct pvc_host {
	unsigned int mcpu;		/* millicpus for the guests: the host's CPUs
					 * less what other threads used */
	int per_vm;			/* shares by cpu.weight, else per vCPU thread */
	/* Computed. */
	int contended;			/* the guests want more than mcpu */
	int holdback;			/* per-thread host with a greedy guest that
					 * does not cooperate: nobody folds */
};

/* A guest's cap before its first period: all of it. */
void pvc_guest_init(struct pvc_guest *g, unsigned int vcpus);
/* One period over @n guests: sets want, fill and cap of each, and h's flags. */
void pvc_step(struct pvc_host *h, struct pvc_guest *g, unsigned int n);

/*
 * The port's messages, one per line, host to guest "cap MCPU SEQ TTL",
 * guest to host "demand RUNNABLE MASK" (MASK a cpulist, or "-" for none).
 * 0 if @line (without its newline) is one, else -1 and nothing is set.
 */
int pvc_parse_cap(const char *line, unsigned int *mcpu, unsigned int *seq,
		  unsigned int *ttl);
int pvc_parse_demand(const char *line, unsigned int *runnable);

#endif /* PVHOSTD_COORD_H */
