// SPDX-License-Identifier: GPL-2.0
/*
 * What differs in the runs' environments, from the CSVs' metadata:
 * - run-wide keys (kernel and its label, cmdline, machine, clock unit, the
 *   QEMU set-up of scripts/vm (vm_*), THP, hugetlb pools, knobs, notibench
 *   revision): a run's value is its items' value, or the distinct
 *   values joined by " | " when its items disagree;
 * - per item present in every run, from its first repeat: samples, batch
 *   (when calibrated, how: the count it came to varies run to run), the
 *   self-check, the verified layout, the configuration labels and each
 *   configuration's keys (matched by label, not by position:
 *   "config[kvm].kvm_host"; the module line once, as "module"); and the
 *   number of repeats. A key that differs alike in several items is one
 *   difference listing them.
 * Keys that change on every run (date, command, addresses, timer) are not compared;
 * in the verified layout, what changes on every run is masked (steady()).
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"

#define ABSENT "(absent)"

/* Run-wide keys in the order printed; a trailing '*' matches a prefix. */
static const char *const run_keys[] = {
	"hostname", "machine", "cpu_model", "nr_cpus_online", "hypervisor", "clocksource",
	"kernel_release", "kernel_label", "kernel_traits*", "kernel_source", "kernel_version", "cmdline", "clock_unit",
	"vm_*", "thp_*", "hugetlb_*", "numa_balancing", "ksm_run", "notibench_git",
};

static const char *const item_keys[] = { "samples", "batch", "check", "layout_verified" };

struct kv {
	char *key, *val;
};

struct kvlist {
	struct kv *v;
	size_t n;
};

static int key_rank(const char *key)
{
	for (size_t i = 0; i < sizeof(run_keys) / sizeof(run_keys[0]); i++) {
		size_t len = strlen(run_keys[i]);

		if (run_keys[i][len - 1] == '*' ? !strncmp(key, run_keys[i], len - 1)
						: !strcmp(key, run_keys[i]))
			return (int)i;
	}
	return -1;
}

static const char *kv_get(const struct kvlist *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].key, key))
			return l->v[i].val;
	return NULL;
}

/* Adds key (if new) with val; val NULL adds the key alone. 0 or -1. */
static int kv_add(struct kvlist *l, const char *key, const char *val)
{
	struct kv *t;

	if (kv_get(l, key))
		return 0;
	t = realloc(l->v, (l->n + 1) * sizeof(*t));
	if (!t)
		return -1;
	l->v = t;
	t[l->n].key = strdup(key);
	t[l->n].val = strdup(val ? val : "");
	if (!t[l->n].key || !t[l->n].val) {
		free(t[l->n].key);
		free(t[l->n].val);
		return -1;
	}
	l->n++;
	return 0;
}

static void kv_free(struct kvlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].val);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Appends s to *buf (with sep if *buf is not empty). 0 or -1. */
static int append(char **buf, const char *sep, const char *s)
{
	size_t old = *buf ? strlen(*buf) : 0;
	size_t len = old + (old ? strlen(sep) : 0) + strlen(s) + 1;
	char *t = realloc(*buf, len);

	if (!t)
		return -1;
	if (!old)
		t[0] = '\0';
	else
		strcat(t, sep);
	strcat(t, s);
	*buf = t;
	return 0;
}

/*
 * A verified layout without what differs on every run of one set-up, each
 * replaced by "?": addresses (0x...: aging's DAMON span), pids (kdamond),
 * measured numbers (a fraction: numa's scan period) and numa's set-up counts
 * ("N scans seen", "N moved there first"). Page sizes and counts stay. The
 * result is never longer than v; NULL when out of memory.
 */
static char *steady(const char *v)
{
	static const char *const after[] = { " scans seen", " moved there first" };
	char *out = malloc(strlen(v) + 1), *o = out;
	const char *p = v;

	if (!out)
		return NULL;
	while (*p) {
		bool word = p > v && (isalnum((unsigned char)p[-1]) || p[-1] == '.');
		const char *e = p;
		bool mask = false;

		if (!word && p[0] == '0' && p[1] == 'x' && isxdigit((unsigned char)p[2])) {
			for (e = p + 2; isxdigit((unsigned char)*e); e++)
				;
			memcpy(o, "0x?", 3);
			o += 3;
			p = e;
			continue;
		}
		if (word || !isdigit((unsigned char)*p)) {
			*o++ = *p++;
			continue;
		}
		while (isdigit((unsigned char)*e))
			e++;
		if (*e == '.' && isdigit((unsigned char)e[1])) {
			for (e++; isdigit((unsigned char)*e); e++)
				;
			mask = true;
		}
		mask |= o - out >= 4 && !strncmp(o - 4, "pid ", 4);
		for (size_t i = 0; i < sizeof(after) / sizeof(after[0]); i++)
			mask |= !strncmp(e, after[i], strlen(after[i]));
		if (mask) {
			*o++ = '?';
		} else {
			memcpy(o, p, (size_t)(e - p));
			o += e - p;
		}
		p = e;
	}
	*o = '\0';
	return out;
}

/* The run's value of key: its items' distinct values joined by " | ". */
static char *run_value(const struct run *r, const char *key)
{
	struct kvlist seen = { 0 };
	char *out = NULL;

	for (size_t i = 0; i < r->nitems; i++)
		for (size_t k = 0; k < r->items[i].nrep; k++) {
			const char *v = csv_meta_get(&r->items[i].rep[k], key);

			if (kv_add(&seen, v ? v : ABSENT, NULL))
				goto fail;
		}
	for (size_t i = 0; i < seen.n; i++)
		if (append(&out, " | ", seen.v[i].key))
			goto fail;
	kv_free(&seen);
	return out;
fail:
	kv_free(&seen);
	free(out);
	return NULL;
}

/* An item's keys compared across runs (its first repeat's, and how many repeats). */
static int item_env(const struct run_item *it, struct kvlist *l)
{
	const struct csv_file *f = &it->rep[0];
	char key[64], name[512], *labels = NULL;
	const char *label;
	int ret = -1;

	snprintf(key, sizeof(key), "%zu", it->nrep);
	if (kv_add(l, "repeats", key))
		return -1;

	for (size_t i = 0; i < sizeof(item_keys) / sizeof(item_keys[0]); i++) {
		const char *v = csv_meta_get(f, item_keys[i]), *how;

		/* A calibrated batch: how it was chosen, not the count it came to. */
		if (v && !strcmp(item_keys[i], "batch") && (how = strstr(v, "(calibrated")))
			v = how;
		if (v && !strcmp(item_keys[i], "layout_verified")) {
			char *m = steady(v);
			int bad = !m || kv_add(l, item_keys[i], m);

			free(m);
			if (bad)
				return -1;
			continue;
		}
		if (v && kv_add(l, item_keys[i], v))
			return -1;
	}
	for (unsigned int n = 0;; n++) {
		snprintf(key, sizeof(key), "config.%u", n);
		label = csv_meta_get(f, key);
		if (!label)
			break;
		if (append(&labels, "; ", label))
			goto out;
	}
	if (kv_add(l, "configs", labels ? labels : ""))
		goto out;
	for (size_t i = 0; i < f->nmeta; i++) {
		const char *k = f->meta[i].key, *dot;
		char *end;
		unsigned long n;

		if (strncmp(k, "config.", 7))
			continue;
		n = strtoul(k + 7, &end, 10);
		dot = end;
		if (end == k + 7 || *dot != '.')
			continue;
		snprintf(key, sizeof(key), "config.%lu", n);
		label = csv_meta_get(f, key);
		snprintf(name, sizeof(name), "config[%s].%s", label ? label : key, dot + 1);
		/* The module is one per run: compared once per item, not per sweep point. */
		if (!strcmp(dot + 1, "module"))
			snprintf(name, sizeof(name), "module");
		if (kv_add(l, name, f->meta[i].val))
			goto out;
	}
	ret = 0;
out:
	free(labels);
	return ret;
}

static bool same_vals(char **a, char **b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(a[i], b[i]))
			return false;
	return true;
}

static void free_vals(char **val, size_t n)
{
	if (!val)
		return;
	for (size_t i = 0; i < n; i++)
		free(val[i]);
	free(val);
}

/*
 * Records key if its per-run values val (taken over, freed here unless
 * kept) differ: a new entry, or one more item of an entry of the same key
 * and values. 0 or -1.
 */
static int compare_key(struct env_diff **d, size_t *nd, size_t nruns, const char *item,
		       const char *key, char **val)
{
	struct env_diff *t;

	for (size_t r = 0; r < nruns; r++)
		if (!val[r])
			goto fail;
	for (size_t r = 1; r < nruns; r++)
		if (strcmp(val[r], val[0]))
			goto differs;
	free_vals(val, nruns);
	return 0;
differs:
	for (size_t i = 0; item && i < *nd; i++) {
		t = &(*d)[i];
		if (t->items && !strcmp(t->key, key) && same_vals(t->val, val, nruns)) {
			free_vals(val, nruns);
			t->nitems++;
			return append(&t->items, ", ", item);
		}
	}
	t = realloc(*d, (*nd + 1) * sizeof(*t));
	if (!t)
		goto fail;
	*d = t;
	t = &t[(*nd)++];
	memset(t, 0, sizeof(*t));
	t->val = val;
	t->key = strdup(key);
	if (item) {
		t->items = strdup(item);
		t->nitems = 1;
	}
	return !t->key || (item && !t->items) ? -1 : 0;
fail:
	free_vals(val, nruns);
	return -1;
}

static int run_wide(const struct run *runs, size_t nruns, struct env_diff **d, size_t *nd)
{
	struct kvlist keys = { 0 };
	int ret = -1;

	/* Every matching key any item has, in run_keys order. */
	for (size_t k = 0; k < sizeof(run_keys) / sizeof(run_keys[0]); k++)
		for (size_t r = 0; r < nruns; r++)
			for (size_t i = 0; i < runs[r].nitems; i++)
				for (size_t q = 0; q < runs[r].items[i].nrep; q++) {
					const struct csv_file *f = &runs[r].items[i].rep[q];

					for (size_t m = 0; m < f->nmeta; m++)
						if (key_rank(f->meta[m].key) == (int)k &&
						    kv_add(&keys, f->meta[m].key, NULL))
							goto out;
				}
	for (size_t k = 0; k < keys.n; k++) {
		char **val = calloc(nruns, sizeof(*val));

		if (!val)
			goto out;
		for (size_t r = 0; r < nruns; r++)
			val[r] = run_value(&runs[r], keys.v[k].key);
		if (compare_key(d, nd, nruns, NULL, keys.v[k].key, val))
			goto out;
	}
	ret = 0;
out:
	kv_free(&keys);
	return ret;
}

/* key is config[<label>].x of a configuration some run does not have. */
static bool config_missing(const struct run *runs, size_t nruns, const char *id, const char *key)
{
	const char *end = strrchr(key, ']');
	char label[512];

	if (strncmp(key, "config[", 7) || !end)
		return false;
	snprintf(label, sizeof(label), "%.*s", (int)(end - key - 7), key + 7);
	for (size_t r = 0; r < nruns; r++)
		if (!item_has_config(run_find(&runs[r], id), label))
			return true;
	return false;
}

static int per_item(const struct run *runs, size_t nruns, const char *id, struct env_diff **d,
		    size_t *nd)
{
	struct kvlist *env = calloc(nruns, sizeof(*env)), keys = { 0 };
	int ret = -1;

	if (!env)
		return -1;
	for (size_t r = 0; r < nruns; r++)
		if (item_env(run_find(&runs[r], id), &env[r]))
			goto out;
	for (size_t r = 0; r < nruns; r++)
		for (size_t i = 0; i < env[r].n; i++)
			if (kv_add(&keys, env[r].v[i].key, NULL))
				goto out;
	for (size_t k = 0; k < keys.n; k++) {
		char **val = calloc(nruns, sizeof(*val));

		if (!val)
			goto out;
		for (size_t r = 0; r < nruns; r++) {
			const char *v = kv_get(&env[r], keys.v[k].key);

			val[r] = strdup(v ? v : ABSENT);
		}
		if (config_missing(runs, nruns, id, keys.v[k].key)) {
			free_vals(val, nruns);	/* listed as "not in every run" */
			continue;
		}
		if (compare_key(d, nd, nruns, id, keys.v[k].key, val))
			goto out;
	}
	ret = 0;
out:
	for (size_t r = 0; r < nruns; r++)
		kv_free(&env[r]);
	free(env);
	kv_free(&keys);
	return ret;
}

int env_diff_compute(const struct run *runs, size_t nruns, struct env_diff **out, size_t *nout)
{
	size_t ncommon = 0;

	*out = NULL;
	*nout = 0;
	if (run_wide(runs, nruns, out, nout))
		goto fail;
	for (size_t i = 0; i < runs[0].nitems; i++) {
		const char *id = runs[0].items[i].id;
		bool everywhere = true;

		for (size_t r = 1; r < nruns; r++)
			everywhere &= run_find(&runs[r], id) != NULL;
		if (!everywhere)
			continue;
		ncommon++;
		if (per_item(runs, nruns, id, out, nout))
			goto fail;
	}
	for (size_t i = 0; i < *nout; i++)
		(*out)[i].all_items = (*out)[i].items && ncommon > 1 && (*out)[i].nitems == ncommon;
	return 0;
fail:
	env_diff_free(*out, *nout, nruns);
	*out = NULL;
	*nout = 0;
	return -1;
}

void env_diff_free(struct env_diff *d, size_t n, size_t nruns)
{
	for (size_t i = 0; i < n; i++) {
		free(d[i].items);
		free(d[i].key);
		free_vals(d[i].val, nruns);
	}
	free(d);
}
