// SPDX-License-Identifier: GPL-2.0
/*
 * One sample: the benchmark's untimed prepare(), the backend's fill (a kvm
 * guest's or the zap model's device read of the buffer), reset the
 * backend's counters, read the perf counters, time one batch with
 * CLOCK_MONOTONIC, read everything again, the backend's refault pass, the
 * benchmark's untimed finish(), the row's values, check(). Every batch
 * the harness runs, warm-up and calibration included, is bracketed by
 * prepare() and finish().
 */
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "counters.h"
#include "env.h"
#include "harness_impl.h"
#include "nbdev.h"
#include "util.h"

#define CHECK_PRINT_MAX 5

/* A sample in the making: what the timed batch and the reads around it gave. */
struct sample {
	struct backend *b;
	struct bench_sample bs;
	struct counter_snap c0, c1;
	uint64_t t0, t1, f0, f1;	/* clock and getrusage minor faults */
	uint64_t calls;			/* system calls of the batch */
	int64_t faults;			/* -1: unknown */
	double *v;			/* the row */
	char **text;
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

int run_batch(struct sample_ctx *sc, uint64_t n, uint64_t *dt, char *msg, size_t len)
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

/* Untimed, before the batch: prepare(), the backend's fill (kvm guest, zap device), counter reset. */
static int sample_begin(struct sample_ctx *sc, struct sample *s, char *msg, size_t len)
{
	struct backend *b = s->b;
	int ret, err = 0;

	ret = batch_prepare(sc, &s->bs, sc->batch, msg, len);
	if (ret)
		return ret;
	/* kvm guest, zap device: they read the buffer, filling their tables before the batch. */
	if (backend_before_batch(b, sc->bctx->buf, sc->bctx->len, msg, len))
		err = -EIO;
	else if (backend_sample_begin(b))
		snprintf(msg, len, "%s: resetting counters failed", b->label), err = -EIO;
	if (err) {
		batch_finish(sc, &s->bs, msg + strlen(msg), 0);
		return NB_EXIT_FAIL;
	}
	return NB_EXIT_OK;
}

/* The timed batch, between two reads of every counter. run()'s return. */
static int timed_batch(struct sample_ctx *sc, struct sample *s)
{
	struct sched_param old_sp;
	int old_policy, fifo, ret;

	if (sc->exact && !wait_for_tick())
		sc->tick_timeouts++;
	fifo = batch_fifo(sc->exact && !sc->bctx->cfs_batch, &old_sp, &old_policy);
	s->f0 = rusage_minflt();
	counters_read(&s->c0);
	s->t0 = now_ns();
	ret = sc->bench->ops->run(sc->state, sc->batch);
	s->t1 = now_ns();
	counters_read(&s->c1);
	s->f1 = rusage_minflt();
	if (!fifo)
		sched_setscheduler(0, old_policy, &old_sp);
	return ret;
}

/* Untimed, after the batch: counters read, the backend's refault (kvm guest, zap device), finish(). */
static int sample_end(struct sample_ctx *sc, struct sample *s, char *msg, size_t len)
{
	struct backend *b = s->b;
	int err = 0;

	if (backend_sample_end(b))
		snprintf(msg, len, "%s: reading counters failed", b->label), err = -EIO;
	/* kvm guest, zap device: what the batch zapped faults in again (unless it is gone). */
	else if (!sc->bench->ops->batch_discards &&
		 backend_after_batch(b, sc->bctx->buf, sc->bctx->len, msg, len))
		err = -EIO;
	if (err) {
		batch_finish(sc, &s->bs, msg + strlen(msg), 0);
		return NB_EXIT_FAIL;
	}
	return batch_finish(sc, &s->bs, msg, len);
}

/* Time per op and per call, the perf counters, kvm_unmap_hva_range per call and op. */
static void base_values(const struct sample_ctx *sc, const struct sample *s)
{
	const struct layout_cols *lc = sc->lc;
	double *v = s->v;

	for (unsigned int c = 0; c < sc->r->ncols; c++)
		v[c] = NAN;
	v[COL_NOPS] = (double)sc->batch;
	v[COL_SAMPLE_NS] = (double)(s->t1 - s->t0);
	v[COL_NS_PER_OP] = (double)(s->t1 - s->t0) / (double)sc->batch;
	v[COL_NS_PER_CALL] = (double)(s->t1 - s->t0) / (double)s->calls;
	for (int i = 0; i < CNT_NR; i++)
		if (counter_available(i))
			v[lc->counters + i] = (double)(s->c1.v[i] - s->c0.v[i]);
	if (counter_available(CNT_KVM_UNMAP_HVA_RANGE)) {
		v[lc->kvm_unmap_per_call] = v[lc->counters + CNT_KVM_UNMAP_HVA_RANGE] /
					    (double)s->calls;
		v[lc->kvm_unmap_per_op] = v[lc->counters + CNT_KVM_UNMAP_HVA_RANGE] /
					  (double)sc->batch;
	}
}

/* The backend's own columns (kvm: stats and guest; kmod: device and notifier). */
static void backend_values(const struct sample_ctx *sc, const struct sample *s)
{
	backend_sample_values(s->b, &(struct backend_sample){ .nops = sc->batch, .calls = s->calls },
			      s->v, s->text);
}

/* Minor faults per op (perf, else getrusage; plus the helpers'); s->faults. */
static void fault_values(const struct sample_ctx *sc, struct sample *s)
{
	const struct layout_cols *lc = sc->lc;
	double *v = s->v;

	s->faults = -1;
	if (counter_available(CNT_MINOR_FAULTS))
		s->faults = (int64_t)(s->c1.v[CNT_MINOR_FAULTS] - s->c0.v[CNT_MINOR_FAULTS]);
	else if (s->f1 >= s->f0 && s->f1)
		s->faults = (int64_t)(s->f1 - s->f0);
	if (s->faults >= 0)
		v[lc->faults_per_op] = (double)(s->faults + (s->bs.helper_faults > 0 ?
							      s->bs.helper_faults : 0)) /
				       (double)sc->batch;
	if (s->bs.helper_faults >= 0)
		v[lc->helper_faults] = (double)s->bs.helper_faults;
}

/* What the benchmark's check() and sample_values() get. */
static void bench_counters_of(const struct sample_ctx *sc, const struct sample *s,
			      struct bench_counters *out)
{
	const struct counter_snap *c0 = &s->c0, *c1 = &s->c1;
	struct bench_counters bc = {
		.nops = sc->batch,
		.sample_ns = s->t1 - s->t0,
		.faults = s->faults,
		.helper_faults = s->bs.helper_faults,
		.dev_fill_faults = -1,
		.dev_refaults = -1,
		.kvm_unmap_hva_range = counter_available(CNT_KVM_UNMAP_HVA_RANGE) ?
			(int64_t)(c1->v[CNT_KVM_UNMAP_HVA_RANGE] - c0->v[CNT_KVM_UNMAP_HVA_RANGE]) : -1,
	};

	backend_counters(s->b, &bc);
	*out = bc;
}

/* The benchmark's own columns, then its check (a failure is counted, not fatal). */
static void bench_values_and_check(struct sample_ctx *sc, const struct config_result *cr,
				   const struct sample *s)
{
	const struct backend *b = s->b;
	struct bench_counters bc;

	bench_counters_of(sc, s, &bc);
	if (sc->lc->nbench && sc->bench->ops->sample_values)
		sc->bench->ops->sample_values(sc->state, &bc, &s->v[sc->lc->bench]);
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
}

int take_sample(struct sample_ctx *sc, unsigned int k, unsigned int round, char *msg,
		size_t len)
{
	struct config_result *cr = &sc->r->cfg[k];
	struct sample s = {
		.b = cr->b,
		.calls = sc->batch * sc->bctx->calls_per_op,
		.v = &cr->v[cr->n * sc->r->ncols],
		.text = &cr->text[cr->n * sc->r->ncols],
	};
	int ret = sample_begin(sc, &s, msg, len);

	if (ret)
		return ret;
	ret = timed_batch(sc, &s);
	if (ret) {
		batch_finish(sc, &s.bs, msg, 0);
		snprintf(msg, len, "%s: ", s.b->label);
		return op_failed(ret, &s.bs, msg + strlen(msg), len - strlen(msg));
	}
	ret = sample_end(sc, &s, msg, len);
	if (ret)
		return ret;
	base_values(sc, &s);
	backend_values(sc, &s);
	fault_values(sc, &s);
	cr->round[cr->n] = round;
	cr->seq[cr->n] = sc->seq++;
	cr->n++;
	bench_values_and_check(sc, cr, &s);
	return NB_EXIT_OK;
}
