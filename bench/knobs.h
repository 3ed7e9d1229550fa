/* SPDX-License-Identifier: GPL-2.0 */
/*
 * System knobs (sysfs/procfs files) a benchmark changes: THP enabled/defrag,
 * khugepaged, numa_balancing, KSM, hugetlb pools. Every changed knob is
 * restored at exit and on SIGINT/SIGTERM/SIGHUP; the signal handler also
 * removes the output's temp file, then re-raises the signal.
 */
#ifndef NB_KNOBS_H
#define NB_KNOBS_H

#include <stddef.h>

#define KNOB_THP_ENABLED	"/sys/kernel/mm/transparent_hugepage/enabled"
#define KNOB_THP_DEFRAG		"/sys/kernel/mm/transparent_hugepage/defrag"
#define KNOB_KHUGEPAGED		"/sys/kernel/mm/transparent_hugepage/khugepaged/defrag"
#define KNOB_KHUGEPAGED_SLEEP	"/sys/kernel/mm/transparent_hugepage/khugepaged/scan_sleep_millisecs"
#define KNOB_NUMA_BALANCING	"/proc/sys/kernel/numa_balancing"
#define KNOB_KSM_RUN		"/sys/kernel/mm/ksm/run"
#define KNOB_HUGETLB_FMT	"/sys/kernel/mm/hugepages/hugepages-%lukB/%s"

/*
 * Reads a knob into buf, trimmed. For THP-style files ("always [madvise]
 * never") the bracketed word is returned. 0 or -errno.
 */
int knob_read(const char *path, char *buf, size_t len);
/* Reads an unsigned number; 0 or -errno. */
int knob_read_ulong(const char *path, unsigned long *v);

/* Host-wide lock file (in /run/lock, else /tmp) held by runs that change knobs. */
#define KNOBS_LOCK_NAME		"notibench-knobs.lock"

/*
 * Writes value, saving the original the first time this path is changed.
 * Does nothing when the knob already has that value. 0 or -errno.
 * The first call takes the host-wide knob lock, waiting for another run.
 */
int knob_set(const char *path, const char *value);
int knob_set_ulong(const char *path, unsigned long v);

/* Restores every changed knob, newest first, then unmounts what knobs_umount_later() got. Idempotent. */
void knobs_restore(void);

/*
 * A file system the benchmark mounted to reach its knobs (e.g. debugfs for
 * the NUMA-balancing scan knobs): unmounted (lazily) after the knobs are
 * restored, at exit and on SIGINT/SIGTERM/SIGHUP too. 0 or -ENOSPC.
 */
int knobs_umount_later(const char *mountpoint);

/* Restore at exit and on SIGINT/SIGTERM/SIGHUP. Call once, early. */
void knobs_init(void);

/* The file the signal handler removes (NULL: none). The string is copied. */
void knobs_set_tempfile(const char *path);

/* Number of knobs changed and "path=old->new" descriptions, for metadata. */
unsigned int knobs_changed(void);
const char *knobs_changed_desc(unsigned int i);

#endif /* NB_KNOBS_H */
