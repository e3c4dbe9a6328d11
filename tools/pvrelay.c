// SPDX-License-Identifier: GPL-2.0
/*
 * pvrelay: real steal for a TCG guest. Every period it reads the run delay
 * of each vCPU thread of a QEMU process (/proc/PID/task/TID/schedstat, the
 * second field: time spent runnable but not running on the host - what KVM
 * reports to its guests as steal) and writes one "CPU +USEC" line per vCPU,
 * the microseconds it waited during the period, to OUT (a FIFO into the
 * guest): the syntax of pvsteal's inject file, which sums them per period.
 *
 *   pvrelay -p QEMU_PID [-i PERIOD_MS] [-o OUT] [-l CSV]
 *
 * The CSV gets "time_ms,steal_cpu0,steal_cpu1,..." per period, in percent
 * of the period. Exits when
 * the QEMU process does, or on SIGINT/SIGTERM.
 */
#define _GNU_SOURCE
#include <dirent.h>
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

/* The thread ids of the "CPU n/TCG" (or "CPU n/KVM") threads, by n. */
static int find_vcpus(int pid, int *tid)
{
	char path[320], comm[64];
	struct dirent *de;
	int n = 0, cpu;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return -errno;
	for (int i = 0; i < MAX_VCPUS; i++)
		tid[i] = -1;
	while ((de = readdir(d))) {
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/comm", pid, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && sscanf(comm, "CPU %d/", &cpu) == 1 &&
		    cpu >= 0 && cpu < MAX_VCPUS) {
			tid[cpu] = atoi(de->d_name);
			if (cpu + 1 > n)
				n = cpu + 1;
		}
		fclose(f);
	}
	closedir(d);
	return n;
}

/* Run delay of a thread in ns; false when it is gone. */
static bool run_delay(int pid, int tid, uint64_t *ns)
{
	char path[128];
	unsigned long long run, wait;
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", pid, tid);
	f = fopen(path, "r");
	if (!f)
		return false;
	ok = fscanf(f, "%llu %llu", &run, &wait) == 2;
	fclose(f);
	*ns = wait;
	return ok;
}

int main(int argc, char **argv)
{
	int pid = 0, period_ms = 200, out = -1, tid[MAX_VCPUS], n = 0, opt;
	uint64_t last[MAX_VCPUS], t_last, t0;
	const char *outpath = NULL;
	FILE *csv = NULL;
	char *end;

	while ((opt = getopt(argc, argv, "p:i:o:l:")) != -1) {
		switch (opt) {
		case 'p':
			pid = strtol(optarg, &end, 10);
			if (*end || pid <= 0)
				die("-p wants a process id, got '%s'", optarg);
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
			fprintf(stderr, "usage: pvrelay -p QEMU_PID [-i PERIOD_MS] [-o OUT] [-l CSV]\n");
			return 2;
		}
	}
	if (!pid) {
		fprintf(stderr, "usage: pvrelay -p QEMU_PID [-i PERIOD_MS] [-o OUT] [-l CSV]\n");
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	/* QEMU names its vCPU threads once they start: wait up to 10 s. */
	for (int i = 0; i < 100 && n <= 0 && !stop; i++) {
		n = find_vcpus(pid, tid);
		if (n == -ENOENT)
			die("no process %s", argv[optind - 1]);
		if (n <= 0)
			usleep(100000);
	}
	if (n <= 0)
		die("no 'CPU n/...' threads in process %s", "given by -p");
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
		char line[64 * MAX_VCPUS];
		uint64_t t, ns, elapsed;
		int len = 0;

		usleep(period_ms * 1000);
		t = now_ns();
		elapsed = t - t_last;
		t_last = t;
		if (csv)
			fprintf(csv, "%llu", (unsigned long long)((t - t0) / 1000000));
		for (int c = 0; c < n; c++) {
			unsigned long long us;
			unsigned int pct;

			if (!run_delay(pid, tid[c], &ns)) {
				stop = 1;
				break;
			}
			us = ns > last[c] ? (ns - last[c]) / 1000 : 0;
			pct = us * 100000 / elapsed;
			if (pct > 100)
				pct = 100;
			last[c] = ns;
			len += snprintf(line + len, sizeof(line) - len, "%d +%llu\n", c, us);
			if (csv)
				fprintf(csv, ",%u", pct);
		}
		if (csv) {
			fputc('\n', csv);
			fflush(csv);
		}
		if (stop)
			break;
		if (out >= 0 && write(out, line, len) < 0 && errno != EAGAIN)
			break;
	}
	if (csv)
		fclose(csv);
	return 0;
}
