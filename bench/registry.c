// SPDX-License-Identifier: GPL-2.0
/*
 * THE table of benchmarks, sorted by name. Adding a benchmark is one file
 * defining its struct bench_ops plus one row here.
 */
#include <string.h>

#include "bench.h"

extern const struct bench_ops bench_mprotect_ops;

const struct bench bench_table[] = {
	{ "mprotect", "mprotect toggle/walk of 4K, THP, sparse, empty and hugetlb regions; "
		      "notifier ranges per call (PMD vs PUD level)", &bench_mprotect_ops },
};

const unsigned int bench_count = sizeof(bench_table) / sizeof(bench_table[0]);

const struct bench *bench_find(const char *name)
{
	for (unsigned int i = 0; i < bench_count; i++)
		if (!strcmp(bench_table[i].name, name))
			return &bench_table[i];
	return NULL;
}
