/* SPDX-License-Identifier: MIT */
/*
 * cpu - how the calling thread reaches "its" copy of a per-CPU object.
 *
 * PROVISIONAL: the atomic mode only (sched_getcpu() and an atomic on that
 * copy), until the access-mode work brings rseq and the local mapping.
 */
#ifndef PCPU_CPU_H
#define PCPU_CPU_H

#include <stdint.h>

/* Number of copies of every per-CPU object; fixed by cpu_init(). */
extern int cpu_nr_units;

/* Choose the access mode and the number of units; 0 or -errno. */
int cpu_init(void);

/* "rseq", "atomic" or "local". */
const char *cpu_mode_name(void);

/* this-CPU add on a per-CPU int64_t; never lost. */
void cpu_this_add64(int64_t *p, int64_t v);
/* Same, returning the updated copy's new value. */
int64_t cpu_this_add_return64(int64_t *p, int64_t v);

#endif
