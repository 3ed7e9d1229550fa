// SPDX-License-Identifier: GPL-2.0
/* The comparison as aligned plain text, and as CSV written atomically. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compare.h"
#include "csv_field.h"

#define CELL 256

/* A plain-text table: cells kept until every width is known. */
struct ttable {
	size_t ncols, nrows;
	const char *const *head;
	const char *align;		/* per column: 'l' or 'r' */
	char (*cell)[CELL];
};

/* Adds a row of t->ncols cells (copied). */
static void tt_row(struct ttable *t, const char *const *cells)
{
	char (*c)[CELL] = realloc(t->cell, (t->nrows + 1) * t->ncols * sizeof(*c));

	if (!c)
		return;			/* out of memory: the row is left out */
	t->cell = c;
	for (size_t i = 0; i < t->ncols; i++)
		snprintf(c[t->nrows * t->ncols + i], CELL, "%s", cells[i]);
	t->nrows++;
}

static void tt_print(FILE *out, struct ttable *t)
{
	size_t w[16] = { 0 };

	for (size_t i = 0; i < t->ncols; i++)
		w[i] = strlen(t->head[i]);
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t i = 0; i < t->ncols; i++)
			if (strlen(t->cell[r * t->ncols + i]) > w[i])
				w[i] = strlen(t->cell[r * t->ncols + i]);
	for (size_t r = 0; r <= t->nrows; r++) {
		char line[16 * (CELL + 2)];
		size_t len = 0;

		for (size_t i = 0; i < t->ncols; i++) {
			const char *s = r ? t->cell[(r - 1) * t->ncols + i] : t->head[i];
			int width = (int)w[i];

			if (t->align[i] == 'r')
				len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%*s",
							i ? "  " : "", width, s);
			else
				len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%-*s",
							i ? "  " : "", width, s);
		}
		while (len && line[len - 1] == ' ')	/* empty last cells */
			line[--len] = '\0';
		fprintf(out, "%s\n", line);
	}
	free(t->cell);
	t->cell = NULL;
	t->nrows = 0;
}

/* Decimals that show v with about 5 significant digits (0 for v >= 1000). */
static int decimals_for(double v)
{
	int dec = 4 - ((int)floor(log10(fabs(v))) + 1);

	return v == 0 || isnan(v) || dec < 0 ? 0 : dec;
}

/* v with dec decimals; tiny values with an exponent. */
static void fmt_num(char *buf, size_t len, double v, int dec)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else if (dec > 9)
		snprintf(buf, len, "%.4g", v);
	else
		snprintf(buf, len, "%.*f", dec, v);
}

static void fmt_pct(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "%s", "");
	else if (isinf(v))
		snprintf(buf, len, "%s", v > 0 ? "+inf" : "-inf");
	else
		snprintf(buf, len, "%+.1f %%", v);
}

static void fmt_p(char *buf, size_t len, double p)
{
	if (isnan(p))
		snprintf(buf, len, "%s", "");
	else if (p >= 0.001)
		snprintf(buf, len, "%.4f", p);
	else
		snprintf(buf, len, "%.1e", p);
}

static const char *row_note(const struct cmp_row *row)
{
	switch (row->status) {
	case CMP_BASELINE:
		return row->clamped ? "CLAMPED (calls charged the per-call cap: a lower bound)" : "";
	case CMP_CLAMPED:
		return row->clamped ? "CLAMPED (calls charged the per-call cap: a lower bound), "
				      "not compared" : "not compared: run 1's is CLAMPED";
	case CMP_NO_DATA:
		return "no data";
	case CMP_TOO_SMALL:
		return "n too small (ties, n < 8)";
	case CMP_EXACT:
		if (row->regression)
			return "REGRESSION";
		if (row->significant)
			return row->change_pct < 0 ? "lower" : "higher";
		if (row->diff == 0)
			return "";
		return row->beyond_spread ? "within tolerance" : "within spread";
	case CMP_TESTED:
		break;
	}
	if (row->regression)
		return "REGRESSION";
	if (!row->significant)
		return "";
	return row->change_pct < 0 ? "improvement" : "slower, within threshold";
}

static void print_runs(FILE *out, const struct run *runs, size_t nruns)
{
	for (size_t r = 0; r < nruns; r++)
		fprintf(out, "  [%zu] %s%s%s%s (%zu item%s)\n", r + 1, runs[r].label ? runs[r].label : "",
			runs[r].label ? ": " : "", runs[r].path,
			runs[r].is_dir && runs[r].path[strlen(runs[r].path) - 1] != '/' ? "/" : "",
			runs[r].nitems, runs[r].nitems == 1 ? "" : "s");
}

/* Whether a run of the table's rows has a kernel_label. */
static bool labelled(const struct run *runs, const struct cmp_table *t)
{
	for (size_t i = 0; i < t->nrows; i++)
		if (runs[t->rows[i].run].label)
			return true;
	return false;
}

/* The run column: "2", or "2 <kernel_label>" when the run has one. */
static void run_name(char *buf, size_t len, const struct run *runs, size_t r)
{
	if (runs[r].label)
		snprintf(buf, len, "%zu %s", r + 1, runs[r].label);
	else
		snprintf(buf, len, "%zu", r + 1);
}

static void print_env(FILE *out, size_t nruns, const struct env_diff *d, size_t nd)
{
	if (!nd) {
		fprintf(out, "\nEnvironment: no differences (kernel, cmdline, machine, THP, hugetlb "
			"pools, knobs,\nnotibench revision; per item: repeats, configurations, "
			"samples, batch, self-check, layout).\n");
		return;
	}
	fprintf(out, "\nEnvironment differences:\n");
	for (size_t i = 0; i < nd; i++) {
		if (!d[i].items)
			fprintf(out, "  %s\n", d[i].key);
		else if (d[i].all_items)
			fprintf(out, "  %s, in all %zu items\n", d[i].key, d[i].nitems);
		else if (d[i].nitems == 1)
			fprintf(out, "  %s: %s\n", d[i].items, d[i].key);
		else
			fprintf(out, "  %s, in %zu items: %s\n", d[i].key, d[i].nitems, d[i].items);
		for (size_t r = 0; r < nruns; r++)
			fprintf(out, "    [%zu] %s\n", r + 1, d[i].val[r]);
	}
}

/*
 * Median over a run's items (and repeats) of the numbers in metadata key
 * (host_ref_*: "before after ..."; cpu_steal: "P % ..."); NAN without any.
 */
static double run_meta_median(const struct run *r, const char *key, bool both)
{
	size_t n = 0, cap = 0;
	double *v = NULL, med = NAN;

	for (size_t i = 0; i < r->nitems; i++)
		for (size_t k = 0; k < r->items[i].nrep; k++) {
			const char *m = csv_meta_get(&r->items[i].rep[k], key);
			double a, b;
			int got = m ? sscanf(m, "%lf %lf", &a, &b) : 0;

			if (got < 1)
				continue;
			if (n + 2 > cap) {
				double *t = realloc(v, (cap = 2 * cap + 8) * sizeof(*v));

				if (!t)
					goto out;
				v = t;
			}
			v[n++] = a;
			if (both && got == 2)
				v[n++] = b;
		}
	if (n) {
		stats_sort(v, n);
		med = stats_quantile_sorted(v, n, 0.5);
	}
out:
	free(v);
	return med;
}

/* The CPU's speed before and after each item: tells a host shift from a kernel change. */
static void print_host_reference(FILE *out, const struct run *runs, size_t nruns, bool exact)
{
	const char *u = exact ? "insn" : "ns";

	double sys[nruns], loop[nruns], steal[nruns];
	bool any = false;

	for (size_t r = 0; r < nruns; r++) {
		sys[r] = run_meta_median(&runs[r], "host_ref_syscall_ns", true);
		loop[r] = run_meta_median(&runs[r], "host_ref_loop_ns", true);
		steal[r] = run_meta_median(&runs[r], "cpu_steal", false);
		any |= !isnan(sys[r]);
	}
	if (!any)
		return;
	fprintf(out, "\nHost reference (medians over each run's items, before and after the "
		"samples):\n");
	for (size_t r = 0; r < nruns; r++) {
		fprintf(out, "  [%zu] ", r + 1);
		if (isnan(sys[r])) {
			fprintf(out, "not recorded\n");
			continue;
		}
		fprintf(out, "getppid %.1f %s", sys[r], u);
		if (r && !isnan(sys[0]))
			fprintf(out, " (%+.1f %%)", 100 * (sys[r] / sys[0] - 1));
		fprintf(out, ", loop step %.3f %s", loop[r], u);
		if (r && !isnan(loop[0]))
			fprintf(out, " (%+.1f %%)", 100 * (loop[r] / loop[0] - 1));
		if (!isnan(steal[r]))
			fprintf(out, ", steal %.1f %%", steal[r]);
		fprintf(out, "\n");
	}
	if (exact)
		fprintf(out, "In exact runs these count guest instructions: the syscall's moves with the "
			"kernel's\nsyscall path, not with the host.\n");
	else
		fprintf(out, "On a shared host whole runs shift speed, the syscall path more than user code:\n"
			"a change of a figure about the size of the syscall reference's is the host's.\n");
}

static void print_method(FILE *out, size_t nruns, const struct cmp_opts *o,
			 const struct cmp_table *t)
{
	size_t ngroups = t->nrows / nruns, nrepeated = ngroups - t->nsingle;

	if (o->exact) {
		fprintf(out,
			"\nExact runs (clock_unit insn: QEMU icount, the guest clock counts executed\n"
			"instructions; every time is in guest instructions, not ns). Differences are\n"
			"deterministic, so no test of noise: each run's median with its within-run spread\n"
			"(distribution-free 95 %% CI of the median, below 6 values [min, max]; CV), and the\n"
			"difference against run [1] in instructions and %%. * = the difference exceeds both\n"
			"runs' spread (the width of each CI: the two cannot overlap) and the cross-boot\n"
			"tolerance of %g %% (--tolerance; the medians of most items repeat within 0.1 %%\n"
			"across boots). Regression: * and more than %g %% above run [1]'s median.\n",
			o->tolerance_pct, o->threshold_pct);
		if (ngroups > t->nsingle)
			fprintf(out, "Values of items with 2+ repeats in every run: the repeats' medians.\n");
		return;
	}

	fprintf(out,
		"\nTest: two-sided Mann-Whitney U of each run's values against run [1]'s (exact\n"
		"distribution when both n < %d and no ties, else normal approximation with tie and\n"
		"continuity correction, not used below n = %d: \"n too small\"); p adjusted by\n"
		"Holm-Bonferroni over the %zu test%s of this table; * = adjusted p < %g.\n"
		"Median and its distribution-free 95 %% CI (binomial order statistics; below 6\n"
		"values [min, max]). Regression: * and a median more than %g %% above run [1]'s.\n",
		MWU_EXACT_MAX_N, CMP_MIN_N_APPROX, t->ntests, t->ntests == 1 ? "" : "s", o->alpha,
		o->threshold_pct);
	if (t->nsingle)
		fprintf(out,
			"Values%s: the sample rows. Samples of one run share its page placement,\n"
			"calibration and the other CPUs' load: the test sees the spread within runs,\n"
			"not between them, and two runs of one kernel on a noisy host can differ\n"
			"significantly. Repeat the runs (bench/all --repeat N) to test the variation\n"
			"between runs.\n",
			nrepeated ? " of items without 2+ repeats in every run" : "");
	if (nrepeated)
		fprintf(out,
			"Values%s: the repeats' medians (<item-id>.rN.csv, bench/all --repeat N),\n"
			"so n is the number of repeats.\n",
			t->nsingle ? " of items with 2+ repeats in every run" : "");
}

/* Tests whose n cannot give a p small enough (exact test: p >= 2 / C(nx + ny, nx)). */
static void print_power(FILE *out, const struct cmp_opts *o, const struct cmp_table *t)
{
	const struct cmp_row *w = t->weakest;
	size_t nx, ny;

	if (!t->nunderpowered)
		return;
	nx = w->st.n;
	ny = (w - w->run)->st.n;	/* run 1's row of the same item x configuration */
	if (w->min_p >= o->alpha)
		fprintf(out,
			"\nNote: %zu of the %zu tests have too few values to be significant at all\n"
			"(n = %zu vs %zu: smallest possible p = 2 / C(%zu, %zu) = %.2g >= %g). More\n"
			"repeats or samples are needed.\n",
			t->nunderpowered, t->ntests, nx, ny, nx + ny, nx, w->min_p, o->alpha);
	else
		fprintf(out,
			"\nNote: %zu of the %zu tests have too few values to pass Holm's strictest step\n"
			"(n = %zu vs %zu: smallest possible p %.2g, x %zu tests = %.2g >= %g): they can\n"
			"only be significant after others are. More repeats or samples would help.\n",
			t->nunderpowered, t->ntests, nx, ny, w->min_p, t->ntests,
			w->min_p * (double)t->ntests, o->alpha);
}

/* Exact runs: each side's median and spread, the difference in instructions and %. */
static void print_rows_exact(FILE *out, const struct run *runs, const struct cmp_opts *o,
			     const struct cmp_table *t)
{
	char unit[64], hmed[96], hdiff[96];
	const char *head[] = { "item", "config", "run", "reps", "n", hmed, "95% CI of median",
			       "CV", hdiff, "change", "", "note" };
	static const char align[] = "llrrrrlrrrll";
	const char *h[12], *cells[12];
	char al[13];
	struct ttable tt = { .head = h, .align = al };
	bool reps = false;

	cmp_metric_unit(o->metric, true, unit, sizeof(unit));
	snprintf(hmed, sizeof(hmed), "median%s%s", *unit ? " " : "", unit);
	snprintf(hdiff, sizeof(hdiff), "difference%s%s", *unit ? " " : "", unit);
	for (size_t i = 0; i < t->nrows; i++)
		reps |= t->rows[i].nrep > 1;
	for (size_t i = 0; i < 12; i++)
		if (i != 3 || reps) {
			h[tt.ncols] = head[i];
			al[tt.ncols++] = align[i];
		}
	al[tt.ncols] = '\0';
	if (labelled(runs, t))
		al[2] = 'l';		/* run names read better aligned left */
	fprintf(out, "\n%s%s%s%s per item and configuration (exact):\n", o->metric,
		*unit ? " (" : "", unit, *unit ? ": guest instructions)" : "");
	for (size_t i = 0; i < t->nrows; i++) {
		const struct cmp_row *row = &t->rows[i];
		char run[160], nrep[24], n[24], med[48], lo[48], hi[48], ci[112], cv[32], diff[48],
			chg[32];
		/* At least one decimal: a median of an even n is a half instruction. */
		int dec = decimals_for(row->st.median) ?: 1;
		size_t k = 0;

		run_name(run, sizeof(run), runs, row->run);
		snprintf(nrep, sizeof(nrep), "%zu", row->nrep);
		snprintf(n, sizeof(n), "%zu", row->st.n);
		fmt_num(med, sizeof(med), row->st.n ? row->st.median : NAN, dec);
		fmt_num(lo, sizeof(lo), row->st.ci_lo, dec);
		fmt_num(hi, sizeof(hi), row->st.ci_hi, dec);
		snprintf(ci, sizeof(ci), "[%s, %s]", lo, hi);
		if (row->st.n)
			snprintf(cv, sizeof(cv), "%.3f %%", row->st.cv * 100);
		else
			cv[0] = '\0';
		if (isnan(row->diff))
			diff[0] = chg[0] = '\0';
		else {
			snprintf(diff, sizeof(diff), "%+.*f", dec, row->diff);
			if (isinf(row->change_pct))
				snprintf(chg, sizeof(chg), "%s", row->change_pct > 0 ? "+inf" : "-inf");
			else
				snprintf(chg, sizeof(chg), "%+.3f %%", row->change_pct);
		}
		cells[k++] = row->item;
		cells[k++] = row->config;
		cells[k++] = run;
		if (reps)
			cells[k++] = nrep;
		cells[k++] = n;
		cells[k++] = med;
		cells[k++] = row->st.n ? ci : "";
		cells[k++] = cv;
		cells[k++] = diff;
		cells[k++] = chg;
		cells[k++] = row->significant ? "*" : "";
		cells[k++] = row_note(row);
		tt_row(&tt, cells);
	}
	if (t->nrows)
		tt_print(out, &tt);
	else
		fprintf(out, "  (nothing present in every run)\n");
}

static void print_rows(FILE *out, const struct run *runs, const struct cmp_opts *o,
		       const struct cmp_table *t)
{
	static const char *const head[] = { "item", "config", "run", "reps", "n", "median",
					    "95% CI of median", "change", "p", "p(Holm)", "",
					    "note" };
	static const char align[] = "llrrrrlrrrll";
	const char *h[12], *cells[12];
	char al[13];
	struct ttable tt = { .head = h, .align = al };
	bool reps = false;

	/* The reps column only when some run has repeats. */
	for (size_t i = 0; i < t->nrows; i++)
		reps |= t->rows[i].nrep > 1;
	for (size_t i = 0; i < 12; i++)
		if (i != 3 || reps) {
			h[tt.ncols] = head[i];
			al[tt.ncols++] = align[i];
		}
	al[tt.ncols] = '\0';
	if (labelled(runs, t))
		al[2] = 'l';		/* run names read better aligned left */
	fprintf(out, "\n%s per item and configuration:\n", o->metric);
	for (size_t i = 0; i < t->nrows; i++) {
		const struct cmp_row *row = &t->rows[i];
		char run[160], nrep[24], n[24], med[48], lo[48], hi[48], ci[112], chg[32], p[32],
			ph[32];
		int dec = decimals_for(row->st.median);	/* the CI alike */
		size_t k = 0;

		run_name(run, sizeof(run), runs, row->run);
		snprintf(nrep, sizeof(nrep), "%zu", row->nrep);
		snprintf(n, sizeof(n), "%zu", row->st.n);
		fmt_num(med, sizeof(med), row->st.n ? row->st.median : NAN, dec);
		fmt_num(lo, sizeof(lo), row->st.ci_lo, dec);
		fmt_num(hi, sizeof(hi), row->st.ci_hi, dec);
		snprintf(ci, sizeof(ci), "[%s, %s]", lo, hi);
		fmt_pct(chg, sizeof(chg), row->change_pct);
		fmt_p(p, sizeof(p), row->test.p);
		fmt_p(ph, sizeof(ph), row->p_holm);
		cells[k++] = row->item;
		cells[k++] = row->config;
		cells[k++] = run;
		if (reps)
			cells[k++] = nrep;
		cells[k++] = n;
		cells[k++] = med;
		cells[k++] = row->st.n ? ci : "";
		cells[k++] = chg;
		cells[k++] = p;
		cells[k++] = ph;
		cells[k++] = row->significant ? "*" : "";
		cells[k++] = row_note(row);
		tt_row(&tt, cells);
	}
	if (t->nrows)
		tt_print(out, &tt);
	else
		fprintf(out, "  (nothing present in every run)\n");
}

static void present_list(char *buf, size_t len, const bool *present, size_t nruns)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t r = 0; r < nruns; r++)
		if (present[r])
			used += (size_t)snprintf(buf + used, len - used, "%s%zu", used ? " " : "",
						 r + 1);
}

static void print_missing(FILE *out, size_t nruns, const struct cmp_table *t)
{
	static const char *const head[] = { "item", "config", "only in runs" };
	struct ttable tt = { .ncols = 3, .head = head, .align = "lll" };

	if (!t->nmissing)
		return;
	fprintf(out, "\nNot compared (not in every run):\n");
	for (size_t i = 0; i < t->nmissing; i++) {
		char in[256];

		present_list(in, sizeof(in), t->missing[i].present, nruns);
		tt_row(&tt, (const char *const[]){ t->missing[i].item,
			    t->missing[i].config ? t->missing[i].config : "(whole item)", in });
	}
	tt_print(out, &tt);
}

/* "2", or "2 (repeat 3 of 8)"; with the run's kernel_label after the number. */
static void failed_run(char *buf, size_t len, const struct run *runs, const struct cmp_failed *f)
{
	char name[160];

	run_name(name, sizeof(name), runs, f->run);
	if (f->nrep > 1)
		snprintf(buf, len, "%s (repeat %zu of %zu)", name, f->rep + 1, f->nrep);
	else
		snprintf(buf, len, "%s", name);
}

static void print_failed(FILE *out, const struct run *runs, const struct cmp_table *t)
{
	static const char *const head[] = { "item", "run", "why" };
	struct ttable tt = { .ncols = 3, .head = head, .align = "lll" };

	if (!t->nfailed)
		return;
	fprintf(out, "\nNot compared (failed in a run: a self-check that failed means the kernel did "
		"not do what\nthe benchmark predicts, so its numbers are no measure of the same work; "
		"left out of the\ntests, Holm's correction and the geometric means):\n");
	for (size_t i = 0; i < t->nfailed; i++) {
		char run[224];

		failed_run(run, sizeof(run), runs, &t->failed[i]);
		tt_row(&tt, (const char *const[]){ t->failed[i].item, run, t->failed[i].why });
	}
	tt_print(out, &tt);
}

static void print_geomeans(FILE *out, const struct cmp_table *t)
{
	static const char *const head[] = { "benchmark", "run", "geomean ratio", "change",
					    "pairs", "note" };
	struct ttable tt = { .ncols = 6, .head = head, .align = "lrrrrl" };

	if (!t->ngeo)
		return;
	fprintf(out, "\nGeometric mean over items and configurations of median / run [1]'s "
		"median, per benchmark:\n");
	for (size_t i = 0; i < t->ngeo; i++) {
		const struct cmp_geomean *g = &t->geo[i];
		char run[16], ratio[32], chg[32], pairs[24], note[64] = "";

		snprintf(run, sizeof(run), "%zu", g->run + 1);
		if (isnan(g->ratio))
			snprintf(ratio, sizeof(ratio), "-");
		else
			snprintf(ratio, sizeof(ratio), "%.4f", g->ratio);
		fmt_pct(chg, sizeof(chg), (g->ratio - 1) * 100);
		snprintf(pairs, sizeof(pairs), "%zu", g->npairs);
		if (g->nleft_out)
			snprintf(note, sizeof(note), "%zu left out (no data or median <= 0)",
				 g->nleft_out);
		tt_row(&tt, (const char *const[]){ g->benchmark, run, ratio, chg, pairs, note });
	}
	tt_print(out, &tt);
}

void cmp_print_text(FILE *out, const struct run *runs, size_t nruns, const struct cmp_opts *o,
		    const struct env_diff *d, size_t nd, const struct cmp_table *t)
{
	char unit[64];

	cmp_metric_unit(o->metric, o->exact, unit, sizeof(unit));
	if (o->exact)
		fprintf(out, "notibench compare: %zu exact runs, metric %s%s%s%s (lower is better)\n",
			nruns, o->metric, *unit ? " in " : "", unit, *unit ? ", guest instructions" : "");
	else
		fprintf(out, "notibench compare: %zu runs, metric %s (lower is better)\n", nruns,
			o->metric);
	print_runs(out, runs, nruns);
	print_env(out, nruns, d, nd);
	print_host_reference(out, runs, nruns, o->exact);
	print_method(out, nruns, o, t);
	if (o->exact)
		print_rows_exact(out, runs, o, t);
	else
		print_rows(out, runs, o, t);
	print_missing(out, nruns, t);
	print_failed(out, runs, t);
	print_geomeans(out, t);
	print_power(out, o, t);
	if (o->exact)
		fprintf(out, "\n%zu compared (exact), %zu flagged (%zu higher, %zu lower)%s%s.\n",
			t->nexact, t->nsignificant, t->nsignificant - t->nimprovements,
			t->nimprovements, t->nmissing ? ", some not in every run" : "",
			t->nfailed ? ", some not compared: failed in a run" : "");
	if (t->nclamped)
		fprintf(out, "%zu not compared: CLAMPED (some calls charged the module's per-call cap, "
			"in that run or run 1: the figure is a lower bound, not an answer).\n",
			t->nclamped);
	else
		fprintf(out, "\n%zu test%s, %zu significant (%zu slower, %zu faster)%s%s%s.\n",
			t->ntests, t->ntests == 1 ? "" : "s", t->nsignificant,
			t->nsignificant - t->nimprovements, t->nimprovements,
			t->ntoo_small ? ", some not tested: n too small" : "",
			t->nmissing ? ", some not in every run" : "",
			t->nfailed ? ", some not compared: failed in a run" : "");
	if (t->nregressions)
		fprintf(out, "Result: %zu %s regression%s beyond +%g %%%s (exit status 1).\n",
			t->nregressions, o->exact ? "flagged" : "significant",
			t->nregressions == 1 ? "" : "s", o->threshold_pct,
			t->nfailed ? "; and items that failed in a run were not compared" : "");
	else if (t->nfailed)
		fprintf(out, "Result: no %s regression beyond +%g %% among the items compared, "
			"but %zu failed in a run and %s not compared (exit status 3).\n",
			o->exact ? "flagged" : "significant", o->threshold_pct, t->nfailed,
			t->nfailed == 1 ? "was" : "were");
	else
		fprintf(out, "Result: no %s regression beyond +%g %% (exit status 0).\n",
			o->exact ? "flagged" : "significant", o->threshold_pct);
}

/* A number for the CSV: empty when NaN, inf as "inf". */
static const char *csv_num(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "%s", "");
	else if (isinf(v))
		snprintf(buf, len, "%s", v > 0 ? "inf" : "-inf");
	else
		snprintf(buf, len, "%.10g", v);
	return buf;
}

/* --tsv: the same table tab-separated, for awk to read as data, never as code. */
static bool csv_tsv;

static void csv_meta_line(FILE *f, const char *key, const char *val)
{
	fprintf(f, "# %s: ", key);
	if (csv_tsv)
		tsv_put_field(f, val);
	else
		for (; *val; val++)
			fputc(*val == '\n' ? ' ' : *val, f);
	fputc('\n', f);
}

enum csv_col {
	C_KIND, C_BENCHMARK, C_ITEM, C_CONFIG, C_RUN, C_REPS, C_UNIT, C_N, C_MEDIAN, C_CI_LO,
	C_CI_HI, C_CHANGE, C_RATIO, C_U, C_P, C_P_HOLM, C_TEST, C_SIGNIFICANT, C_REGRESSION,
	C_NOTE, C_NR,
	C_DIFF = C_NR, C_CV, C_NR_EXACT	/* exact runs only: two more columns */
};

static const char *const csv_head[C_NR_EXACT] = {
	"kind", "benchmark", "item", "config", "run", "reps", "unit", "n", "median", "ci95_lo",
	"ci95_hi", "change_pct", "ratio", "u", "p", "p_holm", "test", "significant",
	"regression", "note", "diff", "cv",
};

/* Columns of this CSV: two more for exact runs. */
static size_t csv_ncols;

static void csv_row(FILE *f, const char *const *cell)
{
	for (size_t i = 0; i < csv_ncols; i++) {
		if (i)
			fputc(csv_tsv ? '\t' : ',', f);
		if (csv_tsv)
			tsv_put_field(f, cell[i] ? cell[i] : "");
		else
			csv_put_field(f, cell[i] ? cell[i] : "");
	}
	fputc('\n', f);
}

static void write_csv(FILE *f, const struct run *runs, size_t nruns, const struct cmp_opts *o,
		      const struct env_diff *d, size_t nd, const struct cmp_table *t)
{
	char key[512], num[C_NR_EXACT][48], unit[64];

	csv_ncols = o->exact ? C_NR_EXACT : C_NR;
	fprintf(f, "# notibench_compare_csv: 1\n");
	csv_meta_line(f, "metric", o->metric);
	csv_meta_line(f, "clock_unit", o->exact ? "insn" : "ns");
	csv_meta_line(f, "metric_unit", cmp_metric_unit(o->metric, o->exact, unit, sizeof(unit)));
	if (o->exact) {
		csv_meta_line(f, "test", "none: exact runs (clock_unit insn, guest instructions), "
			      "differences are deterministic; significant = 1 (flagged) when |diff| "
			      "exceeds both runs' 95 % CI widths and tolerance_pct; diff = median - "
			      "run 1's median, cv = the run's coefficient of variation");
		snprintf(num[0], sizeof(num[0]), "%g", o->tolerance_pct);
		csv_meta_line(f, "tolerance_pct", num[0]);
	} else
		csv_meta_line(f, "test", "two-sided Mann-Whitney U against run 1 (exact for n < 50 "
			      "without ties, else normal approximation with tie and continuity "
			      "correction); p_holm: Holm-Bonferroni over all tests of the table");
	snprintf(num[0], sizeof(num[0]), "%zu", t->ntests);
	csv_meta_line(f, "tests", num[0]);
	snprintf(num[0], sizeof(num[0]), "%g", o->alpha);
	csv_meta_line(f, "alpha", num[0]);
	snprintf(num[0], sizeof(num[0]), "%g", o->threshold_pct);
	csv_meta_line(f, "threshold_pct", num[0]);
	for (size_t r = 0; r < nruns; r++) {
		snprintf(key, sizeof(key), "run.%zu", r + 1);
		csv_meta_line(f, key, runs[r].path);
		if (runs[r].label) {
			snprintf(key, sizeof(key), "run.%zu.label", r + 1);
			csv_meta_line(f, key, runs[r].label);
		}
	}
	for (size_t i = 0; i < nd; i++)
		for (size_t r = 0; r < nruns; r++) {
			/* env.N.key, or env.N.key[items] for per item keys */
			snprintf(key, sizeof(key), "env.%zu.%s%s%.400s%s", r + 1, d[i].key,
				 d[i].items ? "[" : "", d[i].all_items ? "all items" :
				 d[i].items ? d[i].items : "", d[i].items ? "]" : "");
			csv_meta_line(f, key, d[i].val[r]);
		}
	csv_row(f, csv_head);
	for (size_t i = 0; i < t->nrows; i++) {
		const struct cmp_row *row = &t->rows[i];
		bool tested = row->status == CMP_TESTED, has = row->st.n > 0;
		const char *cell[C_NR_EXACT] = { 0 };

		cell[C_KIND] = "result";
		cell[C_BENCHMARK] = row->benchmark;
		cell[C_ITEM] = row->item;
		cell[C_CONFIG] = row->config;
		snprintf(num[C_RUN], 48, "%zu", row->run + 1);
		cell[C_RUN] = num[C_RUN];
		snprintf(num[C_REPS], 48, "%zu", row->nrep);
		cell[C_REPS] = num[C_REPS];
		cell[C_UNIT] = row->by_repeat ? "repeat medians" : "samples";
		snprintf(num[C_N], 48, "%zu", row->st.n);
		cell[C_N] = num[C_N];
		cell[C_MEDIAN] = csv_num(num[C_MEDIAN], 48, has ? row->st.median : NAN);
		cell[C_CI_LO] = csv_num(num[C_CI_LO], 48, has ? row->st.ci_lo : NAN);
		cell[C_CI_HI] = csv_num(num[C_CI_HI], 48, has ? row->st.ci_hi : NAN);
		cell[C_CHANGE] = csv_num(num[C_CHANGE], 48, row->change_pct);
		cell[C_RATIO] = csv_num(num[C_RATIO], 48, row->ratio);
		cell[C_U] = csv_num(num[C_U], 48, tested || row->status == CMP_TOO_SMALL ?
				    row->test.u : NAN);
		cell[C_P] = csv_num(num[C_P], 48, tested ? row->test.p : NAN);
		cell[C_P_HOLM] = csv_num(num[C_P_HOLM], 48, tested ? row->p_holm : NAN);
		if (tested) {
			cell[C_TEST] = row->test.method == MWU_EXACT ? "exact" : "normal";
			cell[C_SIGNIFICANT] = row->significant ? "1" : "0";
			cell[C_REGRESSION] = row->regression ? "1" : "0";
		}
		if (row->status == CMP_EXACT) {
			cell[C_TEST] = "deterministic";
			cell[C_SIGNIFICANT] = row->significant ? "1" : "0";
			cell[C_REGRESSION] = row->regression ? "1" : "0";
		}
		cell[C_DIFF] = csv_num(num[C_DIFF], 48, row->diff);
		cell[C_CV] = csv_num(num[C_CV], 48, has ? row->st.cv : NAN);
		cell[C_NOTE] = row_note(row);
		csv_row(f, cell);
	}
	for (size_t i = 0; i < t->nmissing; i++) {
		const char *cell[C_NR_EXACT] = { 0 };
		char in[256], note[300];

		present_list(in, sizeof(in), t->missing[i].present, nruns);
		snprintf(note, sizeof(note), "only in runs %s", in);
		cell[C_KIND] = "missing";
		cell[C_ITEM] = t->missing[i].item;
		cell[C_CONFIG] = t->missing[i].config;
		cell[C_NOTE] = note;
		csv_row(f, cell);
	}
	for (size_t i = 0; i < t->nfailed; i++) {
		const struct cmp_failed *fl = &t->failed[i];
		const char *cell[C_NR_EXACT] = { 0 };
		char *note = NULL;

		cell[C_KIND] = "failed";
		cell[C_ITEM] = fl->item;
		snprintf(num[C_RUN], 48, "%zu", fl->run + 1);
		cell[C_RUN] = num[C_RUN];
		if (fl->nrep > 1 && asprintf(&note, "repeat %zu of %zu: %s", fl->rep + 1, fl->nrep,
					     fl->why) < 0)
			note = NULL;
		cell[C_NOTE] = note ? note : fl->why;
		csv_row(f, cell);
		free(note);
	}
	for (size_t i = 0; i < t->ngeo; i++) {
		const struct cmp_geomean *g = &t->geo[i];
		const char *cell[C_NR_EXACT] = { 0 };
		char note[64] = "";

		cell[C_KIND] = "geomean";
		cell[C_BENCHMARK] = g->benchmark;
		snprintf(num[C_RUN], 48, "%zu", g->run + 1);
		cell[C_RUN] = num[C_RUN];
		snprintf(num[C_N], 48, "%zu", g->npairs);
		cell[C_N] = num[C_N];
		cell[C_CHANGE] = csv_num(num[C_CHANGE], 48, (g->ratio - 1) * 100);
		cell[C_RATIO] = csv_num(num[C_RATIO], 48, g->ratio);
		if (g->nleft_out)
			snprintf(note, sizeof(note), "%zu left out", g->nleft_out);
		cell[C_NOTE] = note;
		csv_row(f, cell);
	}
}

int cmp_write_csv(const char *path, bool tsv, const struct run *runs, size_t nruns,
		  const struct cmp_opts *o, const struct env_diff *d, size_t nd,
		  const struct cmp_table *t, char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/'), *opt = tsv ? "--tsv" : "--csv";
	char tmp[4096];
	mode_t mask;
	FILE *f;
	int fd, ret = 0;

	if (!*path || (slash && !slash[1])) {
		snprintf(err, errlen, "%s '%s': not a file name", opt, path);
		return -1;
	}
	if (snprintf(tmp, sizeof(tmp), "%.*s.%s.XXXXXX", slash ? (int)(slash - path + 1) : 0,
		     path, slash ? slash + 1 : path) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", opt);
		return -1;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		snprintf(err, errlen, "%s %s: %s", opt, path, strerror(errno));
		return -1;
	}
	mask = umask(0);
	umask(mask);
	f = fdopen(fd, "w");
	if (!f || fchmod(fd, 0666 & ~mask)) {
		ret = -errno;
		if (!f)
			close(fd);
		else
			fclose(f);
		goto fail;
	}
	csv_tsv = tsv;
	write_csv(f, runs, nruns, o, d, nd, t);
	if (fflush(f) || fsync(fd))
		ret = -errno;
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (!ret)
		return 0;
fail:
	unlink(tmp);
	snprintf(err, errlen, "%s %s: %s", opt, path, strerror(-ret));
	return -1;
}
