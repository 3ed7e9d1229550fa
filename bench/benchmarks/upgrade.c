// SPDX-License-Identifier: GPL-2.0
/*
 * upgrade: permission-upgrade faults, the PTE changes that "[PATCH]
 * mmu_notifiers: Notify on pte permission upgrades" (Popple, linux-mm, May
 * 2023, never merged) wanted to notify with MMU_NOTIFY_PROTECTION_UPGRADE.
 * One op = one 4 KiB page written after an untimed prepare() that took its
 * write permission away (dense 4 KiB anonymous buffer):
 *
 *   mprotect         prepare: mprotect(PROT_READ) over the batch's pages;
 *                    batch: mprotect(PROT_READ | PROT_WRITE) over them (one
 *                    call per batch), then a write to each page. For the
 *                    exclusive, dirty anonymous pages of this buffer the
 *                    kernel makes the PTEs writable inside mprotect
 *                    (can_change_pte_writable, since 5.19): the writes take
 *                    no fault, and the upgrade is notified by mprotect's own
 *                    PROTECTION_VMA pair (one per 1 GiB chunk up to 6.11, per
 *                    512 GiB chunk from 6.12, commit 7f06e3aa2e83);
 *   wp-reuse         prepare: fork a child that exits at once (the pages are
 *                    write-protected and no longer marked exclusive); batch:
 *                    write -> do_wp_page reuses the page, no copy, no notifier;
 *   read-then-write  prepare: MADV_DONTNEED, then a read of each page (the
 *                    shared zero page, read-only); batch: write -> COW of the
 *                    zero page (a CLEAR pair; the write-fault-on-zero-page path
 *                    of commit 0f10851ea475, v4.15). A skip where read faults do not map the
 *                    zero page (pvm_no_zero_page=1; setup checks pagemap);
 *   soft-dirty       prepare: echo 4 > /proc/self/clear_refs (SOFT_DIRTY pairs,
 *                    every PTE write-protected); batch: write -> the page is
 *                    reused and marked soft-dirty, no notifier. Needs
 *                    CONFIG_MEM_SOFT_DIRTY (a skip otherwise).
 *
 * With the kmod zap model the harness reads the buffer through the mirror
 * after prepare() (read-only entries: what a device holds after the
 * downgrade) and again after the batch: the entries zapped and refaulted per
 * upgrade are what today's kernel costs a KVM-like subscriber, which ignores
 * event types. The 2023 proposal would have added one START/END pair per upgrade
 * fault, i.e. one more zapped entry and one more refault per fault for
 * wp-reuse and soft-dirty (and for mprotect on kernels or pages where the
 * write still faults).
 *
 * A kernel that declares the trait upgrade_notify=yes (bench/harness/traits.def;
 * patches/6.12/upgrade-notify.patch, the 2023 proposal on 6.12) notifies a
 * PROTECTION_UPGRADE pair over the page after a fault's
 * ptep_set_access_flags() changed the entry: wp-reuse and soft-dirty take
 * one per fault (wp_page_reuse), read-then-write none (the zero page's COW
 * installs a new page, wp_page_copy, with its CLEAR pair), mprotect none (no
 * fault). The zap model then zaps and refaults one entry more per such
 * fault; KVM zaps for it too (kvm_unmap_hva_range at least one per such
 * fault besides the other pairs), unless the kernel also declares
 * kvm_upgrade_filter=yes: KVM ignores the event before its tracepoint, so
 * it must count fewer than the other pairs plus one per upgrade fault. mprotect's pairs follow
 * the trait mprotect_notify when declared (PMD or PUD tables).
 *
 * The check (per sample): faults of the thread = pages written (mprotect: 0,
 * see above); with a kmod backend counting START (or INTERVAL), the calls
 * by event are exactly the predicted ones (above), and every
 * PROTECTION_UPGRADE range in the ring is one 4 KiB page of the batch's
 * window; END matches START;
 * change_pte (< 6.10) once per zero-page COW; the secondary-TLB hook once
 * per zero-page COW, and for mprotect twice per pair before 6.6 (the
 * mmu_gather flush, since x86 flushes any _PAGE_RW change, and
 * invalidate_range_end) and once from 6.6 (the x86 flush); zap: the entries
 * zapped per op are the predicted ones and the device refaults exactly
 * those.
 *
 * arm64 (the architecture of the upgrade thread, seeds 000/002): its
 * ptep_set_access_flags() flushes the page when a write made the entry
 * writable (__ptep_set_access_flags: "Invalidate a stale read-only
 * entry"), so from 6.6 every wp-reuse and soft-dirty fault calls the
 * secondary-TLB hook once, over that page: the notification of an upgrade
 * that x86 never gives. mprotect's RW flush (arm64 flushes any change;
 * pte_needs_flush is x86's) calls it once per mprotect, over the batch's
 * window, or 0..ULONG_MAX where __flush_tlb_range_nosync falls back to
 * flush_tlb_mm (512 pages or more without FEAT_TLBIRANGE); on 6.6-6.13
 * before "arm64: mm: Fix mmu notifiers for range-based invalidates" (6.14,
 * 6.12.20) the hook got start == end == the window's end, since
 * __flush_tlb_range_op advanced its arguments (trait range_flush_hook).
 * The check reads every secondary-TLB range of the sample in the ring.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"
#include "env.h"
#include "helper.h"
#include "layout.h"
#include "nbdev.h"

enum { O_SIZE, O_OP, O_NR };
enum { OP_MPROTECT, OP_WP_REUSE, OP_READ_WRITE, OP_SOFT_DIRTY, OP_NR };

static const char *const ops[] = { "mprotect", "wp-reuse", "read-then-write", "soft-dirty", NULL };

static const struct bench_opt opts[O_NR] = {
	[O_SIZE] = { "size", OPT_SIZE, "64M", NULL, SZ_4K, 64ull << 30,
		     "buffer size, 4K..64G, a multiple of 4K (dense 4 KiB pages); a batch writes "
		     "at most every page of it once" },
	[O_OP] = { "op", OPT_CHOICE, "wp-reuse", ops, 0, 0,
		   "how the write permission is taken away before the batch (untimed): mprotect "
		   "(RO, then RW inside the batch), wp-reuse (fork + exit: reuse fault), "
		   "read-then-write (zero page, then COW), soft-dirty (clear_refs 4)" },
};

struct up_state {
	struct layout l;
	int op;
	uint64_t npages;
	uint64_t first, next;		/* the batch's first page; batches walk the buffer */
	unsigned int kmajor, kminor;
	int clear_refs;			/* soft-dirty: /proc/self/clear_refs */
	/* predictions per op (per sample for the mprotect pairs) */
	unsigned int faults_per_op, clear_per_op, change_pte_per_op, tlb_per_op, zapped_per_op;
	unsigned int upgrade_per_op;	/* PROTECTION_UPGRADE pairs (trait upgrade_notify=yes) */
	bool kvm_filter;		/* trait kvm_upgrade_filter=yes: KVM ignores them */
	char verified[512];
};

static int validate(const struct bench_val *o, char *msg, size_t len)
{
	if (o[O_SIZE].u % SZ_4K) {
		snprintf(msg, len, "--size %s is not a multiple of 4 KiB", o[O_SIZE].str);
		return NB_EXIT_USAGE;
	}
	return NB_EXIT_OK;
}

static int clear_soft_dirty(struct up_state *st)
{
	return pwrite(st->clear_refs, "4", 1, 0) == 1 ? 0 : -errno;
}

/* The pagemap soft-dirty bit (55) of the buffer's first page; -1 on error. */
static int soft_dirty_bit(const struct up_state *st)
{
	uint64_t e;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC), ret = -1;

	if (fd < 0)
		return -1;
	if (pread(fd, &e, sizeof(e), (off_t)((uintptr_t)st->l.buf / SZ_4K * sizeof(e))) == sizeof(e))
		ret = (int)(e >> 55 & 1);
	close(fd);
	return ret;
}

/* clear_refs 4 must clear the bit and a write must set it again: the kernel tracks soft-dirty. */
static int probe_soft_dirty(struct up_state *st, char *reason, size_t rlen)
{
	int before, after;

	st->clear_refs = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	if (st->clear_refs < 0) {
		snprintf(reason, rlen, "--op soft-dirty: cannot open /proc/self/clear_refs: %s",
			 strerror(errno));
		return NB_EXIT_SKIP;
	}
	if (clear_soft_dirty(st)) {
		snprintf(reason, rlen, "--op soft-dirty: writing 4 to /proc/self/clear_refs: %s",
			 strerror(errno));
		return NB_EXIT_SKIP;
	}
	before = soft_dirty_bit(st);
	*(volatile char *)st->l.buf = 3;
	after = soft_dirty_bit(st);
	if (before != 0 || after != 1) {
		snprintf(reason, rlen, "--op soft-dirty: this kernel does not track soft-dirty PTEs "
			 "(pagemap bit 55 %d after clear_refs, %d after a write; needs "
			 "CONFIG_MEM_SOFT_DIRTY)", before, after);
		return NB_EXIT_SKIP;
	}
	snprintf(st->verified + strlen(st->verified), sizeof(st->verified) - strlen(st->verified),
		 "; soft-dirty: pagemap bit 55 cleared by clear_refs 4, set by a write");
	return NB_EXIT_OK;
}

/*
 * read-then-write needs read faults to map the shared zero page (its batch is
 * the zero page's COW). Some hosts never map it (pvm_no_zero_page=1): a read
 * fault maps a private writable page and the write takes no fault at all, so
 * the op does not exist there. Tried on the whole buffer, which is then
 * written again (dense, as layout_create left it).
 */
static int probe_zero_page(struct up_state *st, char *reason, size_t rlen)
{
	char why[BENCH_REASON_LEN - 64], seen[160];
	int ret;

	if (madvise(st->l.buf, st->l.len, MADV_DONTNEED)) {
		snprintf(reason, rlen, "--op read-then-write: MADV_DONTNEED: %s", strerror(errno));
		return NB_EXIT_FAIL;
	}
	layout_read_fault(st->l.buf, st->l.len);
	ret = layout_verify_zero_page(st->l.buf, st->l.len, seen, sizeof(seen), why, sizeof(why));
	if (ret) {
		snprintf(reason, rlen, "--op read-then-write needs the shared zero page: %s", why);
		return ret;
	}
	for (size_t off = 0; off < st->l.len; off += SZ_4K)
		*(volatile char *)(st->l.buf + off) = 2;
	snprintf(st->verified + strlen(st->verified), sizeof(st->verified) - strlen(st->verified),
		 "; zero page: after MADV_DONTNEED and read faults, %s", seen);
	return NB_EXIT_OK;
}

static int setup(struct bench_ctx *ctx, void **state)
{
	const struct bench_val *o = ctx->opt;
	struct up_state *st = calloc(1, sizeof(*st));
	int ret;

	if (!st) {
		snprintf(ctx->reason, sizeof(ctx->reason), "out of memory");
		return NB_EXIT_FAIL;
	}
	st->op = o[O_OP].choice;
	st->clear_refs = -1;
	env_kernel_version(&st->kmajor, &st->kminor);
	ret = layout_create(&st->l, LAYOUT_DENSE4K, o[O_SIZE].u, ALIGN_1G, ctx->reason,
			    sizeof(ctx->reason));
	if (ret) {
		free(st);
		return ret;
	}
	snprintf(st->verified, sizeof(st->verified), "%s", st->l.verified);
	if (st->op == OP_READ_WRITE) {
		ret = probe_zero_page(st, ctx->reason, sizeof(ctx->reason));
		if (ret) {
			layout_destroy(&st->l);
			free(st);
			return ret;
		}
	}
	if (st->op == OP_SOFT_DIRTY) {
		ret = probe_soft_dirty(st, ctx->reason, sizeof(ctx->reason));
		if (ret) {
			if (st->clear_refs >= 0)
				close(st->clear_refs);
			layout_destroy(&st->l);
			free(st);
			return ret;
		}
	}
	st->npages = st->l.len / SZ_4K;
	st->faults_per_op = st->op == OP_MPROTECT ? 0 : 1;
	st->clear_per_op = st->op == OP_READ_WRITE;
	st->change_pte_per_op = st->op == OP_READ_WRITE && !env_kernel_at_least(6, 10);
	/* arm64 >= 6.6: the reuse fault's flush_tlb_page (see the top). */
	st->tlb_per_op = st->op == OP_READ_WRITE ||
			 (ENV_ARM64 && env_kernel_at_least(6, 6) &&
			  (st->op == OP_WP_REUSE || st->op == OP_SOFT_DIRTY));
	/* wp_page_reuse: the reuse faults of wp-reuse and soft-dirty, nothing else here. */
	st->upgrade_per_op = env_trait_is("upgrade_notify", "yes") &&
			     (st->op == OP_WP_REUSE || st->op == OP_SOFT_DIRTY);
	st->kvm_filter = env_trait_is("kvm_upgrade_filter", "yes");
	st->zapped_per_op = (st->op == OP_READ_WRITE || st->op == OP_MPROTECT) + st->upgrade_per_op;

	ctx->buf = st->l.buf;
	ctx->len = st->l.len;
	ctx->op_unit = "upgrade";
	ctx->call_unit = "write";
	ctx->calls_per_op = 1;
	ctx->max_batch = st->npages;
	*state = st;
	return NB_EXIT_OK;
}

/*
 * mprotect's PROTECTION_VMA pairs over the batch's n pages (dense: every PMD
 * populated; commit 7f06e3aa2e83): per PUD or PMD table, by trait or version.
 */
static uint64_t mprotect_pairs(const struct up_state *st, uint64_t n)
{
	uintptr_t s = (uintptr_t)st->l.buf + st->first * SZ_4K, e = s + n * SZ_4K;
	size_t chunk = env_mprotect_notify_pud(NULL) ? SZ_512G : SZ_1G;

	return (e - 1) / chunk - s / chunk + 1;
}

/*
 * Secondary-TLB calls per PROTECTION_VMA pair of the RW mprotect. x86 flushes
 * when _PAGE_RW changes either way (pte_flags_need_flush), so mprotect's
 * mmu_gather flushes: before 6.6 that flush calls invalidate_range
 * (tlb_flush_mmu_tlbonly) and so does invalidate_range_end; from 6.6 only
 * the x86 flush calls arch_invalidate_secondary_tlbs.
 */
static unsigned int mprotect_tlb_per_pair(void)
{
	return env_kernel_at_least(6, 6) ? 1 : 2;
}

/*
 * Secondary-TLB calls of the batch's RW mprotect: per pair as above, but
 * arm64's hook (>= 6.6) is in the one mmu_gather flush of the call.
 */
static uint64_t mprotect_tlb(uint64_t pairs)
{
	return ENV_ARM64 && env_kernel_at_least(6, 6) ? 1 : pairs * mprotect_tlb_per_pair();
}

/*
 * A secondary-TLB range of the batch (ring entry): NULL when it is the
 * predicted one, else what was predicted. Checked on arm64 from 6.6, where
 * the arch's flush calls the hook (above).
 */
static const char *tlb_range_bad(const struct up_state *st, uint64_t n, uint64_t start,
				 uint64_t end, bool empty)
{
	uintptr_t ws = (uintptr_t)st->l.buf + st->first * SZ_4K, we = ws + n * SZ_4K;

	if (!ENV_ARM64 || !env_kernel_at_least(6, 6))
		return NULL;
	if (st->op != OP_MPROTECT)
		return start % SZ_4K || end != start + SZ_4K || start < ws || end > we ?
		       "one 4 KiB page of the batch's window (flush_tlb_page)" : NULL;
	if (start == 0 && end == UINT64_MAX && n >= 512)
		return NULL;	/* flush_tlb_mm: no FEAT_TLBIRANGE */
	if (empty)
		return start == we && end == we ? NULL :
		       "start == end == the window's end";
	return start == ws && end == we ? NULL : "the batch's window (__flush_tlb_range_nosync)";
}

static int prepare(void *state, struct bench_sample *s)
{
	struct up_state *st = state;
	size_t len = s->nops * SZ_4K;
	volatile char sink = 0;
	char *p;
	pid_t pid;
	int ret;

	/* Consecutive batches walk the buffer (from its start again when the next does not fit). */
	st->first = st->next + s->nops > st->npages ? 0 : st->next;
	st->next = st->first + s->nops;
	p = st->l.buf + st->first * SZ_4K;
	switch (st->op) {
	case OP_MPROTECT:
		return mprotect(p, len, PROT_READ) ? -errno : 0;
	case OP_WP_REUSE:
		pid = helper_fork();
		if (pid < 0)
			return -errno;
		if (pid == 0)
			_exit(0);
		ret = helper_reap(pid, false);
		if (ret)
			return ret;
		break;
	case OP_READ_WRITE:
		if (madvise(p, len, MADV_DONTNEED))
			return -errno;
		for (size_t off = 0; off < len; off += SZ_4K)
			sink += *(volatile char *)(p + off);
		return 0;
	case OP_SOFT_DIRTY:
		ret = clear_soft_dirty(st);
		if (ret) {
			snprintf(s->reason, sizeof(s->reason), "clear_refs 4: %s", strerror(-ret));
			return ret;
		}
		break;
	}
	/* Every private page of ours is write-protected now: only the buffer may fault in the batch. */
	helper_untangle_thread();
	helper_untangle(st, sizeof(*st));
	(void)sink;
	return 0;
}

static int run(void *state, uint64_t nops)
{
	struct up_state *st = state;
	char *p = st->l.buf + st->first * SZ_4K;

	if (st->op == OP_MPROTECT && mprotect(p, nops * SZ_4K, PROT_READ | PROT_WRITE))
		return -errno;
	for (uint64_t i = 0; i < nops; i++)
		*(volatile char *)(p + i * SZ_4K) = 4;
	return 0;
}

static void teardown(void *state)
{
	struct up_state *st = state;

	if (st->clear_refs >= 0)
		close(st->clear_refs);
	layout_destroy(&st->l);
	free(st);
}

static const char *kernel_desc(const struct up_state *st, char *buf, size_t len)
{
	const char *basis, *up = env_trait_is("upgrade_notify", "yes") ?
				 "by trait upgrade_notify=yes" : "stock: no such event";
	bool pud = env_mprotect_notify_pud(&basis);

	if (st->op == OP_MPROTECT)
		snprintf(buf, len, "kernel %u.%u, --op mprotect: 0 faults (mprotect makes the "
			 "exclusive dirty anon PTEs writable), so 0 PROTECTION_UPGRADE pairs (%s); one "
			 "PROTECTION_VMA pair per %s chunk (%s), %s", st->kmajor, st->kminor, up,
			 pud ? "512 GiB" : "1 GiB", basis,
			 !env_kernel_at_least(6, 6) ? "two invalidate_range calls per pair (the "
			 "mmu_gather flush and invalidate_range_end)" : ENV_ARM64 ? "one secondary-TLB "
			 "call per mprotect (arm64's mmu_gather flush)" : "one secondary-TLB call per "
			 "pair (the x86 flush of the RW change)");
	else
		snprintf(buf, len, "kernel %u.%u, --op %s: per fault %u fault, %u CLEAR pair, %u "
			 "PROTECTION_UPGRADE pair (%s), %u change_pte, %u secondary-TLB call%s",
			 st->kmajor, st->kminor, ops[st->op], st->faults_per_op, st->clear_per_op,
			 st->upgrade_per_op, up, st->change_pte_per_op, st->tlb_per_op,
			 st->tlb_per_op && st->op != OP_READ_WRITE ? " (arm64's flush of the "
			 "upgraded page)" : "");
	return buf;
}

#define FAIL(...) do { snprintf(msg, len, __VA_ARGS__); return NB_EXIT_FAIL; } while (0)

static int check(void *state, const struct bench_counters *c, char *msg, size_t len)
{
	struct up_state *st = state;
	uint64_t n = c->nops, pairs = st->op == OP_MPROTECT ? mprotect_pairs(st, n) : 0, kvm_want;
	char kd[480];

	if (c->faults >= 0 && (uint64_t)c->faults != n * st->faults_per_op)
		FAIL("%" PRId64 " faults for %" PRIu64 " pages written, predicted %" PRIu64 " by %s",
		     c->faults, n, n * st->faults_per_op, kernel_desc(st, kd, sizeof(kd)));
	if (c->nb) {
		const struct nb_attach *a = c->nb_attach;
		uint64_t k = a->nr_subscribers;
		unsigned int cb = nb_main_callback(a);
		uint64_t tlb = st->op == OP_MPROTECT ? mprotect_tlb(pairs) : n * st->tlb_per_op;
		const char *range_basis;
		bool empty = env_range_flush_hook_empty(&range_basis);

		if (a->callbacks & NB_CB_BIT(cb)) {
			const struct nb_cell *cell = c->nb->cell[cb];
			uint64_t clear = cell[NB_EV_CLEAR].calls, pv = cell[NB_EV_PROTECTION_VMA].calls;
			uint64_t up = cell[NB_EV_PROTECTION_UPGRADE].calls, all = nb_calls_total(c->nb, cb);
			uint64_t up_want = n * st->upgrade_per_op;
			uintptr_t ws = (uintptr_t)st->l.buf + st->first * SZ_4K, we = ws + n * SZ_4K;

			if (clear != n * st->clear_per_op * k || pv != pairs * k || up != up_want * k ||
			    all != clear + pv + up)
				FAIL("%s calls per sample: CLEAR %.3f, PROTECTION_VMA %.3f, "
				     "PROTECTION_UPGRADE %.3f, other %.3f, all %.3f; predicted %" PRIu64
				     ", %" PRIu64 ", %" PRIu64 ", 0, %" PRIu64 " by %s%s",
				     nb_callback_name(cb), (double)clear / k, (double)pv / k,
				     (double)up / k, (double)cell[NB_EV_OTHER].calls / k, (double)all / k,
				     n * st->clear_per_op, pairs, up_want,
				     n * st->clear_per_op + pairs + up_want, kernel_desc(st, kd, sizeof(kd)),
				     up_want && !up ? " (the module counts the event only when built "
				     "against a kernel that has it: its features say protection_upgrade)" :
				     "");
			/*
			 * Each PROTECTION_UPGRADE pair of the sample covers one page the
			 * batch wrote. The ring is read after the statistics, whose copy
			 * to our (write-protected since fork) heap takes a reuse fault of
			 * its own: entries from seq ring_seq on came after the counts.
			 */
			for (unsigned int i = 0; i < c->ring_n; i++) {
				const struct nb_ring_entry *e = &c->ring[i];

				if (e->callback != cb || e->event != NB_EV_PROTECTION_UPGRADE ||
				    e->seq >= c->nb->ring_seq)
					continue;
				if (e->end - e->start != SZ_4K || e->start % SZ_4K || e->start < ws ||
				    e->end > we)
					FAIL("ring entry %u: PROTECTION_UPGRADE %#" PRIx64 "-%#" PRIx64
					     ", predicted one 4 KiB page of the batch's window %#lx-%#lx",
					     i, (uint64_t)e->start, (uint64_t)e->end, (unsigned long)ws,
					     (unsigned long)we);
			}
			if (cb == NB_CB_START && (a->callbacks & NB_CB_BIT(NB_CB_END)) &&
			    nb_calls_total(c->nb, NB_CB_END) != all)
				FAIL("end calls %" PRIu64 " != start calls %" PRIu64,
				     nb_calls_total(c->nb, NB_CB_END), all);
		}
		if ((a->callbacks & NB_CB_BIT(NB_CB_CHANGE_PTE)) &&
		    nb_calls_total(c->nb, NB_CB_CHANGE_PTE) != n * st->change_pte_per_op * k)
			FAIL("change_pte calls per sample %.3f, predicted %" PRIu64 " by %s",
			     (double)nb_calls_total(c->nb, NB_CB_CHANGE_PTE) / k,
			     n * st->change_pte_per_op, kernel_desc(st, kd, sizeof(kd)));
		if ((a->callbacks & NB_CB_BIT(NB_CB_TLB)) && nb_calls_total(c->nb, NB_CB_TLB) != tlb * k)
			FAIL("secondary-TLB calls per sample %.3f, predicted %" PRIu64 " by %s",
			     (double)nb_calls_total(c->nb, NB_CB_TLB) / k, tlb, kernel_desc(st, kd, sizeof(kd)));
		/* Entries from ring_seq on came after the counts (the stats copy's reuse fault). */
		for (unsigned int i = 0; i < c->ring_n; i++) {
			const struct nb_ring_entry *e = &c->ring[i];
			const char *want;

			if (e->callback != NB_CB_TLB || e->seq >= c->nb->ring_seq)
				continue;
			want = tlb_range_bad(st, n, e->start, e->end, empty);
			if (want)
				FAIL("ring entry %u: secondary-TLB range %#" PRIx64 "-%#" PRIx64 " (%" PRIu64
				     " pages written from %#lx), predicted %s (%s)", i,
				     (uint64_t)e->start, (uint64_t)e->end, n,
				     (unsigned long)((uintptr_t)st->l.buf + st->first * SZ_4K), want,
				     range_basis);
		}
		if (c->dev_refaults >= 0) {
			if (c->nb->mirror.zapped != n * st->zapped_per_op)
				FAIL("mirror entries zapped per upgrade %.3f, predicted %u by %s",
				     (double)c->nb->mirror.zapped / n, st->zapped_per_op,
				     kernel_desc(st, kd, sizeof(kd)));
			if ((uint64_t)c->dev_refaults != c->nb->mirror.zapped)
				FAIL("the device refaulted %" PRId64 " entries after the batch, %" PRIu64
				     " were zapped", c->dev_refaults, (uint64_t)c->nb->mirror.zapped);
		}
	}
	/* KVM zaps for PROTECTION_UPGRADE too, unless the kernel declares kvm_upgrade_filter=yes. */
	kvm_want = n * st->clear_per_op + pairs + (st->kvm_filter ? 0 : n * st->upgrade_per_op);
	if (c->kvm && c->kvm_unmap_hva_range >= 0 && (uint64_t)c->kvm_unmap_hva_range < kvm_want)
		FAIL("kvm:kvm_unmap_hva_range per sample %" PRId64 ", fewer than the %" PRIu64
		     " pairs predicted by %s%s", c->kvm_unmap_hva_range, kvm_want,
		     kernel_desc(st, kd, sizeof(kd)), st->upgrade_per_op ? (st->kvm_filter ?
		     " (PROTECTION_UPGRADE not counted: trait kvm_upgrade_filter=yes)" :
		     " (PROTECTION_UPGRADE counted: KVM zaps for it)") : "");
	/*
	 * Filtered: KVM returns before its tracepoint for PROTECTION_UPGRADE, so it
	 * must have seen fewer invalidations than one per upgrade fault on top of
	 * the others predicted (what an unfiltered KVM shows).
	 */
	if (c->kvm && c->kvm_unmap_hva_range >= 0 && st->kvm_filter && st->upgrade_per_op &&
	    (uint64_t)c->kvm_unmap_hva_range >= kvm_want + n * st->upgrade_per_op)
		FAIL("kvm:kvm_unmap_hva_range per sample %" PRId64 ", at least the %" PRIu64 " other "
		     "pairs plus one per upgrade fault (%" PRIu64 "): KVM handled PROTECTION_UPGRADE, "
		     "but the kernel declares kvm_upgrade_filter=yes (%s)", c->kvm_unmap_hva_range,
		     kvm_want, n * st->upgrade_per_op, kernel_desc(st, kd, sizeof(kd)));
	return NB_EXIT_OK;
}

static void describe(void *state, void (*emit)(const char *key, const char *value))
{
	static const char *const how[OP_NR] = {
		[OP_MPROTECT] = "prepare: mprotect(PROT_READ) over the batch's pages; batch: one "
				"mprotect(PROT_READ|PROT_WRITE) over them, then a write to each",
		[OP_WP_REUSE] = "prepare: fork a child that exits at once (pages write-protected, "
				"no longer exclusive); batch: a write to each page (do_wp_page reuse)",
		[OP_READ_WRITE] = "prepare: MADV_DONTNEED, then a read of each page (the zero page); "
				  "batch: a write to each page (COW of the zero page)",
		[OP_SOFT_DIRTY] = "prepare: echo 4 > /proc/self/clear_refs; batch: a write to each "
				  "page (soft-dirty reuse fault)",
	};
	struct up_state *st = state;
	char v[1024], kd[480];

	snprintf(v, sizeof(v), "dense4k, %zu KiB at %p (1 GiB-aligned), %" PRIu64 " pages",
		 st->l.len >> 10, st->l.buf, st->npages);
	emit("layout", v);
	emit("layout_verified", st->verified);
	snprintf(v, sizeof(v), "%s: %s; one op = one page; consecutive batches take consecutive "
		 "windows of the buffer (from its start again when the next does not fit)", ops[st->op],
		 how[st->op]);
	emit("op", v);
	snprintf(v, sizeof(v), "%s; zap model: %u entries zapped and refaulted per op (%s)",
		 kernel_desc(st, kd, sizeof(kd)), st->zapped_per_op, st->upgrade_per_op ?
		 "the PROTECTION_UPGRADE pair's included" : "the 2023 upgrade-notify proposal would "
		 "have added 1 per upgrade fault");
	emit("prediction", v);
}

static const struct bench_ops upgrade_ops = {
	.opts = opts,
	.nr_opts = O_NR,
	.validate = validate,
	.setup = setup,
	.prepare = prepare,
	.run = run,
	.teardown = teardown,
	.check = check,
	.describe = describe,
	.device_access = true,
};

NB_BENCHMARK(upgrade, upgrade_ops,
	     "permission-upgrade faults (mprotect, wp-reuse, read-then-write, soft-dirty); "
	     "notifier events, zapped entries and refaults per upgrade");
