/* SPDX-License-Identifier: GPL-2.0 */
/* For backend implementations (backend_*.c): helpers they share. */
#ifndef NB_BACKEND_IMPL_H
#define NB_BACKEND_IMPL_H

#include <stdlib.h>
#include <string.h>

#include "backend.h"

/*
 * Appends a zeroed configuration of ops to *v (n of them so far, realloc'd)
 * with priv_size bytes of zeroed private state; NULL when out of memory.
 * Inline, so that a backend depends on nothing but this header.
 */
static inline struct backend *backend_append(struct backend **v, unsigned int *n,
					     const struct backend_ops *ops, size_t priv_size)
{
	struct backend *nv = realloc(*v, (*n + 1) * sizeof(**v)), *b;
	void *priv = priv_size ? calloc(1, priv_size) : NULL;

	if (!nv || (priv_size && !priv)) {
		free(priv);
		if (nv)
			*v = nv;
		return NULL;
	}
	*v = nv;
	b = &nv[(*n)++];
	memset(b, 0, sizeof(*b));
	b->ops = ops;
	b->priv = priv;
	return b;
}

#endif /* NB_BACKEND_IMPL_H */
