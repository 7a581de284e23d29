/* SPDX-License-Identifier: MIT */
/*
 * counter_tree - percpu_counter_tree's backend in libpcpu.so: the engine's
 * tree counter (runtime/counter/tree.h), whose struct is the storage of
 * the public one.  The runtime sets itself up on the first init.
 */
#include <pcpu.h>

#include "abi.h"
#include "counter/tree.h"
#include "counter_backend.h"
#include "runtime.h"

ABI_FIELD_AT(struct tree, level0, struct percpu_counter_tree, __pcpu);
ABI_FIELD_AT(struct tree, root, struct percpu_counter_tree, __root);
ABI_FIELD_AT(struct tree, bias, struct percpu_counter_tree, __bias);
ABI_FIELD_AT(struct tree, front_magic, struct percpu_counter_tree, __magic);
ABI_FIELD_AT(struct tree, front_group, struct percpu_counter_tree, __group);
ABI_FIELD_AT(struct tree, leaf_shift, struct percpu_counter_tree, __leaf_shift);
_Static_assert(sizeof(struct tree) == sizeof(struct percpu_counter_tree),
	       "struct tree must be laid out as struct percpu_counter_tree");

static struct tree *engine(struct percpu_counter_tree *c)
{
	return (struct tree *)c;
}

int tree_backend_init(struct percpu_counter_tree *c, unsigned n, unsigned long batch_size)
{
	int err = runtime_try_init();

	return err ? err : tree_counter_init_many(engine(c), n, batch_size);
}

void tree_backend_destroy(struct percpu_counter_tree *c, unsigned n)
{
	tree_counter_destroy_many(engine(c), n);
}

void tree_backend_add(struct percpu_counter_tree *c, long inc)
{
	tree_counter_add(engine(c), inc);
}

void tree_backend_carry(struct percpu_counter_tree *c, long carry)
{
	tree_counter_carry(engine(c), carry);
}

long tree_backend_precise_sum(struct percpu_counter_tree *c)
{
	return tree_counter_precise_sum(engine(c));
}

void tree_backend_set(struct percpu_counter_tree *c, long v)
{
	tree_counter_set(engine(c), v);
}

unsigned long tree_backend_under(struct percpu_counter_tree *c)
{
	return tree_counter_under(engine(c));
}
