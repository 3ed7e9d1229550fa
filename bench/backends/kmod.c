// SPDX-License-Identifier: GPL-2.0
/*
 * The kmod backend: a /dev/notibench session (bench/lib/nbdev.h) with K
 * subscribers whose callbacks charge a configured cost. Counters and the
 * invalidation ring are reset before each sample and read after it.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend_impl.h"
#include "nbdev.h"
#include "stats.h"
#include "util.h"

#define CB(x) NB_CB_BIT(NB_CB_##x)
/* A model's callbacks, kind and name: NB_MODELS in include/notibench.h. */
#define IS_INSN(kind) ((kind) & NB_COST_INSN)

#define MAX_SWEEP 32

struct kmod_spec {
	unsigned int model, mode, k;
	uint32_t cbs, events, flags;
	bool cbs_given;
	uint64_t ns[MAX_SWEEP];		/* insn: instructions per call; insn_range: per 4 KiB */
	unsigned int nr_ns;
	uint64_t threshold, global_ns;
};

/* "a+b+c" of names from name_of(0..nr-1), or "all"; mask out. */
static int parse_names(const char *s, unsigned int nr, const char *(*name_of)(unsigned int),
		       uint32_t all, uint32_t *mask, char *bad, size_t blen)
{
	char tmp[256], *save, *tok;

	if (!strcmp(s, "all")) {
		*mask = all;
		return 0;
	}
	snprintf(tmp, sizeof(tmp), "%s", s);
	*mask = 0;
	for (tok = strtok_r(tmp, "+", &save); tok; tok = strtok_r(NULL, "+", &save)) {
		unsigned int i;

		for (i = 0; i < nr; i++)
			if (!strcmp(tok, name_of(i)))
				break;
		if (i == nr) {
			snprintf(bad, blen, "%s", tok);
			return -1;
		}
		*mask |= 1u << i;
	}
	return *mask ? 0 : -1;
}

static void names_of(uint32_t mask, unsigned int nr, const char *(*name_of)(unsigned int),
		     char *out, size_t len)
{
	out[0] = 0;
	for (unsigned int i = 0; i < nr; i++)
		if (mask & 1u << i)
			snprintf(out + strlen(out), len - strlen(out), "%s%s", out[0] ? "+" : "",
				 name_of(i));
}

/* Where the kmod columns are in the run's CSV (-1: absent). */
struct kmod_cols {
	int dev;			/* first of DEV_NR, -1 without a zap configuration */
	uint32_t cbs;			/* callbacks with columns */
	int nb[NB_CB_NR];		/* first column of callback cb: NBF_NR, then 2 per event, hist */
	int ranges_per_call, range_bytes_mean, charged_calls, charged_pages, capped_per_op;
	int ev_per_op;			/* NB_EV_NONE of them: main callback's calls / K / op */
	int tlb_per_op, tlb_bytes_mean;	/* the secondary-TLB hook's, -1 when no one attaches it */
};

/* A configuration's state (struct backend's priv). */
struct kmod {
	struct nb_attach attach;
	bool zap;			/* the ZAP model: a mirror over the buffer (range set at attach) */
	int nb_fd;
	struct nb_version version;
	struct nb_stats *stats;		/* the last sample's */
	struct nb_ring_entry ring[NB_RING_SIZE];
	unsigned int ring_n;
	struct nb_access fill, after;	/* zap: the last sample's device reads */
	struct kmod_cols cols;		/* the run's CSV columns */
};

extern const struct backend_ops backend_kmod_ops;

static struct kmod *kmod_of(const struct backend *b)
{
	return b->priv;
}

#define USAGE(...) do { snprintf(msg, len, __VA_ARGS__); return NB_EXIT_USAGE; } while (0)

static int kmod_parse(const char *spec, struct backend **v, unsigned int *n, char *msg, size_t len)
{
	struct kmod_spec s = { .k = 1, .events = NB_EV_ALL, .threshold = 512, .global_ns = 10000 };
	char tmp[512], *save, *tok, bad[64], cbs[128], evs[160], base[160];
	const char *key = NULL, *ckey;
	uint32_t allowed, kind;
	uint64_t u, cmax;

	if (strlen(spec) >= sizeof(tmp))
		USAGE("--backend kmod:%s: too long", spec);
	snprintf(tmp, sizeof(tmp), "%s", spec);
	tok = strtok_r(tmp, ",", &save);
	if (!tok)
		USAGE("--backend kmod: needs a model (%s)", NB_MODEL_NAMES);
	for (s.model = 0; s.model < NB_MODEL_NR; s.model++)
		if (!strcmp(tok, nb_model_name(s.model)))
			break;
	if (s.model == NB_MODEL_NR)
		USAGE("--backend kmod:%s: unknown model '%s' (%s)", spec, tok, NB_MODEL_NAMES);
	kind = nb_model_kind(s.model);
	/* The cost's key: a time in ns, or for insn a count of instructions. */
	ckey = IS_INSN(kind) ? "n" : "ns";
	cmax = IS_INSN(kind) ? NB_MAX_INSN : NB_MAX_NS;
	while ((tok = strtok_r(NULL, ",", &save))) {
		char *eq = strchr(tok, '=');
		const char *val = tok;

		if (eq) {
			*eq = 0;
			key = tok;
			val = eq + 1;
		} else if (!key || strcmp(key, ckey)) {
			USAGE("--backend kmod:%s: '%s' is not key=value (only %s= takes a list)", spec,
			      tok, ckey);
		}
		if (!strcmp(key, "ns") && IS_INSN(kind)) {
			USAGE("--backend kmod:%s: %s's cost is n= (instructions per %s), not ns=",
			      spec, nb_model_name(s.model),
			      kind & NB_COST_PER_PAGE ? "4 KiB of the range" : "call");
		} else if (!strcmp(key, "n") && !IS_INSN(kind)) {
			USAGE("--backend kmod:%s: n= is the insn model's cost (instructions); %s takes "
			      "ns=", spec, nb_model_name(s.model));
		} else if (!strcmp(key, ckey)) {
			if (s.nr_ns == MAX_SWEEP)
				USAGE("--backend kmod:%s: at most %d %s values", spec, MAX_SWEEP, ckey);
			if (parse_u64(val, cmax, &s.ns[s.nr_ns]))
				USAGE("--backend kmod:%s: %s '%s' is not a number of %s in 0..%llu", spec,
				      ckey, val, IS_INSN(kind) ? "instructions" : "ns",
				      (unsigned long long)cmax);
			s.nr_ns++;
		} else if (!strcmp(key, "k")) {
			if (parse_u64(val, NB_MAX_SUBSCRIBERS, &u) || u == 0)
				USAGE("--backend kmod:%s: k '%s' is not in 1..%d", spec, val,
				      NB_MAX_SUBSCRIBERS);
			s.k = (unsigned int)u;
		} else if (!strcmp(key, "cb")) {
			if (parse_names(val, NB_CB_NR, nb_callback_name, NB_CB_ALL, &s.cbs, bad,
					sizeof(bad)))
				USAGE("--backend kmod:%s: unknown callback '%s' in cb=%s (start, end, "
				      "tlb, clear_flush_young, clear_young, test_young, change_pte, "
				      "release, interval; joined with +)", spec, bad, val);
			s.cbs_given = true;
		} else if (!strcmp(key, "events")) {
			if (parse_names(val, NB_EV_NR, nb_event_name, NB_EV_ALL, &s.events, bad,
					sizeof(bad))) {
				names_of(NB_EV_ALL, NB_EV_NR, nb_event_name, evs, sizeof(evs));
				USAGE("--backend kmod:%s: unknown event '%s' in events=%s (%s, all; "
				      "joined with +)", spec, bad, val, evs);
			}
		} else if (!strcmp(key, "mode")) {
			if (strcmp(val, "ops") && strcmp(val, "interval"))
				USAGE("--backend kmod:%s: mode is ops or interval", spec);
			s.mode = strcmp(val, "ops") ? NB_MODE_INTERVAL : NB_MODE_OPS;
		} else if (!strcmp(key, "ring")) {
			if (strcmp(val, "0") && strcmp(val, "1"))
				USAGE("--backend kmod:%s: ring is 0 or 1", spec);
			s.flags = *val == '0' ? NB_ATTACH_NO_RING : 0;
		} else if (!strcmp(key, "threshold")) {
			if (parse_u64(val, NB_MAX_THRESHOLD, &s.threshold) || !s.threshold)
				USAGE("--backend kmod:%s: threshold '%s' is not in 1..%llu pages", spec, val,
				      (unsigned long long)NB_MAX_THRESHOLD);
		} else if (!strcmp(key, "global")) {
			if (parse_u64(val, NB_MAX_NS, &s.global_ns))
				USAGE("--backend kmod:%s: global '%s' is not in 0..%llu ns", spec, val,
				      (unsigned long long)NB_MAX_NS);
		} else {
			USAGE("--backend kmod:%s: unknown parameter '%s' (k, cb, events, ns (insn: n), "
			      "threshold, global, mode, ring)", spec, key);
		}
	}
	if (!s.cbs_given)
		s.cbs = s.mode == NB_MODE_INTERVAL ? CB(INTERVAL) :
			s.model == NB_MODEL_FAIL ? CB(START) : CB(START) | CB(END);
	if (s.mode == NB_MODE_INTERVAL && s.cbs != CB(INTERVAL))
		USAGE("--backend kmod:%s: mode=interval takes cb=interval only", spec);
	if (s.mode == NB_MODE_OPS && (s.cbs & CB(INTERVAL)))
		USAGE("--backend kmod:%s: cb=interval needs mode=interval", spec);
	allowed = nb_model_callbacks(s.model) & s.cbs;
	if (!allowed)
		USAGE("--backend kmod:%s: model %s cannot be charged on cb=%s", spec,
		      nb_model_name(s.model), (names_of(s.cbs, NB_CB_NR, nb_callback_name, cbs,
							sizeof(cbs)), cbs));
	if (s.model == NB_MODEL_FAIL && (s.cbs & CB(START)) && (s.cbs & CB(END)))
		USAGE("--backend kmod:%s: a start that can fail forbids end (kernel rule since 5.12): "
		      "use cb=start", spec);
	if (s.model == NB_MODEL_ZAP) {
		/* The module's rules (kmod/README.md): one subscriber, and END closes the invalidation. */
		if (s.k != 1)
			USAGE("--backend kmod:%s: the zap model keeps one mirror: k must be 1", spec);
		if (s.mode == NB_MODE_OPS && !(s.cbs & CB(END)))
			USAGE("--backend kmod:%s: the zap model needs end (it closes the invalidation): "
			      "use cb=start+end", spec);
		if (!(s.cbs & CB(START)) && s.mode == NB_MODE_OPS)
			USAGE("--backend kmod:%s: the zap model zaps from start: cb must include start",
			      spec);
	}
	if (!s.nr_ns)
		s.ns[s.nr_ns++] = 0;

	names_of(s.cbs, NB_CB_NR, nb_callback_name, cbs, sizeof(cbs));
	names_of(s.events, NB_EV_NR, nb_event_name, evs, sizeof(evs));
	snprintf(base, sizeof(base), "kmod:%s", nb_model_name(s.model));
	if (s.k != 1)
		snprintf(base + strlen(base), sizeof(base) - strlen(base), ",k=%u", s.k);
	if (s.cbs_given)
		snprintf(base + strlen(base), sizeof(base) - strlen(base), ",cb=%s", cbs);
	if (s.events != NB_EV_ALL)
		snprintf(base + strlen(base), sizeof(base) - strlen(base), ",events=%s", evs);
	if (s.mode == NB_MODE_INTERVAL)
		snprintf(base + strlen(base), sizeof(base) - strlen(base), ",mode=interval");
	if (kind & NB_COST_THRESHOLD)
		snprintf(base + strlen(base), sizeof(base) - strlen(base), ",threshold=%" PRIu64
			 ",global=%" PRIu64, s.threshold, s.global_ns);
	if (s.flags & NB_ATTACH_NO_RING)
		snprintf(base + strlen(base), sizeof(base) - strlen(base), ",ring=0");

	for (unsigned int i = 0; i < s.nr_ns; i++) {
		struct backend *b = backend_append(v, n, &backend_kmod_ops, sizeof(struct kmod));
		struct kmod *k;

		if (!b)
			USAGE("out of memory");
		k = kmod_of(b);
		k->nb_fd = -1;
		k->zap = s.model == NB_MODEL_ZAP;
		nb_attach_init(&k->attach, s.mode, s.k);
		nb_set_callbacks(&k->attach, s.cbs);
		k->attach.event_mask = s.events;
		k->attach.flags = s.flags;
		for (unsigned int cb = 0; cb < NB_CB_NR; cb++) {
			if (!(allowed & NB_CB_BIT(cb)))
				continue;
			if (kind & NB_COST_THRESHOLD)
				nb_set_smmu(&k->attach, cb, s.ns[i], s.threshold, s.global_ns);
			else
				nb_set_cost(&k->attach, cb, s.model, s.ns[i]);
		}
		b->sweep_cost = (double)s.ns[i];
		b->cost_insn = IS_INSN(kind);
		b->cost_per_page = kind & NB_COST_PER_PAGE;
		if (kind & NB_COST_NONE)
			snprintf(b->label, sizeof(b->label), "%s", base);
		else
			snprintf(b->label, sizeof(b->label), "%s,%s=%" PRIu64, base, ckey, s.ns[i]);
		if (s.nr_ns > 1)
			snprintf(b->sweep, sizeof(b->sweep), "%s", base);
	}
	return NB_EXIT_OK;
}

static int kmod_open(struct backend *b, char *reason, size_t len)
{
	struct kmod *k = kmod_of(b);
	int fd = nbdev_open(), ret;
	uint32_t tlb_with_range = CB(TLB) | CB(START) | CB(END), missing;

	if (fd < 0) {
		snprintf(reason, len, "backend %s: %s", b->label, nbdev_strerror(fd));
		return NB_EXIT_SKIP;
	}
	k->nb_fd = fd;
	ret = nbdev_version(fd, &k->version);
	if (ret < 0) {
		snprintf(reason, len, "backend %s: NB_IOC_VERSION: %s", b->label, nbdev_strerror(ret));
		return NB_EXIT_SKIP;
	}
	if (k->version.abi_version != NB_ABI_VERSION) {
		snprintf(reason, len, "backend %s: the module speaks ABI %u, notibench ABI %u: "
			 "rebuild one of them", b->label, k->version.abi_version, NB_ABI_VERSION);
		return NB_EXIT_SKIP;
	}
	missing = k->attach.callbacks & ~k->version.callbacks & ~CB(INTERVAL);
	if (missing) {
		char names[128];

		names_of(missing, NB_CB_NR, nb_callback_name, names, sizeof(names));
		snprintf(reason, len, "backend %s: kernel %s has no %s callback", b->label,
			 k->version.kernel_release, names);
		return NB_EXIT_SKIP;
	}
	if ((k->version.features & NB_FEAT_TLB_IS_ARCH) && (k->attach.callbacks & CB(TLB)) &&
	    (k->attach.callbacks & tlb_with_range & ~CB(TLB))) {
		snprintf(reason, len, "backend %s: kernel %s (>= 6.6) refuses a subscriber with both "
			 "arch_invalidate_secondary_tlbs and start/end", b->label,
			 k->version.kernel_release);
		return NB_EXIT_SKIP;
	}
	if (b->cost_per_page && b->cost_insn && !(k->version.features & NB_FEAT_INSN_RANGE)) {
		snprintf(reason, len, "backend %s: the module (version %s, kernel %s) has no insn_range "
			 "model: it needs module 1.3 and an architecture with the insn loop (x86-64, arm64)",
			 b->label, k->version.module_version, k->version.kernel_release);
		return NB_EXIT_SKIP;
	}
	if (b->cost_insn && !(k->version.features & NB_FEAT_INSN)) {
		snprintf(reason, len, "backend %s: the module (version %s, kernel %s) has no insn model: "
			 "it needs module 1.1 and an architecture with its loop (x86-64, arm64)", b->label,
			 k->version.module_version, k->version.kernel_release);
		return NB_EXIT_SKIP;
	}
	k->stats = nbdev_stats_new();
	if (!k->stats) {
		snprintf(reason, len, "out of memory");
		return NB_EXIT_FAIL;
	}
	return NB_EXIT_OK;
}

static int kmod_attach(struct backend *b, void *buf, size_t len, char *reason, size_t rlen)
{
	struct kmod *k = kmod_of(b);
	int ret;

	/* The module wants a range only where it uses one (interval mode, zap). */
	if (k->attach.mode == NB_MODE_INTERVAL || k->zap)
		nb_set_range(&k->attach, (uintptr_t)buf, len);
	if (k->zap && len > (NB_MAX_MIRROR_ENTRIES << 12)) {
		snprintf(reason, rlen, "backend %s: the mirror holds at most %llu GiB; the buffer is "
			 "%zu MiB: use a smaller --size", b->label,
			 (unsigned long long)(NB_MAX_MIRROR_ENTRIES << 12 >> 30), len >> 20);
		return NB_EXIT_USAGE;
	}
	ret = nbdev_attach(k->nb_fd, &k->attach);
	if (ret < 0) {
		snprintf(reason, rlen, "backend %s: NB_IOC_ATTACH: %s", b->label, nbdev_strerror(ret));
		return ret == -EOPNOTSUPP ? NB_EXIT_SKIP : NB_EXIT_FAIL;
	}
	return NB_EXIT_OK;
}

static int kmod_sample_begin(struct backend *b)
{
	struct kmod *k = kmod_of(b);

	k->ring_n = 0;
	return nbdev_reset(k->nb_fd);
}

static int kmod_sample_end(struct backend *b)
{
	struct kmod *k = kmod_of(b);
	int ret = nbdev_stats(k->nb_fd, k->stats);

	if (ret == 0 && !(k->attach.flags & NB_ATTACH_NO_RING))
		ret = nbdev_ring(k->nb_fd, k->ring, NB_RING_SIZE, &k->ring_n);
	return ret;
}

static void kmod_detach(struct backend *b)
{
	struct kmod *k = kmod_of(b);

	nbdev_detach(k->nb_fd);
}

static void kmod_close(struct backend *b)
{
	struct kmod *k = kmod_of(b);

	if (k->nb_fd >= 0)
		nbdev_close(k->nb_fd);
	k->nb_fd = -1;
	free(k->stats);
	k->stats = NULL;
}

static void kmod_describe(const struct backend *b, const char *prefix, backend_emit emit)
{
	const struct kmod *k = kmod_of(b);
	const struct nb_attach *a = &k->attach;
	char key[128], v[512], cbs[128], evs[160];

	names_of(a->callbacks, NB_CB_NR, nb_callback_name, cbs, sizeof(cbs));
	names_of(a->event_mask, NB_EV_NR, nb_event_name, evs, sizeof(evs));
	snprintf(key, sizeof(key), "%s.kmod_attach", prefix);
	snprintf(v, sizeof(v), "mode=%s k=%u callbacks=%s events=%s ring=%d", nb_mode_name(a->mode),
		 a->nr_subscribers, cbs, evs, !(a->flags & NB_ATTACH_NO_RING));
	emit(key, v);
	snprintf(key, sizeof(key), "%s.kmod_cost", prefix);
	v[0] = 0;
	for (unsigned int cb = 0; cb < NB_CB_NR; cb++) {
		const struct nb_cost *c = &a->cost[cb];

		if (!(a->callbacks & NB_CB_BIT(cb)))
			continue;
		snprintf(v + strlen(v), sizeof(v) - strlen(v), "%s%s=%s:%" PRIu64 "%s", v[0] ? " " : "",
			 nb_callback_name(cb), nb_model_name(c->model), (uint64_t)c->ns,
			 nb_model_unit(c->model));
		if (nb_model_kind(c->model) & NB_COST_THRESHOLD)
			snprintf(v + strlen(v), sizeof(v) - strlen(v), ":threshold=%" PRIu64
				 ":global=%" PRIu64 "ns", (uint64_t)c->threshold, (uint64_t)c->global_ns);
	}
	emit(key, v);
	if (k->zap) {
		snprintf(key, sizeof(key), "%s.kmod_mirror", prefix);
		snprintf(v, sizeof(v), "zap: software secondary page table over the buffer %#llx + %llu "
			 "KiB, zapped by every invalidation (events ignored, like KVM); the harness "
			 "reads the buffer through it before each batch (fill) and after it (refaults)",
			 (unsigned long long)a->start, (unsigned long long)a->len >> 10);
		emit(key, v);
	}
	if (k->nb_fd >= 0 || k->version.abi_version) {
		snprintf(key, sizeof(key), "%s.module", prefix);
		static const struct { unsigned int bit; const char *name; } feat[] = {
			{ NB_FEAT_TLB_IS_ARCH, "tlb_is_arch" }, { NB_FEAT_CHANGE_PTE, "change_pte" },
			{ NB_FEAT_YOUNG_BOOL, "young_bool" }, { NB_FEAT_INSN, "insn" },
			{ NB_FEAT_PROTECTION_UPGRADE, "protection_upgrade" },
			{ NB_FEAT_INSN_RANGE, "insn_range" },
		};
		char f[160] = "";
		size_t used = 0;

		/* Space-separated, so that a feature absent leaves no gap. */
		for (size_t i = 0; i < sizeof(feat) / sizeof(feat[0]); i++)
			if (k->version.features & feat[i].bit)
				used += snprintf(f + used, sizeof(f) - used, "%s%s", used ? " " : "",
						 feat[i].name);
		snprintf(v, sizeof(v), "abi=%u version=%s kernel=%s features=%s callbacks=0x%x",
			 k->version.abi_version, k->version.module_version, k->version.kernel_release,
			 f, k->version.callbacks);
		emit(key, v);
	}
}

/* zap: the device reads the buffer, so the mirror holds it when the batch starts. */
static int kmod_before_batch(struct backend *b, void *buf, size_t len, char *msg, size_t mlen)
{
	struct kmod *k = kmod_of(b);
	int err;

	if (!k->zap)
		return NB_EXIT_OK;
	memset(&k->fill, 0, sizeof(k->fill));
	err = nbdev_access(k->nb_fd, (uintptr_t)buf, len, 0, &k->fill);
	if (err) {
		snprintf(msg, mlen, "%s: device access (NB_IOC_ACCESS) before the batch: %s", b->label,
			 nbdev_strerror(err));
		return NB_EXIT_FAIL;
	}
	return NB_EXIT_OK;
}

/* zap: the entries the batch's invalidations removed fault in again. */
static int kmod_after_batch(struct backend *b, void *buf, size_t len, char *msg, size_t mlen)
{
	struct kmod *k = kmod_of(b);
	int err;

	if (!k->zap)
		return NB_EXIT_OK;
	memset(&k->after, 0, sizeof(k->after));
	err = nbdev_access(k->nb_fd, (uintptr_t)buf, len, 0, &k->after);
	if (err) {
		snprintf(msg, mlen, "%s: device access (NB_IOC_ACCESS) after the batch: %s", b->label,
			 nbdev_strerror(err));
		return NB_EXIT_FAIL;
	}
	return NB_EXIT_OK;
}

/*
 * Sum over the charged cells (callbacks attached with a model in @models,
 * on the events the attach charges) of their calls, or of their 4 KiB units
 * of range when @pages.
 */
static double charged_sum(const struct backend *b, unsigned int models, bool pages)
{
	const struct kmod *k = kmod_of(b);
	const struct nb_attach *a = &k->attach;
	double n = 0;

	if (!k->stats)
		return 0;
	for (unsigned int cb = 0; cb < NB_CB_NR; cb++) {
		bool evented = cb == NB_CB_START || cb == NB_CB_END || cb == NB_CB_INTERVAL;

		if (!(a->callbacks & NB_CB_BIT(cb)) || !(models & (1u << a->cost[cb].model)))
			continue;
		for (unsigned int ev = 0; ev < NB_EV_NR; ev++) {
			const struct nb_cell *c = &k->stats->cell[cb][ev];

			if (!evented || (a->event_mask & NB_EV_BIT(ev)))
				n += pages ? (double)c->bytes / 4096.0 : (double)c->calls;
		}
	}
	return n;
}

/* Calls charged by a per-call model: spin (ns) and insn (instructions). */
static double kmod_charged_calls(const struct backend *b)
{
	return charged_sum(b, 1u << NB_MODEL_SPIN | 1u << NB_MODEL_INSN, false);
}

/*
 * 4 KiB units of range over the calls charged by a per-4 KiB model
 * (spin_range, insn_range): what the slope of a per-page sweep counts. From
 * the summed bytes, so a range that is not a multiple of 4 KiB counts its
 * fraction where the module rounds it up.
 */
static double kmod_charged_pages(const struct backend *b)
{
	return charged_sum(b, 1u << NB_MODEL_SPIN_RANGE | 1u << NB_MODEL_INSN_RANGE, true);
}

/* Calls whose charge the module clamped to its per-call cap, all callbacks. */
static double kmod_capped_calls(const struct backend *b)
{
	const struct kmod *k = kmod_of(b);
	double n = 0;

	if (!k->stats)
		return 0;
	for (unsigned int cb = 0; cb < NB_CB_NR; cb++)
		for (unsigned int ev = 0; ev < NB_EV_NR; ev++)
			n += (double)k->stats->cell[cb][ev].capped;
	return n;
}

/* ---- columns, values, summary ---- */

/* Fields of an nb_cell written per callback. */
enum nb_field { NBF_CALLS, NBF_BYTES, NBF_NS, NBF_NONBLOCK, NBF_FALLBACK, NBF_FAILED, NBF_CAPPED,
		NBF_NR };
static const char *const nbf_names[NBF_NR] = { "calls", "bytes", "ns", "nonblock", "fallback",
					       "failed", "capped" };

/* Device-access (kmod zap model) columns, in this order. */
enum dev_col { DEV_ZAPPED, DEV_ZAPPED_PER_OP, DEV_ENTRIES, DEV_RETRIES, DEV_FILL_FAULTS,
	       DEV_REFAULTS, DEV_REFAULTS_PER_OP, DEV_NR };
static const char *const dev_names[DEV_NR] = {
	"nb_mirror_zapped", "nb_mirror_zapped_per_op", "nb_mirror_entries", "nb_mirror_retries",
	"nb_dev_fill_faults", "nb_dev_refaults", "nb_dev_refaults_per_op",
};

/*
 * After the benchmark's columns: the device's (with a zap configuration),
 * then the notifier's for the callbacks some configuration attaches.
 */
static void kmod_make_columns(struct kmod_cols *lc, const struct backend *cfg, unsigned int ncfg,
			      backend_add_col add, void *ctx)
{
	char name[64];

	lc->dev = -1;
	for (unsigned int k = 0; k < ncfg; k++)
		if (cfg[k].ops == &backend_kmod_ops && kmod_of(&cfg[k])->zap)
			lc->dev = 0;
	if (lc->dev >= 0)
		for (int i = 0; i < DEV_NR; i++) {
			int c = add(ctx, dev_names[i], false);

			lc->dev = i ? lc->dev : c;
		}
	lc->cbs = 0;
	for (unsigned int k = 0; k < ncfg; k++)
		if (cfg[k].ops == &backend_kmod_ops)
			lc->cbs |= kmod_of(&cfg[k])->attach.callbacks;
	lc->ranges_per_call = lc->range_bytes_mean = lc->charged_calls = -1;
	lc->charged_pages = lc->capped_per_op = lc->tlb_per_op = lc->tlb_bytes_mean = -1;
	if (!lc->cbs)
		return;
	lc->ranges_per_call = add(ctx, "nb_ranges_per_call", false);
	lc->range_bytes_mean = add(ctx, "nb_range_bytes_mean", false);
	lc->charged_calls = add(ctx, "nb_charged_calls", false);
	lc->charged_pages = add(ctx, "nb_charged_pages", false);
	lc->capped_per_op = add(ctx, "nb_capped_per_op", false);
	/* The upgrade question's figures: hook calls per op and the range they name. */
	if (lc->cbs & NB_CB_BIT(NB_CB_TLB)) {
		lc->tlb_per_op = add(ctx, "nb_tlb_per_op", false);
		lc->tlb_bytes_mean = add(ctx, "nb_tlb_bytes_mean", false);
	}
	for (unsigned int ev = 0; ev < NB_EV_NONE; ev++) {
		int c;

		snprintf(name, sizeof(name), "nb_%s_per_op", nb_event_name(ev));
		c = add(ctx, name, false);
		lc->ev_per_op = ev ? lc->ev_per_op : c;
	}
	for (unsigned int cb = 0; cb < NB_CB_NR; cb++) {
		if (!(lc->cbs & NB_CB_BIT(cb)))
			continue;
		for (int f = 0; f < NBF_NR; f++) {
			int c;

			snprintf(name, sizeof(name), "nb_%s_%s", nb_callback_name(cb), nbf_names[f]);
			c = add(ctx, name, false);
			lc->nb[cb] = f ? lc->nb[cb] : c;
		}
		for (unsigned int ev = 0; ev < NB_EV_NR; ev++) {
			snprintf(name, sizeof(name), "nb_%s_%s_calls", nb_callback_name(cb),
				 nb_event_name(ev));
			add(ctx, name, false);
			snprintf(name, sizeof(name), "nb_%s_%s_bytes", nb_callback_name(cb),
				 nb_event_name(ev));
			add(ctx, name, false);
		}
		snprintf(name, sizeof(name), "nb_%s_hist", nb_callback_name(cb));
		add(ctx, name, true);
	}
}

static void kmod_columns(struct backend *cfg, unsigned int ncfg, enum backend_cols where,
			 backend_add_col add, void *ctx)
{
	struct kmod_cols lc = { 0 };

	if (where != BACKEND_COLS_LATE)
		return;
	kmod_make_columns(&lc, cfg, ncfg, add, ctx);
	for (unsigned int k = 0; k < ncfg; k++)
		if (cfg[k].ops == &backend_kmod_ops)
			kmod_of(&cfg[k])->cols = lc;
}

/* "2M:3 1G:1": range-size histogram, buckets named by their lower bound. */
static char *hist_string(const __u64 *hist)
{
	char buf[1024] = "";

	for (int b = 0; b < NB_HIST_BUCKETS; b++) {
		char label[16];

		if (!hist[b])
			continue;
		if (b == NB_HIST_SMALL)
			snprintf(label, sizeof(label), "<4K");
		else if (b == NB_HIST_HUGE)
			snprintf(label, sizeof(label), ">=1T");
		else if (b == NB_HIST_FULL)
			snprintf(label, sizeof(label), "full");
		else {
			unsigned int sh = 11 + b;	/* lower bound 2^(11+b) */

			snprintf(label, sizeof(label), "%lu%c",
				 1ul << (sh % 10), " KMG"[sh / 10]);
		}
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s:%llu",
			 buf[0] ? " " : "", label, (unsigned long long)hist[b]);
	}
	return strdup(buf);
}

static void kmod_sample_values(struct backend *b, const struct backend_sample *s, double *v,
			       char **text)
{
	const struct kmod *k = kmod_of(b);
	const struct kmod_cols *lc = &k->cols;
	unsigned int main_cb = nb_main_callback(&k->attach);
	double calls = (double)s->calls;
	struct nb_cell sum;

	if (k->zap) {
		const struct nb_mirror_stats *m = &k->stats->mirror;

		v[lc->dev + DEV_ZAPPED] = (double)m->zapped;
		v[lc->dev + DEV_ZAPPED_PER_OP] = (double)m->zapped / (double)s->nops;
		v[lc->dev + DEV_ENTRIES] = (double)m->entries;
		v[lc->dev + DEV_RETRIES] = (double)(m->retries + k->after.retries);
		v[lc->dev + DEV_FILL_FAULTS] = (double)k->fill.faults;
		v[lc->dev + DEV_REFAULTS] = (double)k->after.faults;
		v[lc->dev + DEV_REFAULTS_PER_OP] = (double)k->after.faults / (double)s->nops;
	}
	for (unsigned int cb = 0; cb < NB_CB_NR; cb++) {
		int col = lc->nb[cb];

		if (!(lc->cbs & NB_CB_BIT(cb)))
			continue;
		nb_cell_sum(k->stats, cb, &sum);
		if (k->attach.callbacks & NB_CB_BIT(cb)) {
			const uint64_t f[NBF_NR] = { sum.calls, sum.bytes, sum.ns, sum.nonblock,
						     sum.fallback, sum.failed, sum.capped };

			for (int i = 0; i < NBF_NR; i++)
				v[col + i] = (double)f[i];
			for (unsigned int ev = 0; ev < NB_EV_NR; ev++) {
				v[col + NBF_NR + 2 * ev] = (double)k->stats->cell[cb][ev].calls;
				v[col + NBF_NR + 2 * ev + 1] = (double)k->stats->cell[cb][ev].bytes;
			}
			text[col + NBF_NR + 2 * NB_EV_NR] = hist_string(sum.hist);
			if (cb == NB_CB_TLB) {
				/* full-range calls carry no bytes (kmod/README.md): not in the mean */
				uint64_t sized = sum.calls - sum.hist[NB_HIST_FULL];

				v[lc->tlb_per_op] = (double)sum.calls /
						    (double)k->attach.nr_subscribers / (double)s->nops;
				v[lc->tlb_bytes_mean] = sized ? (double)sum.bytes / (double)sized : NAN;
			}
		}
		if (cb == main_cb) {
			double per = (double)k->attach.nr_subscribers;

			v[lc->ranges_per_call] = (double)sum.calls / per / calls;
			v[lc->range_bytes_mean] = sum.calls ? (double)sum.bytes / (double)sum.calls : NAN;
			for (unsigned int ev = 0; ev < NB_EV_NONE; ev++)
				v[lc->ev_per_op + ev] = (double)k->stats->cell[cb][ev].calls /
							per / (double)s->nops;
		}
	}
	v[lc->charged_calls] = kmod_charged_calls(b);
	v[lc->charged_pages] = kmod_charged_pages(b);
	v[lc->capped_per_op] = kmod_capped_calls(b) / (double)s->nops;
}

static void kmod_counters(const struct backend *b, struct bench_counters *c)
{
	const struct kmod *k = kmod_of(b);

	if (k->zap) {
		c->dev_fill_faults = (int64_t)k->fill.faults;
		c->dev_refaults = (int64_t)k->after.faults;
	}
	c->nb = k->stats;
	c->nb_attach = &k->attach;
	c->ring = k->ring;
	c->ring_n = k->ring_n;
}

/* The notifier events per op, by event (those seen in some sample). */
static void kmod_summary(const struct backend *b, const struct stats *st, double nops,
			 const char *unit)
{
	const struct kmod *k = kmod_of(b);
	char line[512] = "";

	(void)nops;	/* its lines are counts per op, already per op */
	(void)unit;
	if (!st[k->cols.ranges_per_call].n)
		return;
	for (unsigned int ev = 0; ev < NB_EV_NONE; ev++) {
		const struct stats *s = &st[k->cols.ev_per_op + ev];

		if (s->n && s->max > 0)
			snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s%s %.3f",
				 line[0] ? ", " : "", nb_event_name(ev), s->median);
	}
	if (line[0])
		printf("%-28s %s calls per op by event (median): %s\n", b->label,
		       nb_callback_name(nb_main_callback(&k->attach)), line);
}

static bool kmod_has_device(const struct backend *b)
{
	return kmod_of(b)->zap;
}

static int kmod_parse_spec(const char *spec, struct backend **v, unsigned int *n, char *msg,
			   size_t len)
{
	return kmod_parse(spec + strlen("kmod:"), v, n, msg, len);
}

const struct backend_ops backend_kmod_ops = {
	.name = "kmod",
	.prefix = "kmod:",
	.usage = "kmod:<model>[,...]",
	.parse = kmod_parse_spec,
	.open = kmod_open,
	.attach = kmod_attach,
	.before_batch = kmod_before_batch,
	.after_batch = kmod_after_batch,
	.sample_begin = kmod_sample_begin,
	.sample_end = kmod_sample_end,
	.detach = kmod_detach,
	.close = kmod_close,
	.describe = kmod_describe,
	.columns = kmod_columns,
	.sample_values = kmod_sample_values,
	.counters = kmod_counters,
	.summary = kmod_summary,
	.has_device = kmod_has_device,
};
