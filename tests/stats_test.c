// SPDX-License-Identifier: GPL-2.0
/*
 * bench/lib/stats.c against known vectors: medians (odd, even), type-7
 * percentiles computed by hand (and R's quantile()), sample stdev, and the
 * distribution-free CI of the median against published tables of binomial
 * order statistics (n = 10: ranks 2..9, n = 20: 6..15, n = 100: 40..61).
 * The Mann-Whitney U test, Holm adjustment and geometric mean against R 4.2
 * (wilcox.test(x, y) with its defaults, p.adjust(p, "holm")) and, where the
 * exact p is small enough, by hand: complete separation of samples of sizes
 * m and n has one arrangement in C(m + n, m) at each extreme, p = 2 / C(m + n, m).
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

/* Relative tolerance for p-values R printed with 15 significant digits. */
static bool near_p(double a, double b)
{
	return fabs(a - b) <= 1e-12 * fabs(b);
}

static bool check_mwu(const double *x, size_t nx, const double *y, size_t ny, double want_u,
		      double want_p, enum mwu_method want_method)
{
	struct mwu r;
	int ret = stats_mann_whitney(x, nx, y, ny, &r);

	if (ret || !near(r.u, want_u) || !near_p(r.p, want_p) || r.method != want_method) {
		tap_diag("ret %d U %.17g p %.17g method %s; want U %g p %.17g method %s", ret, r.u,
			 r.p, r.method == MWU_EXACT ? "exact" : "normal", want_u, want_p,
			 want_method == MWU_EXACT ? "exact" : "normal");
		return false;
	}
	return true;
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
	/* R's ?wilcox.test example (Hollander & Wolfe 1973, p. 69): W = 35, one-sided p = 0.1272. */
	const double hw_x[] = { 0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46 };
	const double hw_y[] = { 1.15, 0.88, 0.90, 0.74, 1.21 };
	const double lo5[] = { 1, 2, 3, 4, 5 }, hi5[] = { 6, 7, 8, 9, 10 };
	const double a3[] = { 3, 1, 2 }, b4[] = { 6, 5, 4, 7 };
	const double mid_x[] = { 1, 4 }, mid_y[] = { 2, 3 };
	/*
	 * Ties: pooled ranks 1 | 2.5 2.5 | 4.5 4.5 | 7 7 7 | 10 10 10 | 12.5 12.5 | 14 |
	 * 15.5 15.5; x's ranks sum to 50, U = 50 - 36 = 14, tie groups 2,2,3,3,2,2 give
	 * sum(t^3 - t) = 72, sigma^2 = 64/12 (17 - 72/240) = 89.0667,
	 * z = (14 - 32 + 0.5) / 9.4375 = -1.8543.
	 */
	const double tie_x[] = { 1, 2, 2, 3, 4, 5, 5, 6 }, tie_y[] = { 3, 4, 4, 5, 6, 7, 8, 8 };
	const double same4[] = { 1, 1, 1, 1 }, same5[] = { 10, 20, 30, 40, 50 };
	double x12[12], y12[12], x60[60], y60[60];
	/* p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") = 0.03 0.06 0.06 0.02 (by hand:
	 * sorted 0.005 x 4, 0.01 x 3, 0.03 x 2, 0.04 x 1 = 0.02 0.03 0.06 0.04, then the
	 * running maximum). p.adjust(c(0.5, 0.001, 0.02, 0.9, 0.04), "holm") =
	 * 1 0.005 0.08 1 0.12. */
	double holm1[] = { 0.01, 0.04, 0.03, 0.005 }, holm2[] = { 0.5, 0.001, 0.02, 0.9, 0.04 };
	double holm_nan[] = { 0.01, NAN, 0.04, 0.03, NAN, 0.005 }, adj[6];
	const double gm1[] = { 1, 2, 4 }, gm2[] = { 1.1, 0.9 }, gm_bad[] = { 1, 0, 2 };
	struct mwu r;

	tap_plan(35);

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

	tap_ok(check_mwu(hw_x, N(hw_x), hw_y, N(hw_y), 35, 0.254412254412254, MWU_EXACT),
	       "Mann-Whitney, R's example (Hollander & Wolfe): W = 35, exact two-sided p = 0.2544");
	tap_ok(check_mwu(lo5, 5, hi5, 5, 0, 2.0 / 252, MWU_EXACT),
	       "Mann-Whitney 1..5 vs 6..10: U = 0, exact p = 2 / C(10, 5) = 0.00794");
	tap_ok(check_mwu(a3, 3, b4, 4, 0, 2.0 / 35, MWU_EXACT) &&
	       check_mwu(b4, 4, a3, 3, 12, 2.0 / 35, MWU_EXACT),
	       "Mann-Whitney {3,1,2} vs {6,5,4,7}: U = 0 (swapped: 12), p = 2 / 35 both ways");
	for (int i = 0; i < 12; i++) {
		x12[i] = i + 1;
		y12[i] = i + 13;
	}
	tap_ok(check_mwu(x12, 12, y12, 12, 0, 7.39602301050679e-07, MWU_EXACT),
	       "Mann-Whitney 1..12 vs 13..24: p = 2 / C(24, 12) = 7.396e-7");
	tap_ok(check_mwu(mid_x, 2, mid_y, 2, 2, 1, MWU_EXACT),
	       "Mann-Whitney {1,4} vs {2,3}: U at the mean, p = min(1, 2 x 4/6) = 1");
	tap_ok(check_mwu(tie_x, N(tie_x), tie_y, N(tie_y), 14, 0.0636959768977908, MWU_NORMAL),
	       "Mann-Whitney with ties: U = 14, normal approx. with tie and continuity "
	       "correction, p = 0.0637 (R)");
	stats_mann_whitney(tie_x, N(tie_x), tie_y, N(tie_y), &r);
	tap_ok(r.ties && fabs(r.z - (14 - 32 + 0.5) / sqrt(64.0 / 12 * (17 - 72.0 / 240))) < 1e-12,
	       "ties detected, z = (U - mn/2 + 1/2) / sigma with the tie term (got %g)", r.z);
	for (int i = 0; i < 60; i++) {
		x60[i] = 2.0 * (i + 1);
		y60[i] = 2.0 * (i + 1) + 41;
	}
	tap_ok(check_mwu(x60, 60, y60, 60, 780, 8.74756772289352e-08, MWU_NORMAL),
	       "Mann-Whitney n = 60 each (>= 50: normal approx. without ties): U = 780, "
	       "p = 8.75e-8 (R)");
	tap_ok(check_mwu(same4, 4, same4, 4, 8, 1, MWU_NORMAL),
	       "Mann-Whitney of identical constant samples: p = 1 (R: NaN)");
	tap_ok(check_mwu(same5, 5, same5, 5, 12.5, 1, MWU_NORMAL),
	       "Mann-Whitney of identical samples {10..50}: U = 12.5, p = 1 (R)");
	tap_ok(stats_mann_whitney(lo5, 0, hi5, 5, &r) == -1 &&
	       stats_mann_whitney(lo5, 5, hi5, 0, &r) == -1, "Mann-Whitney of an empty sample fails");

	stats_holm(holm1, N(holm1), adj);
	tap_ok(near(adj[0], 0.03) && near(adj[1], 0.06) && near(adj[2], 0.06) && near(adj[3], 0.02),
	       "Holm: p.adjust(c(0.01, 0.04, 0.03, 0.005)) = 0.03 0.06 0.06 0.02 (got %g %g %g %g)",
	       adj[0], adj[1], adj[2], adj[3]);
	stats_holm(holm2, N(holm2), holm2);
	tap_ok(near(holm2[0], 1) && near(holm2[1], 0.005) && near(holm2[2], 0.08) &&
	       near(holm2[3], 1) && near(holm2[4], 0.12),
	       "Holm in place: p.adjust(c(0.5, 0.001, 0.02, 0.9, 0.04)) = 1 0.005 0.08 1 0.12");
	stats_holm(holm_nan, N(holm_nan), adj);
	tap_ok(near(adj[0], 0.03) && isnan(adj[1]) && near(adj[2], 0.06) && near(adj[3], 0.06) &&
	       isnan(adj[4]) && near(adj[5], 0.02),
	       "Holm leaves NaN (no test) out of m = 4 and NaN");
	tap_ok(stats_holm(holm1, 0, adj) == 0, "Holm of no p-values");

	tap_ok(near(stats_geomean(gm1, 3), 2), "geomean {1,2,4} = 2");
	tap_ok(near(stats_geomean(gm2, 2), sqrt(0.99)), "geomean {1.1,0.9} = sqrt(0.99)");
	tap_ok(isnan(stats_geomean(gm_bad, 3)) && isnan(stats_geomean(gm1, 0)),
	       "geomean with a 0 or of nothing is NaN");
	return tap_finish();
}
