// SPDX-License-Identifier: GPL-2.0
/* Host reference figures for the metadata (hostref.h). */
#include "hostref.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "env.h"
#include "stats.h"
#include "util.h"

#define REPS 21
#define SYSCALLS 500
#define LOOPS 50000

struct point {
	double syscall_ns, loop_ns, steal_ticks, wall_ns;
};

static struct point before;
static int ref_cpu = -1;

static double median_of(double *v)
{
	stats_sort(v, REPS);
	return v[REPS / 2];
}

/* Steal ticks (USER_HZ) of one CPU from /proc/stat; -1 when not reported. */
static double steal_ticks(int cpu)
{
	char want[32], line[512];
	FILE *f = fopen("/proc/stat", "re");
	double v = -1;

	if (!f)
		return -1;
	snprintf(want, sizeof(want), "cpu%d ", cpu);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long x[8];

		if (strncmp(line, want, strlen(want)))
			continue;
		if (sscanf(line + strlen(want), "%llu %llu %llu %llu %llu %llu %llu %llu", &x[0],
			   &x[1], &x[2], &x[3], &x[4], &x[5], &x[6], &x[7]) == 8)
			v = (double)x[7];
		break;
	}
	fclose(f);
	return v;
}

static void measure(struct point *p)
{
	double sys[REPS], loop[REPS];
	volatile uint64_t x = 1;

	for (int r = 0; r < REPS; r++) {
		double t0 = now_ns(), t1, t2;

		for (int i = 0; i < SYSCALLS; i++)
			syscall(SYS_getppid);	/* not cached by libc: a real kernel entry */
		t1 = now_ns();
		for (int i = 0; i < LOOPS; i++)
			x = x * 6364136223846793005ull + 1442695040888963407ull;
		t2 = now_ns();
		sys[r] = (t1 - t0) / SYSCALLS;
		loop[r] = (t2 - t1) / LOOPS;
	}
	p->syscall_ns = median_of(sys);
	p->loop_ns = median_of(loop);
	p->steal_ticks = ref_cpu >= 0 ? steal_ticks(ref_cpu) : -1;
	p->wall_ns = now_ns();
}

void hostref_begin(int cpu)
{
	ref_cpu = cpu;
	measure(&before);
}

void hostref_end(void)
{
	struct point after;
	long hz = sysconf(_SC_CLK_TCK);

	if (ref_cpu < 0)
		return;
	measure(&after);
	meta_add("host_ref_syscall_ns", "%.1f %.1f (getppid, median of %d x %d, before and after "
		 "the run)", before.syscall_ns, after.syscall_ns, REPS, SYSCALLS);
	meta_add("host_ref_loop_ns", "%.3f %.3f (one LCG step, median of %d x %d, before and "
		 "after the run)", before.loop_ns, after.loop_ns, REPS, LOOPS);
	if (before.steal_ticks < 0 || after.steal_ticks < 0 || hz <= 0)
		meta_add("cpu_steal", "not reported (/proc/stat has no steal for cpu%d)", ref_cpu);
	else
		meta_add("cpu_steal", "%.1f %% of the run on cpu%d (/proc/stat steal, %ld ticks/s)",
			 100.0 * (after.steal_ticks - before.steal_ticks) / hz /
			 ((after.wall_ns - before.wall_ns) / 1e9), ref_cpu, hz);
}
