/* SPDX-License-Identifier: MIT */
/*
 * tree_shape - the shape of every percpu_counter_tree in the process, the
 * carry arithmetic on it, and the accuracy range it implies.
 *
 * The leaves are the nr_leaves per-CPU level-0 counters.  Above them are
 * nr_levels levels of shared items; level nr_levels is the root alone.
 * Every item below the root has fanout children (8 or 16, a power of two),
 * the root takes whatever is left (at most fanout, fewer when the leaf
 * count is not a power of the fan-out; up to 16 leaves hang from the root
 * directly).  Items are numbered by position, level by level from level 1
 * up, so the root is position nr_items - 1; the item of level j above leaf
 * c is level_start[j] + c / fanout^j.
 *
 * Carries.  A node at level j (leaves are level 0) passes up the change of
 * its value rounded down to a multiple of its batch, B_j = B << (j *
 * log2(fanout)) (capped at 2^63), with values taken modulo 2^64.  So what a
 * node keeps back, its residual x & (B_j - 1), is never negative, whatever
 * the signs of the adds, and which parent received a carry does not matter:
 * the root plus every residual below it is the sum of the leaves.  Hence
 *     approximate <= precise <= approximate + under,   over = 0,
 * with under = nr_leaves * (B - 1) + sum over levels 1 <= j < nr_levels of
 * items(j) * (B_j - B_(j-1)), since everything an item at level j receives
 * is a multiple of B_(j-1).  The bound is reached (every residual at its
 * largest), so it is tight.
 */
#ifndef PCPU_TREE_SHAPE_H
#define PCPU_TREE_SHAPE_H

#include <stddef.h>
#include <stdint.h>

#define TREE_MAX_LEVELS 8 /* 16^8 leaves, beyond CONFIG_MAX_CPUS */

struct tree_shape {
	unsigned nr_leaves;
	unsigned nr_levels;    /* item levels, the root's included (>= 1) */
	unsigned fanout_shift; /* log2 of the fan-out below the root */
	unsigned nr_items;     /* positions, the root last */
	unsigned level_start[TREE_MAX_LEVELS + 1]; /* first position of level j */
	unsigned level_items[TREE_MAX_LEVELS + 1]; /* items at level j */
};

/* The shape for nr_leaves >= 1 leaves. */
void tree_shape_init(struct tree_shape *s, unsigned nr_leaves);

/* Change of x rounded down to a multiple of 2^shift, when adding inc made
 * x res: what a node passes to its parent.  Unsigned, so values wrap. */
static inline long tree_carry(unsigned long res, unsigned long inc, unsigned shift)
{
	unsigned long mask = ~0UL << shift;

	return (long)((res & mask) - ((res - inc) & mask));
}

/*
 * Leaves are 32-bit (half the memory of a long per CPU), which holds their
 * residual only for a batch up to 2^31.  A larger batch is served with
 * leaves that carry at 2^31: they keep back less than the batch asked, so
 * the range tree_under() gives for it still bounds the error (it is then
 * no longer reached), and the items above keep the requested batches.
 */
#define TREE_LEAF_MAX_SHIFT 31

static inline unsigned tree_leaf_shift(unsigned batch_shift)
{
	return batch_shift < TREE_LEAF_MAX_SHIFT ? batch_shift : TREE_LEAF_MAX_SHIFT;
}

/* What a leaf passes up when an add made its 32-bit value res is
 * pcpu_abi_tree_leaf_carry() of <pcpu/abi.h>: the inline add computes it
 * too. */

/* log2 of the batch of level j for a leaf batch of 2^batch_shift. */
static inline unsigned tree_level_shift(const struct tree_shape *s, unsigned batch_shift,
					unsigned level)
{
	unsigned shift = batch_shift + level * s->fanout_shift;

	return shift < 63 ? shift : 63;
}

/*
 * Carry a leaf's carry up from leaf, through the items, to the root:
 * position k of the counter is the long at items + k * stride bytes.
 * Atomic, so any number of threads may propagate into one tree at once.
 */
void tree_propagate(const struct tree_shape *s, char *items, size_t stride, unsigned leaf,
		    unsigned batch_shift, long carry);

/*
 * The root plus what every item below it keeps back: with the leaves'
 * residuals, the exact sum of the adds (every carry a node passed up is in
 * its parent, and the root passes nothing on).
 */
unsigned long tree_items_total(const struct tree_shape *s, const char *items,
			       size_t stride, unsigned batch_shift);

/* under for a leaf batch of 2^batch_shift (over is always 0), saturated
 * at ULONG_MAX. */
unsigned long tree_under(const struct tree_shape *s, unsigned batch_shift);

#endif
