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

#pragma GCC visibility push(hidden)

struct counter {
	int64_t *deltas; /* per-CPU */
	int64_t *count;	 /* in a block of the group's counts, own cache lines */
	int32_t batch;	 /* the largest batch an add has used */
	uint32_t front_magic, front_group, front_reserved;
	uint32_t gate; /* limited adds summing now, and GATE_CLOSED */
	int lock;      /* the limited adds' slow paths take turns */
	int64_t front_self;
};

/* Set up c[0..n) at value with default batch batch; 0, or -ENOMEM with
 * nothing allocated. */
int counter_init_many(struct counter *c, int64_t value, unsigned n, int32_t batch);
/* Free what counter_init_many() gave c[0..n). */
void counter_destroy_many(struct counter *c, unsigned n);
void counter_add_batch(struct counter *ct, int64_t amount, int32_t batch);
int64_t counter_sum(const struct counter *ct);
/* Set the exact value, emptying the deltas (read() gives value too). */
void counter_set(struct counter *ct, int64_t value);
/* Add amount != 0 unless the exact value would pass limit; exact. */
bool counter_limited_add(struct counter *ct, int64_t limit, int64_t amount);
/* The bound of |count - exact|: the largest batch used times the units. */
int64_t counter_read_slack(const struct counter *ct);

#pragma GCC visibility pop

#endif
