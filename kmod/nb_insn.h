/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The INSN cost model's loop: nb_insn_loop(n) executes exactly
 * n + NB_INSN_LOOP_FIXED instructions of its own, for every n, with no
 * branch outside the asm that depends on n. Under QEMU's icount with
 * shift=0 (scripts/vm --exact) the guest clock advances one ns per executed
 * instruction, so the loop lasts exactly n + NB_INSN_LOOP_FIXED ns there.
 * On hardware it lasts what n instructions of this loop take: a count of
 * instructions retired is exact, a time is not.
 *
 * Plain GNU C and asm, no kernel headers: tests/insn_test.c includes this
 * file too and counts the loop's instructions by single-stepping it.
 *
 * One asm block per architecture; one without a block has no INSN model
 * (NB_HAVE_INSN_LOOP undefined: attaching it is -EOPNOTSUPP).
 */
#ifndef NB_INSN_H
#define NB_INSN_H

#if defined(__x86_64__)
#define NB_HAVE_INSN_LOOP	1
/* the lea, and the one iteration of loop beyond n */
#define NB_INSN_LOOP_FIXED	2

/*
 * rcx = n + 1, then "loop" (one instruction: decrement rcx, branch while it
 * is not zero) runs n + 1 times: n + 2 instructions for every n >= 0; rcx
 * never starts at 0, which would loop 2^64 times. loop leaves the flags
 * alone. One instruction per unit of n, so the count is exact without an
 * odd/even fix-up.
 */
static inline void nb_insn_loop(unsigned long n)
{
	unsigned long c;

	asm volatile("lea 1(%1), %0\n"
		     "1:\tloop 1b"
		     : "=&c" (c)
		     : "r" (n));
}

#elif defined(__aarch64__)
#define NB_HAVE_INSN_LOOP	1
/* lsr, add, tbz and the iteration beyond n / 2 (odd n: the nop is the half it drops) */
#define NB_INSN_LOOP_FIXED	5

/*
 * No one-instruction loop on arm64, so two per iteration and one nop for
 * odd n, the tbz that skips it costing the same either way:
 *	lsr	c, n, #1	// c = n / 2
 *	add	c, c, #1	// >= 1 iteration: c never starts at 0
 *	tbz	n, #0, 2f	// even: skip the nop
 *	nop
 * 2:	subs	c, c, #1
 *	b.ne	2b
 * n even: 3 + 2 (n / 2 + 1) = n + 5; n odd: 4 + 2 ((n - 1) / 2 + 1) = n + 5.
 */
static inline void nb_insn_loop(unsigned long n)
{
	unsigned long c;

	asm volatile("lsr %0, %1, #1\n"
		     "\tadd %0, %0, #1\n"
		     "\ttbz %1, #0, 2f\n"
		     "\tnop\n"
		     "2:\tsubs %0, %0, #1\n"
		     "\tb.ne 2b"
		     : "=&r" (c)
		     : "r" (n)
		     : "cc");
}
#endif

/*
 * The INSN_RANGE model's count: n per unit (4 KiB of the range), clamped to
 * cap; *capped is set when it clamps (also when units * n overflows). Not
 * clamped, it runs the same instructions for every units and n (a multiply,
 * its overflow test and a compare, all branches not taken): the constant
 * beyond the loop's does not depend on the cost. Plain C, for every
 * architecture; tests/insn_test.c checks its values.
 */
static inline unsigned long long nb_insn_range_count(unsigned long long units,
						     unsigned long long n,
						     unsigned long long cap,
						     int *capped)
{
	unsigned long long count;

	if (__builtin_mul_overflow(units, n, &count) || count > cap) {
		*capped = 1;
		return cap;
	}
	return count;
}

#endif /* NB_INSN_H */
