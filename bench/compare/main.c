// SPDX-License-Identifier: GPL-2.0
/*
 * notibench-compare: options and exit status; scripts/compare runs it.
 * Every option and run is validated (exit 2 with a message) before
 * anything is printed on stdout.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "compare.h"

/* scripts/compare and its readers name it (NB_COMPARE_NAME), else argv[0]. */
static const char *prog = "notibench-compare";

#ifndef NB_VERSION
#define NB_VERSION "unknown"
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s RUN RUN [RUN...] [--csv FILE] [--tsv FILE] [--threshold PCT] [--alpha A]\n"
		"       [--metric COLUMN] [--tolerance PCT]\n"
		"       %s --check RUN...\n"
		"       %s --help | --version\n"
		"\n"
		"Compares notibench runs against the first. A RUN is a notibench CSV or a run\n"
		"directory of <item-id>.csv files (bench/all); items match by item-id (two single\n"
		"files match each other), configurations by label.\n"
		"\n"
		"  --csv FILE         also write the table as CSV (atomically)\n"
		"  --tsv FILE         the same, tab-separated without quoting, control\n"
		"                     characters (tabs) as '?': for awk (scripts/ab)\n"
		"  --threshold PCT    a regression is a significant rise of the median by more\n"
		"                     than PCT %% (default 5)\n"
		"  --alpha A          significance level of the Holm-adjusted p (default 0.05)\n"
		"  --metric COLUMN    the column compared (default ns_per_op; lower is better)\n"
		"  --tolerance PCT    exact runs (clock_unit insn): a difference is flagged when it\n"
		"                     exceeds both runs' within-run spread and PCT %% (default %g:\n"
		"                     exact medians of most items repeat within 0.1 %% across boots)\n"
		"\n"
		"Exit status: 0 no significant regression beyond the threshold, 1 one or more,\n"
		"2 bad usage or an unreadable run, 3 no regression but an item's self-check failed\n"
		"in some run (it is not compared). Exact runs are compared with exact runs only.\n"
		"Details: results/README.md, \"Comparing runs\".\n"
		"\n"
		"--check validates every CSV of the RUNs as scripts/plot and scripts/summary need\n"
		"them (what compare checks, every numeric column, a median row for every sampled\n"
		"configuration, no line over 64 KiB, no cut-off last line) and prints nothing but\n"
		"FILE:LINE: reason for each bad one; exit 0 all good, 2 otherwise.\n",
		prog, prog, prog, CMP_DEFAULT_TOLERANCE_PCT);
}

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (--help for usage)\n");
	return CMP_EXIT_USAGE;
}

static int parse_double(const char *s, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	return !*s || *end || errno || !isfinite(*v) ? -1 : 0;
}

static int run_compare(const char **paths, size_t nruns, struct cmp_opts *o)
{
	struct run *runs = calloc(nruns, sizeof(*runs));
	struct env_diff *diffs = NULL;
	struct cmp_table table = { 0 };
	size_t ndiffs = 0, loaded = 0;
	bool has_column = false;
	char err[4608];
	int ret = CMP_EXIT_USAGE;

	if (!runs)
		goto nomem;
	for (; loaded < nruns; loaded++)
		if (run_load(paths[loaded], o->metric, &runs[loaded], err, sizeof(err))) {
			fprintf(stderr, "%s: %s\n", prog, err);
			goto out;
		}
	for (size_t r = 0; r < nruns; r++)
		for (size_t i = 0; i < runs[r].nitems; i++)
			for (size_t k = 0; k < runs[r].items[i].nrep; k++)
				has_column |= runs[r].items[i].rep[k].has_column;
	if (!has_column) {
		fprintf(stderr, "%s: --metric %s: no such column in any of the CSVs\n", prog,
			o->metric);
		goto out;
	}
	/* Instructions and nanoseconds are no comparison: refuse, naming both. */
	for (size_t r = 1; r < nruns; r++)
		if (strcmp(runs[r].unit, runs[0].unit)) {
			const struct run *x = !strcmp(runs[0].unit, "insn") ? &runs[0] : &runs[r];
			const struct run *w = x == &runs[0] ? &runs[r] : &runs[0];

			fprintf(stderr, "%s: cannot compare an exact run with a wall-clock run: [%zu] %s%s%s%s "
				"counts guest instructions (clock_unit insn), [%zu] %s%s%s%s nanoseconds "
				"(clock_unit ns); compare exact runs with exact runs\n", prog,
				(size_t)(x - runs) + 1, x->path, x->label ? " (" : "",
				x->label ? x->label : "", x->label ? ")" : "", (size_t)(w - runs) + 1,
				w->path, w->label ? " (" : "", w->label ? w->label : "",
				w->label ? ")" : "");
			goto out;
		}
	o->exact = !strcmp(runs[0].unit, "insn");
	if (runs_name_single_files(runs, nruns) || env_diff_compute(runs, nruns, &diffs, &ndiffs) ||
	    cmp_table_compute(runs, nruns, o, &table))
		goto nomem;
	cmp_print_text(stdout, runs, nruns, o, diffs, ndiffs, &table);
	fflush(stdout);
	if ((o->csv_path && cmp_write_csv(o->csv_path, false, runs, nruns, o, diffs, ndiffs,
					  &table, err, sizeof(err))) ||
	    (o->tsv_path && cmp_write_csv(o->tsv_path, true, runs, nruns, o, diffs, ndiffs,
					  &table, err, sizeof(err)))) {
		fprintf(stderr, "%s: %s\n", prog, err);
		goto out;
	}
	ret = table.nregressions ? CMP_EXIT_REGRESSION :
	      table.nfailed ? CMP_EXIT_CHECK_FAILED : CMP_EXIT_OK;
	goto out;
nomem:
	fprintf(stderr, "%s: out of memory\n", prog);
out:
	cmp_table_free(&table);
	env_diff_free(diffs, ndiffs, nruns);
	for (size_t r = 0; r < loaded && runs; r++)
		run_free(&runs[r]);
	free(runs);
	return ret;
}

/* --check: one CSV; 0, or -1 after printing why. */
static int check_file(const char *path)
{
	char err[4608];

	if (csv_check(path, err, sizeof(err)) == CSV_READ_OK)
		return 0;
	fprintf(stderr, "%s: %s\n", prog, err);
	return -1;
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* --check: a CSV, or every <name>.csv of a run directory (as compare reads it). */
static int check_run(const char *path)
{
	struct dirent **names;
	struct stat st;
	char file[4096];
	int n, ret = 0;

	if (stat(path, &st)) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return check_file(path);
	n = scandir(path, &names, NULL, versionsort);
	if (n < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		size_t len = strlen(name);

		if (name[0] != '.' && len > 4 && !strcmp(name + len - 4, ".csv")) {
			if (has_control(name)) {
				fprintf(stderr, "%s: %s: a file name with a control character (newline, "
					"tab, ...): not reading it\n", prog, path);
				ret = -1;
			} else if (snprintf(file, sizeof(file), "%s/%s", path, name) >=
				   (int)sizeof(file)) {
				fprintf(stderr, "%s: %s/%s: path too long\n", prog, path, name);
				ret = -1;
			} else if (!stat(file, &st) && S_ISREG(st.st_mode) && check_file(file)) {
				ret = -1;
			}
		}
		free(names[i]);
	}
	free(names);
	return ret;
}

static int run_check(int argc, char **argv)
{
	int ret = CMP_EXIT_OK, nruns = 0;

	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--") && !nruns)
			continue;
		nruns++;
		if (has_control(argv[i])) {
			fprintf(stderr, "%s: a file name with a control character (newline, tab, ...): "
				"not reading it\n", prog);
			ret = CMP_EXIT_USAGE;
		} else if (check_run(argv[i])) {
			ret = CMP_EXIT_USAGE;
		}
	}
	return nruns ? ret : usage_error("--check: no RUN given");
}

int main(int argc, char **argv)
{
	struct cmp_opts o = { .metric = "ns_per_op", .threshold_pct = 5, .alpha = 0.05,
			      .tolerance_pct = CMP_DEFAULT_TOLERANCE_PCT };
	const char **paths = calloc((size_t)argc, sizeof(*paths));
	size_t npaths = 0;
	bool only_paths = false;
	int ret = 0;

	if (getenv("NB_COMPARE_NAME"))
		prog = getenv("NB_COMPARE_NAME");
	else if (argc > 0 && argv[0][0])
		prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	if (!paths)
		return CMP_EXIT_USAGE;
	if (argc > 1 && !strcmp(argv[1], "--check")) {
		free(paths);
		return run_check(argc, argv);
	}
	for (int i = 1; i < argc && !ret; i++) {
		const char *arg = argv[i], *val, *eq;
		char name[32];

		if (only_paths || arg[0] != '-' || !strcmp(arg, "-")) {
			paths[npaths++] = arg;
			continue;
		}
		if (!strcmp(arg, "--")) {
			only_paths = true;
			continue;
		}
		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			usage(stdout);
			goto out;
		}
		if (!strcmp(arg, "--version")) {
			printf("%s %s\n", prog, NB_VERSION);
			goto out;
		}
		eq = strchr(arg, '=');
		snprintf(name, sizeof(name), "%.*s", eq ? (int)(eq - arg) : (int)strlen(arg), arg);
		if (strcmp(name, "--csv") && strcmp(name, "--tsv") && strcmp(name, "--threshold") &&
		    strcmp(name, "--alpha") && strcmp(name, "--metric") && strcmp(name, "--tolerance")) {
			ret = usage_error("unknown option '%s'", arg);
			break;
		}
		if (eq) {
			val = eq + 1;
		} else if (i + 1 < argc) {
			val = argv[++i];
		} else {
			ret = usage_error("%s needs a value", name);
			break;
		}
		if (!strcmp(name, "--csv")) {
			o.csv_path = val;
			if (!*val)
				ret = usage_error("--csv: empty file name");
		} else if (!strcmp(name, "--tsv")) {
			o.tsv_path = val;
			if (!*val)
				ret = usage_error("--tsv: empty file name");
		} else if (!strcmp(name, "--threshold")) {
			if (parse_double(val, &o.threshold_pct) || o.threshold_pct < 0)
				ret = usage_error("--threshold '%s': not a percentage >= 0", val);
		} else if (!strcmp(name, "--tolerance")) {
			if (parse_double(val, &o.tolerance_pct) || o.tolerance_pct < 0)
				ret = usage_error("--tolerance '%s': not a percentage >= 0", val);
		} else if (!strcmp(name, "--alpha")) {
			if (parse_double(val, &o.alpha) || o.alpha <= 0 || o.alpha >= 1)
				ret = usage_error("--alpha '%s': not a number between 0 and 1", val);
		} else {
			o.metric = val;
			if (!*val)
				ret = usage_error("--metric: empty column name");
		}
	}
	if (ret)
		goto out;
	if (npaths == 0)
		ret = usage_error("no runs given; compare needs at least 2");
	else if (npaths == 1)
		ret = usage_error("one run given (%s); compare needs at least 2", paths[0]);
	else
		ret = run_compare(paths, npaths, &o);
out:
	free(paths);
	return ret;
}
