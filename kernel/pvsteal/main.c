// SPDX-License-Identifier: GPL-2.0
/*
 * pvsteal: mark vCPUs as paravirt while the host cannot back them.
 *
 * The module owns the kernel's paravirt CPU mask while it is loaded and
 * clears it when it is unloaded. In mode "auto" a delayed work samples
 * every online CPU's steal time each period_ms and lets the policy
 * (policy.c) pick the mask, and a short pinned spin on the marked CPUs the
 * policy asks for (the probe) measures what they would lose if unmarked;
 * in mode "manual" the mask is the list written to debugfs and no periodic
 * work runs.
 *
 * /sys/kernel/debug/pvsteal/
 *	override  read "auto" or the manual cpulist; write a cpulist (an empty
 *		  line for none) to switch to manual mode with that mask, or
 *		  "auto" to hand control back to the policy
 *	inject	  "CPULIST PCT": those CPUs lose PCT percent of the time they
 *		  want to run, as on a contended host; "CPULIST host=MCPU":
 *		  together they run at most MCPU thousandths of a CPU, as a
 *		  guest given that share by its host; "CPULIST +USEC" adds USEC
 *		  microseconds of measured steal to each of them in the current
 *		  period (a relay of the host's figures); "clear" removes all;
 *		  read shows one line per injected value
 *	capacity  "MCPU SEQ TTL", the host's hint (pvhostd through a guest
 *		  daemon): the guest has MCPU thousandths of a CPU for the next
 *		  TTL periods, law=host folds to it; read shows "MCPU SEQ LEFT"
 *		  with the periods it still holds for, or "none"
 *	stats	  mode, mask, changes and per-CPU steal, see pvsteal_stats_show()
 *	period_ms, high_pct, low_pct, min_active, mode, law: the parameters
 *
 * Every write that is not understood fails with -EINVAL and changes nothing.
 * See Documentation/pvsteal.rst.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/cpumask.h>
#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/kernel_stat.h>
#include <linux/math64.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/sched/paravirt.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/tick.h>
#include <linux/topology.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "policy.h"

static unsigned int period_ms = 1000;
module_param(period_ms, uint, 0444);
MODULE_PARM_DESC(period_ms, "Sampling period in ms, 10..60000 (default 1000)");

static unsigned int high_pct = 20;
module_param(high_pct, uint, 0444);
MODULE_PARM_DESC(high_pct, "Fold when steal on the active vCPUs is above this percent (default 20)");

static unsigned int low_pct = 10;
module_param(low_pct, uint, 0444);
MODULE_PARM_DESC(low_pct, "Unfold when a probe loses less than this percent, < high_pct (default 10)");

static unsigned int min_active = 1;
module_param(min_active, uint, 0444);
MODULE_PARM_DESC(min_active, "Never leave fewer unmarked online vCPUs (default 1)");

static char mode_param[8] = "auto";
module_param_string(mode, mode_param, sizeof(mode_param), 0444);
MODULE_PARM_DESC(mode, "auto (steal policy) or manual (debugfs override only)");

static char law_param[12] = "ours";
module_param_string(law, law_param, sizeof(law_param), 0444);
MODULE_PARM_DESC(law, "ours (default), upstream (the rule of Linux 7.4, for comparison) or host (the host's hint, else ours)");

static const char *const pvsteal_laws[] = {
	[PVP_LAW_OURS] = "ours",
	[PVP_LAW_UPSTREAM] = "upstream",
	[PVP_LAW_HOST] = "host",
};

#define PVSTEAL_MAX_WRITE	(NR_CPUS * 5 + 16)
#define PVSTEAL_PERIOD_MIN	10
#define PVSTEAL_PERIOD_MAX	60000
/* One relayed amount: at most a minute. */
#define PVSTEAL_RELAY_MAX_US	60000000
/* A modelled host: at most as many CPUs as the policy handles. */
#define PVSTEAL_HOST_MAX_MCPU	(PVP_MAX_CPUS * 1000)
/* A hint holds for at most this many periods. */
#define PVSTEAL_HINT_TTL_MAX	1000

/* Counters of the previous sample, per CPU, and its probe. */
struct pvsteal_cpu {
	u64 steal, idle;
	bool valid;	/* false until sampled once after coming online */
	struct work_struct probe;
};

static DEFINE_PER_CPU(struct pvsteal_cpu, pv_cpu);

static struct {
	struct mutex lock;		/* everything below, and the knobs */
	bool manual;
	struct cpumask manual_mask;
	unsigned int law;
	unsigned int inject[PVP_MAX_CPUS];	/* percent of the wanted time */
	bool host[PVP_MAX_CPUS];		/* CPUs sharing host_mcpu */
	unsigned int host_mcpu;			/* 0: no such host */
	u64 relayed[PVP_MAX_CPUS];		/* ns added since the last sample */
	u64 probe_ns;
	struct workqueue_struct *probe_wq;
	struct pvp_state *policy;
	struct pvp_sample *samples;
	u64 last_sample_ns;
	u64 last_change_ns;
	unsigned long changes, errors;
	unsigned int hint_seq;		/* of the last hint */
	enum { HINT_NONE, HINT_HELD, HINT_LAPSED } hint;	/* since auto mode began */
	u64 cost_ns;			/* CPU time spent sampling and deciding */
	struct delayed_work work;
	enum cpuhp_state hp_state;
	struct dentry *dir;
} pv = {
	.lock = __MUTEX_INITIALIZER(pv.lock),
};

static struct pvp_knobs pvsteal_knobs(void)
{
	return (struct pvp_knobs){
		.high_pct = high_pct,
		.low_pct = low_pct,
		.min_active = min_active,
		.law = pv.law,
	};
}

static void cpumask_to_pvp(const struct cpumask *src, struct pvp_mask *dst)
{
	int cpu;

	memset(dst, 0, sizeof(*dst));
	for_each_cpu(cpu, src)
		pvp_set(dst, cpu);
}

/* Hand @mask to the scheduler. Caller holds pv.lock. */
static int pvsteal_apply(const struct cpumask *mask)
{
	u64 now = ktime_get_ns();
	int ret;

	lockdep_assert_held(&pv.lock);
	if (cpumask_equal(mask, cpu_paravirt_mask))
		return 0;
	/* The mask shows in sysfs before the tasks have left: stamp the write. */
	ret = sched_paravirt_set_cpus(mask);
	if (!ret) {
		pv.changes++;
		pv.last_change_ns = now;
	}
	return ret;
}

/*
 * Idle time of @cpu in ns: precise with NO_HZ (what cpufreq governors use),
 * else the tick-based counters. Steal happens only while not idle.
 */
static u64 cpu_idle_ns(int cpu, const struct kernel_cpustat *kcs)
{
	u64 idle = get_cpu_idle_time_us(cpu, NULL);
	u64 iowait = get_cpu_iowait_time_us(cpu, NULL);

	if (idle == -1ULL || iowait == -1ULL)
		return kcs->cpustat[CPUTIME_IDLE] + kcs->cpustat[CPUTIME_IOWAIT];
	return (idle + iowait) * NSEC_PER_USEC;
}

static unsigned int ppm_of(u64 delta_ns, u64 period_ns)
{
	if (delta_ns >= period_ns)
		return PVP_ONE;
	return mul_u64_u64_div_u64(delta_ns, PVP_ONE, period_ns);
}

/*
 * One CPU's period: the time it wanted to run (not idle), of which real
 * steal, injected steal (inject% of the wanted time) and relayed steal
 * were lost; the rest it ran.
 */
static void pvsteal_sample_cpu(int cpu, u64 period_ns)
{
	struct pvsteal_cpu *pc = per_cpu_ptr(&pv_cpu, cpu);
	struct kernel_cpustat kcs;
	u64 steal, idle, want, lost;

	kcpustat_cpu_fetch(&kcs, cpu);
	steal = kcs.cpustat[CPUTIME_STEAL];
	idle = cpu_idle_ns(cpu, &kcs);
	if (!READ_ONCE(pc->valid)) {
		/* Just came online: no baseline yet. */
		pv.samples[cpu] = (struct pvp_sample){ 0 };
	} else {
		want = period_ns - min(idle - pc->idle, period_ns);
		lost = steal - pc->steal + pv.relayed[cpu] +
		       div_u64(want * pv.inject[cpu], 100);
		lost = min(lost, want);
		pv.samples[cpu].steal = ppm_of(lost, period_ns);
		pv.samples[cpu].busy = ppm_of(want - lost, period_ns);
	}
	pv.relayed[cpu] = 0;
	pc->steal = steal;
	pc->idle = idle;
	WRITE_ONCE(pc->valid, true);
}

/*
 * The CPUs of "CPULIST host=MCPU" share MCPU thousandths of a CPU, as a
 * guest that its host gives that share (a cgroup per VM): while a vCPU
 * runs, it competes with the others that want to run, on average R of
 * them (their wanted time over the period), for the share, and runs
 * share / (R + 1) of the time it wants, at most all of it. So fewer
 * runnable vCPUs lose less, and a probe that spins for a moment next to
 * vCPUs that are busy all along loses what one more vCPU would.
 */
static void pvsteal_apply_host(void)
{
	u64 cap = (u64)pv.host_mcpu * (PVP_ONE / 1000), want = 0;
	int cpu;

	if (!pv.host_mcpu)
		return;
	for_each_online_cpu(cpu)
		if (cpu < PVP_MAX_CPUS && pv.host[cpu])
			want += pv.samples[cpu].steal + pv.samples[cpu].busy;
	for_each_online_cpu(cpu) {
		struct pvp_sample *smp = &pv.samples[cpu];
		u64 mine = smp->steal + smp->busy, runnable, ran;

		if (cpu >= PVP_MAX_CPUS || !pv.host[cpu] || !mine)
			continue;
		runnable = want - mine + PVP_ONE;
		if (runnable <= cap)
			continue;
		ran = div64_u64(mine * cap, runnable);
		if (ran < smp->busy) {
			smp->steal = mine - ran;
			smp->busy = ran;
		}
	}
}

/*
 * The probe: spin on a marked CPU for probe_ns. It is one more runnable
 * vCPU for the host, so the steal it meets, counted in the next sample
 * like any other, is what the CPU would lose if it were unmarked.
 * A per-CPU work may run there (scheduler contract, point 4).
 */
static void pvsteal_probe(struct work_struct *work)
{
	u64 end = ktime_get_ns() + READ_ONCE(pv.probe_ns);

	while (ktime_get_ns() < end) {
		cpu_relax();
		cond_resched();
	}
}

/* Start the probes the policy asked for. Caller holds pv.lock. */
static void pvsteal_start_probes(void)
{
	int cpu;

	WRITE_ONCE(pv.probe_ns, (u64)pvp_probe_us(pv.policy, period_ms) * NSEC_PER_USEC);
	cpus_read_lock();
	for (cpu = 0; cpu < nr_cpu_ids && cpu < PVP_MAX_CPUS; cpu++)
		if (pvp_test(&pv.policy->probe, cpu) && cpu_online(cpu))
			queue_work_on(cpu, pv.probe_wq, &per_cpu_ptr(&pv_cpu, cpu)->probe);
	cpus_read_unlock();
}

/* Take one sample of every online CPU and step the policy. Holds pv.lock. */
static void pvsteal_sample(void)
{
	struct pvp_knobs knobs = pvsteal_knobs();
	struct pvp_mask online;
	u64 now, period_ns;
	cpumask_var_t mask;
	int cpu, ret;

	/*
	 * Sampling and deciding are arithmetic, O(CPUs): without preemption,
	 * every CPU's sample covers the same period_ns (a busy task that
	 * preempted this worker halfway would stretch the later ones), and
	 * cost_ns counts this CPU time, not how long busy tasks kept the
	 * worker waiting (in a 4-vCPU guest with 8 busy tasks under TCG,
	 * 0.15-0.41 ms a period on a lockdep kernel, against 10.8 ms with the
	 * waiting).
	 */
	preempt_disable();
	now = ktime_get_ns();
	period_ns = max_t(u64, now - pv.last_sample_ns, 1);
	pv.last_sample_ns = now;
	memset(&online, 0, sizeof(online));

	for_each_online_cpu(cpu) {
		if (cpu >= PVP_MAX_CPUS)
			break;
		pvp_set(&online, cpu);
		pvsteal_sample_cpu(cpu, period_ns);
	}
	pvsteal_apply_host();

	ret = pvp_step(pv.policy, &knobs, &online, pv.samples);
	pv.cost_ns += ktime_get_ns() - now;
	preempt_enable();
	if (pv.law == PVP_LAW_HOST && pv.hint == HINT_HELD && !pv.policy->hint_left) {
		pv.hint = HINT_LAPSED;
		pr_info("no hint from the host since seq %u: the steal law decides\n",
			pv.hint_seq);
	}
	if (ret && zalloc_cpumask_var(&mask, GFP_KERNEL)) {
		for (cpu = 0; cpu < nr_cpu_ids && cpu < PVP_MAX_CPUS; cpu++)
			if (pvp_test(&pv.policy->mask, cpu))
				cpumask_set_cpu(cpu, mask);
		ret = pvsteal_apply(mask);
		if (ret) {
			/* A CPU went down under us; the policy retries next period. */
			pv.errors++;
			pr_warn_ratelimited("setting mask %*pbl failed: %d\n",
					    cpumask_pr_args(mask), ret);
			cpumask_to_pvp(cpu_paravirt_mask, &pv.policy->mask);
		}
		free_cpumask_var(mask);
	}
	pvsteal_start_probes();
}

static void pvsteal_work(struct work_struct *work)
{
	mutex_lock(&pv.lock);
	if (!pv.manual) {
		pvsteal_sample();
		schedule_delayed_work(&pv.work, msecs_to_jiffies(period_ms));
	}
	mutex_unlock(&pv.lock);
}

/* Enter auto mode from scratch. Caller holds pv.lock. */
static int pvsteal_start_auto(void)
{
	int cpu, ret = pvsteal_apply(cpu_none_mask);

	if (ret)
		return ret;
	pvp_reset(pv.policy);
	pv.hint = HINT_NONE;
	pv.cost_ns = 0;
	/* Counters start afresh: nothing from before auto mode counts. */
	for_each_possible_cpu(cpu)
		WRITE_ONCE(per_cpu_ptr(&pv_cpu, cpu)->valid, false);
	memset(pv.relayed, 0, sizeof(pv.relayed));
	pv.last_sample_ns = ktime_get_ns();
	pv.manual = false;
	mod_delayed_work(system_wq, &pv.work, msecs_to_jiffies(period_ms));
	return 0;
}

/* Enter manual mode with @mask. Caller holds pv.lock. */
static int pvsteal_start_manual(const struct cpumask *mask)
{
	int ret = pvsteal_apply(mask);

	if (ret)
		return ret;
	cpumask_copy(&pv.manual_mask, mask);
	/* The work sees pv.manual under pv.lock and stops rescheduling. */
	pv.manual = true;
	cancel_delayed_work(&pv.work);
	return 0;
}

/* Copy a user write into a trimmed string. */
static char *pvsteal_get_write(const char __user *ubuf, size_t count, loff_t *ppos)
{
	char *buf;

	if (*ppos != 0 || count >= PVSTEAL_MAX_WRITE)
		return ERR_PTR(-EINVAL);
	buf = memdup_user_nul(ubuf, count);
	if (IS_ERR(buf))
		return buf;
	/* strim() may return a pointer inside buf: move the text to its start. */
	memmove(buf, strim(buf), strlen(strim(buf)) + 1);
	return buf;
}

/*
 * Whether @s is a cpulist: comma-separated N or N-M groups, none empty, or
 * nothing at all. cpulist_parse() is more lenient ("1,,2" is accepted).
 */
static bool pvsteal_is_cpulist(const char *s)
{
	while (*s) {
		if (!isdigit(*s))
			return false;
		while (isdigit(*s))
			s++;
		if (*s == '-') {
			if (!isdigit(*++s))
				return false;
			while (isdigit(*s))
				s++;
		}
		if (*s == ',' && !*++s)
			return false;
		if (*s && !isdigit(*s))
			return false;
	}
	return true;
}

/*
 * Parse a cpulist of possible CPUs. cpulist_parse() also fails with -ERANGE
 * for a CPU beyond nr_cpumask_bits; to the writer any bad list is -EINVAL.
 */
static int pvsteal_parse_list(const char *s, struct cpumask *mask)
{
	if (!pvsteal_is_cpulist(s) || cpulist_parse(s, mask) ||
	    !cpumask_subset(mask, cpu_possible_mask))
		return -EINVAL;
	return 0;
}

static ssize_t override_read(struct file *file, char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	char *buf;
	int len;
	ssize_t ret;

	buf = kmalloc(PVSTEAL_MAX_WRITE, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	mutex_lock(&pv.lock);
	if (pv.manual)
		len = scnprintf(buf, PVSTEAL_MAX_WRITE, "%*pbl\n",
				cpumask_pr_args(&pv.manual_mask));
	else
		len = scnprintf(buf, PVSTEAL_MAX_WRITE, "auto\n");
	mutex_unlock(&pv.lock);
	ret = simple_read_from_buffer(ubuf, count, ppos, buf, len);
	kfree(buf);
	return ret;
}

static ssize_t override_write(struct file *file, const char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	cpumask_var_t mask;
	char *buf;
	int ret;

	buf = pvsteal_get_write(ubuf, count, ppos);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	if (!zalloc_cpumask_var(&mask, GFP_KERNEL)) {
		kfree(buf);
		return -ENOMEM;
	}
	mutex_lock(&pv.lock);
	if (!strcmp(buf, "auto")) {
		ret = pvsteal_start_auto();
	} else {
		ret = pvsteal_parse_list(buf, mask);
		if (!ret)
			ret = pvsteal_start_manual(mask);
	}
	mutex_unlock(&pv.lock);
	free_cpumask_var(mask);
	kfree(buf);
	return ret ? ret : count;
}

static const struct file_operations override_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.read	= override_read,
	.write	= override_write,
	.llseek	= default_llseek,
};

static int inject_show(struct seq_file *m, void *v)
{
	cpumask_var_t mask, done;
	int cpu, other;

	if (!zalloc_cpumask_var(&mask, GFP_KERNEL))
		return -ENOMEM;
	if (!zalloc_cpumask_var(&done, GFP_KERNEL)) {
		free_cpumask_var(mask);
		return -ENOMEM;
	}
	mutex_lock(&pv.lock);
	for (cpu = 0; cpu < nr_cpu_ids && cpu < PVP_MAX_CPUS; cpu++) {
		if (!pv.inject[cpu] || cpumask_test_cpu(cpu, done))
			continue;
		cpumask_clear(mask);
		for (other = cpu; other < nr_cpu_ids && other < PVP_MAX_CPUS; other++)
			if (pv.inject[other] == pv.inject[cpu])
				cpumask_set_cpu(other, mask);
		cpumask_or(done, done, mask);
		seq_printf(m, "%*pbl %u\n", cpumask_pr_args(mask), pv.inject[cpu]);
	}
	if (pv.host_mcpu) {
		cpumask_clear(mask);
		for (cpu = 0; cpu < nr_cpu_ids && cpu < PVP_MAX_CPUS; cpu++)
			if (pv.host[cpu])
				cpumask_set_cpu(cpu, mask);
		seq_printf(m, "%*pbl host=%u\n", cpumask_pr_args(mask), pv.host_mcpu);
	}
	mutex_unlock(&pv.lock);
	free_cpumask_var(done);
	free_cpumask_var(mask);
	return 0;
}

static ssize_t inject_write(struct file *file, const char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	cpumask_var_t mask;
	unsigned int val;
	char *buf, *sp;
	int cpu, ret;
	size_t host;
	bool relay;

	buf = pvsteal_get_write(ubuf, count, ppos);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	if (!zalloc_cpumask_var(&mask, GFP_KERNEL)) {
		kfree(buf);
		return -ENOMEM;
	}
	mutex_lock(&pv.lock);
	if (!strcmp(buf, "clear")) {
		memset(pv.inject, 0, sizeof(pv.inject));
		memset(pv.relayed, 0, sizeof(pv.relayed));
		memset(pv.host, 0, sizeof(pv.host));
		pv.host_mcpu = 0;
		ret = 0;
		goto out;
	}
	/* "CPULIST PCT", "CPULIST host=MCPU" or "CPULIST +USEC": one pair */
	ret = -EINVAL;
	sp = strchr(buf, ' ');
	if (!sp || strchr(sp + 1, ' '))
		goto out;
	*sp++ = '\0';
	relay = *sp == '+';
	host = str_has_prefix(sp, "host=");
	if (!isdigit(sp[relay + host]) || kstrtouint(sp + relay + host, 10, &val))
		goto out;
	if (relay ? val > PVSTEAL_RELAY_MAX_US : host ? val > PVSTEAL_HOST_MAX_MCPU : val > 100)
		goto out;
	if (pvsteal_parse_list(buf, mask) || cpumask_empty(mask))
		goto out;
	if (host) {
		/* One host at a time: this one replaces it, host=0 removes it. */
		memset(pv.host, 0, sizeof(pv.host));
		pv.host_mcpu = val;
	}
	for_each_cpu(cpu, mask) {
		if (cpu >= PVP_MAX_CPUS)
			continue;
		if (relay)
			pv.relayed[cpu] += (u64)val * NSEC_PER_USEC;
		else if (host)
			pv.host[cpu] = val;
		else
			pv.inject[cpu] = val;
	}
	ret = 0;
out:
	mutex_unlock(&pv.lock);
	free_cpumask_var(mask);
	kfree(buf);
	return ret ? ret : count;
}

DEFINE_SHOW_STORE_ATTRIBUTE(inject);

/* "MCPU SEQ LEFT", or "none" before the first hint. Caller holds pv.lock. */
static void pvsteal_hint_show(struct seq_file *m)
{
	if (pv.hint != HINT_NONE)
		seq_printf(m, "%u %u %u\n", pv.policy->hint_mcpu, pv.hint_seq,
			   pv.policy->hint_left);
	else
		seq_puts(m, "none\n");
}

static int capacity_show(struct seq_file *m, void *v)
{
	mutex_lock(&pv.lock);
	pvsteal_hint_show(m);
	mutex_unlock(&pv.lock);
	return 0;
}

/*
 * "MCPU SEQ TTL": the host gives the guest MCPU thousandths of a CPU
 * (0..PVSTEAL_HOST_MAX_MCPU) for the next TTL periods (1..1000). Taken in
 * any law and mode, used by law=host in auto mode.
 */
static ssize_t capacity_write(struct file *file, const char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	unsigned int mcpu, seq, ttl;
	char *buf, *p, *tok[3];
	int i, ret = -EINVAL;

	buf = pvsteal_get_write(ubuf, count, ppos);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	p = buf;
	for (i = 0; i < 3; i++) {
		tok[i] = strsep(&p, " ");
		if (!tok[i] || !isdigit(*tok[i]))
			goto out;
	}
	if (p || kstrtouint(tok[0], 10, &mcpu) || kstrtouint(tok[1], 10, &seq) ||
	    kstrtouint(tok[2], 10, &ttl) || mcpu > PVSTEAL_HOST_MAX_MCPU ||
	    !ttl || ttl > PVSTEAL_HINT_TTL_MAX)
		goto out;
	mutex_lock(&pv.lock);
	if (pv.hint == HINT_LAPSED && pv.law == PVP_LAW_HOST)
		pr_info("the host's hint is back (seq %u)\n", seq);
	pv.hint = HINT_HELD;
	pv.hint_seq = seq;
	pvp_hint(pv.policy, mcpu, ttl);
	mutex_unlock(&pv.lock);
	ret = 0;
out:
	kfree(buf);
	return ret ? ret : count;
}

DEFINE_SHOW_STORE_ATTRIBUTE(capacity);

/*
 * stats:
 *	mode auto|manual
 *	mask CPULIST
 *	changes N
 *	last_change_ms MS	(CLOCK_MONOTONIC, 0 = never)
 *	periods N
 *	errors N
 *	law ours|upstream|host
 *	decides ours|upstream|host	(law=host without a hint: ours)
 *	hint MCPU SEQ LEFT|none		(the host's last hint, periods it holds)
 *	probe CPULIST US	(CPUs probed this period, and for how long)
 *	cost_ns N		(mean CPU time per period spent sampling and deciding)
 *	cpu N steal PCT smooth PCT.HH marked 0|1	(one line per online CPU)
 *
 * A CPU's steal is the percentage of the time it wanted to run that it lost.
 */
static int stats_show(struct seq_file *m, void *v)
{
	const char *sep = "";
	int cpu;

	mutex_lock(&pv.lock);
	seq_printf(m, "mode %s\n", pv.manual ? "manual" : "auto");
	seq_printf(m, "mask %*pbl\n", cpumask_pr_args(cpu_paravirt_mask));
	seq_printf(m, "changes %lu\n", pv.changes);
	seq_printf(m, "last_change_ms %llu\n", div_u64(pv.last_change_ns, NSEC_PER_MSEC));
	seq_printf(m, "periods %u\n", pv.policy->period);
	seq_printf(m, "errors %lu\n", pv.errors);
	seq_printf(m, "law %s\n", pvsteal_laws[pv.law]);
	seq_printf(m, "decides %s\n", pv.law == PVP_LAW_HOST && !pv.policy->hint_left ?
		   pvsteal_laws[PVP_LAW_OURS] : pvsteal_laws[pv.law]);
	pvsteal_hint_show(m);
	seq_puts(m, "probe ");
	for (cpu = 0; cpu < nr_cpu_ids && cpu < PVP_MAX_CPUS; cpu++)
		if (!pv.manual && pvp_test(&pv.policy->probe, cpu))
			seq_printf(m, "%s%d", sep, cpu), sep = ",";
	seq_printf(m, " %llu\n", div_u64(pv.probe_ns, NSEC_PER_USEC));
	seq_printf(m, "cost_ns %llu\n", pv.policy->period ?
		   div_u64(pv.cost_ns, pv.policy->period) : 0);
	for_each_online_cpu(cpu) {
		const struct pvp_cpu *c;

		if (cpu >= PVP_MAX_CPUS)
			break;
		c = &pv.policy->cpu[cpu];
		seq_printf(m, "cpu %d steal %u smooth %u.%02u marked %d\n", cpu,
			   c->steal, c->smooth / 100, c->smooth % 100,
			   cpumask_test_cpu(cpu, cpu_paravirt_mask));
	}
	mutex_unlock(&pv.lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(stats);

/* A knob file: reads the value, writes are validated against the others. */
struct pvsteal_knob {
	const char *name;
	unsigned int *val;
};

static const struct pvsteal_knob pvsteal_knob_list[] = {
	{ "period_ms", &period_ms },
	{ "high_pct", &high_pct },
	{ "low_pct", &low_pct },
	{ "min_active", &min_active },
};

static int pvsteal_knobs_ok(void)
{
	struct pvp_knobs k = pvsteal_knobs();

	if (period_ms < PVSTEAL_PERIOD_MIN || period_ms > PVSTEAL_PERIOD_MAX)
		return -EINVAL;
	return pvp_knobs_valid(&k, num_possible_cpus()) ? -EINVAL : 0;
}

static int knob_show(struct seq_file *m, void *v)
{
	const struct pvsteal_knob *knob = m->private;

	mutex_lock(&pv.lock);
	seq_printf(m, "%u\n", *knob->val);
	mutex_unlock(&pv.lock);
	return 0;
}

static ssize_t knob_write(struct file *file, const char __user *ubuf,
			  size_t count, loff_t *ppos)
{
	const struct pvsteal_knob *knob = ((struct seq_file *)file->private_data)->private;
	unsigned int val, old;
	char *buf;
	int ret;

	buf = pvsteal_get_write(ubuf, count, ppos);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	ret = kstrtouint(buf, 10, &val) ? -EINVAL : 0;
	kfree(buf);
	if (ret)
		return ret;

	mutex_lock(&pv.lock);
	old = *knob->val;
	*knob->val = val;
	ret = pvsteal_knobs_ok();
	if (ret)
		*knob->val = old;
	else if (!pv.manual && knob->val == &period_ms)
		mod_delayed_work(system_wq, &pv.work, msecs_to_jiffies(period_ms));
	mutex_unlock(&pv.lock);
	return ret ? ret : count;
}

DEFINE_SHOW_STORE_ATTRIBUTE(knob);

static int mode_show(struct seq_file *m, void *v)
{
	mutex_lock(&pv.lock);
	seq_printf(m, "%s\n", pv.manual ? "manual" : "auto");
	mutex_unlock(&pv.lock);
	return 0;
}

/* "auto" starts the policy; "manual" keeps the current mask as the manual one. */
static ssize_t mode_write(struct file *file, const char __user *ubuf,
			  size_t count, loff_t *ppos)
{
	char *buf;
	int ret = -EINVAL;

	buf = pvsteal_get_write(ubuf, count, ppos);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	mutex_lock(&pv.lock);
	if (!strcmp(buf, "auto"))
		ret = pv.manual ? pvsteal_start_auto() : 0;
	else if (!strcmp(buf, "manual"))
		ret = pv.manual ? 0 : pvsteal_start_manual(cpu_paravirt_mask);
	mutex_unlock(&pv.lock);
	kfree(buf);
	return ret ? ret : count;
}

DEFINE_SHOW_STORE_ATTRIBUTE(mode);

static int law_show(struct seq_file *m, void *v)
{
	mutex_lock(&pv.lock);
	seq_printf(m, "%s\n", pvsteal_laws[pv.law]);
	mutex_unlock(&pv.lock);
	return 0;
}

/* A new law starts from no history, as a mode change does. */
static ssize_t law_write(struct file *file, const char __user *ubuf,
			 size_t count, loff_t *ppos)
{
	char *buf;
	int law, ret = 0;

	buf = pvsteal_get_write(ubuf, count, ppos);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	law = match_string(pvsteal_laws, ARRAY_SIZE(pvsteal_laws), buf);
	kfree(buf);
	if (law < 0)
		return -EINVAL;
	mutex_lock(&pv.lock);
	if (law != pv.law) {
		pv.law = law;
		if (!pv.manual)
			ret = pvsteal_start_auto();
	}
	mutex_unlock(&pv.lock);
	return ret ? ret : count;
}

DEFINE_SHOW_STORE_ATTRIBUTE(law);

/*
 * CPU hotplug. These run with the hotplug lock held for writing, and the
 * sampler holds pv.lock while it takes the hotplug lock for reading (in
 * sched_paravirt_set_cpus()), so they must not take pv.lock: they only
 * tell the sampler that the CPU's counters start afresh. The scheduler
 * applies the mask to active CPUs only, and the policy drops offline CPUs
 * at its next period.
 */
static int pvsteal_cpu_online(unsigned int cpu)
{
	WRITE_ONCE(per_cpu_ptr(&pv_cpu, cpu)->valid, false);
	return 0;
}

static int pvsteal_cpu_offline(unsigned int cpu)
{
	WRITE_ONCE(per_cpu_ptr(&pv_cpu, cpu)->valid, false);
	return 0;
}

/* Put CPUs that share a core in one policy group, so they fold together. */
static void pvsteal_init_groups(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		if (cpu >= PVP_MAX_CPUS)
			break;
		/* Offline CPUs have an empty sibling mask: their own group. */
		pv.policy->cpu[cpu].group =
			min(cpumask_first(topology_sibling_cpumask(cpu)), (unsigned int)cpu);
	}
}

static int __init pvsteal_init(void)
{
	int cpu, ret;

	if (nr_cpu_ids > PVP_MAX_CPUS) {
		pr_err("%u CPUs: the policy handles at most %d\n", nr_cpu_ids, PVP_MAX_CPUS);
		return -EINVAL;
	}
	if (pvsteal_knobs_ok()) {
		pr_err("bad parameters: period_ms %u (%d..%d), high_pct %u, low_pct %u (< high_pct), min_active %u (1..%u)\n",
		       period_ms, PVSTEAL_PERIOD_MIN, PVSTEAL_PERIOD_MAX, high_pct,
		       low_pct, min_active, num_possible_cpus());
		return -EINVAL;
	}
	if (strcmp(mode_param, "auto") && strcmp(mode_param, "manual")) {
		pr_err("mode must be auto or manual, not '%s'\n", mode_param);
		return -EINVAL;
	}
	ret = match_string(pvsteal_laws, ARRAY_SIZE(pvsteal_laws), law_param);
	if (ret < 0) {
		pr_err("law must be ours, upstream or host, not '%s'\n", law_param);
		return -EINVAL;
	}
	pv.law = ret;

	pv.policy = kvzalloc(sizeof(*pv.policy), GFP_KERNEL);
	pv.samples = kvcalloc(PVP_MAX_CPUS, sizeof(*pv.samples), GFP_KERNEL);
	/* Probes spin: CPU-intensive work does not hold up the pool. */
	pv.probe_wq = alloc_workqueue("pvsteal_probe", WQ_CPU_INTENSIVE, 0);
	if (!pv.policy || !pv.samples || !pv.probe_wq) {
		ret = -ENOMEM;
		goto err_free;
	}
	pvp_init(pv.policy, nr_cpu_ids);
	INIT_DELAYED_WORK(&pv.work, pvsteal_work);
	for_each_possible_cpu(cpu)
		INIT_WORK(&per_cpu_ptr(&pv_cpu, cpu)->probe, pvsteal_probe);

	ret = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "pvsteal:online",
				pvsteal_cpu_online, pvsteal_cpu_offline);
	if (ret < 0)
		goto err_free;
	pv.hp_state = ret;

	cpus_read_lock();
	pvsteal_init_groups();
	cpus_read_unlock();

	mutex_lock(&pv.lock);
	pv.manual = true;	/* until started below */
	if (!strcmp(mode_param, "auto"))
		ret = pvsteal_start_auto();
	else
		ret = pvsteal_start_manual(cpu_none_mask);
	mutex_unlock(&pv.lock);
	if (ret)
		goto err_hp;

	pv.dir = debugfs_create_dir("pvsteal", NULL);
	debugfs_create_file("override", 0644, pv.dir, NULL, &override_fops);
	debugfs_create_file("inject", 0644, pv.dir, NULL, &inject_fops);
	debugfs_create_file("stats", 0444, pv.dir, NULL, &stats_fops);
	debugfs_create_file("mode", 0644, pv.dir, NULL, &mode_fops);
	debugfs_create_file("law", 0644, pv.dir, NULL, &law_fops);
	debugfs_create_file("capacity", 0644, pv.dir, NULL, &capacity_fops);
	for (int i = 0; i < ARRAY_SIZE(pvsteal_knob_list); i++)
		debugfs_create_file(pvsteal_knob_list[i].name, 0644, pv.dir,
				    (void *)&pvsteal_knob_list[i], &knob_fops);
	return 0;

err_hp:
	cpuhp_remove_state(pv.hp_state);
err_free:
	if (pv.probe_wq)
		destroy_workqueue(pv.probe_wq);
	kvfree(pv.samples);
	kvfree(pv.policy);
	return ret;
}

static void __exit pvsteal_exit(void)
{
	/* No writer can race with us once the files are gone. */
	debugfs_remove(pv.dir);

	mutex_lock(&pv.lock);
	pv.manual = true;
	mutex_unlock(&pv.lock);
	cancel_delayed_work_sync(&pv.work);
	/* No new probes once the sampler has stopped; wait for running ones. */
	destroy_workqueue(pv.probe_wq);
	cpuhp_remove_state(pv.hp_state);

	mutex_lock(&pv.lock);
	if (pvsteal_apply(cpu_none_mask))
		pr_err("could not clear the paravirt CPU mask\n");
	mutex_unlock(&pv.lock);

	kvfree(pv.samples);
	kvfree(pv.policy);
}

module_init(pvsteal_init);
module_exit(pvsteal_exit);

MODULE_DESCRIPTION("Mark vCPUs as paravirt from steal time");
MODULE_LICENSE("GPL");
