/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helper processes for benchmarks that fork (cow, upgrade): a child that
 * holds the buffer's pages or writes them on request, never returning into
 * the harness.
 */
#ifndef NB_HELPER_H
#define NB_HELPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * fork() for a helper. In the child: the harness's signal handlers (knob
 * restore, temp-file removal) are reset to the default, and the child is
 * killed when the parent dies (PR_SET_PDEATHSIG). The child must leave with
 * _exit(), never return into the harness. Returns like fork().
 */
pid_t helper_fork(void);

/*
 * Yields the CPU until pid sleeps (state S in /proc/pid/stat), at most about
 * 10000 times: a child that has just said it is ready may still be runnable
 * on our CPU, and would preempt the timed batch. 0, or -EAGAIN if it never
 * slept.
 */
int helper_wait_blocked(pid_t pid);

/* SIGKILL (when kill is set) and reap pid. 0 or -errno. */
int helper_reap(pid_t pid, bool kill);

/* write()/read() all of len bytes, retrying on EINTR. 0 or -errno (-EPIPE at EOF). */
int helper_write(int fd, const void *buf, size_t len);
int helper_read(int fd, void *buf, size_t len);

/*
 * After a fork() (or anything else that write-protects the whole mm, like
 * clear_refs), every private page of the process is write-protected: the
 * first write to one faults. The timed batch must fault only on the buffer,
 * so this re-dirties (reads and writes back one byte per page) what the
 * thread writes without the benchmark asking: the stack pages within 64 KiB
 * of the caller's frame (they cover the frames the harness and the batch
 * use), and the thread's rseq area, which the kernel writes on the return to
 * user space after every preemption (a fault counted against the thread
 * whenever the batch is preempted). Call it from prepare(), after the fork.
 */
void helper_untangle_thread(void);

/* Re-dirties the pages of [p, p + len) the same way (e.g. the benchmark's state). */
void helper_untangle(void *p, size_t len);

#endif /* NB_HELPER_H */
