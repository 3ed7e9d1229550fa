/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Run metadata: "key: value" lines of the CSV header. env_capture() records
 * the machine and kernel state that decides what a figure means.
 */
#ifndef NB_ENV_H
#define NB_ENV_H

#include <stdbool.h>
#include <stdio.h>

/* Adds (or replaces) a key. Newlines in values become spaces. */
__attribute__((format(printf, 2, 3)))
void meta_add(const char *key, const char *fmt, ...);
/* Another line with key, keeping those it has: a run's several sweeps. */
__attribute__((format(printf, 2, 3)))
void meta_add_repeat(const char *key, const char *fmt, ...);
/* meta_add() with key "<prefix>.<i>.<name>": one of a run's several things (sweep.0.slope). */
void meta_add_nth(const char *prefix, unsigned int i, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Same, with a ready string (usable as a callback). */
void meta_put(const char *key, const char *value);
unsigned int meta_count(void);
const char *meta_key(unsigned int i);
const char *meta_value(unsigned int i);
const char *meta_get(const char *key);	/* NULL when absent */

/* What scripts/vm writes into its guest; NB_VM_META overrides (tests). */
#define NB_VM_META_PATH "/etc/notibench/vm.meta"

/*
 * Kernel, cmdline, CPU, THP, hugetlb, NUMA balancing, KSM, git revision,
 * date, and the keys of NB_VM_META_PATH; clock_unit (default ns) and
 * kernel_label (default the release) are always set.
 */
void env_capture(void);

/*
 * "insn" when the clock counts guest instructions (scripts/vm --exact:
 * QEMU icount, 1 guest ns per instruction), else "ns".
 */
const char *env_clock_unit(void);

/* Running kernel's major.minor, from uname. */
void env_kernel_version(unsigned int *major, unsigned int *minor);
/* The running kernel is maj.min or newer (what the benchmarks' predictions key on). */
bool env_kernel_at_least(unsigned int maj, unsigned int min);

/*
 * Kernel traits (bench/harness/traits.def): what a patched kernel declares it
 * changes, from NB_VM_META_PATH's kernel_traits ("k=v k=v", written by
 * scripts/vm) and NB_KERNEL_TRAITS (same form; its keys override; for a
 * patched kernel booted natively). env_traits_load() parses both once: 0,
 * or 2 (NB_EXIT_USAGE) with msg naming the source, for an unknown key, a
 * value not in the table or a key given twice in one source.
 */
int env_traits_load(char *msg, size_t len);
/* The declared value, or NULL (not declared: the stock kernel's behaviour). */
const char *env_kernel_trait(const char *key);
bool env_trait_is(const char *key, const char *value);
/* "k=v k=v" of the declared traits in key order; "" when none. */
void env_traits_string(char *buf, size_t len);
/* The table and this machine's values, one trait a line (notibench traits). */
void env_traits_print(FILE *f);
/*
 * Does change_protection() (mprotect, NUMA hinting scans) notify one
 * PROTECTION_VMA pair per PUD table (512 GiB chunk; true) or per PMD table
 * (1 GiB chunk)? The trait mprotect_notify when declared, else the version
 * (PUD from 6.12). basis, if not NULL: "by trait mprotect_notify=pmd" or
 * "by version (>= 6.12)", for the predictions' texts.
 */
bool env_mprotect_notify_pud(const char **basis);
/*
 * Does arm64's range flush hand the secondary-TLB hook start == end (true)?
 * The trait range_flush_hook when declared, else the version: 6.6-6.13,
 * except 6.12.20 on (the fix's stable backport). Always false elsewhere than
 * arm64 and before 6.6 (no hook in the arch's flush). basis as above.
 */
bool env_range_flush_hook_empty(const char **basis);

/* The architecture these predictions are for: the one this binary runs on. */
#if defined(__aarch64__)
#define ENV_ARM64 1
#else
#define ENV_ARM64 0
#endif

#endif /* NB_ENV_H */
