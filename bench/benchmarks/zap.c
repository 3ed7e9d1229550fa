// SPDX-License-Identifier: GPL-2.0
/*
 * zap: the cost of throwing populated anonymous memory away, and the
 * notifier ranges it produces. A chunk (4 KiB, 2 MiB or 1 GiB) is zapped by
 * MADV_DONTNEED, MADV_FREE, MADV_PAGEOUT or munmap, issued as a plain
 * system call (one op = one chunk) or as IORING_OP_MADVISE SQEs through
 * io_uring (liburing; one op = one submission of --batch-size chunks).
 *
 * Backing: --chunk 4k zaps 4 KiB pages of a dense 4 KiB buffer
 * (MADV_NOHUGEPAGE); --chunk 2m one PMD-mapped THP; --chunk 1g a 1 GiB THP
 * region (512 PMD-mapped THPs) walked in 1 GiB chunks. Not hugetlb 1 GiB
 * pages: MADV_FREE and MADV_PAGEOUT refuse hugetlb VMAs (-EINVAL), and one
 * backing for every op keeps the rows comparable; anonymous THP is also what
 * a 1 GiB madvise meets in practice.
 *
 * Every batch zaps populated memory: prepare() (untimed) takes the next
 * window of nops chunks (consecutive windows walk the buffer), empties it
 * (MADV_DONTNEED, or a fresh mmap(MAP_FIXED) for munmap), faults every page
 * of it in again by writing (fresh, dirty, swap-backed pages, so MADV_FREE
 * does its full work every time), drains this CPU's LRU add batch (an
 * MADV_COLD of a scratch page: an io-wq worker on another CPU drains only
 * its own, and MADV_PAGEOUT skips pages not on the LRU yet; 6.1 left them
 * mapped), and verifies: mincore() says every page of
 * the window is resident, and smaps over the buffer says the page size is
 * the chunk's (4k: AnonHugePages 0; THP: AnonHugePages = Rss, i.e. every
 * resident page is in a PMD-mapped THP). finish() checks what the batch did
 * with mincore (dontneed, pageout: no page of the window left resident;
 * free: all still resident, MADV_FREE only marks them lazily freeable) and
 * empties the window again.
 *
 * io_uring: the kernel punts IORING_OP_MADVISE to an io-wq worker (6.1
 * returns -EAGAIN from the non-blocking issue; later kernels force async),
 * so the madvise runs in a worker thread of this process, in the same mm:
 * the module's subscribers and KVM see every invalidation, but the perf
 * counters and tracepoint counts of the benchmark thread (faults,
 * kvm_unmap_hva_range) do not see what the worker does, and the workers are
 * not pinned to --cpu. Several workers may run SQEs of one submission
 * concurrently. With --submit uring one op is one submission of --batch-size
 * chunks (a batch of one SQE would time the worker's wake-up), so
 * ns_per_call is ns per chunk in both modes; the zap's own columns
 * nb_clear_per_chunk and nb_unmap_per_chunk are per chunk too. munmap has
 * no io_uring operation: --submit uring refuses --op munmap.
 *
 * The check (kmod backend counting START, or INTERVAL): per chunk, on 6.1
 * and 6.12 alike unless said (read from the sources, counted in the guest):
 *   dontneed  1 CLEAR over the chunk (zap_page_range_single; for THP the
 *             whole PMDs are zapped, no split);
 *   free      1 CLEAR over the chunk (madvise_free_single_vma notifies the
 *             whole range once, then clears the dirty/young bits; THP whole
 *             PMDs are not split);
 *   pageout   from reclaim (try_to_unmap_one): 1 CLEAR per 4 KiB page; per
 *             THP (TTU_SPLIT_HUGE_PMD) before 6.10 2 CLEAR of 2 MiB
 *             (split_huge_pmd_address notifies the split on its own, then the
 *             unmap of the 512 PTEs), from 6.10 1 (split_huge_pmd_locked runs
 *             inside the unmap's notified range): 6.1 counted 2 per 2m chunk,
 *             6.12 counted 1. Needs swap: without it add_to_swap fails, the
 *             pages stay mapped and nothing is zapped (a skip);
 *   munmap    1 UNMAP over the chunk (unmap_vmas); 4k chunks also split the
 *             VMA, and __split_huge_pmd notifies a 2 MiB CLEAR before it
 *             looks for a huge PMD whenever the split address is inside a
 *             2 MiB range that the VMA covers: at most one per 2 MiB of the
 *             window, plus 2 (2 MiB-aligned chunks never split a PMD: none).
 * END = START; the ring's ranges of the predicted event are the batch's
 * chunks. With kvm (plain syscalls only, the tracepoint counts this thread):
 * kvm_unmap_hva_range at least the predicted pairs. The kvm guest reads the
 * window before the batch, not after it (batch_discards: a read would fault
 * the zapped pages back in before finish() checks them, and munmap leaves
 * nothing to read).
 */
#include <errno.h>
#include <inttypes.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"
#include "env.h"
#include "layout.h"
#include "nbdev.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

enum { O_OP, O_CHUNK, O_SUBMIT, O_BATCH_SIZE, O_SIZE, O_NR };
enum { OP_DONTNEED, OP_FREE, OP_PAGEOUT, OP_MUNMAP };
enum { CH_4K, CH_2M, CH_1G };
enum { SUB_SYSCALL, SUB_URING };

static const char *const ops[] = { "dontneed", "free", "pageout", "munmap", NULL };
static const char *const chunks[] = { "4k", "2m", "1g", NULL };
static const char *const submits[] = { "syscall", "uring", NULL };
static const size_t chunk_size[] = { SZ_4K, SZ_2M, SZ_1G };
static const size_t auto_size[] = { 64ul << 20, 256ul << 20, SZ_1G };
static const int advice[] = { MADV_DONTNEED, MADV_FREE, MADV_PAGEOUT, 0 };
static const char *const advice_name[] = { "MADV_DONTNEED", "MADV_FREE", "MADV_PAGEOUT", "munmap" };

#define DEFAULT_SQES 64
#define MAX_SQES 4096

static const struct bench_opt opts[O_NR] = {
	[O_OP] = { "op", OPT_CHOICE, "dontneed", ops, 0, 0,
		   "dontneed (MADV_DONTNEED), free (MADV_FREE), pageout (MADV_PAGEOUT: needs "
		   "swap), munmap" },
	[O_CHUNK] = { "chunk", OPT_CHOICE, "4k", chunks, 0, 0,
		      "what one op zaps: 4k (a 4 KiB page of a dense 4 KiB buffer), 2m (one "
		      "PMD-mapped THP), 1g (1 GiB of PMD-mapped THPs: 512 of them)" },
	[O_SUBMIT] = { "submit", OPT_CHOICE, "syscall", submits, 0, 0,
		       "syscall (one madvise/munmap per op) or uring (IORING_OP_MADVISE SQEs, "
		       "--batch-size per io_uring_submit; not with --op munmap)" },
	[O_BATCH_SIZE] = { "batch-size", OPT_UINT, "0", NULL, 0, MAX_SQES,
			   "--submit uring: SQEs per submission, 1..4096 (0: 64)" },
	[O_SIZE] = { "size", OPT_SIZE, "0", NULL, 0, 1ull << 40,
		     "buffer size, a multiple of the chunk (0: 64M for 4k, 256M for 2m, 1G for "
		     "1g); a batch zaps each chunk at most once, so it caps the batch" },
};

struct zap_state {
	struct layout l;
	int op, chunk_kind, submit;
	size_t chunk;
	uint64_t nchunks;
	unsigned int sqes;		/* per submission (uring) */
	uint64_t per_op;		/* chunks per op: sqes (uring), 1 (syscall) */
	struct io_uring ring;
	bool ring_ok;
	unsigned int kmajor, kminor;
	uint64_t first, next;		/* the batch's first chunk; batches walk the buffer */
	uint64_t n;			/* chunks of the current window */
	unsigned char *vec;		/* mincore vector of the buffer */
	char *scratch;			/* a page outside the buffer: drains the LRU batch */
	int64_t left;			/* pages of the window resident after the batch */
	/* predictions per op */
	unsigned int clear_per_op, unmap_per_op;
	uint64_t clear_bytes_per_op, unmap_bytes_per_op;
	char verified[512];
};

static int validate(const struct bench_val *o, char *msg, size_t len)
{
	size_t chunk = chunk_size[o[O_CHUNK].choice], size;

	if (o[O_SIZE].u % chunk) {
		snprintf(msg, len, "--size %s is not a multiple of the --chunk %s", o[O_SIZE].str,
			 chunks[o[O_CHUNK].choice]);
		return NB_EXIT_USAGE;
	}
	if (o[O_SUBMIT].choice == SUB_URING && o[O_OP].choice == OP_MUNMAP) {
		snprintf(msg, len, "--op munmap --submit uring: io_uring has no munmap operation "
			 "(only IORING_OP_MADVISE); use --submit syscall");
		return NB_EXIT_USAGE;
	}
	if (o[O_SUBMIT].choice == SUB_SYSCALL && o[O_BATCH_SIZE].u) {
		snprintf(msg, len, "--batch-size %s: SQEs per io_uring submission, only with "
			 "--submit uring", o[O_BATCH_SIZE].str);
		return NB_EXIT_USAGE;
	}
	size = o[O_SIZE].u ? o[O_SIZE].u : auto_size[o[O_CHUNK].choice];
	if (o[O_BATCH_SIZE].u > size / chunk) {
		snprintf(msg, len, "--batch-size %s: one submission zaps that many chunks, more "
			 "than the buffer holds (--size %s, --chunk %s)", o[O_BATCH_SIZE].str,
			 o[O_SIZE].str, chunks[o[O_CHUNK].choice]);
		return NB_EXIT_USAGE;
	}
	return NB_EXIT_OK;
}

static int setup_uring(struct zap_state *st, char *reason, size_t rlen)
{
	struct io_uring_probe *probe;
	int ret = io_uring_queue_init(st->sqes, &st->ring, 0);

	if (ret < 0) {
		snprintf(reason, rlen, "--submit uring: io_uring_queue_init(%u): %s%s", st->sqes,
			 strerror(-ret), ret == -EPERM ? " (kernel.io_uring_disabled?)" :
			 ret == -ENOSYS ? " (kernel without io_uring)" : "");
		return NB_EXIT_SKIP;
	}
	st->ring_ok = true;
	probe = io_uring_get_probe_ring(&st->ring);
	if (!probe || !io_uring_opcode_supported(probe, IORING_OP_MADVISE)) {
		snprintf(reason, rlen, "--submit uring: this kernel's io_uring has no "
			 "IORING_OP_MADVISE%s", probe ? "" : " (probe failed)");
		if (probe)
			io_uring_free_probe(probe);
		return NB_EXIT_SKIP;
	}
	io_uring_free_probe(probe);
	return NB_EXIT_OK;
}

static void predict(struct zap_state *st)
{
	uint64_t thps = st->chunk / SZ_2M;

	st->clear_per_op = st->unmap_per_op = 0;
	st->clear_bytes_per_op = st->unmap_bytes_per_op = 0;
	switch (st->op) {
	case OP_DONTNEED:
	case OP_FREE:
		st->clear_per_op = 1;
		st->clear_bytes_per_op = st->chunk;
		break;
	case OP_PAGEOUT:
		/* THP: before 6.10 split_huge_pmd_address() notifies the split on its own. */
		st->clear_per_op = st->chunk == SZ_4K ? 1 : env_kernel_at_least(6, 10) ?
				   (unsigned int)thps : (unsigned int)(2 * thps);
		st->clear_bytes_per_op = st->chunk == SZ_4K ? SZ_4K : st->clear_per_op * SZ_2M;
		break;
	case OP_MUNMAP:
		st->unmap_per_op = 1;
		st->unmap_bytes_per_op = st->chunk;
		break;
	}
}

static void zap_free(struct zap_state *st)
{
	if (st->ring_ok)
		io_uring_queue_exit(&st->ring);
	free(st->vec);
	if (st->scratch)
		munmap(st->scratch, SZ_4K);
	if (st->l.resv)
		layout_destroy(&st->l);
	free(st);
}

static int setup(struct bench_ctx *ctx, void **state)
{
	const struct bench_val *o = ctx->opt;
	struct zap_state *st = calloc(1, sizeof(*st));
	size_t size;
	int ret;

	if (!st) {
		snprintf(ctx->reason, sizeof(ctx->reason), "out of memory");
		return NB_EXIT_FAIL;
	}
	st->op = o[O_OP].choice;
	st->chunk_kind = o[O_CHUNK].choice;
	st->submit = o[O_SUBMIT].choice;
	st->chunk = chunk_size[st->chunk_kind];
	size = o[O_SIZE].u ? o[O_SIZE].u : auto_size[st->chunk_kind];
	st->sqes = DEFAULT_SQES;
	if (o[O_BATCH_SIZE].u)
		st->sqes = (unsigned int)o[O_BATCH_SIZE].u;
	else if (size / st->chunk < DEFAULT_SQES)
		st->sqes = (unsigned int)(size / st->chunk);
	st->per_op = st->submit == SUB_URING ? st->sqes : 1;
	env_kernel_version(&st->kmajor, &st->kminor);

	if (st->op == OP_PAGEOUT) {
		uint64_t swap_total = meminfo_kb("SwapTotal"), swap_free = meminfo_kb("SwapFree");

		if (swap_free < size >> 10) {
			snprintf(ctx->reason, sizeof(ctx->reason), "--op pageout needs swap for "
				 "the buffer's %zu MiB (SwapTotal %" PRIu64 " kB, SwapFree %"
				 PRIu64 " kB): without it reclaim cannot add anonymous pages to "
				 "the swap cache, keeps them mapped and zaps nothing", size >> 20,
				 swap_total, swap_free);
			free(st);
			return NB_EXIT_SKIP;
		}
	}
	if (st->submit == SUB_URING) {
		ret = setup_uring(st, ctx->reason, sizeof(ctx->reason));
		if (ret) {
			zap_free(st);
			return ret;
		}
	}
	ret = layout_create(&st->l, st->chunk == SZ_4K ? LAYOUT_DENSE4K : LAYOUT_THP, size,
			    ALIGN_1G, ctx->reason, sizeof(ctx->reason));
	if (ret) {
		st->l.resv = NULL;
		zap_free(st);
		return ret;
	}
	snprintf(st->verified, sizeof(st->verified), "%s", st->l.verified);
	st->nchunks = st->l.len / st->chunk;
	st->vec = malloc(st->l.len / SZ_4K);
	st->scratch = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (st->scratch == MAP_FAILED)
		st->scratch = NULL;
	if (!st->vec || !st->scratch) {
		snprintf(ctx->reason, sizeof(ctx->reason), "out of memory");
		zap_free(st);
		return NB_EXIT_FAIL;
	}
	st->left = -1;
	predict(st);

	ctx->buf = st->l.buf;
	ctx->len = st->l.len;
	/* ns_per_call is ns per chunk either way; a uring op is one whole submission. */
	ctx->op_unit = st->submit == SUB_URING ? "io_uring submission" : "chunk";
	ctx->call_unit = st->submit == SUB_URING ? "chunk (IORING_OP_MADVISE SQE)" :
			 advice_name[st->op];
	ctx->calls_per_op = st->per_op;
	ctx->max_batch = st->nchunks / st->per_op;
	/* One op fills the buffer (e.g. 1g): calibrating would only refault it three more times. */
	if (ctx->max_batch == 1)
		ctx->batch = 1;
	*state = st;
	return NB_EXIT_OK;
}

/* Pages of [p, p + len) that mincore() says are resident; -errno on error. */
static int64_t resident(struct zap_state *st, char *p, size_t len)
{
	int64_t n = 0;

	if (mincore(p, len, st->vec))
		return -errno;
	for (size_t i = 0; i < len / SZ_4K; i++)
		n += st->vec[i] & 1;
	return n;
}

/* The window faulted in, resident, and mapped with the chunk's page size. */
static int populate(struct zap_state *st, char *p, size_t len, char *reason, size_t rlen)
{
	bool thp = st->chunk != SZ_4K;
	struct layout_smaps v;
	int64_t res;

	for (size_t off = 0; off < len; off += SZ_4K)
		*(volatile char *)(p + off) = 1;
	/*
	 * New pages wait in this CPU's LRU add batch until it is drained; an
	 * io-wq worker on another CPU drains only its own, and MADV_PAGEOUT
	 * cannot isolate a page that is not on the LRU yet (seen on 6.1: the
	 * last pages of a window stayed mapped). madvise drains this CPU's
	 * batch first (lru_add_drain()): one on a scratch page settles them.
	 */
	if (madvise(st->scratch, SZ_4K, MADV_COLD))
		return -errno;
	res = resident(st, p, len);
	if (res != (int64_t)(len / SZ_4K)) {
		snprintf(reason, rlen, "mincore: %" PRId64 " of %zu pages of the window resident "
			 "after faulting them in", res, len / SZ_4K);
		return res < 0 ? (int)res : -EIO;
	}
	layout_smaps_sum((uintptr_t)st->l.buf, (uintptr_t)st->l.buf + st->l.len, &v);
	if (thp && v.anon_huge_kb != v.rss_kb) {
		/* Fragmented memory may have given 4 KiB pages: collapse them (as layout does). */
		madvise(p, len, MADV_COLLAPSE);
		layout_smaps_sum((uintptr_t)st->l.buf, (uintptr_t)st->l.buf + st->l.len, &v);
	}
	if (thp ? v.anon_huge_kb != v.rss_kb : v.anon_huge_kb != 0) {
		snprintf(reason, rlen, "the buffer's pages are not %s: smaps Rss %" PRIu64 " kB, "
			 "AnonHugePages %" PRIu64 " kB", thp ? "all PMD-mapped THPs" :
			 "4 KiB pages", v.rss_kb, v.anon_huge_kb);
		return -EIO;
	}
	return 0;
}

/* munmap: a fresh, empty mapping of the window, with the chunk's page size. */
static int fresh_window(struct zap_state *st, char *p, size_t len, char *reason, size_t rlen)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE;

	if (mmap(p, len, PROT_READ | PROT_WRITE, flags, -1, 0) == MAP_FAILED) {
		snprintf(reason, rlen, "mmap of the window: %s", strerror(errno));
		return -errno;
	}
	if (madvise(p, len, st->chunk == SZ_4K ? MADV_NOHUGEPAGE : MADV_HUGEPAGE)) {
		snprintf(reason, rlen, "madvise of the window: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static int prepare(void *state, struct bench_sample *s)
{
	struct zap_state *st = state;
	char *p;
	size_t len;

	st->n = s->nops * st->per_op;
	st->first = st->next + st->n > st->nchunks ? 0 : st->next;
	st->next = st->first + st->n;
	st->left = -1;
	p = st->l.buf + st->first * st->chunk;
	len = st->n * st->chunk;
	if (st->op == OP_MUNMAP) {
		int ret = fresh_window(st, p, len, s->reason, sizeof(s->reason));

		if (ret)
			return ret;
	} else if (madvise(p, len, MADV_DONTNEED)) {
		return -errno;
	}
	return populate(st, p, len, s->reason, sizeof(s->reason));
}

static int run_uring(struct zap_state *st, char *p, uint64_t nchunks)
{
	for (uint64_t done = 0; done < nchunks;) {
		unsigned int n = st->sqes;
		struct io_uring_cqe *cqe;
		unsigned int head, seen = 0;
		int ret;

		for (unsigned int i = 0; i < n; i++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&st->ring);

			if (!sqe)
				return -EBUSY;
			io_uring_prep_madvise(sqe, p + (done + i) * st->chunk, (off_t)st->chunk,
					      advice[st->op]);
		}
		ret = io_uring_submit_and_wait(&st->ring, n);
		if (ret < 0)
			return ret;
		if ((unsigned int)ret != n)
			return -EIO;
		while (seen < n) {
			unsigned int got = 0;

			ret = io_uring_wait_cqe(&st->ring, &cqe);
			if (ret < 0)
				return ret;
			io_uring_for_each_cqe(&st->ring, head, cqe) {
				if (cqe->res < 0)
					return cqe->res;
				got++;
			}
			io_uring_cq_advance(&st->ring, got);
			seen += got;
		}
		done += n;
	}
	return 0;
}

static int run(void *state, uint64_t nops)
{
	struct zap_state *st = state;
	char *p = st->l.buf + st->first * st->chunk;

	if (st->submit == SUB_URING)
		return run_uring(st, p, nops * st->per_op);
	for (uint64_t i = 0; i < nops; i++, p += st->chunk) {
		int ret = st->op == OP_MUNMAP ? munmap(p, st->chunk) :
			  madvise(p, st->chunk, advice[st->op]);

		if (ret)
			return -errno;
	}
	return 0;
}

static int finish(void *state, struct bench_sample *s)
{
	struct zap_state *st = state;
	char *p = st->l.buf + st->first * st->chunk;
	size_t len = st->n * st->chunk;

	/* Mapped again (empty), so the buffer has no hole outside the batch (kvm's guest reads it). */
	if (st->op == OP_MUNMAP)
		return fresh_window(st, p, len, s->reason, sizeof(s->reason));
	st->left = resident(st, p, len);
	if (st->left < 0) {
		snprintf(s->reason, sizeof(s->reason), "mincore after the batch: %s",
			 strerror((int)-st->left));
		return (int)st->left;
	}
	/* pageout leaves swap entries, free lazily freed pages: empty the window (smaps check). */
	if (st->op != OP_DONTNEED && madvise(p, len, MADV_DONTNEED))
		return -errno;
	return 0;
}

static void teardown(void *state)
{
	zap_free(state);
}

static const char *kernel_desc(const struct zap_state *st, char *buf, size_t len)
{
	static const char *const why[] = {
		[OP_DONTNEED] = "zap_page_range_single: one CLEAR over the chunk",
		[OP_FREE] = "madvise_free_single_vma: one CLEAR over the chunk, pages stay mapped",
		[OP_PAGEOUT] = "reclaim's try_to_unmap_one: one CLEAR per 4 KiB page; per THP "
			       "two of 2 MiB before 6.10 (split_huge_pmd_address notifies the "
			       "split, then the unmap), one from 6.10 (split_huge_pmd_locked "
			       "inside the unmap's range)",
		[OP_MUNMAP] = "unmap_vmas: one UNMAP over the chunk",
	};

	snprintf(buf, len, "kernel %u.%u, %s: per chunk %u CLEAR (%" PRIu64 " bytes), %u UNMAP (%"
		 PRIu64 " bytes)%s; %s", st->kmajor, st->kminor, advice_name[st->op],
		 st->clear_per_op, st->clear_bytes_per_op, st->unmap_per_op, st->unmap_bytes_per_op,
		 st->op == OP_MUNMAP && st->chunk == SZ_4K ?
		 ", plus at most one 2 MiB CLEAR per 2 MiB of the window + 2 (VMA split: "
		 "__split_huge_pmd notifies before it looks for a huge PMD)" : "", why[st->op]);
	return buf;
}

#define FAIL(...) do { snprintf(msg, len, __VA_ARGS__); return NB_EXIT_FAIL; } while (0)

/*
 * The ring's ranges of the predicted events must be chunks of the batch's
 * window (2 MiB-aligned 2 MiB ranges for the VMA splits' CLEARs).
 */
static int check_ring(struct zap_state *st, const struct bench_counters *c, unsigned int cb,
		      char *msg, size_t len)
{
	uintptr_t w0 = (uintptr_t)st->l.buf + st->first * st->chunk, w1 = w0 + st->n * st->chunk;

	for (unsigned int i = 0; i < c->ring_n; i++) {
		const struct nb_ring_entry *e = &c->ring[i];
		bool ok;

		if (e->callback != cb)
			continue;
		if (e->event == NB_EV_UNMAP && st->op == OP_MUNMAP)
			ok = e->end - e->start == st->chunk && (e->start - w0) % st->chunk == 0;
		else if (e->event == NB_EV_CLEAR && st->op == OP_MUNMAP)
			ok = e->end - e->start == SZ_2M && e->start % SZ_2M == 0;
		else if (e->event == NB_EV_CLEAR && st->op != OP_PAGEOUT)
			ok = e->end - e->start == st->chunk && (e->start - w0) % st->chunk == 0;
		else if (e->event == NB_EV_CLEAR)
			ok = st->chunk == SZ_4K ? e->end - e->start == SZ_4K :
			     e->end - e->start == SZ_2M && e->start % SZ_2M == 0;
		else
			ok = false;
		if (st->op == OP_MUNMAP && e->event == NB_EV_CLEAR)
			ok = ok && e->end > w0 - SZ_2M && e->start < w1 + SZ_2M;
		else
			ok = ok && e->start >= w0 && e->end <= w1;
		if (!ok)
			FAIL("ring entry %u: %s %s %#" PRIx64 "-%#" PRIx64 " (%" PRIu64 " KiB) is "
			     "not a predicted range of the window %#lx-%#lx (chunk %zu KiB)", i,
			     nb_callback_name(cb), nb_event_name(e->event), (uint64_t)e->start,
			     (uint64_t)e->end, (uint64_t)(e->end - e->start) >> 10,
			     (unsigned long)w0, (unsigned long)w1, st->chunk >> 10);
	}
	return NB_EXIT_OK;
}

static int check(void *state, const struct bench_counters *c, char *msg, size_t len)
{
	struct zap_state *st = state;
	uint64_t n = c->nops * st->per_op, pages = n * st->chunk / SZ_4K;	/* n: chunks */
	char kd[512];

	if (st->left >= 0 && (st->op == OP_DONTNEED || st->op == OP_PAGEOUT) && st->left)
		FAIL("%" PRId64 " of %" PRIu64 " pages of the window still resident after %s%s",
		     st->left, pages, advice_name[st->op], st->op == OP_PAGEOUT ?
		     " (reclaim kept them: swap full, or pages in use?)" : "");
	if (st->left >= 0 && st->op == OP_FREE && (uint64_t)st->left != pages)
		FAIL("%" PRId64 " of %" PRIu64 " pages of the window resident after MADV_FREE "
		     "(expected all: lazily freed pages stay until reclaim needs them)", st->left,
		     pages);
	if (c->nb) {
		const struct nb_attach *a = c->nb_attach;
		uint64_t k = a->nr_subscribers;
		unsigned int cb = nb_main_callback(a);
		const struct nb_cell *cell = c->nb->cell[cb];
		uint64_t clear, unmap, all, clear_b, unmap_b, split_max;

		if (!(a->callbacks & NB_CB_BIT(cb)))
			return NB_EXIT_OK;
		clear = cell[NB_EV_CLEAR].calls / k;
		unmap = cell[NB_EV_UNMAP].calls / k;
		clear_b = cell[NB_EV_CLEAR].bytes / k;
		unmap_b = cell[NB_EV_UNMAP].bytes / k;
		all = nb_calls_total(c->nb, cb) / k;
		if (st->op == OP_MUNMAP && st->chunk == SZ_4K) {
			/* The VMA splits' 2 MiB CLEARs: at most one per 2 MiB of the window + 2. */
			split_max = n * SZ_4K / SZ_2M + 2;
			if (unmap != n || unmap_b != n * SZ_4K || clear > split_max ||
			    clear_b != clear * SZ_2M || all != unmap + clear)
				FAIL("%s per chunk: UNMAP %.3f (%.0f bytes), CLEAR %.3f (%.0f "
				     "bytes), all %.3f; predicted UNMAP 1 (4096 bytes) and at "
				     "most %" PRIu64 " 2 MiB CLEARs per sample by %s",
				     nb_callback_name(cb), (double)unmap / n, (double)unmap_b / n,
				     (double)clear / n, (double)clear_b / n, (double)all / n,
				     split_max, kernel_desc(st, kd, sizeof(kd)));
		} else if (clear != n * st->clear_per_op || unmap != n * st->unmap_per_op ||
			   clear_b != n * st->clear_bytes_per_op ||
			   unmap_b != n * st->unmap_bytes_per_op || all != clear + unmap) {
			FAIL("%s per chunk: CLEAR %.3f (%.0f bytes), UNMAP %.3f (%.0f bytes), all "
			     "events %.3f; predicted by %s", nb_callback_name(cb),
			     (double)clear / n, (double)clear_b / n, (double)unmap / n,
			     (double)unmap_b / n, (double)all / n, kernel_desc(st, kd, sizeof(kd)));
		}
		if (cb == NB_CB_START && (a->callbacks & NB_CB_BIT(NB_CB_END)) &&
		    nb_calls_total(c->nb, NB_CB_END) != nb_calls_total(c->nb, NB_CB_START))
			FAIL("end calls %" PRIu64 " != start calls %" PRIu64,
			     nb_calls_total(c->nb, NB_CB_END), nb_calls_total(c->nb, NB_CB_START));
		return check_ring(st, c, cb, msg, len);
	}
	/* The tracepoint counts this thread only: an io-wq worker's invalidations are not in it. */
	if (c->kvm && st->submit == SUB_SYSCALL && c->kvm_unmap_hva_range >= 0 &&
	    (uint64_t)c->kvm_unmap_hva_range < n * (st->clear_per_op + st->unmap_per_op))
		FAIL("kvm:kvm_unmap_hva_range per chunk %.3f, fewer than the %u pairs predicted "
		     "by %s",
		     (double)c->kvm_unmap_hva_range / n, st->clear_per_op + st->unmap_per_op,
		     kernel_desc(st, kd, sizeof(kd)));
	return NB_EXIT_OK;
}

static const char *const columns[] = { "nb_clear_per_chunk", "nb_unmap_per_chunk", NULL };

/* The module's CLEAR and UNMAP calls (START, or INTERVAL) per chunk and subscriber. */
static void sample_values(void *state, const struct bench_counters *c, double *v)
{
	struct zap_state *st = state;
	unsigned int cb;
	double per;

	if (!c->nb)
		return;
	cb = nb_main_callback(c->nb_attach);
	if (!(c->nb_attach->callbacks & NB_CB_BIT(cb)))
		return;
	per = (double)c->nb_attach->nr_subscribers * (double)(c->nops * st->per_op);
	v[0] = (double)c->nb->cell[cb][NB_EV_CLEAR].calls / per;
	v[1] = (double)c->nb->cell[cb][NB_EV_UNMAP].calls / per;
}

static void describe(void *state, void (*emit)(const char *key, const char *value))
{
	struct zap_state *st = state;
	char v[768], kd[512];

	snprintf(v, sizeof(v), "%s, %zu KiB at %p (1 GiB-aligned), %" PRIu64 " chunks of %zu "
		 "KiB%s; consecutive batches take consecutive windows of the buffer (from its "
		 "start again when the next does not fit)", st->chunk == SZ_4K ? "dense4k" : "thp",
		 st->l.len >> 10, st->l.buf, st->nchunks, st->chunk >> 10,
		 st->chunk == SZ_1G ? " (each 1 GiB chunk is 512 PMD-mapped THPs, not a hugetlb "
		 "page: MADV_FREE and MADV_PAGEOUT refuse hugetlb)" : "");
	emit("layout", v);
	emit("layout_verified", st->verified);
	if (st->submit == SUB_URING)
		snprintf(v, sizeof(v), "%s of one chunk per IORING_OP_MADVISE SQE; one op = one "
			 "submission of %u SQEs (io_uring_submit_and_wait), every CQE reaped; the "
			 "kernel punts each to an io-wq worker thread of this process (same mm: "
			 "notifiers see it; this thread's perf counters and tracepoints do not; "
			 "workers are not pinned)",
			 advice_name[st->op], st->sqes);
	else
		snprintf(v, sizeof(v), "%s of one chunk per op, one system call each",
			 advice_name[st->op]);
	emit("op", v);
	emit("populate", "prepare (untimed): MADV_DONTNEED (munmap: mmap MAP_FIXED) of the window, "
	     "a write to every 4 KiB page, mincore: every page resident, smaps over the buffer: "
	     "page size as the chunk's; finish: mincore of the window (dontneed, pageout: none "
	     "resident; free: all), then MADV_DONTNEED (munmap: mmap MAP_FIXED again)");
	emit("prediction", kernel_desc(st, kd, sizeof(kd)));
}

static const struct bench_ops zap_ops = {
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
	.columns = columns,
	.sample_values = sample_values,
	.batch_discards = true,
};

NB_BENCHMARK(zap, zap_ops,
	     "MADV_DONTNEED/FREE/PAGEOUT and munmap of 4K, 2M, 1G chunks as syscalls or batched "
	     "io_uring SQEs; ns per chunk, UNMAP/CLEAR events per chunk");
