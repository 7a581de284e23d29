/* SPDX-License-Identifier: MIT */
/*
 * cpu_atomic - the atomic access mode, which every platform can run: find
 * the CPU the thread runs on, then update that CPU's unit with an atomic.
 *
 * The CPU number comes from the thread's rseq area where one is registered
 * (cpu_id or mm_cid, kept current by the kernel: one load), else from
 * sched_getcpu(), cached per thread for a few dozen updates (cpu_atomic.c).
 * Either may be stale by the time the atomic runs; a migration then costs
 * locality, never correctness, because every update of the unit is atomic.
 * A number at or above cpu_nr_units (a CPU the possible count missed, or
 * sched_getcpu() failing) is folded into range.
 *
 * The rseq mode borrows these functions for the index it cannot serve in a
 * sequence (see cpu_rseq.h).
 */
#ifndef PCPU_CPU_ATOMIC_H
#define PCPU_CPU_ATOMIC_H

#include <stdbool.h>
#include <stdint.h>

/* Internal: reached directly, never through the GOT. */
#pragma GCC visibility push(hidden)
extern int cpu_nr_units;

/*
 * Byte offset from the thread pointer of the 32-bit index field (cpu_id or
 * mm_cid) of the thread's rseq area, or 0 when no area is registered.  Set
 * once by cpu_rseq_detect().
 */
extern long cpu_rseq_index_off;

/* The thread's rseq index: one thread-pointer-relative load. */
static inline uint32_t cpu_rseq_index(void)
{
#if defined(__x86_64__)
	uint32_t idx;

	__asm__ volatile("movl %%fs:(%1), %0" : "=r"(idx) : "r"(cpu_rseq_index_off));
	return idx;
#else
	return __atomic_load_n(
	    (uint32_t *)((char *)__builtin_thread_pointer() + cpu_rseq_index_off),
	    __ATOMIC_RELAXED);
#endif
}

/*
 * Out of line: the atomic dominates their cost, and callers' fast paths
 * reach them by tail calls, so they need no registers saved.
 */
void cpu_atomic_add(int64_t *p, int64_t v);
int64_t cpu_atomic_add_return(int64_t *p, int64_t v);
uint32_t cpu_atomic_add_return32(uint32_t *p, uint32_t v);
int64_t cpu_atomic_add_take(int64_t *p, int64_t v, uint64_t bm1);
bool cpu_atomic_gated_add(int64_t *p, int64_t v, const int *gate);
/* The unit of p that the calling thread's atomic-mode updates (and rseq's
 * fold paths) go to now. */
void *cpu_atomic_this(void *p);

#pragma GCC visibility pop

#endif
