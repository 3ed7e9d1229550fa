/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Benchmark buffers with a known page-table shape, verified after they are
 * built (smaps of the buffer's VMA). The buffer sits inside a reservation
 * (PROT_NONE, never touched) that starts 1 GiB-aligned and leaves at least
 * 1 GiB of guard on both sides: the page-table pages covering the buffer's
 * 1 GiB slots hold nothing but the buffer, so which PMD and PUD entries are
 * populated is known exactly (bitmaps below).
 */
#ifndef NB_LAYOUT_H
#define NB_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SZ_4K	(4096UL)
#define SZ_2M	(2UL << 20)
#define SZ_1G	(1UL << 30)
#define SZ_64G	(64UL << 30)
#define SZ_512G	(512UL << 30)

enum layout_kind {
	LAYOUT_DENSE4K,		/* every 4 KiB page touched, MADV_NOHUGEPAGE */
	LAYOUT_THP,		/* MADV_HUGEPAGE, every 2 MiB a PMD-mapped THP */
	LAYOUT_SPARSE2M,	/* one 4 KiB page per 2 MiB of the buffer */
	LAYOUT_SPARSE1G,	/* one 4 KiB page per 1 GiB of the buffer */
	LAYOUT_SPARSE64G,	/* one 4 KiB page per 64 GiB: a VM's mostly empty memory */
	LAYOUT_EMPTY,		/* reserved, never touched */
	LAYOUT_HUGETLB2M,	/* MAP_HUGETLB | MAP_HUGE_2MB, every page touched */
	LAYOUT_HUGETLB1G,	/* MAP_HUGETLB | MAP_HUGE_1GB, every page touched */
	LAYOUT_NR
};

/* Names, indexed by enum layout_kind, NULL-terminated (an OPT_CHOICE list). */
extern const char *const layout_names[];

enum layout_align {
	ALIGN_1G,		/* the buffer starts 1 GiB-aligned */
	ALIGN_STRADDLE,		/* the buffer straddles a 1 GiB boundary */
};

struct layout {
	enum layout_kind kind;
	enum layout_align align;
	char *buf;
	size_t len;
	char *resv;			/* 1 GiB-aligned reservation holding buf */
	size_t resv_len;
	uint64_t *pmd_map;		/* bit per 2 MiB slot of resv: PMD entry populated */
	uint64_t *pud_map;		/* bit per 1 GiB slot of resv: PUD entry populated */
	size_t page_size;		/* size of the mappings obtained */
	uint64_t touched;		/* pages touched */
	char verified[256];		/* what smaps said */
};

/* Granularity the size must be a multiple of. */
size_t layout_granule(enum layout_kind kind);
/* Page size of a layout's mappings (4 KiB for sparse and empty). */
size_t layout_page_size(enum layout_kind kind);
bool layout_is_hugetlb(enum layout_kind kind);
/* Whether the layout needs RAM for its whole length. */
bool layout_is_dense(enum layout_kind kind);

/*
 * Builds the layout (reserving hugetlb pages and setting THP through knobs
 * when needed), touches it and verifies it. NB_EXIT_OK, NB_EXIT_SKIP (could
 * not be obtained) or NB_EXIT_FAIL, with the reason.
 */
int layout_create(struct layout *l, enum layout_kind kind, size_t len, enum layout_align align,
		  char *reason, size_t rlen);
void layout_destroy(struct layout *l);

/* smaps fields of the VMA that starts at addr (found = false when there is none). */
struct layout_smaps {
	bool found;
	uint64_t rss_kb, anon_huge_kb, kernel_page_kb, private_hugetlb_kb;
};
void layout_smaps(uintptr_t addr, struct layout_smaps *v);
/*
 * The same fields summed over every VMA that overlaps [start, end)
 * (kernel_page_kb: the largest seen), whole VMAs: the caller keeps other
 * memory out of the range (e.g. a PROT_NONE guard around it). found = false
 * when no VMA overlaps.
 */
void layout_smaps_sum(uintptr_t start, uintptr_t end, struct layout_smaps *v);
/* MemAvailable from /proc/meminfo, in bytes (0 if unreadable). */
uint64_t layout_mem_available(void);

/* Page-table state inside the reservation (false outside it). */
bool layout_pmd_populated(const struct layout *l, uintptr_t addr);
bool layout_pud_populated(const struct layout *l, uintptr_t addr);

/* Read-faults one byte of every 4 KiB page of [p, p + len). */
void layout_read_fault(char *p, size_t len);
/*
 * Whether the read faults just taken on [buf, buf + len) mapped the shared
 * zero page: every page present on one pfn (pagemap) and smaps Rss 0 for the
 * VMA that starts at buf (the zero page is not counted; the VMA must hold
 * nothing else). Some hosts never map it (pvm_no_zero_page=1: a read fault
 * maps a private page of its own). NB_EXIT_OK with what was seen in
 * verified, or NB_EXIT_SKIP with the reason (no prefix: the caller adds what
 * needed the zero page).
 */
int layout_verify_zero_page(const char *buf, size_t len, char *verified, size_t vlen,
			    char *reason, size_t rlen);

/* A /proc/meminfo field in kB, 0 when absent. */
uint64_t meminfo_kb(const char *key);

#endif /* NB_LAYOUT_H */
