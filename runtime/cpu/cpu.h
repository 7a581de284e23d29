/* SPDX-License-Identifier: MIT */
/*
 * cpu - how the calling thread reaches "its" copy of a per-CPU object.
 *
 * Three access modes, one of which cpu_init() chooses for the life of the
 * process (PCPU_MODE, see cpu.c):
 *   rseq    restartable sequences on the unit the thread's rseq area names
 *           (cpu_rseq.h);
 *   atomic  a CPU number, then an atomic on that unit (cpu_atomic.h);
 *   local   each thread owns a slot and reaches its unit through a
 *           thread-local byte offset (cpu_local.h).
 * The operations are inline and dispatch on cpu_mode so that an API entry
 * point such as pcpu_this_add() is one call and one predictable branch.
 *
 * Invariants, in every mode: an update lands on a unit in
 * [0, cpu_nr_units), whatever CPU number the kernel reports; it is never
 * lost to a migration, a preemption or a signal handler of the same thread
 * that updates the same copy.  The copy belongs to its CPU or slot: the
 * rseq and local modes update it without a lock, so a write by another
 * thread through pcpu_ptr() that races with a this-CPU update can be lost
 * (counters fold copies only with cpu_this_add_take64(), and set them while
 * "adds racing with set may be lost" applies).
 */
#ifndef PCPU_CPU_H
#define PCPU_CPU_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/mode_atomic.h"
#include "cpu/gate.h"
#include "cpu/mode_local.h"
#include "cpu/mode_rseq.h"

/* Internal: reached directly, never through the GOT. */
#pragma GCC visibility push(hidden)

enum cpu_mode {
	CPU_MODE_RSEQ,
	CPU_MODE_ATOMIC,
	CPU_MODE_LOCAL,
};

/* Fixed by cpu_init(). */
extern enum cpu_mode cpu_mode;
/* Number of copies of every per-CPU object; fixed by cpu_init(). */
extern int cpu_nr_units;

/* Choose the access mode and the number of units; 0 or -errno. */
int cpu_init(void);

/* "rseq", "atomic" or "local". */
const char *cpu_mode_name(void);

/* Make sure cpu_thread_exit() runs when the calling thread exits
 * (slow paths that give a thread state to release call it). */
void cpu_thread_track(void);

/* this-CPU add on a per-CPU int64_t; never lost. */
static inline void cpu_this_add64(int64_t *p, int64_t v)
{
	if (cpu_mode == CPU_MODE_RSEQ)
		cpu_rseq_add(p, v);
	else if (cpu_mode == CPU_MODE_LOCAL)
		cpu_local_add(p, v);
	else
		cpu_atomic_add(p, v);
}

/*
 * Same, returning the updated copy's new value: cpu_this_add_return64() on
 * a per-CPU int64_t, cpu_this_add_return32() on a per-CPU uint32_t (values
 * wrap modulo 2^32).
 */
#define CPU_DEFINE_THIS_ADD_RETURN(name, type, width)                         \
	static inline type name(type *p, type v)                               \
	{                                                                      \
		if (cpu_mode == CPU_MODE_RSEQ)                                 \
			return cpu_rseq_add_return##width(p, v);               \
		if (cpu_mode == CPU_MODE_LOCAL)                                \
			return cpu_local_add_return##width(p, v);              \
		return cpu_atomic_add_return##width(p, v);                     \
	}

CPU_DEFINE_THIS_ADD_RETURN(cpu_this_add_return64, int64_t, )
CPU_DEFINE_THIS_ADD_RETURN(cpu_this_add_return32, uint32_t, 32)

/*
 * Add v to the calling CPU's copy of p; if the result n leaves (-batch,
 * batch), leave the copy 0 instead and return n, else return 0.  One
 * this-CPU operation, so a fold empties the very copy whose add crossed
 * the batch even if the thread moves: every copy stays inside the batch
 * of its last add (percpu_counter's bound on read()).  batch >= 1.
 */
static inline int64_t cpu_this_add_take64(int64_t *p, int64_t v, int32_t batch)
{
	uint64_t bm1 = (uint64_t)batch - 1;

	if (cpu_mode == CPU_MODE_RSEQ)
		return cpu_rseq_add_take(p, v, bm1);
	if (cpu_mode == CPU_MODE_LOCAL)
		return cpu_local_add_take(p, v, bm1);
	return cpu_atomic_add_take(p, v, bm1);
}

/*
 * Gated adds, the grace period that percpu_ref's switch to shared mode
 * needs: cpu_gated_add64() adds v to the calling CPU's copy of p unless
 * *gate is non-zero, and returns whether it added.  cpu_gate_sync(), called
 * after setting a gate, returns only once every gated add that saw the gate
 * clear has completed, so the copies can then be summed exactly.
 */
static inline bool cpu_gated_add64(int64_t *p, int64_t v, const int *gate)
{
	if (cpu_mode == CPU_MODE_RSEQ)
		return cpu_rseq_gated_add(p, v, gate);
	if (cpu_mode == CPU_MODE_LOCAL)
		return cpu_local_gated_add(p, v, gate);
	return cpu_atomic_gated_add(p, v, gate);
}

void cpu_gate_sync(void);

#pragma GCC visibility pop

#endif
