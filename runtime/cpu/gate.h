/* SPDX-License-Identifier: MIT */
/*
 * gate - the grace period of gated adds: the reader records of the adds
 * that are not restartable sequences (the local mode where rseq is
 * missing, the rare rseq add that falls out of its sequence, the
 * counters' fast limited adds), and the wait that sees every gated add
 * that read its gate open finish, readers and sequences alike.
 *
 * Every thread that makes a gated add owns a reader record for its
 * lifetime.  Its ctr holds, in the low 32 bits, how many gated adds the
 * thread is inside (more than one only when a signal handler interrupted
 * one) and, in the high 32 bits, how many times it entered from outside
 * any.  A gated add raises ctr, reads the gate, adds if it is clear and
 * lowers ctr with release order.
 *
 * cpu_gate_wait() (after the gate was set) makes the gate store and every
 * reader's ctr store ordered one way or the other, then waits, record by
 * record, until the record is outside any gated add or has left the add it
 * was in (its outer count moved).  Ordering costs the readers nothing when
 * membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) works: it runs a full barrier
 * on every thread of the process, pairing with a compiler barrier in the
 * reader.  Where it does not (valgrind, seccomp), readers issue a full fence
 * and the wait does too.  Where gated adds are also sequences, the wait's
 * membarrier is rseq's (cpu_rseq_fence()), which orders the same way and
 * restarts the sequences in flight.
 *
 * Records are never freed: blocks of them are only appended to a list, so
 * a scan needs no lock and never meets freed memory.  (Out of address
 * space a thread's record is a spare in its TLS instead, on a locked list:
 * gate.c.)  A record is released (in_use cleared) when its thread exits,
 * and in a fork child for every thread but the caller.
 *
 * This module calls only rseq_area and thread, below the modes.
 */
#ifndef PCPU_CPU_GATE_H
#define PCPU_CPU_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pcpu.h>

/* Internal: reached directly, never through the GOT. */
#pragma GCC visibility push(hidden)
#define CPU_GATE_OUTER	   PCPU_ABI_GATE_OUTER
#define CPU_GATE_NEST_MASK (CPU_GATE_OUTER - 1)

/*
 * One cache line each, by size, not by alignment: the blocks of records
 * are page-aligned mappings, so the lines do not share; and a thread's
 * spare record lives in initial-exec TLS, where an alignment above the
 * static TLS block's (16 on aarch64) makes dlopen() of the library fail.
 */
struct cpu_gate_reader {
	uint64_t ctr;
	int in_use;
	char pad[64 - sizeof(uint64_t) - sizeof(int)];
};
_Static_assert(sizeof(struct cpu_gate_reader) == 64, "a reader is a cache line");

_Static_assert(offsetof(struct cpu_gate_reader, ctr) == 0, "a record is its count");

/*
 * The calling thread's record, or NULL: kept as its count's address in the
 * ABI's thread block (pcpu_abi_thread.gate), where inline gated adds find
 * it too.
 */
static inline struct cpu_gate_reader *cpu_gate_mine(void)
{
	return (struct cpu_gate_reader *)(void *)pcpu_abi_thread.gate;
}

static inline void cpu_gate_set_mine(struct cpu_gate_reader *r)
{
	pcpu_abi_thread.gate = r ? &r->ctr : NULL;
}

/* No usable membarrier: readers and sync fence. */
extern bool cpu_gate_fenced;

/*
 * The outcome of trying a gated add (cpu.h's cpu_closable_try_add()); the
 * values are those of pcpu/arch's gated sequences.
 */
enum cpu_gated {
	CPU_GATED_ADDED = 0,   /* added to the calling thread's copy */
	CPU_GATED_UNTRIED = 1, /* nothing done: make the whole add out of line */
	CPU_GATED_CLOSED = 2,  /* the copy is closed: nothing added */
};

/* cpu_gate_wait()'s how, or-ed. */
#define CPU_GATE_SEQUENCES 1u /* gated adds are also sequences: restart them */
#define CPU_GATE_NOT_SELF  2u /* never wait for the caller's own record */

/* Registration for cpu_gate_wait(); 0 always (falls back to fences). */
int cpu_gate_init(void);
/* The calling thread's record, claimed on first use. */
struct cpu_gate_reader *cpu_gate_claim(void);
/* Release the calling thread's record (thread exit). */
void cpu_gate_thread_exit(void);
/* In a fork child: release every record but the caller's; re-register. */
void cpu_gate_atfork_child(void);
/* Records in use now (tests). */
int cpu_gate_readers_in_use(void);
/*
 * Order the gate store before every reader's next ctr store (and, with
 * CPU_GATE_SEQUENCES, restart every sequence in flight), then wait for the
 * readers inside a gated add.  CPU_GATE_NOT_SELF: the caller may be a
 * signal handler that interrupted a gated add of its own thread, which
 * would never finish while it waits.
 */
void cpu_gate_wait(unsigned how);

/* The calling thread's record, claimed on its first gated add. */
static inline struct cpu_gate_reader *cpu_gate_reader(void)
{
	struct cpu_gate_reader *r = cpu_gate_mine();

	return __builtin_expect(!r, 0) ? cpu_gate_claim() : r;
}

/*
 * Enter a gated add on the calling thread's record (pcpu/abi.h's protocol,
 * which inline gated adds follow too); returns what to pass to
 * cpu_gate_exit().  Only where membarrier fails does the reader fence:
 * otherwise the wait's barrier on every thread orders it.
 */
static inline uint64_t cpu_gate_enter(struct cpu_gate_reader *r)
{
	return pcpu_abi_gate_enter(&r->ctr, cpu_gate_fenced ? PCPU_ABI_GATE_FENCE : 0);
}

/*
 * Leave it: release, so a sync that sees the count drop sees the add.
 * Handlers that ran since the entry entered and left nested adds only,
 * which leave ctr as they found it, so entered - 1 needs no reload.
 */
static inline void cpu_gate_exit(struct cpu_gate_reader *r, uint64_t entered)
{
	pcpu_abi_gate_exit(&r->ctr, entered);
}

#pragma GCC visibility pop

#endif
