/* SPDX-License-Identifier: MIT */
/*
 * counter_backend - what each library provides under the percpu_counter
 * and percpu_counter_tree APIs, which shim/common/counter.c and
 * shim/common/counter_tree.c implement once for both.
 *
 * The front checks every argument and the counter's identity (magic, the
 * init group, the struct init made) before it calls a backend, and stamps
 * that identity after counter_backend_init() succeeds and clears the
 * structs after counter_backend_destroy(): a backend never sees a
 * counter that is not live, nor n == 0, nor amount == 0 in limited_add.
 * It keeps the count where ->__count points (read() is a load there, inline
 * too) and may use every other field but __magic, __group and __private.
 *
 * The same holds for trees, whose identity is __magic and __group; a tree
 * backend keeps the approximate sum at *__root + __bias.
 */
#ifndef PCPU_COUNTER_BACKEND_H
#define PCPU_COUNTER_BACKEND_H

#include <pcpu.h>
#include <stdbool.h>
#include <stdint.h>

#pragma GCC visibility push(hidden)

/* Set up c[0..n) at value; 0 or -errno with nothing allocated. */
int counter_backend_init(struct percpu_counter *c, int64_t value, unsigned n);
/* Free what counter_backend_init() gave c[0..n). */
void counter_backend_destroy(struct percpu_counter *c, unsigned n);
void counter_backend_add(struct percpu_counter *c, int64_t amount, int32_t batch);
/* The exact value. */
int64_t counter_backend_sum(struct percpu_counter *c);
void counter_backend_set(struct percpu_counter *c, int64_t value);
/* Add amount unless the exact value would pass limit (counter_within_limit). */
bool counter_backend_limited_add(struct percpu_counter *c, int64_t limit, int64_t amount);
/* How far read() may be from the exact value: the largest batch the adds
 * used times the copies; 0 where read() is exact. */
int64_t counter_backend_read_slack(struct percpu_counter *c);

/* Set up c[0..n) at 0 (batch_size a power of two >= 2); 0 or -errno with
 * nothing allocated. */
int tree_backend_init(struct percpu_counter_tree *c, unsigned n,
		      unsigned long batch_size);
void tree_backend_destroy(struct percpu_counter_tree *c, unsigned n);
void tree_backend_add(struct percpu_counter_tree *c, long inc);
/* A leaf's carry (pcpu_abi_tree_carry()), on its way to the root. */
void tree_backend_carry(struct percpu_counter_tree *c, long carry);
long tree_backend_precise_sum(struct percpu_counter_tree *c);
void tree_backend_set(struct percpu_counter_tree *c, long v);
/* How far the approximate sum may be below the precise one (it is never
 * above it). */
unsigned long tree_backend_under(struct percpu_counter_tree *c);

#pragma GCC visibility pop

#endif
