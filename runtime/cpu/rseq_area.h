/* SPDX-License-Identifier: MIT */
/*
 * rseq_area - the calling thread's rseq area, which the rseq mode's
 * sequences, the local mode's gated sequences and the atomic mode's CPU
 * numbers all read: where it is, whether every thread has one, and the
 * membarrier that restarts the sequences in flight.
 *
 * The area is the one glibc registered for every thread (found at
 * __rseq_offset from the thread pointer, the same offset in every thread),
 * or, with a glibc older than rseq, the runtime's own (rseq_area.c).
 *
 * The unit index is the area's mm_cid where the kernel maintains that field
 * (AT_RSEQ_FEATURE_SIZE >= 28), else its cpu_id.  mm_cid is a concurrency
 * id: unique among the threads of the process running at one moment, and
 * below both their number and the possible CPU count, so a process with few
 * threads touches few units of every per-CPU object (fewer pages, fewer
 * lines to sum) however many CPUs the machine has.  pcpu_ptr(p, n) still
 * names unit n; with mm_cid, unit n is "concurrency slot n", not CPU n.
 *
 * Invariants: the two offsets are set once, by cpu_rseq_detect() before
 * any thread updates per-CPU data, and never change; an area once
 * registered stays registered for the life of its thread.
 */
#ifndef PCPU_CPU_RSEQ_AREA_H
#define PCPU_CPU_RSEQ_AREA_H

#include <stdbool.h>
#include <stdint.h>

#include <pcpu.h>

/* Internal: reached directly, never through the GOT. */
#pragma GCC visibility push(hidden)

/*
 * Byte offsets from the thread pointer of the area's 32-bit index field
 * (cpu_id or mm_cid) and of its rseq_cs field; 0 when no area is
 * registered.
 */
extern long cpu_rseq_index_off;
extern long cpu_rseq_cs_off;

/* The thread's rseq index: one thread-pointer-relative load. */
static inline uint32_t cpu_rseq_index(void)
{
	return pcpu_arch_tp_u32(cpu_rseq_index_off);
}

/*
 * CPU_RSEQ_RUN(seq, none): seq, a call of one of pcpu/arch's sequences,
 * where the architecture has them; elsewhere none, and seq is not even
 * compiled (no mode runs a sequence there: cpu_rseq_init() fails).
 */
#if PCPU_ARCH_RSEQ
#define CPU_RSEQ_RUN(seq, none) (seq)
#else
#define CPU_RSEQ_RUN(seq, none) (none)
#endif

/* Find the calling thread's rseq area and set the offsets; true if it is
 * registered. */
bool cpu_rseq_detect(void);
/* Make the sequences usable (the area and the membarrier they need); 0 or
 * -errno, and then no mode may run one. */
int cpu_rseq_init(void);
/* Whether every thread has its area from birth (glibc registers them), not
 * only once it reaches a fold path (the runtime's own areas). */
bool cpu_rseq_registers_all(void);
/* Register the calling thread's area if we register areas and it has none
 * yet; true if it was unregistered and now is registered. */
bool cpu_rseq_thread_unregistered(void);
/*
 * Restart every sequence in flight on the other threads, and order their
 * memory accesses against the caller's (the kernel's membarrier IPIs run
 * a full barrier): no sequence that began before the call commits
 * without reading everything again.  Only after cpu_rseq_init() worked.
 */
void cpu_rseq_fence(void);
/* Redo, in a fork child, the registration the child does not inherit. */
void cpu_rseq_atfork_child(void);

#pragma GCC visibility pop

#endif
