/* SPDX-License-Identifier: MIT */
/*
 * unit - the units of every per-CPU object: how many there are, the one
 * that a thread with neither a sequence nor an owned slot updates "here",
 * with atomics, and the operations on all of them.  The atomic mode is
 * these atomics; the rseq mode takes them when its sequence cannot run.
 *
 * The unit here is the CPU number: the thread's rseq area's index where
 * one is registered (cpu_id or mm_cid, kept current by the kernel: one
 * load), else sched_getcpu(), cached per thread for a few dozen updates
 * (unit.c).  Either may be stale by the time the atomic runs; a migration
 * then costs locality, never correctness, because every update of the
 * unit is atomic.  A number at or above cpu_nr_units (a CPU the possible
 * count missed, or sched_getcpu() failing) is folded into range.
 *
 * Invariants: cpu_nr_units is fixed by cpu_init() before any object is
 * allocated; every unit this module names is in [0, cpu_nr_units).
 */
#ifndef PCPU_CPU_UNIT_H
#define PCPU_CPU_UNIT_H

#include <stdbool.h>
#include <stdint.h>

#include "arena/arena.h"
#include "cpu/rseq_area.h"

/* Internal: reached directly, never through the GOT. */
#pragma GCC visibility push(hidden)

/* Number of copies of every per-CPU object; fixed by cpu_init(). */
extern int cpu_nr_units;

/* The CPU number when the rseq area gives none in range. */
uint32_t cpu_unit_index_slow(void);

/* The CPU number that the rseq area names, in *cpu; false when there is
 * none in range (no area, or an index out of range).  Inline, for the
 * fast paths. */
static inline bool cpu_unit_index_fast(uint32_t *cpu)
{
	return cpu_rseq_index_off && (*cpu = cpu_rseq_index()) < (uint32_t)cpu_nr_units;
}

/* p's unit for the CPU the thread runs on now. */
static inline void *cpu_unit_here(void *p)
{
	uint32_t cpu;

	if (__builtin_expect(!cpu_unit_index_fast(&cpu), 0))
		cpu = cpu_unit_index_slow();
	return arena_ptr(p, (int)cpu);
}

/* The same out of line, for a caller that only returns it: a tail call
 * costs it no stack frame. */
void *cpu_unit_here_call(void *p);

/* The atomics on that unit: add, add-return (both widths, wrapping) and
 * add-take (cpu.h). */
static inline void cpu_unit_add(int64_t *p, int64_t v)
{
	__atomic_fetch_add((int64_t *)cpu_unit_here(p), v, __ATOMIC_RELAXED);
}

static inline int64_t cpu_unit_add_return(int64_t *p, int64_t v)
{
	return __atomic_add_fetch((int64_t *)cpu_unit_here(p), v, __ATOMIC_RELAXED);
}

static inline uint32_t cpu_unit_add_return32(uint32_t *p, uint32_t v)
{
	return __atomic_add_fetch((uint32_t *)cpu_unit_here(p), v, __ATOMIC_RELAXED);
}

static inline int64_t cpu_unit_add_take(int64_t *p, int64_t v, uint64_t bm1)
{
	int64_t *u = cpu_unit_here(p);

	return pcpu_abi_take_after_add(u, __atomic_add_fetch(u, v, __ATOMIC_RELAXED),
				       bm1);
}

/* The sum of p's copies, each read once (relaxed). */
int64_t cpu_units_sum(int64_t *p);
/* Exchange every copy of p for v and return the sum of what they held;
 * acquire and release on each copy. */
int64_t cpu_units_exchange(int64_t *p, int64_t v);

#pragma GCC visibility pop

#endif
