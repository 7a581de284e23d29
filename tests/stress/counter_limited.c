/* SPDX-License-Identifier: MIT */
/*
 * percpu_counter_limited_add and percpu_counter_compare against the
 * exact value: 16 threads of concurrent limited adds never pass the limit
 * and never refuse an amount that fits (checked against the final value,
 * since every amount is positive and the value only grows), right up to the
 * boundary, with deltas loaded by adds of a large batch; the recorded
 * largest batch keeps limited_add and compare exact where the default
 * batch's bound would be wrong; far from the limit a limited add takes
 * the fast path (the CPU's delta: read() does not move) in the runtime,
 * except while a slow path near a limit has closed the gate, inline and
 * called alike.
 */
#include <pcpu.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>

#include "../utils/tap.h"

#define NR_THREADS 16
#define BIG_BATCH  (1 << 20)
/* Large enough to pass the default batch many times over, small enough
 * that the adds far from the limit outnumber the exact ones near it. */
#define LOADED_BATCH 4096

static struct percpu_counter ctr;
static int64_t limit;
static int max_amount;
static int loaded, go;

struct worker {
	uint64_t rng;
	int64_t added;	       /* sum of the amounts limited_add accepted */
	int64_t least_refused; /* least amount refused, 0 if none */
};

static void *limited(void *arg)
{
	struct worker *w = arg;
	double end = tap_now() + tap_seconds(0.3);
	unsigned refusals = 0;

	/* Deltas far beyond the default batch (recorded as the largest). */
	percpu_counter_add_batch(&ctr, 1000, LOADED_BATCH);
	__atomic_add_fetch(&loaded, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
		sched_yield();
	/* Until the time is up and this thread has been refused often. */
	while (tap_now() < end || refusals < 100) {
		int64_t a = 1 + (int64_t)(tap_rand(&w->rng) % (uint64_t)max_amount);

		/* Adds of a larger batch mixed in (of 0, not to move the
		 * value): the bound grows while limited adds decide on it. */
		if (tap_rand(&w->rng) % 64 == 0)
			percpu_counter_add_batch(&ctr, 0, 2 * LOADED_BATCH);
		if (percpu_counter_limited_add(&ctr, limit, a)) {
			w->added += a;
		} else {
			refusals++;
			if (!w->least_refused || a < w->least_refused)
				w->least_refused = a;
		}
	}
	return NULL;
}

/* One run: the final value, the limited adds' total and the least amount
 * any thread was refused. */
static void run(int64_t room, int amounts, int64_t *final, int64_t *added,
		int64_t *refused)
{
	pthread_t t[NR_THREADS];
	struct worker w[NR_THREADS];

	percpu_counter_init(&ctr, 0);
	limit = NR_THREADS * 1000 + room;
	max_amount = amounts;
	__atomic_store_n(&go, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&loaded, 0, __ATOMIC_RELAXED);
	for (int i = 0; i < NR_THREADS; i++) {
		w[i] = (struct worker){.rng = 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1)};
		pthread_create(&t[i], NULL, limited, &w[i]);
	}
	/* every thread's large-batch add is in before any limited add */
	while (__atomic_load_n(&loaded, __ATOMIC_ACQUIRE) < NR_THREADS)
		sched_yield();
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
	*added = 0;
	*refused = 0;
	for (int i = 0; i < NR_THREADS; i++) {
		pthread_join(t[i], NULL);
		*added += w[i].added;
		if (w[i].least_refused && (!*refused || w[i].least_refused < *refused))
			*refused = w[i].least_refused;
	}
	*final = percpu_counter_sum(&ctr);
	percpu_counter_destroy(&ctr);
}

static void test_concurrent(void)
{
	int64_t final, added, refused;

	run(200000, 1, &final, &added, &refused);
	is(final, limit, "%d threads adding 1 up to the limit stop exactly at it",
	   NR_THREADS);
	is(added, 200000, "every accepted add is in the value");
	run(300000, 7, &final, &added, &refused);
	ok(final <= limit && final == NR_THREADS * 1000 + added,
	   "%d threads adding 1..7: the value %lld stays within the limit %lld",
	   NR_THREADS, (long long) final, (long long)limit);
	ok(refused && final + refused > limit,
	   "no amount was refused that fits (least refused %lld, room left %lld)",
	   (long long)refused, (long long)(limit - final));
}

static void test_large_batch(void)
{
	struct percpu_counter c;

	percpu_counter_init(&c, 0);
	percpu_counter_add_batch(&c, 1000, BIG_BATCH);
	ok(!percpu_counter_limited_add(&c, 1005, 10),
	   "after an add of a large batch, a limited add past the limit is refused");
	ok(percpu_counter_limited_add(&c, 1010, 10), "and one up to the limit accepted");
	is(percpu_counter_sum(&c), 1010, "the value is exact");
	is(percpu_counter_compare(&c, 500), 1, "compare sees the large batch's delta");
	is(percpu_counter_compare(&c, 1500), -1, "and above it");
	is(percpu_counter_compare(&c, 1010), 0, "and equality");
	percpu_counter_destroy(&c);

	percpu_counter_init(&c, 0);
	for (int i = 0; i < 3; i++)
		ok(percpu_counter_limited_add(&c, -10, -3), "limited subtraction %d fits",
		   i);
	ok(!percpu_counter_limited_add(&c, -10, -3),
	   "the fourth would pass -10: refused");
	ok(percpu_counter_limited_add(&c, -10, -1), "-1 reaches it exactly");
	is(percpu_counter_sum(&c), -10, "at the lower limit");
	percpu_counter_destroy(&c);
}

static void test_fast_path(void)
{
	struct percpu_counter c;
	int64_t small = 64 * ((int64_t)pcpu_nr_cpus() + 1);
	bool all = true;

	if (!strcmp(tap_variant(), "api")) {
		tap_skip("read is exact in the portable library",
			 "fast path far from the limit");
		tap_skip("read is exact in the portable library", "slow path near it");
		tap_skip("read is exact in the portable library", "narrow band");
		tap_skip("read is exact in the portable library", "widened batch");
		return;
	}
	/* A counter only limited adds touch decides on the kernel's band
	 * (32 per unit): twice that from a limit is far. */
	percpu_counter_init(&c, 0);
	ok(percpu_counter_limited_add(&c, small, 1) && percpu_counter_read(&c) == 0,
	   "a quota's limited add %lld from its limit is a this-CPU add",
	   (long long)small);
	/* Far from a large one, its full copy makes it record the default
	 * batch instead of folding: 400 adds, and read() has not moved. */
	for (int i = 0; i < 400; i++)
		all &= percpu_counter_limited_add(&c, 1000000000, 1);
	ok(all && percpu_counter_read(&c) == 0 && percpu_counter_sum(&c) == 401,
	   "far from a large limit it records the default batch (read() %lld after 401)",
	   (long long)percpu_counter_read(&c));
	percpu_counter_destroy(&c);
	percpu_counter_init(&c, 0);
	ok(percpu_counter_limited_add(&c, 1000000000, 1) &&
	       percpu_counter_read(&c) == 0 && percpu_counter_sum(&c) == 1,
	   "far from the limit, a limited add goes to the CPU's delta (read() stays 0)");
	/* It also empties the caller's delta into the count, so read() is 2
	 * unless the thread moved to another unit in between. */
	ok(percpu_counter_limited_add(&c, 3, 1) && percpu_counter_read(&c) >= 1 &&
	       percpu_counter_sum(&c) == 2,
	   "near it, the exact path adds to the count");
	percpu_counter_destroy(&c);
}

/*
 * The gate: a slow path that leaves the count near its limit closes it,
 * and while it is closed every limited add takes the exact path, even one
 * far from its own limit; that one adds to the count (read() moves) and
 * opens the gate again, after which adds go to the CPU's delta.  A fast
 * path that did not read the gate would leave read() where it was.  Run
 * with the inline add and with the library's (through a pointer).
 */
typedef bool limited_add_fn(struct percpu_counter *, int64_t, int64_t);

static bool limited_inline(struct percpu_counter *c, int64_t to, int64_t amount)
{
	return percpu_counter_limited_add(c, to, amount);
}

static void test_gate(limited_add_fn *add, const char *how)
{
	struct percpu_counter c;

	if (!strcmp(tap_variant(), "api")) {
		tap_skip("read is exact in the portable library", "gate closed, %s", how);
		tap_skip("read is exact in the portable library", "gate opened, %s", how);
		return;
	}
	percpu_counter_init(&c, 0);
	/* Up to a limit of 1: near it, so the slow path closes the gate;
	 * set() moves the count, not the gate. */
	if (!add(&c, 1, 1))
		tap_bail("a limited add of 1 up to 1 was refused");
	percpu_counter_set(&c, 0);
	ok(add(&c, 1000000000, 1) && percpu_counter_read(&c) == 1,
	   "%s: with the gate closed, an add far from its limit takes the exact path",
	   how);
	ok(add(&c, 1000000000, 1) && percpu_counter_read(&c) == 1 &&
	       percpu_counter_sum(&c) == 2,
	   "%s: which opened it: the next one goes to the CPU's delta", how);
	percpu_counter_destroy(&c);
}

/*
 * Many more threads than CPUs, so that threads are preempted anywhere in a
 * limited add, including between its decision and its update, or between
 * a fold's take and its add to the count: rounds of 32 threads filling a
 * counter with adds of up to almost the batch, for a second.
 */
#define CROWD	    32
#define CROWD_LIMIT 20000

static struct percpu_counter crowd;

static void *crowd_fill(void *arg)
{
	uint64_t rng = (uintptr_t)arg * 0x9e3779b97f4a7c15ull + 1;
	int32_t batch = percpu_counter_batch();

	for (int refused = 0; refused < 20;)
		if (!percpu_counter_limited_add(
			&crowd, CROWD_LIMIT,
			1 + (int64_t)(tap_rand(&rng) % (uint64_t)(batch - 1))))
			refused++;
	return NULL;
}

static void test_crowd(void)
{
	double end = tap_now() + tap_seconds(1.0);
	int64_t worst = INT64_MIN;
	unsigned rounds = 0, over = 0;

	do {
		pthread_t t[CROWD];
		int64_t v;

		percpu_counter_init(&crowd, 0);
		for (uintptr_t i = 0; i < CROWD; i++)
			pthread_create(&t[i], NULL, crowd_fill,
				       (void *)(i + rounds * CROWD));
		for (int i = 0; i < CROWD; i++)
			pthread_join(t[i], NULL);
		v = percpu_counter_sum(&crowd);
		over += v > CROWD_LIMIT;
		if (v > worst)
			worst = v;
		percpu_counter_destroy(&crowd);
		rounds++;
	} while (tap_now() < end);
	ok(!over, "%u rounds of %d threads filling to %d: none passed it (highest %lld)",
	   rounds, CROWD, CROWD_LIMIT, (long long)worst);
}

int main(void)
{
	tap_start();
	test_large_batch();
	test_fast_path();
	test_gate(limited_inline, "inline");
	test_gate(percpu_counter_limited_add, "called");
	test_concurrent();
	test_crowd();
	return tap_done();
}
