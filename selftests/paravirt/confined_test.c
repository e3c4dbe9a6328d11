// SPDX-License-Identifier: GPL-2.0
/*
 * Tasks with nowhere else to go: a task whose affinity allows only marked
 * CPUs is scheduled among those CPUs as if nothing were marked. It is not
 * pushed (affinity is not overridden), and it must not starve or pile up on
 * one CPU while another CPU it may use sits idle. Needs at least 4 CPUs;
 * marks the upper half.
 */
#include "../kselftest_harness.h"
#include "pv_test.h"

#define WINDOW_US	1000000

FIXTURE(confined) {
	int ncpus, first, second;
	char half[32];
	uint64_t marked;
	pid_t pids[PV_MAX_CHILDREN];
	int npids;
};

FIXTURE_SETUP(confined)
{

	self->ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	self->npids = 0;
	PV_LOAD_OR_SKIP("");
	ASSERT_EQ(0, pv_mark(""));
	pv_upper_half(self->ncpus, self->half, sizeof(self->half), &self->marked);
	self->first = __builtin_ctzll(self->marked);
	self->second = __builtin_ctzll(self->marked & ~(1ULL << self->first));
	ASSERT_EQ(0, pv_measure_rt());
}

FIXTURE_TEARDOWN(confined)
{
	pv_kill_all(self->pids, self->npids);
	if (pv_module_loaded())
		pv_mark("");
}

static pid_t add(FIXTURE_DATA(confined) *self, pid_t pid)
{
	if (pid > 0 && self->npids < PV_MAX_CHILDREN)
		self->pids[self->npids++] = pid;
	return pid;
}

/*
 * Two RT tasks started on one marked CPU: let them settle there, allow both
 * on every marked CPU, and measure their shares once that has had effect.
 */
static int widen_and_share(FIXTURE_DATA(confined) *self, const pid_t *rt, int *pct)
{
	pv_sleep_us(100000);
	for (int i = 0; i < 2; i++)
		if (pv_pin(rt[i], self->marked))
			return -1;
	pv_sleep_us(200000);
	pv_shares(rt, 2, WINDOW_US, pct, NULL);
	return 0;
}

/*
 * Two FIFO tasks allowed only on the marked CPUs, both started on the same
 * one. Each time the higher one wakes, it preempts the lower one, which must
 * then move to the other marked CPU (push, or pull by that CPU) rather than
 * wait: without the mark it would.
 */
TEST_F_TIMEOUT(confined, rt_tasks_use_every_cpu_they_may, 60)
{
	pid_t rt[2];
	int pct[2];

	ASSERT_EQ(0, pv_mark(self->half));
	rt[0] = add(self, pv_spawn_rt(20, self->first));
	rt[1] = add(self, pv_spawn_rt(10, self->first));
	ASSERT_GT(rt[0], 0);
	ASSERT_GT(rt[1], 0);
	ASSERT_EQ(0, widen_and_share(self, rt, pct));
	TH_LOG("FIFO tasks allowed on marked %s only: the higher got %d%%, the lower %d%% of a CPU (75%% each if they spread)",
	       self->half, pct[0], pct[1]);
	/*
	 * Sharing one CPU, the lower one gets what the higher leaves: 25%
	 * against 75% (12% against 73% measured without the fix). The host
	 * may run these vCPUs less than the test's wall clock (one TCG
	 * thread for all of them: 51% and 50% once), which scales both
	 * shares alike, so the lower one is compared with the higher. The
	 * floor is per boot, PV_CONFINED_RT_PCT: 55% by default, where each
	 * vCPU has a host thread; the single-thread boot sets its own.
	 */
	EXPECT_GE(pct[1] * 10, pct[0] * 7);
	EXPECT_GE(pct[1], (int)pv_env_u64("PV_CONFINED_RT_PCT", 55));
}

/*
 * Two FIFO spinners started on the same marked CPU, then both allowed on
 * the marked CPUs: the lower one, queued behind the higher, must reach the
 * other marked CPU. Nothing sleeps or wakes there, so the RT push at
 * enqueue and the pull of a CPU that lowers its priority never come (the
 * unmarked CPUs, where the RT test process sleeps, may not take the task):
 * the tick of the marked CPU must push it, on nohz_full CPUs too. Measured
 * before that push: the lower one got 0-42% of the higher's time in 2 of 3
 * rounds, and 0 in every round with nohz_full.
 */
TEST_F_TIMEOUT(confined, rt_spinners_use_every_cpu_they_may, 120)
{
	int rounds = 10, starved = 0, worst = INT32_MAX;
	pid_t rt[2];
	int pct[2];

	ASSERT_EQ(0, pv_mark(self->half));
	for (int r = 0; r < rounds; r++) {
		rt[0] = pv_spawn_spinner(50, self->first);
		ASSERT_GT(rt[0], 0);
		pv_sleep_us(20000);
		rt[1] = pv_spawn_spinner(40, self->first);
		ASSERT_GT(rt[1], 0);
		ASSERT_EQ(0, widen_and_share(self, rt, pct));
		pv_kill_all(rt, 2);
		if (pct[1] * 2 < pct[0] && !starved++)
			TH_LOG("round %d: the lower spinner got %d%%, the higher %d%% of a CPU",
			       r, pct[1], pct[0]);
		worst = pct[1] < worst ? pct[1] : worst;
	}
	TH_LOG("%d rounds of FIFO spinners allowed on marked %s only: the lower got less than half of the higher in %d (least: %d%% of a CPU)",
	       rounds, self->half, starved, worst);
	EXPECT_EQ(0, starved);
}

/*
 * Two fair tasks allowed only on the marked CPUs, both started on the same
 * one, spread over both while free tasks stay off them: a marked CPU pulls
 * the tasks that have no other CPU, and only those. The idle marked CPU
 * pulls when it balances: at once where it ticks or an idle CPU balances
 * for it, but an idle nohz_full CPU is balanced by no other CPU (the idle
 * load balancer is a housekeeping CPU, and those are busy here) and pulls
 * only when something wakes it: PV_CONFINED_SPREAD_US (default 2 s).
 */
TEST_F_TIMEOUT(confined, fair_tasks_use_every_cpu_they_may, 60)
{
	uint64_t spread_us = pv_env_u64("PV_CONFINED_SPREAD_US", 2000000);
	int pct[2], waited[2];
	pid_t conf[2];
	int64_t us;

	for (int i = 0; i < 2 * self->ncpus; i++)
		add(self, pv_spawn_busy("pvt-busy", -1));
	ASSERT_EQ(0, pv_mark(self->half));
	ASSERT_GE(pv_wait_off(self->pids, self->npids, self->marked, pv_now_us(), 5000000), 0);
	for (int i = 0; i < 2; i++) {
		conf[i] = add(self, pv_spawn_busy("pvt-conf", self->first));
		ASSERT_GT(conf[i], 0);
	}
	pv_sleep_us(100000);
	for (int i = 0; i < 2; i++)
		ASSERT_EQ(0, pv_pin(conf[i], self->marked));

	us = pv_wait_cpus(conf, 2, self->marked, (1ULL << self->first) | (1ULL << self->second),
			  pv_now_us(), spread_us);
	EXPECT_GE(us, 0) TH_LOG("two tasks allowed on %s only still share CPU %d after %llu ms",
				self->half, self->first, (unsigned long long)spread_us / 1000);
	pv_shares(conf, 2, WINDOW_US, pct, waited);
	TH_LOG("fair tasks allowed on marked %s only: spread after %lld us, then %d%% and %d%% of a CPU, queued %d%% and %d%% of the time",
	       self->half, (long long)us, pct[0], pct[1], waited[0], waited[1]);
	/*
	 * Spread, neither waits behind the other: the time queued is exact,
	 * where the run time of a task on another vCPU is not on a host that
	 * runs one vCPU at a time (see pv_task_runtime_ns()).
	 */
	EXPECT_LE(waited[0], 20);
	EXPECT_LE(waited[1], 20);
	/* The free tasks were never pulled back. */
	EXPECT_EQ(0, pv_cpus_of(self->pids, self->npids - 2) & self->marked);
}

/*
 * The same with wakeups: tasks allowed only on the marked CPUs that sleep
 * and wake go to an idle one of those, not behind each other. Their CPU
 * time and the time they spend queued depend on how fast the host runs
 * the vCPUs and wakes them from their 1 ms sleep, not only on where they
 * run (62% each once in single-threaded TCG, under 55% once with the host
 * busy; queued 24% together once where the host ran this guest at half
 * its usual speed), so pv_queueing() measures the best and the worst this
 * host allows, and the kernel's placement may queue them at most a quarter
 * of the way from the one to the other.
 */
TEST_F_TIMEOUT(confined, waking_tasks_use_every_cpu_they_may, 60)
{
	struct pv_queued q;
	pid_t conf[2];

	ASSERT_EQ(0, pv_mark(self->half));
	for (int i = 0; i < 2; i++) {
		conf[i] = add(self, pv_fork_child("pvt-wake", self->first));
		ASSERT_GE(conf[i], 0);
		if (conf[i] == 0)
			pv_duty_cycle();
	}
	ASSERT_EQ(0, pv_queueing(conf, self->first, self->second, self->marked, WINDOW_US, &q));
	TH_LOG("tasks busy 3 ms of 4 pinned to marked CPUs %d and %d: %d%% and %d%% of a CPU, queued %d%% and %d%% of the time",
	       self->first, self->second, q.pct_apart[0], q.pct_apart[1],
	       q.queued_apart[0], q.queued_apart[1]);
	TH_LOG("both pinned to %d: %d%% and %d%% of a CPU, queued %d%% and %d%%", self->first,
	       q.pct_stacked[0], q.pct_stacked[1], q.queued_stacked[0], q.queued_stacked[1]);
	TH_LOG("allowed on marked %s: %d%% and %d%% of a CPU, queued %d%% and %d%%",
	       self->half, q.pct[0], q.pct[1], q.queued[0], q.queued[1]);
	ASSERT_GE(q.worst - q.best, 20) TH_LOG("stacking did not make them queue: nothing to compare with");
	EXPECT_LE(q.got, q.best + (q.worst - q.best) / 4);
	/*
	 * With one TCG thread (PV_CPU_TIME_EXACT=0), how long a vCPU waits for
	 * its turn decides their CPU time: 40% each spread against 42% stacked
	 * once, with nothing queued.
	 */
	if (pv_env_u64("PV_CPU_TIME_EXACT", 1))
		EXPECT_GT(q.pct[0] + q.pct[1], q.pct_stacked[0] + q.pct_stacked[1]);
}

TEST_HARNESS_MAIN
