/* SPDX-License-Identifier: MIT */
/*
 * tree_items - where the shared items of percpu_counter_trees live.
 *
 * Items are laid out by tree position, not by counter: a slab holds the
 * items of up to nr_slots counters (a multiple of 8) as one block per
 * position, each block 64-byte aligned and holding that position of every
 * counter of the slab, 8 bytes each.  So items of different counters at
 * the same position share cache lines (they are written by the same group
 * of CPUs), different positions never do, and an item costs 8 bytes, not a
 * line.  Counter i of a slab has position k at base + 8 * i + k * stride.
 *
 * Counters made one at a time share slabs of 8 slots from a pool; an
 * init_many of n counters gets a slab of its own.  Every item of a slot
 * handed out is zero.
 */
#ifndef PCPU_TREE_ITEMS_H
#define PCPU_TREE_ITEMS_H

#include <stddef.h>

/* Items for n counters of nr_items positions each: returns counter 0's
 * base and sets *stride, or NULL with errno set. */
char *tree_items_alloc(unsigned n, unsigned nr_items, size_t *stride);

/* Give back what one tree_items_alloc(n, nr_items, ...) returned. */
void tree_items_free(char *base, unsigned n, unsigned nr_items);

#endif
