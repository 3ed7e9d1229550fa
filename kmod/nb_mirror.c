// SPDX-License-Identifier: GPL-2.0
/*
 * notibench software secondary page table (the ZAP model): "device
 * accesses" fault pages in with get_user_pages, invalidations zap them, and
 * the counters say what a secondary MMU that ignores event types pays.
 */
#include <linux/mm.h>
#include <linux/sched.h>

#include "nb.h"

#define NB_GUP_BATCH		64
#define NB_MAX_RETRIES		1000

static inline unsigned long nb_index(const struct nb_mirror *m,
				     unsigned long addr)
{
	return (addr - m->start) >> PAGE_SHIFT;
}

int nb_mirror_init(struct nb_attachment *att)
{
	struct nb_mirror *m = &att->mirror;

	xa_init(&m->xa);
	m->start = att->cfg.start;
	m->end = att->cfg.start + att->cfg.len;
	return 0;
}

void nb_mirror_destroy(struct nb_attachment *att)
{
	xa_destroy(&att->mirror.xa);
}

/* Clip [start, end) to the mirror; false when they don't overlap. */
static bool nb_clip(const struct nb_mirror *m, unsigned long *start,
		    unsigned long *end)
{
	*start = max(*start, m->start);
	*end = min(*end, m->end);
	return *start < *end;
}

/* Called with the xarray locked. */
static u64 nb_zap_locked(struct nb_attachment *att, unsigned long start,
			 unsigned long end)
{
	struct nb_mirror *m = &att->mirror;
	XA_STATE(xas, &m->xa, nb_index(m, start));
	unsigned long last = nb_index(m, end - 1);
	void *entry;
	u64 zapped = 0;

	xas_for_each(&xas, entry, last) {
		if (!xa_is_value(entry) ||
		    !(xa_to_value(entry) & NB_PTE_PRESENT))
			continue;
		/* Replacing an entry never allocates. */
		xas_store(&xas, xa_mk_value(0));
		zapped++;
	}
	m->nr_present -= zapped;
	atomic64_add(zapped, &att->s->mc.zapped);
	return zapped;
}

u64 nb_mirror_begin(struct nb_attachment *att, unsigned long start,
		    unsigned long end)
{
	struct nb_mirror *m = &att->mirror;
	u64 zapped;

	if (!nb_clip(m, &start, &end))
		return 0;
	xa_lock(&m->xa);
	m->in_progress++;
	m->seq++;
	zapped = nb_zap_locked(att, start, end);
	xa_unlock(&m->xa);
	return zapped;
}

void nb_mirror_end(struct nb_attachment *att, unsigned long start,
		   unsigned long end)
{
	struct nb_mirror *m = &att->mirror;

	if (!nb_clip(m, &start, &end))
		return;
	xa_lock(&m->xa);
	m->in_progress--;
	xa_unlock(&m->xa);
}

u64 nb_mirror_interval_zap(struct nb_attachment *att, unsigned long start,
			   unsigned long end, unsigned long cur_seq)
{
	struct nb_mirror *m = &att->mirror;
	u64 zapped = 0;

	xa_lock(&m->xa);
	mmu_interval_set_seq(m->mni, cur_seq);
	if (nb_clip(m, &start, &end))
		zapped = nb_zap_locked(att, start, end);
	xa_unlock(&m->xa);
	return zapped;
}

u64 nb_mirror_zap_all(struct nb_attachment *att)
{
	struct nb_mirror *m = &att->mirror;
	u64 zapped;

	xa_lock(&m->xa);
	zapped = nb_zap_locked(att, m->start, m->end);
	xa_unlock(&m->xa);
	return zapped;
}

/* Sample the invalidation sequence; false while one is in progress. */
static bool nb_read_begin(struct nb_mirror *m, unsigned long *seq)
{
	bool idle;

	if (m->mni) {
		*seq = mmu_interval_read_begin(m->mni);
		return true;
	}
	xa_lock(&m->xa);
	*seq = m->seq;
	idle = !m->in_progress;
	xa_unlock(&m->xa);
	return idle;
}

static bool nb_read_retry(struct nb_mirror *m, unsigned long seq)
{
	if (m->mni)
		return mmu_interval_read_retry(m->mni, seq);
	return m->seq != seq || m->in_progress;
}

static int nb_gup(unsigned long addr, int n, bool write, struct page **pages)
{
	unsigned int flags = write ? FOLL_WRITE : 0;
	int got;

#ifdef NB_HAVE_GUP_FAST
	got = get_user_pages_fast(addr, n, flags, pages);
#else
	got = get_user_pages_unlocked(addr, n, pages, flags);
#endif
	if (got == n)
		return 0;
	while (got > 0)
		put_page(pages[--got]);
	return got < 0 ? got : -EFAULT;
}

/* Does the access need a fault? Classify it for the counters. */
enum nb_need { NB_HIT, NB_COLD, NB_REFAULT, NB_UPGRADE };

static enum nb_need nb_need(void *entry, bool write)
{
	unsigned long v;

	if (!xa_is_value(entry))
		return NB_COLD;		/* absent or only reserved */
	v = xa_to_value(entry);
	if (!(v & NB_PTE_PRESENT))
		return NB_REFAULT;
	if (write && !(v & NB_PTE_WRITE))
		return NB_UPGRADE;
	return NB_HIT;
}

/* One batch of up to NB_GUP_BATCH pages starting at @addr. */
static int nb_access_batch(struct nb_attachment *att, unsigned long addr,
			   int n, bool write, struct nb_access *a)
{
	struct nb_mirror *m = &att->mirror;
	struct nb_mirror_counters *mc = &att->s->mc;
	unsigned long first = nb_index(m, addr), seq;
	struct page *pages[NB_GUP_BATCH];
	u64 counts[4] = { 0 };
	int i, ret, tries = 0;

	/* A device TLB hit costs no fault: no GUP when every entry is usable. */
	xa_lock(&m->xa);
	for (i = 0; i < n; i++)
		if (nb_need(xa_load(&m->xa, first + i), write) != NB_HIT)
			break;
	xa_unlock(&m->xa);
	if (i == n) {
		atomic64_add(n, &mc->hits);
		a->hits += n;
		return 0;
	}

	/* Reserve absent slots so that installing never allocates under the lock. */
	for (i = 0; i < n; i++) {
		ret = xa_reserve(&m->xa, first + i, GFP_KERNEL);
		if (ret)
			return ret;
	}
again:
	if (++tries > NB_MAX_RETRIES)
		return -EAGAIN;
	if (!nb_read_begin(m, &seq)) {
		atomic64_inc(&mc->retries);
		a->retries++;
		cond_resched();
		goto again;
	}
	ret = nb_gup(addr, n, write, pages);
	if (ret)
		return ret;
	xa_lock(&m->xa);
	if (nb_read_retry(m, seq)) {
		xa_unlock(&m->xa);
		for (i = 0; i < n; i++)
			put_page(pages[i]);
		atomic64_inc(&mc->retries);
		a->retries++;
		goto again;
	}
	for (i = 0; i < n; i++) {
		unsigned long v = page_to_pfn(pages[i]) << NB_PTE_PFN_SHIFT;
		void *old = xa_load(&m->xa, first + i);
		enum nb_need need = nb_need(old, write);

		counts[need]++;
		if (need == NB_HIT)
			continue;
		v |= NB_PTE_PRESENT | (write ? NB_PTE_WRITE : 0);
		/* The slot was reserved above: this cannot need memory. */
		if (xa_is_err(__xa_store(&m->xa, first + i, xa_mk_value(v),
					 GFP_NOWAIT))) {
			counts[need]--;
			ret = -ENOMEM;
			break;
		}
		if (need != NB_UPGRADE)
			m->nr_present++;
	}
	xa_unlock(&m->xa);
	/* Like KVM, hold no page reference: invalidations keep us coherent. */
	for (i = 0; i < n; i++)
		put_page(pages[i]);

	if (ret)
		return ret;
	atomic64_add(counts[NB_HIT], &mc->hits);
	atomic64_add(counts[NB_COLD], &mc->cold);
	atomic64_add(counts[NB_REFAULT], &mc->refaults);
	atomic64_add(counts[NB_UPGRADE], &mc->upgrades);
	a->hits += counts[NB_HIT];
	a->faults += counts[NB_COLD] + counts[NB_REFAULT] + counts[NB_UPGRADE];
	return 0;
}

int nb_mirror_access(struct nb_attachment *att, struct nb_access *a)
{
	bool write = a->flags & NB_ACCESS_WRITE;
	unsigned long addr, end = a->start + a->len;
	int ret;

	a->hits = 0;
	a->faults = 0;
	a->retries = 0;
	for (addr = a->start; addr < end; addr += NB_GUP_BATCH * PAGE_SIZE) {
		int n = min_t(unsigned long, NB_GUP_BATCH,
			      (end - addr) >> PAGE_SHIFT);

		ret = nb_access_batch(att, addr, n, write, a);
		if (ret)
			return ret;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
}
