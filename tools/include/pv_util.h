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

	fd = open(path, O_WRONLY);
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

/* A child that spins until killed; it dies with its parent. */
static inline pid_t pv_spawn_busy(const char *name, int pin_cpu)
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
		for (;;)
			;
	}
	return pid;
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

/*
 * Poll until none of @pids is on a CPU in @marked. Returns the time that
 * took in microseconds, or -1 if it did not happen within @limit_us.
 */
static inline int64_t pv_wait_off(const pid_t *pids, int n, uint64_t marked,
				  uint64_t start, uint64_t limit_us)
{
	for (;;) {
		uint64_t now;

		if (!(pv_cpus_of(pids, n) & marked))
			return pv_now_us() - start;
		now = pv_now_us();
		if (now - start > limit_us)
			return -1;
	}
}

static inline int pv_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* "lo-hi" for the upper half of @n CPUs: the CPUs the tests mark. */
static inline void pv_upper_half(int n, char *buf, size_t len, uint64_t *mask)
{
	snprintf(buf, len, "%d-%d", n / 2, n - 1);
	*mask = pv_parse_list(buf);
}

#endif /* PV_UTIL_H */
