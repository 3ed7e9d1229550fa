/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small test harness on tap.h, with kselftest_harness.h's properties and
 * our TAP lines (each check stays one "ok N - group: what" result):
 *  - TEST_F(fixture, name, "group") registers a test (a constructor; run in
 *    the order of the source lines);
 *  - FIXTURE(f) { fields }, FIXTURE_SETUP(f) and FIXTURE_TEARDOWN(f): setup
 *    runs before each test, teardown after it however the test ended;
 *  - TEST_FV(fixture, name, "group", params): the test once per element of
 *    the array params (`variant` points to it); a NULL group takes each
 *    variant's first member, a string, as its group;
 *  - the plan is counted, not declared: printed at the end (TAP 13 allows
 *    it there), so a program that dies on the way has no plan and fails;
 *  - a test that stops early (STOP_IF, a failed setup) or prints nothing is
 *    one failure; with harness_fork set each test runs in a child, so that
 *    a crash fails that test and the next one runs.
 */
#ifndef NB_TEST_HARNESS_H
#define NB_TEST_HARNESS_H

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"

struct harness_test {
	const char *group, *name;
	int line;
	size_t self_size, nr_variants, variant_size;
	const void *variants;
	bool (*setup)(void *self);
	void (*teardown)(void *self);
	void (*run)(void *self, const void *variant);
	struct harness_test *next;
};

static struct harness_test *harness_tests;
static bool harness_fork;			/* one child per test */
static unsigned int harness_first_failed;	/* tap_n->failed when the test began */

/* Insert sorted by line: constructors' order is the linker's business. */
static inline void harness_register(struct harness_test *t)
{
	struct harness_test **p = &harness_tests;

	while (*p && (*p)->line < t->line)
		p = &(*p)->next;
	t->next = *p;
	*p = t;
}

#define FIXTURE(f)		struct f
#define FIXTURE_SETUP(f)	static bool f##_setup(struct f *self)
#define FIXTURE_TEARDOWN(f)	static void f##_teardown(struct f *self)

#define HARNESS_TEST(f, fn, grp, vars, vsize, nvars, vtype)					\
	static void fn(struct f *self, vtype variant);						\
	static void fn##_run(void *self, const void *variant) { fn(self, variant); }		\
	static bool fn##_setup(void *self) { return f##_setup(self); }			\
	static void fn##_teardown(void *self) { f##_teardown(self); }				\
	__attribute__((constructor)) static void fn##_register(void)				\
	{											\
		static struct harness_test t = {						\
			.group = grp, .name = #fn, .line = __LINE__,				\
			.self_size = sizeof(struct f), .variants = vars,			\
			.variant_size = vsize, .nr_variants = nvars,				\
			.setup = fn##_setup, .teardown = fn##_teardown, .run = fn##_run,	\
		};										\
		harness_register(&t);								\
	}											\
	static void fn(__attribute__((unused)) struct f *self, __attribute__((unused)) vtype variant)

#define TEST_F(f, fn, grp)	HARNESS_TEST(f, fn, grp, NULL, 0, 1, const void *)
#define TEST_FV(f, fn, grp, params)								\
	HARNESS_TEST(f, fn, grp, params, sizeof((params)[0]),					\
		     sizeof(params) / sizeof((params)[0]), const __typeof__((params)[0]) *)

/* The running test stops: one failure, unless it has already failed. */
static inline void harness_stop(const char *why, int line)
{
	if (tap_n->failed == harness_first_failed)
		tap_ok(false, "stopped early at line %d: %s", line, why ?: "see above");
	else
		tap_diag("%s: stopped at line %d after a failure", tap_group, line);
}

#define STOP()		do { harness_stop(NULL, __LINE__); return; } while (0)
#define STOP_IF(cond)	do { if (cond) { harness_stop(#cond, __LINE__); return; } } while (0)

static inline void harness_run_one(const struct harness_test *t, const void *variant)
{
	char self[t->self_size] __attribute__((aligned(16)));
	unsigned int done = tap_n->done;

	memset(self, 0, t->self_size);
	if (t->setup(self))
		t->run(self, variant);
	else
		tap_ok(false, "fixture setup failed");
	t->teardown(self);
	if (tap_n->done == done)
		tap_ok(false, "%s printed no result", t->name);
}

/*
 * A forked child shares its private pages with the parent until it writes
 * them, and that first write copies the page: a fault with MMU-notifier
 * calls (a CLEAR; invalidate_range before 6.6) in the middle of what a test
 * counts. Write each private writable page once before the test instead.
 */
static inline void harness_unshare(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	unsigned long lo, hi, page = sysconf(_SC_PAGESIZE);
	char line[512], perms[5];

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) != 3 || strcmp(perms, "rw-p"))
			continue;
		for (volatile char *p = (char *)lo; p < (char *)hi; p += page)
			*p = *p;
	}
	if (f)
		fclose(f);
}

/* In a child: its results count in the shared tap_n; a signal is a failure. */
static inline void harness_fork_one(const struct harness_test *t, const void *variant)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		harness_unshare();
		harness_run_one(t, variant);
		fflush(stdout);
		_exit(0);	/* not exit(): the parent's atexit handlers are its own */
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		tap_ok(false, "%s: fork or wait failed", t->name);
	else if (WIFSIGNALED(status))
		tap_ok(false, "%s crashed: signal %d", t->name, WTERMSIG(status));
}

/* Run every registered test; returns main()'s exit code. */
static inline int harness_main(void)
{
	if (harness_fork)
		tap_share();
	for (const struct harness_test *t = harness_tests; t; t = t->next) {
		for (size_t v = 0; v < t->nr_variants; v++) {
			const void *variant = t->variants ?
				(const char *)t->variants + v * t->variant_size : NULL;

			tap_group = t->group ?: *(const char *const *)variant;
			harness_first_failed = tap_n->failed;
			if (harness_fork)
				harness_fork_one(t, variant);
			else
				harness_run_one(t, variant);
		}
	}
	tap_group = NULL;
	return tap_finish();
}

/* ---- helpers the tests share ---- */

/* The file's text, NUL-terminated, at most size - 1 bytes. */
static inline bool read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return false;
	buf[n] = '\0';
	return true;
}

#endif /* NB_TEST_HARNESS_H */
