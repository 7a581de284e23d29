/* SPDX-License-Identifier: MIT */
/*
 * tree - the engine's tree counter (tree.c explains the scheme).
 *
 * A struct tree is the caller's memory, laid out and indexed like the
 * public struct whose storage it is (the shim checks that the layouts
 * agree); the inline code of <pcpu.h> reads level0, root, bias and
 * leaf_shift directly.  The words marked "front" belong to whoever checks
 * identity above the engine; the engine neither reads nor writes them.
 * Callers pass live trees only, n >= 1, and a power-of-two batch >= 2.
 */
#ifndef PCPU_RUNTIME_TREE_H
#define PCPU_RUNTIME_TREE_H

#include <pcpu.h> /* the this-CPU primitives of <pcpu/abi.h> */
#include <stddef.h>
#include <stdint.h>

#include "cpu/cpu.h"

#pragma GCC visibility push(hidden)

struct tree {
	uint32_t *level0; /* per-CPU leaves */
	long *root;
	long bias;
	uint32_t front_magic;
	uint8_t front_group;
	uint8_t batch_shift; /* the batch asked for is 2^batch_shift */
	uint8_t leaf_shift;  /* the leaves carry at 2^leaf_shift (tree_leaf_shift) */
	uint8_t reserved;
	char *items; /* position k at items + k * stride */
	size_t stride;
};

/* Set up c[0..n) at 0; 0, or -ENOMEM with nothing allocated. */
int tree_counter_init_many(struct tree *c, unsigned n, unsigned long batch_size);
/* Free what tree_counter_init_many() gave c[0..n). */
void tree_counter_destroy_many(struct tree *c, unsigned n);
/* Take a leaf's carry up the calling CPU's path to the root. */
void tree_counter_carry(struct tree *t, long carry);
long tree_counter_precise_sum(const struct tree *t);
/* Set the precise sum to v, leaves untouched (the bias absorbs it). */
void tree_counter_set(struct tree *t, long v);
/* How far root + bias may be below the precise sum. */
unsigned long tree_counter_under(const struct tree *t);

/* Add inc: to the calling CPU's leaf, carrying up only when it crosses a
 * multiple of the leaf's range; an inc that alone reaches it goes to the
 * root.  Inline here, so that the shim's entry point is the whole add. */
static inline void tree_counter_add(struct tree *t, long inc)
{
	uint32_t res;
	long carry;

	if (__builtin_expect(pcpu_abi_tree_to_root(inc, t->leaf_shift), 0)) {
		__atomic_fetch_add(t->root, inc, __ATOMIC_RELAXED);
		return;
	}
	res = cpu_this_add_return32(t->level0, (uint32_t)inc);
	carry = pcpu_abi_tree_leaf_carry(res, (unsigned long)inc, t->leaf_shift);
	if (__builtin_expect(carry != 0, 0))
		tree_counter_carry(t, carry);
}

#pragma GCC visibility pop

#endif
