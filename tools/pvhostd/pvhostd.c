// SPDX-License-Identifier: GPL-2.0
/*
 * pvhostd: the host's coordinator. Every period it finds the QEMU guests
 * on this host and their vCPU threads, reads what each thread ran and
 * waited (/proc/PID/task/TID/schedstat), water-fills the host's CPUs among
 * the guests (coord.c) and sends each guest that takes hints its share,
 * "cap MCPU SEQ TTL", on its virtio-serial port org.pvcpu.hint.0. A guest
 * takes hints once it answers "demand RUNNABLE MASK" (pvctl hint, in the
 * guest, does); until then it counts as a guest that does not fold.
 *
 *   pvhostd [-i PERIOD_MS] [-t TTL] [-c CPUS] [-s thread|vm] [-g PID[=PORT]]...
 *           [-Q PID=QMP_SOCKET]... [-S STATE] [-n PERIODS] [-q]
 *   pvhostd status [-S STATE]
 *   pvhostd prometheus [-S STATE]
 *
 * Guests: processes whose name starts with "qemu" and that have "CPU n/"
 * threads (QEMU names them so with -name ...,debug-threads=on, and libvirt
 * always does), or only the processes of -g and -Q; a QEMU given with -Q
 * need not name its threads: its monitor lists them (query-cpus-fast).
 * The port: -g's PORT, else the
 * chardev behind QEMU's virtserialport named org.pvcpu.hint.0: a unix
 * socket (path=, or a descriptor libvirt passed, fd=) or a pipe (path=,
 * PATH.in and PATH.out).
 *
 * The host's CPUs for guests are the CPUs pvhostd may run on (run it with
 * the guests' affinity), or -c CPUS of them; what other threads use on
 * them is not shared out.
 *
 * Every change of a cap and every fault is one line on standard error. The
 * state file (STATE, default /run/pvhostd/state) is rewritten each period;
 * "status" prints it, "prometheus" prints it as metrics.
 *
 * Exit status: 0, 1 for a failure (with a message), 2 for bad usage.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "coord.h"
#include "pvcpu.h"

#define PORT_NAME	"org.pvcpu.hint.0"
#define MAX_VCPUS	1024
/* A guest may send this much per period; the rest is read and dropped. */
#define MAX_IN		4096
#define MAX_LINE	256
/* Fault lines about one guest: at most one per this many seconds. */
#define LOG_EVERY_S	60

struct guest {
	pid_t pid;
	unsigned long long start;	/* the process's start time: pids are reused */
	char name[64];
	char port[256];			/* socket path or pipe base, "" for none */
	const char *qmp;		/* QMP socket that names the vCPU threads, or NULL */
	int pipe;			/* port is PATH.in / PATH.out */
	int wfd, rfd;			/* -1 while closed */
	pid_t tid[MAX_VCPUS];
	int nvcpus;
	uint64_t run[MAX_VCPUS], wait[MAX_VCPUS];
	int fresh;			/* no baseline yet */
	unsigned int answered;		/* periods since the last demand line */
	char in[MAX_LINE];
	size_t inlen;
	time_t logged;			/* last fault line */
	struct pvc_guest c;
	int seen;
};

static struct guest *guests[PVC_MAX_GUESTS];
static unsigned int nguests;
static struct {
	const char *pid, *port, *qmp;
} given[PVC_MAX_GUESTS];
static unsigned int ngiven;
static unsigned int period_ms = 1000, ttl = 5, quiet;
static int per_vm = -1;		/* -1: find out */
static double host_cpus;
static const char *state_path = "/run/pvhostd/state";
static volatile sig_atomic_t stop;

static void vsay(const char *fmt, va_list ap)
{
	fprintf(stderr, "pvhostd: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
}

static void __attribute__((noreturn)) die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
	exit(1);
}

/* A fault of @g: logged at most once a minute. */
static void fault(struct guest *g, const char *fmt, ...)
{
	time_t now = time(NULL);
	va_list ap;

	if (now - g->logged < LOG_EVERY_S && g->logged)
		return;
	g->logged = now;
	fprintf(stderr, "pvhostd: %s (pid %d): ", g->name, (int)g->pid);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: pvhostd [-i PERIOD_MS] [-t TTL] [-c CPUS] [-s thread|vm] [-g PID[=PORT]]...\n"
		"               [-Q PID=QMP_SOCKET]... [-S STATE] [-n PERIODS] [-q]\n"
		"       pvhostd status [-S STATE]\n"
		"       pvhostd prometheus [-S STATE]\n");
	exit(status);
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* A /proc file into @buf, NUL-terminated (NULs inside kept); its length or -1. */
static ssize_t slurp(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n, got = 0;

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf + got, len - 1 - got)) > 0 && (size_t)(got += n) < len - 1)
		;
	close(fd);
	buf[got] = '\0';
	return got;
}

/* Field 22 of /proc/PID/stat, the start time; 0 when gone. */
static unsigned long long start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long t = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (slurp(path, buf, sizeof(buf)) <= 0 || !(p = strrchr(buf, ')')))
		return 0;
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
		   &t) != 1)
		return 0;
	return t;
}

/*
 * The value of @key in one QEMU option, "a=1,key=v,..." or JSON
 * {"key":"v",...} as libvirt writes -device; 0 if found.
 */
static int opt_value(const char *arg, const char *key, char *out, size_t len)
{
	char pat[64];
	const char *p;
	size_t n;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(arg, pat);
	if (p) {
		p += strlen(pat);
		if (*p == '"')
			p++;
		n = strcspn(p, "\",}");
	} else {
		size_t klen = strlen(key);

		for (p = arg; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
			if (!strncmp(p, key, klen) && p[klen] == '=')
				break;
		if (!p)
			return -1;
		p += klen + 1;
		n = strcspn(p, ",");
	}
	if (n >= len)
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

/* The path bound to socket inode @ino, from /proc/net/unix. */
static int unix_path(unsigned long ino, char *out, size_t len)
{
	char line[512], path[256];
	unsigned long i;
	FILE *f = fopen("/proc/net/unix", "r");
	int ret = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %*s %*s %*s %*s %*s %lu %255s", &i, path) == 2 && i == ino &&
		    strlen(path) < len) {
			strcpy(out, path);
			ret = 0;
			break;
		}
	fclose(f);
	return ret;
}

/*
 * The guest's name (-name guest=NAME or -name NAME) and the chardev of its
 * virtserialport PORT_NAME, from QEMU's command line.
 */
static void parse_cmdline(struct guest *g)
{
	char path[64], buf[65536], dev[64] = "", id[64], val[256], *a, *end;
	ssize_t len;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)g->pid);
	len = slurp(path, buf, sizeof(buf));
	if (len <= 0)
		return;
	end = buf + len;
	for (a = buf; a < end; a += strlen(a) + 1) {
		char *v = a + strlen(a) + 1;

		if (v >= end)
			break;
		if (!strcmp(a, "-name")) {
			if (opt_value(v, "guest", val, sizeof(val)))
				snprintf(val, sizeof(val), "%.*s", (int)strcspn(v, ","), v);
			snprintf(g->name, sizeof(g->name), "%.63s", val);
		} else if (!strcmp(a, "-device") && strstr(v, "virtserialport") &&
			   !opt_value(v, "name", val, sizeof(val)) && !strcmp(val, PORT_NAME)) {
			opt_value(v, "chardev", dev, sizeof(dev));
		}
	}
	if (!*dev)
		return;
	for (a = buf; a < end; a += strlen(a) + 1) {
		char *v = a + strlen(a) + 1;

		if (v >= end || strcmp(a, "-chardev") || opt_value(v, "id", id, sizeof(id)) ||
		    strcmp(id, dev))
			continue;
		g->pipe = !strncmp(v, "pipe,", 5);
		if (!opt_value(v, "path", val, sizeof(val))) {
			snprintf(g->port, sizeof(g->port), "%s", val);
		} else if (!strncmp(v, "socket,", 7) && !opt_value(v, "fd", val, sizeof(val))) {
			char fdpath[96], link[128];
			unsigned long ino;
			ssize_t n;

			snprintf(fdpath, sizeof(fdpath), "/proc/%d/fd/%.16s", (int)g->pid, val);
			n = readlink(fdpath, link, sizeof(link) - 1);
			if (n > 0) {
				link[n] = '\0';
				if (sscanf(link, "socket:[%lu]", &ino) == 1)
					unix_path(ino, g->port, sizeof(g->port));
			}
		}
		if (!*g->port)
			fault(g, "port %s: chardev %s is neither a unix socket nor a pipe with a path",
			      PORT_NAME, dev);
	}
}

static void close_port(struct guest *g)
{
	if (g->wfd >= 0)
		close(g->wfd);
	if (g->rfd >= 0 && g->rfd != g->wfd)
		close(g->rfd);
	g->wfd = g->rfd = -1;
	g->inlen = 0;
}

/* Connect the port, non-blocking: a guest that does not read never stalls us. */
static void open_port(struct guest *g)
{
	char path[300];

	if (!*g->port || g->wfd >= 0)
		return;
	if (g->pipe) {
		snprintf(path, sizeof(path), "%s.in", g->port);
		g->wfd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		snprintf(path, sizeof(path), "%s.out", g->port);
		g->rfd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	} else {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		if (strlen(g->port) >= sizeof(sa.sun_path)) {
			errno = ENAMETOOLONG;
			close(fd);
			fd = -1;
		} else {
			memcpy(sa.sun_path, g->port, strlen(g->port) + 1);
		}
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			close(fd);
			fd = -1;
		}
		g->wfd = g->rfd = fd;
	}
	if (g->wfd < 0 || g->rfd < 0) {
		fault(g, "cannot open port %s: %s", g->port, strerror(errno));
		close_port(g);
	} else {
		say("%s (pid %d): port %s open", g->name, (int)g->pid, g->port);
	}
}

static struct guest *add_guest(pid_t pid, const char *port, const char *qmp)
{
	struct guest *g;
	char path[64];

	if (nguests == PVC_MAX_GUESTS)
		return NULL;
	g = calloc(1, sizeof(*g));
	if (!g)
		die("out of memory");
	g->pid = pid;
	g->start = start_time(pid);
	g->wfd = g->rfd = -1;
	g->fresh = 1;
	g->qmp = qmp;
	/* Its -name, else its command name, without blanks: the state file splits on them. */
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if (slurp(path, g->name, sizeof(g->name)) <= 0)
		snprintf(g->name, sizeof(g->name), "guest");
	parse_cmdline(g);
	for (char *c = g->name; *c; c++)
		if (*c <= ' ')
			*c = *c == '\n' && !c[1] ? '\0' : '_';
	if (port) {
		struct stat st;

		snprintf(g->port, sizeof(g->port), "%s", port);
		g->pipe = stat(port, &st) || !S_ISSOCK(st.st_mode);
	}
	g->answered = ~0U;
	guests[nguests++] = g;
	say("%s (pid %d): new guest, port %s", g->name, (int)pid, *g->port ? g->port : "none");
	return g;
}

static void drop_guest(unsigned int i, const char *why)
{
	struct guest *g = guests[i];

	say("%s (pid %d): %s", g->name, (int)g->pid, why);
	close_port(g);
	free(g);
	guests[i] = guests[--nguests];
}

static struct guest *find_guest(pid_t pid)
{
	for (unsigned int i = 0; i < nguests; i++)
		if (guests[i]->pid == pid)
			return guests[i];
	return NULL;
}

/* QEMU processes, and the processes of -g. */
static void discover(void)
{
	struct dirent *de;
	DIR *d = opendir("/proc");

	if (!d)
		die("cannot read /proc: %s", strerror(errno));
	for (unsigned int i = 0; i < nguests; i++)
		guests[i]->seen = 0;
	for (unsigned int i = 0; i < ngiven; i++) {
		pid_t pid = atoi(given[i].pid);
		struct guest *g = find_guest(pid);

		if (!g && start_time(pid))
			g = add_guest(pid, given[i].port, given[i].qmp);
		if (g)
			g->seen = 1;
	}
	while ((de = readdir(d))) {
		char path[300], comm[64];
		pid_t pid = atoi(de->d_name);
		struct guest *g;

		if (pid <= 0)
			continue;
		g = find_guest(pid);
		if (g) {
			g->seen = g->seen || start_time(pid) == g->start;
			continue;
		}
		if (ngiven)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
		if (slurp(path, comm, sizeof(comm)) <= 0 || strncmp(comm, "qemu", 4))
			continue;
		g = add_guest(pid, NULL, NULL);
		if (g)
			g->seen = 1;
	}
	closedir(d);
	for (unsigned int i = nguests; i-- > 0;)
		if (!guests[i]->seen || start_time(guests[i]->pid) != guests[i]->start)
			drop_guest(i, "gone");
}

/* Read from @fd until @want appears in @buf or 2 s pass; 0 if it did. */
static int qmp_wait(int fd, char *buf, size_t len, const char *want)
{
	size_t got = 0;

	buf[0] = '\0';
	for (int i = 0; i < 200 && !strstr(buf, want); i++) {
		ssize_t n = read(fd, buf + got, len - 1 - got);

		if (n > 0) {
			got += n;
			buf[got] = '\0';
		} else if (n == 0 || (errno != EAGAIN && errno != EINTR) || got == len - 1) {
			return -1;
		} else {
			usleep(10000);
		}
	}
	return strstr(buf, want) ? 0 : -1;
}

/*
 * The vCPU threads of a QEMU that does not name them, from its monitor:
 * query-cpus-fast lists {"cpu-index": N, ..., "thread-id": TID} per vCPU.
 * Returns the highest cpu-index + 1, or -1.
 */
static int qmp_vcpus(struct guest *g, pid_t *tid, int max)
{
	static const char caps[] = "{\"execute\":\"qmp_capabilities\"}\n";
	static const char query[] = "{\"execute\":\"query-cpus-fast\"}\n";
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	static char buf[1 << 17];
	int fd, n = -1;
	char *p;

	if (strlen(g->qmp) >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, g->qmp, strlen(g->qmp) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    qmp_wait(fd, buf, sizeof(buf), "\"QMP\"") ||
	    write(fd, caps, sizeof(caps) - 1) != sizeof(caps) - 1 ||
	    qmp_wait(fd, buf, sizeof(buf), "\"return\"") ||
	    write(fd, query, sizeof(query) - 1) != sizeof(query) - 1 ||
	    qmp_wait(fd, buf, sizeof(buf), "\"return\""))
		goto out;
	for (int i = 0; i < max; i++)
		tid[i] = -1;
	n = 0;
	for (p = strstr(buf, "\"return\""); p && (p = strstr(p, "\"cpu-index\"")); p++) {
		char *t = strstr(p, "\"thread-id\""), *next = strstr(p + 1, "\"cpu-index\"");
		int cpu = atoi(p + 12 + strspn(p + 12, ": "));

		if (!t || (next && t > next) || cpu < 0 || cpu >= max)
			continue;
		tid[cpu] = atoi(t + 12 + strspn(t + 12, ": "));
		if (cpu + 1 > n)
			n = cpu + 1;
	}
out:
	if (n < 0)
		fault(g, "QMP %s: no answer to query-cpus-fast", g->qmp);
	if (fd >= 0)
		close(fd);
	return n;
}

/* This period's run and wait of the guest's vCPU threads, in millicpus. */
static int measure(struct guest *g, uint64_t elapsed_ns)
{
	uint64_t run = 0, wait = 0;
	int n = g->nvcpus, vcpus = 0;

	/* Named threads are looked up every period; the monitor is asked once. */
	if (!g->qmp)
		n = pv_qemu_vcpus(g->pid, g->tid, MAX_VCPUS);
	else if (!n)
		n = qmp_vcpus(g, g->tid, MAX_VCPUS);
	if (n < 0)
		return n;
	for (int c = 0; c < n; c++) {
		uint64_t r, w;

		if (g->tid[c] < 0 || pv_schedstat(g->pid, g->tid[c], &r, &w))
			continue;
		vcpus++;
		if (!g->fresh && c < g->nvcpus && r >= g->run[c] && w >= g->wait[c]) {
			run += r - g->run[c];
			wait += w - g->wait[c];
		}
		g->run[c] = r;
		g->wait[c] = w;
	}
	if (!vcpus)
		return -ENOENT;
	if ((unsigned int)vcpus != g->c.vcpus) {
		if (g->c.vcpus)
			say("%s (pid %d): %d vCPUs, was %u", g->name, (int)g->pid, vcpus, g->c.vcpus);
		pvc_guest_init(&g->c, vcpus);
		g->fresh = 1;
	}
	g->nvcpus = n;
	g->c.used = g->fresh ? 0 : (unsigned int)(run * 1000 / elapsed_ns);
	g->c.waited = g->fresh ? 0 : (unsigned int)(wait * 1000 / elapsed_ns);
	g->fresh = 0;
	return 0;
}

/* cpu.weight of the guest's cgroup (cgroup v2), or 0 if it has none. */
static unsigned int cgroup_weight(const struct guest *g, char *cg, size_t len)
{
	char path[600], buf[600];
	unsigned int w = 0;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)g->pid);
	if (slurp(path, buf, sizeof(buf)) <= 0 || strncmp(buf, "0::", 3))
		return 0;
	buf[strcspn(buf, "\n")] = '\0';
	snprintf(cg, len, "%.400s", buf + 3);
	snprintf(path, sizeof(path), "/sys/fs/cgroup%.400s/cpu.weight", cg);
	if (slurp(path, buf, sizeof(buf)) > 0)
		w = (unsigned int)atoi(buf);
	return w;
}

/*
 * Whether the host shares per VM: every guest in a cgroup of its own that
 * has cpu.weight. Their weights go to the coordinator.
 */
static int shares_per_vm(void)
{
	static char cg[PVC_MAX_GUESTS][512];
	int all = nguests > 0;

	for (unsigned int i = 0; i < nguests; i++) {
		struct guest *g = guests[i];

		g->c.weight = cgroup_weight(g, cg[i], sizeof(cg[i]));
		if (!g->c.weight)
			all = 0;
		for (unsigned int j = 0; j < i; j++)
			if (!strcmp(cg[i], cg[j]))
				all = 0;
	}
	return per_vm >= 0 ? per_vm : all;
}

/* Lines from the guest: "demand RUNNABLE MASK". */
static void read_port(struct guest *g)
{
	char buf[MAX_IN];
	size_t total = 0;
	ssize_t n;

	g->c.runnable = -1;
	if (g->rfd < 0)
		return;
	while ((n = read(g->rfd, buf, sizeof(buf))) > 0) {
		total += n;
		if (total > 16 * MAX_IN)
			break;
		for (ssize_t i = 0; i < n && total <= MAX_IN; i++) {
			unsigned int r;

			if (buf[i] != '\n') {
				if (g->inlen < MAX_LINE - 1)
					g->in[g->inlen++] = buf[i];
				else
					g->inlen = MAX_LINE;	/* too long: bad */
				continue;
			}
			g->in[g->inlen < MAX_LINE ? g->inlen : MAX_LINE - 1] = '\0';
			if (g->inlen < MAX_LINE && !pvc_parse_demand(g->in, &r)) {
				g->c.runnable = (int)r;
				if (g->answered == ~0U)
					say("%s (pid %d): takes hints", g->name, (int)g->pid);
				g->answered = 0;
			} else {
				fault(g, "bad line from the guest ignored: \"%.40s\"", g->in);
			}
			g->inlen = 0;
		}
	}
	if (total > MAX_IN)
		fault(g, "sent %zu bytes in a period, more than %d: the rest is dropped", total,
		      MAX_IN);
	if (n == 0 && !g->pipe) {
		fault(g, "port closed by QEMU");
		close_port(g);
	}
}

static void send_cap(struct guest *g, unsigned int seq)
{
	char msg[64];
	int len = snprintf(msg, sizeof(msg), "cap %u %u %u\n", g->c.cap, seq, ttl);

	if (g->wfd < 0)
		return;
	if (write(g->wfd, msg, len) != len) {
		if (errno == EAGAIN) {
			fault(g, "the guest does not read its port: hint dropped");
			return;
		}
		fault(g, "port write failed: %s", strerror(errno));
		close_port(g);
	}
}

/*
 * Busy milliseconds (all but idle and iowait) since boot of the CPUs the
 * guests run on: the CPUs pvhostd may run on.
 */
static uint64_t host_busy_ms(void)
{
	static char buf[1 << 18];
	unsigned long long busy = 0;
	long hz = sysconf(_SC_CLK_TCK);
	cpu_set_t set;
	char *line;

	if (sched_getaffinity(0, sizeof(set), &set))
		die("sched_getaffinity: %s", strerror(errno));
	if (slurp("/proc/stat", buf, sizeof(buf)) <= 0)
		die("cannot read /proc/stat");
	for (line = buf; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		unsigned long long v[8];
		int cpu;

		if (sscanf(line, "cpu%d %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &v[0],
			   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) == 9 &&
		    cpu >= 0 && cpu < CPU_SETSIZE && CPU_ISSET(cpu, &set))
			busy += v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
	}
	return busy * 1000 / (hz > 0 ? hz : 100);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void write_state(const struct pvc_host *h, unsigned int seq)
{
	char tmp[512];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", state_path);
	f = fopen(tmp, "w");
	if (!f)
		die("cannot write %s: %s", tmp, strerror(errno));
	fprintf(f, "host mcpu %u shares %s contended %d holdback %d seq %u period_ms %u\n",
		h->mcpu, h->per_vm ? "vm" : "thread", h->contended, h->holdback, seq, period_ms);
	for (unsigned int i = 0; i < nguests; i++) {
		const struct guest *g = guests[i];

		fprintf(f, "guest %d %s vcpus %u weight %u used %u waited %u want %u fill %u cap %u changes %u hints %d port %s\n",
			(int)g->pid, g->name, g->c.vcpus, g->c.weight, g->c.used, g->c.waited,
			g->c.want, g->c.fill, g->c.cap, g->c.changes, g->c.cooperates,
			g->wfd >= 0 ? "open" : *g->port ? "closed" : "none");
	}
	if (fclose(f) || rename(tmp, state_path))
		die("cannot write %s: %s", state_path, strerror(errno));
}

static void period(unsigned int seq, uint64_t elapsed_ns, uint64_t busy_ms)
{
	struct pvc_guest c[PVC_MAX_GUESTS];
	struct pvc_host h = { 0 };
	uint64_t used = 0, other;

	discover();
	for (unsigned int i = nguests; i-- > 0;) {
		struct guest *g = guests[i];

		if (measure(g, elapsed_ns)) {
			if (!g->c.vcpus)
				drop_guest(i, "has no vCPU threads: not a guest");
			else
				drop_guest(i, "vCPU threads gone");
		}
	}
	for (unsigned int i = 0; i < nguests; i++) {
		struct guest *g = guests[i];

		open_port(g);
		read_port(g);
		if (g->answered != ~0U && g->answered++ >= ttl) {
			say("%s (pid %d): no answer for %u periods: counted as not folding",
			    g->name, (int)g->pid, ttl);
			g->answered = ~0U;
		}
		g->c.cooperates = g->answered != ~0U && g->wfd >= 0;
		used += g->c.used;
		c[i] = g->c;
	}
	/* What other threads used (millicpus) is not the guests' to share. */
	other = busy_ms * 1000000000 / elapsed_ns;
	other = other > used ? other - used : 0;
	h.mcpu = (unsigned int)(host_cpus * 1000);
	h.mcpu = other < h.mcpu ? h.mcpu - (unsigned int)other : 0;
	h.per_vm = shares_per_vm();
	for (unsigned int i = 0; i < nguests; i++)
		c[i].weight = guests[i]->c.weight;
	pvc_step(&h, c, nguests);
	for (unsigned int i = 0; i < nguests; i++) {
		struct guest *g = guests[i];

		if (c[i].cap != g->c.cap && c[i].cooperates && !quiet)
			say("%s (pid %d): cap %u -> %u (want %u, fill %u, used %u, waited %u%s)",
			    g->name, (int)g->pid, g->c.cap, c[i].cap, c[i].want, c[i].fill,
			    c[i].used, c[i].waited, h.holdback ? ", held back" : "");
		g->c = c[i];
		if (g->c.cooperates || g->answered == ~0U)
			send_cap(g, seq);
	}
	write_state(&h, seq);
}

static int run(unsigned int periods)
{
	uint64_t t_last = now_ns(), busy_last = host_busy_ms();
	char dir[512], *slash;

	snprintf(dir, sizeof(dir), "%s", state_path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST)
			die("cannot create %s: %s", dir, strerror(errno));
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	say("period %u ms, TTL %u periods, %.2f CPUs, shares %s", period_ms, ttl, host_cpus,
	    per_vm < 0 ? "found per period" : per_vm ? "per VM" : "per thread");
	for (unsigned int seq = 1; !stop && (!periods || seq <= periods); seq++) {
		uint64_t t, busy;

		usleep(period_ms * 1000);
		t = now_ns();
		busy = host_busy_ms();
		period(seq, t - t_last > 0 ? t - t_last : 1, busy - busy_last);
		t_last = t;
		busy_last = busy;
	}
	for (unsigned int i = nguests; i-- > 0;)
		drop_guest(i, "pvhostd stops: the guest's own law takes over after the TTL");
	return 0;
}

/* The state file as a table, or as Prometheus metrics. */
static int show(int prometheus)
{
	static const struct {
		const char *name, *type, *help;
		int field;
	} metrics[] = {
		{ "cap_mcpu", "gauge", "The share of the host the guest is told, millicpus.", 6 },
		{ "used_mcpu", "gauge", "What its vCPU threads ran last period, millicpus.", 2 },
		{ "waited_mcpu", "gauge", "What they waited to run last period, millicpus.", 3 },
		{ "want_mcpu", "gauge", "What the coordinator takes it to want, millicpus.", 4 },
		{ "cap_changes_total", "counter", "Changes of its cap.", 7 },
		{ "takes_hints", "gauge", "Whether it answers the hints (1) or not (0).", 8 },
	};
	static struct {
		int pid;
		char name[128];
		unsigned int v[11];
		char port[16];
	} g[PVC_MAX_GUESTS];
	unsigned int mcpu = 0, contended = 0, holdback = 0, ng = 0;
	char line[1024], shares[16] = "?";
	FILE *f = fopen(state_path, "r");

	if (!f)
		die("cannot read %s: %s (is pvhostd running?)", state_path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "host ", 5)) {
			sscanf(line, "host mcpu %u shares %15s contended %u holdback %u", &mcpu, shares,
			       &contended, &holdback);
		} else if (ng < PVC_MAX_GUESTS &&
			   sscanf(line, "guest %d %127s vcpus %u weight %u used %u waited %u want %u fill %u cap %u changes %u hints %u port %15s",
				  &g[ng].pid, g[ng].name, &g[ng].v[0], &g[ng].v[1], &g[ng].v[2],
				  &g[ng].v[3], &g[ng].v[4], &g[ng].v[5], &g[ng].v[6], &g[ng].v[7],
				  &g[ng].v[8], g[ng].port) == 12) {
			ng++;
		}
	}
	fclose(f);
	if (!prometheus) {
		printf("# host: %u millicpus for guests, shares per %s%s%s\n", mcpu, shares,
		       contended ? ", contended" : "", holdback ? ", held back" : "");
		printf("%-8s %-20s %5s %6s %7s %7s %7s %7s %7s %5s %s\n", "pid", "guest", "vcpus",
		       "weight", "used", "waited", "want", "cap", "changes", "hints", "port");
		for (unsigned int i = 0; i < ng; i++)
			printf("%-8d %-20s %5u %6u %7u %7u %7u %7u %7u %5u %s\n", g[i].pid, g[i].name,
			       g[i].v[0], g[i].v[1], g[i].v[2], g[i].v[3], g[i].v[4], g[i].v[6],
			       g[i].v[7], g[i].v[8], g[i].port);
		return 0;
	}
	printf("# HELP pvhostd_host_mcpu The host's CPUs for guests, millicpus.\n"
	       "# TYPE pvhostd_host_mcpu gauge\npvhostd_host_mcpu %u\n"
	       "# HELP pvhostd_contended Whether the guests want more than the host has.\n"
	       "# TYPE pvhostd_contended gauge\npvhostd_contended %u\n"
	       "# HELP pvhostd_holdback Whether a guest that does not fold stops the others folding.\n"
	       "# TYPE pvhostd_holdback gauge\npvhostd_holdback %u\n", mcpu, contended, holdback);
	for (unsigned int m = 0; m < sizeof(metrics) / sizeof(metrics[0]); m++) {
		printf("# HELP pvhostd_guest_%s %s\n# TYPE pvhostd_guest_%s %s\n", metrics[m].name,
		       metrics[m].help, metrics[m].name, metrics[m].type);
		for (unsigned int i = 0; i < ng; i++)
			printf("pvhostd_guest_%s{pid=\"%d\",guest=\"%s\"} %u\n", metrics[m].name,
			       g[i].pid, g[i].name, g[i].v[metrics[m].field]);
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int periods = 0;
	const char *cmd = NULL;
	char *end;
	int opt;

	if (argc > 1 && (!strcmp(argv[1], "status") || !strcmp(argv[1], "prometheus"))) {
		cmd = argv[1];
		argv++;
		argc--;
	}
	if (argc > 1 && !strcmp(argv[1], "--help"))
		usage(0);
	while ((opt = getopt(argc, argv, "i:t:c:s:g:Q:S:n:q")) != -1) {
		unsigned long v = 0;

		if (cmd && opt != 'S')
			usage(2);
		if (strchr("itn", opt)) {
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || !*optarg || optarg[0] == '-')
				die("-%c wants a number, got '%s'", opt, optarg);
		}
		switch (opt) {
		case 'i':
			if (v < 100 || v > 60000)
				die("-i wants a period of 100-60000 ms, got '%s'", optarg);
			period_ms = v;
			break;
		case 't':
			if (v < 2 || v > PVC_TTL_MAX)
				die("-t wants a TTL of 2-%d periods, got '%s'", PVC_TTL_MAX, optarg);
			ttl = v;
			break;
		case 'n':
			periods = v;
			break;
		case 'c':
			host_cpus = strtod(optarg, &end);
			if (*end || host_cpus < 1 || host_cpus > PVC_MCPU_MAX / 1000)
				die("-c wants the host's CPUs for guests, 1-%d, got '%s'",
				    PVC_MCPU_MAX / 1000, optarg);
			break;
		case 's':
			if (strcmp(optarg, "thread") && strcmp(optarg, "vm"))
				die("-s wants thread or vm, got '%s'", optarg);
			per_vm = !strcmp(optarg, "vm");
			break;
		case 'g': {
			char *eq = strchr(optarg, '=');

			if (ngiven == PVC_MAX_GUESTS)
				die("at most %d guests", PVC_MAX_GUESTS);
			if (!*optarg || (eq && (eq == optarg || !eq[1])) ||
			    strspn(optarg, "0123456789") != (eq ? (size_t)(eq - optarg) : strlen(optarg)))
				die("-g wants PID or PID=PORT, got '%s'", optarg);
			if (eq)
				*eq = '\0';
			given[ngiven].pid = optarg;
			given[ngiven++].port = eq ? eq + 1 : NULL;
			break;
		}
		case 'Q': {
			char *eq = strchr(optarg, '=');

			if (ngiven == PVC_MAX_GUESTS)
				die("at most %d guests", PVC_MAX_GUESTS);
			if (!eq || eq == optarg || !eq[1] ||
			    strspn(optarg, "0123456789") != (size_t)(eq - optarg))
				die("-Q wants PID=QMP_SOCKET, got '%s'", optarg);
			*eq = '\0';
			given[ngiven].pid = optarg;
			given[ngiven].port = NULL;
			given[ngiven++].qmp = eq + 1;
			break;
		}
		case 'S':
			state_path = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	if (cmd)
		return show(!strcmp(cmd, "prometheus"));
	if (!host_cpus) {
		cpu_set_t set;

		if (sched_getaffinity(0, sizeof(set), &set))
			die("sched_getaffinity: %s", strerror(errno));
		host_cpus = CPU_COUNT(&set);
	}
	return run(periods);
}
