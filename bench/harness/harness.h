/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The harness: pinning, warm-up, batch calibration, interleaved samples of
 * every configuration, counters, statistics and output. See bench/README.md.
 */
#ifndef NB_HARNESS_H
#define NB_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#include "backend.h"
#include "bench.h"
#include "stats.h"

struct run_opts {
	bool quick;
	unsigned int samples;		/* per configuration */
	int cpu;			/* -1: the last allowed CPU */
	const char *out_dir;
	uint64_t min_sample_ns;		/* a sample lasts at least this (and >= 200 timer calls) */
	uint64_t batch;			/* 0: calibrate */
	bool no_check;
	bool no_knobs;			/* leave numa_balancing and KSM alone */
	struct backend *cfg;
	unsigned int ncfg;
	const char *cmdline;		/* for metadata */
};

/* A CSV column: numeric (summarised) or text (per sample only). */
struct column {
	char name[48];
	bool text;
};

struct config_result {
	struct backend *b;
	unsigned int n;			/* samples taken */
	double *v;			/* n x ncols; NAN: unavailable */
	char **text;			/* n x ncols; NULL unless the column is text */
	unsigned int *round, *seq;
	struct stats *st;		/* per column */
};

struct run_result {
	struct column *cols;
	unsigned int ncols;
	struct config_result *cfg;
	unsigned int ncfg;
};

/* Column index by name, -1 if absent. */
int run_col(const struct run_result *r, const char *name);

/* Runs benchmark b with its parsed options; returns an enum nb_exit. */
int harness_run(const struct bench *b, const struct bench_val *opt, struct run_opts *o);

#endif /* NB_HARNESS_H */
