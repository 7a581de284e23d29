/* SPDX-License-Identifier: MIT */
/*
 * tree - the engine's tree counter (shim/preload/counter_tree.c puts it
 * under the percpu_counter_tree API).
 *
 * Each counter has a per-CPU 32-bit leaf (counter_slots) and one long item
 * per position of the process-wide tree shape (tree_items); tree_shape
 * owns the carry arithmetic and the accuracy range it implies.  An add
 * goes to the calling CPU's leaf; only when it crosses a multiple of the
 * batch does the carry climb the items to the root.  A leaf is 4 bytes
 * because it only has to hold its residual (less than the batch): what it
 * carried is in the items, so the leaves cost half of a long per CPU.
 *
 * The sums carry a bias so that set() is exact without touching other
 * CPUs' leaves: precise = bias + root + every residual below it,
 * approximate = bias + root.  set() changes the bias only, so the
 * residuals, and with them the accuracy range, hold across it.
 */
#include "counter/tree.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>

#include "arena/arena.h"
#include "counter/slots.h"
#include "counter/tree_items.h"
#include "counter/tree_shape.h"
#include "cpu/cpu.h"

_Static_assert(sizeof(long) == sizeof(int64_t), "items and sums are 64-bit");

static struct tree_shape shape;
static unsigned long under_of_shift[64];
static pthread_once_t shape_once = PTHREAD_ONCE_INIT;

static void shape_setup(void)
{
	tree_shape_init(&shape, (unsigned)cpu_nr_units);
	for (unsigned b = 0; b < 64; b++)
		under_of_shift[b] = tree_under(&shape, b);
}

/* The exact sum of the adds, bias aside (tree_items_total()). */
static unsigned long tree_total(const struct tree *t)
{
	uint32_t mask = (UINT32_C(1) << t->leaf_shift) - 1;
	unsigned long sum = tree_items_total(&shape, t->items, t->stride, t->batch_shift);

	for (int cpu = 0; cpu < cpu_nr_units; cpu++)
		sum += __atomic_load_n((uint32_t *)arena_ptr(t->level0, cpu),
				       __ATOMIC_RELAXED) &
		       mask;
	return sum;
}

int tree_counter_init_many(struct tree *c, unsigned n, unsigned long batch_size)
{
	size_t stride;
	char *items;
	int err;

	pthread_once(&shape_once, shape_setup);
	err = counter_slots_alloc(c, sizeof(*c), offsetof(struct tree, level0), n,
				  sizeof(uint32_t));
	if (err)
		return err;
	items = tree_items_alloc(n, shape.nr_items, &stride);
	if (!items) {
		counter_slots_free(c, sizeof(*c), offsetof(struct tree, level0), n,
				   sizeof(uint32_t));
		return -ENOMEM;
	}
	for (unsigned i = 0; i < n; i++) {
		struct tree *t = &c[i];

		t->batch_shift = (uint8_t)__builtin_ctzl(batch_size);
		t->leaf_shift = (uint8_t)tree_leaf_shift(t->batch_shift);
		t->items = items + i * sizeof(long);
		t->stride = stride;
		t->root = (long *)(t->items + (shape.nr_items - 1) * stride);
		t->bias = 0;
	}
	return 0;
}

void tree_counter_destroy_many(struct tree *c, unsigned n)
{
	counter_slots_free(c, sizeof(*c), offsetof(struct tree, level0), n,
			   sizeof(uint32_t));
	tree_items_free(c->items, n, shape.nr_items);
}

/* Which CPU's path the carry takes only spreads the traffic: any leaf's
 * parent keeps the sums right (tree_shape), so a thread that moved since
 * its add costs nothing but locality. */
__attribute__((noinline)) void tree_counter_carry(struct tree *t, long carry)
{
	int cpu = sched_getcpu();
	unsigned leaf = cpu < 0 ? 0 : (unsigned)cpu % shape.nr_leaves;

	tree_propagate(&shape, t->items, t->stride, leaf, t->batch_shift, carry);
}

long tree_counter_precise_sum(const struct tree *t)
{
	return (long)(tree_total(t) +
		      (unsigned long)__atomic_load_n(&t->bias, __ATOMIC_RELAXED));
}

void tree_counter_set(struct tree *t, long v)
{
	__atomic_store_n(&t->bias, (long)((unsigned long)v - tree_total(t)),
			 __ATOMIC_RELAXED);
}

/* The root never exceeds the precise sum: nothing above it (tree_shape). */
unsigned long tree_counter_under(const struct tree *t)
{
	return under_of_shift[t->batch_shift];
}
