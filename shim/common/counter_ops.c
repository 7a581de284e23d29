/* SPDX-License-Identifier: MIT */
/*
 * counter_ops - the percpu_counter functions that every implementation
 * derives the same way from its primitives (add_batch, read, sum).
 */
#include <pcpu.h>

#include "counter_rules.h"

/* pcpu_nr_cpus() is constant, so the default batch is computed once: add
 * is a fast path and should not call through the library for it. */
static int32_t default_batch(void)
{
	static int32_t batch;
	int32_t b = __atomic_load_n(&batch, __ATOMIC_RELAXED);

	if (__builtin_expect(!b, 0)) {
		b = counter_default_batch(pcpu_nr_cpus());
		__atomic_store_n(&batch, b, __ATOMIC_RELAXED);
	}
	return b;
}

int32_t percpu_counter_batch(void)
{
	return default_batch();
}

void percpu_counter_add(struct percpu_counter *c, int64_t amount)
{
	percpu_counter_add_batch(c, amount, default_batch());
}

void percpu_counter_sub(struct percpu_counter *c, int64_t amount)
{
	/* Two's-complement negation, so INT64_MIN subtracts as it adds. */
	percpu_counter_add(c, (int64_t)(0 - (uint64_t)amount));
}

void percpu_counter_inc(struct percpu_counter *c)
{
	percpu_counter_add(c, 1);
}

void percpu_counter_dec(struct percpu_counter *c)
{
	percpu_counter_add(c, -1);
}

int64_t percpu_counter_read_positive(struct percpu_counter *c)
{
	int64_t v = percpu_counter_read(c);

	return v > 0 ? v : 0;
}

int64_t percpu_counter_sum_positive(struct percpu_counter *c)
{
	int64_t v = percpu_counter_sum(c);

	return v > 0 ? v : 0;
}

/*
 * The exact value is the read plus the deltas, modulo 2^64, and the deltas
 * reach at most counter_read_slack().  So the read
 * decides only when it is further than the deltas can reach both from rhs
 * and from the ends of the int64_t range: next to an end, the exact value
 * may have wrapped to the other one (after set(INT64_MIN), say).
 */
int percpu_counter_compare_batch(struct percpu_counter *c, int64_t rhs,
				 int32_t batch)
{
	/* The library's proven bound (the largest batch any add used), or the
	 * caller's word for it, whichever is wider. */
	__int128 slack = counter_read_slack(c), said =
		(__int128)(batch > 0 ? batch : 0) * pcpu_nr_cpus();

	if (said > slack)
		slack = said;
	__int128 read = percpu_counter_read(c), d = read - rhs;

	if ((d > slack || d < -slack) && read - slack >= INT64_MIN &&
	    read + slack <= INT64_MAX)
		return d > 0 ? 1 : -1;
	int64_t sum = percpu_counter_sum(c);
	return (sum > rhs) - (sum < rhs);
}

int percpu_counter_compare(struct percpu_counter *c, int64_t rhs)
{
	return percpu_counter_compare_batch(c, rhs, default_batch());
}
