// SPDX-License-Identifier: GPL-2.0
/*
 * cow: copy-on-write faults after fork(), and fork() itself.
 *
 * --op fault: before each batch (untimed prepare) a child is forked that
 * holds the buffer's pages; the batch writes one byte to each of the first
 * nops pages, in the parent (--writer parent: the parent's COW faults) or in
 * the child (--writer child: the parent asks over a pipe and the child
 * answers when done; the pipe round trip is a per-sample constant); finish()
 * kills the child and restores the layout. One op = one page written = one
 * COW fault. --op fork: one op = one fork() of the populated buffer (the
 * children pause until finish() kills them).
 *
 * Layouts: dense4k (every 4 KiB page written), thp (PMD-mapped THPs; one
 * write per 2 MiB: the kernel splits the PMD and copies one 4 KiB page),
 * zero (every 4 KiB page read-faulted, i.e. mapped to the shared zero page,
 * then written: the write-fault-on-zero-page path of commit 0f10851ea475).
 *
 * The check (per sample): the faults counted equal the pages written (the
 * parent's minor faults for --writer parent, the child's getrusage delta for
 * --writer child, where the parent takes none); with a kmod backend counting
 * START (or INTERVAL), the CLEAR calls per fault are the ones the kernel
 * issues: 1 per 4 KiB COW (wp_page_copy), 2 per THP (the 2 MiB split, then
 * the 4 KiB copy), none at all in the parent for --writer child (a child's
 * mm carries no notifiers: they are not inherited); END matches START; on
 * kernels with change_pte (< 6.10) one change_pte per 4 KiB COW
 * (set_pte_at_notify); the secondary-TLB hook once per 4 KiB COW (< 6.6:
 * ptep_clear_flush_notify; >= 6.6: the x86 flush of ptep_clear_flush), and
 * from 6.6 once more per THP: the split's 2 MiB flush, which x86 turns into
 * a full flush (more than 33 pages), so the hook sees 0..ULONG_MAX.
 * arm64 from 6.9 flushes once more per THP: the split maps the 4 KiB
 * pages as contiguous (contpte) blocks, and the COW unfolds its block
 * first (contpte_convert: a 64 KiB range flush), so 3 calls: 2 MiB, 64 KiB,
 * 4 KiB (CONFIG_ARM64_CONTPTE, the default).
 * With the zap model, the device read after the batch refaults exactly what
 * the batch zapped. --op fork: at least one PROTECTION_PAGE pair per fork,
 * one of them over the whole buffer.
 * The parent runs the fork batch as SCHED_FIFO, its children as SCHED_OTHER
 * (SCHED_RESET_ON_FORK): no child runs inside the batch. Otherwise whether
 * one does depends on how long the batch has run (a tick ends the parent's
 * slice), and a child that runs first takes over the parent's stack pages,
 * whose COW copies (2 notifier calls each) the parent then skips: in exact
 * mode, 20 charged calls per fork at notifier costs up to 25000 and 16 from
 * 50000, with a context switch more, bent the cost sweep's slope to 0.92.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench.h"
#include "env.h"
#include "helper.h"
#include "knobs.h"
#include "layout.h"
#include "nbdev.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

enum { O_SIZE, O_LAYOUT, O_WRITER, O_OP, O_NR };
enum { L_DENSE4K, L_THP, L_ZERO };
enum { W_PARENT, W_CHILD };
enum { OP_FAULT, OP_FORK };

static const char *const layouts[] = { "dense4k", "thp", "zero", NULL };
static const char *const writers[] = { "parent", "child", NULL };
static const char *const ops[] = { "fault", "fork", NULL };

#define MAX_FORKS 256		/* children alive at once in one --op fork batch */
#define KHUGEPAGED_PAUSE "86400000"	/* ms: no collapse of split THPs during a run */

static const struct bench_opt opts[O_NR] = {
	[O_SIZE] = { "size", OPT_SIZE, "64M", NULL, SZ_4K, 1ull << 40,
		     "buffer size, 4K..1T; a multiple of 2M for --layout thp. A batch writes at "
		     "most every page of it once" },
	[O_LAYOUT] = { "layout", OPT_CHOICE, "dense4k", layouts, 0, 0,
		       "dense4k: 4 KiB pages, all written; thp: PMD-mapped THPs, one write per 2 MiB; "
		       "zero: every page read-faulted (the shared zero page), then written" },
	[O_WRITER] = { "writer", OPT_CHOICE, "parent", writers, 0, 0,
		       "who writes after the fork: parent (its COW faults and notifiers) or child "
		       "(asked over a pipe; a child's mm has no notifiers)" },
	[O_OP] = { "op", OPT_CHOICE, "fault", ops, 0, 0,
		   "fault: ns per COW fault (the fork is untimed, in prepare); fork: ns per fork() "
		   "of the populated buffer" },
};

struct cow_state {
	struct layout l;
	int layout, writer, op;
	size_t page;			/* one write per page: 4 KiB, or 2 MiB for thp */
	uint64_t npages;
	unsigned int kmajor, kminor;
	/* --op fault */
	pid_t child;
	int cmd[2], ack[2];		/* --writer child: parent -> child, child -> parent */
	int64_t child_faults;		/* what the child reported for the batch */
	uint64_t first;			/* the batch's first page (batches walk the buffer) */
	uint64_t written;		/* pages the parent wrote in the last batch */
	/* --op fork */
	pid_t pids[MAX_FORKS];
	unsigned int npids;
	int fifo;			/* 0 SCHED_FIFO for the batches, else -errno */
	/* predictions per fault (--op fault) */
	unsigned int clear_per_op, change_pte_per_op, tlb_per_op, zapped_per_op;
	char verified[256];
};

static int validate(const struct bench_val *o, char *msg, size_t len)
{
	size_t page = o[O_LAYOUT].choice == L_THP ? SZ_2M : SZ_4K;

	if (o[O_SIZE].u % page) {
		snprintf(msg, len, "--size %s is not a multiple of %zu KiB (the page of --layout %s)",
			 o[O_SIZE].str, page >> 10, layouts[o[O_LAYOUT].choice]);
		return NB_EXIT_USAGE;
	}
	if (o[O_OP].choice == OP_FORK && o[O_WRITER].choice == W_CHILD) {
		snprintf(msg, len, "--writer child: --op fork writes nothing (it times the fork "
			 "alone); use --op fault");
		return NB_EXIT_USAGE;
	}
	return NB_EXIT_OK;
}

/* After the parent wrote THPs: put PMD-mapped THPs back over the n written ones. */
static int rebuild_thp(struct cow_state *st, char *p, uint64_t n, char *reason, size_t rlen)
{
	struct layout_smaps v;

	if (madvise(p, n * SZ_2M, MADV_DONTNEED))
		return -errno;
	for (uint64_t i = 0; i < n; i++)
		*(volatile char *)(p + i * SZ_2M) = 1;
	layout_smaps((uintptr_t)st->l.buf, &v);
	/* Fragmented memory may have given 4 KiB pages: collapse them (as layout_create does). */
	if (v.anon_huge_kb != st->l.len >> 10) {
		madvise(p, n * SZ_2M, MADV_COLLAPSE);
		layout_smaps((uintptr_t)st->l.buf, &v);
	}
	if (v.anon_huge_kb != st->l.len >> 10) {
		snprintf(reason, rlen, "layout thp lost after a batch: AnonHugePages %" PRIu64 " kB "
			 "of %zu kB after re-faulting the written THPs", v.anon_huge_kb, st->l.len >> 10);
		return -ENOMEM;
	}
	return 0;
}

static int setup(struct bench_ctx *ctx, void **state)
{
	const struct bench_val *o = ctx->opt;
	struct cow_state *st = calloc(1, sizeof(*st));
	static const enum layout_kind kinds[] = { LAYOUT_DENSE4K, LAYOUT_THP, LAYOUT_EMPTY };
	char why[sizeof(ctx->reason) - 32];
	bool cow4k;
	int ret;

	if (!st) {
		snprintf(ctx->reason, sizeof(ctx->reason), "out of memory");
		return NB_EXIT_FAIL;
	}
	st->layout = o[O_LAYOUT].choice;
	st->writer = o[O_WRITER].choice;
	st->op = o[O_OP].choice;
	st->page = st->layout == L_THP ? SZ_2M : SZ_4K;
	st->cmd[0] = st->cmd[1] = st->ack[0] = st->ack[1] = -1;
	st->child_faults = -1;
	env_kernel_version(&st->kmajor, &st->kminor);
	/* The COW copies need the buffer's size again (the zero layout: once). */
	if (st->op == OP_FAULT && o[O_SIZE].u + (512ull << 20) > layout_mem_available()) {
		snprintf(ctx->reason, sizeof(ctx->reason), "--op fault with --size %s needs %llu MiB "
			 "more for the copies, %llu MiB available", o[O_SIZE].str,
			 (unsigned long long)((o[O_SIZE].u + (512ull << 20)) >> 20),
			 (unsigned long long)(layout_mem_available() >> 20));
		free(st);
		return NB_EXIT_SKIP;
	}
	if (st->layout == L_THP && !access(KNOB_KHUGEPAGED_SLEEP, F_OK))
		knob_set(KNOB_KHUGEPAGED_SLEEP, KHUGEPAGED_PAUSE);
	ret = layout_create(&st->l, kinds[st->layout], o[O_SIZE].u, ALIGN_1G, ctx->reason,
			    sizeof(ctx->reason));
	if (ret) {
		free(st);
		return ret;
	}
	snprintf(st->verified, sizeof(st->verified), "%s", st->l.verified);
	if (st->layout == L_ZERO) {
		/*
		 * Read faults alone never give the VMA an anon_vma, and fork() copies
		 * no page table of a VMA without one (the child would fault the zero
		 * page in itself): one written and dropped page gives it one, so the
		 * zero-page PTEs are shared with the child like the other layouts'.
		 */
		*(volatile char *)st->l.buf = 1;
		madvise(st->l.buf, SZ_4K, MADV_DONTNEED);
		layout_read_fault(st->l.buf, st->l.len);
		ret = layout_verify_zero_page(st->l.buf, st->l.len, st->verified,
					      sizeof(st->verified), why, sizeof(why));
		if (ret) {
			snprintf(ctx->reason, sizeof(ctx->reason), "layout zero not obtained: %s", why);
			layout_destroy(&st->l);
			free(st);
			return ret;
		}
	}
	st->npages = st->l.len / st->page;

	/* Per fault in the parent (see the header comment); nothing in the parent for a child writer. */
	cow4k = st->op == OP_FAULT && st->writer == W_PARENT;
	st->clear_per_op = !cow4k ? 0 : st->layout == L_THP ? 2 : 1;
	st->change_pte_per_op = cow4k && !env_kernel_at_least(6, 10) ? 1 : 0;
	st->tlb_per_op = !cow4k ? 0 : st->layout != L_THP || !env_kernel_at_least(6, 6) ? 1 :
			 ENV_ARM64 && env_kernel_at_least(6, 9) ? 3 : 2;
	st->zapped_per_op = !cow4k ? 0 : st->layout == L_THP ? SZ_2M / SZ_4K : 1;

	ctx->buf = st->l.buf;
	ctx->len = st->l.len;
	ctx->op_unit = st->op == OP_FORK ? "fork" : "COW fault";
	ctx->call_unit = st->op == OP_FORK ? "fork" : "write";
	ctx->calls_per_op = 1;
	ctx->max_batch = st->op == OP_FORK ? MAX_FORKS : st->npages;
	*state = st;
	return NB_EXIT_OK;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* The child of --writer child: says it is ready, writes n pages when asked, reports its faults. */
static void __attribute__((noreturn)) child_writer(struct cow_state *st)
{
	struct rusage r0, r1;
	uint64_t n;
	int64_t faults;
	char ready = 1;

	close(st->cmd[1]);
	close(st->ack[0]);
	if (helper_write(st->ack[1], &ready, 1) || helper_read(st->cmd[0], &n, sizeof(n)))
		_exit(1);
	getrusage(RUSAGE_SELF, &r0);
	for (uint64_t i = st->first; i < st->first + n; i++)
		*(volatile char *)(st->l.buf + i * st->page) = 2;
	getrusage(RUSAGE_SELF, &r1);
	faults = r1.ru_minflt - r0.ru_minflt;
	if (helper_write(st->ack[1], &faults, sizeof(faults)))
		_exit(1);
	for (;;)
		pause();
}

static int prepare(void *state, struct bench_sample *s)
{
	struct cow_state *st = state;
	char ready = 0;
	int ret;

	if (st->op == OP_FORK) {
		struct sched_param sp = { .sched_priority = 1 };

		st->fifo = sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp) ? -errno : 0;
		return 0;
	}
	if (pipe2(st->ack, O_CLOEXEC) || (st->writer == W_CHILD && pipe2(st->cmd, O_CLOEXEC))) {
		ret = -errno;
		close_fd(&st->ack[0]);
		close_fd(&st->ack[1]);
		return ret;
	}
	/*
	 * Consecutive batches walk the buffer: a run spreads over all of its
	 * physical pages instead of reusing the same few (how the host backs
	 * those few decided a whole run's speed: medians of runs 25 % apart).
	 * Set before the fork: the writer child reads it.
	 */
	if (st->first + s->nops > st->npages)
		st->first = 0;
	st->child = helper_fork();
	if (st->child < 0) {
		ret = -errno;
		snprintf(s->reason, sizeof(s->reason), "fork: %s", strerror(-ret));
		st->child = 0;
		close_fd(&st->cmd[0]);
		close_fd(&st->cmd[1]);
		close_fd(&st->ack[0]);
		close_fd(&st->ack[1]);
		return ret;
	}
	if (st->child == 0) {
		if (st->writer == W_CHILD)
			child_writer(st);
		/* Ready, then hold the pages until killed. */
		ready = 1;
		if (helper_write(st->ack[1], &ready, 1))
			_exit(1);
		for (;;)
			pause();
	}
	/* Every private page of ours is write-protected now: only the buffer may fault in the batch. */
	helper_untangle_thread();
	helper_untangle(st, sizeof(*st));
	st->child_faults = -1;
	st->written = 0;
	close_fd(&st->cmd[0]);
	close_fd(&st->ack[1]);
	/*
	 * Wait until the child blocks: a new child is runnable on our CPU (it
	 * inherits the pinning) and would otherwise preempt the timed batch.
	 */
	ret = helper_read(st->ack[0], &ready, 1);
	if (!ret)
		ret = helper_wait_blocked(st->child);
	if (ret) {
		snprintf(s->reason, sizeof(s->reason), "the child did not %s: %s", ready ? "block" :
			 "start", strerror(-ret));
		return ret;
	}
	return 0;
}

static int run(void *state, uint64_t nops)
{
	struct cow_state *st = state;
	int64_t faults;
	int ret;

	if (st->op == OP_FORK) {
		for (uint64_t i = 0; i < nops; i++) {
			pid_t pid = helper_fork();

			if (pid < 0)
				return -errno;
			if (pid == 0)
				for (;;)
					pause();
			st->pids[st->npids++] = pid;
		}
		return 0;
	}
	if (st->writer == W_CHILD) {
		ret = helper_write(st->cmd[1], &nops, sizeof(nops));
		if (!ret)
			ret = helper_read(st->ack[0], &faults, sizeof(faults));
		if (ret)
			return ret;
		st->child_faults = faults;
		return 0;
	}
	for (uint64_t i = st->first; i < st->first + nops; i++)
		*(volatile char *)(st->l.buf + i * st->page) = 2;
	st->written = nops;
	return 0;
}

static int finish(void *state, struct bench_sample *s)
{
	struct cow_state *st = state;
	int ret = 0, r;

	for (unsigned int i = 0; i < st->npids; i++) {
		r = helper_reap(st->pids[i], true);
		ret = ret ?: r;
	}
	st->npids = 0;
	if (st->op == OP_FORK) {
		struct sched_param sp = { .sched_priority = 0 };

		if (!st->fifo && sched_setscheduler(0, SCHED_OTHER, &sp))
			ret = ret ?: -errno;
		return ret;
	}
	r = helper_reap(st->child, true);
	ret = ret ?: r;
	st->child = 0;
	close_fd(&st->cmd[0]);
	close_fd(&st->cmd[1]);
	close_fd(&st->ack[0]);
	close_fd(&st->ack[1]);
	if (st->writer == W_CHILD)
		s->helper_faults = st->child_faults;
	/* Written pages are private copies now: put back what the next batch must find. */
	if (st->written && st->layout == L_THP) {
		r = rebuild_thp(st, st->l.buf + st->first * SZ_2M, st->written, s->reason,
				sizeof(s->reason));
		ret = ret ?: r;
	} else if (st->written && st->layout == L_ZERO) {
		if (madvise(st->l.buf + st->first * SZ_4K, st->written * SZ_4K, MADV_DONTNEED))
			ret = ret ?: -errno;
		layout_read_fault(st->l.buf + st->first * SZ_4K, st->written * SZ_4K);
	}
	st->written = 0;
	st->first += s->nops;
	return ret;
}

static void teardown(void *state)
{
	struct cow_state *st = state;
	struct bench_sample s;

	memset(&s, 0, sizeof(s));
	st->written = 0;
	finish(st, &s);
	layout_destroy(&st->l);
	free(st);
}

static const char *kernel_desc(const struct cow_state *st, char *buf, size_t len)
{
	snprintf(buf, len, "kernel %u.%u: per fault %u CLEAR pair%s, %u change_pte (%s), %u "
		 "secondary-TLB call%s (%s)", st->kmajor, st->kminor, st->clear_per_op,
		 st->clear_per_op == 1 ? "" : "s", st->change_pte_per_op,
		 env_kernel_at_least(6, 10) ? "removed in 6.10" : "set_pte_at_notify",
		 st->tlb_per_op, st->tlb_per_op == 1 ? "" : "s", !env_kernel_at_least(6, 6) ?
		 "ptep_clear_flush_notify, < 6.6" : st->tlb_per_op == 3 ? "arm64 flushes, >= 6.9: "
		 "the THP split's 2 MiB, the contpte unfold's 64 KiB, the 4 KiB COW" :
		 st->tlb_per_op == 2 ? "the arch's flushes, >= 6.6: the 4 KiB COW and the THP "
		 "split's (x86: a full flush)" : "the arch's flush, >= 6.6");
	return buf;
}

#define FAIL(...) do { snprintf(msg, len, __VA_ARGS__); return NB_EXIT_FAIL; } while (0)

static int check_fork(struct cow_state *st, const struct bench_counters *c, char *msg, size_t len)
{
	uintptr_t b = (uintptr_t)st->l.buf, e = b + st->l.len;

	if (c->nb) {
		const struct nb_attach *a = c->nb_attach;
		unsigned int cb = nb_main_callback(a);
		uint64_t got = c->nb->cell[cb][NB_EV_PROTECTION_PAGE].calls / a->nr_subscribers;
		bool covered = false;

		if (!(a->callbacks & NB_CB_BIT(cb)))
			return NB_EXIT_OK;
		if (got < c->nops)
			FAIL("%s PROTECTION_PAGE calls per fork %.3f, expected >= 1 (copy_page_range "
			     "write-protects every COW mapping)", nb_callback_name(cb),
			     (double)got / (double)c->nops);
		for (unsigned int i = 0; i < c->ring_n; i++)
			if (c->ring[i].callback == cb && c->ring[i].event == NB_EV_PROTECTION_PAGE &&
			    c->ring[i].start <= b && c->ring[i].end >= e)
				covered = true;
		if (c->ring_n && !covered)
			FAIL("no PROTECTION_PAGE range in the ring covers the buffer %#lx-%#lx",
			     (unsigned long)b, (unsigned long)e);
	}
	if (c->kvm && c->kvm_unmap_hva_range >= 0 && (uint64_t)c->kvm_unmap_hva_range < c->nops)
		FAIL("kvm:kvm_unmap_hva_range per fork %.3f, expected >= 1",
		     (double)c->kvm_unmap_hva_range / (double)c->nops);
	return NB_EXIT_OK;
}

static int check(void *state, const struct bench_counters *c, char *msg, size_t len)
{
	struct cow_state *st = state;
	uint64_t n = c->nops;
	char kd[256];

	if (st->op == OP_FORK)
		return check_fork(st, c, msg, len);
	if (st->writer == W_PARENT && c->faults >= 0 && (uint64_t)c->faults != n)
		FAIL("%" PRId64 " faults in the parent for %" PRIu64 " pages written", c->faults, n);
	if (st->writer == W_CHILD) {
		if (c->helper_faults != (int64_t)n)
			FAIL("the writer child reported %" PRId64 " faults for %" PRIu64 " pages written",
			     c->helper_faults, n);
		if (c->faults > 0)
			FAIL("%" PRId64 " faults in the parent while the child wrote (expected none)",
			     c->faults);
	}
	if (c->nb) {
		const struct nb_attach *a = c->nb_attach;
		uint64_t k = a->nr_subscribers;
		unsigned int cb = nb_main_callback(a);

		if (a->callbacks & NB_CB_BIT(cb)) {
			uint64_t clear = c->nb->cell[cb][NB_EV_CLEAR].calls, all = nb_calls_total(c->nb, cb);

			if (clear != n * st->clear_per_op * k || all != clear)
				FAIL("%s CLEAR calls per fault %.3f (all events %.3f), predicted %u by %s",
				     nb_callback_name(cb), (double)clear / k / n, (double)all / k / n,
				     st->clear_per_op, kernel_desc(st, kd, sizeof(kd)));
			if (cb == NB_CB_START && (a->callbacks & NB_CB_BIT(NB_CB_END)) &&
			    nb_calls_total(c->nb, NB_CB_END) != all)
				FAIL("end calls %" PRIu64 " != start calls %" PRIu64,
				     nb_calls_total(c->nb, NB_CB_END), all);
		}
		if ((a->callbacks & NB_CB_BIT(NB_CB_CHANGE_PTE)) &&
		    nb_calls_total(c->nb, NB_CB_CHANGE_PTE) != n * st->change_pte_per_op * k)
			FAIL("change_pte calls per fault %.3f, predicted %u by %s",
			     (double)nb_calls_total(c->nb, NB_CB_CHANGE_PTE) / k / n, st->change_pte_per_op,
			     kernel_desc(st, kd, sizeof(kd)));
		if ((a->callbacks & NB_CB_BIT(NB_CB_TLB)) &&
		    nb_calls_total(c->nb, NB_CB_TLB) != n * st->tlb_per_op * k)
			FAIL("secondary-TLB calls per fault %.3f, predicted %u by %s",
			     (double)nb_calls_total(c->nb, NB_CB_TLB) / k / n, st->tlb_per_op,
			     kernel_desc(st, kd, sizeof(kd)));
		if (c->dev_refaults >= 0) {
			if (c->nb->mirror.zapped != n * st->zapped_per_op)
				FAIL("mirror entries zapped per fault %.3f, predicted %u",
				     (double)c->nb->mirror.zapped / n, st->zapped_per_op);
			if ((uint64_t)c->dev_refaults != c->nb->mirror.zapped)
				FAIL("the device refaulted %" PRId64 " entries after the batch, %" PRIu64
				     " were zapped", c->dev_refaults, (uint64_t)c->nb->mirror.zapped);
		}
	}
	if (c->kvm && c->kvm_unmap_hva_range >= 0 &&
	    (uint64_t)c->kvm_unmap_hva_range < n * st->clear_per_op)
		FAIL("kvm:kvm_unmap_hva_range per fault %.3f, fewer than the %u CLEAR pairs predicted",
		     (double)c->kvm_unmap_hva_range / n, st->clear_per_op);
	return NB_EXIT_OK;
}

static void describe(void *state, void (*emit)(const char *key, const char *value))
{
	struct cow_state *st = state;
	char v[512], kd[256];

	snprintf(v, sizeof(v), "%s, %zu KiB at %p (1 GiB-aligned), %" PRIu64 " pages of %zu KiB, "
		 "one write each; consecutive batches write consecutive windows of the buffer "
		 "(from its start again when the next does not fit)", layouts[st->layout],
		 st->l.len >> 10, st->l.buf, st->npages, st->page >> 10);
	emit("layout", v);
	emit("layout_verified", st->verified);
	if (st->op == OP_FORK)
		snprintf(v, sizeof(v), "fork: one op = one fork() of the process with the populated "
			 "buffer; children pause until finish() kills them (at most %d per batch); "
			 "%s", MAX_FORKS, st->fifo ? "the parent could not run as SCHED_FIFO: children "
			 "may run inside the batch and take over pages the parent would copy" :
			 "the parent runs the batch as SCHED_FIFO, its children as SCHED_OTHER: "
			 "none runs inside the batch");
	if (st->op == OP_FORK)
		emit("sweep_slope", "approximate: the charged calls per fork less those of the "
		     "parent's COW faults right after the batch, on the pages the harness writes "
		     "before it reads the module's counters: counted, not timed (in exact mode at 1 "
		     "fork per sample 18 against 20-22)");
	else
		snprintf(v, sizeof(v), "fault, --writer %s: before each batch (untimed) a child is "
			 "forked that holds the pages; one op = one write to a page not yet written "
			 "since the fork = one COW fault%s", writers[st->writer],
			 st->writer == W_CHILD ? "; the child writes when asked over a pipe and "
			 "reports its getrusage minor faults (one pipe round trip per sample is in "
			 "the timed region)" : "");
	emit("op", v);
	if (st->writer == W_CHILD)
		emit("notifiers", "a child's mm carries no notifiers (they are not inherited at "
		     "fork): with --writer child the parent's notifier traffic comes only from the "
		     "fork's write protection, in the untimed prepare; none is expected in the batch");
	if (st->op == OP_FAULT) {
		snprintf(v, sizeof(v), "%s; zap model: %u entries zapped and refaulted per fault",
			 kernel_desc(st, kd, sizeof(kd)), st->zapped_per_op);
		emit("prediction", v);
	}
}

static const struct bench_ops cow_ops = {
	.opts = opts,
	.nr_opts = O_NR,
	.validate = validate,
	.setup = setup,
	.prepare = prepare,
	.run = run,
	.finish = finish,
	.teardown = teardown,
	.check = check,
	.describe = describe,
	.device_access = true,
};

NB_BENCHMARK(cow, cow_ops,
	     "COW faults after fork (4K, THP, zero page; parent or child writes) and fork "
	     "itself; notifier calls per fault");
