// SPDX-License-Identifier: GPL-2.0
/*
 * Paravirt CPUs: the mask set through pvsteal's override, placement, push,
 * unmark and module unload, in a guest with at least 4 CPUs.
 *
 * The tests mark the upper half of the CPUs.
 */
#include "../kselftest_harness.h"
#include "pv_test.h"

/*
 * How long busy tasks may take to leave the marked CPUs, from the write to
 * the last push the kernel traces: the mark kicks the CPUs at once, and a
 * scheduler tick (4 ms at HZ=250) is the backstop. The margin is for the
 * host: this guest's 4 vCPU threads share 2 host CPUs, so a kicked vCPU
 * can wait a few host timeslices before it runs. Measured over 20 marks in
 * six runs: medians 2.6 to 3.2 ms, maxima 5.5 to 16.8 ms.
 *
 * The limits hold percentiles of the 20 marks. The slowest mark only has
 * to stay within PV_EVAC_MAX_US (250 ms by default), because the host can
 * stall a vCPU for longer than any of this: on a day the host ran this
 * guest at half its usual speed (hackbench took 4.7 s instead of 1.9 s),
 * the slowest of 10 marks under scx_pvsimple took 74 ms against a median
 * of 24 ms, and this test, then held to 40 ms on the slowest mark, failed
 * once in CI; at the usual speed, one of 20 marks under scx_pvsimple took
 * 134 ms where the other 19 took 6.6-31.6 ms. A push that waits for a
 * tick or a balance misses more than one mark in ten, and moves the 90th
 * percentile too.
 *
 * PV_EVAC_LIMIT_US (90th percentile, 40 ms by default) and
 * PV_EVAC_MEDIAN_US (20 ms by default; measured medians 2.6-3.2 ms on the
 * debug boot, 7 ms on the jl boot) when set: with every vCPU on one host
 * thread, QEMU runs a busy vCPU for up to 100 ms before the next one gets
 * its turn.
 */

/*
 * How long after a mark the evacuated tasks must be evenly spread: one
 * balance interval of a busy CPU, with a margin. That interval is
 * busy_factor (16) times sd->balance_interval, which each balance that
 * finds the domain balanced doubles up to max_interval: 8 ms for a 4-CPU
 * domain, so 128 ms once the CPUs have been balanced for a while, as after
 * every_unmark_returns_work. (At 100 ms, 64 ms times the minimum, this
 * test failed one round in 2 of 3 runs that followed 2000 unmarks, a 5/3
 * split, and none of 120 rounds run alone.) PV_SPREAD_WAIT_US when set:
 * with every vCPU on one host thread, each vCPU runs a quarter of the
 * time, and so does its balancing.
 */
#define SPREAD_WAIT_US	pv_env_u64("PV_SPREAD_WAIT_US", 200000)

/*
 * How long unmarked CPUs may take to get work back (a few balance
 * intervals). PV_RETURN_LIMIT_US when set: with every vCPU on one host
 * thread, 2 s were once not enough to see tasks on both marked CPUs again.
 */
#define RETURN_LIMIT_US	pv_env_u64("PV_RETURN_LIMIT_US", 2000000)

/*
 * The tail of those returns a user would notice: the 95th and 99th
 * percentiles, at most PV_RETURN_P95_US and PV_RETURN_P99_US (100 and
 * 250 ms by default). Measured with 2000 unmarks on the debug boot: mean
 * 10.8-16.6 ms, max 79-105 ms.
 */
#define RETURN_P95_US	pv_env_u64("PV_RETURN_P95_US", 100000)
#define RETURN_P99_US	pv_env_u64("PV_RETURN_P99_US", 250000)

FIXTURE(pv) {
	int ncpus;
	char half[32];
	uint64_t marked;
	pid_t pids[PV_MAX_CHILDREN];
	int npids;
};

FIXTURE_SETUP(pv)
{

	self->ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	self->npids = 0;
	PV_LOAD_OR_SKIP("");
	ASSERT_EQ(0, pv_mark(""));
	pv_upper_half(self->ncpus, self->half, sizeof(self->half), &self->marked);
}

FIXTURE_TEARDOWN(pv)
{
	pv_kill_all(self->pids, self->npids);
	if (pv_module_loaded())
		pv_mark("");
}

static void spawn_busy(FIXTURE_DATA(pv) *self, int n)
{
	for (int i = 0; i < n && self->npids < PV_MAX_CHILDREN; i++)
		self->pids[self->npids++] = pv_spawn_busy("pvt-busy", -1);
}

static void expect_mask(struct __test_metadata *_metadata, const char *want)
{
	char buf[256];

	ASSERT_EQ(0, pv_read(PV_SYSFS, buf, sizeof(buf)));
	EXPECT_STREQ(want, buf);
}

TEST_F(pv, sysfs_follows_override)
{
	const char *lists[] = { "2-3", "1,3", "3", "1-2", "" };
	char buf[256];

	for (int i = 0; i < 5; i++) {
		ASSERT_EQ(0, pv_mark(lists[i])) TH_LOG("writing '%s'", lists[i]);
		expect_mask(_metadata, lists[i]);
		ASSERT_EQ(0, pv_read(PV_OVERRIDE, buf, sizeof(buf)));
		EXPECT_STREQ(lists[i], buf);
	}
	/* An empty line means none, like an empty write. */
	ASSERT_EQ(0, pv_mark("2\n"));
	ASSERT_EQ(0, pv_mark("\n"));
	expect_mask(_metadata, "");

	ASSERT_EQ(0, pv_mark("2-3"));
	ASSERT_EQ(0, pv_mark("auto"));
	ASSERT_EQ(0, pv_read(PV_OVERRIDE, buf, sizeof(buf)));
	EXPECT_STREQ("auto", buf);
}

TEST_F(pv, bad_input_is_einval_and_changes_nothing)
{
	char all[32], beyond[32], huge[8192], buf[256];
	const char *bad[] = {
		"abc", "1-", "-1", "3-1", "1;2", "2-3x", "autox", "auto 1",
		"1,,2", "0x3", all, beyond, "99999999999", huge,
	};

	snprintf(all, sizeof(all), "0-%d", self->ncpus - 1);
	snprintf(beyond, sizeof(beyond), "%d", 64);
	memset(huge, '1', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';

	ASSERT_EQ(0, pv_mark("1"));
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, pv_mark(bad[i])) TH_LOG("input '%.40s'", bad[i]);
		expect_mask(_metadata, "1");
		ASSERT_EQ(0, pv_read(PV_OVERRIDE, buf, sizeof(buf)));
		EXPECT_STREQ("1", buf);
	}
}

static const char *const migrate_ev[] = { "sched/sched_migrate_task" };

TEST_F_TIMEOUT(pv, busy_tasks_leave_marked_cpus, 180)
{
	uint64_t evac[20], seen[20], t0;
	int rounds = 20;
	int64_t us;

	if (pv_trace_enabled(migrate_ev, 1))
		SKIP(return, "boot with trace_event=" PV_TRACE_EVENTS);
	ASSERT_EQ(0, pv_measure_rt());
	spawn_busy(self, 2 * self->ncpus);
	for (int r = 0; r < rounds; r++) {
		struct pv_moves mv;

		/* Start from a spread: some task on every marked CPU. */
		ASSERT_GE(pv_wait_cpus(self->pids, self->npids, self->marked, self->marked,
				       pv_now_us(), RETURN_LIMIT_US), 0)
			TH_LOG("round %d: tasks never spread over %s", r, self->half);

		ASSERT_EQ(0, pv_trace_start());
		t0 = pv_now_us();
		ASSERT_EQ(0, pv_mark(self->half));
		/* What a user sees: /proc shows every task off the marked CPUs. */
		us = pv_wait_off(self->pids, self->npids, self->marked, t0, 5000000);
		ASSERT_GE(us, 0) TH_LOG("round %d: tasks still on %s after 5 s", r, self->half);
		seen[r] = us;

		/* They stay off: marked CPUs do not pull work back. */
		for (uint64_t t1 = pv_now_us(); pv_now_us() - t1 < 200000;) {
			ASSERT_EQ(0, pv_cpus_of(self->pids, self->npids) & self->marked)
				TH_LOG("round %d: a task came back to %s", r, self->half);
			pv_sleep_us(PV_POLL_US);
		}
		pv_trace_stop();

		/* When the kernel moved the last of them. */
		pv_trace_moves_off(self->pids, self->npids, self->marked, &mv);
		ASSERT_GT(mv.n, 0) TH_LOG("round %d: no move off %s traced", r, self->half);
		evac[r] = mv.last_us > t0 ? mv.last_us - t0 : 0;
		ASSERT_EQ(0, pv_mark(""));
	}

	PV_EXPECT_EVAC_TAIL("last push", evac, rounds, PV_EVAC_MEDIAN_US);
	/*
	 * The same as /proc shows it: one sweep over all tasks costs ~5 ms in
	 * TCG, and the median waits for the poller's own vCPU to run, which
	 * with one TCG thread is up to 100 ms: only the tail is asserted.
	 */
	PV_EXPECT_EVAC_TAIL("seen in /proc", seen, rounds, 0);
}

/*
 * Contract point 7: every unmark returns the CPUs to balancing. Busy tasks
 * are pushed off the upper half and must spread back over it after each
 * unmark, PV_UNMARK_ROUNDS times (default 2000). A CPU that misses the
 * way back stays idle for good, so any round that runs out of
 * RETURN_LIMIT_US is a failure, not a slow round.
 */
TEST_F_TIMEOUT(pv, every_unmark_returns_work, 3600)
{
	int rounds = pv_env_u64("PV_UNMARK_ROUNDS", 2000), failed = 0, n = 0;
	uint64_t *took = calloc(rounds, sizeof(*took)), total = 0, p95, p99;
	int64_t us;

	ASSERT_NE(NULL, took);
	ASSERT_EQ(0, pv_measure_rt());
	spawn_busy(self, 2 * self->ncpus);
	for (int r = 0; r < rounds; r++) {
		ASSERT_EQ(0, pv_mark(self->half));
		us = pv_wait_off(self->pids, self->npids, self->marked, pv_now_us(), 5000000);
		ASSERT_GE(us, 0) TH_LOG("round %d: tasks still on %s after 5 s", r, self->half);
		ASSERT_EQ(0, pv_mark(""));
		us = pv_wait_cpus(self->pids, self->npids, self->marked, self->marked,
				  pv_now_us(), RETURN_LIMIT_US);
		if (us < 0) {
			if (!failed++)
				TH_LOG("round %d: no work back on every CPU of %s within %d ms",
				       r, self->half, (int)(RETURN_LIMIT_US / 1000));
			continue;
		}
		total += us;
		took[n++] = us;
	}
	p95 = pv_percentile(took, n, 95);
	p99 = pv_percentile(took, n, 99);
	TH_LOG("%d unmarks: %d without work back on %s within %d ms; the others after mean %llu us, median %llu us, p95 %llu us, p99 %llu us, max %llu us",
	       rounds, failed, self->half, (int)(RETURN_LIMIT_US / 1000),
	       (unsigned long long)(n ? total / n : 0),
	       (unsigned long long)pv_percentile(took, n, 50), (unsigned long long)p95,
	       (unsigned long long)p99, (unsigned long long)pv_percentile(took, n, 100));
	EXPECT_EQ(0, failed);
	EXPECT_LE(p95, RETURN_P95_US);
	EXPECT_LE(p99, RETURN_P99_US);
	free(took);
}

/*
 * Evacuated tasks end up evenly spread over the unmarked CPUs within one
 * balance interval (SPREAD_WAIT_US): pushes from several marked CPUs at
 * once must not pile onto one target for longer. The push weighs a CPU's
 * load, RT included, so the test does not poll /proc (at RT priority)
 * around the mark: it lets its own load decay first and looks once, after
 * the wait, and once more after a second wait where the first look found
 * the counts apart. Of 20 marks, one may need the second wait (a 5/3 split
 * at 200 ms was seen in one of 20 marks on a host that ran the guest at
 * half its usual speed: a vCPU that the host does not run does not
 * balance); none may need more.
 */
TEST_F_TIMEOUT(pv, evacuated_tasks_spread_evenly, 120)
{
	uint64_t unmarked = ((1ULL << self->ncpus) - 1) & ~self->marked;
	int rounds = 20, late = 0, uneven = 0, worst = 0, d;

	ASSERT_EQ(0, pv_measure_rt());
	spawn_busy(self, 2 * self->ncpus);
	for (int r = 0; r < rounds; r++) {
		ASSERT_GE(pv_wait_cpus(self->pids, self->npids, self->marked, self->marked,
				       pv_now_us(), RETURN_LIMIT_US), 0);
		pv_sleep_us(300000);
		ASSERT_EQ(0, pv_mark(self->half));
		pv_sleep_us(SPREAD_WAIT_US);
		ASSERT_EQ(0, pv_cpus_of(self->pids, self->npids) & self->marked)
			TH_LOG("round %d: tasks still on %s after %llu ms", r, self->half,
			       (unsigned long long)SPREAD_WAIT_US / 1000);
		d = pv_spread(self->pids, self->npids, unmarked);
		worst = d > worst ? d : worst;
		if (d > 1) {
			TH_LOG("round %d: task counts on the unmarked CPUs differ by %d after %llu ms",
			       r, d, (unsigned long long)SPREAD_WAIT_US / 1000);
			late++;
			pv_sleep_us(SPREAD_WAIT_US);
			d = pv_spread(self->pids, self->npids, unmarked);
			if (d > 1 && !uneven++)
				TH_LOG("round %d: still by %d after %llu ms", r, d,
				       (unsigned long long)2 * SPREAD_WAIT_US / 1000);
		}
		ASSERT_EQ(0, pv_mark(""));
	}
	TH_LOG("%d evacuations of %d tasks: counts on the unmarked CPUs differ by more than 1 after %llu ms in %d (worst by %d), after twice that in %d",
	       rounds, self->npids, (unsigned long long)SPREAD_WAIT_US / 1000, late, worst, uneven);
	EXPECT_LE(late, rounds / 20);
	EXPECT_EQ(0, uneven);
}

static const char *const placement_ev[] = {
	"sched/sched_wakeup", "sched/sched_wakeup_new", "sched/sched_migrate_task",
};

TEST_F_TIMEOUT(pv, new_work_avoids_marked_cpus, 120)
{
	pid_t kids[PV_MAX_CHILDREN];
	int nkids = 0, status, getcpu_bad = 0;
	struct pv_onto pl;
	int64_t us;

	if (pv_trace_enabled(placement_ev, 3))
		SKIP(return, "boot with trace_event=" PV_TRACE_EVENTS);

	/* Keep the unmarked CPUs busy so that idle marked CPUs look attractive. */
	spawn_busy(self, self->ncpus);
	ASSERT_EQ(0, pv_mark(self->half));
	us = pv_wait_off(self->pids, self->npids, self->marked, pv_now_us(), 5000000);
	ASSERT_GE(us, 0);
	ASSERT_EQ(0, pv_trace_start());
	/* fork: each child reports the CPU it starts on */
	for (int i = 0; i < 100; i++) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(sched_getcpu());
		ASSERT_GT(pid, 0);
		kids[nkids++] = pid;
		waitpid(pid, &status, 0);
		if (WIFEXITED(status) && (self->marked & (1ULL << WEXITSTATUS(status))))
			getcpu_bad++;
	}
	/* exec: exec balancing picks the CPU */
	for (int i = 0; i < 30; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			execl("/proc/self/exe", "paravirt_test", "--getcpu", NULL);
			_exit(255);
		}
		ASSERT_GT(pid, 0);
		kids[nkids++] = pid;
		waitpid(pid, &status, 0);
		ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 255);
		if (self->marked & (1ULL << WEXITSTATUS(status)))
			getcpu_bad++;
	}
	/* wakeups: a task that sleeps 300 times */
	for (int i = 0; i < 4; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			int bad = 0;

			for (int j = 0; j < 300; j++) {
				pv_sleep_us(300);
				if (self->marked & (1ULL << sched_getcpu()))
					bad++;
			}
			_exit(bad > 250 ? 250 : bad);
		}
		ASSERT_GT(pid, 0);
		kids[nkids++] = pid;
	}
	for (int i = nkids - 4; i < nkids; i++) {
		waitpid(kids[i], &status, 0);
		ASSERT_TRUE(WIFEXITED(status));
		getcpu_bad += WEXITSTATUS(status);
	}

	/*
	 * affinity: tasks on CPU 0 allowed everywhere else, one after the
	 * other, as a cpuset change does; the kernel spreads them round-robin
	 */
	{
		uint64_t others = ((1ULL << self->ncpus) - 1) & ~1ULL;
		pid_t aff[12];

		for (int i = 0; i < 12; i++) {
			aff[i] = pv_spawn_busy("pvt-aff", 0);
			ASSERT_GT(aff[i], 0);
			kids[nkids++] = aff[i];
		}
		ASSERT_GE(pv_wait_cpus(aff, 12, ~0ULL, 1, pv_now_us(), 2000000), 0);
		for (int i = 0; i < 12; i++)
			ASSERT_EQ(0, pv_pin(aff[i], others));
		EXPECT_GE(pv_wait_cpus(aff, 12, 1, 0, pv_now_us(), 2000000), 0);
		pv_kill_all(aff, 12);
	}

	pv_trace_stop();
	for (int i = 0; i < self->npids && nkids < PV_MAX_CHILDREN; i++)
		kids[nkids++] = self->pids[i];
	pv_trace_onto(kids, nkids, self->marked, NULL, &pl);

	TH_LOG("%d placements of test tasks traced, %d onto %s; %d sched_getcpu() on %s",
	       pl.seen, pl.bad, self->half, getcpu_bad, self->half);
	/* 130 forks, 1200 wakeups and 12 moves must have been traced, or this proves nothing. */
	ASSERT_GE(pl.seen, 1000);
	EXPECT_EQ(0, pl.bad) TH_LOG("first: %s", pl.first_bad);
	EXPECT_EQ(0, getcpu_bad);
}

TEST_F_TIMEOUT(pv, task_pinned_to_marked_cpu_progresses, 60)
{
	int cpu = self->ncpus - 1;
	uint64_t t0, c0, c1, wall;
	cpu_set_t set;
	pid_t pinned;

	spawn_busy(self, 2 * self->ncpus);
	pinned = pv_spawn_busy("pvt-pinned", cpu);
	self->pids[self->npids++] = pinned;
	pv_sleep_us(200000);

	ASSERT_EQ(0, pv_mark(self->half));
	/* Everyone else leaves; the pinned task stays and keeps running. */
	ASSERT_GE(pv_wait_off(self->pids, self->npids - 1, self->marked, pv_now_us(), 5000000), 0);
	c0 = pv_task_cputime_us(pinned);
	t0 = pv_now_us();
	pv_sleep_us(1000000);
	c1 = pv_task_cputime_us(pinned);
	wall = pv_now_us() - t0;

	EXPECT_EQ(cpu, pv_task_cpu(pinned));
	ASSERT_EQ(0, sched_getaffinity(pinned, sizeof(set), &set));
	EXPECT_EQ(1, CPU_COUNT(&set));
	EXPECT_TRUE(CPU_ISSET(cpu, &set));
	TH_LOG("pinned task on marked CPU %d: %llu us CPU time in %llu us",
	       cpu, (unsigned long long)(c1 - c0), (unsigned long long)wall);
	/* Alone on its CPU, it should get most of it; demand half. */
	EXPECT_GE(c1 - c0, wall / 2);
}

TEST_F_TIMEOUT(pv, unmarked_cpus_get_work_back, 60)
{
	uint64_t t0;
	int64_t us;

	ASSERT_EQ(0, pv_measure_rt());
	spawn_busy(self, 2 * self->ncpus);
	ASSERT_EQ(0, pv_mark(self->half));
	ASSERT_GE(pv_wait_off(self->pids, self->npids, self->marked, pv_now_us(), 5000000), 0);
	pv_sleep_us(200000);

	t0 = pv_now_us();
	ASSERT_EQ(0, pv_mark(""));
	us = pv_wait_cpus(self->pids, self->npids, self->marked, self->marked, t0, RETURN_LIMIT_US);
	ASSERT_GE(us, 0) TH_LOG("CPUs %s still without work after %d us", self->half, (int)RETURN_LIMIT_US);
	TH_LOG("work back on every unmarked CPU after %lld us", (long long)us);
}

TEST_F(pv, unloading_the_module_clears_the_mask)
{
	char buf[256];
	int ret;

	ASSERT_EQ(0, pv_mark(self->half));
	expect_mask(_metadata, self->half);
	ASSERT_EQ(0, pv_module_unload());
	EXPECT_FALSE(pv_module_loaded());
	expect_mask(_metadata, "");

	ret = pv_module_load("");
	ASSERT_EQ(0, ret) TH_LOG("reloading: %s", strerror(-ret));
	expect_mask(_metadata, "");
	ASSERT_EQ(0, pv_read(PV_OVERRIDE, buf, sizeof(buf)));
	EXPECT_STREQ("auto", buf);
}

int main(int argc, char **argv)
{
	/* Exec placement probe: report the CPU we start on. */
	if (argc > 1 && !strcmp(argv[1], "--getcpu"))
		return sched_getcpu();
	return test_harness_run(argc, argv);
}
