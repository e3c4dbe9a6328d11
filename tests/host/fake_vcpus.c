// SPDX-License-Identifier: GPL-2.0
/*
 * A stand-in for QEMU in the pvrelay test: N threads named "CPU n/TCG"
 * that spin for SECONDS, so that their host run delay is predictable when
 * the process is confined to one CPU.
 *
 *   fake_vcpus N SECONDS
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>

static int seconds;

static void *spin(void *arg)
{
	char name[16];
	time_t end = time(NULL) + seconds;

	snprintf(name, sizeof(name), "CPU %ld/TCG", (long)arg);
	prctl(PR_SET_NAME, name);
	while (time(NULL) < end)
		;
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[16];
	long n;

	if (argc != 3 || (n = atol(argv[1])) < 1 || n > 16 || (seconds = atoi(argv[2])) < 1) {
		fprintf(stderr, "usage: fake_vcpus N SECONDS\n");
		return 2;
	}
	for (long i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, spin, (void *)i))
			return 1;
	for (long i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	return 0;
}
