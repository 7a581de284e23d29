/* SPDX-License-Identifier: MIT */
/*
 * ref - percpu_ref in the runtime: references counted in per-CPU copies
 * while the ref is live, in the shared word of ref_state once someone needs
 * to see the count reach zero.
 *
 * Invariants:
 *   - while ->shared is 0, get and put add to the calling CPU's copy through
 *     cpu_gated_add64() with ->shared as the gate, and the shared word holds
 *     REF_BIAS on top of its count, so no put can take it to zero;
 *   - the exact count is the shared count, minus REF_BIAS while it is
 *     there, plus the sum of the copies; a single copy may be negative (a
 *     reference taken on one CPU and dropped on another);
 *   - the copies are all zero whenever ->shared is set: ref_mode_shared()
 *     closes the gate, waits out every add that got through it
 *     (cpu_gate_sync(), a grace period, never a sleep), then moves the copies
 *     and removes REF_BIAS in one atomic add.  Nothing adds to a copy while
 *     the gate is closed, so reading and zeroing them cannot lose an add.
 *
 * A put below zero in per-CPU mode cannot be seen by the put itself (only
 * the sum of the copies means anything): the next fold (kill,
 * switch_to_atomic_sync) or exit reports it.
 */
#include <errno.h>
#include <pcpu.h>

#include "arena.h"
#include "cpu.h"
#include "ref_state.h"
#include "runtime.h"

/* Larger than any real count, small enough to stay inside REF_COUNT. */
#define REF_BIAS (1ull << 57)
_Static_assert(REF_BIAS < REF_COUNT / 2, "REF_BIAS leaves no room for counts");

int percpu_ref_init(struct percpu_ref *r, percpu_ref_func_t *release, unsigned flags)
{
	int64_t *pcpu;
	int err;

	runtime_init();
	pcpu = arena_alloc(sizeof(*pcpu), sizeof(*pcpu));
	if (!pcpu)
		return -errno;
	err = ref_state_init((struct ref *)r, release, flags, pcpu);
	if (err)
		arena_free(pcpu);
	return err;
}

static int64_t ref_pcpu_sum(struct ref *ref, bool zero)
{
	int64_t sum = 0;

	for (int cpu = 0; cpu < cpu_nr_units; cpu++) {
		int64_t *p = arena_ptr(ref->pcpu, cpu);

		sum += __atomic_load_n(p, __ATOMIC_RELAXED);
		if (zero)
			__atomic_store_n(p, 0, __ATOMIC_RELAXED);
	}
	return sum;
}

void percpu_ref_exit(struct percpu_ref *r)
{
	struct ref *ref = ref_of(r, "percpu_ref_exit");
	int64_t count =
	    (int64_t)(__atomic_load_n(&ref->word, __ATOMIC_ACQUIRE) & REF_COUNT);

	if (!ref->shared)
		count += ref_pcpu_sum(ref, false) - (int64_t)REF_BIAS;
	ref_state_exit(ref, count);
	arena_free(ref->pcpu);
}

void ref_mode_shared(struct ref *ref, const char *fn)
{
	uint64_t old;
	int64_t sum, count;

	if (ref->shared)
		return;
	__atomic_store_n(&ref->shared, 1, __ATOMIC_SEQ_CST);
	cpu_gate_sync();
	sum = ref_pcpu_sum(ref, true);
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
	__atomic_fetch_add(&ref->word, REF_BIAS, __ATOMIC_RELAXED);
	__atomic_store_n(&ref->shared, 0, __ATOMIC_RELEASE);
}

/*
 * The entry points of the fast path take the access mode's gated add
 * inline: gcc keeps a static inline called from six sites out of line,
 * which costs a call and a stack frame per get or put.
 */
#define REF_FAST __attribute__((flatten))

static inline void ref_get(struct ref *ref, unsigned long nr)
{
	if (__builtin_expect(!cpu_gated_add64(ref->pcpu, (int64_t)nr, &ref->shared), 0))
		ref_shared_get(ref, nr);
}

static inline void ref_put(struct ref *ref, unsigned long nr)
{
	if (__builtin_expect(!cpu_gated_add64(ref->pcpu, -(int64_t)nr, &ref->shared), 0))
		ref_shared_put(ref, nr);
}

static inline bool ref_tryget(struct ref *ref, uint64_t refuse)
{
	if (__builtin_expect(cpu_gated_add64(ref->pcpu, 1, &ref->shared), 1))
		return true;
	return ref_shared_tryget(ref, refuse);
}

REF_FAST void percpu_ref_get_many(struct percpu_ref *r, unsigned long nr)
{
	ref_get(ref_of(r, "percpu_ref_get_many"), nr);
}

REF_FAST void percpu_ref_get(struct percpu_ref *r)
{
	ref_get(ref_of(r, "percpu_ref_get"), 1);
}

REF_FAST void percpu_ref_put_many(struct percpu_ref *r, unsigned long nr)
{
	ref_put(ref_of(r, "percpu_ref_put_many"), nr);
}

REF_FAST void percpu_ref_put(struct percpu_ref *r)
{
	ref_put(ref_of(r, "percpu_ref_put"), 1);
}

REF_FAST bool percpu_ref_tryget(struct percpu_ref *r)
{
	return ref_tryget(ref_of(r, "percpu_ref_tryget"), 0);
}

REF_FAST bool percpu_ref_tryget_live(struct percpu_ref *r)
{
	return ref_tryget(ref_of(r, "percpu_ref_tryget_live"), REF_DEAD);
}
