// SPDX-License-Identifier: GPL-2.0
/* 6.6+: the secondary-TLB hook is arch_invalidate_secondary_tlbs. */
#include <linux/mmu_notifier.h>

static void f(struct mmu_notifier *sub, struct mm_struct *mm,
	      unsigned long start, unsigned long end)
{
}

static const struct mmu_notifier_ops ops __used = {
	.arch_invalidate_secondary_tlbs = f,
};
