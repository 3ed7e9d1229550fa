/* SPDX-License-Identifier: GPL-2.0 */
/*
 * notibench-compare (scripts/compare): compares two or more runs of notibench.
 * Usage, statistics and exit status: results/README.md, "Comparing runs".
 *
 * runs.c   loads a RUN (one CSV, or a run directory of <item-id>.csv)
 * env.c    what differs in the runs' environments
 * table.c  per item x configuration: median, CI, test, Holm, geomeans
 * print.c  the plain-text report and the CSV
 * main.c   options and exit status
 */
#ifndef NB_COMPARE_H
#define NB_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "csv_read.h"
#include "stats.h"

/* Exit status (the project's convention, usable by `git bisect run`). */
enum {
	CMP_EXIT_OK = 0,		/* no significant regression beyond the threshold */
	CMP_EXIT_REGRESSION = 1,
	CMP_EXIT_USAGE = 2,		/* bad usage, unreadable or malformed run */
	CMP_EXIT_CHECK_FAILED = 3,	/* no regression, but an item's self-check failed */
};

/* Below this many samples per side the normal approximation is not used. */
#define CMP_MIN_N_APPROX 8

struct cmp_opts {
	const char *metric;		/* column compared (default ns_per_op) */
	double threshold_pct;		/* regression: significant and change > this */
	double alpha;			/* significance of the Holm-adjusted p */
	double tolerance_pct;		/* exact runs: the cross-boot tolerance */
	const char *csv_path;		/* --csv, or NULL */
	const char *tsv_path;		/* --tsv, or NULL */
	bool exact;			/* the runs are exact (clock_unit insn): set after loading */
};

/* The exact-mode tolerance: the medians of most items repeat within 0.1 % across boots. */
#define CMP_DEFAULT_TOLERANCE_PCT 0.1

/*
 * A matrix item of a run: <id>.csv, or its repeats <id>.r1.csv .. <id>.rN.csv
 * (bench/all --repeat N).
 */
struct run_item {
	char *id;			/* file name without .csv and .rN */
	struct csv_file *rep;		/* by N; one for <id>.csv */
	size_t nrep;
	/*
	 * Why its first failed repeat failed (`# check: FAILED` and its first
	 * failure, or run.meta's status `fail` and reason), or NULL. Such an
	 * item is not compared: its numbers measure a kernel that did not do
	 * what the benchmark predicts, or a run that went wrong.
	 */
	char *fail;
	size_t fail_rep;		/* that repeat, 0-based */
};

struct run {
	const char *path;		/* as given */
	bool is_dir;
	struct run_item *items;		/* sorted by id */
	size_t nitems;
	char *label;			/* kernel_label (run.meta, else its CSVs'), " (arch)" off x86-64; or NULL */
	/*
	 * clock_unit of every CSV (and run.meta): "ns" (wall clock; a CSV without
	 * the key) or "insn" (exact mode: QEMU icount, the guest clock counts
	 * executed instructions).
	 */
	const char *unit;
};

/* runs.c */
/*
 * Loads path (a notibench CSV, or a directory of them). 0, or -1 with err
 * (also when its files disagree on clock_unit, or name another unit).
 */
int run_load(const char *path, const char *metric, struct run *r, char *err, size_t errlen);
/*
 * When every run is a single file, names their one item alike so they match:
 * their common file name, else run 1's `benchmark`. 0, or -1 on ENOMEM.
 */
int runs_name_single_files(struct run *runs, size_t nruns);
/* The item with this id, or NULL. */
const struct run_item *run_find(const struct run *r, const char *id);
/* The configuration with this label in repeat rep, or NULL. */
const struct csv_config *item_config(const struct run_item *it, size_t rep, const char *label);
/* Whether some repeat of the item has a configuration with this label. */
bool item_has_config(const struct run_item *it, const char *label);
void run_free(struct run *r);

/*
 * env.c: one environment key whose value differs between runs; per
 * item keys that differ alike in several items are one entry.
 */
struct env_diff {
	char *items;			/* NULL: a run-wide key; else the items, ", "-separated */
	size_t nitems;
	bool all_items;			/* every item present in all runs */
	char *key;
	char **val;			/* per run; "(absent)" when missing */
};

int env_diff_compute(const struct run *runs, size_t nruns, struct env_diff **out, size_t *nout);
void env_diff_free(struct env_diff *d, size_t n, size_t nruns);

/* table.c */
enum cmp_status {
	CMP_BASELINE,			/* run 1: nothing to compare with */
	CMP_TESTED,			/* p and p_holm are set */
	CMP_NO_DATA,			/* this run or run 1 has no value of the metric */
	CMP_TOO_SMALL,			/* ties and fewer than CMP_MIN_N_APPROX samples a side */
	CMP_EXACT,			/* exact runs: compared as deterministic, not tested */
	CMP_CLAMPED,			/* this run's or run 1's configuration was clamped: not compared */
};

/*
 * One item x configuration x run. Its values: the samples (of every repeat),
 * or when every run has two or more repeats of the item x configuration the
 * repeats' medians, so that the test sees the variation between runs.
 */
struct cmp_row {
	const char *item, *config, *benchmark;
	size_t run;			/* 0-based; 0 is the baseline */
	size_t nrep;			/* repeats with values of the metric */
	bool by_repeat;			/* values: the repeats' medians */
	struct stats st;		/* of the values; st.n == 0: no data */
	double min_p;			/* smallest p the test could give with these n (exact) */
	enum cmp_status status;
	struct mwu test;
	double ratio;			/* median / run 1's median; NaN when undefined */
	double change_pct;		/* (ratio - 1) x 100; +inf when run 1's median is 0 */
	double p_holm;
	double diff;			/* median - run 1's median (exact runs) */
	bool significant;		/* p_holm < alpha; exact runs: flagged (see cmp_exact_flag) */
	bool regression;		/* significant and change_pct > threshold */
	bool beyond_spread;		/* exact: |diff| above both runs' CI widths */
	/*
	 * Some calls of this run's configuration charged the module's per-call
	 * cap, not their cost (the CSV's config.N.clamped): its figure is a lower
	 * bound, never flagged, tested or averaged.
	 */
	bool clamped;
};

/* An item x configuration not present in every run. */
struct cmp_missing {
	const char *item, *config;	/* config NULL: the whole item */
	bool *present;			/* per run */
};

/* An item not compared because it failed in one run (one entry per such run). */
struct cmp_failed {
	const char *item;
	size_t run;			/* 0-based */
	size_t rep, nrep;		/* the failed repeat (0-based) of nrep */
	const char *why;
};

/* Geometric mean of the ratios of medians, per benchmark and run k > 1. */
struct cmp_geomean {
	const char *benchmark;
	size_t run;
	double ratio;			/* NaN when no pair qualifies */
	size_t npairs;			/* item x configuration pairs in it */
	size_t nleft_out;		/* pairs without a positive ratio (no data, median 0) */
};

struct cmp_table {
	struct cmp_row *rows;
	size_t nrows;
	struct cmp_missing *missing;
	size_t nmissing;
	struct cmp_failed *failed;	/* not compared: a self-check failed */
	size_t nfailed;
	struct cmp_geomean *geo;
	size_t ngeo;
	size_t ntests, nsignificant, nregressions, nimprovements, ntoo_small;
	size_t nexact;			/* exact runs: item x configuration x run compared */
	size_t nclamped;		/* rows not compared: clamped in their run or run 1 */
	size_t nsingle;			/* item x configurations tested on samples of one repeat */
	size_t nunderpowered;		/* tests whose min_p x ntests >= alpha */
	const struct cmp_row *weakest;	/* the one of those with the largest min_p */
};

int cmp_table_compute(const struct run *runs, size_t nruns, const struct cmp_opts *o,
		      struct cmp_table *t);
/* "ns/op", "insn/call", "insn": the metric's unit in these runs ("" when not a time). */
const char *cmp_metric_unit(const char *metric, bool exact, char *buf, size_t len);
void cmp_table_free(struct cmp_table *t);

/* print.c */
void cmp_print_text(FILE *out, const struct run *runs, size_t nruns, const struct cmp_opts *o,
		    const struct env_diff *d, size_t nd, const struct cmp_table *t);
/*
 * Writes the CSV (tsv: tab-separated, no quoting, control characters as '?')
 * atomically (temp file + rename). 0, or -1 with err.
 */
int cmp_write_csv(const char *path, bool tsv, const struct run *runs, size_t nruns,
		  const struct cmp_opts *o, const struct env_diff *d, size_t nd,
		  const struct cmp_table *t, char *err, size_t errlen);

#endif /* NB_COMPARE_H */
