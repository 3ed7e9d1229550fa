// SPDX-License-Identifier: GPL-2.0
/*
 * The comparison table: per item x configuration present in every run, each
 * run's median and CI of the median (stats_compute), and for runs after the
 * first the change of the median, a two-sided Mann-Whitney U test against
 * run 1, Holm's adjustment over every test of the table, and per benchmark
 * the geometric mean of the ratios of medians. The values are the samples,
 * or the repeats' medians when every run has 2+ repeats (struct cmp_row).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"

#define NO_BENCHMARK "(no benchmark key)"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every item id of every run, sorted, once each. NULL on ENOMEM. */
static const char **all_item_ids(const struct run *runs, size_t nruns, size_t *n)
{
	size_t total = 0, k = 0;
	const char **ids;

	for (size_t r = 0; r < nruns; r++)
		total += runs[r].nitems;
	ids = malloc((total ? total : 1) * sizeof(*ids));
	if (!ids)
		return NULL;
	for (size_t r = 0; r < nruns; r++)
		for (size_t i = 0; i < runs[r].nitems; i++)
			ids[k++] = runs[r].items[i].id;
	qsort(ids, k, sizeof(*ids), cmp_str);
	*n = 0;
	for (size_t i = 0; i < k; i++)
		if (!*n || strcmp(ids[*n - 1], ids[i]))
			ids[(*n)++] = ids[i];
	return ids;
}

static int add_missing(struct cmp_table *t, size_t nruns, const char *item, const char *config,
		       const bool *present)
{
	struct cmp_missing *m = realloc(t->missing, (t->nmissing + 1) * sizeof(*m));

	if (!m)
		return -1;
	t->missing = m;
	m = &m[t->nmissing];
	m->item = item;
	m->config = config;
	m->present = malloc(nruns * sizeof(bool));
	if (!m->present)
		return -1;
	memcpy(m->present, present, nruns * sizeof(bool));
	t->nmissing++;
	return 0;
}

/* (median - base) / |base| in %; +-inf from a base of 0 (0 when both are 0). */
static double change_pct(double median, double base)
{
	if (base == 0)
		return median == 0 ? 0 : median > 0 ? INFINITY : -INFINITY;
	return (median - base) / fabs(base) * 100;
}

/* The values of one run's item x configuration: its samples, or its repeats' medians. */
struct values {
	double *samples, *medians;
	size_t nsamples, nmedians;
};

static int values_get(const struct run_item *it, const char *label, struct values *v)
{
	size_t total = 0;

	memset(v, 0, sizeof(*v));
	for (size_t k = 0; k < it->nrep; k++) {
		const struct csv_config *c = item_config(it, k, label);

		total += c ? c->n : 0;
	}
	v->samples = malloc((total ? total : 1) * sizeof(double));
	v->medians = malloc(it->nrep * sizeof(double));
	if (!v->samples || !v->medians)
		return -1;
	for (size_t k = 0; k < it->nrep; k++) {
		const struct csv_config *c = item_config(it, k, label);
		struct stats st;

		if (!c || !c->n)
			continue;
		memcpy(v->samples + v->nsamples, c->v, c->n * sizeof(double));
		v->nsamples += c->n;
		if (stats_compute(c->v, c->n, &st))
			return -1;
		v->medians[v->nmedians++] = st.median;
	}
	return 0;
}

/*
 * Was the configuration clamped in some repeat: the harness writes
 * config.K.clamped for a configuration K (config.K = label) some of whose
 * calls charged the module's per-call cap.
 */
static bool config_clamped(const struct run_item *it, const char *label)
{
	for (size_t k = 0; k < it->nrep; k++) {
		const struct csv_file *f = &it->rep[k];

		for (size_t i = 0; i < f->nmeta; i++) {
			char key[64];

			if (strncmp(f->meta[i].key, "config.", 7) || strchr(f->meta[i].key + 7, '.') ||
			    strcmp(f->meta[i].val, label))
				continue;
			snprintf(key, sizeof(key), "%.40s.clamped", f->meta[i].key);
			if (csv_meta_get(f, key))
				return true;
		}
	}
	return false;
}

/* 2 / C(nx + ny, nx): the smallest two-sided p of the exact test (complete separation). */
static double exact_min_p(size_t nx, size_t ny)
{
	double lc = lgamma((double)(nx + ny) + 1) - lgamma((double)nx + 1) - lgamma((double)ny + 1);

	return fmin(1, 2 * exp(-lc));
}

/*
 * Exact runs: the difference of the medians is deterministic up to what moves
 * them within a run and from boot to boot. It is flagged when it exceeds
 * both runs' within-run spread (the width of each 95 % CI of the median: then
 * the two intervals cannot overlap) and the cross-boot tolerance.
 */
static void exact_compare(struct cmp_row *row, const struct cmp_row *base,
			  const struct cmp_opts *o, struct cmp_table *t)
{
	double d = fabs(row->diff);

	row->status = CMP_EXACT;
	row->beyond_spread = d > row->st.ci_hi - row->st.ci_lo &&
			     d > base->st.ci_hi - base->st.ci_lo;
	row->significant = row->beyond_spread && fabs(row->change_pct) > o->tolerance_pct;
	row->regression = row->significant && row->change_pct > o->threshold_pct;
	t->nexact++;
	t->nsignificant += row->significant;
	t->nregressions += row->regression;
	t->nimprovements += row->significant && row->change_pct < 0;
}

/* The rows of one item x configuration present in every run. */
static int add_rows(struct cmp_table *t, const struct run *runs, size_t nruns, const char *id,
		    const char *label, const struct cmp_opts *o)
{
	const struct run_item *base_item = run_find(&runs[0], id);
	const char *bench = csv_meta_get(&base_item->rep[0], "benchmark");
	struct cmp_row *rows = realloc(t->rows, (t->nrows + nruns) * sizeof(*rows));
	struct values *val = calloc(nruns, sizeof(*val));
	bool by_repeat = true;
	int ret = -1;

	if (!rows || !val)
		goto out;
	t->rows = rows;
	rows += t->nrows;
	for (size_t r = 0; r < nruns; r++) {
		if (values_get(run_find(&runs[r], id), label, &val[r]))
			goto out;
		by_repeat &= val[r].nmedians >= 2;
	}
	for (size_t r = 0; r < nruns; r++) {
		struct cmp_row *row = &rows[r];
		const double *x = by_repeat ? val[r].medians : val[r].samples;
		const double *y = by_repeat ? val[0].medians : val[0].samples;
		size_t nx = by_repeat ? val[r].nmedians : val[r].nsamples;
		size_t ny = by_repeat ? val[0].nmedians : val[0].nsamples;

		memset(row, 0, sizeof(*row));
		row->item = base_item->id;
		row->config = label;
		row->benchmark = bench && *bench ? bench : NO_BENCHMARK;
		row->run = r;
		row->nrep = val[r].nmedians;
		row->by_repeat = by_repeat;
		row->ratio = row->change_pct = row->p_holm = row->min_p = row->diff = NAN;
		row->test.p = NAN;
		row->clamped = config_clamped(run_find(&runs[r], id), label);
		if (nx && stats_compute(x, nx, &row->st))
			goto out;
		if (r == 0) {
			row->status = nx ? CMP_BASELINE : CMP_NO_DATA;
			continue;
		}
		if (!nx || !ny) {
			row->status = CMP_NO_DATA;
			continue;
		}
		row->change_pct = change_pct(row->st.median, rows[0].st.median);
		row->diff = row->st.median - rows[0].st.median;
		/* a lower bound on either side: shown, never flagged, tested or averaged */
		if (row->clamped || rows[0].clamped) {
			row->status = CMP_CLAMPED;
			t->nclamped++;
			continue;
		}
		if (row->st.median > 0 && rows[0].st.median > 0)
			row->ratio = row->st.median / rows[0].st.median;
		if (o->exact) {
			exact_compare(row, &rows[0], o, t);
			continue;
		}
		if (stats_mann_whitney(x, nx, y, ny, &row->test))
			goto out;
		if (row->test.method == MWU_NORMAL &&
		    (nx < CMP_MIN_N_APPROX || ny < CMP_MIN_N_APPROX)) {
			row->status = CMP_TOO_SMALL;
			row->test.p = NAN;
			t->ntoo_small++;
			continue;
		}
		if (row->test.method == MWU_EXACT)
			row->min_p = exact_min_p(nx, ny);
		row->status = CMP_TESTED;
		t->ntests++;
	}
	if (!by_repeat)
		t->nsingle++;
	t->nrows += nruns;
	ret = 0;
out:
	for (size_t r = 0; val && r < nruns; r++) {
		free(val[r].samples);
		free(val[r].medians);
	}
	free(val);
	return ret;
}

static int add_failed(struct cmp_table *t, const struct run_item *it, size_t run)
{
	struct cmp_failed *f = realloc(t->failed, (t->nfailed + 1) * sizeof(*f));

	if (!f)
		return -1;
	t->failed = f;
	f[t->nfailed++] = (struct cmp_failed){ .item = it->id, .run = run, .rep = it->fail_rep,
					       .nrep = it->nrep, .why = it->fail };
	return 0;
}

static int add_item(struct cmp_table *t, const struct run *runs, size_t nruns, const char *id,
		    const struct cmp_opts *o)
{
	const struct run_item **it = calloc(nruns, sizeof(*it));
	bool *present = calloc(nruns, sizeof(bool)), all = true, failed = false;
	const char **labels = NULL;
	size_t nlabels = 0;
	int ret = -1;

	if (!it || !present)
		goto out;
	for (size_t r = 0; r < nruns; r++) {
		it[r] = run_find(&runs[r], id);
		present[r] = it[r] != NULL;
		all &= present[r];
		if (it[r] && it[r]->fail) {
			failed = true;
			if (add_failed(t, it[r], r))
				goto out;
		}
	}
	/* A failed item's numbers are no comparison: listed, never tested or averaged. */
	if (failed && all) {
		ret = 0;
		goto out;
	}
	if (!all) {
		ret = add_missing(t, nruns, id, NULL, present);
		goto out;
	}
	/* Labels in order of first appearance, run 1 first. */
	for (size_t r = 0; r < nruns; r++)
		for (size_t k = 0; k < it[r]->nrep; k++)
			for (size_t c = 0; c < it[r]->rep[k].ncfg; c++) {
				const char *label = it[r]->rep[k].cfg[c].label, **l;
				bool seen = false;

				for (size_t q = 0; q < nlabels && !seen; q++)
					seen = !strcmp(labels[q], label);
				if (seen)
					continue;
				l = realloc(labels, (nlabels + 1) * sizeof(*l));
				if (!l)
					goto out;
				labels = l;
				labels[nlabels++] = label;
			}
	for (size_t i = 0; i < nlabels; i++) {
		all = true;
		for (size_t q = 0; q < nruns; q++) {
			present[q] = item_has_config(it[q], labels[i]);
			all &= present[q];
		}
		if (all ? add_rows(t, runs, nruns, id, labels[i], o)
			: add_missing(t, nruns, id, labels[i], present))
			goto out;
	}
	ret = 0;
out:
	free(labels);
	free(it);
	free(present);
	return ret;
}

static int holm(struct cmp_table *t, const struct cmp_opts *o)
{
	double *p = malloc((t->nrows ? t->nrows : 1) * sizeof(*p));

	if (!p)
		return -1;
	for (size_t i = 0; i < t->nrows; i++)
		p[i] = t->rows[i].status == CMP_TESTED ? t->rows[i].test.p : NAN;
	if (stats_holm(p, t->nrows, p)) {
		free(p);
		return -1;
	}
	for (size_t i = 0; i < t->nrows; i++) {
		struct cmp_row *row = &t->rows[i];

		if (row->status != CMP_TESTED)
			continue;
		row->p_holm = p[i];
		row->significant = p[i] < o->alpha;
		row->regression = row->significant && row->change_pct > o->threshold_pct;
		t->nsignificant += row->significant;
		t->nregressions += row->regression;
		t->nimprovements += row->significant && row->change_pct < 0;
		if (row->min_p * (double)t->ntests >= o->alpha) {
			t->nunderpowered++;
			if (!t->weakest || row->min_p > t->weakest->min_p)
				t->weakest = row;
		}
	}
	free(p);
	return 0;
}

static int geomeans(struct cmp_table *t, size_t nruns)
{
	double *ratios = malloc((t->nrows ? t->nrows : 1) * sizeof(*ratios));

	if (!ratios)
		return -1;
	for (size_t i = 0; i < t->nrows; i++) {
		const char *bench = t->rows[i].benchmark;
		bool seen = false;

		for (size_t g = 0; g < t->ngeo && !seen; g++)
			seen = !strcmp(t->geo[g].benchmark, bench);
		if (seen)
			continue;
		for (size_t r = 1; r < nruns; r++) {
			struct cmp_geomean *g = realloc(t->geo, (t->ngeo + 1) * sizeof(*g));
			size_t n = 0;

			if (!g) {
				free(ratios);
				return -1;
			}
			t->geo = g;
			g = &g[t->ngeo++];
			memset(g, 0, sizeof(*g));
			g->benchmark = bench;
			g->run = r;
			for (size_t j = i; j < t->nrows; j++) {
				const struct cmp_row *row = &t->rows[j];

				if (row->run != r || strcmp(row->benchmark, bench))
					continue;
				g->npairs++;
				if (row->ratio > 0 && isfinite(row->ratio))
					ratios[n++] = row->ratio;
				else
					g->nleft_out++;
			}
			g->npairs -= g->nleft_out;
			g->ratio = stats_geomean(ratios, n);
		}
	}
	free(ratios);
	return 0;
}

int cmp_table_compute(const struct run *runs, size_t nruns, const struct cmp_opts *o,
		      struct cmp_table *t)
{
	size_t nids;
	const char **ids = all_item_ids(runs, nruns, &nids);

	memset(t, 0, sizeof(*t));
	if (!ids)
		return -1;
	for (size_t i = 0; i < nids; i++)
		if (add_item(t, runs, nruns, ids[i], o))
			goto fail;
	free(ids);
	if (holm(t, o) || geomeans(t, nruns))
		goto fail_t;
	return 0;
fail:
	free(ids);
fail_t:
	cmp_table_free(t);
	return -1;
}

const char *cmp_metric_unit(const char *metric, bool exact, char *buf, size_t len)
{
	const char *per = strstr(metric, "_per_"), *ns = strstr(metric, "ns");
	size_t n = strlen(metric);

	/* A time column has "ns" as a word of its name: ns_per_op, sample_ns, task_clock_ns. */
	while (ns && !((ns == metric || ns[-1] == '_') && (ns[2] == '\0' || ns[2] == '_')))
		ns = strstr(ns + 1, "ns");
	if (!ns) {
		snprintf(buf, len, "%s", "");
		return buf;
	}
	if (per && per > ns)
		snprintf(buf, len, "%s/%.*s", exact ? "insn" : "ns", (int)(metric + n - per - 5),
			 per + 5);
	else
		snprintf(buf, len, "%s", exact ? "insn" : "ns");
	return buf;
}

void cmp_table_free(struct cmp_table *t)
{
	for (size_t i = 0; i < t->nmissing; i++)
		free(t->missing[i].present);
	free(t->rows);
	free(t->missing);
	free(t->failed);
	free(t->geo);
	memset(t, 0, sizeof(*t));
}
