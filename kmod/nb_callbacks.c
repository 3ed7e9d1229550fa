// SPDX-License-Identifier: GPL-2.0
/*
 * notibench callbacks: every mmu_notifier_ops member a session can ask for,
 * and the interval notifier's invalidate. Each one charges its cost model
 * and is counted per CPU.
 */
#include <linux/ktime.h>
#include <linux/log2.h>
#include <linux/sizes.h>

#include "nb.h"

static unsigned int nb_bucket(unsigned long start, unsigned long end)
{
	unsigned long len = end - start;

	if (start == 0 && end == ULONG_MAX)
		return NB_HIST_FULL;
	if (len < SZ_4K)
		return NB_HIST_SMALL;
	/* [4 KiB, 8 KiB) is bucket 1 */
	return min_t(unsigned int, ilog2(len) - 11, NB_HIST_HUGE);
}

static void nb_record(struct nb_session *s, unsigned int cb, unsigned int ev,
		      unsigned long start, unsigned long end, u64 ns,
		      unsigned int flags)
{
	struct nb_ring_entry *e;

	spin_lock(&s->ring_lock);
	e = &s->ring[s->ring_seq % NB_RING_SIZE];
	e->seq = s->ring_seq++;
	e->start = start;
	e->end = end;
	e->ns = ns;
	e->callback = cb;
	e->event = ev;
	e->blockable = !(flags & NB_ACC_NONBLOCK);
	e->failed = !!(flags & NB_ACC_FAILED);
	e->cpu = raw_smp_processor_id();
	spin_unlock(&s->ring_lock);
}

void nb_account(struct nb_session *s, unsigned int cb, unsigned int ev,
		unsigned long start, unsigned long end, u64 ns,
		unsigned int flags, bool record)
{
	struct nb_pcpu *p = get_cpu_ptr(s->pcpu);
	struct nb_cell *c = &p->cell[cb][ev];
	u32 gen = READ_ONCE(s->gen);

	/* First call here since a reset: this CPU clears its own cell. */
	if (unlikely(p->gen[cb][ev] != gen)) {
		memset(c, 0, sizeof(*c));
		/* a reader that sees the new gen sees the zeroed cell */
		smp_wmb();
		WRITE_ONCE(p->gen[cb][ev], gen);
	}
	c->calls++;
	c->ns += ns;
	if (ns > c->ns_max)
		c->ns_max = ns;
	c->nonblock += !!(flags & NB_ACC_NONBLOCK);
	c->fallback += !!(flags & NB_ACC_FALLBACK);
	c->failed += !!(flags & NB_ACC_FAILED);
	c->capped += !!(flags & NB_ACC_CAPPED);
	if (!(flags & NB_ACC_NO_RANGE)) {
		unsigned int b = nb_bucket(start, end);

		if (b != NB_HIST_FULL)
			c->bytes += end - start;
		c->hist[b]++;
	}
	put_cpu_ptr(s->pcpu);

	if (record)
		nb_record(s, cb, ev, start, end, ns, flags);
}

static inline struct nb_sub *to_sub(struct mmu_notifier *mn)
{
	return container_of(mn, struct nb_sub, mn);
}

/*
 * The kernel's event values 0..7 (UNMAP..EXCLUSIVE) are the slots of the
 * same number; MMU_NOTIFY_PROTECTION_UPGRADE (patched kernels only) has its
 * own slot, and only where the kernel's enum has it: on a kernel without it
 * a value of 8 or more means something else and counts as OTHER.
 */
static inline unsigned int nb_event(const struct mmu_notifier_range *r)
{
	unsigned int ev = r->event;

#ifdef NB_HAVE_PROTECTION_UPGRADE
	if (r->event == MMU_NOTIFY_PROTECTION_UPGRADE)
		return NB_EV_PROTECTION_UPGRADE;
#endif
	return ev < NB_EV_PROTECTION_UPGRADE ? ev : NB_EV_OTHER;
}

static inline bool nb_charged(const struct nb_attachment *att, unsigned int ev)
{
	return att->cfg.event_mask & NB_EV_BIT(ev);
}

static bool nb_record_att(const struct nb_attachment *att, unsigned int idx)
{
	return idx == 0 && !(att->cfg.flags & NB_ATTACH_NO_RING);
}

static int nb_start(struct mmu_notifier *mn, const struct mmu_notifier_range *r)
{
	struct nb_sub *sub = to_sub(mn);
	struct nb_attachment *att = sub->att;
	bool blockable = mmu_notifier_range_blockable(r);
	unsigned int ev = nb_event(r), acc = blockable ? 0 : NB_ACC_NONBLOCK;
	u64 t0 = ktime_get_ns(), zapped = 0;
	int ret = 0;

	if (att->has_mirror)
		zapped = nb_mirror_begin(att, r->start, r->end);
	if (nb_charged(att, ev))
		ret = nb_charge(&att->cfg.cost[NB_CB_START], r->start, r->end,
				blockable, zapped, &acc);
	nb_account(att->s, NB_CB_START, ev, r->start, r->end,
		   ktime_get_ns() - t0, acc, nb_record_att(att, sub->idx));
	return ret;
}

static void nb_end(struct mmu_notifier *mn, const struct mmu_notifier_range *r)
{
	struct nb_sub *sub = to_sub(mn);
	struct nb_attachment *att = sub->att;
	bool blockable = mmu_notifier_range_blockable(r);
	unsigned int ev = nb_event(r), acc = blockable ? 0 : NB_ACC_NONBLOCK;
	u64 t0 = ktime_get_ns();

	if (att->has_mirror)
		nb_mirror_end(att, r->start, r->end);
	if (nb_charged(att, ev))
		nb_charge(&att->cfg.cost[NB_CB_END], r->start, r->end,
			  blockable, 0, &acc);
	nb_account(att->s, NB_CB_END, ev, r->start, r->end,
		   ktime_get_ns() - t0, acc, nb_record_att(att, sub->idx));
}

/* Callbacks without an event run under the page-table lock: never block. */
static void nb_atomic_cb(struct mmu_notifier *mn, unsigned int cb,
			 unsigned long start, unsigned long end, bool record)
{
	struct nb_sub *sub = to_sub(mn);
	struct nb_attachment *att = sub->att;
	unsigned int acc = NB_ACC_NONBLOCK;
	u64 t0 = ktime_get_ns();

	nb_charge(&att->cfg.cost[cb], start, end, false, 0, &acc);
	nb_account(att->s, cb, NB_EV_NONE, start, end, ktime_get_ns() - t0,
		   acc, record && nb_record_att(att, sub->idx));
}

#if defined(NB_HAVE_ARCH_INVALIDATE_SECONDARY_TLBS) || defined(NB_HAVE_INVALIDATE_RANGE)
static void nb_tlb(struct mmu_notifier *mn, struct mm_struct *mm,
		   unsigned long start, unsigned long end)
{
	nb_atomic_cb(mn, NB_CB_TLB, start, end, true);
}
#endif

/* No secondary accessed bits here: always "not young". */
static NB_YOUNG_T nb_clear_flush_young(struct mmu_notifier *mn,
				       struct mm_struct *mm,
				       unsigned long start, unsigned long end)
{
	nb_atomic_cb(mn, NB_CB_CLEAR_FLUSH_YOUNG, start, end, false);
	return 0;
}

static NB_YOUNG_T nb_clear_young(struct mmu_notifier *mn, struct mm_struct *mm,
				 unsigned long start, unsigned long end)
{
	nb_atomic_cb(mn, NB_CB_CLEAR_YOUNG, start, end, false);
	return 0;
}

static NB_YOUNG_T nb_test_young(struct mmu_notifier *mn, struct mm_struct *mm,
				unsigned long address)
{
	nb_atomic_cb(mn, NB_CB_TEST_YOUNG, address, address + PAGE_SIZE, false);
	return 0;
}

#ifdef NB_HAVE_CHANGE_PTE
static void nb_change_pte(struct mmu_notifier *mn, struct mm_struct *mm,
			  unsigned long address, pte_t pte)
{
	nb_atomic_cb(mn, NB_CB_CHANGE_PTE, address, address + PAGE_SIZE, false);
}
#endif

static void nb_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct nb_sub *sub = to_sub(mn);
	struct nb_attachment *att = sub->att;
	unsigned int acc = NB_ACC_NO_RANGE;
	u64 t0 = ktime_get_ns();

	/* Always registered: the mm going away is state, whatever was asked. */
	atomic_set(&att->s->released, 1);
	/* A secondary MMU must drop everything before the pages are freed. */
	if (att->has_mirror)
		nb_mirror_zap_all(att);
	/* Counted and charged only when the session asked for RELEASE. */
	if (!(att->cfg.callbacks & NB_CB_BIT(NB_CB_RELEASE)))
		return;
	nb_charge(&att->cfg.cost[NB_CB_RELEASE], 0, 0, true, 0, &acc);
	nb_account(att->s, NB_CB_RELEASE, NB_EV_NONE, 0, 0,
		   ktime_get_ns() - t0, acc, false);
}

/* mmu_notifier_put() needs it; detach waits for every one of them. */
static void nb_free_notifier(struct mmu_notifier *mn)
{
	atomic_dec(&to_sub(mn)->att->live_subs);
}

#ifdef NB_HAVE_INTERVAL_INVALIDATE
static bool nb_interval(struct mmu_interval_notifier *mni,
			const struct mmu_notifier_range *r,
			unsigned long cur_seq)
{
	struct nb_isub *isub = container_of(mni, struct nb_isub, mni);
	struct nb_attachment *att = isub->att;
	const struct nb_cost *cost = &att->cfg.cost[NB_CB_INTERVAL];
	bool blockable = mmu_notifier_range_blockable(r);
	unsigned int ev = nb_event(r), acc = blockable ? 0 : NB_ACC_NONBLOCK;
	u64 t0 = ktime_get_ns(), zapped = 0;
	int ret;

	if (r->event == MMU_NOTIFY_RELEASE)
		atomic_set(&att->s->released, 1);
	/* A refused invalidation must leave the sequence alone. */
	if (cost->model == NB_MODEL_FAIL && !blockable && nb_charged(att, ev)) {
		acc |= NB_ACC_FAILED;
		ret = -EAGAIN;
	} else {
		if (att->has_mirror)
			zapped = nb_mirror_interval_zap(att, r->start, r->end,
							cur_seq);
		else
			mmu_interval_set_seq(mni, cur_seq);
		ret = nb_charged(att, ev) ?
		      nb_charge(cost, r->start, r->end, blockable, zapped, &acc) : 0;
	}
	nb_account(att->s, NB_CB_INTERVAL, ev, r->start, r->end,
		   ktime_get_ns() - t0, acc, nb_record_att(att, isub->idx));
	return ret == 0;
}
#endif

u32 nb_kernel_callbacks(void)
{
	u32 cbs = NB_CB_BIT(NB_CB_NR) - 1;

#if !defined(NB_HAVE_ARCH_INVALIDATE_SECONDARY_TLBS) && !defined(NB_HAVE_INVALIDATE_RANGE)
	cbs &= ~NB_CB_BIT(NB_CB_TLB);
#endif
#ifndef NB_HAVE_CHANGE_PTE
	cbs &= ~NB_CB_BIT(NB_CB_CHANGE_PTE);
#endif
#ifndef NB_HAVE_INTERVAL_INVALIDATE
	cbs &= ~NB_CB_BIT(NB_CB_INTERVAL);
#endif
	return cbs;
}

u32 nb_kernel_features(void)
{
	u32 f = 0;

#ifdef NB_HAVE_ARCH_INVALIDATE_SECONDARY_TLBS
	f |= NB_FEAT_TLB_IS_ARCH;
#endif
#ifdef NB_HAVE_CHANGE_PTE
	f |= NB_FEAT_CHANGE_PTE;
#endif
#ifdef NB_YOUNG_BOOL
	f |= NB_FEAT_YOUNG_BOOL;
#endif
#ifdef NB_HAVE_PROTECTION_UPGRADE
	f |= NB_FEAT_PROTECTION_UPGRADE;
#endif
	if (nb_insn_supported())
		f |= NB_FEAT_INSN | NB_FEAT_INSN_RANGE;
	return f;
}

/*
 * Only the callbacks the session asked for (an absent one costs nothing),
 * and release.
 */
void nb_fill_ops(struct nb_attachment *att)
{
	struct mmu_notifier_ops *ops = &att->ops;
	u32 cbs = att->cfg.callbacks;

	ops->free_notifier = nb_free_notifier;
	if (cbs & NB_CB_BIT(NB_CB_START))
		ops->invalidate_range_start = nb_start;
	if (cbs & NB_CB_BIT(NB_CB_END))
		ops->invalidate_range_end = nb_end;
#if defined(NB_HAVE_ARCH_INVALIDATE_SECONDARY_TLBS)
	if (cbs & NB_CB_BIT(NB_CB_TLB))
		ops->arch_invalidate_secondary_tlbs = nb_tlb;
#elif defined(NB_HAVE_INVALIDATE_RANGE)
	if (cbs & NB_CB_BIT(NB_CB_TLB))
		ops->invalidate_range = nb_tlb;
#endif
	if (cbs & NB_CB_BIT(NB_CB_CLEAR_FLUSH_YOUNG))
		ops->clear_flush_young = nb_clear_flush_young;
	if (cbs & NB_CB_BIT(NB_CB_CLEAR_YOUNG))
		ops->clear_young = nb_clear_young;
	if (cbs & NB_CB_BIT(NB_CB_TEST_YOUNG))
		ops->test_young = nb_test_young;
#ifdef NB_HAVE_CHANGE_PTE
	if (cbs & NB_CB_BIT(NB_CB_CHANGE_PTE))
		ops->change_pte = nb_change_pte;
#endif
	/*
	 * release runs once, when the mm goes: always there, so that
	 * NB_STATE_RELEASED holds for every session (kmod/README.md).
	 */
	ops->release = nb_release;
#ifdef NB_HAVE_INTERVAL_INVALIDATE
	att->iops.invalidate = nb_interval;
#endif
}
