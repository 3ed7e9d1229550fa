/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal TAP 13 producer, kselftest style. Header-only: each test program
 * is one translation unit (plus bench/nbdev.c).
 *
 * Exit codes: 0 all passed, 1 something failed, 4 the whole program skipped.
 * Groups declare how many results they print; tap_group_end() reports the
 * ones an early return left out as failures, so the plan always holds.
 */
#ifndef NB_TAP_H
#define NB_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#define TAP_EXIT_PASS	0
#define TAP_EXIT_FAIL	1
#define TAP_EXIT_SKIP	4

static struct {
	unsigned int plan, done, failed;
	const char *group;
	unsigned int group_first, group_n;
} tap_state;

static inline void tap_plan(unsigned int n)
{
	tap_state.plan = n;
	printf("TAP version 13\n1..%u\n", n);
	fflush(stdout);	/* before any fork(): a child must not print it twice */
}

static inline void tap_vresult(bool pass, const char *directive, const char *fmt, va_list ap)
{
	tap_state.done++;
	if (!pass)
		tap_state.failed++;
	printf("%sok %u - ", pass ? "" : "not ", tap_state.done);
	if (tap_state.group)
		printf("%s: ", tap_state.group);
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

static inline void tap_group_begin(const char *name, unsigned int n)
{
	tap_state.group = name;
	tap_state.group_first = tap_state.done;
	tap_state.group_n = n;
}

static inline void tap_group_end(void)
{
	unsigned int printed = tap_state.done - tap_state.group_first;

	while (printed < tap_state.group_n) {
		tap_ok(false, "check %u not reached", ++printed);
	}
	if (printed > tap_state.group_n)
		tap_diag("BUG: group %s printed %u results, declared %u",
			 tap_state.group, printed, tap_state.group_n);
	tap_state.group = NULL;
}

/* Exit code for main(): every planned result printed and none failed. */
static inline int tap_finish(void)
{
	if (tap_state.done != tap_state.plan) {
		tap_diag("planned %u results, printed %u", tap_state.plan, tap_state.done);
		return TAP_EXIT_FAIL;
	}
	if (tap_state.failed)
		tap_diag("%u of %u failed", tap_state.failed, tap_state.plan);
	return tap_state.failed ? TAP_EXIT_FAIL : TAP_EXIT_PASS;
}

#endif /* NB_TAP_H */
