/* SPDX-License-Identifier: MIT */
/*
 * cpu_rseq - the rseq access mode (x86-64): this-CPU updates are
 * restartable sequences on the unit that the thread's rseq area names.
 *
 * The area is the one glibc registered for every thread (found at
 * __rseq_offset from the thread pointer, the same offset in every thread),
 * or, with a glibc older than rseq, the runtime's own (cpu_rseq.c).
 *
 * The unit index is the area's mm_cid where the kernel maintains that field
 * (AT_RSEQ_FEATURE_SIZE >= 28), else its cpu_id.  mm_cid is a concurrency
 * id: unique among the threads of the process running at one moment, and
 * below both their number and the possible CPU count, so a process with few
 * threads touches few units of every per-CPU object (fewer pages, fewer
 * lines to sum) however many CPUs the machine has.  pcpu_ptr(p, n) still
 * names unit n; with mm_cid, unit n is "concurrency slot n", not CPU n.
 *
 * Invariants of every sequence:
 *   - the index is read inside the critical section, and the section ends
 *     with its commit: one memory add or one store to the unit;
 *   - a preemption, migration or signal delivery before the commit makes
 *     the kernel jump to the abort handler, which starts again from the
 *     top (the handler is preceded by the signature glibc registered);
 *   - so no other thread updated that unit with a sequence between the
 *     index read and the commit, and no sequence commits after a
 *     membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ) that began before
 *     it unless it re-read everything after (the gate, cpu_rseq_sync()).
 *
 * An index at or above cpu_nr_units leaves the sequence (cpu_rseq_fold_*):
 * a thread whose own area is not registered yet registers it and retries;
 * any other takes the atomic path, whose gated add uses the gate readers
 * of cpu_gate.h that cpu_rseq_sync() also waits for.  That path exists for
 * safety only: the kernel keeps cpu_id and mm_cid below nr_cpu_ids, which
 * /sys/devices/system/cpu/possible reports, and an atomic add there could
 * still race with a sequence's unlocked add on the same unit.
 */
#ifndef PCPU_CPU_RSEQ_H
#define PCPU_CPU_RSEQ_H

#include <stdbool.h>
#include <stdint.h>

#include <pcpu.h>

#include "arena/arena.h"
#include "cpu/mode_atomic.h"


/* Internal: reached directly, never through the GOT. */
#pragma GCC visibility push(hidden)
/* Byte offset from the thread pointer of the area's rseq_cs field. */
extern long cpu_rseq_cs_off;

/* Find the calling thread's rseq area and set cpu_rseq_index_off; true if
 * it is registered. */
bool cpu_rseq_detect(void);
/* Make the rseq mode usable (the area and the membarrier it needs); 0 or
 * -errno, and then the mode cannot be used. */
int cpu_rseq_init(void);
/* Wait until no sequence that could have read a gate before this call can
 * still commit. */
void cpu_rseq_sync(void);
/* Whether every thread has its area from birth (glibc registers them), not
 * only once it reaches a fold path (the runtime's own areas). */
bool cpu_rseq_registers_all(void);
/* Register the calling thread's area if we register areas and it has none
 * yet; true if it was unregistered and now is registered. */
bool cpu_rseq_thread_unregistered(void);
/*
 * Where a sequence goes when the index is out of range: retry once the
 * thread's own area is registered, else the atomic path.  Out of line, so
 * the sequences' callers need no registers saved.
 */
void cpu_rseq_fold_add(int64_t *p, int64_t v);
int64_t cpu_rseq_add_return_fold(int64_t *p, int64_t v);
uint32_t cpu_rseq_add_return32_fold(uint32_t *p, uint32_t v);
int64_t cpu_rseq_fold_add_take(int64_t *p, int64_t v, uint64_t bm1);
bool cpu_rseq_fold_gated_add(int64_t *p, int64_t v, const int *gate);
/* Redo, in a fork child, the registrations the child does not inherit. */
void cpu_rseq_atfork_child(void);

#if defined(__x86_64__)

/* The sequences themselves are pcpu/arch/x86_64.h's, shared with the inline
 * API; these run them on the runtime's own copies of the arguments. */
#define CPU_RSEQ_HERE                                                          \
	cpu_rseq_cs_off, cpu_rseq_index_off, (uint32_t)cpu_nr_units, arena_unit_size

static inline void cpu_rseq_add(int64_t *p, int64_t v)
{
	if (__builtin_expect(pcpu_arch_rseq_add(p, v, CPU_RSEQ_HERE), 0))
		cpu_rseq_fold_add(p, v);
}

#define CPU_RSEQ_DEFINE_ADD_RETURN(name, width, type)                          \
	static inline type name(type *p, type v)                               \
	{                                                                      \
		type r;                                                        \
                                                                               \
		if (__builtin_expect(pcpu_arch_rseq_add_return##width(         \
					     p, v, &r, CPU_RSEQ_HERE),         \
				     0))                                       \
			return name##_fold(p, v);                              \
		return r;                                                      \
	}

CPU_RSEQ_DEFINE_ADD_RETURN(cpu_rseq_add_return, 64, int64_t)
CPU_RSEQ_DEFINE_ADD_RETURN(cpu_rseq_add_return32, 32, uint32_t)

static inline int64_t cpu_rseq_add_take(int64_t *p, int64_t v, uint64_t bm1)
{
	int64_t taken;

	if (__builtin_expect(pcpu_arch_rseq_add_take(p, v, bm1, &taken, CPU_RSEQ_HERE),
			     0))
		return cpu_rseq_fold_add_take(p, v, bm1);
	return taken;
}

static inline bool cpu_rseq_gated_add(int64_t *p, int64_t v, const int *gate)
{
	switch (pcpu_arch_rseq_gated_add(p, v, gate, CPU_RSEQ_HERE)) {
	case 0:
		return true;
	case 1:
		return cpu_rseq_fold_gated_add(p, v, gate);
	default:
		return false;
	}
}

/*
 * Gated adds on a copy the caller has already located (the local mode's
 * slots), see pcpu/arch/x86_64.h.  Every thread must have its area
 * registered (cpu_rseq_registers_all()).
 */
static inline bool cpu_rseq_gated_add_at(int64_t *at, int64_t v, const int *gate)
{
	return !pcpu_arch_rseq_gated_add_at(at, v, gate, cpu_rseq_cs_off);
}

static inline bool cpu_rseq_gated_add_locked_at(int64_t *at, int64_t v,
						const int *gate)
{
	return !pcpu_arch_rseq_gated_add_locked_at(at, v, gate, cpu_rseq_cs_off);
}

#else /* !__x86_64__: cpu_rseq_init() refuses the mode, these never run */

static inline void cpu_rseq_add(int64_t *p, int64_t v)
{
	cpu_atomic_add(p, v);
}

static inline int64_t cpu_rseq_add_return(int64_t *p, int64_t v)
{
	return cpu_atomic_add_return(p, v);
}

static inline uint32_t cpu_rseq_add_return32(uint32_t *p, uint32_t v)
{
	return cpu_atomic_add_return32(p, v);
}

static inline int64_t cpu_rseq_add_take(int64_t *p, int64_t v, uint64_t bm1)
{
	return cpu_atomic_add_take(p, v, bm1);
}

static inline bool cpu_rseq_gated_add(int64_t *p, int64_t v, const int *gate)
{
	return cpu_atomic_gated_add(p, v, gate);
}

/* Never called: cpu_local_rseq is only set where rseq works. */
static inline bool cpu_rseq_gated_add_at(int64_t *at, int64_t v, const int *gate)
{
	(void)at, (void)v, (void)gate;
	__builtin_unreachable();
}
#define cpu_rseq_gated_add_locked_at cpu_rseq_gated_add_at

#endif

#pragma GCC visibility pop

#endif
