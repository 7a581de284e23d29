/* SPDX-License-Identifier: MIT */
/*
 * counter - percpu_counter in libpcpu.so: the kernel's scheme.
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
 */
#include <errno.h>
#include <pcpu.h>
#include <stddef.h>
#include <stdlib.h>

#include "abi.h"
#include "arena.h"
#include "counter_rules.h"
#include "counter_slots.h"
#include "cpu.h"
#include "diag.h"
#include "runtime.h"

/* A cache line: the unit the counts are aligned and padded to. */
#define COUNTER_LINE 64

/* The layout of struct percpu_counter (pcpu.h), which the inline add and
 * read use too. */
struct counter {
	int64_t *deltas; /* per-CPU */
	int64_t *count;  /* in a block of the group's counts, own cache lines */
	int32_t batch;   /* the largest batch an add has used */
	uint32_t magic;
	uint32_t group; /* counter_group() */
};
ABI_FIELD_AT(struct counter, deltas, struct percpu_counter, __pcpu);
ABI_FIELD_AT(struct counter, count, struct percpu_counter, __count);
ABI_FIELD_AT(struct counter, batch, struct percpu_counter, __batch);
ABI_FIELD_AT(struct counter, magic, struct percpu_counter, __magic);
_Static_assert(sizeof(struct counter) <= sizeof(struct percpu_counter),
	       "struct counter outgrew the ABI");

static struct counter *counter_of(struct percpu_counter *c, const char *fn)
{
	struct counter *ct = (struct counter *)c;

	diag_check(c ? ct->magic : 0, DIAG_MAGIC_COUNTER, fn, c, "percpu_counter");
	return ct;
}

static uint64_t deltas_sum(const struct counter *ct)
{
	uint64_t sum = 0;

	for (int cpu = 0; cpu < cpu_nr_units; cpu++)
		sum += (uint64_t)__atomic_load_n((int64_t *)arena_ptr(ct->deltas, cpu),
						 __ATOMIC_RELAXED);
	return sum;
}

int percpu_counter_init(struct percpu_counter *c, int64_t value)
{
	return percpu_counter_init_many(c, value, 1);
}

int percpu_counter_init_many(struct percpu_counter *c, int64_t value, unsigned n)
{
	int64_t *counts;
	int err;

	if (n == 0)
		return -EINVAL;
	err = runtime_try_init();
	if (err)
		return err;
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
		struct counter *ct = (struct counter *)&c[i];

		counts[i] = value;
		ct->count = &counts[i];
		ct->batch = percpu_counter_batch();
		ct->group = counter_group(i, n);
		ct->magic = DIAG_MAGIC_COUNTER;
	}
	return 0;
}

void percpu_counter_destroy(struct percpu_counter *c)
{
	percpu_counter_destroy_many(c, 1);
}

void percpu_counter_destroy_many(struct percpu_counter *c, unsigned n)
{
	const char *fn = n == 1 ? "percpu_counter_destroy" : "percpu_counter_destroy_many";

	if (n == 0)
		return;
	for (unsigned i = 0; i < n; i++)
		counter_check_group(fn, &c[i], counter_of(&c[i], fn)->group, i, n);
	counter_slots_free(c, sizeof(*c), offsetof(struct counter, deltas), n,
			   sizeof(int64_t));
	free(((struct counter *)c)->count);
	/* Cleared pointers send the inline paths to calls that report misuse. */
	for (unsigned i = 0; i < n; i++)
		*(struct counter *)&c[i] = (struct counter){ 0 };
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

void percpu_counter_add_batch(struct percpu_counter *c, int64_t amount,
			      int32_t batch)
{
	struct counter *ct = counter_of(c, "percpu_counter_add_batch");
	int64_t fold = amount;

	/* Record the batch before adding with it: read()'s bound, and the
	 * fast decisions of compare and limited_add, rest on it. */
	counter_note_batch(ct, batch);
	if (__builtin_expect(batch > 0, 1))
		fold = cpu_this_add_take64(ct->deltas, amount, batch);
	if (__builtin_expect(fold != 0, 0))
		__atomic_fetch_add(ct->count, fold, __ATOMIC_RELAXED);
}

int64_t percpu_counter_read(struct percpu_counter *c)
{
	return __atomic_load_n(counter_of(c, "percpu_counter_read")->count,
			       __ATOMIC_RELAXED);
}

int64_t percpu_counter_sum(struct percpu_counter *c)
{
	struct counter *ct = counter_of(c, "percpu_counter_sum");
	uint64_t count = (uint64_t)__atomic_load_n(ct->count, __ATOMIC_RELAXED);

	return (int64_t)(count + deltas_sum(ct));
}

void percpu_counter_set(struct percpu_counter *c, int64_t value)
{
	struct counter *ct = counter_of(c, "percpu_counter_set");

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

bool percpu_counter_initialized(struct percpu_counter *c)
{
	return ((struct counter *)c)->magic == DIAG_MAGIC_COUNTER;
}

/*
 * Limited adds change only the shared count, by compare-and-swap, after
 * summing the deltas: as long as no plain add is in flight the deltas do
 * not move, so every successful swap checked the exact value the counter
 * had at that instant, and concurrent limited adds can never pass the
 * limit together.  There is no fast path that skips the sum: it would need
 * a bound on the deltas, and add_batch() lets every add pick its own batch.
 */
bool percpu_counter_limited_add(struct percpu_counter *c, int64_t limit,
				int64_t amount)
{
	struct counter *ct = counter_of(c, "percpu_counter_limited_add");
	int64_t count = __atomic_load_n(ct->count, __ATOMIC_RELAXED);

	if (amount == 0)
		return true;
	do {
		int64_t exact = (int64_t)((uint64_t)count + deltas_sum(ct));

		if (!counter_within_limit(exact, amount, limit))
			return false;
	} while (!__atomic_compare_exchange_n(ct->count, &count,
					      (int64_t)((uint64_t)count + (uint64_t)amount),
					      false, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return true;
}
