/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libpvcpu: what the paravirt-CPU tools and selftests share. The mask's
 * sysfs file and pvsteal's debugfs override, cpulists, CPU hotplug, the
 * pvsteal module, busy child tasks and where they run, and the scheduler
 * tracepoints. CPU masks are uint64_t: the tools and tests that use them
 * run in guests of up to 64 vCPUs.
 */
#ifndef PVCPU_H
#define PVCPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PV_SYSFS	"/sys/devices/system/cpu/paravirt"
#define PV_DEBUGFS	"/sys/kernel/debug/pvsteal"
#define PV_OVERRIDE	PV_DEBUGFS "/override"
#define PV_MAX_CHILDREN	256

/* Where pv_module_load() looks for pvsteal, for messages. */
#define PV_MODULE_HELP \
	"$PVSTEAL_KO, pvsteal.ko next to the program, or 'modprobe pvsteal'"

/* Time (sysfs.c) */
uint64_t pv_now_us(void);		/* CLOCK_MONOTONIC */
void pv_sleep_us(uint64_t us);
void pv_spin_us(uint64_t us);		/* compute for @us, publishing */

/* Files, the mask, hotplug and the module (sysfs.c). 0 or -errno. */
int pv_read(const char *path, char *buf, size_t len);
int pv_write(const char *path, const char *s);
int pv_mark(const char *list);		/* through pvsteal's override */
int pv_set_online(int cpu, int on);
bool pv_module_loaded(void);
int pv_module_load(const char *params);
int pv_module_unload(void);
/* Load the module file @ko with @params: 0, or -errno (-ENOENT: no such file). */
int pv_load_ko(const char *ko, const char *params);

/* Cpulists such as "1,3-5" (sysfs.c) */
uint64_t pv_parse_list(const char *s);	/* ~0 if malformed */
bool pv_in_list(const char *list, int cpu);
void pv_upper_half(int n, char *buf, size_t len, uint64_t *mask);

/* Per-CPU time from /proc/stat, in jiffies (sysfs.c) */
struct pv_cpu_time {
	unsigned long long total, idle, steal;	/* idle: idle + iowait */
};
int pv_cpu_times(struct pv_cpu_time *t, int max);

/*
 * QEMU's vCPU threads, on the host (qemu.c): tid[n] of the "CPU n/KVM" or
 * "CPU n/TCG" thread of @pid, -1 for none, n < @max; returns the highest
 * n + 1 or -errno.
 */
int pv_qemu_vcpus(pid_t pid, pid_t *tid, int max);

/* Tasks (task.c) */
/* Between two looks at /proc: a poller at real-time priority must not hog a CPU. */
#define PV_POLL_US	500
int pv_task_cpu(pid_t pid);
uint64_t pv_task_cputime_us(pid_t pid);
uint64_t pv_task_runtime_ns(pid_t pid);
void pv_clock_publish(void);		/* in a computing child's loop */
int pv_schedstat(pid_t pid, pid_t tid, uint64_t *run_ns, uint64_t *wait_ns);
pid_t pv_fork_child(const char *name, int pin_cpu);
pid_t pv_spawn_busy(const char *name, int pin_cpu);
int pv_pin(pid_t pid, uint64_t mask);
void pv_kill_all(pid_t *pids, int n);
uint64_t pv_cpus_of(const pid_t *pids, int n);
int pv_spread(const pid_t *pids, int n, uint64_t cpus);
int64_t pv_wait_cpus(const pid_t *pids, int n, uint64_t mask, uint64_t want,
		     uint64_t start, uint64_t limit_us);
int64_t pv_wait_off(const pid_t *pids, int n, uint64_t marked, uint64_t start,
		    uint64_t limit_us);
int pv_measure_rt(void);
int pv_cmp_u64(const void *a, const void *b);	/* for qsort() */
uint64_t pv_percentile(uint64_t *v, int n, int pct);
const char *pv_list_ms(const uint64_t *v, int n, char *buf, size_t len);

/*
 * Scheduler tracepoints (trace.c), for what /proc is too slow or too
 * coarse to see. The events must be enabled on the kernel command line:
 * enabling a tracepoint at run time patches kernel text, and under
 * multi-threaded QEMU TCG that crashed the guest ("Oops: int3" at the call
 * site) within a few hundred toggles, with or without this project's code.
 * Users only switch recording on and off. The trace clock is
 * CLOCK_MONOTONIC, so event times compare with pv_now_us().
 */
#define PV_TRACE "/sys/kernel/tracing/"
/* One line: the pipeline scripts read it for the kernel command line. */
#define PV_TRACE_EVENTS "sched:sched_wakeup,sched:sched_wakeup_new,sched:sched_migrate_task,sched:sched_paravirt_mask,sched:sched_paravirt_push"

/* One parsed event line: the time, the event name, its pid and CPU field. */
struct pv_event {
	uint64_t us;
	char name[32];
	pid_t pid;
	int cpu;	/* target_cpu= or dest_cpu=, or -1 */
	int orig_cpu;	/* orig_cpu=, or -1 */
	const char *line;
};

int pv_trace_enabled(const char *const *events, int n);
int pv_trace_start(void);
void pv_trace_stop(void);
int pv_event_field(const char *line, const char *key);
int pv_trace_each(int (*fn)(const struct pv_event *ev, void *arg), void *arg);

/* Moves of some tasks off some CPUs, from sched_migrate_task. */
struct pv_moves {
	const pid_t *pids;
	int npids;
	uint64_t from;		/* CPUs */
	uint64_t last_us;	/* time of the last move */
	int n;			/* moves */
};
void pv_trace_moves_off(const pid_t *pids, int n, uint64_t from, struct pv_moves *mv);

/*
 * Placements of some tasks (wakeups, forks, moves; or only the events whose
 * name starts with @event, leaving out the wakeups of a task that was still
 * running, for which no CPU was chosen), and how many landed on some CPUs.
 */
struct pv_onto {
	const pid_t *pids;
	int npids;
	uint64_t cpus;
	const char *event;	/* "sched_wakeup": wakeups and forks; NULL: all */
	int seen, bad;
	char first_bad[512];
};
void pv_trace_onto(const pid_t *pids, int n, uint64_t cpus, const char *event,
		   struct pv_onto *o);

#endif /* PVCPU_H */
