/* SPDX-License-Identifier: MIT */
/*
 * mode_atomic - the atomic access mode, which every platform can run: find
 * the CPU the thread runs on, then update that CPU's unit with an atomic
 * (unit.h has both).
 *
 * Closable copies (cpu.h) need no grace period here: every update of a
 * unit is already one atomic read-modify-write, so a copy is its own gate.
 * cpu_atomic_close() exchanges each copy for PCPU_ABI_REF_CLOSED and keeps
 * what it took; a closable add returns the copy's new value, and one that
 * lands on a closed copy sees it far below any open value
 * (PCPU_ABI_REF_OPEN_MIN), counts for nothing and reports the copy closed:
 * a closed copy holds PCPU_ABI_REF_CLOSED plus the adds that landed on it
 * afterwards, at most one per thread that read the gate open before it
 * closed; an open copy holds the adds made on its unit since it opened,
 * below PCPU_ABI_REF_OPEN_MIN only after 2^61 more negative than positive
 * ones there (decades at a billion a second).  So a thread preempted
 * mid-add holds up nobody.  An add still reads the
 * gate first and reports "closed" at once when it is set: that spares the
 * closed copies' lines, and means a copy is only ever added to after
 * cpu_atomic_reopen() opened it (zeroed copies behind a set gate need no
 * closing).  The inline API's ref paths (pcpu/inline.h) make the same add.
 *
 * A leaf: it includes and calls only the lower layer (unit, gate).
 */
#ifndef PCPU_CPU_MODE_ATOMIC_H
#define PCPU_CPU_MODE_ATOMIC_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/gate.h"
#include "cpu/unit.h"

/* Internal: reached directly, never through the GOT. */
#pragma GCC visibility push(hidden)

/*
 * Out of line: the atomic dominates their cost, and callers' fast paths
 * reach them by tail calls, so they need no registers saved.
 */
void cpu_atomic_add(int64_t *p, int64_t v);
int64_t cpu_atomic_add_return(int64_t *p, int64_t v);
uint32_t cpu_atomic_add_return32(uint32_t *p, uint32_t v);
int64_t cpu_atomic_add_take(int64_t *p, int64_t v, uint64_t bm1);

static inline bool cpu_atomic_add_within(int64_t *p, int64_t v, uint64_t bm1)
{
	return !pcpu_abi_add_within(cpu_unit_here(p), v, bm1);
}

static inline void *cpu_atomic_this(void *p)
{
	return cpu_unit_here_call(p);
}

/*
 * The closable add on the unit u: acq_rel, so that what a put's caller
 * did happens before the closing exchange, and an add that finds its copy
 * reopened sees what the reopener did before.
 */
static inline bool cpu_atomic_closable_add_at(int64_t *u, int64_t v)
{
	return __atomic_add_fetch(u, v, __ATOMIC_ACQ_REL) > PCPU_ABI_REF_OPEN_MIN;
}

static inline enum cpu_gated cpu_atomic_closable_try_add(int64_t *p, int64_t v,
							 const int *gate)
{
	uint32_t cpu;

	if (__atomic_load_n(gate, __ATOMIC_ACQUIRE))
		return CPU_GATED_CLOSED;
	if (__builtin_expect(!cpu_unit_index_fast(&cpu), 0))
		return CPU_GATED_UNTRIED;
	return cpu_atomic_closable_add_at(arena_ptr(p, (int)cpu), v) ? CPU_GATED_ADDED
								     : CPU_GATED_CLOSED;
}

bool cpu_atomic_closable_add_slow(int64_t *p, int64_t v, const int *gate);
int64_t cpu_atomic_close(int64_t *p);
void cpu_atomic_reopen(int64_t *p);

#pragma GCC visibility pop

#endif
