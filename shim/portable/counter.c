/* SPDX-License-Identifier: MIT */
/*
 * counter - percpu_counter's backend in the portable library: one shared
 * atomic, so read and sum are the same exact load and limited_add is a
 * compare-and-swap loop.  The count is the struct's own word (__own) and
 * ->__count points at it, so the inline read is exact here too; ->__pcpu
 * stays NULL and ->__batch 0, which send every inline add here.
 */
#include <pcpu.h>

#include "counter_backend.h"
#include "counter_rules.h"

int counter_backend_init(struct percpu_counter *c, int64_t value, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		c[i] = (struct percpu_counter){.__own = value};
		c[i].__count = &c[i].__own;
	}
	return 0;
}

void counter_backend_destroy(struct percpu_counter *c, unsigned n)
{
	(void)c, (void)n;
}

void counter_backend_add(struct percpu_counter *c, int64_t amount, int32_t batch)
{
	(void)batch;
	__atomic_fetch_add(c->__count, amount, __ATOMIC_RELAXED);
}

int64_t counter_backend_sum(struct percpu_counter *c)
{
	return __atomic_load_n(c->__count, __ATOMIC_RELAXED);
}

void counter_backend_set(struct percpu_counter *c, int64_t value)
{
	__atomic_store_n(c->__count, value, __ATOMIC_RELAXED);
}

bool counter_backend_limited_add(struct percpu_counter *c, int64_t limit, int64_t amount)
{
	int64_t cur = __atomic_load_n(c->__count, __ATOMIC_RELAXED);

	do {
		if (!counter_within_limit(cur, amount, limit))
			return false;
	} while (!__atomic_compare_exchange_n(c->__count, &cur, cur + amount, false,
					      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return true;
}

int64_t counter_backend_read_slack(struct percpu_counter *c)
{
	(void)c;
	return 0;
}
