// SPDX-License-Identifier: GPL-2.0
/* CSV output; see csv.h and results/README.md. */
#include "csv.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "csv_field.h"
#include "env.h"
#include "knobs.h"

int csv_prepare(const char *dir, const char *bench, char *tmp, char *final, size_t len)
{
	char stamp[32];
	const char *date = meta_get("date");
	time_t now = time(NULL);
	struct tm tm;
	struct stat st;
	int fd;

	if (stat(dir, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	/* The run's date, which in exact mode is the host's (env.c). */
	if (date && strlen(date) >= 19)
		snprintf(stamp, sizeof(stamp), "%.4s%.2s%.2s-%.2s%.2s%.2s", date, date + 5,
			 date + 8, date + 11, date + 14, date + 17);
	snprintf(final, len, "%s/%s-%s-%d.csv", dir, bench, stamp, (int)getpid());
	snprintf(tmp, len, "%s/.%s-%s-%d.csv.tmp", dir, bench, stamp, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	close(fd);
	knobs_set_tempfile(tmp);
	return 0;
}

/*
 * Integers as they are; other numbers with 10 significant digits: in exact
 * mode an op counts millions of instructions, and a median of 2327712.5
 * written with 6 ("2.32771e+06") fell below its own CI's 2327712.
 */
static void number(FILE *f, double v)
{
	if (isnan(v))
		return;		/* empty field: unavailable */
	if (v == floor(v) && fabs(v) < 1e15)
		fprintf(f, "%.0f", v);
	else
		fprintf(f, "%.10g", v);
}

static const char *const summary_kinds[] = {
	"median", "mean", "min", "max", "p90", "p99", "stdev", "cv", "ci95_lo", "ci95_hi",
};

static double summary_value(const struct stats *s, unsigned int kind)
{
	const double v[] = { s->median, s->mean, s->min, s->max, s->p90, s->p99, s->stdev, s->cv,
			     s->ci_lo, s->ci_hi };

	return s->n ? v[kind] : NAN;
}

int csv_write(const char *tmp, const struct run_result *r)
{
	FILE *f = fopen(tmp, "we");
	int ret = 0;

	if (!f)
		return -errno;
	fprintf(f, "# notibench_csv: %d\n", CSV_FORMAT_VERSION);
	for (unsigned int i = 0; i < meta_count(); i++)
		fprintf(f, "# %s: %s\n", meta_key(i), meta_value(i));
	fputs("kind,config,round,seq,sample", f);
	for (unsigned int c = 0; c < r->ncols; c++)
		fprintf(f, ",%s", r->cols[c].name);
	fputc('\n', f);
	for (unsigned int k = 0; k < r->ncfg; k++) {
		const struct config_result *cr = &r->cfg[k];

		for (unsigned int s = 0; s < cr->n; s++) {
			fputs("sample,", f);
			csv_put_field(f, cr->b->label);
			fprintf(f, ",%u,%u,%u", cr->round[s], cr->seq[s], s);
			for (unsigned int c = 0; c < r->ncols; c++) {
				fputc(',', f);
				if (r->cols[c].text)
					csv_put_field(f, cr->text[s * r->ncols + c] ?
							 cr->text[s * r->ncols + c] : "");
				else
					number(f, cr->v[s * r->ncols + c]);
			}
			fputc('\n', f);
		}
	}
	for (unsigned int k = 0; k < r->ncfg; k++) {
		const struct config_result *cr = &r->cfg[k];

		for (unsigned int kind = 0; kind < sizeof(summary_kinds) / sizeof(*summary_kinds);
		     kind++) {
			fprintf(f, "%s,", summary_kinds[kind]);
			csv_put_field(f, cr->b->label);
			fputs(",,,", f);
			for (unsigned int c = 0; c < r->ncols; c++) {
				fputc(',', f);
				if (!r->cols[c].text)
					number(f, summary_value(&cr->st[c], kind));
			}
			fputc('\n', f);
		}
	}
	if (fflush(f) || fsync(fileno(f)))
		ret = -errno;
	if (fclose(f) && !ret)
		ret = -errno;
	return ret;
}

int csv_commit(const char *tmp, const char *final)
{
	if (rename(tmp, final))
		return -errno;
	knobs_set_tempfile(NULL);
	return 0;
}

void csv_abort(const char *tmp)
{
	unlink(tmp);
	knobs_set_tempfile(NULL);
}
