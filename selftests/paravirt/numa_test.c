// SPDX-License-Identifier: GPL-2.0
/*
 * NUMA balancing and the paravirt mask: a task whose memory sits on a node
 * whose CPUs are all marked is pushed to the other node, and NUMA
 * balancing must not move it back to a marked CPU, where it would only be
 * pushed off again, every scan period. Needs a kernel with NUMA_BALANCING
 * in a guest with two nodes, and the events of PV_TRACE_EVENTS enabled at
 * boot.
 */
#include "../kselftest_harness.h"
#include "pv_test.h"

#include <sys/mman.h>
#include <sys/syscall.h>

#define MEM_MB		128
/* From linux/mempolicy.h, which glibc does not provide. */
#define MPOL_BIND		2
#define MPOL_F_NUMA_BALANCING	(1 << 13)
#define WATCH_US	10000000

static const char *const migrate_ev[] = { "sched/sched_migrate_task" };

/* NUMA balancing needs two nodes; one guest of make check boots them. */
static void __attribute__((constructor)) needs_two_nodes(void)
{
	if (access("/sys/devices/system/node/node1", F_OK))
		pv_skip_all("needs two NUMA nodes (a guest with two sockets, each a node)");
	if (access("/proc/sys/kernel/numa_balancing", F_OK))
		pv_skip_all("kernel without NUMA_BALANCING");
}

FIXTURE(numa) {
	uint64_t node1;
	char list[64];
	pid_t task;
};

FIXTURE_SETUP(numa)
{
	self->task = 0;
	ASSERT_EQ(0, pv_read("/sys/devices/system/node/node1/cpulist", self->list,
			     sizeof(self->list)));
	if (pv_trace_enabled(migrate_ev, 1))
		SKIP(return, "boot with trace_event=" PV_TRACE_EVENTS);
	self->node1 = pv_parse_list(self->list);
	ASSERT_NE(0, self->node1);
	ASSERT_NE(0, ~self->node1 & ((1ULL << sysconf(_SC_NPROCESSORS_ONLN)) - 1))
		TH_LOG("node 1 holds every CPU");
	ASSERT_EQ(0, pv_write("/proc/sys/kernel/numa_balancing", "1"));
	/* Scan soon and often, so that 10 s see many scan periods. */
	pv_write("/sys/kernel/debug/sched/numa_balancing/scan_delay_ms", "100");
	pv_write("/sys/kernel/debug/sched/numa_balancing/scan_period_min_ms", "100");
	pv_write("/sys/kernel/debug/sched/numa_balancing/scan_period_max_ms", "400");
	PV_LOAD_OR_SKIP("");
	ASSERT_EQ(0, pv_mark(""));
}

FIXTURE_TEARDOWN(numa)
{
	if (self->task > 0)
		pv_kill_all(&self->task, 1);
	if (pv_module_loaded())
		pv_mark("");
}

TEST_F_TIMEOUT(numa, balancing_does_not_move_tasks_back_to_marked_cpus, 120)
{
	long seq0, seq;
	struct pv_onto on;
	int ready[2];
	char c;

	ASSERT_EQ(0, pipe(ready));
	/*
	 * A task whose memory is bound to node 1, with NUMA balancing on for
	 * it: the memory cannot follow the task, so balancing keeps trying to
	 * bring the task to the memory.
	 */
	self->task = pv_fork_child("pvt-numa", -1);
	ASSERT_GE(self->task, 0);
	if (self->task == 0) {
		unsigned long node1 = 1UL << 1;
		size_t len = MEM_MB << 20;
		volatile char *mem;

		if (pv_pin(0, self->node1) ||
		    syscall(SYS_set_mempolicy, MPOL_BIND | MPOL_F_NUMA_BALANCING, &node1,
			    8 * sizeof(node1)))
			_exit(1);
		mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (mem == MAP_FAILED)
			_exit(1);
		for (size_t i = 0; i < len; i += 4096)
			mem[i] = 1;
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			for (size_t i = 0; i < len; i += 4096)
				mem[i]++;
	}
	ASSERT_EQ(1, read(ready[0], &c, 1));
	/* Free to run anywhere; marking node 1 pushes it to node 0. */
	ASSERT_EQ(0, pv_pin(self->task, ~0ULL >> (64 - sysconf(_SC_NPROCESSORS_ONLN))));
	ASSERT_EQ(0, pv_mark(self->list));
	ASSERT_GE(pv_wait_off(&self->task, 1, self->node1, pv_now_us(), 2000000), 0);

	seq0 = pv_sched_field(self->task, "mm->numa_scan_seq");
	ASSERT_EQ(0, pv_trace_start());
	pv_sleep_us(WATCH_US);
	pv_trace_stop();
	seq = pv_sched_field(self->task, "mm->numa_scan_seq") - seq0;
	pv_trace_onto(&self->task, 1, self->node1, NULL, &on);
	TH_LOG("memory on node 1 (CPUs %s, marked): in %d s, %ld NUMA scans of the task, preferred node %ld, %d moves of it, %d onto node 1",
	       self->list, WATCH_US / 1000000, seq,
	       pv_sched_field(self->task, "numa_preferred_nid"), on.seen, on.bad);
	/*
	 * NUMA balancing must have scanned the task and want it on node 1,
	 * or this proves nothing.
	 */
	ASSERT_GE(seq, 1);
	ASSERT_EQ(1, pv_sched_field(self->task, "numa_preferred_nid"));
	EXPECT_EQ(0, on.bad) TH_LOG("first: %s", on.first_bad);
}

TEST_HARNESS_MAIN
