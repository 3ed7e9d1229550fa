/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-sample event counts of the benchmark thread: software perf events
 * (libperf), hardware ones where the machine has a PMU, and tracepoint
 * counts where tracefs is (or can be) mounted. A counter that cannot be
 * opened is recorded as unavailable with the reason, never faked.
 */
#ifndef NB_COUNTERS_H
#define NB_COUNTERS_H

#include <stdbool.h>
#include <stdint.h>

enum counter_id {
	CNT_PAGE_FAULTS,
	CNT_MINOR_FAULTS,
	CNT_CONTEXT_SWITCHES,
	CNT_TASK_CLOCK,
	CNT_CYCLES,
	CNT_INSTRUCTIONS,
	CNT_DTLB_LOAD_MISSES,
	CNT_TLB_FLUSH,			/* tracepoint tlb:tlb_flush */
	CNT_KVM_UNMAP_HVA_RANGE,	/* tracepoint kvm:kvm_unmap_hva_range */
	CNT_NR
};

/* Opens every counter for the calling thread. Never fails as a whole. */
void counters_open(void);
void counters_close(void);

const char *counter_name(enum counter_id id);	/* CSV column name */
bool counter_available(enum counter_id id);
/* "yes" or "unavailable (reason)", for metadata. */
const char *counter_status(enum counter_id id);

/* Snapshot all counters; the difference of two snapshots is a sample's count. */
struct counter_snap {
	uint64_t v[CNT_NR];
};
void counters_read(struct counter_snap *s);

#endif /* NB_COUNTERS_H */
