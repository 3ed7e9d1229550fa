// SPDX-License-Identifier: GPL-2.0
/* Helper processes; see helper.h. */
#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/rseq.h>
#include <sys/wait.h>
#include <unistd.h>

#define UNTANGLE_SPAN (64u << 10)
#define PAGE 4096ul

pid_t helper_fork(void)
{
	pid_t parent = getpid(), pid = fork();

	if (pid == 0) {
		static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };

		for (unsigned int i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			signal(sigs[i], SIG_DFL);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)	/* the parent died before prctl */
			_exit(1);
	}
	return pid;
}

/* The state letter of /proc/pid/stat ("pid (comm) S ..."), 0 on error. */
static char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

int helper_wait_blocked(pid_t pid)
{
	for (int i = 0; i < 10000; i++) {
		if (proc_state(pid) == 'S')
			return 0;
		sched_yield();
	}
	return -EAGAIN;
}

int helper_reap(pid_t pid, bool kill_it)
{
	int status;

	if (pid <= 0)
		return 0;
	if (kill_it)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

int helper_write(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int helper_read(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void helper_untangle(void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p & ~(PAGE - 1), e = (uintptr_t)p + len;

	for (; a < e; a += PAGE) {
		volatile char *c = (volatile char *)(a < (uintptr_t)p ? (uintptr_t)p : a);

		*c = *c;
	}
}

/* The [stack] VMA from /proc/self/maps; false if not found. */
static bool stack_vma(uintptr_t *lo, uintptr_t *hi)
{
	char line[512];
	bool found = false;
	FILE *f = fopen("/proc/self/maps", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		if (strstr(line, "[stack]") &&
		    sscanf(line, "%" SCNxPTR "-%" SCNxPTR, lo, hi) == 2)
			found = true;
	fclose(f);
	return found;
}

void helper_untangle_thread(void)
{
	uintptr_t lo, hi, sp = (uintptr_t)__builtin_frame_address(0), s, e;

	/* glibc registers the rseq area (0 size: not registered). */
	if (__rseq_size)
		helper_untangle((char *)__builtin_thread_pointer() + __rseq_offset, __rseq_size);
	if (!stack_vma(&lo, &hi))
		return;
	s = sp > lo + UNTANGLE_SPAN ? sp - UNTANGLE_SPAN : lo;
	e = sp + UNTANGLE_SPAN < hi ? sp + UNTANGLE_SPAN : hi;
	/* Read and write back: the frames above are live, the space below is unused. */
	for (uintptr_t a = s & ~(PAGE - 1); a < e; a += PAGE) {
		volatile char *c = (volatile char *)(a < lo ? lo : a);

		*c = *c;
	}
}
