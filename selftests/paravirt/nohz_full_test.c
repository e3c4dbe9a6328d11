// SPDX-License-Identifier: GPL-2.0
/*
 * nohz_full and the paravirt mask: a marked CPU keeps its tick while the
 * tick has work there (a task it may push off, or tasks sharing the CPU),
 * and drops it when it has none: when the CPU is idle, and when its one
 * task may not leave, the isolated task of a nohz_full CPU. Needs a kernel
 * with NO_HZ_FULL booted with nohz_full= naming a CPU other than 0
 * (scripts/check boots the "jl" kernel with nohz_full=2-3).
 */
#include "../kselftest_harness.h"
#include "pv_test.h"

#define WINDOW_US	2000000

/* Without nohz_full CPUs other than 0 there is nothing to test. */
static void __attribute__((constructor)) needs_nohz_full(void)
{
	char buf[64];

	if (pv_read("/sys/devices/system/cpu/nohz_full", buf, sizeof(buf)))
		pv_skip_all("kernel without NO_HZ_FULL");
	if (!(pv_parse_list(buf) & ~1ULL))
		pv_skip_all("boot with nohz_full= naming a CPU other than 0 (have '%s')", buf);
}

FIXTURE(nohz) {
	int cpu;
	pid_t task;
};

FIXTURE_SETUP(nohz)
{
	char buf[64];
	uint64_t full;
	cpu_set_t set;

	self->task = 0;
	self->cpu = -1;
	ASSERT_EQ(0, pv_read("/sys/devices/system/cpu/nohz_full", buf, sizeof(buf)));
	full = pv_parse_list(buf) & ~1ULL;
	self->cpu = 63 - __builtin_clzll(full);
	/* The test itself stays on the housekeeping CPU 0. */
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(set), &set));
	PV_LOAD_OR_SKIP("");
	ASSERT_EQ(0, pv_mark(""));
}

FIXTURE_TEARDOWN(nohz)
{
	if (self->task > 0)
		pv_kill_all(&self->task, 1);
	if (pv_module_loaded())
		pv_mark("");
}

/* Local timer interrupts on @cpu during one window. */
static long ticks_in_window(int cpu)
{
	long before = pv_cpu_irqs(cpu, "LOC:");

	pv_sleep_us(WINDOW_US);
	return pv_cpu_irqs(cpu, "LOC:") - before;
}

/* Wait for the busy task to run on the nohz_full CPU, and settle. */
static int start_on_cpu(FIXTURE_DATA(nohz) *self)
{
	self->task = pv_spawn_busy("pvt-nohz", self->cpu);
	if (self->task <= 0 ||
	    pv_wait_cpus(&self->task, 1, 1ULL << self->cpu, 1ULL << self->cpu, pv_now_us(), 2000000) < 0)
		return -1;
	pv_sleep_us(500000);
	return 0;
}

/*
 * A task allowed only on the nohz_full CPU runs there tickless, marked or
 * not: the tick could not push it. Once it may run elsewhere, the tick
 * comes back and pushes it off, and the idle marked CPU is tickless again.
 * Before the tick looked at what it may push, the marked CPU took 500
 * ticks in 2 s (HZ=250) for nothing.
 */
TEST_F_TIMEOUT(nohz, marked_cpu_ticks_only_while_it_may_push, 60)
{
	long alone, marked, idle;
	int64_t left;
	char list[8];
	uint64_t t0, t1;

	ASSERT_EQ(0, start_on_cpu(self));
	alone = ticks_in_window(self->cpu);

	snprintf(list, sizeof(list), "%d", self->cpu);
	ASSERT_EQ(0, pv_mark(list));
	pv_sleep_us(200000);
	t0 = pv_task_cputime_us(self->task);
	marked = ticks_in_window(self->cpu);
	t1 = pv_task_cputime_us(self->task);

	/* Allowed on CPU 0 too: it must leave the marked CPU. */
	ASSERT_EQ(0, pv_pin(self->task, 1ULL | 1ULL << self->cpu));
	left = pv_wait_off(&self->task, 1, 1ULL << self->cpu, pv_now_us(), 1000000);
	pv_sleep_us(500000);
	idle = ticks_in_window(self->cpu);

	TH_LOG("CPU %d local timer interrupts per 2 s: %ld with one pinned task, %ld marked with it, %ld marked once it left (%lld us after its affinity widened)",
	       self->cpu, alone, marked, idle, (long long)left);
	/* HZ=250 gives 500 per window; a stopped tick a handful. */
	EXPECT_LT(alone, 50) TH_LOG("nohz_full did not stop the tick of a lone task");
	EXPECT_LT(marked, 50) TH_LOG("a marked CPU ticked for a task it cannot push");
	EXPECT_GE(left, 0) TH_LOG("the task stayed on marked CPU %d for 1 s after it could leave", self->cpu);
	EXPECT_LT(idle, 50);
	/* And the task was not starved while marked. */
	EXPECT_GT(t1 - t0, WINDOW_US / 4);
}

/*
 * A task that may leave is pushed at once when its CPU is marked, whether
 * or not that CPU ticks.
 */
TEST_F_TIMEOUT(nohz, marking_pushes_a_task_that_may_leave, 60)
{
	int64_t left;
	char list[8];

	ASSERT_EQ(0, start_on_cpu(self));
	ASSERT_EQ(0, pv_pin(self->task, 1ULL | 1ULL << self->cpu));
	pv_sleep_us(200000);
	ASSERT_EQ(self->cpu, pv_task_cpu(self->task));
	snprintf(list, sizeof(list), "%d", self->cpu);
	ASSERT_EQ(0, pv_mark(list));
	left = pv_wait_off(&self->task, 1, 1ULL << self->cpu, pv_now_us(), 1000000);
	TH_LOG("the task left marked nohz_full CPU %d after %lld us", self->cpu, (long long)left);
	EXPECT_GE(left, 0);
}

/*
 * The tick dependency is looked at again on every change: a second task
 * on the marked CPU brings the tick back (they share the CPU), its exit
 * stops it again, and so does the unmark.
 */
TEST_F_TIMEOUT(nohz, marked_cpu_ticks_while_tasks_share_it, 60)
{
	long before, shared, marked, after;
	char list[8];
	pid_t visitor;

	ASSERT_EQ(0, start_on_cpu(self));
	before = ticks_in_window(self->cpu);

	snprintf(list, sizeof(list), "%d", self->cpu);
	ASSERT_EQ(0, pv_mark(list));
	visitor = pv_spawn_busy("pvt-visitor", self->cpu);
	ASSERT_GT(visitor, 0);
	pv_sleep_us(100000);
	shared = ticks_in_window(self->cpu);
	pv_kill_all(&visitor, 1);
	pv_sleep_us(200000);
	marked = ticks_in_window(self->cpu);

	ASSERT_EQ(0, pv_mark(""));
	pv_sleep_us(500000);
	after = ticks_in_window(self->cpu);

	TH_LOG("CPU %d local timer interrupts per 2 s with one task: %ld unmarked, %ld marked with a second one, %ld marked alone, %ld unmarked again",
	       self->cpu, before, shared, marked, after);
	EXPECT_LT(before, 50);
	EXPECT_GT(shared, 100);
	EXPECT_LT(marked, 50) TH_LOG("the tick kept running after the second task left");
	EXPECT_LT(after, 50) TH_LOG("the tick kept running after the unmark");
}

TEST_HARNESS_MAIN
