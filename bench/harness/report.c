// SPDX-License-Identifier: GPL-2.0
/*
 * The report on stdout: a table of medians per configuration with the lines
 * that explain it, then for each sweep the fits of time per op against the
 * configured cost (also in the metadata: "sweep" lines).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "env.h"
#include "harness_impl.h"
#include "nbdev.h"

/* Points of one sweep (at most 64), in configuration order. */
#define SWEEP_MAX 64

bool clamped(const struct config_result *cr, const struct layout_cols *lc)
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

const char *cap_text(const struct backend *b)
{
	return b->cost_insn ? "NB_MAX_INSN_CALL, 2^28 instructions per call" :
	       "NB_MAX_CALL_NS, 1 ms per call";
}

/* ---- the summary table ---- */

static void summary_header(const struct run_result *r, const struct layout_cols *lc)
{
	const char *u = env_clock_unit();
	char h_op[16], h_call[16], h_p90[24], h_p99[24];

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
}

static void summary_row(const struct run_result *r, const struct layout_cols *lc,
			const struct config_result *cr)
{
	const struct stats *s = &cr->st[COL_NS_PER_OP];
	int cp = COL_NS_PER_CALL;
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

static void clamped_lines(const struct run_result *r, const struct layout_cols *lc)
{
	for (unsigned int k = 0; k < r->ncfg; k++)
		if (clamped(&r->cfg[k], lc))
			printf("%-28s CLAMPED: %.3f calls per op (median; max %.3f) charged the "
			       "module's per-call cap (%s), not their configured cost: its %s/op is a "
			       "lower bound, not an answer\n", r->cfg[k].b->label,
			       r->cfg[k].st[lc->nb_capped_per_op].median,
			       r->cfg[k].st[lc->nb_capped_per_op].max, cap_text(r->cfg[k].b),
			       env_clock_unit());
}

/* The benchmark's own columns' medians, per configuration that has some. */
static void bench_column_lines(const struct run_result *r, const struct layout_cols *lc)
{
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
}

/* Each backend's own lines (kvm: the guest; kmod: events per op), backend by backend. */
static void backend_lines(const struct run_result *r)
{
	for (unsigned int t = 0; t < backend_count; t++)
		for (unsigned int k = 0; k < r->ncfg; k++)
			if (r->cfg[k].b->ops == backend_table[t])
				backend_summary(r->cfg[k].b, r->cfg[k].st, r->cfg[k].st[COL_NOPS].median,
						env_clock_unit());
}

void print_summary(const struct bench *bench, const struct run_result *r,
		   const struct layout_cols *lc, const struct bench_ctx *bctx)
{
	summary_header(r, lc);
	for (unsigned int k = 0; k < r->ncfg; k++)
		summary_row(r, lc, &r->cfg[k]);
	clamped_lines(r, lc);
	bench_column_lines(r, lc);
	backend_lines(r);
	printf("(%s: one op = one %s = %" PRIu64 " %s call%s)\n", bench->name, bctx->op_unit,
	       bctx->calls_per_op, bctx->call_unit, bctx->calls_per_op == 1 ? "" : "s");
}

/* ---- sweeps ---- */

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

/* One configuration's floor: the fastest sample per op, the samples on it, the quartiles. */
struct floor_point {
	double x, f, q1, q3;
	unsigned int held, nsamp;
};

static void floor_point(const struct run_result *r, const struct config_result *cr,
			struct floor_point *p)
{
	double lo = INFINITY, nops = cr->st[COL_NOPS].median;

	p->held = p->nsamp = 0;
	for (unsigned int i = 0; i < cr->n; i++) {
		double v = cr->v[i * r->ncols + COL_SAMPLE_NS];

		if (!isnan(v) && v < lo)
			lo = v;
	}
	for (unsigned int i = 0; i < cr->n; i++) {
		double v = cr->v[i * r->ncols + COL_SAMPLE_NS];

		p->nsamp += !isnan(v);
		p->held += !isnan(v) && v - lo < 0.5;
	}
	p->x = cr->b->sweep_cost;
	p->f = lo / nops;
	p->q1 = sample_quantile(r, cr, COL_NS_PER_OP, 0.25);
	p->q3 = sample_quantile(r, cr, COL_NS_PER_OP, 0.75);
}

/* Over pairs adjacent in cost: the smallest cost step, floor difference and quartile gap. */
static void adjacent_steps(const struct floor_point *p, unsigned int n, double *step,
			   double *gap, double *sep)
{
	*step = *gap = *sep = INFINITY;
	for (unsigned int i = 0; i < n; i++)
		for (unsigned int j = 0; j < n; j++) {
			bool next = p[j].x > p[i].x;

			for (unsigned int k = 0; k < n && next; k++)
				next = !(p[k].x > p[i].x && p[k].x < p[j].x);
			if (!next)
				continue;
			*step = p[j].x - p[i].x < *step ? p[j].x - p[i].x : *step;
			*gap = p[j].f - p[i].f < *gap ? p[j].f - p[i].f : *gap;
			*sep = p[j].q1 - p[i].q3 < *sep ? p[j].q1 - p[i].q3 : *sep;
		}
}

/* The floors' fit against the cost: its slope and largest residual. false: no fit. */
static bool floor_fit(const struct floor_point *p, unsigned int n, double *fslope, double *fres)
{
	double x[SWEEP_MAX], f[SWEEP_MAX], icpt, r2;

	for (unsigned int i = 0; i < n; i++)
		x[i] = p[i].x, f[i] = p[i].f;
	if (n < 2 || stats_linfit(x, f, n, fslope, &icpt, &r2))
		return false;
	*fres = 0;
	for (unsigned int i = 0; i < n; i++) {
		double d = fabs(f[i] - (icpt + *fslope * x[i]));

		*fres = d > *fres ? d : *fres;
	}
	return true;
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
	struct floor_point p[SWEEP_MAX];
	double step, gap, sep;
	unsigned int n = 0;
	char line[2048] = "";
	const char *unit = NULL, *key = NULL, *tu = env_clock_unit();
	bool per_page = false;

	*fslope = *fres = NAN;
	*resolved = false;
	for (unsigned int j = 0; j < r->ncfg && n < SWEEP_MAX; j++) {
		const struct config_result *cr = &r->cfg[j];

		if (strcmp(cr->b->sweep, sw))
			continue;
		unit = sweep_cost_unit(cr->b);
		key = cr->b->cost_insn ? "n" : "ns";
		per_page = cr->b->cost_per_page;
		floor_point(r, cr, &p[n]);
		snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s%s=%.0f %.1f [%u/%u]",
			 n ? ", " : "", key, p[n].x, p[n].f, p[n].held, p[n].nsamp);
		n++;
	}
	if (!floor_fit(p, n, fslope, fres))
		return;
	adjacent_steps(p, n, &step, &gap, &sep);
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

/* One sweep's points: cost, median, fastest decile, callback time; charged and clamped calls. */
struct sweep_points {
	double x[SWEEP_MAX], y[SWEEP_MAX], y10[SWEEP_MAX], ycb[SWEEP_MAX];
	double charged;			/* charged calls (or pages) per op, mean over the points */
	double capmax;			/* the most calls per op clamped to the cap */
	unsigned int n, nclamped;
};

/* The configurations of sweep sw, from the first (k) on. */
static void sweep_points(const struct run_result *r, const struct layout_cols *lc, unsigned int k,
			 bool pages, struct sweep_points *sp)
{
	const char *sw = r->cfg[k].b->sweep;

	memset(sp, 0, sizeof(*sp));
	for (unsigned int j = k; j < r->ncfg && sp->n < SWEEP_MAX; j++) {
		const struct config_result *cr = &r->cfg[j];
		unsigned int n = sp->n;

		if (strcmp(cr->b->sweep, sw))
			continue;
		sp->x[n] = cr->b->sweep_cost;
		sp->y[n] = cr->st[COL_NS_PER_OP].median;
		sp->y10[n] = sample_quantile(r, cr, COL_NS_PER_OP, 0.1);
		sp->ycb[n] = callback_ns_per_op(cr, lc);
		sp->charged += cr->st[pages ? lc->nb_charged_pages : lc->nb_charged_calls].median /
			       cr->st[COL_NOPS].median;
		if (clamped(cr, lc)) {
			sp->nclamped++;
			if (cr->st[lc->nb_capped_per_op].max > sp->capmax)
				sp->capmax = cr->st[lc->nb_capped_per_op].max;
		}
		sp->n++;
	}
	sp->charged /= sp->n;
}

/* Configuration k starts its sweep (no earlier one has the same). */
static bool first_of_sweep(const struct run_result *r, unsigned int k)
{
	if (!r->cfg[k].b->sweep[0])
		return false;
	for (unsigned int j = 0; j < k; j++)
		if (!strcmp(r->cfg[j].b->sweep, r->cfg[k].b->sweep))
			return false;
	return true;
}

/*
 * A clamped call charged the cap, not N (or N per page): the fit would
 * measure the cap. Say so instead of giving a slope.
 */
static void sweep_clamped(const struct backend *b, const struct sweep_points *sp,
			  const char *what)
{
	const char *sw = b->sweep, *tu = env_clock_unit(), *cu = sweep_cost_unit(b);

	printf("sweep %s: clamped: %u of %u configurations had calls charged the "
	       "module's per-call cap (%s; up to %.3f per op) instead of their cost: "
	       "no slope is given, the %s/op of those configurations are lower "
	       "bounds (%s counted per op %.3f)\n", sw, sp->nclamped, sp->n,
	       cap_text(b), sp->capmax, tu, what, sp->charged);
	meta_add_repeat("sweep", "%s: clamped: %u of %u configurations, up to %.4f calls per op "
		 "charged the per-call cap (%s); no fit, cost_unit %s, time_unit %s",
		 sw, sp->nclamped, sp->n, sp->capmax, cap_text(b), cu, tu);
}

/* The three fits of a sweep: medians, fastest decile, module-timed callbacks; exact: floors. */
struct sweep_fit {
	double slope, icpt, r2, s10, s_cb;
	bool floors;			/* exact mode: the floors' fit below */
	double fslope, fres;
	bool resolved;
};

static bool sweep_fit(const struct sweep_points *sp, struct sweep_fit *f)
{
	double dummy;

	if (stats_linfit(sp->x, sp->y, sp->n, &f->slope, &f->icpt, &f->r2))
		return false;
	if (stats_linfit(sp->x, sp->y10, sp->n, &f->s10, &dummy, &dummy))
		f->s10 = NAN;
	if (stats_linfit(sp->x, sp->ycb, sp->n, &f->s_cb, &dummy, &dummy))
		f->s_cb = NAN;
	return true;
}

/* The fits on stdout, with the floors' in exact mode; fmeta gets the floors' metadata. */
static void sweep_print(const struct run_result *r, const struct backend *b,
			const struct sweep_points *sp, struct sweep_fit *f,
			const char *what, char *fmeta, size_t flen)
{
	const char *sw = b->sweep, *tu = env_clock_unit(), *cu = sweep_cost_unit(b);
	bool calls = !strcmp(cu, tu), pages = b->cost_per_page, resolved = false;
	double charged = sp->charged, fslope = NAN, fres = NAN;
	char ratio[96];

	/* Same units: the slope is calls; else it is time per instruction of the loop. */
	if (calls)
		snprintf(ratio, sizeof(ratio), "ratio");
	else
		snprintf(ratio, sizeof(ratio), "%s per charged %s%s", tu, cu,
			 pages ? " per 4 KiB" : "");
	printf("sweep %s: slope %.3f %s/op per %s of cost%s (r2 %.4f); counted %s "
	       "per op %.3f; %s %.3f; fastest decile: slope %.3f, %s %.3f; "
	       "module-timed callbacks: slope %.3f, %s %.3f\n", sw, f->slope, tu, cu,
	       pages ? " per 4 KiB" : "", f->r2, what, charged,
	       ratio, charged > 0 ? f->slope / charged : NAN, f->s10, ratio,
	       charged > 0 ? f->s10 / charged : NAN, f->s_cb, ratio,
	       charged > 0 ? f->s_cb / charged : NAN);
	if (!calls)
		printf("sweep %s: the cost counts instructions and the clock %s: the slope per "
		       "charged call is the %s one instruction of the model's loop took, not a "
		       "count of calls (in exact mode it is 1)\n", sw, tu, tu);
	fmeta[0] = 0;
	if (strcmp(tu, "insn"))
		return;
	sweep_floors(r, sw, charged, &fslope, &fres, &resolved);
	f->floors = true;
	f->fslope = fslope;
	f->fres = fres;
	f->resolved = resolved;
	snprintf(fmeta, flen, ", floor_slope %.4f, floor_slope/charged %.4f, "
		 "floor_residual %.2f, floors %s", fslope,
		 charged > 0 ? fslope / charged : NAN, fres,
		 charged <= 0 ? "uncharged" : resolved ? "resolved" : "unresolved");
}

/* The "sweep" metadata line of a fit. */
static void sweep_meta(const struct backend *b, const struct sweep_points *sp,
		       const struct sweep_fit *f, const char *what, const char *fmeta)
{
	const char *sw = b->sweep, *tu = env_clock_unit(), *cu = sweep_cost_unit(b);
	bool pages = b->cost_per_page;
	double charged = sp->charged;

	/* Field names after the first "slope" must not repeat it: scripts parse by word. */
	meta_add_repeat("sweep", "%s: slope %.4f, intercept %.1f %s, r2 %.5f, %s per op "
		 "%.4f, slope/charged %.4f, p10_slope %.4f, p10_slope/charged %.4f, "
		 "callback_ns_slope %.4f, callback_ns_slope/charged %.4f, cost_unit %s%s, "
		 "time_unit %s%s", sw, f->slope, f->icpt, tu, f->r2, what,
		 charged, charged > 0 ? f->slope / charged : NAN, f->s10,
		 charged > 0 ? f->s10 / charged : NAN, f->s_cb,
		 charged > 0 ? f->s_cb / charged : NAN, cu, pages ? "/4KiB" : "", tu, fmeta);
}

/* One number of sweep i as its own key (sweep.N.<name>); none when it has no value. */
static void sweep_key(unsigned int i, const char *name, double v)
{
	if (!isnan(v))
		meta_add_nth("sweep", i, name, "%.10g", v);
}

/* The sweep line's numbers again as named keys, for readers that should not parse it. */
static void sweep_keys(unsigned int i, const struct backend *b, const struct sweep_points *sp,
		       const struct sweep_fit *f)
{
	const char *cu = sweep_cost_unit(b);
	bool pages = b->cost_per_page;
	double charged = sp->charged;

	meta_add_nth("sweep", i, "group", "%s", b->sweep);
	sweep_key(i, "slope", f->slope);
	sweep_key(i, "intercept", f->icpt);
	sweep_key(i, "r2", f->r2);
	meta_add_nth("sweep", i, "charged", "%s", pages ? "4KiB_pages" : "calls");
	sweep_key(i, "charged_per_op", charged);
	sweep_key(i, "slope_per_charged", charged > 0 ? f->slope / charged : NAN);
	sweep_key(i, "p10_slope", f->s10);
	sweep_key(i, "p10_slope_per_charged", charged > 0 ? f->s10 / charged : NAN);
	sweep_key(i, "callback_ns_slope", f->s_cb);
	sweep_key(i, "callback_ns_slope_per_charged", charged > 0 ? f->s_cb / charged : NAN);
	meta_add_nth("sweep", i, "cost_unit", "%s%s", cu, pages ? "/4KiB" : "");
	meta_add_nth("sweep", i, "time_unit", "%s", env_clock_unit());
	if (!f->floors)
		return;
	sweep_key(i, "floor_slope", f->fslope);
	sweep_key(i, "floor_slope_per_charged", charged > 0 ? f->fslope / charged : NAN);
	sweep_key(i, "floor_residual", f->fres);
	meta_add_nth("sweep", i, "floors", "%s", charged <= 0 ? "uncharged" :
		     f->resolved ? "resolved" : "unresolved");
}

/* A clamped sweep's keys: no fit. */
static void sweep_clamped_keys(unsigned int i, const struct backend *b,
			       const struct sweep_points *sp)
{
	meta_add_nth("sweep", i, "group", "%s", b->sweep);
	meta_add_nth("sweep", i, "clamped", "%u of %u configurations", sp->nclamped, sp->n);
	meta_add_nth("sweep", i, "cost_unit", "%s%s", sweep_cost_unit(b),
		     b->cost_per_page ? "/4KiB" : "");
	meta_add_nth("sweep", i, "time_unit", "%s", env_clock_unit());
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
void sweep_check(const struct run_result *r, const struct layout_cols *lc)
{
	unsigned int nsw = 0;	/* sweeps described so far: sweep.N.* */

	for (unsigned int k = 0; k < r->ncfg; k++) {
		const struct backend *b = r->cfg[k].b;
		const char *what = b->cost_per_page ? "charged 4 KiB pages" : "charged calls";
		struct sweep_points sp;
		struct sweep_fit f = { .floors = false };
		char fmeta[192];

		if (!first_of_sweep(r, k))
			continue;
		sweep_points(r, lc, k, b->cost_per_page, &sp);
		if (sp.nclamped) {
			sweep_clamped(b, &sp, what);
			sweep_clamped_keys(nsw++, b, &sp);
		} else if (sweep_fit(&sp, &f)) {
			sweep_print(r, b, &sp, &f, what, fmeta, sizeof(fmeta));
			sweep_meta(b, &sp, &f, what, fmeta);
			sweep_keys(nsw++, b, &sp, &f);
		}
	}
}
