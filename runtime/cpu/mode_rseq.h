/* SPDX-License-Identifier: MIT */
/*
 * mode_rseq - the rseq access mode: this-CPU updates are restartable
 * sequences (pcpu/arch) on the unit that the thread's rseq area names
 * (rseq_area.h: which area, which index).
 *
 * Invariants of every sequence:
 *   - the index is read inside the critical section, and the section ends
 *     with its commit: one memory add or one store to the unit;
 *   - a preemption, migration or signal delivery before the commit makes
 *     the kernel jump to the abort handler, which starts again from the
 *     top (the handler is preceded by the signature glibc registered);
 *   - so no other thread updated that unit with a sequence between the
 *     index read and the commit, and no sequence commits after a
 *     cpu_rseq_fence() that began before it unless it re-read everything
 *     after (the gate, cpu_rseq_close()).
 *
 * An index at or above cpu_nr_units leaves the sequence (cpu_rseq_fold_*):
 * a thread whose own area is not registered yet registers it and retries;
 * any other takes unit.h's atomics, and its gated add holds a gate reader
 * (gate.h) that cpu_rseq_close() also waits for.  That path exists for
 * safety only: the kernel keeps cpu_id and mm_cid below nr_cpu_ids, which
 * /sys/devices/system/cpu/possible reports, and an atomic add there could
 * still race with a sequence's unlocked add on the same unit.
 *
 * Closable copies (cpu.h): a closable add is a gated sequence, which reads
 * the gate inside the section; cpu_rseq_close() sets nothing, waits out
 * the sequences and readers in flight (cpu_gate_wait()) and takes the
 * copies, leaving 0.
 *
 * Only where the architecture has sequences (PCPU_ARCH_RSEQ): elsewhere
 * every operation takes its fold path, and cpu_init() never chooses the
 * mode.  A leaf: it includes and calls only the lower layer (rseq_area,
 * unit, gate).
 */
#ifndef PCPU_CPU_MODE_RSEQ_H
#define PCPU_CPU_MODE_RSEQ_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/gate.h"
#include "cpu/rseq_area.h"
#include "cpu/unit.h"

/* Internal: reached directly, never through the GOT. */
#pragma GCC visibility push(hidden)

/*
 * Where a sequence goes when the index is out of range: retry once the
 * thread's own area is registered, else unit.h's atomics.  Out of line,
 * so the sequences' callers need no registers saved.
 */
void cpu_rseq_fold_add(int64_t *p, int64_t v);
int64_t cpu_rseq_add_return_fold(int64_t *p, int64_t v);
uint32_t cpu_rseq_add_return32_fold(uint32_t *p, uint32_t v);
int64_t cpu_rseq_fold_add_take(int64_t *p, int64_t v, uint64_t bm1);
bool cpu_rseq_fold_add_within(int64_t *p, int64_t v, uint64_t bm1);
bool cpu_rseq_closable_add_slow(int64_t *p, int64_t v, const int *gate);
int64_t cpu_rseq_close(int64_t *p);

/* The sequences themselves are pcpu/arch's, shared with the inline API;
 * these run them on the runtime's own copies of the arguments. */
#define CPU_RSEQ_HERE                                                                    \
	cpu_rseq_cs_off, cpu_rseq_index_off, (uint32_t)cpu_nr_units, arena_unit_size

static inline void cpu_rseq_add(int64_t *p, int64_t v)
{
	if (__builtin_expect(CPU_RSEQ_RUN(pcpu_arch_rseq_add(p, v, CPU_RSEQ_HERE), 1), 0))
		cpu_rseq_fold_add(p, v);
}

#define CPU_RSEQ_DEFINE_ADD_RETURN(name, width, type)                                    \
	static inline type name(type *p, type v)                                         \
	{                                                                                \
		type r;                                                                  \
                                                                                         \
		if (__builtin_expect(CPU_RSEQ_RUN(pcpu_arch_rseq_add_return##width(      \
						      p, v, &r, CPU_RSEQ_HERE),          \
						  1),                                    \
				     0))                                                 \
			return name##_fold(p, v);                                        \
		return r;                                                                \
	}

CPU_RSEQ_DEFINE_ADD_RETURN(cpu_rseq_add_return, 64, int64_t)
CPU_RSEQ_DEFINE_ADD_RETURN(cpu_rseq_add_return32, 32, uint32_t)

static inline int64_t cpu_rseq_add_take(int64_t *p, int64_t v, uint64_t bm1)
{
	int64_t taken;

	if (__builtin_expect(
		CPU_RSEQ_RUN(pcpu_arch_rseq_add_take(p, v, bm1, &taken, CPU_RSEQ_HERE),
			     1),
		0))
		return cpu_rseq_fold_add_take(p, v, bm1);
	return taken;
}

/* Add v to this CPU's copy only if it stays inside the batch (see
 * pcpu_abi_add_within()); true if it added. */
static inline bool cpu_rseq_add_within(int64_t *p, int64_t v, uint64_t bm1)
{
	switch (CPU_RSEQ_RUN(pcpu_arch_rseq_add_within(p, v, bm1, CPU_RSEQ_HERE), 1)) {
	case 0:
		return true;
	case 1:
		return cpu_rseq_fold_add_within(p, v, bm1);
	default:
		return false;
	}
}

/* The unit the sequences would update now, as unit.h's atomics find it
 * when the index is out of range. */
static inline void *cpu_rseq_this(void *p)
{
	return cpu_unit_here_call(p);
}

static inline enum cpu_gated cpu_rseq_closable_try_add(int64_t *p, int64_t v,
						       const int *gate)
{
	(void)p, (void)v, (void)gate; /* unused where there are no sequences */
	return (enum cpu_gated)CPU_RSEQ_RUN(
	    pcpu_arch_rseq_gated_add(p, v, gate, CPU_RSEQ_HERE), CPU_GATED_UNTRIED);
}

#pragma GCC visibility pop

#endif
