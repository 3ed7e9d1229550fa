// SPDX-License-Identifier: GPL-2.0
/*
 * Knobs: set, remember, restore. The saved state lives in static arrays so
 * the signal handler can restore it with async-signal-safe calls only
 * (open/write/close/unlink/ftruncate/fsync/umount2). Every original value
 * is also appended to the journal (bench/harness/knob_journal.c) before the knob is
 * changed, so a run that dies without a handler is undone by the next one.
 */
#include "knobs.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_KNOBS 32
#define PATH_LEN KNOB_PATH_LEN
#define VAL_LEN KNOB_VAL_LEN

struct saved_knob {
	char path[PATH_LEN];
	char old[VAL_LEN];
	char desc[PATH_LEN + 2 * VAL_LEN + 8];
	volatile sig_atomic_t restored;
	volatile sig_atomic_t journaled;
};

static struct saved_knob saved[MAX_KNOBS];
/* Published after the entry is complete: the handler never sees a half one. */
static volatile sig_atomic_t nr_saved;
#define MAX_MOUNTS 4
static char mounts[MAX_MOUNTS][PATH_LEN];
static volatile sig_atomic_t nr_mounts, mounts_done;
static char tempfile[4096];
static volatile sig_atomic_t have_tempfile;
/* The process that set up the handlers: forked helpers inherit them, and must not restore. */
static volatile pid_t owner_pid;


/* ---- this run's knobs ---- */

int knob_set(const char *path, const char *value)
{
	char cur[512];
	int ret, i;

	if (!knob_path_ok(path))
		return -EINVAL;		/* a knob the journal could not put back */
	knobs_lock();
	ret = knob_read(path, cur, sizeof(cur));
	if (ret)
		return ret;
	if (!strcmp(cur, value))
		return 0;
	for (i = 0; i < nr_saved; i++)
		if (!strcmp(saved[i].path, path))
			break;
	if (i == nr_saved) {
		if (nr_saved == MAX_KNOBS)
			return -ENOSPC;
		if (strlen(cur) >= VAL_LEN || !knob_printable(cur))
			return -EOVERFLOW;	/* an original we could not save whole */
		snprintf(saved[i].path, PATH_LEN, "%s", path);
		snprintf(saved[i].old, VAL_LEN, "%s", cur);
		saved[i].journaled = 0;
	}
	/* On disk before the knob changes: a SIGKILL from here on is undone by the next run. */
	if (!saved[i].journaled) {
		ret = journal_append("knob", path, saved[i].old);
		if (ret)
			return ret;
		saved[i].journaled = 1;
	}
	saved[i].restored = 0;
	if (i == nr_saved)
		nr_saved = i + 1;
	snprintf(saved[i].desc, sizeof(saved[i].desc), "%s=%s->%s", path, saved[i].old, value);
	return knob_write(path, value);
}

int knob_set_ulong(const char *path, unsigned long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lu", v);
	return knob_set(path, buf);
}

/* Async-signal-safe. The journal's records go only when every write succeeded. */
void knobs_restore(void)
{
	bool ok = true;

	if (owner_pid && getpid() != owner_pid)
		return;		/* a forked helper: the knobs are its parent's */
	for (int i = nr_saved - 1; i >= 0; i--) {
		if (saved[i].restored)
			continue;
		ok &= knob_write(saved[i].path, saved[i].old) == 0;
		saved[i].restored = 1;
	}
	for (int i = nr_mounts - 1; i >= 0 && !mounts_done; i--)
		umount2(mounts[i], MNT_DETACH);
	mounts_done = 1;
	if (ok) {
		journal_clear_own();
		for (int i = 0; i < nr_saved; i++)
			saved[i].journaled = 0;
	}
}

int knobs_umount_later(const char *mountpoint)
{
	if (nr_mounts == MAX_MOUNTS || strlen(mountpoint) >= PATH_LEN)
		return -ENOSPC;
	snprintf(mounts[nr_mounts], PATH_LEN, "%s", mountpoint);
	mounts_done = 0;
	nr_mounts = nr_mounts + 1;
	/* Best effort: a mount the journal does not know is only left mounted. */
	if (knob_mount_point_ok(mountpoint) && !knobs_lock())
		journal_append("mount", mountpoint, NULL);
	return 0;
}

static void on_signal(int sig)
{
	if (getpid() == owner_pid) {
		knobs_restore();
		if (have_tempfile)
			unlink(tempfile);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void at_exit(void)
{
	if (getpid() != owner_pid)
		return;
	knobs_restore();
	if (have_tempfile)
		unlink(tempfile);
}

void knobs_init(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE };

	owner_pid = getpid();
	sigemptyset(&sa.sa_mask);
	/* One signal at a time: a second Ctrl-C must not interrupt the restore. */
	for (unsigned int i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&sa.sa_mask, sigs[i]);
	for (unsigned int i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	atexit(at_exit);
}

void knobs_set_tempfile(const char *path)
{
	have_tempfile = 0;
	if (path && strlen(path) < sizeof(tempfile)) {
		memcpy(tempfile, path, strlen(path) + 1);
		have_tempfile = 1;
	}
}

unsigned int knobs_changed(void)
{
	return nr_saved;
}

const char *knobs_changed_desc(unsigned int i)
{
	return i < (unsigned int)nr_saved ? saved[i].desc : "";
}
