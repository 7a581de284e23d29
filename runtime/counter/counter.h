/* SPDX-License-Identifier: MIT */
/*
 * counter - the engine's batch counter (counter.c explains the scheme).
 *
 * A struct counter is the caller's memory: arrays of them are laid out and
 * indexed like the public struct whose storage they are (the shim checks
 * that the layouts agree), and the inline code of <pcpu.h> reads deltas,
 * count and batch directly.  The words marked "front" belong to whoever
 * checks identity above the engine; the engine neither reads nor writes
 * them.  Callers pass live counters only, and n >= 1.
 */
#ifndef PCPU_RUNTIME_COUNTER_H
#define PCPU_RUNTIME_COUNTER_H

#include <pcpu.h> /* the this-CPU primitives of <pcpu/abi.h> */
#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"

#pragma GCC visibility push(hidden)

struct counter {
	int64_t *deltas; /* per-CPU */
	int64_t *count;	 /* in a block of the group's counts, own cache lines */
	int32_t batch;	 /* the largest batch an add has used */
	uint32_t front_magic, front_group;
	uint32_t far;  /* pcpu/abi.h's far word: batch - 1, or 0 (counter.c) */
	uint32_t gate; /* limited adds summing now, and GATE_CLOSED */
	int lock;      /* the limited adds' slow paths take turns */
	int64_t front_self;
};

/* Set up c[0..n) at value with default batch batch; 0, or -ENOMEM with
 * nothing allocated. */
int counter_init_many(struct counter *c, int64_t value, unsigned n, int32_t batch);
/* Free what counter_init_many() gave c[0..n). */
void counter_destroy_many(struct counter *c, unsigned n);
int64_t counter_sum(const struct counter *ct);
/* Set the exact value, emptying the deltas (read() gives value too). */
void counter_set(struct counter *ct, int64_t value);
/* Add amount != 0 unless the exact value would pass limit; exact. */
bool counter_limited_add(struct counter *ct, int64_t limit, int64_t amount);
/* The bound of |count - exact|: the largest batch used times the units. */
int64_t counter_read_slack(const struct counter *ct);
/* Record batch as the largest any add used, if it is (out of line: rare). */
void counter_record_batch(struct counter *ct, int32_t batch);

/*
 * Add amount with batch.  Inline here, so that the shim's entry point is
 * the whole add, not a call more on every one.  The batch is recorded
 * first (->batch, the largest any add used: read()'s bound and the fast
 * decisions of compare and limited_add rest on it; an add with a larger
 * one leaves the inline path of <pcpu.h> for this); an amount that alone
 * leaves the batch goes to the count directly (it would fold at once).
 */
static inline void counter_add_batch(struct counter *ct, int64_t amount, int32_t batch)
{
	int64_t fold = amount;

	if (__builtin_expect(batch > __atomic_load_n(&ct->batch, __ATOMIC_RELAXED), 0))
		counter_record_batch(ct, batch);
	if (__builtin_expect(batch > 0 && pcpu_abi_within(amount, (uint64_t)batch - 1),
			     1))
		fold = cpu_this_add_take64(ct->deltas, amount, batch);
	if (__builtin_expect(fold != 0, 0))
		__atomic_fetch_add(ct->count, fold, __ATOMIC_RELAXED);
}

#pragma GCC visibility pop

#endif
