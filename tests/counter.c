/* SPDX-License-Identifier: MIT */
/*
 * percpu_counter: exact sums after concurrent adds, the read's lag, set,
 * compare, limited_add never passing its limit under concurrency, init_many
 * beyond one allocation's worth of counters, and misuse.
 */
#include <errno.h>
#include <pcpu.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

#define NR_THREADS 16

/* Pin the calling thread to one CPU it may run on, so that every add and
 * fold lands on one delta; *old gets the mask to restore. */
static void pin_to_one_cpu(cpu_set_t *old)
{
	cpu_set_t one;

	sched_getaffinity(0, sizeof(*old), old);
	CPU_ZERO(&one);
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (CPU_ISSET(cpu, old)) {
			CPU_SET(cpu, &one);
			break;
		}
	}
	sched_setaffinity(0, sizeof(one), &one);
}

static void test_basic(void)
{
	struct percpu_counter c;
	int64_t slack = (int64_t)percpu_counter_batch() * pcpu_nr_cpus();
	cpu_set_t old;

	is(percpu_counter_init(&c, 40), 0, "init");
	is(percpu_counter_sum(&c), 40, "initial value");
	is(percpu_counter_read(&c), 40, "read of the initial value");
	percpu_counter_add(&c, 5);
	percpu_counter_sub(&c, 7);
	percpu_counter_inc(&c);
	percpu_counter_dec(&c);
	percpu_counter_dec(&c);
	is(percpu_counter_sum(&c), 37, "add, sub, inc, dec");
	percpu_counter_sub(&c, INT64_MIN);
	percpu_counter_sub(&c, INT64_MIN);
	is(percpu_counter_sum(&c), 37, "sub(INT64_MIN) twice wraps back");

	/* Pinned, so every fold lands on the delta that triggered it and the
	 * read is within the documented distance. */
	pin_to_one_cpu(&old);
	bool lag = true;
	for (int i = 0; i < 10000; i++) {
		percpu_counter_add(&c, (i % 7) - 2);
		int64_t d = percpu_counter_read(&c) - percpu_counter_sum(&c);
		lag &= d < slack && d > -slack;
	}
	sched_setaffinity(0, sizeof(old), &old);
	ok(lag, "read stays within batch * cpus of the sum");

	int64_t before = percpu_counter_read(&c);
	percpu_counter_add_batch(&c, 3, 0);
	is(percpu_counter_read(&c), before + 3, "batch 0 folds at once");
	percpu_counter_set(&c, -12);
	is(percpu_counter_sum(&c), -12, "set is exact");
	is(percpu_counter_read_positive(&c) >= 0, 1, "read_positive is not negative");
	is(percpu_counter_sum_positive(&c), 0, "sum_positive clamps");

	percpu_counter_set(&c, 1000);
	is(percpu_counter_compare(&c, 1000), 0, "compare equal");
	is(percpu_counter_compare(&c, 999), 1, "compare above by one");
	is(percpu_counter_compare(&c, 1001), -1, "compare below by one");
	is(percpu_counter_compare(&c, 1000 + 3 * slack), -1, "compare far below");
	is(percpu_counter_compare(&c, 1000 - 3 * slack), 1, "compare far above");
	percpu_counter_destroy(&c);
}

/*
 * A delta folds into the count exactly when it reaches +-batch: one add
 * short of it, the read has not moved (the portable library's read is
 * always exact), and the add that reaches it moves the read by all of it.
 */
static void test_fold_at_batch(void)
{
	const int32_t batches[] = { 1, 5, percpu_counter_batch() };
	bool exact = !strncmp(pcpu_runtime(), "libpcpu-api", 11);
	struct percpu_counter c;
	cpu_set_t old;

	pin_to_one_cpu(&old);
	for (unsigned i = 0; i < sizeof(batches) / sizeof(batches[0]); i++) {
		for (int sign = 1; sign >= -1; sign -= 2) {
			int32_t b = batches[i];

			is(percpu_counter_init(&c, 0), 0, "init");
			for (int32_t n = 1; n < b; n++)
				percpu_counter_add_batch(&c, sign, b);
			is(percpu_counter_read(&c), exact ? sign * (b - 1) : 0,
			   "batch %d: a delta of %d stays unfolded", b, sign * (b - 1));
			percpu_counter_add_batch(&c, sign, b);
			is(percpu_counter_read(&c), sign * b,
			   "batch %d: the add that makes it %d folds it", b, sign * b);
			/* An amount of a batch or more goes to the count and
			 * leaves the delta as it was. */
			percpu_counter_add_batch(&c, sign, b);
			percpu_counter_add_batch(&c, sign * 3 * b, b);
			is(percpu_counter_read(&c),
			   sign * 4 * b + (exact || b == 1 ? sign : 0),
			   "batch %d: an add of %d reaches the count alone", b, sign * 3 * b);
			is(percpu_counter_sum(&c), sign * (4 * b + 1), "and the sum is exact");
			percpu_counter_destroy(&c);
		}
	}
	sched_setaffinity(0, sizeof(old), &old);
}

static void test_many(void)
{
	enum { N = 5000 }; /* more than one allocation's worth of slots */
	struct percpu_counter *c = calloc(N, sizeof(*c));
	bool all = true;

	is(percpu_counter_init_many(c, 0, 0), -EINVAL, "init_many of 0 counters");
	is(percpu_counter_init_many(c, 3, N), 0, "init_many of %d counters", N);
	for (int i = 0; i < N; i++)
		percpu_counter_add_batch(&c[i], i, 4);
	for (int i = 0; i < N; i++)
		all &= percpu_counter_sum(&c[i]) == 3 + i;
	ok(all, "counters made together stay independent");
	percpu_counter_destroy_many(c, N);
	free(c);
}

struct adder {
	pthread_t thread;
	struct percpu_counter *c;
	int64_t *model;
	uint64_t seed;
	double until;
	int64_t limit, added; /* limited adds */
};

static void *adder_run(void *arg)
{
	struct adder *a = arg;

	do {
		for (int i = 0; i < 256; i++) {
			uint64_t r = tap_rand(&a->seed);
			int64_t v = (int64_t)(r % 50001);
			int32_t batch = (int32_t)((r >> 32) % 600) - 50;

			if (r & (1ULL << 31))
				v = -v;
			percpu_counter_add_batch(a->c, v, batch);
			__atomic_fetch_add(a->model, v, __ATOMIC_RELAXED);
		}
	} while (tap_now() < a->until);
	return NULL;
}

static void test_concurrent(void)
{
	struct percpu_counter c;
	struct adder a[NR_THREADS];
	int64_t model = 0;
	uint64_t seed = 5;
	double until = tap_now() + tap_seconds(0.3);

	percpu_counter_init(&c, 0);
	for (int t = 0; t < NR_THREADS; t++) {
		a[t] = (struct adder){ .c = &c, .model = &model, .seed = tap_rand(&seed),
				       .until = until };
		pthread_create(&a[t].thread, NULL, adder_run, &a[t]);
	}
	for (int t = 0; t < NR_THREADS; t++)
		pthread_join(a[t].thread, NULL);
	is(percpu_counter_sum(&c), model, "sum equals the model after %d threads",
	   NR_THREADS);
	percpu_counter_set(&c, 0);
	is(percpu_counter_sum(&c), 0, "set after concurrent adds");
	percpu_counter_destroy(&c);
}

/* Limited adds of 1..100 toward the limit until one is refused. */
static void *limited_run(void *arg)
{
	struct adder *a = arg;
	int64_t sign = a->limit < 0 ? -1 : 1;

	for (;;) {
		int64_t v = sign * (int64_t)(1 + tap_rand(&a->seed) % 100);

		if (!percpu_counter_limited_add(a->c, a->limit, v))
			return NULL;
		a->added += v;
	}
}

/* Plain adds from every thread first, so that the deltas the limited adds
 * must account for are spread over the CPUs and far from zero. */
static void *spread_run(void *arg)
{
	struct adder *a = arg;

	for (int i = 0; i < 1000; i++)
		percpu_counter_add_batch(a->c, a->limit < 0 ? -3 : 3, 1 << 30);
	return NULL;
}

static void test_limited_concurrent(int64_t limit)
{
	struct percpu_counter c;
	struct adder a[NR_THREADS];
	int64_t added = 0, spread = (limit < 0 ? -3 : 3) * 1000 * NR_THREADS;
	uint64_t seed = 77;

	percpu_counter_init(&c, 0);
	for (int t = 0; t < NR_THREADS; t++) {
		a[t] = (struct adder){ .c = &c, .seed = tap_rand(&seed), .limit = limit };
		pthread_create(&a[t].thread, NULL, spread_run, &a[t]);
	}
	for (int t = 0; t < NR_THREADS; t++)
		pthread_join(a[t].thread, NULL);
	for (int t = 0; t < NR_THREADS; t++)
		pthread_create(&a[t].thread, NULL, limited_run, &a[t]);
	for (int t = 0; t < NR_THREADS; t++) {
		pthread_join(a[t].thread, NULL);
		added += a[t].added;
	}

	int64_t sum = percpu_counter_sum(&c);
	is(sum, spread + added, "limit %lld: the sum is what the limited adds reported",
	   (long long)limit);
	ok(limit > 0 ? sum <= limit && sum > limit - 100 : sum >= limit && sum < limit + 100,
	   "limit %lld: %d threads stopped at %lld, never past the limit",
	   (long long)limit, NR_THREADS, (long long)sum);
	percpu_counter_destroy(&c);
}

static void test_limited(void)
{
	struct percpu_counter c;

	percpu_counter_init(&c, 0);
	ok(percpu_counter_limited_add(&c, 10, 5), "5 of 10");
	ok(percpu_counter_limited_add(&c, 10, 5), "10 of 10");
	ok(!percpu_counter_limited_add(&c, 10, 1), "11 of 10 refused");
	ok(percpu_counter_limited_add(&c, 10, 0), "adding 0 succeeds");
	ok(!percpu_counter_limited_add(&c, 0, -11), "-1 of floor 0 refused");
	ok(percpu_counter_limited_add(&c, 0, -10), "0 of floor 0");
	is(percpu_counter_sum(&c), 0, "sum after limited adds");
	percpu_counter_set(&c, INT64_MAX - 1);
	ok(!percpu_counter_limited_add(&c, INT64_MAX, 5), "an overflowing add is refused");
	ok(percpu_counter_limited_add(&c, INT64_MAX, 1), "up to INT64_MAX");
	percpu_counter_destroy(&c);
	test_limited_concurrent(200000);
	test_limited_concurrent(-200000);
}

static void use_destroyed(void *arg)
{
	percpu_counter_read(arg);
}

static void destroy_member(void *arg)
{
	percpu_counter_destroy(&((struct percpu_counter *)arg)[1]);
}

static void destroy_two_of_three(void *arg)
{
	percpu_counter_destroy_many(arg, 2);
}

static void test_misuse(void)
{
	struct percpu_counter c, three[3];

	percpu_counter_init(&c, 0);
	percpu_counter_destroy(&c);
	tap_aborts(use_destroyed, &c, "percpu_counter_read",
		   "read of a destroyed counter aborts");
	/* The runtime frees counters made together as one allocation; the
	 * portable library has nothing to check. */
	if (!strcmp(tap_variant(), "api"))
		return;
	if (percpu_counter_init_many(three, 0, 3))
		tap_bail("init_many failed");
	tap_aborts(destroy_member, three, "not made by one init of 1",
		   "destroying one counter of an init_many aborts");
	tap_aborts(destroy_two_of_three, three, "not made by one init_many of 2",
		   "destroy_many of fewer than init_many made aborts");
	percpu_counter_destroy_many(three, 3);
}

int main(void)
{
	tap_start();
	test_basic();
	test_fold_at_batch();
	test_many();
	test_concurrent();
	test_limited();
	test_misuse();
	return tap_done();
}
