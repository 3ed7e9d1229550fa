// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmarks this binary holds: each file of a benchmark registers itself
 * with NB_BENCHMARK() (bench/harness/bench.h), which puts a pointer in the section
 * nb_benchmarks; the linker gathers them between __start_ and __stop_. Here
 * they are sorted by name once, so `notibench list` does not depend on the
 * link order.
 */
#include <stdlib.h>
#include <string.h>

#include "bench.h"

extern const struct bench *const __start_nb_benchmarks[];
extern const struct bench *const __stop_nb_benchmarks[];

enum { BENCH_MAX = 64 };
static const struct bench *sorted[BENCH_MAX];
static unsigned int nr_sorted;

static int by_name(const void *a, const void *b)
{
	return strcmp((*(const struct bench *const *)a)->name, (*(const struct bench *const *)b)->name);
}

static void load(void)
{
	if (nr_sorted)
		return;
	for (const struct bench *const *p = __start_nb_benchmarks; p < __stop_nb_benchmarks; p++)
		if (nr_sorted < BENCH_MAX)
			sorted[nr_sorted++] = *p;
	qsort(sorted, nr_sorted, sizeof(sorted[0]), by_name);
}

unsigned int bench_count(void)
{
	load();
	return nr_sorted;
}

const struct bench *bench_at(unsigned int i)
{
	load();
	return i < nr_sorted ? sorted[i] : NULL;
}

const struct bench *bench_find(const char *name)
{
	load();
	for (unsigned int i = 0; i < nr_sorted; i++)
		if (!strcmp(sorted[i]->name, name))
			return sorted[i];
	return NULL;
}
