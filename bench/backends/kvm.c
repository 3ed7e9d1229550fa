// SPDX-License-Identifier: GPL-2.0
/*
 * The kvm backend: a VM whose memslot 0 covers the benchmark buffer, so KVM's
 * MMU notifier sees every invalidation of it. Where a guest can run, a tiny
 * one (kvm_guest.c, x86-64 only; on arm64 no vCPU runs) reads the buffer's
 * populated pages before each batch and after it, so the batch zaps real
 * secondary entries and the second pass shows what refaulting them cost. On PVM (this project's host: shadow paging
 * that no guest of ours can populate) no vCPU runs and what is measured is
 * KVM's walk and locking over empty tables; the metadata says which. KVM's
 * binary stats (KVM_GET_STATS_FD) show how much was mapped and flushed.
 */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "backend_impl.h"
#include "kvm_guest.h"
#include "stats.h"

#define KVM_STAT_NR 4	/* pages_4k, pages_2m, pages_1g, remote_tlb_flush */
/* auto: a guest where one can run (not on PVM); on: skip the run without one. */
enum kvm_guest_mode { KVM_GUEST_AUTO, KVM_GUEST_ON, KVM_GUEST_OFF };

static const char *const kvm_stat_names[KVM_STAT_NR] = {
	"pages_4k", "pages_2m", "pages_1g", "remote_tlb_flush",
};
#define KVM_STAT_CUMULATIVE 3	/* remote_tlb_flush counts up; pages_* are levels */

/* The guest's columns, in this order (results/README.md). */
enum kvm_guest_col { KVM_GUEST_ZAPPED, KVM_GUEST_PAGES, KVM_GUEST_FILL_NS, KVM_GUEST_REFAULT_NS,
		     KVM_GUEST_WARM_NS, KVM_GUEST_REFAULT_PER_OP, KVM_GUEST_ZAPPED_PER_OP,
		     KVM_GUEST_NR };
static const char *const kvm_guest_names[KVM_GUEST_NR] = {
	"kvm_entries_zapped", "kvm_guest_pages", "kvm_guest_fill_ns", "kvm_guest_refault_ns",
	"kvm_guest_warm_ns", "kvm_guest_refault_ns_per_op", "kvm_entries_zapped_per_op",
};

struct kvm {
	int kvm_fd, vm_fd, stats_fd;
	bool pvm;			/* kvm_pvm: shadow paging, no guest can populate it */
	unsigned int ipa_bits;		/* arm64: the VM's IPA size (stage 2's input range) */
	int64_t kvm_stat_off[KVM_STAT_NR];	/* file offset of each stat, -1: absent */
	uint64_t kvm_stat_before[KVM_STAT_NR];
	double kvm_stat[KVM_STAT_NR];	/* last sample: pages_* now, remote_tlb_flush delta */
	enum kvm_guest_mode guest_mode;
	bool guest_ok;			/* the guest runs in this attachment */
	bool guest_ran;			/* it ran in some attachment (for the metadata) */
	bool guest_refaulted;		/* its pass after a batch ran (not for batch_discards) */
	uint64_t guest_pages, guest_nranges, guest_ctl_gpa;	/* the last one's */
	struct kvm_guest guest;
	char guest_why[192];		/* why no guest runs */
	double guest_fill_ns, guest_refault_ns, guest_warm_ns;	/* last sample's passes */
	double kvm_zapped;		/* secondary entries the batch removed (pages_* before - after) */
	int col;			/* first of its columns: KVM_STAT_NR, then KVM_GUEST_NR */
};

extern const struct backend_ops backend_kvm_ops;

static struct kvm *kvm_of(const struct backend *b)
{
	return b->priv;
}

static int kvm_parse(const char *spec, struct backend **v, unsigned int *n, char *msg, size_t len)
{
	static const char *const guest_modes[] = { "auto", "on", "off" };
	int mode = KVM_GUEST_AUTO;
	struct backend *b;
	struct kvm *k;

	if (spec[3]) {
		mode = -1;
		for (int i = 0; i < 3; i++)
			if (!strncmp(spec + 3, ",guest=", 7) && !strcmp(spec + 10, guest_modes[i]))
				mode = i;
		if (mode < 0) {
			snprintf(msg, len, "--backend '%s': kvm takes guest=auto, guest=on or "
				 "guest=off", spec);
			return NB_EXIT_USAGE;
		}
	}
	b = backend_append(v, n, &backend_kvm_ops, sizeof(struct kvm));
	if (!b)
		return NB_EXIT_FAIL;
	k = kvm_of(b);
	k->kvm_fd = k->vm_fd = k->stats_fd = -1;
	for (int i = 0; i < KVM_STAT_NR; i++)
		k->kvm_stat_off[i] = -1;
	k->guest_mode = mode;
	snprintf(b->label, sizeof(b->label), "%s", mode == KVM_GUEST_AUTO ? "kvm" : spec);
	return NB_EXIT_OK;
}

static int kvm_open(struct backend *b, char *reason, size_t len)
{
	struct kvm *k = kvm_of(b);
	int ver;

	k->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (k->kvm_fd < 0) {
		snprintf(reason, len, "backend kvm: cannot open /dev/kvm: %s", strerror(errno));
		return NB_EXIT_SKIP;
	}
	ver = ioctl(k->kvm_fd, KVM_GET_API_VERSION, 0);
	if (ver != KVM_API_VERSION) {
		snprintf(reason, len, "backend kvm: KVM API version %d, expected %d", ver,
			 KVM_API_VERSION);
		return NB_EXIT_SKIP;
	}
	k->pvm = access("/sys/module/kvm_pvm", F_OK) == 0;
	return NB_EXIT_OK;
}

/* Finds each stat's file offset in the VM's binary stats. */
static void kvm_stats_layout(struct kvm *k)
{
	struct kvm_stats_header h;
	size_t dsz;
	char *descs;

	for (int i = 0; i < KVM_STAT_NR; i++)
		k->kvm_stat_off[i] = -1;
	if (k->stats_fd < 0 || pread(k->stats_fd, &h, sizeof(h), 0) != sizeof(h))
		return;
	dsz = sizeof(struct kvm_stats_desc) + h.name_size;
	descs = malloc(dsz * h.num_desc);
	if (!descs)
		return;
	if (pread(k->stats_fd, descs, dsz * h.num_desc, h.desc_offset) == (ssize_t)(dsz * h.num_desc)) {
		for (unsigned int d = 0; d < h.num_desc; d++) {
			struct kvm_stats_desc *sd = (void *)(descs + d * dsz);

			for (int i = 0; i < KVM_STAT_NR; i++)
				if (!strncmp(sd->name, kvm_stat_names[i], h.name_size))
					k->kvm_stat_off[i] = h.data_offset + sd->offset;
		}
	}
	free(descs);
}

static void kvm_stats_read(const struct kvm *k, uint64_t *v)
{
	for (int i = 0; i < KVM_STAT_NR; i++)
		if (k->kvm_stat_off[i] < 0 ||
		    pread(k->stats_fd, &v[i], sizeof(v[i]), k->kvm_stat_off[i]) != sizeof(v[i]))
			v[i] = 0;
}

static void kvm_detach(struct backend *b);

#ifdef __aarch64__
#define KVM_ARM_DEFAULT_IPA 40	/* type 0: KVM_PHYS_SHIFT, which covers --size's 1 TiB */

/*
 * arm64's KVM_CREATE_VM type is the IPA size. Type 0 (40 bits) fails with
 * EINVAL where the host's limit is smaller (36 bits on some cores: "using
 * unsupported default IPA limit, upgrade your VMM"); there the limit itself
 * is asked for, if the buffer fits in it.
 */
static int kvm_vm_type(struct kvm *k, size_t len, char *reason, size_t rlen)
{
	int max = ioctl(k->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_VM_IPA_SIZE);
	unsigned int bits = 32;

	k->ipa_bits = KVM_ARM_DEFAULT_IPA;
	if (max <= 0 || max >= KVM_ARM_DEFAULT_IPA)
		return 0;
	while (bits < 64 && len > (1ULL << bits))
		bits++;
	if (bits > (unsigned int)max) {
		snprintf(reason, rlen, "backend kvm: a %zu MiB memslot needs a %u-bit IPA, the "
			 "host's KVM allows %d bits", len >> 20, bits, max);
		return -1;
	}
	k->ipa_bits = (unsigned int)max;
	return (int)KVM_VM_TYPE_ARM_IPA_SIZE(max);
}
#else
static int kvm_vm_type(struct kvm *k, size_t len, char *reason, size_t rlen)
{
	(void)k, (void)len, (void)reason, (void)rlen;
	return 0;
}
#endif

static int kvm_attach(struct backend *b, void *buf, size_t len, char *reason, size_t rlen)
{
	struct kvm *k = kvm_of(b);
	struct kvm_userspace_memory_region r = {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = len,
		.userspace_addr = (uintptr_t)buf,
	};

	int type = kvm_vm_type(k, len, reason, rlen);

	if (type < 0)
		return NB_EXIT_SKIP;
	k->vm_fd = ioctl(k->kvm_fd, KVM_CREATE_VM, type);
	if (k->vm_fd < 0) {
		snprintf(reason, rlen, "backend kvm: KVM_CREATE_VM: %s", strerror(errno));
		return NB_EXIT_SKIP;
	}
	if (ioctl(k->vm_fd, KVM_SET_USER_MEMORY_REGION, &r)) {
		snprintf(reason, rlen, "backend kvm: KVM_SET_USER_MEMORY_REGION of %zu MiB: %s",
			 len >> 20, strerror(errno));
		close(k->vm_fd);
		k->vm_fd = -1;
		return NB_EXIT_SKIP;
	}
	k->stats_fd = ioctl(k->vm_fd, KVM_GET_STATS_FD, NULL);
	kvm_stats_layout(k);
	k->guest_ok = false;
	if (k->guest_mode == KVM_GUEST_OFF) {
		snprintf(k->guest_why, sizeof(k->guest_why), "guest=off");
		return NB_EXIT_OK;
	}
	if (k->pvm) {
		snprintf(k->guest_why, sizeof(k->guest_why), "PVM host: a plain guest cannot run");
	} else {
		uint64_t ns;
		int ret = kvm_guest_create(&k->guest, k->kvm_fd, k->vm_fd, buf, len, k->guest_why,
					   sizeof(k->guest_why));

		/* A first pass proves the guest runs here (and fills the tables). */
		if (!ret && kvm_guest_pass(&k->guest, &ns, k->guest_why, sizeof(k->guest_why))) {
			kvm_guest_destroy(&k->guest);
			ret = -1;
		}
		/* Where a guest should run, its failure is the run's, not a quiet fallback. */
		if (ret < 0) {
			snprintf(reason, rlen, "backend %s: the guest failed: %s (--backend "
				 "kvm,guest=off measures without one)", b->label, k->guest_why);
			kvm_detach(b);
			return NB_EXIT_FAIL;
		}
		k->guest_ok = !ret;
	}
	if (k->guest_ok) {
		k->guest_ran = true;
		k->guest_pages = k->guest.pages;
		k->guest_nranges = k->guest.nranges;
		k->guest_ctl_gpa = k->guest.ctl_gpa;
	}
	if (!k->guest_ok && k->guest_mode == KVM_GUEST_ON) {
		snprintf(reason, rlen, "backend kvm,guest=on: no guest: %s", k->guest_why);
		kvm_detach(b);
		return NB_EXIT_SKIP;
	}
	return NB_EXIT_OK;
}

/* kvm with a guest: it reads the buffer's pages right before the timed batch. */
static int kvm_guest_fill(struct backend *b, void *buf, size_t blen, char *msg, size_t len)
{
	struct kvm *k = kvm_of(b);
	uint64_t ns;

	uint64_t st[KVM_STAT_NR], mapped = 0;
	bool have = false;

	(void)buf;
	(void)blen;
	if (!k->guest_ok)
		return NB_EXIT_OK;
	if (kvm_guest_pass(&k->guest, &ns, msg, len))
		return NB_EXIT_FAIL;
	k->guest_fill_ns = (double)ns;
	/* The point of the guest: KVM must now map the buffer's pages. */
	kvm_stats_read(k, st);
	for (int i = 0; i < KVM_STAT_CUMULATIVE; i++) {
		have |= k->kvm_stat_off[i] >= 0;
		mapped += st[i];
	}
	if (have && k->guest.pages && !mapped) {
		snprintf(msg, len, "kvm guest: read %" PRIu64 " pages but KVM maps no secondary "
			 "entries (pages_4k/2m/1g all 0)", k->guest.pages);
		return NB_EXIT_FAIL;
	}
	return NB_EXIT_OK;
}

/* ... and right after it, refaulting what the batch zapped, timed. */
static int kvm_guest_refault(struct backend *b, void *buf, size_t blen, char *msg, size_t len)
{
	struct kvm *k = kvm_of(b);
	uint64_t ns;

	(void)buf;
	(void)blen;
	if (!k->guest_ok)
		return NB_EXIT_OK;
	if (kvm_guest_pass(&k->guest, &ns, msg, len))
		return NB_EXIT_FAIL;
	k->guest_refault_ns = (double)ns;
	k->guest_refaulted = true;
	/* The same pass with nothing to refault: the baseline to subtract. */
	if (kvm_guest_pass(&k->guest, &ns, msg, len))
		return NB_EXIT_FAIL;
	k->guest_warm_ns = (double)ns;
	return NB_EXIT_OK;
}

static int kvm_sample_begin(struct backend *b)
{
	struct kvm *k = kvm_of(b);

	kvm_stats_read(k, k->kvm_stat_before);
	/* Unavailable unless the harness asks for the pass after the batch. */
	k->guest_refault_ns = NAN;
	k->guest_warm_ns = NAN;
	return 0;
}

static int kvm_sample_end(struct backend *b)
{
	struct kvm *k = kvm_of(b);
	uint64_t now[KVM_STAT_NR];

	kvm_stats_read(k, now);
	k->kvm_zapped = 0;
	for (int i = 0; i < KVM_STAT_CUMULATIVE; i++)
		k->kvm_zapped += (double)k->kvm_stat_before[i] - (double)now[i];
	for (int i = 0; i < KVM_STAT_NR; i++) {
		if (k->kvm_stat_off[i] < 0)
			k->kvm_stat[i] = -1;	/* written as unavailable */
		else
			k->kvm_stat[i] = i == KVM_STAT_CUMULATIVE ?
				(double)(now[i] - k->kvm_stat_before[i]) : (double)now[i];
	}
	return 0;
}

static void kvm_detach(struct backend *b)
{
	struct kvm *k = kvm_of(b);

	if (k->guest_ok)
		kvm_guest_destroy(&k->guest);
	k->guest_ok = false;
	if (k->stats_fd >= 0)
		close(k->stats_fd);
	if (k->vm_fd >= 0)
		close(k->vm_fd);	/* the last reference: KVM unregisters its notifier */
	k->stats_fd = k->vm_fd = -1;
}

static void kvm_close(struct backend *b)
{
	struct kvm *k = kvm_of(b);

	if (k->kvm_fd >= 0)
		close(k->kvm_fd);
	k->kvm_fd = -1;
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

static void kvm_describe(const struct backend *b, const char *prefix, backend_emit emit)
{
	const struct kvm *k = kvm_of(b);
	char key[128], v[512], tdp[32], ept[32], npt[32];

	param("kvm", "tdp_mmu", tdp, sizeof(tdp));
	param("kvm_intel", "ept", ept, sizeof(ept));
	param("kvm_amd", "npt", npt, sizeof(npt));
	snprintf(key, sizeof(key), "%s.kvm_host", prefix);
	if (k->pvm)
		snprintf(v, sizeof(v), "PVM (kvm_pvm loaded): shadow paging; no guest runs and none "
			 "could populate shadow entries here, so KVM's notifier walks empty tables "
			 "(tdp_mmu=%s)", tdp);
	else if (k->guest_ran)
		snprintf(v, sizeof(v), "KVM tdp_mmu=%s ept=%s npt=%s; a guest populates the "
			 "secondary entries (kvm_guest)", tdp, ept, npt);
#ifdef __aarch64__
	/* kvm_unmap_gfn_range() returns false: no flush is asked of kvm_flush_remote_tlbs(). */
	else
		snprintf(v, sizeof(v), "KVM arm64, stage 2 with a %u-bit IPA; no vCPU runs (%s): "
			 "stage 2 is never populated; the notifier's unmap invalidates each entry "
			 "inside the stage-2 walk, so remote_tlb_flush does not count it",
			 k->ipa_bits, k->guest_why);
#else
	else
		snprintf(v, sizeof(v), "KVM tdp_mmu=%s ept=%s npt=%s; no vCPU runs (%s): secondary "
			 "entries are never populated", tdp, ept, npt, k->guest_why);
#endif
	emit(key, v);
	snprintf(key, sizeof(key), "%s.kvm_guest", prefix);
	if (k->guest_ran)
		snprintf(v, sizeof(v), "one vCPU in 64-bit mode reads a word of each of %" PRIu64
			 " pages (%" PRIu64 " runs of pages resident at attach, from mincore) after "
			 "prepare() and %s; identity map with 1 GiB pages, page tables and code in "
			 "slot 1 at GPA 0x%" PRIx64, k->guest_pages, k->guest_nranges,
			 k->guest_refaulted ? "again after the batch" :
			 "not after the batch (it discards the buffer)", k->guest_ctl_gpa);
	else
		snprintf(v, sizeof(v), "none (%s)", k->guest_why);
	emit(key, v);
	snprintf(key, sizeof(key), "%s.kvm_memslot", prefix);
	emit(key, "slot 0 = the benchmark buffer, guest physical address 0");
	snprintf(key, sizeof(key), "%s.kvm_stats", prefix);
	v[0] = 0;
	for (int i = 0; i < KVM_STAT_NR; i++)
		snprintf(v + strlen(v), sizeof(v) - strlen(v), "%s%s=%s", i ? " " : "",
			 kvm_stat_names[i], k->kvm_stat_off[i] >= 0 ? "yes" : "unavailable");
	emit(key, v);
}

/* Always in the CSV (NAN without kvm), after the perf counters. */
static void kvm_columns(struct backend *cfg, unsigned int ncfg, enum backend_cols where,
			backend_add_col add, void *ctx)
{
	char name[64];
	int col = -1;

	if (where != BACKEND_COLS_EARLY)
		return;
	for (int i = 0; i < KVM_STAT_NR; i++) {
		int c;

		snprintf(name, sizeof(name), "kvm_%s", kvm_stat_names[i]);
		c = add(ctx, name, false);
		col = i ? col : c;
	}
	for (int i = 0; i < KVM_GUEST_NR; i++)
		add(ctx, kvm_guest_names[i], false);
	for (unsigned int j = 0; j < ncfg; j++)
		if (cfg[j].ops == &backend_kvm_ops)
			kvm_of(&cfg[j])->col = col;
}

static void kvm_sample_values(struct backend *b, const struct backend_sample *s, double *v,
			      char **text)
{
	const struct kvm *k = kvm_of(b);
	double *g = &v[k->col + KVM_STAT_NR];

	(void)text;
	for (int i = 0; i < KVM_STAT_NR; i++)
		v[k->col + i] = k->kvm_stat[i] < 0 ? NAN : k->kvm_stat[i];
	if (!k->guest_ok)
		return;
	g[KVM_GUEST_ZAPPED] = k->kvm_zapped;
	g[KVM_GUEST_PAGES] = (double)k->guest.pages;
	g[KVM_GUEST_FILL_NS] = k->guest_fill_ns;
	g[KVM_GUEST_REFAULT_NS] = k->guest_refault_ns;
	g[KVM_GUEST_WARM_NS] = k->guest_warm_ns;
	g[KVM_GUEST_REFAULT_PER_OP] = (k->guest_refault_ns - k->guest_warm_ns) / (double)s->nops;
	g[KVM_GUEST_ZAPPED_PER_OP] = k->kvm_zapped / (double)s->nops;
}

static void kvm_counters(const struct backend *b, struct bench_counters *c)
{
	(void)b;
	c->kvm = true;
}

/* With a guest: what the batch took from it. */
static void kvm_summary(const struct backend *b, const struct stats *st, double nops,
			const char *unit)
{
	const struct stats *g = &st[kvm_of(b)->col + KVM_STAT_NR];

	if (!g[KVM_GUEST_ZAPPED].n)
		return;
	printf("%-28s guest over %.0f pages: %.3f secondary entries zapped per op, ",
	       b->label, g[KVM_GUEST_PAGES].median, g[KVM_GUEST_ZAPPED].median / nops);
	if (g[KVM_GUEST_REFAULT_PER_OP].n)
		printf("refault %.1f %s per op (pass after the batch minus a warm pass; medians)\n",
		       g[KVM_GUEST_REFAULT_PER_OP].median, unit);
	else
		printf("no refault pass (the batch discards the buffer; median)\n");
}

const struct backend_ops backend_kvm_ops = {
	.name = "kvm",
	.prefix = "kvm",
	.usage = "kvm",
	.parse = kvm_parse,
	.open = kvm_open,
	.attach = kvm_attach,
	.before_batch = kvm_guest_fill,
	.after_batch = kvm_guest_refault,
	.sample_begin = kvm_sample_begin,
	.sample_end = kvm_sample_end,
	.detach = kvm_detach,
	.close = kvm_close,
	.describe = kvm_describe,
	.columns = kvm_columns,
	.sample_values = kvm_sample_values,
	.counters = kvm_counters,
	.summary = kvm_summary,
};
