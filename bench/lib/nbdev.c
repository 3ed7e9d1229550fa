// SPDX-License-Identifier: GPL-2.0
/* nbdev: thin client of /dev/notibench. See nbdev.h. */
#include "nbdev.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int nbdev_open(void)
{
	int fd = open(NB_DEVICE, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int nbdev_close(int fd)
{
	return close(fd) < 0 ? -errno : 0;
}

int nbdev_ioctl(int fd, unsigned long request, void *arg)
{
	int ret = ioctl(fd, request, arg);

	return ret < 0 ? -errno : ret;
}

int nbdev_version(int fd, struct nb_version *v)
{
	memset(v, 0, sizeof(*v));
	return nbdev_ioctl(fd, NB_IOC_VERSION, v);
}

int nbdev_attach(int fd, const struct nb_attach *a)
{
	return nbdev_ioctl(fd, NB_IOC_ATTACH, (void *)a);
}

int nbdev_detach(int fd)
{
	return nbdev_ioctl(fd, NB_IOC_DETACH, NULL);
}

int nbdev_reset(int fd)
{
	return nbdev_ioctl(fd, NB_IOC_RESET, NULL);
}

struct nb_stats *nbdev_stats_new(void)
{
	return calloc(1, sizeof(struct nb_stats));
}

int nbdev_stats(int fd, struct nb_stats *s)
{
	struct nb_buf b = { .ptr = (uintptr_t)s, .size = sizeof(*s) };

	return nbdev_ioctl(fd, NB_IOC_STATS, &b);
}

int nbdev_ring(int fd, struct nb_ring_entry *buf, unsigned int max, unsigned int *count)
{
	struct nb_buf b = { .ptr = (uintptr_t)buf, .size = max };
	int ret = nbdev_ioctl(fd, NB_IOC_RING, &b);

	*count = ret < 0 ? 0 : b.count;
	return ret;
}

int nbdev_access(int fd, uint64_t start, uint64_t len, uint32_t flags, struct nb_access *a)
{
	memset(a, 0, sizeof(*a));
	a->start = start;
	a->len = len;
	a->flags = flags;
	return nbdev_ioctl(fd, NB_IOC_ACCESS, a);
}

void nb_attach_init(struct nb_attach *a, enum nb_attach_mode mode, unsigned int k)
{
	memset(a, 0, sizeof(*a));
	a->abi_version = NB_ABI_VERSION;
	a->mode = mode;
	a->nr_subscribers = k;
	a->event_mask = NB_EV_ALL;
	a->callbacks = mode == NB_MODE_INTERVAL ? NB_CB_BIT(NB_CB_INTERVAL)
						: NB_CB_BIT(NB_CB_START) | NB_CB_BIT(NB_CB_END);
}

void nb_set_cost(struct nb_attach *a, enum nb_callback cb, enum nb_model model, uint64_t ns)
{
	a->cost[cb].model = model;
	a->cost[cb].ns = ns;
	a->callbacks |= NB_CB_BIT(cb);
}

void nb_set_insn(struct nb_attach *a, enum nb_callback cb, uint64_t insns)
{
	nb_set_cost(a, cb, NB_MODEL_INSN, insns);
}

void nb_set_smmu(struct nb_attach *a, enum nb_callback cb, uint64_t ns_per_page,
		 uint64_t threshold, uint64_t global_ns)
{
	nb_set_cost(a, cb, NB_MODEL_SMMU, ns_per_page);
	a->cost[cb].threshold = threshold;
	a->cost[cb].global_ns = global_ns;
}

void nb_set_callbacks(struct nb_attach *a, uint32_t cb_mask)
{
	a->callbacks = cb_mask;
}

void nb_set_range(struct nb_attach *a, uint64_t start, uint64_t len)
{
	a->start = start;
	a->len = len;
}

uint64_t nb_calls(const struct nb_stats *s, enum nb_callback cb, enum nb_event_slot ev)
{
	return s->cell[cb][ev].calls;
}

uint64_t nb_calls_total(const struct nb_stats *s, enum nb_callback cb)
{
	uint64_t n = 0;

	for (int ev = 0; ev < NB_EV_NR; ev++)
		n += s->cell[cb][ev].calls;
	return n;
}

uint64_t nb_calls_all(const struct nb_stats *s)
{
	uint64_t n = 0;

	for (int cb = 0; cb < NB_CB_NR; cb++)
		n += nb_calls_total(s, cb);
	return n;
}

void nb_cell_sum(const struct nb_stats *s, enum nb_callback cb, struct nb_cell *out)
{
	memset(out, 0, sizeof(*out));
	for (int ev = 0; ev < NB_EV_NR; ev++) {
		const struct nb_cell *c = &s->cell[cb][ev];

		out->calls += c->calls;
		out->bytes += c->bytes;
		out->ns += c->ns;
		if (c->ns_max > out->ns_max)
			out->ns_max = c->ns_max;
		out->nonblock += c->nonblock;
		out->fallback += c->fallback;
		out->failed += c->failed;
		out->capped += c->capped;
		for (int b = 0; b < NB_HIST_BUCKETS; b++)
			out->hist[b] += c->hist[b];
	}
}

double nb_cell_mean_ns(const struct nb_cell *c)
{
	return c->calls ? (double)c->ns / (double)c->calls : 0.0;
}

#define NAME_OF(table, i) ((i) < sizeof(table) / sizeof((table)[0]) ? (table)[i] : "?")

const char *nb_callback_name(unsigned int cb)
{
	static const char *const names[NB_CB_NR] = {
		[NB_CB_START] = "start",
		[NB_CB_END] = "end",
		[NB_CB_TLB] = "tlb",
		[NB_CB_CLEAR_FLUSH_YOUNG] = "clear_flush_young",
		[NB_CB_CLEAR_YOUNG] = "clear_young",
		[NB_CB_TEST_YOUNG] = "test_young",
		[NB_CB_CHANGE_PTE] = "change_pte",
		[NB_CB_RELEASE] = "release",
		[NB_CB_INTERVAL] = "interval",
	};
	return NAME_OF(names, cb);
}

const char *nb_event_name(unsigned int ev)
{
	static const char *const names[NB_EV_NR] = {
		[NB_EV_UNMAP] = "unmap",
		[NB_EV_CLEAR] = "clear",
		[NB_EV_PROTECTION_VMA] = "protection_vma",
		[NB_EV_PROTECTION_PAGE] = "protection_page",
		[NB_EV_SOFT_DIRTY] = "soft_dirty",
		[NB_EV_RELEASE] = "release",
		[NB_EV_MIGRATE] = "migrate",
		[NB_EV_EXCLUSIVE] = "exclusive",
		[NB_EV_PROTECTION_UPGRADE] = "protection_upgrade",
		[NB_EV_OTHER] = "other",
		[NB_EV_NONE] = "none",
	};
	return NAME_OF(names, ev);
}

const char *nb_model_name(unsigned int model)
{
#define NAME(id, value, name, cbs, kind, feat) [value] = name,
	static const char *const names[NB_MODEL_NR] = { NB_MODELS(NAME) };
#undef NAME
	return NAME_OF(names, model);
}

const char *nb_model_unit(unsigned int model)
{
	uint32_t kind = nb_model_kind(model);

	if (kind & NB_COST_INSN)
		return kind & NB_COST_PER_PAGE ? "insn/4KiB" : "insn";
	return kind & NB_COST_PER_PAGE ? "ns/4KiB" : "ns";
}

const char *nb_mode_name(unsigned int mode)
{
	static const char *const names[] = {
		[NB_MODE_OPS] = "ops",
		[NB_MODE_INTERVAL] = "interval",
	};
	return NAME_OF(names, mode);
}

const char *nbdev_strerror(int err)
{
	switch (-err) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
		return NB_DEVICE " is missing: is notibench.ko loaded? (insmod kmod/notibench.ko)";
	case EPERM:
	case EACCES:
		return NB_DEVICE " needs CAP_SYS_ADMIN: run as root";
	case ENOTTY:
		return "not a notibench device, or the module does not know this ioctl";
	default:
		return strerror(-err);
	}
}
