/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal: what the parts of the harness share. harness.c runs the steps,
 * calibrate.c sizes the batch, sample.c takes one sample, results.c holds
 * the columns and values and writes the CSV, report.c prints the summary
 * and the sweeps' fits.
 */
#ifndef NB_HARNESS_IMPL_H
#define NB_HARNESS_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness.h"

/* The columns every run has, first and in this order. */
enum base_col { COL_NOPS, COL_SAMPLE_NS, COL_NS_PER_OP, COL_NS_PER_CALL, COL_BASE_NR };

/* Where each group of columns starts (-1: the run has none). */
struct layout_cols {
	int counters;			/* first counter column */
	int kvm_unmap_per_call, kvm_unmap_per_op;
	int faults_per_op, helper_faults;
	int bench;			/* first of the benchmark's own columns, nbench of them */
	unsigned int nbench;
	/* The backends' columns the report reads, by name (-1: absent). */
	int dev_zapped_per_op, dev_refaults_per_op;
	int nb_ns[NB_CB_NR];		/* nb_<callback>_ns */
	int nb_ranges_per_call, nb_charged_calls;
	int nb_charged_pages, nb_capped_per_op;
};

/* What every batch of a run needs, and what the samples add up. */
struct sample_ctx {
	const struct bench *bench;
	void *state;
	const struct bench_ctx *bctx;
	struct run_result *r;
	struct layout_cols *lc;
	uint64_t batch;
	unsigned int seq;
	unsigned int check_failures;
	bool no_check;
	bool exact;			/* clock_unit insn: samples start right after a tick */
	unsigned int tick_timeouts;	/* samples whose wait for a tick gave up */
};

/* How calibrate_batch() sizes the batch. */
struct batch_plan {
	double timer_ns;		/* one clock read */
	uint64_t target_ns;		/* a sample lasts at least this */
	uint64_t max_batch;
	int costly;			/* the sweep point calibrated on, or <= 0 */
};

/* ---- sample.c ---- */

/* prepare, run n ops untimed, finish. If dt is given, it gets run()'s wall time. */
int run_batch(struct sample_ctx *sc, uint64_t n, uint64_t *dt, char *msg, size_t len);
/* One timed sample of configuration k (attached) into its next row. */
int take_sample(struct sample_ctx *sc, unsigned int k, unsigned int round, char *msg,
		size_t len);

/* ---- calibrate.c ---- */

/* The target sample length from the timer's cost and the options; metadata "timer". */
void batch_target(struct batch_plan *p, const struct run_opts *o, const struct bench_ctx *bctx);
int warm_up(struct sample_ctx *sc, uint64_t ms, uint64_t min_ops, uint64_t max_batch,
	    char *msg, size_t len);
int settle_after_attach(struct sample_ctx *sc, char *msg, size_t len);
/* Sets sc->batch (--batch, the benchmark's, or calibrated); *cur: the attached config. */
int calibrate_batch(struct sample_ctx *sc, const struct run_opts *o, struct batch_plan *p,
		    int *cur, char *msg, size_t len);

/* ---- results.c ---- */

/* Columns and room for o->samples rows per configuration. NB_EXIT_OK or NB_EXIT_FAIL. */
int results_alloc(struct run_result *r, struct layout_cols *lc, const struct run_opts *o,
		  const struct bench *bench, char *msg, size_t len);
void results_free(struct run_result *r, unsigned int samples);
void compute_stats(struct run_result *r);
/* The CSV into tmp, renamed to final. NB_EXIT_OK or NB_EXIT_FAIL with msg. */
int results_write(const char *tmp, const char *final, const struct run_result *r, char *msg,
		  size_t len);

/* ---- report.c ---- */

/* A configuration some of whose calls the module clamped to its per-call cap. */
bool clamped(const struct config_result *cr, const struct layout_cols *lc);
const char *cap_text(const struct backend *b);
void print_summary(const struct bench *bench, const struct run_result *r,
		   const struct layout_cols *lc, const struct bench_ctx *bctx);
void sweep_check(const struct run_result *r, const struct layout_cols *lc);

#endif /* NB_HARNESS_IMPL_H */
