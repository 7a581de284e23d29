/* SPDX-License-Identifier: MIT */
/*
 * ref - percpu_ref's engine in the runtime: references counted in per-CPU
 * copies while the ref is live, in the shared word of ref_state once
 * someone needs to see the count reach zero.  shim/preload/ref.c maps the
 * API onto these functions.
 *
 * Invariants:
 *   - the copies are cpu.h's closable copies, ->shared their gate: while it
 *     is 0, get and put add to the calling CPU's copy, and the shared word
 *     holds REF_BIAS on top of its count, so no put can take it to zero;
 *   - the exact count is the shared count, minus REF_BIAS while it is
 *     there, plus the sum of the open copies; a single copy may be negative
 *     (a reference taken on one CPU and dropped on another);
 *   - whenever ->shared is set no add counts in a copy any more: the
 *     copies are closed.  ref_mode_shared() closes them and takes their
 *     sum (cpu_closable_close()), then moves it into the word and removes
 *     REF_BIAS in one atomic add, so no add is lost or counted twice.
 *
 * A put below zero in per-CPU mode cannot be seen by the put itself (only
 * the sum of the copies means anything): the next fold (kill,
 * switch_to_atomic_sync) or exit reports it.
 */
#ifndef PCPU_REF_H
#define PCPU_REF_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "ref_state.h"

/* Internal: reached directly, never through the GOT. */
#pragma GCC visibility push(hidden)

/* The exact count: the shared count, and the open copies' sum. */
int64_t ref_count(struct ref *ref);

/*
 * The whole adds, out of line: where the inline part of the per-CPU add
 * (cpu_closable_try_add()) left it untried.
 */
void ref_get_slow(struct ref *ref, unsigned long nr);
void ref_put_slow(struct ref *ref, unsigned long nr);
bool ref_tryget_slow(struct ref *ref, uint64_t refuse);
/* Add nr unless the copy is closed and the shared word refuses (a bit of
 * refuse, or a zero count). */
bool ref_tryget_many(struct ref *ref, uint64_t refuse, unsigned long nr);

/*
 * The entry points take these adds inline (REF_ENTRY: gcc keeps a static
 * inline called from six sites out of line, which costs a call and a
 * stack frame per get or put).  Everything but the inline part of the
 * per-CPU add is one tail call: to the shared word when the copy is
 * closed, else to ref_*_slow(), which makes the whole add.  So no call
 * returns into an entry point.
 */
#define REF_ENTRY __attribute__((flatten))

static inline void ref_get(struct ref *ref, unsigned long nr)
{
	enum cpu_gated f = cpu_closable_try_add(ref->pcpu, (int64_t)nr, &ref->shared);

	if (__builtin_expect(f == CPU_GATED_ADDED, 1))
		return;
	if (f == CPU_GATED_CLOSED)
		ref_shared_get(ref, nr);
	else
		ref_get_slow(ref, nr);
}

static inline void ref_put(struct ref *ref, unsigned long nr)
{
	enum cpu_gated f = cpu_closable_try_add(ref->pcpu, -(int64_t)nr, &ref->shared);

	if (__builtin_expect(f == CPU_GATED_ADDED, 1))
		return;
	if (f == CPU_GATED_CLOSED)
		ref_shared_put(ref, nr);
	else
		ref_put_slow(ref, nr);
}

static inline bool ref_tryget(struct ref *ref, uint64_t refuse)
{
	enum cpu_gated f = cpu_closable_try_add(ref->pcpu, 1, &ref->shared);

	if (__builtin_expect(f == CPU_GATED_ADDED, 1))
		return true;
	if (f == CPU_GATED_CLOSED)
		return ref_shared_tryget(ref, refuse);
	return ref_tryget_slow(ref, refuse);
}

#pragma GCC visibility pop

#endif
