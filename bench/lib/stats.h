/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Statistics of one configuration's samples, and the tests that compare two
 * (scripts/compare). Pure functions: nothing here prints or keeps state;
 * stats_compute(), stats_mann_whitney() and stats_holm() allocate scratch
 * memory and free it. tests/stats_test.c checks them against known vectors.
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

#include <stdbool.h>
#include <stddef.h>

struct stats {
	size_t n;
	double min, max, mean, median, p90, p99, stdev, cv;
	double ci_lo, ci_hi;		/* CI of the median */
	size_t ci_lo_rank, ci_hi_rank;	/* 1-based order statistics */
	double ci_coverage;		/* exact coverage of [ci_lo, ci_hi] */
};

#define STATS_CI_LEVEL 0.95

/* Sorts x[0..n-1] ascending in place. */
void stats_sort(double *x, size_t n);

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

/*
 * Two-sample Mann-Whitney U test (Wilcoxon rank-sum), two-sided; the same U
 * and p as R's wilcox.test(x, y) with its defaults (exact = NULL, correct = TRUE):
 * - U = R_x - n_x (n_x + 1) / 2, R_x the sum of x's ranks in the pooled
 *   sample with midranks for ties: the number of pairs with x > y, a tie
 *   counting 1/2. R prints it as W.
 * - Exact when n_x < 50, n_y < 50 and there are no ties: under H0 every one of
 *   the C(n_x + n_y, n_x) arrangements of ranks is equally likely;
 *   p = min(1, 2 P(U <= u)) for u <= n_x n_y / 2, else min(1, 2 P(U >= u)).
 * - Otherwise the normal approximation with tie and continuity correction:
 *   z = (u - n_x n_y / 2 - sign(u - n_x n_y / 2) / 2) / sigma,
 *   sigma^2 = n_x n_y / 12 ((N + 1) - sum(t^3 - t) / (N (N - 1))), N = n_x + n_y,
 *   t the size of each group of tied values; p = 2 (1 - Phi(|z|)).
 *   When sigma = 0 (every value equal) p = 1 (R returns NaN).
 */
enum mwu_method { MWU_EXACT, MWU_NORMAL };

struct mwu {
	double u;		/* U of x (R's W) */
	double p;		/* two-sided p-value */
	double z;		/* MWU_NORMAL: the corrected z (0 when sigma = 0); MWU_EXACT: 0 */
	enum mwu_method method;
	bool ties;		/* some value occurs more than once in the pooled sample */
};

/* Exact when both sizes are below this and there are no ties (R's rule). */
#define MWU_EXACT_MAX_N 50

/* x[0..nx-1] against y[0..ny-1] (not modified). 0, or -1 if nx or ny is 0 or on ENOMEM. */
int stats_mann_whitney(const double *x, size_t nx, const double *y, size_t ny, struct mwu *r);

/*
 * Holm-Bonferroni step-down adjustment, as R's p.adjust(p, "holm"): with
 * the m p-values sorted p_(1) <= ... <= p_(m),
 * adj_(i) = max over j <= i of min(1, (m - j + 1) p_(j)). It controls the
 * family-wise error rate: P(any true null has adj < alpha) <= alpha.
 * NaN entries (no test done) are not counted in m and stay NaN. adj may be p.
 * 0, or -1 on ENOMEM.
 */
int stats_holm(const double *p, size_t m, double *adj);

/* Geometric mean exp(mean(log x)); NaN when n is 0 or some x is not > 0. */
double stats_geomean(const double *x, size_t n);

#endif /* NB_STATS_H */
