// SPDX-License-Identifier: GPL-2.0
/*
 * Loading a RUN: one notibench CSV, or a run directory as bench/all writes
 * it (one <item-id>.csv per matrix item, or <item-id>.rN.csv per repeat N;
 * other files, hidden files and CSVs that are not notibench's are ignored).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "compare.h"

/* The item id of a CSV: its file name without .csv and without a .rN (repeat) suffix. */
static char *item_id_of(const char *path)
{
	const char *base = strrchr(path, '/'), *rep;
	size_t len;

	base = base ? base + 1 : path;
	len = strlen(base);
	if (len > 4 && !strcmp(base + len - 4, ".csv"))
		len -= 4;
	for (rep = base + len; rep > base && rep[-1] >= '0' && rep[-1] <= '9'; rep--)
		;
	if (rep < base + len && rep - base > 2 && rep[-1] == 'r' && rep[-2] == '.')
		len = (size_t)(rep - 2 - base);
	return strndup(base, len);
}

static int cmp_item(const void *a, const void *b)
{
	return strcmp(((const struct run_item *)a)->id, ((const struct run_item *)b)->id);
}

/* Records why repeat k failed, unless an earlier failure is recorded. -1 on ENOMEM. */
static int set_fail(struct run_item *it, size_t k, const char *fmt, const char *a, const char *b)
{
	if (it->fail && it->fail_rep <= k)
		return 0;
	free(it->fail);
	if (asprintf(&it->fail, fmt, a, b) < 0) {
		it->fail = NULL;
		return -1;
	}
	it->fail_rep = k;
	return 0;
}

/* Repeat k's own verdict: `# check: FAILED`, with its first failure. */
static int check_failed(struct run_item *it, size_t k)
{
	const struct csv_file *f = &it->rep[k];
	const char *check = csv_meta_get(f, "check"), *first;

	if (!check || strncmp(check, "FAILED", 6))
		return 0;
	first = csv_meta_get(f, "check_first_failure");
	if (!first)
		first = csv_meta_get(f, "check_failures");
	return set_fail(it, k, "self-check FAILED%s%s", first ? ": " : "", first ? first : "");
}

/*
 * Reads path into the run: a new item, or the next repeat of an item read
 * before. CSV_READ_NOT_NOTIBENCH and errors are returned with err.
 */
static enum csv_read_status add_file(struct run *r, const char *path, const char *metric,
				     char *err, size_t errlen)
{
	struct run_item *it = NULL;
	struct csv_file f, *reps;
	enum csv_read_status st = csv_read(path, metric, &f, err, errlen);
	char *id;

	if (st != CSV_READ_OK)
		return st;
	id = item_id_of(path);
	if (!id)
		goto nomem;
	for (size_t i = 0; i < r->nitems && !it; i++)
		if (!strcmp(r->items[i].id, id))
			it = &r->items[i];
	if (!it) {
		it = realloc(r->items, (r->nitems + 1) * sizeof(*it));
		if (!it)
			goto nomem;
		r->items = it;
		it = &r->items[r->nitems++];
		memset(it, 0, sizeof(*it));
		it->id = id;
		id = NULL;
	}
	free(id);
	reps = realloc(it->rep, (it->nrep + 1) * sizeof(*reps));
	if (!reps)
		goto nomem;
	it->rep = reps;
	it->rep[it->nrep++] = f;
	if (check_failed(it, it->nrep - 1)) {
		snprintf(err, errlen, "%s: out of memory", path);
		return CSV_READ_ERROR;
	}
	return CSV_READ_OK;
nomem:
	free(id);
	csv_file_free(&f);
	snprintf(err, errlen, "%s: out of memory", path);
	return CSV_READ_ERROR;
}

static bool is_csv_name(const char *name)
{
	size_t len = strlen(name);

	return name[0] != '.' && len > 4 && !strcmp(name + len - 4, ".csv");
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static int load_dir(struct run *r, const char *metric, char *err, size_t errlen)
{
	struct dirent **names;
	/* Version order: the repeats x.r2.csv before x.r10.csv. */
	int n = scandir(r->path, &names, NULL, versionsort), ret = 0;
	char path[4096];
	struct stat st;

	if (n < 0) {
		snprintf(err, errlen, "%s: %s", r->path, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		if (!ret && is_csv_name(names[i]->d_name) && has_control(names[i]->d_name)) {
			/* No line of the report or the CSV could hold it: refuse, as plot does. */
			for (char *c = names[i]->d_name; *c; c++)
				if ((unsigned char)*c < 0x20 || *c == 0x7f)
					*c = '?';
			snprintf(err, errlen, "%s: a file name with a control character (newline, tab, "
				 "...): %s (shown with ?): not reading it", r->path, names[i]->d_name);
			ret = -1;
		}
		if (!ret && is_csv_name(names[i]->d_name)) {
			snprintf(path, sizeof(path), "%s/%s", r->path, names[i]->d_name);
			if (!stat(path, &st) && S_ISREG(st.st_mode)) {
				switch (add_file(r, path, metric, err, errlen)) {
				case CSV_READ_OK:
					break;
				case CSV_READ_NOT_NOTIBENCH:
					fprintf(stderr, "compare: ignoring %s: not a notibench CSV\n",
						path);
					break;
				case CSV_READ_ERROR:
					ret = -1;
					break;
				}
			}
		}
		free(names[i]);
	}
	free(names);
	if (!ret && !r->nitems) {
		snprintf(err, errlen, "%s: a directory without notibench CSVs (<item-id>.csv)",
			 r->path);
		ret = -1;
	}
	return ret;
}

/* The file name of a CSV without its directory and .csv (bench/all's item: field). */
static bool file_is(const char *path, const char *name, size_t len)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return !strncmp(base, name, len) && !strcmp(base + len, ".csv");
}

/*
 * bench/all's run.meta, when the directory has one: its kernel_label and
 * clock_unit (*unit, allocated), and an item whose status is
 * `fail` but whose CSV exists (exit 1 after writing it: a failed self-check,
 * or what else went wrong) failed. A missing or unreadable run.meta is no
 * error (a directory of CSVs need not be bench/all's). 0, or -1 on ENOMEM.
 */
static int read_run_meta(struct run *r, char **unit)
{
	char path[4096], *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int ret = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/run.meta", r->path);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (!ret && (len = getline(&line, &cap, f)) >= 0) {
		char *fld[8], *p = line;
		size_t n = 0;

		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		for (ssize_t i = 0; i < len; i++)	/* data: no control character */
			if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
				line[i] = '?';
		if (!strncmp(line, "kernel_label: ", 14) && !r->label) {
			r->label = strdup(line + 14);
			ret = r->label ? 0 : -1;
		}
		if (!strncmp(line, "clock_unit: ", 12) && !*unit) {
			*unit = strdup(line + 12);
			ret = *unit ? 0 : -1;
		}
		if (strncmp(line, "item: ", 6))
			continue;
		/* item: <file> | <benchmark> | <arguments> | <backends> | <status> | <exit> | <seconds> | <reason> */
		for (p = line + 6; n < 8; n++) {
			char *sep = n < 7 ? strstr(p, " | ") : NULL;

			fld[n] = p;
			if (!sep)
				break;
			*sep = '\0';
			p = sep + 3;
		}
		if (n < 7 || strcmp(fld[4], "fail"))
			continue;
		for (size_t i = 0; i < r->nitems && !ret; i++)
			for (size_t k = 0; k < r->items[i].nrep && !ret; k++)
				if (file_is(r->items[i].rep[k].path, fld[0], strlen(fld[0]))) {
					char rc[64];

					snprintf(rc, sizeof(rc), "%s%s%s", *fld[5] ? " (exit " : "", fld[5],
						 *fld[5] ? ")" : "");
					ret = set_fail(&r->items[i], k, "bench/all's run.meta: fail%s: %s",
						       rc, *fld[7] ? fld[7] : "(no reason recorded)");
				}
	}
	free(line);
	fclose(f);
	return ret;
}

/* A clock_unit value: "ns" or "insn" (static), NULL for anything else. */
static const char *unit_of(const char *v)
{
	return !v ? "ns" : !strcmp(v, "ns") ? "ns" : !strcmp(v, "insn") ? "insn" : NULL;
}

/*
 * Every CSV's clock_unit (absent: ns) and run.meta's, when it has one, must
 * be one unit; the label is run.meta's kernel_label, else the first CSV's.
 */
static int run_unit(struct run *r, const char *meta_unit, char *err, size_t errlen)
{
	const char *src = "run.meta";	/* where r->unit came from */

	r->unit = NULL;
	if (meta_unit && !(r->unit = unit_of(meta_unit))) {
		snprintf(err, errlen, "%s/run.meta: clock_unit '%s' is neither ns nor insn", r->path,
			 meta_unit);
		return -1;
	}
	for (size_t i = 0; i < r->nitems; i++)
		for (size_t k = 0; k < r->items[i].nrep; k++) {
			const struct csv_file *f = &r->items[i].rep[k];
			const char *v = csv_meta_get(f, "clock_unit"), *u = unit_of(v);

			if (!u) {
				snprintf(err, errlen, "%s: clock_unit '%s' is neither ns nor insn",
					 f->path, v);
				return -1;
			}
			if (!r->unit) {
				r->unit = u;
				src = f->path;
			} else if (strcmp(u, r->unit)) {
				snprintf(err, errlen, "%s mixes clock units: %s says %s, %s says %s "
					 "(an exact run and a wall-clock one in one directory)", r->path,
					 src, r->unit, f->path, u);
				return -1;
			}
			if (!r->label && csv_meta_get(f, "kernel_label") &&
			    !(r->label = strdup(csv_meta_get(f, "kernel_label")))) {
				snprintf(err, errlen, "%s: out of memory", r->path);
				return -1;
			}
		}
	if (!r->unit)
		r->unit = "ns";
	return 0;
}

/*
 * The architecture next to the label, "6.12-arm64 (aarch64)", when the run
 * was not made on x86-64 (the CSVs' machine, uname -m): an arm64 and an
 * x86 run of one kernel version must not read as one kernel. 0, or -1 on
 * ENOMEM.
 */
static int label_arch(struct run *r)
{
	const char *m = r->nitems ? csv_meta_get(&r->items[0].rep[0], "machine") : NULL;
	char *l;

	if (!m || !*m || !strcmp(m, "x86_64"))
		return 0;
	if (asprintf(&l, "%s%s(%s)", r->label ?: "", r->label ? " " : "", m) < 0)
		return -1;
	free(r->label);
	r->label = l;
	return 0;
}

int run_load(const char *path, const char *metric, struct run *r, char *err, size_t errlen)
{
	struct stat st;
	char *meta_unit = NULL;
	int ret;

	memset(r, 0, sizeof(*r));
	r->path = path;
	if (stat(path, &st)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	r->is_dir = S_ISDIR(st.st_mode);
	if (r->is_dir) {
		if (load_dir(r, metric, err, errlen)) {
			run_free(r);
			return -1;
		}
		if (read_run_meta(r, &meta_unit)) {
			snprintf(err, errlen, "%s/run.meta: out of memory", path);
			free(meta_unit);
			run_free(r);
			return -1;
		}
	} else if (add_file(r, path, metric, err, errlen) != CSV_READ_OK) {
		run_free(r);
		return -1;
	}
	qsort(r->items, r->nitems, sizeof(*r->items), cmp_item);
	ret = run_unit(r, meta_unit, err, errlen);
	free(meta_unit);
	if (!ret && label_arch(r)) {
		snprintf(err, errlen, "%s: out of memory", path);
		ret = -1;
	}
	if (ret)
		run_free(r);
	return ret;
}

int runs_name_single_files(struct run *runs, size_t nruns)
{
	const char *name;
	bool same = true;

	for (size_t i = 0; i < nruns; i++)
		if (runs[i].is_dir)
			return 0;
	for (size_t i = 1; i < nruns; i++)
		same &= !strcmp(runs[i].items[0].id, runs[0].items[0].id);
	if (same)
		return 0;
	name = csv_meta_get(&runs[0].items[0].rep[0], "benchmark");
	if (!name || !*name)
		name = runs[0].items[0].id;
	for (size_t i = nruns; i-- > 0;) {	/* run 0 last: name may be its id */
		char *id = strdup(name);

		if (!id)
			return -1;
		free(runs[i].items[0].id);
		runs[i].items[0].id = id;
	}
	return 0;
}

const struct run_item *run_find(const struct run *r, const char *id)
{
	struct run_item key = { .id = (char *)id };

	return bsearch(&key, r->items, r->nitems, sizeof(key), cmp_item);
}

const struct csv_config *item_config(const struct run_item *it, size_t rep, const char *label)
{
	const struct csv_file *f = &it->rep[rep];

	for (size_t i = 0; i < f->ncfg; i++)
		if (!strcmp(f->cfg[i].label, label))
			return &f->cfg[i];
	return NULL;
}

bool item_has_config(const struct run_item *it, const char *label)
{
	for (size_t k = 0; k < it->nrep; k++)
		if (item_config(it, k, label))
			return true;
	return false;
}

void run_free(struct run *r)
{
	for (size_t i = 0; i < r->nitems; i++) {
		free(r->items[i].id);
		free(r->items[i].fail);
		for (size_t k = 0; k < r->items[i].nrep; k++)
			csv_file_free(&r->items[i].rep[k]);
		free(r->items[i].rep);
	}
	free(r->items);
	free(r->label);
	r->items = NULL;
	r->label = NULL;
	r->nitems = 0;
}
