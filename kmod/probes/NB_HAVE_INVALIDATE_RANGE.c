// SPDX-License-Identifier: GPL-2.0
/* Up to 6.5: the secondary-TLB hook is invalidate_range. */
#include <linux/mmu_notifier.h>

static void f(struct mmu_notifier *sub, struct mm_struct *mm,
	      unsigned long start, unsigned long end)
{
}

static const struct mmu_notifier_ops ops __used = {
	.invalidate_range = f,
};
