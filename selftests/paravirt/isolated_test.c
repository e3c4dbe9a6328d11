// SPDX-License-Identifier: GPL-2.0
/*
 * isolcpus= and the paravirt mask. A CPU isolated from the scheduler
 * domains gets no load balancing, so nothing but the mark moves work off
 * it: marking it pushes the tasks whose affinity allows an unmarked CPU,
 * and their wakeups stop landing there (admin-guide.rst, "isolcpus and
 * nohz_full"). Needs a guest booted with isolcpus= naming a CPU other
 * than 0 (scripts/check boots one with isolcpus=3) and the events of
 * PV_TRACE_EVENTS (tools/lib/pvcpu/pvcpu.h) enabled.
 */
#include "../kselftest_harness.h"
#include "pv_test.h"

#define ROUNDS	10

static void __attribute__((constructor)) needs_isolated(void)
{
	char buf[64];

	if (pv_read("/sys/devices/system/cpu/isolated", buf, sizeof(buf)) ||
	    !(pv_parse_list(buf) & ~1ULL))
		pv_skip_all("boot with isolcpus= naming a CPU other than 0 (have '%s')", buf);
}

static const char *const ev[] = { "sched/sched_wakeup", "sched/sched_migrate_task" };

FIXTURE(iso) {
	int cpu, other;		/* an isolated CPU, and CPU 0 */
	char list[8];
	pid_t task;
};

FIXTURE_SETUP(iso)
{
	char buf[64];

	self->task = 0;
	if (pv_trace_enabled(ev, 2))
		SKIP(return, "boot with trace_event=" PV_TRACE_EVENTS);
	ASSERT_EQ(0, pv_read("/sys/devices/system/cpu/isolated", buf, sizeof(buf)));
	self->cpu = 63 - __builtin_clzll(pv_parse_list(buf) & ~1ULL);
	self->other = 0;
	snprintf(self->list, sizeof(self->list), "%d", self->cpu);
	PV_LOAD_OR_SKIP("");
	ASSERT_EQ(0, pv_mark(""));
}

FIXTURE_TEARDOWN(iso)
{
	if (self->task > 0)
		pv_kill_all(&self->task, 1);
	if (pv_module_loaded())
		pv_mark("");
}

/*
 * A busy task put on the isolated CPU, then allowed on CPU 0 too: no
 * balancer moves it (CPU 0 is idle), the mark does, within the limits of
 * the other evacuations, over ROUNDS marks.
 */
TEST_F_TIMEOUT(iso, marking_an_isolated_cpu_pushes_what_may_leave, 120)
{
	uint64_t cpu = 1ULL << self->cpu, both = cpu | 1ULL << self->other, evac[ROUNDS], t0;
	int64_t us;

	self->task = pv_spawn_busy("pvt-iso", self->cpu);
	ASSERT_GT(self->task, 0);
	for (int r = 0; r < ROUNDS; r++) {
		struct pv_moves mv;

		ASSERT_EQ(0, pv_mark(""));
		ASSERT_EQ(0, pv_pin(self->task, cpu));
		ASSERT_GE(pv_wait_cpus(&self->task, 1, cpu, cpu, pv_now_us(), 2000000), 0);
		ASSERT_EQ(0, pv_pin(self->task, both));
		if (!r) {
			/* Outside the domains, nothing pulls it to idle CPU 0. */
			pv_sleep_us(300000);
			EXPECT_EQ(cpu, pv_cpus_of(&self->task, 1))
				TH_LOG("the task left the isolated CPU %d unmarked", self->cpu);
		}
		ASSERT_EQ(0, pv_trace_start());
		t0 = pv_now_us();
		ASSERT_EQ(0, pv_mark(self->list));
		us = pv_wait_off(&self->task, 1, cpu, t0, 5000000);
		pv_trace_stop();
		ASSERT_GE(us, 0) TH_LOG("round %d: still on marked isolated CPU %d after 5 s",
					r, self->cpu);
		pv_trace_moves_off(&self->task, 1, cpu, &mv);
		ASSERT_GT(mv.n, 0) TH_LOG("round %d: no move off %d traced", r, self->cpu);
		evac[r] = mv.last_us > t0 ? mv.last_us - t0 : 0;
	}
	PV_EXPECT_EVAC_TAIL("the task left the marked isolated CPU", evac, ROUNDS,
			    PV_EVAC_MEDIAN_US);
}

/*
 * A task that sleeps and wakes 250 times a second, allowed on the isolated
 * CPU and CPU 0: while the isolated CPU is marked, no wakeup lands there.
 */
TEST_F_TIMEOUT(iso, wakeups_avoid_a_marked_isolated_cpu, 60)
{
	uint64_t cpu = 1ULL << self->cpu;
	struct pv_onto on;

	self->task = pv_fork_child("pvt-iso", self->cpu);
	if (!self->task)
		pv_duty_cycle();
	ASSERT_GT(self->task, 0);
	ASSERT_EQ(0, pv_pin(self->task, cpu | 1ULL << self->other));
	ASSERT_EQ(0, pv_mark(self->list));
	pv_sleep_us(100000);
	ASSERT_EQ(0, pv_trace_start());
	pv_sleep_us(1000000);
	pv_trace_stop();
	pv_trace_onto(&self->task, 1, cpu, "sched_wakeup", &on);
	TH_LOG("%d wakeups in 1 s, %d onto marked isolated CPU %d", on.seen, on.bad, self->cpu);
	EXPECT_GE(on.seen, 100);
	EXPECT_EQ(0, on.bad) TH_LOG("first: %s", on.first_bad);
}

TEST_HARNESS_MAIN
