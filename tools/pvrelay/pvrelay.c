// SPDX-License-Identifier: GPL-2.0
/*
 * pvrelay: real steal for a TCG guest. Every period it reads the run delay
 * of each vCPU thread of a QEMU process (/proc/PID/task/TID/schedstat, the
 * second field: time spent runnable but not running on the host - what KVM
 * reports to its guests as steal) and writes one "CPU +USEC" line per vCPU,
 * the microseconds it waited during the period, to OUT (a FIFO into the
 * guest): the syntax of pvsteal's inject file, which sums them per period.
 *
 *   pvrelay -p QEMU_PID [-n VCPUS] [-i PERIOD_MS] [-o OUT] [-l CSV]
 *
 * It starts once all VCPUS vCPU threads have named themselves (default:
 * the count of QEMU's -smp option; without one, once the count has held
 * for half a second), and fails if they do not within 10 s.
 *
 * The CSV gets "time_ms,steal_cpu0,steal_cpu1,..." per period, in percent
 * of the period. Exits when
 * the QEMU process does, or on SIGINT/SIGTERM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pvcpu.h"

#define MAX_VCPUS	64

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "pvrelay: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* The vCPU count of QEMU's "-smp N" or "-smp cpus=N,...", or 0. */
static int smp_of(int pid)
{
	char path[64], buf[4096], *p, *v;
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	for (p = buf; p < buf + len; p += strlen(p) + 1) {
		if (strcmp(p, "-smp") || p + strlen(p) + 1 >= buf + len)
			continue;
		v = p + strlen(p) + 1;
		if (!strncmp(v, "cpus=", 5))
			v += 5;
		return atoi(v) > 0 && atoi(v) <= MAX_VCPUS ? atoi(v) : 0;
	}
	return 0;
}

/* How many of the first @n vCPUs have a thread. */
static int found(const pid_t *tid, int n)
{
	int k = 0;

	for (int c = 0; c < n; c++)
		k += tid[c] >= 0;
	return k;
}

/* Run delay of a thread in ns; false when it is gone. */
static bool run_delay(int pid, int tid, uint64_t *ns)
{
	uint64_t run;

	return !pv_schedstat(pid, tid, &run, ns);
}

int main(int argc, char **argv)
{
	int pid = 0, period_ms = 200, out = -1, n = 0, want = 0, stable = 0, opt;
	uint64_t last[MAX_VCPUS], t_last, t0;
	pid_t tid[MAX_VCPUS];
	const char *outpath = NULL;
	FILE *csv = NULL;
	char *end;

	while ((opt = getopt(argc, argv, "p:n:i:o:l:")) != -1) {
		switch (opt) {
		case 'p':
			pid = strtol(optarg, &end, 10);
			if (*end || pid <= 0)
				die("-p wants a process id, got '%s'", optarg);
			break;
		case 'n':
			want = strtol(optarg, &end, 10);
			if (*end || want < 1 || want > MAX_VCPUS)
				die("-n wants 1-64 vCPUs, got '%s'", optarg);
			break;
		case 'i':
			period_ms = strtol(optarg, &end, 10);
			if (*end || period_ms < 10 || period_ms > 60000)
				die("-i wants a period of 10-60000 ms, got '%s'", optarg);
			break;
		case 'o':
			outpath = optarg;
			break;
		case 'l':
			csv = fopen(optarg, "w");
			if (!csv)
				die("cannot write %s", optarg);
			break;
		default:
			fprintf(stderr, "usage: pvrelay -p QEMU_PID [-n VCPUS] [-i PERIOD_MS] [-o OUT] [-l CSV]\n");
			return 2;
		}
	}
	if (!pid) {
		fprintf(stderr, "usage: pvrelay -p QEMU_PID [-n VCPUS] [-i PERIOD_MS] [-o OUT] [-l CSV]\n");
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	/*
	 * QEMU names its vCPU threads as they start, one by one: wait up to
	 * 10 s for all of them, or the relay would leave the late ones out.
	 */
	if (!want)
		want = smp_of(pid);
	for (int i = 0; i < 100 && !stop; i++) {
		int prev = n;

		n = pv_qemu_vcpus(pid, tid, MAX_VCPUS);
		if (n == -ENOENT)
			die("no process %s", argv[optind - 1]);
		if (want ? n >= want && found(tid, want) == want : n > 0 && n == prev && ++stable >= 5)
			break;
		if (!want && n != prev)
			stable = 0;
		usleep(100000);
	}
	if (n <= 0)
		die("no 'CPU n/...' threads in process %s", "given by -p");
	if (want && (n < want || found(tid, want) < want)) {
		fprintf(stderr, "pvrelay: %d of %d vCPU threads after 10 s\n", found(tid, want), want);
		return 1;
	}
	if (want)
		n = want;
	for (int c = 0; c < n; c++)
		if (tid[c] < 0 || !run_delay(pid, tid[c], &last[c]))
			die("vCPU threads of %s are incomplete", "the process");
	if (outpath) {
		/*
		 * Non-blocking: a guest that does not read must not stall us.
		 * A FIFO has no reader until QEMU has opened it: retry 10 s.
		 */
		for (int i = 0; i < 100; i++) {
			out = open(outpath, O_WRONLY | O_NONBLOCK);
			if (out >= 0 || errno != ENXIO)
				break;
			usleep(100000);
		}
		if (out < 0)
			die("cannot open %s for writing", outpath);
	}
	if (csv) {
		fprintf(csv, "time_ms");
		for (int c = 0; c < n; c++)
			fprintf(csv, ",steal_cpu%d", c);
		fputc('\n', csv);
	}
	fprintf(stderr, "pvrelay: %d vCPU threads of process %d, period %d ms\n", n, pid, period_ms);

	t0 = t_last = now_ns();
	while (!stop) {
		char line[64 * MAX_VCPUS], row[16 * MAX_VCPUS];
		uint64_t t, ns[MAX_VCPUS], elapsed;
		int len = 0, rlen;

		usleep(period_ms * 1000);
		/* A vCPU thread gone means QEMU is exiting: no partial period. */
		for (int c = 0; c < n && !stop; c++)
			if (!run_delay(pid, tid[c], &ns[c]))
				stop = 1;
		if (stop)
			break;
		t = now_ns();
		elapsed = t - t_last;
		t_last = t;
		rlen = snprintf(row, sizeof(row), "%llu", (unsigned long long)((t - t0) / 1000000));
		for (int c = 0; c < n; c++) {
			unsigned long long us = ns[c] > last[c] ? (ns[c] - last[c]) / 1000 : 0;
			unsigned int pct = us * 100000 / elapsed;

			last[c] = ns[c];
			len += snprintf(line + len, sizeof(line) - len, "%d +%llu\n", c, us);
			rlen += snprintf(row + rlen, sizeof(row) - rlen, ",%u", pct > 100 ? 100 : pct);
		}
		if (csv) {
			fprintf(csv, "%s\n", row);
			fflush(csv);
		}
		if (out >= 0 && write(out, line, len) < 0 && errno != EAGAIN)
			break;
	}
	if (csv)
		fclose(csv);
	return 0;
}
