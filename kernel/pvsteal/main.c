// SPDX-License-Identifier: GPL-2.0
/*
 * pvsteal: mark vCPUs as paravirt while the host cannot back them.
 *
 * The module owns the kernel's paravirt CPU mask while it is loaded and
 * clears it when it is unloaded. The mask comes either from the steal-time
 * policy (mode "auto") or from a list written to debugfs (mode "manual").
 *
 * /sys/kernel/debug/pvsteal/override
 *	read:  "auto", or the manual cpulist (an empty line for none)
 *	write: a cpulist ("2-3", "1,3,5-7", or an empty line for none) to
 *	       switch to manual mode with that mask, or "auto" to hand control
 *	       back to the policy. Anything else fails with -EINVAL and
 *	       changes nothing.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched/paravirt.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

/* Longest accepted write: a cpulist of every other CPU of NR_CPUS. */
#define PVSTEAL_MAX_WRITE	(NR_CPUS * 5 + 16)

static struct {
	struct mutex lock;		/* protects everything below */
	bool manual;			/* mode: manual list or policy */
	struct cpumask manual_mask;	/* the list written to override */
	struct dentry *dir;
} pv = {
	.lock = __MUTEX_INITIALIZER(pv.lock),
};

/* Apply @mask to the kernel and remember it. Caller holds pv.lock. */
static int pvsteal_apply(const struct cpumask *mask)
{
	lockdep_assert_held(&pv.lock);
	return sched_paravirt_set_cpus(mask);
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
	char *buf, *s;
	int ret;

	if (*ppos != 0 || count >= PVSTEAL_MAX_WRITE)
		return -EINVAL;

	buf = memdup_user_nul(ubuf, count);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	s = strim(buf);

	if (!zalloc_cpumask_var(&mask, GFP_KERNEL)) {
		kfree(buf);
		return -ENOMEM;
	}

	mutex_lock(&pv.lock);
	if (sysfs_streq(s, "auto")) {
		/* The policy starts from an empty mask. */
		ret = pvsteal_apply(cpu_none_mask);
		if (!ret)
			pv.manual = false;
	} else {
		/*
		 * cpulist_parse() also fails with -ERANGE for a CPU beyond
		 * nr_cpumask_bits; to the writer any bad list is -EINVAL.
		 */
		ret = cpulist_parse(s, mask) ? -EINVAL : 0;
		if (!ret)
			ret = pvsteal_apply(mask);
		if (!ret) {
			cpumask_copy(&pv.manual_mask, mask);
			pv.manual = true;
		}
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

static int __init pvsteal_init(void)
{
	pv.dir = debugfs_create_dir("pvsteal", NULL);
	debugfs_create_file("override", 0644, pv.dir, NULL, &override_fops);
	return 0;
}

static void __exit pvsteal_exit(void)
{
	/* No writer can race with us once the files are gone. */
	debugfs_remove(pv.dir);

	mutex_lock(&pv.lock);
	if (pvsteal_apply(cpu_none_mask))
		pr_err("could not clear the paravirt CPU mask\n");
	mutex_unlock(&pv.lock);
}

module_init(pvsteal_init);
module_exit(pvsteal_exit);

MODULE_DESCRIPTION("Mark vCPUs as paravirt from steal time");
MODULE_LICENSE("GPL");
