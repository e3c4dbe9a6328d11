// SPDX-License-Identifier: GPL-2.0
/* libpvcpu: child tasks, where tasks run, waiting for them to move. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pvcpu.h"

/* The CPU @pid last ran on, or is queued on: field 39 of /proc/pid/stat. */
int pv_task_cpu(pid_t pid)
{
	char path[64], buf[1024], *p;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (pv_read(path, buf, sizeof(buf)))
		return -1;
	p = strrchr(buf, ')');
	if (!p)
		return -1;
	/* p points at the end of field 2; field 39 is 37 spaces further. */
	for (i = 0; i < 37 && p; i++)
		p = strchr(p + 1, ' ');
	return p ? atoi(p + 1) : -1;
}

/* CPU time used by @pid, in microseconds (utime + stime). */
uint64_t pv_task_cputime_us(pid_t pid)
{
	unsigned long long ut, st;
	char path[64], buf[1024], *p;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (pv_read(path, buf, sizeof(buf)))
		return 0;
	p = strrchr(buf, ')');
	for (i = 0; i < 12 && p; i++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu %llu", &ut, &st) != 2)
		return 0;
	return (ut + st) * 1000000ULL / sysconf(_SC_CLK_TCK);
}

/* Run time and run delay (time queued, not running) of a thread, in ns. */
int pv_schedstat(pid_t pid, pid_t tid, uint64_t *run_ns, uint64_t *wait_ns)
{
	unsigned long long run, wait;
	char path[128];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", (int)pid, (int)tid);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	ok = fscanf(f, "%llu %llu", &run, &wait) == 2;
	fclose(f);
	if (!ok)
		return -EINVAL;
	*run_ns = run;
	*wait_ns = wait;
	return 0;
}

/*
 * fork() a child named @name that dies with its parent and, when @pin_cpu
 * is not negative, may run only on that CPU. Returns 0 in the child (which
 * exits with status 1 if the pin fails), the child's pid in the parent.
 */
pid_t pv_fork_child(const char *name, int pin_cpu)
{
	pid_t pid = fork();

	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		prctl(PR_SET_NAME, name);
		if (pin_cpu >= 0) {
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET(pin_cpu, &set);
			if (sched_setaffinity(0, sizeof(set), &set))
				_exit(1);
		}
	}
	return pid;
}

/* A child that spins until killed; it dies with its parent. */
pid_t pv_spawn_busy(const char *name, int pin_cpu)
{
	pid_t pid = pv_fork_child(name, pin_cpu);

	if (pid == 0)
		for (;;)
			;
	return pid;
}

/* Set the affinity of @pid to the CPUs in @mask. 0, or -errno. */
int pv_pin(pid_t pid, uint64_t mask)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	for (int cpu = 0; cpu < 64; cpu++)
		if (mask & (1ULL << cpu))
			CPU_SET(cpu, &set);
	return sched_setaffinity(pid, sizeof(set), &set) ? -errno : 0;
}

/*
 * How unevenly @pids are spread over @cpus: the largest number of them on
 * one of those CPUs minus the smallest, by the CPU each last ran on.
 */
int pv_spread(const pid_t *pids, int n, uint64_t cpus)
{
	int count[64] = { 0 }, lo = INT32_MAX, hi = 0;

	for (int i = 0; i < n; i++) {
		int cpu = pv_task_cpu(pids[i]);

		if (cpu >= 0 && cpu < 64)
			count[cpu]++;
	}
	for (int cpu = 0; cpu < 64; cpu++) {
		if (!(cpus & (1ULL << cpu)))
			continue;
		lo = count[cpu] < lo ? count[cpu] : lo;
		hi = count[cpu] > hi ? count[cpu] : hi;
	}
	return hi - lo;
}

void pv_kill_all(pid_t *pids, int n)
{
	for (int i = 0; i < n; i++) {
		if (pids[i] > 0) {
			kill(pids[i], SIGKILL);
			waitpid(pids[i], NULL, 0);
			pids[i] = 0;
		}
	}
}

/* Bitmask of the CPUs the tasks in @pids are on right now. */
uint64_t pv_cpus_of(const pid_t *pids, int n)
{
	uint64_t mask = 0;

	for (int i = 0; i < n; i++) {
		int cpu = pv_task_cpu(pids[i]);

		if (cpu >= 0 && cpu < 64)
			mask |= 1ULL << cpu;
	}
	return mask;
}

/*
 * Poll until the CPUs of @pids, masked by @mask, equal @want. Returns the
 * time since @start in microseconds, or -1 if that did not happen within
 * @limit_us.
 */
int64_t pv_wait_cpus(const pid_t *pids, int n, uint64_t mask,
		     uint64_t want, uint64_t start, uint64_t limit_us)
{
	for (;;) {
		if ((pv_cpus_of(pids, n) & mask) == want)
			return pv_now_us() - start;
		if (pv_now_us() - start > limit_us)
			return -1;
		pv_sleep_us(PV_POLL_US);
	}
}

/* Poll until none of @pids is on a CPU in @marked; see pv_wait_cpus(). */
int64_t pv_wait_off(const pid_t *pids, int n, uint64_t marked,
		    uint64_t start, uint64_t limit_us)
{
	return pv_wait_cpus(pids, n, marked, 0, start, limit_us);
}

/*
 * Measure at real-time priority: a normal task polling /proc competes with
 * the busy tasks it watches and would time its own waits. Children forked
 * afterwards go back to SCHED_OTHER. 0, or -errno.
 */
int pv_measure_rt(void)
{
	struct sched_param sp = { .sched_priority = 50 };

	if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp))
		return -errno;
	return 0;
}

int pv_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}
