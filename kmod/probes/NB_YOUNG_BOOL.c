// SPDX-License-Identifier: GPL-2.0
/* Newer kernels: the young callbacks return bool instead of int. */
#include <linux/mmu_notifier.h>

static bool f(struct mmu_notifier *sub, struct mm_struct *mm,
	      unsigned long start, unsigned long end)
{
	return false;
}

static bool t(struct mmu_notifier *sub, struct mm_struct *mm,
	      unsigned long address)
{
	return false;
}

static const struct mmu_notifier_ops ops __used = {
	.clear_flush_young = f,
	.clear_young = f,
	.test_young = t,
};
