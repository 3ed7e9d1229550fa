// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmarks this binary holds: each file of a benchmark registers itself
 * with NB_BENCHMARK() (bench/harness/bench.h), which puts a pointer in the section
 * nb_benchmarks; the linker gathers them between __start_ and __stop_. Here
 * they are sorted by name once, so `notibench list` does not depend on the
 * link order. The copy is sized from the section: no limit to drop one past.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

extern const struct bench *const __start_nb_benchmarks[];
extern const struct bench *const __stop_nb_benchmarks[];

static const struct bench **sorted;
static unsigned int nr_sorted;

static int by_name(const void *a, const void *b)
{
	return strcmp((*(const struct bench *const *)a)->name, (*(const struct bench *const *)b)->name);
}

static void load(void)
{
	size_t n = (size_t)(__stop_nb_benchmarks - __start_nb_benchmarks);

	if (sorted || !n)
		return;
	sorted = malloc(n * sizeof(*sorted));
	if (!sorted) {
		/* At start-up, before any knob changes: nothing to undo. */
		fprintf(stderr, "notibench: out of memory listing %zu benchmarks\n", n);
		exit(1);
	}
	memcpy(sorted, __start_nb_benchmarks, n * sizeof(*sorted));
	nr_sorted = (unsigned int)n;
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
