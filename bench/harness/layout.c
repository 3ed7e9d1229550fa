// SPDX-License-Identifier: GPL-2.0
/* Buffer layouts and their verification; see layout.h. */
#include "layout.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"
#include "knobs.h"

#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

const char *const layout_names[] = {
	[LAYOUT_DENSE4K] = "dense4k",
	[LAYOUT_THP] = "thp",
	[LAYOUT_SPARSE2M] = "sparse2m",
	[LAYOUT_SPARSE1G] = "sparse1g",
	[LAYOUT_SPARSE64G] = "sparse64g",
	[LAYOUT_EMPTY] = "empty",
	[LAYOUT_HUGETLB2M] = "hugetlb2m",
	[LAYOUT_HUGETLB1G] = "hugetlb1g",
	[LAYOUT_NR] = NULL,
};

size_t layout_page_size(enum layout_kind kind)
{
	switch (kind) {
	case LAYOUT_THP:
	case LAYOUT_HUGETLB2M:
		return SZ_2M;
	case LAYOUT_HUGETLB1G:
		return SZ_1G;
	default:
		return SZ_4K;
	}
}

size_t layout_granule(enum layout_kind kind)
{
	switch (kind) {
	case LAYOUT_DENSE4K:
	case LAYOUT_EMPTY:
		return SZ_4K;
	case LAYOUT_HUGETLB1G:
		return SZ_1G;
	default:
		return SZ_2M;
	}
}

bool layout_is_hugetlb(enum layout_kind kind)
{
	return kind == LAYOUT_HUGETLB2M || kind == LAYOUT_HUGETLB1G;
}

bool layout_is_dense(enum layout_kind kind)
{
	return kind == LAYOUT_DENSE4K || kind == LAYOUT_THP || layout_is_hugetlb(kind);
}

static void bit_set(uint64_t *map, size_t i)
{
	map[i / 64] |= 1ULL << (i % 64);
}

static bool bit_test(const uint64_t *map, size_t i)
{
	return map[i / 64] >> (i % 64) & 1;
}

bool layout_pmd_populated(const struct layout *l, uintptr_t addr)
{
	uintptr_t base = (uintptr_t)l->resv;

	if (addr < base || addr >= base + l->resv_len)
		return false;
	return bit_test(l->pmd_map, (addr - base) / SZ_2M);
}

bool layout_pud_populated(const struct layout *l, uintptr_t addr)
{
	uintptr_t base = (uintptr_t)l->resv;

	if (addr < base || addr >= base + l->resv_len)
		return false;
	return bit_test(l->pud_map, (addr - base) / SZ_1G);
}

/* Writes one byte per stride and records the page tables that now exist. */
static void touch(struct layout *l, size_t stride)
{
	uintptr_t base = (uintptr_t)l->resv;

	for (size_t off = 0; off < l->len; off += stride) {
		uintptr_t a = (uintptr_t)l->buf + off;

		*(volatile char *)a = 1;
		l->touched++;
		bit_set(l->pmd_map, (a - base) / SZ_2M);
		bit_set(l->pud_map, (a - base) / SZ_1G);
	}
}

uint64_t meminfo_kb(const char *key)
{
	char line[256];
	size_t klen = strlen(key);
	uint64_t v = 0;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			v = strtoull(line + klen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

uint64_t layout_mem_available(void)
{
	return meminfo_kb("MemAvailable") << 10;
}

/*
 * Sums smaps fields over the VMAs of [start, end), or (exact) over the one
 * VMA that starts at start; KernelPageSize is the largest.
 */
static void smaps_scan(uintptr_t start, uintptr_t end, bool exact, struct layout_smaps *v)
{
	char line[512];
	bool in = false;
	FILE *f = fopen("/proc/self/smaps", "re");

	memset(v, 0, sizeof(*v));
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		uintptr_t s, e;
		char name[64];
		uint64_t kb;

		/* VMA lines start with a lowercase hex address, field lines with a capital. */
		if (isxdigit((unsigned char)line[0]) && !isupper((unsigned char)line[0]) &&
		    sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &s, &e) == 2) {
			if (exact ? in : s >= end)
				break;
			in = exact ? s == start : e > start;
			v->found |= in;
			continue;
		}
		if (!in || sscanf(line, "%63[^:]: %" SCNu64, name, &kb) != 2)
			continue;
		if (!strcmp(name, "Rss"))
			v->rss_kb += kb;
		else if (!strcmp(name, "AnonHugePages"))
			v->anon_huge_kb += kb;
		else if (!strcmp(name, "KernelPageSize") && kb > v->kernel_page_kb)
			v->kernel_page_kb = kb;
		else if (!strcmp(name, "Private_Hugetlb"))
			v->private_hugetlb_kb += kb;
	}
	fclose(f);
}

void layout_smaps(uintptr_t addr, struct layout_smaps *v)
{
	smaps_scan(addr, addr + 1, true, v);
}

void layout_smaps_sum(uintptr_t start, uintptr_t end, struct layout_smaps *v)
{
	smaps_scan(start, end, false, v);
}

void layout_read_fault(char *p, size_t len)
{
	volatile char sink = 0;

	for (size_t off = 0; off < len; off += SZ_4K)
		sink += *(volatile char *)(p + off);
	(void)sink;
}

/* " (this kernel boots with pvm_no_zero_page=1)" when /proc/cmdline says so, else "". */
static const char *zero_page_hint(void)
{
	char line[4096] = "";
	FILE *f = fopen("/proc/cmdline", "re");

	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = 0;
		fclose(f);
	}
	return strstr(line, "pvm_no_zero_page=1") ? " (this kernel boots with pvm_no_zero_page=1)" : "";
}

#define PFN_MASK ((1ull << 55) - 1)
#define PM_PRESENT (1ull << 63)

int layout_verify_zero_page(const char *buf, size_t len, char *verified, size_t vlen,
			    char *reason, size_t rlen)
{
	uint64_t n = len / SZ_4K, first = 0, e[512];
	struct layout_smaps v;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(reason, rlen, "cannot open /proc/self/pagemap to see the zero page: %s",
			 strerror(errno));
		return NB_EXIT_SKIP;
	}
	/* 512 entries per read: a 64 GiB buffer is 32 Ki reads, not 16 Mi. */
	for (uint64_t i = 0; i < n; i += 512) {
		uint64_t cnt = n - i < 512 ? n - i : 512;
		off_t off = (off_t)(((uintptr_t)buf / SZ_4K + i) * sizeof(e[0]));

		if (pread(fd, e, cnt * sizeof(e[0]), off) != (ssize_t)(cnt * sizeof(e[0]))) {
			snprintf(reason, rlen, "reading /proc/self/pagemap: %s",
				 strerror(errno ? errno : EIO));
			close(fd);
			return NB_EXIT_SKIP;
		}
		if (!i)
			first = e[0] & PFN_MASK;
		for (uint64_t j = 0; j < cnt; j++) {
			if ((e[j] & PM_PRESENT) && (e[j] & PFN_MASK) == first)
				continue;
			close(fd);
			snprintf(reason, rlen, "page %" PRIu64 " of the buffer is %s%s", i + j,
				 !(e[j] & PM_PRESENT) ? "not present after a read fault" :
				 "not the zero page after a read fault (a pfn of its own)",
				 zero_page_hint());
			return NB_EXIT_SKIP;
		}
	}
	close(fd);
	layout_smaps((uintptr_t)buf, &v);
	if (v.rss_kb) {
		snprintf(reason, rlen, "smaps Rss %" PRIu64 " kB after read faults (the zero page is "
			 "not counted: expected 0)%s", v.rss_kb, zero_page_hint());
		return NB_EXIT_SKIP;
	}
	snprintf(verified, vlen, "pagemap: %" PRIu64 " pages present, one pfn (%s); smaps Rss 0 kB",
		 n, first ? "the zero page's" : "pfn hidden");
	return NB_EXIT_OK;
}

/* Reserves pages in the hugetlb pool (knobs restore it). */
static int reserve_hugetlb(size_t page, size_t need, char *reason, size_t rlen)
{
	char nr_path[128], free_path[128];
	unsigned long nr, nfree;

	snprintf(nr_path, sizeof(nr_path), KNOB_HUGETLB_FMT, page >> 10, "nr_hugepages");
	snprintf(free_path, sizeof(free_path), KNOB_HUGETLB_FMT, page >> 10, "free_hugepages");
	if (knob_read_ulong(nr_path, &nr) || knob_read_ulong(free_path, &nfree)) {
		snprintf(reason, rlen, "no hugetlb pool for %zu kB pages (%s)", page >> 10, nr_path);
		return NB_EXIT_SKIP;
	}
	if (nfree >= need)
		return NB_EXIT_OK;
	if (knob_set_ulong(nr_path, nr + need - nfree) < 0 || knob_read_ulong(free_path, &nfree) ||
	    nfree < need) {
		snprintf(reason, rlen, "could not reserve %zu hugetlb pages of %zu kB (%lu free)", need,
			 page >> 10, nfree);
		return NB_EXIT_SKIP;
	}
	return NB_EXIT_OK;
}

static int verify(struct layout *l, char *reason, size_t rlen)
{
	struct layout_smaps v;
	uint64_t len_kb = l->len >> 10;
	bool ok;

	layout_smaps((uintptr_t)l->buf, &v);
	if (!v.found) {
		snprintf(reason, rlen, "no VMA at %p in /proc/self/smaps", l->buf);
		return NB_EXIT_FAIL;
	}
	snprintf(l->verified, sizeof(l->verified),
		 "smaps: Rss %" PRIu64 " kB, AnonHugePages %" PRIu64 " kB, Private_Hugetlb %" PRIu64
		 " kB, KernelPageSize %" PRIu64 " kB",
		 v.rss_kb, v.anon_huge_kb, v.private_hugetlb_kb, v.kernel_page_kb);
	switch (l->kind) {
	case LAYOUT_DENSE4K:
		ok = v.rss_kb == len_kb && v.anon_huge_kb == 0;
		break;
	case LAYOUT_THP:
		ok = v.anon_huge_kb == len_kb;
		break;
	case LAYOUT_SPARSE2M:
	case LAYOUT_SPARSE1G:
	case LAYOUT_SPARSE64G:
	case LAYOUT_EMPTY:
		ok = v.rss_kb == l->touched * 4 && v.anon_huge_kb == 0;
		break;
	default:
		ok = v.kernel_page_kb == l->page_size >> 10 && v.private_hugetlb_kb == len_kb;
		break;
	}
	if (!ok) {
		snprintf(reason, rlen, "layout %s of %zu kB not obtained: %s", layout_names[l->kind],
			 l->len >> 10, l->verified);
		return NB_EXIT_SKIP;
	}
	return NB_EXIT_OK;
}

int layout_create(struct layout *l, enum layout_kind kind, size_t len, enum layout_align align,
		  char *reason, size_t rlen)
{
	size_t off = SZ_1G, slack, raw_len;
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, ret;
	char *raw;

	memset(l, 0, sizeof(*l));
	l->kind = kind;
	l->align = align;
	l->len = len;
	l->page_size = layout_page_size(kind);
	if (align == ALIGN_STRADDLE) {
		/* Half the buffer (up to 512 MiB, 2 MiB-aligned) below a 1 GiB boundary. */
		size_t h = len / 2 & ~(SZ_2M - 1);

		h = h < SZ_2M ? SZ_2M : h > SZ_1G / 2 ? SZ_1G / 2 : h;
		off = 2 * SZ_1G - h;
	}
	if (layout_is_dense(kind) && !layout_is_hugetlb(kind)) {
		uint64_t avail = meminfo_kb("MemAvailable") << 10;

		if (len + (512UL << 20) > avail) {
			snprintf(reason, rlen, "layout %s needs %zu MiB of RAM, %" PRIu64 " MiB available",
				 layout_names[kind], len >> 20, avail >> 20);
			return NB_EXIT_SKIP;
		}
	}
	/* Guard >= 1 GiB on each side, rounded to whole 1 GiB slots. */
	l->resv_len = (off + len + SZ_1G - 1 + SZ_1G) & ~(SZ_1G - 1);
	/*
	 * From 6.12 mprotect notifies once per 512 GiB (PGD-level) chunk: a region
	 * that ASLR happens to put across such a boundary gets two ranges in one
	 * run and one in the next. Start the reservation at a 512 GiB boundary when
	 * it fits in one chunk (address space only: PROT_NONE, NORESERVE).
	 */
	slack = l->resv_len <= SZ_512G ? SZ_512G : SZ_1G;
	raw_len = l->resv_len + slack;
	raw = mmap(NULL, raw_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED && slack == SZ_512G) {
		slack = SZ_1G;	/* e.g. under ulimit -v: 1 GiB alignment only */
		raw_len = l->resv_len + slack;
		raw = mmap(NULL, raw_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			   -1, 0);
	}
	if (raw == MAP_FAILED) {
		snprintf(reason, rlen, "cannot reserve %zu GiB of address space: %s", raw_len >> 30,
			 strerror(errno));
		return NB_EXIT_SKIP;
	}
	l->resv = (char *)(((uintptr_t)raw + slack - 1) & ~(slack - 1));
	if (l->resv > raw)
		munmap(raw, l->resv - raw);
	if (raw + raw_len > l->resv + l->resv_len)
		munmap(l->resv + l->resv_len, raw + raw_len - (l->resv + l->resv_len));
	l->buf = l->resv + off;
	l->pmd_map = calloc(l->resv_len / SZ_2M / 64 + 1, sizeof(uint64_t));
	l->pud_map = calloc(l->resv_len / SZ_1G / 64 + 1, sizeof(uint64_t));
	if (!l->pmd_map || !l->pud_map) {
		snprintf(reason, rlen, "out of memory");
		ret = NB_EXIT_FAIL;
		goto fail;
	}

	if (layout_is_hugetlb(kind)) {
		ret = reserve_hugetlb(l->page_size, len / l->page_size, reason, rlen);
		if (ret)
			goto fail;
		flags |= MAP_HUGETLB | (kind == LAYOUT_HUGETLB1G ? 30 : 21) << MAP_HUGE_SHIFT;
	} else {
		flags |= MAP_NORESERVE;
	}
	if (mmap(l->buf, len, PROT_READ | PROT_WRITE, flags, -1, 0) == MAP_FAILED) {
		snprintf(reason, rlen, "mmap of %zu MiB for layout %s: %s", len >> 20,
			 layout_names[kind], strerror(errno));
		ret = NB_EXIT_SKIP;
		goto fail;
	}

	switch (kind) {
	case LAYOUT_THP: {
		char mode[32];

		if (knob_read(KNOB_THP_ENABLED, mode, sizeof(mode)) == 0 && !strcmp(mode, "never") &&
		    knob_set(KNOB_THP_ENABLED, "madvise") < 0) {
			snprintf(reason, rlen, "THP is disabled and " KNOB_THP_ENABLED " cannot be set");
			ret = NB_EXIT_SKIP;
			goto fail;
		}
		if (madvise(l->buf, len, MADV_HUGEPAGE)) {
			snprintf(reason, rlen, "MADV_HUGEPAGE: %s", strerror(errno));
			ret = NB_EXIT_SKIP;
			goto fail;
		}
		touch(l, SZ_2M);
		/* Fragmented memory may have given 4 KiB pages: try to collapse them. */
		if (verify(l, reason, rlen) != NB_EXIT_OK)
			madvise(l->buf, len, MADV_COLLAPSE);
		break;
	}
	case LAYOUT_HUGETLB2M:
	case LAYOUT_HUGETLB1G:
		touch(l, l->page_size);
		break;
	default:
		/* 4 KiB mappings only: no THP may fill a 2 MiB slot. */
		madvise(l->buf, len, MADV_NOHUGEPAGE);
		if (kind == LAYOUT_DENSE4K)
			touch(l, SZ_4K);
		else if (kind == LAYOUT_SPARSE2M)
			touch(l, SZ_2M);
		else if (kind == LAYOUT_SPARSE1G)
			touch(l, SZ_1G);
		else if (kind == LAYOUT_SPARSE64G)
			touch(l, SZ_64G);
		break;
	}
	ret = verify(l, reason, rlen);
	if (ret)
		goto fail;
	return NB_EXIT_OK;
fail:
	layout_destroy(l);
	return ret;
}

void layout_destroy(struct layout *l)
{
	if (l->resv)
		munmap(l->resv, l->resv_len);
	free(l->pmd_map);
	free(l->pud_map);
	l->resv = l->buf = NULL;
	l->pmd_map = l->pud_map = NULL;
}
