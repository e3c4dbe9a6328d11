// SPDX-License-Identifier: GPL-2.0
/*
 * Paravirt CPUs under sched_ext, in a guest with at least 4 CPUs: the
 * built-in idle tracking keeps wakeups off marked CPUs for a scheduler with
 * no mask code of its own (scx_simple), the example scheduler scx_pvsimple
 * also moves running work off them, and once the BPF scheduler is gone the
 * fair class keeps its behaviour.
 *
 * The schedulers are those of the kernel's tools/sched_ext, found in
 * $SCX_DIR, next to this program, or in $PATH. The tests mark the upper
 * half of the CPUs.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "pv_test.h"

#define SCX_STATE	"/sys/kernel/sched_ext/state"
#define SCX_OPS		"/sys/kernel/sched_ext/root/ops"
#define SCX_ENABLE_SEQ	"/sys/kernel/sched_ext/enable_seq"

/*
 * How long a scheduler may take to load or to go away: the verifier runs
 * on a lockdep kernel, and under TCG loading scx_pvsimple took about 1 s.
 */
#define SCX_LOAD_LIMIT_US	pv_env_u64("PV_SCX_LOAD_LIMIT_US", 30000000)

/*
 * How long busy tasks may take to leave the marked CPUs under scx_pvsimple:
 * the tick ends their slice on a marked CPU (4 ms at HZ=250), and they wait
 * in the FIFO for a CPU that is not marked to finish its slice (SCX_SLICE_DFL,
 * 20 ms). Plus the host margins paravirt_test uses for the fair class: for
 * the median of the marks (PV_EVAC_MEDIAN_US, 20 ms by default), for their
 * 90th percentile (PV_EVAC_LIMIT_US, 40 ms) and for the slowest
 * (PV_EVAC_MAX_US, 250 ms), which a stall of the host may take alone (see
 * paravirt_test.c).
 */
#define SCX_SLICE_US		20000
#define RETURN_LIMIT_US		pv_env_u64("PV_RETURN_LIMIT_US", 2000000)

FIXTURE(scx) {
	int ncpus;
	char half[32];
	uint64_t marked;
	pid_t sched;
	char name[32], log[64];
	int replugged;
	pid_t pids[PV_MAX_CHILDREN];
	int npids;
};

static bool scx_state_is(const char *want)
{
	char buf[64];

	return !pv_read(SCX_STATE, buf, sizeof(buf)) && !strcmp(buf, want);
}

/* Whether the BPF scheduler @name is enabled. */
static bool scx_running(const char *name)
{
	char buf[64];

	return scx_state_is("enabled") && !pv_read(SCX_OPS, buf, sizeof(buf)) &&
	       !strcmp(buf, name);
}

/* How many times a BPF scheduler has been enabled since boot. */
static long scx_enable_seq(void)
{
	char buf[32];

	return pv_read(SCX_ENABLE_SEQ, buf, sizeof(buf)) ? -1 : strtol(buf, NULL, 10);
}

/*
 * Take CPU @cpu offline or online under the running scheduler. One without
 * cpu_online/cpu_offline callbacks (@restarts: scx_simple) is exited by the
 * kernel and enabled again by its loader: wait for that, so that what
 * follows runs under it again. One with them (scx_pvsimple) stays.
 */
static void scx_hotplug(struct __test_metadata *_metadata, FIXTURE_DATA(scx) *self,
			int cpu, int on, bool restarts)
{
	long seq = scx_enable_seq();
	uint64_t t0 = pv_now_us();

	ASSERT_GE(seq, 0);
	ASSERT_EQ(0, pv_set_online(cpu, on)) TH_LOG("CPU %d online=%d refused", cpu, on);
	if (!restarts) {
		EXPECT_EQ(seq, scx_enable_seq()) TH_LOG("%s restarted at a hotplug", self->name);
		ASSERT_TRUE(scx_running(self->name));
		return;
	}
	while (!(scx_enable_seq() > seq && scx_running(self->name))) {
		ASSERT_LT(pv_now_us() - t0, SCX_LOAD_LIMIT_US)
			TH_LOG("%s not enabled again after CPU %d online=%d", self->name, cpu, on);
		pv_sleep_us(10000);
	}
}

/* The last line the scheduler printed, for messages. */
static const char *scx_last_line(FIXTURE_DATA(scx) *self)
{
	static char buf[4096];
	char *nl;

	if (pv_read(self->log, buf, sizeof(buf)))
		return "(no output)";
	while ((nl = strrchr(buf, '\n')) && nl > buf && !nl[1])
		*nl = '\0';
	nl = strrchr(buf, '\n');
	return nl ? nl + 1 : buf;
}

/* The counter @key ("steered=") in the last stats line of the scheduler. */
static long scx_stat(FIXTURE_DATA(scx) *self, const char *key)
{
	const char *p = strstr(scx_last_line(self), key);

	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

/* Start the BPF scheduler @name and wait until the kernel runs it. */
static void scx_start(struct __test_metadata *_metadata, FIXTURE_DATA(scx) *self,
		      const char *name)
{
	char path[PATH_MAX + 64];
	uint64_t t0 = pv_now_us();
	int status;

	snprintf(path, sizeof(path), "%s", pv_program(name, "SCX_DIR"));
	snprintf(self->name, sizeof(self->name), "%s", name + strlen("scx_"));
	snprintf(self->log, sizeof(self->log), "/tmp/scx_test.%s.log", name);
	if (access(path, X_OK))
		SKIP(return, "%s not found ($SCX_DIR, next to this test, or $PATH)", name);

	self->sched = fork();
	ASSERT_GE(self->sched, 0);
	if (self->sched == 0) {
		int fd = open(self->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(126);
		execl(path, name, (char *)NULL);
		_exit(127);
	}
	while (!scx_running(self->name)) {
		if (waitpid(self->sched, &status, WNOHANG) == self->sched) {
			self->sched = 0;
			ASSERT_TRUE(false) TH_LOG("%s exited (status 0x%x): %s", name,
						  status, scx_last_line(self));
		}
		ASSERT_LT(pv_now_us() - t0, SCX_LOAD_LIMIT_US)
			TH_LOG("%s not enabled after %llu us", name,
			       (unsigned long long)SCX_LOAD_LIMIT_US);
		pv_sleep_us(10000);
	}
	TH_LOG("%s enabled in %llu ms", name, (unsigned long long)(pv_now_us() - t0) / 1000);
}

/*
 * Wait until our scheduler's loader has exited and no BPF scheduler is
 * enabled: the kernel disables one asynchronously. False after
 * SCX_LOAD_LIMIT_US.
 */
static bool scx_gone(FIXTURE_DATA(scx) *self)
{
	uint64_t t0 = pv_now_us();

	if (self->sched > 0)
		waitpid(self->sched, NULL, 0);
	self->sched = 0;
	while (!scx_state_is("disabled")) {
		if (pv_now_us() - t0 > SCX_LOAD_LIMIT_US)
			return false;
		pv_sleep_us(10000);
	}
	return true;
}

FIXTURE_SETUP(scx)
{
	self->ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	self->npids = 0;
	self->sched = 0;
	self->replugged = -1;
	if (access(SCX_STATE, F_OK))
		SKIP(return, "kernel without CONFIG_SCHED_CLASS_EXT (no %s)", SCX_STATE);
	ASSERT_TRUE(scx_gone(self)) TH_LOG("another BPF scheduler is loaded");
	PV_LOAD_OR_SKIP("");
	ASSERT_EQ(0, pv_mark(""));
	pv_upper_half(self->ncpus, self->half, sizeof(self->half), &self->marked);
	/* For nr_paravirt_pushes, which counts while schedstats are on. */
	ASSERT_EQ(0, pv_write("/proc/sys/kernel/sched_schedstats", "1"));
}

FIXTURE_TEARDOWN(scx)
{
	pv_kill_all(self->pids, self->npids);
	if (self->replugged >= 0)
		pv_set_online(self->replugged, 1);
	if (self->sched > 0)
		kill(self->sched, SIGINT);
	scx_gone(self);
	if (pv_module_loaded())
		pv_mark("");
	pv_write("/proc/sys/kernel/sched_schedstats", "0");
}

static pid_t add(FIXTURE_DATA(scx) *self, pid_t pid)
{
	if (pid > 0 && self->npids < PV_MAX_CHILDREN)
		self->pids[self->npids++] = pid;
	return pid;
}

/* The tasks run in the BPF scheduler, not in the fair class: or this proves nothing. */
static void expect_on_scx(struct __test_metadata *_metadata, const pid_t *pids, int n,
			  long want)
{
	for (int i = 0; i < n; i++) {
		ASSERT_EQ(want, pv_sched_field(pids[i], "ext.enabled"))
			TH_LOG("task %d", pids[i]);
	}
}

static long pushes(const pid_t *pids, int n)
{
	long sum = 0;

	for (int i = 0; i < n; i++)
		sum += pv_sched_field(pids[i], "nr_paravirt_pushes");
	return sum;
}

static const char *const migrate_ev[] = { "sched/sched_migrate_task" };

/*
 * As many busy tasks as CPUs, one on each. Marking the upper half sends
 * those on marked CPUs to the FIFO, which only the other CPUs consume;
 * unmarking makes the marked CPUs idle ones again, which a task sent to the
 * FIFO kicks. The test polls at real-time priority, or it would wait in
 * the FIFO itself, but not while the tasks move: a real-time poller on an
 * unmarked CPU would stretch the slice the moved tasks wait for.
 */
TEST_F_TIMEOUT(scx, pvsimple_busy_tasks_leave_marked_cpus, 300)
{
	const int rounds = 20;
	uint64_t limit = SCX_SLICE_US + PV_EVAC_LIMIT_US, max = SCX_SLICE_US + PV_EVAC_MAX_US;
	uint64_t evac[20], p50, p90, t0, stay = 5 * limit > max ? 5 * limit : max;
	char list[512];
	long steered;
	int64_t us;

	if (pv_trace_enabled(migrate_ev, 1))
		SKIP(return, "boot with trace_event=" PV_TRACE_EVENTS);
	scx_start(_metadata, self, "scx_pvsimple");
	for (int i = 0; i < self->ncpus; i++)
		ASSERT_GT(add(self, pv_spawn_busy("pvt-scx", -1)), 0);
	expect_on_scx(_metadata, self->pids, self->npids, 1);
	ASSERT_EQ(0, pv_measure_rt());

	for (int r = 0; r < rounds; r++) {
		struct pv_moves mv;

		us = pv_wait_cpus(self->pids, self->npids, self->marked, self->marked,
				  pv_now_us(), RETURN_LIMIT_US);
		ASSERT_GE(us, 0) TH_LOG("round %d: unmarked CPUs %s got no work back in %llu us",
					r, self->half, (unsigned long long)RETURN_LIMIT_US);
		ASSERT_EQ(0, pv_trace_start());
		t0 = pv_now_us();
		ASSERT_EQ(0, pv_mark(self->half));
		/* Then they stay off: the marked CPUs do not consume the FIFO. */
		pv_sleep_us(stay);
		ASSERT_EQ(0, pv_cpus_of(self->pids, self->npids) & self->marked)
			TH_LOG("round %d: tasks on %s %llu us after the mark", r, self->half,
			       (unsigned long long)stay);
		pv_trace_stop();

		/* When another CPU took the last of them from the FIFO. */
		pv_trace_moves_off(self->pids, self->npids, self->marked, &mv);
		ASSERT_GT(mv.n, 0) TH_LOG("round %d: no move off %s traced", r, self->half);
		evac[r] = mv.last_us > t0 ? mv.last_us - t0 : 0;
		ASSERT_EQ(0, pv_mark(""));
	}
	pv_list_ms(evac, rounds, list, sizeof(list));
	p50 = pv_percentile(evac, rounds, 50);
	p90 = pv_percentile(evac, rounds, 90);
	TH_LOG("%d busy tasks off %s, %d marks: last move after p50 %llu us, p90 %llu us (limit %llu), max %llu us; by round, in ms: %s",
	       self->npids, self->half, rounds, (unsigned long long)p50, (unsigned long long)p90,
	       (unsigned long long)limit, (unsigned long long)evac[rounds - 1], list);
	ksft_print_msg("scx_evacuation_us p50=%llu p90=%llu max=%llu n=%d\n",
		       (unsigned long long)p50, (unsigned long long)p90,
		       (unsigned long long)evac[rounds - 1], rounds);
	EXPECT_LE(p50, SCX_SLICE_US + PV_EVAC_MEDIAN_US);
	EXPECT_LE(p90, limit);
	EXPECT_LE(evac[rounds - 1], max);

	/* scx_pvsimple moved them, not the kernel's push, which leaves sched_ext alone. */
	EXPECT_EQ(0, pushes(self->pids, self->npids));
	pv_sleep_us(1100000);
	steered = scx_stat(self, "steered=");
	TH_LOG("scx_pvsimple: %s", scx_last_line(self));
	EXPECT_GE(steered, rounds);
	EXPECT_TRUE(scx_running(self->name));
}

static const char *const wakeup_ev[] = { "sched/sched_wakeup", "sched/sched_wakeup_new",
					 "sched/sched_migrate_task" };

/* When wakeups_stay_off() marks the upper half, and what happens then. */
enum mark_when { MARK_AFTER_START, MARK_BEFORE_START, MARK_AND_REPLUG };

/*
 * Tasks that wake up every 4 ms, one per CPU, while the upper half is
 * marked: twice as many as the unmarked CPUs can take, so that wakeups
 * look for idle CPUs beyond their previous one. None may be placed on a
 * marked CPU: @event "sched_wakeup" counts the choices of
 * scx_bpf_select_cpu_dfl() alone (wakeups and forks), NULL also the moves
 * the scheduler makes when a CPU consumes its queue.
 */
static void wakeups_stay_off(struct __test_metadata *_metadata, FIXTURE_DATA(scx) *self,
			     const char *sched, const char *event, enum mark_when when)
{
	int last = self->ncpus - 1;
	struct pv_onto on;

	if (pv_trace_enabled(wakeup_ev, 3))
		SKIP(return, "boot with trace_event=" PV_TRACE_EVENTS);
	if (when == MARK_BEFORE_START)
		ASSERT_EQ(0, pv_mark(self->half));
	scx_start(_metadata, self, sched);
	if (when != MARK_BEFORE_START)
		ASSERT_EQ(0, pv_mark(self->half));
	if (when == MARK_AND_REPLUG) {
		/*
		 * The highest CPU, marked, goes offline and comes back: its
		 * idle task runs first, and the built-in tracking must not
		 * take that for a CPU it may offer, nor must a scheduler
		 * enabled again meanwhile.
		 */
		bool restarts = !strcmp(sched, "scx_simple");

		self->replugged = last;
		scx_hotplug(_metadata, self, last, 0, restarts);
		scx_hotplug(_metadata, self, last, 1, restarts);
		self->replugged = -1;
	}
	/* This task too may have been on a marked CPU: let it wake up elsewhere. */
	pv_sleep_us(100000);

	ASSERT_EQ(0, pv_trace_start());
	for (int i = 0; i < self->ncpus; i++) {
		pid_t pid = add(self, pv_fork_child("pvt-wake", -1));

		ASSERT_GE(pid, 0);
		if (pid == 0)
			pv_duty_cycle();
	}
	expect_on_scx(_metadata, self->pids, self->npids, 1);
	pv_sleep_us(2000000);
	pv_trace_stop();
	EXPECT_TRUE(scx_running(self->name));

	pv_trace_onto(self->pids, self->npids, self->marked, event, &on);
	TH_LOG("%s: %d placements (%s) traced, %d onto %s", sched, on.seen,
	       event ?: "all", on.bad, self->half);
	/* About 250 wakeups a second each, fewer under TCG: 300 or it proves nothing. */
	ASSERT_GE(on.seen, 300);
	EXPECT_EQ(0, on.bad) TH_LOG("first: %s", on.first_bad);
}

TEST_F_TIMEOUT(scx, simple_wakeups_avoid_marked_cpus, 120)
{
	wakeups_stay_off(_metadata, self, "scx_simple", "sched_wakeup", MARK_AFTER_START);
}

/*
 * The same with the CPUs marked before the scheduler starts: enabling it
 * resets the idle masks, which must leave the marked CPUs out, as nothing
 * marks them again.
 */
TEST_F_TIMEOUT(scx, simple_wakeups_avoid_cpus_marked_before_it_started, 120)
{
	wakeups_stay_off(_metadata, self, "scx_simple", "sched_wakeup", MARK_BEFORE_START);
}

TEST_F_TIMEOUT(scx, pvsimple_nothing_lands_on_marked_cpus, 120)
{
	wakeups_stay_off(_metadata, self, "scx_pvsimple", NULL, MARK_AFTER_START);
}

/*
 * A marked CPU that comes back online is not idle for either scheduler:
 * scx_simple is exited and enabled again at each hotplug, scx_pvsimple
 * stays enabled throughout.
 */
TEST_F_TIMEOUT(scx, simple_wakeups_avoid_a_marked_cpu_back_online, 120)
{
	wakeups_stay_off(_metadata, self, "scx_simple", "sched_wakeup", MARK_AND_REPLUG);
}

TEST_F_TIMEOUT(scx, pvsimple_nothing_lands_on_a_marked_cpu_back_online, 120)
{
	wakeups_stay_off(_metadata, self, "scx_pvsimple", NULL, MARK_AND_REPLUG);
}

/*
 * A synchronous wakeup from a marked CPU: a task pinned to the highest CPU,
 * marked, and a task allowed everywhere play ping-pong over two pipes. A
 * pipe write wakes the reader with WF_SYNC, for which
 * scx_bpf_select_cpu_dfl() takes the waker's CPU when its local queue is
 * empty: never a marked one for a task that may run elsewhere.
 */
TEST_F_TIMEOUT(scx, simple_sync_wakeups_from_a_marked_cpu_go_elsewhere, 120)
{
	int ping[2], pong[2], pinned = self->ncpus - 1;
	pid_t waker, wakee;
	struct pv_onto on;
	char c = 0;

	if (pv_trace_enabled(wakeup_ev, 3))
		SKIP(return, "boot with trace_event=" PV_TRACE_EVENTS);
	ASSERT_EQ(0, pipe(ping));
	ASSERT_EQ(0, pipe(pong));
	scx_start(_metadata, self, "scx_simple");
	ASSERT_EQ(0, pv_mark(self->half));

	wakee = add(self, pv_fork_child("pvt-wakee", -1));
	ASSERT_GE(wakee, 0);
	if (wakee == 0)
		for (;;)
			if (read(ping[0], &c, 1) != 1 || write(pong[1], &c, 1) != 1)
				_exit(1);
	waker = add(self, pv_fork_child("pvt-waker", pinned));
	ASSERT_GE(waker, 0);
	if (waker == 0)
		for (;;)
			if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
				_exit(1);
	close(ping[0]);
	close(ping[1]);
	close(pong[0]);
	close(pong[1]);
	expect_on_scx(_metadata, self->pids, self->npids, 1);
	pv_sleep_us(100000);

	ASSERT_EQ(0, pv_trace_start());
	pv_sleep_us(1000000);
	pv_trace_stop();
	EXPECT_TRUE(scx_running(self->name));
	pv_trace_onto(&wakee, 1, self->marked, "sched_wakeup", &on);
	TH_LOG("%d wakeups of the wakee by CPU %d traced, %d onto %s", on.seen, pinned,
	       on.bad, self->half);
	ASSERT_GE(on.seen, 300);
	EXPECT_EQ(0, on.bad) TH_LOG("first: %s", on.first_bad);
}

/* Fork @n children that sleep 20 ms and exit; wait for them. */
static void fork_sleepers(struct __test_metadata *_metadata, pid_t *kids, int n)
{
	for (int i = 0; i < n; i++) {
		kids[i] = pv_fork_child("pvt-fork", -1);
		ASSERT_GE(kids[i], 0);
		if (kids[i] == 0) {
			pv_sleep_us(20000);
			_exit(0);
		}
	}
	for (int i = 0; i < n; i++)
		waitpid(kids[i], NULL, 0);
}

/*
 * The idle state of a CPU changes when it is marked or unmarked, not at
 * its next idle transition: right after the mark, forks and wakeups under
 * scx_simple find no marked CPU idle, and right after the unmark they find
 * the unmarked ones idle again.
 */
TEST_F_TIMEOUT(scx, simple_mark_and_unmark_take_effect_at_once, 120)
{
	const int rounds = 10;
	int n = 2 * self->ncpus, bad = 0, returned = 0;
	pid_t kids[PV_MAX_CHILDREN];
	struct pv_onto on;

	if (pv_trace_enabled(wakeup_ev, 3))
		SKIP(return, "boot with trace_event=" PV_TRACE_EVENTS);
	scx_start(_metadata, self, "scx_simple");
	for (int r = 0; r < rounds; r++) {
		/* Let the CPUs settle idle. */
		pv_sleep_us(50000);
		ASSERT_EQ(0, pv_trace_start());
		ASSERT_EQ(0, pv_mark(self->half));
		fork_sleepers(_metadata, kids, n);
		pv_trace_stop();
		/* Wakeups and forks: where scx_simple's queue is consumed is its policy. */
		pv_trace_onto(kids, n, self->marked, "sched_wakeup", &on);
		ASSERT_GE(on.seen, n) TH_LOG("round %d: %d placements traced", r, on.seen);
		if (on.bad)
			TH_LOG("round %d: %d of %d placements onto %s after the mark, first: %s",
			       r, on.bad, on.seen, self->half, on.first_bad);
		bad += on.bad;

		pv_sleep_us(50000);
		ASSERT_EQ(0, pv_trace_start());
		ASSERT_EQ(0, pv_mark(""));
		fork_sleepers(_metadata, kids, n);
		pv_trace_stop();
		pv_trace_onto(kids, n, self->marked, NULL, &on);
		returned += on.bad > 0;
	}
	TH_LOG("%d rounds: %d placements onto %s right after the mark; rounds with placements there right after the unmark: %d",
	       rounds, bad, self->half, returned);
	EXPECT_EQ(0, bad);
	EXPECT_EQ(rounds, returned);
	EXPECT_TRUE(scx_running(self->name));
}

/*
 * Tasks allowed only on a marked CPU have nowhere else to go: scx_pvsimple
 * runs them there, so they progress and the watchdog has nothing to report.
 * Two share the last CPU, from before the mark on.
 */
TEST_F_TIMEOUT(scx, pvsimple_confined_tasks_keep_running, 120)
{
	int cpu = self->ncpus - 1;
	uint64_t c0[2], wall, got[2];

	scx_start(_metadata, self, "scx_pvsimple");
	for (int i = 0; i < 2; i++)
		ASSERT_GT(add(self, pv_spawn_busy("pvt-pinned", cpu)), 0);
	expect_on_scx(_metadata, self->pids, 2, 1);
	pv_sleep_us(100000);
	ASSERT_EQ(0, pv_mark(self->half));

	pv_sleep_us(100000);
	for (int i = 0; i < 2; i++)
		c0[i] = pv_task_cputime_us(self->pids[i]);
	wall = pv_now_us();
	pv_sleep_us(2000000);
	wall = pv_now_us() - wall;
	for (int i = 0; i < 2; i++) {
		got[i] = pv_task_cputime_us(self->pids[i]) - c0[i];
		EXPECT_EQ(cpu, pv_task_cpu(self->pids[i]));
	}
	TH_LOG("two tasks pinned to marked CPU %d: %llu and %llu ms of CPU in %llu ms", cpu,
	       (unsigned long long)got[0] / 1000, (unsigned long long)got[1] / 1000,
	       (unsigned long long)wall / 1000);
	/* Sharing their vCPU, which shares 2 host CPUs with 3 others: a quarter each. */
	EXPECT_GE(got[0], wall / 4);
	EXPECT_GE(got[1], wall / 4);
	EXPECT_TRUE(scx_running(self->name));
}

/*
 * Busy tasks allowed only on the marked CPUs, both started on the same one:
 * scx_pvsimple spreads them over the marked CPUs they may use, as the fair
 * class does (confined_test). The built-in idle tracking never offers a
 * marked CPU, so such a task goes through the queue, where an idle marked
 * CPU it may use, kicked, takes it. Judged as the waking tasks below
 * (pv_queueing()): busy tasks pinned apart queue for next to nothing,
 * stacked each for half of the time.
 */
TEST_F_TIMEOUT(scx, pvsimple_confined_busy_tasks_spread, 120)
{
	int first = __builtin_ctzll(self->marked), last = self->ncpus - 1;
	struct pv_queued q;

	scx_start(_metadata, self, "scx_pvsimple");
	ASSERT_EQ(0, pv_mark(self->half));
	for (int i = 0; i < 2; i++)
		ASSERT_GT(add(self, pv_spawn_busy("pvt-conf", last)), 0);
	expect_on_scx(_metadata, self->pids, 2, 1);
	ASSERT_EQ(0, pv_queueing(self->pids, last, first, self->marked, 2000000, &q));
	TH_LOG("two busy tasks pinned to marked CPUs %d and %d: %d%% and %d%% of a CPU, queued %d%% and %d%% of the time",
	       last, first, q.pct_apart[0], q.pct_apart[1], q.queued_apart[0], q.queued_apart[1]);
	TH_LOG("both pinned to %d: %d%% and %d%% of a CPU, queued %d%% and %d%%", last,
	       q.pct_stacked[0], q.pct_stacked[1], q.queued_stacked[0], q.queued_stacked[1]);
	TH_LOG("allowed on marked %s: %d%% and %d%% of a CPU, queued %d%% and %d%%; %s",
	       self->half, q.pct[0], q.pct[1], q.queued[0], q.queued[1], scx_last_line(self));
	ASSERT_GE(q.worst - q.best, 20) TH_LOG("stacking did not make them queue: nothing to compare with");
	EXPECT_LE(q.got, q.best + (q.worst - q.best) / 4);
	EXPECT_GT(q.pct[0] + q.pct[1], q.pct_stacked[0] + q.pct_stacked[1]);
	EXPECT_TRUE(scx_running(self->name));
}

/*
 * Tasks allowed only on the marked CPUs, waking up every 4 ms, that start
 * on the same one: under scx_simple, with no mask code of its own, they
 * spread over the marked CPUs as they would if nothing were marked. The
 * built-in tracking never reports those CPUs idle, so it is the default
 * selection's fallback that must find the idle one. As in confined_test,
 * the time they spend queued is judged against what this host allows
 * (pv_queueing()).
 */
TEST_F_TIMEOUT(scx, simple_confined_tasks_spread, 120)
{
	int first = __builtin_ctzll(self->marked), last = self->ncpus - 1;
	struct pv_queued q;

	scx_start(_metadata, self, "scx_simple");
	ASSERT_EQ(0, pv_mark(self->half));
	for (int i = 0; i < 2; i++) {
		pid_t pid = add(self, pv_fork_child("pvt-spread", last));

		ASSERT_GE(pid, 0);
		if (pid == 0)
			pv_duty_cycle();
	}
	ASSERT_EQ(0, pv_queueing(self->pids, last, first, self->marked, 2000000, &q));
	TH_LOG("two tasks busy 3 ms of 4 pinned to marked CPUs %d and %d: queued %d%% and %d%% of the time",
	       last, first, q.queued_apart[0], q.queued_apart[1]);
	TH_LOG("both pinned to %d: %d%% and %d%% of a CPU, queued %d%% and %d%%", last,
	       q.pct_stacked[0], q.pct_stacked[1], q.queued_stacked[0], q.queued_stacked[1]);
	TH_LOG("allowed on marked %s: %d%% and %d%% of a CPU, queued %d%% and %d%%",
	       self->half, q.pct[0], q.pct[1], q.queued[0], q.queued[1]);
	ASSERT_GE(q.worst - q.best, 20) TH_LOG("stacking did not make them queue: nothing to compare with");
	EXPECT_LE(q.got, q.best + (q.worst - q.best) / 4);
	EXPECT_GT(q.pct[0] + q.pct[1], q.pct_stacked[0] + q.pct_stacked[1]);
	EXPECT_TRUE(scx_running(self->name));
}

/*
 * The switches between the fair class and the BPF scheduler move every
 * task, and wakeups meanwhile go through the kernel's bypass path: none of
 * that may place a task that can run elsewhere on a marked CPU. Two busy
 * tasks pinned to the highest CPU, marked, keep it occupied throughout and
 * must progress under both classes.
 */
TEST_F_TIMEOUT(scx, pvsimple_load_and_unload_place_nothing_on_marked_cpus, 120)
{
	int last = self->ncpus - 1, n = self->ncpus;
	uint64_t c0[2], got[2], wall;
	struct pv_onto on;
	pid_t pinned[2];

	if (pv_trace_enabled(wakeup_ev, 3))
		SKIP(return, "boot with trace_event=" PV_TRACE_EVENTS);
	ASSERT_EQ(0, pv_mark(self->half));
	for (int i = 0; i < n; i++) {
		pid_t pid = add(self, pv_fork_child("pvt-wake", -1));

		ASSERT_GE(pid, 0);
		if (pid == 0)
			pv_duty_cycle();
	}
	for (int i = 0; i < 2; i++) {
		pinned[i] = add(self, pv_spawn_busy("pvt-pinned", last));
		ASSERT_GT(pinned[i], 0);
	}
	/* They may have forked on a marked CPU: let them wake up elsewhere. */
	pv_sleep_us(100000);

	for (int i = 0; i < 2; i++)
		c0[i] = pv_task_cputime_us(pinned[i]);
	wall = pv_now_us();
	ASSERT_EQ(0, pv_trace_start());
	scx_start(_metadata, self, "scx_pvsimple");
	expect_on_scx(_metadata, self->pids, self->npids, 1);
	pv_sleep_us(1000000);
	ASSERT_EQ(0, kill(self->sched, SIGINT));
	ASSERT_TRUE(scx_gone(self)) TH_LOG("sched_ext still enabled");
	expect_on_scx(_metadata, self->pids, self->npids, 0);
	pv_sleep_us(500000);
	pv_trace_stop();
	wall = pv_now_us() - wall;
	for (int i = 0; i < 2; i++)
		got[i] = pv_task_cputime_us(pinned[i]) - c0[i];

	pv_trace_onto(self->pids, n, self->marked, NULL, &on);
	TH_LOG("across the load and the unload: %d placements traced, %d onto %s; tasks pinned to %d: %llu and %llu ms of CPU in %llu ms",
	       on.seen, on.bad, self->half, last, (unsigned long long)got[0] / 1000,
	       (unsigned long long)got[1] / 1000, (unsigned long long)wall / 1000);
	ASSERT_GE(on.seen, 300);
	EXPECT_EQ(0, on.bad) TH_LOG("first: %s", on.first_bad);
	/* As in pvsimple_confined_tasks_keep_running: a quarter each. */
	EXPECT_GE(got[0], wall / 4);
	EXPECT_GE(got[1], wall / 4);
}

/*
 * Busy tasks run under scx_pvsimple, which then goes away as @stop says;
 * the tasks are back in the fair class, and marking pushes them off the
 * marked CPUs as it would have without sched_ext.
 */
static void fair_after_scx(struct __test_metadata *_metadata, FIXTURE_DATA(scx) *self,
			   void (*stop)(struct __test_metadata *, FIXTURE_DATA(scx) *))
{
	uint64_t t0;
	int64_t us;

	scx_start(_metadata, self, "scx_pvsimple");
	for (int i = 0; i < 2 * self->ncpus; i++)
		ASSERT_GT(add(self, pv_spawn_busy("pvt-fair", -1)), 0);
	expect_on_scx(_metadata, self->pids, self->npids, 1);
	ASSERT_EQ(0, pv_measure_rt());
	ASSERT_GE(pv_wait_cpus(self->pids, self->npids, self->marked, self->marked,
			       pv_now_us(), RETURN_LIMIT_US), 0);

	stop(_metadata, self);
	ASSERT_TRUE(scx_gone(self)) TH_LOG("sched_ext still enabled");
	expect_on_scx(_metadata, self->pids, self->npids, 0);
	EXPECT_EQ(0, pushes(self->pids, self->npids));

	ASSERT_GE(pv_wait_cpus(self->pids, self->npids, self->marked, self->marked,
			       pv_now_us(), RETURN_LIMIT_US), 0);
	t0 = pv_now_us();
	ASSERT_EQ(0, pv_mark(self->half));
	us = pv_wait_off(self->pids, self->npids, self->marked, t0, 5000000);
	TH_LOG("fair tasks left %s in %lld us (-1: not in 5 s; limit %llu), %ld pushes",
	       self->half, (long long)us, (unsigned long long)PV_EVAC_MAX_US,
	       pushes(self->pids, self->npids));
	/*
	 * One mark, so its time is bounded as the slowest of the 20 marks in
	 * busy_tasks_leave_marked_cpus: 50 of these marks (25 after an
	 * unload, 25 after an ejection) took 3.1-43.7 ms, one over 40 ms,
	 * the old limit, which make check failed once.
	 */
	ASSERT_GE(us, 0);
	EXPECT_LE(us, PV_EVAC_MAX_US);
	EXPECT_GT(pushes(self->pids, self->npids), 0);
}

static void stop_sigint(struct __test_metadata *_metadata, FIXTURE_DATA(scx) *self)
{
	ASSERT_EQ(0, kill(self->sched, SIGINT));
}

/* SysRq-S: the kernel ejects the scheduler through the path the watchdog takes. */
static void stop_sysrq(struct __test_metadata *_metadata, FIXTURE_DATA(scx) *self)
{
	ASSERT_EQ(0, pv_write("/proc/sysrq-trigger", "S"));
}

TEST_F_TIMEOUT(scx, fair_class_after_unload, 120)
{
	fair_after_scx(_metadata, self, stop_sigint);
}

TEST_F_TIMEOUT(scx, fair_class_after_ejection, 120)
{
	fair_after_scx(_metadata, self, stop_sysrq);
}

TEST_HARNESS_MAIN
