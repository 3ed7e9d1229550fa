/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Descriptive statistics of one configuration's samples. Pure functions:
 * nothing here allocates except stats_compute() (a sorted copy), nothing
 * prints. tests/stats_test.c checks them against known vectors.
 *
 * Definitions:
 * - quantiles: linear interpolation between order statistics, Hyndman & Fan
 *   type 7 (R's and NumPy's default): h = (n - 1) p, q = x[floor h] +
 *   (h - floor h) (x[floor h + 1] - x[floor h]), x sorted, 0-based. The median
 *   is the 0.5 quantile: the middle value for odd n, the mean of the two
 *   middle values for even n.
 * - stdev: sample standard deviation (divisor n - 1); 0 when n < 2.
 * - cv: stdev / mean (0 when the mean is 0).
 * - CI of the median: distribution-free, from binomial order statistics. With
 *   B ~ Binomial(n, 1/2), the largest k with P(B <= k - 1) <= (1 - level) / 2
 *   gives [x_(k), x_(n-k+1)] (1-based ranks), whose exact coverage is
 *   1 - 2 P(B <= k - 1) >= level. For n too small to reach the level (n < 6
 *   at 95 %), the interval is [min, max] and the coverage reported is below
 *   the level.
 */
#ifndef NB_STATS_H
#define NB_STATS_H

#include <stddef.h>

struct stats {
	size_t n;
	double min, max, mean, median, p90, p99, stdev, cv;
	double ci_lo, ci_hi;		/* CI of the median */
	size_t ci_lo_rank, ci_hi_rank;	/* 1-based order statistics */
	double ci_coverage;		/* exact coverage of [ci_lo, ci_hi] */
};

#define STATS_CI_LEVEL 0.95

/* Quantile p in [0, 1] of sorted[0..n-1] (type 7). n must be > 0. */
double stats_quantile_sorted(const double *sorted, size_t n, double p);

double stats_mean(const double *x, size_t n);
/* Sample standard deviation (n - 1); 0 for n < 2. */
double stats_stdev(const double *x, size_t n);

/*
 * Ranks (1-based) of the distribution-free CI of the median at confidence
 * level (e.g. 0.95) for n samples; *coverage gets the exact coverage.
 * Returns 0, or -1 when n is too small to reach the level (ranks 1 and n).
 */
int stats_median_ci_ranks(size_t n, double level, size_t *lo, size_t *hi, double *coverage);

/* Everything above for x[0..n-1] (unsorted, not modified). 0, or -1 on n == 0 / ENOMEM. */
int stats_compute(const double *x, size_t n, struct stats *s);

/* Least-squares line y = slope x + intercept; r2 the coefficient of determination. -1 if n < 2 or x constant. */
int stats_linfit(const double *x, const double *y, size_t n, double *slope, double *intercept,
		 double *r2);

#endif /* NB_STATS_H */
