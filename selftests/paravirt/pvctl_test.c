// SPDX-License-Identifier: GPL-2.0
/*
 * pvctl against the real kernel files: set, status, watch (poll() on the
 * sysfs file) and prometheus. The program is found as pv_pvctl() says.
 */
#include "../kselftest_harness.h"
#include "pv_test.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <termios.h>

FIXTURE(ctl) {
	char bin[512];
};

FIXTURE_SETUP(ctl)
{
	const char *bin = pv_pvctl();
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "command -v '%s' >/dev/null", bin);
	if (system(cmd))
		SKIP(return, "pvctl not found ($PVCTL, pvctl next to the test, or $PATH)");
	snprintf(self->bin, sizeof(self->bin), "%s", bin);
	PV_LOAD_OR_SKIP("");
	ASSERT_EQ(0, pv_mark(""));
}

FIXTURE_TEARDOWN(ctl)
{
	if (pv_module_loaded())
		pv_mark("");
}

/* Run "pvctl ARGS", capture stdout+stderr into @out; returns the exit status. */
static int run(FIXTURE_DATA(ctl) *self, const char *args, char *out, size_t len)
{
	char cmd[1024];
	size_t n = 0;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", self->bin, args);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (n < len - 1 && fgets(out + n, len - n, p))
		n += strlen(out + n);
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST_F(ctl, set_and_status)
{
	char out[8192], buf[64];

	ASSERT_EQ(0, run(self, "set 2-3", out, sizeof(out))) TH_LOG("%s", out);
	ASSERT_EQ(0, pv_read(PV_SYSFS, buf, sizeof(buf)));
	EXPECT_STREQ("2-3", buf);
	ASSERT_EQ(0, run(self, "status", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "paravirt CPUs: 2-3\n")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "mode: manual\n")) TH_LOG("%s", out);

	/* A refused list: status 1, a message, nothing changed. */
	EXPECT_EQ(1, run(self, "set 0-3", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "refused")) TH_LOG("%s", out);
	ASSERT_EQ(0, pv_read(PV_SYSFS, buf, sizeof(buf)));
	EXPECT_STREQ("2-3", buf);

	ASSERT_EQ(0, run(self, "set auto", out, sizeof(out)));
	ASSERT_EQ(0, pv_read(PV_DEBUGFS "/override", buf, sizeof(buf)));
	EXPECT_STREQ("auto", buf);
}

TEST_F(ctl, watch_sees_every_change)
{
	char cmd[600], line[256], seen[3][64];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s watch -n 2", self->bin);
	p = popen(cmd, "r");
	ASSERT_NE(NULL, p);
	/* The first line is the mask as it is; then one line per change. */
	for (int i = 0; i < 3; i++) {
		ASSERT_NE(NULL, fgets(line, sizeof(line), p));
		/* "YYYY-MM-DD HH:MM:SS.mmm MASK" */
		ASSERT_EQ(1, sscanf(line, "%*s %*s %63s", seen[i])) TH_LOG("line '%s'", line);
		if (i == 0)
			ASSERT_EQ(0, pv_mark("2-3"));
		if (i == 1)
			ASSERT_EQ(0, pv_mark("1"));
	}
	pclose(p);
	EXPECT_STREQ("(none)", seen[0]);
	EXPECT_STREQ("2-3", seen[1]);
	EXPECT_STREQ("1", seen[2]);
}

TEST_F(ctl, prometheus_shows_the_mask_and_the_mode)
{
	char out[16384];

	ASSERT_EQ(0, pv_mark("3"));
	ASSERT_EQ(0, run(self, "prometheus", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "pvcpu_paravirt{cpu=\"3\"} 1\n")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "pvcpu_paravirt{cpu=\"0\"} 0\n"));
	EXPECT_NE(NULL, strstr(out, "pvsteal_auto 0\n"));
}

/*
 * top -n 2 -d 0.5: two screens half a second apart, each the mask, then a
 * line per CPU of busy and steal percentages over the interval and whether
 * it is marked. A task spinning on CPU 1 shows it busy; marked CPU 3 is
 * idle, with the pushed-off tasks elsewhere.
 */
TEST_F(ctl, top_shows_each_cpu_every_interval)
{
	char out[16384], *p, *line;
	int screens = 0, busy1 = -1, busy3 = -1;
	uint64_t t0;
	pid_t pid;

	ASSERT_EQ(0, pv_mark("3"));
	pid = pv_spawn_busy("pvt-busy", 1);
	ASSERT_GT(pid, 0);
	pv_sleep_us(200000);
	t0 = pv_now_us();
	ASSERT_EQ(0, run(self, "top -n 2 -d 0.5", out, sizeof(out)));
	t0 = pv_now_us() - t0;
	pv_kill_all(&pid, 1);
	for (p = out; (line = strsep(&p, "\n"));) {
		int cpu;
		float b, st;
		char marked[8];

		if (strstr(line, "  paravirt: 3") && strlen(line) > 25)
			screens++;
		else if (sscanf(line, "%d %f %f %7s", &cpu, &b, &st, marked) == 4) {
			if (cpu == 1)
				busy1 = b;
			if (cpu == 3)
				busy3 = b;
			EXPECT_STREQ(cpu == 3 ? "yes" : "no", marked) TH_LOG("CPU %d", cpu);
		} else if (*line) {
			EXPECT_STREQ("  cpu  busy%  steal%  marked", line);
		}
	}
	TH_LOG("2 screens in %llu ms; CPU 1 busy %d%%, CPU 3 %d%%",
	       (unsigned long long)t0 / 1000, busy1, busy3);
	EXPECT_EQ(2, screens);
	EXPECT_GE(t0, 1000000);
	EXPECT_LE(t0, 3000000);
	EXPECT_GE(busy1, 80);
	EXPECT_LE(busy3, 20);
}

/* A line from @fd within @ms into @line; 0, or -1 on a time-out. */
static int read_line(int fd, char *line, size_t len, int ms)
{
	uint64_t end = pv_now_us() + ms * 1000ULL;
	size_t n = 0;

	while (n < len - 1) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = (int64_t)(end - pv_now_us());

		if (left <= 0 || poll(&p, 1, left / 1000 + 1) <= 0 || read(fd, line + n, 1) != 1)
			return -1;
		if (line[n] == '\n') {
			line[n] = '\0';
			return 0;
		}
		n++;
	}
	return -1;
}

static int wait_sysfs(const char *want, int ms)
{
	uint64_t end = pv_now_us() + ms * 1000ULL;
	char buf[256];

	while (pv_now_us() < end) {
		if (!pv_read(PV_SYSFS, buf, sizeof(buf)) && !strcmp(buf, want))
			return 0;
		pv_sleep_us(10000);
	}
	return -1;
}

/*
 * pvctl hint, with a fake host on a raw pseudo-terminal in place of the
 * virtio-serial port: it switches pvsteal to law=host, hands each
 * "cap MCPU SEQ TTL" to pvsteal, which folds to it, answers "demand
 * RUNNABLE MASK", and ignores lines that are not hints, without answering
 * and without dying.
 */
TEST_F_TIMEOUT(ctl, hint_takes_the_hosts_hint_and_answers, 60)
{
	int master, slave, n = sysconf(_SC_NPROCESSORS_ONLN), runnable;
	char line[256], want[32], buf[64], mask[64];
	struct termios tio;
	pid_t pid;

	ASSERT_EQ(0, pv_write(PV_DEBUGFS "/mode", "auto"));
	master = posix_openpt(O_RDWR | O_NOCTTY);
	ASSERT_GE(master, 0);
	ASSERT_EQ(0, grantpt(master));
	ASSERT_EQ(0, unlockpt(master));
	slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	ASSERT_GE(slave, 0);
	ASSERT_EQ(0, tcgetattr(slave, &tio));
	cfmakeraw(&tio);
	ASSERT_EQ(0, tcsetattr(slave, TCSANOW, &tio));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		execl(self->bin, self->bin, "hint", "-p", ptsname(master), (char *)NULL);
		_exit(127);
	}
	/* One CPU: all but the first fold. */
	dprintf(master, "cap 1000 7 50\n");
	ASSERT_EQ(0, read_line(master, line, sizeof(line), 5000)) TH_LOG("no answer to a hint");
	EXPECT_EQ(2, sscanf(line, "demand %d %63s", &runnable, mask)) TH_LOG("answer '%s'", line);
	ASSERT_EQ(0, pv_read(PV_DEBUGFS "/law", buf, sizeof(buf)));
	EXPECT_STREQ("host", buf);
	ASSERT_EQ(0, pv_read(PV_DEBUGFS "/capacity", buf, sizeof(buf)));
	EXPECT_EQ(0, strncmp(buf, "1000 7 ", 7)) TH_LOG("capacity '%s'", buf);
	snprintf(want, sizeof(want), "1-%d", n - 1);
	EXPECT_EQ(0, wait_sysfs(want, 3000)) TH_LOG("not folded to %s", want);
	/* Lines that are not hints: no answer, nothing taken, still running. */
	dprintf(master, "cap 1 2\nhello\ncap 99999999 1 1\ncap 1000 8 0\n");
	EXPECT_EQ(-1, read_line(master, line, sizeof(line), 1500)) TH_LOG("answered '%s'", line);
	ASSERT_EQ(0, pv_read(PV_DEBUGFS "/capacity", buf, sizeof(buf)));
	EXPECT_EQ(0, strncmp(buf, "1000 7 ", 7)) TH_LOG("capacity '%s'", buf);
	EXPECT_EQ(0, waitpid(pid, NULL, WNOHANG)) TH_LOG("pvctl hint died");
	/* The host has room again. */
	dprintf(master, "cap %d 9 50\n", 1000 * n);
	EXPECT_EQ(0, read_line(master, line, sizeof(line), 5000)) TH_LOG("no answer");
	EXPECT_EQ(0, wait_sysfs("", 3000)) TH_LOG("not unfolded");
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	close(slave);
	close(master);
	pv_write(PV_DEBUGFS "/law", "ours");
}

TEST_HARNESS_MAIN
