/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kvm backend's tiny guest: one vCPU in 64-bit mode that reads one word
 * of every page of the benchmark buffer the host has populated, then halts.
 * Run after prepare() it fills KVM's secondary page table (EPT/NPT) over the
 * buffer, so the batch's invalidations zap real entries; run again after the
 * batch it pays the refaults, which is what the batch cost the guest.
 */
#ifndef NB_KVM_GUEST_H
#define NB_KVM_GUEST_H

#include <stddef.h>
#include <stdint.h>

struct kvm_run;

struct kvm_guest {
	int vcpu_fd;
	struct kvm_run *run;
	size_t run_len;
	void *ctl;			/* slot 1: page tables, code, range list */
	size_t ctl_len;
	uint64_t ctl_gpa;
	uint64_t nranges;		/* runs of populated pages */
	uint64_t pages;			/* pages read per pass */
};

/* kvm_guest_create(): the host or the buffer rules a guest out (not an error). */
#define KVM_GUEST_CANNOT 1

/*
 * Sets the guest up in vm_fd, whose slot 0 maps buf (len bytes) at guest
 * physical 0. The pages to read are the ones resident now (mincore).
 * 0; KVM_GUEST_CANNOT (buffer beyond the identity map, no long mode or
 * 1 GiB pages for the guest); -1 on a failure; the reason in why.
 */
int kvm_guest_create(struct kvm_guest *g, int kvm_fd, int vm_fd, void *buf, size_t len,
		     char *why, size_t wlen);
/* One pass over the pages: 0 and its duration, or -1 with the reason. */
int kvm_guest_pass(struct kvm_guest *g, uint64_t *ns, char *why, size_t wlen);
void kvm_guest_destroy(struct kvm_guest *g);

#endif /* NB_KVM_GUEST_H */
