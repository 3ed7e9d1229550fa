// SPDX-License-Identifier: GPL-2.0
/*
 * vm-yield: spin on PAUSE until killed. In exact mode scripts/vm's guest runs
 * it on CPU 0 while it brings the other CPUs up: under icount, QEMU 7.2's
 * single-threaded round robin gives vCPU 0 the budget up to the next timer
 * first and the others only what vCPU 0 leaves, and an x86 PAUSE ends
 * vCPU 0's turn (helper_pause raises EXCP_INTERRUPT). On arm64 YIELD does
 * (without MTTCG, helper_yield raises EXCP_YIELD).
 */
int main(void)
{
	for (;;)
#ifdef __aarch64__
		asm volatile("yield");
#else
		__builtin_ia32_pause();
#endif
}
