// SPDX-License-Identifier: GPL-2.0
/* The host model of model.h. */
#include <stdlib.h>
#include <string.h>

#include "model.h"

void pvm_vm_init(struct pvm_vm *vm, unsigned int n, double work, int governed,
		 const struct pvp_knobs *knobs)
{
	memset(vm, 0, sizeof(*vm));
	vm->n = n;
	vm->work = work;
	vm->governed = governed;
	vm->knobs = *knobs;
	for (unsigned int i = 0; i < n; i++)
		pvp_set(&vm->online, i);
	if (governed) {
		vm->st = calloc(1, sizeof(*vm->st));
		if (!vm->st)
			abort();
		pvp_init(vm->st, n);
	}
}

void pvm_vm_free(struct pvm_vm *vm)
{
	free(vm->st);
	vm->st = NULL;
}

static int marked(const struct pvm_vm *vm, unsigned int cpu)
{
	return vm->governed && pvp_test(&vm->st->mask, cpu);
}

unsigned int pvm_active(const struct pvm_vm *vm)
{
	unsigned int a = 0;

	for (unsigned int i = 0; i < vm->n; i++)
		a += pvp_test(&vm->online, i) && !marked(vm, i);
	return a;
}

/*
 * The share of what it wants that VM @v gets when the VMs want @want[]
 * CPUs, with @extra more for VM @v (its probe).
 */
static double share_of(const struct pvm_host *h, const double *want,
		       unsigned int nvm, unsigned int v, double extra)
{
	double total = extra, left = h->cpus, mine = want[v] + extra;
	unsigned int open = 0, i;
	unsigned char *done;

	if (mine <= 0)
		return 1;
	if (!h->per_vm) {
		for (i = 0; i < nvm; i++)
			total += want[i];
		return total > h->cpus ? h->cpus / total : 1;
	}
	/* Water-filling: equal shares, what a VM does not use goes to the rest. */
	done = calloc(nvm, 1);
	if (!done)
		abort();
	for (i = 0; i < nvm; i++)
		open += (i == v ? mine : want[i]) > 0;
	for (;;) {
		double fair = left / open;
		int settled = 0;

		for (i = 0; i < nvm; i++) {
			double w = i == v ? mine : want[i];

			if (done[i] || w <= 0 || w > fair)
				continue;
			done[i] = 1;
			left -= w;
			open--;
			settled = 1;
		}
		if (done[v]) {
			free(done);
			return 1;
		}
		if (!settled || !open) {
			free(done);
			return fair / mine;
		}
	}
}

static double noise(struct pvm_host *h)
{
	h->rng = h->rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return h->noise * (2.0 * (double)(h->rng >> 11) / (double)(1ULL << 53) - 1.0);
}

static unsigned int ppm(double x)
{
	return (unsigned int)(x * PVP_ONE + 0.5);
}

void pvm_step(struct pvm_host *h, struct pvm_vm *vms, unsigned int nvm)
{
	double *want = calloc(nvm, sizeof(*want));
	double probe = 0;

	if (!want)
		abort();
	for (unsigned int v = 0; v < nvm; v++) {
		unsigned int a = pvm_active(&vms[v]);

		want[v] = a ? (vms[v].work < a ? vms[v].work : a) : 0;
	}
	for (unsigned int v = 0; v < nvm; v++) {
		struct pvm_vm *vm = &vms[v];
		struct pvp_sample *smp = vm->smp[vm->st ? vm->st->period % 2 : 0];
		unsigned int a = pvm_active(vm);
		double d = a ? want[v] / a : 0;
		double f = 1 - share_of(h, want, nvm, v, 0), fp = 0, ast = 0;
		unsigned int np = vm->governed ? vm->st->nprobe : 0;

		if (np) {
			probe = pvp_probe_us(vm->st, h->period_ms) / (1000.0 * h->period_ms);
			fp = 1 - share_of(h, want, nvm, v, np);
		}
		vm->busy = vm->steal = vm->want = 0;
		for (unsigned int i = 0; i < vm->n; i++) {
			double w = 0, frac = f;

			if (pvp_test(&vm->online, i) && !marked(vm, i)) {
				w = d;
			} else if (np && pvp_test(&vm->st->probe, i)) {
				w = probe;
				frac = fp;
			}
			frac += vm->inject[i] / 100.0 + noise(h);
			frac = frac < 0 ? 0 : frac > 1 ? 1 : frac;
			smp[i].steal = ppm(w * frac);
			smp[i].busy = ppm(w) - smp[i].steal;
			if (!marked(vm, i)) {
				vm->busy += w * (1 - frac);
				vm->steal += w * frac;
				vm->want += w;
			}
		}
		/* A preempted lock holder or wakee stalls the other vCPUs. */
		ast = vm->want > 0 ? vm->steal / vm->want : 0;
		vm->useful = vm->busy / (1 + PVM_LHP_COST * ast * (a ? a - 1 : 0));
		vm->active = a;
		vm->t_busy += vm->busy;
		vm->t_steal += vm->steal;
		vm->t_want += vm->want;
		vm->t_useful += vm->useful;
	}
	free(want);
	for (unsigned int v = 0; v < nvm; v++) {
		struct pvm_vm *vm = &vms[v];
		unsigned int cur;

		if (!vm->governed)
			continue;
		cur = vm->st->period % 2;
		/* With a lag, the policy sees what the source measured the period before. */
		vm->changes += pvp_step(vm->st, &vm->knobs, &vm->online,
					vm->smp[h->lag ? !cur : cur]);
	}
}
