// SPDX-License-Identifier: GPL-2.0
/* change_pte was removed in 6.10. */
#include <linux/mmu_notifier.h>

static void f(struct mmu_notifier *sub, struct mm_struct *mm,
	      unsigned long address, pte_t pte)
{
}

static const struct mmu_notifier_ops ops __used = {
	.change_pte = f,
};
