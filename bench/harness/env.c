// SPDX-License-Identifier: GPL-2.0
/* Environment capture for the CSV header; see env.h. */
#include "env.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "knobs.h"

#ifndef NB_GIT_REV
#define NB_GIT_REV "unknown"
#endif

struct meta {
	char *key, *value;
};

static struct meta *metas;
static unsigned int nr_metas;

static void meta_set(const char *key, const char *value, bool repeat)
{
	char *v = strdup(value ? value : "");
	struct meta *nm;

	if (!v)
		return;
	for (char *p = v; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	for (unsigned int i = 0; i < nr_metas && !repeat; i++)
		if (!strcmp(metas[i].key, key)) {
			free(metas[i].value);
			metas[i].value = v;
			return;
		}
	nm = realloc(metas, (nr_metas + 1) * sizeof(*metas));
	if (!nm) {
		free(v);
		return;
	}
	metas = nm;
	metas[nr_metas].key = strdup(key);
	metas[nr_metas].value = v;
	nr_metas++;
}

void meta_put(const char *key, const char *value)
{
	meta_set(key, value, false);
}

static void meta_vadd(const char *key, bool repeat, const char *fmt, va_list ap)
{
	char buf[4096];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	meta_set(key, buf, repeat);
}

void meta_add(const char *key, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	meta_vadd(key, false, fmt, ap);
	va_end(ap);
}

/* One more line with this key, beside those it has (a run's several sweeps). */
void meta_add_repeat(const char *key, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	meta_vadd(key, true, fmt, ap);
	va_end(ap);
}

void meta_add_nth(const char *prefix, unsigned int i, const char *name, const char *fmt, ...)
{
	char key[128];
	va_list ap;

	snprintf(key, sizeof(key), "%s.%u.%s", prefix, i, name);
	va_start(ap, fmt);
	meta_vadd(key, false, fmt, ap);
	va_end(ap);
}

unsigned int meta_count(void)
{
	return nr_metas;
}

const char *meta_key(unsigned int i)
{
	return metas[i].key;
}

const char *meta_value(unsigned int i)
{
	return metas[i].value;
}

const char *meta_get(const char *key)
{
	for (unsigned int i = 0; i < nr_metas; i++)
		if (!strcmp(metas[i].key, key))
			return metas[i].value;
	return NULL;
}

/* First line of a file (or "unavailable"). */
static void meta_file(const char *key, const char *path)
{
	char buf[4096];

	if (knob_read(path, buf, sizeof(buf)) == 0)
		meta_put(key, buf);
	else
		meta_put(key, "unavailable");
}

/* Value of "field : value" in /proc/cpuinfo's first processor. */
static void cpuinfo_field(const char *field, char *out, size_t len)
{
	char line[4096];
	size_t flen = strlen(field);
	FILE *f = fopen("/proc/cpuinfo", "re");

	snprintf(out, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (!strncmp(line, field, flen) && colon && (line[flen] == ' ' || line[flen] == '\t')) {
			snprintf(out, len, "%s", colon + 2);
			out[strcspn(out, "\n")] = 0;
			break;
		}
	}
	fclose(f);
}

void env_kernel_version(unsigned int *major, unsigned int *minor)
{
	struct utsname u;

	*major = *minor = 0;
	if (uname(&u) == 0)
		sscanf(u.release, "%u.%u", major, minor);
}

/*
 * scripts/vm describes the guest in NB_VM_META_PATH ("key: value" lines):
 * QEMU, CPU model, icount, the clock unit and the kernel's label. Only keys
 * of [a-z0-9_.] are taken; anything else in the file is ignored.
 */
static void vm_meta(void)
{
	const char *path = getenv("NB_VM_META") ?: NB_VM_META_PATH;
	char line[1024];
	FILE *f = fopen(path, "re");

	while (f && fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, ": ");
		size_t klen = sep ? (size_t)(sep - line) : 0;

		line[strcspn(line, "\n")] = 0;
		if (!klen || klen >= 48 || strspn(line, "abcdefghijklmnopqrstuvwxyz0123456789_.") != klen)
			continue;
		*sep = 0;
		meta_put(line, sep + 2);
	}
	if (f)
		fclose(f);
}

/*
 * The matrix item this run is (bench/all sets NB_ITEM to its item id), so a
 * CSV names itself whatever its file is called. Data: characters other than
 * [A-Za-z0-9._+-] become '_'.
 */
static void env_item(void)
{
	const char *v = getenv("NB_ITEM");
	char item[128];
	size_t i;

	if (!v || !*v)
		return;
	for (i = 0; v[i] && i + 1 < sizeof(item); i++)
		item[i] = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-",
				 v[i]) ? v[i] : '_';
	item[i] = 0;
	meta_put("item", item);
}

void env_capture(void)
{
	struct utsname u;
	char buf[4096], path[256], flags[4096];
	time_t now = time(NULL);
	struct tm tm;

	/*
	 * The knobs below are "before" values: read them once no other run can
	 * have them changed (the lock), and after what a killed run left is
	 * put back.
	 */
	knobs_lock();
	if (uname(&u) == 0) {
		meta_put("kernel_release", u.release);
		meta_put("kernel_version", u.version);
		meta_put("machine", u.machine);
		meta_put("hostname", u.nodename);
	}
	meta_file("cmdline", "/proc/cmdline");
	cpuinfo_field("model name", buf, sizeof(buf));
	meta_put("cpu_model", buf);
	meta_add("nr_cpus_online", "%ld", sysconf(_SC_NPROCESSORS_ONLN));
	meta_add("mem_total_kb", "%ld", sysconf(_SC_PHYS_PAGES) * (sysconf(_SC_PAGESIZE) / 1024));
	cpuinfo_field("flags", flags, sizeof(flags));
	meta_put("hypervisor", strstr(flags, " hypervisor") ? "yes (cpuinfo flag hypervisor)" : "no");
	meta_file("clocksource", "/sys/devices/system/clocksource/clocksource0/current_clocksource");
	meta_file("thp_enabled", KNOB_THP_ENABLED);
	meta_file("thp_defrag", KNOB_THP_DEFRAG);
	meta_file("thp_khugepaged_defrag", KNOB_KHUGEPAGED);
	meta_file("thp_khugepaged_scan_sleep_ms", KNOB_KHUGEPAGED_SLEEP);
	meta_file("thp_khugepaged_pages_to_scan",
		  "/sys/kernel/mm/transparent_hugepage/khugepaged/pages_to_scan");
	for (unsigned long kb = 2048; kb <= 1048576; kb *= 512) {
		unsigned long nr = 0, nfree = 0;
		char key[64];

		snprintf(path, sizeof(path), KNOB_HUGETLB_FMT, kb, "nr_hugepages");
		snprintf(key, sizeof(key), "hugetlb_%s", kb == 2048 ? "2m" : "1g");
		if (knob_read_ulong(path, &nr)) {
			meta_put(key, "unavailable");
			continue;
		}
		snprintf(path, sizeof(path), KNOB_HUGETLB_FMT, kb, "free_hugepages");
		knob_read_ulong(path, &nfree);
		meta_add(key, "nr_hugepages=%lu free=%lu", nr, nfree);
	}
	meta_file("numa_balancing", KNOB_NUMA_BALANCING);
	meta_file("ksm_run", KNOB_KSM_RUN);
	meta_put("notibench_git", NB_GIT_REV);
	localtime_r(&now, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S%z", &tm);
	meta_put("date", buf);
	vm_meta();
	env_item();
	env_traits_string(buf, sizeof(buf));
	meta_put("kernel_traits", buf[0] ? buf : "none");
	if (getenv("NB_KERNEL_TRAITS") && *getenv("NB_KERNEL_TRAITS"))
		meta_put("kernel_traits_env", getenv("NB_KERNEL_TRAITS"));
	if (!meta_get("clock_unit"))
		meta_put("clock_unit", "ns");
	if (!meta_get("kernel_label"))
		meta_put("kernel_label", meta_get("kernel_release") ?: "unknown");
}

const char *env_clock_unit(void)
{
	const char *u = meta_get("clock_unit");

	return u && !strcmp(u, "insn") ? "insn" : "ns";
}

bool env_kernel_at_least(unsigned int maj, unsigned int min)
{
	unsigned int major, minor;

	env_kernel_version(&major, &minor);
	return major > maj || (major == maj && minor >= min);
}

/*
 * Kernel traits (bench/harness/traits.def): what a patched kernel declares it
 * changes. From vm.meta's kernel_traits (scripts/vm: the build's
 * .notibench-traits and its --trait options), then NB_KERNEL_TRAITS, whose
 * keys override (a patched kernel booted natively). Table order is key order.
 */
static const struct trait_def {
	const char *key, *values, *help;
} trait_defs[] = {
#define NB_TRAIT(key, values, help) { #key, values, help },
#include "traits.def"
#undef NB_TRAIT
};

#define NR_TRAITS (sizeof(trait_defs) / sizeof(trait_defs[0]))

static char trait_val[NR_TRAITS][32];
static bool traits_loaded;
static int traits_err;
static char traits_msg[512];

static int trait_index(const char *key, size_t klen)
{
	for (unsigned int i = 0; i < NR_TRAITS; i++)
		if (strlen(trait_defs[i].key) == klen && !strncmp(trait_defs[i].key, key, klen))
			return (int)i;
	return -1;
}

/* Is v (vlen bytes) one of the '|'-separated values? */
static bool trait_value_ok(const char *values, const char *v, size_t vlen)
{
	for (const char *p = values; *p;) {
		size_t n = strcspn(p, "|");

		if (n == vlen && !strncmp(p, v, vlen))
			return true;
		p += n + (p[n] == '|');
	}
	return false;
}

static void traits_list(char *buf, size_t len)
{
	buf[0] = 0;
	for (unsigned int i = 0; i < NR_TRAITS; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s=%s", i ? ", " : "",
			 trait_defs[i].key, trait_defs[i].values);
}

/* "k=v k=v" from where (for messages) into val; 0, or 2 with traits_msg. */
static int traits_parse(const char *s, const char *where, char val[][32])
{
	bool seen[NR_TRAITS] = { false };
	char known[256];

	for (const char *p = s + strspn(s, " \t"); *p; p += strspn(p, " \t")) {
		size_t n = strcspn(p, " \t"), klen = strcspn(p, "= \t");
		int i = klen < n ? trait_index(p, klen) : -1;
		const char *v = p + klen + 1;
		size_t vlen = n - klen - 1;

		traits_list(known, sizeof(known));
		if (klen >= n) {
			snprintf(traits_msg, sizeof(traits_msg), "%s: '%.*s' is not key=value (known "
				 "traits: %s)", where, (int)n, p, known);
			return 2;
		}
		if (i < 0) {
			snprintf(traits_msg, sizeof(traits_msg), "%s: unknown trait '%.*s' (known "
				 "traits: %s)", where, (int)klen, p, known);
			return 2;
		}
		if (!trait_value_ok(trait_defs[i].values, v, vlen)) {
			snprintf(traits_msg, sizeof(traits_msg), "%s: %s=%.*s: the value is one of %s",
				 where, trait_defs[i].key, (int)vlen, v, trait_defs[i].values);
			return 2;
		}
		if (seen[i]) {
			snprintf(traits_msg, sizeof(traits_msg), "%s: trait %s given twice", where,
				 trait_defs[i].key);
			return 2;
		}
		seen[i] = true;
		snprintf(val[i], sizeof(val[i]), "%.*s", (int)vlen, v);
		p += n;
	}
	return 0;
}

int env_traits_load(char *msg, size_t len)
{
	const char *path = getenv("NB_VM_META") ?: NB_VM_META_PATH, *env = getenv("NB_KERNEL_TRAITS");
	char line[1024], where[300], over[NR_TRAITS][32] = { { 0 } };
	FILE *f;

	if (traits_loaded)
		goto out;
	traits_loaded = true;
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (strncmp(line, "kernel_traits: ", 15))
			continue;
		snprintf(where, sizeof(where), "%s: kernel_traits", path);
		traits_err = traits_parse(line + 15, where, trait_val);
		if (traits_err)
			break;
	}
	if (f)
		fclose(f);
	if (!traits_err && env) {
		traits_err = traits_parse(env, "NB_KERNEL_TRAITS", over);
		for (unsigned int i = 0; i < NR_TRAITS && !traits_err; i++)
			if (over[i][0])
				memcpy(trait_val[i], over[i], sizeof(trait_val[i]));
	}
out:
	if (traits_err && msg)
		snprintf(msg, len, "%s", traits_msg);
	return traits_err;
}

const char *env_kernel_trait(const char *key)
{
	int i = trait_index(key, strlen(key));

	if (i < 0) {
		fprintf(stderr, "env_kernel_trait: '%s' is not in bench/harness/traits.def\n", key);
		abort();
	}
	env_traits_load(NULL, 0);
	return trait_val[i][0] ? trait_val[i] : NULL;
}

bool env_trait_is(const char *key, const char *value)
{
	const char *v = env_kernel_trait(key);

	return v && !strcmp(v, value);
}

void env_traits_string(char *buf, size_t len)
{
	env_traits_load(NULL, 0);
	buf[0] = 0;
	for (unsigned int i = 0; i < NR_TRAITS; i++)
		if (trait_val[i][0])
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s=%s", buf[0] ? " " : "",
				 trait_defs[i].key, trait_val[i]);
}

void env_traits_print(FILE *f)
{
	fprintf(f, "%-20s %-8s %-8s %s\n", "trait", "values", "declared", "meaning");
	for (unsigned int i = 0; i < NR_TRAITS; i++) {
		const char *v = env_kernel_trait(trait_defs[i].key);

		fprintf(f, "%-20s %-8s %-8s %s\n", trait_defs[i].key, trait_defs[i].values,
			v ? v : "-", trait_defs[i].help);
	}
}

bool env_mprotect_notify_pud(const char **basis)
{
	const char *t = env_kernel_trait("mprotect_notify");
	bool pud = t ? !strcmp(t, "pud") : env_kernel_at_least(6, 12);

	if (basis)
		*basis = t ? (pud ? "by trait mprotect_notify=pud" : "by trait mprotect_notify=pmd") :
			     (pud ? "by version (>= 6.12)" : "by version (<= 6.11)");
	return pud;
}

bool env_range_flush_hook_empty(const char **basis)
{
	const char *t = env_kernel_trait("range_flush_hook");
	unsigned int major = 0, minor = 0, sub = 0;
	struct utsname u;
	bool empty;

	if (uname(&u) == 0)
		sscanf(u.release, "%u.%u.%u", &major, &minor, &sub);
	empty = t ? !strcmp(t, "empty") : env_kernel_at_least(6, 6) && !env_kernel_at_least(6, 14) &&
		!(major == 6 && minor == 12 && sub >= 20);
	if (!ENV_ARM64 || !env_kernel_at_least(6, 6))
		empty = false;
	if (basis)
		*basis = !ENV_ARM64 ? "not arm64" : !env_kernel_at_least(6, 6) ?
			 "< 6.6: no hook in the arch's flush" : t ?
			 (empty ? "by trait range_flush_hook=empty" : "by trait range_flush_hook=range") :
			 (empty ? "by version (6.6-6.13 before the fix)" : "by version (fixed: >= 6.14 or 6.12.20)");
	return empty;
}
