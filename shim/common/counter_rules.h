/* SPDX-License-Identifier: MIT */
/*
 * counter_rules - the argument and limit rules of the counter API, shared
 * by both implementations so that they cannot drift apart.
 */
#ifndef PCPU_COUNTER_RULES_H
#define PCPU_COUNTER_RULES_H

#include <stdbool.h>
#include <stdint.h>

/* percpu_counter's default batch for nr_cpus copies: max(32, 2 nr_cpus). */
static inline int32_t counter_default_batch(int nr_cpus)
{
	return nr_cpus > 16 ? 2 * nr_cpus : 32;
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

/* How far percpu_counter_read() may be from the exact value: the largest
 * batch the counter's adds used times the copies (0 where read is exact).
 * Aborts, naming percpu_counter_compare, on a counter not initialised. */
struct percpu_counter;
__attribute__((visibility("hidden"))) int64_t counter_read_slack(struct percpu_counter *c);

#endif
