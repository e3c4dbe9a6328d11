// SPDX-License-Identifier: GPL-2.0
/*
 * pvdemo: runs in the guest booted by "make demo". Starts busy tasks, shows
 * per-vCPU utilisation, marks vCPUs through pvsteal's override, shows the
 * tasks leave, unmarks, shows them come back, and prints what it measured.
 *
 * Usage: pvdemo [-t TASKS] [-m CPULIST] [-r MARKS]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pvcpu.h"

#define MAX_CPUS 64

static int ncpus;

/* Print utilisation per vCPU over @ms and where the tasks are. */
static void show(const char *title, const pid_t *pids, int n, uint64_t marked, int ms)
{
	struct pv_cpu_time a[MAX_CPUS], b[MAX_CPUS];
	int on[MAX_CPUS] = { 0 };

	pv_cpu_times(a, MAX_CPUS);
	pv_sleep_us(ms * 1000ULL);
	pv_cpu_times(b, MAX_CPUS);
	for (int i = 0; i < n; i++) {
		int cpu = pv_task_cpu(pids[i]);

		if (cpu >= 0 && cpu < MAX_CPUS)
			on[cpu]++;
	}
	printf("\n%s\n", title);
	for (int c = 0; c < ncpus; c++) {
		unsigned long long tot = b[c].total - a[c].total;
		unsigned long long busy = tot - (b[c].idle - a[c].idle);
		int pct = tot ? (int)(100 * busy / tot) : 0;
		char bar[41];

		memset(bar, '.', 40);
		memset(bar, '#', pct * 40 / 100);
		bar[40] = '\0';
		printf("  vCPU %-2d [%s] %3d%%  %d task%s%s\n", c, bar, pct, on[c],
		       on[c] == 1 ? "" : "s", marked & (1ULL << c) ? "  (marked)" : "");
	}
	fflush(stdout);
}

/*
 * Mark @list and wait until /proc shows no task on it. @evac: from the
 * write to the last move the kernel traced (the /proc time if the trace is
 * off); @seen: until /proc showed it. 0, or -1 with a message.
 */
static int measure_mark(const pid_t *pids, int n, const char *list, uint64_t marked,
			int traced, uint64_t *evac, uint64_t *seen)
{
	struct pv_moves mv;
	uint64_t t0;
	int64_t us;

	if (traced && pv_trace_start())
		traced = 0;
	t0 = pv_now_us();
	if (pv_mark(list)) {
		fprintf(stderr, "pvdemo: writing the override failed: %s\n", strerror(errno));
		return -1;
	}
	us = pv_wait_off(pids, n, marked, t0, 5000000);
	if (traced)
		pv_trace_stop();
	if (us < 0) {
		fprintf(stderr, "pvdemo: tasks still on %s after 5 s\n", list);
		return -1;
	}
	*seen = us;
	*evac = us;
	if (traced) {
		pv_trace_moves_off(pids, n, marked, &mv);
		if (mv.n && mv.last_us > t0)
			*evac = mv.last_us - t0;
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: pvdemo [-t TASKS] [-m CPULIST] [-r MARKS]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *list = NULL;
	pid_t pids[PV_MAX_CHILDREN];
	int ntasks = 0, rounds = 20, opt, ret;
	uint64_t marked, evac[100], t0;
	static const char *const migrate_ev[] = { "sched/sched_migrate_task" };
	uint64_t seen[100];
	int64_t back_us = -1;
	int traced;
	char buf[256];

	ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	while ((opt = getopt(argc, argv, "t:m:r:h")) != -1) {
		switch (opt) {
		case 't': ntasks = atoi(optarg); break;
		case 'm': list = optarg; break;
		case 'r': rounds = atoi(optarg); break;
		default: usage();
		}
	}
	if (ntasks <= 0)
		ntasks = 2 * ncpus;
	if (ntasks > PV_MAX_CHILDREN || rounds < 1 || rounds > 100)
		usage();
	if (ncpus < 2 || ncpus > MAX_CPUS) {
		fprintf(stderr, "pvdemo: needs 2 to %d online vCPUs, have %d\n", MAX_CPUS, ncpus);
		return 1;
	}
	if (!list) {
		pv_upper_half(ncpus, buf, sizeof(buf), &marked);
		list = buf;
	}
	marked = pv_parse_list(list);
	if (marked == ~0ULL || !marked || (marked >> ncpus)) {
		fprintf(stderr, "pvdemo: bad CPU list '%s' for %d vCPUs\n", list, ncpus);
		return 2;
	}
	/* Kernel-side times need sched_migrate_task enabled at boot (scripts/demo). */
	traced = !pv_trace_enabled(migrate_ev, 1);
	if (access(PV_SYSFS, F_OK)) {
		fprintf(stderr, "pvdemo: %s missing: kernel without CONFIG_PARAVIRT_CPUS\n", PV_SYSFS);
		return 1;
	}
	ret = pv_module_load("");
	if (ret) {
		fprintf(stderr, "pvdemo: cannot load pvsteal (" PV_MODULE_HELP "): %s\n", strerror(-ret));
		return 1;
	}

	if (pv_measure_rt())
		fprintf(stderr, "pvdemo: no real-time priority, timings include waiting for the busy tasks\n");
	printf("pvdemo: %d vCPUs, %d busy tasks, marking vCPUs %s\n", ncpus, ntasks, list);
	for (int i = 0; i < ntasks; i++)
		pids[i] = pv_spawn_busy("pvdemo-busy", -1);
	show("1. Before: the busy tasks use every vCPU", pids, ntasks, 0, 1000);

	printf("\n2. echo %s > %s\n", list, PV_OVERRIDE);
	if (measure_mark(pids, ntasks, list, marked, traced, &evac[0], &seen[0]))
		goto fail;
	pv_read(PV_SYSFS, buf, sizeof(buf));
	printf("   %s now reads \"%s\"; the kernel moved the last task %.1f ms after the write\n",
	       PV_SYSFS, buf, evac[0] / 1000.0);
	show("   After marking: the marked vCPUs are idle, nothing was re-pinned", pids, ntasks, marked, 1000);

	printf("\n3. echo > %s  (unmark)\n", PV_OVERRIDE);
	t0 = pv_now_us();
	pv_mark("");
	back_us = pv_wait_cpus(pids, ntasks, marked, marked, t0, 5000000);
	show("   After unmarking: the balancer spreads the tasks again", pids, ntasks, 0, 1000);

	printf("\n4. Measuring: %d more marks of %s\n", rounds - 1, list);
	for (int r = 1; r < rounds; r++) {
		pv_wait_cpus(pids, ntasks, marked, marked, pv_now_us(), 3000000);
		if (measure_mark(pids, ntasks, list, marked, traced, &evac[r], &seen[r]))
			goto fail;
		pv_mark("");
	}
	qsort(evac, rounds, sizeof(evac[0]), pv_cmp_u64);
	qsort(seen, rounds, sizeof(seen[0]), pv_cmp_u64);

	printf("\nSummary\n");
	printf("  evacuation of %d busy tasks from vCPUs %s, %d marks, from the write to the last\n"
	       "  move the kernel traced: median %.1f ms, min %.1f ms, max %.1f ms\n",
	       ntasks, list, rounds, evac[rounds / 2] / 1000.0, evac[0] / 1000.0,
	       evac[rounds - 1] / 1000.0);
	printf("  (seen by polling /proc, which takes ~5 ms a sweep here: median %.1f ms, max %.1f ms)\n",
	       seen[rounds / 2] / 1000.0, seen[rounds - 1] / 1000.0);
	if (back_us >= 0)
		printf("  after unmarking, every unmarked vCPU had work again within %.0f ms\n",
		       back_us / 1000.0);
	else
		printf("  after unmarking, the tasks had not spread back within 5 s\n");
	printf("  affinity, hotplug state and sched domains were not touched\n");
	pv_kill_all(pids, ntasks);
	return 0;
fail:
	pv_mark("");
	pv_kill_all(pids, ntasks);
	return 1;
}
