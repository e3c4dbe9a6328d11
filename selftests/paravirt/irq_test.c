// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupts and the paravirt mask: a non-managed interrupt is programmed
 * with the unmarked CPUs of its affinity, the affinity as written reads
 * back unchanged, every mark and unmark applies it again, and one whose
 * affinity holds only marked CPUs stays there. The request interrupts of
 * the virtio devices (MSI-X, not managed) carry the guest's I/O: a child
 * opens and closes a file on the root file system for as long as a test
 * runs, so that an interrupt whose move waits for its next delivery moves.
 * The tests restore the affinities when they end.
 */
#define _GNU_SOURCE
#include "../kselftest_harness.h"
#include "pv_test.h"

#include <fcntl.h>

#define MAX_IRQS	16
#define MOVE_LIMIT_US	1000000

FIXTURE(irq) {
	int n;
	int irq[MAX_IRQS];	/* the busiest first */
	pid_t io;
	char saved[MAX_IRQS][64];
	int first, second;	/* the two highest CPUs */
};

static int irq_file(int irq, const char *file, char *buf, size_t len)
{
	char path[96];

	snprintf(path, sizeof(path), "/proc/irq/%d/%s", irq, file);
	return pv_read(path, buf, len);
}

static int set_affinity(int irq, const char *list)
{
	char path[96];

	snprintf(path, sizeof(path), "/proc/irq/%d/smp_affinity_list", irq);
	return pv_write(path, list);
}

static uint64_t effective(int irq)
{
	char buf[64];

	if (irq_file(irq, "effective_affinity_list", buf, sizeof(buf)))
		return 0;
	return pv_parse_list(buf);
}

/* Poll until the effective affinity of @irq is within @cpus; -1 if not in time. */
static int64_t wait_effective(int irq, uint64_t cpus)
{
	uint64_t start = pv_now_us();

	for (;;) {
		uint64_t eff = effective(irq);

		if (eff && !(eff & ~cpus))
			return pv_now_us() - start;
		if (pv_now_us() - start > MOVE_LIMIT_US)
			return -1;
		pv_sleep_us(10000);
	}
}

/* Interrupts of @irq taken by each CPU in @cpus, summed; all CPUs in @total. */
static long irq_count(int irq, uint64_t cpus, long *total)
{
	char line[1024], *p;
	long on = 0;
	FILE *f = fopen("/proc/interrupts", "r");
	int n;

	*total = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %d:", &n) != 1 || n != irq)
			continue;
		p = strchr(line, ':') + 1;
		for (int c = 0; c < 64; c++) {
			char *end;
			long v = strtol(p, &end, 10);

			if (end == p)
				break;
			p = end;
			*total += v;
			if (cpus & (1ULL << c))
				on += v;
		}
	}
	fclose(f);
	return on;
}

/* I/O for ever: each open and close of a file on 9p is a request. */
static pid_t spawn_io(void)
{
	pid_t pid = pv_fork_child("pvt-io", -1);

	if (pid == 0) {
		for (;;) {
			int fd = open("/etc/passwd", O_RDONLY);

			if (fd >= 0)
				close(fd);
		}
	}
	return pid;
}

/* The virtio request interrupts whose affinity may be set, busiest first. */
FIXTURE_SETUP(irq)
{
	int ncpus = sysconf(_SC_NPROCESSORS_ONLN), best = 0;
	long count[MAX_IRQS], total;
	char line[1024], buf[64];
	FILE *f;

	PV_LOAD_OR_SKIP("");
	ASSERT_EQ(0, pv_mark(""));
	self->first = ncpus - 1;
	self->second = ncpus - 2;
	self->n = 0;
	self->io = 0;
	f = fopen("/proc/interrupts", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f) && self->n < MAX_IRQS) {
		int irq;

		if (sscanf(line, " %d:", &irq) != 1 || !strstr(line, "virtio") ||
		    !strstr(line, "-requests") ||
		    irq_file(irq, "smp_affinity_list", self->saved[self->n], sizeof(self->saved[0])) ||
		    irq_file(irq, "effective_affinity_list", buf, sizeof(buf)) ||
		    set_affinity(irq, self->saved[self->n]))
			continue;
		self->irq[self->n++] = irq;
	}
	fclose(f);
	if (!self->n)
		SKIP(return, "no virtio request interrupt with a settable affinity and effective_affinity_list");
	self->io = spawn_io();
	ASSERT_GT(self->io, 0);
	for (int i = 0; i < self->n; i++)
		irq_count(self->irq[i], 0, &count[i]);
	pv_sleep_us(200000);
	for (int i = 0; i < self->n; i++) {
		irq_count(self->irq[i], 0, &total);
		count[i] = total - count[i];
		if (count[i] > count[best])
			best = i;
	}
	ASSERT_GT(count[best], 0) TH_LOG("no virtio interrupts from opening files");
	if (best) {
		int irq = self->irq[best];

		strcpy(buf, self->saved[best]);
		self->irq[best] = self->irq[0];
		strcpy(self->saved[best], self->saved[0]);
		self->irq[0] = irq;
		strcpy(self->saved[0], buf);
	}
}

FIXTURE_TEARDOWN(irq)
{
	if (self->io > 0)
		pv_kill_all(&self->io, 1);
	if (pv_module_loaded())
		pv_mark("");
	for (int i = 0; i < self->n; i++)
		set_affinity(self->irq[i], self->saved[i]);
}

/*
 * Affinity on the two highest CPUs, delivered to the highest. Marking it
 * moves the interrupt to the other; marking that one instead (and so
 * unmarking the first) moves it back: each change of the mask applies the
 * affinity again, in both directions, and the affinity reads back as
 * written.
 */
TEST_F(irq, follows_every_change_of_the_mask)
{
	int irq = self->irq[0];
	char list[32], one[8], buf[64];
	int64_t us;

	snprintf(list, sizeof(list), "%d-%d", self->second, self->first);
	snprintf(one, sizeof(one), "%d", self->first);
	ASSERT_EQ(0, set_affinity(irq, one));
	ASSERT_LE(0, wait_effective(irq, 1ULL << self->first));
	ASSERT_EQ(0, set_affinity(irq, list));

	ASSERT_EQ(0, pv_mark(one));
	us = wait_effective(irq, 1ULL << self->second);
	EXPECT_LE(0, us) TH_LOG("irq %d still on CPU %d 1 s after it was marked", irq, self->first);
	TH_LOG("irq %d: CPU %d marked, moved to CPU %d after %lld us", irq, self->first,
	       self->second, (long long)us);
	ASSERT_EQ(0, irq_file(irq, "smp_affinity_list", buf, sizeof(buf)));
	EXPECT_STREQ(list, buf);

	snprintf(one, sizeof(one), "%d", self->second);
	ASSERT_EQ(0, pv_mark(one));
	us = wait_effective(irq, 1ULL << self->first);
	EXPECT_LE(0, us) TH_LOG("irq %d did not come back to unmarked CPU %d within 1 s",
				irq, self->first);
	ASSERT_EQ(0, irq_file(irq, "smp_affinity_list", buf, sizeof(buf)));
	EXPECT_STREQ(list, buf);
}

/* An interrupt allowed only on marked CPUs stays there, as a pinned task does. */
TEST_F(irq, pinned_to_marked_cpus_stays)
{
	int irq = self->irq[0];
	char list[32];

	snprintf(list, sizeof(list), "%d-%d", self->second, self->first);
	ASSERT_EQ(0, set_affinity(irq, list));
	ASSERT_LE(0, wait_effective(irq, 3ULL << self->second));
	ASSERT_EQ(0, pv_mark(list));
	pv_sleep_us(200000);
	EXPECT_EQ(0, effective(irq) & ~(3ULL << self->second))
		TH_LOG("irq %d left the marked CPUs %s it is pinned to", irq, list);
}

/*
 * I/O on the root file system while the upper half is marked: its request
 * interrupt, allowed on every CPU and first sent to the highest, is taken
 * by the others.
 */
TEST_F(irq, io_interrupts_stay_off_marked_cpus)
{
	int ncpus = sysconf(_SC_NPROCESSORS_ONLN), irq = self->irq[0];
	char half[32], all[32], one[8];
	long on0, on1, total0, total1;
	uint64_t marked;

	pv_upper_half(ncpus, half, sizeof(half), &marked);
	snprintf(all, sizeof(all), "0-%d", ncpus - 1);
	snprintf(one, sizeof(one), "%d", self->first);
	ASSERT_EQ(0, set_affinity(irq, one));
	ASSERT_LE(0, wait_effective(irq, 1ULL << self->first));
	ASSERT_EQ(0, set_affinity(irq, all));
	ASSERT_EQ(0, pv_mark(half));
	EXPECT_LE(0, wait_effective(irq, ~marked))
		TH_LOG("irq %d still on a marked CPU 1 s after the mark", irq);

	on0 = irq_count(irq, marked, &total0);
	pv_sleep_us(2000000);
	on1 = irq_count(irq, marked, &total1);
	TH_LOG("irq %d in 2 s of I/O: %ld interrupts, %ld of them on marked %s",
	       irq, total1 - total0, on1 - on0, half);
	EXPECT_GT(total1 - total0, 100);
	EXPECT_EQ(0, on1 - on0);
}

TEST_HARNESS_MAIN
