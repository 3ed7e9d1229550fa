// SPDX-License-Identifier: GPL-2.0
/*
 * collapse: the notifier traffic and cost of the kernel putting anonymous
 * pages back together: THP collapse (MADV_COLLAPSE, khugepaged) and KSM
 * merging of identical pages.
 *
 * --op madv-collapse: one op = one MADV_COLLAPSE of a 2 MiB range populated
 *   with 4 KiB pages (collapse_huge_page: allocate a THP, copy 512 pages,
 *   replace the page table). The VMA has neither VM_HUGEPAGE nor
 *   VM_NOHUGEPAGE (MADV_COLLAPSE refuses VM_NOHUGEPAGE and ignores the sysfs
 *   mode): with THP "always" the run sets it to "madvise" so that faults
 *   give 4 KiB pages and khugepaged leaves the buffer alone.
 * --op khugepaged: one op = --ranges 2 MiB ranges populated with 4 KiB pages
 *   (under MADV_NOHUGEPAGE, so khugepaged cannot start early) made eligible
 *   by MADV_HUGEPAGE in the timed batch, which then waits until smaps says
 *   AnonHugePages covers them. khugepaged runs with scan_sleep_millisecs and
 *   alloc_sleep_millisecs 10 and pages_to_scan 8 GiB worth (khugepaged scans
 *   every registered mm, and other processes' empty VM_HUGEPAGE PMDs use up
 *   a pass's budget like collapses: QEMU guests' RAM starved the buffer on
 *   this project's host with 4096) (knobs, restored at exit and on signals).
 *   prepare() also drains this CPU's LRU add batch: a range holding a page
 *   that is not on the LRU yet is skipped until khugepaged's next pass (it
 *   drains all CPUs once per pass). The figure is therefore the time
 *   khugepaged, as configured, takes to collapse them: a throughput (ns per
 *   collapsed 2 MiB is ns_per_call), wake-ups and scan sleeps included, not
 *   the CPU cost of one collapse. The polling (every 1 ms) runs on the
 *   benchmark's CPU.
 * --op ksm: one op = --pages pages merged: --pages + 1 pages of identical
 *   content (unique to the group and the run, so they merge with nothing
 *   else) made MADV_MERGEABLE in the timed batch, which waits until pagemap
 *   says every group's pages map one page (PFNs need root; without them
 *   /proc/self/ksm_merging_pages, else the global pages_sharing: counters
 *   that ksmd updates lazily for the pages of earlier batches, so finish()
 *   then waits for their rmap items to go). ksmd runs with run 1, sleep_millisecs 1, pages_to_scan
 *   100000 (or the buffer; ksmd scans every mergeable area, QEMU guests' RAM
 *   included) and smart_scan 0 where it exists (knobs, restored). Also a
 *   throughput: ns per merged page is ns_per_call; a page merges on ksmd's
 *   second pass at the earliest (its checksum must be stable).
 * The waits are bounded by --timeout: past it the batch fails with a message.
 *
 * prepare() (untimed) populates the batch's window (consecutive windows
 * walk the buffer; everything outside the window is empty) and verifies it:
 * every page resident and 4 KiB (smaps over the buffer: Rss = the window,
 * AnonHugePages 0). finish() verifies what the batch did (collapse: smaps
 * AnonHugePages = the window; ksm: pagemap says every page of a group maps
 * one PFN, and groups differ), then empties the window (ksm: also
 * MADV_UNMERGEABLE).
 * Window boundaries are 2 MiB-aligned when the timed batch changes VMA flags:
 * a VMA split inside a 2 MiB range would add a CLEAR pair of its own
 * (__split_huge_pmd notifies before it looks for a huge PMD).
 *
 * The check (kmod counting START, or INTERVAL), 6.1 and 6.12 alike unless
 * said:
 *   madv-collapse, khugepaged: one CLEAR of 2 MiB per collapsed range
 *     (collapse_huge_page), nothing else; the ring's ranges are 2 MiB-
 *     aligned ranges of the window. khugepaged's young test calls
 *     test_young only for PTEs that are not young (ours were just written);
 *   ksm: per group of P+1 pages, P+1 write_protect_page (one CLEAR of 4 KiB
 *     each, and set_pte_at_notify: one change_pte before 6.10) and P
 *     replace_page (one CLEAR of 4 KiB and, before 6.10, one change_pte):
 *     2P+1 CLEAR per op, 2P+1 change_pte per op below 6.10, none from 6.10
 *     (change_pte was removed). END = START.
 * khugepaged and ksmd are kernel threads: their invalidations reach the
 * module and KVM (same mm) but not this thread's tracepoint counts, so the
 * kvm check applies to madv-collapse only.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "env.h"
#include "knobs.h"
#include "layout.h"
#include "nbdev.h"
#include "util.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

#define THP_DIR			"/sys/kernel/mm/transparent_hugepage/"
#define KNOB_KHUGEPAGED_ALLOC	THP_DIR "khugepaged/alloc_sleep_millisecs"
#define KNOB_KHUGEPAGED_PAGES	THP_DIR "khugepaged/pages_to_scan"
#define KHUGEPAGED_COLLAPSED	THP_DIR "khugepaged/pages_collapsed"
#define KHUGEPAGED_FULL_SCANS	THP_DIR "khugepaged/full_scans"
#define KSM_DIR			"/sys/kernel/mm/ksm/"
#define KNOB_KSM_PAGES		KSM_DIR "pages_to_scan"
#define KNOB_KSM_SLEEP		KSM_DIR "sleep_millisecs"
#define KNOB_KSM_SMART		KSM_DIR "smart_scan"
#define KSM_MAX_SHARING		KSM_DIR "max_page_sharing"
#define KSM_SHARING		KSM_DIR "pages_sharing"
#define KSM_FULL_SCANS		KSM_DIR "full_scans"
#define KSM_MERGING_SELF	"/proc/self/ksm_merging_pages"

#define SCAN_SLEEP_MS		"10"
#define KHUGEPAGED_SCAN		(8ul << 30 >> 12)	/* pages_to_scan: 8 GiB */
#define KSM_SLEEP_MS		"1"
#define KSM_SCAN		100000ul	/* pages_to_scan */
#define POLL_NS			1000000L
#define GUARD			SZ_2M

enum { O_OP, O_SIZE, O_RANGES, O_PAGES, O_TIMEOUT, O_NR };
enum { OP_MADV, OP_KHUGEPAGED, OP_KSM };

static const char *const ops[] = { "madv-collapse", "khugepaged", "ksm", NULL };
static const size_t auto_size[] = { 64ul << 20, 128ul << 20, 16ul << 20 };

#define DEFAULT_RANGES 8
#define DEFAULT_PAGES 63
#define MAX_PAGES 511

static const struct bench_opt opts[O_NR] = {
	[O_OP] = { "op", OPT_CHOICE, "madv-collapse", ops, 0, 0,
		   "madv-collapse (one MADV_COLLAPSE of 2 MiB of 4 KiB pages per op), "
		   "khugepaged (--ranges 2 MiB ranges per op, collapsed by khugepaged), ksm "
		   "(--pages pages merged per op by ksmd)" },
	[O_SIZE] = { "size", OPT_SIZE, "0", NULL, 0, 64ull << 30,
		     "buffer size, a multiple of 2M (0: 64M for madv-collapse, 128M for "
		     "khugepaged, 16M for ksm); caps the batch" },
	[O_RANGES] = { "ranges", OPT_UINT, "0", NULL, 0, 4096,
		       "--op khugepaged: 2 MiB ranges per op (0: 8)" },
	[O_PAGES] = { "pages", OPT_UINT, "0", NULL, 0, MAX_PAGES,
		      "--op ksm: pages merged per op, 1..511: a group of pages+1 identical pages, "
		      "one of which becomes the KSM page (0: 63); at most max_page_sharing - 1" },
	[O_TIMEOUT] = { "timeout", OPT_UINT, "60", NULL, 1, 3600,
			"seconds one batch may wait for khugepaged or ksmd before it fails" },
};

struct col_state {
	int op;
	char *resv, *buf;
	size_t resv_len, len;
	size_t unit;			/* bytes one op consumes */
	uint64_t nunits;
	unsigned int ranges, pages;	/* per op: 2 MiB ranges (collapse), pages merged (ksm) */
	uint64_t timeout_ns, timeout_s;
	unsigned int kmajor, kminor;
	unsigned char *vec;		/* mincore of the buffer */
	bool merging_self;		/* /proc/self/ksm_merging_pages exists */
	bool pfns;			/* pagemap shows PFNs (root) */
	int pm_fd;			/* ksm: /proc/self/pagemap */
	uint64_t *pm;			/* ksm: pagemap entries of a window */
	uint64_t seq;			/* batches, for unique KSM content */
	uint64_t first, next, n;	/* the window: first unit, next window's, units */
	uint64_t base;			/* pages_collapsed or ksm_merging_pages before */
	uint64_t waited_ns;
	uint64_t scans0;		/* the daemon's full_scans before the batch */
	int64_t scans;			/* ... and during it, -1: unknown */
	char why[160];			/* why the last run() failed */
	int64_t done;			/* what finish() saw: collapsed kB, or merged groups */
	char verified[512];
	char knobs[512];
};

static int validate(const struct bench_val *o, char *msg, size_t len)
{
	int op = o[O_OP].choice;

	if (o[O_SIZE].u % SZ_2M) {
		snprintf(msg, len, "--size %s is not a multiple of 2 MiB", o[O_SIZE].str);
		return NB_EXIT_USAGE;
	}
	if (op != OP_KHUGEPAGED && o[O_RANGES].u) {
		snprintf(msg, len, "--ranges %s: 2 MiB ranges per op, only with --op khugepaged",
			 o[O_RANGES].str);
		return NB_EXIT_USAGE;
	}
	if (op != OP_KSM && o[O_PAGES].u) {
		snprintf(msg, len, "--pages %s: pages merged per op, only with --op ksm",
			 o[O_PAGES].str);
		return NB_EXIT_USAGE;
	}
	return NB_EXIT_OK;
}

static int read_u64(const char *path, uint64_t *v)
{
	unsigned long x;
	int ret = knob_read_ulong(path, &x);

	if (!ret)
		*v = x;
	return ret;
}

static void col_free(struct col_state *st)
{
	if (st->pm_fd >= 0)
		close(st->pm_fd);
	free(st->pm);
	if (st->resv)
		munmap(st->resv, st->resv_len);
	free(st->vec);
	free(st);
}

/* Sets a knob and records it for the metadata; an unwritable knob is a skip. */
static int set_knob(struct col_state *st, const char *path, const char *value, char *reason,
		    size_t rlen)
{
	int ret = knob_set(path, value);

	if (ret < 0) {
		snprintf(reason, rlen, "cannot set %s to %s: %s", path, value, strerror(-ret));
		return NB_EXIT_SKIP;
	}
	snprintf(st->knobs + strlen(st->knobs), sizeof(st->knobs) - strlen(st->knobs), "%s%s=%s",
		 st->knobs[0] ? ", " : "", strrchr(path, '/') + 1, value);
	return NB_EXIT_OK;
}

static int setup_knobs(struct col_state *st, char *reason, size_t rlen)
{
	char mode[32] = "", pages[32];
	uint64_t max_sharing;
	int ret = NB_EXIT_OK;

	if (st->op != OP_KSM) {
		if (knob_read(KNOB_THP_ENABLED, mode, sizeof(mode))) {
			snprintf(reason, rlen, "no THP here (%s)", KNOB_THP_ENABLED);
			return NB_EXIT_SKIP;
		}
		/* madv-collapse: 4 KiB faults; khugepaged: khugepaged runs only when THP is on. */
		if ((st->op == OP_MADV && !strcmp(mode, "always")) ||
		    (st->op == OP_KHUGEPAGED && !strcmp(mode, "never")))
			ret = set_knob(st, KNOB_THP_ENABLED, "madvise", reason, rlen);
	}
	if (st->op == OP_KHUGEPAGED) {
		if (access(KNOB_KHUGEPAGED_SLEEP, W_OK) || access(KHUGEPAGED_COLLAPSED, R_OK)) {
			snprintf(reason, rlen, "no khugepaged here (%s)", KNOB_KHUGEPAGED_SLEEP);
			return NB_EXIT_SKIP;
		}
		/*
		 * khugepaged scans every registered mm round-robin, and an empty PMD of
		 * another process's VM_HUGEPAGE VMA costs a pass as much budget as a
		 * collapse (measured here: thousands of them): a pass must reach the
		 * buffer, so it covers 8 GiB of eligible address space, or the buffer.
		 */
		snprintf(pages, sizeof(pages), "%zu", st->len / SZ_4K > KHUGEPAGED_SCAN ?
			 st->len / SZ_4K : KHUGEPAGED_SCAN);
		ret = ret ?: set_knob(st, KNOB_KHUGEPAGED_SLEEP, SCAN_SLEEP_MS, reason, rlen);
		ret = ret ?: set_knob(st, KNOB_KHUGEPAGED_ALLOC, SCAN_SLEEP_MS, reason, rlen);
		ret = ret ?: set_knob(st, KNOB_KHUGEPAGED_PAGES, pages, reason, rlen);
	}
	if (st->op == OP_KSM) {
		if (access(KNOB_KSM_RUN, W_OK) || access(KSM_SHARING, R_OK)) {
			snprintf(reason, rlen, "no KSM here (%s: the kernel lacks CONFIG_KSM)",
				 KNOB_KSM_RUN);
			return NB_EXIT_SKIP;
		}
		if (!read_u64(KSM_MAX_SHARING, &max_sharing) && st->pages + 1 > max_sharing) {
			snprintf(reason, rlen, "--pages %u needs groups of %u pages sharing one "
				 "KSM page; %s is %" PRIu64, st->pages, st->pages + 1,
				 KSM_MAX_SHARING, max_sharing);
			return NB_EXIT_SKIP;
		}
		/* ksmd scans every mergeable area (QEMU guests' RAM too): a pass covers 400 MiB. */
		snprintf(pages, sizeof(pages), "%zu", st->len / SZ_4K > KSM_SCAN ? st->len / SZ_4K :
			 KSM_SCAN);
		ret = ret ?: set_knob(st, KNOB_KSM_PAGES, pages, reason, rlen);
		ret = ret ?: set_knob(st, KNOB_KSM_SLEEP, KSM_SLEEP_MS, reason, rlen);
		if (!ret && !access(KNOB_KSM_SMART, W_OK))
			ret = set_knob(st, KNOB_KSM_SMART, "0", reason, rlen);
		/* The harness set run to 0 (hygiene); knob_set() kept the original to restore. */
		ret = ret ?: set_knob(st, KNOB_KSM_RUN, "1", reason, rlen);
		st->merging_self = !access(KSM_MERGING_SELF, R_OK);
	}
	return ret;
}

/* Pages of [p, p + len) resident per mincore; -errno on error. */
static int64_t resident(struct col_state *st, char *p, size_t len)
{
	int64_t n = 0;

	if (mincore(p, len, st->vec))
		return -errno;
	for (size_t i = 0; i < len / SZ_4K; i++)
		n += st->vec[i] & 1;
	return n;
}

static void buffer_smaps(struct col_state *st, struct layout_smaps *v)
{
	layout_smaps_sum((uintptr_t)st->buf, (uintptr_t)st->buf + st->len, v);
}

/* KSM content: identical within group g of batch seq, unique to them and to this process. */
static void fill_group(struct col_state *st, char *p, uint64_t g)
{
	uint64_t hdr[4] = { 0x6e6f746962656e63ull, (uint64_t)getpid(), st->seq, g };

	for (unsigned int i = 0; i <= st->pages; i++) {
		char *pg = p + (size_t)i * SZ_4K;

		memset(pg, 0x5a, SZ_4K);
		memcpy(pg, hdr, sizeof(hdr));
	}
}

/* The batch's window: the units prepare() populated. */
static void window(const struct col_state *st, char **p, size_t *len)
{
	*p = st->buf + st->first * st->unit;
	*len = st->n * st->unit;
}

/* The 2 MiB-aligned cover of the window: what the timed batch's madvise changes. */
static void window_cover(const struct col_state *st, char **p, size_t *len)
{
	uintptr_t s = (uintptr_t)st->buf + st->first * st->unit, e = s + st->n * st->unit;

	s &= ~(SZ_2M - 1);
	e = (e + SZ_2M - 1) & ~(SZ_2M - 1);
	*p = (char *)s;
	*len = e - s;
}

static int setup(struct bench_ctx *ctx, void **state)
{
	const struct bench_val *o = ctx->opt;
	struct col_state *st = calloc(1, sizeof(*st));
	struct layout_smaps v;
	char *raw;
	int ret;

	if (!st) {
		snprintf(ctx->reason, sizeof(ctx->reason), "out of memory");
		return NB_EXIT_FAIL;
	}
	st->op = o[O_OP].choice;
	st->pm_fd = -1;
	st->len = o[O_SIZE].u ? o[O_SIZE].u : auto_size[st->op];
	st->ranges = st->op == OP_KHUGEPAGED ? (o[O_RANGES].u ? (unsigned int)o[O_RANGES].u :
						DEFAULT_RANGES) : 1;
	st->pages = o[O_PAGES].u ? (unsigned int)o[O_PAGES].u : DEFAULT_PAGES;
	st->timeout_s = o[O_TIMEOUT].u;
	st->timeout_ns = st->timeout_s * 1000000000ull;
	st->unit = st->op == OP_KSM ? (st->pages + 1) * SZ_4K : st->ranges * SZ_2M;
	env_kernel_version(&st->kmajor, &st->kminor);
	if (st->unit > st->len) {
		snprintf(ctx->reason, sizeof(ctx->reason), "one op needs %zu KiB, more than the "
			 "buffer (--size %s)", st->unit >> 10, o[O_SIZE].str);
		free(st);
		return NB_EXIT_SKIP;
	}
	if (st->len + (512ul << 20) > layout_mem_available()) {
		snprintf(ctx->reason, sizeof(ctx->reason), "the buffer needs %zu MiB of RAM, %llu "
			 "MiB available", st->len >> 20,
			 (unsigned long long)(layout_mem_available() >> 20));
		free(st);
		return NB_EXIT_SKIP;
	}
	ret = setup_knobs(st, ctx->reason, sizeof(ctx->reason));
	if (ret) {
		free(st);
		return ret;
	}
	st->nunits = st->len / st->unit;
	st->vec = malloc(st->len / SZ_4K);
	/* A PROT_NONE guard on both sides: smaps sums over the buffer see nothing else. */
	st->resv_len = st->len + 3 * GUARD;
	raw = mmap(NULL, st->resv_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		   -1, 0);
	if (!st->vec || raw == MAP_FAILED) {
		snprintf(ctx->reason, sizeof(ctx->reason), "cannot map %zu MiB: %s",
			 st->resv_len >> 20, strerror(errno));
		col_free(st);
		return NB_EXIT_SKIP;
	}
	st->resv = raw;
	st->buf = (char *)(((uintptr_t)raw + GUARD + SZ_2M - 1) & ~(SZ_2M - 1));
	if (mmap(st->buf, st->len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0) == MAP_FAILED ||
	    (st->op != OP_MADV && madvise(st->buf, st->len, MADV_NOHUGEPAGE))) {
		snprintf(ctx->reason, sizeof(ctx->reason), "mapping the buffer: %s",
			 strerror(errno));
		col_free(st);
		return NB_EXIT_FAIL;
	}
	/* madv-collapse: a probe collapse (MADV_COLLAPSE is 6.1+), after 4 KiB faults verified. */
	if (st->op == OP_MADV) {
		for (size_t off = 0; off < SZ_2M; off += SZ_4K)
			st->buf[off] = 1;
		buffer_smaps(st, &v);
		if (v.rss_kb != SZ_2M >> 10 || v.anon_huge_kb) {
			snprintf(ctx->reason, sizeof(ctx->reason), "2 MiB of write faults did not "
				 "give 4 KiB pages: smaps Rss %" PRIu64 " kB, AnonHugePages %"
				 PRIu64 " kB", v.rss_kb, v.anon_huge_kb);
			col_free(st);
			return NB_EXIT_SKIP;
		}
		if (madvise(st->buf, SZ_2M, MADV_COLLAPSE)) {
			snprintf(ctx->reason, sizeof(ctx->reason), "MADV_COLLAPSE of 2 MiB: %s%s",
				 strerror(errno),
				 errno == EINVAL ? " (kernel older than 6.1?)" : "");
			col_free(st);
			return NB_EXIT_SKIP;
		}
		buffer_smaps(st, &v);
		madvise(st->buf, SZ_2M, MADV_DONTNEED);
		if (v.anon_huge_kb != SZ_2M >> 10) {
			snprintf(ctx->reason, sizeof(ctx->reason), "MADV_COLLAPSE returned 0 but "
				 "smaps shows AnonHugePages %" PRIu64 " kB", v.anon_huge_kb);
			col_free(st);
			return NB_EXIT_SKIP;
		}
	}
	if (st->op == OP_KSM) {
		uint64_t e = 0;
		off_t off = (off_t)((uintptr_t)st->buf / SZ_4K * 8);

		st->pm_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
		st->pm = malloc(st->len / SZ_4K * sizeof(*st->pm));
		st->buf[0] = 1;
		if (st->pm && st->pm_fd >= 0 && pread(st->pm_fd, &e, sizeof(e), off) == 8)
			st->pfns = (e & ((1ull << 55) - 1)) != 0;
		madvise(st->buf, SZ_4K, MADV_DONTNEED);
	}
	snprintf(st->verified, sizeof(st->verified), "per batch (prepare): mincore: the window "
		 "resident; smaps over the buffer: Rss = the window, AnonHugePages 0 kB (4 KiB "
		 "pages); after it (finish): %s", st->op != OP_KSM ?
		 "smaps AnonHugePages = the window (every range collapsed)" : st->pfns ?
		 "pagemap: every group's pages map one PFN, groups differ" :
		 "pagemap PFNs hidden (not root): merges not verified beyond the counters");

	ctx->buf = st->buf;
	ctx->len = st->len;
	ctx->op_unit = st->op == OP_MADV ? "MADV_COLLAPSE" : st->op == OP_KSM ? "KSM group" :
		       "khugepaged pass";
	ctx->call_unit = st->op == OP_KSM ? "merged page" : "2 MiB collapse";
	ctx->calls_per_op = st->op == OP_KSM ? st->pages : st->ranges;
	ctx->max_batch = st->nunits;
	*state = st;
	return NB_EXIT_OK;
}

static int prepare(void *state, struct bench_sample *s)
{
	struct col_state *st = state;
	struct layout_smaps v;
	int64_t res;
	size_t len;
	char *p;

	st->first = st->next + s->nops > st->nunits ? 0 : st->next;
	st->next = st->first + s->nops;
	st->n = s->nops;
	st->seq++;
	st->why[0] = 0;
	st->done = -1;
	window(st, &p, &len);
	if (st->op == OP_KSM)
		for (uint64_t g = 0; g < st->n; g++)
			fill_group(st, p + g * st->unit, g);
	else
		for (size_t off = 0; off < len; off += SZ_4K)
			p[off] = 1;
	/*
	 * New pages wait in this CPU's LRU add batch, and a collapse skips a
	 * range with a page off the LRU (khugepaged drains the batches once per
	 * pass): an madvise drains this CPU's first (lru_add_drain()).
	 */
	madvise(st->resv, SZ_4K, MADV_COLD);
	res = resident(st, p, len);
	buffer_smaps(st, &v);
	if (res != (int64_t)(len / SZ_4K) || v.rss_kb != len >> 10 || v.anon_huge_kb) {
		snprintf(s->reason, sizeof(s->reason), "the window is not %zu kB of resident 4 KiB "
			 "pages: mincore %" PRId64 " pages, smaps Rss %" PRIu64 " kB, "
			 "AnonHugePages %" PRIu64 " kB", len >> 10, res, v.rss_kb, v.anon_huge_kb);
		return -EIO;
	}
	if (st->op == OP_KHUGEPAGED && read_u64(KHUGEPAGED_COLLAPSED, &st->base))
		return -EIO;
	if (st->op == OP_KSM &&
	    read_u64(st->merging_self ? KSM_MERGING_SELF : KSM_SHARING, &st->base))
		return -EIO;
	st->scans = -1;
	if (st->op != OP_MADV &&
	    read_u64(st->op == OP_KSM ? KSM_FULL_SCANS : KHUGEPAGED_FULL_SCANS, &st->scans0))
		st->scans0 = UINT64_MAX;
	return 0;
}

static void sleep_poll(void)
{
	struct timespec ts = { 0, POLL_NS };

	nanosleep(&ts, NULL);
}

/* Polls until done() or the timeout; 0, -ETIMEDOUT (st->why says what was seen) or -errno. */
static int wait_khugepaged(struct col_state *st, uint64_t t0)
{
	uint64_t want = st->n * st->ranges, cur = 0;
	size_t len = st->n * st->unit;
	struct layout_smaps v = { 0 };

	for (;;) {
		if (read_u64(KHUGEPAGED_COLLAPSED, &cur))
			return -EIO;
		/* The global counter first (cheap; other processes may add to it), then smaps. */
		if (cur - st->base >= want) {
			buffer_smaps(st, &v);
			if (v.anon_huge_kb >= len >> 10)
				return 0;
		}
		if (now_ns() - t0 > st->timeout_ns) {
			snprintf(st->why, sizeof(st->why), "khugepaged collapsed %" PRIu64 " pages "
				 "system-wide in %" PRIu64 " s; the window's AnonHugePages %" PRIu64
				 " of %zu kB", cur - st->base, st->timeout_s,
				 v.anon_huge_kb, len >> 10);
			return -ETIMEDOUT;
		}
		sleep_poll();
	}
}

/*
 * Groups of the window whose pages all map one PFN (the KSM page), distinct
 * from the previous group's; -errno when pagemap cannot be read.
 */
static int64_t merged_groups(struct col_state *st)
{
	size_t n = st->n * (st->pages + 1);
	off_t off = (off_t)((uintptr_t)(st->buf + st->first * st->unit) / SZ_4K * 8);
	uint64_t *e = st->pm, prev = 0;
	int64_t good = 0;

	if (pread(st->pm_fd, e, n * sizeof(*e), off) != (ssize_t)(n * sizeof(*e)))
		return -EIO;
	for (uint64_t g = 0; g < st->n; g++) {
		uint64_t *ge = e + g * (st->pages + 1), pfn = ge[0] & ((1ull << 55) - 1);
		bool ok = (ge[0] >> 63 & 1) && pfn && pfn != prev;

		for (unsigned int i = 1; ok && i <= st->pages; i++)
			ok = (ge[i] >> 63 & 1) && (ge[i] & ((1ull << 55) - 1)) == pfn;
		good += ok;
		prev = pfn;
	}
	return good;
}

/*
 * With PFNs (root), pagemap says when every group maps one page: exact, and
 * independent of ksmd's lazy removal of the rmap items of earlier batches.
 * Otherwise the counters (ksm_merging_pages is per process; finish() waits
 * until ksmd has dropped the earlier batches' items).
 */
static int wait_ksm(struct col_state *st, uint64_t t0)
{
	uint64_t want = st->merging_self ? st->n * (st->pages + 1) : st->n * st->pages, cur = 0;
	int64_t g = 0;

	while (st->pfns) {
		g = merged_groups(st);
		if (g < 0 || (uint64_t)g == st->n)
			return g < 0 ? (int)g : 0;
		if (now_ns() - t0 > st->timeout_ns) {
			snprintf(st->why, sizeof(st->why), "pagemap: %" PRId64 " of %" PRIu64 " groups "
				 "merged after %" PRIu64 " s", g, st->n, st->timeout_s);
			return -ETIMEDOUT;
		}
		sleep_poll();
	}
	for (;;) {
		if (read_u64(st->merging_self ? KSM_MERGING_SELF : KSM_SHARING, &cur))
			return -EIO;
		if (cur >= st->base && cur - st->base >= want)
			return 0;
		if (now_ns() - t0 > st->timeout_ns) {
			snprintf(st->why, sizeof(st->why), "%s went from %" PRIu64 " to %" PRIu64
				 " in %" PRIu64 " s, waiting for +%" PRIu64, st->merging_self ?
				 KSM_MERGING_SELF : KSM_SHARING, st->base, cur,
				 st->timeout_s, want);
			return -ETIMEDOUT;
		}
		sleep_poll();
	}
}

static int run(void *state, uint64_t nops)
{
	struct col_state *st = state;
	uint64_t t0 = now_ns(), cur;
	size_t len;
	char *p;
	int ret;

	if (st->op == OP_MADV) {
		for (uint64_t i = 0; i < nops; i++)
			if (madvise(st->buf + (st->first + i) * SZ_2M, SZ_2M, MADV_COLLAPSE)) {
				ret = -errno;
				snprintf(st->why, sizeof(st->why), "MADV_COLLAPSE of range %" PRIu64
					 " of the window: %s", i, strerror(-ret));
				return ret;
			}
		return 0;
	}
	window_cover(st, &p, &len);
	if (madvise(p, len, st->op == OP_KSM ? MADV_MERGEABLE : MADV_HUGEPAGE)) {
		ret = -errno;
		snprintf(st->why, sizeof(st->why), "%s: %s", st->op == OP_KSM ? "MADV_MERGEABLE" :
			 "MADV_HUGEPAGE", strerror(-ret));
		return ret;
	}
	ret = st->op == OP_KSM ? wait_ksm(st, t0) : wait_khugepaged(st, t0);
	/*
	 * replace_page() sets the PTE pagemap shows before its invalidate_range_end
	 * (seen: END one short of START in 2 of 120 samples, 6.1 under TCG with 5
	 * and 20 us per call). ksmd merges under mmap_read_lock: taking the write
	 * lock, by an mprotect of the PROT_NONE guard to PROT_NONE (no change, no
	 * notifier), waits for the last merge to end.
	 */
	if (!ret && st->op == OP_KSM && mprotect(st->resv, SZ_4K, PROT_NONE))
		ret = -errno;
	st->waited_ns = now_ns() - t0;
	if (st->scans0 != UINT64_MAX &&
	    !read_u64(st->op == OP_KSM ? KSM_FULL_SCANS : KHUGEPAGED_FULL_SCANS, &cur))
		st->scans = (int64_t)(cur - st->scans0);
	return ret;
}

static int finish(void *state, struct bench_sample *s)
{
	struct col_state *st = state;
	struct layout_smaps v;
	uint64_t t0, cur = 0;
	size_t len, clen;
	char *p, *cp;
	int ret = 0;

	window(st, &p, &len);
	window_cover(st, &cp, &clen);
	if (st->why[0])
		snprintf(s->reason, sizeof(s->reason), "%s", st->why);
	if (st->op != OP_KSM) {
		buffer_smaps(st, &v);
		st->done = (int64_t)v.anon_huge_kb;
		if (madvise(p, len, MADV_DONTNEED) ||
		    (st->op == OP_KHUGEPAGED && madvise(cp, clen, MADV_NOHUGEPAGE)))
			return -errno;
		return 0;
	}
	if (st->pfns && !st->why[0])
		st->done = merged_groups(st);
	/* Drop the KSM mappings (no COW copies) and the flag. */
	if (madvise(p, len, MADV_DONTNEED) || madvise(cp, clen, MADV_UNMERGEABLE))
		return -errno;
	/* The counters' baseline: wait for ksmd to drop the rmap items (lazily: seconds). */
	if (st->pfns || !st->merging_self)
		return 0;
	for (t0 = now_ns(); !(ret = read_u64(KSM_MERGING_SELF, &cur)) && cur;) {
		if (now_ns() - t0 > st->timeout_ns) {
			snprintf(s->reason, sizeof(s->reason), "ksmd did not drop the unmapped "
				 "pages' rmap items in %" PRIu64 " s (%s still %" PRIu64 ")",
				 st->timeout_s, KSM_MERGING_SELF, cur);
			return -ETIMEDOUT;
		}
		sleep_poll();
	}
	return ret;
}

static void teardown(void *state)
{
	col_free(state);
}

/* Per op: CLEAR calls and bytes, change_pte calls. */
static void predict(const struct col_state *st, uint64_t *clear, uint64_t *bytes, uint64_t *cpte)
{
	if (st->op == OP_KSM) {
		*clear = 2ull * st->pages + 1;
		*bytes = *clear * SZ_4K;
		*cpte = env_kernel_at_least(6, 10) ? 0 : *clear;
	} else {
		*clear = st->ranges;
		*bytes = st->ranges * SZ_2M;
		*cpte = 0;
	}
}

static const char *kernel_desc(const struct col_state *st, char *buf, size_t len)
{
	uint64_t clear, bytes, cpte;

	predict(st, &clear, &bytes, &cpte);
	if (st->op == OP_KSM)
		snprintf(buf, len, "kernel %u.%u, ksm: per group of %u pages (%u merged) %u "
			 "write_protect_page + %u replace_page = %" PRIu64 " CLEAR of 4 KiB and %"
			 PRIu64 " change_pte (%s)", st->kmajor, st->kminor, st->pages + 1,
			 st->pages, st->pages + 1, st->pages, clear, cpte,
			 cpte ? "set_pte_at_notify, < 6.10" : "removed in 6.10");
	else
		snprintf(buf, len, "kernel %u.%u, %s: one CLEAR of 2 MiB per collapse "
			 "(collapse_huge_page), %" PRIu64 " per op", st->kmajor, st->kminor,
			 ops[st->op], clear);
	return buf;
}

#define FAIL(...) do { snprintf(msg, len, __VA_ARGS__); return NB_EXIT_FAIL; } while (0)

static int check(void *state, const struct bench_counters *c, char *msg, size_t len)
{
	struct col_state *st = state;
	uint64_t n = c->nops, clear_op, bytes_op, cpte_op;
	uintptr_t w0 = (uintptr_t)st->buf + st->first * st->unit, w1 = w0 + st->n * st->unit;
	char kd[320];

	predict(st, &clear_op, &bytes_op, &cpte_op);
	if (st->op != OP_KSM && st->done >= 0 && (uint64_t)st->done != n * st->unit >> 10)
		FAIL("smaps AnonHugePages %" PRId64 " kB after the batch, expected %" PRIu64 " kB "
		     "(every range of the window collapsed)", st->done, n * st->unit >> 10);
	if (st->op == OP_KSM && st->done >= 0 && (uint64_t)st->done != n)
		FAIL("pagemap: %" PRId64 " of %" PRIu64 " groups have all their pages on one PFN",
		     st->done, n);
	if (c->nb) {
		const struct nb_attach *a = c->nb_attach;
		uint64_t k = a->nr_subscribers;
		unsigned int cb = nb_main_callback(a);

		if (a->callbacks & NB_CB_BIT(cb)) {
			const struct nb_cell *cell = c->nb->cell[cb];
			uint64_t clear = cell[NB_EV_CLEAR].calls / k;
			uint64_t bytes = cell[NB_EV_CLEAR].bytes / k;
			uint64_t all = nb_calls_total(c->nb, cb) / k;

			if (clear != n * clear_op || bytes != n * bytes_op || all != clear)
				FAIL("%s per op: CLEAR %.3f (%.0f bytes), all events %.3f; "
				     "predicted %" PRIu64 " (%" PRIu64 " bytes) by %s",
				     nb_callback_name(cb), (double)clear / n, (double)bytes / n,
				     (double)all / n, clear_op, bytes_op,
				     kernel_desc(st, kd, sizeof(kd)));
			if (cb == NB_CB_START && (a->callbacks & NB_CB_BIT(NB_CB_END)) &&
			    nb_calls_total(c->nb, NB_CB_END) != nb_calls_total(c->nb, NB_CB_START))
				FAIL("end calls %" PRIu64 " != start calls %" PRIu64,
				     nb_calls_total(c->nb, NB_CB_END), nb_calls_total(c->nb, NB_CB_START));
			for (unsigned int i = 0; i < c->ring_n; i++) {
				const struct nb_ring_entry *e = &c->ring[i];
				size_t sz = st->op == OP_KSM ? SZ_4K : SZ_2M;
				bool ok = e->end - e->start == sz && e->start % sz == 0 &&
					  e->start >= w0 && e->end <= w1;

				if (e->callback == cb && !ok)
					FAIL("ring entry %u: %s %#" PRIx64 "-%#" PRIx64 " is not a "
					     "%zu KiB range of the window %#lx-%#lx", i,
					     nb_event_name(e->event), (uint64_t)e->start,
					     (uint64_t)e->end, sz >> 10, (unsigned long)w0,
					     (unsigned long)w1);
			}
		}
		if ((a->callbacks & NB_CB_BIT(NB_CB_CHANGE_PTE)) &&
		    nb_calls_total(c->nb, NB_CB_CHANGE_PTE) / k != n * cpte_op)
			FAIL("change_pte calls per op %.3f, predicted %" PRIu64 " by %s",
			     (double)nb_calls_total(c->nb, NB_CB_CHANGE_PTE) / k / n, cpte_op,
			     kernel_desc(st, kd, sizeof(kd)));
	}
	/* The tracepoint counts this thread: khugepaged's and ksmd's calls are not in it. */
	if (c->kvm && st->op == OP_MADV && c->kvm_unmap_hva_range >= 0 &&
	    (uint64_t)c->kvm_unmap_hva_range < n * clear_op)
		FAIL("kvm:kvm_unmap_hva_range per op %.3f, fewer than the %" PRIu64 " CLEAR pairs "
		     "predicted by %s", (double)c->kvm_unmap_hva_range / n, clear_op,
		     kernel_desc(st, kd, sizeof(kd)));
	return NB_EXIT_OK;
}

static const char *const columns[] = { "nb_clear_per_call", "nb_change_pte_per_call",
				       "full_scans", NULL };

/*
 * Per collapse (madv-collapse, khugepaged) or merged page (ksm): the module's
 * CLEAR calls (START, or INTERVAL) and change_pte calls per subscriber; and
 * the full scans khugepaged or ksmd completed during the batch (system-wide).
 */
static void sample_values(void *state, const struct bench_counters *c, double *v)
{
	struct col_state *st = state;
	double calls = (double)c->nops * (st->op == OP_KSM ? st->pages : st->ranges);

	if (st->scans >= 0)
		v[2] = (double)st->scans;
	if (!c->nb)
		return;
	calls *= c->nb_attach->nr_subscribers;
	if (c->nb_attach->callbacks & NB_CB_BIT(NB_CB_START))
		v[0] = (double)c->nb->cell[NB_CB_START][NB_EV_CLEAR].calls / calls;
	else if (c->nb_attach->callbacks & NB_CB_BIT(NB_CB_INTERVAL))
		v[0] = (double)c->nb->cell[NB_CB_INTERVAL][NB_EV_CLEAR].calls / calls;
	if (c->nb_attach->callbacks & NB_CB_BIT(NB_CB_CHANGE_PTE))
		v[1] = (double)nb_calls_total(c->nb, NB_CB_CHANGE_PTE) / calls;
}

static void describe(void *state, void (*emit)(const char *key, const char *value))
{
	struct col_state *st = state;
	char v[768], kd[320];

	snprintf(v, sizeof(v), "%zu KiB at %p (2 MiB-aligned, PROT_NONE guards), %s, %" PRIu64
		 " units of %zu KiB (one per op); consecutive batches take consecutive windows of "
		 "the buffer (from its start again when the next does not fit); outside the window "
		 "the buffer is empty", st->len >> 10, st->buf, st->op == OP_MADV ?
		 "no THP madvise flags (MADV_COLLAPSE refuses VM_NOHUGEPAGE)" :
		 "MADV_NOHUGEPAGE outside the timed batch", st->nunits, st->unit >> 10);
	emit("layout", v);
	emit("layout_verified", st->verified);
	if (st->op == OP_MADV)
		snprintf(v, sizeof(v), "madv-collapse: one MADV_COLLAPSE of a 2 MiB range of 4 KiB "
			 "pages per op, in this thread");
	else if (st->op == OP_KHUGEPAGED)
		snprintf(v, sizeof(v), "khugepaged: per op %u 2 MiB ranges of 4 KiB pages; the "
			 "batch makes them MADV_HUGEPAGE and polls (1 ms sleeps) until smaps "
			 "AnonHugePages covers them: a throughput of khugepaged as configured "
			 "(wake-ups and scan sleeps included), ns per collapse = ns_per_call; "
			 "timeout %" PRIu64 " s", st->ranges, st->timeout_s);
	else
		snprintf(v, sizeof(v), "ksm: per op a group of %u identical pages (content "
			 "unique to the group) of which %u merge into the one that becomes the KSM "
			 "page; the batch makes them MADV_MERGEABLE and polls (1 ms sleeps) until "
			 "%s says they are merged: a throughput of ksmd as configured, ns per "
			 "merged page = ns_per_call; timeout %" PRIu64 " s", st->pages + 1,
			 st->pages, st->merging_self ? KSM_MERGING_SELF : KSM_SHARING,
			 st->timeout_s);
	emit("op", v);
	if (st->knobs[0])
		emit("collapse_knobs", st->knobs);
	emit("prediction", kernel_desc(st, kd, sizeof(kd)));
}

static const struct bench_ops collapse_ops = {
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
};

NB_BENCHMARK(collapse, collapse_ops,
	     "THP collapse (MADV_COLLAPSE, khugepaged) and KSM merging; ns and notifier "
	     "events per collapse or merged page");
