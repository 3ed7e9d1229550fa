/* SPDX-License-Identifier: GPL-2.0 */
/* Internal: the per-backend functions behind backend.h. */
#ifndef NB_BACKEND_IMPL_H
#define NB_BACKEND_IMPL_H

#include "backend.h"

struct backend *backend_append(struct backend **v, unsigned int *n);

int kvm_open(struct backend *b, char *reason, size_t len);
int kvm_attach(struct backend *b, void *buf, size_t len, char *reason, size_t rlen);
int kvm_sample_begin(struct backend *b);
int kvm_guest_fill(struct backend *b, char *msg, size_t len);
int kvm_guest_refault(struct backend *b, char *msg, size_t len);
int kvm_sample_end(struct backend *b);
void kvm_detach(struct backend *b);
void kvm_close(struct backend *b);
void kvm_describe(const struct backend *b, const char *prefix,
		  void (*emit)(const char *key, const char *value));

int kmod_parse(const char *spec, struct backend **v, unsigned int *n, char *msg, size_t len);
int kmod_open(struct backend *b, char *reason, size_t len);
int kmod_attach(struct backend *b, void *buf, size_t len, char *reason, size_t rlen);
int kmod_sample_begin(struct backend *b);
int kmod_sample_end(struct backend *b);
void kmod_detach(struct backend *b);
void kmod_close(struct backend *b);
void kmod_describe(const struct backend *b, const char *prefix,
		   void (*emit)(const char *key, const char *value));
double kmod_charged_calls(const struct backend *b);
double kmod_charged_pages(const struct backend *b);
double kmod_capped_calls(const struct backend *b);
int kmod_device_access(struct backend *b, void *buf, size_t len, bool write, struct nb_access *out);

#endif /* NB_BACKEND_IMPL_H */
