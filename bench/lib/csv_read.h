/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reads a notibench CSV (results/README.md) back: its metadata and, per
 * configuration, one numeric column of its `sample` rows. csv_read() ignores
 * the summary rows (a reader recomputes what it needs from the samples);
 * csv_read_all() keeps them too, as written. The file is data: a control
 * character in it (an escape, a NUL) is read as '?'.
 */
#ifndef NB_CSV_READ_H
#define NB_CSV_READ_H

#include <stdbool.h>
#include <stddef.h>

struct csv_meta {
	char *key, *val;
};

/* One configuration's samples of the column, in file order. */
struct csv_config {
	char *label;		/* the `config` field */
	double *v;		/* available values (empty fields left out) */
	size_t n, cap;
	size_t rows;		/* sample rows, with or without a value */
	/* csv_read_all(): each sample row's values of every column, rows x ncol, NAN if none */
	double *all;
	/* csv_read_all(): each sample row's line, and its text columns (rows x ncol, NULL if none) */
	size_t *line;
	char **text;
	/* csv_read_all(): the summary rows as written: kind, values (nsum x ncol, NAN if none), line */
	char **sum_kind;
	double *sum;
	size_t *sum_line;
	size_t nsum;
};

struct csv_file {
	char *path;
	struct csv_meta *meta;
	size_t nmeta;
	bool has_column;	/* the header names the column */
	struct csv_config *cfg;	/* in order of first appearance (csv_read_all: in any row) */
	size_t ncfg;
	char **col;		/* csv_read_all(): the header's column names */
	size_t ncol;
	/* the first line before the header that is not `# key: value` (or `# key:`), 0 if none */
	size_t bad_meta_line;
};

enum csv_read_status {
	CSV_READ_OK,
	CSV_READ_NOT_NOTIBENCH,	/* readable, but its first line is not `# notibench_csv: ...` */
	CSV_READ_ERROR,		/* unreadable, other version, malformed, a bad number */
};

/*
 * Reads path, keeping column `column` of the sample rows. On anything but
 * CSV_READ_OK, err says what and where ("file:line: ...") and f is empty.
 */
enum csv_read_status csv_read(const char *path, const char *column, struct csv_file *f,
			      char *err, size_t errlen);
void csv_file_free(struct csv_file *f);

/*
 * csv_read() and csv_check() in one, keeping every column of the sample rows
 * (f->col, and each configuration's `all`, `line` and `text`) and the summary
 * rows (`sum_kind`, `sum`): a value in any column but kind, config and the
 * `*_hist` text columns must be a number or empty.
 */
enum csv_read_status csv_read_all(const char *path, struct csv_file *f, char *err, size_t errlen);

/* True for a column whose values are text, not numbers (the `*_hist` histograms). */
bool csv_column_is_text(const char *name);

/*
 * What scripts/plot and scripts/summary need before their awk reads path:
 * csv_read's checks, and every data row's numeric columns (ns_per_op,
 * ns_per_call, nops, ...) numbers or empty, at least one data row, a median
 * row for every configuration with samples. CSV_READ_OK, or the status with
 * err ("file:line: reason").
 */
enum csv_read_status csv_check(const char *path, char *err, size_t errlen);

/* The value of metadata key, or NULL. */
const char *csv_meta_get(const struct csv_file *f, const char *key);

#endif /* NB_CSV_READ_H */
