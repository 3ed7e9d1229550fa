// SPDX-License-Identifier: GPL-2.0
/*
 * The harness. Order of a run:
 *   environment capture (before any knob changes) -> pin -> hygiene knobs ->
 *   output temp file -> counters -> backends opened (skip if unavailable) ->
 *   benchmark setup -> timer cost -> warm-up -> batch calibration ->
 *   rounds: each round takes one sample of every configuration, the order
 *   reversed every other round (ABBA...), so a linear drift hits every
 *   configuration alike -> statistics -> CSV renamed into place.
 * A sample (sample.c): attach the configuration if it is not attached (then
 * a short untimed warm-up), then one timed batch between the untimed
 * prepare() and finish(). The batch: calibrate.c. The columns and the CSV:
 * results.c. The summary and the sweeps' fits: report.c.
 */
#include "harness.h"

#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "counters.h"
#include "csv.h"
#include "env.h"
#include "harness_impl.h"
#include "hostref.h"
#include "knobs.h"

/* One run's state, from harness_run's start to its teardown. */
struct run {
	const struct bench *bench;
	struct run_opts *o;
	struct bench_ctx bctx;
	struct run_result r;
	struct layout_cols lc;
	struct sample_ctx sc;
	struct batch_plan plan;
	char msg[BENCH_REASON_LEN];
	char tmp[4096], final[4096];	/* the CSV: temp file ("" once renamed) and its name */
	int cur;			/* the attached configuration, -1: none */
	bool set_up;			/* the benchmark's setup() succeeded */
};

/* Pins this thread to *cpu (-1: the last CPU it may run on, written back). */
static int pin(int *cpu, char *msg, size_t len)
{
	cpu_set_t set;
	int last = -1;

	if (sched_getaffinity(0, sizeof(set), &set)) {
		snprintf(msg, len, "sched_getaffinity: %s", strerror(errno));
		return NB_EXIT_FAIL;
	}
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			last = c;
	if (*cpu < 0)
		*cpu = last;
	if (*cpu >= CPU_SETSIZE || !CPU_ISSET(*cpu, &set)) {
		snprintf(msg, len, "--cpu %d: not a CPU this process may run on (last allowed: %d)",
			 *cpu, last);
		return NB_EXIT_USAGE;
	}
	CPU_ZERO(&set);
	CPU_SET(*cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		snprintf(msg, len, "sched_setaffinity to CPU %d: %s", *cpu, strerror(errno));
		return NB_EXIT_FAIL;
	}
	return NB_EXIT_OK;
}

/* Benchmark hygiene: no NUMA hinting faults or KSM merges inside the buffer. */
static void hygiene_knobs(void)
{
	static const struct { const char *path, *value, *key; } k[] = {
		{ KNOB_NUMA_BALANCING, "0", "numa_balancing" },
		{ KNOB_KSM_RUN, "0", "ksm_run" },
	};

	for (unsigned int i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		int ret;

		if (access(k[i].path, F_OK))
			continue;
		ret = knob_set(k[i].path, k[i].value);
		if (ret < 0)
			meta_add(k[i].key, "%s (could not set %s: %s)", meta_get(k[i].key) ?: "?",
				 k[i].value, strerror(-ret));
	}
}

static void emit_meta(const char *key, const char *value)
{
	meta_put(key, value);
}

/* The zap model needs a benchmark whose buffer a device may read between batches. */
static int check_device_model(struct run *run)
{
	const struct run_opts *o = run->o;

	for (unsigned int k = 0; k < o->ncfg; k++) {
		char names[256] = "";

		if (!backend_has_device(&o->cfg[k]) || run->bench->ops->device_access)
			continue;
		for (unsigned int i = 0; i < bench_count(); i++)
			if (bench_at(i)->ops->device_access)
				snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
					 names[0] ? ", " : "", bench_at(i)->name);
		snprintf(run->msg, sizeof(run->msg), "--backend %s: the zap model needs a benchmark "
			 "that lets a device read its buffer between batches (%s); %s does not",
			 o->cfg[k].label, names[0] ? names : "none", run->bench->name);
		return NB_EXIT_USAGE;
	}
	return NB_EXIT_OK;
}

/* Environment (before any knob changes), pinning, hygiene knobs, the output's temp file. */
static int prepare_host(struct run *run)
{
	struct run_opts *o = run->o;
	int ret;

	env_capture();
	meta_put("benchmark", run->bench->name);
	meta_put("command", o->cmdline);
	ret = pin(&o->cpu, run->msg, sizeof(run->msg));
	if (ret)
		return ret;
	meta_add("cpu", "%d", o->cpu);
	if (!o->no_knobs)
		hygiene_knobs();
	ret = csv_prepare(o->out_dir, run->bench->name, run->tmp, run->final, sizeof(run->tmp));
	if (ret) {
		snprintf(run->msg, sizeof(run->msg), "--out %s: cannot create a file there: %s",
			 o->out_dir, strerror(-ret));
		run->tmp[0] = 0;
		return NB_EXIT_USAGE;
	}
	return NB_EXIT_OK;
}

/* perf counters (their status in the metadata) and every configuration's backend. */
static int open_counters_and_backends(struct run *run)
{
	char key[64];
	int ret;

	counters_open();
	for (int i = 0; i < CNT_NR; i++) {
		snprintf(key, sizeof(key), "counter.%s", counter_name(i));
		meta_put(key, counter_status(i));
	}
	for (unsigned int k = 0; k < run->o->ncfg; k++) {
		ret = backend_open(&run->o->cfg[k], run->msg, sizeof(run->msg));
		if (ret)
			return ret;
	}
	return NB_EXIT_OK;
}

/* The benchmark's setup(), its metadata, and the batch it can take. */
static int set_up_bench(struct run *run)
{
	const struct bench *bench = run->bench;
	const struct bench_ctx *bctx = &run->bctx;
	uint64_t max_batch;
	int ret = bench->ops->setup(&run->bctx, &run->sc.state);

	if (ret) {
		snprintf(run->msg, sizeof(run->msg), "%s", bctx->reason);
		return ret;
	}
	run->set_up = true;
	if (bench->ops->describe)
		bench->ops->describe(run->sc.state, emit_meta);
	max_batch = run->plan.max_batch = bctx->max_batch ? bctx->max_batch : 1ull << 30;
	if (run->o->batch > max_batch) {
		snprintf(run->msg, sizeof(run->msg), "--batch %" PRIu64 ": %s takes at most %" PRIu64
			 " ops per batch with these options (%s)", run->o->batch, bench->name,
			 max_batch, bctx->max_batch ? "its own limit, e.g. the pages of its buffer" :
			 "the harness's limit");
		return NB_EXIT_USAGE;
	}
	meta_add("faults_source", "%s%s", counter_available(CNT_MINOR_FAULTS) ?
		 "perf minor-faults of the benchmark thread" :
		 "getrusage(RUSAGE_THREAD) ru_minflt of the benchmark thread",
		 bench->ops->finish ? ", plus the faults of helper processes the benchmark reports" : "");
	return NB_EXIT_OK;
}

/* The metadata of how the batch was chosen and how samples are taken. */
static void describe_sampling(const struct run *run)
{
	const struct run_opts *o = run->o;
	const struct bench_ctx *bctx = &run->bctx;
	const struct batch_plan *p = &run->plan;
	uint64_t batch = run->sc.batch;

	meta_add("batch", "%" PRIu64 " ops per sample (%s; target %.0f ns = max(200 x timer, "
		 "--min-sample-us%s)%s%s)", batch, o->batch ? "--batch" : bctx->batch ?
		 "set by the benchmark" : strcmp(env_clock_unit(), "insn") ? "calibrated" :
		 "calibrated, exact mode: the smallest power of two that lasts the target",
		 (double)p->target_ns,
		 bctx->min_sample_ns ? ", the benchmark's minimum sample" : "",
		 p->costly > 0 && !o->batch && !bctx->batch ? " on the costliest point of the sweep, "
		 "at least 200 x timer on the first configuration" : "",
		 !o->batch && batch == bctx->max_batch ? "; capped by what the benchmark's buffer "
		 "holds: a sample may be shorter than the target" : "");
	meta_add("samples", "%u per configuration", o->samples);
	meta_add("interleave", "round r samples configurations 0..%u in order for even r, reversed "
		 "for odd r; warm-up of ceil(batch/4) ops after each attach%s", o->ncfg - 1,
		 strcmp(env_clock_unit(), "insn") ? "" : ", repeated until 10 ms (10 M insn) have "
		 "passed since it: the attach's deferred work runs in the next ticks");
	if (run->sc.exact)
		meta_put("batch_sched", bctx->cfs_batch ? "exact mode: the batch keeps its scheduling "
			 "policy (its work needs the thread's CFS tick)" : "exact mode: each timed "
			 "batch runs as SCHED_FIFO 1 (children SCHED_OTHER): kernel threads woken "
			 "meanwhile run after it, or when it blocks; interrupts still count");
}

/* Warm up and calibrate on the first configuration. */
static int calibrate_step(struct run *run)
{
	const struct run_opts *o = run->o;
	int ret;

	batch_target(&run->plan, o, &run->bctx);
	fprintf(stderr, "notibench: %s: %u configuration%s, %u samples each\n", run->bench->name,
		o->ncfg, o->ncfg == 1 ? "" : "s", o->samples);
	ret = backend_attach(&o->cfg[0], run->bctx.buf, run->bctx.len, run->msg, sizeof(run->msg));
	if (ret)
		return ret;
	run->cur = 0;
	ret = warm_up(&run->sc, o->quick ? 20 : 200, 2, run->plan.max_batch, run->msg,
		      sizeof(run->msg));
	if (!ret)
		ret = calibrate_batch(&run->sc, o, &run->plan, &run->cur, run->msg,
				      sizeof(run->msg));
	if (ret)
		return ret;
	run->sc.exact = !strcmp(env_clock_unit(), "insn");
	describe_sampling(run);
	return NB_EXIT_OK;
}

/* Attaches configuration k in place of the attached one, then lets it settle. */
static int switch_config(struct run *run, unsigned int k)
{
	int ret;

	if (run->cur >= 0)
		backend_detach(&run->o->cfg[run->cur]);
	run->cur = -1;
	ret = backend_attach(&run->o->cfg[k], run->bctx.buf, run->bctx.len, run->msg,
			     sizeof(run->msg));
	if (ret)
		return ret;
	run->cur = (int)k;
	return settle_after_attach(&run->sc, run->msg, sizeof(run->msg));
}

/* Round r samples every configuration, in order for even r, reversed for odd r. */
static int run_rounds(struct run *run)
{
	const struct run_opts *o = run->o;
	int ret;

	hostref_begin(o->cpu);
	for (unsigned int round = 0; round < o->samples; round++) {
		for (unsigned int i = 0; i < o->ncfg; i++) {
			unsigned int k = round % 2 ? o->ncfg - 1 - i : i;

			if (run->cur != (int)k && (ret = switch_config(run, k)))
				return ret;
			ret = take_sample(&run->sc, k, round, run->msg, sizeof(run->msg));
			if (ret)
				return ret;
		}
	}
	if (run->cur >= 0)
		backend_detach(&o->cfg[run->cur]);
	run->cur = -1;
	hostref_end();
	return NB_EXIT_OK;
}

/* The configurations, the knobs changed, the checks' outcome: metadata after the rounds. */
static void describe_outcome(const struct run *run)
{
	const struct run_opts *o = run->o;
	const struct run_result *r = &run->r;
	const struct layout_cols *lc = &run->lc;
	const struct sample_ctx *sc = &run->sc;
	char key[64];

	for (unsigned int k = 0; k < o->ncfg; k++) {
		snprintf(key, sizeof(key), "config.%u", k);
		meta_put(key, o->cfg[k].label);
		backend_describe(&o->cfg[k], key, emit_meta);
		if (clamped(&r->cfg[k], lc)) {
			snprintf(key, sizeof(key), "config.%u.clamped", k);
			meta_add(key, "yes: %.4f calls per op (median; max %.4f) charged the per-call cap "
				 "(%s), not their cost", r->cfg[k].st[lc->nb_capped_per_op].median,
				 r->cfg[k].st[lc->nb_capped_per_op].max, cap_text(r->cfg[k].b));
		}
	}
	if (sc->exact)
		meta_add("sample_start", "right after a timer tick (exact mode: the coarse clock moved); "
			 "%u of %u samples gave up waiting for one after 20 ms", sc->tick_timeouts,
			 sc->seq);
	meta_add("knobs_changed", "%u", knobs_changed());
	for (unsigned int i = 0; i < knobs_changed(); i++) {
		snprintf(key, sizeof(key), "knob.%u", i);
		meta_put(key, knobs_changed_desc(i));
	}
	meta_put("check", !run->bench->ops->check ? "none (the benchmark has no check)" :
		 o->no_check ? "disabled (--no-check)" :
		 sc->check_failures ? "FAILED" : "passed");
	if (sc->check_failures)
		meta_add("check_failures", "%u samples", sc->check_failures);
}

/* Statistics, metadata, the summary, the CSV; a failed check fails the run. */
static int report_step(struct run *run)
{
	int ret;

	compute_stats(&run->r);
	describe_outcome(run);
	print_summary(run->bench, &run->r, &run->lc, &run->bctx);
	sweep_check(&run->r, &run->lc);
	ret = results_write(run->tmp, run->final, &run->r, run->msg, sizeof(run->msg));
	if (ret)
		return ret;
	run->tmp[0] = 0;
	printf("wrote %s\n", run->final);
	if (run->sc.check_failures) {
		snprintf(run->msg, sizeof(run->msg), "check failed in %u of the samples (first: %s)",
			 run->sc.check_failures, meta_get("check_first_failure"));
		return NB_EXIT_FAIL;
	}
	return NB_EXIT_OK;
}

/* Undoes what the steps did, says why the run did not succeed; returns ret. */
static int tear_down(struct run *run, int ret)
{
	const struct run_opts *o = run->o;

	if (run->cur >= 0)
		backend_detach(&o->cfg[run->cur]);
	if (run->set_up)
		run->bench->ops->teardown(run->sc.state);
	for (unsigned int k = 0; k < o->ncfg; k++)
		backend_close(&o->cfg[k]);
	counters_close();
	if (run->tmp[0])
		csv_abort(run->tmp);
	knobs_restore();
	if (ret == NB_EXIT_SKIP)
		fprintf(stderr, "notibench: %s: SKIP: %s\n", run->bench->name, run->msg);
	else if (ret)
		fprintf(stderr, "notibench: %s: %s: %s\n", run->bench->name,
			ret == NB_EXIT_USAGE ? "usage" : "FAIL", run->msg);
	results_free(&run->r, o->samples);
	return ret;
}

int harness_run(const struct bench *bench, const struct bench_val *opt, struct run_opts *o)
{
	struct run run = { .bench = bench, .o = o, .cur = -1,
			   .bctx = { .opt = opt, .quick = o->quick } };
	int ret;

	run.sc = (struct sample_ctx){ .bench = bench, .bctx = &run.bctx, .r = &run.r,
				      .lc = &run.lc, .no_check = o->no_check };
	ret = check_device_model(&run);
	if (!ret)
		ret = prepare_host(&run);
	if (!ret)
		ret = open_counters_and_backends(&run);
	if (!ret)
		ret = set_up_bench(&run);
	if (!ret)
		ret = results_alloc(&run.r, &run.lc, o, bench, run.msg, sizeof(run.msg));
	if (!ret)
		ret = calibrate_step(&run);
	if (!ret)
		ret = run_rounds(&run);
	if (!ret)
		ret = report_step(&run);
	return tear_down(&run, ret);
}
