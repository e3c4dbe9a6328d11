// SPDX-License-Identifier: GPL-2.0
/* libpvcpu: time, small files, the mask, CPU hotplug, the module, cpulists. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pvcpu.h"

uint64_t pv_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void pv_sleep_us(uint64_t us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

void pv_spin_us(uint64_t us)
{
	uint64_t t0 = pv_now_us();

	while (pv_now_us() - t0 < us)
		pv_clock_publish();
}

/* Read a small file into @buf, without the trailing newline. -errno on error. */
int pv_read(const char *path, char *buf, size_t len)
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
int pv_write(const char *path, const char *s)
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

int pv_mark(const char *list)
{
	return pv_write(PV_OVERRIDE, list);
}

/* CPU hotplug: take @cpu offline (0) or bring it back (1). */
int pv_set_online(int cpu, int on)
{
	char path[96];

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", cpu);
	return pv_write(path, on ? "1" : "0");
}

bool pv_module_loaded(void)
{
	return access(PV_OVERRIDE, F_OK) == 0;
}

int pv_load_ko(const char *ko, const char *params)
{
	int fd, ret = 0;

	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, params, 0))
		ret = -errno;
	close(fd);
	return ret;
}

/* modprobe pvsteal @params; -ENOENT when modprobe cannot find it. */
static int modprobe(const char *params)
{
	char cmd[512];
	int status;

	snprintf(cmd, sizeof(cmd), "modprobe -q pvsteal %s 2>/dev/null", params);
	status = system(cmd);
	if (status == -1)
		return -errno;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return pv_module_loaded() ? 0 : -ENODEV;
	return -ENOENT;
}

/*
 * Load pvsteal with @params ("" for none) unless it is loaded, from the
 * first of: $PVSTEAL_KO, pvsteal.ko in the directory of the running
 * program (where an installed selftest finds it), modprobe. 0, or -errno;
 * -ENOENT when none of them has the module (see PV_MODULE_HELP).
 */
int pv_module_load(const char *params)
{
	const char *ko = getenv("PVSTEAL_KO");
	char exe[PATH_MAX], path[PATH_MAX + 16];
	ssize_t n;

	if (pv_module_loaded())
		return 0;
	if (ko && *ko)
		return pv_load_ko(ko, params);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		snprintf(path, sizeof(path), "%s/pvsteal.ko", dirname(exe));
		if (!access(path, R_OK))
			return pv_load_ko(path, params);
	}
	return modprobe(params);
}

int pv_module_unload(void)
{
	if (syscall(SYS_delete_module, "pvsteal", O_NONBLOCK))
		return -errno;
	return 0;
}

/* Call @fn for each range a-b of cpulist @s; -1 if @s is malformed. */
static int each_range(const char *s, bool (*fn)(long a, long b, void *arg), void *arg)
{
	char *end;

	while (*s) {
		long a = strtol(s, &end, 10), b = a;

		if (end == s || a < 0)
			return -1;
		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		if (fn(a, b, arg))
			return 0;
		if (*end != ',' && *end != '\0')
			return -1;
		s = *end == ',' ? end + 1 : end;
	}
	return 0;
}

static bool add_range(long a, long b, void *arg)
{
	uint64_t *mask = arg;

	for (; a <= b && a < 64; a++)
		*mask |= 1ULL << a;
	return false;
}

/* A cpulist as a bitmask of the CPUs below 64; ~0 if it is malformed. */
uint64_t pv_parse_list(const char *s)
{
	uint64_t mask = 0;

	return each_range(s, add_range, &mask) ? ~0ULL : mask;
}

static bool has_cpu(long a, long b, void *arg)
{
	long *cpu = arg;

	if (a <= *cpu && *cpu <= b)
		*cpu = -1;
	return *cpu < 0;
}

/* Whether @cpu (any number) is in cpulist @list. */
bool pv_in_list(const char *list, int cpu)
{
	long c = cpu;

	return each_range(list, has_cpu, &c) == 0 && c < 0;
}

/* "lo-hi" for the upper half of @n CPUs: the CPUs the tests mark. */
void pv_upper_half(int n, char *buf, size_t len, uint64_t *mask)
{
	snprintf(buf, len, "%d-%d", n / 2, n - 1);
	*mask = pv_parse_list(buf);
}

/*
 * Jiffies per CPU since boot from /proc/stat, for CPUs below @max: @t[cpu]
 * (zeroed for CPUs not listed, such as offline ones). Returns one more
 * than the highest CPU listed, or -errno.
 */
int pv_cpu_times(struct pv_cpu_time *t, int max)
{
	char line[512];
	FILE *f = fopen("/proc/stat", "r");
	int n = 0;

	if (!f)
		return -errno;
	memset(t, 0, max * sizeof(*t));
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v[8] = { 0 };
		int cpu;

		if (strncmp(line, "cpu", 3) || line[3] < '0' || line[3] > '9')
			continue;
		if (sscanf(line + 3, "%d %llu %llu %llu %llu %llu %llu %llu %llu", &cpu,
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) < 9 ||
		    cpu < 0 || cpu >= max)
			continue;
		/* user nice system idle iowait irq softirq steal */
		t[cpu].total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
		t[cpu].idle = v[3] + v[4];
		t[cpu].steal = v[7];
		n = cpu + 1 > n ? cpu + 1 : n;
	}
	fclose(f);
	return n;
}
