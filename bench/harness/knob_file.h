/* SPDX-License-Identifier: GPL-2.0 */
/* Knob files (bench/harness/knob_file.c): one read or written, and which paths may be one. */
#ifndef NB_KNOB_FILE_H
#define NB_KNOB_FILE_H

#include <stdbool.h>
#include <stddef.h>

#define KNOB_PATH_LEN 160
#define KNOB_VAL_LEN 64

/*
 * Reads a knob into buf, trimmed. For THP-style files ("always [madvise]
 * never") the bracketed word is returned. 0 or -errno.
 */
int knob_read(const char *path, char *buf, size_t len);
/* Reads an unsigned number; 0 or -errno. */
int knob_read_ulong(const char *path, unsigned long *v);
/* Writes value to the knob: 0 or -errno (-EIO: a short write). Async-signal-safe. */
int knob_write(const char *path, const char *value);

/* Printable ASCII only. */
bool knob_printable(const char *s);
/* A plain path in a knob directory: one the journal may write back. */
bool knob_path_ok(const char *path);
/* A mount point a run may have made to reach knobs (debugfs). */
bool knob_mount_point_ok(const char *path);

#endif /* NB_KNOB_FILE_H */
