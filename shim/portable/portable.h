/* SPDX-License-Identifier: MIT */
/*
 * portable - libpcpu-api, the implementation an application links.
 *
 * It depends on nothing but libc and favours obviousness over speed:
 * per-CPU objects are one malloc block of nr_cpus copies found through an
 * address-ordered tree (so interior pointers resolve), counters and refs
 * are one shared atomic word.  It is also the reference the per-CPU
 * runtime is tested against.
 */
#ifndef PCPU_PORTABLE_H
#define PCPU_PORTABLE_H

/* The CPU whose copy the caller should update, in [0, pcpu_nr_cpus()). */
int portable_this_cpu(void);

#endif
