/* SPDX-License-Identifier: MIT */
/*
 * counter - the batch counter of libpcpu.so: the kernel's scheme
 * (shim/preload/counter.c puts it under the percpu_counter API).
 *
 * A shared 64-bit count plus one int64_t delta per CPU (counter_slots).
 * An add goes to the calling CPU's delta; when the delta reaches the batch
 * the whole delta is taken (the copy left 0) and added to the count, so
 * count + sum of the deltas is the exact value at every quiescent point
 * (wrapping modulo 2^64), and read() is one load.
 *
 * The add and the take are one this-CPU operation (cpu_this_add_take64()),
 * so the delta emptied is the one the add pushed over the batch, wherever
 * the thread runs next: after every add, its delta is inside that add's
 * batch, and with the default batch read() is within batch * nr_cpus of
 * the exact value, as the header promises and compare relies on.
 *
 * batch records the largest batch any add used (at least the default), so
 * |delta| < batch on every CPU after every add: the exact value is within
 * batch * nr_units of the count, proven rather than assumed.  Limited adds
 * and compare decide on the count alone when that bound settles the
 * outcome.  gate counts the limited adds deciding on the sum: while it is
 * not zero, fast limited adds stand aside (see below).
 */
#include "counter/counter.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

#include "arena/arena.h"
#include "counter/slots.h"
#include "counter_rules.h"
#include "cpu/cpu.h"
#include "cpu/gate.h"

/* A cache line: the unit the counts are aligned and padded to. */
#define COUNTER_LINE 64

/*
 * In gate: set by a slow path that found the counter near its limit, and
 * cleared by one that finds it far again.  While it is set the gate stays
 * raised with no slow path running, so the fast path stands aside all
 * along and no slow path needs to wait for it: near the limit, where
 * every limited add is exact, none pays for the wait.
 */
#define GATE_CLOSED 0x80000000u

static uint64_t deltas_sum(const struct counter *ct)
{
	uint64_t sum = 0;

	for (int cpu = 0; cpu < cpu_nr_units; cpu++)
		sum += (uint64_t)__atomic_load_n((int64_t *)arena_ptr(ct->deltas, cpu),
						 __ATOMIC_RELAXED);
	return sum;
}

int counter_init_many(struct counter *c, int64_t value, unsigned n, int32_t batch)
{
	int64_t *counts;
	int err;

	/*
	 * The counts away from the structs: every add reads its struct's line,
	 * and a fold writing the count there would take that line from every
	 * other CPU.  The group's counts share lines, as their deltas do.
	 */
	counts = aligned_alloc(COUNTER_LINE, (n * sizeof(*counts) + COUNTER_LINE - 1) &
						 ~(size_t)(COUNTER_LINE - 1));
	if (!counts)
		return -ENOMEM;
	err = counter_slots_alloc(c, sizeof(*c), offsetof(struct counter, deltas), n,
				  sizeof(int64_t));
	if (err) {
		free(counts);
		return err;
	}
	for (unsigned i = 0; i < n; i++) {
		counts[i] = value;
		c[i].count = &counts[i];
		c[i].batch = batch;
		c[i].gate = 0;
	}
	return 0;
}

void counter_destroy_many(struct counter *c, unsigned n)
{
	counter_slots_free(c, sizeof(*c), offsetof(struct counter, deltas), n,
			   sizeof(int64_t));
	free(c->count);
}

/* The largest batch any add has used, kept in ->batch (an add with a
 * larger one leaves the inline path for this function). */
static void counter_note_batch(struct counter *ct, int32_t batch)
{
	int32_t seen = __atomic_load_n(&ct->batch, __ATOMIC_RELAXED);

	while (__builtin_expect(batch > seen, 0) &&
	       !__atomic_compare_exchange_n(&ct->batch, &seen, batch, true,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* The add of add_batch and of a fast limited add, at a recorded batch.
 * Both are flattened: with two callers the compiler left the this-CPU
 * add-take out of line, a call more on every add. */
static inline void counter_add(struct counter *ct, int64_t amount, int32_t batch)
{
	int64_t fold = amount;

	/* An amount that alone leaves the batch goes to the count directly
	 * (it would fold at once); the delta stays inside the batch. */
	if (__builtin_expect(batch > 0 && pcpu_abi_within(amount, (uint64_t)batch - 1), 1))
		fold = cpu_this_add_take64(ct->deltas, amount, batch);
	if (__builtin_expect(fold != 0, 0))
		__atomic_fetch_add(ct->count, fold, __ATOMIC_RELAXED);
}

__attribute__((flatten)) void counter_add_batch(struct counter *ct, int64_t amount,
						 int32_t batch)
{
	/* Record the batch before adding with it: read()'s bound, and the
	 * fast decisions of compare and limited_add, rest on it. */
	counter_note_batch(ct, batch);
	counter_add(ct, amount, batch);
}

int64_t counter_sum(const struct counter *ct)
{
	uint64_t count = (uint64_t)__atomic_load_n(ct->count, __ATOMIC_RELAXED);

	return (int64_t)(count + deltas_sum(ct));
}

void counter_set(struct counter *ct, int64_t value)
{
	/*
	 * As the kernel does: empty every delta, then store the count, so
	 * read() gives value too.  An exchange, not a store, so that an
	 * atomic-mode add racing with it lands before (and is dropped) or
	 * after (and counts); an rseq or local-mode add is not atomic against
	 * it and may bring its copy's old delta back ("adds racing with set
	 * may be lost").
	 */
	for (int cpu = 0; cpu < cpu_nr_units; cpu++)
		__atomic_exchange_n((int64_t *)arena_ptr(ct->deltas, cpu), 0,
				    __ATOMIC_RELAXED);
	__atomic_store_n(ct->count, value, __ATOMIC_RELAXED);
}

/*
 * Whether count settles a limited add of amount toward limit: every value
 * within slack (batch * nr_units) of count is at least |amount| inside the
 * limit, and none wraps around the int64_t range (then exact + amount
 * could overflow, which is past any limit).
 */
static bool limited_far(int64_t count, int64_t limit, int64_t amount, int32_t batch)
{
	__int128 slack = (__int128)batch * cpu_nr_units;
	__int128 room = amount > 0 ? (__int128)limit - count : (__int128)count - limit;
	__int128 need = slack + (amount > 0 ? (__int128)amount : -(__int128)amount);

	return room >= need && count - slack >= INT64_MIN && count + slack <= INT64_MAX;
}

/*
 * The fast path: far from the limit, the add goes to the CPU's delta like
 * a plain add, with no sum and no write to the shared count (but a fold).
 * It runs as a gate reader (runtime/cpu_gate.h): a slow path raises gate,
 * then waits for every reader inside, so a fast add either saw the gate
 * raised and stood aside, or finished before the slow path sums; and no
 * slow path can change the count between a fast add's test and its add.
 * Folds move value from a delta to the count and keep the exact value.
 */
static __attribute__((flatten)) bool limited_fast(struct counter *ct, int64_t limit,
						  int64_t amount)
{
	struct cpu_gate_reader *r;
	uint64_t entered;
	int32_t batch;
	bool far;

	/* Closed near the limit: no reader section to enter and leave. */
	if (__atomic_load_n(&ct->gate, __ATOMIC_RELAXED))
		return false;
	r = cpu_gate_reader();
	entered = cpu_gate_enter(r);
	batch = __atomic_load_n(&ct->batch, __ATOMIC_RELAXED);
	far = !__atomic_load_n(&ct->gate, __ATOMIC_RELAXED) &&
		   limited_far(__atomic_load_n(ct->count, __ATOMIC_RELAXED), limit, amount,
			       batch);

	if (far)
		counter_add(ct, amount, batch);
	cpu_gate_exit(r, entered);
	return far;
}

/* Wait for the fast limited adds in flight on every thread. */
static void gate_wait_fast_paths(void)
{
	cpu_gate_sync_fast_paths();
}

/*
 * Near the limit, limited adds change only the shared count, by
 * compare-and-swap, after summing the deltas with the fast path shut: as
 * long as no plain add is in flight the deltas do not move, so every
 * successful swap checked the exact value the counter had at that
 * instant, and concurrent limited adds can never pass the limit together.
 * Slow paths run side by side; the gate is a count of them.  A fork child
 * that inherits a raised gate (a slow path was running in another thread)
 * keeps taking the slow path on that counter, exactly.
 */
static __attribute__((noinline)) bool limited_slow(struct counter *ct, int64_t limit,
						   int64_t amount)
{
	int64_t count;
	bool added = true;

	if (!(__atomic_fetch_add(&ct->gate, 1, __ATOMIC_SEQ_CST) & GATE_CLOSED))
		gate_wait_fast_paths();
	count = __atomic_load_n(ct->count, __ATOMIC_RELAXED);
	do {
		int64_t exact = (int64_t)((uint64_t)count + deltas_sum(ct));

		if (!counter_within_limit(exact, amount, limit)) {
			added = false;
			break;
		}
	} while (!__atomic_compare_exchange_n(ct->count, &count,
					      (int64_t)((uint64_t)count + (uint64_t)amount),
					      false, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	/* Still inside the gate (our count holds it up): close it near the
	 * limit, open it far from it. */
	if (limited_far(count, limit, amount, __atomic_load_n(&ct->batch, __ATOMIC_RELAXED)))
		__atomic_fetch_and(&ct->gate, ~GATE_CLOSED, __ATOMIC_RELAXED);
	else
		__atomic_fetch_or(&ct->gate, GATE_CLOSED, __ATOMIC_RELAXED);
	__atomic_fetch_sub(&ct->gate, 1, __ATOMIC_RELEASE);
	return added;
}

/*
 * Whether the exact value leaves room for amount.  A refusal needs no gate:
 * like a failed swap it only reads, and is exact at the sum.  At a full
 * limit, where most limited adds are refused, this keeps them a sum.  Out
 * of line, like the slow path, to keep the fast path short.
 */
static __attribute__((noinline)) bool limited_fits(const struct counter *ct, int64_t limit,
						   int64_t amount)
{
	uint64_t count = (uint64_t)__atomic_load_n(ct->count, __ATOMIC_RELAXED);

	return counter_within_limit((int64_t)(count + deltas_sum(ct)), amount, limit);
}

bool counter_limited_add(struct counter *ct, int64_t limit, int64_t amount)
{
	return limited_fast(ct, limit, amount) ||
	       (limited_fits(ct, limit, amount) && limited_slow(ct, limit, amount));
}

int64_t counter_read_slack(const struct counter *ct)
{
	return (int64_t)__atomic_load_n(&ct->batch, __ATOMIC_RELAXED) * cpu_nr_units;
}
