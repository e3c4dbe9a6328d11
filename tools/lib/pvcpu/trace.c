// SPDX-License-Identifier: GPL-2.0
/* libpvcpu: recording scheduler tracepoints and reading them back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvcpu.h"

/* 0 if @events ("sched/sched_wakeup", ...) are enabled, else -1. */
int pv_trace_enabled(const char *const *events, int n)
{
	char path[160], buf[8];

	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), PV_TRACE "events/%s/enable", events[i]);
		if (pv_read(path, buf, sizeof(buf)) || strcmp(buf, "1"))
			return -1;
	}
	return 0;
}

/* Empty the buffer and record. 0, or -1. */
int pv_trace_start(void)
{
	if (pv_write(PV_TRACE "tracing_on", "0") ||
	    pv_write(PV_TRACE "trace_clock", "mono") ||
	    pv_write(PV_TRACE "buffer_size_kb", "4096") ||
	    pv_write(PV_TRACE "trace", "") ||
	    pv_write(PV_TRACE "tracing_on", "1"))
		return -1;
	return 0;
}

void pv_trace_stop(void)
{
	pv_write(PV_TRACE "tracing_on", "0");
}

/* The number after @key in @line, or -1: "pid=" in an event line. */
int pv_event_field(const char *line, const char *key)
{
	const char *p = strstr(line, key);

	return p ? atoi(p + strlen(key)) : -1;
}

/*
 * Call @fn for every event in the trace buffer; stops early if @fn returns
 * non-zero. Returns the number of events seen.
 */
int pv_trace_each(int (*fn)(const struct pv_event *ev, void *arg), void *arg)
{
	FILE *f = fopen(PV_TRACE "trace", "r");
	char line[512];
	int n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		struct pv_event ev = { .line = line };
		char *colon, *ts;
		double secs;

		if (line[0] == '#')
			continue;
		/* "  comm-pid  [cpu] flags  SECS.USECS: name: fields" */
		colon = strstr(line, ": ");
		if (!colon)
			continue;
		for (ts = colon; ts > line && ts[-1] != ' '; ts--)
			;
		if (sscanf(ts, "%lf", &secs) != 1 ||
		    sscanf(colon + 2, "%31[^:]", ev.name) != 1)
			continue;
		ev.us = (uint64_t)(secs * 1e6 + 0.5);
		ev.pid = pv_event_field(colon, " pid=");
		ev.cpu = pv_event_field(colon, "target_cpu=");
		if (ev.cpu < 0)
			ev.cpu = pv_event_field(colon, "dest_cpu=");
		ev.orig_cpu = pv_event_field(colon, "orig_cpu=");
		n++;
		if (fn(&ev, arg))
			break;
	}
	fclose(f);
	return n;
}

static bool pid_in(const pid_t *pids, int n, pid_t pid)
{
	for (int i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

static int count_move(const struct pv_event *ev, void *arg)
{
	struct pv_moves *mv = arg;

	if (strcmp(ev->name, "sched_migrate_task") || ev->orig_cpu < 0 ||
	    ev->orig_cpu >= 64 || !(mv->from & (1ULL << ev->orig_cpu)) ||
	    !pid_in(mv->pids, mv->npids, ev->pid))
		return 0;
	mv->n++;
	if (ev->us > mv->last_us)
		mv->last_us = ev->us;
	return 0;
}

/* Count the traced moves of @pids off the CPUs in @from. */
void pv_trace_moves_off(const pid_t *pids, int n, uint64_t from,
			struct pv_moves *mv)
{
	*mv = (struct pv_moves){ .pids = pids, .npids = n, .from = from };
	pv_trace_each(count_move, mv);
}

/* The pid of the task that was running when @line was traced ("comm-pid [cpu]"). */
static pid_t running_pid(const char *line)
{
	const char *p = strchr(line, '[');

	while (p && p > line && p[-1] == ' ')
		p--;
	while (p && p > line && p[-1] >= '0' && p[-1] <= '9')
		p--;
	return p && p > line && p[-1] == '-' ? atoi(p) : -1;
}

static int count_onto(const struct pv_event *ev, void *arg)
{
	struct pv_onto *o = arg;

	if (ev->cpu < 0 || !pid_in(o->pids, o->npids, ev->pid) ||
	    (o->event && strncmp(ev->name, o->event, strlen(o->event))))
		return 0;
	/* Woken before it could sleep: still running, nothing was chosen. */
	if (o->event && running_pid(ev->line) == ev->pid)
		return 0;
	o->seen++;
	if (ev->cpu < 64 && (o->cpus & (1ULL << ev->cpu)) && !o->bad++)
		snprintf(o->first_bad, sizeof(o->first_bad), "%s", ev->line);
	return 0;
}

/*
 * Count the traced placements of @pids (only events whose name starts with
 * @event, if not NULL), and those onto @cpus.
 */
void pv_trace_onto(const pid_t *pids, int n, uint64_t cpus, const char *event,
		   struct pv_onto *o)
{
	*o = (struct pv_onto){ .pids = pids, .npids = n, .cpus = cpus, .event = event };
	pv_trace_each(count_onto, o);
}
