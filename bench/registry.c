// SPDX-License-Identifier: GPL-2.0
/*
 * THE table of benchmarks, sorted by name. Adding a benchmark is one file
 * defining its struct bench_ops plus one row here.
 */
#include <string.h>

#include "bench.h"

extern const struct bench_ops bench_aging_ops;
extern const struct bench_ops bench_collapse_ops;
extern const struct bench_ops bench_cow_ops;
extern const struct bench_ops bench_mprotect_ops;
extern const struct bench_ops bench_numa_ops;
extern const struct bench_ops bench_upgrade_ops;
extern const struct bench_ops bench_zap_ops;

const struct bench bench_table[] = {
	{ "aging", "access-bit aging: page_idle marking and DAMON sampling rounds; young-callback "
		   "calls and ns per page aged", &bench_aging_ops },
	{ "collapse", "THP collapse (MADV_COLLAPSE, khugepaged) and KSM merging; ns and notifier "
		      "events per collapse or merged page", &bench_collapse_ops },
	{ "cow", "COW faults after fork (4K, THP, zero page; parent or child writes) and fork "
		 "itself; notifier calls per fault", &bench_cow_ops },
	{ "mprotect", "mprotect toggle/walk of 4K, THP, sparse, empty and hugetlb regions; "
		      "notifier ranges per call (PMD vs PUD level)", &bench_mprotect_ops },
	{ "numa", "NUMA balancing (hinting scans: invalidations and bytes per scan period, hinting "
		  "faults per page) and page migration between nodes (ns and events per page)",
		  &bench_numa_ops },
	{ "upgrade", "permission-upgrade faults (mprotect, wp-reuse, read-then-write, soft-dirty); "
		     "notifier events, zapped entries and refaults per upgrade", &bench_upgrade_ops },
	{ "zap", "MADV_DONTNEED/FREE/PAGEOUT and munmap of 4K, 2M, 1G chunks as syscalls or batched "
		 "io_uring SQEs; ns per chunk, UNMAP/CLEAR events per chunk", &bench_zap_ops },
};

const unsigned int bench_count = sizeof(bench_table) / sizeof(bench_table[0]);

const struct bench *bench_find(const char *name)
{
	for (unsigned int i = 0; i < bench_count; i++)
		if (!strcmp(bench_table[i].name, name))
			return &bench_table[i];
	return NULL;
}
