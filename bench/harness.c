// SPDX-License-Identifier: GPL-2.0
/*
 * The harness. Order of a run:
 *   environment capture (before any knob changes) -> pin -> hygiene knobs ->
 *   output temp file -> counters -> backends opened (skip if unavailable) ->
 *   benchmark setup -> timer cost -> warm-up -> batch calibration ->
 *   rounds: each round takes one sample of every configuration, the order
 *   reversed every other round (ABBA...), so a linear drift hits every
 *   configuration alike -> statistics -> CSV renamed into place.
 * A sample: attach the configuration if it is not attached (then a short
 * untimed warm-up), the benchmark's untimed prepare(), a device read of the
 * buffer (kmod zap model only: fills the mirror), reset the backend's
 * counters, read the perf counters, time one batch with CLOCK_MONOTONIC,
 * read everything again, a second device read (zap: counts the refaults),
 * the benchmark's untimed finish(), check(). Every batch the harness runs,
 * warm-up and calibration included, is bracketed by prepare() and finish().
 */
#include "harness.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <sched.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "counters.h"
#include "csv.h"
#include "env.h"
#include "hostref.h"
#include "knobs.h"
#include "nbdev.h"

#define CHECK_PRINT_MAX 5

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * Exact mode: wait for the next timer tick, seen as CLOCK_MONOTONIC_COARSE
 * moving (the tick's timekeeping update; its softirqs have run when user
 * space sees it). A batch started right after a tick has the whole tick
 * period (4 M instructions at HZ=250) before the next one: a sample shorter
 * than that has no tick in it, and a longer one a fixed number, so samples
 * of one configuration repeat to the instruction and every configuration of
 * a sweep sees the tick alike. Without it, where a sample fell against the
 * tick depended on what came before it: on 6.12 a 3.3 M-instruction
 * mprotect toggle of a sweep had a tick (3049-3068 instructions) in every
 * sample that followed an attach and in none of the others. Gives up after
 * 20 ms (false) on a kernel whose coarse clock stands still.
 */
static bool wait_for_tick(void)
{
	struct timespec c0, c;
	uint64_t t0 = now_ns();

	clock_gettime(CLOCK_MONOTONIC_COARSE, &c0);
	do {
		clock_gettime(CLOCK_MONOTONIC_COARSE, &c);
		if (c.tv_nsec != c0.tv_nsec || c.tv_sec != c0.tv_sec)
			return true;
	} while (now_ns() - t0 < 20000000ull);
	return false;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Median cost of one clock_gettime(CLOCK_MONOTONIC), in ns. */
static double timer_cost_ns(void)
{
	enum { N = 2001 };
	static uint64_t d[N];

	for (int i = 0; i < N; i++) {
		uint64_t t0 = now_ns(), t1 = now_ns();

		d[i] = t1 - t0;
	}
	qsort(d, N, sizeof(d[0]), cmp_u64);
	return d[N / 2] ? (double)d[N / 2] : 1;
}

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

/* ---- columns ---- */

enum base_col { COL_NOPS, COL_SAMPLE_NS, COL_NS_PER_OP, COL_NS_PER_CALL, COL_BASE_NR };
static const char *const base_names[COL_BASE_NR] = { "nops", "sample_ns", "ns_per_op", "ns_per_call" };

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

static int add_col(struct run_result *r, const char *name, bool text)
{
	struct column *nc = realloc(r->cols, (r->ncols + 1) * sizeof(*nc));

	if (!nc)
		return -1;
	r->cols = nc;
	snprintf(nc[r->ncols].name, sizeof(nc[r->ncols].name), "%s", name);
	nc[r->ncols].text = text;
	return (int)r->ncols++;
}

int run_col(const struct run_result *r, const char *name)
{
	for (unsigned int c = 0; c < r->ncols; c++)
		if (!strcmp(r->cols[c].name, name))
			return (int)c;
	return -1;
}

static int add_backend_col(void *r, const char *name, bool text)
{
	return add_col(r, name, text);
}

static void make_columns(struct run_result *r, struct layout_cols *lc, const struct run_opts *o,
			 const struct bench *bench)
{
	char name[64];

	for (int i = 0; i < COL_BASE_NR; i++)
		add_col(r, base_names[i], false);
	lc->counters = (int)r->ncols;
	for (int i = 0; i < CNT_NR; i++)
		add_col(r, counter_name(i), false);
	lc->kvm_unmap_per_call = add_col(r, "kvm_unmap_hva_range_per_call", false);
	lc->kvm_unmap_per_op = add_col(r, "kvm_unmap_hva_range_per_op", false);
	backend_columns(o->cfg, o->ncfg, BACKEND_COLS_EARLY, add_backend_col, r);
	lc->faults_per_op = add_col(r, "faults_per_op", false);
	lc->helper_faults = add_col(r, "helper_faults", false);
	lc->bench = (int)r->ncols;
	lc->nbench = 0;
	for (const char *const *c = bench->ops->columns; c && *c; c++, lc->nbench++)
		add_col(r, *c, false);
	backend_columns(o->cfg, o->ncfg, BACKEND_COLS_LATE, add_backend_col, r);
	lc->dev_zapped_per_op = run_col(r, "nb_mirror_zapped_per_op");
	lc->dev_refaults_per_op = run_col(r, "nb_dev_refaults_per_op");
	lc->nb_ranges_per_call = run_col(r, "nb_ranges_per_call");
	lc->nb_charged_calls = run_col(r, "nb_charged_calls");
	lc->nb_charged_pages = run_col(r, "nb_charged_pages");
	lc->nb_capped_per_op = run_col(r, "nb_capped_per_op");
	for (unsigned int cb = 0; cb < NB_CB_NR; cb++) {
		snprintf(name, sizeof(name), "nb_%s_ns", nb_callback_name(cb));
		lc->nb_ns[cb] = run_col(r, name);
	}
}

/* ---- one sample ---- */

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

/* The benchmark's untimed hooks around a batch of n ops. NB_EXIT_OK or NB_EXIT_FAIL with msg. */
static int batch_prepare(struct sample_ctx *sc, struct bench_sample *bs, uint64_t n, char *msg,
			 size_t len)
{
	int ret;

	memset(bs, 0, sizeof(*bs));
	bs->nops = n;
	bs->helper_faults = -1;
	if (!sc->bench->ops->prepare)
		return NB_EXIT_OK;
	ret = sc->bench->ops->prepare(sc->state, bs);
	if (!ret)
		return NB_EXIT_OK;
	snprintf(msg, len, "the benchmark's prepare() failed: %s", bs->reason[0] ? bs->reason :
		 strerror(-ret));
	return NB_EXIT_FAIL;
}

static int batch_finish(struct sample_ctx *sc, struct bench_sample *bs, char *msg, size_t len)
{
	int ret;

	if (!sc->bench->ops->finish)
		return NB_EXIT_OK;
	bs->reason[0] = 0;
	ret = sc->bench->ops->finish(sc->state, bs);
	if (!ret)
		return NB_EXIT_OK;
	snprintf(msg, len, "the benchmark's finish() failed: %s", bs->reason[0] ? bs->reason :
		 strerror(-ret));
	return NB_EXIT_FAIL;
}

/* run() failed; finish() may have said why in the sample's reason. */
static int op_failed(int err, const struct bench_sample *bs, char *msg, size_t len)
{
	snprintf(msg, len, "the benchmark's operation failed: %s%s%s%s", strerror(-err),
		 bs->reason[0] ? " (" : "", bs->reason, bs->reason[0] ? ")" : "");
	return NB_EXIT_FAIL;
}

/* prepare, run n ops untimed, finish. If dt is given, it gets run()'s wall time. */
static int run_batch(struct sample_ctx *sc, uint64_t n, uint64_t *dt, char *msg, size_t len)
{
	struct bench_sample bs;
	uint64_t t0;
	int ret = batch_prepare(sc, &bs, n, msg, len), err;

	if (ret)
		return ret;
	t0 = now_ns();
	err = sc->bench->ops->run(sc->state, n);
	if (dt)
		*dt = now_ns() - t0;
	ret = batch_finish(sc, &bs, msg, len);
	if (err)
		return op_failed(err, &bs, msg, len);
	return ret;
}

/* Minor faults of this thread from getrusage (the fallback when perf cannot count them). */
static uint64_t rusage_minflt(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_THREAD, &ru) ? 0 : (uint64_t)ru.ru_minflt;
}

/*
 * Exact mode: the timed batch runs as SCHED_FIFO (children SCHED_OTHER), so a
 * kernel thread woken meanwhile waits for the batch to end or block instead
 * of preempting it: under icount every such switch added its instructions to
 * the sample (on 6.12 rcu_preempt, woken at a tick to force a grace period,
 * took 19000 instructions in 5 or 6 of 10 samples of a 270000-instruction
 * wp-reuse batch and moved the median by 7 %; on 6.1 a switch in every
 * second sample bent the medians' slope of three sweeps). Not for a batch
 * whose work needs the thread's own CFS tick (ctx->cfs_batch: NUMA hinting,
 * whose scanner task_tick_numa queues; as SCHED_FIFO it never scanned, and
 * RT throttling stepped in). 0 when switched, *old the policy to restore.
 */
static int batch_fifo(bool want, struct sched_param *old, int *policy)
{
	struct sched_param sp = { .sched_priority = 1 };

	if (!want)
		return -1;
	*policy = sched_getscheduler(0);
	if (*policy < 0 || sched_getparam(0, old) ||
	    sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp))
		return -1;
	return 0;
}

static int take_sample(struct sample_ctx *sc, unsigned int k, unsigned int round, char *msg,
		       size_t len)
{
	struct sched_param old_sp;
	int old_policy, fifo;
	struct config_result *cr = &sc->r->cfg[k];
	struct backend *b = cr->b;
	struct counter_snap c0, c1;
	double *v = &cr->v[cr->n * sc->r->ncols];
	char **text = &cr->text[cr->n * sc->r->ncols];
	const struct layout_cols *lc = sc->lc;
	uint64_t t0, t1, calls = sc->batch * sc->bctx->calls_per_op, f0, f1;
	struct bench_sample bs;
	int64_t faults = -1;
	int ret, err = 0;

	ret = batch_prepare(sc, &bs, sc->batch, msg, len);
	if (ret)
		return ret;
	/* kvm guest, zap device: they read the buffer, filling their tables before the batch. */
	if (backend_before_batch(b, sc->bctx->buf, sc->bctx->len, msg, len))
		err = -EIO;
	else if (backend_sample_begin(b))
		snprintf(msg, len, "%s: resetting counters failed", b->label), err = -EIO;
	if (err) {
		batch_finish(sc, &bs, msg + strlen(msg), 0);
		return NB_EXIT_FAIL;
	}
	if (sc->exact && !wait_for_tick())
		sc->tick_timeouts++;
	fifo = batch_fifo(sc->exact && !sc->bctx->cfs_batch, &old_sp, &old_policy);
	f0 = rusage_minflt();
	counters_read(&c0);
	t0 = now_ns();
	ret = sc->bench->ops->run(sc->state, sc->batch);
	t1 = now_ns();
	counters_read(&c1);
	f1 = rusage_minflt();
	if (!fifo)
		sched_setscheduler(0, old_policy, &old_sp);
	if (ret) {
		batch_finish(sc, &bs, msg, 0);
		snprintf(msg, len, "%s: ", b->label);
		op_failed(ret, &bs, msg + strlen(msg), len - strlen(msg));
		return NB_EXIT_FAIL;
	}
	if (backend_sample_end(b))
		snprintf(msg, len, "%s: reading counters failed", b->label), err = -EIO;
	/* kvm guest, zap device: what the batch zapped faults in again. */
	else if (backend_after_batch(b, sc->bctx->buf, sc->bctx->len, msg, len))
		err = -EIO;
	if (err) {
		batch_finish(sc, &bs, msg + strlen(msg), 0);
		return NB_EXIT_FAIL;
	}
	ret = batch_finish(sc, &bs, msg, len);
	if (ret)
		return ret;
	for (unsigned int c = 0; c < sc->r->ncols; c++)
		v[c] = NAN;
	v[COL_NOPS] = (double)sc->batch;
	v[COL_SAMPLE_NS] = (double)(t1 - t0);
	v[COL_NS_PER_OP] = (double)(t1 - t0) / (double)sc->batch;
	v[COL_NS_PER_CALL] = (double)(t1 - t0) / (double)calls;
	for (int i = 0; i < CNT_NR; i++)
		if (counter_available(i))
			v[lc->counters + i] = (double)(c1.v[i] - c0.v[i]);
	if (counter_available(CNT_KVM_UNMAP_HVA_RANGE)) {
		v[lc->kvm_unmap_per_call] = v[lc->counters + CNT_KVM_UNMAP_HVA_RANGE] / (double)calls;
		v[lc->kvm_unmap_per_op] = v[lc->counters + CNT_KVM_UNMAP_HVA_RANGE] /
					  (double)sc->batch;
	}
	backend_sample_values(b, &(struct backend_sample){ .nops = sc->batch, .calls = calls }, v,
			      text);
	if (counter_available(CNT_MINOR_FAULTS))
		faults = (int64_t)(c1.v[CNT_MINOR_FAULTS] - c0.v[CNT_MINOR_FAULTS]);
	else if (f1 >= f0 && f1)
		faults = (int64_t)(f1 - f0);
	if (faults >= 0)
		v[lc->faults_per_op] = (double)(faults + (bs.helper_faults > 0 ? bs.helper_faults : 0)) /
				       (double)sc->batch;
	if (bs.helper_faults >= 0)
		v[lc->helper_faults] = (double)bs.helper_faults;
	cr->round[cr->n] = round;
	cr->seq[cr->n] = sc->seq++;
	cr->n++;

	struct bench_counters bc = {
		.nops = sc->batch,
		.sample_ns = t1 - t0,
		.faults = faults,
		.helper_faults = bs.helper_faults,
		.dev_fill_faults = -1,
		.dev_refaults = -1,
		.kvm_unmap_hva_range = counter_available(CNT_KVM_UNMAP_HVA_RANGE) ?
			(int64_t)(c1.v[CNT_KVM_UNMAP_HVA_RANGE] - c0.v[CNT_KVM_UNMAP_HVA_RANGE]) : -1,
	};

	backend_counters(b, &bc);
	if (lc->nbench && sc->bench->ops->sample_values)
		sc->bench->ops->sample_values(sc->state, &bc, &v[lc->bench]);
	if (sc->bench->ops->check && !sc->no_check) {
		char why[BENCH_REASON_LEN] = "";

		if (sc->bench->ops->check(sc->state, &bc, why, sizeof(why)) != NB_EXIT_OK) {
			if (sc->check_failures < CHECK_PRINT_MAX)
				fprintf(stderr, "notibench: check failed: %s, sample %u: %s\n", b->label,
					cr->n - 1, why);
			if (!sc->check_failures)
				meta_add("check_first_failure", "%s sample %u: %s", b->label, cr->n - 1, why);
			sc->check_failures++;
		}
	}
	return NB_EXIT_OK;
}

/*
 * Runs ops untimed for at least ms milliseconds (and min_ops ops), in batches
 * of 1, 2, 4, ... ops (at most max_batch), each bracketed by prepare/finish.
 */
static int warm_up(struct sample_ctx *sc, uint64_t ms, uint64_t min_ops, uint64_t max_batch,
		   char *msg, size_t len)
{
	uint64_t t_end = now_ns() + ms * 1000000ull, done = 0, n = 1;

	while (done < min_ops || now_ns() < t_end) {
		int ret = run_batch(sc, n, NULL, msg, len);

		if (ret)
			return ret;
		done += n;
		if (done >= 1000000)
			break;
		n = n * 2 > max_batch ? max_batch : n * 2;
	}
	return NB_EXIT_OK;
}

/*
 * After an attach: an untimed quarter batch; in exact mode then more
 * batches until EXACT_SETTLE_NS have passed since the attach. A detach and
 * an attach leave deferred work (RCU and SRCU callbacks, run from the
 * following timer ticks' softirqs). In exact mode on 6.12 (mprotect sparse1g
 * 64G, 3.3 M instructions per op, 4 charged calls) it added 1600
 * instructions to the first sample after each attach; with samples started
 * at a tick (wait_for_tick()) but no settling, it still added 1 to 7 to some
 * of them: as much as a 1-instruction cost step of a sweep. Two ticks at HZ=250
 * and a margin: the deferred work runs in the warm-up, and every sample of a
 * configuration repeats to the instruction.
 */
#define EXACT_SETTLE_NS 10000000ull

static int settle_after_attach(struct sample_ctx *sc, char *msg, size_t len)
{
	uint64_t t0 = now_ns(), n = (sc->batch + 3) / 4;
	bool exact = !strcmp(env_clock_unit(), "insn");
	int ret;

	do
		ret = run_batch(sc, n, NULL, msg, len);
	while (!ret && exact && now_ns() - t0 < EXACT_SETTLE_NS);
	return ret;
}

/*
 * Doubles the batch until one lasts target_ns (median of 3 tries) or reaches
 * max_batch. Exact mode: the smallest power of two that lasts target_ns, by
 * jumps of the largest power of two <= target / d (a batch's time is affine
 * in n, so none that would do is skipped): the batch hangs on one comparison,
 * not on the floors of a path of jumps. Those gave a 6.1 upgrade mprotect
 * sweep 1080 or 1200 pages by boot (6 pages took 49859 instructions, 0.3 %
 * under where the next jump drops from 6 to 5), and its per-page figure (one
 * mprotect per batch) moved by 0.4-1.8 %.
 */
static int calibrate(struct sample_ctx *sc, uint64_t target_ns, uint64_t max_batch,
		     uint64_t *batch, char *msg, size_t len)
{
	bool exact = !strcmp(env_clock_unit(), "insn");
	uint64_t n = 1;

	for (;;) {
		uint64_t d[3];

		for (int i = 0; i < 3; i++) {
			int ret = run_batch(sc, n, &d[i], msg, len);

			if (ret)
				return ret;
		}
		qsort(d, 3, sizeof(d[0]), cmp_u64);
		if (d[1] >= target_ns || n >= max_batch)
			break;
		/* Jump close to the target, at most 16x at a time, at least 2x. */
		uint64_t f = d[1] ? (target_ns * 5 / 4) / d[1] + 1 : 16;

		if (exact)
			for (f = 2; f < 16 && (!d[1] || 2 * f <= target_ns / d[1]);)
				f *= 2;

		n *= f < 2 ? 2 : f > 16 ? 16 : f;
		if (n > max_batch)
			n = max_batch;
	}
	*batch = n;
	return NB_EXIT_OK;
}

/* The configuration with the largest cost of a sweep, or -1 without a sweep. */
static int costliest_sweep_point(const struct run_opts *o)
{
	int best = -1;

	for (unsigned int k = 0; k < o->ncfg; k++)
		if (o->cfg[k].sweep[0] && (best < 0 || o->cfg[k].sweep_cost > o->cfg[best].sweep_cost))
			best = (int)k;
	return best;
}

/*
 * A sweep's batch: the sample of its costliest point reaches the target, and
 * the first configuration's still takes 200 timer reads. Calibrating on the
 * cheapest point instead makes the costly points' samples many times longer,
 * and a long sample rarely escapes interference (a tick, host steal): the
 * fastest-decile fit of the sweep needs samples that do.
 */
static int calibrate_sweep(struct sample_ctx *sc, const struct run_opts *o, int costly, int *cur,
			   uint64_t floor_ns, uint64_t target_ns, uint64_t max_batch, char *msg,
			   size_t len)
{
	uint64_t lo, hi;
	int ret = calibrate(sc, floor_ns, max_batch, &lo, msg, len);

	if (ret)
		return ret;
	backend_detach(&o->cfg[*cur]);
	*cur = -1;
	ret = backend_attach(&o->cfg[costly], sc->bctx->buf, sc->bctx->len, msg, len);
	if (ret)
		return ret;
	*cur = costly;
	ret = run_batch(sc, lo, NULL, msg, len);
	if (!ret)
		ret = calibrate(sc, target_ns, max_batch, &hi, msg, len);
	if (!ret)
		sc->batch = lo > hi ? lo : hi;
	return ret;
}

/* A configuration some of whose calls the module clamped to its per-call cap. */
static bool clamped(const struct config_result *cr, const struct layout_cols *lc)
{
	return lc->nb_capped_per_op >= 0 &&
	       cr->st[lc->nb_capped_per_op].n && cr->st[lc->nb_capped_per_op].max > 0;
}

static bool any_clamped(const struct run_result *r, const struct layout_cols *lc)
{
	for (unsigned int k = 0; k < r->ncfg; k++)
		if (clamped(&r->cfg[k], lc))
			return true;
	return false;
}

static const char *cap_text(const struct backend *b)
{
	return b->cost_insn ? "NB_MAX_INSN_CALL, 2^28 instructions per call" :
	       "NB_MAX_CALL_NS, 1 ms per call";
}

static void print_summary(const struct bench *bench, const struct run_result *r,
			  const struct layout_cols *lc, const struct bench_ctx *bctx)
{
	const char *u = env_clock_unit();
	char h_op[16], h_call[16], h_p90[24], h_p99[24];
	int cp = COL_NS_PER_CALL;

	snprintf(h_op, sizeof(h_op), "%s/op", u);
	snprintf(h_call, sizeof(h_call), "%s/call", u);
	snprintf(h_p90, sizeof(h_p90), "p90 %s/op", u);
	snprintf(h_p99, sizeof(h_p99), "p99 %s/op", u);
	printf("%-28s %12s %23s %10s %10s %10s %6s", "config", h_op, "95% CI of median",
	       h_call, h_p90, h_p99, "CV %");
	if (lc->nb_ranges_per_call >= 0)
		printf(" %12s", "ranges/call");
	if (counter_available(CNT_KVM_UNMAP_HVA_RANGE))
		printf(" %10s", "kvm_unmap");
	printf(" %9s", "faults/op");
	if (lc->dev_zapped_per_op >= 0)
		printf(" %9s %10s", "zapped/op", "refault/op");
	if (any_clamped(r, lc))
		printf(" %s", "clamped calls/op");
	printf("\n");
	for (unsigned int k = 0; k < r->ncfg; k++) {
		const struct config_result *cr = &r->cfg[k];
		const struct stats *s = &cr->st[COL_NS_PER_OP];
		char ci[64];

		snprintf(ci, sizeof(ci), "[%.1f, %.1f]", s->ci_lo, s->ci_hi);
		printf("%-28s %12.1f %23s %10.1f %10.1f %10.1f %6.2f", cr->b->label, s->median, ci,
		       cr->st[cp].median, s->p90, s->p99, 100 * s->cv);
		if (lc->nb_ranges_per_call >= 0) {
			if (cr->st[lc->nb_ranges_per_call].n)
				printf(" %12.3f", cr->st[lc->nb_ranges_per_call].median);
			else
				printf(" %12s", "-");
		}
		if (counter_available(CNT_KVM_UNMAP_HVA_RANGE))
			printf(" %10.3f", cr->st[lc->kvm_unmap_per_call].median);
		if (cr->st[lc->faults_per_op].n)
			printf(" %9.3f", cr->st[lc->faults_per_op].median);
		else
			printf(" %9s", "-");
		if (lc->dev_zapped_per_op >= 0) {
			if (backend_has_device(cr->b))
				printf(" %9.3f %10.3f", cr->st[lc->dev_zapped_per_op].median,
				       cr->st[lc->dev_refaults_per_op].median);
			else
				printf(" %9s %10s", "-", "-");
		}
		if (any_clamped(r, lc)) {
			if (clamped(cr, lc))
				printf(" CLAMPED %.3f (max %.3f)", cr->st[lc->nb_capped_per_op].median,
				       cr->st[lc->nb_capped_per_op].max);
			else
				printf(" -");
		}
		printf("\n");
	}
	for (unsigned int k = 0; k < r->ncfg; k++)
		if (clamped(&r->cfg[k], lc))
			printf("%-28s CLAMPED: %.3f calls per op (median; max %.3f) charged the "
			       "module's per-call cap (%s), not their configured cost: its %s/op is a "
			       "lower bound, not an answer\n", r->cfg[k].b->label,
			       r->cfg[k].st[lc->nb_capped_per_op].median,
			       r->cfg[k].st[lc->nb_capped_per_op].max, cap_text(r->cfg[k].b), u);
	for (unsigned int k = 0; k < r->ncfg && lc->nbench; k++) {
		const struct config_result *cr = &r->cfg[k];
		unsigned int have = 0;

		for (unsigned int i = 0; i < lc->nbench; i++)
			have += cr->st[lc->bench + i].n > 0;
		if (!have)
			continue;	/* e.g. notifier columns of a configuration without kmod */
		printf("%-28s", cr->b->label);
		for (unsigned int i = 0; i < lc->nbench; i++)
			if (cr->st[lc->bench + i].n)
				printf(" %s=%.4g", r->cols[lc->bench + i].name, cr->st[lc->bench + i].median);
		printf("  (medians)\n");
	}
	/* Each backend's own lines (kvm: the guest; kmod: events per op), backend by backend. */
	for (unsigned int t = 0; t < backend_count; t++)
		for (unsigned int k = 0; k < r->ncfg; k++)
			if (r->cfg[k].b->ops == backend_table[t])
				backend_summary(r->cfg[k].b, r->cfg[k].st, r->cfg[k].st[COL_NOPS].median);
	printf("(%s: one op = one %s = %" PRIu64 " %s call%s)\n", bench->name, bctx->op_unit,
	       bctx->calls_per_op, bctx->call_unit, bctx->calls_per_op == 1 ? "" : "s");
}

/* The p-quantile of one column over a configuration's samples (NAN without any). */
static double sample_quantile(const struct run_result *r, const struct config_result *cr, int col,
			      double p)
{
	double *v = malloc((cr->n + 1) * sizeof(double)), q = NAN;
	size_t m = 0;

	if (!v)
		return NAN;
	for (unsigned int s = 0; s < cr->n; s++)
		if (!isnan(cr->v[s * r->ncols + col]))
			v[m++] = cr->v[s * r->ncols + col];
	if (m) {
		stats_sort(v, m);
		q = stats_quantile_sorted(v, m, p);
	}
	free(v);
	return q;
}

/* Median time the module measured inside its callbacks, per op. */
static double callback_ns_per_op(const struct config_result *cr, const struct layout_cols *lc)
{
	double ns = 0;

	/* A callback the configuration does not attach has no samples in its column. */
	for (unsigned int cb = 0; cb < NB_CB_NR; cb++)
		if (lc->nb_ns[cb] >= 0 && cr->st[lc->nb_ns[cb]].n)
			ns += cr->st[lc->nb_ns[cb]].median;
	return ns / cr->st[COL_NOPS].median;
}

/*
 * What a sweep's cost counts: insn instructions executed per call; the
 * others ns of the clock the module reads, which in exact mode advances one
 * per guest instruction (a spin of N "ns" is N instructions of guest time).
 */
static const char *sweep_cost_unit(const struct backend *b)
{
	return b->cost_insn ? "insn" : env_clock_unit();
}

/*
 * Exact mode: interference (an interrupt, a kworker) only adds instructions,
 * and samples start at a tick, so an op that does the same work every time
 * repeats its count to the instruction. Per configuration: the floor (the
 * fastest sample per op) and how many samples sit on it, the quartiles;
 * the floors fitted against the cost. A sweep resolves its cost steps when
 * for every two configurations adjacent in cost the costlier one's lower
 * quartile lies above the cheaper one's upper quartile: three quarters of
 * each one's samples are ordered by the cost, so the smallest cost step is
 * detected as a difference. Prints one line; *fslope, *fres (the floor fit's
 * largest residual) and *resolved for the metadata.
 */
static void sweep_floors(const struct run_result *r, const char *sw, double charged,
			 double *fslope, double *fres, bool *resolved)
{
	double x[64], f[64], q1[64], q3[64], icpt, r2, step = INFINITY, gap = INFINITY, sep = INFINITY;
	unsigned int held[64], nsamp[64], n = 0;
	char line[2048] = "";
	const char *unit = NULL, *key = NULL, *tu = env_clock_unit();
	bool per_page = false;

	*fslope = *fres = NAN;
	*resolved = false;
	for (unsigned int j = 0; j < r->ncfg && n < 64; j++) {
		const struct config_result *cr = &r->cfg[j];
		double lo = INFINITY, nops = cr->st[COL_NOPS].median;

		if (strcmp(cr->b->sweep, sw))
			continue;
		unit = sweep_cost_unit(cr->b);
		key = cr->b->cost_insn ? "n" : "ns";
		per_page = cr->b->cost_per_page;
		held[n] = nsamp[n] = 0;
		for (unsigned int i = 0; i < cr->n; i++) {
			double v = cr->v[i * r->ncols + COL_SAMPLE_NS];

			if (!isnan(v) && v < lo)
				lo = v;
		}
		for (unsigned int i = 0; i < cr->n; i++) {
			double v = cr->v[i * r->ncols + COL_SAMPLE_NS];

			nsamp[n] += !isnan(v);
			held[n] += !isnan(v) && v - lo < 0.5;
		}
		x[n] = cr->b->sweep_cost;
		f[n] = lo / nops;
		q1[n] = sample_quantile(r, cr, COL_NS_PER_OP, 0.25);
		q3[n] = sample_quantile(r, cr, COL_NS_PER_OP, 0.75);
		snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s%s=%.0f %.1f [%u/%u]",
			 n ? ", " : "", key, x[n], f[n], held[n], nsamp[n]);
		n++;
	}
	if (n < 2 || stats_linfit(x, f, n, fslope, &icpt, &r2))
		return;
	*fres = 0;
	for (unsigned int i = 0; i < n; i++) {
		double d = fabs(f[i] - (icpt + *fslope * x[i]));

		*fres = d > *fres ? d : *fres;
	}
	/* Pairs adjacent in cost: the smallest step, floor difference and quartile gap. */
	for (unsigned int i = 0; i < n; i++)
		for (unsigned int j = 0; j < n; j++) {
			bool next = x[j] > x[i];

			for (unsigned int k = 0; k < n && next; k++)
				next = !(x[k] > x[i] && x[k] < x[j]);
			if (!next)
				continue;
			step = x[j] - x[i] < step ? x[j] - x[i] : step;
			gap = f[j] - f[i] < gap ? f[j] - f[i] : gap;
			sep = q1[j] - q3[i] < sep ? q1[j] - q3[i] : sep;
		}
	*resolved = charged > 0 && sep > 0;
	printf("sweep %s: exact floors (fastest sample, %s/op [samples on it]): %s; floor slope "
	       "%.3f %s/op per %s of cost (largest residual %.2f): ", sw, tu, line, *fslope, tu,
	       unit, *fres);
	if (charged <= 0)
		printf("no charged calls, nothing to resolve (adjacent floors differ by >= %.1f)\n",
		       gap);
	else if (*resolved)
		printf("resolved: in every pair of configurations adjacent in cost the costlier one's "
		       "lower quartile is %.1f or more above the other's upper quartile (floors step "
		       "by >= %.1f): a cost step of %.0f %s per %s is detected\n", sep, gap, step,
		       unit, per_page ? "4 KiB of range" : "call");
	else
		printf("not resolved: the quartiles of configurations adjacent in cost overlap (by "
		       "up to %.1f %s/op; floors step by >= %.1f)\n", -sep, tu, gap);
}

/*
 * Sweeps: the slope of time per op against the configured cost is the
 * number of calls charged per op when both count the same thing: a spin's
 * ns against the clock's ns (or, in exact mode, both instructions), an insn
 * sweep in exact mode. An insn sweep timed by a wall clock gives instead the
 * time one instruction of the model's loop takes. Three fits: of the
 * medians; of the fastest decile (p10), since interference (host steal, an
 * emulator's own work, interrupts) only ever adds time and grows with the
 * length of an op, inflating the medians' slope; and of the time the module
 * measured inside its callbacks, which tells how far the model's own spin
 * overshoots. In exact mode a fourth, of the floors (sweep_floors()).
 */
/* One number of sweep i as its own key (sweep.N.<name>); none when it has no value. */
static void sweep_meta(unsigned int i, const char *name, double v)
{
	if (!isnan(v))
		meta_add_nth("sweep", i, name, "%.10g", v);
}

static void sweep_check(const struct run_result *r, const struct layout_cols *lc)
{
	bool exact = !strcmp(env_clock_unit(), "insn");
	unsigned int nsw = 0;	/* sweeps described so far: sweep.N.* */

	for (unsigned int k = 0; k < r->ncfg; k++) {
		const char *sw = r->cfg[k].b->sweep, *tu = env_clock_unit();
		const char *cu = sweep_cost_unit(r->cfg[k].b);
		double x[64], y[64], y10[64], ycb[64], charged = 0, slope, icpt, r2, s10, s_cb, dummy;
		double fslope = NAN, fres = NAN, capmax = 0;
		unsigned int n = 0, nclamped = 0;
		bool first = true, calls = !strcmp(cu, tu), resolved = false;
		bool pages = r->cfg[k].b->cost_per_page;
		const char *what = pages ? "charged 4 KiB pages" : "charged calls";
		char ratio[96], fmeta[192] = "";

		if (!sw[0])
			continue;
		for (unsigned int j = 0; j < k; j++)
			if (!strcmp(r->cfg[j].b->sweep, sw))
				first = false;
		if (!first)
			continue;
		for (unsigned int j = k; j < r->ncfg && n < 64; j++) {
			const struct config_result *cr = &r->cfg[j];

			if (strcmp(cr->b->sweep, sw))
				continue;
			x[n] = cr->b->sweep_cost;
			y[n] = cr->st[COL_NS_PER_OP].median;
			y10[n] = sample_quantile(r, cr, COL_NS_PER_OP, 0.1);
			ycb[n] = callback_ns_per_op(cr, lc);
			charged += cr->st[pages ? lc->nb_charged_pages : lc->nb_charged_calls].median /
				   cr->st[COL_NOPS].median;
			if (clamped(cr, lc)) {
				nclamped++;
				if (cr->st[lc->nb_capped_per_op].max > capmax)
					capmax = cr->st[lc->nb_capped_per_op].max;
			}
			n++;
		}
		charged /= n;
		/*
		 * A clamped call charged the cap, not N (or N per page): the fit
		 * would measure the cap. Say so instead of giving a slope.
		 */
		if (nclamped) {
			printf("sweep %s: clamped: %u of %u configurations had calls charged the "
			       "module's per-call cap (%s; up to %.3f per op) instead of their cost: "
			       "no slope is given, the %s/op of those configurations are lower "
			       "bounds (%s counted per op %.3f)\n", sw, nclamped, n,
			       cap_text(r->cfg[k].b), capmax, tu, what, charged);
			meta_add_repeat("sweep", "%s: clamped: %u of %u configurations, up to %.4f calls per op "
				 "charged the per-call cap (%s); no fit, cost_unit %s, time_unit %s",
				 sw, nclamped, n, capmax, cap_text(r->cfg[k].b), cu, tu);
			meta_add_nth("sweep", nsw, "group", "%s", sw);
			meta_add_nth("sweep", nsw, "clamped", "%u of %u configurations", nclamped, n);
			meta_add_nth("sweep", nsw, "cost_unit", "%s%s", cu, pages ? "/4KiB" : "");
			meta_add_nth("sweep", nsw++, "time_unit", "%s", tu);
			continue;
		}
		if (stats_linfit(x, y, n, &slope, &icpt, &r2))
			continue;
		if (stats_linfit(x, y10, n, &s10, &dummy, &dummy))
			s10 = NAN;
		if (stats_linfit(x, ycb, n, &s_cb, &dummy, &dummy))
			s_cb = NAN;
		/* Same units: the slope is calls; else it is time per instruction of the loop. */
		if (calls)
			snprintf(ratio, sizeof(ratio), "ratio");
		else
			snprintf(ratio, sizeof(ratio), "%s per charged %s%s", tu, cu,
				 pages ? " per 4 KiB" : "");
		printf("sweep %s: slope %.3f %s/op per %s of cost%s (r2 %.4f); counted %s "
		       "per op %.3f; %s %.3f; fastest decile: slope %.3f, %s %.3f; "
		       "module-timed callbacks: slope %.3f, %s %.3f\n", sw, slope, tu, cu,
		       pages ? " per 4 KiB" : "", r2, what, charged,
		       ratio, charged > 0 ? slope / charged : NAN, s10, ratio,
		       charged > 0 ? s10 / charged : NAN, s_cb, ratio,
		       charged > 0 ? s_cb / charged : NAN);
		if (!calls)
			printf("sweep %s: the cost counts instructions and the clock %s: the slope per "
			       "charged call is the %s one instruction of the model's loop took, not a "
			       "count of calls (in exact mode it is 1)\n", sw, tu, tu);
		if (exact) {
			sweep_floors(r, sw, charged, &fslope, &fres, &resolved);
			snprintf(fmeta, sizeof(fmeta), ", floor_slope %.4f, floor_slope/charged %.4f, "
				 "floor_residual %.2f, floors %s", fslope,
				 charged > 0 ? fslope / charged : NAN, fres,
				 charged <= 0 ? "uncharged" : resolved ? "resolved" : "unresolved");
		}
		/* Field names after the first "slope" must not repeat it: scripts parse by word. */
		meta_add_repeat("sweep", "%s: slope %.4f, intercept %.1f %s, r2 %.5f, %s per op "
			 "%.4f, slope/charged %.4f, p10_slope %.4f, p10_slope/charged %.4f, "
			 "callback_ns_slope %.4f, callback_ns_slope/charged %.4f, cost_unit %s%s, "
			 "time_unit %s%s", sw, slope, icpt, tu, r2, what,
			 charged, charged > 0 ? slope / charged : NAN, s10,
			 charged > 0 ? s10 / charged : NAN, s_cb,
			 charged > 0 ? s_cb / charged : NAN, cu, pages ? "/4KiB" : "", tu, fmeta);
		/* The same as named keys, for readers that should not parse the line above. */
		meta_add_nth("sweep", nsw, "group", "%s", sw);
		sweep_meta(nsw, "slope", slope);
		sweep_meta(nsw, "intercept", icpt);
		sweep_meta(nsw, "r2", r2);
		meta_add_nth("sweep", nsw, "charged", "%s", pages ? "4KiB_pages" : "calls");
		sweep_meta(nsw, "charged_per_op", charged);
		sweep_meta(nsw, "slope_per_charged", charged > 0 ? slope / charged : NAN);
		sweep_meta(nsw, "p10_slope", s10);
		sweep_meta(nsw, "p10_slope_per_charged", charged > 0 ? s10 / charged : NAN);
		sweep_meta(nsw, "callback_ns_slope", s_cb);
		sweep_meta(nsw, "callback_ns_slope_per_charged", charged > 0 ? s_cb / charged : NAN);
		meta_add_nth("sweep", nsw, "cost_unit", "%s%s", cu, pages ? "/4KiB" : "");
		meta_add_nth("sweep", nsw, "time_unit", "%s", tu);
		if (exact) {
			sweep_meta(nsw, "floor_slope", fslope);
			sweep_meta(nsw, "floor_slope_per_charged", charged > 0 ? fslope / charged : NAN);
			sweep_meta(nsw, "floor_residual", fres);
			meta_add_nth("sweep", nsw, "floors", "%s", charged <= 0 ? "uncharged" :
				     resolved ? "resolved" : "unresolved");
		}
		nsw++;
	}
}

static void compute_stats(struct run_result *r)
{
	for (unsigned int k = 0; k < r->ncfg; k++) {
		struct config_result *cr = &r->cfg[k];
		double *tmp = malloc((cr->n + 1) * sizeof(double));

		for (unsigned int c = 0; c < r->ncols && tmp; c++) {
			unsigned int m = 0;

			if (r->cols[c].text)
				continue;
			for (unsigned int s = 0; s < cr->n; s++)
				if (!isnan(cr->v[s * r->ncols + c]))
					tmp[m++] = cr->v[s * r->ncols + c];
			stats_compute(tmp, m, &cr->st[c]);
		}
		free(tmp);
	}
}

static void emit_meta(const char *key, const char *value)
{
	meta_put(key, value);
}

int harness_run(const struct bench *bench, const struct bench_val *opt, struct run_opts *o)
{
	struct bench_ctx bctx = { .opt = opt, .quick = o->quick };
	struct run_result r = { 0 };
	struct layout_cols lc = { 0 };
	struct sample_ctx sc = { .bench = bench, .bctx = &bctx, .r = &r, .lc = &lc,
				 .no_check = o->no_check };
	char msg[BENCH_REASON_LEN] = "", tmp[4096] = "", final[4096] = "", key[64];
	double timer_ns;
	uint64_t target_ns, max_batch;
	int ret, cur = -1, costly = -1;
	bool set_up = false;

	/* The zap model needs a benchmark whose buffer a device may read between batches. */
	for (unsigned int k = 0; k < o->ncfg; k++) {
		char names[256] = "";

		if (!backend_has_device(&o->cfg[k]) || bench->ops->device_access)
			continue;
		for (unsigned int i = 0; i < bench_count(); i++)
			if (bench_at(i)->ops->device_access)
				snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
					 names[0] ? ", " : "", bench_at(i)->name);
		snprintf(msg, sizeof(msg), "--backend %s: the zap model needs a benchmark that lets "
			 "a device read its buffer between batches (%s); %s does not", o->cfg[k].label,
			 names[0] ? names : "none", bench->name);
		ret = NB_EXIT_USAGE;
		goto out;
	}

	env_capture();
	meta_put("benchmark", bench->name);
	meta_put("command", o->cmdline);
	ret = pin(&o->cpu, msg, sizeof(msg));
	if (ret)
		goto out;
	meta_add("cpu", "%d", o->cpu);
	if (!o->no_knobs)
		hygiene_knobs();
	ret = csv_prepare(o->out_dir, bench->name, tmp, final, sizeof(tmp));
	if (ret) {
		snprintf(msg, sizeof(msg), "--out %s: cannot create a file there: %s", o->out_dir,
			 strerror(-ret));
		tmp[0] = 0;
		ret = NB_EXIT_USAGE;
		goto out;
	}
	counters_open();
	for (int i = 0; i < CNT_NR; i++) {
		snprintf(key, sizeof(key), "counter.%s", counter_name(i));
		meta_put(key, counter_status(i));
	}
	for (unsigned int k = 0; k < o->ncfg; k++) {
		ret = backend_open(&o->cfg[k], msg, sizeof(msg));
		if (ret)
			goto out;
	}
	ret = bench->ops->setup(&bctx, &sc.state);
	if (ret) {
		snprintf(msg, sizeof(msg), "%s", bctx.reason);
		goto out;
	}
	set_up = true;
	if (bench->ops->describe)
		bench->ops->describe(sc.state, emit_meta);
	max_batch = bctx.max_batch ? bctx.max_batch : 1ull << 30;
	if (o->batch > max_batch) {
		snprintf(msg, sizeof(msg), "--batch %" PRIu64 ": %s takes at most %" PRIu64 " ops per "
			 "batch with these options (%s)", o->batch, bench->name, max_batch,
			 bctx.max_batch ? "its own limit, e.g. the pages of its buffer" :
			 "the harness's limit");
		ret = NB_EXIT_USAGE;
		goto out;
	}
	meta_add("faults_source", "%s%s", counter_available(CNT_MINOR_FAULTS) ?
		 "perf minor-faults of the benchmark thread" :
		 "getrusage(RUSAGE_THREAD) ru_minflt of the benchmark thread",
		 bench->ops->finish ? ", plus the faults of helper processes the benchmark reports" : "");

	r.ncfg = o->ncfg;
	r.cfg = calloc(o->ncfg, sizeof(*r.cfg));
	make_columns(&r, &lc, o, bench);
	for (unsigned int k = 0; k < o->ncfg; k++) {
		struct config_result *cr = &r.cfg[k];

		cr->b = &o->cfg[k];
		cr->v = calloc((size_t)o->samples * r.ncols, sizeof(double));
		cr->text = calloc((size_t)o->samples * r.ncols, sizeof(char *));
		cr->round = calloc(o->samples, sizeof(unsigned int));
		cr->seq = calloc(o->samples, sizeof(unsigned int));
		cr->st = calloc(r.ncols, sizeof(struct stats));
		if (!cr->v || !cr->text || !cr->round || !cr->seq || !cr->st) {
			snprintf(msg, sizeof(msg), "out of memory");
			ret = NB_EXIT_FAIL;
			goto out;
		}
	}

	timer_ns = timer_cost_ns();
	target_ns = (uint64_t)(200 * timer_ns);
	if (target_ns < o->min_sample_ns)
		target_ns = o->min_sample_ns;
	if (target_ns < bctx.min_sample_ns)
		target_ns = bctx.min_sample_ns;
	meta_add("timer", "clock_gettime(CLOCK_MONOTONIC), %.1f %s per call (median of 2001)",
		 timer_ns, env_clock_unit());

	/* Warm up and calibrate on the first configuration. */
	fprintf(stderr, "notibench: %s: %u configuration%s, %u samples each\n", bench->name,
		o->ncfg, o->ncfg == 1 ? "" : "s", o->samples);
	ret = backend_attach(&o->cfg[0], bctx.buf, bctx.len, msg, sizeof(msg));
	if (ret)
		goto out;
	cur = 0;
	ret = warm_up(&sc, o->quick ? 20 : 200, 2, max_batch, msg, sizeof(msg));
	if (ret)
		goto out;
	if (o->batch)
		sc.batch = o->batch;
	else if (bctx.batch)
		sc.batch = bctx.batch > max_batch ? max_batch : bctx.batch;
	else if ((costly = costliest_sweep_point(o)) > 0)
		ret = calibrate_sweep(&sc, o, costly, &cur, (uint64_t)(200 * timer_ns), target_ns,
				      max_batch, msg, sizeof(msg));
	else
		ret = calibrate(&sc, target_ns, max_batch, &sc.batch, msg, sizeof(msg));
	if (ret)
		goto out;
	meta_add("batch", "%" PRIu64 " ops per sample (%s; target %.0f ns = max(200 x timer, "
		 "--min-sample-us%s)%s%s)", sc.batch, o->batch ? "--batch" : bctx.batch ?
		 "set by the benchmark" : strcmp(env_clock_unit(), "insn") ? "calibrated" :
		 "calibrated, exact mode: the smallest power of two that lasts the target",
		 (double)target_ns,
		 bctx.min_sample_ns ? ", the benchmark's minimum sample" : "",
		 costly > 0 && !o->batch && !bctx.batch ? " on the costliest point of the sweep, "
		 "at least 200 x timer on the first configuration" : "",
		 !o->batch && sc.batch == bctx.max_batch ? "; capped by what the benchmark's buffer "
		 "holds: a sample may be shorter than the target" : "");
	meta_add("samples", "%u per configuration", o->samples);
	sc.exact = !strcmp(env_clock_unit(), "insn");
	meta_add("interleave", "round r samples configurations 0..%u in order for even r, reversed "
		 "for odd r; warm-up of ceil(batch/4) ops after each attach%s", o->ncfg - 1,
		 strcmp(env_clock_unit(), "insn") ? "" : ", repeated until 10 ms (10 M insn) have "
		 "passed since it: the attach's deferred work runs in the next ticks");
	if (sc.exact)
		meta_put("batch_sched", bctx.cfs_batch ? "exact mode: the batch keeps its scheduling "
			 "policy (its work needs the thread's CFS tick)" : "exact mode: each timed "
			 "batch runs as SCHED_FIFO 1 (children SCHED_OTHER): kernel threads woken "
			 "meanwhile run after it, or when it blocks; interrupts still count");

	hostref_begin(o->cpu);
	for (unsigned int round = 0; round < o->samples; round++) {
		for (unsigned int i = 0; i < o->ncfg; i++) {
			unsigned int k = round % 2 ? o->ncfg - 1 - i : i;

			if (cur != (int)k) {
				if (cur >= 0)
					backend_detach(&o->cfg[cur]);
				cur = -1;
				ret = backend_attach(&o->cfg[k], bctx.buf, bctx.len, msg, sizeof(msg));
				if (ret)
					goto out;
				cur = (int)k;
				ret = settle_after_attach(&sc, msg, sizeof(msg));
				if (ret)
					goto out;
			}
			ret = take_sample(&sc, k, round, msg, sizeof(msg));
			if (ret)
				goto out;
		}
	}
	if (cur >= 0)
		backend_detach(&o->cfg[cur]);
	cur = -1;
	hostref_end();

	compute_stats(&r);
	for (unsigned int k = 0; k < o->ncfg; k++) {
		snprintf(key, sizeof(key), "config.%u", k);
		meta_put(key, o->cfg[k].label);
		backend_describe(&o->cfg[k], key, emit_meta);
		if (clamped(&r.cfg[k], &lc)) {
			snprintf(key, sizeof(key), "config.%u.clamped", k);
			meta_add(key, "yes: %.4f calls per op (median; max %.4f) charged the per-call cap "
				 "(%s), not their cost", r.cfg[k].st[lc.nb_capped_per_op].median,
				 r.cfg[k].st[lc.nb_capped_per_op].max, cap_text(r.cfg[k].b));
		}
	}
	if (sc.exact)
		meta_add("sample_start", "right after a timer tick (exact mode: the coarse clock moved); "
			 "%u of %u samples gave up waiting for one after 20 ms", sc.tick_timeouts,
			 sc.seq);
	meta_add("knobs_changed", "%u", knobs_changed());
	for (unsigned int i = 0; i < knobs_changed(); i++) {
		snprintf(key, sizeof(key), "knob.%u", i);
		meta_put(key, knobs_changed_desc(i));
	}
	meta_put("check", !bench->ops->check ? "none (the benchmark has no check)" :
		 o->no_check ? "disabled (--no-check)" :
		 sc.check_failures ? "FAILED" : "passed");
	if (sc.check_failures)
		meta_add("check_failures", "%u samples", sc.check_failures);

	print_summary(bench, &r, &lc, &bctx);
	sweep_check(&r, &lc);
	ret = csv_write(tmp, &r);
	if (!ret)
		ret = csv_commit(tmp, final);
	if (ret) {
		snprintf(msg, sizeof(msg), "writing %s: %s", final, strerror(-ret));
		ret = NB_EXIT_FAIL;
		goto out;
	}
	tmp[0] = 0;
	printf("wrote %s\n", final);
	if (sc.check_failures) {
		snprintf(msg, sizeof(msg), "check failed in %u of the samples (first: %s)",
			 sc.check_failures, meta_get("check_first_failure"));
		ret = NB_EXIT_FAIL;
	}

out:
	if (cur >= 0)
		backend_detach(&o->cfg[cur]);
	if (set_up)
		bench->ops->teardown(sc.state);
	for (unsigned int k = 0; k < o->ncfg; k++)
		backend_close(&o->cfg[k]);
	counters_close();
	if (tmp[0])
		csv_abort(tmp);
	knobs_restore();
	if (ret == NB_EXIT_SKIP)
		fprintf(stderr, "notibench: %s: SKIP: %s\n", bench->name, msg);
	else if (ret)
		fprintf(stderr, "notibench: %s: %s: %s\n", bench->name,
			ret == NB_EXIT_USAGE ? "usage" : "FAIL", msg);
	for (unsigned int k = 0; k < r.ncfg && r.cfg; k++) {
		struct config_result *cr = &r.cfg[k];

		for (size_t i = 0; cr->text && i < (size_t)o->samples * r.ncols; i++)
			free(cr->text[i]);
		free(cr->v);
		free(cr->text);
		free(cr->round);
		free(cr->seq);
		free(cr->st);
	}
	free(r.cfg);
	free(r.cols);
	return ret;
}
