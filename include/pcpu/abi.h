/* SPDX-License-Identifier: MIT */
/*
 * pcpu/abi.h - the data through which inline code in an application
 * reaches the library that serves it, and the this-CPU primitives built on
 * it.  Included by <pcpu.h>; not meant to be included on its own.
 *
 * Both libraries define, and export under the same version node as the
 * functions:
 *   pcpu_abi_process  a process-wide descriptor: how inline code reaches
 *                     "this unit" (the access mode), the unit count and
 *                     the bytes between two units' copies;
 *   pcpu_abi_thread   a thread-local block: the byte offset of the slot
 *                     the calling thread owns (local mode), or an odd
 *                     value meaning "no owned slot"; and the thread's
 *                     gate reader count (below), or NULL.
 * Under LD_PRELOAD=libpcpu.so the runtime's definitions interpose the
 * portable library's, exactly as its functions do, so one binary runs its
 * inline paths on whichever library serves it.
 *
 * Invariants:
 *   - mode is PCPU_ABI_CALL until the library has set up everything else
 *     in the descriptor; it changes once, with release order, and the
 *     other fields never change afterwards (but for PCPU_ABI_GATE_FENCE,
 *     which a fork child may set before it has a second thread).  Inline
 *     code reads them with plain loads: an object it updates came from the
 *     library after that set-up (init or pcpu_alloc()), and whatever handed
 *     the object to the thread ordered the set-up before;
 *   - a thread's slot word is even only while the thread owns that slot:
 *     the slot's copies are then written by that thread (and its signal
 *     handlers) alone;
 *   - every primitive below either completes the whole operation on the
 *     unit the library would have chosen, or does nothing and returns
 *     non-zero ("take the call"): it never half-completes.
 *
 * ABI policy: the layouts of these two objects and of the public structs
 * of <pcpu.h> are part of the ABI of version node PCPU_1.  Fields may be
 * appended to either object, or take the place of a reserved word that
 * was 0 where a 0 makes inline code call (existing ones never move or
 * change meaning, and PCPU_ABI_VERSION counts the additions); inline code
 * reads an appended field only where the descriptor's version says the
 * library serving it has the field.  Any
 * incompatible change gets new symbol names and a new version node, so
 * that a binary built against this header never runs its inline paths
 * against a layout it does not know.
 */
#ifndef PCPU_ABI_H
#define PCPU_ABI_H

#include <stdint.h>

#if defined(__x86_64__)
#include <pcpu/arch/x86_64.h>
#else
#include <pcpu/arch/generic.h>
#endif

/* 1: the first layout.  2: counter_magic in place of a reserved word that
 * was 0 (inline code built against 2 that meets a version-1 library sees a
 * word no counter holds, and calls).  3: pcpu_abi_thread.gate appended
 * (read only where version is 3 or more).  4: a counter's __far in place
 * of a reserved word that was 0 (0 there: no far path, below). */
#define PCPU_ABI_VERSION 4

/* pcpu_abi_process.mode */
#define PCPU_ABI_CALL	0 /* no inline path: call the library */
#define PCPU_ABI_RSEQ	1 /* restartable sequences on the rseq area's unit */
#define PCPU_ABI_ATOMIC 2 /* an atomic on the unit the rseq area names */
#define PCPU_ABI_LOCAL	3 /* the thread's owned slot, else call */

/* The magic word of an initialised counter, tree counter or ref: the inline
 * paths take the call for anything else, and the library reports it. */
#define PCPU_ABI_MAGIC_COUNTER 0x70634e54u /* "pcNT" */
#define PCPU_ABI_MAGIC_TREE    0x70635452u /* "pcTR" */
#define PCPU_ABI_MAGIC_REF     0x70635246u /* "pcRF" */

/* pcpu_abi_process.flags */
#define PCPU_ABI_LOCAL_RSEQ 1u /* local mode: gated adds are rseq sequences */
#define PCPU_ABI_GATE_FENCE 2u /* gate readers fence (no membarrier; below) */

struct pcpu_abi_process {
	uint32_t version;	/* PCPU_ABI_VERSION of the library that set it */
	uint32_t mode;		/* PCPU_ABI_* */
	uint32_t nr_units;	/* pcpu_nr_cpus() */
	uint32_t flags;		/* PCPU_ABI_LOCAL_RSEQ, PCPU_ABI_GATE_FENCE */
	uint64_t stride;	/* bytes between two units' copies of an object */
	long rseq_cs;		/* thread-pointer offset of rseq_cs (rseq modes) */
	long rseq_index;	/* thread-pointer offset of the unit index, or 0 */
	int32_t batch;		/* percpu_counter_batch() */
	uint32_t counter_magic; /* PCPU_ABI_MAGIC_COUNTER, always (below) */
};

/*
 * The smallest percpu_counter_batch() there is (it is max(512, 2 * CPUs)):
 * a constant amount inside it never leaves a default-batch add's batch on
 * its own, so the inline add need not check.
 */
#define PCPU_ABI_MIN_BATCH 512

typedef uint64_t __attribute__((__may_alias__)) pcpu_abi_word_t;

/*
 * The 8 bytes of batch and counter_magic, as one word: they are laid out
 * like a counter's __batch and __magic, so a counter whose largest batch
 * is the default one holds the same word, and one comparison checks that
 * it is initialised and that a default-batch add may stay inline (a
 * counter another batch was used on, or the portable library's, with
 * __batch 0, calls instead).  One relaxed 8-byte load (the pair is 8-byte
 * aligned in both structs): another thread's add may record a larger
 * batch meanwhile.
 */
PCPU_ARCH_INLINE uint64_t pcpu_abi_word(const void *p)
{
	return __atomic_load_n((const pcpu_abi_word_t *)p, __ATOMIC_RELAXED);
}

struct pcpu_abi_thread {
	uintptr_t slot; /* owned slot's byte offset, or odd: none */
	uint64_t *gate; /* the thread's gate reader count, or NULL (version 3) */
};

/*
 * The thread-local block's access model is the compiler's default for the
 * code that includes this header: initial-exec in an executable (PIE or
 * not: one load at a link-time offset), general-dynamic in a shared
 * library (a __tls_get_addr call, or a TLS descriptor call with
 * -mtls-dialect=gnu2).  A shared library that is never dlopen()ed may
 * define PCPU_TLS_INITIAL_EXEC to get the executable's cost.
 */
#if defined(PCPU_TLS_INITIAL_EXEC)
#define PCPU_ABI_TLS_MODEL __attribute__((__tls_model__("initial-exec")))
#else
#define PCPU_ABI_TLS_MODEL
#endif
#if defined(__cplusplus)
#define PCPU_ABI_THREAD_LOCAL thread_local
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define PCPU_ABI_THREAD_LOCAL _Thread_local
#else
#define PCPU_ABI_THREAD_LOCAL __thread
#endif

#ifdef __cplusplus
extern "C" {
#endif
extern
    __attribute__((__visibility__("default"))) struct pcpu_abi_process pcpu_abi_process;
extern __attribute__((__visibility__("default")))
PCPU_ABI_THREAD_LOCAL struct pcpu_abi_thread pcpu_abi_thread PCPU_ABI_TLS_MODEL;
#ifdef __cplusplus
}
#endif

#define PCPU_ABI_LIKELY(x)   __builtin_expect(!!(x), 1)
#define PCPU_ABI_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* The rseq arguments of pcpu/arch/x86_64.h from the descriptor. */
#define PCPU_ABI_RSEQ_HERE(d) (d)->rseq_cs, (d)->rseq_index, (d)->nr_units, (d)->stride

/* The calling thread's copy in atomic mode, or NULL: take the call. */
PCPU_ARCH_INLINE void *pcpu_abi_atomic_unit(const struct pcpu_abi_process *d, void *p)
{
	uint32_t u;

	if (d->mode != PCPU_ABI_ATOMIC || !d->rseq_index)
		return 0;
	u = pcpu_arch_tp_u32(d->rseq_index);
	return PCPU_ABI_LIKELY(u < d->nr_units) ? (char *)p + u * d->stride : 0;
}

/* Add v to the calling thread's copy of p; 0, or non-zero: take the call. */
PCPU_ARCH_INLINE int pcpu_abi_this_add(int64_t *p, int64_t v)
{
	const struct pcpu_abi_process *d = &pcpu_abi_process;
	uintptr_t w = pcpu_abi_thread.slot;
	int64_t *u;

	if (PCPU_ABI_LIKELY(!(w & 1))) {
		pcpu_arch_add_owned((int64_t *)((char *)p + w), v);
		return 0;
	}
#if PCPU_ARCH_RSEQ
	if (d->mode == PCPU_ABI_RSEQ)
		return pcpu_arch_rseq_add(p, v, PCPU_ABI_RSEQ_HERE(d));
#endif
	u = (int64_t *)pcpu_abi_atomic_unit(d, p);
	if (!u)
		return 1;
	__atomic_fetch_add(u, v, __ATOMIC_RELAXED);
	return 0;
}

/*
 * Add-return on a 64- or 32-bit copy: *r is the copy's new value (wrapping
 * modulo 2^64 or 2^32); 0, or non-zero: take the call.
 */
/* Add-return on an owned copy: a sequence where every thread has an rseq
 * area (cheaper than an xadd on some cores), else an xadd. */
#if PCPU_ARCH_RSEQ
#define PCPU_ABI_OWNED_ADD_RETURN(width, d, at, v)                                       \
	((d)->flags & PCPU_ABI_LOCAL_RSEQ                                                \
	     ? pcpu_arch_rseq_add_return##width##_at(at, v, (d)->rseq_cs)                \
	     : (__typeof__(v))(pcpu_arch_xadd_owned##width(at, v) + v))
#else
#define PCPU_ABI_OWNED_ADD_RETURN(width, d, at, v)                                       \
	((__typeof__(v))(pcpu_arch_xadd_owned##width(at, v) + v))
#endif
#if PCPU_ARCH_RSEQ
#define PCPU_ABI_RSEQ_ADD_RETURN(width, d, p, v, r)                                      \
	if ((d)->mode == PCPU_ABI_RSEQ)                                                  \
		return pcpu_arch_rseq_add_return##width(p, v, r, PCPU_ABI_RSEQ_HERE(d));
#else
#define PCPU_ABI_RSEQ_ADD_RETURN(width, d, p, v, r)
#endif
#define PCPU_ABI_DEFINE_ADD_RETURN(width, type)                                          \
	PCPU_ARCH_INLINE int pcpu_abi_this_add_return##width(type *p, type v, type *r)   \
	{                                                                                \
		const struct pcpu_abi_process *d = &pcpu_abi_process;                    \
		uintptr_t w = pcpu_abi_thread.slot;                                      \
		type *u;                                                                 \
                                                                                         \
		if (PCPU_ABI_LIKELY(!(w & 1))) {                                         \
			*r = PCPU_ABI_OWNED_ADD_RETURN(width, d,                         \
						       (type *)((char *)p + w), v);      \
			return 0;                                                        \
		}                                                                        \
		PCPU_ABI_RSEQ_ADD_RETURN(width, d, p, v, r)                              \
		u = (type *)pcpu_abi_atomic_unit(d, p);                                  \
		if (!u)                                                                  \
			return 1;                                                        \
		*r = __atomic_add_fetch(u, v, __ATOMIC_RELAXED);                         \
		return 0;                                                                \
	}
PCPU_ABI_DEFINE_ADD_RETURN(64, int64_t)
PCPU_ABI_DEFINE_ADD_RETURN(32, uint32_t)

/* Whether n stays strictly inside (-batch, batch), bm1 = batch - 1, in one
 * unsigned comparison. */
PCPU_ARCH_INLINE int pcpu_abi_within(int64_t n, uint64_t bm1)
{
	return (uint64_t)n + bm1 <= 2 * bm1;
}

/*
 * Add v to the copy at u, which others update atomically too, only if the
 * copy stays strictly inside (-batch, batch), bm1 = batch - 1; 0, or
 * non-zero: the copy would leave it, nothing was added.
 */
PCPU_ARCH_INLINE int pcpu_abi_add_within(int64_t *u, int64_t v, uint64_t bm1)
{
	int64_t old = __atomic_load_n(u, __ATOMIC_RELAXED), n;

	do {
		n = (int64_t)((uint64_t)old + (uint64_t)v);
		if (!pcpu_abi_within(n, bm1))
			return 1;
	} while (!__atomic_compare_exchange_n(u, &old, n, 1, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return 0;
}

/*
 * The same on a copy only the calling thread (and its signal handlers)
 * adds to, an owned slot, without a locked instruction: add, load the new
 * value, and undo the add if that left the batch.  Only the thread's own
 * handlers can see the copy outside the batch in between, and an amount
 * itself inside the batch leaves it inside after the undo even if a
 * handler's add-take emptied it meanwhile.  Callers add inside a gate
 * reader section or a sequence, so no slow path sums meanwhile.
 */
PCPU_ARCH_INLINE int pcpu_abi_add_within_owned(int64_t *u, int64_t v, uint64_t bm1)
{
	if (PCPU_ABI_UNLIKELY(!pcpu_abi_within(v, bm1)))
		return 1;
	if (PCPU_ABI_LIKELY(pcpu_abi_within(pcpu_arch_add_load_owned64(u, v), bm1)))
		return 0;
	pcpu_arch_add_owned(u, (int64_t)(0 - (uint64_t)v));
	return 1;
}

/*
 * A gated add's section on the calling thread's gate reader count
 * (pcpu_abi_thread.gate): the low 32 bits count the sections the thread
 * is inside (more than one only when a signal handler interrupted one),
 * the high 32 bits how many it entered from outside any.  The library's
 * slow paths raise an object's gate, then wait until every count is
 * outside any section or has moved on, so an add that read the gate open
 * inside a section has finished before they go on.  Entering is one load
 * and one store (only the thread and its handlers write the count; a
 * handler between the two leaves it as it found it), and a compiler
 * barrier: the wait orders the store with a barrier on every thread
 * (membarrier), so that a gated add costs no fence; only where the
 * library has no membarrier (PCPU_ABI_GATE_FENCE) does the reader fence.
 * Leaving is a release store.
 */
#define PCPU_ABI_GATE_OUTER (UINT64_C(1) << 32)

/* The calling thread's gate reader count, or NULL: it has none yet, or
 * the library serving it predates the field (version 3). */
PCPU_ARCH_INLINE uint64_t *pcpu_abi_gate(const struct pcpu_abi_process *d)
{
	return d->version >= 3 ? pcpu_abi_thread.gate : 0;
}

/* The count's store alone; returns what to leave with. */
PCPU_ARCH_INLINE uint64_t pcpu_abi_gate_mark(uint64_t *g)
{
	uint64_t c = __atomic_load_n(g, __ATOMIC_RELAXED);

	c += 1 + ((uint32_t)c ? 0 : PCPU_ABI_GATE_OUTER);
	__atomic_store_n(g, c, __ATOMIC_RELAXED);
	return c;
}

/* Enter a section that the library's waits order with membarrier unless
 * flags (the descriptor's) say readers fence. */
PCPU_ARCH_INLINE uint64_t pcpu_abi_gate_enter(uint64_t *g, uint32_t flags)
{
	uint64_t c = pcpu_abi_gate_mark(g);

	if (PCPU_ABI_UNLIKELY(flags & PCPU_ABI_GATE_FENCE))
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	else
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
	return c;
}

PCPU_ARCH_INLINE void pcpu_abi_gate_exit(uint64_t *g, uint64_t entered)
{
	__atomic_store_n(g, entered - 1, __ATOMIC_RELEASE);
}

/*
 * The counts that settle a limited add of amount (not 0) toward limit,
 * whatever the deltas hold while they stay within slack (>= 0) of the
 * count: the window [lo, lo + span], such that every value within slack
 * of a count in it is |amount| inside the limit and wraps nowhere.  0, or
 * non-zero: there is no window (the limit is too close to the end of the
 * int64_t range for the slack).  One computation for the inline fast path
 * and the library's.
 */
PCPU_ARCH_INLINE int pcpu_abi_limited_window(int64_t limit, int64_t amount, int64_t slack,
					     uint64_t *lo, uint64_t *span)
{
	int64_t l, h;

	if (amount > 0) {
		l = INT64_MIN + slack;
		if (__builtin_sub_overflow(limit, slack, &h) ||
		    __builtin_sub_overflow(h, amount, &h))
			return 1;
	} else {
		h = INT64_MAX - slack;
		if (__builtin_add_overflow(limit, slack, &l) ||
		    __builtin_sub_overflow(l, amount, &l))
			return 1;
	}
	if (h < l)
		return 1;
	*lo = (uint64_t)l;
	*span = (uint64_t)h - (uint64_t)l;
	return 0;
}

/*
 * A limited add's far path: where the count lies further from the limit
 * than PCPU_ABI_FAR_SLACK, a bound fixed at build time, the window of
 * pcpu_abi_limited_window() for that slack folds to constants whenever
 * the limit and the amount are, and the add decides with one comparison
 * of the count.  That bound holds the counter's own slack (batch *
 * (units + 1)) only where the library says so in the counter's __far:
 * batch - 1 where the library's limited adds are restartable sequences
 * and batch * (units + 1) <= PCPU_ABI_FAR_SLACK, else 0 (as in a counter
 * of any other library), and then only the exact window, or the call,
 * decides.  The library changes __far after the batch only, and a
 * widening (under the gate) never makes it 0, so inline code may read it
 * before its sequence and use it as the copy's bound: an older word is a
 * smaller batch.
 */
#define PCPU_ABI_FAR_SLACK (INT64_C(1) << 24)

/*
 * The end of an add-take whose add made the copy at u n: if n left the
 * batch, take the whole copy and return what it held, else 0.  An
 * exchange, so adds that landed since go with it and none is lost; right
 * for copies that others update atomically and for owned slots alike.
 */
PCPU_ARCH_INLINE int64_t pcpu_abi_take_after_add(int64_t *u, int64_t n, uint64_t bm1)
{
	if (PCPU_ABI_LIKELY(pcpu_abi_within(n, bm1)))
		return 0;
	return __atomic_exchange_n(u, 0, __ATOMIC_RELAXED);
}

/*
 * Add-take: add v to the calling thread's copy of p; if the copy's new
 * value n leaves (-batch, batch), empty the copy and set *taken to what it
 * held, else *taken = 0.  The add and the take are one this-CPU operation
 * on the same copy, whatever the thread does in between.  0, or non-zero:
 * take the call (nothing was added).
 */
PCPU_ARCH_INLINE int pcpu_abi_this_add_take(int64_t *p, int64_t v, uint64_t bm1,
					    int64_t *taken)
{
	const struct pcpu_abi_process *d = &pcpu_abi_process;
	uintptr_t w = pcpu_abi_thread.slot;
	int64_t *u, n;

	if (PCPU_ABI_LIKELY(!(w & 1))) {
		u = (int64_t *)((char *)p + w);
		n = pcpu_arch_add_load_owned64(u, v);
	} else {
#if PCPU_ARCH_RSEQ
		if (d->mode == PCPU_ABI_RSEQ)
			return pcpu_arch_rseq_add_take(p, v, bm1, taken,
						       PCPU_ABI_RSEQ_HERE(d));
#endif
		u = (int64_t *)pcpu_abi_atomic_unit(d, p);
		if (!u)
			return 1;
		n = __atomic_add_fetch(u, v, __ATOMIC_RELAXED);
	}
	*taken = pcpu_abi_take_after_add(u, n, bm1);
	return 0;
}

/* The calling thread's copy of p, as the this-CPU operations would choose
 * it now; NULL: take the call. */
PCPU_ARCH_INLINE void *pcpu_abi_this_ptr(void *p)
{
	const struct pcpu_abi_process *d = &pcpu_abi_process;
	uintptr_t w = pcpu_abi_thread.slot;

	if (PCPU_ABI_LIKELY(!(w & 1)))
		return (char *)p + w;
	if (d->mode == PCPU_ABI_RSEQ && d->rseq_index) {
		uint32_t u = pcpu_arch_tp_u32(d->rseq_index);

		return u < d->nr_units ? (char *)p + u * d->stride : 0;
	}
	return pcpu_abi_atomic_unit(d, p);
}

/*
 * What a tree counter's 32-bit leaf passes up when adding inc made its
 * value res, the leaf carrying at multiples of 2^shift: inc minus the
 * change of the residual (the bits below 2^shift).  Exact in 64 bits
 * whatever the size of inc, as if the leaf were a long.
 */
PCPU_ARCH_INLINE long pcpu_abi_tree_leaf_carry(uint32_t res, unsigned long inc,
					       unsigned shift)
{
	uint32_t mask = ((uint32_t)1 << shift) - 1;

	return (long)(inc + ((res - (uint32_t)inc) & mask) - (res & mask));
}

/*
 * An inc or dec (a constant 1 or -1): it never spans a leaf's batch (2 at
 * least, so 1 <= shift <= 31), and it carries the whole batch exactly when
 * the residual it leaves (inc) or left (dec) is 0, which the bits above
 * the residual's, shifted out, show.  Fewer instructions than the general
 * arithmetic; the same result.
 */
#define PCPU_ABI_TREE_UNIT(inc) (__builtin_constant_p(inc) && ((inc) == 1 || (inc) == -1))
PCPU_ARCH_INLINE long pcpu_abi_tree_unit_carry(uint32_t res, long inc, unsigned shift)
{
	uint32_t below = inc > 0 ? res : res + 1;

	if (PCPU_ABI_LIKELY((uint32_t)(below << (32 - shift)) != 0))
		return 0;
	return inc > 0 ? 1L << shift : -(1L << shift);
}

/*
 * Whether a tree counter's add of inc goes straight to the root: when inc
 * alone spans a leaf's batch (2^shift), nearly all of it would carry, and
 * the precise sum (root plus every level's residual) and the accuracy
 * range hold whatever the root receives, so one add there replaces the
 * leaf's add and the climb.
 */
PCPU_ARCH_INLINE int pcpu_abi_tree_to_root(long inc, unsigned shift)
{
	return !pcpu_abi_within((int64_t)inc, ((uint64_t)1 << shift) - 1);
}

/*
 * percpu_ref in atomic mode: a copy closed by the switch to the shared
 * count holds about INT64_MIN / 2, an open one far more, so an add knows
 * from the value it made whether it counted.
 */
#define PCPU_ABI_REF_CLOSED   (INT64_MIN / 2)
#define PCPU_ABI_REF_OPEN_MIN (PCPU_ABI_REF_CLOSED / 2)

#endif
