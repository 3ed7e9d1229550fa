// SPDX-License-Identifier: GPL-2.0
/*
 * notibench: command line. `list`, `run <benchmark> [options]`, `traits`,
 * `restore`, `--help`.
 * Every option is validated here (exit 2 naming it) before anything runs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backend.h"
#include "bench.h"
#include "env.h"
#include "export.h"
#include "harness.h"
#include "knobs.h"
#include "nbdev.h"
#include "util.h"

#ifndef NB_GIT_REV
#define NB_GIT_REV "unknown"
#endif
/* The Makefile's NB_VERSION: kmod/nb.h's NB_MODULE_VERSION, DKMS's version too. */
#ifndef NB_VERSION
#define NB_VERSION "unknown"
#endif

#define DEFAULT_SAMPLES 30
#define QUICK_SAMPLES 10

static const char *prog = "notibench";

static void usage_main(FILE *f)
{
	fprintf(f,
		"usage: %s [--help] [--version] <command>\n"
		"\n"
		"commands:\n"
		"  list                        the benchmarks\n"
		"  run <benchmark> [options]   run one (`%s run <benchmark> --help` for its options)\n"
		"  traits                      the kernel traits the self-checks predict from, and\n"
		"                              the ones this kernel declares (NB_KERNEL_TRAITS)\n"
		"  restore [--no-wait] [--quiet]\n"
		"                              put back the knobs a killed run left changed (its\n"
		"                              journal); waits while a live run holds the knob lock\n"
		"                              (--no-wait: exit 1 instead); --quiet: silent when\n"
		"                              there is nothing to restore (every run does this first)\n"
		"  export [--format csv|json|tsv] [--out FILE] RUNDIR|CSV...\n"
		"                              run directories and CSVs as one long table\n"
		"                              (`%s export --help`)\n"
		"\n"
		"Exit status: 0 ok, 1 failure (incl. a failed self-check), 2 bad usage, 4 skipped\n"
		"(the reason is printed). Details: bench/README.md.\n",
		prog, prog, prog);
}

static const char *const type_names[] = { "SIZE", "N", "CHOICE" };

static void usage_run(FILE *f, const struct bench *b)
{
	fprintf(f, "usage: %s run %s [options]\n\n%s\n\nharness options:\n", prog, b->name,
		b->summary);
	fprintf(f,
		"  --backend SPEC        what is attached to the mm; repeat for several configurations,\n"
		"                        sampled interleaved (default: none):\n"
		"                          none | kvm[,guest=auto|on|off] | kmod:<model>[,k=K][,cb=start+end+...]\n"
		"                          [,events=protection_vma+...][,ns=N[,N...]][,threshold=PAGES]\n"
		"                          [,global=NS][,mode=ops|interval][,ring=0|1]\n"
		"                        models:" NB_MODEL_NAMES_SP ";\n"
		"                        insn takes n=N[,N...] (instructions per call), insn_range\n"
		"                        n= per 4 KiB of the range, instead of ns=; a list of values\n"
		"                        is a cost sweep (one configuration per value); zap\n"
		"                        (k=1, cb=start+end) mirrors the buffer: benchmarks whose\n"
		"                        buffer a device may read between batches only (cow, upgrade)\n"
		"  --samples N           samples per configuration (default %d, --quick %d)\n"
		"  --quick               fewer samples, shorter warm-up and samples\n"
		"  --out DIR             where the CSV goes (default .)\n"
		"  --cpu N               pin to CPU N (default: the last allowed CPU)\n"
		"  --min-sample-us N     a sample lasts at least N us (default 1000, --quick 200)\n"
		"                        and at least 200 clock_gettime calls\n"
		"  --batch N             ops per sample instead of calibrating\n"
		"  --no-check            do not run the benchmark's self-check\n"
		"  --no-knobs            leave numa_balancing and KSM as they are\n"
		"\n%s options:\n",
		DEFAULT_SAMPLES, QUICK_SAMPLES, b->name);
	for (unsigned int i = 0; i < b->ops->nr_opts; i++) {
		const struct bench_opt *o = &b->ops->opts[i];
		char head[64];

		snprintf(head, sizeof(head), "--%s %s", o->name, type_names[o->type]);
		fprintf(f, "  %-20s  %s\n", head, o->help);
		if (o->type == OPT_CHOICE) {
			fprintf(f, "  %-20s  one of:", "");
			for (const char *const *c = o->choices; *c; c++)
				fprintf(f, " %s", *c);
			fprintf(f, "\n");
		}
		fprintf(f, "  %-20s  default: %s\n", "", o->def);
	}
}

static int bad(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "%s: ", prog);
	fprintf(stderr, fmt, a, b);
	fprintf(stderr, "\n");
	return NB_EXIT_USAGE;
}

static int set_bench_opt(const struct bench_opt *o, const char *val, struct bench_val *out)
{
	char range[96];

	out->str = val;
	switch (o->type) {
	case OPT_CHOICE:
		for (int i = 0; o->choices[i]; i++)
			if (!strcmp(val, o->choices[i])) {
				out->choice = i;
				return 0;
			}
		fprintf(stderr, "%s: --%s '%s': not one of:", prog, o->name, val);
		for (int i = 0; o->choices[i]; i++)
			fprintf(stderr, " %s", o->choices[i]);
		fprintf(stderr, "\n");
		return NB_EXIT_USAGE;
	case OPT_SIZE:
	case OPT_UINT:
		if ((o->type == OPT_SIZE ? parse_size(val, &out->u) :
		     parse_u64(val, UINT64_MAX, &out->u)) ||
		    out->u < o->min || out->u > o->max) {
			snprintf(range, sizeof(range), "%llu..%llu%s", (unsigned long long)o->min,
				 (unsigned long long)o->max, o->type == OPT_SIZE ? " bytes" : "");
			fprintf(stderr, "%s: --%s '%s': not a %s in %s\n", prog, o->name, val,
				o->type == OPT_SIZE ? "size (e.g. 2M, 64G)" : "number", range);
			return NB_EXIT_USAGE;
		}
		return 0;
	}
	return NB_EXIT_USAGE;
}

static bool is_harness_opt(const char *name)
{
	static const char *const names[] = { "backend", "samples", "out", "cpu", "min-sample-us",
					     "batch" };

	for (unsigned int i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i]))
			return true;
	return false;
}

static const struct bench_opt *find_opt(const struct bench *b, const char *name)
{
	for (unsigned int k = 0; k < b->ops->nr_opts; k++)
		if (!strcmp(name, b->ops->opts[k].name))
			return &b->ops->opts[k];
	return NULL;
}

static int cmd_list(void)
{
	for (unsigned int i = 0; i < bench_count(); i++)
		printf("%-12s %s\n", bench_at(i)->name, bench_at(i)->summary);
	return NB_EXIT_OK;
}

/* The known kernel traits and what this machine declares (bench/harness/traits.def). */
static int cmd_traits(void)
{
	char msg[512];

	if (env_traits_load(msg, sizeof(msg))) {
		fprintf(stderr, "%s: %s\n", prog, msg);
		return NB_EXIT_USAGE;
	}
	env_traits_print(stdout);
	return NB_EXIT_OK;
}

/*
 * Puts back what a run that died without restoring (SIGKILL) left in the
 * knob journal. 0 (restored, or nothing to), 1 when a write failed or the
 * lock cannot be had.
 */
static int cmd_restore(int argc, char **argv)
{
	struct knobs_recovery res;
	bool wait = true, quiet = false;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--no-wait"))
			wait = false;
		else if (!strcmp(argv[i], "--quiet"))
			quiet = true;
		else
			return bad("restore: unknown argument '%s' (--no-wait, --quiet)%s", argv[i], "");
	}
	if (knobs_recover(wait, stdout, &res))
		return NB_EXIT_FAIL;
	if (!res.knobs && !quiet)
		printf("nothing to restore\n");
	if (res.failed) {
		fprintf(stderr, "%s: restore: %u knob%s could not be restored (kept in the journal)\n",
			prog, res.failed, res.failed == 1 ? "" : "s");
		return NB_EXIT_FAIL;
	}
	return NB_EXIT_OK;
}

/* "option.<name>" ('-' as '_'): a resolved option's key, with value val. */
static void option_meta(const char *name, const char *val)
{
	char key[80];

	snprintf(key, sizeof(key), "option.%s", name);
	for (char *c = key; *c; c++)
		if (*c == '-')
			*c = '_';
	meta_put(key, val);
}

static void option_meta_u(const char *name, uint64_t u)
{
	char val[32];

	snprintf(val, sizeof(val), "%llu", (unsigned long long)u);
	option_meta(name, val);
}

/*
 * Every option as the run resolved it (defaults included), one named key
 * each: readers need not parse `command`. The configurations are config.N.
 */
static void options_meta(const struct bench *b, const struct bench_val *vals,
			 const struct run_opts *o)
{
	for (unsigned int i = 0; i < b->ops->nr_opts; i++) {
		const struct bench_opt *bo = &b->ops->opts[i];

		if (bo->type == OPT_CHOICE)
			option_meta(bo->name, bo->choices[vals[i].choice]);
		else
			option_meta_u(bo->name, vals[i].u);
	}
	option_meta_u("samples", o->samples);
	option_meta("quick", o->quick ? "yes" : "no");
	option_meta_u("min-sample-us", o->min_sample_ns / 1000);
	if (o->batch)
		option_meta_u("batch", o->batch);
	else
		option_meta("batch", "calibrated");
	if (o->cpu < 0)
		option_meta("cpu", "auto");
	else
		option_meta_u("cpu", (uint64_t)o->cpu);
	option_meta("check", o->no_check ? "no" : "yes");
	option_meta("knobs", o->no_knobs ? "no" : "yes");
	option_meta_u("configs", o->ncfg);
}

static int cmd_run(int argc, char **argv)
{
	const struct bench *b;
	struct bench_val *vals;
	struct run_opts o = { .cpu = -1, .out_dir = "." };
	uint64_t u, min_us = 0;
	bool samples_given = false, min_given = false;
	char msg[BENCH_REASON_LEN] = "", cmdline[4096] = "";
	int ret;

	if (argc < 1 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
		if (argc < 1) {
			fprintf(stderr, "%s: run: which benchmark? (`%s list`)\n", prog, prog);
			return NB_EXIT_USAGE;
		}
		usage_main(stdout);
		return NB_EXIT_OK;
	}
	b = bench_find(argv[0]);
	if (!b)
		return bad("run: unknown benchmark '%s' (`%s list` shows them)", argv[0], prog);
	vals = calloc(b->ops->nr_opts + 1, sizeof(*vals));
	if (!vals)
		return NB_EXIT_FAIL;
	for (unsigned int i = 0; i < b->ops->nr_opts; i++) {
		ret = set_bench_opt(&b->ops->opts[i], b->ops->opts[i].def, &vals[i]);
		if (ret) {
			fprintf(stderr, "%s: BUG: bad default for --%s\n", prog, b->ops->opts[i].name);
			return NB_EXIT_FAIL;
		}
	}
	snprintf(cmdline, sizeof(cmdline), "%s run", prog);
	for (int i = 0; i < argc; i++)
		snprintf(cmdline + strlen(cmdline), sizeof(cmdline) - strlen(cmdline), " %s", argv[i]);
	o.cmdline = cmdline;

	for (int i = 1; i < argc; i++) {
		char name[64];
		const char *arg = argv[i], *val = NULL, *eq;
		bool flag;

		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			usage_run(stdout, b);
			return NB_EXIT_OK;
		}
		if (strncmp(arg, "--", 2) || strlen(arg) >= sizeof(name))
			return bad("run %s: unexpected argument '%s' (options start with --)", b->name, arg);
		eq = strchr(arg, '=');
		snprintf(name, sizeof(name), "%.*s", eq ? (int)(eq - arg - 2) : (int)strlen(arg + 2),
			 arg + 2);
		flag = !strcmp(name, "quick") || !strcmp(name, "no-check") || !strcmp(name, "no-knobs");
		if (!flag && !is_harness_opt(name) && !find_opt(b, name))
			return bad("run %s: unknown option '--%s' (see --help)", b->name, name);
		if (flag) {
			if (eq)
				return bad("--%s takes no value%s", name, "");
		} else if (eq) {
			val = eq + 1;
		} else if (i + 1 < argc) {
			val = argv[++i];
		} else {
			return bad("--%s needs a value%s", name, "");
		}

		if (!strcmp(name, "quick")) {
			o.quick = true;
		} else if (!strcmp(name, "no-check")) {
			o.no_check = true;
		} else if (!strcmp(name, "no-knobs")) {
			o.no_knobs = true;
		} else if (!strcmp(name, "backend")) {
			ret = backend_parse(val, &o.cfg, &o.ncfg, msg, sizeof(msg));
			if (ret) {
				fprintf(stderr, "%s: %s\n", prog, msg);
				return ret;
			}
		} else if (!strcmp(name, "samples")) {
			if (parse_u64(val, UINT64_MAX, &u) || u < 2 || u > 100000)
				return bad("--samples '%s': not a number in 2..100000%s", val, "");
			o.samples = (unsigned int)u;
			samples_given = true;
		} else if (!strcmp(name, "out")) {
			if (!*val)
				return bad("--out: empty directory name%s%s", "", "");
			o.out_dir = val;
		} else if (!strcmp(name, "cpu")) {
			if (parse_u64(val, UINT64_MAX, &u) || u > 4095)
				return bad("--cpu '%s': not a CPU number%s", val, "");
			o.cpu = (int)u;
		} else if (!strcmp(name, "min-sample-us")) {
			if (parse_u64(val, UINT64_MAX, &min_us) || min_us > 10000000)
				return bad("--min-sample-us '%s': not a number in 0..10000000%s", val, "");
			min_given = true;
		} else if (!strcmp(name, "batch")) {
			if (parse_u64(val, UINT64_MAX, &o.batch) || o.batch < 1 || o.batch > (1ull << 30))
				return bad("--batch '%s': not a number in 1..1073741824%s", val, "");
		} else {
			const struct bench_opt *bo = find_opt(b, name);

			ret = set_bench_opt(bo, val, &vals[bo - b->ops->opts]);
			if (ret)
				return ret;
		}
	}
	if (!samples_given)
		o.samples = o.quick ? QUICK_SAMPLES : DEFAULT_SAMPLES;
	o.min_sample_ns = (min_given ? min_us : o.quick ? 200 : 1000) * 1000;
	if (!o.ncfg && backend_parse("none", &o.cfg, &o.ncfg, msg, sizeof(msg)))
		return NB_EXIT_FAIL;
	/* The predictions read the kernel's traits: a bad declaration is bad input. */
	if (env_traits_load(msg, sizeof(msg))) {
		fprintf(stderr, "%s: %s\n", prog, msg);
		free(vals);
		free(o.cfg);
		return NB_EXIT_USAGE;
	}
	if (b->ops->validate) {
		ret = b->ops->validate(vals, msg, sizeof(msg));
		if (ret) {
			fprintf(stderr, "%s: %s\n", prog, msg);
			return ret;
		}
	}
	options_meta(b, vals, &o);
	ret = harness_run(b, vals, &o);
	free(vals);
	free(o.cfg);
	return ret;
}

int main(int argc, char **argv)
{
	/* export reads files only: no knob handling (its SIGPIPE is a failed write). */
	if (argc >= 2 && !strcmp(argv[1], "export"))
		return cmd_export(argc - 2, argv + 2);
	setvbuf(stdout, NULL, _IOLBF, 0);
	knobs_init();
	if (argc < 2) {
		usage_main(stderr);
		return NB_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage_main(stdout);
		return NB_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		/* "name version" first: what help2man and bench/all's run.meta read. */
		printf("notibench %s (git %s, module ABI %d)\n", NB_VERSION, NB_GIT_REV,
		       NB_ABI_VERSION);
		return NB_EXIT_OK;
	}
	if (!strcmp(argv[1], "list"))
		return argc == 2 ? cmd_list() : bad("list takes no arguments%s%s", "", "");
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 2, argv + 2);
	if (!strcmp(argv[1], "traits"))
		return argc == 2 ? cmd_traits() : bad("traits takes no arguments%s%s", "", "");
	if (!strcmp(argv[1], "restore"))
		return cmd_restore(argc - 2, argv + 2);
	return bad("unknown command '%s' (list, run, traits, restore, export, --help)%s", argv[1], "");
}
