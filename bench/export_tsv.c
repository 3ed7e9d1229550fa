// SPDX-License-Identifier: GPL-2.0
/*
 * `notibench export --format summary-tsv|histogram-tsv`: the tables
 * scripts/summary and scripts/plot format, one line per configuration (or
 * range-size bucket) of an item of one run, tab-separated, no quoting (the
 * reader turned control characters, tabs included, into '?'). Columns in
 * results/README.md ("For the scripts"). What the harness knew is read from
 * the CSV's named keys (`option.<name>`, `sweep.N.<name>`); CSVs from before
 * 2026-12 have none, and their options come from `# command:` (with
 * mprotect's and zap's defaults) and their fits from the `# sweep:` prose.
 *
 * The statistics are the CSV's summary rows as written (median, ci95_lo,
 * ci95_hi, max), not recomputed: the scripts show what the run printed.
 * Numbers are printed the way the awk these tables came from printed them
 * (an integer as such, else 6 significant digits), repetitions of an item
 * (bench/all --repeat) pooled: the median of their medians, the lowest
 * ci95_lo and the highest ci95_hi.
 */
#include "export.h"
#include "stats.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* A number as awk prints it: an integer in int's range as such, else %.6g. */
static void fmt_num(char *buf, size_t len, double d)
{
	if (d == floor(d) && d >= -2147483647.0 && d <= 2147483647.0)
		snprintf(buf, len, "%d", (int)d);
	else
		snprintf(buf, len, "%.6g", d);
}

/* A string as a number, as awk reads one: its leading number, else 0. */
static double str_num(const char *s)
{
	char *end;
	double d = strtod(s, &end);

	return end == s ? 0 : d;
}

/* d as printed and read back: the digits a pooled value is taken from. */
static double rounded(double d)
{
	char b[64];

	fmt_num(b, sizeof(b), d);
	return str_num(b);
}

static void put_num(FILE *out, double d)
{
	char b[64];

	if (!isnan(d)) {
		fmt_num(b, sizeof(b), d);
		fputs(b, out);
	}
}

/* bytes("64M") = 67108864; 0 when not a size; "full" the largest, "<X" 0, ">=X" X + 1. */
static double size_bytes(const char *s)
{
	size_t n = strspn(s, "0123456789");
	double v;

	if (!strcmp(s, "full"))
		return 18446744073709551615.0;
	if (s[0] == '<')
		return 0;
	if (!strncmp(s, ">=", 2))
		return size_bytes(s + 2) + 1;
	if (!n || (s[n] && (s[n + 1] || !strchr("KMGT", s[n]))))
		return 0;
	v = str_num(s);
	switch (s[n]) {
	case 'T':
		v *= 1024;
		/* fall through */
	case 'G':
		v *= 1024;
		/* fall through */
	case 'M':
		v *= 1024;
		/* fall through */
	case 'K':
		v *= 1024;
	}
	return v;
}

/* A growing list of numbers. */
struct list {
	double *v;
	size_t n, cap;
};

static int list_add(struct list *l, double v)
{
	if (isnan(v))
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 4;
		double *t = realloc(l->v, cap * sizeof(*t));

		if (!t)
			return -1;
		l->v = t;
		l->cap = cap;
	}
	l->v[l->n++] = v;
	return 0;
}

/* The median (stats.c's: the mean of the middle two of an even count); NAN when empty. */
static double list_median(struct list *l)
{
	if (!l->n)
		return NAN;
	stats_sort(l->v, l->n);
	return stats_quantile_sorted(l->v, l->n, 0.5);
}

static double list_min(const struct list *l)
{
	double m = NAN;

	for (size_t i = 0; i < l->n; i++)
		if (isnan(m) || l->v[i] < m)
			m = l->v[i];
	return m;
}

static double list_max(const struct list *l)
{
	double m = NAN;

	for (size_t i = 0; i < l->n; i++)
		if (isnan(m) || l->v[i] > m)
			m = l->v[i];
	return m;
}

/* The options the tables carry, in their order. */
enum { O_LAYOUT, O_SIZE, O_OP, O_ALIGN, O_WRITER, O_CHUNK, O_SUBMIT, NOPTS };
static const char *const opt_names[NOPTS] = {
	"layout", "size", "op", "align", "writer", "chunk", "submit",
};

/* The pooled lists of a key: median, CI, per call, counts; a sweep's fits. */
enum {
	L_MED, L_LO, L_HI, L_CMED, L_CLO, L_CHI, L_RNG, L_KVM, L_CHG,
	L_SLOPE, L_ICPT, L_R2, L_CNT, L_P10, L_FL, NLISTS
};

/* One configuration of one item: a line of the summary table. */
struct key {
	const char *item, *cfg, *bench, *group;
	char *opt[NOPTS];
	size_t cfgorder;
	double ns;		/* the configured cost of a sweep point, NAN when none */
	struct list l[NLISTS];
	char *res;		/* a sweep's floors: resolved, unresolved, uncharged or mixed */
	bool has_p10, has_fl, sclamp;
	double cap;		/* the most calls per op charged the cap; NAN when none */
	bool cap_yes;		/* config.K.clamped said so, no number did */
	unsigned int reps;
	char *group_buf;
};

/* A sweep's group of an item: its distinct costs and the cheapest. */
struct group {
	const char *item;
	char *group;
	double *ns;
	size_t n;
	double min;
};

/* One sweep of a file: its figures as written (strings, or NULL). */
struct sweep {
	const char *group;
	const char *slope, *icpt, *r2, *cnt, *p10, *fl, *res;
	bool clamped;
	char *buf;		/* the prose's group and words */
};

struct table {
	struct key *k;
	size_t nk;
	struct group *g;
	size_t ng;
};

/* The last value of metadata key (the scripts read the last), or NULL. */
static const char *meta_last(const struct csv_file *f, const char *key)
{
	const char *v = NULL;

	for (size_t i = 0; i < f->nmeta; i++)
		if (!strcmp(f->meta[i].key, key))
			v = f->meta[i].val;
	return v;
}

static long column(const struct csv_file *f, const char *name)
{
	for (size_t i = 0; i < f->ncol; i++)
		if (!strcmp(f->col[i], name))
			return (long)i;
	return -1;
}

/* The word after opt in a command line (words split at spaces), or NULL. */
static char *command_arg(const char *cmd, const char *opt)
{
	size_t olen = strlen(opt);
	const char *p = cmd, *w;

	while (*p) {
		while (*p == ' ')
			p++;
		for (w = p; *p && *p != ' '; p++)
			;
		if ((size_t)(p - w) != olen || strncmp(w, opt, olen))
			continue;
		while (*p == ' ')
			p++;
		for (w = p; *p && *p != ' '; p++)
			;
		return p > w ? strndup(w, (size_t)(p - w)) : NULL;
	}
	return NULL;
}

/*
 * The file's options: `option.<name>`, else (CSVs from before 2026-12) the
 * word after --<name> in `command`, else mprotect's and zap's defaults.
 * NULL for none; -1 on ENOMEM.
 */
static int file_options(const struct csv_file *f, const char *bench, char **opt)
{
	static const char *const defaults[][NOPTS] = {
		{ "dense4k", "2M", "toggle", "1g", NULL, NULL, NULL },
		{ NULL, NULL, "dontneed", NULL, NULL, "4k", "syscall" },
	};
	const char *cmd = meta_last(f, "command"), *v;
	const char *const *def = !strcmp(bench, "mprotect") ? defaults[0] :
				 !strcmp(bench, "zap") ? defaults[1] : NULL;
	char key[64];

	for (int i = 0; i < NOPTS; i++) {
		snprintf(key, sizeof(key), "option.%s", opt_names[i]);
		v = meta_last(f, key);
		if (v && *v) {
			opt[i] = strdup(v);
		} else if (!v && cmd) {
			snprintf(key, sizeof(key), "--%s", opt_names[i]);
			opt[i] = command_arg(cmd, key);
		}
		if (!opt[i] && def && def[i])
			opt[i] = strdup(def[i]);
		if (((v && *v) || (def && def[i])) && !opt[i])
			return -1;
	}
	return 0;
}

/*
 * The sweeps of a file: `sweep.N.<name>` keys, else (before 2026-12) the
 * `# sweep:` lines, "<group>: slope 5.5203, intercept 66764.1 ns, r2 0.99504,
 * charged calls per op 4.0000, ..." or "<group>: clamped: ...".
 */
static int file_sweeps(const struct csv_file *f, struct sweep **out, size_t *nout)
{
	struct sweep *s = NULL, *t;
	size_t n = 0;
	char key[64];

	for (unsigned int i = 0;; i++) {
		snprintf(key, sizeof(key), "sweep.%u.group", i);
		if (!csv_meta_get(f, key))
			break;
		t = realloc(s, (n + 1) * sizeof(*t));
		if (!t)
			goto nomem;
		s = t;
		t = &s[n++];
		memset(t, 0, sizeof(*t));
		t->group = csv_meta_get(f, key);
#define SWEEP_KEY(field, name) \
		snprintf(key, sizeof(key), "sweep.%u." name, i); t->field = csv_meta_get(f, key)
		SWEEP_KEY(slope, "slope");
		SWEEP_KEY(icpt, "intercept");
		SWEEP_KEY(r2, "r2");
		SWEEP_KEY(cnt, "charged_per_op");
		SWEEP_KEY(p10, "p10_slope");
		SWEEP_KEY(fl, "floor_slope");
		SWEEP_KEY(res, "floors");
#undef SWEEP_KEY
		snprintf(key, sizeof(key), "sweep.%u.clamped", i);
		t->clamped = csv_meta_get(f, key) != NULL;
	}
	for (size_t m = 0, keyed = n; !keyed && m < f->nmeta; m++) {
		const char *v = f->meta[m].val, *p, *c;
		char *w, *next, *save = NULL, *prev = NULL;

		if (strcmp(f->meta[m].key, "sweep"))
			continue;
		p = strstr(v, ": slope ");
		c = strstr(v, ": clamped: ");
		if (!p && !c)
			continue;
		t = realloc(s, (n + 1) * sizeof(*t));
		if (!t)
			goto nomem;
		s = t;
		t = &s[n];
		memset(t, 0, sizeof(*t));
		t->buf = strdup(v);
		if (!t->buf)
			goto nomem;
		n++;
		t->buf[(c && (!p || c < p) ? c : p) - v] = '\0';
		t->group = t->buf;
		if (c && (!p || c < p)) {
			t->clamped = true;
			continue;
		}
		/* "slope 5.5 , intercept 66764.1 ns, ..." as words: each name's value follows it */
		for (w = strtok_r(t->buf + (p - v) + 2, " ,", &save); w; prev = w, w = next) {
			next = strtok_r(NULL, " ,", &save);
			if (!next)
				break;
			if (!strcmp(w, "slope"))
				t->slope = next;
			else if (!strcmp(w, "p10_slope"))
				t->p10 = next;
			else if (!strcmp(w, "floor_slope"))
				t->fl = next;
			else if (!strcmp(w, "floors"))
				t->res = next;
			else if (!strcmp(w, "intercept"))
				t->icpt = next;
			else if (!strcmp(w, "r2"))
				t->r2 = next;
			else if (!strcmp(w, "op") && prev && !strcmp(prev, "per"))
				t->cnt = next;
		}
	}
	*out = s;
	*nout = n;
	return 0;
nomem:
	for (size_t i = 0; i < n; i++)
		free(s[i].buf);
	free(s);
	return -1;
}

static void sweeps_free(struct sweep *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(s[i].buf);
	free(s);
}

static const struct sweep *sweep_find(const struct sweep *s, size_t n, const char *group)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s[i].group, group))
			return &s[i];
	return NULL;
}

/* The first sweep with a fit: an old CSV's fit for a point whose group has none. */
static const struct sweep *sweep_any(const struct sweep *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!s[i].clamped && s[i].slope)
			return &s[i];
	return NULL;
}

/*
 * A sweep point's group and cost: the label without its first ",ns=N" (else
 * ",n=N", kmod:insn's), and N. NAN when the label has neither.
 */
static double split_cost(const char *cfg, char **group)
{
	static const char *const marks[] = { ",ns=", ",n=" };

	for (size_t m = 0; m < 2; m++) {
		size_t ml = strlen(marks[m]);

		for (const char *p = strstr(cfg, marks[m]); p; p = strstr(p + 1, marks[m])) {
			size_t d = strspn(p + ml, "0123456789");

			if (!d)
				continue;
			if (asprintf(group, "%.*s%s", (int)(p - cfg), cfg, p + ml + d) < 0)
				*group = NULL;
			return str_num(p + ml);
		}
	}
	*group = strdup(cfg);
	return NAN;
}

static struct key *key_get(struct table *t, const char *item, const char *cfg, bool *fresh)
{
	struct key *k;

	*fresh = false;
	for (size_t i = 0; i < t->nk; i++)
		if (!strcmp(t->k[i].item, item) && !strcmp(t->k[i].cfg, cfg))
			return &t->k[i];
	k = realloc(t->k, (t->nk + 1) * sizeof(*k));
	if (!k)
		return NULL;
	t->k = k;
	k = &t->k[t->nk++];
	memset(k, 0, sizeof(*k));
	k->item = item;
	k->cfg = cfg;
	k->cap = NAN;
	*fresh = true;
	return k;
}

/* Notes cost ns of group in item: its distinct costs, and the cheapest. */
static int group_note(struct table *t, const char *item, const char *group, double ns)
{
	struct group *g = NULL;
	char a[64], b[64];
	double *v;

	for (size_t i = 0; i < t->ng && !g; i++)
		if (!strcmp(t->g[i].item, item) && !strcmp(t->g[i].group, group))
			g = &t->g[i];
	if (!g) {
		g = realloc(t->g, (t->ng + 1) * sizeof(*g));
		if (!g)
			return -1;
		t->g = g;
		g = &t->g[t->ng];
		memset(g, 0, sizeof(*g));
		g->item = item;
		g->group = strdup(group);
		if (!g->group)
			return -1;
		g->min = ns;
		t->ng++;
	}
	if (ns < g->min)
		g->min = ns;
	fmt_num(a, sizeof(a), ns);
	for (size_t i = 0; i < g->n; i++) {
		fmt_num(b, sizeof(b), g->ns[i]);
		if (!strcmp(a, b))
			return 0;
	}
	v = realloc(g->ns, (g->n + 1) * sizeof(*v));
	if (!v)
		return -1;
	g->ns = v;
	g->ns[g->n++] = ns;
	return 0;
}

static const struct group *group_find(const struct table *t, const char *item, const char *group)
{
	for (size_t i = 0; i < t->ng; i++)
		if (!strcmp(t->g[i].item, item) && !strcmp(t->g[i].group, group))
			return &t->g[i];
	return NULL;
}

/* The value of column col in the last summary row of kind in c; NAN when none. */
static double written(const struct csv_file *f, const struct csv_config *c, const char *kind,
		      long col)
{
	double v = NAN;

	for (size_t r = 0; col >= 0 && r < c->nsum; r++)
		if (!strcmp(c->sum_kind[r], kind))
			v = c->sum[r * f->ncol + (size_t)col];
	return v;
}

/* True when config.K.clamped is present for a config.K labelled label. */
static bool marked_clamped(const struct csv_file *f, const char *label)
{
	char key[64];

	for (size_t i = 0; i < f->nmeta; i++) {
		const char *k = f->meta[i].key;
		size_t d;

		if (strncmp(k, "config.", 7) || !(d = strspn(k + 7, "0123456789")) || k[7 + d] ||
		    strcmp(f->meta[i].val, label))
			continue;
		snprintf(key, sizeof(key), "%s.clamped", k);
		if (csv_meta_get(f, key))
			return true;
	}
	return false;
}

/* The benchmark: the key, else the item up to its first '-'. */
static char *file_bench(const struct ex_file *x)
{
	const char *b = meta_last(&x->f, "benchmark");

	return b && *b ? strdup(b) : strndup(x->item, strcspn(x->item, "-"));
}

/* A sweep's string figure into list l (nothing when absent or empty). */
static int add_str(struct list *l, const char *v)
{
	return v && *v ? list_add(l, str_num(v)) : 0;
}

/* One configuration c of file x into its key. */
static int add_config(struct table *t, const struct ex_file *x, const char *bench, char **opt,
		      size_t ci, const struct sweep *sw, size_t nsw)
{
	const struct csv_file *f = &x->f;
	const struct csv_config *c = &f->cfg[ci];
	long cols[] = { column(f, "ns_per_op"), column(f, "ns_per_call"),
			column(f, "nb_ranges_per_call"), column(f, "kvm_unmap_hva_range_per_call"),
			column(f, "nb_charged_calls"), column(f, "nops"),
			column(f, "nb_capped_per_op") };
	double med = written(f, c, "median", cols[0]), cmed = written(f, c, "median", cols[1]);
	double calls = written(f, c, "median", cols[4]), nops = written(f, c, "median", cols[5]);
	double cap = written(f, c, "max", cols[6]);
	double v[NLISTS];
	const struct sweep *s;
	char *group;
	struct key *k;
	bool fresh;
	int ret = 0;

	v[L_MED] = med;
	v[L_LO] = written(f, c, "ci95_lo", cols[0]);
	v[L_HI] = written(f, c, "ci95_hi", cols[0]);
	v[L_CMED] = cmed;
	v[L_CLO] = written(f, c, "ci95_lo", cols[1]);
	v[L_CHI] = written(f, c, "ci95_hi", cols[1]);
	v[L_RNG] = written(f, c, "median", cols[2]);
	v[L_KVM] = written(f, c, "median", cols[3]);
	v[L_CHG] = !isnan(calls) && nops > 0 ? calls / nops : NAN;
	k = key_get(t, x->item, c->label, &fresh);
	if (!k)
		return -1;
	if (fresh) {
		k->bench = bench;
		k->cfgorder = ci + 1;
		for (int i = 0; i < NOPTS; i++)
			if (opt[i] && !(k->opt[i] = strdup(opt[i])))
				return -1;
	}
	for (int i = L_MED; i <= L_CHG; i++)
		ret |= list_add(&k->l[i], rounded(v[i]));
	k->reps++;
	k->ns = split_cost(c->label, &group);
	if (!group)
		return -1;
	free(k->group_buf);
	k->group = k->group_buf = group;
	if (!isnan(k->ns) && group_note(t, x->item, group, k->ns))
		return -1;
	if (!isnan(cap) && cap > 0 && !k->cap_yes && (isnan(k->cap) || cap > k->cap))
		k->cap = cap;
	if (isnan(k->cap) && !k->cap_yes && marked_clamped(f, c->label))
		k->cap_yes = true;
	s = sweep_find(sw, nsw, group);
	if (s && s->clamped) {
		k->sclamp = true;
	} else if (s && s->slope) {
		ret |= add_str(&k->l[L_SLOPE], s->slope) | add_str(&k->l[L_ICPT], s->icpt) |
		       add_str(&k->l[L_R2], s->r2) | add_str(&k->l[L_CNT], s->cnt);
		if (s->p10 && *s->p10) {
			ret |= add_str(&k->l[L_P10], s->p10);
			k->has_p10 = true;
		}
		if (s->fl && *s->fl) {
			ret |= add_str(&k->l[L_FL], s->fl);
			k->has_fl = true;
			const char *r = s->res ? s->res : "";

			r = !k->res || !*k->res || !strcmp(k->res, r) ? r : "mixed";
			free(k->res);
			k->res = strdup(r);
			if (!k->res)
				return -1;
		}
	} else if (!isnan(k->ns) && (s = sweep_any(sw, nsw))) {
		ret |= add_str(&k->l[L_SLOPE], s->slope) | add_str(&k->l[L_ICPT], s->icpt) |
		       add_str(&k->l[L_R2], s->r2) | add_str(&k->l[L_CNT], s->cnt);
		if (s->p10 && *s->p10) {
			ret |= add_str(&k->l[L_P10], s->p10);
			k->has_p10 = true;
		}
	}
	return ret;
}

static void put_str(FILE *out, const char *s)
{
	fputs(s ? s : "", out);
}

/* A size as bytes, or nothing when there is no size. */
static void put_bytes(FILE *out, const char *s, bool upper)
{
	char *u;

	if (!s)
		return;
	u = strdup(s);
	for (char *p = u; p && *p; p++)
		if (upper && *p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	fprintf(out, "%.0f", u ? size_bytes(u) : 0);
	free(u);
}

/*
 * run item bench cfgorder config base group ns median lo hi call_median
 * call_lo call_hi ranges kvm_ranges charged_per_op layout size_bytes size op
 * align writer slope intercept r2 counted reps chunk chunk_bytes submit
 * p10_slope floor_slope floors clamped sweep_clamped (results/README.md).
 */
static void put_key(FILE *out, const struct table *t, struct key *k, unsigned long run)
{
	const struct group *g = group_find(t, k->item, k->group);
	bool sweep = !isnan(k->ns) && g && g->n >= 2;
	bool base = !sweep || k->ns == g->min;

	fprintf(out, "%lu\t%s\t%s\t%zu\t%s\t%d\t%s\t", run, k->item, k->bench, k->cfgorder,
		k->cfg, base, sweep ? k->group : "");
	if (sweep)
		put_num(out, k->ns);
	for (int i = L_MED; i <= L_CHG; i++) {
		fputc('\t', out);
		put_num(out, i == L_LO || i == L_CLO ? list_min(&k->l[i]) :
			     i == L_HI || i == L_CHI ? list_max(&k->l[i]) : list_median(&k->l[i]));
	}
	fputc('\t', out);
	put_str(out, k->opt[O_LAYOUT]);
	fputc('\t', out);
	put_bytes(out, k->opt[O_SIZE], false);
	for (int i = O_SIZE; i <= O_WRITER; i++) {
		fputc('\t', out);
		put_str(out, k->opt[i]);
	}
	for (int i = L_SLOPE; i <= L_CNT; i++) {
		fputc('\t', out);
		if (sweep)
			put_num(out, list_median(&k->l[i]));
	}
	fprintf(out, "\t%u\t", k->reps);
	put_str(out, k->opt[O_CHUNK]);
	fputc('\t', out);
	put_bytes(out, k->opt[O_CHUNK], true);
	fputc('\t', out);
	put_str(out, k->opt[O_SUBMIT]);
	fputc('\t', out);
	if (sweep && k->has_p10)
		put_num(out, list_median(&k->l[L_P10]));
	fputc('\t', out);
	if (sweep && k->has_fl)
		put_num(out, list_median(&k->l[L_FL]));
	fputc('\t', out);
	put_str(out, sweep ? k->res : NULL);
	fputc('\t', out);
	if (k->cap_yes)
		fputs("yes", out);
	else
		put_num(out, k->cap);
	fprintf(out, "\t%s\n", sweep && k->sclamp ? "1" : "");
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->nk; i++) {
		for (int j = 0; j < NOPTS; j++)
			free(t->k[i].opt[j]);
		for (int j = 0; j < NLISTS; j++)
			free(t->k[i].l[j].v);
		free(t->k[i].group_buf);
		free(t->k[i].res);
	}
	for (size_t i = 0; i < t->ng; i++) {
		free(t->g[i].group);
		free(t->g[i].ns);
	}
	free(t->k);
	free(t->g);
}

int export_summary_tsv(FILE *out, const struct ex_file *v, size_t n, unsigned long run_id)
{
	struct table t = { 0 };
	char **benches = calloc(n ? n : 1, sizeof(*benches));
	int ret = benches ? 0 : -1;

	for (size_t i = 0; i < n && !ret; i++) {
		char *opt[NOPTS] = { 0 };
		struct sweep *sw = NULL;
		size_t nsw = 0;

		benches[i] = file_bench(&v[i]);
		ret = !benches[i] || file_options(&v[i].f, benches[i], opt) ||
		      file_sweeps(&v[i].f, &sw, &nsw) ? -1 : 0;
		for (size_t c = 0; c < v[i].f.ncfg && !ret; c++)
			ret = add_config(&t, &v[i], benches[i], opt, c, sw, nsw);
		sweeps_free(sw, nsw);
		for (int o = 0; o < NOPTS; o++)
			free(opt[o]);
	}
	for (size_t i = 0; i < t.nk && !ret; i++)
		put_key(out, &t, &t.k[i], run_id);
	table_free(&t);
	for (size_t i = 0; benches && i < n; i++)
		free(benches[i]);
	free(benches);
	return ret;
}

/* The histogram column: nb_start_hist, else nb_interval_hist, else the first nb_*_hist. */
static long hist_column(const struct csv_file *f)
{
	long c = column(f, "nb_start_hist");

	if (c < 0)
		c = column(f, "nb_interval_hist");
	for (size_t i = 0; c < 0 && i < f->ncol; i++) {
		size_t len = strlen(f->col[i]);

		if (len >= 8 && !strncmp(f->col[i], "nb_", 3) && !strcmp(f->col[i] + len - 5, "_hist"))
			c = (long)i;
	}
	return c;
}

/*
 * The configuration the histogram is taken from: the one of the first sample
 * row with notifier ranges (the counts do not depend on the cost). -1 if none.
 */
static long hist_config(const struct csv_file *f, long rng)
{
	size_t best = 0;
	long cfg = -1;

	for (size_t c = 0; rng >= 0 && c < f->ncfg; c++) {
		const struct csv_config *x = &f->cfg[c];

		for (size_t r = 0; *x->label && r < x->rows; r++)
			if (!isnan(x->all[r * f->ncol + (size_t)rng])) {
				if (cfg < 0 || x->line[r] < best) {
					best = x->line[r];
					cfg = (long)c;
				}
				break;
			}
	}
	return cfg;
}

struct bucket {
	const char *item, *cfg, *bench, *cb;
	char *name;
	double sum;		/* ranges per op, summed over the item's files */
	double file;		/* this file's ranges */
	bool seen;		/* named by this file */
};

struct hist {
	struct bucket *b;
	size_t n;
	const char **items;	/* items with a histogram, and how many files had one */
	unsigned int *files;
	size_t nitems;
};

static struct bucket *bucket_get(struct hist *h, const char *item, const char *name, size_t len)
{
	struct bucket *b;

	for (size_t i = 0; i < h->n; i++)
		if (!strcmp(h->b[i].item, item) && strlen(h->b[i].name) == len &&
		    !strncmp(h->b[i].name, name, len))
			return &h->b[i];
	b = realloc(h->b, (h->n + 1) * sizeof(*b));
	if (!b)
		return NULL;
	h->b = b;
	b = &h->b[h->n];
	memset(b, 0, sizeof(*b));
	b->item = item;
	b->name = strndup(name, len);
	if (!b->name)
		return NULL;
	h->n++;
	return b;
}

/* One file's histogram ("4K:12 8K:3" per sample) into h: ranges per op by bucket. */
static int hist_file(struct hist *h, const struct ex_file *x, const char *bench)
{
	const struct csv_file *f = &x->f;
	long col = hist_column(f), nops_col = column(f, "nops");
	long ci = col < 0 ? -1 : hist_config(f, column(f, "nb_ranges_per_call"));
	const struct csv_config *c;
	double nops = 0;
	size_t i;

	if (ci < 0)
		return 0;
	c = &f->cfg[ci];
	for (size_t r = 0; r < c->rows; r++) {
		const char *p = c->text[r * f->ncol + (size_t)col];
		double o = nops_col >= 0 ? c->all[r * f->ncol + (size_t)nops_col] : NAN;

		nops += isnan(o) ? 0 : o;
		while (p && *p) {
			size_t len = strcspn(p, " ");
			const char *colon = NULL;
			struct bucket *b;

			for (size_t j = 0; j < len; j++)
				if (p[j] == ':')
					colon = p + j;
			if (colon && colon > p) {
				char *val = strndup(colon + 1, (size_t)(p + len - colon - 1));

				b = val ? bucket_get(h, x->item, p, (size_t)(colon - p)) : NULL;
				if (!b) {
					free(val);
					return -1;
				}
				b->file += str_num(val);
				b->seen = true;
				free(val);
			}
			p += len;
			p += strspn(p, " ");
		}
	}
	for (i = 0; i < h->n; i++) {
		struct bucket *b = &h->b[i];

		if (!b->seen)
			continue;
		if (nops > 0) {
			if (!b->cfg) {
				b->cfg = c->label;
				b->bench = bench;
				b->cb = f->col[col];
			}
			b->sum += b->file / nops;
		}
		b->file = 0;
		b->seen = false;
	}
	if (nops <= 0)
		return 0;
	for (i = 0; i < h->nitems && strcmp(h->items[i], x->item); i++)
		;
	if (i == h->nitems) {
		const char **t = realloc(h->items, (i + 1) * sizeof(*t));
		unsigned int *u = t ? realloc(h->files, (i + 1) * sizeof(*u)) : NULL;

		if (t)
			h->items = t;
		if (!u)
			return -1;
		h->files = u;
		h->items[i] = x->item;
		h->files[i] = 0;
		h->nitems++;
	}
	h->files[i]++;
	return 0;
}

/* run item bench config callback bucket bucket_bytes ranges_per_op (results/README.md). */
int export_histogram_tsv(FILE *out, const struct ex_file *v, size_t n, unsigned long run_id)
{
	struct hist h = { 0 };
	char **benches = calloc(n ? n : 1, sizeof(*benches));
	int ret = benches ? 0 : -1;

	for (size_t i = 0; i < n && !ret; i++) {
		benches[i] = file_bench(&v[i]);
		ret = benches[i] ? hist_file(&h, &v[i], benches[i]) : -1;
	}
	for (size_t i = 0; i < h.n && !ret; i++) {
		const struct bucket *b = &h.b[i];
		unsigned int files = 0;
		size_t cl;

		if (!b->cfg)
			continue;	/* a bucket only files without ops named */
		for (size_t j = 0; j < h.nitems; j++)
			if (!strcmp(h.items[j], b->item))
				files = h.files[j];
		cl = strlen(b->cb);
		fprintf(out, "%lu\t%s\t%s\t%s\t%.*s\t%s\t", run_id, b->item, b->bench, b->cfg,
			(int)(cl - 8), b->cb + 3, b->name);
		put_bytes(out, b->name, false);
		fprintf(out, "\t%.6g\n", b->sum / files);
	}
	for (size_t i = 0; i < h.n; i++)
		free(h.b[i].name);
	free(h.b);
	free(h.items);
	free(h.files);
	for (size_t i = 0; benches && i < n; i++)
		free(benches[i]);
	free(benches);
	return ret;
}
