/* SPDX-License-Identifier: MIT */
/*
 * cpu - the contract every access mode meets: how the calling thread
 * reaches "its" copy of a per-CPU object.  The rest of the engine calls
 * this file only, and what it includes of the lower layer: unit.h's
 * cpu_nr_units and whole-object loops, and gate.h's readers for gated
 * sections of its own (the counters' limited adds).
 *
 * Three access modes, one of which cpu_init() chooses for the life of the
 * process (PCPU_MODE, see cpu.c):
 *   rseq    restartable sequences on the unit the thread's rseq area names
 *           (mode_rseq.h);
 *   atomic  a CPU number, then an atomic on that unit (mode_atomic.h);
 *   local   each thread owns a slot and reaches its unit through a
 *           thread-local byte offset (mode_local.h).
 * The operations are inline and dispatch on cpu_mode so that an API entry
 * point such as pcpu_this_add() is one call and one predictable branch.
 *
 * The layers, each calling and including only those below it:
 *   cpu.{c,h}                    choose the mode, dispatch, per-thread hooks
 *   mode_rseq, mode_atomic,      the modes: leaves, none includes or calls
 *   mode_local                   another, nor this file
 *   unit, gate, rseq_area,       what the modes share: the units and the
 *   thread, pcpu/arch            CPU number, the grace period's readers,
 *                                the rseq area and its membarrier, thread
 *                                exit and fork hooks, the instructions
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

#include "cpu/gate.h"
#include "cpu/mode_atomic.h"
#include "cpu/mode_local.h"
#include "cpu/mode_rseq.h"
#include "cpu/unit.h"

/* Internal: reached directly, never through the GOT. */
#pragma GCC visibility push(hidden)

enum cpu_mode {
	CPU_MODE_RSEQ,
	CPU_MODE_ATOMIC,
	CPU_MODE_LOCAL,
};

/* Fixed by cpu_init(). */
extern enum cpu_mode cpu_mode;

/* Choose the access mode and the number of units; 0 or -errno. */
int cpu_init(void);

/* "rseq", "atomic" or "local". */
const char *cpu_mode_name(void);

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
#define CPU_DEFINE_THIS_ADD_RETURN(name, type, width)                                    \
	static inline type name(type *p, type v)                                         \
	{                                                                                \
		if (cpu_mode == CPU_MODE_RSEQ)                                           \
			return cpu_rseq_add_return##width(p, v);                         \
		if (cpu_mode == CPU_MODE_LOCAL)                                          \
			return cpu_local_add_return##width(p, v);                        \
		return cpu_atomic_add_return##width(p, v);                               \
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
 * Add v to the calling CPU's copy of p only if the copy's new value stays
 * inside (-batch, batch); true if it added.  So no copy ever holds a batch
 * or more, not even for an instant, which a limited add's decision on the
 * shared count alone needs (an add-take leaves the copy over the batch
 * until its take).  batch >= 1.
 */
static inline bool cpu_this_add_within64(int64_t *p, int64_t v, int32_t batch)
{
	uint64_t bm1 = (uint64_t)batch - 1;

	if (cpu_mode == CPU_MODE_LOCAL)
		return cpu_local_add_within(p, v, bm1);
	if (cpu_mode == CPU_MODE_RSEQ)
		return cpu_rseq_add_within(p, v, bm1);
	return cpu_atomic_add_within(p, v, bm1);
}

/*
 * Empty the calling thread's copy of p down to keep into *taken where the
 * thread owns its copy (the local mode's owned slots): nobody else adds
 * there.  False, with nothing taken, where copies are shared (every other
 * mode).
 */
static inline bool cpu_this_take_owned64(int64_t *p, int64_t keep, int64_t *taken)
{
	return cpu_mode == CPU_MODE_LOCAL && cpu_local_take_owned(p, keep, taken);
}

/* The unit of p that the calling thread's this-CPU updates go to now
 * (claiming a local slot first). */
static inline void *cpu_this_unit(void *p)
{
	if (cpu_mode == CPU_MODE_LOCAL)
		return cpu_local_this(p);
	if (cpu_mode == CPU_MODE_RSEQ)
		return cpu_rseq_this(p);
	return cpu_atomic_this(p);
}

/*
 * Closable copies, percpu_ref's: int64_t copies of p that count while
 * *gate is 0 and that cpu_closable_close() closes, all at once, taking
 * their sum.  The copies start zeroed; the caller allocates them open
 * (gate 0) or closed (gate set: closed copies need not hold anything).
 *
 *   cpu_closable_try_add()  the inline part of the add: added, closed (it
 *                           counted for nothing), or untried (the mode
 *                           needs its out-of-line path);
 *   cpu_closable_add()      the whole add: true if it counted
 *                           (cpu_closable_add_slow(): after an untried try);
 *   cpu_closable_close()    set *gate, then make sure no add can still
 *                           count on a copy, and take the copies: every add
 *                           that reported success is in the sum, and none
 *                           after it can succeed;
 *   cpu_closable_reopen()   the copies count again from 0.
 *
 * How a mode closes its copies is its own (mode_*.h): the rseq and local
 * modes wait out the adds in flight (a grace period), the atomic mode
 * needs none.  Close and reopen are for one caller at a time per object.
 */
/* Local first, unlike the dispatches above: with rseq first, gcc's layout
 * made local-mode gets and puts measurably slower than before this
 * contract; local first measured as before, and no other mode slower. */
static inline enum cpu_gated cpu_closable_try_add(int64_t *p, int64_t v, const int *gate)
{
	if (cpu_mode == CPU_MODE_LOCAL)
		return cpu_local_closable_try_add(p, v, gate);
	if (cpu_mode == CPU_MODE_RSEQ)
		return cpu_rseq_closable_try_add(p, v, gate);
	return cpu_atomic_closable_try_add(p, v, gate);
}

/* The whole add, for when the try left it untried. */
static inline bool cpu_closable_add_slow(int64_t *p, int64_t v, const int *gate)
{
	if (cpu_mode == CPU_MODE_RSEQ)
		return cpu_rseq_closable_add_slow(p, v, gate);
	if (cpu_mode == CPU_MODE_LOCAL)
		return cpu_local_closable_add_slow(p, v, gate);
	return cpu_atomic_closable_add_slow(p, v, gate);
}

static inline bool cpu_closable_add(int64_t *p, int64_t v, const int *gate)
{
	enum cpu_gated f = cpu_closable_try_add(p, v, gate);

	if (__builtin_expect(f != CPU_GATED_UNTRIED, 1))
		return f == CPU_GATED_ADDED;
	return cpu_closable_add_slow(p, v, gate);
}

int64_t cpu_closable_close(int64_t *p, int *gate);
void cpu_closable_reopen(int64_t *p, int *gate);

/*
 * Whether gated adds are restartable sequences: the rseq mode, and the
 * local mode where every thread has an rseq area.
 */
bool cpu_gated_sequences(void);

/*
 * Wait until every gated fast path that read its gate before the call has
 * finished: the reader sections (gate.h), and, in the rseq mode and the
 * local mode with rseq areas, the inline API's restartable sequences (the
 * membarrier that orders the readers restarts them too).  Not the
 * caller's own section, which a signal handler calling this may have
 * interrupted (it would never finish).  A membarrier costs microseconds,
 * a fence on every fast limited add costs a locked instruction: near
 * their limits, where slow paths are many, counters keep the gate closed
 * and wait for nothing.
 */
void cpu_gate_sync_fast_paths(void);

#pragma GCC visibility pop

#endif
