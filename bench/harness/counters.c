// SPDX-License-Identifier: GPL-2.0
/* Counters through libperf (scripts/build-libperf builds it into build/libperf). */
#include "counters.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <perf/core.h>
#include <perf/evsel.h>
#include <perf/threadmap.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#define TRACEFS "/sys/kernel/tracing"

static const struct {
	const char *name;
	uint32_t type;
	uint64_t config;
	const char *tracepoint;		/* PERF_TYPE_TRACEPOINT: system/event */
} defs[CNT_NR] = {
	[CNT_PAGE_FAULTS] = { "page_faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS, NULL },
	[CNT_MINOR_FAULTS] = { "minor_faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MIN, NULL },
	[CNT_CONTEXT_SWITCHES] = { "context_switches", PERF_TYPE_SOFTWARE,
				   PERF_COUNT_SW_CONTEXT_SWITCHES, NULL },
	[CNT_TASK_CLOCK] = { "task_clock_ns", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK, NULL },
	[CNT_CYCLES] = { "cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, NULL },
	[CNT_INSTRUCTIONS] = { "instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS, NULL },
	[CNT_DTLB_LOAD_MISSES] = { "dtlb_load_misses", PERF_TYPE_HW_CACHE,
				   PERF_COUNT_HW_CACHE_DTLB | PERF_COUNT_HW_CACHE_OP_READ << 8 |
				   PERF_COUNT_HW_CACHE_RESULT_MISS << 16, NULL },
	[CNT_TLB_FLUSH] = { "tlb_flush", PERF_TYPE_TRACEPOINT, 0, "tlb/tlb_flush" },
	[CNT_KVM_UNMAP_HVA_RANGE] = { "kvm_unmap_hva_range", PERF_TYPE_TRACEPOINT, 0,
				      "kvm/kvm_unmap_hva_range" },
};

static struct perf_evsel *evsel[CNT_NR];
static char status[CNT_NR][96];
static struct perf_thread_map *threads;

static int quiet(enum libperf_print_level level, const char *fmt, va_list ap)
{
	(void)level, (void)fmt, (void)ap;
	return 0;
}

/* Tracepoint id from tracefs; mounts tracefs for the lookup when needed. */
static int tracepoint_id(const char *tp, __u64 *id, char *why, size_t wlen)
{
	char path[256];
	FILE *f;
	bool mounted = false;
	int ret = -1;

	snprintf(path, sizeof(path), TRACEFS "/events/%s/id", tp);
	if (access(TRACEFS "/events", F_OK)) {
		if (mount("nodev", TRACEFS, "tracefs", 0, NULL)) {
			snprintf(why, wlen, "tracefs not mounted and mount failed: %s", strerror(errno));
			return -1;
		}
		mounted = true;
	}
	f = fopen(path, "re");
	if (f) {
		ret = fscanf(f, "%llu", (unsigned long long *)id) == 1 ? 0 : -1;
		fclose(f);
	}
	if (ret)
		snprintf(why, wlen, "no tracepoint %s", tp);
	/* The perf event keeps working without tracefs: leave the system as found. */
	if (mounted)
		umount(TRACEFS);
	return ret;
}

void counters_open(void)
{
	libperf_init(quiet);
	threads = perf_thread_map__new_dummy();
	if (threads)
		perf_thread_map__set_pid(threads, 0, 0);	/* this thread */
	for (int i = 0; i < CNT_NR; i++) {
		struct perf_event_attr attr = {
			.type = defs[i].type,
			.size = sizeof(attr),
			.config = defs[i].config,
			.disabled = 0,
			.exclude_hv = 1,
		};
		char why[80] = "";
		int ret;

		if (!threads) {
			snprintf(status[i], sizeof(status[i]), "unavailable (no thread map)");
			continue;
		}
		if (defs[i].tracepoint && tracepoint_id(defs[i].tracepoint, &attr.config, why,
							sizeof(why))) {
			snprintf(status[i], sizeof(status[i]), "unavailable (%s)", why);
			continue;
		}
		evsel[i] = perf_evsel__new(&attr);
		ret = evsel[i] ? perf_evsel__open(evsel[i], NULL, threads) : -ENOMEM;
		if (ret) {
			snprintf(status[i], sizeof(status[i]), "unavailable (%s)", strerror(-ret));
			if (evsel[i])
				perf_evsel__delete(evsel[i]);
			evsel[i] = NULL;
			continue;
		}
		snprintf(status[i], sizeof(status[i]), "yes");
	}
}

void counters_close(void)
{
	for (int i = 0; i < CNT_NR; i++) {
		if (!evsel[i])
			continue;
		perf_evsel__close(evsel[i]);
		perf_evsel__delete(evsel[i]);
		evsel[i] = NULL;
	}
	if (threads)
		perf_thread_map__put(threads);
	threads = NULL;
}

const char *counter_name(enum counter_id id)
{
	return defs[id].name;
}

bool counter_available(enum counter_id id)
{
	return evsel[id] != NULL;
}

const char *counter_status(enum counter_id id)
{
	return status[id][0] ? status[id] : "not opened";
}

void counters_read(struct counter_snap *s)
{
	for (int i = 0; i < CNT_NR; i++) {
		struct perf_counts_values c = { 0 };

		s->v[i] = evsel[i] && perf_evsel__read(evsel[i], 0, 0, &c) == 0 ? c.val : 0;
	}
}
