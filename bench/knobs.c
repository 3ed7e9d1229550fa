// SPDX-License-Identifier: GPL-2.0
/*
 * Knobs: set, remember, restore. The saved state lives in static arrays so
 * the signal handler can restore it with async-signal-safe calls only
 * (open/write/close/unlink).
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
#include <unistd.h>

#define MAX_KNOBS 32
#define PATH_LEN 160
#define VAL_LEN 64

struct saved_knob {
	char path[PATH_LEN];
	char old[VAL_LEN];
	char desc[PATH_LEN + 2 * VAL_LEN + 8];
	volatile sig_atomic_t restored;
};

static struct saved_knob saved[MAX_KNOBS];
/* Published after the entry is complete: the handler never sees a half one. */
static volatile sig_atomic_t nr_saved;
#define MAX_MOUNTS 4
static char mounts[MAX_MOUNTS][PATH_LEN];
static volatile sig_atomic_t nr_mounts, mounts_done;
static char tempfile[4096];
static volatile sig_atomic_t have_tempfile;

static int write_str(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t n = strlen(value);
	ssize_t w;

	if (fd < 0)
		return -errno;
	w = write(fd, value, n);
	if (w < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	close(fd);
	return (size_t)w == n ? 0 : -EIO;
}

int knob_read(const char *path, char *buf, size_t len)
{
	char raw[512];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	char *s, *e;

	if (fd < 0)
		return -errno;
	n = read(fd, raw, sizeof(raw) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	raw[n] = 0;
	s = raw;
	e = strchr(raw, '[');
	if (e && strchr(e, ']')) {
		s = e + 1;
		*strchr(s, ']') = 0;
	}
	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == '\n' || e[-1] == ' '))
		*--e = 0;
	snprintf(buf, len, "%s", s);
	return 0;
}

int knob_read_ulong(const char *path, unsigned long *v)
{
	char buf[64], *end;
	int ret = knob_read(path, buf, sizeof(buf));

	if (ret)
		return ret;
	errno = 0;
	*v = strtoul(buf, &end, 10);
	return errno || end == buf ? -EINVAL : 0;
}

/*
 * Knobs are system-wide: a second run changing them would save the first
 * run's values as "original" and both would measure under the other's
 * settings. The first change takes a host-wide lock, held until exit (the
 * kernel drops it however the process ends), so such runs go one at a time.
 */
static void knobs_lock(void)
{
	static bool locked;
	const char *path = access("/run/lock", W_OK) ? "/tmp/" KNOBS_LOCK_NAME :
			   "/run/lock/" KNOBS_LOCK_NAME;
	int fd;

	if (locked)
		return;
	locked = true;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return;		/* nothing to coordinate with then */
	if (flock(fd, LOCK_EX | LOCK_NB) && errno == EWOULDBLOCK) {
		fprintf(stderr, "notibench: another run is changing system knobs (%s): waiting\n",
			path);
		flock(fd, LOCK_EX);
	}
}

int knob_set(const char *path, const char *value)
{
	char cur[VAL_LEN];
	int ret, i;

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
		if (nr_saved == MAX_KNOBS || strlen(path) >= PATH_LEN)
			return -ENOSPC;
		snprintf(saved[i].path, PATH_LEN, "%s", path);
		snprintf(saved[i].old, VAL_LEN, "%s", cur);
		saved[i].restored = 0;
		nr_saved = i + 1;
	}
	snprintf(saved[i].desc, sizeof(saved[i].desc), "%s=%s->%s", path, saved[i].old, value);
	ret = write_str(path, value);
	return ret;
}

int knob_set_ulong(const char *path, unsigned long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lu", v);
	return knob_set(path, buf);
}

/* Async-signal-safe. */
void knobs_restore(void)
{
	for (int i = nr_saved - 1; i >= 0; i--) {
		if (saved[i].restored)
			continue;
		write_str(saved[i].path, saved[i].old);
		saved[i].restored = 1;
	}
	for (int i = nr_mounts - 1; i >= 0 && !mounts_done; i--)
		umount2(mounts[i], MNT_DETACH);
	mounts_done = 1;
}

int knobs_umount_later(const char *mountpoint)
{
	if (nr_mounts == MAX_MOUNTS || strlen(mountpoint) >= PATH_LEN)
		return -ENOSPC;
	snprintf(mounts[nr_mounts], PATH_LEN, "%s", mountpoint);
	mounts_done = 0;
	nr_mounts = nr_mounts + 1;
	return 0;
}

static void on_signal(int sig)
{
	knobs_restore();
	if (have_tempfile)
		unlink(tempfile);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void at_exit(void)
{
	knobs_restore();
	if (have_tempfile)
		unlink(tempfile);
}

void knobs_init(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };

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
