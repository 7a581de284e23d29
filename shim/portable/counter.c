/* SPDX-License-Identifier: MIT */
/* percpu_counter in the portable library: one shared atomic, so read and
 * sum are the same exact load and limited_add is a compare-and-swap loop.
 * The count lives in the struct's private words, and ->__count points at
 * it so that the inline read is exact here too; ->__pcpu stays NULL, which
 * sends every inline add here. */
#include <errno.h>
#include <pcpu.h>
#include <stddef.h>

#include "abi.h"
#include "counter_rules.h"
#include "diag.h"

struct counter {
	int64_t *deltas; /* NULL: no per-CPU deltas */
	int64_t *count;  /* &own */
	int32_t batch;
	uint32_t magic;
	uint32_t group; /* counter_group() */
	uint32_t reserved;
	int64_t own;
};
/* ->batch stays 0: every inline add calls. */
ABI_FIELD_AT(struct counter, count, struct percpu_counter, __count);
ABI_FIELD_AT(struct counter, batch, struct percpu_counter, __batch);
ABI_FIELD_AT(struct counter, magic, struct percpu_counter, __magic);
ABI_FIELD_AT(struct counter, own, struct percpu_counter, __own);
_Static_assert(sizeof(struct counter) <= sizeof(struct percpu_counter),
	       "struct counter outgrew the ABI");

static struct counter *counter_of(struct percpu_counter *c, const char *fn)
{
	struct counter *ct = (struct counter *)c;

	diag_check(c ? ct->magic : 0, DIAG_MAGIC_COUNTER, fn, c, "percpu_counter");
	return ct;
}

int percpu_counter_init(struct percpu_counter *c, int64_t value)
{
	return percpu_counter_init_many(c, value, 1);
}

int percpu_counter_init_many(struct percpu_counter *c, int64_t value, unsigned n)
{
	if (n == 0)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		struct counter *ct = (struct counter *)&c[i];

		*ct = (struct counter){ .magic = DIAG_MAGIC_COUNTER,
					.group = counter_group(i, n),
					.own = value };
		ct->count = &ct->own;
	}
	return 0;
}

void percpu_counter_destroy(struct percpu_counter *c)
{
	percpu_counter_destroy_many(c, 1);
}

void percpu_counter_destroy_many(struct percpu_counter *c, unsigned n)
{
	const char *fn = n == 1 ? "percpu_counter_destroy" : "percpu_counter_destroy_many";

	for (unsigned i = 0; i < n; i++) {
		struct counter *ct = counter_of(&c[i], fn);

		counter_check_self(fn, &c[i], ct->count == &ct->own);
		counter_check_group(fn, &c[i], ct->group, i, n);
	}
	for (unsigned i = 0; i < n; i++)
		*(struct counter *)&c[i] = (struct counter){ 0 };
}

void percpu_counter_add_batch(struct percpu_counter *c, int64_t amount,
			      int32_t batch)
{
	(void)batch;
	__atomic_fetch_add(counter_of(c, "percpu_counter_add_batch")->count, amount,
			   __ATOMIC_RELAXED);
}

int64_t percpu_counter_read(struct percpu_counter *c)
{
	return __atomic_load_n(counter_of(c, "percpu_counter_read")->count,
			       __ATOMIC_RELAXED);
}

int64_t percpu_counter_sum(struct percpu_counter *c)
{
	return __atomic_load_n(counter_of(c, "percpu_counter_sum")->count,
			       __ATOMIC_RELAXED);
}

void percpu_counter_set(struct percpu_counter *c, int64_t value)
{
	__atomic_store_n(counter_of(c, "percpu_counter_set")->count, value,
			 __ATOMIC_RELAXED);
}

bool percpu_counter_initialized(struct percpu_counter *c)
{
	return ((struct counter *)c)->magic == DIAG_MAGIC_COUNTER;
}

bool percpu_counter_limited_add(struct percpu_counter *c, int64_t limit,
				int64_t amount)
{
	struct counter *ct = counter_of(c, "percpu_counter_limited_add");
	int64_t cur = __atomic_load_n(ct->count, __ATOMIC_RELAXED);

	if (amount == 0)
		return true;
	do {
		if (!counter_within_limit(cur, amount, limit))
			return false;
	} while (!__atomic_compare_exchange_n(ct->count, &cur, cur + amount, false,
					      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return true;
}

int64_t counter_read_slack(struct percpu_counter *c)
{
	/* read is the exact value */
	counter_of(c, "percpu_counter_compare");
	return 0;
}
