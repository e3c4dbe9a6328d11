// SPDX-License-Identifier: GPL-2.0
/*
 * A stand-in for QEMU in the pvrelay test: N threads named "CPU n/TCG"
 * that spin for SECONDS, so that their host run delay is predictable when
 * the process is confined to one CPU. Like QEMU, it starts them one by one:
 * thread n takes its name n * STAGGER_MS after the first (default 0).
 *
 *   fake_vcpus N SECONDS [STAGGER_MS] [-- QEMU-ARGS...]
 *
 * QEMU-ARGS are ignored: they are there for pvhostd to find in
 * /proc/PID/cmdline (-name, -chardev, -device), as on a real QEMU. With
 * FAKE_VCPUS_UNNAMED set the threads keep the process's name, as QEMU's
 * do without debug-threads=on.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

static int seconds, stagger_ms;

static void *spin(void *arg)
{
	struct timespec delay = { .tv_sec = (long)arg * stagger_ms / 1000,
				  .tv_nsec = (long)arg * stagger_ms % 1000 * 1000000L };
	char name[16];
	time_t end;

	nanosleep(&delay, NULL);
	end = time(NULL) + seconds;
	snprintf(name, sizeof(name), "CPU %ld/TCG", (long)arg);
	if (!getenv("FAKE_VCPUS_UNNAMED"))
		prctl(PR_SET_NAME, name);
	while (time(NULL) < end)
		;
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[16];
	long n;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--"))
			argc = i;
	if (argc < 3 || argc > 4 || (n = atol(argv[1])) < 1 || n > 16 ||
	    (seconds = atoi(argv[2])) < 1 || (argc == 4 && (stagger_ms = atoi(argv[3])) < 0)) {
		fprintf(stderr, "usage: fake_vcpus N SECONDS [STAGGER_MS] [-- QEMU-ARGS...]\n");
		return 2;
	}
	for (long i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, spin, (void *)i))
			return 1;
	for (long i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	return 0;
}
