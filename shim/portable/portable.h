/* SPDX-License-Identifier: MIT */
/*
 * portable - libpcpu-api, the implementation an application links.
 *
 * It depends on nothing but libc: per-CPU objects live in chunks of
 * constant stride (copy n of p at p + n * portable_stride), counters and
 * refs are one shared atomic word.  It is also the reference the per-CPU
 * runtime is tested against.
 */
#ifndef PCPU_PORTABLE_H
#define PCPU_PORTABLE_H

#include <stddef.h>

/* Bytes between two copies of any per-CPU object, and the number of
 * copies: process-wide constants, fixed before the first allocation. */
extern size_t portable_stride __attribute__((visibility("hidden")));
extern int portable_copies __attribute__((visibility("hidden")));

/* The CPU whose copy the caller should update, in [0, pcpu_nr_cpus()). */
int portable_this_cpu(void);

#endif
