// SPDX-License-Identifier: GPL-2.0
/* Descriptive statistics; definitions in stats.h. */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
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
	qsort(v, n, sizeof(*v), cmp_double);
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
