// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the pvhostd coordinator (tools/pvhostd/coord.c): the
 * water-fill, the demand of each guest, the hysteresis of the caps, and
 * the parser of the port's messages. The closed loop with the guests'
 * policy is in neighbours_test.c.
 */
#include <string.h>

#include "tap.h"
#include "../../tools/pvhostd/coord.h"

static struct pvc_host host;
static struct pvc_guest g[PVC_MAX_GUESTS];
static unsigned int n;

/* @count guests of @vcpus vCPUs on @cpus host CPUs, all cooperating. */
static void setup(unsigned int count, unsigned int vcpus, unsigned int cpus, int per_vm)
{
	memset(&host, 0, sizeof(host));
	host.mcpu = cpus * 1000;
	host.per_vm = per_vm;
	for (unsigned int i = 0; i < count; i++) {
		pvc_guest_init(&g[i], vcpus);
		g[i].cooperates = 1;
	}
	n = count;
}

/*
 * A host that runs each guest's threads as the guest folds to its cap:
 * guest i wants @load[i] CPUs and can run on ceil(cap) vCPUs (all of
 * them if it does not cooperate); the host shares per thread or per VM,
 * max-min fair, and reports what each ran and waited.
 */
static void host_period(const double *load)
{
	double want[PVC_MAX_GUESTS], got[PVC_MAX_GUESTS], left = host.mcpu / 1000.0, wsum = 0;
	int done[PVC_MAX_GUESTS] = { 0 };

	for (unsigned int i = 0; i < n; i++) {
		unsigned int active = g[i].cooperates ? (g[i].cap + 999 - 100) / 1000 : g[i].vcpus;

		if (active < 1)
			active = 1;
		if (active > g[i].vcpus)
			active = g[i].vcpus;
		want[i] = load[i] < active ? load[i] : active;
		/* Per thread: a guest's weight is its runnable threads. */
		wsum += host.per_vm ? g[i].weight : active;
		g[i].runnable = -1;
		got[i] = host.per_vm ? g[i].weight : active;	/* weight, for now */
	}
	for (unsigned int round = 0; round <= n; round++) {
		int served = 0;

		for (unsigned int i = 0; i < n; i++) {
			if (done[i] || want[i] > left * got[i] / wsum)
				continue;
			left -= want[i];
			wsum -= got[i];
			got[i] = want[i];
			done[i] = served = 1;
		}
		if (!served)
			break;
	}
	for (unsigned int i = 0; i < n; i++) {
		if (!done[i])
			got[i] = left * got[i] / wsum;
		g[i].used = (unsigned int)(got[i] * 1000);
		g[i].waited = (unsigned int)((want[i] - got[i]) * 1000);
	}
	pvc_step(&host, g, n);
}

static void run(const double *load, int periods)
{
	for (int p = 0; p < periods; p++)
		host_period(load);
}

static void a_host_with_room_leaves_every_guest_all_its_vcpus(void)
{
	double load[4] = { 4, 4, 4, 4 };

	setup(4, 4, 16, 0);
	run(load, 10);
	for (unsigned int i = 0; i < n; i++)
		EXPECT(g[i].cap == 4000 && !g[i].changes, "guest %u: cap %u, %u changes",
		       i, g[i].cap, g[i].changes);
	EXPECT(!host.contended, "contended");
}

static void busy_guests_get_equal_parts_and_keep_them(void)
{
	double load[8];

	/* 8 guests x 16 busy vCPUs on 32 CPUs, per thread and per VM. */
	for (int per_vm = 0; per_vm <= 1; per_vm++) {
		setup(8, 16, 32, per_vm);
		for (unsigned int i = 0; i < n; i++)
			load[i] = 16;
		run(load, 50);
		for (unsigned int i = 0; i < n; i++)
			EXPECT(g[i].cap == 4000 && g[i].changes == 1,
			       "per_vm %d guest %u: cap %u, %u changes", per_vm, i, g[i].cap,
			       g[i].changes);
	}
}

static void per_vm_hosts_share_by_cpu_weight(void)
{
	double load[3] = { 16, 16, 16 };

	setup(3, 16, 16, 1);
	g[0].weight = 200;
	run(load, 10);
	EXPECT(g[0].cap == 8000 && g[1].cap == 4000 && g[2].cap == 4000,
	       "caps %u %u %u, want 8000 4000 4000", g[0].cap, g[1].cap, g[2].cap);
}

static void a_guest_that_wants_less_leaves_the_rest_to_the_others(void)
{
	double load[2] = { 2, 8 };

	/* 2 CPUs of work keeps a margin of half a CPU: 2.5 and 5.5. */
	setup(2, 8, 8, 0);
	run(load, 10);
	EXPECT(g[0].cap == 2500 && g[1].cap == 5500, "caps %u %u, want 2500 5500",
	       g[0].cap, g[1].cap);
	/* Its load grows: it uses all it has, and gets its half at once. */
	load[0] = 8;
	host_period(load);
	host_period(load);
	EXPECT(g[0].cap == 4000, "after growing: cap %u, want 4000", g[0].cap);
	/* A saturated guest that reports 6 runnable tasks wants 6, not 8. */
	g[0].runnable = 6;
	pvc_step(&host, g, n);
	EXPECT(g[0].want == 6000, "reported 6 runnable: want %u", g[0].want);
}

static void caps_shrink_only_when_two_periods_agree(void)
{
	double load[3] = { 8, 8, 0 };

	/* Two busy guests, a third idle keeps a margin of half a CPU. */
	setup(3, 8, 8, 0);
	run(load, 5);
	EXPECT(g[0].cap == 3750, "two busy guests: cap %u", g[0].cap);
	/* The third gets busy: the others shrink on the second period. */
	load[2] = 8;
	host_period(load);
	EXPECT(g[0].cap == 3750, "after one period: cap %u, want 3750", g[0].cap);
	host_period(load);
	EXPECT(g[0].cap == 2666, "after two: cap %u, want 2666", g[0].cap);
	/* It leaves: they grow at once. */
	load[2] = 0;
	host_period(load);
	host_period(load);
	EXPECT(g[0].cap == 3750, "it left: cap %u, want 3750", g[0].cap);
	/* One period of a lower proposal, then not: nothing moves. */
	{
		unsigned int before = g[0].changes;

		load[2] = 8;
		host_period(load);
		load[2] = 0;
		run(load, 3);
		EXPECT(g[0].changes == before, "a blip moved the cap: %u changes",
		       g[0].changes - before);
	}
}

static void a_greedy_guest_that_does_not_fold_stops_the_others_folding_per_thread(void)
{
	double load[2] = { 16, 16 };

	/* Per thread, it would take what they leave; per VM, it cannot. */
	for (int per_vm = 0; per_vm <= 1; per_vm++) {
		setup(2, 16, 16, per_vm);
		g[1].cooperates = 0;
		run(load, 10);
		EXPECT(g[0].cap == (per_vm ? 8000U : 16000U), "per_vm %d: cap %u", per_vm,
		       g[0].cap);
		EXPECT(host.holdback == !per_vm, "per_vm %d: holdback %d", per_vm, host.holdback);
	}
	/* One that wants less than its part does not stop anyone. */
	setup(2, 16, 16, 0);
	g[1].cooperates = 0;
	load[1] = 2;
	run(load, 10);
	EXPECT(g[0].cap == 14000 && !host.holdback, "light neighbour: cap %u, holdback %d",
	       g[0].cap, host.holdback);
}

static void guests_that_come_and_go_reshare(void)
{
	double load[4] = { 8, 8, 8, 8 };

	setup(2, 8, 8, 0);
	run(load, 5);
	EXPECT(g[0].cap == 4000, "two: cap %u", g[0].cap);
	pvc_guest_init(&g[2], 8);
	pvc_guest_init(&g[3], 8);
	g[2].cooperates = g[3].cooperates = 1;
	n = 4;
	run(load, 5);
	for (unsigned int i = 0; i < n; i++)
		EXPECT(g[i].cap == 2000, "four: guest %u cap %u", i, g[i].cap);
	n = 1;
	run(load, 2);
	EXPECT(g[0].cap == 8000, "alone: cap %u", g[0].cap);
}

static void messages_are_parsed_exactly(void)
{
	static const char *const bad_cap[] = {
		"", "cap", "cap 1 2", "cap 1 2 3 4", "cap 1 2 0", "cap 1 2 1001",
		"cap 1024001 1 1", "cap -1 2 3", "cap 1  2 3", "cap 1 2 3 ", " cap 1 2 3",
		"caps 1 2 3", "cap 99999999999 1 1", "cap 1 2 3x", "cap 0x10 1 1",
	};
	static const char *const bad_demand[] = {
		"", "demand", "demand 3", "demand 3 ", "demand x 1", "demand 3 1;2",
		"demand 3 1 2", "demand 1025 -",
	};
	unsigned int mcpu = 7, seq = 7, ttl = 7, r = 7;

	EXPECT(!pvc_parse_cap("cap 2500 17 5", &mcpu, &seq, &ttl) && mcpu == 2500 &&
	       seq == 17 && ttl == 5, "cap 2500 17 5: %u %u %u", mcpu, seq, ttl);
	EXPECT(!pvc_parse_cap("cap 0 4294967295 1000", &mcpu, &seq, &ttl) && mcpu == 0 &&
	       seq == 4294967295U, "the limits: %u %u", mcpu, seq);
	for (unsigned int i = 0; i < sizeof(bad_cap) / sizeof(bad_cap[0]); i++) {
		mcpu = seq = ttl = 7;
		EXPECT(pvc_parse_cap(bad_cap[i], &mcpu, &seq, &ttl) < 0 && mcpu == 7 &&
		       seq == 7 && ttl == 7, "accepted \"%s\"", bad_cap[i]);
	}
	EXPECT(!pvc_parse_demand("demand 3 0-1,3", &r) && r == 3, "demand 3 0-1,3: %u", r);
	EXPECT(!pvc_parse_demand("demand 0 -", &r) && r == 0, "demand 0 -: %u", r);
	for (unsigned int i = 0; i < sizeof(bad_demand) / sizeof(bad_demand[0]); i++) {
		r = 7;
		EXPECT(pvc_parse_demand(bad_demand[i], &r) < 0 && r == 7, "accepted \"%s\"",
		       bad_demand[i]);
	}
}

int main(void)
{
	printf("TAP version 13\n");
	TAP_RUN(a_host_with_room_leaves_every_guest_all_its_vcpus);
	TAP_RUN(busy_guests_get_equal_parts_and_keep_them);
	TAP_RUN(per_vm_hosts_share_by_cpu_weight);
	TAP_RUN(a_guest_that_wants_less_leaves_the_rest_to_the_others);
	TAP_RUN(caps_shrink_only_when_two_periods_agree);
	TAP_RUN(a_greedy_guest_that_does_not_fold_stops_the_others_folding_per_thread);
	TAP_RUN(guests_that_come_and_go_reshare);
	TAP_RUN(messages_are_parsed_exactly);
	return tap_done();
}
