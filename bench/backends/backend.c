// SPDX-License-Identifier: GPL-2.0
/*
 * THE table of backends, and the generic layer the harness calls: it goes
 * only through each backend's ops. Adding a backend is one file defining its
 * struct backend_ops plus one row here.
 */
#include "backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend_impl.h"

static int none_parse(const char *spec, struct backend **v, unsigned int *n, char *msg,
		      size_t len);

/* Nothing attached: the baseline. */
static const struct backend_ops backend_none_ops = {
	.name = "none",
	.prefix = "none",
	.whole = true,
	.usage = "none",
	.parse = none_parse,
};

extern const struct backend_ops backend_kvm_ops;
extern const struct backend_ops backend_kmod_ops;

const struct backend_ops *const backend_table[] = {
	&backend_none_ops,
	&backend_kvm_ops,
	&backend_kmod_ops,
};
const unsigned int backend_count = sizeof(backend_table) / sizeof(backend_table[0]);

static int none_parse(const char *spec, struct backend **v, unsigned int *n, char *msg,
		      size_t len)
{
	struct backend *b = backend_append(v, n, &backend_none_ops, 0);

	(void)msg;
	(void)len;
	if (!b)
		return NB_EXIT_FAIL;
	snprintf(b->label, sizeof(b->label), "%s", spec);
	return NB_EXIT_OK;
}

static bool claims(const struct backend_ops *ops, const char *spec)
{
	if (ops->whole)
		return !strcmp(spec, ops->prefix);
	return !strncmp(spec, ops->prefix, strlen(ops->prefix));
}

int backend_parse(const char *spec, struct backend **v, unsigned int *n, char *msg, size_t len)
{
	char forms[256] = "";

	for (unsigned int t = 0; t < backend_count; t++)
		if (claims(backend_table[t], spec))
			return backend_table[t]->parse(spec, v, n, msg, len);
	/* "a, b or c" */
	for (unsigned int t = 0; t < backend_count; t++)
		snprintf(forms + strlen(forms), sizeof(forms) - strlen(forms), "%s%s",
			 !t ? "" : t + 1 < backend_count ? ", " : " or ", backend_table[t]->usage);
	snprintf(msg, len, "--backend '%s': unknown backend (%s)", spec, forms);
	return NB_EXIT_USAGE;
}

int backend_open(struct backend *b, char *reason, size_t len)
{
	return b->ops->open ? b->ops->open(b, reason, len) : NB_EXIT_OK;
}

int backend_attach(struct backend *b, void *buf, size_t len, char *reason, size_t rlen)
{
	int ret = b->ops->attach ? b->ops->attach(b, buf, len, reason, rlen) : NB_EXIT_OK;

	b->attached = ret == NB_EXIT_OK;
	return ret;
}

int backend_sample_begin(struct backend *b)
{
	return b->ops->sample_begin ? b->ops->sample_begin(b) : 0;
}

int backend_sample_end(struct backend *b)
{
	return b->ops->sample_end ? b->ops->sample_end(b) : 0;
}

void backend_detach(struct backend *b)
{
	if (!b->attached)
		return;
	if (b->ops->detach)
		b->ops->detach(b);
	b->attached = false;
}

void backend_close(struct backend *b)
{
	backend_detach(b);
	if (b->ops->close)
		b->ops->close(b);
	free(b->priv);
	b->priv = NULL;
}

void backend_describe(const struct backend *b, const char *prefix, backend_emit emit)
{
	char key[128];

	snprintf(key, sizeof(key), "%s.backend", prefix);
	emit(key, b->ops->name);
	if (b->ops->describe)
		b->ops->describe(b, prefix, emit);
}

void backend_columns(struct backend *cfg, unsigned int ncfg, enum backend_cols where,
		     backend_add_col add, void *ctx)
{
	for (unsigned int t = 0; t < backend_count; t++)
		if (backend_table[t]->columns)
			backend_table[t]->columns(cfg, ncfg, where, add, ctx);
}

void backend_sample_values(struct backend *b, const struct backend_sample *s, double *v,
			   char **text)
{
	if (b->ops->sample_values)
		b->ops->sample_values(b, s, v, text);
}

void backend_counters(const struct backend *b, struct bench_counters *c)
{
	if (b->ops->counters)
		b->ops->counters(b, c);
}

void backend_summary(const struct backend *b, const struct stats *st, double nops,
		     const char *unit)
{
	if (b->ops->summary)
		b->ops->summary(b, st, nops, unit);
}

bool backend_has_device(const struct backend *b)
{
	return b->ops->has_device && b->ops->has_device(b);
}

int backend_before_batch(struct backend *b, void *buf, size_t len, char *msg, size_t mlen)
{
	if (!b->attached || !b->ops->before_batch)
		return NB_EXIT_OK;
	return b->ops->before_batch(b, buf, len, msg, mlen);
}

int backend_after_batch(struct backend *b, void *buf, size_t len, char *msg, size_t mlen)
{
	if (!b->attached || !b->ops->after_batch)
		return NB_EXIT_OK;
	return b->ops->after_batch(b, buf, len, msg, mlen);
}
