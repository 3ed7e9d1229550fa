/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal TAP 13 producer, kselftest style. Header-only: each test program
 * is one translation unit (plus bench/lib/nbdev.c).
 *
 * Exit codes: 0 all passed, 1 something failed, 4 the whole program skipped.
 * The plan is declared first (tap_plan) or counted and printed last
 * (tap_begin, then tap_finish: test_harness.h's tests).
 */
#ifndef NB_TAP_H
#define NB_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#define TAP_EXIT_PASS	0
#define TAP_EXIT_FAIL	1
#define TAP_EXIT_SKIP	4

struct tap_counts {
	unsigned int plan, done, failed;
	bool counted;	/* no plan declared: tap_finish() prints it */
};

static struct tap_counts tap_local, *tap_n = &tap_local;
static const char *tap_group;	/* prefix of the results, "group: " */

static inline void tap_plan(unsigned int n)
{
	tap_n->plan = n;
	printf("TAP version 13\n1..%u\n", n);
	fflush(stdout);	/* before any fork(): a child must not print it twice */
}

/* No plan yet: tap_finish() prints the count of results as the plan. */
static inline void tap_begin(void)
{
	tap_n->counted = true;
	printf("TAP version 13\n");
	fflush(stdout);
}

/* The counts in shared memory, so that forked children's results count. */
static inline void tap_share(void)
{
	struct tap_counts *shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
					 MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (shared == MAP_FAILED)
		return;		/* children's results are then lost: tap_finish fails */
	*shared = *tap_n;
	tap_n = shared;
}

static inline void tap_vresult(bool pass, const char *directive, const char *fmt, va_list ap)
{
	tap_n->done++;
	if (!pass)
		tap_n->failed++;
	printf("%sok %u - ", pass ? "" : "not ", tap_n->done);
	if (tap_group)
		printf("%s: ", tap_group);
	vprintf(fmt, ap);
	if (directive)
		printf(" # %s", directive);
	putchar('\n');
	fflush(stdout);
}

/* One result; returns pass so callers can stop a group on failure. */
__attribute__((format(printf, 2, 3)))
static inline bool tap_ok(bool pass, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vresult(pass, NULL, fmt, ap);
	va_end(ap);
	return pass;
}

/* A skipped result: counts as neither passed nor failed. */
__attribute__((format(printf, 2, 3)))
static inline void tap_skip(const char *reason, const char *fmt, ...)
{
	char directive[256];
	va_list ap;

	snprintf(directive, sizeof(directive), "SKIP %s", reason);
	va_start(ap, fmt);
	tap_vresult(true, directive, fmt, ap);
	va_end(ap);
}

/* Diagnostic line: the numbers behind a result. */
__attribute__((format(printf, 1, 2)))
static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* Whole-program skip, before any result. */
static inline void tap_skip_all(const char *reason)
{
	printf("TAP version 13\n1..0 # SKIP %s\n", reason);
	fflush(stdout);
	exit(TAP_EXIT_SKIP);
}

static inline void tap_bail(const char *reason)
{
	printf("Bail out! %s\n", reason);
	fflush(stdout);
	exit(TAP_EXIT_FAIL);
}

/* Exit code for main(): every planned result printed and none failed. */
static inline int tap_finish(void)
{
	if (tap_n->counted) {
		tap_n->plan = tap_n->done;
		printf("1..%u\n", tap_n->plan);
		fflush(stdout);
	}
	if (tap_n->done != tap_n->plan) {
		tap_diag("planned %u results, printed %u", tap_n->plan, tap_n->done);
		return TAP_EXIT_FAIL;
	}
	if (tap_n->failed)
		tap_diag("%u of %u failed", tap_n->failed, tap_n->plan);
	return tap_n->failed ? TAP_EXIT_FAIL : TAP_EXIT_PASS;
}

#endif /* NB_TAP_H */
