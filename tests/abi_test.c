// SPDX-License-Identifier: GPL-2.0
/*
 * abi_test: pins the ioctl ABI of include/notibench.h (host, no module).
 *
 * The expected numbers are written out by hand from the header as of ABI 4
 * (3: the PROTECTION_UPGRADE event slot, which moved OTHER and NONE;
 * 4: ioctl type 0xBB instead of nsfs's and remoteproc's 0xB7):
 * a change that moves a field or resizes a struct fails here and must come
 * with an NB_ABI_VERSION bump and new numbers. Additions that leave every
 * layout alone (the INSN and INSN_RANGE models, their feature bits and caps)
 * keep the version:
 * an older module refuses the new model with -EINVAL and does not report
 * the feature, which is how user space tells. Also checks the few nbdev
 * helpers that build ABI structs.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "nbdev.h"
#include "tap.h"

struct check {
	const char *what;
	uint64_t got, want;
};

#define SIZE(type, want)	{ "sizeof(struct " #type ")", sizeof(struct type), want }
#define ALIGN(type, want)	{ "_Alignof(struct " #type ")", _Alignof(struct type), want }
#define OFF(type, f, want)	{ "offsetof(" #type ", " #f ")", offsetof(struct type, f), want }
#define VAL(expr, want)		{ #expr, (uint64_t)(expr), want }

static const struct check checks[] = {
	/* struct nb_cost */
	SIZE(nb_cost, 32),
	OFF(nb_cost, model, 0), OFF(nb_cost, reserved, 4), OFF(nb_cost, ns, 8),
	OFF(nb_cost, threshold, 16), OFF(nb_cost, global_ns, 24),
	/* struct nb_attach */
	SIZE(nb_attach, 328), ALIGN(nb_attach, 8),
	OFF(nb_attach, abi_version, 0), OFF(nb_attach, mode, 4),
	OFF(nb_attach, nr_subscribers, 8), OFF(nb_attach, callbacks, 12),
	OFF(nb_attach, event_mask, 16), OFF(nb_attach, flags, 20),
	OFF(nb_attach, start, 24), OFF(nb_attach, len, 32), OFF(nb_attach, cost, 40),
	OFF(nb_attach, cost[NB_CB_INTERVAL], 296),
	/* struct nb_cell */
	SIZE(nb_cell, 320),
	OFF(nb_cell, calls, 0), OFF(nb_cell, bytes, 8), OFF(nb_cell, ns, 16),
	OFF(nb_cell, ns_max, 24), OFF(nb_cell, nonblock, 32), OFF(nb_cell, fallback, 40),
	OFF(nb_cell, failed, 48), OFF(nb_cell, capped, 56), OFF(nb_cell, hist, 64),
	OFF(nb_cell, reserved, 312),
	/* struct nb_mirror_stats */
	SIZE(nb_mirror_stats, 64),
	OFF(nb_mirror_stats, entries, 0), OFF(nb_mirror_stats, zapped, 8),
	OFF(nb_mirror_stats, hits, 16), OFF(nb_mirror_stats, cold, 24),
	OFF(nb_mirror_stats, refaults, 32), OFF(nb_mirror_stats, upgrades, 40),
	OFF(nb_mirror_stats, retries, 48), OFF(nb_mirror_stats, reserved, 56),
	/* struct nb_stats */
	SIZE(nb_stats, 31768), ALIGN(nb_stats, 8),
	OFF(nb_stats, abi_version, 0), OFF(nb_stats, state, 4),
	OFF(nb_stats, nr_subscribers, 8), OFF(nb_stats, callbacks, 12),
	OFF(nb_stats, ring_seq, 16), OFF(nb_stats, mirror, 24), OFF(nb_stats, cell, 88),
	OFF(nb_stats, cell[NB_CB_INTERVAL][NB_EV_NONE], 31448),
	/* struct nb_ring_entry */
	SIZE(nb_ring_entry, 40),
	OFF(nb_ring_entry, seq, 0), OFF(nb_ring_entry, start, 8), OFF(nb_ring_entry, end, 16),
	OFF(nb_ring_entry, ns, 24), OFF(nb_ring_entry, callback, 32),
	OFF(nb_ring_entry, event, 33), OFF(nb_ring_entry, blockable, 34),
	OFF(nb_ring_entry, failed, 35), OFF(nb_ring_entry, cpu, 36),
	/* struct nb_buf */
	SIZE(nb_buf, 16),
	OFF(nb_buf, ptr, 0), OFF(nb_buf, size, 8), OFF(nb_buf, count, 12),
	/* struct nb_access */
	SIZE(nb_access, 48),
	OFF(nb_access, start, 0), OFF(nb_access, len, 8), OFF(nb_access, flags, 16),
	OFF(nb_access, reserved, 20), OFF(nb_access, hits, 24), OFF(nb_access, faults, 32),
	OFF(nb_access, retries, 40),
	/* struct nb_version */
	SIZE(nb_version, 120),
	OFF(nb_version, abi_version, 0), OFF(nb_version, features, 4),
	OFF(nb_version, callbacks, 8), OFF(nb_version, reserved, 12),
	OFF(nb_version, kernel_release, 16), OFF(nb_version, module_version, 88),

	/* ioctl numbers: whole value, then direction and size decoded */
	VAL(NB_ABI_VERSION, 4),
	VAL(NB_IOC_VERSION, 0x8078BB00), VAL(NB_IOC_ATTACH, 0x4148BB01),
	VAL(NB_IOC_DETACH, 0xBB02), VAL(NB_IOC_STATS, 0xC010BB03),
	VAL(NB_IOC_RING, 0xC010BB04), VAL(NB_IOC_RESET, 0xBB05),
	VAL(NB_IOC_ACCESS, 0xC030BB06),
	VAL(_IOC_DIR(NB_IOC_VERSION), _IOC_READ),
	VAL(_IOC_SIZE(NB_IOC_VERSION), sizeof(struct nb_version)),
	VAL(_IOC_DIR(NB_IOC_ATTACH), _IOC_WRITE),
	VAL(_IOC_SIZE(NB_IOC_ATTACH), sizeof(struct nb_attach)),
	VAL(_IOC_DIR(NB_IOC_DETACH), _IOC_NONE), VAL(_IOC_SIZE(NB_IOC_DETACH), 0),
	VAL(_IOC_DIR(NB_IOC_STATS), _IOC_READ | _IOC_WRITE),
	VAL(_IOC_SIZE(NB_IOC_STATS), sizeof(struct nb_buf)),
	VAL(_IOC_DIR(NB_IOC_RING), _IOC_READ | _IOC_WRITE),
	VAL(_IOC_SIZE(NB_IOC_RING), sizeof(struct nb_buf)),
	VAL(_IOC_DIR(NB_IOC_RESET), _IOC_NONE), VAL(_IOC_SIZE(NB_IOC_RESET), 0),
	VAL(_IOC_DIR(NB_IOC_ACCESS), _IOC_READ | _IOC_WRITE),
	VAL(_IOC_SIZE(NB_IOC_ACCESS), sizeof(struct nb_access)),
	VAL(_IOC_TYPE(NB_IOC_ACCESS), NB_IOC_MAGIC), VAL(NB_IOC_MAGIC, 0xBB),

	/*
	 * event slots 0..7 are the kernel's enum mmu_notifier_event values, 8
	 * the patched kernels' MMU_NOTIFY_PROTECTION_UPGRADE
	 */
	VAL(NB_EV_UNMAP, 0), VAL(NB_EV_CLEAR, 1), VAL(NB_EV_PROTECTION_VMA, 2),
	VAL(NB_EV_PROTECTION_PAGE, 3), VAL(NB_EV_SOFT_DIRTY, 4), VAL(NB_EV_RELEASE, 5),
	VAL(NB_EV_MIGRATE, 6), VAL(NB_EV_EXCLUSIVE, 7), VAL(NB_EV_PROTECTION_UPGRADE, 8),
	VAL(NB_EV_OTHER, 9), VAL(NB_EV_NONE, 10), VAL(NB_EV_NR, 11), VAL(NB_EV_ALL, 0x7ff),

	/* callbacks */
	VAL(NB_CB_START, 0), VAL(NB_CB_END, 1), VAL(NB_CB_TLB, 2),
	VAL(NB_CB_CLEAR_FLUSH_YOUNG, 3), VAL(NB_CB_CLEAR_YOUNG, 4), VAL(NB_CB_TEST_YOUNG, 5),
	VAL(NB_CB_CHANGE_PTE, 6), VAL(NB_CB_RELEASE, 7), VAL(NB_CB_INTERVAL, 8),
	VAL(NB_CB_NR, 9), VAL(NB_CB_ALL_OPS, 0xff),
	VAL(NB_CB_ALL_OPS & NB_CB_BIT(NB_CB_INTERVAL), 0),

	/* models, modes, flags */
	VAL(NB_MODEL_COUNT, 0), VAL(NB_MODEL_SPIN, 1), VAL(NB_MODEL_SPIN_RANGE, 2),
	VAL(NB_MODEL_SLEEP, 3), VAL(NB_MODEL_SMMU, 4), VAL(NB_MODEL_FAIL, 5),
	VAL(NB_MODEL_ZAP, 6), VAL(NB_MODEL_INSN, 7), VAL(NB_MODEL_INSN_RANGE, 8),
	VAL(NB_MODEL_NR, 9),
	VAL(NB_MODE_OPS, 0), VAL(NB_MODE_INTERVAL, 1),
	VAL(NB_ATTACH_NO_RING, 1), VAL(NB_ATTACH_FLAGS, 1),
	VAL(NB_STATE_ATTACHED, 1), VAL(NB_STATE_RELEASED, 2), VAL(NB_ACCESS_WRITE, 1),
	VAL(NB_FEAT_TLB_IS_ARCH, 1), VAL(NB_FEAT_CHANGE_PTE, 2), VAL(NB_FEAT_YOUNG_BOOL, 4),
	VAL(NB_FEAT_INSN, 8), VAL(NB_FEAT_PROTECTION_UPGRADE, 16),
	VAL(NB_FEAT_INSN_RANGE, 32),

	/* histogram: bucket b in 1..28 is [2^(11+b), 2^(12+b)), so HUGE starts at 1 TiB */
	VAL(NB_HIST_SMALL, 0), VAL(NB_HIST_HUGE, 29), VAL(NB_HIST_FULL, 30),
	VAL(NB_HIST_BUCKETS, 31), VAL(1ULL << (12 + NB_HIST_HUGE - 1), 1ULL << 40),

	/* caps */
	VAL(NB_MAX_NS, 1000000), VAL(NB_MAX_CALL_NS, 1000000), VAL(NB_MAX_INSN, 1000000),
	VAL(NB_MAX_INSN_CALL, 1ULL << 28),
	VAL(NB_MAX_SUBSCRIBERS, 64),
	VAL(NB_MAX_THRESHOLD, 1ULL << 20), VAL(NB_MAX_MIRROR_LEN, 1ULL << 40),
	VAL(NB_MAX_MIRROR_ENTRIES, 1ULL << 22), VAL(NB_RING_SIZE, 256),
};

#define NR_CHECKS	(sizeof(checks) / sizeof(checks[0]))
#define NR_CLIENT	9

/* nbdev builds what the module validates: defaults must be a valid attach. */
static void check_client(void)
{
	struct nb_attach a;
	struct nb_stats *s = nbdev_stats_new();
	unsigned int named = 0, dups = 0;

	nb_attach_init(&a, NB_MODE_OPS, 3);
	tap_ok(a.abi_version == NB_ABI_VERSION && a.mode == NB_MODE_OPS &&
	       a.nr_subscribers == 3 && a.event_mask == NB_EV_ALL && a.flags == 0 &&
	       a.callbacks == (NB_CB_BIT(NB_CB_START) | NB_CB_BIT(NB_CB_END)),
	       "nb_attach_init(OPS, 3) sets version, K, all events, START|END");
	nb_attach_init(&a, NB_MODE_INTERVAL, 1);
	tap_ok(a.callbacks == NB_CB_BIT(NB_CB_INTERVAL), "nb_attach_init(INTERVAL) sets INTERVAL only");

	nb_attach_init(&a, NB_MODE_OPS, 1);
	nb_set_cost(&a, NB_CB_TLB, NB_MODEL_SPIN, 123);
	nb_set_smmu(&a, NB_CB_START, 10, 16, 5000);
	tap_ok((a.callbacks & NB_CB_BIT(NB_CB_TLB)) && a.cost[NB_CB_TLB].model == NB_MODEL_SPIN &&
	       a.cost[NB_CB_TLB].ns == 123 && a.cost[NB_CB_START].model == NB_MODEL_SMMU &&
	       a.cost[NB_CB_START].threshold == 16 && a.cost[NB_CB_START].global_ns == 5000 &&
	       a.cost[NB_CB_TLB].reserved == 0,
	       "nb_set_cost / nb_set_smmu fill the cost and enable the callback");
	nb_set_insn(&a, NB_CB_RELEASE, 42);
	tap_ok((a.callbacks & NB_CB_BIT(NB_CB_RELEASE)) &&
	       a.cost[NB_CB_RELEASE].model == NB_MODEL_INSN && a.cost[NB_CB_RELEASE].ns == 42 &&
	       a.cost[NB_CB_RELEASE].threshold == 0 && a.cost[NB_CB_RELEASE].global_ns == 0,
	       "nb_set_insn carries N instructions in nb_cost.ns and enables the callback");

	if (!tap_ok(s != NULL, "nbdev_stats_new allocates")) {
		tap_ok(false, "nb_calls_total (no stats)");
		tap_ok(false, "nb_cell_sum (no stats)");
	} else {
		struct nb_cell sum;

		s->cell[NB_CB_START][NB_EV_UNMAP].calls = 2;
		s->cell[NB_CB_START][NB_EV_NONE].calls = 5;
		s->cell[NB_CB_START][NB_EV_UNMAP].ns_max = 7;
		s->cell[NB_CB_START][NB_EV_CLEAR].ns_max = 9;
		s->cell[NB_CB_END][NB_EV_UNMAP].calls = 100;
		tap_ok(nb_calls_total(s, NB_CB_START) == 7 && nb_calls_all(s) == 107,
		       "nb_calls_total sums one callback over all events");
		nb_cell_sum(s, NB_CB_START, &sum);
		tap_ok(sum.calls == 7 && sum.ns_max == 9, "nb_cell_sum adds calls, keeps max ns_max");
	}
	free(s);

	tap_ok(!strcmp(nb_event_name(NB_EV_PROTECTION_VMA), "protection_vma") &&
	       !strcmp(nb_event_name(NB_EV_PROTECTION_UPGRADE), "protection_upgrade") &&
	       !strcmp(nb_event_name(NB_EV_OTHER), "other") &&
	       !strcmp(nb_callback_name(NB_CB_INTERVAL), "interval") &&
	       !strcmp(nb_model_name(NB_MODEL_ZAP), "zap") &&
	       !strcmp(nb_model_name(NB_MODEL_INSN), "insn") &&
	       !strcmp(nb_model_name(NB_MODEL_INSN_RANGE), "insn_range") && !strcmp(nb_event_name(NB_EV_NR), "?"),
	       "names of events, callbacks, models; ? out of range");
	/* The one name table (nbdev.c) names every slot, each once: CSV columns are made of them. */
	for (unsigned int ev = 0; ev < NB_EV_NR; ev++) {
		const char *n = nb_event_name(ev);

		named += n && strcmp(n, "?");
		for (unsigned int j = 0; j < ev; j++)
			dups += n && !strcmp(n, nb_event_name(j));
	}
	tap_ok(named == NB_EV_NR && dups == 0, "every event slot has a name, none twice (%u of %d, "
	       "%u duplicates)", named, NB_EV_NR, dups);
}

/*
 * NB_MODELS' columns as the module and notibench enforced them before the
 * table (ABI 4): a model whose callbacks change changes what a module
 * refuses. Its names: each once, in the lists in order.
 */
#define NR_MODEL_CHECKS	2
static void check_models(void)
{
	static const uint32_t cbs[NB_MODEL_NR] = { 0x1ff, 0x1ff, 0x11f, 0x103, 0x11f, 0x101, 0x101,
						   0x1ff, 0x11f };
	static const uint32_t kind[NB_MODEL_NR] = {
		NB_COST_NONE, NB_COST_NS, NB_COST_PER_PAGE, NB_COST_NS, NB_COST_THRESHOLD,
		NB_COST_NS, NB_COST_NS, NB_COST_INSN, NB_COST_INSN | NB_COST_PER_PAGE };
	const char *sp = NB_MODEL_NAMES_SP;
	unsigned int bad = 0, named = 0, dups = 0;

	for (unsigned int m = 0; m < NB_MODEL_NR; m++) {
		uint32_t feat = m == NB_MODEL_INSN ? NB_FEAT_INSN :
				m == NB_MODEL_INSN_RANGE ? NB_FEAT_INSN_RANGE : 0;
		const char *n = nb_model_name(m);

		bad += nb_model_callbacks(m) != cbs[m] || nb_model_kind(m) != kind[m] ||
		       nb_model_feature(m) != feat;
		named += strcmp(n, "?") && strstr(NB_MODEL_NAMES, n);
		for (unsigned int j = 0; j < m; j++)
			dups += !strcmp(n, nb_model_name(j));
	}
	tap_ok(bad == 0 && nb_model_callbacks(NB_MODEL_NR) == 0 && nb_model_kind(NB_MODEL_NR) == 0,
	       "NB_MODELS: each model's callbacks, kind and feature (%u differ); none for "
	       "NB_MODEL_NR", bad);
	tap_ok(named == NB_MODEL_NR && dups == 0 &&
	       !strncmp(NB_MODEL_NAMES, "count, spin, spin_range, ", 25) &&
	       !strcmp(sp + strlen(sp) - 11, " insn_range"),
	       "every model has a name, none twice (%u of %d, %u duplicates), listed in order",
	       named, NB_MODEL_NR, dups);
}

/* Without the module the client must say so, not just "No such file". */
static void check_missing_device(void)
{
	int fd;

	if (access(NB_DEVICE, F_OK) == 0) {
		tap_skip(NB_DEVICE " exists here", "open without the module explains itself");
		return;
	}
	fd = nbdev_open();
	tap_ok(fd == -ENOENT && strstr(nbdev_strerror(fd), "loaded"),
	       "open without the module: -ENOENT, message says module not loaded (%d: %s)",
	       fd, fd < 0 ? nbdev_strerror(fd) : "opened");
	if (fd >= 0)
		nbdev_close(fd);
}

int main(void)
{
	tap_plan(NR_CHECKS + NR_CLIENT + NR_MODEL_CHECKS + 1);
	for (size_t i = 0; i < NR_CHECKS; i++) {
		const struct check *c = &checks[i];

		if (!tap_ok(c->got == c->want, "%s == %#llx", c->what, (unsigned long long)c->want))
			tap_diag("got %#llx", (unsigned long long)c->got);
	}
	check_client();
	check_models();
	check_missing_device();
	return tap_finish();
}
