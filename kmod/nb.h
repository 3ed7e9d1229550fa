/* SPDX-License-Identifier: GPL-2.0 */
/*
 * notibench internals: a session, its attachment and the software
 * secondary page table used by the ZAP model.
 */
#ifndef NB_H
#define NB_H

#include <linux/bits.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/spinlock.h>
#include <linux/xarray.h>

#include "nb_probes.h"
#include "notibench.h"

#define NB_MODULE_VERSION	"1.4"

/* What the young callbacks return on this kernel. */
#ifdef NB_YOUNG_BOOL
#define NB_YOUNG_T	bool
#else
#define NB_YOUNG_T	int
#endif

struct nb_session;
struct nb_attachment;

/* One ops-list subscriber (NB_MODE_OPS). */
struct nb_sub {
	struct mmu_notifier mn;
	struct nb_attachment *att;
	unsigned int idx;
};

/* One interval subscriber (NB_MODE_INTERVAL). */
struct nb_isub {
	struct mmu_interval_notifier mni;
	struct nb_attachment *att;
	unsigned int idx;
};

/*
 * Software secondary page table, one 4 KiB entry per page as in
 * lib/test_hmm.c. The xarray lock is the mirror lock: invalidations take it
 * in any context, so it is a spinlock and entries are reserved before it is
 * taken.
 */
struct nb_mirror {
	struct xarray xa;
	unsigned long start;
	unsigned long end;
	/* OPS mode, KVM's protocol: a fault retries while these move. */
	unsigned long seq;
	unsigned long in_progress;
	unsigned long nr_present;
	/* INTERVAL mode: sequence from mmu_interval_read_begin() instead. */
	struct mmu_interval_notifier *mni;
};

/* Entry values: pfn << 2 | writable | present; 0 marks "zapped". */
#define NB_PTE_PRESENT		1UL
#define NB_PTE_WRITE		2UL
#define NB_PTE_PFN_SHIFT	2

/* What one attach set up; freed only after every callback has returned. */
struct nb_attachment {
	struct nb_session *s;
	struct nb_attach cfg;
	struct mm_struct *mm;		/* kept alive by the subscriptions */
	struct mmu_notifier_ops ops;
	struct mmu_interval_notifier_ops iops;
	unsigned int nr_subs;
	struct nb_sub *subs;
	struct nb_isub *isubs;
	atomic_t live_subs;		/* OPS: not yet through free_notifier */
	bool has_mirror;
	struct nb_mirror mirror;
};

/*
 * One CPU's counters, written only by that CPU (preemption off). A reset
 * does not touch them: it bumps nb_session.gen, and the CPU zeroes a cell
 * itself on the first call that finds the cell's gen stale; readers treat
 * a stale cell as zero. So a call lands wholly before or after a reset.
 * gen wraps after 2^32 resets: a cell untouched for exactly that many
 * would count again, which no run comes near.
 */
struct nb_pcpu {
	struct nb_cell cell[NB_CB_NR][NB_EV_NR];
	u32 gen[NB_CB_NR][NB_EV_NR];
};

struct nb_mirror_counters {
	atomic64_t zapped;
	atomic64_t hits;
	atomic64_t cold;
	atomic64_t refaults;
	atomic64_t upgrades;
	atomic64_t retries;
};

struct nb_session {
	struct mutex lock;		/* attach, detach, access, stats, reset */
	struct nb_attachment *att;
	struct nb_pcpu __percpu *pcpu;
	u32 gen;			/* reset generation; written under lock */
	atomic_t released;
	struct nb_mirror_counters mc;
	spinlock_t ring_lock;		/* ring and ring_seq */
	u64 ring_seq;
	struct nb_ring_entry ring[NB_RING_SIZE];
};

/* Flags for nb_account(). */
#define NB_ACC_NONBLOCK	BIT(0)
#define NB_ACC_FALLBACK	BIT(1)
#define NB_ACC_FAILED		BIT(2)
#define NB_ACC_CAPPED		BIT(3)
#define NB_ACC_NO_RANGE	BIT(4)

/* nb_callbacks.c */
void nb_fill_ops(struct nb_attachment *att);
u32 nb_kernel_callbacks(void);
u32 nb_kernel_features(void);
void nb_account(struct nb_session *s, unsigned int cb, unsigned int ev,
		unsigned long start, unsigned long end, u64 ns,
		unsigned int flags, bool record);

/* nb_cost.c */
bool nb_model_allowed(unsigned int cb, unsigned int model);
bool nb_insn_supported(void);
int nb_charge(const struct nb_cost *c, unsigned long start, unsigned long end,
	      bool blockable, u64 zapped, unsigned int *acc);

/* nb_mirror.c */
int nb_mirror_init(struct nb_attachment *att);
void nb_mirror_destroy(struct nb_attachment *att);
u64 nb_mirror_begin(struct nb_attachment *att, unsigned long start,
		    unsigned long end);
void nb_mirror_end(struct nb_attachment *att, unsigned long start,
		   unsigned long end);
u64 nb_mirror_interval_zap(struct nb_attachment *att, unsigned long start,
			   unsigned long end, unsigned long cur_seq);
u64 nb_mirror_zap_all(struct nb_attachment *att);
int nb_mirror_access(struct nb_attachment *att, struct nb_access *a);

#endif /* NB_H */
