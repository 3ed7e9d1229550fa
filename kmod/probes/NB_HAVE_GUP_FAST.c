// SPDX-License-Identifier: GPL-2.0
/* get_user_pages_fast(), else the driver falls back to the unlocked GUP. */
#include <linux/mm.h>

static int __used f(unsigned long addr, struct page **pages)
{
	return get_user_pages_fast(addr, 1, FOLL_WRITE, pages);
}
