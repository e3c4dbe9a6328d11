// SPDX-License-Identifier: GPL-2.0
/*
 * QEMU guests seen from the host: the threads that run their vCPUs, which
 * QEMU names "CPU n/KVM" or "CPU n/TCG".
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "pvcpu.h"

int pv_qemu_vcpus(pid_t pid, pid_t *tid, int max)
{
	char path[320], comm[64];
	struct dirent *de;
	int n = 0, cpu;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return -errno;
	for (int i = 0; i < max; i++)
		tid[i] = -1;
	while ((de = readdir(d))) {
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/comm", (int)pid, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && sscanf(comm, "CPU %d/", &cpu) == 1 &&
		    cpu >= 0 && cpu < max) {
			tid[cpu] = atoi(de->d_name);
			if (cpu + 1 > n)
				n = cpu + 1;
		}
		fclose(f);
	}
	closedir(d);
	return n;
}
