// SPDX-License-Identifier: GPL-2.0
/* 5.5+: interval notifiers with a one-pass bool invalidate. */
#include <linux/mmu_notifier.h>

static bool f(struct mmu_interval_notifier *sub,
	      const struct mmu_notifier_range *range, unsigned long cur_seq)
{
	return true;
}

static const struct mmu_interval_notifier_ops ops __used = {
	.invalidate = f,
};
