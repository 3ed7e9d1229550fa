// SPDX-License-Identifier: GPL-2.0
/*
 * The INSN cost model's loop (kmod/nb_insn.h, the very code the module
 * compiles) executes exactly n + NB_INSN_LOOP_FIXED instructions: a child
 * runs it between two labels for many n, and the parent single-steps the
 * child with ptrace, counting the instructions executed between the labels.
 * A single step is one architectural instruction (each iteration of x86's
 * loop is one; PTRACE_SINGLESTEP works the same on arm64), the count QEMU's icount and a PMU's instructions-retired
 * counter make too.
 *
 * The INSN_RANGE model runs the same loop for nb_insn_range_count(units, n,
 * cap) instructions: its values are checked (the clamp, an overflowing
 * product, the cap itself), and the count and the loop are single-stepped
 * together for units x n below the cap, which must cost units * n plus one
 * constant (clamped calls are only shown: they are marked, not exact).
 */
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __aarch64__
#include <asm/ptrace.h>		/* struct user_pt_regs */
#endif

#include "../kmod/nb_insn.h"
#include "tap.h"

#ifdef NB_HAVE_INSN_LOOP

/* n = 0..NR_SMALL-1 one by one, then a few large ones. */
#define NR_SMALL 200
static const unsigned long large[] = { 511, 1000, 4095, 16384 };
#define NR_LOOP (NR_SMALL + sizeof(large) / sizeof(large[0]))

/* INSN_RANGE, single-stepped: (units, n) pairs under and over a small cap. */
#define RANGE_CAP 5000UL
static const unsigned long r_units[] = { 0, 1, 2, 16, 512, 1000 };
static const unsigned long r_n[] = { 0, 1, 2, 3, 4 };
#define NR_RU (sizeof(r_units) / sizeof(r_units[0]))
#define NR_RN (sizeof(r_n) / sizeof(r_n[0]))
/* clamped: 512 x 10, 1000 x 6, 5001 x 1, 2^40 x 2^30 (the product overflows) */
static const unsigned long c_units[] = { 512, 1000, 5001, 1UL << 40 };
static const unsigned long c_n[] = { 10, 6, 1, 1UL << 30 };
#define NR_C (sizeof(c_units) / sizeof(c_units[0]))
#define NR_N (NR_LOOP + NR_RU * NR_RN + NR_C)

static unsigned long n_at(unsigned int i)
{
	return i < NR_SMALL ? i : large[i - NR_SMALL];
}

extern const char nb_t_begin[], nb_t_end[], nb_r_begin[], nb_r_end[];

/* The loop between two labels; nothing else of the compiler's in between (checked below). */
__attribute__((noinline, noclone, used)) static void bracketed(unsigned long n)
{
	asm volatile(".globl nb_t_begin\nnb_t_begin:");
	nb_insn_loop(n);
	asm volatile(".globl nb_t_end\nnb_t_end:");
}

static int range_capped;

/* The module's nb_insn_range(): the count, then the loop over it. */
__attribute__((noinline, noclone, used)) static void bracketed_range(unsigned long units,
								    unsigned long n)
{
	asm volatile(".globl nb_r_begin\nnb_r_begin:");
	nb_insn_loop(nb_insn_range_count(units, n, RANGE_CAP, &range_capped));
	asm volatile(".globl nb_r_end\nnb_r_end:");
}

static void child(void)
{
	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
		_exit(3);
	raise(SIGSTOP);
	for (unsigned int i = 0; i < NR_LOOP; i++)
		bracketed(n_at(i));
	for (unsigned int u = 0; u < NR_RU; u++)
		for (unsigned int j = 0; j < NR_RN; j++)
			bracketed_range(r_units[u], r_n[j]);
	for (unsigned int i = 0; i < NR_C; i++)
		bracketed_range(c_units[i], c_n[i]);
	_exit(0);
}

/* The stopped child's program counter, or -errno. */
static int child_pc(pid_t pid, uintptr_t *pc)
{
#if defined(__x86_64__)
	struct user_regs_struct regs;

	if (ptrace(PTRACE_GETREGS, pid, NULL, &regs))
		return -errno;
	*pc = regs.rip;
#else
	/* arm64 has no PTRACE_GETREGS, only the regsets */
	struct user_pt_regs regs;
	struct iovec iov = { .iov_base = &regs, .iov_len = sizeof(regs) };

	if (ptrace(PTRACE_GETREGSET, pid, (void *)NT_PRSTATUS, &iov))
		return -errno;
	*pc = regs.pc;
#endif
	return 0;
}

/*
 * Steps the stopped child until it exits; count[i] gets the instructions
 * executed with the pc in [nb_t_begin, nb_t_end) during the i-th call.
 */
static int trace(pid_t pid, unsigned long *count)
{
	uintptr_t lo = (uintptr_t)nb_t_begin, hi = (uintptr_t)nb_t_end;
	uintptr_t rlo = (uintptr_t)nb_r_begin, rhi = (uintptr_t)nb_r_end;
	unsigned int call = 0;
	bool inside = false;
	int st;

	for (;;) {
		uintptr_t pc;
		int ret = child_pc(pid, &pc);

		if (ret)
			return ret;
		if ((pc >= lo && pc < hi) || (pc >= rlo && pc < rhi)) {
			if (!inside && call >= NR_N)
				return -E2BIG;
			if (!inside)
				count[call] = 0;
			inside = true;
			count[call]++;
		} else if (inside) {
			inside = false;
			call++;
		}
		/* After the last call nothing is counted: let it run to its exit. */
		if (ptrace(call == NR_N ? PTRACE_CONT : PTRACE_SINGLESTEP, pid, NULL, NULL))
			return -errno;
		if (waitpid(pid, &st, 0) != pid)
			return -errno;
		if (WIFEXITED(st))
			return call == NR_N && WEXITSTATUS(st) == 0 ? 0 : -ECHILD;
		if (!WIFSTOPPED(st) || WSTOPSIG(st) != SIGTRAP)
			return -EINTR;
	}
}

int main(void)
{
	static unsigned long count[NR_N];
	unsigned int bad = 0, first_bad = 0;
	pid_t pid;
	int st, ret;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		printf("TAP version 13\n1..0 # SKIP fork: %s\n", strerror(errno));
		return TAP_EXIT_FAIL;
	}
	if (pid == 0)
		child();
	if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st)) {
		/* exit 3: PTRACE_TRACEME refused (e.g. Yama ptrace_scope 3) */
		if (WIFEXITED(st) && WEXITSTATUS(st) == 3) {
			printf("1..0 # SKIP ptrace is not allowed here\n");
			return TAP_EXIT_SKIP;
		}
		printf("TAP version 13\n1..1\nnot ok 1 - the child did not stop (status %#x)\n", st);
		return TAP_EXIT_FAIL;
	}
	tap_plan(5);
	{
		int c1 = 0, c2 = 0, c3 = 0, c4 = 0, c5 = 0;
		unsigned long long v1 = nb_insn_range_count(16384, 4, 1ULL << 28, &c1);
		unsigned long long v2 = nb_insn_range_count(1ULL << 24, 16, 1ULL << 28, &c2);
		unsigned long long v3 = nb_insn_range_count(1ULL << 24, 17, 1ULL << 28, &c3);
		unsigned long long v4 = nb_insn_range_count(1ULL << 52, 1000000, 1ULL << 28, &c4);
		unsigned long long v5 = nb_insn_range_count(1ULL << 40, 1ULL << 30, 1ULL << 28, &c5);

		tap_ok(v1 == 65536 && !c1 && v2 == 1ULL << 28 && !c2 && v3 == 1ULL << 28 && c3 &&
		       v4 == 1ULL << 28 && c4 && v5 == 1ULL << 28 && c5,
		       "nb_insn_range_count: 16384 x 4 = 65536, 2^24 x 16 = the cap 2^28 unclamped, "
		       "2^24 x 17, the full range x 10^6 and an overflowing 2^40 x 2^30 clamped "
		       "(%llu %d, %llu %d, %llu %d, %llu %d, %llu %d)", v1, c1, v2, c2, v3, c3, v4,
		       c4, v5, c5);
	}
	ret = trace(pid, count);
	if (ret) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
	if (!tap_ok(ret == 0, "single-stepped %zu calls of the loop (%s)", (size_t)NR_N,
		    ret ? strerror(-ret) : "ok"))
		return TAP_EXIT_FAIL;
	for (unsigned int i = 0; i < NR_LOOP; i++)
		if (count[i] != n_at(i) + NB_INSN_LOOP_FIXED && !bad++)
			first_bad = i;
	tap_diag("n = 0: %lu, 1: %lu, 2: %lu, 16384: %lu instructions", count[0], count[1],
		 count[2], count[NR_LOOP - 1]);
	tap_ok(count[0] == NB_INSN_LOOP_FIXED,
	       "n = 0 executes NB_INSN_LOOP_FIXED = %d instructions (%lu)", NB_INSN_LOOP_FIXED,
	       count[0]);
	tap_ok(!bad, "every n in 0..%d and 511, 1000, 4095, 16384 executes exactly n + %d "
	       "(%u off; first: n = %lu gave %lu)", NR_SMALL - 1, NB_INSN_LOOP_FIXED, bad,
	       bad ? n_at(first_bad) : 0, bad ? count[first_bad] : 0);
	{
		/* INSN_RANGE under the cap: units * n + one constant for every pair */
		unsigned long base = count[NR_LOOP], rbad = 0, i = NR_LOOP;

		for (unsigned int u = 0; u < NR_RU; u++)
			for (unsigned int j = 0; j < NR_RN; j++, i++)
				rbad += count[i] - r_units[u] * r_n[j] != base;
		tap_diag("INSN_RANGE: units 0 n 0: %lu instructions, 1000 x 4: %lu", base,
			 count[i - 1]);
		tap_ok(!rbad && base >= NB_INSN_LOOP_FIXED,
		       "INSN_RANGE: count and loop execute units x n + %lu for units in 0, 1, 2, 16, "
		       "512, 1000 and n in 0..4 (%lu of %zu off)", base, rbad, NR_RU * NR_RN);
		/*
		 * Clamped calls are marked as such, not exact: where the compiler
		 * puts their path (out of line, past the labels) is its business.
		 */
		tap_diag("clamped calls stepped inside the labels: %lu, %lu, %lu, %lu instructions "
			 "(cap %lu)", count[i], count[i + 1], count[i + 2], count[i + 3], RANGE_CAP);
	}
	return tap_n->failed ? TAP_EXIT_FAIL : TAP_EXIT_PASS;
}

#else

int main(void)
{
	printf("TAP version 13\n1..0 # SKIP no INSN loop for this architecture in kmod/nb_insn.h\n");
	return TAP_EXIT_SKIP;
}

#endif
