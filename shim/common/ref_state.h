/* SPDX-License-Identifier: MIT */
/*
 * ref_state - the state rules of percpu_ref, shared by both libraries.
 *
 * Both libraries give struct percpu_ref the same private layout.  All of a
 * ref's state that is not a per-CPU copy lives in one shared word, so that
 * tryget_live, kill and the last put each decide with one atomic operation:
 *
 *   REF_DEAD     killed (or initialised dead), until resurrect or reinit;
 *   REF_LOCK     a kill, mode switch, resurrect or reinit is in progress
 *                (they serialise on it; gets and puts ignore it);
 *   REF_INITIAL  the initial reference is held (init, resurrect, reinit set
 *                it, kill drops it);
 *   REF_ATOMIC   the owner asked for the shared count (INIT_ATOMIC,
 *                switch_to_atomic_sync) until switch_to_percpu;
 *   REF_REINIT   percpu_ref_reinit() is allowed;
 *   REF_COUNT    the shared count.
 *
 * ->shared is zero while references are counted in the per-CPU copies and
 * non-zero while they are counted in the shared word alone; it is the gate
 * of the per-CPU adds.  The portable library has no copies: its ->shared is
 * always 1.  A ref counts per-CPU exactly when it is neither dying nor
 * REF_ATOMIC.  The count can reach zero only while shared, so release runs
 * exactly once, from the put that takes the shared count to zero.
 *
 * Each library supplies the fast paths (get, put, tryget) and the two mode
 * switches below; this module supplies the rest of the API on top of them.
 */
#ifndef PCPU_REF_STATE_H
#define PCPU_REF_STATE_H

#include <pcpu.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

#define REF_DEAD    (1ull << 63)
#define REF_LOCK    (1ull << 62)
#define REF_INITIAL (1ull << 61)
#define REF_ATOMIC  (1ull << 60)
#define REF_REINIT  (1ull << 59)
#define REF_COUNT   (REF_REINIT - 1)

/* The layout of struct percpu_ref (pcpu.h), which the inline get, put and
 * tryget use too. */
struct ref {
	int64_t *pcpu; /* per-CPU copies (runtime only) */
	int shared;    /* 0: counting in the per-CPU copies */
	uint32_t magic;
	uint64_t word; /* state bits | shared count */
	percpu_ref_func_t *release;
};
_Static_assert(offsetof(struct ref, pcpu) == offsetof(struct percpu_ref, __pcpu) &&
		   offsetof(struct ref, shared) == offsetof(struct percpu_ref, __shared) &&
		   offsetof(struct ref, magic) == offsetof(struct percpu_ref, __magic),
	       "struct ref is not laid out as pcpu.h says");
_Static_assert(sizeof(struct ref) <= sizeof(struct percpu_ref),
	       "struct ref outgrew the ABI");
_Static_assert(_Alignof(struct ref) <= _Alignof(struct percpu_ref),
	       "struct ref needs more alignment than the ABI gives");

static inline struct ref *ref_of(struct percpu_ref *r, const char *fn)
{
	struct ref *ref = (struct ref *)r;

	diag_check(ref->magic, DIAG_MAGIC_REF, fn, r, "percpu_ref");
	return ref;
}

static inline struct percpu_ref *ref_api(struct ref *ref)
{
	return (struct percpu_ref *)ref;
}

/*
 * Validate init flags and set up a new ref with its initial reference and
 * pcpu (zeroed copies, or NULL), counting per-CPU unless the flags say
 * otherwise; -EINVAL for unknown flags.
 */
int ref_state_init(struct ref *ref, percpu_ref_func_t *release, unsigned flags,
		   int64_t *pcpu);

/* True if the ref counts per-CPU once the control operation in progress
 * finishes (word read under REF_LOCK). */
static inline int ref_wants_percpu(uint64_t word)
{
	return !(word & (REF_DEAD | REF_ATOMIC));
}

/* Abort unless count, the exact count at exit, is what exit allows; then
 * clear the ref (its per-CPU copies are the caller's to free). */
void ref_state_exit(struct ref *ref, int64_t count);

/* The shared-count paths, used whenever the per-CPU gate is closed. */
void ref_shared_get(struct ref *ref, unsigned long nr);
/* Increment unless the word has a bit of refuse or a zero count. */
bool ref_shared_tryget(struct ref *ref, uint64_t refuse);
/* May run release, which may free the ref: touch nothing after it. */
void ref_shared_put(struct ref *ref, unsigned long nr);

/*
 * Supplied by each library, called with REF_LOCK held:
 * ref_mode_shared() moves the count into the shared word and returns only
 * when no per-CPU get or put is still in flight; fn names the caller for
 * messages.  ref_mode_percpu() starts counting per-CPU again.  Both are
 * no-ops in the mode the ref is already in.
 */
void ref_mode_shared(struct ref *ref, const char *fn);
void ref_mode_percpu(struct ref *ref);

#endif
