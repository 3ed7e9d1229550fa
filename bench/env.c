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

void meta_put(const char *key, const char *value)
{
	char *v = strdup(value ? value : "");
	struct meta *nm;

	if (!v)
		return;
	for (char *p = v; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	for (unsigned int i = 0; i < nr_metas; i++)
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

void meta_add(const char *key, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	meta_put(key, buf);
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

void env_capture(void)
{
	struct utsname u;
	char buf[4096], path[256], flags[4096];
	time_t now = time(NULL);
	struct tm tm;

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
