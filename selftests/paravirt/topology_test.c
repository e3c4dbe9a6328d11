// SPDX-License-Identifier: GPL-2.0
/*
 * Load balancing across caches and nodes with most CPUs of one of them
 * marked: the unmarked CPUs of every LLC and node share the work evenly.
 * The balancer must count marked CPUs neither as idle nor as capacity of
 * their group, or a group with one unmarked CPU among four looks three
 * quarters idle and that one CPU takes a group's share of the work.
 *
 * Needs at least 8 CPUs in two packages of at least 4 (make check boots
 * "tools/vm/vm -c 8 -n 2": two sockets, each its own LLC and NUMA node).
 */
#include "../kselftest_harness.h"
#include "pv_test.h"

/*
 * The balancer's intervals grow with the domain (a busy CPU balances an
 * 8-CPU domain every 16 x 8 ms), and every vCPU of this guest runs a
 * quarter of the time on 2 host CPUs: settle, then look.
 */
#define SETTLE_US	3000000
#define SAMPLES		20
#define SAMPLE_US	250000

static uint64_t package0;

/* The CPUs of CPU 0's package must be a proper part of 8 or more CPUs. */
static void __attribute__((constructor)) needs_two_packages(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	char list[64];

	if (n < 8)
		pv_skip_all("needs at least 8 online CPUs, have %ld", n);
	if (pv_read("/sys/devices/system/cpu/cpu0/topology/package_cpus_list",
		    list, sizeof(list)))
		pv_skip_all("no CPU topology in sysfs");
	package0 = pv_parse_list(list);
	if (__builtin_popcountll(package0) < 4 ||
	    __builtin_popcountll(package0) >= n)
		pv_skip_all("needs two packages of at least 4 CPUs, CPU 0's is %s", list);
}

FIXTURE(topo) {
	pid_t pids[PV_MAX_CHILDREN];
	int npids;
};

FIXTURE_SETUP(topo)
{
	self->npids = 0;
	PV_LOAD_OR_SKIP("");
	ASSERT_EQ(0, pv_mark(""));
}

FIXTURE_TEARDOWN(topo)
{
	pv_kill_all(self->pids, self->npids);
	if (pv_module_loaded())
		pv_mark("");
}

/*
 * One busy task per CPU, every CPU of package 0 but CPU 0 marked: the task
 * counts over the unmarked CPUs differ by at most 1 in 80% of the samples
 * (a sample can catch a move in flight), and no task is ever seen on a
 * marked CPU.
 */
TEST_F_TIMEOUT(topo, mostly_marked_package_shares_work_evenly, 120)
{
	int ncpus = sysconf(_SC_NPROCESSORS_ONLN), even = 0, worst = 0, d;
	uint64_t all = ~0ULL >> (64 - ncpus), marked = package0 & ~1ULL;
	char list[64];
	int len = 0;

	for (int cpu = 0; cpu < ncpus; cpu++)
		if (marked & (1ULL << cpu))
			len += snprintf(list + len, sizeof(list) - len, "%s%d", len ? "," : "", cpu);
	for (int i = 0; i < ncpus; i++)
		self->pids[self->npids++] = pv_spawn_busy("pvt-busy", -1);
	ASSERT_EQ(0, pv_mark(list));
	pv_sleep_us(SETTLE_US);
	for (int s = 0; s < SAMPLES; s++) {
		pv_sleep_us(SAMPLE_US);
		ASSERT_EQ(0, pv_cpus_of(self->pids, self->npids) & marked)
			TH_LOG("sample %d: a task on a marked CPU (%s)", s, list);
		d = pv_spread(self->pids, self->npids, all & ~marked);
		even += d <= 1;
		worst = d > worst ? d : worst;
	}
	TH_LOG("%d busy tasks, CPUs %s marked: counts over the unmarked CPUs within 1 in %d of %d samples (worst difference %d)",
	       self->npids, list, even, SAMPLES, worst);
	EXPECT_GE(even, SAMPLES * 8 / 10);
}

TEST_HARNESS_MAIN
