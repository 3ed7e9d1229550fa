// SPDX-License-Identifier: GPL-2.0
/*
 * The kvm backend: a VM whose memslot 0 covers the benchmark buffer, so KVM's
 * MMU notifier sees every invalidation of it. Where a guest can run, a tiny
 * one (kvm_guest.c) reads the buffer's populated pages before each batch and
 * after it, so the batch zaps real secondary entries and the second pass
 * shows what refaulting them cost. On PVM (this project's host: shadow paging
 * that no guest of ours can populate) no vCPU runs and what is measured is
 * KVM's walk and locking over empty tables; the metadata says which. KVM's
 * binary stats (KVM_GET_STATS_FD) show how much was mapped and flushed.
 */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "backend_impl.h"
#include "bench.h"

const char *const kvm_stat_names[KVM_STAT_NR] = {
	"pages_4k", "pages_2m", "pages_1g", "remote_tlb_flush",
};
#define KVM_STAT_CUMULATIVE 3	/* remote_tlb_flush counts up; pages_* are levels */

int kvm_open(struct backend *b, char *reason, size_t len)
{
	int ver;

	b->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (b->kvm_fd < 0) {
		snprintf(reason, len, "backend kvm: cannot open /dev/kvm: %s", strerror(errno));
		return NB_EXIT_SKIP;
	}
	ver = ioctl(b->kvm_fd, KVM_GET_API_VERSION, 0);
	if (ver != KVM_API_VERSION) {
		snprintf(reason, len, "backend kvm: KVM API version %d, expected %d", ver,
			 KVM_API_VERSION);
		return NB_EXIT_SKIP;
	}
	b->pvm = access("/sys/module/kvm_pvm", F_OK) == 0;
	return NB_EXIT_OK;
}

/* Finds each stat's file offset in the VM's binary stats. */
static void kvm_stats_layout(struct backend *b)
{
	struct kvm_stats_header h;
	size_t dsz;
	char *descs;

	for (int i = 0; i < KVM_STAT_NR; i++)
		b->kvm_stat_off[i] = -1;
	if (b->stats_fd < 0 || pread(b->stats_fd, &h, sizeof(h), 0) != sizeof(h))
		return;
	dsz = sizeof(struct kvm_stats_desc) + h.name_size;
	descs = malloc(dsz * h.num_desc);
	if (!descs)
		return;
	if (pread(b->stats_fd, descs, dsz * h.num_desc, h.desc_offset) == (ssize_t)(dsz * h.num_desc)) {
		for (unsigned int d = 0; d < h.num_desc; d++) {
			struct kvm_stats_desc *sd = (void *)(descs + d * dsz);

			for (int i = 0; i < KVM_STAT_NR; i++)
				if (!strncmp(sd->name, kvm_stat_names[i], h.name_size))
					b->kvm_stat_off[i] = h.data_offset + sd->offset;
		}
	}
	free(descs);
}

static void kvm_stats_read(struct backend *b, uint64_t *v)
{
	for (int i = 0; i < KVM_STAT_NR; i++)
		if (b->kvm_stat_off[i] < 0 ||
		    pread(b->stats_fd, &v[i], sizeof(v[i]), b->kvm_stat_off[i]) != sizeof(v[i]))
			v[i] = 0;
}

int kvm_attach(struct backend *b, void *buf, size_t len, char *reason, size_t rlen)
{
	struct kvm_userspace_memory_region r = {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = len,
		.userspace_addr = (uintptr_t)buf,
	};

	b->vm_fd = ioctl(b->kvm_fd, KVM_CREATE_VM, 0);
	if (b->vm_fd < 0) {
		snprintf(reason, rlen, "backend kvm: KVM_CREATE_VM: %s", strerror(errno));
		return NB_EXIT_SKIP;
	}
	if (ioctl(b->vm_fd, KVM_SET_USER_MEMORY_REGION, &r)) {
		snprintf(reason, rlen, "backend kvm: KVM_SET_USER_MEMORY_REGION of %zu MiB: %s",
			 len >> 20, strerror(errno));
		close(b->vm_fd);
		b->vm_fd = -1;
		return NB_EXIT_SKIP;
	}
	b->stats_fd = ioctl(b->vm_fd, KVM_GET_STATS_FD, NULL);
	kvm_stats_layout(b);
	b->guest_ok = false;
	if (b->guest_mode == KVM_GUEST_OFF) {
		snprintf(b->guest_why, sizeof(b->guest_why), "guest=off");
		return NB_EXIT_OK;
	}
	if (b->pvm) {
		snprintf(b->guest_why, sizeof(b->guest_why), "PVM host: a plain guest cannot run");
	} else {
		uint64_t ns;
		int ret = kvm_guest_create(&b->guest, b->kvm_fd, b->vm_fd, buf, len, b->guest_why,
					   sizeof(b->guest_why));

		/* A first pass proves the guest runs here (and fills the tables). */
		if (!ret && kvm_guest_pass(&b->guest, &ns, b->guest_why, sizeof(b->guest_why))) {
			kvm_guest_destroy(&b->guest);
			ret = -1;
		}
		/* Where a guest should run, its failure is the run's, not a quiet fallback. */
		if (ret < 0) {
			snprintf(reason, rlen, "backend %s: the guest failed: %s (--backend "
				 "kvm,guest=off measures without one)", b->label, b->guest_why);
			kvm_detach(b);
			return NB_EXIT_FAIL;
		}
		b->guest_ok = !ret;
	}
	if (b->guest_ok) {
		b->guest_ran = true;
		b->guest_pages = b->guest.pages;
		b->guest_nranges = b->guest.nranges;
		b->guest_ctl_gpa = b->guest.ctl_gpa;
	}
	if (!b->guest_ok && b->guest_mode == KVM_GUEST_ON) {
		snprintf(reason, rlen, "backend kvm,guest=on: no guest: %s", b->guest_why);
		kvm_detach(b);
		return NB_EXIT_SKIP;
	}
	return NB_EXIT_OK;
}

int kvm_guest_fill(struct backend *b, char *msg, size_t len)
{
	uint64_t ns;

	uint64_t st[KVM_STAT_NR], mapped = 0;
	bool have = false;

	if (kvm_guest_pass(&b->guest, &ns, msg, len))
		return NB_EXIT_FAIL;
	b->guest_fill_ns = (double)ns;
	/* The point of the guest: KVM must now map the buffer's pages. */
	kvm_stats_read(b, st);
	for (int i = 0; i < KVM_STAT_CUMULATIVE; i++) {
		have |= b->kvm_stat_off[i] >= 0;
		mapped += st[i];
	}
	if (have && b->guest.pages && !mapped) {
		snprintf(msg, len, "kvm guest: read %" PRIu64 " pages but KVM maps no secondary "
			 "entries (pages_4k/2m/1g all 0)", b->guest.pages);
		return NB_EXIT_FAIL;
	}
	return NB_EXIT_OK;
}

int kvm_guest_refault(struct backend *b, char *msg, size_t len)
{
	uint64_t ns;

	if (kvm_guest_pass(&b->guest, &ns, msg, len))
		return NB_EXIT_FAIL;
	b->guest_refault_ns = (double)ns;
	/* The same pass with nothing to refault: the baseline to subtract. */
	if (kvm_guest_pass(&b->guest, &ns, msg, len))
		return NB_EXIT_FAIL;
	b->guest_warm_ns = (double)ns;
	return NB_EXIT_OK;
}

int kvm_sample_begin(struct backend *b)
{
	kvm_stats_read(b, b->kvm_stat_before);
	return 0;
}

int kvm_sample_end(struct backend *b)
{
	uint64_t now[KVM_STAT_NR];

	kvm_stats_read(b, now);
	b->kvm_zapped = 0;
	for (int i = 0; i < KVM_STAT_CUMULATIVE; i++)
		b->kvm_zapped += (double)b->kvm_stat_before[i] - (double)now[i];
	for (int i = 0; i < KVM_STAT_NR; i++) {
		if (b->kvm_stat_off[i] < 0)
			b->kvm_stat[i] = -1;	/* the harness writes it as unavailable */
		else
			b->kvm_stat[i] = i == KVM_STAT_CUMULATIVE ?
				(double)(now[i] - b->kvm_stat_before[i]) : (double)now[i];
	}
	return 0;
}

void kvm_detach(struct backend *b)
{
	if (b->guest_ok)
		kvm_guest_destroy(&b->guest);
	b->guest_ok = false;
	if (b->stats_fd >= 0)
		close(b->stats_fd);
	if (b->vm_fd >= 0)
		close(b->vm_fd);	/* the last reference: KVM unregisters its notifier */
	b->stats_fd = b->vm_fd = -1;
}

void kvm_close(struct backend *b)
{
	if (b->kvm_fd >= 0)
		close(b->kvm_fd);
	b->kvm_fd = -1;
}

static void param(const char *prefix, const char *name, char *out, size_t len)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/%s/parameters/%s", prefix, name);
	f = fopen(path, "re");
	snprintf(out, len, "absent");
	if (f) {
		if (fgets(out, (int)len, f))
			out[strcspn(out, "\n")] = 0;
		fclose(f);
	}
}

void kvm_describe(const struct backend *b, const char *prefix,
		  void (*emit)(const char *key, const char *value))
{
	char key[128], v[512], tdp[32], ept[32], npt[32];

	param("kvm", "tdp_mmu", tdp, sizeof(tdp));
	param("kvm_intel", "ept", ept, sizeof(ept));
	param("kvm_amd", "npt", npt, sizeof(npt));
	snprintf(key, sizeof(key), "%s.kvm_host", prefix);
	if (b->pvm)
		snprintf(v, sizeof(v), "PVM (kvm_pvm loaded): shadow paging; no guest runs and none "
			 "could populate shadow entries here, so KVM's notifier walks empty tables "
			 "(tdp_mmu=%s)", tdp);
	else if (b->guest_ran)
		snprintf(v, sizeof(v), "KVM tdp_mmu=%s ept=%s npt=%s; a guest populates the "
			 "secondary entries (kvm_guest)", tdp, ept, npt);
	else
		snprintf(v, sizeof(v), "KVM tdp_mmu=%s ept=%s npt=%s; no vCPU runs (%s): secondary "
			 "entries are never populated", tdp, ept, npt, b->guest_why);
	emit(key, v);
	snprintf(key, sizeof(key), "%s.kvm_guest", prefix);
	if (b->guest_ran)
		snprintf(v, sizeof(v), "one vCPU in 64-bit mode reads a word of each of %" PRIu64
			 " pages (%" PRIu64 " runs of pages resident at attach, from mincore) after "
			 "prepare() and again after the batch; identity map with 1 GiB pages, page "
			 "tables and code in slot 1 at GPA 0x%" PRIx64, b->guest_pages,
			 b->guest_nranges, b->guest_ctl_gpa);
	else
		snprintf(v, sizeof(v), "none (%s)", b->guest_why);
	emit(key, v);
	snprintf(key, sizeof(key), "%s.kvm_memslot", prefix);
	emit(key, "slot 0 = the benchmark buffer, guest physical address 0");
	snprintf(key, sizeof(key), "%s.kvm_stats", prefix);
	v[0] = 0;
	for (int i = 0; i < KVM_STAT_NR; i++)
		snprintf(v + strlen(v), sizeof(v) - strlen(v), "%s%s=%s", i ? " " : "",
			 kvm_stat_names[i], b->kvm_stat_off[i] >= 0 ? "yes" : "unavailable");
	emit(key, v);
}
