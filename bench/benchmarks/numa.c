// SPDX-License-Identifier: GPL-2.0
/*
 * numa: what NUMA balancing and page migration cost the primary MMU, and
 * the notifier traffic they make.
 *
 * --op hinting: numa_balancing=1. The task_numa_work scanner (run in the
 * benchmark thread's own context, on the return to user space after a tick)
 * marks ranges PROT_NONE with change_prot_numa(): PROTECTION_VMA
 * invalidations over large ranges, the case that motivated the PMD-level
 * notifier in 2014 and its move to the PUD level in 6.12 (7f06e3aa2e83). The
 * next touch of each marked page is a hinting fault. One op = one scan
 * period of a workload that reads one byte of each populated page (4 KiB
 * page, or THP) round robin: the batch touches pages in passes of up to 4096
 * and reads mm->numa_scan_seq after each, until the scanner has made nops
 * scans. ns_per_op is the period's wall time (the scanner's own pace, its
 * runtime throttle of 32x its cost, the hinting faults); the touches made
 * (numa_touches) and ns per touch are columns: a touch costs a hundredfold
 * more right after a scan than before the next one, so a batch counted in
 * touches could not be calibrated, one counted in scans can.
 *
 * To make the scan fast and deterministic the benchmark sets the scan knobs
 * (scan_delay_ms 0, scan_period_min_ms = scan_period_max_ms = --period-ms,
 * scan_size_mb = --scan-mb, default the buffer's size + 1 MiB, so that one
 * scan period covers the whole buffer in one change_prot_numa() call). They
 * live in debugfs under sched/numa_balancing/ from 5.13 (6.1, 6.12, 6.18;
 * debugfs is mounted for the run when it is not, and unmounted afterwards)
 * and in /proc/sys/kernel/numa_balancing_scan_* before. A locked-down kernel
 * refuses debugfs: then --scan-knobs keep runs with the kernel's own values
 * (periods of a second and more), and the default (set) is a skip.
 *
 * change_pte_range() leaves a page alone when a single-threaded process runs
 * on the page's node ("don't mess with PTEs if page is already on the node
 * a single-threaded process is running on", mm_users == 1, in 6.1, 6.12 and
 * later): with one node nothing would ever be marked. The benchmark keeps a
 * second thread, blocked on a pipe with every signal blocked, for the run.
 *
 * The scanner is kept on the buffer alone: the task's memory policy becomes
 * MPOL_BIND over every memory node (without MPOL_F_MOF, so task_numa_work
 * skips every VMA without a policy of its own: vma_policy_mof()) and the
 * buffer gets MPOL_BIND | MPOL_F_NUMA_BALANCING over the same nodes (5.12+,
 * which sets MPOL_F_MOF): the module's per-mm counts are then the buffer's.
 * With one pass per period, the scan sequence of the mm (mm->numa_scan_seq
 * in /proc/self/sched) counts the scan periods exactly.
 *
 * The check (hinting): with a kmod backend counting START (or INTERVAL),
 * every scan gives the ranges mprotect of the whole buffer gives (<= 6.11:
 * one pair per 1 GiB chunk holding a populated PMD, from that PMD to the
 * chunk end; >= 6.12: one per 512 GiB chunk holding a non-empty PUD; a
 * kernel declaring the trait mprotect_notify, bench/harness/traits.def, by that): the
 * PROTECTION_VMA calls and bytes are m times those of one scan with m within
 * 2 of the scans counted (the scanner is task work: it may run on the return
 * of a system call between a sequence read and the module's counter reset or
 * read, at either end of the batch), and no other event; the thread's faults are hinting faults
 * and at most one per page per scan.
 *
 * --op migrate: page migration between two nodes with libnuma: move_pages
 * (--api move_pages) or mbind(MPOL_BIND, MPOL_MF_MOVE) (--api mbind) of a
 * window of the buffer to the other node. One op = one page migrated (4 KiB,
 * or one THP). Needs two memory nodes (scripts/vm --numa); on one node it is
 * a skip (move_pages to node 0 moves nothing there). After each batch the
 * pages' nodes are queried (move_pages without nodes) and every page must be
 * on its target; THPs must still be THPs. Notifiers: try_to_migrate_one()
 * notifies one CLEAR pair per mapping of each migrated folio (4 KiB, or
 * 2 MiB for a PMD-mapped THP) on 6.1 and 6.12 (MMU_NOTIFY_MIGRATE is only
 * for device-private migration, migrate_device.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <numa.h>
#include <numaif.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "env.h"
#include "knobs.h"
#include "layout.h"
#include "nbdev.h"
#include "util.h"

#ifndef MPOL_F_NUMA_BALANCING
#define MPOL_F_NUMA_BALANCING (1 << 13)
#endif

enum { O_OP, O_SIZE, O_LAYOUT, O_SCAN_MB, O_PERIOD_MS, O_SCAN_KNOBS, O_API, O_NR };
enum { OP_HINTING, OP_MIGRATE };
enum { L_DENSE4K, L_THP, L_SPARSE2M, L_SPARSE1G, L_SPARSE64G };
enum { KNOBS_SET, KNOBS_KEEP };
enum { API_MOVE_PAGES, API_MBIND };

static const char *const ops[] = { "hinting", "migrate", NULL };
static const char *const layouts[] = { "dense4k", "thp", "sparse2m", "sparse1g", "sparse64g", NULL };
static const enum layout_kind layout_kind[] = { LAYOUT_DENSE4K, LAYOUT_THP, LAYOUT_SPARSE2M,
						LAYOUT_SPARSE1G, LAYOUT_SPARSE64G };
static const char *const scan_knobs[] = { "set", "keep", NULL };
static const char *const apis[] = { "move_pages", "mbind", NULL };

static const struct bench_opt opts[O_NR] = {
	[O_OP] = { "op", OPT_CHOICE, "hinting", ops, 0, 0,
		   "hinting: numa_balancing=1, one op = one scan period of the scanner marking the "
		   "buffer PROT_NONE while the batch touches its pages; migrate: one op = one page "
		   "moved to the other node (needs two memory nodes)" },
	[O_SIZE] = { "size", OPT_SIZE, "64M", NULL, SZ_4K, 1ull << 40,
		     "buffer size, 4K..1T; a multiple of the layout's granule (4K: dense4k; 2M: thp, "
		     "sparse*); dense layouts need the RAM" },
	[O_LAYOUT] = { "layout", OPT_CHOICE, "dense4k", layouts, 0, 0,
		       "dense4k (every 4K page), thp (PMD-mapped THPs), sparse2m / sparse1g / sparse64g "
		       "(one 4K page per 2 MiB / 1 GiB / 64 GiB: hinting only)" },
	[O_SCAN_MB] = { "scan-mb", OPT_UINT, "0", NULL, 0, 1u << 30,
			"hinting: scan_size_mb, the scanner's budget per period; 0: the buffer's size "
			"+ 1 MiB (one period covers the buffer in one call)" },
	[O_PERIOD_MS] = { "period-ms", OPT_UINT, "0", NULL, 0, 3600000,
			  "hinting: scan_period_min_ms = scan_period_max_ms; 0: 1 ms, i.e. the "
			  "kernel's floor for the scan size (MAX_SCAN_WINDOW: 2560 MB/s)" },
	[O_SCAN_KNOBS] = { "scan-knobs", OPT_CHOICE, "set", scan_knobs, 0, 0,
			   "hinting: set the scan knobs (a skip when they cannot be written, e.g. "
			   "debugfs under kernel lockdown), or keep the kernel's own values" },
	[O_API] = { "api", OPT_CHOICE, "move_pages", apis, 0, 0,
		    "migrate: move_pages(2) with the pages' target nodes, or mbind(2) "
		    "MPOL_BIND + MPOL_MF_MOVE over the window" },
};

/* The columns this benchmark adds (results/README.md). */
enum {
	C_SCANS, C_SCANS_PER_S, C_HINT_FAULTS_PER_PAGE, C_PTE_UPDATES_PER_SCAN,
	C_HINT_FAULTS_PER_SCAN, C_INVAL_PER_SCAN, C_INVAL_BYTES_PER_SCAN,
	C_PAGES_MOVED, C_MIGRATE_MIB_PER_S, C_PGMIGRATE_SUCCESS, C_INVAL_PER_PAGE,
	C_TOUCHES, C_NS_PER_TOUCH, C_NR
};
static const char *const columns[C_NR + 1] = {
	[C_SCANS] = "numa_scans",
	[C_SCANS_PER_S] = "numa_scans_per_s",
	[C_HINT_FAULTS_PER_PAGE] = "numa_hint_faults_per_page",
	[C_PTE_UPDATES_PER_SCAN] = "numa_pte_updates_per_scan",
	[C_HINT_FAULTS_PER_SCAN] = "numa_hint_faults_per_scan",
	[C_INVAL_PER_SCAN] = "numa_inval_per_scan",
	[C_INVAL_BYTES_PER_SCAN] = "numa_inval_bytes_per_scan",
	[C_PAGES_MOVED] = "numa_pages_moved",
	[C_MIGRATE_MIB_PER_S] = "numa_migrate_mib_per_s",
	[C_PGMIGRATE_SUCCESS] = "numa_pgmigrate_success",
	[C_INVAL_PER_PAGE] = "numa_inval_per_page",
	[C_TOUCHES] = "numa_touches",
	[C_NS_PER_TOUCH] = "numa_ns_per_touch",
	[C_NR] = NULL,
};

/* The scan knobs, in the order they are set. */
enum { K_SIZE, K_PERIOD_MIN, K_PERIOD_MAX, K_DELAY, K_NR };
static const char *const knob_names[K_NR] = { "scan_size_mb", "scan_period_min_ms",
					      "scan_period_max_ms", "scan_delay_ms" };
#define DEBUGFS "/sys/kernel/debug"
#define DEBUGFS_NUMA DEBUGFS "/sched/numa_balancing"
#define PROC_NUMA "/proc/sys/kernel/numa_balancing_"

/* /proc/vmstat counters (system-wide). */
struct vmstat {
	uint64_t hint_faults, pte_updates, pgmigrate_success;
};

struct numa_state {
	int op, layout, api;
	struct layout l;
	unsigned int kmajor, kminor;
	/* the populated pages (mappings) of the buffer */
	size_t pgsz;
	uint64_t npages;
	/* hinting */
	uint64_t cursor;		/* next page to touch */
	uint64_t chunk;			/* touches between two sequence reads */
	uint64_t touches;		/* in the last batch */
	size_t stride;
	char knob_dir[160];		/* "" when the knobs were kept */
	unsigned long knob_val[K_NR];	/* the values in force */
	bool knobs_set, mounted_debugfs, window_mode;
	uint64_t pairs_per_scan, bytes_per_scan;
	double period_ns;		/* measured in setup */
	unsigned int predicted_period_ms;
	long seq0;
	struct vmstat vm0, vm1;
	uint64_t t0, t1;		/* around the batch, untimed bounds */
	long dseq;
	pthread_t sleeper;		/* makes mm_users 2: see above */
	int sleeper_pipe[2];
	bool have_sleeper;
	/* migrate */
	int node_a, node_b, nr_nodes;
	void **pages;
	int *cur, *target, *status;
	uint64_t first, next, n;	/* the batch's window */
	uint64_t moved, wrong;		/* after the batch */
	int first_wrong_status;
	bool thp_lost;
	char verified[512];
};

static int read_vmstat(struct vmstat *v)
{
	char line[128];
	FILE *f = fopen("/proc/vmstat", "re");

	memset(v, 0, sizeof(*v));
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char key[64];
		unsigned long long val;

		if (sscanf(line, "%63s %llu", key, &val) != 2)
			continue;
		if (!strcmp(key, "numa_hint_faults"))
			v->hint_faults = val;
		else if (!strcmp(key, "numa_pte_updates"))
			v->pte_updates = val;
		else if (!strcmp(key, "pgmigrate_success"))
			v->pgmigrate_success = val;
	}
	fclose(f);
	return 0;
}

/* mm->numa_scan_seq from /proc/self/sched; -1 when absent. */
static long read_scan_seq(void)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/sched", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "mm->numa_scan_seq", 17)) {
			char *c = strchr(line, ':');

			v = c ? strtol(c + 1, NULL, 10) : -1;
			break;
		}
	fclose(f);
	return v;
}

static int validate(const struct bench_val *o, char *msg, size_t len)
{
	int op = o[O_OP].choice, layout = o[O_LAYOUT].choice;
	size_t g = layout_granule(layout_kind[layout]);

	if (o[O_SIZE].u % g) {
		snprintf(msg, len, "--size %s is not a multiple of %zu KiB (the granule of --layout %s)",
			 o[O_SIZE].str, g >> 10, layouts[layout]);
		return NB_EXIT_USAGE;
	}
	if (op == OP_MIGRATE && layout != L_DENSE4K && layout != L_THP) {
		snprintf(msg, len, "--op migrate moves populated pages: --layout dense4k or thp (got "
			 "--layout %s)", layouts[layout]);
		return NB_EXIT_USAGE;
	}
	if (op == OP_MIGRATE && (strcmp(o[O_SCAN_MB].str, opts[O_SCAN_MB].def) ||
				 strcmp(o[O_PERIOD_MS].str, opts[O_PERIOD_MS].def) ||
				 o[O_SCAN_KNOBS].choice != KNOBS_SET)) {
		snprintf(msg, len, "--scan-mb, --period-ms and --scan-knobs are for --op hinting");
		return NB_EXIT_USAGE;
	}
	if (op == OP_HINTING && o[O_API].choice != API_MOVE_PAGES) {
		snprintf(msg, len, "--api is for --op migrate");
		return NB_EXIT_USAGE;
	}
	if (op == OP_HINTING && o[O_SCAN_KNOBS].choice == KNOBS_KEEP &&
	    (o[O_SCAN_MB].u || o[O_PERIOD_MS].u)) {
		snprintf(msg, len, "--scan-knobs keep leaves the kernel's values: --scan-mb and "
			 "--period-ms cannot be given with it");
		return NB_EXIT_USAGE;
	}
	return NB_EXIT_OK;
}

/* ---- hinting ---- */

static void knob_path(const struct numa_state *st, unsigned int k, char *buf, size_t len)
{
	if (!strncmp(st->knob_dir, PROC_NUMA, strlen(PROC_NUMA)))
		snprintf(buf, len, "%s%s", st->knob_dir, knob_names[k]);
	else
		snprintf(buf, len, "%s/%s", st->knob_dir, knob_names[k]);
}

/*
 * Finds the scan knobs (debugfs from 5.13, /proc/sys/kernel before), mounting
 * debugfs when needed, and reads their values. NB_EXIT_OK, or NB_EXIT_SKIP
 * with the reason when they cannot be read.
 */
static int find_scan_knobs(struct numa_state *st, char *reason, size_t rlen)
{
	char path[256];
	int ret;

	if (!access(PROC_NUMA "scan_size_mb", F_OK)) {
		snprintf(st->knob_dir, sizeof(st->knob_dir), "%s", PROC_NUMA);
	} else {
		if (access(DEBUGFS "/sched", F_OK)) {
			if (mount("none", DEBUGFS, "debugfs", 0, NULL)) {
				snprintf(reason, rlen, "the NUMA-balancing scan knobs are in debugfs "
					 "(sched/numa_balancing) and mounting it on " DEBUGFS
					 " failed: %s", strerror(errno));
				return NB_EXIT_SKIP;
			}
			st->mounted_debugfs = true;
			knobs_umount_later(DEBUGFS);
		}
		snprintf(st->knob_dir, sizeof(st->knob_dir), "%s", DEBUGFS_NUMA);
	}
	for (unsigned int k = 0; k < K_NR; k++) {
		knob_path(st, k, path, sizeof(path));
		ret = knob_read_ulong(path, &st->knob_val[k]);
		if (ret) {
			snprintf(reason, rlen, "cannot read the NUMA-balancing scan knob %s: %s%s; "
				 "--scan-knobs keep runs with the kernel's own values", path,
				 strerror(-ret), ret == -EPERM ? " (kernel lockdown restricts debugfs?)" :
				 "");
			return NB_EXIT_SKIP;
		}
	}
	return NB_EXIT_OK;
}

static int set_scan_knobs(struct numa_state *st, unsigned long size_mb, unsigned long period,
			  char *reason, size_t rlen)
{
	const unsigned long v[K_NR] = { size_mb, period, period, 0 };
	char path[256];

	for (unsigned int k = 0; k < K_NR; k++) {
		int ret;

		knob_path(st, k, path, sizeof(path));
		ret = knob_set_ulong(path, v[k]);
		if (ret) {
			snprintf(reason, rlen, "cannot set the NUMA-balancing scan knob %s to %lu: %s "
				 "(--scan-knobs keep runs with the kernel's values)", path, v[k],
				 strerror(-ret));
			return NB_EXIT_SKIP;
		}
		st->knob_val[k] = v[k];
	}
	st->knobs_set = true;
	return NB_EXIT_OK;
}

/* Resident pages of the whole process (get_mm_rss), from /proc/self/statm. */
static unsigned long rss_pages(void)
{
	unsigned long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "re");

	if (f) {
		if (fscanf(f, "%lu %lu", &size, &res) != 2)
			res = 0;
		fclose(f);
	}
	return res;
}

/* The period task_scan_min() gives with these knobs (both bounds equal). */
static unsigned int predict_period_ms(const struct numa_state *st)
{
	unsigned long size = st->knob_val[K_SIZE] ? st->knob_val[K_SIZE] : 1;
	unsigned long floor = size < 2560 ? 1000 / (2560 / size) : 1000;
	unsigned long scan_pages = size << 8, rss = rss_pages();
	unsigned long windows = rss ? (rss + scan_pages - 1) / scan_pages : 1;
	unsigned long scan = st->knob_val[K_PERIOD_MIN] / (windows ? windows : 1);

	return (unsigned int)(scan > floor ? scan : floor);
}

/* Reads one byte of each of the next n populated pages, round robin. */
static void touch(struct numa_state *st, uint64_t n)
{
	const char *b = st->l.buf;
	uint64_t c = st->cursor;
	volatile char sink = 0;

	for (uint64_t i = 0; i < n; i++) {
		sink += *(volatile const char *)(b + c * st->stride);
		if (++c == st->npages)
			c = 0;
	}
	st->cursor = c;
	(void)sink;
}

/* The ranges of one change_prot_numa() over the whole buffer (as mprotect's, 7f06e3aa2e83). */
static void predict_scan(struct numa_state *st)
{
	bool pud = env_mprotect_notify_pud(NULL);
	size_t outer = pud ? SZ_512G : SZ_1G, inner = pud ? SZ_1G : SZ_2M;
	uintptr_t s = (uintptr_t)st->l.buf, e = s + st->l.len;

	st->pairs_per_scan = st->bytes_per_scan = 0;
	for (uintptr_t c = s & ~(outer - 1); c < e; c += outer) {
		uintptr_t ss = c > s ? c : s, se = c + outer < e ? c + outer : e;

		for (uintptr_t a = ss; a < se; a = (a + inner) & ~(inner - 1)) {
			if (!(pud ? layout_pud_populated(&st->l, a) : layout_pmd_populated(&st->l, a)))
				continue;
			st->pairs_per_scan++;
			st->bytes_per_scan += se - a;
			break;
		}
	}
}

static int isolate_buffer(struct numa_state *st, char *reason, size_t rlen)
{
	struct bitmask *all = numa_get_mems_allowed();
	int ret = NB_EXIT_OK;

	if (!all) {
		snprintf(reason, rlen, "libnuma: no memory nodes allowed");
		return NB_EXIT_SKIP;
	}
	/* The buffer: a policy of its own with MPOL_F_MOF (MPOL_F_NUMA_BALANCING sets it). */
	if (mbind(st->l.buf, st->l.len, MPOL_BIND | MPOL_F_NUMA_BALANCING, all->maskp,
		  all->size + 1, 0)) {
		snprintf(reason, rlen, "mbind(MPOL_BIND | MPOL_F_NUMA_BALANCING) over the buffer: %s "
			 "(needs 5.12+)", strerror(errno));
		ret = NB_EXIT_SKIP;
	} else if (set_mempolicy(MPOL_BIND, all->maskp, all->size + 1)) {
		/* Every other VMA: the task's policy, without MPOL_F_MOF, so the scanner skips it. */
		snprintf(reason, rlen, "set_mempolicy(MPOL_BIND): %s", strerror(errno));
		ret = NB_EXIT_SKIP;
	}
	numa_bitmask_free(all);
	return ret;
}

static void *sleeper_fn(void *arg)
{
	char c;

	/* Blocked until teardown closes the pipe; never touches the buffer. */
	while (read(*(int *)arg, &c, 1) < 0)
		;
	return NULL;
}

static int start_sleeper(struct numa_state *st, char *reason, size_t rlen)
{
	sigset_t all, old;
	int ret;

	if (pipe2(st->sleeper_pipe, O_CLOEXEC)) {
		snprintf(reason, rlen, "pipe: %s", strerror(errno));
		return NB_EXIT_FAIL;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = pthread_create(&st->sleeper, NULL, sleeper_fn, &st->sleeper_pipe[0]);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret) {
		close(st->sleeper_pipe[0]);
		close(st->sleeper_pipe[1]);
		snprintf(reason, rlen, "pthread_create: %s", strerror(ret));
		return NB_EXIT_FAIL;
	}
	st->have_sleeper = true;
	return NB_EXIT_OK;
}

static void stop_sleeper(struct numa_state *st)
{
	if (!st->have_sleeper)
		return;
	close(st->sleeper_pipe[1]);
	pthread_join(st->sleeper, NULL);
	close(st->sleeper_pipe[0]);
	st->have_sleeper = false;
}

static int setup_hinting(struct numa_state *st, const struct bench_val *o, struct bench_ctx *ctx)
{
	char *reason = ctx->reason;
	size_t rlen = sizeof(ctx->reason);
	uint64_t t_end, tick[4];
	unsigned int timeout_s;
	long seq, last;
	unsigned int seen = 0;
	int ret;

	if (access(KNOB_NUMA_BALANCING, F_OK)) {
		snprintf(reason, rlen, "no " KNOB_NUMA_BALANCING " (kernel without CONFIG_NUMA_BALANCING)");
		return NB_EXIT_SKIP;
	}
	if (read_scan_seq() < 0) {
		snprintf(reason, rlen, "no mm->numa_scan_seq in /proc/self/sched (needs "
			 "CONFIG_SCHED_DEBUG and CONFIG_NUMA_BALANCING)");
		return NB_EXIT_SKIP;
	}
	ret = find_scan_knobs(st, reason, rlen);
	if (ret && o[O_SCAN_KNOBS].choice == KNOBS_SET)
		return ret;
	if (ret) {
		/* keep: the values cannot even be read; the default scan size is assumed below */
		st->knob_dir[0] = 0;
		st->knob_val[K_SIZE] = 256;
		st->knob_val[K_PERIOD_MIN] = 1000;
		st->knob_val[K_PERIOD_MAX] = 60000;
		st->knob_val[K_DELAY] = 1000;
		reason[0] = 0;
	}
	ret = layout_create(&st->l, layout_kind[st->layout], o[O_SIZE].u, ALIGN_1G, reason, rlen);
	if (ret)
		return ret;
	st->pgsz = st->layout == L_THP ? SZ_2M : SZ_4K;
	st->npages = st->l.touched;
	st->stride = st->layout == L_SPARSE64G ? SZ_64G : st->layout == L_SPARSE1G ? SZ_1G :
		     st->layout == L_SPARSE2M || st->layout == L_THP ? SZ_2M : SZ_4K;
	st->chunk = st->npages < 4096 ? st->npages : 4096;
	ret = isolate_buffer(st, reason, rlen);
	if (!ret)
		ret = start_sleeper(st, reason, rlen);
	if (ret)
		return ret;
	if (o[O_SCAN_KNOBS].choice == KNOBS_SET) {
		unsigned long mb = o[O_SCAN_MB].u ? o[O_SCAN_MB].u : (st->l.len >> 20) + 1;

		ret = set_scan_knobs(st, mb, o[O_PERIOD_MS].u ? o[O_PERIOD_MS].u : 1, reason, rlen);
		if (ret)
			return ret;
	}
	/* One scan covers the buffer in one call when the budget exceeds it. */
	st->window_mode = (st->knob_val[K_SIZE] << 20) <= st->l.len;
	predict_scan(st);
	ret = knob_set(KNOB_NUMA_BALANCING, "1");
	if (ret) {
		snprintf(reason, rlen, "cannot set " KNOB_NUMA_BALANCING " to 1: %s", strerror(-ret));
		return NB_EXIT_SKIP;
	}
	st->predicted_period_ms = predict_period_ms(st);

	/*
	 * Run until the scanner has made a few scans. The first needs the
	 * thread's runtime to pass the scan delay that was in force when it was
	 * forked (1 s by default).
	 */
	timeout_s = (st->knobs_set ? 15 : 90) + 20 * st->predicted_period_ms / 1000;
	t_end = now_ns() + (uint64_t)timeout_s * 1000000000ull;
	last = read_scan_seq();
	while (seen < 4 && now_ns() < t_end) {
		touch(st, st->chunk);
		seq = read_scan_seq();
		if (seq != last) {
			tick[seen++] = now_ns();
			last = seq;
		}
	}
	if (seen < 4) {
		snprintf(reason, rlen, "NUMA balancing made %u scans of the buffer in %u s (scan "
			 "knobs %s: size %lu MB, period %lu..%lu ms, delay %lu ms)", seen, timeout_s,
			 st->knobs_set ? "set" : "kept", st->knob_val[K_SIZE],
			 st->knob_val[K_PERIOD_MIN], st->knob_val[K_PERIOD_MAX], st->knob_val[K_DELAY]);
		return NB_EXIT_SKIP;
	}
	st->period_ns = (double)(tick[3] - tick[1]) / 2;
	/*
	 * Four scans per sample (two with the kernel's own, long, periods): a
	 * calibration from batches of one scan, which may come at once, would
	 * overshoot.
	 */
	ctx->batch = st->knobs_set ? 4 : 2;
	snprintf(st->verified, sizeof(st->verified), "%s; scanner running: %u scans seen in "
		 "setup, period %.1f ms between the last three", st->l.verified, seen,
		 st->period_ns / 1e6);
	ctx->op_unit = "scan period";
	ctx->cfs_batch = true;	/* the scanner comes from this thread's CFS tick */
	ctx->call_unit = "scan";
	ctx->calls_per_op = 1;
	return NB_EXIT_OK;
}

/* ---- migrate ---- */

static int memory_nodes(int *first_other, int self)
{
	int n = 0;

	*first_other = -1;
	for (int node = 0; node <= numa_max_node(); node++) {
		long long free_b;

		if (!numa_bitmask_isbitset(numa_all_nodes_ptr, node) ||
		    numa_node_size64(node, &free_b) <= 0)
			continue;
		n++;
		if (node != self && *first_other < 0)
			*first_other = node;
	}
	return n;
}

/* Nodes of pages [first, first + n) into status[]; 0 or -errno. */
static int query_nodes(struct numa_state *st, uint64_t first, uint64_t n)
{
	long r = move_pages(0, n, st->pages + first, NULL, st->status + first, 0);

	return r < 0 ? -errno : 0;
}

static int setup_migrate(struct numa_state *st, const struct bench_val *o, struct bench_ctx *ctx)
{
	char *reason = ctx->reason;
	size_t rlen = sizeof(ctx->reason);
	int cpu = sched_getcpu(), ret;
	uint64_t elsewhere = 0;

	if (numa_available() < 0) {
		snprintf(reason, rlen, "libnuma: NUMA is not available on this kernel");
		return NB_EXIT_SKIP;
	}
	st->node_a = cpu >= 0 ? numa_node_of_cpu(cpu) : 0;
	if (st->node_a < 0)
		st->node_a = 0;
	st->nr_nodes = memory_nodes(&st->node_b, st->node_a);
	if (st->nr_nodes < 2 || st->node_b < 0) {
		snprintf(reason, rlen, "one NUMA node (%d with memory): migration needs two, and "
			 "move_pages to node %d moves nothing here; run it in the two-node VM "
			 "(scripts/vm --numa)", st->nr_nodes, st->node_a);
		return NB_EXIT_SKIP;
	}
	ret = layout_create(&st->l, layout_kind[st->layout], o[O_SIZE].u, ALIGN_1G, reason, rlen);
	if (ret)
		return ret;
	st->pgsz = st->layout == L_THP ? SZ_2M : SZ_4K;
	st->npages = st->l.len / st->pgsz;
	st->pages = calloc(st->npages, sizeof(*st->pages));
	st->cur = calloc(st->npages, sizeof(int));
	st->target = calloc(st->npages, sizeof(int));
	st->status = calloc(st->npages, sizeof(int));
	if (!st->pages || !st->cur || !st->target || !st->status) {
		snprintf(reason, rlen, "out of memory");
		return NB_EXIT_FAIL;
	}
	for (uint64_t i = 0; i < st->npages; i++) {
		st->pages[i] = st->l.buf + i * st->pgsz;
		st->target[i] = st->node_a;
	}
	/* Every page starts on the benchmark CPU's node (moved there, untimed, if needed). */
	ret = query_nodes(st, 0, st->npages);
	for (uint64_t i = 0; !ret && i < st->npages; i++)
		elsewhere += st->status[i] != st->node_a;
	if (!ret && elsewhere && move_pages(0, st->npages, st->pages, st->target, st->status,
					    MPOL_MF_MOVE) < 0)
		ret = -errno;
	if (!ret)
		ret = query_nodes(st, 0, st->npages);
	if (ret) {
		snprintf(reason, rlen, "move_pages status query: %s", strerror(-ret));
		return NB_EXIT_FAIL;
	}
	for (uint64_t i = 0; i < st->npages; i++) {
		if (st->status[i] != st->node_a) {
			snprintf(reason, rlen, "page %" PRIu64 " of the buffer is on node %d, not on "
				 "node %d after move_pages", i, st->status[i], st->node_a);
			return NB_EXIT_SKIP;
		}
		st->cur[i] = st->node_a;
	}
	snprintf(st->verified, sizeof(st->verified), "%s; move_pages: all %" PRIu64 " pages on "
		 "node %d (%" PRIu64 " moved there first); %d memory nodes, moving between %d and %d",
		 st->l.verified, st->npages, st->node_a, elsewhere, st->nr_nodes, st->node_a,
		 st->node_b);
	ctx->op_unit = "page";
	ctx->call_unit = apis[st->api];
	ctx->calls_per_op = 1;
	ctx->max_batch = st->npages;
	/* A migrate call drains every CPU's LRU cache first: batches of many pages. */
	ctx->min_sample_ns = 20000000;
	return NB_EXIT_OK;
}

static int setup(struct bench_ctx *ctx, void **state)
{
	const struct bench_val *o = ctx->opt;
	struct numa_state *st = calloc(1, sizeof(*st));
	int ret;

	if (!st) {
		snprintf(ctx->reason, sizeof(ctx->reason), "out of memory");
		return NB_EXIT_FAIL;
	}
	st->op = o[O_OP].choice;
	st->layout = o[O_LAYOUT].choice;
	st->api = o[O_API].choice;
	env_kernel_version(&st->kmajor, &st->kminor);
	ret = st->op == OP_HINTING ? setup_hinting(st, o, ctx) : setup_migrate(st, o, ctx);
	if (ret) {
		if (st->op == OP_HINTING) {
			stop_sleeper(st);
			set_mempolicy(MPOL_DEFAULT, NULL, 0);
		}
		if (st->l.resv)
			layout_destroy(&st->l);
		free(st->pages);
		free(st->cur);
		free(st->target);
		free(st->status);
		free(st);
		return ret;
	}
	ctx->buf = st->l.buf;
	ctx->len = st->l.len;
	*state = st;
	return NB_EXIT_OK;
}

static int prepare(void *state, struct bench_sample *s)
{
	struct numa_state *st = state;

	if (st->op == OP_HINTING) {
		/* vmstat first: the sequence is read as close to the batch as can be */
		read_vmstat(&st->vm0);
		st->seq0 = read_scan_seq();
		st->t0 = now_ns();
		return 0;
	} else {
		/* Consecutive windows; each page goes to the node it is not on. */
		st->first = st->next + s->nops > st->npages ? 0 : st->next;
		st->next = st->first + s->nops;
		st->n = s->nops;
		for (uint64_t i = st->first; i < st->next; i++)
			st->target[i] = st->cur[i] == st->node_a ? st->node_b : st->node_a;
		if (st->api == API_MBIND) {
			/* mbind moves the window to one node: make it uniform first (untimed). */
			int t = st->target[st->first];
			bool mixed = false;

			for (uint64_t i = st->first; i < st->next; i++)
				if (st->target[i] != t) {
					st->target[i] = st->cur[i];
					mixed = true;
				}
			if (mixed) {
				for (uint64_t i = st->first; i < st->next; i++)
					st->target[i] = t == st->node_a ? st->node_b : st->node_a;
				if (move_pages(0, st->n, st->pages + st->first, st->target + st->first,
					       st->status + st->first, MPOL_MF_MOVE) < 0) {
					snprintf(s->reason, sizeof(s->reason), "move_pages to make the "
						 "window uniform: %s", strerror(errno));
					return -errno;
				}
				for (uint64_t i = st->first; i < st->next; i++) {
					st->cur[i] = st->target[i];
					st->target[i] = t;
				}
			}
		}
	}
	read_vmstat(&st->vm0);
	st->t0 = now_ns();
	return 0;
}

static int run(void *state, uint64_t nops)
{
	struct numa_state *st = state;

	if (st->op == OP_HINTING) {
		long s0 = read_scan_seq(), s;

		st->touches = 0;
		do {
			touch(st, st->chunk);
			st->touches += st->chunk;
			s = read_scan_seq();
			if (s < 0)
				return -EIO;
		} while ((uint64_t)(s - s0) < nops);
		return 0;
	}
	if (st->api == API_MOVE_PAGES) {
		long r = move_pages(0, nops, st->pages + st->first, st->target + st->first,
				    st->status + st->first, MPOL_MF_MOVE);

		return r < 0 ? -errno : 0;
	} else {
		unsigned long mask[16] = { 0 };
		int t = st->target[st->first];

		mask[t / (8 * sizeof(long))] |= 1ul << (t % (8 * sizeof(long)));
		return mbind(st->pages[st->first], nops * st->pgsz, MPOL_BIND, mask,
			     8 * sizeof(mask), MPOL_MF_MOVE) ? -errno : 0;
	}
}

static int finish(void *state, struct bench_sample *s)
{
	struct numa_state *st = state;
	int ret;

	st->t1 = now_ns();
	if (st->op == OP_HINTING) {
		long seq = read_scan_seq();

		read_vmstat(&st->vm1);
		st->dseq = st->seq0 >= 0 && seq >= st->seq0 ? seq - st->seq0 : -1;
		return 0;
	}
	read_vmstat(&st->vm1);
	/* Where did the pages go? */
	ret = query_nodes(st, st->first, st->n);
	if (ret) {
		snprintf(s->reason, sizeof(s->reason), "move_pages status query: %s", strerror(-ret));
		return ret;
	}
	st->moved = st->wrong = 0;
	for (uint64_t i = st->first; i < st->first + st->n; i++) {
		if (st->status[i] == st->target[i]) {
			st->moved++;
		} else {
			if (!st->wrong)
				st->first_wrong_status = st->status[i];
			st->wrong++;
		}
		if (st->status[i] >= 0)
			st->cur[i] = st->status[i];
	}
	if (st->layout == L_THP) {
		struct layout_smaps v;

		layout_smaps((uintptr_t)st->l.buf, &v);
		st->thp_lost = v.anon_huge_kb != st->l.len >> 10;
	}
	return 0;
}

static void teardown(void *state)
{
	struct numa_state *st = state;

	if (st->op == OP_HINTING) {
		stop_sleeper(st);
		set_mempolicy(MPOL_DEFAULT, NULL, 0);
	}
	layout_destroy(&st->l);
	free(st->pages);
	free(st->cur);
	free(st->target);
	free(st->status);
	free(st);
}

/* START (or INTERVAL) as counted, per subscriber; false when not counted. */
static bool main_cell(const struct bench_counters *c, unsigned int *cb)
{
	const struct nb_attach *a = c->nb_attach;

	if (!c->nb)
		return false;
	*cb = nb_main_callback(a);
	return a->callbacks & NB_CB_BIT(*cb);
}

static void sample_values(void *state, const struct bench_counters *c, double *v)
{
	struct numa_state *st = state;
	unsigned int cb;

	if (st->op == OP_HINTING) {
		double scans = st->dseq >= 0 ? (double)st->dseq : NAN;

		v[C_SCANS] = scans;
		v[C_SCANS_PER_S] = scans * 1e9 / (double)(st->t1 - st->t0);
		v[C_TOUCHES] = (double)st->touches;
		v[C_NS_PER_TOUCH] = (double)c->sample_ns / (double)st->touches;
		if (scans > 0) {
			if (c->faults >= 0)
				v[C_HINT_FAULTS_PER_PAGE] = (double)c->faults / scans / (double)st->npages;
			v[C_PTE_UPDATES_PER_SCAN] = (double)(st->vm1.pte_updates - st->vm0.pte_updates) / scans;
			v[C_HINT_FAULTS_PER_SCAN] = (double)(st->vm1.hint_faults - st->vm0.hint_faults) / scans;
		}
		if (scans > 0 && main_cell(c, &cb)) {
			double k = c->nb_attach->nr_subscribers;

			v[C_INVAL_PER_SCAN] = (double)c->nb->cell[cb][NB_EV_PROTECTION_VMA].calls / k / scans;
			v[C_INVAL_BYTES_PER_SCAN] = (double)c->nb->cell[cb][NB_EV_PROTECTION_VMA].bytes / k /
						    scans;
		}
		return;
	}
	v[C_PAGES_MOVED] = (double)st->moved;
	v[C_MIGRATE_MIB_PER_S] = (double)(st->moved * st->pgsz) / (1 << 20) * 1e9 / (double)c->sample_ns;
	v[C_PGMIGRATE_SUCCESS] = (double)(st->vm1.pgmigrate_success - st->vm0.pgmigrate_success);
	if (st->moved && main_cell(c, &cb))
		v[C_INVAL_PER_PAGE] = (double)nb_calls_total(c->nb, cb) / c->nb_attach->nr_subscribers /
				      (double)st->moved;
}

static const char *kernel_desc(const struct numa_state *st, char *buf, size_t len)
{
	const char *basis;
	bool pud = env_mprotect_notify_pud(&basis);

	snprintf(buf, len, "kernel %u.%u: per scan of the whole buffer %" PRIu64 " PROTECTION_VMA "
		 "pair(s), %" PRIu64 " bytes (%s: %s)", st->kmajor, st->kminor, st->pairs_per_scan,
		 st->bytes_per_scan, basis, pud ? "one per 512 GiB chunk holding a non-empty PUD" :
		 "one per 1 GiB chunk holding a populated PMD");
	return buf;
}

#define FAIL(...) do { snprintf(msg, len, __VA_ARGS__); return NB_EXIT_FAIL; } while (0)

static int check_hinting(struct numa_state *st, const struct bench_counters *c, char *msg,
			 size_t len)
{
	unsigned int cb;
	char kd[256];

	if (st->dseq < 0)
		FAIL("mm->numa_scan_seq could not be read around the batch");
	/* Each scan marks a page at most once; each mark costs at most one fault. */
	if (c->faults >= 0 && (uint64_t)c->faults > ((uint64_t)st->dseq + 1) * st->npages + 64)
		FAIL("%" PRId64 " faults in a batch of %" PRIu64 " page touches over %" PRIu64 " pages "
		     "with %ld scans: more than one hinting fault per page per scan", c->faults, c->nops,
		     st->npages, st->dseq);
	if (!main_cell(c, &cb) || st->window_mode)
		return NB_EXIT_OK;
	{
		const struct nb_cell *cell = c->nb->cell[cb];
		uint64_t k = c->nb_attach->nr_subscribers, pv = cell[NB_EV_PROTECTION_VMA].calls;
		uint64_t bytes = cell[NB_EV_PROTECTION_VMA].bytes, all = nb_calls_total(c->nb, cb);
		uint64_t m = st->pairs_per_scan ? pv / k / st->pairs_per_scan : 0;

		if (all != pv)
			FAIL("%s: %" PRIu64 " calls, %" PRIu64 " of them PROTECTION_VMA: the scanner "
			     "gives no other event", nb_callback_name(cb), all / k, pv / k);
		if (pv != m * st->pairs_per_scan * k || bytes != m * st->bytes_per_scan * k ||
		    (long)m > st->dseq + 2 || (long)m + 2 < st->dseq)
			FAIL("%s PROTECTION_VMA: %" PRIu64 " calls, %" PRIu64 " bytes for %ld scans; "
			     "predicted a multiple within 2 of the scans of %s", nb_callback_name(cb),
			     pv / k, bytes / k, st->dseq, kernel_desc(st, kd, sizeof(kd)));
		if ((c->nb_attach->callbacks & NB_CB_BIT(NB_CB_END)) && cb == NB_CB_START &&
		    nb_calls_total(c->nb, NB_CB_END) != all)
			FAIL("end calls %" PRIu64 " != start calls %" PRIu64,
			     nb_calls_total(c->nb, NB_CB_END), all);
	}
	return NB_EXIT_OK;
}

/*
 * The secondary-TLB hook: one call per page migrated. < 6.6
 * (invalidate_range, from invalidate_range_end): the page's range. >= 6.6
 * (arch_invalidate_secondary_tlbs, from the x86 flush): the page's range,
 * or 0..ULONG_MAX when the unmap was batched (arch_tlbbatch_add_pending;
 * seen for move_pages of many 4 KiB pages and for THPs on 6.12); the bytes
 * counted exclude full-range calls.
 */
static int check_migrate_tlb(struct numa_state *st, const struct bench_counters *c, char *msg,
			     size_t len)
{
	uint64_t k, calls, bytes;
	bool arch = env_kernel_at_least(6, 6);

	if (!c->nb || !(c->nb_attach->callbacks & NB_CB_BIT(NB_CB_TLB)))
		return NB_EXIT_OK;
	k = c->nb_attach->nr_subscribers;
	calls = nb_calls_total(c->nb, NB_CB_TLB) / k;
	bytes = c->nb->cell[NB_CB_TLB][NB_EV_NONE].bytes / k;
	if (calls != st->moved || (arch ? bytes > st->moved * st->pgsz :
					  bytes != st->moved * st->pgsz))
		FAIL("secondary-TLB hook: %" PRIu64 " calls, %" PRIu64 " bytes for %" PRIu64 " pages "
		     "of %zu KiB migrated; predicted one call per page, %s", calls, bytes, st->moved,
		     st->pgsz >> 10, arch ? "of the page or (batched flush) 0..ULONG_MAX" :
		     "of the page (invalidate_range_end)");
	return NB_EXIT_OK;
}

static int check_migrate(struct numa_state *st, const struct bench_counters *c, char *msg,
			 size_t len)
{
	unsigned int cb;

	if (st->wrong)
		FAIL("%" PRIu64 " of %" PRIu64 " pages are not on their target node after %s (the "
		     "first one's status: %d)", st->wrong, st->n, apis[st->api], st->first_wrong_status);
	if (st->thp_lost)
		FAIL("the buffer's THPs did not survive the migration (smaps AnonHugePages)");
	if (!main_cell(c, &cb))
		return NB_EXIT_OK;
	{
		uint64_t k = c->nb_attach->nr_subscribers, all = nb_calls_total(c->nb, cb);
		const struct nb_cell *clear = &c->nb->cell[cb][NB_EV_CLEAR];
		uint64_t splits = clear->calls / k > st->moved ? clear->calls / k - st->moved : 0;

		/*
		 * try_to_migrate_one(): one CLEAR pair per mapping of each folio
		 * migrated. mbind also splits the VMA at the window's ends: at a
		 * bound inside a 2 MiB range split_huge_pmd_address() notifies a
		 * CLEAR of that 2 MiB (huge PMD or not): at most two per call.
		 */
		if (clear->calls != (st->moved + splits) * k ||
		    clear->bytes != (st->moved * st->pgsz + splits * SZ_2M) * k ||
		    all != clear->calls || splits > (st->api == API_MBIND ? 2u : 0u))
			FAIL("%s per sample: CLEAR %.1f calls, %.0f bytes, all events %.1f, for %" PRIu64
			     " pages of %zu KiB migrated; predicted one CLEAR of the page's size per "
			     "page (try_to_migrate_one)%s", nb_callback_name(cb), (double)clear->calls / k,
			     (double)clear->bytes / k, (double)all / k, st->moved, st->pgsz >> 10,
			     st->api == API_MBIND ? " and up to two of 2 MiB for the VMA splits" : "");
		if ((c->nb_attach->callbacks & NB_CB_BIT(NB_CB_END)) && cb == NB_CB_START &&
		    nb_calls_total(c->nb, NB_CB_END) != all)
			FAIL("end calls %" PRIu64 " != start calls %" PRIu64,
			     nb_calls_total(c->nb, NB_CB_END), all);
	}
	return check_migrate_tlb(st, c, msg, len);
}

static int check(void *state, const struct bench_counters *c, char *msg, size_t len)
{
	struct numa_state *st = state;

	return st->op == OP_HINTING ? check_hinting(st, c, msg, len) : check_migrate(st, c, msg, len);
}

static void describe(void *state, void (*emit)(const char *key, const char *value))
{
	struct numa_state *st = state;
	char v[1024], kd[256];

	snprintf(v, sizeof(v), "%s, %zu KiB at %p (1 GiB-aligned), %" PRIu64 " populated pages of "
		 "%zu KiB", layouts[st->layout], st->l.len >> 10, st->l.buf, st->npages,
		 st->pgsz >> 10);
	emit("layout", v);
	emit("layout_verified", st->verified);
	if (st->op == OP_HINTING) {
		snprintf(v, sizeof(v), "hinting: numa_balancing=1; one op = one scan period of a "
			 "workload reading one byte of each of the %" PRIu64 " populated pages round "
			 "robin, mm->numa_scan_seq read every %" PRIu64 " touches (the scanner, "
			 "task_numa_work, runs in this thread); ns_per_op: the period's wall time; "
			 "faults_per_op: hinting faults per scan; numa_touches, numa_ns_per_touch: the "
			 "workload's progress; numa_scans (prepare to finish) may exceed nops by the "
			 "scans just outside the batch", st->npages, st->chunk);
		emit("op", v);
		/*
		 * Exact mode showed it: medians within 0.1 % at every cost, the
		 * module-timed slope 2.000 against 2 charged calls.
		 */
		emit("sweep_slope", "none: one op is one scan period, whose length the tick and "
		     "task_numa_work's throttle set, not the work in it; the charged time takes "
		     "touches from the workload (numa_ns_per_touch grows), and the module-timed "
		     "fit (callback_ns_slope) counts it");
		snprintf(v, sizeof(v), "%s %s: scan_size_mb %lu, scan_period_min_ms %lu, "
			 "scan_period_max_ms %lu, scan_delay_ms %lu; task_scan_min() period %u ms, "
			 "measured %.1f ms between scans (the 2-tick delay per scan and the 32x "
			 "runtime throttle of task_numa_work add to it); %s",
			 st->knobs_set ? "set in" : st->knob_dir[0] ? "kept (--scan-knobs keep) in" :
			 "kept (--scan-knobs keep) but unreadable, assumed the defaults",
			 st->knob_dir, st->knob_val[K_SIZE],
			 st->knob_val[K_PERIOD_MIN], st->knob_val[K_PERIOD_MAX], st->knob_val[K_DELAY],
			 st->predicted_period_ms, st->period_ns / 1e6,
			 st->mounted_debugfs ? "debugfs mounted for the run" : "");
		emit("scan_knobs", v);
		emit("scan_scope", "a second thread, blocked, keeps mm_users at 2 (a single-threaded "
		     "process's pages on its own node are never marked); task policy MPOL_BIND over all nodes (no MPOL_F_MOF: the scanner "
		     "skips every other VMA), the buffer MPOL_BIND | MPOL_F_NUMA_BALANCING: the "
		     "module's per-mm counts are the buffer's; numa_scans = mm->numa_scan_seq "
		     "increments (/proc/self/sched); numa_pte_updates and numa_hint_faults are "
		     "system-wide (/proc/vmstat), read just outside the batch");
		if (st->window_mode)
			snprintf(v, sizeof(v), "none exact: scan_size_mb %lu does not exceed the buffer, "
				 "so one pass takes several periods and numa_scans counts passes",
				 st->knob_val[K_SIZE]);
		else
			kernel_desc(st, v, sizeof(v));
		emit("prediction", v);
	} else {
		snprintf(v, sizeof(v), "migrate: one op = one %zu KiB page moved to the other node "
			 "with %s; consecutive batches take consecutive windows of the buffer, each "
			 "page going to the node it is not on; after each batch move_pages queries "
			 "where the pages are", st->pgsz >> 10, st->api == API_MBIND ?
			 "mbind(MPOL_BIND, MPOL_MF_MOVE) over the window" : "move_pages(MPOL_MF_MOVE)");
		emit("op", v);
		snprintf(v, sizeof(v), "kernel %u.%u: one CLEAR pair of %zu KiB per page migrated "
			 "(try_to_migrate_one)%s, no other event; one secondary-TLB call per page, %s",
			 st->kmajor, st->kminor, st->pgsz >> 10, st->api == API_MBIND ? " plus up to "
			 "two CLEAR of 2 MiB per mbind for the VMA splits" : "",
			 env_kernel_at_least(6, 6) ? "of the page or 0..ULONG_MAX (batched flush)" :
			 "of the page");
		emit("prediction", v);
	}
	(void)kd;
}

static const struct bench_ops numa_ops = {
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

NB_BENCHMARK(numa, numa_ops,
	     "NUMA balancing (hinting scans: invalidations and bytes per scan period, hinting "
	     "faults per page) and page migration between nodes (ns and events per page)");
