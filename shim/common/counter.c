/* SPDX-License-Identifier: MIT */
/*
 * counter - the percpu_counter API, for both libraries: the argument and
 * identity rules, then the library's backend (counter_backend.h), and the
 * functions every backend's primitives give the same way.
 *
 * Identity: a live counter has its magic, its place in the init call that
 * made it (counter_group(), so destroy takes exactly what one init made)
 * and, in __private, its own address (so a moved or copied struct is told
 * apart from the one init made, and destroying both aborts instead of
 * freeing twice).  Destroy clears the struct: the inline paths then call,
 * and the call reports the misuse.
 */
#include <errno.h>
#include <pcpu.h>

#include "counter_backend.h"
#include "counter_rules.h"

static struct percpu_counter *counter_of(struct percpu_counter *c, const char *fn)
{
	diag_check(c ? c->__magic : 0, DIAG_MAGIC_COUNTER, fn, c, "percpu_counter");
	return c;
}

int percpu_counter_init(struct percpu_counter *c, int64_t value)
{
	return percpu_counter_init_many(c, value, 1);
}

int percpu_counter_init_many(struct percpu_counter *c, int64_t value, unsigned n)
{
	int err;

	if (n == 0)
		return -EINVAL;
	err = counter_backend_init(c, value, n);
	if (err)
		return err;
	for (unsigned i = 0; i < n; i++) {
		c[i].__group = counter_group(i, n);
		c[i].__private = (int64_t)(intptr_t)&c[i];
		c[i].__magic = DIAG_MAGIC_COUNTER;
	}
	return 0;
}

void percpu_counter_destroy(struct percpu_counter *c)
{
	percpu_counter_destroy_many(c, 1);
}

void percpu_counter_destroy_many(struct percpu_counter *c, unsigned n)
{
	const char *fn =
	    n == 1 ? "percpu_counter_destroy" : "percpu_counter_destroy_many";

	if (n == 0)
		return;
	for (unsigned i = 0; i < n; i++) {
		counter_of(&c[i], fn);
		counter_check_self(fn, &c[i], c[i].__private == (int64_t)(intptr_t)&c[i]);
		counter_check_group(fn, &c[i], c[i].__group, i, n);
	}
	counter_backend_destroy(c, n);
	for (unsigned i = 0; i < n; i++)
		c[i] = (struct percpu_counter){0};
}

void percpu_counter_add_batch(struct percpu_counter *c, int64_t amount, int32_t batch)
{
	counter_backend_add(counter_of(c, "percpu_counter_add_batch"), amount, batch);
}

int64_t percpu_counter_read(struct percpu_counter *c)
{
	return __atomic_load_n(counter_of(c, "percpu_counter_read")->__count,
			       __ATOMIC_RELAXED);
}

int64_t percpu_counter_sum(struct percpu_counter *c)
{
	return counter_backend_sum(counter_of(c, "percpu_counter_sum"));
}

void percpu_counter_set(struct percpu_counter *c, int64_t value)
{
	counter_backend_set(counter_of(c, "percpu_counter_set"), value);
}

bool percpu_counter_initialized(struct percpu_counter *c)
{
	return c->__magic == DIAG_MAGIC_COUNTER;
}

bool percpu_counter_limited_add(struct percpu_counter *c, int64_t limit, int64_t amount)
{
	counter_of(c, "percpu_counter_limited_add");
	return amount == 0 || counter_backend_limited_add(c, limit, amount);
}

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
 * reach at most counter_backend_read_slack().  So the read
 * decides only when it is further than the deltas can reach both from rhs
 * and from the ends of the int64_t range: next to an end, the exact value
 * may have wrapped to the other one (after set(INT64_MIN), say).
 */
int percpu_counter_compare_batch(struct percpu_counter *c, int64_t rhs, int32_t batch)
{
	/* The library's proven bound (the largest batch any add used), or the
	 * caller's word for it, whichever is wider. */
	__int128 slack =
		     counter_backend_read_slack(counter_of(c, "percpu_counter_compare")),
		 said = (__int128)(batch > 0 ? batch : 0) * pcpu_nr_cpus();

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
