// SPDX-License-Identifier: GPL-2.0
/* Descriptive statistics and two-sample tests; definitions in stats.h. */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void stats_sort(double *x, size_t n)
{
	qsort(x, n, sizeof(*x), cmp_double);
}

double stats_quantile_sorted(const double *sorted, size_t n, double p)
{
	double h = (double)(n - 1) * p;
	size_t lo = (size_t)floor(h);

	if (lo >= n - 1)
		return sorted[n - 1];
	return sorted[lo] + (h - (double)lo) * (sorted[lo + 1] - sorted[lo]);
}

double stats_mean(const double *x, size_t n)
{
	double sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += x[i];
	return n ? sum / (double)n : 0;
}

double stats_stdev(const double *x, size_t n)
{
	double m = stats_mean(x, n), ss = 0;

	if (n < 2)
		return 0;
	/* Two-pass: no cancellation from sum of squares minus square of sum. */
	for (size_t i = 0; i < n; i++)
		ss += (x[i] - m) * (x[i] - m);
	return sqrt(ss / (double)(n - 1));
}

/* P(B <= k) for B ~ Binomial(n, 1/2), via log-gamma so large n cannot underflow 0.5^n. */
static double binom_half_cdf(size_t n, size_t k)
{
	double sum = 0, lg_n1 = lgamma((double)n + 1), ln2n = (double)n * log(2.0);

	for (size_t i = 0; i <= k && i <= n; i++)
		sum += exp(lg_n1 - lgamma((double)i + 1) - lgamma((double)(n - i) + 1) - ln2n);
	return sum > 1 ? 1 : sum;
}

int stats_median_ci_ranks(size_t n, double level, size_t *lo, size_t *hi, double *coverage)
{
	double alpha2 = (1 - level) / 2;
	size_t k = 0;

	/* Largest k >= 1 with P(B <= k - 1) <= alpha / 2. The tail grows with k. */
	for (size_t j = 1; j <= n / 2; j++) {
		if (binom_half_cdf(n, j - 1) <= alpha2)
			k = j;
		else
			break;
	}
	if (k == 0) {
		*lo = 1;
		*hi = n;
		*coverage = n ? 1 - 2 * binom_half_cdf(n, 0) : 0;
		return -1;
	}
	*lo = k;
	*hi = n - k + 1;
	*coverage = 1 - 2 * binom_half_cdf(n, k - 1);
	return 0;
}

int stats_compute(const double *x, size_t n, struct stats *s)
{
	double *v;

	memset(s, 0, sizeof(*s));
	if (n == 0)
		return -1;
	v = malloc(n * sizeof(*v));
	if (!v)
		return -1;
	memcpy(v, x, n * sizeof(*v));
	stats_sort(v, n);
	s->n = n;
	s->min = v[0];
	s->max = v[n - 1];
	s->mean = stats_mean(v, n);
	s->median = stats_quantile_sorted(v, n, 0.5);
	s->p90 = stats_quantile_sorted(v, n, 0.90);
	s->p99 = stats_quantile_sorted(v, n, 0.99);
	s->stdev = stats_stdev(v, n);
	s->cv = s->mean != 0 ? s->stdev / fabs(s->mean) : 0;
	stats_median_ci_ranks(n, STATS_CI_LEVEL, &s->ci_lo_rank, &s->ci_hi_rank, &s->ci_coverage);
	s->ci_lo = v[s->ci_lo_rank - 1];
	s->ci_hi = v[s->ci_hi_rank - 1];
	free(v);
	return 0;
}

int stats_linfit(const double *x, const double *y, size_t n, double *slope, double *intercept,
		 double *r2)
{
	double mx = stats_mean(x, n), my = stats_mean(y, n), sxx = 0, sxy = 0, syy = 0;

	if (n < 2)
		return -1;
	for (size_t i = 0; i < n; i++) {
		sxx += (x[i] - mx) * (x[i] - mx);
		sxy += (x[i] - mx) * (y[i] - my);
		syy += (y[i] - my) * (y[i] - my);
	}
	if (sxx == 0)
		return -1;
	*slope = sxy / sxx;
	*intercept = my - *slope * mx;
	*r2 = syy == 0 ? 1 : sxy * sxy / (sxx * syy);
	return 0;
}

/* A pooled-sample value and which sample it came from. */
struct tagged {
	double v;
	bool from_x;
};

static int cmp_tagged(const void *a, const void *b)
{
	return cmp_double(&((const struct tagged *)a)->v, &((const struct tagged *)b)->v);
}

/*
 * f[u] for u = 0..nx*ny: how many of the C(nx + ny, nx) arrangements of nx
 * x's and ny y's (no ties) have U = u. Recurrence on the largest element:
 * an x above all j y's adds j to U, a y adds nothing:
 * c(i, j, u) = c(i - 1, j, u - j) + c(i, j - 1, u), c(0, j, 0) = c(i, 0, 0) = 1.
 * Rows are kept for the current and previous i. Sums of non-negative counts:
 * exact up to 2^53, then correct to double precision.
 */
static int mwu_exact_counts(size_t nx, size_t ny, double *f)
{
	size_t mn = nx * ny, w = mn + 1;
	double *prev = calloc((ny + 1) * w, sizeof(double));
	double *cur = calloc((ny + 1) * w, sizeof(double));
	double *t;

	if (!prev || !cur) {
		free(prev);
		free(cur);
		return -1;
	}
	for (size_t j = 0; j <= ny; j++)
		prev[j * w] = 1;				/* i = 0 */
	for (size_t i = 1; i <= nx; i++) {
		memset(cur, 0, (ny + 1) * w * sizeof(double));
		cur[0] = 1;					/* j = 0 */
		for (size_t j = 1; j <= ny; j++)
			for (size_t u = 0; u <= i * j; u++)
				cur[j * w + u] = (u >= j ? prev[j * w + u - j] : 0) +
						 cur[(j - 1) * w + u];
		t = prev;
		prev = cur;
		cur = t;
	}
	memcpy(f, prev + ny * w, w * sizeof(double));
	free(prev);
	free(cur);
	return 0;
}

static int mwu_exact_p(size_t nx, size_t ny, double u, double *p)
{
	size_t mn = nx * ny, k = (size_t)u;		/* u is whole: no ties */
	double *f = malloc((mn + 1) * sizeof(double)), total = 0, tail = 0;

	if (!f || mwu_exact_counts(nx, ny, f)) {
		free(f);
		return -1;
	}
	for (size_t v = 0; v <= mn; v++) {
		total += f[v];
		if (u > (double)mn / 2 ? v >= k : v <= k)
			tail += f[v];
	}
	free(f);
	*p = fmin(1, 2 * tail / total);
	return 0;
}

int stats_mann_whitney(const double *x, size_t nx, const double *y, size_t ny, struct mwu *r)
{
	size_t n = nx + ny;
	struct tagged *t;
	double rank_x = 0, tie_sum = 0, mean, var, d;

	memset(r, 0, sizeof(*r));
	if (!nx || !ny)
		return -1;
	t = malloc(n * sizeof(*t));
	if (!t)
		return -1;
	for (size_t i = 0; i < nx; i++)
		t[i] = (struct tagged){ x[i], true };
	for (size_t i = 0; i < ny; i++)
		t[nx + i] = (struct tagged){ y[i], false };
	qsort(t, n, sizeof(*t), cmp_tagged);
	/* Group i..j-1 of equal values shares the midrank of ranks i+1..j. */
	for (size_t i = 0, j; i < n; i = j) {
		double mid, size;

		for (j = i + 1; j < n && t[j].v == t[i].v; j++)
			;
		size = (double)(j - i);
		mid = ((double)i + 1 + (double)j) / 2;
		for (size_t k = i; k < j; k++)
			if (t[k].from_x)
				rank_x += mid;
		if (j - i > 1) {
			r->ties = true;
			tie_sum += size * size * size - size;
		}
	}
	free(t);
	r->u = rank_x - (double)nx * ((double)nx + 1) / 2;

	if (nx < MWU_EXACT_MAX_N && ny < MWU_EXACT_MAX_N && !r->ties) {
		r->method = MWU_EXACT;
		return mwu_exact_p(nx, ny, r->u, &r->p);
	}
	r->method = MWU_NORMAL;
	mean = (double)nx * (double)ny / 2;
	var = (double)nx * (double)ny / 12 *
	      ((double)n + 1 - tie_sum / ((double)n * ((double)n - 1)));
	d = r->u - mean;
	if (var <= 0) {
		r->p = 1;
		return 0;
	}
	r->z = (d - (d > 0 ? 0.5 : d < 0 ? -0.5 : 0)) / sqrt(var);
	r->p = fmin(1, erfc(fabs(r->z) / M_SQRT2));	/* 2 (1 - Phi(|z|)) */
	return 0;
}

struct indexed_p {
	double p;
	size_t i;
};

static int cmp_indexed_p(const void *a, const void *b)
{
	const struct indexed_p *x = a, *y = b;

	if (x->p != y->p)
		return x->p < y->p ? -1 : 1;
	return (x->i > y->i) - (x->i < y->i);		/* stable */
}

int stats_holm(const double *p, size_t m, double *adj)
{
	struct indexed_p *s = malloc((m ? m : 1) * sizeof(*s));
	size_t k = 0;
	double run = 0;

	if (!s)
		return -1;
	for (size_t i = 0; i < m; i++)
		if (!isnan(p[i]))
			s[k++] = (struct indexed_p){ p[i], i };
	for (size_t i = 0; i < m; i++)
		if (isnan(p[i]))
			adj[i] = NAN;
	qsort(s, k, sizeof(*s), cmp_indexed_p);
	for (size_t j = 0; j < k; j++) {
		run = fmax(run, fmin(1, (double)(k - j) * s[j].p));
		adj[s[j].i] = run;
	}
	free(s);
	return 0;
}

double stats_geomean(const double *x, size_t n)
{
	double sum = 0;

	if (!n)
		return NAN;
	for (size_t i = 0; i < n; i++) {
		if (!(x[i] > 0))
			return NAN;
		sum += log(x[i]);
	}
	return exp(sum / (double)n);
}
