// SPDX-License-Identifier: GPL-2.0
/* The host model of model.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

void pvm_vm_init(struct pvm_vm *vm, unsigned int n, double work, int governed,
		 const struct pvp_knobs *knobs)
{
	memset(vm, 0, sizeof(*vm));
	vm->n = n;
	vm->work = work;
	vm->weight = 1;
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
	pvc_guest_init(&vm->hint, n);
	vm->hint.cooperates = governed && knobs->law == PVP_LAW_HOST;
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

unsigned int pvm_marked(const struct pvm_vm *vm)
{
	unsigned int m = 0;

	for (unsigned int i = 0; i < vm->n; i++)
		m += pvp_test(&vm->online, i) && marked(vm, i);
	return m;
}

/*
 * Water-filling: @n classes of @c[i] takers that want @x[i] each. Returns
 * the level L at which sum(c[i] * min(x[i], L)) = @cap, or HUGE_VAL if
 * everyone gets all they want.
 */
struct fill {
	double x, c;
};

static int by_x(const void *a, const void *b)
{
	double d = ((const struct fill *)a)->x - ((const struct fill *)b)->x;

	return d < 0 ? -1 : d > 0;
}

static double level(struct fill *f, unsigned int n, double cap)
{
	double takers = 0;

	for (unsigned int i = 0; i < n; i++)
		takers += f[i].x > 0 ? f[i].c : 0;
	qsort(f, n, sizeof(*f), by_x);
	for (unsigned int i = 0; i < n; i++) {
		if (f[i].x <= 0 || f[i].c <= 0)
			continue;
		if (f[i].x * takers > cap)
			return cap / takers;
		cap -= f[i].c * f[i].x;
		takers -= f[i].c;
	}
	return HUGE_VAL;
}

static double rnd(struct pvm_host *h)
{
	h->rng = h->rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(h->rng >> 11) / (double)(1ULL << 53);
}

/* Uniform in [-a, a]. */
static double pm(struct pvm_host *h, double a)
{
	return a * (2.0 * rnd(h) - 1.0);
}

static unsigned int ppm(double x)
{
	return (unsigned int)(x * PVP_ONE + 0.5);
}

static double clamp01(double x)
{
	return x < 0 ? 0 : x > 1 ? 1 : x;
}

/* What one VM's threads want this period: active vCPUs, stuck marked ones, probes. */
struct demand {
	unsigned int a, m, k;	/* active, marked online, probes */
	double d, s;		/* each active wants d, each marked s */
	double probe;		/* fraction of the period a probe spins */
};

static double vm_want(const struct demand *q)
{
	return q->a * q->d + q->m * q->s;
}

/*
 * Per-VM hosts: the level of the weighted water-filling of the VMs, VM @v
 * wanting @extra more.
 */
static double vm_level(const struct pvm_host *h, const struct pvm_vm *vms,
		       const struct demand *q, unsigned int nvm, unsigned int v, double extra)
{
	struct fill *f = calloc(nvm, sizeof(*f));
	double l;

	if (!f)
		abort();
	for (unsigned int i = 0; i < nvm; i++) {
		f[i].c = vms[i].weight;
		f[i].x = (vm_want(&q[i]) + (i == v ? extra : 0)) / vms[i].weight;
	}
	l = level(f, nvm, h->cpus);
	free(f);
	return l;
}

/* Within a VM given @cap CPUs: the level its threads reach, with @k probes wanting 1. */
static double inner_level(const struct demand *q, double cap, unsigned int k)
{
	struct fill f[3] = { { q->d, q->a }, { q->s, q->m }, { 1, k } };

	return level(f, 3, cap);
}

static double got(double want, double lvl)
{
	return want < lvl ? want : lvl;
}

/*
 * The fraction each class of VM @v loses: active @fa, stuck @fs, probes
 * @fp. @plevel is the threads' level per thread, the VMs' level per VM.
 */
static void shares(const struct pvm_host *h, const struct pvm_vm *vms, const struct demand *q,
		   unsigned int nvm, double plevel, double idle_q, double r,
		   unsigned int v, double *fa, double *fs, double *fp)
{
	const struct demand *me = &q[v];
	double la = plevel, lp;

	if (h->per_vm)
		la = inner_level(me, got(vm_want(me) / vms[v].weight, plevel) * vms[v].weight, 0);
	*fa = me->d > 0 ? 1 - got(me->d, la) / me->d : 0;
	*fs = me->s > 0 ? 1 - got(me->s, la) / me->s : 0;
	*fp = 0;
	if (!me->k)
		return;
	/* A probe that finds no idle CPU shares one, or its VM's share. */
	if (h->per_vm) {
		double l = vm_level(h, vms, q, nvm, v, me->k);
		double cap = got(vm_want(me) / vms[v].weight + me->k / vms[v].weight, l) *
			     vms[v].weight;

		lp = inner_level(me, cap, me->k);
		*fp = 1 - got(1, lp);
	} else {
		*fp = r / (r + 1);
	}
	*fp *= 1 - idle_q;
	/* It ran first for about a slice. */
	if (me->probe > 0) {
		double wake = h->wake_ms / h->period_ms;

		*fp *= me->probe > wake ? (me->probe - wake) / me->probe : 0;
	}
}

static void sample(struct pvm_host *h, struct pvm_vm *vm, const struct demand *q,
		   double fa, double fs, double fp)
{
	struct pvp_sample *smp = vm->smp[vm->st ? vm->st->period % 2 : 0];
	const struct pvm_noise *nz = &h->noise;
	double common, ast;

	vm->corr = 0.8 * vm->corr + pm(h, nz->corr);
	common = vm->corr;
	if (!vm->burst_left && nz->burst_p > 0 && rnd(h) < nz->burst_p)
		vm->burst_left = nz->burst_len;
	if (vm->burst_left) {
		vm->burst_left--;
		common += nz->burst;
	}
	vm->busy = vm->steal = vm->want = 0;
	for (unsigned int i = 0; i < vm->n; i++) {
		double w = 0, f = 0, wp = 0, stolen, seen;

		if (!pvp_test(&vm->online, i)) {
			smp[i] = (struct pvp_sample){ 0, 0 };
			continue;
		}
		if (!marked(vm, i)) {
			w = q->d;
			f = fa;
		} else {
			w = q->s;
			f = fs;
			if (q->k && pvp_test(&vm->st->probe, i))
				wp = q->probe;
		}
		f = clamp01(f + vm->inject[i] / 100.0);
		stolen = w * f + wp * clamp01(fp + vm->inject[i] / 100.0);
		/* What the source reports: the truth, plus noise where there was something. */
		seen = w + wp > 0 ? stolen / (w + wp) + pm(h, nz->indep) + common : 0;
		seen = clamp01(seen) * (w + wp);
		smp[i].steal = ppm(seen);
		smp[i].busy = ppm(w + wp) - smp[i].steal;
		vm->busy += w * (1 - f);
		vm->steal += w * f;
		vm->want += w;
	}
	/* A preempted lock holder or wakee stalls the other vCPUs. */
	ast = vm->want > 0 ? vm->steal / vm->want : 0;
	vm->useful = vm->busy / (1 + PVM_LHP_COST * ast * (q->a ? q->a - 1 : 0));
	vm->active = q->a;
	vm->t_busy += vm->busy;
	vm->t_steal += vm->steal;
	vm->t_want += vm->want;
	vm->t_useful += vm->useful;
}

/*
 * The host's coordinator, when a guest takes its hint: from what each
 * VM's threads ran and waited last period, every guest's cap.
 */
static void coordinate(const struct pvm_host *h, struct pvm_vm *vms, unsigned int nvm)
{
	struct pvc_host ch = { .mcpu = (unsigned int)(h->cpus * 1000), .per_vm = h->per_vm };
	struct pvc_guest *g;
	int any = 0;

	for (unsigned int v = 0; v < nvm; v++)
		any |= vms[v].hint.cooperates;
	if (!any)
		return;
	g = calloc(nvm, sizeof(*g));
	if (!g)
		abort();
	for (unsigned int v = 0; v < nvm; v++) {
		g[v] = vms[v].hint;
		g[v].used = (unsigned int)(vms[v].busy * 1000);
		g[v].waited = (unsigned int)(vms[v].steal * 1000);
		g[v].weight = (unsigned int)(vms[v].weight * 100);
	}
	pvc_step(&ch, g, nvm);
	for (unsigned int v = 0; v < nvm; v++) {
		vms[v].hint = g[v];
		if (g[v].cooperates)
			pvp_hint(vms[v].st, g[v].cap, PVM_HINT_TTL);
	}
	free(g);
}

void pvm_step(struct pvm_host *h, struct pvm_vm *vms, unsigned int nvm)
{
	struct demand *q = calloc(nvm, sizeof(*q));
	struct fill *f = calloc(2 * nvm, sizeof(*f));
	double total = 0, alloc = 0, plevel = HUGE_VAL, idle, r, idle_q = 1;
	unsigned int probes = 0;

	if (!q || !f)
		abort();
	coordinate(h, vms, nvm);
	for (unsigned int v = 0; v < nvm; v++) {
		struct pvm_vm *vm = &vms[v];

		q[v].a = pvm_active(vm);
		q[v].m = pvm_marked(vm);
		q[v].d = q[v].a ? (vm->work < q[v].a ? vm->work : q[v].a) / q[v].a : 0;
		q[v].s = vm->stuck;
		q[v].k = vm->governed ? vm->st->nprobe : 0;
		if (q[v].k)
			q[v].probe = pvp_probe_us(vm->st, h->period_ms) / (1000.0 * h->period_ms);
		probes += q[v].k;
		total += vm_want(&q[v]);
		f[2 * v] = (struct fill){ q[v].d, q[v].a };
		f[2 * v + 1] = (struct fill){ q[v].s, q[v].m };
	}
	/* Per thread: the threads' level; per VM: the VMs' level. */
	plevel = h->per_vm ? vm_level(h, vms, q, nvm, 0, 0) : level(f, 2 * nvm, h->cpus);
	/* What the threads get in all: the host's idle part takes probes first. */
	for (unsigned int v = 0; v < nvm; v++) {
		if (h->per_vm) {
			alloc += got(vm_want(&q[v]) / vms[v].weight, plevel) * vms[v].weight;
		} else {
			alloc += q[v].a * got(q[v].d, plevel) + q[v].m * got(q[v].s, plevel);
		}
	}
	idle = h->cpus > alloc ? h->cpus - alloc : 0;
	if (probes)
		idle_q = idle >= probes ? 1 : idle / probes;
	r = total / h->cpus > 1 ? total / h->cpus : 1;
	for (unsigned int v = 0; v < nvm; v++) {
		double fa, fs, fp;

		shares(h, vms, q, nvm, plevel, idle_q, r, v, &fa, &fs, &fp);
		sample(h, &vms[v], &q[v], fa, fs, fp);
	}
	free(q);
	free(f);
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

void pvm_fair(const struct pvm_host *h, const struct pvm_vm *vms, unsigned int nvm,
	      const double *want, double *out)
{
	struct fill *f = calloc(nvm, sizeof(*f));
	double l;

	if (!f)
		abort();
	for (unsigned int v = 0; v < nvm; v++) {
		double w = want[v] < vms[v].n ? want[v] : vms[v].n;

		/* Per thread: n threads wanting w / n each; per VM: one taker of weight. */
		f[v].c = h->per_vm ? vms[v].weight : vms[v].n;
		f[v].x = w / f[v].c;
	}
	l = level(f, nvm, h->cpus);
	for (unsigned int v = 0; v < nvm; v++) {
		double w = want[v] < vms[v].n ? want[v] : vms[v].n;
		double c = h->per_vm ? vms[v].weight : vms[v].n;

		out[v] = got(w / c, l) * c;
	}
	free(f);
}

double pvm_jain(const double *got_, const double *fair, unsigned int n)
{
	double s = 0, s2 = 0;
	unsigned int m = 0;

	for (unsigned int i = 0; i < n; i++) {
		double x;

		if (fair[i] <= 0)
			continue;
		x = got_[i] / fair[i];
		s += x;
		s2 += x * x;
		m++;
	}
	return m && s2 > 0 ? s * s / (m * s2) : 1;
}
