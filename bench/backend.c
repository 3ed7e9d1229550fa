// SPDX-License-Identifier: GPL-2.0
/* Backend specs and dispatch; the kvm and kmod backends have their own files. */
#include "backend.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend_impl.h"
#include "bench.h"

static struct backend *append(struct backend **v, unsigned int *n)
{
	struct backend *nv = realloc(*v, (*n + 1) * sizeof(**v)), *b;

	if (!nv)
		return NULL;
	*v = nv;
	b = &nv[(*n)++];
	memset(b, 0, sizeof(*b));
	b->nb_fd = b->kvm_fd = b->vm_fd = b->stats_fd = -1;
	for (int i = 0; i < KVM_STAT_NR; i++)
		b->kvm_stat_off[i] = -1;
	return b;
}

int backend_parse(const char *spec, struct backend **v, unsigned int *n, char *msg, size_t len)
{
	struct backend *b;

	static const char *const guest_modes[] = { "auto", "on", "off" };

	if (!strcmp(spec, "none") || !strncmp(spec, "kvm", 3)) {
		int mode = KVM_GUEST_AUTO;

		if (!strncmp(spec, "kvm", 3) && spec[3]) {
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
		b = append(v, n);
		if (!b)
			return NB_EXIT_FAIL;
		b->kind = strcmp(spec, "none") ? BACKEND_KVM : BACKEND_NONE;
		b->guest_mode = mode;
		snprintf(b->label, sizeof(b->label), "%s", mode == KVM_GUEST_AUTO &&
			 b->kind == BACKEND_KVM ? "kvm" : spec);
		return NB_EXIT_OK;
	}
	if (!strncmp(spec, "kmod:", 5))
		return kmod_parse(spec + 5, v, n, msg, len);
	snprintf(msg, len, "--backend '%s': unknown backend (none, kvm or kmod:<model>[,...])", spec);
	return NB_EXIT_USAGE;
}

struct backend *backend_append(struct backend **v, unsigned int *n)
{
	return append(v, n);
}

int backend_open(struct backend *b, char *reason, size_t len)
{
	switch (b->kind) {
	case BACKEND_KVM:
		return kvm_open(b, reason, len);
	case BACKEND_KMOD:
		return kmod_open(b, reason, len);
	default:
		return NB_EXIT_OK;
	}
}

int backend_attach(struct backend *b, void *buf, size_t len, char *reason, size_t rlen)
{
	int ret = NB_EXIT_OK;

	if (b->kind == BACKEND_KVM)
		ret = kvm_attach(b, buf, len, reason, rlen);
	else if (b->kind == BACKEND_KMOD)
		ret = kmod_attach(b, buf, len, reason, rlen);
	b->attached = ret == NB_EXIT_OK;
	return ret;
}

int backend_sample_begin(struct backend *b)
{
	if (b->kind == BACKEND_KVM)
		return kvm_sample_begin(b);
	if (b->kind == BACKEND_KMOD)
		return kmod_sample_begin(b);
	return 0;
}

int backend_sample_end(struct backend *b)
{
	if (b->kind == BACKEND_KVM)
		return kvm_sample_end(b);
	if (b->kind == BACKEND_KMOD)
		return kmod_sample_end(b);
	return 0;
}

void backend_detach(struct backend *b)
{
	if (!b->attached)
		return;
	if (b->kind == BACKEND_KVM)
		kvm_detach(b);
	else if (b->kind == BACKEND_KMOD)
		kmod_detach(b);
	b->attached = false;
}

void backend_close(struct backend *b)
{
	backend_detach(b);
	if (b->kind == BACKEND_KVM)
		kvm_close(b);
	else if (b->kind == BACKEND_KMOD)
		kmod_close(b);
}

void backend_describe(const struct backend *b, const char *prefix,
		      void (*emit)(const char *key, const char *value))
{
	char key[128];

	snprintf(key, sizeof(key), "%s.backend", prefix);
	emit(key, b->kind == BACKEND_NONE ? "none" : b->kind == BACKEND_KVM ? "kvm" : "kmod");
	if (b->kind == BACKEND_KVM)
		kvm_describe(b, prefix, emit);
	else if (b->kind == BACKEND_KMOD)
		kmod_describe(b, prefix, emit);
}

bool backend_has_device(const struct backend *b)
{
	return b->kind == BACKEND_KMOD && b->zap;
}

int backend_device_access(struct backend *b, void *buf, size_t len, bool write,
			  struct nb_access *out)
{
	if (!backend_has_device(b) || !b->attached)
		return -EINVAL;
	return kmod_device_access(b, buf, len, write, out);
}

bool backend_has_guest(const struct backend *b)
{
	return b->kind == BACKEND_KVM && b->attached && b->guest_ok;
}

int backend_before_batch(struct backend *b, char *msg, size_t len)
{
	return backend_has_guest(b) ? kvm_guest_fill(b, msg, len) : NB_EXIT_OK;
}

int backend_after_batch(struct backend *b, char *msg, size_t len)
{
	return backend_has_guest(b) ? kvm_guest_refault(b, msg, len) : NB_EXIT_OK;
}

double backend_charged_calls(const struct backend *b)
{
	return b->kind == BACKEND_KMOD ? kmod_charged_calls(b) : 0;
}

double backend_charged_pages(const struct backend *b)
{
	return b->kind == BACKEND_KMOD ? kmod_charged_pages(b) : 0;
}

double backend_capped_calls(const struct backend *b)
{
	return b->kind == BACKEND_KMOD ? kmod_capped_calls(b) : 0;
}
