// SPDX-License-Identifier: GPL-2.0
/*
 * bench/stats.c against known vectors: medians (odd, even), type-7
 * percentiles computed by hand (and R's quantile()), sample stdev, and the
 * distribution-free CI of the median against published tables of binomial
 * order statistics (n = 10: ranks 2..9, n = 20: 6..15, n = 100: 40..61).
 */
#include <math.h>
#include <stdbool.h>

#include "tap.h"
#include "stats.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static bool near(double a, double b)
{
	return fabs(a - b) <= 1e-9 * (fabs(b) > 1 ? fabs(b) : 1);
}

static bool check_ci(size_t n, size_t want_lo, size_t want_hi, double want_cov)
{
	size_t lo, hi;
	double cov;
	int ret = stats_median_ci_ranks(n, 0.95, &lo, &hi, &cov);

	if (ret || lo != want_lo || hi != want_hi || fabs(cov - want_cov) > 1e-9) {
		tap_diag("n=%zu: ret %d ranks %zu..%zu coverage %.10f, want %zu..%zu %.10f", n, ret,
			 lo, hi, cov, want_lo, want_hi, want_cov);
		return false;
	}
	return true;
}

int main(void)
{
	const double odd[] = { 5, 1, 3 };
	const double even[] = { 4, 1, 3, 2 };
	const double one_to_ten[] = { 10, 9, 8, 7, 6, 5, 4, 3, 2, 1 };
	const double sorted10[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	const double r_example[] = { 15, 20, 35, 40, 50 };
	const double sd_vec[] = { 2, 4, 4, 4, 5, 5, 7, 9 };
	const double lx[] = { 0, 250, 500, 1000 }, ly[] = { 1, 501, 1001, 2001 };
	struct stats s;
	size_t lo, hi;
	double cov, slope, icpt, r2;
	double big[100];

	tap_plan(17);

	stats_compute(odd, N(odd), &s);
	tap_ok(near(s.median, 3), "median of odd n {5,1,3} is 3 (got %g)", s.median);
	stats_compute(even, N(even), &s);
	tap_ok(near(s.median, 2.5), "median of even n {4,1,3,2} is 2.5 (got %g)", s.median);

	stats_compute(one_to_ten, N(one_to_ten), &s);
	tap_ok(near(s.p90, 9.1) && near(s.p99, 9.91),
	       "1..10: p90 = 9 + 0.1 = 9.1, p99 = 9 + 0.91 = 9.91 (got %g, %g)", s.p90, s.p99);
	tap_ok(near(s.min, 1) && near(s.max, 10) && near(s.mean, 5.5) && near(s.median, 5.5),
	       "1..10: min 1, max 10, mean 5.5, median 5.5");
	tap_ok(near(stats_quantile_sorted(sorted10, 10, 0.25), 3.25),
	       "1..10: p25 = x[2] + 0.25 (x[3] - x[2]) = 3.25");
	tap_ok(near(stats_quantile_sorted(r_example, 5, 0.4), 29),
	       "R: quantile(c(15,20,35,40,50), 0.4) = 29");
	tap_ok(near(stats_quantile_sorted(r_example, 5, 0) , 15) &&
	       near(stats_quantile_sorted(r_example, 5, 1), 50), "quantiles 0 and 1 are min and max");

	stats_compute(sd_vec, N(sd_vec), &s);
	tap_ok(near(s.stdev, sqrt(32.0 / 7)), "sample stdev of {2,4,4,4,5,5,7,9} = sqrt(32/7) (got %.12g)",
	       s.stdev);
	tap_ok(near(s.cv, sqrt(32.0 / 7) / 5), "cv = stdev / mean 5");
	tap_ok(stats_stdev(sd_vec, 1) == 0, "stdev of one sample is 0");

	tap_ok(check_ci(10, 2, 9, 1 - 2 * 11.0 / 1024), "CI of median, n=10: ranks 2..9, coverage 97.85 %%");
	tap_ok(check_ci(20, 6, 15, 0.9586105346679688), "CI of median, n=20: ranks 6..15, coverage 95.86 %%");
	tap_ok(check_ci(100, 40, 61, 0.9647997997822952), "CI of median, n=100: ranks 40..61, coverage 96.48 %%");
	tap_ok(check_ci(6, 1, 6, 1 - 2.0 / 64), "CI of median, n=6: ranks 1..6 (smallest n at 95 %%)");
	tap_ok(stats_median_ci_ranks(5, 0.95, &lo, &hi, &cov) == -1 && lo == 1 && hi == 5 &&
	       near(cov, 1 - 2.0 / 32), "n=5 cannot reach 95 %%: [min, max], coverage 93.75 %%");

	for (int i = 0; i < 100; i++)
		big[i] = 100 - i;	/* values 1..100 reversed: x_(k) = k */
	stats_compute(big, 100, &s);
	tap_ok(near(s.ci_lo, 40) && near(s.ci_hi, 61) && near(s.median, 50.5),
	       "stats_compute n=100: CI [x_(40), x_(61)] = [40, 61], median 50.5");

	tap_ok(stats_linfit(lx, ly, 4, &slope, &icpt, &r2) == 0 && near(slope, 2) && near(icpt, 1) &&
	       near(r2, 1), "linfit of y = 2x + 1: slope 2, intercept 1, r2 1");
	return tap_finish();
}
