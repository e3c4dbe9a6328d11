// SPDX-License-Identifier: GPL-2.0
/*
 * pvctl: look at and steer the paravirt CPU mask and the pvsteal governor.
 *
 *   pvctl status              mask, mode and per-CPU steal
 *   pvctl set LIST|auto       mark LIST (manual mode), or hand back to the policy
 *   pvctl watch [-n COUNT]    print every change of the mask, with a timestamp
 *   pvctl top [-n COUNT] [-d SECONDS]
 *                             per-vCPU utilisation, steal and marked state
 *   pvctl prometheus [-o FILE]
 *                             metrics for node_exporter's textfile collector
 *   pvctl hint [-p PORT]      the host's hint (pvhostd) from the virtio-serial
 *                             port into pvsteal, which it switches to law=host
 *   pvctl --help              this synopsis, on standard output
 *
 * Exit status: 0, 1 for a failure (with a message), 2 for bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pvcpu.h"

#define MAX_CPUS	1024

static const char *sysfs = "/sys/devices/system/cpu/paravirt";
static const char *dbg = "/sys/kernel/debug/pvsteal";
static const char *lockdown = "/sys/kernel/security/lockdown";
/* A metrics file being written: removed if we die before the rename. */
static char *partial;

/* Exit status of a write that the kernel's lockdown refused. */
#define EXIT_LOCKDOWN	3

static void vdie(int status, const char *fmt, va_list ap)
{
	fprintf(stderr, "pvctl: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	if (partial)
		unlink(partial);
	exit(status);
}

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdie(1, fmt, ap);
}

static char *slurp(const char *path);

/*
 * A write to pvsteal's debugfs failed with -@err. A kernel locked down
 * (Secure Boot turns lockdown on) lets debugfs open only the files anyone
 * may read, so root too gets EPERM from the writable ones: say so, and
 * where the options go instead.
 */
static void die_write(const char *path, int err, const char *fmt, ...)
{
	char *l = err == -EPERM ? slurp(lockdown) : NULL;
	char *level = l ? strchr(l, '[') : NULL;
	va_list ap;

	if (level && strncmp(level, "[none]", 6)) {
		level[strcspn(level, "]") + 1] = '\0';
		fprintf(stderr, "pvctl: writing %s: refused: the kernel is locked down %s, "
			"as under Secure Boot, and debugfs takes no writes; "
			"set pvsteal's options in /etc/modprobe.d/pvsteal.conf and "
			"reload it (systemctl restart pvsteal)\n", path, level);
		va_start(ap, fmt);
		vdie(EXIT_LOCKDOWN, fmt, ap);
	}
	fprintf(stderr, "pvctl: writing %s: %s\n", path, strerror(-err));
	va_start(ap, fmt);
	vdie(1, fmt, ap);
}

/* The synopsis: on stdout for --help, on stderr with status 2 for bad usage. */
static void usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: pvctl status\n"
		"       pvctl set LIST|auto\n"
		"       pvctl watch [-n COUNT]\n"
		"       pvctl top [-n COUNT] [-d SECONDS]\n"
		"       pvctl prometheus [-o FILE]\n"
		"       pvctl hint [-p PORT]\n"
		"       pvctl --help\n");
	exit(status);
}

/* Read a small file into a static buffer; NULL with errno set on failure. */
static char *slurp(const char *path)
{
	static char buf[1 << 16];
	int ret = pv_read(path, buf, sizeof(buf));

	if (ret) {
		errno = -ret;
		return NULL;
	}
	return buf;
}

static void need_kernel(void)
{
	if (access(sysfs, F_OK))
		die("%s: not found: this kernel has no paravirt CPU support (CONFIG_PARAVIRT_CPUS)",
		    sysfs);
}

static void need_module(void)
{
	char path[256];

	need_kernel();
	snprintf(path, sizeof(path), "%s/override", dbg);
	if (!access(path, F_OK))
		return;
	if (errno == EACCES)
		die("cannot read %s: run as root", dbg);
	if (!access("/sys/module/pvsteal", F_OK))
		die("pvsteal is loaded but %s is missing: mount debugfs "
		    "(mount -t debugfs none /sys/kernel/debug)", dbg);
	die("the pvsteal module is not loaded (modprobe pvsteal, or insmod pvsteal.ko)");
}

static char *mask_now(void)
{
	char *m = slurp(sysfs);

	if (!m)
		die("reading %s: %s", sysfs, strerror(errno));
	return m;
}

/* Per-CPU lines of pvsteal's stats: steal last period, smoothed, marked. */
struct cpu_stat {
	int present, steal, marked;
	double smooth;
};

static int read_stats(struct cpu_stat *cs, char *mode, size_t mlen, long *changes)
{
	char path[256], *s, *line, *save;
	int n = 0;

	snprintf(path, sizeof(path), "%s/stats", dbg);
	s = slurp(path);
	if (!s)
		die("reading %s: %s", path, strerror(errno));
	for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int cpu, steal, marked;
		double smooth;

		if (sscanf(line, "cpu %d steal %d smooth %lf marked %d",
			   &cpu, &steal, &smooth, &marked) == 4 && cpu >= 0 && cpu < MAX_CPUS) {
			cs[cpu] = (struct cpu_stat){ 1, steal, marked, smooth };
			n = cpu + 1 > n ? cpu + 1 : n;
		} else if (!strncmp(line, "mode ", 5)) {
			snprintf(mode, mlen, "%s", line + 5);
		} else if (!strncmp(line, "changes ", 8)) {
			*changes = atol(line + 8);
		}
	}
	return n;
}

/* The line "KEY VALUE" of pvsteal's stats as "KEY: VALUE", if it has one. */
static void print_stats(const char *key)
{
	char path[256], *s, *line, *save;
	size_t len = strlen(key);

	snprintf(path, sizeof(path), "%s/stats", dbg);
	s = slurp(path);
	for (line = s ? strtok_r(s, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, key, len) && line[len] == ' ')
			printf("%s: %s\n", key, line + len + 1);
}

static int cmd_status(void)
{
	static struct cpu_stat cs[MAX_CPUS];
	char mode[32] = "?", *m;
	long changes = 0;
	int n;

	need_kernel();
	m = mask_now();
	printf("paravirt CPUs: %s\n", *m ? m : "(none)");
	if (access(dbg, F_OK)) {
		printf("pvsteal: not loaded\n");
		return 0;
	}
	need_module();
	n = read_stats(cs, mode, sizeof(mode), &changes);
	printf("mode: %s\n", mode);
	print_stats("law");
	print_stats("decides");
	print_stats("hint");
	printf("mask changes: %ld\n\n%5s %8s %10s %7s\n", changes,
	       "cpu", "steal%", "smoothed%", "marked");
	for (int c = 0; c < n; c++)
		if (cs[c].present)
			printf("%5d %8d %10.2f %7s\n", c, cs[c].steal, cs[c].smooth,
			       cs[c].marked ? "yes" : "no");
	return 0;
}

static int cmd_set(const char *arg)
{
	char path[256];
	int ret;

	need_module();
	snprintf(path, sizeof(path), "%s/override", dbg);
	ret = pv_write(path, arg);
	if (ret == -EINVAL)
		die("'%s' refused: want a CPU list such as 2-3 or 1,3,5-7 of possible CPUs, "
		    "leaving at least one active CPU unmarked, or 'auto'", arg);
	if (ret)
		die_write(path, ret, "the mask is unchanged");
	printf("paravirt CPUs: %s\n", *mask_now() ? mask_now() : "(none)");
	return 0;
}

static void stamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02d %02d:%02d:%02d.%03ld", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 ts.tv_nsec / 1000000);
}

/* poll() on the sysfs file: sysfs_notify() raises POLLPRI | POLLERR. */
static int cmd_watch(long count)
{
	char buf[8192], when[64];
	struct pollfd pfd;
	ssize_t n;

	need_kernel();
	pfd.fd = open(sysfs, O_RDONLY);
	if (pfd.fd < 0)
		die("opening %s: %s", sysfs, strerror(errno));
	pfd.events = POLLPRI | POLLERR;
	for (long seen = -1; count < 0 || seen < count; seen++) {
		if (seen >= 0 && poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll: %s", strerror(errno));
		}
		n = pread(pfd.fd, buf, sizeof(buf) - 1, 0);
		if (n < 0)
			die("reading %s: %s", sysfs, strerror(errno));
		buf[n] = '\0';
		if (n && buf[n - 1] == '\n')
			buf[n - 1] = '\0';
		stamp(when, sizeof(when));
		printf("%s %s\n", when, *buf ? buf : "(none)");
		fflush(stdout);
	}
	close(pfd.fd);
	return 0;
}

/* /proc/stat, or die. */
static int cpu_times(struct pv_cpu_time *t)
{
	int n = pv_cpu_times(t, MAX_CPUS);

	if (n < 0)
		die("reading /proc/stat: %s", strerror(-n));
	return n;
}

static int cmd_top(long count, double delay)
{
	static struct pv_cpu_time t0[MAX_CPUS], t1[MAX_CPUS];
	struct timespec ts = { (time_t)delay, (long)((delay - (time_t)delay) * 1e9) };
	int tty = isatty(STDOUT_FILENO), n;
	char when[64];

	need_kernel();
	cpu_times(t0);
	for (long i = 0; count < 0 || i < count; i++) {
		char *mask;

		nanosleep(&ts, NULL);
		n = cpu_times(t1);
		mask = mask_now();
		stamp(when, sizeof(when));
		if (tty)
			printf("\033[H\033[2J");
		printf("%s  paravirt: %s\n%5s %6s %7s %7s\n", when, *mask ? mask : "(none)",
		       "cpu", "busy%", "steal%", "marked");
		for (int c = 0; c < n; c++) {
			unsigned long long dt = t1[c].total - t0[c].total;
			unsigned long long idle = t1[c].idle - t0[c].idle;
			unsigned long long steal = t1[c].steal - t0[c].steal;

			if (!dt)
				continue;
			printf("%5d %6.1f %7.1f %7s\n", c, 100.0 * (dt - idle - steal) / dt,
			       100.0 * steal / dt, pv_in_list(mask, c) ? "yes" : "no");
		}
		fflush(stdout);
		memcpy(t0, t1, sizeof(t0));
	}
	return 0;
}

static int cmd_prometheus(void)
{
	static struct cpu_stat cs[MAX_CPUS];
	static struct pv_cpu_time t[MAX_CPUS];
	long hz = sysconf(_SC_CLK_TCK), changes = 0;
	char mode[32] = "", *mask;
	int n;

	need_kernel();
	mask = mask_now();
	n = cpu_times(t);
	printf("# HELP pvcpu_paravirt Whether the CPU is marked paravirt (1) or not (0).\n"
	       "# TYPE pvcpu_paravirt gauge\n");
	for (int c = 0; c < n; c++)
		if (t[c].total)
			printf("pvcpu_paravirt{cpu=\"%d\"} %d\n", c, pv_in_list(mask, c));
	printf("# HELP pvcpu_steal_seconds_total Steal time of the CPU.\n"
	       "# TYPE pvcpu_steal_seconds_total counter\n");
	for (int c = 0; c < n; c++)
		if (t[c].total)
			printf("pvcpu_steal_seconds_total{cpu=\"%d\"} %.2f\n", c,
			       (double)t[c].steal / hz);
	if (access(dbg, F_OK))
		return 0;
	need_module();
	n = read_stats(cs, mode, sizeof(mode), &changes);
	printf("# HELP pvsteal_steal_percent Steal in pvsteal's last period, percent.\n"
	       "# TYPE pvsteal_steal_percent gauge\n");
	for (int c = 0; c < n; c++)
		if (cs[c].present)
			printf("pvsteal_steal_percent{cpu=\"%d\"} %d\n", c, cs[c].steal);
	printf("# HELP pvsteal_mask_changes_total Mask changes made by pvsteal.\n"
	       "# TYPE pvsteal_mask_changes_total counter\n"
	       "pvsteal_mask_changes_total %ld\n"
	       "# HELP pvsteal_auto Whether pvsteal is in auto mode (1) or manual (0).\n"
	       "# TYPE pvsteal_auto gauge\n"
	       "pvsteal_auto %d\n", changes, !strcmp(mode, "auto"));
	return 0;
}

/*
 * The metrics into FILE, replaced at once: the textfile collector may read
 * it at any moment and must never see half of it.
 */
static int cmd_prometheus_file(const char *file)
{
	size_t len = strlen(file) + sizeof(".tmp");

	need_kernel();
	partial = malloc(len);
	if (!partial)
		die("out of memory");
	snprintf(partial, len, "%s.tmp", file);
	if (!freopen(partial, "w", stdout))
		die("creating %s: %s", partial, strerror(errno));
	cmd_prometheus();
	if (fflush(stdout) || fsync(STDOUT_FILENO) || ferror(stdout))
		die("writing %s: %s", partial, strerror(errno));
	if (rename(partial, file))
		die("renaming %s to %s: %s", partial, file, strerror(errno));
	return 0;
}

/* Runnable tasks now, from /proc/stat's procs_running, less the reader. */
static int runnable_now(void)
{
	char *s = slurp("/proc/stat"), *p;

	p = s ? strstr(s, "\nprocs_running ") : NULL;
	return p && atoi(p + 15) > 0 ? atoi(p + 15) - 1 : 0;
}

/* pvsteal's law is host: then the guest takes the hints, in auto mode. */
static int law_is_host(void)
{
	char path[256], *s;

	snprintf(path, sizeof(path), "%s/law", dbg);
	s = slurp(path);
	return s && !strcmp(s, "host");
}

static int auto_mode(void)
{
	char path[256], *s;

	snprintf(path, sizeof(path), "%s/mode", dbg);
	s = slurp(path);
	return s && !strcmp(s, "auto");
}

/*
 * One line from the host: "cap MCPU SEQ TTL" goes to pvsteal's capacity,
 * which checks it, and is answered with "demand RUNNABLE MASK": the mean
 * runnable tasks since the last answer and the mask now.
 */
static void hint_line(int fd, const char *line, double runnable)
{
	unsigned int mcpu, seq, ttl;
	char path[256], val[64], end, *mask;
	static time_t warned;
	int ret;

	snprintf(path, sizeof(path), "%s/capacity", dbg);
	if (sscanf(line, "cap %u %u %u%c", &mcpu, &seq, &ttl, &end) != 3 ||
	    strncmp(line, "cap ", 4)) {
		ret = -EINVAL;
	} else {
		snprintf(val, sizeof(val), "%u %u %u", mcpu, seq, ttl);
		ret = pv_write(path, val);
	}
	if (ret) {
		if (time(NULL) - warned >= 60) {
			fprintf(stderr, "pvctl: hint \"%.40s\" not taken: %s\n", line, strerror(-ret));
			warned = time(NULL);
		}
		return;
	}
	if (!law_is_host() || !auto_mode()) {
		if (time(NULL) - warned >= 60) {
			fprintf(stderr, "pvctl: pvsteal is not in auto mode with law=host: the hint is not used\n");
			warned = time(NULL);
		}
		return;
	}
	mask = mask_now();
	mask[strcspn(mask, "\n")] = '\0';
	dprintf(fd, "demand %d %s\n", (int)(runnable + 0.5), *mask ? mask : "-");
}

/*
 * Only the last complete line of what one read returns is acted on: a
 * backlog that queued while nobody read the port (the host writes every
 * period) holds older hints that the newest replaces.
 */
static int cmd_hint(const char *port)
{
	char path[256], buf[1 << 16], line[256], last[256];
	double sum = 0;
	size_t len = 0;
	int fd, n = 0;

	need_module();
	snprintf(path, sizeof(path), "%s/law", dbg);
	if (!law_is_host()) {
		int ret = pv_write(path, "host");

		if (ret)
			die_write(path, ret, "cannot switch pvsteal to law=host");
	}
	fd = open(port, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("opening %s: %s (is there a virtio-serial port %s?)", port, strerror(errno),
		    "org.pvcpu.hint.0");
	fprintf(stderr, "pvctl: taking the host's hints from %s\n", port);
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t got;

		/* Sample what is runnable every 100 ms between hints. */
		sum += runnable_now();
		n++;
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if (pfd.revents & POLLHUP && !(pfd.revents & POLLIN)) {
			/* No host end on the port (pvhostd restarting): wait for it. */
			sleep(1);
			continue;
		}
		got = read(fd, buf, sizeof(buf));
		if (got < 0 && errno != EAGAIN && errno != EINTR)
			die("reading %s: %s", port, strerror(errno));
		last[0] = '\0';
		for (ssize_t i = 0; i < got; i++) {
			if (buf[i] != '\n') {
				if (len < sizeof(line) - 1)
					line[len++] = buf[i];
				else
					len = sizeof(line);	/* too long: dropped */
				continue;
			}
			if (len < sizeof(line)) {
				line[len] = '\0';
				memcpy(last, line, len + 1);
			}
			len = 0;
		}
		if (last[0]) {
			hint_line(fd, last, sum / n);
			sum = 0;
			n = 0;
		}
	}
	return 0;
}

static long number(const char *s, long max)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < 1 || v > max)
		usage(2);
	return v;
}

/* A number of seconds, tenths at least, as top -d takes it; else usage. */
static double seconds(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (!*s || *end || !(v >= 0.1 && v <= 3600))
		usage(2);
	return v;
}

int main(int argc, char **argv)
{
	const char *cmd, *out = NULL, *port = "/dev/virtio-ports/org.pvcpu.hint.0";
	long count = -1;
	double delay = 1;
	int opt, have_delay = 0;

	if (argc < 2)
		usage(2);
	cmd = argv[1];
	if (argc == 2 && (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")))
		usage(0);
	/* Test hook: point the tool at fake files. */
	if (getenv("PVCTL_SYSFS"))
		sysfs = getenv("PVCTL_SYSFS");
	if (getenv("PVCTL_DEBUGFS"))
		dbg = getenv("PVCTL_DEBUGFS");
	if (getenv("PVCTL_LOCKDOWN"))
		lockdown = getenv("PVCTL_LOCKDOWN");
	optind = 2;
	while ((opt = getopt(argc, argv, "n:d:o:p:")) != -1) {
		switch (opt) {
		case 'n': count = number(optarg, 1000000000); break;
		case 'd': delay = seconds(optarg), have_delay = 1; break;
		case 'o': out = optarg; break;
		case 'p': port = optarg; break;
		default: usage(2);
		}
	}
	/* Each option belongs to one command. */
	if ((out && strcmp(cmd, "prometheus")) ||
	    (strcmp(port, "/dev/virtio-ports/org.pvcpu.hint.0") && strcmp(cmd, "hint")) ||
	    (count >= 0 && strcmp(cmd, "watch") && strcmp(cmd, "top")) ||
	    (have_delay && strcmp(cmd, "top")))
		usage(2);
	if (!strcmp(cmd, "status") && optind == argc)
		return cmd_status();
	if (!strcmp(cmd, "set") && optind == argc - 1)
		return cmd_set(argv[optind]);
	if (!strcmp(cmd, "watch") && optind == argc)
		return cmd_watch(count);
	if (!strcmp(cmd, "top") && optind == argc)
		return cmd_top(count, delay);
	if (!strcmp(cmd, "prometheus") && optind == argc)
		return out ? cmd_prometheus_file(out) : cmd_prometheus();
	if (!strcmp(cmd, "hint") && optind == argc)
		return cmd_hint(port);
	usage(2);
}
