// SPDX-License-Identifier: GPL-2.0
/* Reading a notibench CSV back; see csv_read.h and results/README.md. */
#include "csv_read.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CSV_READ_VERSION "1"

/*
 * notibench's longest line is a few KiB (a histogram column): a longer one is
 * not its output, and refusing it keeps every later reader (awk) fast.
 */
#define CSV_READ_MAX_LINE 65536

/* check mode: the columns plot and summary read as numbers, in every data row. */
static const char *const numeric_columns[] = {
	"round", "seq", "sample", "nops", "ns_per_op", "ns_per_call", "nb_ranges_per_call",
	"kvm_unmap_hva_range_per_call", "nb_charged_calls", "nb_capped_per_op",
};
#define NUMERIC_N (sizeof(numeric_columns) / sizeof(numeric_columns[0]))

static const char *const header_start[] = { "kind", "config", "round", "seq", "sample" };
#define HEADER_START_N (sizeof(header_start) / sizeof(header_start[0]))

__attribute__((format(printf, 3, 4)))
static void set_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/*
 * Splits line in place into RFC 4180 fields (a quoted field may hold commas
 * and doubled quotes; notibench never writes newlines inside one). *fields
 * is grown as needed. The number of fields, or -1 on an unbalanced quote.
 */
static long split_fields(char *line, char ***fields, size_t *cap)
{
	size_t n = 0;
	char *r = line, *w;

	for (;;) {
		if (n == *cap) {
			size_t c = *cap ? 2 * *cap : 64;
			char **t = realloc(*fields, c * sizeof(*t));

			if (!t)
				return -1;
			*fields = t;
			*cap = c;
		}
		(*fields)[n++] = w = r;
		if (*r == '"') {
			for (r++;; r++) {
				if (!*r)
					return -1;
				if (*r == '"') {
					if (r[1] != '"')
						break;
					r++;
				}
				*w++ = *r;
			}
			r++;			/* closing quote */
			if (*r && *r != ',')
				return -1;
		} else {
			while (*r && *r != ',')
				*w++ = *r++;
		}
		if (!*r) {
			*w = '\0';
			return (long)n;
		}
		*w = '\0';
		r++;				/* the comma */
	}
}

static struct csv_config *config_get(struct csv_file *f, const char *label)
{
	struct csv_config *t;

	for (size_t i = 0; i < f->ncfg; i++)
		if (!strcmp(f->cfg[i].label, label))
			return &f->cfg[i];
	t = realloc(f->cfg, (f->ncfg + 1) * sizeof(*t));
	if (!t)
		return NULL;
	f->cfg = t;
	t = &f->cfg[f->ncfg];
	memset(t, 0, sizeof(*t));
	t->label = strdup(label);
	if (!t->label)
		return NULL;
	f->ncfg++;
	return t;
}

static int config_add(struct csv_config *c, double v)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 32;
		double *t = realloc(c->v, cap * sizeof(*t));

		if (!t)
			return -1;
		c->v = t;
		c->cap = cap;
	}
	c->v[c->n++] = v;
	return 0;
}

static int meta_add(struct csv_file *f, const char *line)
{
	const char *colon = strchr(line, ':');
	struct csv_meta *t = realloc(f->meta, (f->nmeta + 1) * sizeof(*t));

	if (!t)
		return -1;
	f->meta = t;
	t = &f->meta[f->nmeta];
	if (colon) {
		t->key = strndup(line, (size_t)(colon - line));
		t->val = strdup(colon[1] == ' ' ? colon + 2 : colon + 1);
	} else {
		t->key = strdup(line);
		t->val = strdup("");
	}
	if (!t->key || !t->val) {
		free(t->key);
		free(t->val);
		return -1;
	}
	f->nmeta++;
	return 0;
}

/* A whole, finite number. */
static int parse_number(const char *s, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	return end == s || *end || errno == ERANGE || !isfinite(*v) ? -1 : 0;
}

/* What csv_read() keeps from line to line. */
struct reader {
	const char *path, *column;
	struct csv_file *f;
	char **fld;		/* the current line's fields */
	size_t fcap, lineno;
	long nhdr, col;		/* fields of the header (-1 before it); the column's index or -1 */
	char *err;
	size_t errlen;
	/* check mode (csv_check): every data row's numeric columns, the summary rows */
	bool check;
	long num_col[NUMERIC_N];	/* their indexes, -1 when absent */
	size_t nrows;			/* data rows */
	char **sampled;			/* configurations with sample rows, and with a median */
	bool *has_median;
	size_t nsampled;
	bool all;			/* csv_read_all(): every column */
	bool *text;			/* which columns are text */
};

static enum csv_read_status nomem(struct reader *rd)
{
	set_err(rd->err, rd->errlen, "%s: out of memory", rd->path);
	return CSV_READ_ERROR;
}

static enum csv_read_status check_signature(struct reader *rd, const char *line)
{
	const char *sig = "# notibench_csv:", *ver = line + strlen(sig);

	if (strncmp(line, sig, strlen(sig))) {
		set_err(rd->err, rd->errlen, "%s:1: not a notibench CSV (the first line is not "
			"'# notibench_csv: %s')", rd->path, CSV_READ_VERSION);
		return CSV_READ_NOT_NOTIBENCH;
	}
	if (strcmp(ver, " " CSV_READ_VERSION)) {
		set_err(rd->err, rd->errlen, "%s:1: notibench CSV version '%s'; this reads version %s",
			rd->path, ver + (*ver == ' '), CSV_READ_VERSION);
		return CSV_READ_ERROR;
	}
	return CSV_READ_OK;
}

bool csv_column_is_text(const char *name)
{
	size_t len = strlen(name);

	return !strcmp(name, "kind") || !strcmp(name, "config") ||
	       (len >= 5 && !strcmp(name + len - 5, "_hist"));
}

/* all mode: the column names, and which are text. */
static enum csv_read_status keep_header(struct reader *rd, long nf)
{
	struct csv_file *f = rd->f;

	f->col = calloc((size_t)nf, sizeof(*f->col));
	rd->text = calloc((size_t)nf, sizeof(*rd->text));
	if (!f->col || !rd->text)
		return nomem(rd);
	for (long i = 0; i < nf; i++) {
		f->col[i] = strdup(rd->fld[i]);
		if (!f->col[i])
			return nomem(rd);
		f->ncol++;
		rd->text[i] = csv_column_is_text(rd->fld[i]);
	}
	return CSV_READ_OK;
}

/* all mode: the numeric fields of the current row into v (NAN when empty or text). */
static enum csv_read_status parse_row(struct reader *rd, double *v)
{
	for (size_t i = 0; i < rd->f->ncol; i++) {
		const char *field = rd->fld[i];

		v[i] = NAN;
		if (rd->text[i] || !*field)
			continue;
		if (parse_number(field, &v[i])) {
			set_err(rd->err, rd->errlen, "%s:%zu: column %s: '%.64s' is not a number",
				rd->path, rd->lineno, rd->f->col[i], field);
			return CSV_READ_ERROR;
		}
	}
	return CSV_READ_OK;
}

/* all mode: a sample row's every column, appended to c->all, c->line and c->text. */
static enum csv_read_status keep_row(struct reader *rd, struct csv_config *c)
{
	size_t ncol = rd->f->ncol, r = c->rows - 1;
	double *t = realloc(c->all, c->rows * ncol * sizeof(*t));
	size_t *l = t ? realloc(c->line, c->rows * sizeof(*l)) : NULL;
	char **x = l ? realloc(c->text, c->rows * ncol * sizeof(*x)) : NULL;

	c->all = t ? t : c->all;
	c->line = l ? l : c->line;
	if (!x) {
		c->rows--;	/* c->text still holds the rows before this one */
		return nomem(rd);
	}
	c->text = x;
	c->line[r] = rd->lineno;
	x += r * ncol;
	memset(x, 0, ncol * sizeof(*x));
	/* kind and config are known; the other text columns are the histograms */
	for (size_t i = 2; i < ncol; i++)
		if (rd->text[i] && *rd->fld[i] && !(x[i] = strdup(rd->fld[i])))
			return nomem(rd);
	return parse_row(rd, t + r * ncol);
}

/* all mode: a summary row as written, appended to c->sum_kind and c->sum. */
static enum csv_read_status keep_summary(struct reader *rd)
{
	struct csv_config *c = config_get(rd->f, rd->fld[1]);
	size_t ncol = rd->f->ncol;
	char **k = c ? realloc(c->sum_kind, (c->nsum + 1) * sizeof(*k)) : NULL;
	double *t;
	size_t *l;

	if (!k)
		return nomem(rd);
	c->sum_kind = k;
	t = realloc(c->sum, (c->nsum + 1) * ncol * sizeof(*t));
	if (!t)
		return nomem(rd);
	c->sum = t;
	l = realloc(c->sum_line, (c->nsum + 1) * sizeof(*l));
	if (!l)
		return nomem(rd);
	c->sum_line = l;
	l[c->nsum] = rd->lineno;
	k[c->nsum] = strdup(rd->fld[0]);
	if (!k[c->nsum])
		return nomem(rd);
	c->nsum++;
	return parse_row(rd, t + (c->nsum - 1) * ncol);
}

static enum csv_read_status read_header(struct reader *rd, long nf)
{
	for (size_t i = 0; i < HEADER_START_N; i++)
		if (i >= (size_t)nf || strcmp(rd->fld[i], header_start[i])) {
			set_err(rd->err, rd->errlen, "%s:%zu: not a notibench header (it must start "
				"with kind,config,round,seq,sample)", rd->path, rd->lineno);
			return CSV_READ_ERROR;
		}
	rd->nhdr = nf;
	for (size_t k = 0; k < NUMERIC_N; k++)
		rd->num_col[k] = -1;
	for (long i = 0; i < nf; i++) {
		if (!strcmp(rd->fld[i], rd->column))
			rd->col = i;
		for (size_t k = 0; k < NUMERIC_N; k++)
			if (!strcmp(rd->fld[i], numeric_columns[k]))
				rd->num_col[k] = i;
	}
	rd->f->has_column = rd->col >= 0;
	return rd->all ? keep_header(rd, nf) : CSV_READ_OK;
}

/* check mode: notes that config has sample rows, or (median) a median row. */
static enum csv_read_status note_config(struct reader *rd, const char *config, bool median)
{
	size_t i;

	for (i = 0; i < rd->nsampled && strcmp(rd->sampled[i], config); i++)
		;
	if (i == rd->nsampled) {
		char **t = realloc(rd->sampled, (i + 1) * sizeof(*t));
		bool *m;

		if (!t)
			return nomem(rd);
		rd->sampled = t;
		m = realloc(rd->has_median, (i + 1) * sizeof(*m));
		if (!m)
			return nomem(rd);
		rd->has_median = m;
		rd->sampled[i] = strdup(config);
		if (!rd->sampled[i])
			return nomem(rd);
		rd->has_median[i] = false;
		rd->nsampled++;
	}
	rd->has_median[i] |= median;
	return CSV_READ_OK;
}

/* check mode: the numeric columns of a data row are numbers (or empty). */
static enum csv_read_status check_row(struct reader *rd)
{
	const char *kind = rd->fld[0];
	double v;

	rd->nrows++;
	for (size_t k = 0; k < NUMERIC_N; k++) {
		const char *field = rd->num_col[k] >= 0 ? rd->fld[rd->num_col[k]] : "";

		if (*field && parse_number(field, &v)) {
			set_err(rd->err, rd->errlen, "%s:%zu: column %s: '%.64s' is not a number",
				rd->path, rd->lineno, numeric_columns[k], field);
			return CSV_READ_ERROR;
		}
	}
	if (!strcmp(kind, "sample") || !strcmp(kind, "median"))
		return note_config(rd, rd->fld[1], !strcmp(kind, "median"));
	return CSV_READ_OK;
}

/* A row after the header: keeps the column of `sample` rows. */
static enum csv_read_status read_row(struct reader *rd, long nf)
{
	struct csv_config *c;
	const char *field;
	enum csv_read_status st;
	double v;

	if (nf != rd->nhdr) {
		set_err(rd->err, rd->errlen, "%s:%zu: %ld fields, the header has %ld", rd->path,
			rd->lineno, nf, rd->nhdr);
		return CSV_READ_ERROR;
	}
	if (rd->check && (st = check_row(rd)) != CSV_READ_OK)
		return st;
	if (strcmp(rd->fld[0], "sample"))	/* summary rows: recomputed from the samples */
		return rd->all ? keep_summary(rd) : CSV_READ_OK;
	c = config_get(rd->f, rd->fld[1]);
	if (!c)
		return nomem(rd);
	c->rows++;
	if (rd->all && (st = keep_row(rd, c)) != CSV_READ_OK)
		return st;
	field = rd->col >= 0 ? rd->fld[rd->col] : "";
	if (!*field)
		return CSV_READ_OK;	/* empty: unavailable */
	if (parse_number(field, &v)) {
		set_err(rd->err, rd->errlen, "%s:%zu: column %s: '%.64s' is not a number", rd->path,
			rd->lineno, rd->column, field);
		return CSV_READ_ERROR;
	}
	return config_add(c, v) ? nomem(rd) : CSV_READ_OK;
}

/* `# key: value` or `# key:`, a key without a colon (results/README.md's metadata). */
static bool meta_line_ok(const char *line)
{
	const char *colon = strchr(line, ':');

	return line[1] == ' ' && colon && colon > line + 2 && (!colon[1] || colon[1] == ' ');
}

static enum csv_read_status read_line(struct reader *rd, char *line, size_t len)
{
	enum csv_read_status st;
	long nf;

	if (rd->lineno == 1 && (st = check_signature(rd, line)) != CSV_READ_OK)
		return st;
	if (rd->nhdr < 0 && line[0] == '#' && rd->lineno > 1 && !rd->f->bad_meta_line &&
	    !meta_line_ok(line))
		rd->f->bad_meta_line = rd->lineno;
	if (rd->nhdr < 0 && line[0] == '#')
		return meta_add(rd->f, line + 1 + (line[1] == ' ')) ? nomem(rd) : CSV_READ_OK;
	if (!len)
		return CSV_READ_OK;
	nf = split_fields(line, &rd->fld, &rd->fcap);
	if (nf < 0) {
		set_err(rd->err, rd->errlen, "%s:%zu: malformed CSV line (an unbalanced quote)",
			rd->path, rd->lineno);
		return CSV_READ_ERROR;
	}
	return rd->nhdr < 0 ? read_header(rd, nf) : read_row(rd, nf);
}

/* check mode, at the end: data rows, and a median for every sampled configuration. */
static enum csv_read_status check_end(struct reader *rd)
{
	if (!rd->nrows) {
		set_err(rd->err, rd->errlen, "%s:%zu: no data rows after the header (a truncated file?)",
			rd->path, rd->lineno);
		return CSV_READ_ERROR;
	}
	for (size_t i = 0; i < rd->nsampled; i++)
		if (!rd->has_median[i]) {
			set_err(rd->err, rd->errlen, "%s:%zu: configuration '%.200s' has samples but no "
				"median row (a truncated file?)", rd->path, rd->lineno, rd->sampled[i]);
			return CSV_READ_ERROR;
		}
	return CSV_READ_OK;
}

static enum csv_read_status read_file(struct reader *rd, FILE *in)
{
	enum csv_read_status st = CSV_READ_OK;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len = 0;
	bool newline = true;

	while (st == CSV_READ_OK && (len = getline(&line, &cap, in)) >= 0) {
		rd->lineno++;
		if (len > CSV_READ_MAX_LINE) {
			set_err(rd->err, rd->errlen, "%s:%zu: a line of %zd bytes, more than %d "
				"(not notibench's)", rd->path, rd->lineno, len, CSV_READ_MAX_LINE);
			st = rd->lineno == 1 ? CSV_READ_NOT_NOTIBENCH : CSV_READ_ERROR;
			break;
		}
		newline = line[len - 1] == '\n';
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		/* Data: a control character (an escape, a NUL) reaches no terminal or list. */
		for (ssize_t i = 0; i < len; i++)
			if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
				line[i] = '?';
		st = read_line(rd, line, (size_t)len);
	}
	free(line);
	if (st != CSV_READ_OK)
		return st;
	if (ferror(in)) {
		set_err(rd->err, rd->errlen, "%s: %s", rd->path, strerror(errno));
		return CSV_READ_ERROR;
	}
	if (rd->lineno == 0) {
		set_err(rd->err, rd->errlen, "%s:1: empty file, not a notibench CSV", rd->path);
		return CSV_READ_NOT_NOTIBENCH;
	}
	if (!newline) {
		/* notibench ends every line: the file was cut short. */
		set_err(rd->err, rd->errlen, "%s:%zu: the last line has no newline (a truncated "
			"file?)", rd->path, rd->lineno);
		return CSV_READ_ERROR;
	}
	if (rd->nhdr < 0) {
		set_err(rd->err, rd->errlen, "%s:%zu: no header line after the metadata", rd->path,
			rd->lineno);
		return CSV_READ_ERROR;
	}
	return rd->check ? check_end(rd) : CSV_READ_OK;
}

static enum csv_read_status read_path(const char *path, const char *column, struct csv_file *f,
				      char *err, size_t errlen, bool check, bool all)
{
	struct reader rd = { .path = path, .column = column, .f = f, .nhdr = -1, .col = -1,
			     .err = err, .errlen = errlen, .check = check, .all = all };
	enum csv_read_status st = CSV_READ_OK;
	FILE *in;

	memset(f, 0, sizeof(*f));
	in = fopen(path, "re");
	if (!in) {
		set_err(err, errlen, "%s: %s", path, strerror(errno));
		return CSV_READ_ERROR;
	}
	f->path = strdup(path);
	if (!f->path)
		st = nomem(&rd);
	if (st == CSV_READ_OK)
		st = read_file(&rd, in);
	for (size_t i = 0; i < rd.nsampled; i++)
		free(rd.sampled[i]);
	free(rd.sampled);
	free(rd.has_median);
	free(rd.fld);
	free(rd.text);
	fclose(in);
	if (st != CSV_READ_OK)
		csv_file_free(f);
	return st;
}

enum csv_read_status csv_read(const char *path, const char *column, struct csv_file *f,
			      char *err, size_t errlen)
{
	return read_path(path, column, f, err, errlen, false, false);
}

enum csv_read_status csv_read_all(const char *path, struct csv_file *f, char *err, size_t errlen)
{
	return read_path(path, "", f, err, errlen, true, true);
}

enum csv_read_status csv_check(const char *path, char *err, size_t errlen)
{
	struct csv_file f;
	enum csv_read_status st = read_path(path, "ns_per_op", &f, err, errlen, true, false);

	if (st == CSV_READ_OK)
		csv_file_free(&f);
	return st;
}

void csv_file_free(struct csv_file *f)
{
	for (size_t i = 0; i < f->nmeta; i++) {
		free(f->meta[i].key);
		free(f->meta[i].val);
	}
	for (size_t i = 0; i < f->ncfg; i++) {
		free(f->cfg[i].label);
		free(f->cfg[i].v);
		free(f->cfg[i].all);
		for (size_t r = 0; f->cfg[i].text && r < f->cfg[i].rows * f->ncol; r++)
			free(f->cfg[i].text[r]);
		free(f->cfg[i].text);
		free(f->cfg[i].line);
		for (size_t r = 0; r < f->cfg[i].nsum; r++)
			free(f->cfg[i].sum_kind[r]);
		free(f->cfg[i].sum_kind);
		free(f->cfg[i].sum);
		free(f->cfg[i].sum_line);
	}
	for (size_t i = 0; i < f->ncol; i++)
		free(f->col[i]);
	free(f->col);
	free(f->meta);
	free(f->cfg);
	free(f->path);
	memset(f, 0, sizeof(*f));
}

const char *csv_meta_get(const struct csv_file *f, const char *key)
{
	for (size_t i = 0; i < f->nmeta; i++)
		if (!strcmp(f->meta[i].key, key))
			return f->meta[i].val;
	return NULL;
}
