/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The benchmark interface. A benchmark is one file that defines a
 * struct bench_ops and registers it with NB_BENCHMARK() (below); the
 * Makefile builds every file of bench/benchmarks/.
 *
 * A benchmark declares its options (parsed and validated by the harness),
 * sets up its state (buffers, layouts, knobs), runs nops operations when
 * asked and tears down. It never prints and never times itself: the harness
 * owns timing, pinning, warm-up, repetitions, statistics and output. It may
 * check the counters of each sample (check()) against what the running
 * kernel should have done.
 */
#ifndef NB_BENCH_H
#define NB_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "notibench.h"
#include "backend.h"
#include "exit.h"


enum bench_opt_type {
	OPT_SIZE,	/* bytes, with an optional K/M/G/T suffix (powers of 1024) */
	OPT_UINT,	/* unsigned integer */
	OPT_CHOICE,	/* one of choices[] */
};

struct bench_opt {
	const char *name;		/* --name VALUE or --name=VALUE */
	enum bench_opt_type type;
	const char *def;		/* default, as typed on the command line */
	const char *const *choices;	/* OPT_CHOICE: NULL-terminated */
	uint64_t min, max;		/* OPT_SIZE, OPT_UINT: inclusive bounds */
	const char *help;
};

/* A parsed option: u for SIZE/UINT, choice (index into choices) for CHOICE. */
struct bench_val {
	uint64_t u;
	int choice;
	const char *str;		/* as given */
};

#define BENCH_REASON_LEN 512

/* What setup() gets and fills in. */
struct bench_ctx {
	/* in */
	const struct bench_val *opt;	/* indexed like bench_ops.opts */
	bool quick;
	/* out: the memory the secondary-MMU backends must cover */
	void *buf;
	size_t len;
	/* out: what one operation is and how many system calls it makes */
	const char *op_unit;		/* e.g. "toggle" */
	const char *call_unit;		/* e.g. "mprotect" */
	uint64_t calls_per_op;
	/*
	 * out, optional: the largest batch run() can take (e.g. the pages of the
	 * buffer when every op consumes one); 0: no limit. Calibration stops
	 * there; a larger --batch is a usage error.
	 */
	uint64_t max_batch;
	/*
	 * out, optional: the shortest sample the benchmark needs (e.g. several
	 * periods of a kernel thread it measures); 0: the harness's target.
	 * Calibration aims at the larger of the two.
	 */
	uint64_t min_sample_ns;
	/*
	 * out, optional: the batch to use instead of calibrating (e.g. when short
	 * trial batches cannot predict a long one); --batch overrides it.
	 */
	uint64_t batch;
	/*
	 * out, optional: the batch's work needs this thread's own CFS tick (NUMA
	 * hinting: task_tick_numa queues the scanner), so exact mode must not
	 * run it as SCHED_FIFO (sample.c, batch_fifo()).
	 */
	bool cfs_batch;
	/* out: a skip or failure reason (setup's return says which) */
	char reason[BENCH_REASON_LEN];
};

/*
 * One batch, as prepare() and finish() see it. prepare() gets nops; finish()
 * may report what helper processes did and, on failure, why.
 */
struct bench_sample {
	uint64_t nops;
	/*
	 * out of finish(): page faults that helper processes of the benchmark
	 * (e.g. a forked child that did the writing) took during the batch;
	 * -1 (the default) when there were none to report.
	 */
	int64_t helper_faults;
	char reason[160];		/* out: why prepare(), finish() or run() failed */
};

struct bench_ops {
	const struct bench_opt *opts;
	unsigned int nr_opts;
	/*
	 * Cross-option validation, before anything is set up: NB_EXIT_OK or
	 * NB_EXIT_USAGE with a message in msg naming the options.
	 */
	int (*validate)(const struct bench_val *opt, char *msg, size_t len);
	/* NB_EXIT_OK, NB_EXIT_SKIP or NB_EXIT_FAIL (ctx->reason says why). */
	int (*setup)(struct bench_ctx *ctx, void **state);
	/*
	 * Optional, untimed: called before every batch (timed or warm-up) with
	 * the nops run() will get, and after it. prepare() sets up what the batch
	 * consumes (e.g. forks a child that shares the pages), finish() tears it
	 * down and restores the layout. The harness resets the backend counters
	 * after prepare(): its notifier traffic is not the sample's. 0 or -errno
	 * (s->reason may say why). finish() is called even when run() failed, and
	 * may say why run() did in s->reason (the harness adds it to the message).
	 */
	int (*prepare)(void *state, struct bench_sample *s);
	/* Runs nops operations; 0 or -errno. */
	int (*run)(void *state, uint64_t nops);
	int (*finish)(void *state, struct bench_sample *s);
	void (*teardown)(void *state);
	/*
	 * Optional: validates one sample's counters. NB_EXIT_OK, or NB_EXIT_FAIL
	 * with both numbers in msg. Must not be expensive: called per sample.
	 */
	int (*check)(void *state, const struct bench_counters *c, char *msg, size_t len);
	/* Optional: metadata lines ("key", "value") describing what setup obtained. */
	void (*describe)(void *state, void (*emit)(const char *key, const char *value));
	/*
	 * The buffer stays mapped and readable between prepare() and finish(),
	 * and the benchmark wants a device to read it: with the kmod zap model
	 * the harness fills the mirror (a read access over the buffer) after
	 * prepare() and reads the buffer again after the batch, counting the
	 * refaults. Other benchmarks refuse the zap model.
	 */
	bool device_access;
	/*
	 * The batch throws the buffer's pages away or unmaps them (zap): after
	 * it nothing may read the buffer until finish() (a read would fault
	 * pages back in under finish()'s check, or hit an unmapped range). The
	 * kvm guest reads it before the batch only: its refault columns are
	 * unavailable.
	 */
	bool batch_discards;
	/*
	 * Optional: the benchmark's own numeric CSV columns (names, NULL-
	 * terminated; documented in results/README.md), and per sample, after
	 * finish(), their values (v[i] for columns[i]; left NAN: unavailable).
	 * c is what check() gets (its checks may be disabled).
	 */
	const char *const *columns;
	void (*sample_values)(void *state, const struct bench_counters *c, double *v);
};

struct bench {
	const char *name;
	const char *summary;
	const struct bench_ops *ops;
};

/*
 * NB_BENCHMARK(name, ops, summary): registers a benchmark (one line at the end
 * of its file). The pointer goes into the section nb_benchmarks, which the
 * linker gathers for bench/harness/registry.c.
 */
#define NB_BENCHMARK(id, id_ops, text)						\
	static const struct bench nb_bench_##id = { #id, text, &(id_ops) };		\
	static const struct bench *const nb_bench_ptr_##id				\
		__attribute__((used, section("nb_benchmarks"))) = &nb_bench_##id

/* bench/harness/registry.c: every registered benchmark, sorted by name. */
unsigned int bench_count(void);
const struct bench *bench_at(unsigned int i);
const struct bench *bench_find(const char *name);

#endif /* NB_BENCH_H */
