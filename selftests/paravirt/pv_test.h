/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the paravirt selftests share beyond libpvcpu: what every test needs
 * (root, CONFIG_PARAVIRT_CPUS, 4 CPUs; checked before any case runs),
 * knobs, real-time and duty-cycle children, scheduler and interrupt
 * counters, and finding the module and pvctl.
 */
#ifndef PV_TEST_H
#define PV_TEST_H

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pvcpu.h"

void __attribute__((noreturn, format(printf, 1, 2))) pv_skip_all(const char *fmt, ...);
uint64_t pv_env_u64(const char *name, uint64_t def);
void __attribute__((noreturn)) pv_duty_cycle(void);
pid_t pv_spawn_rt(int prio, int pin_cpu);
pid_t pv_spawn_spinner(int prio, int cpu);
void pv_shares(const pid_t *pids, int n, uint64_t window_us, int *pct, int *waited);
long pv_sched_field(pid_t pid, const char *name);

/* Two tasks: pinned apart, stacked, then placed by the kernel (pv_queueing()). */
struct pv_queued {
	int pct_apart[2], queued_apart[2];	/* pinned one to each CPU */
	int pct_stacked[2], queued_stacked[2];	/* both pinned to one */
	int pct[2], queued[2];			/* allowed on the CPUs */
	int best, worst, got;			/* queued, both together */
};
int pv_queueing(const pid_t *pids, int cpu_a, int cpu_b, uint64_t allowed,
		uint64_t window_us, struct pv_queued *q);
long pv_cpu_irqs(int cpu, const char *rows);
const char *pv_program(const char *name, const char *dir_env);
const char *pv_pvctl(void);

/*
 * Limits on the times tasks take to leave the marked CPUs, over several
 * marks (paravirt_test.c says why these): the median (PV_EVAC_MEDIAN_US),
 * the 90th percentile (PV_EVAC_LIMIT_US) and the slowest (PV_EVAC_MAX_US).
 */
#define PV_EVAC_MEDIAN_US	pv_env_u64("PV_EVAC_MEDIAN_US", 20000)
#define PV_EVAC_LIMIT_US	pv_env_u64("PV_EVAC_LIMIT_US", 40000)
#define PV_EVAC_MAX_US		pv_env_u64("PV_EVAC_MAX_US", 250000)

struct pv_tail {
	uint64_t p50, p90, max;
};
void pv_evac_tail(const char *what, uint64_t *us, int n, struct pv_tail *t);

/*
 * In a test: the median (when @median_limit is not 0), the 90th percentile
 * and the slowest of the @n evacuation times @us within the limits above.
 */
#define PV_EXPECT_EVAC_TAIL(what, us, n, median_limit) do {			\
	struct pv_tail __t;							\
										\
	pv_evac_tail(what, us, n, &__t);					\
	if (median_limit)							\
		EXPECT_LE(__t.p50, median_limit);				\
	EXPECT_LE(__t.p90, PV_EVAC_LIMIT_US);					\
	EXPECT_LE(__t.max, PV_EVAC_MAX_US);					\
} while (0)

/*
 * In a test or fixture: load pvsteal with @params, skip the test when the
 * module is nowhere to be found, fail it when loading fails.
 */
#define PV_LOAD_OR_SKIP(params) do {						\
	int __ret = pv_module_load(params);					\
										\
	if (__ret == -ENOENT)							\
		SKIP(return, "pvsteal not found (" PV_MODULE_HELP ")");	\
	ASSERT_EQ(0, __ret) TH_LOG("loading pvsteal: %s", strerror(-__ret));	\
} while (0)

#endif /* PV_TEST_H */
