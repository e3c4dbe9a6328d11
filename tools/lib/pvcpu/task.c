// SPDX-License-Identifier: GPL-2.0
/* libpvcpu: child tasks, where tasks run, waiting for them to move. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
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

/*
 * The run time of a task alone on a tickless (nohz_full) CPU is brought up
 * to date, in /proc/PID/stat and /proc/PID/schedstat, only by the 1 Hz
 * remote tick, and the kernel lets a process read the thread CPU clock of
 * its own threads only. So the children of pv_fork_child() that compute
 * call pv_clock_publish(), which writes their CLOCK_THREAD_CPUTIME_ID, at
 * most a millisecond old while they run, into a table they share with the
 * process that forked them; pv_task_runtime_ns() reads it there.
 *
 * "While they run" is on the host's time: a host that does not run a vCPU
 * (one TCG thread runs each busy vCPU for up to 100 ms in turn) leaves the
 * value of a task current there as old as that, while the guest counts the
 * time as run time. So the time of the value is published with it, and a
 * task that the kernel shows current on its CPU gets the time since added.
 */
#define PV_CLOCKS	4096

struct pv_clock {
	pid_t pid;		/* 0: a free slot */
	uint64_t ns;		/* 0: nothing published yet */
	uint64_t at_ns;		/* CLOCK_MONOTONIC when ns was read */
};

static struct pv_clock *pv_clocks;	/* PV_CLOCKS slots, or NULL */
static pid_t pv_clocks_owner;		/* the process that mapped them */
static struct pv_clock *pv_my_clock;	/* a child's own slot */
static uint64_t pv_my_next_us;

/* Called before each fork: a new table per forking process. */
static void pv_clocks_map(void)
{
	void *p;

	if (pv_clocks && pv_clocks_owner == getpid())
		return;
	p = mmap(NULL, PV_CLOCKS * sizeof(*pv_clocks), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pv_clocks = p == MAP_FAILED ? NULL : p;
	pv_clocks_owner = getpid();
}

void pv_clock_publish(void)
{
	uint64_t now = pv_now_us();
	struct timespec ts;

	if (now < pv_my_next_us)
		return;
	pv_my_next_us = now + 1000;
	if (!pv_my_clock && pv_clocks) {
		pid_t me = getpid();

		/* The slot of a task that had this pid before, or the first free one. */
		for (int i = 0; i < PV_CLOCKS && !pv_my_clock; i++) {
			pid_t seen = 0;

			if (__atomic_compare_exchange_n(&pv_clocks[i].pid, &seen, me, false,
							__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) ||
			    seen == me)
				pv_my_clock = &pv_clocks[i];
		}
		if (!pv_my_clock) {
			/* A full table: the reader falls back to schedstat. */
			pv_clocks = NULL;
			return;
		}
	}
	if (pv_my_clock && !clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)) {
		uint64_t ns = (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		/*
		 * at_ns first: a reader that sees the new ns sees its time;
		 * one that sees the old ns with the new time adds up to one
		 * period of publishing less.
		 */
		__atomic_store_n(&pv_my_clock->at_ns,
				 (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec, __ATOMIC_RELEASE);
		__atomic_store_n(&pv_my_clock->ns, ns, __ATOMIC_RELEASE);
	}
}

/*
 * Whether @pid is the task running on its CPU, from the scheduler's debug
 * file (".curr->pid" of each CPU); false when that cannot be read.
 */
static bool pv_task_current(pid_t pid)
{
	char line[256];
	bool cur = false;
	FILE *f = fopen("/sys/kernel/debug/sched/debug", "r");
	int p;

	if (!f)
		return false;
	while (!cur && fgets(line, sizeof(line), f))
		cur = sscanf(line, " .curr->pid : %d", &p) == 1 && p == pid;
	fclose(f);
	return cur;
}

/*
 * Run time of the single-threaded task @pid in ns: what it published when it
 * did, plus the time since if it is running now, else its schedstat (current
 * for a task that never ran tickless for long); 0 for a task that is gone.
 */
uint64_t pv_task_runtime_ns(pid_t pid)
{
	uint64_t run, wait, at, now;

	if (pv_clocks && pv_clocks_owner == getpid()) {
		for (int i = 0; i < PV_CLOCKS; i++) {
			pid_t p = __atomic_load_n(&pv_clocks[i].pid, __ATOMIC_ACQUIRE);

			if (!p)
				break;
			if (p == pid) {
				run = __atomic_load_n(&pv_clocks[i].ns, __ATOMIC_ACQUIRE);
				if (!run)
					break;
				at = __atomic_load_n(&pv_clocks[i].at_ns, __ATOMIC_ACQUIRE);
				now = pv_now_us() * 1000;
				if (now > at && pv_task_current(pid))
					run += now - at;
				return run;
			}
		}
	}
	return pv_schedstat(pid, pid, &run, &wait) ? 0 : run;
}

/* CPU time used by the single-threaded task @pid, in microseconds. */
uint64_t pv_task_cputime_us(pid_t pid)
{
	return pv_task_runtime_ns(pid) / 1000;
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
 * is not negative, may run only on that CPU from its first instruction on.
 * The parent returns once the child is pinned, so that no later change the
 * caller makes (widening the child's affinity) races with the pin.
 * Returns 0 in the child, the child's pid in the parent, -1 if the fork or
 * the pin failed.
 */
pid_t pv_fork_child(const char *name, int pin_cpu)
{
	int ready[2];
	char c = 0;
	pid_t pid;

	if (pipe(ready))
		return -1;
	pv_clocks_map();
	pid = fork();
	if (pid == 0) {
		pv_my_clock = NULL;
		pv_my_next_us = 0;
		close(ready[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		prctl(PR_SET_NAME, name);
		if (pin_cpu >= 0 && pv_pin(0, 1ULL << pin_cpu))
			_exit(1);
		if (write(ready[1], &c, 1) != 1)
			_exit(1);
		close(ready[1]);
		return 0;
	}
	close(ready[1]);
	if (pid > 0 && read(ready[0], &c, 1) != 1) {
		/* The child exited before it was ready: the pin failed. */
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(ready[0]);
	return pid;
}

/* A child that spins until killed; it dies with its parent. */
pid_t pv_spawn_busy(const char *name, int pin_cpu)
{
	pid_t pid = pv_fork_child(name, pin_cpu);

	if (pid == 0)
		for (;;)
			pv_clock_publish();
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
	/*
	 * Kill all, then reap: each must run to exit, and a task killed
	 * among a hundred busy ones on its CPU waits for its turn; one at a
	 * time, those waits would add up.
	 */
	for (int i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGKILL);
	for (int i = 0; i < n; i++) {
		if (pids[i] > 0) {
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

/*
 * The @pct-th percentile of the @n values of @v by nearest rank, sorting
 * @v: of 20 values, p50 is the 10th smallest, p90 the 18th, p100 the
 * largest.
 */
uint64_t pv_percentile(uint64_t *v, int n, int pct)
{
	int rank = (n * pct + 99) / 100;

	if (n <= 0)
		return 0;
	qsort(v, n, sizeof(*v), pv_cmp_u64);
	return v[rank > 1 ? rank - 1 : 0];
}

/* @n times in microseconds as milliseconds with one decimal, for a log. */
const char *pv_list_ms(const uint64_t *v, int n, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%llu.%llu", i ? " " : "",
				 (unsigned long long)v[i] / 1000,
				 (unsigned long long)v[i] % 1000 / 100);
	return buf;
}
