// SPDX-License-Identifier: GPL-2.0
/*
 * pvctl against the real kernel files: set, status, watch (poll() on the
 * sysfs file) and prometheus. The program is found as pv_pvctl() says.
 */
#include "../kselftest_harness.h"
#include "pv_test.h"

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

TEST_F(ctl, prometheus_and_top)
{
	char out[16384];

	ASSERT_EQ(0, pv_mark("3"));
	ASSERT_EQ(0, run(self, "prometheus", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "pvcpu_paravirt{cpu=\"3\"} 1\n")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "pvcpu_paravirt{cpu=\"0\"} 0\n"));
	EXPECT_NE(NULL, strstr(out, "pvsteal_auto 0\n"));
	ASSERT_EQ(0, run(self, "top -n 1", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "paravirt: 3\n")) TH_LOG("%s", out);
}

TEST_HARNESS_MAIN
