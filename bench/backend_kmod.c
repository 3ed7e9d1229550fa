// SPDX-License-Identifier: GPL-2.0
/*
 * The kmod backend: a /dev/notibench session (bench/nbdev.h) with K
 * subscribers whose callbacks charge a configured cost. Counters and the
 * invalidation ring are reset before each sample and read after it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend_impl.h"
#include "bench.h"
#include "nbdev.h"
#include "util.h"

#define CB(x) NB_CB_BIT(NB_CB_##x)
#define RANGE_CBS (CB(START) | CB(END) | CB(TLB) | CB(CLEAR_FLUSH_YOUNG) | CB(CLEAR_YOUNG) | \
		   CB(INTERVAL))
#define ALL_CBS (NB_CB_BIT(NB_CB_NR) - 1)

/* Callbacks each model may be charged on (kmod/README.md, "Cost models"). */
static const uint32_t model_cbs[NB_MODEL_NR] = {
	[NB_MODEL_COUNT] = ALL_CBS,
	[NB_MODEL_SPIN] = ALL_CBS,
	[NB_MODEL_SPIN_RANGE] = RANGE_CBS,
	[NB_MODEL_SLEEP] = CB(START) | CB(END) | CB(INTERVAL),
	[NB_MODEL_SMMU] = RANGE_CBS,
	[NB_MODEL_FAIL] = CB(START) | CB(INTERVAL),
	[NB_MODEL_ZAP] = CB(START) | CB(INTERVAL),
	[NB_MODEL_INSN] = ALL_CBS,
	[NB_MODEL_INSN_RANGE] = RANGE_CBS,
};

#define MODELS "count, spin, spin_range, sleep, smmu, fail, zap, insn, insn_range"
#define IS_INSN(m) ((m) == NB_MODEL_INSN || (m) == NB_MODEL_INSN_RANGE)

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

#define USAGE(...) do { snprintf(msg, len, __VA_ARGS__); return NB_EXIT_USAGE; } while (0)

int kmod_parse(const char *spec, struct backend **v, unsigned int *n, char *msg, size_t len)
{
	struct kmod_spec s = { .k = 1, .events = NB_EV_ALL, .threshold = 512, .global_ns = 10000 };
	char tmp[512], *save, *tok, bad[64], cbs[128], evs[160], base[160];
	const char *key = NULL, *ckey;
	uint32_t allowed;
	uint64_t u, cmax;

	if (strlen(spec) >= sizeof(tmp))
		USAGE("--backend kmod:%s: too long", spec);
	snprintf(tmp, sizeof(tmp), "%s", spec);
	tok = strtok_r(tmp, ",", &save);
	if (!tok)
		USAGE("--backend kmod: needs a model (" MODELS ")");
	for (s.model = 0; s.model < NB_MODEL_NR; s.model++)
		if (!strcmp(tok, nb_model_name(s.model)))
			break;
	if (s.model == NB_MODEL_NR)
		USAGE("--backend kmod:%s: unknown model '%s' (" MODELS ")", spec, tok);
	/* The cost's key: a time in ns, or for insn a count of instructions. */
	ckey = IS_INSN(s.model) ? "n" : "ns";
	cmax = IS_INSN(s.model) ? NB_MAX_INSN : NB_MAX_NS;
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
		if (!strcmp(key, "ns") && IS_INSN(s.model)) {
			USAGE("--backend kmod:%s: %s's cost is n= (instructions per %s), not ns=",
			      spec, nb_model_name(s.model),
			      s.model == NB_MODEL_INSN ? "call" : "4 KiB of the range");
		} else if (!strcmp(key, "n") && !IS_INSN(s.model)) {
			USAGE("--backend kmod:%s: n= is the insn model's cost (instructions); %s takes "
			      "ns=", spec, nb_model_name(s.model));
		} else if (!strcmp(key, ckey)) {
			if (s.nr_ns == MAX_SWEEP)
				USAGE("--backend kmod:%s: at most %d %s values", spec, MAX_SWEEP, ckey);
			if (parse_u64(val, cmax, &s.ns[s.nr_ns]))
				USAGE("--backend kmod:%s: %s '%s' is not a number of %s in 0..%llu", spec,
				      ckey, val, IS_INSN(s.model) ? "instructions" : "ns",
				      (unsigned long long)cmax);
			s.nr_ns++;
		} else if (!strcmp(key, "k")) {
			if (parse_u64(val, NB_MAX_SUBSCRIBERS, &u) || u == 0)
				USAGE("--backend kmod:%s: k '%s' is not in 1..%d", spec, val,
				      NB_MAX_SUBSCRIBERS);
			s.k = (unsigned int)u;
		} else if (!strcmp(key, "cb")) {
			if (parse_names(val, NB_CB_NR, nb_callback_name, ALL_CBS, &s.cbs, bad,
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
	allowed = model_cbs[s.model] & s.cbs;
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
	if (s.model == NB_MODEL_SMMU)
		snprintf(base + strlen(base), sizeof(base) - strlen(base), ",threshold=%" PRIu64
			 ",global=%" PRIu64, s.threshold, s.global_ns);
	if (s.flags & NB_ATTACH_NO_RING)
		snprintf(base + strlen(base), sizeof(base) - strlen(base), ",ring=0");

	for (unsigned int i = 0; i < s.nr_ns; i++) {
		struct backend *b = backend_append(v, n);

		if (!b)
			USAGE("out of memory");
		b->kind = BACKEND_KMOD;
		b->zap = s.model == NB_MODEL_ZAP;
		nb_attach_init(&b->attach, s.mode, s.k);
		nb_set_callbacks(&b->attach, s.cbs);
		b->attach.event_mask = s.events;
		b->attach.flags = s.flags;
		for (unsigned int cb = 0; cb < NB_CB_NR; cb++) {
			if (!(allowed & NB_CB_BIT(cb)))
				continue;
			if (s.model == NB_MODEL_SMMU)
				nb_set_smmu(&b->attach, cb, s.ns[i], s.threshold, s.global_ns);
			else
				nb_set_cost(&b->attach, cb, s.model, s.ns[i]);
		}
		b->sweep_cost = (double)s.ns[i];
		b->cost_insn = IS_INSN(s.model);
		b->cost_per_page = s.model == NB_MODEL_SPIN_RANGE || s.model == NB_MODEL_INSN_RANGE;
		if (s.model == NB_MODEL_COUNT)
			snprintf(b->label, sizeof(b->label), "%s", base);
		else
			snprintf(b->label, sizeof(b->label), "%s,%s=%" PRIu64, base, ckey, s.ns[i]);
		if (s.nr_ns > 1)
			snprintf(b->sweep, sizeof(b->sweep), "%s", base);
	}
	return NB_EXIT_OK;
}

int kmod_open(struct backend *b, char *reason, size_t len)
{
	int fd = nbdev_open(), ret;
	uint32_t tlb_with_range = CB(TLB) | CB(START) | CB(END), missing;

	if (fd < 0) {
		snprintf(reason, len, "backend %s: %s", b->label, nbdev_strerror(fd));
		return NB_EXIT_SKIP;
	}
	b->nb_fd = fd;
	ret = nbdev_version(fd, &b->version);
	if (ret < 0) {
		snprintf(reason, len, "backend %s: NB_IOC_VERSION: %s", b->label, nbdev_strerror(ret));
		return NB_EXIT_SKIP;
	}
	if (b->version.abi_version != NB_ABI_VERSION) {
		snprintf(reason, len, "backend %s: the module speaks ABI %u, notibench ABI %u: "
			 "rebuild one of them", b->label, b->version.abi_version, NB_ABI_VERSION);
		return NB_EXIT_SKIP;
	}
	missing = b->attach.callbacks & ~b->version.callbacks & ~CB(INTERVAL);
	if (missing) {
		char names[128];

		names_of(missing, NB_CB_NR, nb_callback_name, names, sizeof(names));
		snprintf(reason, len, "backend %s: kernel %s has no %s callback", b->label,
			 b->version.kernel_release, names);
		return NB_EXIT_SKIP;
	}
	if ((b->version.features & NB_FEAT_TLB_IS_ARCH) && (b->attach.callbacks & CB(TLB)) &&
	    (b->attach.callbacks & tlb_with_range & ~CB(TLB))) {
		snprintf(reason, len, "backend %s: kernel %s (>= 6.6) refuses a subscriber with both "
			 "arch_invalidate_secondary_tlbs and start/end", b->label,
			 b->version.kernel_release);
		return NB_EXIT_SKIP;
	}
	if (b->cost_per_page && b->cost_insn && !(b->version.features & NB_FEAT_INSN_RANGE)) {
		snprintf(reason, len, "backend %s: the module (version %s, kernel %s) has no insn_range "
			 "model: it needs module 1.3 and an architecture with the insn loop (x86-64)",
			 b->label, b->version.module_version, b->version.kernel_release);
		return NB_EXIT_SKIP;
	}
	if (b->cost_insn && !(b->version.features & NB_FEAT_INSN)) {
		snprintf(reason, len, "backend %s: the module (version %s, kernel %s) has no insn model: "
			 "it needs module 1.1 and an architecture with its loop (x86-64)", b->label,
			 b->version.module_version, b->version.kernel_release);
		return NB_EXIT_SKIP;
	}
	b->stats = nbdev_stats_new();
	if (!b->stats) {
		snprintf(reason, len, "out of memory");
		return NB_EXIT_FAIL;
	}
	return NB_EXIT_OK;
}

int kmod_attach(struct backend *b, void *buf, size_t len, char *reason, size_t rlen)
{
	int ret;

	/* The module wants a range only where it uses one (interval mode, zap). */
	if (b->attach.mode == NB_MODE_INTERVAL || b->zap)
		nb_set_range(&b->attach, (uintptr_t)buf, len);
	if (b->zap && len > (NB_MAX_MIRROR_ENTRIES << 12)) {
		snprintf(reason, rlen, "backend %s: the mirror holds at most %llu GiB; the buffer is "
			 "%zu MiB: use a smaller --size", b->label,
			 (unsigned long long)(NB_MAX_MIRROR_ENTRIES << 12 >> 30), len >> 20);
		return NB_EXIT_USAGE;
	}
	ret = nbdev_attach(b->nb_fd, &b->attach);
	if (ret < 0) {
		snprintf(reason, rlen, "backend %s: NB_IOC_ATTACH: %s", b->label, nbdev_strerror(ret));
		return ret == -EOPNOTSUPP ? NB_EXIT_SKIP : NB_EXIT_FAIL;
	}
	return NB_EXIT_OK;
}

int kmod_sample_begin(struct backend *b)
{
	b->ring_n = 0;
	return nbdev_reset(b->nb_fd);
}

int kmod_sample_end(struct backend *b)
{
	int ret = nbdev_stats(b->nb_fd, b->stats);

	if (ret == 0 && !(b->attach.flags & NB_ATTACH_NO_RING))
		ret = nbdev_ring(b->nb_fd, b->ring, NB_RING_SIZE, &b->ring_n);
	return ret;
}

void kmod_detach(struct backend *b)
{
	nbdev_detach(b->nb_fd);
}

void kmod_close(struct backend *b)
{
	if (b->nb_fd >= 0)
		nbdev_close(b->nb_fd);
	b->nb_fd = -1;
	free(b->stats);
	b->stats = NULL;
}

void kmod_describe(const struct backend *b, const char *prefix,
		   void (*emit)(const char *key, const char *value))
{
	const struct nb_attach *a = &b->attach;
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
			 c->model == NB_MODEL_INSN ? "insn" :
			 c->model == NB_MODEL_INSN_RANGE ? "insn/4KiB" :
			 c->model == NB_MODEL_SPIN_RANGE ? "ns/4KiB" : "ns");
		if (c->model == NB_MODEL_SMMU)
			snprintf(v + strlen(v), sizeof(v) - strlen(v), ":threshold=%" PRIu64
				 ":global=%" PRIu64 "ns", (uint64_t)c->threshold, (uint64_t)c->global_ns);
	}
	emit(key, v);
	if (b->zap) {
		snprintf(key, sizeof(key), "%s.kmod_mirror", prefix);
		snprintf(v, sizeof(v), "zap: software secondary page table over the buffer %#llx + %llu "
			 "KiB, zapped by every invalidation (events ignored, like KVM); the harness "
			 "reads the buffer through it before each batch (fill) and after it (refaults)",
			 (unsigned long long)a->start, (unsigned long long)a->len >> 10);
		emit(key, v);
	}
	if (b->nb_fd >= 0 || b->version.abi_version) {
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
			if (b->version.features & feat[i].bit)
				used += snprintf(f + used, sizeof(f) - used, "%s%s", used ? " " : "",
						 feat[i].name);
		snprintf(v, sizeof(v), "abi=%u version=%s kernel=%s features=%s callbacks=0x%x",
			 b->version.abi_version, b->version.module_version, b->version.kernel_release,
			 f, b->version.callbacks);
		emit(key, v);
	}
}

int kmod_device_access(struct backend *b, void *buf, size_t len, bool write, struct nb_access *out)
{
	return nbdev_access(b->nb_fd, (uintptr_t)buf, len, write ? NB_ACCESS_WRITE : 0, out);
}

/*
 * Sum over the charged cells (callbacks attached with a model in @models,
 * on the events the attach charges) of their calls, or of their 4 KiB units
 * of range when @pages.
 */
static double charged_sum(const struct backend *b, unsigned int models, bool pages)
{
	const struct nb_attach *a = &b->attach;
	double n = 0;

	if (!b->stats)
		return 0;
	for (unsigned int cb = 0; cb < NB_CB_NR; cb++) {
		bool evented = cb == NB_CB_START || cb == NB_CB_END || cb == NB_CB_INTERVAL;

		if (!(a->callbacks & NB_CB_BIT(cb)) || !(models & (1u << a->cost[cb].model)))
			continue;
		for (unsigned int ev = 0; ev < NB_EV_NR; ev++) {
			const struct nb_cell *c = &b->stats->cell[cb][ev];

			if (!evented || (a->event_mask & NB_EV_BIT(ev)))
				n += pages ? (double)c->bytes / 4096.0 : (double)c->calls;
		}
	}
	return n;
}

/* Calls charged by a per-call model: spin (ns) and insn (instructions). */
double kmod_charged_calls(const struct backend *b)
{
	return charged_sum(b, 1u << NB_MODEL_SPIN | 1u << NB_MODEL_INSN, false);
}

/*
 * 4 KiB units of range over the calls charged by a per-4 KiB model
 * (spin_range, insn_range): what the slope of a per-page sweep counts. From
 * the summed bytes, so a range that is not a multiple of 4 KiB counts its
 * fraction where the module rounds it up.
 */
double kmod_charged_pages(const struct backend *b)
{
	return charged_sum(b, 1u << NB_MODEL_SPIN_RANGE | 1u << NB_MODEL_INSN_RANGE, true);
}

/* Calls whose charge the module clamped to its per-call cap, all callbacks. */
double kmod_capped_calls(const struct backend *b)
{
	double n = 0;

	if (!b->stats)
		return 0;
	for (unsigned int cb = 0; cb < NB_CB_NR; cb++)
		for (unsigned int ev = 0; ev < NB_EV_NR; ev++)
			n += (double)b->stats->cell[cb][ev].capped;
	return n;
}
