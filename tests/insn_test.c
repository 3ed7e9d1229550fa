// SPDX-License-Identifier: GPL-2.0
/*
 * The INSN cost model's loop (kmod/nb_insn.h, the very code the module
 * compiles) executes exactly n + NB_INSN_LOOP_FIXED instructions: a child
 * runs it between two labels for many n, and the parent single-steps the
 * child with ptrace, counting the instructions executed between the labels.
 * A single step is one architectural instruction (each iteration of x86's
 * loop is one), the count QEMU's icount and a PMU's instructions-retired
 * counter make too.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kmod/nb_insn.h"
#include "tap.h"

#ifdef NB_HAVE_INSN_LOOP

/* n = 0..NR_SMALL-1 one by one, then a few large ones. */
#define NR_SMALL 200
static const unsigned long large[] = { 511, 1000, 4095, 16384 };
#define NR_N (NR_SMALL + sizeof(large) / sizeof(large[0]))

static unsigned long n_at(unsigned int i)
{
	return i < NR_SMALL ? i : large[i - NR_SMALL];
}

extern const char nb_t_begin[], nb_t_end[];

/* The loop between two labels; nothing else of the compiler's in between (checked below). */
__attribute__((noinline, noclone, used)) static void bracketed(unsigned long n)
{
	asm volatile(".globl nb_t_begin\nnb_t_begin:");
	nb_insn_loop(n);
	asm volatile(".globl nb_t_end\nnb_t_end:");
}

static void child(void)
{
	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
		_exit(3);
	raise(SIGSTOP);
	for (unsigned int i = 0; i < NR_N; i++)
		bracketed(n_at(i));
	_exit(0);
}

/*
 * Steps the stopped child until it exits; count[i] gets the instructions
 * executed with rip in [nb_t_begin, nb_t_end) during the i-th call.
 */
static int trace(pid_t pid, unsigned long *count)
{
	uintptr_t lo = (uintptr_t)nb_t_begin, hi = (uintptr_t)nb_t_end;
	unsigned int call = 0;
	bool inside = false;
	int st;

	for (;;) {
		struct user_regs_struct regs;

		if (ptrace(PTRACE_GETREGS, pid, NULL, &regs))
			return -errno;
		if (regs.rip >= lo && regs.rip < hi) {
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
	tap_plan(3);
	ret = trace(pid, count);
	if (ret) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
	if (!tap_ok(ret == 0, "single-stepped %zu calls of the loop (%s)", (size_t)NR_N,
		    ret ? strerror(-ret) : "ok"))
		return TAP_EXIT_FAIL;
	for (unsigned int i = 0; i < NR_N; i++)
		if (count[i] != n_at(i) + NB_INSN_LOOP_FIXED && !bad++)
			first_bad = i;
	tap_diag("n = 0: %lu, 1: %lu, 2: %lu, 16384: %lu instructions", count[0], count[1],
		 count[2], count[NR_N - 1]);
	tap_ok(count[0] == NB_INSN_LOOP_FIXED,
	       "n = 0 executes NB_INSN_LOOP_FIXED = %d instructions (%lu)", NB_INSN_LOOP_FIXED,
	       count[0]);
	tap_ok(!bad, "every n in 0..%d and 511, 1000, 4095, 16384 executes exactly n + %d "
	       "(%u off; first: n = %lu gave %lu)", NR_SMALL - 1, NB_INSN_LOOP_FIXED, bad,
	       bad ? n_at(first_bad) : 0, bad ? count[first_bad] : 0);
	return tap_state.failed ? TAP_EXIT_FAIL : TAP_EXIT_PASS;
}

#else

int main(void)
{
	printf("TAP version 13\n1..0 # SKIP no INSN loop for this architecture in kmod/nb_insn.h\n");
	return TAP_EXIT_SKIP;
}

#endif
