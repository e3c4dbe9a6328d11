// SPDX-License-Identifier: GPL-2.0
/*
 * nohz_full and the paravirt mask: a marked CPU that still runs a task keeps
 * its tick (the tick is what pushes tasks off), and drops it again once the
 * CPU is idle. Needs a kernel with NO_HZ_FULL booted with nohz_full= naming
 * a CPU other than 0 (scripts/check boots the "jl" kernel with nohz_full=2-3).
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

TEST_F_TIMEOUT(nohz, marked_cpu_keeps_its_tick_until_its_task_leaves, 60)
{
	long alone, marked, idle;
	uint64_t t0, t1;
	char list[8];

	/* A task allowed only on the nohz_full CPU: it runs there, tickless. */
	self->task = pv_spawn_busy("pvt-nohz", self->cpu);
	ASSERT_GT(self->task, 0);
	ASSERT_EQ(0, pv_wait_cpus(&self->task, 1, 1ULL << self->cpu, 1ULL << self->cpu,
				  pv_now_us(), 2000000) < 0);
	pv_sleep_us(500000);
	alone = ticks_in_window(self->cpu);

	/* Marked, the CPU keeps its task (affinity) and must keep its tick. */
	snprintf(list, sizeof(list), "%d", self->cpu);
	ASSERT_EQ(0, pv_mark(list));
	pv_sleep_us(200000);
	t0 = pv_task_cputime_us(self->task);
	marked = ticks_in_window(self->cpu);
	t1 = pv_task_cputime_us(self->task);

	/* Once the task has left, the idle marked CPU stops ticking. */
	pv_kill_all(&self->task, 1);
	self->task = 0;
	pv_sleep_us(500000);
	idle = ticks_in_window(self->cpu);

	TH_LOG("CPU %d local timer interrupts per 2 s: %ld with one task, %ld marked with it, %ld marked and idle",
	       self->cpu, alone, marked, idle);
	/* HZ=250 gives 500 per window; a stopped tick a handful. */
	EXPECT_LT(alone, 50) TH_LOG("nohz_full did not stop the tick of a lone task");
	EXPECT_GT(marked, 100);
	EXPECT_LT(idle, 50);
	/* And the task was not starved while marked. */
	EXPECT_GT(t1 - t0, WINDOW_US / 4);
}

/*
 * Marking and unmarking change whether the tick can stop, so the tick
 * dependency must be looked at again then, not only when the number of
 * tasks changes. A lone task on an unmarked nohz_full CPU runs tickless,
 * even if another task came and went while the CPU was marked.
 */
TEST_F_TIMEOUT(nohz, unmarked_cpu_stops_the_tick_again, 60)
{
	long before, marked, after;
	char list[8];
	pid_t visitor;

	self->task = pv_spawn_busy("pvt-nohz", self->cpu);
	ASSERT_GT(self->task, 0);
	ASSERT_EQ(0, pv_wait_cpus(&self->task, 1, 1ULL << self->cpu, 1ULL << self->cpu,
				  pv_now_us(), 2000000) < 0);
	pv_sleep_us(500000);
	before = ticks_in_window(self->cpu);

	snprintf(list, sizeof(list), "%d", self->cpu);
	ASSERT_EQ(0, pv_mark(list));
	/* A second task on the CPU while it is marked, then gone again. */
	visitor = pv_fork_child("pvt-visitor", self->cpu);
	if (visitor == 0) {
		pv_spin_us(20000);
		_exit(0);
	}
	ASSERT_GT(visitor, 0);
	ASSERT_EQ(visitor, waitpid(visitor, NULL, 0));
	marked = ticks_in_window(self->cpu);

	ASSERT_EQ(0, pv_mark(""));
	pv_sleep_us(500000);
	after = ticks_in_window(self->cpu);

	TH_LOG("CPU %d local timer interrupts per 2 s with one task: %ld unmarked, %ld marked, %ld unmarked again",
	       self->cpu, before, marked, after);
	EXPECT_LT(before, 50);
	EXPECT_GT(marked, 100);
	EXPECT_LT(after, 50) TH_LOG("the tick kept running after the unmark");
}

TEST_HARNESS_MAIN
