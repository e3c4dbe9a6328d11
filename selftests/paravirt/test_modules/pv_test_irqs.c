// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupts for the paravirt kselftests: @count interrupts named
 * "pv_test_irqs" of a chip that takes any affinity at once, in process
 * context, as interrupt remapping does. The interrupt of hardware number h
 * is delivered to the (h mod n)-th of the n online CPUs of its affinity,
 * so that a default affinity spreads them over every CPU.
 *
 * @managed gives each a managed affinity of the two highest CPUs instead,
 * as a multi-queue driver's queue interrupts have (a queue of those CPUs).
 * @nobalance makes them IRQ_NO_BALANCING, with the two highest CPUs set by
 * the module as a driver does (/proc refuses such an affinity). @full
 * lists CPUs without a vector left: the chip takes only the others, and
 * refuses with -ENOSPC a mask with none of them. @nocopy makes the chip
 * store the mask it is given and return IRQ_SET_MASK_OK_NOCOPY, as some
 * irqchips do. The first interrupt has an affinity notifier, whose calls
 * @notified counts, as a driver's would see a change of affinity.
 *
 * Nothing ever raises them: the tests read where each is delivered
 * (/proc/irq/N/effective_affinity_list) and how long a change of the
 * paravirt mask takes with that many interrupts to look at.
 */
#include <linux/cpumask.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irqdomain.h>
#include <linux/module.h>
#include <linux/slab.h>

static unsigned int count = 1000;
module_param(count, uint, 0444);
MODULE_PARM_DESC(count, "interrupts to request (1-4096)");

static bool managed;
module_param(managed, bool, 0444);
MODULE_PARM_DESC(managed, "managed affinity on the two highest online CPUs");

static bool nobalance;
module_param(nobalance, bool, 0444);
MODULE_PARM_DESC(nobalance, "IRQ_NO_BALANCING, affinity set by the module on the two highest CPUs");

static char *full = "";
module_param(full, charp, 0444);
MODULE_PARM_DESC(full, "CPUs without a vector left (a cpulist)");

static bool nocopy;
module_param(nocopy, bool, 0444);
MODULE_PARM_DESC(nocopy, "the chip stores the mask itself (IRQ_SET_MASK_OK_NOCOPY)");

static unsigned int notified;
module_param(notified, uint, 0444);
MODULE_PARM_DESC(notified, "calls of the first interrupt's affinity notifier (read only)");

static struct cpumask full_mask;
static struct fwnode_handle *fwnode;
static struct irq_domain *domain;
static unsigned int *virqs;

static int pv_test_irqs_set_affinity(struct irq_data *d, const struct cpumask *mask,
				     bool force)
{
	struct cpumask room;
	unsigned int n;

	if (!cpumask_intersects(mask, cpu_online_mask))
		return -EINVAL;
	cpumask_and(&room, mask, cpu_online_mask);
	cpumask_andnot(&room, &room, &full_mask);
	n = cpumask_weight(&room);
	if (!n)
		return -ENOSPC;
	irq_data_update_effective_affinity(d, cpumask_of(cpumask_nth(d->hwirq % n, &room)));
	if (!nocopy)
		return IRQ_SET_MASK_OK;
	irq_data_update_affinity(d, mask);
	return IRQ_SET_MASK_OK_NOCOPY;
}

static void pv_test_irqs_nop(struct irq_data *d)
{
}

static struct irq_chip pv_test_irqs_chip = {
	.name			= "pv_test_irqs",
	.irq_mask		= pv_test_irqs_nop,
	.irq_unmask		= pv_test_irqs_nop,
	.irq_set_affinity	= pv_test_irqs_set_affinity,
};

static int pv_test_irqs_map(struct irq_domain *d, unsigned int virq, irq_hw_number_t hw)
{
	irq_set_chip_and_handler(virq, &pv_test_irqs_chip, handle_simple_irq);
	irq_set_status_flags(virq, IRQ_MOVE_PCNTXT | (nobalance ? IRQ_NO_BALANCING : 0));
	return 0;
}

static const struct irq_domain_ops pv_test_irqs_ops = {
	.map	= pv_test_irqs_map,
	.xlate	= irq_domain_xlate_onecell,
};

static irqreturn_t pv_test_irqs_handler(int irq, void *dev_id)
{
	return IRQ_HANDLED;
}

static void pv_test_irqs_notify(struct irq_affinity_notify *notify, const cpumask_t *mask)
{
	WRITE_ONCE(notified, READ_ONCE(notified) + 1);
}

static void pv_test_irqs_release(struct kref *ref)
{
}

static struct irq_affinity_notify pv_test_irqs_notifier = {
	.notify		= pv_test_irqs_notify,
	.release	= pv_test_irqs_release,
};

static void pv_test_irqs_free(void)
{
	unsigned int i;

	if (virqs[0])
		irq_set_affinity_notifier(virqs[0], NULL);
	for (i = 0; i < count; i++) {
		if (!virqs[i])
			continue;
		free_irq(virqs[i], virqs);
		irq_dispose_mapping(virqs[i]);
	}
	kfree(virqs);
	irq_domain_remove(domain);
	irq_domain_free_fwnode(fwnode);
}

static int __init pv_test_irqs_init(void)
{
	struct irq_affinity_desc aff = { .is_managed = 1 };
	unsigned int i, cpu, last = 0, before = 0;
	int ret;

	if (count < 1 || count > 4096 || cpulist_parse(full, &full_mask))
		return -EINVAL;
	/* The two highest online CPUs. */
	for_each_online_cpu(cpu) {
		before = last;
		last = cpu;
	}
	if ((managed || nobalance) && before == last)
		return -EINVAL;
	cpumask_set_cpu(before, &aff.mask);
	cpumask_set_cpu(last, &aff.mask);

	virqs = kcalloc(count, sizeof(*virqs), GFP_KERNEL);
	if (!virqs)
		return -ENOMEM;
	fwnode = irq_domain_alloc_named_fwnode("pv_test_irqs");
	if (!fwnode) {
		kfree(virqs);
		return -ENOMEM;
	}
	domain = irq_domain_create_linear(fwnode, count, &pv_test_irqs_ops, NULL);
	if (!domain) {
		irq_domain_free_fwnode(fwnode);
		kfree(virqs);
		return -ENOMEM;
	}
	for (i = 0; i < count; i++) {
		virqs[i] = irq_create_mapping_affinity(domain, i, managed ? &aff : NULL);
		if (!virqs[i]) {
			ret = -ENOSPC;
			goto fail;
		}
		ret = request_irq(virqs[i], pv_test_irqs_handler, 0, "pv_test_irqs", virqs);
		if (ret) {
			irq_dispose_mapping(virqs[i]);
			virqs[i] = 0;
			goto fail;
		}
		if (nobalance) {
			ret = irq_set_affinity(virqs[i], &aff.mask);
			if (ret)
				goto fail;
		}
		if (!i) {
			ret = irq_set_affinity_notifier(virqs[0], &pv_test_irqs_notifier);
			if (ret)
				goto fail;
		}
	}
	return 0;
fail:
	pv_test_irqs_free();
	return ret;
}

static void __exit pv_test_irqs_exit(void)
{
	pv_test_irqs_free();
}

module_init(pv_test_irqs_init);
module_exit(pv_test_irqs_exit);
MODULE_DESCRIPTION("Interrupts of a chip that takes any affinity, for the paravirt kselftests");
MODULE_LICENSE("GPL");
