/* SPDX-License-Identifier: MIT */
/* percpu_counter_tree in the portable library: one shared atomic long, so
 * the approximate sum is exact and the accuracy range is 0.  ->__root
 * points at it, so the inline approximate sum reads it too; ->__pcpu stays
 * NULL, which sends every inline add here. */
#include <errno.h>
#include <pcpu.h>
#include <stddef.h>

#include "counter_rules.h"
#include "diag.h"

struct tree {
	uint32_t *leaves; /* NULL: no per-CPU leaves */
	long *root;       /* &count */
	long bias;        /* 0 */
	uint32_t magic;
	uint32_t reserved;
	long count;
};
_Static_assert(offsetof(struct tree, root) == offsetof(struct percpu_counter_tree, __root) &&
		   offsetof(struct tree, bias) ==
		       offsetof(struct percpu_counter_tree, __bias) &&
		   offsetof(struct tree, magic) ==
		       offsetof(struct percpu_counter_tree, __magic),
	       "struct tree is not laid out as pcpu.h says");
_Static_assert(sizeof(struct tree) <= sizeof(struct percpu_counter_tree),
	       "struct tree outgrew the ABI");

static struct tree *tree_of(struct percpu_counter_tree *c, const char *fn)
{
	struct tree *t = (struct tree *)c;

	diag_check(t->magic, DIAG_MAGIC_TREE, fn, c, "percpu_counter_tree");
	return t;
}

int percpu_counter_tree_init(struct percpu_counter_tree *c,
			     unsigned long batch_size)
{
	return percpu_counter_tree_init_many(c, 1, batch_size);
}

int percpu_counter_tree_init_many(struct percpu_counter_tree *c, unsigned n,
				  unsigned long batch_size)
{
	if (!counter_tree_args_valid(n, batch_size))
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		struct tree *t = (struct tree *)&c[i];

		*t = (struct tree){ .magic = DIAG_MAGIC_TREE };
		t->root = &t->count;
	}
	return 0;
}

void percpu_counter_tree_destroy(struct percpu_counter_tree *c)
{
	*tree_of(c, "percpu_counter_tree_destroy") = (struct tree){ 0 };
}

void percpu_counter_tree_destroy_many(struct percpu_counter_tree *c, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		*tree_of(&c[i], "percpu_counter_tree_destroy_many") = (struct tree){ 0 };
}

void percpu_counter_tree_add(struct percpu_counter_tree *c, long inc)
{
	/* Atomic adds wrap in two's complement, like the kernel's sums. */
	__atomic_fetch_add(&tree_of(c, "percpu_counter_tree_add")->count, inc,
			   __ATOMIC_RELAXED);
}

/* Never reached from the inline add here (no leaves); a carry is an add. */
void pcpu_abi_tree_carry(struct percpu_counter_tree *c, long carry)
{
	__atomic_fetch_add(&tree_of(c, "percpu_counter_tree_add")->count, carry,
			   __ATOMIC_RELAXED);
}

long percpu_counter_tree_approximate_sum(struct percpu_counter_tree *c)
{
	return __atomic_load_n(
		&tree_of(c, "percpu_counter_tree_approximate_sum")->count,
		__ATOMIC_RELAXED);
}

long percpu_counter_tree_precise_sum(struct percpu_counter_tree *c)
{
	return __atomic_load_n(&tree_of(c, "percpu_counter_tree_precise_sum")->count,
			       __ATOMIC_RELAXED);
}

void percpu_counter_tree_set(struct percpu_counter_tree *c, long v)
{
	__atomic_store_n(&tree_of(c, "percpu_counter_tree_set")->count, v,
			 __ATOMIC_RELAXED);
}

void percpu_counter_tree_approximate_accuracy_range(struct percpu_counter_tree *c,
						    unsigned long *under,
						    unsigned long *over)
{
	/* Exact: the range this counter adds is empty. */
	tree_of(c, "percpu_counter_tree_approximate_accuracy_range");
	(void)under;
	(void)over;
}
