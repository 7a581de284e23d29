/* SPDX-License-Identifier: MIT */
/*
 * calls - the scale workloads of the hot operations built without the
 * inline fast paths (PCPU_NO_INLINE): every operation an exported call, as
 * a caller compiled with -DPCPU_NO_INLINE makes them.  Measured beside the
 * inline rows, so the report shows what inlining gains.
 */
#define PCPU_NO_INLINE
#include <pcpu.h>

#include "calls.h"

void calls_this_add(int64_t *p, uint64_t iters)
{
	while (iters--)
		pcpu_this_add(p, 1);
}

void calls_counter_add(struct percpu_counter *c, uint64_t iters)
{
	while (iters--)
		percpu_counter_add(c, 1);
}

void calls_tree_add(struct percpu_counter_tree *c, uint64_t iters)
{
	while (iters--)
		percpu_counter_tree_add(c, 1);
}

void calls_ref_get_put(struct percpu_ref *r, uint64_t iters)
{
	while (iters--) {
		percpu_ref_get(r);
		percpu_ref_put(r);
	}
}
