// SPDX-License-Identifier: GPL-2.0
/*
 * pvbench: the guest side of "make bench" (tools/bench/bench drives it).
 *
 *   pvbench agent PORT CSV      forward "CPU +USEC" lines from PORT (the
 *                               host's pvrelay) into pvsteal's inject file;
 *                               log time, phase, steal and mask size to CSV
 *   pvbench wakelat SECONDS N   N SCHED_FIFO threads waking every 1 ms:
 *                               prints "p50_us P p99_us P"
 *   pvbench meter SECONDS PAIRS CSV
 *                               PAIRS thread pairs passing a token through
 *                               pipes; round trips per second, every 500 ms
 *   pvbench evac REPS TASKS     TASKS busy tasks; REPS times the time from
 *                               marking the upper half of the CPUs until none
 *                               of them runs there, and the time to offline
 *                               the same CPUs: "evac_us MIN MED MAX offline_us MIN MED MAX"
 *
 * The agent reads the phase name from /run/pvbench.phase on each period.
 * Both CSVs are stamped with CLOCK_MONOTONIC milliseconds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pvcpu.h"

#include <pthread.h>

#define PHASE_FILE	"/run/pvbench.phase"

static void usage(void)
{
	fprintf(stderr, "usage: pvbench agent PORT CSV | wakelat SECONDS THREADS |\n"
			"               meter SECONDS PAIRS CSV | evac REPS TASKS\n");
	exit(2);
}

static long arg_num(const char *s, long lo, long hi)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end || v < lo || v > hi) {
		fprintf(stderr, "pvbench: '%s' is not a number in %ld-%ld\n", s, lo, hi);
		exit(2);
	}
	return v;
}

static int agent(const char *port, const char *csvpath)
{
	int in = open(port, O_RDONLY), inj = open(PV_DEBUGFS "/inject", O_WRONLY);
	FILE *csv = fopen(csvpath, "w");
	char buf[4096], rest[4096] = "";
	uint64_t now, last = pv_now_us();

	if (in < 0 || inj < 0 || !csv) {
		fprintf(stderr, "pvbench agent: cannot open %s, %s or %s: %s\n", port,
			PV_DEBUGFS "/inject", csvpath, strerror(errno));
		return 1;
	}
	fprintf(csv, "time_ms,phase,steal_pct,marked\n");
	for (;;) {
		char phase[64] = "-", mask[256] = "", *line, *save;
		unsigned int sum = 0, n = 0;
		ssize_t len = read(in, buf, sizeof(buf) - 1);

		if (len <= 0) {
			if (len < 0 && errno == EINTR)
				continue;
			break;
		}
		buf[len] = '\0';
		/* Keep a partial last line for the next read. */
		snprintf(rest + strlen(rest), sizeof(rest) - strlen(rest), "%s", buf);
		line = strrchr(rest, '\n');
		if (!line)
			continue;
		*line = '\0';
		snprintf(buf, sizeof(buf), "%s", rest);
		memmove(rest, line + 1, strlen(line + 1) + 1);
		for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			unsigned int cpu, us;
			char cmd[32];
			int l;

			if (sscanf(line, "%u +%u", &cpu, &us) != 2)
				continue;
			l = snprintf(cmd, sizeof(cmd), "%u +%u\n", cpu, us);
			/* An offline CPU may be refused; the others still count. */
			if (write(inj, cmd, l) == l) {
				sum += us;
				n++;
			}
		}
		pv_read(PHASE_FILE, phase, sizeof(phase));
		pv_read(PV_SYSFS, mask, sizeof(mask));
		now = pv_now_us();
		/* Mean steal of the vCPUs, in percent of the time since the last batch. */
		fprintf(csv, "%llu,%s,%.1f,%d\n", (unsigned long long)now / 1000, phase,
			n && now > last ? 100.0 * sum / n / (now - last) : 0.0,
			__builtin_popcountll(pv_parse_list(mask)));
		last = now;
		fflush(csv);
	}
	fclose(csv);
	return 0;
}

struct lat {
	uint64_t end_us, *samples;
	size_t n, cap;
};

static void *lat_thread(void *arg)
{
	struct sched_param sp = { .sched_priority = 80 };
	struct lat *l = arg;
	struct timespec next;

	if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp))
		return (void *)1;
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (pv_now_us() < l->end_us && l->n < l->cap) {
		struct timespec now;
		int64_t late;

		next.tv_nsec += 1000000;
		if (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
		late = (now.tv_sec - next.tv_sec) * 1000000000LL + now.tv_nsec - next.tv_nsec;
		l->samples[l->n++] = late > 0 ? late / 1000 : 0;
		/* Far behind (the vCPU was not running): start again from now. */
		if (late > 100000000)
			next = now;
	}
	return NULL;
}

static int wakelat(int seconds, int threads)
{
	struct lat l[64];
	pthread_t tid[64];
	uint64_t *all;
	size_t total = 0, cap = (size_t)seconds * 1000 + 16;

	all = calloc(cap * threads, sizeof(*all));
	if (!all)
		return 1;
	for (int i = 0; i < threads; i++) {
		l[i] = (struct lat){ pv_now_us() + seconds * 1000000ULL, all + i * cap, 0, cap };
		if (pthread_create(&tid[i], NULL, lat_thread, &l[i])) {
			perror("pvbench wakelat: pthread_create");
			return 1;
		}
	}
	for (int i = 0; i < threads; i++) {
		void *ret;

		pthread_join(tid[i], &ret);
		if (ret) {
			fprintf(stderr, "pvbench wakelat: cannot run at SCHED_FIFO\n");
			return 1;
		}
		memmove(all + total, l[i].samples, l[i].n * sizeof(*all));
		total += l[i].n;
	}
	if (!total)
		return 1;
	qsort(all, total, sizeof(*all), pv_cmp_u64);
	printf("p50_us %llu p99_us %llu\n", (unsigned long long)all[total / 2],
	       (unsigned long long)all[total * 99 / 100]);
	free(all);
	return 0;
}

struct pair {
	int ping[2], pong[2];
	volatile uint64_t trips;
	volatile int *stop;
};

/* A little work per message, so that a pair is not pure wakeup cost. */
static void work(void)
{
	volatile unsigned int x = 0;

	for (int i = 0; i < 20000; i++)
		x += i;
}

static void *pinger(void *arg)
{
	struct pair *p = arg;
	char c = 0;

	while (!*p->stop) {
		if (write(p->ping[1], &c, 1) != 1 || read(p->pong[0], &c, 1) != 1)
			break;
		work();
		p->trips++;
	}
	close(p->ping[1]);
	return NULL;
}

static void *ponger(void *arg)
{
	struct pair *p = arg;
	char c;

	while (read(p->ping[0], &c, 1) == 1) {
		work();
		if (write(p->pong[1], &c, 1) != 1)
			break;
	}
	close(p->pong[1]);
	return NULL;
}

static int meter(int seconds, int npairs, const char *csvpath)
{
	struct pair p[64];
	pthread_t tid[128];
	volatile int stop = 0;
	uint64_t t0 = pv_now_us(), last = 0, t_last = t0;
	FILE *csv = fopen(csvpath, "w");

	if (!csv) {
		fprintf(stderr, "pvbench meter: cannot write %s\n", csvpath);
		return 1;
	}
	fprintf(csv, "time_ms,round_trips_per_s\n");
	for (int i = 0; i < npairs; i++) {
		p[i].trips = 0;
		p[i].stop = &stop;
		if (pipe(p[i].ping) || pipe(p[i].pong) ||
		    pthread_create(&tid[2 * i], NULL, pinger, &p[i]) ||
		    pthread_create(&tid[2 * i + 1], NULL, ponger, &p[i])) {
			perror("pvbench meter");
			return 1;
		}
	}
	while (pv_now_us() - t0 < seconds * 1000000ULL) {
		uint64_t now, sum = 0;

		pv_sleep_us(500000);
		for (int i = 0; i < npairs; i++)
			sum += p[i].trips;
		now = pv_now_us();
		fprintf(csv, "%llu,%.0f\n", (unsigned long long)now / 1000,
			(sum - last) * 1e6 / (now - t_last));
		fflush(csv);
		last = sum;
		t_last = now;
	}
	stop = 1;
	for (int i = 0; i < 2 * npairs; i++)
		pthread_join(tid[i], NULL);
	fclose(csv);
	return 0;
}

static void median_max(uint64_t *v, int n, uint64_t *med, uint64_t *max)
{
	qsort(v, n, sizeof(*v), pv_cmp_u64);
	*med = v[n / 2];
	*max = v[n - 1];
}

static int evac(int reps, int ntasks)
{
	int ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t marked, ev[64], off[64], em, ex, om, ox;
	pid_t pids[PV_MAX_CHILDREN];
	char half[32];

	if (ncpus < 2 || ntasks > PV_MAX_CHILDREN || reps > 64)
		return 1;
	pv_upper_half(ncpus, half, sizeof(half), &marked);
	if (pv_measure_rt())
		return 1;
	for (int i = 0; i < ntasks; i++)
		pids[i] = pv_spawn_busy("pvbench-busy", -1);
	pv_sleep_us(500000);
	for (int r = 0; r < reps; r++) {
		uint64_t t0;
		int64_t us;

		/* Mark: until none of the tasks runs on a marked CPU. */
		t0 = pv_now_us();
		if (pv_mark(half))
			goto fail;
		us = pv_wait_off(pids, ntasks, marked, t0, 10000000);
		if (us < 0 || pv_mark(""))
			goto fail;
		ev[r] = us;
		pv_sleep_us(500000);

		/* Hotplug: until the last of the same CPUs is offline. */
		t0 = pv_now_us();
		for (int cpu = ncpus / 2; cpu < ncpus; cpu++)
			if (pv_set_online(cpu, 0))
				goto fail;
		off[r] = pv_now_us() - t0;
		for (int cpu = ncpus / 2; cpu < ncpus; cpu++)
			if (pv_set_online(cpu, 1))
				goto fail;
		pv_sleep_us(500000);
	}
	pv_kill_all(pids, ntasks);
	median_max(ev, reps, &em, &ex);
	median_max(off, reps, &om, &ox);
	/* median_max() sorted them: the minimum is first. */
	printf("evac_us %llu %llu %llu offline_us %llu %llu %llu\n",
	       (unsigned long long)ev[0], (unsigned long long)em, (unsigned long long)ex,
	       (unsigned long long)off[0], (unsigned long long)om, (unsigned long long)ox);
	return 0;
fail:
	fprintf(stderr, "pvbench evac: marking or hotplug failed: %s\n", strerror(errno));
	pv_kill_all(pids, ntasks);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "agent"))
		return agent(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "wakelat"))
		return wakelat(arg_num(argv[2], 1, 3600), arg_num(argv[3], 1, 64));
	if (argc == 5 && !strcmp(argv[1], "meter"))
		return meter(arg_num(argv[2], 1, 3600), arg_num(argv[3], 1, 64), argv[4]);
	if (argc == 4 && !strcmp(argv[1], "evac"))
		return evac(arg_num(argv[2], 1, 64), arg_num(argv[3], 1, PV_MAX_CHILDREN));
	usage();
}
