/* SPDX-License-Identifier: GPL-2.0 */
/* The knob journal and the host-wide lock (bench/harness/knob_journal.c). */
#ifndef NB_KNOB_JOURNAL_H
#define NB_KNOB_JOURNAL_H

#include <stdbool.h>
#include <stdio.h>

/*
 * Host-wide lock file (in /run/lock, else /tmp: both cleared at boot, as
 * the knobs are) held by runs that change knobs, and the journal beside it.
 */
#define KNOBS_LOCK_NAME		"notibench-knobs.lock"
#define KNOBS_JOURNAL_NAME	"notibench-knobs.journal"

/*
 * Takes the host-wide knob lock (once; waiting for another run, with a
 * message) and restores what the journal says dead runs left. Call before
 * reading a knob's "before" value: another run may have it changed. 0, or
 * -errno when no lock file can be had (said on stderr; knobs are then
 * changed unjournaled).
 */
int knobs_lock(void);

/* What a recovery found in the journal. */
struct knobs_recovery {
	unsigned int knobs;	/* knobs the journal named (one per path) */
	unsigned int restored;	/* of them put back (or found at their original) */
	unsigned int failed;	/* writes that failed: kept in the journal */
	unsigned int corrupt;	/* lines ignored (reported on stderr) */
};

/*
 * `notibench restore`: takes the lock (wait: for a live run, with a
 * message; else -EWOULDBLOCK) and restores what the journal holds, each
 * knob listed on list. 0 or -errno (said on stderr).
 */
int knobs_recover(bool wait, FILE *list, struct knobs_recovery *res);

/*
 * Appends "type pid path[ value]" (after this run's run record) and syncs
 * it: 0 (also when there is no lock, hence no journal) or -errno.
 */
int journal_append(const char *type, const char *path, const char *value);
/* After a clean restore: this run's records go. Async-signal-safe. */
void journal_clear_own(void);

#endif /* NB_KNOB_JOURNAL_H */
