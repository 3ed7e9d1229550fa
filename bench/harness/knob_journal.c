// SPDX-License-Identifier: GPL-2.0
/*
 * The knob journal and the host-wide lock (bench/harness/knobs.h says why). Under
 * the lock, every original value is appended here before its knob is
 * changed, so a run that dies without a handler (SIGKILL, an oops) is undone
 * by the next run that takes the lock, or by `notibench restore`. Records,
 * one a line:
 *   run <pid> <epoch seconds> <command line>
 *   knob <pid> <path> <original value>
 *   mount <pid> <mount point>
 * Writing this run's records and clearing them are async-signal-safe (the
 * signal handler restores through them).
 */
#include "knob_journal.h"

#include "knob_file.h"

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

/* Lock and journal (in the lock's directory). */
static char lock_path[64], journal_path[64];
static int lock_fd = -1;
static bool lock_tried;
static volatile sig_atomic_t journal_fd = -1;
/* The journal's size before this run's records (records a failed restore kept). */
static volatile off_t journal_base;
static volatile sig_atomic_t run_journaled;

/* ---- journal: trust ---- */

/*
 * A journal another user could have written is not ours to act on: only a
 * regular file of this user that nobody else may write.
 */
static bool journal_trusted(int fd, char *why, size_t len)
{
	struct stat st;

	if (fstat(fd, &st)) {
		snprintf(why, len, "fstat: %s", strerror(errno));
		return false;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022) ||
	    st.st_nlink != 1) {
		snprintf(why, len, "not a file this user wrote (uid %u, mode %o, %lu links)",
			 (unsigned int)st.st_uid, (unsigned int)st.st_mode & 07777,
			 (unsigned long)st.st_nlink);
		return false;
	}
	return true;
}

/* ---- journal: writing (this run's records) ---- */

/* This process's command line, printable, for the run record. */
static void own_cmdline(char *buf, size_t len)
{
	char raw[1024];
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, raw, sizeof(raw) - 1);

	if (fd >= 0)
		close(fd);
	if (n <= 0) {
		snprintf(buf, len, "notibench");
		return;
	}
	raw[n] = 0;
	for (ssize_t i = 0; i < n; i++)
		if (raw[i] < 0x20 || raw[i] > 0x7e)
			raw[i] = i == n - 1 ? 0 : raw[i] ? '?' : ' ';
	n = (ssize_t)strlen(raw) < (ssize_t)len ? (ssize_t)strlen(raw) : (ssize_t)len - 1;
	memcpy(buf, raw, (size_t)n);
	buf[n] = 0;
}

static int write_all(int fd, const char *s)
{
	size_t n = strlen(s);

	while (n) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Appends "type pid path[ value]", after the run record, and syncs it. 0 or -errno. */
int journal_append(const char *type, const char *path, const char *value)
{
	char line[1024], cmd[400], why[128];
	off_t end;
	int ret;

	if (lock_fd < 0)
		return 0;	/* no lock: nothing to coordinate with, and no journal */
	if (journal_fd < 0) {
		int fd = open(journal_path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
			      0600);

		if (fd < 0)
			return -errno;
		if (!journal_trusted(fd, why, sizeof(why))) {
			fprintf(stderr, "notibench: %s: %s: not writing knobs' originals to it\n",
				journal_path, why);
			close(fd);
			return -EPERM;
		}
		journal_base = lseek(fd, 0, SEEK_END);
		journal_fd = fd;
	}
	end = lseek(journal_fd, 0, SEEK_END);
	ret = 0;
	if (!run_journaled) {
		own_cmdline(cmd, sizeof(cmd));
		snprintf(line, sizeof(line), "run %d %lld %s\n", (int)getpid(),
			 (long long)time(NULL), cmd);
		ret = write_all(journal_fd, line);
	}
	snprintf(line, sizeof(line), "%s %d %s%s%s\n", type, (int)getpid(), path, value ? " " : "",
		 value ?: "");
	ret = ret ?: write_all(journal_fd, line);
	if (!ret && fsync(journal_fd))
		ret = -errno;
	if (ret) {
		/* No half line for the next record to run into. */
		if (end >= 0 && ftruncate(journal_fd, end))
			fprintf(stderr, "notibench: %s: %s\n", journal_path, strerror(errno));
		return ret;
	}
	run_journaled = 1;
	return 0;
}

/*
 * After a clean restore: this run's records go (the journal file with them
 * when they were all it had). Async-signal-safe.
 */
void journal_clear_own(void)
{
	int fd = journal_fd;

	if (fd < 0)
		return;
	if (journal_base == 0) {
		unlink(journal_path);
	} else if (ftruncate(fd, journal_base) == 0) {
		fsync(fd);
	}
	journal_fd = -1;
	close(fd);
	run_journaled = 0;
}

/* ---- journal: recovery (what dead runs left) ---- */

#define JOURNAL_MAX (256 * 1024)
#define MAX_RECS 2048
#define MAX_COMPLAINTS 5

enum rec_type { REC_RUN, REC_KNOB, REC_MOUNT };

struct rec {
	enum rec_type type;
	int pid;
	long long epoch;	/* run */
	char *copy;		/* the fields below point into it */
	const char *path;	/* knob, mount */
	const char *value;	/* knob: the original; run: the command line */
	const char *line;	/* the record as it was, to keep it */
	bool keep, winner;
};

static int parse_pid(const char *s, int *pid)
{
	char *end;
	long v;

	if (*s < '1' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v > 4194304)
		return -1;
	*pid = (int)v;
	return 0;
}

/* Ends the first word of s at its space: the rest, or NULL when there is none. */
static char *split(char *s)
{
	char *sp = strchr(s, ' ');

	if (!sp)
		return NULL;
	*sp = 0;
	return sp + 1;
}

/* One line (without its newline) into r: 0, or -1 when it is not a valid record. */
static int parse_rec(const char *line, struct rec *r)
{
	char *s, *pid, *rest, *end;

	memset(r, 0, sizeof(*r));
	r->line = line;
	if (!knob_printable(line) || strlen(line) > 1000 || !(s = strdup(line)))
		return -1;
	r->copy = s;
	pid = split(s);
	rest = pid ? split(pid) : NULL;
	if (!rest || parse_pid(pid, &r->pid))
		goto bad;
	if (!strcmp(s, "run")) {
		r->type = REC_RUN;
		r->value = split(rest);
		errno = 0;
		r->epoch = strtoll(rest, &end, 10);
		if (!r->value || errno || *end || end == rest || r->epoch < 0)
			goto bad;
	} else if (!strcmp(s, "knob")) {
		r->type = REC_KNOB;
		r->path = rest;
		r->value = split(rest);
		if (!r->value || !knob_path_ok(r->path) || strlen(r->value) >= KNOB_VAL_LEN)
			goto bad;
	} else if (!strcmp(s, "mount")) {
		r->type = REC_MOUNT;
		r->path = rest;
		if (!knob_mount_point_ok(r->path))
			goto bad;
	} else {
		goto bad;
	}
	return 0;
bad:
	free(s);
	r->copy = NULL;
	return -1;
}

/* "command, started date" from pid's run record. */
static void who(const struct rec *recs, unsigned int n, int pid, char *buf, size_t len)
{
	snprintf(buf, len, "no run record");
	for (unsigned int i = 0; i < n; i++) {
		time_t t = (time_t)recs[i].epoch;
		char date[32] = "?";
		struct tm tm;

		if (recs[i].type != REC_RUN || recs[i].pid != pid)
			continue;
		if (gmtime_r(&t, &tm))
			strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
		snprintf(buf, len, "%.200s, started %s", recs[i].value, date);
	}
}

/*
 * Puts a knob back and reads it again: 1 when it already had its value, 0
 * when written, -errno (-EIO: it reads otherwise after the write). cur: the
 * value it had.
 */
static int restore_one(const struct rec *r, char *cur, size_t len)
{
	char now[512];
	int ret;

	if (knob_read(r->path, cur, len))
		snprintf(cur, len, "?");
	if (!strcmp(cur, r->value))
		return 1;
	ret = knob_write(r->path, r->value);
	if (ret)
		return ret;
	if (knob_read(r->path, now, sizeof(now)) == 0 && strcmp(now, r->value))
		return -EIO;
	return 0;
}

/* Rewrites the journal with the kept records (none: removes it). 0 or -errno. */
static int journal_rewrite(const struct rec *recs, unsigned int n)
{
	char tmp[sizeof(journal_path) + 8];
	bool any = false;
	int fd, ret = 0;

	for (unsigned int i = 0; i < n; i++)
		any |= recs[i].keep;
	if (!any)
		return unlink(journal_path) && errno != ENOENT ? -errno : 0;
	snprintf(tmp, sizeof(tmp), "%s.new", journal_path);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	for (unsigned int i = 0; i < n && !ret; i++)
		if (recs[i].keep)
			ret = write_all(fd, recs[i].line) ?: write_all(fd, "\n");
	if (!ret && fsync(fd))
		ret = -errno;
	close(fd);
	if (!ret && rename(tmp, journal_path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

/* Reads the journal into buf (NUL-terminated): its length, or -1 when there is none to use. */
static ssize_t journal_load(char *buf, size_t size)
{
	char why[128];
	ssize_t len = 0, r;
	int fd = open(journal_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT)
			return -1;
		snprintf(why, sizeof(why), "%s", strerror(errno));
	} else if (journal_trusted(fd, why, sizeof(why))) {
		while ((size_t)len < size - 1 && (r = read(fd, buf + len, size - 1 - len)) > 0)
			len += r;
		close(fd);
		buf[len] = 0;
		if ((size_t)len == size - 1)
			fprintf(stderr, "notibench: %s: larger than %zu bytes: the rest ignored\n",
				journal_path, size - 1);
		return len;
	} else {
		close(fd);
	}
	/* Another user's file, a symlink: not acted on, and out of the way of ours. */
	fprintf(stderr, "notibench: %s: %s: ignored and removed\n", journal_path, why);
	unlink(journal_path);
	return -1;
}

/* Splits buf into records; complains about the lines that are not. The number of records. */
static unsigned int journal_parse(char *buf, struct rec *recs, struct knobs_recovery *res)
{
	unsigned int n = 0, lineno = 0;
	char *line, *next;

	for (line = buf; *line; line = next) {
		const char *what = "not a valid record";

		lineno++;
		next = strchr(line, '\n');
		if (next) {
			*next++ = 0;
			if (n < MAX_RECS && !parse_rec(line, &recs[n])) {
				n++;
				continue;
			}
			if (n == MAX_RECS)
				what = "one record too many";
		} else {
			next = line + strlen(line);
			what = "cut short (no newline)";
		}
		if (res->corrupt++ < MAX_COMPLAINTS)
			fprintf(stderr, "notibench: %s: line %u: %s, ignored\n", journal_path,
				lineno, what);
	}
	if (res->corrupt > MAX_COMPLAINTS)
		fprintf(stderr, "notibench: %s: %u more lines ignored\n", journal_path,
			res->corrupt - MAX_COMPLAINTS);
	return n;
}

/* Restores one knob or unmounts one mount of the journal, and says so. */
static void recover_one(struct rec *k, struct rec *recs, unsigned int n, FILE *list,
			struct knobs_recovery *res)
{
	char cur[512], w[300];
	int ret;

	who(recs, n, k->pid, w, sizeof(w));
	if (k->type == REC_MOUNT) {
		/* EINVAL: not mounted any more. */
		if (umount2(k->path, MNT_DETACH) == 0 && list)
			fprintf(list, "unmounted %s (mounted by pid %d: %s)\n", k->path, k->pid, w);
		return;
	}
	ret = restore_one(k, cur, sizeof(cur));
	if (ret < 0) {
		fprintf(stderr, "notibench: could not restore %s to %s (left by pid %d: %s): %s\n",
			k->path, k->value, k->pid, w,
			ret == -EIO ? "it reads otherwise after the write" : strerror(-ret));
		res->failed++;
		/* Kept for the next try, with its run's record. */
		k->keep = true;
		for (unsigned int j = 0; j < n; j++)
			recs[j].keep |= recs[j].type == REC_RUN && recs[j].pid == k->pid;
		return;
	}
	res->restored++;
	if (list && ret)
		fprintf(list, "%s: already %s (left by pid %d: %s)\n", k->path,
			k->value, k->pid, w);
	else if (list)
		fprintf(list, "restored %s: %s -> %s (left by pid %d: %s)\n", k->path, cur,
			k->value, k->pid, w);
}

/* "notibench: restored N knobs left by pid P (command, started date)", one line per run. */
static void recover_summary(const struct rec *recs, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		unsigned int cnt = 0;
		bool first = recs[i].type == REC_KNOB && recs[i].winner;
		char w[300];

		for (unsigned int j = 0; j < i && first; j++)
			first = !(recs[j].type == REC_KNOB && recs[j].winner &&
				  recs[j].pid == recs[i].pid);
		if (!first)
			continue;
		for (unsigned int j = i; j < n; j++)
			cnt += recs[j].type == REC_KNOB && recs[j].winner && !recs[j].keep &&
			       recs[j].pid == recs[i].pid;
		who(recs, n, recs[i].pid, w, sizeof(w));
		fprintf(stderr, "notibench: restored %u knob%s left by pid %d (%s)\n", cnt,
			cnt == 1 ? "" : "s", recs[i].pid, w);
	}
}

/*
 * Under the lock: puts back what the journal's runs left (all dead: none
 * holds the lock). The oldest original of a path wins (a later run saw the
 * earlier one's value as the original); knobs go back newest first, then
 * the mounts go. A record whose write failed stays for the next try.
 */
static void journal_recover(FILE *list, struct knobs_recovery *res)
{
	static char buf[JOURNAL_MAX + 1];
	ssize_t len = journal_load(buf, sizeof(buf));
	struct rec *recs;
	unsigned int n;
	int ret;

	if (len < 0)
		return;
	recs = calloc(MAX_RECS, sizeof(*recs));
	if (!recs) {
		fprintf(stderr, "notibench: %s: out of memory: nothing restored\n", journal_path);
		res->failed++;
		return;
	}
	n = journal_parse(buf, recs, res);
	for (unsigned int i = 0; i < n; i++) {
		recs[i].winner = recs[i].type != REC_RUN;
		for (unsigned int j = 0; j < i && recs[i].winner; j++)
			recs[i].winner = !(recs[j].type == recs[i].type &&
					   !strcmp(recs[j].path, recs[i].path));
		res->knobs += recs[i].type == REC_KNOB && recs[i].winner;
	}
	for (int i = (int)n - 1; i >= 0; i--)
		if (recs[i].winner && recs[i].type == REC_KNOB)
			recover_one(&recs[i], recs, n, list, res);
	for (int i = (int)n - 1; i >= 0; i--)
		if (recs[i].winner && recs[i].type == REC_MOUNT)
			recover_one(&recs[i], recs, n, list, res);
	if (!list)
		recover_summary(recs, n);
	ret = journal_rewrite(recs, n);
	if (ret) {
		fprintf(stderr, "notibench: %s: cannot rewrite it: %s\n", journal_path,
			strerror(-ret));
		res->failed++;
	}
	for (unsigned int i = 0; i < n; i++)
		free(recs[i].copy);
	free(recs);
}

/* ---- the lock ---- */

static void lock_paths(void)
{
	const char *dir = access("/run/lock", W_OK) ? "/tmp" : "/run/lock";

	if (lock_path[0])
		return;
	snprintf(lock_path, sizeof(lock_path), "%s/%s", dir, KNOBS_LOCK_NAME);
	snprintf(journal_path, sizeof(journal_path), "%s/%s", dir, KNOBS_JOURNAL_NAME);
}

/*
 * Knobs are system-wide: a second run changing them would save the first
 * run's values as "original" and both would measure under the other's
 * settings. The lock is held until exit (the kernel drops it however the
 * process ends), so such runs go one at a time; whoever takes it next finds
 * in the journal what a dead holder left. 0, -EWOULDBLOCK (!wait and held),
 * or -errno when there is no lock file to be had (then nothing is journaled).
 */
static int lock_and_recover(bool wait, FILE *list, struct knobs_recovery *res)
{
	int fd;

	memset(res, 0, sizeof(*res));
	if (lock_fd >= 0)
		return 0;
	lock_paths();
	fd = open(lock_path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		int err = errno;

		if (err != EWOULDBLOCK || !wait) {
			close(fd);
			return -err;
		}
		fprintf(stderr, "notibench: another run is changing system knobs (%s): waiting\n",
			lock_path);
		while (flock(fd, LOCK_EX)) {
			if (errno != EINTR) {
				err = errno;
				close(fd);
				return -err;
			}
		}
	}
	lock_fd = fd;
	journal_recover(list, res);
	return 0;
}

int knobs_lock(void)
{
	struct knobs_recovery res;
	int ret;

	if (lock_tried)
		return lock_fd >= 0 ? 0 : -ENOLCK;
	lock_tried = true;
	ret = lock_and_recover(true, NULL, &res);
	if (ret)
		fprintf(stderr, "notibench: cannot take the knob lock %s: %s: knobs are changed "
			"without it, and not journaled\n", lock_path, strerror(-ret));
	return ret;
}

int knobs_recover(bool wait, FILE *list, struct knobs_recovery *res)
{
	int ret;

	lock_tried = true;
	ret = lock_and_recover(wait, list, res);
	if (ret)
		fprintf(stderr, "notibench: %s: %s\n", lock_path,
			ret == -EWOULDBLOCK ? "a run holds the knob lock (not waiting: --no-wait)" :
			strerror(-ret));
	return ret;
}
