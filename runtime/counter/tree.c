/* SPDX-License-Identifier: MIT */
/*
 * counter_tree - percpu_counter_tree in libpcpu.so.
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
#include <errno.h>
#include <pcpu.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>

#include "abi.h"
#include "arena/arena.h"
#include "counter/slots.h"
#include "cpu/cpu.h"
#include "counter_rules.h"
#include "diag.h"
#include "runtime.h"
#include "counter/tree_items.h"
#include "counter/tree_shape.h"

_Static_assert(sizeof(long) == sizeof(int64_t), "items and sums are 64-bit");

/* The layout of struct percpu_counter_tree (pcpu.h), which the inline add
 * and approximate sum use too. */
struct tree {
	uint32_t *level0; /* per-CPU leaves */
	long *root;
	long bias;
	uint32_t magic;
	uint8_t group;       /* counter_group() */
	uint8_t batch_shift; /* the batch asked for is 2^batch_shift */
	uint8_t leaf_shift;  /* the leaves carry at 2^leaf_shift (tree_leaf_shift) */
	uint8_t reserved;
	char *items; /* position k at items + k * stride */
	size_t stride;
};
ABI_FIELD_AT(struct tree, level0, struct percpu_counter_tree, __pcpu);
ABI_FIELD_AT(struct tree, root, struct percpu_counter_tree, __root);
ABI_FIELD_AT(struct tree, bias, struct percpu_counter_tree, __bias);
ABI_FIELD_AT(struct tree, magic, struct percpu_counter_tree, __magic);
ABI_FIELD_AT(struct tree, leaf_shift, struct percpu_counter_tree, __leaf_shift);
_Static_assert(sizeof(struct tree) <= sizeof(struct percpu_counter_tree),
	       "struct tree outgrew the ABI");

static struct tree_shape shape;
static unsigned long under_of_shift[64];
static pthread_once_t shape_once = PTHREAD_ONCE_INIT;

static void shape_setup(void)
{
	tree_shape_init(&shape, (unsigned)cpu_nr_units);
	for (unsigned b = 0; b < 64; b++)
		under_of_shift[b] = tree_under(&shape, b);
}

static struct tree *tree_of(struct percpu_counter_tree *c, const char *fn)
{
	struct tree *t = (struct tree *)c;

	diag_check(c ? t->magic : 0, DIAG_MAGIC_TREE, fn, c, "percpu_counter_tree");
	return t;
}

/* The exact sum of the adds, bias aside (tree_items_total()). */
static unsigned long tree_total(const struct tree *t)
{
	uint32_t mask = (UINT32_C(1) << t->leaf_shift) - 1;
	unsigned long sum = tree_items_total(&shape, t->items, t->stride, t->batch_shift);

	for (int cpu = 0; cpu < cpu_nr_units; cpu++)
		sum += __atomic_load_n((uint32_t *)arena_ptr(t->level0, cpu),
				       __ATOMIC_RELAXED) & mask;
	return sum;
}

int percpu_counter_tree_init(struct percpu_counter_tree *c,
			     unsigned long batch_size)
{
	return percpu_counter_tree_init_many(c, 1, batch_size);
}

int percpu_counter_tree_init_many(struct percpu_counter_tree *c, unsigned n,
				  unsigned long batch_size)
{
	size_t stride;
	char *items;
	int err;

	if (!counter_tree_args_valid(n, batch_size))
		return -EINVAL;
	err = runtime_try_init();
	if (err)
		return err;
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
		struct tree *t = (struct tree *)&c[i];

		t->group = (uint8_t)counter_group(i, n);
		t->batch_shift = (uint8_t)__builtin_ctzl(batch_size);
		t->leaf_shift = (uint8_t)tree_leaf_shift(t->batch_shift);
		t->items = items + i * sizeof(long);
		t->stride = stride;
		t->root = (long *)(t->items + (shape.nr_items - 1) * stride);
		t->bias = 0;
		t->magic = DIAG_MAGIC_TREE;
	}
	return 0;
}

void percpu_counter_tree_destroy(struct percpu_counter_tree *c)
{
	percpu_counter_tree_destroy_many(c, 1);
}

void percpu_counter_tree_destroy_many(struct percpu_counter_tree *c, unsigned n)
{
	const char *fn = n == 1 ? "percpu_counter_tree_destroy" :
				  "percpu_counter_tree_destroy_many";

	if (n == 0)
		return;
	for (unsigned i = 0; i < n; i++)
		counter_check_group(fn, &c[i], tree_of(&c[i], fn)->group, i, n);
	counter_slots_free(c, sizeof(*c), offsetof(struct tree, level0), n,
			   sizeof(uint32_t));
	tree_items_free(((struct tree *)c)->items, n, shape.nr_items);
	/* Cleared pointers send the inline paths to calls that report misuse. */
	for (unsigned i = 0; i < n; i++)
		*(struct tree *)&c[i] = (struct tree){ 0 };
}

/* Which CPU's path the carry takes only spreads the traffic: any leaf's
 * parent keeps the sums right (tree_shape), so a thread that moved since
 * its add costs nothing but locality. */
static void __attribute__((noinline)) tree_add_carry(struct tree *t, long carry)
{
	int cpu = sched_getcpu();
	unsigned leaf = cpu < 0 ? 0 : (unsigned)cpu % shape.nr_leaves;

	tree_propagate(&shape, t->items, t->stride, leaf, t->batch_shift, carry);
}

void percpu_counter_tree_add(struct percpu_counter_tree *c, long inc)
{
	struct tree *t = tree_of(c, "percpu_counter_tree_add");
	uint32_t res;
	long carry;

	if (__builtin_expect(pcpu_abi_tree_to_root(inc, t->leaf_shift), 0)) {
		__atomic_fetch_add(t->root, inc, __ATOMIC_RELAXED);
		return;
	}
	res = cpu_this_add_return32(t->level0, (uint32_t)inc);
	carry = pcpu_abi_tree_leaf_carry(res, (unsigned long)inc, t->leaf_shift);
	if (__builtin_expect(carry != 0, 0))
		tree_add_carry(t, carry);
}

void pcpu_abi_tree_carry(struct percpu_counter_tree *c, long carry)
{
	tree_add_carry(tree_of(c, "percpu_counter_tree_add"), carry);
}

long percpu_counter_tree_approximate_sum(struct percpu_counter_tree *c)
{
	struct tree *t = tree_of(c, "percpu_counter_tree_approximate_sum");

	return (long)((unsigned long)__atomic_load_n(t->root, __ATOMIC_RELAXED) +
		      (unsigned long)__atomic_load_n(&t->bias, __ATOMIC_RELAXED));
}

long percpu_counter_tree_precise_sum(struct percpu_counter_tree *c)
{
	struct tree *t = tree_of(c, "percpu_counter_tree_precise_sum");

	return (long)(tree_total(t) +
		      (unsigned long)__atomic_load_n(&t->bias, __ATOMIC_RELAXED));
}

void percpu_counter_tree_set(struct percpu_counter_tree *c, long v)
{
	struct tree *t = tree_of(c, "percpu_counter_tree_set");

	__atomic_store_n(&t->bias, (long)((unsigned long)v - tree_total(t)),
			 __ATOMIC_RELAXED);
}

void percpu_counter_tree_approximate_accuracy_range(struct percpu_counter_tree *c,
						    unsigned long *under,
						    unsigned long *over)
{
	struct tree *t = tree_of(c, "percpu_counter_tree_approximate_accuracy_range");

	/* The root never exceeds the precise sum: over is 0 (tree_shape). */
	if (under)
		*under = under_of_shift[t->batch_shift];
	if (over)
		*over = 0;
}
