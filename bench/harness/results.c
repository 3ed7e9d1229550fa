// SPDX-License-Identifier: GPL-2.0
/*
 * The results table: its columns (results/README.md), a row per sample of
 * each configuration, the statistics per column, and the CSV they go to.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "csv.h"
#include "harness_impl.h"
#include "nbdev.h"

static const char *const base_names[COL_BASE_NR] = { "nops", "sample_ns", "ns_per_op",
							"ns_per_call" };

static int add_col(struct run_result *r, const char *name, bool text)
{
	struct column *nc = realloc(r->cols, (r->ncols + 1) * sizeof(*nc));

	if (!nc)
		return -1;
	r->cols = nc;
	snprintf(nc[r->ncols].name, sizeof(nc[r->ncols].name), "%s", name);
	nc[r->ncols].text = text;
	return (int)r->ncols++;
}

int run_col(const struct run_result *r, const char *name)
{
	for (unsigned int c = 0; c < r->ncols; c++)
		if (!strcmp(r->cols[c].name, name))
			return (int)c;
	return -1;
}

static int add_backend_col(void *r, const char *name, bool text)
{
	return add_col(r, name, text);
}

/*
 * Time, perf counters, the backends' early columns (kvm), faults, the
 * benchmark's own columns, then the backends' late ones (kmod: device,
 * notifier): the order of results/README.md.
 */
static void make_columns(struct run_result *r, struct layout_cols *lc, const struct run_opts *o,
			 const struct bench *bench)
{
	char name[64];

	for (int i = 0; i < COL_BASE_NR; i++)
		add_col(r, base_names[i], false);
	lc->counters = (int)r->ncols;
	for (int i = 0; i < CNT_NR; i++)
		add_col(r, counter_name(i), false);
	lc->kvm_unmap_per_call = add_col(r, "kvm_unmap_hva_range_per_call", false);
	lc->kvm_unmap_per_op = add_col(r, "kvm_unmap_hva_range_per_op", false);
	backend_columns(o->cfg, o->ncfg, BACKEND_COLS_EARLY, add_backend_col, r);
	lc->faults_per_op = add_col(r, "faults_per_op", false);
	lc->helper_faults = add_col(r, "helper_faults", false);
	lc->bench = (int)r->ncols;
	lc->nbench = 0;
	for (const char *const *c = bench->ops->columns; c && *c; c++, lc->nbench++)
		add_col(r, *c, false);
	backend_columns(o->cfg, o->ncfg, BACKEND_COLS_LATE, add_backend_col, r);
	lc->dev_zapped_per_op = run_col(r, "nb_mirror_zapped_per_op");
	lc->dev_refaults_per_op = run_col(r, "nb_dev_refaults_per_op");
	lc->nb_ranges_per_call = run_col(r, "nb_ranges_per_call");
	lc->nb_charged_calls = run_col(r, "nb_charged_calls");
	lc->nb_charged_pages = run_col(r, "nb_charged_pages");
	lc->nb_capped_per_op = run_col(r, "nb_capped_per_op");
	for (unsigned int cb = 0; cb < NB_CB_NR; cb++) {
		snprintf(name, sizeof(name), "nb_%s_ns", nb_callback_name(cb));
		lc->nb_ns[cb] = run_col(r, name);
	}
}

int results_alloc(struct run_result *r, struct layout_cols *lc, const struct run_opts *o,
		  const struct bench *bench, char *msg, size_t len)
{
	r->ncfg = o->ncfg;
	r->cfg = calloc(o->ncfg, sizeof(*r->cfg));
	make_columns(r, lc, o, bench);
	if (!r->cfg)
		goto oom;
	for (unsigned int k = 0; k < o->ncfg; k++) {
		struct config_result *cr = &r->cfg[k];

		cr->b = &o->cfg[k];
		cr->v = calloc((size_t)o->samples * r->ncols, sizeof(double));
		cr->text = calloc((size_t)o->samples * r->ncols, sizeof(char *));
		cr->round = calloc(o->samples, sizeof(unsigned int));
		cr->seq = calloc(o->samples, sizeof(unsigned int));
		cr->st = calloc(r->ncols, sizeof(struct stats));
		if (!cr->v || !cr->text || !cr->round || !cr->seq || !cr->st)
			goto oom;
	}
	return NB_EXIT_OK;
oom:
	snprintf(msg, len, "out of memory");
	return NB_EXIT_FAIL;
}

void results_free(struct run_result *r, unsigned int samples)
{
	for (unsigned int k = 0; k < r->ncfg && r->cfg; k++) {
		struct config_result *cr = &r->cfg[k];

		for (size_t i = 0; cr->text && i < (size_t)samples * r->ncols; i++)
			free(cr->text[i]);
		free(cr->v);
		free(cr->text);
		free(cr->round);
		free(cr->seq);
		free(cr->st);
	}
	free(r->cfg);
	free(r->cols);
}

void compute_stats(struct run_result *r)
{
	for (unsigned int k = 0; k < r->ncfg; k++) {
		struct config_result *cr = &r->cfg[k];
		double *tmp = malloc((cr->n + 1) * sizeof(double));

		for (unsigned int c = 0; c < r->ncols && tmp; c++) {
			unsigned int m = 0;

			if (r->cols[c].text)
				continue;
			for (unsigned int s = 0; s < cr->n; s++)
				if (!isnan(cr->v[s * r->ncols + c]))
					tmp[m++] = cr->v[s * r->ncols + c];
			stats_compute(tmp, m, &cr->st[c]);
		}
		free(tmp);
	}
}

int results_write(const char *tmp, const char *final, const struct run_result *r, char *msg,
		  size_t len)
{
	int ret = csv_write(tmp, r);

	if (!ret)
		ret = csv_commit(tmp, final);
	if (ret) {
		snprintf(msg, len, "writing %s: %s", final, strerror(-ret));
		return NB_EXIT_FAIL;
	}
	return NB_EXIT_OK;
}
