/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `notibench export`: run directories and CSVs as one long table, one row
 * per (run, item, configuration, metric, statistic), as CSV or JSON
 * (results/README.md "notibench export: one long table").
 */
#ifndef NB_EXPORT_H
#define NB_EXPORT_H

#include <stdio.h>

#include "csv_read.h"

/* argv after `export`. 0, 1 (a failed write) or 2 (bad usage or input). */
int cmd_export(int argc, char **argv);

/* One CSV as export read it, and what names it in the table. */
struct ex_file {
	struct csv_file f;
	char *run, *item, *file, *label;
	const char *unit;	/* clock unit: "ns" or "insn" */
};

/*
 * bench/export_tsv.c: the per-configuration tables scripts/summary and
 * scripts/plot format (--format summary-tsv, histogram-tsv), the CSVs of one
 * run numbered run_id. 0, or -1 on ENOMEM.
 */
int export_summary_tsv(FILE *out, const struct ex_file *v, size_t n, unsigned long run_id);
int export_histogram_tsv(FILE *out, const struct ex_file *v, size_t n, unsigned long run_id);

#endif /* NB_EXPORT_H */
