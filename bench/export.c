// SPDX-License-Identifier: GPL-2.0
/*
 * `notibench export [--format csv|json|tsv] [--statistics recomputed|written|rows]
 * [--out FILE] RUNDIR|CSV...`: every numeric column of every configuration
 * of every CSV, summarised from its samples (or its summary rows as written),
 * as one long ("tidy") table; see export.h and results/README.md. The
 * formats summary-tsv and histogram-tsv are the scripts' (export_tsv.c); meta
 * lists the metadata lines; tsv is the long table tab-separated.
 * All inputs are read (through csv_read_all, which refuses malformed files)
 * before a byte is written, and --out is written to a temporary file renamed
 * at the end: a bad input or a failed write leaves no half-written table.
 */
#include "export.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csv_field.h"
#include "stats.h"

#define EXPORT_VERSION 1

struct ex {
	struct ex_file *v;
	size_t n;
	char err[4096];
};

/* One row of the table. */
struct ex_row {
	const char *run, *label, *clock, *item, *file, *bench, *config, *metric, *stat, *unit;
	double value;
	bool rows;		/* --statistics rows: value may be NAN; sample, line follow */
	bool tsv;		/* --format tsv: tab-separated, no quoting */
	long sample;		/* -1: a summary row */
	size_t line;
};

static const char *const columns[] = {
	"run", "kernel_label", "clock_unit", "item", "file", "benchmark", "config", "metric",
	"statistic", "value", "unit",
};
#define NCOLUMNS (sizeof(columns) / sizeof(columns[0]))

enum ex_format { F_CSV, F_JSON, F_SUMMARY, F_HISTOGRAM, F_META, F_TSV };
enum ex_stats { S_RECOMPUTED, S_WRITTEN, S_ROWS };

/* Bookkeeping columns, not measurements. */
static const char *const skipped[] = { "round", "seq", "sample" };

static void usage(FILE *f)
{
	fprintf(f,
		"usage: notibench export [--format csv|json|tsv]\n"
		"                        [--statistics recomputed|written|rows]\n"
		"                        [--out FILE] RUNDIR|CSV...\n"
		"       notibench export --format summary-tsv|histogram-tsv [--run-id N] [--out FILE]\n"
		"                        RUNDIR|CSV...\n"
		"       notibench export --format meta [--out FILE] RUNDIR|CSV...\n"
		"\n"
		"One long table of every run directory (bench/all's) and CSV given: one row per\n"
		"run, item, configuration, metric and statistic, with the run's kernel label and\n"
		"clock unit and the metric's unit (results/README.md \"notibench export: one long\n"
		"table\"). --statistics recomputed (the default): n, median, p25, p75, min, max,\n"
		"mean, ci95_lo, ci95_hi recomputed from the samples; written: the CSV's summary\n"
		"rows as written (their kinds: median, p90, ..., with the digits they were written\n"
		"with), what scripts/summary and scripts/plot show; rows: every row of the CSV\n"
		"as it is, statistic `sample` for the sample rows (else the summary kind), the\n"
		"value empty when the field is, with two more columns: sample (the row's index\n"
		"among its configuration's samples, from 0; empty for a summary row) and line\n"
		"(its line in the CSV). Default: CSV on standard output; tsv: the same table\n"
		"tab-separated without quoting, control characters (tabs) as '?', for the\n"
		"scripts' awk. --out writes FILE whole or not at all.\n"
		"\n"
		"meta: `FILE<TAB>KEY<TAB>VALUE` per metadata line (`# key: value`) of each CSV,\n"
		"control characters as '?'; a line before the header that is not `# key: value`\n"
		"is refused (exit 2, file and line).\n"
		"\n"
		"summary-tsv, histogram-tsv: the tab-separated tables scripts/summary and\n"
		"scripts/plot format, the inputs taken as one run numbered N (default 1): one line\n"
		"per item and configuration (or range-size bucket), from the summary rows as\n"
		"written, repetitions pooled (results/README.md \"For the scripts\").\n"
		"\n"
		"Exit status: 0 ok, 1 a failed write, 2 bad usage or a malformed input.\n");
}

__attribute__((format(printf, 1, 2)))
static int fail_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "notibench export: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return 2;
}

/* Data: a control character (newline, escape) is shown as '?'. */
static char *sanitized(const char *s)
{
	char *d = strdup(s);

	for (char *c = d; c && *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return d;
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* The last component of path, trailing slashes ignored (allocated). */
static char *last_name(const char *path)
{
	size_t len = strlen(path);
	const char *b;
	char *t, *r;

	while (len > 1 && path[len - 1] == '/')
		len--;
	t = strndup(path, len);
	if (!t)
		return NULL;
	b = strrchr(t, '/');
	r = sanitized(b && b[1] ? b + 1 : t);
	free(t);
	return r;
}

/* The directory holding path (allocated): "." when it names none. */
static char *dir_of(const char *path)
{
	const char *s = strrchr(path, '/');

	if (!s)
		return strdup(".");
	return s == path ? strdup("/") : strndup(path, (size_t)(s - path));
}

/* A clock_unit value: "ns" or "insn" (static); absent is ns; NULL for anything else. */
static const char *unit_of(const char *v)
{
	return !v ? "ns" : !strcmp(v, "ns") ? "ns" : !strcmp(v, "insn") ? "insn" : NULL;
}

/*
 * bench/all's run.meta in dir, when there is one: its kernel_label and
 * clock_unit (allocated, NULL when absent). A missing run.meta is no error
 * (a directory of CSVs need not be bench/all's). 0, or -1 on ENOMEM.
 */
static int read_run_meta(const char *dir, char **label, char **unit)
{
	char path[PATH_MAX], *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int ret = 0;
	FILE *f;

	*label = *unit = NULL;
	snprintf(path, sizeof(path), "%s/run.meta", dir);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (!ret && (len = getline(&line, &cap, f)) >= 0) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (!strncmp(line, "kernel_label: ", 14) && !*label)
			ret = (*label = sanitized(line + 14)) ? 0 : -1;
		else if (!strncmp(line, "clock_unit: ", 12) && !*unit)
			ret = (*unit = sanitized(line + 12)) ? 0 : -1;
	}
	free(line);
	fclose(f);
	return ret;
}

/*
 * The item id: `# item:`, else the file name without its directory, .csv and
 * a repetition's .rN (bench/all --repeat; the file column tells them apart).
 */
static char *item_of(const struct csv_file *f, const char *path)
{
	const char *v = csv_meta_get(f, "item");
	char *name, *dot;

	if (v && *v)
		return sanitized(v);
	name = last_name(path);
	dot = name ? strrchr(name, '.') : NULL;
	if (dot && !strcmp(dot, ".csv"))
		*dot = '\0';
	dot = name ? strrchr(name, '.') : NULL;
	if (dot && dot[1] == 'r' && dot[2] && strspn(dot + 2, "0123456789") == strlen(dot + 2))
		*dot = '\0';
	return name;
}

/*
 * Reads path (a CSV) as part of run, whose run.meta said meta_label and
 * meta_unit (or NULL). 0, 1 when it is not a notibench CSV (err says so), -1
 * on a malformed one.
 */
static int add_file(struct ex *ex, const char *path, const char *run, const char *meta_label,
		    const char *meta_unit)
{
	struct ex_file *t = realloc(ex->v, (ex->n + 1) * sizeof(*t)), *x;
	const char *v;

	if (!t)
		goto nomem;
	ex->v = t;
	x = &t[ex->n];
	memset(x, 0, sizeof(*x));
	switch (csv_read_all(path, &x->f, ex->err, sizeof(ex->err))) {
	case CSV_READ_OK:
		break;
	case CSV_READ_NOT_NOTIBENCH:
		return 1;
	case CSV_READ_ERROR:
		return -1;
	}
	ex->n++;
	v = csv_meta_get(&x->f, "clock_unit");
	x->unit = unit_of(v ? v : meta_unit);
	if (!x->unit) {
		snprintf(ex->err, sizeof(ex->err), "%s: clock_unit '%.64s' is neither ns nor insn",
			 v ? path : "run.meta", v ? v : meta_unit);
		return -1;
	}
	v = csv_meta_get(&x->f, "kernel_label");
	if (!v || !*v)
		v = meta_label;
	if (!v || !*v)
		v = csv_meta_get(&x->f, "kernel_release");
	x->label = strdup(v ? v : "");
	x->run = strdup(run);
	x->item = item_of(&x->f, path);
	x->file = last_name(path);
	if (x->label && x->run && x->item && x->file)
		return 0;
nomem:
	snprintf(ex->err, sizeof(ex->err), "%s: out of memory", path);
	return -1;
}

static bool is_csv_name(const char *name)
{
	size_t len = strlen(name);

	return name[0] != '.' && len > 4 && !strcmp(name + len - 4, ".csv");
}

/* A run directory: its CSVs in version order (x.r2.csv before x.r10.csv). */
static int add_dir(struct ex *ex, const char *dir, const char *run, const char *label,
		   const char *unit)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, versionsort), ret = 0, found = 0;
	char path[PATH_MAX];
	struct stat st;

	if (n < 0) {
		snprintf(ex->err, sizeof(ex->err), "%s: %s", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;

		if (!ret && is_csv_name(name) && has_control(name)) {
			char *shown = sanitized(name);

			snprintf(ex->err, sizeof(ex->err), "%s: a file name with a control character "
				 "(newline, tab, ...): %s (shown with ?): not reading it", dir,
				 shown ? shown : "");
			free(shown);
			ret = -1;
		}
		if (!ret && is_csv_name(name)) {
			snprintf(path, sizeof(path), "%s/%s", dir, name);
			if (!stat(path, &st) && S_ISREG(st.st_mode)) {
				ret = add_file(ex, path, run, label, unit);
				if (ret == 1) {
					fprintf(stderr, "notibench export: ignoring %s: not a notibench "
						"CSV\n", path);
					ret = 0;
				} else if (!ret) {
					found++;
				}
			}
		}
		free(names[i]);
	}
	free(names);
	if (!ret && !found) {
		snprintf(ex->err, sizeof(ex->err), "%s: a directory without notibench CSVs "
			 "(<item-id>.csv)", dir);
		ret = -1;
	}
	return ret;
}

/* One argument: a run directory, or a CSV (its run is its directory). */
static int add_arg(struct ex *ex, const char *path)
{
	char *dir, *run = NULL, *label = NULL, *unit = NULL, real[PATH_MAX];
	struct stat st;
	int ret = -1;

	if (stat(path, &st)) {
		snprintf(ex->err, sizeof(ex->err), "%s: %s", path, strerror(errno));
		return -1;
	}
	dir = S_ISDIR(st.st_mode) ? strdup(path) : dir_of(path);
	if (dir)
		run = last_name(realpath(dir, real) ? real : dir);
	if (!dir || !run || read_run_meta(dir, &label, &unit)) {
		snprintf(ex->err, sizeof(ex->err), "%s: out of memory", path);
	} else if (S_ISDIR(st.st_mode)) {
		ret = add_dir(ex, dir, run, label, unit);
	} else {
		ret = add_file(ex, path, run, label, unit);
		if (ret == 1)
			ret = -1;	/* named on the command line: refused */
	}
	free(dir);
	free(run);
	free(label);
	free(unit);
	return ret;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && !strcmp(s + ls - lx, suffix);
}

/*
 * A column's unit: the clock's for times (wall ns, or guest instructions in
 * exact mode), bytes, ops, or "" for counts and ratios (results/README.md's
 * column table says which).
 */
static const char *metric_unit(const char *name, const char *clock)
{
	if (ends_with(name, "_ns") || !strncmp(name, "ns_per_", 7) || strstr(name, "_ns_per_"))
		return clock;
	if (ends_with(name, "_bytes") || strstr(name, "_bytes_"))
		return "bytes";
	if (!strcmp(name, "nops"))
		return "ops";
	return "";
}

static bool is_metric(const char *name)
{
	if (csv_column_is_text(name))
		return false;
	for (size_t i = 0; i < sizeof(skipped) / sizeof(skipped[0]); i++)
		if (!strcmp(name, skipped[i]))
			return false;
	return true;
}

/* Integers as they are, other numbers with 10 significant digits (as bench/csv.c). */
static void put_number(FILE *out, double v)
{
	if (v == floor(v) && fabs(v) < 1e15)
		fprintf(out, "%.0f", v);
	else
		fprintf(out, "%.10g", v);
}

/* The length of the valid UTF-8 sequence at s, or 0. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n = *s >= 0xf0 && *s <= 0xf4 ? 4 : *s >= 0xe0 ? 3 : *s >= 0xc2 && *s < 0xe0 ? 2 : 0;

	if (*s >= 0xf5)
		n = 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* A JSON string: quotes, backslashes and control characters escaped, bad UTF-8 as '?'. */
static void put_json_string(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', out);
	while (*p) {
		if (*p == '"' || *p == '\\') {
			fprintf(out, "\\%c", *p++);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(out, "\\u%04x", *p++);
		} else if (*p < 0x80) {
			fputc(*p++, out);
		} else {
			size_t n = utf8_len(p);

			if (n) {
				fwrite(p, 1, n, out);
				p += n;
			} else {
				fputc('?', out);
				p++;
			}
		}
	}
	fputc('"', out);
}

/* A value, or empty (JSON null) for none. */
static void put_value(FILE *out, bool json, double v)
{
	if (!isnan(v))
		put_number(out, v);
	else if (json)
		fputs("null", out);
}

static void put_row(FILE *out, bool json, const struct ex_row *r, bool first)
{
	const char *s[NCOLUMNS] = { r->run, r->label, r->clock, r->item, r->file, r->bench,
				    r->config, r->metric, r->stat, NULL, r->unit };

	if (json)
		fputs(first ? "\n{" : ",\n{", out);
	for (size_t i = 0; i < NCOLUMNS; i++) {
		if (json) {
			fprintf(out, "%s\"%s\":", i ? "," : "", columns[i]);
			if (s[i])
				put_json_string(out, s[i]);
		} else {
			if (i)
				fputc(r->tsv ? '\t' : ',', out);
			if (s[i] && r->tsv)
				tsv_put_field(out, s[i]);
			else if (s[i])
				csv_put_field(out, s[i]);
		}
		if (!s[i])
			put_value(out, json, r->value);
	}
	if (r->rows && json && r->sample >= 0)
		fprintf(out, ",\"sample\":%ld,\"line\":%zu", r->sample, r->line);
	else if (r->rows && json)
		fprintf(out, ",\"sample\":null,\"line\":%zu", r->line);
	else if (r->rows && r->sample >= 0)
		fprintf(out, r->tsv ? "\t%ld\t%zu" : ",%ld,%zu", r->sample, r->line);
	else if (r->rows)
		fprintf(out, r->tsv ? "\t\t%zu" : ",,%zu", r->line);
	fputs(json ? "}" : "\n", out);
}

/* The rows of one configuration's metric: its statistics, none when it has no value. */
static int put_metric(FILE *out, bool json, struct ex_row *r, const struct csv_config *c,
		      size_t col, size_t ncol, bool *first)
{
	static const char *const q_names[] = { "median", "p25", "p75" };
	static const double q[] = { 0.5, 0.25, 0.75 };
	double *x = malloc((c->rows ? c->rows : 1) * sizeof(*x)), coverage;
	size_t n = 0, lo, hi;

	if (!x)
		return -1;
	for (size_t i = 0; i < c->rows; i++)
		if (!isnan(c->all[i * ncol + col]))
			x[n++] = c->all[i * ncol + col];
	if (n) {
		stats_sort(x, n);
		r->stat = "n";
		r->value = (double)n;
		put_row(out, json, r, *first);
		*first = false;
		for (size_t i = 0; i < 3; i++) {
			r->stat = q_names[i];
			r->value = stats_quantile_sorted(x, n, q[i]);
			put_row(out, json, r, false);
		}
		r->stat = "min";
		r->value = x[0];
		put_row(out, json, r, false);
		r->stat = "max";
		r->value = x[n - 1];
		put_row(out, json, r, false);
		r->stat = "mean";
		r->value = stats_mean(x, n);
		put_row(out, json, r, false);
		/* The CSV's ci95_lo/ci95_hi: [min, max] below 6 samples (the ranks say so). */
		stats_median_ci_ranks(n, STATS_CI_LEVEL, &lo, &hi, &coverage);
		r->stat = "ci95_lo";
		r->value = x[lo - 1];
		put_row(out, json, r, false);
		r->stat = "ci95_hi";
		r->value = x[hi - 1];
		put_row(out, json, r, false);
	}
	free(x);
	return 0;
}

/*
 * A sweep's fit (`# sweep.N.<name>:` keys, CSVs from 2026-12 on) as rows of
 * the sweep's group: metric sweep.<name>, statistic `fit`. The intercept is
 * a time; the slopes are time per unit of configured cost, counts or ratios.
 */
static void put_sweeps(FILE *out, bool json, struct ex_row *r, const struct csv_file *f,
		       bool *first)
{
	char key[64], metric[96];

	for (unsigned int i = 0; i < 64; i++) {
		const char *group, *p;
		size_t plen;

		snprintf(key, sizeof(key), "sweep.%u.group", i);
		group = csv_meta_get(f, key);
		if (!group)
			return;
		plen = (size_t)snprintf(key, sizeof(key), "sweep.%u.", i);
		r->config = group;
		r->stat = "fit";
		for (size_t m = 0; m < f->nmeta; m++) {
			char *end;

			if (strncmp(f->meta[m].key, key, plen))
				continue;
			p = f->meta[m].key + plen;
			errno = 0;
			r->value = strtod(f->meta[m].val, &end);
			if (end == f->meta[m].val || *end || errno || !isfinite(r->value))
				continue;	/* group, units, words: not numbers */
			snprintf(metric, sizeof(metric), "sweep.%s", p);
			r->metric = metric;
			r->unit = !strcmp(p, "intercept") ? r->clock : "";
			put_row(out, json, r, *first);
			*first = false;
		}
	}
}

/* The rows of one configuration's metric from its summary rows as written, in file order. */
static void put_written(FILE *out, bool json, struct ex_row *r, const struct csv_config *c,
			size_t col, size_t ncol, bool *first)
{
	for (size_t i = 0; i < c->nsum; i++) {
		if (isnan(c->sum[i * ncol + col]))
			continue;
		r->stat = c->sum_kind[i];
		r->value = c->sum[i * ncol + col];
		put_row(out, json, r, *first);
		*first = false;
	}
}

/*
 * --statistics rows: one row per row of the CSV of the configuration and
 * metric, the value empty when the field is (a row with every field empty
 * still shows), then the row's index among the configuration's samples (from
 * 0; empty for a summary row) and its line in the CSV. The sample rows
 * (statistic `sample`), then the summary rows (statistic: their kind).
 */
static void put_rows(FILE *out, bool json, struct ex_row *r, const struct csv_config *c,
		     size_t col, size_t ncol, bool *first)
{
	r->stat = "sample";
	for (size_t i = 0; i < c->rows; i++) {
		r->value = c->all[i * ncol + col];
		r->sample = (long)i;
		r->line = c->line[i];
		put_row(out, json, r, *first);
		*first = false;
	}
	for (size_t i = 0; i < c->nsum; i++) {
		r->stat = c->sum_kind[i];
		r->value = c->sum[i * ncol + col];
		r->sample = -1;
		r->line = c->sum_line[i];
		put_row(out, json, r, *first);
		*first = false;
	}
}

static int put_table(FILE *out, enum ex_format format, enum ex_stats stats,
		     const struct ex *ex)
{
	bool first = true, json = format == F_JSON, tsv = format == F_TSV;

	if (json)
		fprintf(out, "{\"notibench_export\":%d,\"rows\":[", EXPORT_VERSION);
	else
		for (size_t i = 0; i < NCOLUMNS; i++)
			fprintf(out, "%s%s", columns[i], i + 1 < NCOLUMNS ? (tsv ? "\t" : ",") :
				stats != S_ROWS ? "\n" : tsv ? "\tsample\tline\n" : ",sample,line\n");
	for (size_t k = 0; k < ex->n; k++) {
		const struct ex_file *x = &ex->v[k];
		const char *bench = csv_meta_get(&x->f, "benchmark");
		struct ex_row r = { .run = x->run, .label = x->label, .clock = x->unit,
				    .item = x->item, .file = x->file, .bench = bench ? bench : "",
				    .rows = stats == S_ROWS, .tsv = tsv };

		for (size_t c = 0; c < x->f.ncfg; c++) {
			r.config = x->f.cfg[c].label;
			for (size_t col = 0; col < x->f.ncol; col++) {
				if (!is_metric(x->f.col[col]))
					continue;
				r.metric = x->f.col[col];
				r.unit = metric_unit(r.metric, x->unit);
				if (stats == S_ROWS)
					put_rows(out, json, &r, &x->f.cfg[c], col, x->f.ncol,
						    &first);
				else if (stats == S_WRITTEN)
					put_written(out, json, &r, &x->f.cfg[c], col, x->f.ncol, &first);
				else if (put_metric(out, json, &r, &x->f.cfg[c], col, x->f.ncol,
						    &first))
					return -1;
			}
		}
		if (stats != S_ROWS)
			put_sweeps(out, json, &r, &x->f, &first);
	}
	if (json)
		fputs("\n]}\n", out);
	return 0;
}

/*
 * --format meta: file, key and value of every metadata line, tab-separated,
 * control characters (tabs, escapes) as '?'. A line before the header that is
 * not `# key: value` was refused when the inputs were read.
 */
static int put_meta(FILE *out, const struct ex *ex)
{
	for (size_t k = 0; k < ex->n; k++) {
		const struct csv_file *f = &ex->v[k].f;

		for (size_t m = 0; m < f->nmeta; m++) {
			char *key = sanitized(f->meta[m].key), *val = sanitized(f->meta[m].val);

			if (key && val)
				fprintf(out, "%s\t%s\t%s\n", ex->v[k].file, key, val);
			free(key);
			free(val);
			if (!key || !val)
				return -1;
		}
	}
	return 0;
}

/* What is written, and how. */
struct ex_how {
	enum ex_format format;
	enum ex_stats stats;
	unsigned long run_id;
};

static int put_output(FILE *out, const struct ex_how *how, const struct ex *ex)
{
	switch (how->format) {
	case F_SUMMARY:
		return export_summary_tsv(out, ex->v, ex->n, how->run_id);
	case F_HISTOGRAM:
		return export_histogram_tsv(out, ex->v, ex->n, how->run_id);
	case F_META:
		return put_meta(out, ex);
	default:
		return put_table(out, how->format, how->stats, ex);
	}
}

/* Writes the table to path (NULL: standard output). 0, or 1 naming what failed. */
static int write_table(const char *path, const struct ex_how *how, const struct ex *ex)
{
	char *tmp = NULL;
	FILE *out = stdout;
	int fd, err = 0;

	if (path) {
		if (asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0) {
			fprintf(stderr, "notibench export: %s: out of memory\n", path);
			return 1;
		}
		fd = mkstemp(tmp);
		out = fd < 0 ? NULL : fdopen(fd, "w");
		if (!out) {
			fprintf(stderr, "notibench export: %s: %s\n", path, strerror(errno));
			if (fd >= 0) {
				close(fd);
				unlink(tmp);
			}
			free(tmp);
			return 1;
		}
	}
	if (put_output(out, how, ex))
		err = ENOMEM;
	if (fflush(out) || ferror(out))
		err = err ? err : errno ? errno : EIO;
	if (path) {
		if (fsync(fileno(out)) && !err)
			err = errno;
		if (fclose(out) && !err)
			err = errno;
		if (!err && rename(tmp, path))
			err = errno;
		if (err)
			unlink(tmp);
	}
	free(tmp);
	if (err) {
		fprintf(stderr, "notibench export: %s: %s\n", path ? path : "standard output",
			strerror(err));
		return 1;
	}
	return 0;
}

/* --name VALUE or --name=VALUE at argv[*i]: the value, or NULL when argv[*i] is not it. */
static const char *option(int argc, char **argv, int *i, const char *name, bool *missing)
{
	size_t len = strlen(name);

	if (strncmp(argv[*i], name, len))
		return NULL;
	if (argv[*i][len] == '=')
		return argv[*i] + len + 1;
	if (argv[*i][len])
		return NULL;
	if (*i + 1 >= argc) {
		*missing = true;
		return NULL;
	}
	return argv[++*i];
}

int cmd_export(int argc, char **argv)
{
	const char *out = NULL, *format = "csv", *stats = "recomputed", *run_id = "1", *v;
	static const char *const formats[] = { "csv", "json", "summary-tsv", "histogram-tsv",
					       "meta", "tsv" };
	struct ex_how how = { .format = F_CSV };
	struct ex ex = { 0 };
	char *end;
	bool missing = false, opts = true;
	int ninputs = 0, ret = 0;

	for (int i = 0; i < argc; i++) {
		if (opts && (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))) {
			usage(stdout);
			return 0;
		}
		if (opts && !strcmp(argv[i], "--")) {
			opts = false;
		} else if (opts && (v = option(argc, argv, &i, "--format", &missing))) {
			format = v;
		} else if (opts && (v = option(argc, argv, &i, "--out", &missing))) {
			out = v;
		} else if (opts && (v = option(argc, argv, &i, "--statistics", &missing))) {
			stats = v;
		} else if (opts && (v = option(argc, argv, &i, "--run-id", &missing))) {
			run_id = v;
		} else if (missing) {
			return fail_usage("%s needs a value", argv[i]);
		} else if (opts && argv[i][0] == '-' && argv[i][1]) {
			usage(stderr);
			return fail_usage("unknown option '%s'", argv[i]);
		} else {
			argv[ninputs++] = argv[i];
		}
	}
	while (how.format <= F_TSV && strcmp(format, formats[how.format]))
		how.format++;
	if (how.format > F_TSV)
		return fail_usage("--format: '%s' is not csv, json, tsv, summary-tsv, histogram-tsv "
				  "or meta", format);
	if (!strcmp(stats, "written"))
		how.stats = S_WRITTEN;
	else if (!strcmp(stats, "rows"))
		how.stats = S_ROWS;
	else if (strcmp(stats, "recomputed"))
		return fail_usage("--statistics: '%s' is not recomputed, written or rows", stats);
	errno = 0;
	how.run_id = strtoul(run_id, &end, 10);
	if (!isdigit((unsigned char)*run_id) || *end || errno)
		return fail_usage("--run-id: '%s' is not a number", run_id);
	if (out && !*out)
		return fail_usage("--out: an empty file name");
	if (!ninputs) {
		usage(stderr);
		return fail_usage("no run directory or CSV given");
	}
	for (int i = 0; i < ninputs && !ret; i++)
		if (add_arg(&ex, argv[i])) {
			fprintf(stderr, "notibench export: %s\n", ex.err);
			ret = 2;
		}
	for (size_t k = 0; k < ex.n && !ret && how.format == F_META; k++)
		if (ex.v[k].f.bad_meta_line) {
			fprintf(stderr, "notibench export: %s:%zu: a line before the header that is "
				"not '# key: value'\n", ex.v[k].f.path, ex.v[k].f.bad_meta_line);
			ret = 2;
		}
	if (!ret)
		ret = write_table(out, &how, &ex);
	for (size_t k = 0; k < ex.n; k++) {
		csv_file_free(&ex.v[k].f);
		free(ex.v[k].run);
		free(ex.v[k].item);
		free(ex.v[k].file);
		free(ex.v[k].label);
	}
	free(ex.v);
	return ret;
}
