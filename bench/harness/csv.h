/* SPDX-License-Identifier: GPL-2.0 */
/*
 * CSV output, written atomically: a temp file in the output directory that
 * is renamed at the end (the signal handler removes it). Format in
 * results/README.md.
 */
#ifndef NB_CSV_H
#define NB_CSV_H

#include <stddef.h>

#include "harness.h"

#define CSV_FORMAT_VERSION 1

/*
 * Creates the temp file for bench's output in dir (tells knobs to remove it
 * on a signal). 0 or -errno; tmp and final get the paths.
 */
int csv_prepare(const char *dir, const char *bench, char *tmp, char *final, size_t len);
/* Writes metadata (env.h) and rows into tmp. 0 or -errno. */
int csv_write(const char *tmp, const struct run_result *r);
/* fsync + rename tmp to final. 0 or -errno. */
int csv_commit(const char *tmp, const char *final);
void csv_abort(const char *tmp);

#endif /* NB_CSV_H */
