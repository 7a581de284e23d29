/* SPDX-License-Identifier: MIT */
/*
 * ref - percpu_ref's engine: the count, the slow paths of the adds and
 * the two mode switches that ref_state calls (see ref.h).  How a copy
 * is closed, and whether closing waits for a grace period, is the access
 * mode's (cpu.h's closable copies): nothing here depends on the mode.
 */
#include "ref/ref.h"

/* Larger than any real count, small enough to stay inside REF_COUNT. */
#define REF_BIAS (1ull << 57)
_Static_assert(REF_BIAS < REF_COUNT / 2, "REF_BIAS leaves no room for counts");

int64_t ref_count(struct ref *ref)
{
	int64_t count =
	    (int64_t)(__atomic_load_n(&ref->word, __ATOMIC_ACQUIRE) & REF_COUNT);

	if (!ref->shared)
		count += cpu_units_sum(ref->pcpu) - (int64_t)REF_BIAS;
	return count;
}

void ref_mode_shared(struct ref *ref, const char *fn)
{
	uint64_t old;
	int64_t sum, count;

	if (ref->shared)
		return;
	sum = cpu_closable_close(ref->pcpu, &ref->shared);
	old = __atomic_fetch_add(&ref->word, (uint64_t)sum - REF_BIAS, __ATOMIC_ACQ_REL);
	/* The caller still holds the initial reference. */
	count = (int64_t)(old & REF_COUNT) - (int64_t)REF_BIAS + sum;
	if (count < 1)
		diag_die(fn, ref_api(ref),
			 "more puts than gets: the count went below zero (%lld)",
			 (long long)(count - 1));
}

void ref_mode_percpu(struct ref *ref)
{
	if (!ref->shared)
		return;
	/* Reopen only once the word holds REF_BIAS: a put on a closed copy
	 * must not take it to zero while gets count in an open one. */
	__atomic_fetch_add(&ref->word, REF_BIAS, __ATOMIC_RELAXED);
	cpu_closable_reopen(ref->pcpu, &ref->shared);
}

/* Flattened: the whole per-CPU add inline, no call returning into them
 * but the mode's own slow path. */
#define REF_SLOW __attribute__((flatten))

REF_SLOW void ref_get_slow(struct ref *ref, unsigned long nr)
{
	if (!cpu_closable_add_slow(ref->pcpu, (int64_t)nr, &ref->shared))
		ref_shared_get(ref, nr);
}

REF_SLOW void ref_put_slow(struct ref *ref, unsigned long nr)
{
	if (!cpu_closable_add_slow(ref->pcpu, -(int64_t)nr, &ref->shared))
		ref_shared_put(ref, nr);
}

REF_SLOW bool ref_tryget_slow(struct ref *ref, uint64_t refuse)
{
	return cpu_closable_add_slow(ref->pcpu, 1, &ref->shared) ||
	       ref_shared_tryget(ref, refuse);
}

REF_SLOW bool ref_tryget_many(struct ref *ref, uint64_t refuse, unsigned long nr)
{
	return cpu_closable_add(ref->pcpu, (int64_t)nr, &ref->shared) ||
	       ref_shared_tryget_many(ref, refuse, nr);
}
