// SPDX-License-Identifier: GPL-2.0
/*
 * aging: access-bit aging, the clear_young / test_young traffic of secondary
 * MMUs (KVM ages its shadow/TDP entries in those callbacks), from idle page
 * tracking or DAMON.
 *
 * --op idle-mark: one op = one page (4 KiB, or one THP) marked idle through
 * /sys/kernel/mm/page_idle/bitmap (CONFIG_IDLE_PAGE_TRACKING). The buffer's
 * PFNs come from /proc/self/pagemap (root). prepare() reads each page of the
 * batch (its PTE becomes young); the batch writes the bitmap words holding
 * the batch's PFNs (one pwrite per run of consecutive words, only our bits
 * set): page_idle_bitmap_write() walks the rmap of each folio and clears the
 * accessed bit of every mapping with ptep_clear_young_notify() (a THP's PMD:
 * pmdp_clear_young_notify()), i.e. one clear_young of 4 KiB (2 MiB) per page
 * of ours, then sets the folio's idle flag. Tail pages of a THP are skipped
 * by the kernel: a THP is marked through its head PFN.
 * --op idle-read: prepare() marks the batch idle (untimed); the batch reads
 * the bitmap words back: every idle folio is walked again (one more
 * clear_young per page) and must still read as idle. The words cover 64 PFNs
 * each: pages of other processes in them are walked too (their mms, not
 * counted).
 * Neither works without CONFIG_IDLE_PAGE_TRACKING (not set in Debian's 6.1,
 * 6.12 or 7.x kernels, nor on this project's host): a skip.
 *
 * --op damon: DAMON (CONFIG_DAMON_SYSFS) monitors the buffer: the vaddr
 * operations with R equal regions over the buffer (paddr over the buffer's
 * physical span when vaddr is not built, e.g. the host). Every sampling
 * round kdamond marks one random page per region old (ptep_clear_young_notify:
 * clear_young), sleeps --sample-us, then checks it (mmu_notifier_test_young
 * when the PTE is old and the folio idle). min = max = R regions of equal
 * size: DAMON neither splits nor merges them. One op = one sampling round of
 * kdamond; ns_per_op is a round's wall time, --sample-us plus kdamond's work
 * and wake-up: a cost sweep's slope is the young calls charged per round.
 * The rounds are counted exactly: every round ends with an aggregation that
 * fires the tracepoint damon:damon_aggregated once per region
 * (kdamond_reset_aggregated), counted by a perf event on kdamond (R per
 * round). From 6.7 the aggregation interval is counted in sampling rounds
 * (4472edf63d66): it equals the sampling interval. Before, it is timed by
 * ktime_get_coarse_ts64() (damon_check_reset_time_interval), a tick at a
 * time: rounds of 1 ms at HZ=250 aggregated 2 to 4 at once, more mkolds
 * than counted rounds; there it is 0, every round's check passes. 6.4 to
 * 6.6 time by the clock and refuse an interval below the sampling one
 * (5ff6e2fff88e): a skip. kdamond's schedule-ins
 * are no round count: under TCG preemptions add to them. The columns give
 * kdamond's CPU time (/proc/<pid>/schedstat) per round and per page checked.
 * With kmod counting the young callbacks: clear_young per round = R (a 4 KiB
 * range each; THP 2 MiB), and test_young at most one per clear_young.
 *
 * Module statistics are per mm: the counts are the buffer's because nothing
 * else ages this process (DAMON vaddr samples only the regions given; paddr
 * may hit pages of other processes, their mms are not ours). On a host where
 * another kdamond runs (e.g. DAMON_STAT, or a DAMON_RECLAIM/LRU_SORT paddr
 * context) it may drive clear_young on our pages in the background: the
 * check allows no more than a round's worth of extra calls; nr_kdamonds != 0
 * in sysfs is a skip (the sysfs interface is someone else's).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/perf_event.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "env.h"
#include "knobs.h"

#define DAMON_STAT_ENABLED "/sys/module/damon_stat/parameters/enabled"
#include "layout.h"
#include "nbdev.h"

enum { O_OP, O_SIZE, O_LAYOUT, O_REGIONS, O_SAMPLE_US, O_NR };
enum { OP_IDLE_MARK, OP_IDLE_READ, OP_DAMON };
enum { L_DENSE4K, L_THP };

static const char *const ops[] = { "idle-mark", "idle-read", "damon", NULL };
static const char *const layouts[] = { "dense4k", "thp", NULL };

static const struct bench_opt opts[O_NR] = {
	[O_OP] = { "op", OPT_CHOICE, "idle-mark", ops, 0, 0,
		   "idle-mark: page_idle bitmap write (one op = one page marked idle); idle-read: "
		   "read back after an untimed mark; damon: one op = one DAMON sampling round over "
		   "the buffer" },
	[O_SIZE] = { "size", OPT_SIZE, "16M", NULL, SZ_4K, 64ull << 30,
		     "buffer size, 4K..64G (a multiple of 2M for thp); idle-*: a batch marks every "
		     "page at most once" },
	[O_LAYOUT] = { "layout", OPT_CHOICE, "dense4k", layouts, 0, 0,
		       "dense4k (4 KiB pages) or thp (PMD-mapped THPs: one op per THP for idle-*)" },
	[O_REGIONS] = { "regions", OPT_UINT, "16", NULL, 3, 10000,
			"damon: monitoring regions (= pages checked per round), 3..10000" },
	[O_SAMPLE_US] = { "sample-us", OPT_UINT, "1000", NULL, 100, 1000000,
			  "damon: sampling interval in us" },
};

enum { C_PAGES, C_YOUNG_PER_PAGE, C_KDAMOND_NS, C_KDAMOND_NS_PER_ROUND, C_KDAMOND_NS_PER_PAGE,
       C_ROUNDS, C_NR };
static const char *const columns[C_NR + 1] = {
	[C_PAGES] = "aging_pages",
	[C_YOUNG_PER_PAGE] = "aging_young_calls_per_page",
	[C_KDAMOND_NS] = "aging_kdamond_ns",
	[C_KDAMOND_NS_PER_ROUND] = "aging_kdamond_ns_per_round",
	[C_KDAMOND_NS_PER_PAGE] = "aging_kdamond_ns_per_page",
	[C_ROUNDS] = "aging_rounds",
	[C_NR] = NULL,
};

#define PAGE_IDLE "/sys/kernel/mm/page_idle/bitmap"
#define DAMON_ADMIN "/sys/kernel/mm/damon/admin/kdamonds"
#define KD DAMON_ADMIN "/0"
#define CTX KD "/contexts/0"
#define TRACEFS "/sys/kernel/tracing"
#define AGGREGATED "damon/damon_aggregated"

struct word {
	uint64_t idx, bits;
};

struct aging_state {
	int op, layout;
	struct layout l;
	size_t pgsz;
	uint64_t npages;
	uint64_t *pfn;			/* per page (head PFN for a THP) */
	/* page_idle */
	int bitmap_fd;
	struct word *words;		/* the batch's words, sorted, distinct */
	uint64_t nwords;
	uint64_t *readback;
	uint64_t first, next, n;
	uint64_t not_idle;		/* idle-read: our pages that did not read back idle */
	/* damon */
	bool paddr;
	unsigned int regions, sample_us, aggr_us;
	int kdamond_pid;
	uint64_t kd_ns0, kd_ns1;
	int agg_fd;			/* perf count of damon_aggregated on kdamond */
	uint64_t agg0, agg1;		/* around the batch: R per round */
	uint64_t span_lo, span_hi;	/* paddr: physical span monitored */
	char verified[512];
};

static int write_file(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int write_file(const char *path, const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	int fd, ret = 0;
	ssize_t n;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, buf, strlen(buf));
	if (n < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static int validate(const struct bench_val *o, char *msg, size_t len)
{
	int op = o[O_OP].choice;

	if (o[O_LAYOUT].choice == L_THP && o[O_SIZE].u % SZ_2M) {
		snprintf(msg, len, "--size %s is not a multiple of 2 MiB (--layout thp)", o[O_SIZE].str);
		return NB_EXIT_USAGE;
	}
	if (op != OP_DAMON && (strcmp(o[O_REGIONS].str, opts[O_REGIONS].def) ||
			       strcmp(o[O_SAMPLE_US].str, opts[O_SAMPLE_US].def))) {
		snprintf(msg, len, "--regions and --sample-us are for --op damon");
		return NB_EXIT_USAGE;
	}
	if (op == OP_DAMON && o[O_REGIONS].u * (o[O_LAYOUT].choice == L_THP ? SZ_2M : SZ_4K) >
	    o[O_SIZE].u) {
		snprintf(msg, len, "--regions %s: more regions than pages in --size %s",
			 o[O_REGIONS].str, o[O_SIZE].str);
		return NB_EXIT_USAGE;
	}
	return NB_EXIT_OK;
}

/* PFNs of the buffer's pages from /proc/self/pagemap. NB_EXIT_OK or a skip/fail with reason. */
static int read_pfns(struct aging_state *st, char *reason, size_t rlen)
{
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(reason, rlen, "/proc/self/pagemap: %s", strerror(errno));
		return NB_EXIT_SKIP;
	}
	for (uint64_t i = 0; i < st->npages; i++) {
		uintptr_t a = (uintptr_t)st->l.buf + i * st->pgsz;
		uint64_t e;

		if (pread(fd, &e, sizeof(e), (off_t)(a / SZ_4K * sizeof(e))) != sizeof(e)) {
			snprintf(reason, rlen, "/proc/self/pagemap read: %s", strerror(errno));
			close(fd);
			return NB_EXIT_FAIL;
		}
		st->pfn[i] = e & ((1ull << 55) - 1);
		if (!(e >> 63 & 1) || !st->pfn[i]) {
			snprintf(reason, rlen, "/proc/self/pagemap gives no PFN for page %" PRIu64
				 " (%s): page frame numbers need CAP_SYS_ADMIN", i,
				 e >> 63 & 1 ? "present" : "not present");
			close(fd);
			return NB_EXIT_SKIP;
		}
	}
	close(fd);
	return NB_EXIT_OK;
}

/*
 * Freshly faulted pages sit in this CPU's LRU batch until it is drained;
 * page_idle and DAMON only look at LRU folios. munmap() drains the local
 * batch (unmap_region -> lru_add_drain), and the benchmark is pinned.
 */
static void drain_local_lru(void)
{
	void *p = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p != MAP_FAILED) {
		*(volatile char *)p = 1;
		munmap(p, SZ_4K);
	}
}

/* kdamond's CPU time (ns) from /proc/<pid>/schedstat. */
static int kdamond_stat(const struct aging_state *st, uint64_t *ns)
{
	char path[64];
	unsigned long long a;
	FILE *f;
	int ret = -EIO;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", st->kdamond_pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (fscanf(f, "%llu", &a) == 1) {
		*ns = a;
		ret = 0;
	}
	fclose(f);
	return ret;
}

/* damon_aggregated events of kdamond so far; -errno on error. */
static int64_t aggregated(const struct aging_state *st)
{
	uint64_t v;

	if (read(st->agg_fd, &v, sizeof(v)) != sizeof(v))
		return -EIO;
	return (int64_t)v;
}

/*
 * A perf counter of damon:damon_aggregated on kdamond alone. The
 * tracepoint's id is in tracefs, mounted for the lookup when it is not.
 */
static int open_aggregated(struct aging_state *st, char *reason, size_t rlen)
{
	struct perf_event_attr attr = { .type = PERF_TYPE_TRACEPOINT, .size = sizeof(attr) };
	bool mounted = false;
	unsigned long long id;
	FILE *f;
	int ok;

	if (access(TRACEFS "/events", F_OK)) {
		if (mount("nodev", TRACEFS, "tracefs", 0, NULL)) {
			snprintf(reason, rlen, "counting DAMON's rounds needs tracefs: not mounted, "
				 "and mounting it failed: %s", strerror(errno));
			return NB_EXIT_SKIP;
		}
		mounted = true;
	}
	f = fopen(TRACEFS "/events/" AGGREGATED "/id", "re");
	ok = f && fscanf(f, "%llu", &id) == 1;
	if (f)
		fclose(f);
	if (mounted)
		umount(TRACEFS);	/* the perf event works without it */
	if (!ok) {
		snprintf(reason, rlen, "no tracepoint " AGGREGATED " (" TRACEFS "/events): it "
			 "counts DAMON's rounds");
		return NB_EXIT_SKIP;
	}
	attr.config = id;
	st->agg_fd = (int)syscall(SYS_perf_event_open, &attr, st->kdamond_pid, -1, -1,
				  PERF_FLAG_FD_CLOEXEC);
	if (st->agg_fd < 0) {
		snprintf(reason, rlen, "perf_event_open of " AGGREGATED " on kdamond %d: %s (it "
			 "counts DAMON's rounds)", st->kdamond_pid, strerror(errno));
		return NB_EXIT_SKIP;
	}
	return NB_EXIT_OK;
}

static int setup_damon(struct aging_state *st, const struct bench_val *o, char *reason,
		       size_t rlen)
{
	char path[256], avail[128] = "", state[32] = "";
	unsigned long nr;
	uint64_t lo = UINT64_MAX, hi = 0, span, reg;
	int ret;

	if (knob_read_ulong(DAMON_ADMIN "/nr_kdamonds", &nr)) {
		snprintf(reason, rlen, "no DAMON sysfs interface (" DAMON_ADMIN "): kernel without "
			 "CONFIG_DAMON_SYSFS");
		return NB_EXIT_SKIP;
	}
	if (nr) {
		snprintf(reason, rlen, "DAMON's sysfs interface is in use (nr_kdamonds %lu): "
			 "not touching someone else's kdamonds", nr);
		return NB_EXIT_SKIP;
	}
	st->regions = (unsigned int)o[O_REGIONS].u;
	st->sample_us = (unsigned int)o[O_SAMPLE_US].u;
	/* see the top comment: an aggregation per round */
	st->aggr_us = env_kernel_at_least(6, 7) ? st->sample_us : 0;
	if (env_kernel_at_least(6, 4) && !st->aggr_us) {
		snprintf(reason, rlen, "DAMON before 6.7 times its aggregations by the coarse clock "
			 "and from 6.4 refuses an aggregation interval below the sampling one: "
			 "its sampling rounds cannot be counted");
		return NB_EXIT_SKIP;
	}
	/* Restored (newest first) at exit and on signals: state off, then no kdamonds. */
	if ((ret = knob_set(DAMON_ADMIN "/nr_kdamonds", "1")) ||
	    (ret = write_file(KD "/contexts/nr_contexts", "1"))) {
		snprintf(reason, rlen, "DAMON sysfs setup: %s", strerror(-ret));
		return NB_EXIT_SKIP;
	}
	knob_read(CTX "/avail_operations", avail, sizeof(avail));
	/* "fvaddr" contains "vaddr": look for the word itself */
	st->paddr = true;
	for (char *t = strtok(avail, " \n"); t; t = strtok(NULL, " \n"))
		if (!strcmp(t, "vaddr"))
			st->paddr = false;
	if (st->paddr) {
		ret = read_pfns(st, reason, rlen);
		if (ret)
			return ret;
		for (uint64_t i = 0; i < st->npages; i++) {
			lo = st->pfn[i] < lo ? st->pfn[i] : lo;
			hi = st->pfn[i] > hi ? st->pfn[i] : hi;
		}
		st->span_lo = lo * SZ_4K;
		st->span_hi = hi * SZ_4K + st->pgsz;
	} else {
		st->span_lo = (uintptr_t)st->l.buf;
		st->span_hi = st->span_lo + st->l.len;
	}
	span = st->span_hi - st->span_lo;
	reg = span / st->regions & ~(SZ_4K - 1);
	if (!reg) {
		snprintf(reason, rlen, "--regions %u: the monitored span of %" PRIu64 " KiB is too "
			 "small", st->regions, span >> 10);
		return NB_EXIT_USAGE;
	}
#define W(p, ...) do { if ((ret = write_file(p, __VA_ARGS__))) { \
		snprintf(reason, rlen, "DAMON sysfs: writing %s: %s", p, strerror(-ret)); \
		return NB_EXIT_SKIP; } } while (0)
	W(CTX "/operations", "%s", st->paddr ? "paddr" : "vaddr");
	W(CTX "/monitoring_attrs/intervals/sample_us", "%u", st->sample_us);
	/* An aggregation per round: damon_aggregated counts the rounds. */
	W(CTX "/monitoring_attrs/intervals/aggr_us", "%u", st->aggr_us);
	/* vaddr would replace our regions by the mm's three biggest areas every update. */
	W(CTX "/monitoring_attrs/intervals/update_us", "%u", 1000000000u);
	W(CTX "/monitoring_attrs/nr_regions/max", "%u", st->regions);
	W(CTX "/monitoring_attrs/nr_regions/min", "%u", st->regions);
	W(CTX "/targets/nr_targets", "1");
	if (!st->paddr)
		W(CTX "/targets/0/pid_target", "%d", (int)getpid());
	W(CTX "/targets/0/regions/nr_regions", "%u", st->regions);
	for (unsigned int r = 0; r < st->regions; r++) {
		uint64_t s = st->span_lo + r * reg, e = r + 1 == st->regions ? st->span_hi : s + reg;

		snprintf(path, sizeof(path), CTX "/targets/0/regions/%u/start", r);
		W(path, "%" PRIu64, s);
		snprintf(path, sizeof(path), CTX "/targets/0/regions/%u/end", r);
		W(path, "%" PRIu64, e);
	}
#undef W
	/* DAMON_STAT (on by default from 7.x) holds DAMON exclusively: off for the run, as a knob. */
	if (!knob_read(DAMON_STAT_ENABLED, state, sizeof(state)) && !strcmp(state, "Y") &&
	    (ret = knob_set(DAMON_STAT_ENABLED, "N"))) {
		snprintf(reason, rlen, "DAMON_STAT runs and could not be stopped (%s = N): %s",
			 DAMON_STAT_ENABLED, strerror(-ret));
		return NB_EXIT_SKIP;
	}
	ret = knob_set(KD "/state", "on");
	if (ret) {
		/* EBUSY: an exclusive kdamond runs, e.g. DAMON_STAT (7.x enables it by default). */
		snprintf(reason, rlen, "DAMON: cannot start the kdamond (state on): %s%s",
			 strerror(-ret), ret == -EBUSY ? " (another DAMON user runs exclusively, "
			 "e.g. DAMON_STAT: /sys/module/damon_stat/parameters/enabled)" : "");
		return NB_EXIT_SKIP;
	}
	if (knob_read_ulong(KD "/pid", &nr) || !nr) {
		knob_read(KD "/state", state, sizeof(state));
		snprintf(reason, rlen, "DAMON: no kdamond pid after state on (state %s)", state);
		return NB_EXIT_FAIL;
	}
	st->kdamond_pid = (int)nr;
	if (kdamond_stat(st, &st->kd_ns0)) {
		snprintf(reason, rlen, "/proc/%d/schedstat unreadable (CONFIG_SCHED_INFO)",
			 st->kdamond_pid);
		return NB_EXIT_SKIP;
	}
	ret = open_aggregated(st, reason, rlen);
	if (ret)
		return ret;
	snprintf(st->verified, sizeof(st->verified), "%s; DAMON %s, %u regions of %" PRIu64
		 " KiB over %#" PRIx64 "-%#" PRIx64 ", sample %u us, aggregation %u us, kdamond pid %d",
		 st->l.verified, st->paddr ? "paddr (no vaddr operations here)" : "vaddr",
		 st->regions, reg >> 10, st->span_lo, st->span_hi, st->sample_us, st->aggr_us,
		 st->kdamond_pid);
	return NB_EXIT_OK;
}

static int setup(struct bench_ctx *ctx, void **state)
{
	const struct bench_val *o = ctx->opt;
	struct aging_state *st = calloc(1, sizeof(*st));
	int ret;

	if (!st) {
		snprintf(ctx->reason, sizeof(ctx->reason), "out of memory");
		return NB_EXIT_FAIL;
	}
	st->op = o[O_OP].choice;
	st->layout = o[O_LAYOUT].choice;
	st->bitmap_fd = -1;
	st->agg_fd = -1;
	if (st->op != OP_DAMON && access(PAGE_IDLE, F_OK)) {
		snprintf(ctx->reason, sizeof(ctx->reason), "no " PAGE_IDLE ": kernel without "
			 "CONFIG_IDLE_PAGE_TRACKING (--op damon uses DAMON instead)");
		free(st);
		return NB_EXIT_SKIP;
	}
	ret = layout_create(&st->l, st->layout == L_THP ? LAYOUT_THP : LAYOUT_DENSE4K, o[O_SIZE].u,
			    ALIGN_1G, ctx->reason, sizeof(ctx->reason));
	if (ret) {
		free(st);
		return ret;
	}
	drain_local_lru();
	st->pgsz = st->layout == L_THP ? SZ_2M : SZ_4K;
	st->npages = st->l.len / st->pgsz;
	st->pfn = calloc(st->npages, sizeof(*st->pfn));
	st->words = calloc(st->npages, sizeof(*st->words));
	st->readback = calloc(st->npages, sizeof(*st->readback));
	if (!st->pfn || !st->words || !st->readback) {
		snprintf(ctx->reason, sizeof(ctx->reason), "out of memory");
		ret = NB_EXIT_FAIL;
		goto fail;
	}
	if (st->op == OP_DAMON) {
		ret = setup_damon(st, o, ctx->reason, sizeof(ctx->reason));
		if (ret)
			goto fail;
		ctx->op_unit = "round";
		ctx->call_unit = "page check";
		ctx->calls_per_op = st->regions;
		/* a few rounds per sample at least: the check allows a round or so at each end */
		ctx->min_sample_ns = 8ull * st->sample_us * 1000;
	} else {
		ret = read_pfns(st, ctx->reason, sizeof(ctx->reason));
		if (ret)
			goto fail;
		st->bitmap_fd = open(PAGE_IDLE, O_RDWR | O_CLOEXEC);
		if (st->bitmap_fd < 0) {
			snprintf(ctx->reason, sizeof(ctx->reason), PAGE_IDLE ": %s", strerror(errno));
			ret = NB_EXIT_SKIP;
			goto fail;
		}
		snprintf(st->verified, sizeof(st->verified), "%s; PFNs of all %" PRIu64 " pages from "
			 "/proc/self/pagemap", st->l.verified, st->npages);
		ctx->op_unit = "page";
		ctx->call_unit = st->op == OP_IDLE_MARK ? "page marked idle" : "page read back";
		ctx->calls_per_op = 1;
		ctx->max_batch = st->npages;
	}
	ctx->buf = st->l.buf;
	ctx->len = st->l.len;
	*state = st;
	return NB_EXIT_OK;
fail:
	if (st->agg_fd >= 0)
		close(st->agg_fd);
	if (st->bitmap_fd >= 0)
		close(st->bitmap_fd);
	layout_destroy(&st->l);
	free(st->pfn);
	free(st->words);
	free(st->readback);
	free(st);
	return ret;
}

static int cmp_word(const void *a, const void *b)
{
	const struct word *x = a, *y = b;

	return (x->idx > y->idx) - (x->idx < y->idx);
}

/* The bitmap words of pages [first, first + n): sorted, distinct, our bits set. */
static void build_words(struct aging_state *st)
{
	uint64_t m = 0;

	for (uint64_t i = 0; i < st->n; i++) {
		uint64_t pfn = st->pfn[st->first + i];

		st->words[i] = (struct word){ pfn / 64, 1ull << (pfn % 64) };
	}
	qsort(st->words, st->n, sizeof(*st->words), cmp_word);
	for (uint64_t i = 0; i < st->n; i++) {
		if (m && st->words[m - 1].idx == st->words[i].idx)
			st->words[m - 1].bits |= st->words[i].bits;
		else
			st->words[m++] = st->words[i];
	}
	st->nwords = m;
}

/* One pwrite (or pread) per run of consecutive words. 0 or -errno. */
static int bitmap_io(struct aging_state *st, bool write)
{
	for (uint64_t i = 0; i < st->nwords;) {
		uint64_t j = i + 1;
		ssize_t r;

		while (j < st->nwords && st->words[j].idx == st->words[j - 1].idx + 1)
			j++;
		if (write) {
			uint64_t buf[64];
			uint64_t cnt = j - i > 64 ? 64 : j - i;

			for (uint64_t k = 0; k < cnt; k++)
				buf[k] = st->words[i + k].bits;
			r = pwrite(st->bitmap_fd, buf, cnt * 8, (off_t)(st->words[i].idx * 8));
			j = i + cnt;
		} else {
			r = pread(st->bitmap_fd, st->readback + i, (j - i) * 8,
				  (off_t)(st->words[i].idx * 8));
		}
		if (r < 0)
			return -errno;
		i = j;
	}
	return 0;
}

/* kdamond's CPU time and damon_aggregated count, around a batch. 0 or -ESRCH. */
static int kdamond_snapshot(const struct aging_state *st, uint64_t *ns, uint64_t *agg,
			    struct bench_sample *s)
{
	int64_t a = aggregated(st);

	if (kdamond_stat(st, ns) || a < 0) {
		snprintf(s->reason, sizeof(s->reason), "kdamond %d gone (schedstat, perf)",
			 st->kdamond_pid);
		return -ESRCH;
	}
	*agg = (uint64_t)a;
	return 0;
}

static int prepare(void *state, struct bench_sample *s)
{
	struct aging_state *st = state;
	volatile char sink = 0;
	int ret;

	if (st->op == OP_DAMON)
		return kdamond_snapshot(st, &st->kd_ns0, &st->agg0, s);
	st->first = st->next + s->nops > st->npages ? 0 : st->next;
	st->next = st->first + s->nops;
	st->n = s->nops;
	/* The batch's pages become young (a read each). */
	for (uint64_t i = st->first; i < st->next; i++)
		sink += *(volatile char *)(st->l.buf + i * st->pgsz);
	(void)sink;
	build_words(st);
	if (st->op == OP_IDLE_READ) {
		ret = bitmap_io(st, true);
		if (ret) {
			snprintf(s->reason, sizeof(s->reason), "page_idle bitmap write: %s",
				 strerror(-ret));
			return ret;
		}
	}
	return 0;
}

static int run(void *state, uint64_t nops)
{
	struct aging_state *st = state;
	int64_t a0, a;

	if (st->op != OP_DAMON)
		return bitmap_io(st, st->op == OP_IDLE_MARK);
	/* Wait for nops sampling rounds of kdamond (R damon_aggregated each). */
	a0 = aggregated(st);
	for (a = a0; a >= 0; a = aggregated(st)) {
		struct timespec ts = { 0, (long)st->sample_us * 250 };

		if ((uint64_t)(a - a0) >= nops * st->regions)
			return 0;
		nanosleep(&ts, NULL);
	}
	return (int)a;
}

static int finish(void *state, struct bench_sample *s)
{
	struct aging_state *st = state;

	if (st->op == OP_DAMON)
		return kdamond_snapshot(st, &st->kd_ns1, &st->agg1, s);
	st->not_idle = 0;
	if (st->op == OP_IDLE_READ)
		for (uint64_t i = 0; i < st->nwords; i++)
			st->not_idle += (uint64_t)__builtin_popcountll(st->words[i].bits &
								       ~st->readback[i]);
	return 0;
}

static void teardown(void *state)
{
	struct aging_state *st = state;

	if (st->agg_fd >= 0)
		close(st->agg_fd);
	if (st->op == OP_DAMON)
		knobs_restore();	/* kdamond off before the buffer goes */
	if (st->bitmap_fd >= 0)
		close(st->bitmap_fd);
	layout_destroy(&st->l);
	free(st->pfn);
	free(st->words);
	free(st->readback);
	free(st);
}

static uint64_t young_calls(const struct bench_counters *c, unsigned int cb)
{
	return c->nb && (c->nb_attach->callbacks & NB_CB_BIT(cb)) ?
	       nb_calls_total(c->nb, cb) / c->nb_attach->nr_subscribers : 0;
}

static bool counts_young(const struct bench_counters *c)
{
	return c->nb && (c->nb_attach->callbacks & NB_CB_BIT(NB_CB_CLEAR_YOUNG));
}

static void sample_values(void *state, const struct bench_counters *c, double *v)
{
	struct aging_state *st = state;
	double pages, young = (double)(young_calls(c, NB_CB_CLEAR_YOUNG) +
				       young_calls(c, NB_CB_CLEAR_FLUSH_YOUNG) +
				       young_calls(c, NB_CB_TEST_YOUNG));

	if (st->op == OP_DAMON) {
		double rounds = (double)(st->agg1 - st->agg0) / st->regions;
		double ns = (double)(st->kd_ns1 - st->kd_ns0);

		v[C_ROUNDS] = rounds;
		v[C_KDAMOND_NS] = ns;
		if (rounds > 0) {
			v[C_KDAMOND_NS_PER_ROUND] = ns / rounds;
			v[C_KDAMOND_NS_PER_PAGE] = ns / rounds / st->regions;
		}
		/* pages of ours marked old: clear_young calls (kmod only) */
		pages = counts_young(c) ? (double)young_calls(c, NB_CB_CLEAR_YOUNG) : NAN;
	} else {
		pages = (double)c->nops;
	}
	v[C_PAGES] = pages;
	if (c->nb && pages > 0)
		v[C_YOUNG_PER_PAGE] = young / pages;
}

#define FAIL(...) do { snprintf(msg, len, __VA_ARGS__); return NB_EXIT_FAIL; } while (0)

static int check(void *state, const struct bench_counters *c, char *msg, size_t len)
{
	struct aging_state *st = state;
	uint64_t cy = young_calls(c, NB_CB_CLEAR_YOUNG), cfy = young_calls(c, NB_CB_CLEAR_FLUSH_YOUNG);
	uint64_t ty = young_calls(c, NB_CB_TEST_YOUNG);

	if (st->op == OP_IDLE_READ && st->not_idle)
		FAIL("%" PRIu64 " of the %" PRIu64 " pages marked idle did not read back idle",
		     st->not_idle, st->n);
	if (!counts_young(c))
		return NB_EXIT_OK;
	if (st->op != OP_DAMON) {
		uint64_t bytes = c->nb->cell[NB_CB_CLEAR_YOUNG][NB_EV_NONE].bytes /
				 c->nb_attach->nr_subscribers;

		/* One rmap walk per page of ours: one clear_young of the page's size. */
		if (cy != c->nops || bytes != c->nops * st->pgsz || cfy || ty)
			FAIL("per sample of %" PRIu64 " pages: clear_young %" PRIu64 " (%" PRIu64
			     " bytes), clear_flush_young %" PRIu64 ", test_young %" PRIu64 "; predicted "
			     "one clear_young of %zu KiB per page (ptep/pmdp_clear_young_notify), no "
			     "other young call", c->nops, cy, bytes, cfy, ty, st->pgsz >> 10);
		return NB_EXIT_OK;
	}
	/*
	 * DAMON: R mkolds at the start of each round, R damon_aggregated at its
	 * end. run() (inside the module's window) saw nops rounds end: all but
	 * the first made their mkolds after it began. The rounds that ended
	 * between prepare() and finish() (around the window; rounded up: a read
	 * may fall inside an aggregation's R events) made all of the window's
	 * mkolds but those of one round still running at finish().
	 */
	{
		uint64_t r = st->regions, ev = st->agg1 - st->agg0;
		uint64_t lo = (c->nops - 1) * r, hi = ((ev + r - 1) / r + 1) * r;

		if (!st->paddr && (cy < lo || cy > hi))
			FAIL("clear_young %" PRIu64 " for %" PRIu64 " sampling rounds in the batch and "
			     "%.2f from prepare to finish (damon_aggregated %" PRIu64 " / %u regions): "
			     "predicted one per region per round (DAMON vaddr mkold), %" PRIu64 "..%"
			     PRIu64, cy, c->nops, (double)ev / r, ev, st->regions, lo, hi);
		if (cfy || ty > cy + r)
			FAIL("clear_flush_young %" PRIu64 ", test_young %" PRIu64 " for %" PRIu64
			     " clear_young: predicted no clear_flush_young and at most one test_young "
			     "per page made old", cfy, ty, cy);
	}
	return NB_EXIT_OK;
}

static void describe(void *state, void (*emit)(const char *key, const char *value))
{
	struct aging_state *st = state;
	char v[1024];

	snprintf(v, sizeof(v), "%s, %zu KiB at %p (1 GiB-aligned), %" PRIu64 " pages of %zu KiB",
		 layouts[st->layout], st->l.len >> 10, st->l.buf, st->npages, st->pgsz >> 10);
	emit("layout", v);
	emit("layout_verified", st->verified);
	if (st->op == OP_DAMON) {
		snprintf(v, sizeof(v), "damon: one op = one sampling round of kdamond (an aggregation "
			 "per round, interval %u us: rounds counted exactly by a perf count of "
			 "damon:damon_aggregated on kdamond %d, one per region per round): "
			 "ns_per_op is the round's wall time (--sample-us %u plus kdamond's work and "
			 "wake-up); aging_kdamond_* are kdamond's CPU time (schedstat)",
			 st->aggr_us, st->kdamond_pid, st->sample_us);
		emit("op", v);
		snprintf(v, sizeof(v), "per round: %u clear_young (one per region, %zu KiB each)%s, "
			 "at most as many test_young, no clear_flush_young", st->regions,
			 st->pgsz >> 10, st->paddr ? " when the sampled physical page is ours" : "");
		emit("prediction", v);
		emit("sweep_slope", "approximate: below the young calls counted per round (0.79-0.89 "
		     "of them in exact mode on 6.12): a round is paced by DAMON's sampling interval, "
		     "and a batch is a window of nops rounds only as far as run()'s polling of the "
		     "count (every --sample-us/4) goes, so its calls per round vary (12 to 20 "
		     "clear_young for 16 regions)");
	} else {
		snprintf(v, sizeof(v), "%s: one op = one page; prepare() reads each page of the batch "
			 "(young PTE)%s; the batch %s the page_idle bitmap words holding the batch's "
			 "PFNs (one call per run of consecutive words)", ops[st->op],
			 st->op == OP_IDLE_READ ? " and marks it idle" : "",
			 st->op == OP_IDLE_MARK ? "writes" : "reads");
		emit("op", v);
		snprintf(v, sizeof(v), "one clear_young of %zu KiB per page (rmap walk, "
			 "ptep/pmdp_clear_young_notify), no test_young or clear_flush_young",
			 st->pgsz >> 10);
		emit("prediction", v);
	}
	emit("background", "module statistics are per mm: only this process's young calls are "
	     "counted; a kdamond of the host (e.g. DAMON_STAT or a paddr DAMON_RECLAIM context) "
	     "may drive clear_young on this buffer in the background, which the check allows "
	     "for DAMON up to a round's worth and not for page_idle");
}

static const struct bench_ops aging_ops = {
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

NB_BENCHMARK(aging, aging_ops,
	     "access-bit aging: page_idle marking and DAMON sampling rounds; young-callback "
	     "calls and ns per page aged");
