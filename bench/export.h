/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `notibench export`: run directories and CSVs as one long table, one row
 * per (run, item, configuration, metric, statistic), as CSV or JSON
 * (results/README.md "notibench export: one long table").
 */
#ifndef NB_EXPORT_H
#define NB_EXPORT_H

/* argv after `export`. 0, 1 (a failed write) or 2 (bad usage or input). */
int cmd_export(int argc, char **argv);

#endif /* NB_EXPORT_H */
