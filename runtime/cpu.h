/* SPDX-License-Identifier: MIT */
/*
 * cpu - how the calling thread reaches "its" copy of a per-CPU object.
 *
 * PROVISIONAL: the atomic mode only (sched_getcpu() and an atomic on that
 * copy), until the access-mode work brings rseq and the local mapping.
 */
#ifndef PCPU_CPU_H
#define PCPU_CPU_H

#include <stdbool.h>
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
/* Replace the calling CPU's copy with v and return what it held. */
int64_t cpu_this_xchg64(int64_t *p, int64_t v);

/*
 * Gated adds, the grace period that percpu_ref's switch to shared mode
 * needs: cpu_gated_add64() adds v to the calling CPU's copy of p unless
 * *gate is non-zero, and returns whether it added.  cpu_gate_sync(), called
 * after setting a gate, returns only once every gated add that saw the gate
 * clear has completed, so the copies can then be summed exactly.
 */
bool cpu_gated_add64(int64_t *p, int64_t v, const int *gate);
void cpu_gate_sync(void);

#endif
