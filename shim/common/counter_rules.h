/* SPDX-License-Identifier: MIT */
/*
 * counter_rules - the argument, limit and destroy rules of the counter API,
 * shared by both implementations so that they cannot drift apart: a program
 * tested against one must not abort under the other.
 */
#ifndef PCPU_COUNTER_RULES_H
#define PCPU_COUNTER_RULES_H

#include <pcpu.h>
#include <stdbool.h>
#include <stdint.h>

#include "diag.h"

/*
 * Where counter i of n stands in the init call that made it, kept in each
 * counter so that destroy can check it is given exactly what one init
 * made, no more and no fewer: 1 for init (or init_many of one), then 2 for
 * the first of an init_many, 4 for its last and 3 for those between.
 */
static inline unsigned counter_group(unsigned i, unsigned n)
{
	return n == 1 ? 1 : i == 0 ? 2 : i == n - 1 ? 4 : 3;
}

/* Abort with a message naming obj (counter i of n, as fn got it) unless
 * group is what counter_group() gave it. */
static inline void counter_check_group(const char *fn, const void *obj, unsigned group,
				       unsigned i, unsigned n)
{
	if (__builtin_expect(group != counter_group(i, n), 0))
		diag_die(fn, obj, "counter was not made by one init%s of %u",
			 n == 1 ? "" : "_many", n);
}

/*
 * Abort with a message naming obj, as fn got it, unless it is the struct
 * that init made (self): a counter's struct points at state of its own
 * (the portable count, the runtime's record of itself), so a moved or
 * copied struct is told apart, and destroying both the original and a copy
 * aborts in both libraries instead of freeing twice in one.
 */
static inline void counter_check_self(const char *fn, const void *obj, bool self)
{
	if (__builtin_expect(!self, 0))
		diag_die(fn, obj,
			 "a copy of a counter (a counter cannot be moved or copied)");
}

/*
 * The batch a counter records at init, before any plain add records its
 * own: the kernel's floor.  A limited add adds within the recorded batch
 * and decides far from its limit outside batch * (units + 1), so a counter
 * only limited adds touch (a quota) keeps the kernel's narrow band near a
 * small limit; one that plain adds touch, or whose limited adds run far
 * from a large limit (runtime/counter/counter.c), records the default batch
 * (below), and folds that much less often.
 */
#define COUNTER_FIRST_BATCH 32

/* percpu_counter's default batch for nr_cpus copies: max(512, 2 nr_cpus),
 * the floor being PCPU_ABI_MIN_BATCH, which the inline add relies on. */
static inline int32_t counter_default_batch(int nr_cpus)
{
	return 2 * nr_cpus > PCPU_ABI_MIN_BATCH ? 2 * nr_cpus : PCPU_ABI_MIN_BATCH;
}

/* percpu_counter_tree_init_many(): n counters and a power-of-two batch >= 2. */
static inline bool counter_tree_args_valid(unsigned n, unsigned long batch_size)
{
	return n && batch_size >= 2 && !(batch_size & (batch_size - 1));
}

/* percpu_counter_limited_add(): whether exact + amount stays within limit
 * (<= for amount > 0, >= for amount < 0).  A result that overflows is past
 * any limit. */
static inline bool counter_within_limit(int64_t exact, int64_t amount, int64_t limit)
{
	int64_t next;

	if (__builtin_add_overflow(exact, amount, &next))
		return false;
	return amount > 0 ? next <= limit : next >= limit;
}

#endif
