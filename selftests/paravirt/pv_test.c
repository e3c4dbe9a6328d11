// SPDX-License-Identifier: GPL-2.0
/* Helpers of the paravirt selftests; see pv_test.h. */
#define _GNU_SOURCE
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/wait.h>

#include "../kselftest.h"
#include "pv_test.h"

/* Skip the whole program: TAP plan "1..0 # SKIP reason", exit status 4. */
void pv_skip_all(const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	ksft_print_header();
	ksft_exit_skip("%s\n", why);
}

/*
 * Before the harness runs any case, a program that cannot run at all in
 * this guest skips as a whole, which kselftest runners count as a skip.
 */
static void __attribute__((constructor)) pv_require(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (geteuid())
		pv_skip_all("needs root");
	if (access(PV_SYSFS, F_OK))
		pv_skip_all("kernel without CONFIG_PARAVIRT_CPUS (no %s)", PV_SYSFS);
	if (n < 4)
		pv_skip_all("needs at least 4 online CPUs, have %ld", n);
}

/* The number in environment variable @name, or @def when it is not set. */
uint64_t pv_env_u64(const char *name, uint64_t def)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 10) : def;
}

/*
 * The median, 90th percentile and slowest of @n evacuation times into @t,
 * logged with the times in round order (@us ends up sorted).
 */
void pv_evac_tail(const char *what, uint64_t *us, int n, struct pv_tail *t)
{
	char list[512];

	pv_list_ms(us, n, list, sizeof(list));
	t->p50 = pv_percentile(us, n, 50);
	t->p90 = pv_percentile(us, n, 90);
	t->max = n ? us[n - 1] : 0;
	ksft_print_msg("%s after p50 %llu us, p90 %llu us, max %llu us; by round, in ms: %s\n",
		       what, (unsigned long long)t->p50, (unsigned long long)t->p90,
		       (unsigned long long)t->max, list);
	ksft_print_msg("evacuation_us %s: p50=%llu p90=%llu max=%llu n=%d\n", what,
		       (unsigned long long)t->p50, (unsigned long long)t->p90,
		       (unsigned long long)t->max, n);
}

/* Compute 3 ms of every 4, for ever: a task that keeps waking up. */
void pv_duty_cycle(void)
{
	for (;;) {
		pv_spin_us(3000);
		pv_sleep_us(1000);
	}
}

/*
 * CPU time each of @pids gets in a window of @window_us, and when @waited is not NULL,
 * the time each spent queued behind another task, in parts per hundred of
 * the window. The run time is what the children publish (see
 * pv_task_runtime_ns()), current on tickless CPUs too; the time queued is
 * brought up to date whenever a task starts to run.
 */
void pv_shares(const pid_t *pids, int n, uint64_t window_us, int *pct, int *waited)
{
	uint64_t r0[PV_MAX_CHILDREN], w0[PV_MAX_CHILDREN], r, w;
	uint64_t wall = pv_now_us();
	int gone[PV_MAX_CHILDREN];

	for (int i = 0; i < n; i++) {
		gone[i] = pv_schedstat(pids[i], pids[i], &r, &w0[i]);
		r0[i] = pv_task_runtime_ns(pids[i]);
	}
	pv_sleep_us(window_us);
	wall = (pv_now_us() - wall) * 1000;
	for (int i = 0; i < n; i++) {
		/* A task that is gone ran nothing and waited all along. */
		if (gone[i] || pv_schedstat(pids[i], pids[i], &r, &w)) {
			r = r0[i];
			w = w0[i] + wall;
		} else {
			/* At least the first look, which may have come from schedstat. */
			r = pv_task_runtime_ns(pids[i]);
			r = r > r0[i] ? r : r0[i];
		}
		pct[i] = (r - r0[i]) * 100 / wall;
		if (waited)
			waited[i] = (w - w0[i]) * 100 / wall;
	}
}

/*
 * How long two tasks spend queued depends on the host, not only on where
 * they run: one that wakes up all the time (pv_duty_cycle()) waits for the
 * host to run its idle vCPU again. So measure the best and the worst any
 * placement can do on this host first: @pids pinned one to @cpu_a and one to @cpu_b,
 * then both to @cpu_a. Then allow both on @allowed and measure what the
 * kernel's placement does, each over @window_us. 0, or the -errno of a pin.
 */
int pv_queueing(const pid_t *pids, int cpu_a, int cpu_b, uint64_t allowed,
		uint64_t window_us, struct pv_queued *q)
{
	int ret = pv_pin(pids[0], 1ULL << cpu_a) ?: pv_pin(pids[1], 1ULL << cpu_b);

	if (ret)
		return ret;
	pv_sleep_us(100000);
	pv_shares(pids, 2, window_us, q->pct_apart, q->queued_apart);
	ret = pv_pin(pids[1], 1ULL << cpu_a);
	if (ret)
		return ret;
	pv_sleep_us(100000);
	pv_shares(pids, 2, window_us, q->pct_stacked, q->queued_stacked);
	ret = pv_pin(pids[0], allowed) ?: pv_pin(pids[1], allowed);
	if (ret)
		return ret;
	pv_sleep_us(500000);
	pv_shares(pids, 2, window_us, q->pct, q->queued);
	q->best = q->queued_apart[0] + q->queued_apart[1];
	q->worst = q->queued_stacked[0] + q->queued_stacked[1];
	q->got = q->queued[0] + q->queued[1];
	return 0;
}

/* A SCHED_FIFO child at @prio in pv_duty_cycle(), pinned as pv_fork_child(). */
pid_t pv_spawn_rt(int prio, int pin_cpu)
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

/*
 * A SCHED_FIFO child at @prio that spins on @cpu. The parent sets both
 * before the child may be moved: a child setting them itself could pin
 * itself after its affinity widened. The policy comes first, so that it
 * never waits as a fair task behind another spinner there.
 */
pid_t pv_spawn_spinner(int prio, int cpu)
{
	struct sched_param sp = { .sched_priority = prio };
	pid_t pid = pv_fork_child("pvt-spin", -1);

	if (pid == 0)
		for (;;)
			pv_clock_publish();
	if (pid > 0 && (sched_setscheduler(pid, SCHED_FIFO, &sp) || pv_pin(pid, 1ULL << cpu))) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	return pid;
}

/* A counter from /proc/@pid/sched, such as "se.nr_migrations"; -1 if absent. */
long pv_sched_field(pid_t pid, const char *name)
{
	char path[64], buf[8192], *p;

	snprintf(path, sizeof(path), "/proc/%d/sched", pid);
	if (pv_read(path, buf, sizeof(buf)))
		return -1;
	p = strstr(buf, name);
	p = p ? strchr(p, ':') : NULL;
	return p ? strtol(p + 1, NULL, 10) : -1;
}

/*
 * Interrupts @cpu took, summed over the /proc/interrupts rows named in
 * @rows, e.g. "LOC:" for the local timer or "LOC:RES:CAL:". -1 on error.
 */
long pv_cpu_irqs(int cpu, const char *rows)
{
	char line[4096], *p;
	long total = 0;
	FILE *f = fopen("/proc/interrupts", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		int want = 0;

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

/*
 * Program @name: in directory $@dir_env when that is set, else next to the
 * running test (where an installed selftest finds it), else from $PATH.
 */
const char *pv_program(const char *name, const char *dir_env)
{
	static char path[PATH_MAX + 64];
	const char *dir = dir_env ? getenv(dir_env) : NULL;
	char exe[PATH_MAX];
	ssize_t n;

	if (dir && *dir) {
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		return path;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		snprintf(path, sizeof(path), "%s/%s", dirname(exe), name);
		if (!access(path, X_OK))
			return path;
	}
	return name;
}

/* The pvctl program: $PVCTL, or pvctl as pv_program() finds it. */
const char *pv_pvctl(void)
{
	const char *env = getenv("PVCTL");

	return env && *env ? env : pv_program("pvctl", NULL);
}
