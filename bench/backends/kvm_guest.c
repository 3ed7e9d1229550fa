// SPDX-License-Identifier: GPL-2.0
/* The kvm backend's guest (kvm_guest.h). */
#include "kvm_guest.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* The guest is x86-64 code set up in long mode (CPUID, page tables, sregs). */
#ifdef __x86_64__

#define PAGE 4096UL
#define GIB (1UL << 30)
#define CTL_SLOT 1
#define PG_P 0x1ull
#define PG_RW 0x2ull
#define PG_PS 0x80ull

/*
 * rsi = the range list ({ u64 gpa, u64 pages } each), rcx = ranges:
 *	loop:	test %rcx,%rcx; jz done; mov (%rsi),%rdi; mov 8(%rsi),%rdx
 *	inner:	test %rdx,%rdx; jz next; mov (%rdi),%rax; add $0x1000,%rdi
 *		dec %rdx; jmp inner
 *	next:	add $16,%rsi; dec %rcx; jmp loop
 *	done:	hlt; jmp done
 */
static const unsigned char code[] = {
	0x48, 0x85, 0xc9, 0x74, 0x24, 0x48, 0x8b, 0x3e, 0x48, 0x8b, 0x56, 0x08,
	0x48, 0x85, 0xd2, 0x74, 0x0f, 0x48, 0x8b, 0x07, 0x48, 0x81, 0xc7, 0x00,
	0x10, 0x00, 0x00, 0x48, 0xff, 0xca, 0xeb, 0xec, 0x48, 0x83, 0xc6, 0x10,
	0x48, 0xff, 0xc9, 0xeb, 0xd7, 0xf4, 0xeb, 0xfd,
};

/* ctl: page 0 the PML4, page 1 the PDPT (1 GiB pages), page 2 the code, then the list. */
enum { CTL_PML4, CTL_PDPT, CTL_CODE, CTL_LIST };

/* Appends page i (resident) to the runs r[0..*n) ({ gpa, pages } pairs). false: ENOMEM. */
static bool add_page(uint64_t **r, size_t *n, size_t *cap, size_t i)
{
	uint64_t *t;

	if (*n && (*r)[2 * (*n - 1)] + (*r)[2 * (*n - 1) + 1] * PAGE == i * PAGE) {
		(*r)[2 * (*n - 1) + 1]++;
		return true;
	}
	if (*n == *cap) {
		t = realloc(*r, (*cap = 2 * *cap + 16) * 2 * sizeof(**r));
		if (!t)
			return false;
		*r = t;
	}
	(*r)[2 * *n] = i * PAGE;
	(*r)[2 * *n + 1] = 1;
	(*n)++;
	return true;
}

/*
 * Runs of resident pages of buf as { gpa, pages } pairs; NULL with errno.
 * mincore a GiB at a time: a 64 GiB sparse buffer needs no 16 MiB vector.
 */
static uint64_t *resident_ranges(void *buf, size_t len, uint64_t *nranges, uint64_t *pages)
{
	size_t per = GIB / PAGE, n = 0, cap = 0;
	unsigned char *vec = malloc(per);
	uint64_t *r = NULL;

	*pages = 0;
	if (!vec)
		return NULL;
	for (size_t off = 0; off < len; off += GIB) {
		size_t chunk = len - off < GIB ? len - off : GIB;

		if (mincore((char *)buf + off, chunk, vec))
			goto fail;
		for (size_t i = 0; i < chunk / PAGE; i++) {
			if (!(vec[i] & 1))
				continue;
			if (!add_page(&r, &n, &cap, off / PAGE + i))
				goto fail;
			(*pages)++;
		}
	}
	free(vec);
	*nranges = n;
	return r ? r : malloc(1);	/* nothing resident: an empty list */
fail:
	free(vec);
	free(r);
	return NULL;
}

static int set_cpuid(struct kvm_guest *g, int kvm_fd, char *why, size_t wlen)
{
	struct kvm_cpuid2 *c = NULL;
	int nent = 64, ret = -1;
	bool lm = false, gb = false;

	for (;;) {
		free(c);
		c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));
		if (!c)
			return snprintf(why, wlen, "out of memory"), -1;
		c->nent = nent;
		if (!ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c))
			break;
		if (errno != E2BIG || nent >= 4096) {
			snprintf(why, wlen, "KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
			goto out;
		}
		nent *= 2;
	}
	for (unsigned int i = 0; i < c->nent; i++)
		if (c->entries[i].function == 0x80000001) {
			lm = c->entries[i].edx & (1u << 29);
			gb = c->entries[i].edx & (1u << 26);
		}
	if (!lm || !gb) {
		snprintf(why, wlen, "KVM offers the guest no %s", !lm ? "long mode" : "1 GiB pages");
		ret = KVM_GUEST_CANNOT;
		goto out;
	}
	if (ioctl(g->vcpu_fd, KVM_SET_CPUID2, c)) {
		snprintf(why, wlen, "KVM_SET_CPUID2: %s", strerror(errno));
		goto out;
	}
	ret = 0;
out:
	free(c);
	return ret;
}

/* 64-bit mode, paging through the identity map in ctl. */
static int set_long_mode(struct kvm_guest *g, char *why, size_t wlen)
{
	struct kvm_sregs s;
	struct kvm_segment seg = {
		.base = 0, .limit = 0xffffffff, .selector = 1 << 3, .present = 1, .type = 11,
		.dpl = 0, .db = 0, .s = 1, .l = 1, .g = 1,
	};

	if (ioctl(g->vcpu_fd, KVM_GET_SREGS, &s))
		return snprintf(why, wlen, "KVM_GET_SREGS: %s", strerror(errno)), -1;
	s.cr3 = g->ctl_gpa + CTL_PML4 * PAGE;
	s.cr4 = 1u << 5;				/* PAE */
	s.cr0 = 1u | 1u << 4 | 1u << 5 | 1u << 31;	/* PE, ET, NE, PG */
	s.efer = 1u << 8 | 1u << 10;			/* LME, LMA */
	s.cs = seg;
	seg.type = 3;
	seg.selector = 2 << 3;
	seg.l = 0;
	seg.db = 1;
	s.ds = s.es = s.fs = s.gs = s.ss = seg;
	if (ioctl(g->vcpu_fd, KVM_SET_SREGS, &s))
		return snprintf(why, wlen, "KVM_SET_SREGS: %s", strerror(errno)), -1;
	return 0;
}

int kvm_guest_create(struct kvm_guest *g, int kvm_fd, int vm_fd, void *buf, size_t len,
		     char *why, size_t wlen)
{
	struct kvm_userspace_memory_region r = { .slot = CTL_SLOT };
	uint64_t *list, *pt;
	int run_len, ret = -1;

	memset(g, 0, sizeof(*g));
	g->vcpu_fd = -1;
	g->ctl_gpa = (len + GIB - 1) & ~(GIB - 1);
	/* One PDPT of 1 GiB pages maps 512 GiB: the buffer and ctl (< 1 GiB) must fit. */
	if (g->ctl_gpa + GIB > 512 * GIB)
		return snprintf(why, wlen, "a %zu GiB buffer is beyond the guest's 512 GiB identity "
				"map", len >> 30), KVM_GUEST_CANNOT;
	list = resident_ranges(buf, len, &g->nranges, &g->pages);
	if (!list)
		return snprintf(why, wlen, "mincore over the buffer: %s", strerror(errno)), -1;
	g->ctl_len = CTL_LIST * PAGE + ((g->nranges * 16 + PAGE - 1) & ~(PAGE - 1));
	if (g->ctl_len > GIB) {
		free(list);
		return snprintf(why, wlen, "%" PRIu64 " runs of resident pages: the list is over "
				"1 GiB", g->nranges), KVM_GUEST_CANNOT;
	}
	g->ctl = mmap(NULL, g->ctl_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->ctl == MAP_FAILED) {
		g->ctl = NULL;
		free(list);
		return snprintf(why, wlen, "mmap: %s", strerror(errno)), -1;
	}
	pt = g->ctl;
	pt[CTL_PML4 * PAGE / 8] = g->ctl_gpa + CTL_PDPT * PAGE + (PG_P | PG_RW);
	for (uint64_t i = 0; i * GIB < g->ctl_gpa + g->ctl_len; i++)
		pt[CTL_PDPT * PAGE / 8 + i] = i * GIB + (PG_P | PG_RW | PG_PS);
	memcpy((char *)g->ctl + CTL_CODE * PAGE, code, sizeof(code));
	memcpy((char *)g->ctl + CTL_LIST * PAGE, list, g->nranges * 16);
	free(list);
	r.guest_phys_addr = g->ctl_gpa;
	r.memory_size = g->ctl_len;
	r.userspace_addr = (uintptr_t)g->ctl;
	if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &r)) {
		snprintf(why, wlen, "KVM_SET_USER_MEMORY_REGION (slot %d): %s", CTL_SLOT,
			 strerror(errno));
		goto fail;
	}
	g->vcpu_fd = ioctl(vm_fd, KVM_CREATE_VCPU, 0);
	run_len = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (g->vcpu_fd < 0 || run_len <= 0) {
		snprintf(why, wlen, "KVM_CREATE_VCPU: %s", strerror(errno));
		goto fail;
	}
	g->run_len = (size_t)run_len;
	g->run = mmap(NULL, g->run_len, PROT_READ | PROT_WRITE, MAP_SHARED, g->vcpu_fd, 0);
	if (g->run == MAP_FAILED) {
		g->run = NULL;
		snprintf(why, wlen, "mmap of kvm_run: %s", strerror(errno));
		goto fail;
	}
	ret = set_cpuid(g, kvm_fd, why, wlen);
	if (!ret && set_long_mode(g, why, wlen))
		ret = -1;
	if (!ret)
		return 0;
fail:
	kvm_guest_destroy(g);
	return ret;
}

int kvm_guest_pass(struct kvm_guest *g, uint64_t *ns, char *why, size_t wlen)
{
	struct kvm_regs regs = {
		.rflags = 2,
		.rip = g->ctl_gpa + CTL_CODE * PAGE,
		.rsi = g->ctl_gpa + CTL_LIST * PAGE,
		.rcx = g->nranges,
	};
	uint64_t t0;

	if (ioctl(g->vcpu_fd, KVM_SET_REGS, &regs))
		return snprintf(why, wlen, "KVM_SET_REGS: %s", strerror(errno)), -1;
	t0 = now_ns();
	for (;;) {
		if (ioctl(g->vcpu_fd, KVM_RUN, 0)) {
			if (errno == EINTR)
				continue;
			return snprintf(why, wlen, "KVM_RUN: %s", strerror(errno)), -1;
		}
		if (g->run->exit_reason == KVM_EXIT_HLT)
			break;
		if (g->run->exit_reason != KVM_EXIT_INTR)
			return snprintf(why, wlen, "KVM_RUN: exit reason %u, wanted HLT (%u)",
					g->run->exit_reason, KVM_EXIT_HLT), -1;
	}
	*ns = now_ns() - t0;
	return 0;
}

#else

int kvm_guest_create(struct kvm_guest *g, int kvm_fd, int vm_fd, void *buf, size_t len,
		     char *why, size_t wlen)
{
	(void)kvm_fd, (void)vm_fd, (void)buf, (void)len;
	memset(g, 0, sizeof(*g));
	g->vcpu_fd = -1;
	snprintf(why, wlen, "the guest is x86-64 code (long mode, CPUID): none for this "
		 "architecture, so the secondary page table stays empty");
	return KVM_GUEST_CANNOT;
}

int kvm_guest_pass(struct kvm_guest *g, uint64_t *ns, char *why, size_t wlen)
{
	(void)g, (void)ns;
	snprintf(why, wlen, "no guest for this architecture");
	return -1;
}

#endif

void kvm_guest_destroy(struct kvm_guest *g)
{
	if (g->run)
		munmap(g->run, g->run_len);
	if (g->vcpu_fd >= 0)
		close(g->vcpu_fd);
	if (g->ctl)
		munmap(g->ctl, g->ctl_len);
	memset(g, 0, sizeof(*g));
	g->vcpu_fd = -1;
}
