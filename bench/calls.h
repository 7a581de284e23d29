/* SPDX-License-Identifier: MIT */
/* calls - the hot operations as exported calls only (see calls.c). */
#ifndef PCPU_BENCH_CALLS_H
#define PCPU_BENCH_CALLS_H

#include <pcpu.h>

void calls_this_add(int64_t *p, uint64_t iters);
void calls_counter_add(struct percpu_counter *c, uint64_t iters);
void calls_tree_add(struct percpu_counter_tree *c, uint64_t iters);
void calls_ref_get_put(struct percpu_ref *r, uint64_t iters);

#endif
