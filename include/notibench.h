/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * notibench ioctl ABI, shared by kmod/notibench.ko and user space.
 *
 * One open file of /dev/notibench is one session. A session attaches K
 * notifier subscribers to the mm of the process that calls NB_IOC_ATTACH,
 * charges each callback the cost the caller configured and counts every call.
 *
 * Every structure has a fixed size with explicit padding; tests/abi_test.c
 * pins sizes and offsets. Bump NB_ABI_VERSION on any incompatible change.
 */
#ifndef _UAPI_NOTIBENCH_H
#define _UAPI_NOTIBENCH_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/ioctl.h>
#else
#include <linux/types.h>
#include <sys/ioctl.h>
#endif

#define NB_ABI_VERSION		4
#define NB_DEVICE		"/dev/notibench"

/* Callbacks. A bit per callback selects which ones a session implements. */
enum nb_callback {
	NB_CB_START = 0,	/* invalidate_range_start */
	NB_CB_END,		/* invalidate_range_end */
	/* arch_invalidate_secondary_tlbs (>= 6.6), invalidate_range (< 6.6) */
	NB_CB_TLB,
	NB_CB_CLEAR_FLUSH_YOUNG,
	NB_CB_CLEAR_YOUNG,
	NB_CB_TEST_YOUNG,
	NB_CB_CHANGE_PTE,	/* only on kernels that still have it (< 6.10) */
	NB_CB_RELEASE,
	NB_CB_INTERVAL,		/* mmu_interval_notifier_ops.invalidate */
	NB_CB_NR
};

#define NB_CB_BIT(cb)		(1u << (cb))
#define NB_CB_ALL_OPS		(NB_CB_BIT(NB_CB_NR) - 1 - NB_CB_BIT(NB_CB_INTERVAL))
#define NB_CB_ALL		(NB_CB_BIT(NB_CB_NR) - 1)

/*
 * Event slots of the statistics. 0..7 are enum mmu_notifier_event values
 * (UNMAP, CLEAR, PROTECTION_VMA, PROTECTION_PAGE, SOFT_DIRTY, RELEASE,
 * MIGRATE, EXCLUSIVE); 8 is MMU_NOTIFY_PROTECTION_UPGRADE, which no
 * mainline kernel has (patches/6.12/upgrade-notify.patch adds it): the
 * module fills it only when built against a kernel that has the value
 * (probe NB_HAVE_PROTECTION_UPGRADE). An event the module does not know
 * lands in NB_EV_OTHER; callbacks that carry no event (TLB, young,
 * change_pte, release) land in NB_EV_NONE. ABI 3 added slot 8.
 */
enum nb_event_slot {
	NB_EV_UNMAP = 0,
	NB_EV_CLEAR,
	NB_EV_PROTECTION_VMA,
	NB_EV_PROTECTION_PAGE,
	NB_EV_SOFT_DIRTY,
	NB_EV_RELEASE,
	NB_EV_MIGRATE,
	NB_EV_EXCLUSIVE,
	NB_EV_PROTECTION_UPGRADE,
	NB_EV_OTHER,
	NB_EV_NONE,
	NB_EV_NR
};

#define NB_EV_BIT(ev)		(1u << (ev))
#define NB_EV_ALL		(NB_EV_BIT(NB_EV_NR) - 1)

/* Callbacks that carry a range: what a per-page cost can scale with. */
#define NB_CB_RANGE		(NB_CB_BIT(NB_CB_START) | NB_CB_BIT(NB_CB_END) | \
				 NB_CB_BIT(NB_CB_TLB) | NB_CB_BIT(NB_CB_CLEAR_FLUSH_YOUNG) | \
				 NB_CB_BIT(NB_CB_CLEAR_YOUNG) | NB_CB_BIT(NB_CB_INTERVAL))
/* Sleeping needs a context that can: the invalidation's brackets. */
#define NB_CB_SLEEPY		(NB_CB_BIT(NB_CB_START) | NB_CB_BIT(NB_CB_END) | \
				 NB_CB_BIT(NB_CB_INTERVAL))
/*
 * Failing (and zapping, which must come before the primary MMU update)
 * needs the callback that opens an invalidation.
 */
#define NB_CB_OPENING		(NB_CB_BIT(NB_CB_START) | NB_CB_BIT(NB_CB_INTERVAL))

/* A model's kind: what struct nb_cost's numbers mean for it. */
#define NB_COST_NS		0		/* ns: nanoseconds per call */
#define NB_COST_NONE		(1u << 0)	/* nothing is charged, ns is not used */
#define NB_COST_PER_PAGE	(1u << 1)	/* ns is per 4 KiB of the range */
#define NB_COST_INSN		(1u << 2)	/* ns is a count of instructions, <= NB_MAX_INSN */
#define NB_COST_THRESHOLD	(1u << 3)	/* threshold and global_ns are used too */

/*
 * Cost models, one row each: the one table the module, notibench and the
 * tests take a model's number, name, callbacks and kind from.
 *
 *   X(ID, value, name, callbacks, kind, feature)
 *
 * ID, value:	NB_MODEL_<ID> and its ABI number (never renumbered)
 * name:	its name in --backend kmod:<name>, labels and results
 * callbacks:	NB_CB_BIT() mask of the callbacks it may be charged on
 * kind:	NB_COST_* flags
 * feature:	the NB_FEAT_* bit a module that has it reports, 0 if all do
 *
 * Every time is in nanoseconds; INSN's and INSN_RANGE's cost is
 * instructions. COUNT: count only; SPIN: busy-wait ns per call;
 * SPIN_RANGE: per 4 KiB of the range; SLEEP: sleep ns (us granularity)
 * when blockable, else spin; SMMU: ns per page up to threshold pages, else
 * global_ns; FAIL: -EAGAIN when not blockable, else spin ns; ZAP: zap the
 * software secondary page table, ns per entry; INSN: execute exactly ns
 * (a count) instructions per call; INSN_RANGE: ns instructions per 4 KiB.
 *
 * Adding a cost model: append a row with the next value (NB_MODEL_NR
 * follows the last row), implement it in nb_charge() (kmod/nb_cost.c),
 * add its line to kmod/README.md's table, its numbers to tests/abi_test.c
 * (which pins the table) and a test to tests/kmod_test.c.
 * The module's checks, notibench's --backend parsing, help and messages
 * and the guest fuzzer take the rest from the row. A model only some
 * modules have gets an NB_FEAT_* bit (set in nb_kernel_features()): an
 * older module refuses the new value with -EINVAL, which keeps the ABI.
 * Rules beyond the callback mask (FAIL's and ZAP's) stay in code, on both
 * sides.
 */
#define NB_MODELS(X) \
	X(COUNT,	0, "count",	 NB_CB_ALL,	NB_COST_NONE, 0) \
	X(SPIN,		1, "spin",	 NB_CB_ALL,	NB_COST_NS, 0) \
	X(SPIN_RANGE,	2, "spin_range", NB_CB_RANGE,	NB_COST_PER_PAGE, 0) \
	X(SLEEP,	3, "sleep",	 NB_CB_SLEEPY,	NB_COST_NS, 0) \
	X(SMMU,		4, "smmu",	 NB_CB_RANGE,	NB_COST_THRESHOLD, 0) \
	X(FAIL,		5, "fail",	 NB_CB_OPENING,	NB_COST_NS, 0) \
	X(ZAP,		6, "zap",	 NB_CB_OPENING,	NB_COST_NS, 0) \
	X(INSN,		7, "insn",	 NB_CB_ALL,	NB_COST_INSN, NB_FEAT_INSN) \
	X(INSN_RANGE,	8, "insn_range", NB_CB_RANGE,	NB_COST_INSN | NB_COST_PER_PAGE, \
	  NB_FEAT_INSN_RANGE)

#define NB_MODEL_ENUM_(id, value, name, cbs, kind, feat)	NB_MODEL_##id = (value),
enum nb_model {
	NB_MODELS(NB_MODEL_ENUM_)
	NB_MODEL_NR
};

#undef NB_MODEL_ENUM_

/* Caps. A configured time above NB_MAX_NS is -EINVAL; the time one call
 * charges is clamped to NB_MAX_CALL_NS and the clamp is counted.
 */
#define NB_MAX_NS		1000000ULL	/* 1 ms */
#define NB_MAX_CALL_NS		1000000ULL	/* 1 ms */
#define NB_MAX_INSN		1000000ULL	/* INSN: instructions per call */
/* INSN_RANGE: instructions one call executes are clamped to this, counted
 * as capped; 2^28 covers a 64 GiB range at up to 16 per 4 KiB page.
 */
#define NB_MAX_INSN_CALL	(1ULL << 28)
#define NB_MAX_SUBSCRIBERS	64
#define NB_MAX_THRESHOLD	(1ULL << 20)	/* SMMU threshold, pages */
#define NB_MAX_MIRROR_LEN	(1ULL << 40)	/* 1 TiB of virtual range */
#define NB_MAX_MIRROR_ENTRIES	(1ULL << 22)	/* 16 GiB of 4 KiB entries */

struct nb_cost {
	__u32 model;		/* enum nb_model */
	__u32 reserved;		/* must be 0 */
	/*
	 * SPIN, SPIN_RANGE, SLEEP, SMMU (per page), FAIL, ZAP (per entry): ns;
	 * INSN: instructions per call (N; the call executes N + a constant);
	 * INSN_RANGE: instructions per 4 KiB of the range
	 */
	__u64 ns;
	__u64 threshold;	/* SMMU: pages up to which ns is charged per page */
	__u64 global_ns;	/* SMMU: cost of one global invalidation */
};

enum nb_attach_mode {
	NB_MODE_OPS = 0,	/* K mmu_notifier subscribers (mmu_notifier_register) */
	NB_MODE_INTERVAL,	/* K mmu_interval_notifiers over [start, start + len) */
};

#define NB_ATTACH_NO_RING	(1u << 0)	/* don't record the invalidation ring */
#define NB_ATTACH_FLAGS		(NB_ATTACH_NO_RING)

struct nb_attach {
	__u32 abi_version;	/* NB_ABI_VERSION */
	__u32 mode;		/* enum nb_attach_mode */
	__u32 nr_subscribers;	/* 1..NB_MAX_SUBSCRIBERS */
	__u32 callbacks;	/* NB_CB_BIT() mask; OPS mode: not INTERVAL; INTERVAL mode: INTERVAL only */
	__u32 event_mask;	/* NB_EV_BIT() mask: events on which costs are charged */
	__u32 flags;		/* NB_ATTACH_* */
	__u64 start;		/* INTERVAL mode and the ZAP model: the range */
	__u64 len;
	struct nb_cost cost[NB_CB_NR];
};

/* Log2 histogram of range sizes. */
#define NB_HIST_SMALL		0	/* len < 4 KiB (an empty range included) */
/* bucket b in 1..28: 2^(11+b) <= len < 2^(12+b), i.e. 4 KiB .. 512 GiB */
#define NB_HIST_HUGE		29	/* len >= 1 TiB, not the full range */
#define NB_HIST_FULL		30	/* start == 0 && end == ULONG_MAX */
#define NB_HIST_BUCKETS		31

struct nb_cell {
	__u64 calls;
	__u64 bytes;		/* sum of range lengths, full-range calls excluded */
	__u64 ns;		/* time spent inside the callback */
	__u64 ns_max;
	__u64 nonblock;		/* calls with !mmu_notifier_range_blockable() */
	__u64 fallback;		/* SLEEP that had to spin */
	__u64 failed;		/* FAIL that returned -EAGAIN / false */
	__u64 capped;		/* charged time clamped to NB_MAX_CALL_NS */
	__u64 hist[NB_HIST_BUCKETS];
	__u64 reserved;
};

/* The software secondary page table used by the ZAP model. */
struct nb_mirror_stats {
	__u64 entries;		/* present now */
	__u64 zapped;		/* present entries removed by invalidations */
	__u64 hits;		/* device accesses that found a usable entry */
	__u64 cold;		/* faults on pages never mapped before */
	__u64 refaults;		/* faults on pages an invalidation had zapped */
	__u64 upgrades;		/* write faults on a present read-only entry */
	__u64 retries;		/* faults retried because an invalidation raced */
	__u64 reserved;
};

#define NB_STATE_ATTACHED	(1u << 0)
#define NB_STATE_RELEASED	(1u << 1)	/* the mm went away while attached */

struct nb_stats {
	__u32 abi_version;
	__u32 state;		/* NB_STATE_* */
	__u32 nr_subscribers;
	__u32 callbacks;
	__u64 ring_seq;		/* invalidations recorded in the ring so far */
	struct nb_mirror_stats mirror;
	struct nb_cell cell[NB_CB_NR][NB_EV_NR];
};

struct nb_ring_entry {
	__u64 seq;
	__u64 start;
	__u64 end;
	__u64 ns;
	__u8 callback;		/* enum nb_callback */
	__u8 event;		/* enum nb_event_slot */
	__u8 blockable;
	__u8 failed;
	__u32 cpu;
};

#define NB_RING_SIZE		256

/*
 * STATS: size must be sizeof(struct nb_stats); RING: size is the entries
 * ptr has room for, 1..NB_RING_SIZE. count must be 0 on the way in (both
 * -EINVAL otherwise); RING sets it to the entries copied, oldest first.
 */
struct nb_buf {
	__u64 ptr;		/* user pointer */
	__u32 size;		/* STATS: bytes; RING: entries */
	__u32 count;		/* in: 0; RING, out: entries copied */
};

#define NB_ACCESS_WRITE		(1u << 0)

/* "Device access" to the ZAP model's mirror: fault in [start, start + len). */
struct nb_access {
	__u64 start;
	__u64 len;
	__u32 flags;		/* NB_ACCESS_* */
	__u32 reserved;
	__u64 hits;		/* out, for this call */
	__u64 faults;		/* out: cold + refaults + upgrades */
	__u64 retries;		/* out */
};

/* Kernel and module features, NB_IOC_VERSION out. */
#define NB_FEAT_TLB_IS_ARCH	(1u << 0)	/* TLB is arch_invalidate_secondary_tlbs */
#define NB_FEAT_CHANGE_PTE	(1u << 1)
#define NB_FEAT_YOUNG_BOOL	(1u << 2)
#define NB_FEAT_INSN		(1u << 3)	/* the INSN model (this architecture has its loop) */
/* the kernel has MMU_NOTIFY_PROTECTION_UPGRADE: NB_EV_PROTECTION_UPGRADE counts it */
#define NB_FEAT_PROTECTION_UPGRADE	(1u << 4)
#define NB_FEAT_INSN_RANGE	(1u << 5)	/* the INSN_RANGE model (module 1.3, with the loop) */

#define NB_MODEL_CBS_(id, value, name, cbs, kind, feat)	case (value): return (cbs);
#define NB_MODEL_KIND_(id, value, name, cbs, kind, feat)	case (value): return (kind);
#define NB_MODEL_FEAT_(id, value, name, cbs, kind, feat)	case (value): return (feat);

/* NB_MODELS' columns by model number; 0 for an unknown model. */
static inline __u32 nb_model_callbacks(__u32 model)
{
	switch (model) {
	NB_MODELS(NB_MODEL_CBS_)
	}
	return 0;
}

static inline __u32 nb_model_kind(__u32 model)
{
	switch (model) {
	NB_MODELS(NB_MODEL_KIND_)
	}
	return 0;
}

static inline __u32 nb_model_feature(__u32 model)
{
	switch (model) {
	NB_MODELS(NB_MODEL_FEAT_)
	}
	return 0;
}

#undef NB_MODEL_CBS_
#undef NB_MODEL_KIND_
#undef NB_MODEL_FEAT_

struct nb_version {
	__u32 abi_version;
	__u32 features;		/* NB_FEAT_* */
	__u32 callbacks;	/* NB_CB_BIT() of callbacks this kernel has */
	__u32 reserved;
	char kernel_release[72];	/* 64 chars and the NUL (ABI 2) */
	char module_version[32];
};

/*
 * ABI 4 moved the commands from 0xB7 (nsfs and remoteproc_cdev's in the
 * kernel's Documentation/userspace-api/ioctl/ioctl-number.rst) to 0xBB,
 * which neither the 6.1 nor the 6.12 list assigns, no header of either
 * tree uses as an ioctl type, and no proposal we found asks for (0xB8 is
 * mrvl_cn10k_dpi's since 6.11, 0xB9 was asked for by a JTAG driver).
 * ABI 4 also refuses a RING size outside 1..NB_RING_SIZE and a non-zero
 * RING count in.
 */
#define NB_IOC_MAGIC		0xBB
#define NB_IOC_VERSION		_IOR(NB_IOC_MAGIC, 0, struct nb_version)
/* ATTACH needs CAP_SYS_ADMIN in the caller, not only in the opener (-EPERM) */
#define NB_IOC_ATTACH		_IOW(NB_IOC_MAGIC, 1, struct nb_attach)
#define NB_IOC_DETACH		_IO(NB_IOC_MAGIC, 2)
#define NB_IOC_STATS		_IOWR(NB_IOC_MAGIC, 3, struct nb_buf)
#define NB_IOC_RING		_IOWR(NB_IOC_MAGIC, 4, struct nb_buf)
#define NB_IOC_RESET		_IO(NB_IOC_MAGIC, 5)
#define NB_IOC_ACCESS		_IOWR(NB_IOC_MAGIC, 6, struct nb_access)

#endif /* _UAPI_NOTIBENCH_H */
