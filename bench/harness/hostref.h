/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host reference: how fast this CPU runs a syscall and a plain loop right
 * before and after the measurement, and how much of the run the hypervisor
 * stole from it. On a shared or virtualised host whole runs shift between
 * speed levels (the syscall and TLB paths more than user code); these
 * figures in the metadata let a reader tell a host shift from a kernel change.
 */
#ifndef NB_HOSTREF_H
#define NB_HOSTREF_H

/* Measures and remembers the "before" point; cpu is the pinned CPU. */
void hostref_begin(int cpu);
/* Measures the "after" point and records host_ref_* and cpu_steal metadata. */
void hostref_end(void);

#endif /* NB_HOSTREF_H */
