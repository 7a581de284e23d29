/* SPDX-License-Identifier: MIT */
/*
 * counter_tree - percpu_counter_tree's backend in the portable library:
 * one shared atomic long, so the approximate sum is exact and the accuracy
 * range is 0.  The count is the struct's __bias, and ->__root points at a
 * constant 0, so the inline approximate sum (*__root + __bias) reads it
 * too; ->__pcpu stays NULL, which sends every inline add here.
 */
#include <pcpu.h>

#include "counter_backend.h"

static long zero;

int tree_backend_init(struct percpu_counter_tree *c, unsigned n, unsigned long batch_size)
{
	(void)batch_size;
	for (unsigned i = 0; i < n; i++)
		c[i] = (struct percpu_counter_tree){.__root = &zero};
	return 0;
}

void tree_backend_destroy(struct percpu_counter_tree *c, unsigned n)
{
	(void)c, (void)n;
}

void tree_backend_add(struct percpu_counter_tree *c, long inc)
{
	/* Atomic adds wrap in two's complement, like the kernel's sums. */
	__atomic_fetch_add(&c->__bias, inc, __ATOMIC_RELAXED);
}

/* Never reached from the inline add here (no leaves); a carry is an add. */
void tree_backend_carry(struct percpu_counter_tree *c, long carry)
{
	tree_backend_add(c, carry);
}

long tree_backend_precise_sum(struct percpu_counter_tree *c)
{
	return __atomic_load_n(&c->__bias, __ATOMIC_RELAXED);
}

void tree_backend_set(struct percpu_counter_tree *c, long v)
{
	__atomic_store_n(&c->__bias, v, __ATOMIC_RELAXED);
}

unsigned long tree_backend_under(struct percpu_counter_tree *c)
{
	(void)c;
	return 0;
}
