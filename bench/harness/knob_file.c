// SPDX-License-Identifier: GPL-2.0
/*
 * Knob files: reading and writing one, and which paths may be one (what the
 * journal may write back, bench/harness/knob_journal.c). Below knobs.c and the
 * journal, which both use it.
 */
#include "knob_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * Where a journaled value may be written back: the knob directories. A
 * record naming any other path is corrupt, never acted on.
 */
static const char *const knob_dirs[] = {
	"/sys/kernel/mm/", "/proc/sys/",
	"/sys/kernel/debug/sched/numa_balancing/",	/* bench_numa's scan knobs */
	"/sys/module/damon_stat/parameters/",		/* bench_aging */
};
/* What a run may have mounted to reach knobs (bench_numa: debugfs). */
static const char *const mount_points[] = { "/sys/kernel/debug" };

int knob_write(const char *path, const char *value)
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

bool knob_printable(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

/* A path in a knob directory, plain: no "..", no doubled or trailing slash, no odd character. */
bool knob_path_ok(const char *path)
{
	bool in_dir = false;

	if (!*path || strlen(path) >= KNOB_PATH_LEN || strstr(path, "/.") || strstr(path, "//") ||
	    path[strlen(path) - 1] == '/' ||
	    strspn(path, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-/") !=
	    strlen(path))
		return false;
	for (unsigned int i = 0; i < sizeof(knob_dirs) / sizeof(knob_dirs[0]); i++)
		in_dir |= !strncmp(path, knob_dirs[i], strlen(knob_dirs[i]));
	return in_dir;
}

bool knob_mount_point_ok(const char *path)
{
	for (unsigned int i = 0; i < sizeof(mount_points) / sizeof(mount_points[0]); i++)
		if (!strcmp(path, mount_points[i]))
			return true;
	return false;
}
