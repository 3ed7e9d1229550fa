/* SPDX-License-Identifier: GPL-2.0 */
/*
 * System knobs (sysfs/procfs files) a benchmark changes: THP enabled/defrag,
 * khugepaged, numa_balancing, KSM, hugetlb pools, DAMON. Every changed knob
 * is restored at exit and on SIGINT/SIGTERM/SIGHUP/SIGQUIT/SIGPIPE; the
 * signal handler also removes the output's temp file, then re-raises the
 * signal. A run that dies without the handler (SIGKILL) is covered by the
 * journal: under a host-wide lock, each knob's original value is appended
 * to KNOBS_JOURNAL_NAME (next to the lock, fsync'd) before the knob is
 * written, and removed after a clean restore. Whoever takes the lock next
 * (a run, `notibench restore`, bench/all through it) puts back what the
 * journal's dead runs left, and says so on stderr. A journal record is only
 * acted on when it names a path in a knob directory (/sys/kernel/mm/,
 * /proc/sys/, and the two the NUMA and DAMON benchmarks use) and the file
 * is this user's, writable by nobody else.
 */
#ifndef NB_KNOBS_H
#define NB_KNOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "knob_file.h"
#include "knob_journal.h"

#define KNOB_THP_ENABLED	"/sys/kernel/mm/transparent_hugepage/enabled"
#define KNOB_THP_DEFRAG		"/sys/kernel/mm/transparent_hugepage/defrag"
#define KNOB_KHUGEPAGED		"/sys/kernel/mm/transparent_hugepage/khugepaged/defrag"
#define KNOB_KHUGEPAGED_SLEEP	"/sys/kernel/mm/transparent_hugepage/khugepaged/scan_sleep_millisecs"
#define KNOB_NUMA_BALANCING	"/proc/sys/kernel/numa_balancing"
#define KNOB_KSM_RUN		"/sys/kernel/mm/ksm/run"
#define KNOB_HUGETLB_FMT	"/sys/kernel/mm/hugepages/hugepages-%lukB/%s"

/*
 * Writes value, saving (and journaling) the original the first time this
 * path is changed. Does nothing when the knob already has that value. 0 or
 * -errno (-EINVAL: not in a knob directory; a failed journal write is
 * returned and the knob left as it was). Takes the lock first.
 */
int knob_set(const char *path, const char *value);
int knob_set_ulong(const char *path, unsigned long v);

/*
 * Restores every changed knob, newest first, then unmounts what
 * knobs_umount_later() got, then drops this run's journal records (kept if
 * a write failed). Idempotent; async-signal-safe; a no-op in a forked child.
 */
void knobs_restore(void);

/*
 * A file system the benchmark mounted to reach its knobs (e.g. debugfs for
 * the NUMA-balancing scan knobs): unmounted (lazily) after the knobs are
 * restored, at exit and on the signals too; journaled, so a dead run's
 * mount goes as well. 0 or -ENOSPC.
 */
int knobs_umount_later(const char *mountpoint);

/* Restore at exit and on SIGINT/SIGTERM/SIGHUP/SIGQUIT/SIGPIPE. Call once, early. */
void knobs_init(void);

/* The file the signal handler removes (NULL: none). The string is copied. */
void knobs_set_tempfile(const char *path);

/* Number of knobs changed and "path=old->new" descriptions, for metadata. */
unsigned int knobs_changed(void);
const char *knobs_changed_desc(unsigned int i);

#endif /* NB_KNOBS_H */
