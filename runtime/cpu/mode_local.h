/* SPDX-License-Identifier: MIT */
/*
 * mode_local - the local access mode, the user-space form of the "local
 * mapping": each thread reaches its copy of every per-CPU object as
 * p + (a byte offset kept in thread-local storage), with no CPU number, no
 * restartable sequence and, on an owned slot, no atomic.
 *
 * The units are slots (virtual CPUs), cpu_nr_units of them
 * (PCPU_NR_SLOTS, default 4 x possible CPUs).  A thread claims a free
 * slot the first time it updates per-CPU data and keeps it until it exits;
 * the slot then goes back to the free pool with its contents, like the
 * copy of a CPU gone idle.  Slot cpu_nr_units - 1 is never owned: threads
 * that find every other slot taken share it, with atomic updates.  The
 * global view (pcpu_ptr(), sums) reads every slot, owned or not.
 *
 * Invariants:
 *   - an owned slot is written by its owner only (and by its signal
 *     handlers, through the same single-instruction updates), so no update
 *     there needs to be atomic against other CPUs;
 *   - cpu_local_word is CPU_LOCAL_UNCLAIMED, the owned slot's byte offset
 *     (even), or the shared slot's offset | 1; bit 0 set means "slow path";
 *   - a thread's update of its owned slot is one instruction on x86-64, so
 *     a signal handler updating the same copy cannot interleave with it;
 *   - with cpu_local_rseq, every gated add (owned slot or shared) is a
 *     restartable sequence (pcpu/arch) that ends with its add, and
 *     cpu_local_close() waits for sequences; without it, every gated add
 *     is inside its thread's gate reader, and the close waits for readers.
 *     Closed copies hold 0.
 *
 * A leaf: it includes and calls only the lower layer (rseq_area for the
 * sequences' rseq_cs offset, gate, unit, thread).
 */
#ifndef PCPU_CPU_MODE_LOCAL_H
#define PCPU_CPU_MODE_LOCAL_H

#include <stdbool.h>
#include <stdint.h>

#include <pcpu.h>

#include "cpu/gate.h"
#include "cpu/rseq_area.h"
#include "cpu/unit.h"

/* Internal: reached directly, never through the GOT. */
#pragma GCC visibility push(hidden)
#define CPU_LOCAL_SHARED    ((uintptr_t)1)
#define CPU_LOCAL_UNCLAIMED (~(uintptr_t)0)

/* The calling thread's word: the slot word of <pcpu/abi.h>, which the
 * inline API reads too (one storage, whichever library defines it). */
#define cpu_local_word (pcpu_abi_thread.slot)
/* Gated adds run as restartable sequences; fixed by cpu_init(). */
extern bool cpu_local_rseq;

/* Set up nr slots; 0 or -errno. */
int cpu_local_init(int nr);
/* The calling thread's word after claiming a slot if it has none. */
uintptr_t cpu_local_claim(void);
/* Release the calling thread's slot (thread exit). */
void cpu_local_thread_exit(void);
/* In a fork child: release the slots of the threads the child lacks. */
void cpu_local_atfork_child(void);
/* Slots owned now (tests, statistics). */
int cpu_local_slots_owned(void);

/* Updates that are not on an owned slot: claim, or share atomically. */
void cpu_local_add_slow(int64_t *p, int64_t v);

/* The unit a word names: shared or not, the offset is word without bit 0. */
static inline int64_t *cpu_local_at(int64_t *p, uintptr_t word)
{
	return (int64_t *)((char *)p + (word & ~CPU_LOCAL_SHARED));
}

/* The calling thread's word, claiming a slot first. */
static inline uintptr_t cpu_local_claimed(void)
{
	uintptr_t w = cpu_local_word;

	return __builtin_expect(w == CPU_LOCAL_UNCLAIMED, 0) ? cpu_local_claim() : w;
}

/* The unit of p the calling thread updates, claiming a slot first. */
static inline void *cpu_local_this(void *p)
{
	return cpu_local_at(p, cpu_local_claimed());
}

/* Add v to the calling thread's slot only if it stays inside the batch
 * (see pcpu_abi_add_within()): safe against the owner's own signal
 * handlers, and the shared slot's other users; true if it added.  An
 * owned slot needs no locked instruction (pcpu_abi_add_within_owned()). */
static inline bool cpu_local_add_within(int64_t *p, int64_t v, uint64_t bm1)
{
	uintptr_t w = cpu_local_claimed();

	if (w & CPU_LOCAL_SHARED)
		return !pcpu_abi_add_within(cpu_local_at(p, w), v, bm1);
	return !pcpu_abi_add_within_owned(cpu_local_at(p, w), v, bm1);
}

/*
 * Empty the calling thread's slot of p down to keep into *taken, if the
 * thread owns its slot: nobody else adds there, so the value taken is all
 * it held but keep.  False, and nothing taken, on the shared slot or none.
 */
static inline bool cpu_local_take_owned(int64_t *p, int64_t keep, int64_t *taken)
{
	uintptr_t w = cpu_local_word;

	if (w & CPU_LOCAL_SHARED)
		return false;
	*taken = (int64_t)((uint64_t)__atomic_exchange_n((int64_t *)((char *)p + w), keep,
							 __ATOMIC_RELAXED) -
			   (uint64_t)keep);
	return true;
}

/* The unit of p for a word known to own its slot (bit 0 clear). */
static inline int64_t *cpu_local_owned(int64_t *p, uintptr_t word)
{
	return (int64_t *)((char *)p + word);
}

/* Add to the slot that w, the calling thread's word, owns: one
 * instruction on x86-64, an uncontended atomic elsewhere (pcpu/arch). */
static inline void cpu_local_add_owned(int64_t *p, uintptr_t w, int64_t v)
{
	pcpu_arch_add_owned(cpu_local_owned(p, w), v);
}

static inline void cpu_local_add(int64_t *p, int64_t v)
{
	uintptr_t w = cpu_local_word;

	if (__builtin_expect(w & CPU_LOCAL_SHARED, 0))
		cpu_local_add_slow(p, v);
	else
		cpu_local_add_owned(p, w, v);
}

/*
 * Add-return on a 64- or 32-bit copy, one definition for both widths: a
 * restartable sequence where every thread has an rseq area (cheaper than
 * an xadd on cores that run it at a locked add's cost), else the xadd of
 * pcpu/arch; wrapping (unsigned arithmetic: a wrap is what the API
 * documents, not an overflow).
 */
#define CPU_LOCAL_XADD_RETURN(width, at, v)                                              \
	((__typeof__(v))((uint64_t)pcpu_arch_xadd_owned##width(at, v) + (uint64_t)v))
#define CPU_LOCAL_OWNED_ADD_RETURN(width, at, v)                                         \
	(cpu_local_rseq ? CPU_RSEQ_RUN(pcpu_arch_rseq_add_return##width##_at(            \
					   at, v, cpu_rseq_cs_off),                      \
				       CPU_LOCAL_XADD_RETURN(width, at, v))              \
			: CPU_LOCAL_XADD_RETURN(width, at, v))
#define CPU_LOCAL_DEFINE_ADD_RETURN(name, width, type)                                   \
	type name##_slow(type *p, type v);                                               \
	static inline type name(type *p, type v)                                         \
	{                                                                                \
		uintptr_t w = cpu_local_word;                                            \
                                                                                         \
		if (__builtin_expect(w & CPU_LOCAL_SHARED, 0))                           \
			return name##_slow(p, v);                                        \
		return CPU_LOCAL_OWNED_ADD_RETURN(width, (type *)((char *)p + w), v);    \
	}

CPU_LOCAL_DEFINE_ADD_RETURN(cpu_local_add_return, 64, int64_t)
CPU_LOCAL_DEFINE_ADD_RETURN(cpu_local_add_return32, 32, uint32_t)

/*
 * Closable adds (cpu.h) on an owned slot.  Where every thread has an rseq
 * area (cpu_local_rseq), the gate read and the add are one restartable
 * sequence, and the close waits for sequences: a membarrier restarts the
 * sequences in flight, so a reader preempted between the two holds up
 * nobody (waiting for it to be scheduled again takes milliseconds when
 * threads outnumber CPUs).  Elsewhere the slot is "in flight" between
 * entering and leaving the owner's gate reader (gate.h), which the close
 * waits for.  A thread without an owned slot (or a reader) yet takes the
 * slow path, which always uses a reader or a sequence.
 */
static inline enum cpu_gated cpu_local_closable_try_add(int64_t *p, int64_t v,
							const int *gate)
{
	struct cpu_gate_reader *r;
	uintptr_t w = cpu_local_word;
	uint64_t entered;
	bool open;

	if (__builtin_expect(w & CPU_LOCAL_SHARED, 0))
		return CPU_GATED_UNTRIED;
	if (cpu_local_rseq)
		return (enum cpu_gated)CPU_RSEQ_RUN(
		    pcpu_arch_rseq_gated_add_at(cpu_local_owned(p, w), v, gate,
						cpu_rseq_cs_off),
		    CPU_GATED_UNTRIED);
	r = cpu_gate_mine();
	if (__builtin_expect(!r, 0))
		return CPU_GATED_UNTRIED;
	entered = cpu_gate_enter(r);
	open = !__atomic_load_n(gate, __ATOMIC_RELAXED);
	if (open)
		cpu_local_add_owned(p, w, v);
	cpu_gate_exit(r, entered);
	return open ? CPU_GATED_ADDED : CPU_GATED_CLOSED;
}

/* The whole closable add: claim a slot or a reader first, or share. */
bool cpu_local_closable_add_slow(int64_t *p, int64_t v, const int *gate);
int64_t cpu_local_close(int64_t *p);

/*
 * Add-take (cpu.h) on an owned slot: an add and a load of the new value
 * (pcpu/arch), then, only when the batch is crossed, an exchange on the
 * same slot
 * (the slot is the thread's wherever it runs, so the take empties the copy
 * the add pushed over).
 */
int64_t cpu_local_add_take_slow(int64_t *p, int64_t v, uint64_t bm1);

static inline int64_t cpu_local_add_take(int64_t *p, int64_t v, uint64_t bm1)
{
	uintptr_t w = cpu_local_word;
	int64_t *u = cpu_local_owned(p, w);

	if (__builtin_expect(w & CPU_LOCAL_SHARED, 0))
		return cpu_local_add_take_slow(p, v, bm1);
	return pcpu_abi_take_after_add(u, pcpu_arch_add_load_owned64(u, v), bm1);
}

#pragma GCC visibility pop

#endif
