/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the paravirt CPU selftests: the sysfs and debugfs files,
 * the pvsteal module, busy child processes and where they run.
 */
#ifndef PV_UTIL_H
#define PV_UTIL_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PV_SYSFS	"/sys/devices/system/cpu/paravirt"
#define PV_DEBUGFS	"/sys/kernel/debug/pvsteal"
#define PV_OVERRIDE	PV_DEBUGFS "/override"
#define PV_MAX_CHILDREN	256

static inline uint64_t pv_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The number in environment variable @name, or @def when it is not set. */
static inline uint64_t pv_env_u64(const char *name, uint64_t def)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 10) : def;
}

static inline void pv_sleep_us(uint64_t us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Read a small file into @buf, without the trailing newline. -errno on error. */
static inline int pv_read(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return 0;
}

/* Write @s to @path in one write(). 0, or -errno from the write. */
static inline int pv_write(const char *path, const char *s)
{
	int fd, ret = 0;

	/* O_TRUNC: that is what clears tracefs's "trace"; sysfs ignores it. */
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static inline int pv_mark(const char *list)
{
	return pv_write(PV_OVERRIDE, list);
}

/* CPU hotplug: take @cpu offline (0) or bring it back (1). 0, or -errno. */
static inline int pv_set_online(int cpu, int on)
{
	char path[96];

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", cpu);
	return pv_write(path, on ? "1" : "0");
}

static inline bool pv_module_loaded(void)
{
	return access(PV_OVERRIDE, F_OK) == 0;
}

/*
 * Load pvsteal from $PVSTEAL_KO unless it is loaded. 0, or -errno.
 * @params: module parameters, or "".
 */
static inline int pv_module_load(const char *params)
{
	const char *ko = getenv("PVSTEAL_KO");
	int fd, ret = 0;

	if (pv_module_loaded())
		return 0;
	if (!ko)
		return -ENOENT;
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, params, 0))
		ret = -errno;
	close(fd);
	return ret;
}

static inline int pv_module_unload(void)
{
	if (syscall(SYS_delete_module, "pvsteal", O_NONBLOCK))
		return -errno;
	return 0;
}

/* Parse a cpulist such as "1,3-5" into a bitmask of CPUs below 64. */
static inline uint64_t pv_parse_list(const char *s)
{
	uint64_t mask = 0;
	char *end;

	while (*s) {
		long a = strtol(s, &end, 10), b = a;

		if (end == s)
			return ~0ULL;
		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		for (; a <= b && a < 64; a++)
			mask |= 1ULL << a;
		s = *end == ',' ? end + 1 : end;
	}
	return mask;
}

/* The CPU @pid last ran on, or is queued on: field 39 of /proc/pid/stat. */
static inline int pv_task_cpu(pid_t pid)
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
static inline uint64_t pv_task_cputime_us(pid_t pid)
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

/*
 * fork() a child named @name that dies with its parent and, when @pin_cpu
 * is not negative, may run only on that CPU. Returns 0 in the child (which
 * exits with status 1 if the pin fails), the child's pid in the parent.
 */
static inline pid_t pv_fork_child(const char *name, int pin_cpu)
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

/* Compute for @us microseconds of CLOCK_MONOTONIC. */
static inline void pv_spin_us(uint64_t us)
{
	uint64_t t0 = pv_now_us();

	while (pv_now_us() - t0 < us)
		;
}

/* A child that spins until killed; it dies with its parent. */
static inline pid_t pv_spawn_busy(const char *name, int pin_cpu)
{
	pid_t pid = pv_fork_child(name, pin_cpu);

	if (pid == 0)
		for (;;)
			;
	return pid;
}

/* Compute 3 ms of every 4, for ever: a task that keeps waking up. */
static inline void __attribute__((noreturn)) pv_duty_cycle(void)
{
	for (;;) {
		pv_spin_us(3000);
		pv_sleep_us(1000);
	}
}

/* A SCHED_FIFO child at @prio in pv_duty_cycle(), pinned as pv_fork_child(). */
static inline pid_t pv_spawn_rt(int prio, int pin_cpu)
{
	pid_t pid = pv_fork_child("pvt-rt", pin_cpu);

	if (pid == 0) {
		struct sched_param sp = { .sched_priority = prio };

		if (sched_setscheduler(0, SCHED_FIFO, &sp))
			_exit(1);
		pv_duty_cycle();
	}
	return pid;
}

/* Set the affinity of @pid to the CPUs in @mask. 0, or -errno. */
static inline int pv_pin(pid_t pid, uint64_t mask)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	for (int cpu = 0; cpu < 64; cpu++)
		if (mask & (1ULL << cpu))
			CPU_SET(cpu, &set);
	return sched_setaffinity(pid, sizeof(set), &set) ? -errno : 0;
}

static inline void pv_kill_all(pid_t *pids, int n)
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
static inline uint64_t pv_cpus_of(const pid_t *pids, int n)
{
	uint64_t mask = 0;

	for (int i = 0; i < n; i++) {
		int cpu = pv_task_cpu(pids[i]);

		if (cpu >= 0 && cpu < 64)
			mask |= 1ULL << cpu;
	}
	return mask;
}

/* A counter from /proc/@pid/sched, such as "se.nr_migrations"; -1 if absent. */
static inline long pv_sched_field(pid_t pid, const char *name)
{
	char path[64], buf[8192], *p;

	snprintf(path, sizeof(path), "/proc/%d/sched", pid);
	if (pv_read(path, buf, sizeof(buf)))
		return -1;
	p = strstr(buf, name);
	p = p ? strchr(p, ':') : NULL;
	return p ? strtol(p + 1, NULL, 10) : -1;
}

/* Between two looks at /proc: a poller at real-time priority must not hog a CPU. */
#define PV_POLL_US	500

/*
 * Poll until the CPUs of @pids, masked by @mask, equal @want. Returns the
 * time since @start in microseconds, or -1 if that did not happen within
 * @limit_us.
 */
static inline int64_t pv_wait_cpus(const pid_t *pids, int n, uint64_t mask,
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
static inline int64_t pv_wait_off(const pid_t *pids, int n, uint64_t marked,
				  uint64_t start, uint64_t limit_us)
{
	return pv_wait_cpus(pids, n, marked, 0, start, limit_us);
}

/*
 * Measure at real-time priority: a normal task polling /proc competes with
 * the busy tasks it watches and would time its own waits. Children forked
 * afterwards go back to SCHED_OTHER. 0, or -errno.
 */
static inline int pv_measure_rt(void)
{
	struct sched_param sp = { .sched_priority = 50 };

	if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp))
		return -errno;
	return 0;
}

static inline int pv_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Interrupts @cpu took, summed over the /proc/interrupts rows named in
 * @rows, e.g. "LOC:" for the local timer or "LOC:RES:CAL:". -1 on error.
 */
static inline long pv_cpu_irqs(int cpu, const char *rows)
{
	char line[4096], *p;
	long total = 0;
	FILE *f = fopen("/proc/interrupts", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		bool want = false;

		p = line;
		while (*p == ' ')
			p++;
		for (const char *r = rows; *r && !want; r += 4)
			want = strlen(r) >= 4 && !strncmp(p, r, 4);
		if (!want)
			continue;
		p += 4;
		for (int c = 0; c <= cpu; c++) {
			long v = strtol(p, &p, 10);

			if (c == cpu)
				total += v;
		}
	}
	fclose(f);
	return total;
}

/* "lo-hi" for the upper half of @n CPUs: the CPUs the tests mark. */
static inline void pv_upper_half(int n, char *buf, size_t len, uint64_t *mask)
{
	snprintf(buf, len, "%d-%d", n / 2, n - 1);
	*mask = pv_parse_list(buf);
}

/*
 * Scheduler tracepoints, for what /proc is too slow or too coarse to see.
 *
 * The events must be enabled on the kernel command line (tools/guest-tests
 * boots with PV_TRACE_EVENTS): enabling a tracepoint at run time patches
 * kernel text, and under multi-threaded QEMU TCG that crashed the guest
 * ("Oops: int3" at the call site) within a few hundred toggles, with or
 * without this project's code. Tests only switch recording on and off.
 * The trace clock is CLOCK_MONOTONIC, so event times compare with
 * pv_now_us().
 */
#define PV_TRACE "/sys/kernel/tracing/"
/* One line: tools/check and tools/demo read it for the kernel command line. */
#define PV_TRACE_EVENTS "sched:sched_wakeup,sched:sched_wakeup_new,sched:sched_migrate_task,sched:sched_paravirt_mask,sched:sched_paravirt_push"

/* 0 if @events ("sched/sched_wakeup", ...) are enabled, else -1. */
static inline int pv_trace_enabled(const char *const *events, int n)
{
	char path[160], buf[8];

	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), PV_TRACE "events/%s/enable", events[i]);
		if (pv_read(path, buf, sizeof(buf)) || strcmp(buf, "1"))
			return -1;
	}
	return 0;
}

/* Empty the buffer and record. 0, or -1. */
static inline int pv_trace_start(void)
{
	if (pv_write(PV_TRACE "tracing_on", "0") ||
	    pv_write(PV_TRACE "trace_clock", "mono") ||
	    pv_write(PV_TRACE "buffer_size_kb", "4096") ||
	    pv_write(PV_TRACE "trace", "") ||
	    pv_write(PV_TRACE "tracing_on", "1"))
		return -1;
	return 0;
}

static inline void pv_trace_stop(void)
{
	pv_write(PV_TRACE "tracing_on", "0");
}

/* One parsed event line: the time, the event name, its pid and CPU field. */
struct pv_event {
	uint64_t us;
	char name[32];
	pid_t pid;
	int cpu;	/* target_cpu= or dest_cpu=, or -1 */
	int orig_cpu;	/* orig_cpu=, or -1 */
	const char *line;
};

static inline int pv_field(const char *line, const char *key)
{
	const char *p = strstr(line, key);

	return p ? atoi(p + strlen(key)) : -1;
}

/*
 * Call @fn for every event in the trace buffer; stops early if @fn returns
 * non-zero. Returns the number of events seen.
 */
static inline int pv_trace_each(int (*fn)(const struct pv_event *ev, void *arg), void *arg)
{
	FILE *f = fopen(PV_TRACE "trace", "r");
	char line[512];
	int n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		struct pv_event ev = { .line = line };
		char *colon, *ts;
		double secs;

		if (line[0] == '#')
			continue;
		/* "  comm-pid  [cpu] flags  SECS.USECS: name: fields" */
		colon = strstr(line, ": ");
		if (!colon)
			continue;
		for (ts = colon; ts > line && ts[-1] != ' '; ts--)
			;
		if (sscanf(ts, "%lf", &secs) != 1 ||
		    sscanf(colon + 2, "%31[^:]", ev.name) != 1)
			continue;
		ev.us = (uint64_t)(secs * 1e6 + 0.5);
		ev.pid = pv_field(colon, " pid=");
		ev.cpu = pv_field(colon, "target_cpu=");
		if (ev.cpu < 0)
			ev.cpu = pv_field(colon, "dest_cpu=");
		ev.orig_cpu = pv_field(colon, "orig_cpu=");
		n++;
		if (fn(&ev, arg))
			break;
	}
	fclose(f);
	return n;
}

static inline bool pv_pid_in(const pid_t *pids, int n, pid_t pid)
{
	for (int i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

/* Moves of some tasks off some CPUs, from sched_migrate_task. */
struct pv_moves {
	const pid_t *pids;
	int npids;
	uint64_t from;		/* CPUs */
	uint64_t last_us;	/* time of the last move */
	int n;			/* moves */
};

static inline int pv_count_move(const struct pv_event *ev, void *arg)
{
	struct pv_moves *mv = arg;

	if (strcmp(ev->name, "sched_migrate_task") || ev->orig_cpu < 0 ||
	    ev->orig_cpu >= 64 || !(mv->from & (1ULL << ev->orig_cpu)) ||
	    !pv_pid_in(mv->pids, mv->npids, ev->pid))
		return 0;
	mv->n++;
	if (ev->us > mv->last_us)
		mv->last_us = ev->us;
	return 0;
}

/* Count the traced moves of @pids off the CPUs in @from. */
static inline void pv_trace_moves_off(const pid_t *pids, int n, uint64_t from,
				      struct pv_moves *mv)
{
	*mv = (struct pv_moves){ .pids = pids, .npids = n, .from = from };
	pv_trace_each(pv_count_move, mv);
}

/* Placements of some tasks (wakeups, forks, moves), and how many landed on some CPUs. */
struct pv_onto {
	const pid_t *pids;
	int npids;
	uint64_t cpus;
	int seen, bad;
	char first_bad[512];
};

static inline int pv_count_onto(const struct pv_event *ev, void *arg)
{
	struct pv_onto *o = arg;

	if (ev->cpu < 0 || !pv_pid_in(o->pids, o->npids, ev->pid))
		return 0;
	o->seen++;
	if (ev->cpu < 64 && (o->cpus & (1ULL << ev->cpu)) && !o->bad++)
		snprintf(o->first_bad, sizeof(o->first_bad), "%s", ev->line);
	return 0;
}

/* Count the traced placements of @pids, and those onto @cpus. */
static inline void pv_trace_onto(const pid_t *pids, int n, uint64_t cpus, struct pv_onto *o)
{
	*o = (struct pv_onto){ .pids = pids, .npids = n, .cpus = cpus };
	pv_trace_each(pv_count_onto, o);
}

#endif /* PV_UTIL_H */
