// SPDX-License-Identifier: GPL-2.0
/*
 * Deadline tasks and the paravirt mask: admission control is unchanged, but
 * placement, push and pull keep SCHED_DEADLINE tasks off marked CPUs when
 * an unmarked CPU can take them under cpudl's rules (free, or running a
 * later deadline), and the tasks keep meeting their reservations. Needs at
 * least 4 CPUs; marks the upper half.
 */
#include "../kselftest_harness.h"
#include "pv_test.h"

#include <sys/mman.h>
#include <sys/syscall.h>

/*
 * The sched_attr of include/uapi/linux/sched/types.h, which glibc does not
 * provide and whose header clashes with glibc's struct sched_param.
 */
struct dl_attr {
	uint32_t size, sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime, sched_deadline, sched_period;
};

#define NTASKS		4
#define RUNTIME_US	2000
#define PERIOD_US	20000
/* Each activation computes for half its runtime, then yields the rest. */
#define WORK_US		(RUNTIME_US / 2)
#define SETTLE_US	1000000
#define SAMPLES		200
#define SAMPLE_US	10000

FIXTURE(dl) {
	char half[32];
	uint64_t marked;
	pid_t pids[NTASKS];
	int npids;
	volatile unsigned long *done;	/* activations of each task */
};

FIXTURE_SETUP(dl)
{
	int ncpus = sysconf(_SC_NPROCESSORS_ONLN);

	self->npids = 0;
	self->done = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->done);
	PV_LOAD_OR_SKIP("");
	ASSERT_EQ(0, pv_mark(""));
	pv_upper_half(ncpus, self->half, sizeof(self->half), &self->marked);
}

FIXTURE_TEARDOWN(dl)
{
	pv_kill_all(self->pids, self->npids);
	if (pv_module_loaded())
		pv_mark("");
}

/*
 * A SCHED_DEADLINE child of RUNTIME_US every PERIOD_US that counts its
 * activations in @done; it exits with status 1 if the kernel refuses it.
 */
static pid_t spawn_dl(volatile unsigned long *done)
{
	pid_t pid = pv_fork_child("pvt-dl", -1);

	if (pid == 0) {
		struct dl_attr attr = {
			.size = sizeof(attr),
			.sched_policy = SCHED_DEADLINE,
			.sched_runtime = RUNTIME_US * 1000ULL,
			.sched_deadline = PERIOD_US * 1000ULL,
			.sched_period = PERIOD_US * 1000ULL,
		};

		if (syscall(SYS_sched_setattr, 0, &attr, 0))
			_exit(1);
		for (;;) {
			pv_spin_us(WORK_US);
			(*done)++;
			/* For a deadline task: done until the next period. */
			sched_yield();
		}
	}
	return pid;
}

/*
 * Four deadline tasks take 10% of a CPU each: the two unmarked CPUs of a
 * 4-CPU guest have room for all of them at once, so after a second they
 * are on a marked CPU in at most 2% of the samples (a sample can catch a
 * task that last ran there just before it moved), and each one still gets
 * at least half of its activations.
 */
TEST_F_TIMEOUT(dl, deadline_tasks_leave_marked_cpus, 60)
{
	int on_marked = 0, total = SAMPLES * NTASKS;
	unsigned long before[NTASKS], periods;
	uint64_t t0;

	for (int i = 0; i < NTASKS; i++) {
		self->pids[i] = spawn_dl(&self->done[i]);
		ASSERT_GT(self->pids[i], 0);
		self->npids++;
	}
	/* Let them start, then make sure the kernel took each one. */
	pv_sleep_us(100000);
	for (int i = 0; i < NTASKS; i++) {
		ASSERT_EQ(SCHED_DEADLINE, sched_getscheduler(self->pids[i]))
			TH_LOG("task %d is not SCHED_DEADLINE (admission refused?)", i);
	}

	ASSERT_EQ(0, pv_mark(self->half));
	pv_sleep_us(SETTLE_US);
	for (int i = 0; i < NTASKS; i++)
		before[i] = self->done[i];
	t0 = pv_now_us();
	for (int s = 0; s < SAMPLES; s++) {
		pv_sleep_us(SAMPLE_US);
		for (int i = 0; i < NTASKS; i++) {
			int cpu = pv_task_cpu(self->pids[i]);

			on_marked += cpu >= 0 && (self->marked & (1ULL << cpu));
		}
	}
	periods = (pv_now_us() - t0) / PERIOD_US;
	TH_LOG("%d deadline tasks, %d us every %d us, CPUs %s marked: on a marked CPU in %d of %d samples",
	       NTASKS, RUNTIME_US, PERIOD_US, self->half, on_marked, total);
	for (int i = 0; i < NTASKS; i++) {
		unsigned long n = self->done[i] - before[i];

		TH_LOG("task %d: %lu activations in %lu periods", i, n, periods);
		EXPECT_GE(n * 2, periods) TH_LOG("task %d starved", i);
	}
	EXPECT_LE(on_marked * 50, total);
}

TEST_HARNESS_MAIN
