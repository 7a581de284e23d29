/* SPDX-License-Identifier: MIT */
/*
 * ref - percpu_ref in the runtime: references counted in per-CPU copies
 * while the ref is live, in the shared word of ref_state once someone needs
 * to see the count reach zero.
 *
 * Invariants:
 *   - while ->shared is 0, get and put add to the calling CPU's copy, and
 *     the shared word holds REF_BIAS on top of its count, so no put can take
 *     it to zero;
 *   - the exact count is the shared count, minus REF_BIAS while it is
 *     there, plus the sum of the open copies; a single copy may be negative
 *     (a reference taken on one CPU and dropped on another);
 *   - whenever ->shared is set no add counts in a copy any more: the
 *     copies are closed.  ref_mode_shared() closes the gate (->shared),
 *     makes sure no add can still land on an open copy, then takes the
 *     copies and removes REF_BIAS in one atomic add, so no add is lost or
 *     counted twice.
 *
 * How a copy is closed depends on the access mode:
 *   - rseq and local: the add is gated (cpu_gated_add64() with ->shared as
 *     the gate) and the switch waits out, with cpu_gate_sync(), every add
 *     that got through the gate; a closed copy holds 0.
 *   - atomic: the copy is its own gate.  Every update of a unit is already
 *     one atomic read-modify-write, so the switch exchanges each unit with
 *     REF_CLOSED and keeps what it took; an add returns the unit's new value,
 *     and one that lands on a closed unit sees it far below any open value,
 *     counts for nothing and goes to the shared word instead.  No grace
 *     period: a loader preempted mid-add holds up nobody (with a gated add
 *     and more loaders than CPUs, kill waited for the scheduler to run it
 *     again, milliseconds).  An add still reads ->shared first and goes
 *     straight to the shared word when it is set: that spares the closed
 *     copies' lines in shared mode, and means a copy is only ever added to
 *     after ref_mode_percpu() opened it: the zeroed copies of a ref
 *     initialised shared need no closing.
 * The local mode cannot do the same: an owned slot is written by plain
 * single instructions, so a copy can only be closed by waiting.
 *
 * A put below zero in per-CPU mode cannot be seen by the put itself (only
 * the sum of the copies means anything): the next fold (kill,
 * switch_to_atomic_sync) or exit reports it.
 */
#include <errno.h>
#include <pcpu.h>

#include "arena/arena.h"
#include "cpu/cpu.h"
#include "ref_state.h"
#include "runtime.h"

/* Larger than any real count, small enough to stay inside REF_COUNT. */
#define REF_BIAS (1ull << 57)
_Static_assert(REF_BIAS < REF_COUNT / 2, "REF_BIAS leaves no room for counts");

/*
 * An atomic-mode copy once closed holds REF_CLOSED plus the adds that
 * landed on it afterwards: at most one per thread that read the gate open
 * before it closed, so a few references either way.  An open copy holds
 * the gets minus the puts made on its CPU since it opened: below -2^61
 * only after 2^61 more puts than gets there (decades at a billion a
 * second).  So an add knows from the value it made which kind it hit.
 */
#define REF_CLOSED   PCPU_ABI_REF_CLOSED
#define REF_OPEN_MIN PCPU_ABI_REF_OPEN_MIN

int percpu_ref_init(struct percpu_ref *r, percpu_ref_func_t *release, unsigned flags)
{
	int64_t *pcpu;
	int err;

	err = runtime_try_init();
	if (err)
		return err;
	pcpu = arena_alloc(sizeof(*pcpu), sizeof(*pcpu));
	if (!pcpu)
		return -errno;
	err = ref_state_init((struct ref *)r, release, flags, pcpu);
	if (err)
		arena_free(pcpu);
	return err;
}

/*
 * The sum of the copies; with take, also close them, which needs no add
 * in flight on a gated copy (cpu_gate_sync() waited them out) and an
 * exchange on an atomic-mode one (an add racing with it lands before, and
 * is taken, or after, and sees the copy closed).
 */
static int64_t ref_pcpu_sum(struct ref *ref, bool take)
{
	int64_t closed = cpu_mode == CPU_MODE_ATOMIC ? REF_CLOSED : 0, sum = 0;

	for (int cpu = 0; cpu < cpu_nr_units; cpu++) {
		int64_t *p = arena_ptr(ref->pcpu, cpu);

		/* acquire: what a put's caller did happens before release */
		sum += take ? __atomic_exchange_n(p, closed, __ATOMIC_ACQUIRE)
			    : __atomic_load_n(p, __ATOMIC_RELAXED);
	}
	return sum;
}

void percpu_ref_exit(struct percpu_ref *r)
{
	struct ref *ref = ref_of(r, "percpu_ref_exit");
	int64_t *pcpu = ref->pcpu;
	int64_t count =
	    (int64_t)(__atomic_load_n(&ref->word, __ATOMIC_ACQUIRE) & REF_COUNT);

	if (!ref->shared)
		count += ref_pcpu_sum(ref, false) - (int64_t)REF_BIAS;
	ref_state_exit(ref, count);
	arena_free(pcpu);
}

void ref_mode_shared(struct ref *ref, const char *fn)
{
	uint64_t old;
	int64_t sum, count;

	if (ref->shared)
		return;
	__atomic_store_n(&ref->shared, 1, __ATOMIC_SEQ_CST);
	if (cpu_mode != CPU_MODE_ATOMIC)
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
	/* Reopen only once the word holds REF_BIAS: a put on a closed copy
	 * must not take it to zero while gets count in an open one. */
	if (cpu_mode == CPU_MODE_ATOMIC)
		for (int cpu = 0; cpu < cpu_nr_units; cpu++)
			__atomic_store_n((int64_t *)arena_ptr(ref->pcpu, cpu), 0,
					 __ATOMIC_RELEASE);
	__atomic_store_n(&ref->shared, 0, __ATOMIC_RELEASE);
}

/*
 * Atomic mode's add to the calling CPU's copy, out of line (cpu_atomic.c
 * finds the CPU); false if the copy is closed, and then the add counted
 * for nothing.
 */
static inline bool ref_atomic_add(struct ref *ref, int64_t v)
{
	int64_t now;

	if (__atomic_load_n(&ref->shared, __ATOMIC_ACQUIRE))
		return false;
	/* The fences make the relaxed add acq_rel, as in ref_fast_add(). */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	now = cpu_atomic_add_return(ref->pcpu, v);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return now > REF_OPEN_MIN;
}

/* The whole per-CPU add, in any mode; false if the copy is closed. */
static inline bool ref_pcpu_add(struct ref *ref, int64_t v)
{
	if (cpu_mode == CPU_MODE_ATOMIC)
		return ref_atomic_add(ref, v);
	return cpu_gated_add64(ref->pcpu, v, &ref->shared);
}

/*
 * The fast path of get, put and tryget: the part of the add that needs no
 * call (an rseq sequence, a local-mode thread's owned slot, an atomic on
 * the unit of the CPU that the rseq area names), inline.
 * Everything else is one tail call: to the shared word when the copy is
 * closed, else to ref_*_slow(), which makes the whole add.  So no call
 * returns into an entry point but rseq's fold (an index out of range),
 * and the atomic mode no longer pays a call per get or put.
 */
enum ref_fast {
	REF_FAST_DONE,	 /* added to the calling CPU's copy */
	REF_FAST_SHARED, /* the copy is closed: count in the shared word */
	REF_FAST_SLOW,	 /* not tried: make the whole add out of line */
};

static inline enum ref_fast ref_fast_add(struct ref *ref, int64_t v)
{
	uint32_t cpu;
	bool added;

	if (cpu_mode == CPU_MODE_RSEQ) {
		added = cpu_rseq_gated_add(ref->pcpu, v, &ref->shared);
	} else if (cpu_mode == CPU_MODE_LOCAL) {
		/* what would make cpu_local_gated_add() call its slow path */
		if ((cpu_local_word & CPU_LOCAL_SHARED) ||
		    (!cpu_local_rseq && !cpu_gate_self))
			return REF_FAST_SLOW;
		added = cpu_local_gated_add(ref->pcpu, v, &ref->shared);
	} else {
		/* ref_atomic_add(), with the CPU the rseq area names inline */
		if (__atomic_load_n(&ref->shared, __ATOMIC_ACQUIRE))
			return REF_FAST_SHARED;
		if (!cpu_rseq_index_off ||
		    (cpu = cpu_rseq_index()) >= (uint32_t)cpu_nr_units)
			return REF_FAST_SLOW;
		/*
		 * release: what a put's caller did happens before the closing
		 * exchange, so before release; acquire: an add that finds its
		 * copy reopened sees REF_BIAS back in the word.
		 */
		added = __atomic_add_fetch((int64_t *)arena_ptr(ref->pcpu, (int)cpu), v,
					   __ATOMIC_ACQ_REL) > REF_OPEN_MIN;
	}
	return __builtin_expect(added, 1) ? REF_FAST_DONE : REF_FAST_SHARED;
}

/*
 * The entry points and the slow paths take the adds inline: gcc keeps a
 * static inline called from six sites out of line, which costs a call and
 * a stack frame per get or put.
 */
#define REF_FAST __attribute__((flatten))
#define REF_SLOW __attribute__((flatten, noinline))

REF_SLOW static void ref_get_slow(struct ref *ref, unsigned long nr)
{
	if (!ref_pcpu_add(ref, (int64_t)nr))
		ref_shared_get(ref, nr);
}

REF_SLOW static void ref_put_slow(struct ref *ref, unsigned long nr)
{
	if (!ref_pcpu_add(ref, -(int64_t)nr))
		ref_shared_put(ref, nr);
}

REF_SLOW static bool ref_tryget_slow(struct ref *ref, uint64_t refuse)
{
	return ref_pcpu_add(ref, 1) || ref_shared_tryget(ref, refuse);
}

static inline void ref_get(struct ref *ref, unsigned long nr)
{
	enum ref_fast f = ref_fast_add(ref, (int64_t)nr);

	if (__builtin_expect(f == REF_FAST_DONE, 1))
		return;
	if (f == REF_FAST_SHARED)
		ref_shared_get(ref, nr);
	else
		ref_get_slow(ref, nr);
}

static inline void ref_put(struct ref *ref, unsigned long nr)
{
	enum ref_fast f = ref_fast_add(ref, -(int64_t)nr);

	if (__builtin_expect(f == REF_FAST_DONE, 1))
		return;
	if (f == REF_FAST_SHARED)
		ref_shared_put(ref, nr);
	else
		ref_put_slow(ref, nr);
}

static inline bool ref_tryget(struct ref *ref, uint64_t refuse)
{
	enum ref_fast f = ref_fast_add(ref, 1);

	if (__builtin_expect(f == REF_FAST_DONE, 1))
		return true;
	if (f == REF_FAST_SHARED)
		return ref_shared_tryget(ref, refuse);
	return ref_tryget_slow(ref, refuse);
}

REF_FAST void percpu_ref_get_many(struct percpu_ref *r, unsigned long nr)
{
	ref_get(ref_many_of(r, "percpu_ref_get_many", nr), nr);
}

REF_FAST void percpu_ref_get(struct percpu_ref *r)
{
	ref_get(ref_of(r, "percpu_ref_get"), 1);
}

REF_FAST void percpu_ref_put_many(struct percpu_ref *r, unsigned long nr)
{
	ref_put(ref_many_of(r, "percpu_ref_put_many", nr), nr);
}

REF_FAST void percpu_ref_put(struct percpu_ref *r)
{
	ref_put(ref_of(r, "percpu_ref_put"), 1);
}

REF_FAST bool percpu_ref_tryget(struct percpu_ref *r)
{
	return ref_tryget(ref_of(r, "percpu_ref_tryget"), 0);
}

bool percpu_ref_tryget_many(struct percpu_ref *r, unsigned long nr)
{
	struct ref *ref = ref_of(r, "percpu_ref_tryget_many");

	return ref_pcpu_add(ref, (int64_t)nr) || ref_shared_tryget_many(ref, 0, nr);
}

REF_FAST bool percpu_ref_tryget_live(struct percpu_ref *r)
{
	return ref_tryget(ref_of(r, "percpu_ref_tryget_live"), REF_DEAD);
}
