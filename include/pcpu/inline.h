/* SPDX-License-Identifier: MIT */
/*
 * pcpu/inline.h - the inline fast paths of <pcpu.h>'s hot operations.
 * Included by <pcpu.h> at its end; not meant to be included on its own.
 *
 * Each function here is a GNU "extern inline" definition of the exported
 * function of the same name: the compiler inlines it at every call, and
 * the exported function stays (its address, and every call that this
 * code makes when its fast path does not apply).  The fast path uses only
 * the data of pcpu/abi.h and the object's own fields; whenever either says
 * "no fast path" (the portable library, a library not yet initialised, a
 * thread without an owned slot, an object whose pointer is NULL or whose
 * magic word is wrong: zeroed, destroyed or garbage, an index out of
 * range, a gate closed), it does nothing and calls the
 * library, which makes the whole operation and reports misuse.  The one
 * exception is the tree counter's carry, which follows a completed leaf
 * add: it calls pcpu_abi_tree_carry().
 *
 * Define PCPU_NO_INLINE before including <pcpu.h> to get calls only.
 */
#ifndef PCPU_INLINE_H
#define PCPU_INLINE_H

#ifdef __cplusplus
extern "C" {
#endif

#define PCPU_INLINE extern __inline__ __attribute__((__gnu_inline__, __always_inline__))

/* The exported functions under another C name, for the calls the inline
 * definitions make (a call by the same name would be to itself). */
#define PCPU_CALL(ret, name, args) PCPU_API ret pcpu_call_##name args __asm__(#name)
PCPU_CALL(void, pcpu_this_add, (int64_t *, int64_t));
PCPU_CALL(int64_t, pcpu_this_add_return, (int64_t *, int64_t));
PCPU_CALL(void *, pcpu_this_ptr, (void *));
PCPU_CALL(void, percpu_counter_add_batch, (struct percpu_counter *, int64_t, int32_t));
PCPU_CALL(void, percpu_counter_add, (struct percpu_counter *, int64_t));
PCPU_CALL(int64_t, percpu_counter_read, (struct percpu_counter *));
PCPU_CALL(bool, percpu_counter_limited_add, (struct percpu_counter *, int64_t, int64_t));
PCPU_CALL(void, percpu_counter_tree_add, (struct percpu_counter_tree *, long));
PCPU_CALL(long, percpu_counter_tree_approximate_sum, (struct percpu_counter_tree *));
PCPU_CALL(void, percpu_ref_get, (struct percpu_ref *));
PCPU_CALL(void, percpu_ref_put, (struct percpu_ref *));
PCPU_CALL(bool, percpu_ref_tryget, (struct percpu_ref *));
PCPU_CALL(bool, percpu_ref_tryget_live, (struct percpu_ref *));

PCPU_INLINE void pcpu_this_add(int64_t *p, int64_t v)
{
	if (PCPU_ABI_UNLIKELY(pcpu_abi_this_add(p, v)))
		pcpu_call_pcpu_this_add(p, v);
}

PCPU_INLINE int64_t pcpu_this_add_return(int64_t *p, int64_t v)
{
	int64_t r;

	if (PCPU_ABI_UNLIKELY(pcpu_abi_this_add_return64(p, v, &r)))
		return pcpu_call_pcpu_this_add_return(p, v);
	return r;
}

PCPU_INLINE void *pcpu_this_ptr(void *p)
{
	void *u = pcpu_abi_this_ptr(p);

	return PCPU_ABI_LIKELY(u != 0) ? u : pcpu_call_pcpu_this_ptr(p);
}

/* ---- percpu_counter ---- */

/*
 * The add of add_batch once the counter may take it inline, bm1 being
 * batch - 1; small: amount is known to stay inside the batch.  0, or
 * non-zero: nothing was added.
 */
PCPU_ARCH_INLINE int pcpu_counter_add_in(struct percpu_counter *c, int64_t amount,
					 uint64_t bm1, int small)
{
	int64_t taken;

	/* An amount that alone leaves the batch would fold at once: it goes
	 * to the count directly, and the delta stays as it was. */
	if (!small && PCPU_ABI_UNLIKELY(!pcpu_abi_within(amount, bm1))) {
		__atomic_fetch_add(c->__count, amount, __ATOMIC_RELAXED);
		return 0;
	}
	if (PCPU_ABI_UNLIKELY(pcpu_abi_this_add_take(c->__pcpu, amount, bm1, &taken)))
		return 1;
	if (PCPU_ABI_UNLIKELY(taken))
		__atomic_fetch_add(c->__count, taken, __ATOMIC_RELAXED);
	return 0;
}

/* add_batch, where batch is one the fast path may use. */
PCPU_ARCH_INLINE int pcpu_counter_fast_add(struct percpu_counter *c, int64_t amount,
					   int32_t batch)
{
	/* 1 <= batch <= ->__batch in one comparison; ->__batch is 0 where
	 * there are no per-CPU deltas (the portable library). */
	if (PCPU_ABI_UNLIKELY(c->__magic != PCPU_ABI_MAGIC_COUNTER ||
			      (uint32_t)batch - 1 >= (uint32_t)__atomic_load_n(
							 &c->__batch, __ATOMIC_RELAXED)))
		return 1;
	return pcpu_counter_add_in(c, amount, (uint64_t)batch - 1, 0);
}

/*
 * add_batch with the default batch, where the counter's largest batch is
 * that one (pcpu/abi.h's word): one comparison for the counter's identity
 * and the batch; none for the amount when it is a small constant.
 */
PCPU_ARCH_INLINE int pcpu_counter_fast_add_default(struct percpu_counter *c,
						   int64_t amount)
{
	const struct pcpu_abi_process *d = &pcpu_abi_process;

	if (PCPU_ABI_UNLIKELY(pcpu_abi_word(&c->__batch) != pcpu_abi_word(&d->batch)))
		return 1;
	return pcpu_counter_add_in(c, amount, (uint64_t)d->batch - 1,
				   __builtin_constant_p(amount) &&
				       amount > -PCPU_ABI_MIN_BATCH &&
				       amount < PCPU_ABI_MIN_BATCH);
}

PCPU_INLINE void percpu_counter_add_batch(struct percpu_counter *c, int64_t amount,
					  int32_t batch)
{
	if (pcpu_counter_fast_add(c, amount, batch))
		pcpu_call_percpu_counter_add_batch(c, amount, batch);
}

PCPU_INLINE void percpu_counter_add(struct percpu_counter *c, int64_t amount)
{
	if (pcpu_counter_fast_add_default(c, amount))
		pcpu_call_percpu_counter_add(c, amount);
}

/* Negating in unsigned arithmetic: sub(INT64_MIN) wraps like the add. */
PCPU_INLINE void percpu_counter_sub(struct percpu_counter *c, int64_t amount)
{
	percpu_counter_add(c, (int64_t)(0 - (uint64_t)amount));
}

PCPU_INLINE void percpu_counter_inc(struct percpu_counter *c)
{
	percpu_counter_add(c, 1);
}

PCPU_INLINE void percpu_counter_dec(struct percpu_counter *c)
{
	percpu_counter_add(c, -1);
}

PCPU_INLINE int64_t percpu_counter_read(struct percpu_counter *c)
{
	if (PCPU_ABI_UNLIKELY(c->__magic != PCPU_ABI_MAGIC_COUNTER))
		return pcpu_call_percpu_counter_read(c);
	return __atomic_load_n(c->__count, __ATOMIC_RELAXED);
}

/*
 * The limited add's fast path where it is not a restartable sequence (the
 * atomic mode's unit; an owned slot where threads have no rseq areas): the
 * gate reader section of pcpu/abi.h around what the library's fast path
 * does there (read the gate and the count, add to the copy at u only if it
 * stays inside the batch), so a slow path that raised the gate waits for
 * it.  The thread's first gated add calls, and the library gives it its
 * reader count.
 */
PCPU_ARCH_INLINE int pcpu_counter_gated_limited(struct percpu_counter *c, int64_t *u,
						int owned, int32_t batch, uint64_t lo,
						uint64_t span, int64_t amount,
						const struct pcpu_abi_process *d)
{
	uint64_t *g = pcpu_abi_gate(d), entered;
	int res = 1;

	if (PCPU_ABI_UNLIKELY(!g || !u))
		return 1;
	/* A library of ABI version 3 waits for limited adds' sections without
	 * a barrier on every thread: those fence themselves. */
	entered =
	    pcpu_abi_gate_enter(g, d->version >= 4 ? d->flags : PCPU_ABI_GATE_FENCE);
	if (PCPU_ABI_LIKELY(
		!__atomic_load_n(&c->__gate, __ATOMIC_ACQUIRE) &&
		__atomic_load_n(&c->__batch, __ATOMIC_RELAXED) == batch &&
		(uint64_t)__atomic_load_n(c->__count, __ATOMIC_RELAXED) - lo <= span))
		res = owned ? pcpu_abi_add_within_owned(u, amount, (uint64_t)batch - 1)
			    : pcpu_abi_add_within(u, amount, (uint64_t)batch - 1);
	pcpu_abi_gate_exit(g, entered);
	return res;
}

#if PCPU_ARCH_RSEQ
/* The far path's sequence for the amount: the copy's check one-sided for
 * a small constant. */
#define PCPU_COUNTER_FAR(check, c, unit, at, amount, far, lo, span, d)                   \
	((unit)                                                                          \
	     ? pcpu_arch_rseq_far_##check((c)->__pcpu, amount, far, &(c)->__gate,        \
					  (c)->__count, lo, span, PCPU_ABI_RSEQ_HERE(d)) \
	     : pcpu_arch_rseq_far_##check##_at(at, amount, far, &(c)->__gate,            \
					       (c)->__count, lo, span, (d)->rseq_cs))

/*
 * The limited add's far path (pcpu/abi.h) as one restartable sequence: on
 * this unit's copy in the rseq mode (unit), on the owned slot at at in the
 * local mode, whose threads have rseq areas wherever the library sets the
 * far word; far is that word, read before the sequence (a widening only
 * raises it, and a copy kept inside an older, smaller batch stays inside
 * the new one).  pcpu/arch's results: 0 added, 1 index out of range, 2
 * gate raised, 3 copy full, 4 count outside the window [lo, lo + span].
 */
PCPU_ARCH_INLINE int pcpu_counter_far(struct percpu_counter *c, int unit, int64_t *at,
				      uint32_t far, int64_t amount, uint64_t lo,
				      uint64_t span, const struct pcpu_abi_process *d)
{
	/* Adding up, only the window's part from 0 (the caller's hi >= 0) is
	 * tried: one unsigned comparison (counts below 0 take the exact
	 * window). */
	uint64_t hi = lo + span;

	if (__builtin_constant_p(amount) && amount > 0 && amount < PCPU_ABI_MIN_BATCH)
		return PCPU_COUNTER_FAR(up0, c, unit, at, amount, far, hi, hi, d);
	if (amount > 0)
		return PCPU_COUNTER_FAR(up0any, c, unit, at, amount, far, hi, hi, d);
	/* Adding down toward a floor, the usual count lies between the floor
	 * and the far slack above it (a quota given back): a look at the
	 * count first spares that add a sequence that would only find it. */
	if ((uint64_t)__atomic_load_n(c->__count, __ATOMIC_RELAXED) - lo > span)
		return 4;
	if (__builtin_constant_p(amount) && amount < 0 && amount > -PCPU_ABI_MIN_BATCH)
		return PCPU_COUNTER_FAR(down, c, unit, at, amount, far, lo, span, d);
	return PCPU_COUNTER_FAR(any, c, unit, at, amount, far, lo, span, d);
}
#undef PCPU_COUNTER_FAR

/*
 * The limited add's exact window as one restartable sequence, which reads
 * the batch and computes the window itself: on this unit's copy in the
 * rseq mode (unit), on the owned slot at at where threads have rseq areas
 * in the local mode.
 */
PCPU_ARCH_INLINE int pcpu_counter_rseq_limited(struct percpu_counter *c, int unit,
					       int64_t *at, int64_t limit, int64_t amount,
					       const struct pcpu_abi_process *d)
{
	int64_t lim;

	if (__builtin_sub_overflow(limit, amount, &lim))
		return 1;
	if (!unit)
		return amount > 0
			   ? pcpu_arch_rseq_limited_up_at(at, amount, &c->__gate,
							  &c->__batch, c->__count, lim,
							  d->nr_units, d->rseq_cs)
			   : pcpu_arch_rseq_limited_down_at(at, amount, &c->__gate,
							    &c->__batch, c->__count, lim,
							    d->nr_units, d->rseq_cs);
	return amount > 0
		   ? pcpu_arch_rseq_limited_up(c->__pcpu, amount, &c->__gate, &c->__batch,
					       c->__count, lim, PCPU_ABI_RSEQ_HERE(d))
		   : pcpu_arch_rseq_limited_down(c->__pcpu, amount, &c->__gate,
						 &c->__batch, c->__count, lim,
						 PCPU_ABI_RSEQ_HERE(d));
}
#endif

/*
 * The limited add's fast path: far from the limit, further than the
 * deltas can reach (->__batch, the largest batch any add used, times the
 * units plus one: a shared copy's fold may be in flight), the add goes to
 * the thread's delta, if that stays inside the batch, and the count is
 * only read, with the gate, so the library's slow path can shut it out.
 * Where the counter has a far word (pcpu/abi.h) and the count lies beyond
 * the far slack, the window's bounds fold to constants with the arguments
 * and one comparison of the count decides, in one restartable sequence
 * (pcpu_counter_far()); else the exact window, inside one restartable
 * sequence in the rseq mode and on the local mode's owned slot where
 * threads have rseq areas, inside a gate reader section elsewhere.  0
 * added, else take the call, which decides everything again (and empties
 * a full delta into the count).
 */
PCPU_ARCH_INLINE int pcpu_counter_fast_limited(struct percpu_counter *c, int64_t limit,
					       int64_t amount)
{
	const struct pcpu_abi_process *d = &pcpu_abi_process;
	uintptr_t w = pcpu_abi_thread.slot;
	uint64_t lo, span;
	int32_t batch;

	if (PCPU_ABI_UNLIKELY(c->__magic != PCPU_ABI_MAGIC_COUNTER || !amount))
		return 1;
#if PCPU_ARCH_RSEQ
	/* Adding up, only the far window's part from 0 is tried (below): none
	 * at all under a limit below the far slack. */
	if (!pcpu_abi_limited_window(limit, amount, PCPU_ABI_FAR_SLACK, &lo, &span) &&
	    (amount < 0 || (int64_t)(lo + span) >= 0)) {
		uint32_t far = __atomic_load_n(&c->__far, __ATOMIC_RELAXED);
		int res = 4;

		if (PCPU_ABI_LIKELY(far)) {
			if (PCPU_ABI_LIKELY(!(w & 1)))
				res = pcpu_counter_far(c, 0,
						       (int64_t *)((char *)c->__pcpu + w),
						       far, amount, lo, span, d);
			else if (d->mode == PCPU_ABI_RSEQ)
				res = pcpu_counter_far(c, 1, 0, far, amount, lo, span, d);
		}
		if (PCPU_ABI_LIKELY(res != 4))
			return res;
	}
	if (!(w & 1) ? d->flags & PCPU_ABI_LOCAL_RSEQ : d->mode == PCPU_ABI_RSEQ)
		return pcpu_counter_rseq_limited(
		    c, w & 1, (int64_t *)((char *)c->__pcpu + w), limit, amount, d);
#endif
	/* The window of counts that settle it (the library decides on the
	 * same one); none: call. */
	batch = __atomic_load_n(&c->__batch, __ATOMIC_RELAXED);
	if (batch <= 0 ||
	    pcpu_abi_limited_window(
		limit, amount, (int64_t)batch * ((int64_t)d->nr_units + 1), &lo, &span))
		return 1;
	return pcpu_counter_gated_limited(
	    c,
	    w & 1 ? (int64_t *)pcpu_abi_atomic_unit(d, c->__pcpu)
		  : (int64_t *)((char *)c->__pcpu + w),
	    !(w & 1), batch, lo, span, amount, d);
}

PCPU_INLINE bool percpu_counter_limited_add(struct percpu_counter *c, int64_t limit,
					    int64_t amount)
{
	return PCPU_ABI_LIKELY(!pcpu_counter_fast_limited(c, limit, amount)) ||
	       pcpu_call_percpu_counter_limited_add(c, limit, amount);
}

/* ---- percpu_counter_tree ---- */

PCPU_INLINE void percpu_counter_tree_add(struct percpu_counter_tree *c, long inc)
{
	uint32_t res;
	long carry;

	if (PCPU_ABI_UNLIKELY(!c->__pcpu || c->__magic != PCPU_ABI_MAGIC_TREE)) {
		pcpu_call_percpu_counter_tree_add(c, inc);
		return;
	}
	if (!PCPU_ABI_TREE_UNIT(inc) &&
	    PCPU_ABI_UNLIKELY(pcpu_abi_tree_to_root(inc, c->__leaf_shift))) {
		__atomic_fetch_add(c->__root, inc, __ATOMIC_RELAXED);
		return;
	}
	if (PCPU_ABI_UNLIKELY(
		pcpu_abi_this_add_return32(c->__pcpu, (uint32_t)inc, &res))) {
		pcpu_call_percpu_counter_tree_add(c, inc);
		return;
	}
	carry = PCPU_ABI_TREE_UNIT(inc)
		    ? pcpu_abi_tree_unit_carry(res, inc, c->__leaf_shift)
		    : pcpu_abi_tree_leaf_carry(res, (unsigned long)inc, c->__leaf_shift);
	if (PCPU_ABI_UNLIKELY(carry != 0))
		pcpu_abi_tree_carry(c, carry);
}

PCPU_INLINE long percpu_counter_tree_approximate_sum(struct percpu_counter_tree *c)
{
	long *root = c->__root;

	if (PCPU_ABI_UNLIKELY(!root || c->__magic != PCPU_ABI_MAGIC_TREE))
		return pcpu_call_percpu_counter_tree_approximate_sum(c);
	return (long)((unsigned long)__atomic_load_n(root, __ATOMIC_RELAXED) +
		      (unsigned long)__atomic_load_n(&c->__bias, __ATOMIC_RELAXED));
}

/* ---- percpu_ref ---- */

/*
 * A ref's add to the thread's owned slot at u, where threads have no rseq
 * areas: the gate (->__shared) read and the add inside a gate reader
 * section, which a switch to the shared count waits for (the library's
 * own reader sections are the same, pcpu/abi.h).  0, or non-zero: nothing
 * counted.
 */
PCPU_ARCH_INLINE int pcpu_ref_gated_add(struct percpu_ref *r, int64_t *u, int64_t v,
					const struct pcpu_abi_process *d)
{
	uint64_t *g = pcpu_abi_gate(d), entered;
	int shared;

	if (PCPU_ABI_UNLIKELY(!g))
		return 1;
	entered = pcpu_abi_gate_enter(g, d->flags);
	shared = __atomic_load_n(&r->__shared, __ATOMIC_RELAXED);
	if (PCPU_ABI_LIKELY(!shared))
		pcpu_arch_add_owned(u, v);
	pcpu_abi_gate_exit(g, entered);
	return shared;
}

/*
 * Add v to the calling thread's copy of a ref counting per-CPU; 0, or
 * non-zero: nothing counted (the ref is shared, closed or not set up for
 * the fast path, or the thread has no gate reader yet), take the call.
 */
PCPU_ARCH_INLINE int pcpu_ref_fast_add(struct percpu_ref *r, int64_t v)
{
	const struct pcpu_abi_process *d = &pcpu_abi_process;
	uintptr_t w = pcpu_abi_thread.slot;
	int64_t *p = r->__pcpu, *u;

	if (PCPU_ABI_UNLIKELY(!p || r->__magic != PCPU_ABI_MAGIC_REF))
		return 1;
	if (PCPU_ABI_LIKELY(!(w & 1))) {
		u = (int64_t *)((char *)p + w);
#if PCPU_ARCH_RSEQ
		/* The gate read and the add as one restartable sequence. */
		if (PCPU_ABI_LIKELY(d->flags & PCPU_ABI_LOCAL_RSEQ))
			return pcpu_arch_rseq_gated_add_at(u, v, &r->__shared,
							   d->rseq_cs);
#endif
		return pcpu_ref_gated_add(r, u, v, d);
	}
#if PCPU_ARCH_RSEQ
	if (d->mode == PCPU_ABI_RSEQ)
		return pcpu_arch_rseq_gated_add(p, v, &r->__shared,
						PCPU_ABI_RSEQ_HERE(d));
#endif
	if (__atomic_load_n(&r->__shared, __ATOMIC_ACQUIRE))
		return 1;
	u = (int64_t *)pcpu_abi_atomic_unit(d, p);
	/* acq_rel: a put's earlier accesses happen before release; an add
	 * that finds its copy reopened sees the bias back in the word. */
	return !u || __atomic_add_fetch(u, v, __ATOMIC_ACQ_REL) <= PCPU_ABI_REF_OPEN_MIN;
}

PCPU_INLINE void percpu_ref_get(struct percpu_ref *r)
{
	if (PCPU_ABI_UNLIKELY(pcpu_ref_fast_add(r, 1)))
		pcpu_call_percpu_ref_get(r);
}

PCPU_INLINE void percpu_ref_put(struct percpu_ref *r)
{
	if (PCPU_ABI_UNLIKELY(pcpu_ref_fast_add(r, -1)))
		pcpu_call_percpu_ref_put(r);
}

PCPU_INLINE bool percpu_ref_tryget(struct percpu_ref *r)
{
	return !pcpu_ref_fast_add(r, 1) || pcpu_call_percpu_ref_tryget(r);
}

/* Counting per-CPU means live: the fast path is the same. */
PCPU_INLINE bool percpu_ref_tryget_live(struct percpu_ref *r)
{
	return !pcpu_ref_fast_add(r, 1) || pcpu_call_percpu_ref_tryget_live(r);
}

#undef PCPU_CALL

#ifdef __cplusplus
}
#endif

#endif
