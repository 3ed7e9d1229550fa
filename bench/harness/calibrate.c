// SPDX-License-Identifier: GPL-2.0
/*
 * The batch: how many ops one sample runs. The timer's cost sets the
 * shortest sample (200 clock reads); warm-up, then batches doubled (or
 * jumped) until one lasts the target, on the first configuration or, for a
 * sweep, on its costliest point too.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "env.h"
#include "harness_impl.h"
#include "util.h"

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

void batch_target(struct batch_plan *p, const struct run_opts *o, const struct bench_ctx *bctx)
{
	p->timer_ns = timer_cost_ns();
	p->target_ns = (uint64_t)(200 * p->timer_ns);
	if (p->target_ns < o->min_sample_ns)
		p->target_ns = o->min_sample_ns;
	if (p->target_ns < bctx->min_sample_ns)
		p->target_ns = bctx->min_sample_ns;
	meta_add("timer", "clock_gettime(CLOCK_MONOTONIC), %.1f %s per call (median of 2001)",
		 p->timer_ns, env_clock_unit());
}

/*
 * Runs ops untimed for at least ms milliseconds (and min_ops ops), in batches
 * of 1, 2, 4, ... ops (at most max_batch), each bracketed by prepare/finish.
 */
int warm_up(struct sample_ctx *sc, uint64_t ms, uint64_t min_ops, uint64_t max_batch,
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

int settle_after_attach(struct sample_ctx *sc, char *msg, size_t len)
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

int calibrate_batch(struct sample_ctx *sc, const struct run_opts *o, struct batch_plan *p,
		    int *cur, char *msg, size_t len)
{
	const struct bench_ctx *bctx = sc->bctx;

	p->costly = -1;
	if (o->batch)
		sc->batch = o->batch;
	else if (bctx->batch)
		sc->batch = bctx->batch > p->max_batch ? p->max_batch : bctx->batch;
	else if ((p->costly = costliest_sweep_point(o)) > 0)
		return calibrate_sweep(sc, o, p->costly, cur, (uint64_t)(200 * p->timer_ns),
				       p->target_ns, p->max_batch, msg, len);
	else
		return calibrate(sc, p->target_ns, p->max_batch, &sc->batch, msg, len);
	return NB_EXIT_OK;
}
