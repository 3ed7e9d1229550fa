// SPDX-License-Identifier: GPL-2.0
/*
 * MMU_NOTIFY_PROTECTION_UPGRADE: no mainline kernel has it;
 * patches/6.12/upgrade-notify.patch appends it to enum mmu_notifier_event.
 */
#include <linux/mmu_notifier.h>

static const enum mmu_notifier_event ev __used = MMU_NOTIFY_PROTECTION_UPGRADE;
