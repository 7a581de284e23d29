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

#include "arena.h"
#include "cpu_atomic.h"


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

#define CPU_RSEQ_SIG 0x53053053 /* glibc's x86 signature */

/*
 * The descriptor (3) and the section start (1).  The abort handler (4)
 * re-arms the descriptor (6): the kernel clears rseq_cs when it aborts a
 * sequence.  Clobbers %rax.
 */
#define CPU_RSEQ_ARM                                                           \
	".pushsection __rseq_cs, \"aw\"\n\t"                                   \
	".balign 32\n\t"                                                       \
	"3:\n\t"                                                               \
	".long 0, 0\n\t"                                                       \
	".quad 1f, 2f - 1f, 4f\n\t"                                            \
	".popsection\n\t"                                                      \
	"6:\n\t"                                                               \
	"leaq 3b(%%rip), %%rax\n\t"                                            \
	"movq %%rax, %%fs:(%[cs])\n\t"                                         \
	"1:\n\t"

/* Then the index load and range check: the index, zero-extended, is left
 * in %rax. */
#define CPU_RSEQ_BEGIN                                                         \
	CPU_RSEQ_ARM                                                           \
	"movl %%fs:(%[ix]), %%eax\n\t"                                         \
	"cmpl %[nr], %%eax\n\t"                                                \
	"jae %l[fold]\n\t"

#define CPU_RSEQ_END                                                           \
	"2:\n\t"                                                               \
	".pushsection __rseq_failure, \"ax\"\n\t"                              \
	".byte 0x0f, 0xb9, 0x3d\n\t"                                           \
	".long 0x53053053\n\t"                                                 \
	"4:\n\t"                                                               \
	"jmp 6b\n\t"                                                           \
	".popsection\n\t"

#define CPU_RSEQ_INPUTS                                                        \
	[cs] "r"(cpu_rseq_cs_off), [ix] "r"(cpu_rseq_index_off),               \
		[nr] "rm"(cpu_nr_units), [unit] "rm"(arena_unit_size), [p] "r"(p), \
		[v] "er"(v)

static inline void cpu_rseq_add(int64_t *p, int64_t v)
{
	__asm__ volatile goto(CPU_RSEQ_BEGIN
		     "imulq %[unit], %%rax\n\t"
		     "addq %[v], (%[p], %%rax)\n\t"
		     CPU_RSEQ_END
		     :
		     : CPU_RSEQ_INPUTS
		     : "rax", "memory", "cc"
		     : fold);
	return;
fold:
	cpu_rseq_fold_add(p, v);
}

/*
 * Add-return on a 64- or 32-bit copy: one definition for both widths, the
 * operand types choosing the instructions' size (no suffixes below).
 */
#define CPU_RSEQ_DEFINE_ADD_RETURN(name, type)                                 \
	static inline type name(type *p, type v)                               \
	{                                                                      \
		type r;                                                        \
                                                                               \
		__asm__ volatile goto(CPU_RSEQ_BEGIN                           \
			"imulq %[unit], %%rax\n\t"                             \
			"addq %[p], %%rax\n\t"                                 \
			"mov (%%rax), %[r]\n\t"                                \
			"add %[v], %[r]\n\t"                                   \
			"mov %[r], (%%rax)\n\t"                                \
			CPU_RSEQ_END                                           \
			: [r] "=&r"(r)                                         \
			: CPU_RSEQ_INPUTS                                      \
			: "rax", "memory", "cc"                                \
			: fold);                                               \
		return r;                                                      \
	fold:                                                                  \
		return name##_fold(p, v);                                      \
	}

CPU_RSEQ_DEFINE_ADD_RETURN(cpu_rseq_add_return, int64_t)
CPU_RSEQ_DEFINE_ADD_RETURN(cpu_rseq_add_return32, uint32_t)

/*
 * Add-take (cpu.h): the copy's new value n, and what to store back (n if
 * it stays inside the batch, else 0), are worked out inside the sequence,
 * which commits with that one store; the caller takes n if it was out.
 */
static inline int64_t cpu_rseq_add_take(int64_t *p, int64_t v, uint64_t bm1)
{
	int64_t n, keep;

	__asm__ volatile goto(CPU_RSEQ_BEGIN
		     "imulq %[unit], %%rax\n\t"
		     "addq %[p], %%rax\n\t"
		     "movq (%%rax), %[n]\n\t"
		     "addq %[v], %[n]\n\t"
		     /* keep = n + bm1 <= 2 bm1 (unsigned) ? n : 0 */
		     "leaq (%[n], %[bm1]), %[keep]\n\t"
		     "cmpq %[span], %[keep]\n\t"
		     "sbbq %[keep], %[keep]\n\t"
		     "andq %[n], %[keep]\n\t"
		     "movq %[keep], (%%rax)\n\t"
		     CPU_RSEQ_END
		     : [n] "=&r"(n), [keep] "=&r"(keep)
		     : CPU_RSEQ_INPUTS, [bm1] "r"(bm1), [span] "rm"(2 * bm1 + 1)
		     : "rax", "memory", "cc"
		     : fold);
	/* the sequence kept n, or stored 0 for an n that is never 0 */
	return n == keep ? 0 : n;
fold:
	return cpu_rseq_fold_add_take(p, v, bm1);
}

/* The gate is read inside the sequence, so a membarrier that restarts the
 * sequence after the gate was set makes it see the gate. */
static inline bool cpu_rseq_gated_add(int64_t *p, int64_t v, const int *gate)
{
	__asm__ volatile goto(CPU_RSEQ_BEGIN
		     "cmpl $0, (%[gate])\n\t"
		     "jne %l[closed]\n\t"
		     "imulq %[unit], %%rax\n\t"
		     "addq %[v], (%[p], %%rax)\n\t"
		     CPU_RSEQ_END
		     :
		     : CPU_RSEQ_INPUTS, [gate] "r"(gate)
		     : "rax", "memory", "cc"
		     : fold, closed);
	return true;
closed:
	return false;
fold:
	return cpu_rseq_fold_gated_add(p, v, gate);
}

/*
 * Gated adds on a copy the caller has already located (the local mode's
 * slots): the sequence only makes the gate read and the add one
 * restartable unit, so that cpu_rseq_sync() need not wait for an add
 * preempted between the two.  cpu_rseq_gated_add_at() is for a copy no
 * other thread updates (an owned slot), cpu_rseq_gated_add_locked_at() for
 * one that other threads update atomically (the shared slot).  Every
 * thread must have its area registered (cpu_rseq_registers_all()).
 */
#define CPU_RSEQ_DEFINE_GATED_ADD_AT(name, lock)                               \
	static inline bool name(int64_t *at, int64_t v, const int *gate)      \
	{                                                                      \
		__asm__ volatile goto(CPU_RSEQ_ARM                             \
			"cmpl $0, (%[gate])\n\t"                               \
			"jne %l[closed]\n\t"                                   \
			lock "addq %[v], (%[at])\n\t"                          \
			CPU_RSEQ_END                                           \
			:                                                      \
			: [cs] "r"(cpu_rseq_cs_off), [at] "r"(at),             \
			  [v] "er"(v), [gate] "r"(gate)                        \
			: "rax", "memory", "cc"                                \
			: closed);                                             \
		return true;                                                   \
	closed:                                                                \
		return false;                                                  \
	}

CPU_RSEQ_DEFINE_GATED_ADD_AT(cpu_rseq_gated_add_at, "")
CPU_RSEQ_DEFINE_GATED_ADD_AT(cpu_rseq_gated_add_locked_at, "lock ")

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
