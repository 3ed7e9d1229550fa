/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Between bench/knobs.c (this run's knobs) and bench/knob_journal.c (the
 * journal and the lock): what one needs of the other.
 */
#ifndef NB_KNOB_JOURNAL_H
#define NB_KNOB_JOURNAL_H

#include <stdbool.h>

#define KNOB_PATH_LEN 160
#define KNOB_VAL_LEN 64

/* Printable ASCII only. */
bool knob_printable(const char *s);
/* A plain path in a knob directory: one the journal may write back. */
bool knob_path_ok(const char *path);
/* A mount point a run may have made to reach knobs (debugfs). */
bool knob_mount_point_ok(const char *path);

/*
 * Appends "type pid path[ value]" (after this run's run record) and syncs
 * it: 0 (also when there is no lock, hence no journal) or -errno.
 */
int journal_append(const char *type, const char *path, const char *value);
/* After a clean restore: this run's records go. Async-signal-safe. */
void journal_clear_own(void);

/* bench/knobs.c: writes value to the knob; 0 or -errno (-EIO: short write). */
int knob_write(const char *path, const char *value);

#endif /* NB_KNOB_JOURNAL_H */
