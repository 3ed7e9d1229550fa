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

static const char *const nbf_names[NBF_NR] = { "calls", "bytes", "ns", "nonblock", "fallback",
					       "failed", "capped" };

static const char *const kvm_guest_names[KVM_GUEST_NR] = {
	"kvm_entries_zapped", "kvm_guest_pages", "kvm_guest_fill_ns", "kvm_guest_refault_ns",
	"kvm_guest_warm_ns", "kvm_guest_refault_ns_per_op", "kvm_entries_zapped_per_op",
};

static const char *const dev_names[DEV_NR] = {
	"nb_mirror_zapped", "nb_mirror_zapped_per_op", "nb_mirror_entries", "nb_mirror_retries",
	"nb_dev_fill_faults", "nb_dev_refaults", "nb_dev_refaults_per_op",
};

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

/* Time, perf counters, kvm, faults: the columns of every run. */
static void host_columns(struct run_result *r, struct layout_cols *lc)
{
	char name[64];

	for (int i = 0; i < COL_BASE_NR; i++)
		add_col(r, base_names[i], false);
	lc->counters = (int)r->ncols;
	for (int i = 0; i < CNT_NR; i++)
		add_col(r, counter_name(i), false);
	lc->kvm_unmap_per_call = add_col(r, "kvm_unmap_hva_range_per_call", false);
	lc->kvm_unmap_per_op = add_col(r, "kvm_unmap_hva_range_per_op", false);
	lc->kvm = (int)r->ncols;
	for (int i = 0; i < KVM_STAT_NR; i++) {
		snprintf(name, sizeof(name), "kvm_%s", kvm_stat_names[i]);
		add_col(r, name, false);
	}
	lc->kvm_guest = (int)r->ncols;
	for (int i = 0; i < KVM_GUEST_NR; i++)
		add_col(r, kvm_guest_names[i], false);
	lc->faults_per_op = add_col(r, "faults_per_op", false);
	lc->helper_faults = add_col(r, "helper_faults", false);
}

/* The benchmark's own columns, then the device's if some configuration has one. */
static void bench_columns(struct run_result *r, struct layout_cols *lc, const struct run_opts *o,
			  const struct bench *bench)
{
	lc->bench = (int)r->ncols;
	lc->nbench = 0;
	for (const char *const *c = bench->ops->columns; c && *c; c++, lc->nbench++)
		add_col(r, *c, false);
	lc->dev = -1;
	for (unsigned int k = 0; k < o->ncfg; k++)
		if (backend_has_device(&o->cfg[k]))
			lc->dev = (int)r->ncols;
	if (lc->dev >= 0)
		for (int i = 0; i < DEV_NR; i++)
			add_col(r, dev_names[i], false);
}

/* Callback cb's columns: its cell's fields, calls and bytes per event, the histogram. */
static void callback_columns(struct run_result *r, struct layout_cols *lc, unsigned int cb)
{
	char name[64];

	lc->nb[cb] = (int)r->ncols;
	for (int f = 0; f < NBF_NR; f++) {
		snprintf(name, sizeof(name), "nb_%s_%s", nb_callback_name(cb), nbf_names[f]);
		add_col(r, name, false);
	}
	for (unsigned int ev = 0; ev < NB_EV_NR; ev++) {
		snprintf(name, sizeof(name), "nb_%s_%s_calls", nb_callback_name(cb),
			 nb_event_name(ev));
		add_col(r, name, false);
		snprintf(name, sizeof(name), "nb_%s_%s_bytes", nb_callback_name(cb),
			 nb_event_name(ev));
		add_col(r, name, false);
	}
	snprintf(name, sizeof(name), "nb_%s_hist", nb_callback_name(cb));
	add_col(r, name, true);
}

/* kmod: the notifier columns, for every callback some configuration enables. */
static void nb_columns(struct run_result *r, struct layout_cols *lc, const struct run_opts *o)
{
	char name[64];

	lc->nb_cbs = 0;
	for (unsigned int k = 0; k < o->ncfg; k++)
		if (o->cfg[k].kind == BACKEND_KMOD)
			lc->nb_cbs |= o->cfg[k].attach.callbacks;
	lc->nb_ranges_per_call = lc->nb_range_bytes_mean = lc->nb_charged_calls = -1;
	lc->nb_charged_pages = lc->nb_capped_per_op = -1;
	if (!lc->nb_cbs)
		return;
	lc->nb_ranges_per_call = add_col(r, "nb_ranges_per_call", false);
	lc->nb_range_bytes_mean = add_col(r, "nb_range_bytes_mean", false);
	lc->nb_charged_calls = add_col(r, "nb_charged_calls", false);
	lc->nb_charged_pages = add_col(r, "nb_charged_pages", false);
	lc->nb_capped_per_op = add_col(r, "nb_capped_per_op", false);
	lc->nb_ev_per_op = (int)r->ncols;
	for (unsigned int ev = 0; ev < NB_EV_NONE; ev++) {
		snprintf(name, sizeof(name), "nb_%s_per_op", nb_event_name(ev));
		add_col(r, name, false);
	}
	for (unsigned int cb = 0; cb < NB_CB_NR; cb++)
		if (lc->nb_cbs & NB_CB_BIT(cb))
			callback_columns(r, lc, cb);
}

int results_alloc(struct run_result *r, struct layout_cols *lc, const struct run_opts *o,
		  const struct bench *bench, char *msg, size_t len)
{
	r->ncfg = o->ncfg;
	r->cfg = calloc(o->ncfg, sizeof(*r->cfg));
	host_columns(r, lc);
	bench_columns(r, lc, o, bench);
	nb_columns(r, lc, o);
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

char *hist_string(const __u64 *hist)
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
