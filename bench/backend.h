/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Secondary-MMU backends: what is attached to the benchmark's mm while it
 * runs. Each --backend option gives one or more configurations (a kmod cost
 * sweep gives one per ns or n value); the harness interleaves them.
 *
 *   none                      nothing attached
 *   kvm[,guest=auto|on|off]   a KVM VM with one memslot over the buffer; with a
 *                             guest (kvm_guest.h) that reads the buffer's pages
 *                             before each batch and again after it
 *   kmod:<model>[,k=K][,cb=start+end+...][,events=a+b][,ns=N[,N...]]
 *        [,threshold=P][,global=NS][,mode=ops|interval][,ring=0|1]
 *                             /dev/notibench with K subscribers; model zap
 *                             (K = 1, END enabled) mirrors the buffer;
 *                             model insn takes n=N[,N...] (instructions per
 *                             call) instead of ns=
 *
 * Lifecycle: open (once; an unavailable backend is a skip) -> attach over the
 * buffer -> for each sample: sample_begin, the timed batch, sample_end ->
 * detach (the harness re-attaches when the configuration changes) -> close.
 */
#ifndef NB_BACKEND_H
#define NB_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvm_guest.h"
#include "notibench.h"

enum backend_kind { BACKEND_NONE, BACKEND_KVM, BACKEND_KMOD };
/* auto: a guest where one can run (not on PVM); on: skip the run without one. */
enum kvm_guest_mode { KVM_GUEST_AUTO, KVM_GUEST_ON, KVM_GUEST_OFF };

#define KVM_STAT_NR 4	/* pages_4k, pages_2m, pages_1g, remote_tlb_flush */

struct backend {
	enum backend_kind kind;
	char label[160];		/* the configuration's name, e.g. kmod:spin,ns=250 */
	char sweep[160];		/* configurations of one sweep share this ("" if none) */
	double sweep_cost;		/* this configuration's cost per call in its sweep */
	bool cost_insn;			/* the cost counts instructions (kmod:insn, insn_range), not the clock's ns */
	bool cost_per_page;		/* the cost is per 4 KiB of the range (spin_range, insn_range) */
	bool attached;

	/* kmod */
	struct nb_attach attach;
	bool zap;			/* the ZAP model: a mirror over the buffer (range set at attach) */
	int nb_fd;
	struct nb_version version;
	struct nb_stats *stats;		/* the last sample's */
	struct nb_ring_entry ring[NB_RING_SIZE];
	unsigned int ring_n;

	/* kvm */
	int kvm_fd, vm_fd, stats_fd;
	bool pvm;			/* kvm_pvm: shadow paging, no guest can populate it */
	int64_t kvm_stat_off[KVM_STAT_NR];	/* file offset of each stat, -1: absent */
	uint64_t kvm_stat_before[KVM_STAT_NR];
	double kvm_stat[KVM_STAT_NR];	/* last sample: pages_* now, remote_tlb_flush delta */
	enum kvm_guest_mode guest_mode;
	bool guest_ok;			/* the guest runs in this attachment */
	bool guest_ran;			/* it ran in some attachment (for the metadata) */
	uint64_t guest_pages, guest_nranges, guest_ctl_gpa;	/* the last one's */
	struct kvm_guest guest;
	char guest_why[192];		/* why no guest runs */
	double guest_fill_ns, guest_refault_ns, guest_warm_ns;	/* last sample's passes */
	double kvm_zapped;		/* secondary entries the batch removed (pages_* before - after) */
};

extern const char *const kvm_stat_names[KVM_STAT_NR];

/*
 * Parses one --backend spec, appending its configurations to *v (n of them
 * so far, realloc'd). NB_EXIT_OK, or NB_EXIT_USAGE with msg.
 */
int backend_parse(const char *spec, struct backend **v, unsigned int *n, char *msg, size_t len);

/* NB_EXIT_OK, NB_EXIT_SKIP (not available here) or NB_EXIT_FAIL, with reason. */
int backend_open(struct backend *b, char *reason, size_t len);
int backend_attach(struct backend *b, void *buf, size_t len, char *reason, size_t rlen);
/* Reset counters / snapshot stats right before the timed batch; read them right after. */
int backend_sample_begin(struct backend *b);
int backend_sample_end(struct backend *b);
void backend_detach(struct backend *b);
void backend_close(struct backend *b);
/* Metadata lines for this configuration (key prefix given). */
void backend_describe(const struct backend *b, const char *prefix,
		      void (*emit)(const char *key, const char *value));

/*
 * The kmod zap model keeps a software secondary page table (a mirror) over
 * the buffer; a "device access" faults it in. Only benchmarks that declare
 * bench_ops.device_access get such a backend (harness_run checks).
 */
bool backend_has_device(const struct backend *b);
/* Device access to [buf, buf + len): 0 or -errno; out gets hits, faults, retries. */
int backend_device_access(struct backend *b, void *buf, size_t len, bool write,
			  struct nb_access *out);

/*
 * kvm with a guest: the guest reads the buffer's populated pages right before
 * the timed batch (filling KVM's secondary page table) and right after it
 * (refaulting what the batch zapped). NB_EXIT_OK, or NB_EXIT_FAIL with msg.
 */
bool backend_has_guest(const struct backend *b);
int backend_before_batch(struct backend *b, char *msg, size_t len);
int backend_after_batch(struct backend *b, char *msg, size_t len);

/* Calls per sample on which the cost is charged (for the sweep self-check). */
double backend_charged_calls(const struct backend *b);
double backend_charged_pages(const struct backend *b);
double backend_capped_calls(const struct backend *b);

#endif /* NB_BACKEND_H */
