/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers shared by the benchmark binary and the tests: the clock and
 * the number parsers of the command line and of --backend specs.
 */
#ifndef NB_UTIL_H
#define NB_UTIL_H

#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC in ns. Inline: the harness reads it around the timed batch. */
static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A decimal number in 0..max, nothing else (no sign, no suffix). 0 or -1. */
int parse_u64(const char *s, uint64_t max, uint64_t *v);
/* "2M", "64G", "4096", "1GiB": bytes (K, M, G, T: powers of 1024). 0 or -1. */
int parse_size(const char *s, uint64_t *v);

#endif /* NB_UTIL_H */
