// SPDX-License-Identifier: GPL-2.0
/*
 * mprotect: the cost of changing a region's protection, and the notifier
 * ranges it produces. One op toggles the region RW -> RO -> RW (two mprotect
 * calls), or walks it in 4K/2M/1G chunks (RO over every chunk, then RW over
 * every chunk).
 *
 * The check: with the kmod backend counting START (or INTERVAL), each op
 * must produce exactly the PROTECTION_VMA ranges the running kernel
 * predicts (commit 7f06e3aa2e83 "mm/mprotect: push mmu notifier to PUDs", v6.12):
 *   PMD (<= 6.11, or a kernel declaring the trait mprotect_notify=pmd, like
 *            patches/6.12/revert-pud-notifier.patch): per call, one pair per
 *            1 GiB chunk of the range that holds a populated PMD entry, from
 *            the first such PMD to the chunk end;
 *   PUD (>= 6.12 without that trait, or mprotect_notify=pud): one pair per
 *            512 GiB chunk holding a non-empty PUD entry, from the first
 *            such PUD to the chunk end;
 *   hugetlb: one pair per VMA, populated or not, over the whole range.
 * The layout (bench/harness/layout.c) says which entries are populated. With the
 * kvm backend and the kvm:kvm_unmap_hva_range tracepoint, KVM must have seen
 * at least that many invalidations: the tracepoint does not name the event,
 * and a 4K walk adds 2 CLEAR pairs of 2 MiB per 2 MiB walked (seen with kmod
 * on 6.1 and 6.12, and on the host's 6.18 through KVM; most likely the VMA
 * split's split_huge_pmd_address(), which notifies before it looks for a
 * huge PMD). Only PROTECTION_VMA is predicted.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bench.h"
#include "env.h"
#include "layout.h"
#include "nbdev.h"

enum { O_SIZE, O_LAYOUT, O_ALIGN, O_OP, O_NR };
enum { OP_TOGGLE, OP_WALK4K, OP_WALK2M, OP_WALK1G };

static const char *const aligns[] = { "1g", "straddle", NULL };
static const char *const ops[] = { "toggle", "walk4k", "walk2m", "walk1g", NULL };
static const size_t op_chunk[] = { 0, SZ_4K, SZ_2M, SZ_1G };

#define MAX_CHUNKS (1u << 18)
#define MAX_RANGES NB_RING_SIZE	/* ranges of the last op kept for the ring check */

static const struct bench_opt opts[O_NR] = {
	[O_SIZE] = { "size", OPT_SIZE, "2M", NULL, SZ_4K, 1ull << 40,
		     "region size, 4K..1T (K/M/G/T suffixes); a multiple of the layout's page "
		     "(4K: dense4k, empty; 2M: thp, sparse*, hugetlb2m; 1G: hugetlb1g)" },
	[O_LAYOUT] = { "layout", OPT_CHOICE, "dense4k", layout_names, 0, 0,
		       "what backs the region: dense4k (every 4K page), thp (PMD-mapped THPs), "
		       "sparse2m / sparse1g / sparse64g (one 4K page per 2 MiB / 1 GiB / 64 GiB: the "
		       "last a VM's mostly empty memory), empty (untouched), "
		       "hugetlb2m, hugetlb1g" },
	[O_ALIGN] = { "align", OPT_CHOICE, "1g", aligns, 0, 0,
		      "1g: the region starts 1 GiB-aligned; straddle: it crosses a 1 GiB boundary "
		      "(half of it, up to 512 MiB, below)" },
	[O_OP] = { "op", OPT_CHOICE, "toggle", ops, 0, 0,
		   "toggle: mprotect the whole region RO then RW; walkN: RO over every N-sized "
		   "chunk, then RW over every chunk" },
};

enum model { MODEL_PMD, MODEL_PUD, MODEL_HUGETLB };
static const char *const model_desc[] = {
	[MODEL_PMD] = "one pair per 1 GiB chunk holding a populated PMD",
	[MODEL_PUD] = "one pair per 512 GiB chunk holding a non-empty PUD",
	[MODEL_HUGETLB] = "hugetlb: one pair per VMA per call",
};

struct range {
	uintptr_t start, end;
};

struct mp_state {
	struct layout l;
	int op;
	size_t chunk;			/* 0: toggle */
	enum model model;
	const char *basis;		/* of the PMD/PUD model: by trait or by version */
	unsigned int kmajor, kminor;
	uint64_t pairs_per_op, bytes_per_op;
	struct range last[MAX_RANGES];	/* ranges of one op's last calls, in order */
	unsigned int nlast;
};

static int validate(const struct bench_val *o, char *msg, size_t len)
{
	int layout = o[O_LAYOUT].choice, op = o[O_OP].choice;
	size_t size = o[O_SIZE].u, g = layout_granule(layout), chunk = op_chunk[op];

	if (size % g) {
		snprintf(msg, len, "--size %s is not a multiple of %zu KiB (the page of --layout %s)",
			 o[O_SIZE].str, g >> 10, layout_names[layout]);
		return NB_EXIT_USAGE;
	}
	if (o[O_ALIGN].choice == 1 && (size < 2 * SZ_2M || layout == LAYOUT_HUGETLB1G)) {
		snprintf(msg, len, "--align straddle needs --size >= 4M and a layout whose pages "
			 "are smaller than 1 GiB (got --size %s --layout %s)", o[O_SIZE].str,
			 layout_names[layout]);
		return NB_EXIT_USAGE;
	}
	if (chunk) {
		if (chunk < layout_page_size(layout)) {
			snprintf(msg, len, "--op %s over --layout %s would split its %zu KiB pages "
				 "(hugetlb refuses, THP splits): use a chunk of at least the page size",
				 ops[op], layout_names[layout], layout_page_size(layout) >> 10);
			return NB_EXIT_USAGE;
		}
		if (size % chunk) {
			snprintf(msg, len, "--size %s is not a multiple of the --op %s chunk",
				 o[O_SIZE].str, ops[op]);
			return NB_EXIT_USAGE;
		}
		if (size / chunk > MAX_CHUNKS) {
			snprintf(msg, len, "--op %s over --size %s is %zu chunks (2 mprotect calls "
				 "each) per op; at most %u: use a larger chunk or a smaller size",
				 ops[op], o[O_SIZE].str, size / chunk, MAX_CHUNKS);
			return NB_EXIT_USAGE;
		}
	}
	return NB_EXIT_OK;
}

/* The PROTECTION_VMA ranges the kernel notifies for mprotect of [s, e). */
static unsigned int predict_call(const struct mp_state *st, uintptr_t s, uintptr_t e,
				 struct range *out, unsigned int max, uint64_t *bytes)
{
	size_t outer = st->model == MODEL_PMD ? SZ_1G : SZ_512G;
	size_t inner = st->model == MODEL_PMD ? SZ_2M : SZ_1G;
	unsigned int n = 0;

	if (st->model == MODEL_HUGETLB) {
		if (max)
			out[0] = (struct range){ s, e };
		*bytes += e - s;
		return 1;
	}
	for (uintptr_t c = s & ~(outer - 1); c < e; c += outer) {
		uintptr_t ss = c > s ? c : s, se = c + outer < e ? c + outer : e;

		for (uintptr_t a = ss; a < se; a = (a + inner) & ~(inner - 1)) {
			bool pop = st->model == MODEL_PMD ? layout_pmd_populated(&st->l, a) :
							    layout_pud_populated(&st->l, a);

			if (!pop)
				continue;
			if (n < max)
				out[n] = (struct range){ a, se };
			n++;
			*bytes += se - a;
			break;
		}
	}
	return n;
}

/* Pairs and bytes of one op; the last MAX_RANGES ranges kept. */
static void predict_op(struct mp_state *st)
{
	uintptr_t b = (uintptr_t)st->l.buf;
	size_t len = st->l.len, step = st->chunk ? st->chunk : len;
	struct range tmp[MAX_RANGES];

	st->pairs_per_op = st->bytes_per_op = 0;
	st->nlast = 0;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t off = 0; off < len; off += step) {
			unsigned int n = predict_call(st, b + off, b + off + step, tmp, MAX_RANGES,
						      &st->bytes_per_op);

			st->pairs_per_op += n;
			for (unsigned int i = 0; i < n && i < MAX_RANGES; i++) {
				if (st->nlast == MAX_RANGES) {
					memmove(st->last, st->last + 1, (MAX_RANGES - 1) * sizeof(*tmp));
					st->nlast--;
				}
				st->last[st->nlast++] = tmp[i];
			}
		}
	}
}

static int setup(struct bench_ctx *ctx, void **state)
{
	const struct bench_val *o = ctx->opt;
	struct mp_state *st = calloc(1, sizeof(*st));
	int ret;

	if (!st) {
		snprintf(ctx->reason, sizeof(ctx->reason), "out of memory");
		return NB_EXIT_FAIL;
	}
	st->op = o[O_OP].choice;
	st->chunk = op_chunk[st->op];
	env_kernel_version(&st->kmajor, &st->kminor);
	ret = layout_create(&st->l, o[O_LAYOUT].choice, o[O_SIZE].u, o[O_ALIGN].choice,
			    ctx->reason, sizeof(ctx->reason));
	if (ret) {
		free(st);
		return ret;
	}
	if (layout_is_hugetlb(st->l.kind))
		st->model = MODEL_HUGETLB;
	else
		st->model = env_mprotect_notify_pud(&st->basis) ? MODEL_PUD : MODEL_PMD;
	predict_op(st);
	ctx->buf = st->l.buf;
	ctx->len = st->l.len;
	ctx->op_unit = st->chunk ? "walk" : "toggle";
	ctx->call_unit = "mprotect";
	ctx->calls_per_op = st->chunk ? 2 * (st->l.len / st->chunk) : 2;
	*state = st;
	return NB_EXIT_OK;
}

static int run(void *state, uint64_t nops)
{
	struct mp_state *st = state;
	char *b = st->l.buf;
	size_t len = st->l.len, step = st->chunk ? st->chunk : len;

	for (uint64_t i = 0; i < nops; i++) {
		for (size_t off = 0; off < len; off += step)
			if (mprotect(b + off, step, PROT_READ))
				return -errno;
		for (size_t off = 0; off < len; off += step)
			if (mprotect(b + off, step, PROT_READ | PROT_WRITE))
				return -errno;
	}
	return 0;
}

static void teardown(void *state)
{
	struct mp_state *st = state;

	layout_destroy(&st->l);
	free(st);
}

static const char *kernel_desc(const struct mp_state *st, char *buf, size_t len)
{
	if (st->model == MODEL_HUGETLB)
		snprintf(buf, len, "kernel %u.%u, %s", st->kmajor, st->kminor, model_desc[st->model]);
	else
		snprintf(buf, len, "kernel %u.%u, %s: %s", st->kmajor, st->kminor, st->basis,
			 model_desc[st->model]);
	return buf;
}

static int check(void *state, const struct bench_counters *c, char *msg, size_t len)
{
	struct mp_state *st = state;
	uint64_t want = c->nops * st->pairs_per_op, want_bytes = c->nops * st->bytes_per_op;
	char kd[160];

	if (c->nb) {
		const struct nb_attach *a = c->nb_attach;
		unsigned int cb = nb_main_callback(a);
		uint64_t k = a->nr_subscribers, got, got_bytes;
		unsigned int seen = 0;

		if (!(a->callbacks & NB_CB_BIT(cb)))
			return NB_EXIT_OK;	/* nothing counted that the prediction covers */
		got = c->nb->cell[cb][NB_EV_PROTECTION_VMA].calls;
		got_bytes = c->nb->cell[cb][NB_EV_PROTECTION_VMA].bytes;
		if (got != want * k || got_bytes != want_bytes * k) {
			snprintf(msg, len, "%s PROTECTION_VMA calls per op %.3f (%.0f bytes), predicted "
				 "%" PRIu64 " (%" PRIu64 " bytes) by %s", nb_callback_name(cb),
				 (double)got / (double)k / (double)c->nops,
				 (double)got_bytes / (double)k / (double)c->nops, st->pairs_per_op,
				 st->bytes_per_op, kernel_desc(st, kd, sizeof(kd)));
			return NB_EXIT_FAIL;
		}
		if ((a->callbacks & NB_CB_BIT(NB_CB_END)) && cb == NB_CB_START &&
		    c->nb->cell[NB_CB_END][NB_EV_PROTECTION_VMA].calls != got) {
			snprintf(msg, len, "end PROTECTION_VMA calls %" PRIu64 " != start calls %" PRIu64,
				 (uint64_t)c->nb->cell[NB_CB_END][NB_EV_PROTECTION_VMA].calls, got);
			return NB_EXIT_FAIL;
		}
		/* The ring: the last op's ranges, newest last, must be the predicted ones. */
		if (!c->ring_n || st->nlast == 0 || st->pairs_per_op > MAX_RANGES / 2)
			return NB_EXIT_OK;
		for (int i = (int)c->ring_n - 1; i >= 0 && seen < st->nlast; i--) {
			const struct nb_ring_entry *e = &c->ring[i];
			const struct range *p = &st->last[st->nlast - 1 - seen];

			if (e->callback != cb || e->event != NB_EV_PROTECTION_VMA)
				continue;
			if (e->start != p->start || e->end != p->end) {
				snprintf(msg, len, "ring entry %d: range %#" PRIx64 "-%#" PRIx64
					 " (%" PRIu64 " KiB), predicted %#lx-%#lx (%lu KiB) by %s", i,
					 (uint64_t)e->start, (uint64_t)e->end,
					 (uint64_t)(e->end - e->start) >> 10, (unsigned long)p->start,
					 (unsigned long)p->end, (unsigned long)(p->end - p->start) >> 10,
					 kernel_desc(st, kd, sizeof(kd)));
				return NB_EXIT_FAIL;
			}
			seen++;
		}
		return NB_EXIT_OK;
	}
	/* The tracepoint does not tell events apart: other invalidations may add to it. */
	if (c->kvm && c->kvm_unmap_hva_range >= 0 && (uint64_t)c->kvm_unmap_hva_range < want) {
		snprintf(msg, len, "kvm:kvm_unmap_hva_range per op %.3f, fewer than the %" PRIu64
			 " PROTECTION_VMA pairs predicted by %s",
			 (double)c->kvm_unmap_hva_range / (double)c->nops, st->pairs_per_op,
			 kernel_desc(st, kd, sizeof(kd)));
		return NB_EXIT_FAIL;
	}
	return NB_EXIT_OK;
}

static void describe(void *state, void (*emit)(const char *key, const char *value))
{
	struct mp_state *st = state;
	char v[512], kd[160];

	uintptr_t first = (uintptr_t)st->l.buf, last = first + st->l.len - 1;

	snprintf(v, sizeof(v), "%s, %zu KiB at %p (%s, %s), reservation %p + %zu MiB, %" PRIu64
		 " pages touched", layout_names[st->l.kind], st->l.len >> 10, st->l.buf,
		 st->l.align == ALIGN_1G ? "1 GiB-aligned" : "straddling a 1 GiB boundary",
		 first / SZ_512G == last / SZ_512G ? "inside one 512 GiB chunk" :
		 "across 512 GiB chunks", st->l.resv, st->l.resv_len >> 20, st->l.touched);
	emit("layout", v);
	emit("layout_verified", st->l.verified);
	snprintf(v, sizeof(v), "%s, chunk %zu KiB, %" PRIu64 " mprotect calls per op",
		 ops[st->op], (st->chunk ? st->chunk : st->l.len) >> 10,
		 st->chunk ? 2 * (st->l.len / st->chunk) : 2);
	emit("op", v);
	snprintf(v, sizeof(v), "%" PRIu64 " PROTECTION_VMA pairs and %" PRIu64 " bytes per op (%s)",
		 st->pairs_per_op, st->bytes_per_op, kernel_desc(st, kd, sizeof(kd)));
	emit("prediction", v);
}

static const struct bench_ops mprotect_ops = {
	.opts = opts,
	.nr_opts = O_NR,
	.validate = validate,
	.setup = setup,
	.run = run,
	.teardown = teardown,
	.check = check,
	.describe = describe,
};

NB_BENCHMARK(mprotect, mprotect_ops,
	     "mprotect toggle/walk of 4K, THP, sparse, empty and hugetlb regions; "
	     "notifier ranges per call (PMD vs PUD level)");
