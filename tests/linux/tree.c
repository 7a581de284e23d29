/* SPDX-License-Identifier: MIT */
/*
 * Kernel-style percpu_counter_tree code compiled against <pcpu/linux.h>,
 * in the manner of the upstream KUnit suite: counters made with the
 * kernel's init signatures (caller-allocated items, gfp), updated from
 * threads, then checked against a plain atomic with the precise and
 * approximate comparisons, the accuracy range (which the kernel stores,
 * whatever the caller's variables held) and
 * percpu_counter_tree_approximate_min_max_range().
 */
#include <limits.h>
#include <pcpu/linux.h>
#include <pthread.h>
#include <stdlib.h>

#include "../utils/tap.h"

#define NR_COUNTERS 2

static struct percpu_counter_tree counter[NR_COUNTERS];
static struct percpu_counter_tree_level_item *items;
static long global_counter[NR_COUNTERS];

static void check_counters(const char *what)
{
	int bad = 0;

	for (int i = 0; i < NR_COUNTERS; i++) {
		long v = __atomic_load_n(&global_counter[i], __ATOMIC_RELAXED);
		long approx = percpu_counter_tree_approximate_sum(&counter[i]);
		/* Garbage in: the kernel's accuracy_range stores. */
		unsigned long under = 12345, over = 678, under0 = 0, over0 = 0;
		long min, max;

		bad += percpu_counter_tree_precise_sum(&counter[i]) != v;
		bad += percpu_counter_tree_precise_compare_value(&counter[i], v) != 0;
		bad += percpu_counter_tree_approximate_compare_value(&counter[i], v) != 0;
		percpu_counter_tree_approximate_accuracy_range(&counter[i], &under,
							       &over);
		percpu_counter_tree_approximate_accuracy_range(&counter[i], &under0,
							       &over0);
		bad += under != under0 || over != over0;
		bad += (long)(approx - (v - under)) < 0;
		bad += (long)(approx - (v + over)) > 0;
		percpu_counter_tree_approximate_min_max_range(approx, under, over, &min,
							      &max);
		bad += v - min < 0 || v - max > 0;
		if (bad)
			tap_diag("counter %d: v %ld approx %ld under %lu over %lu min "
				 "%ld max %ld",
				 i, v, approx, under, over, min, max);
	}
	bad += percpu_counter_tree_precise_compare(&counter[0], &counter[1]) != 0;
	bad += percpu_counter_tree_approximate_compare(&counter[0], &counter[1]) != 0;
	is(bad, 0, "%s: precise, approximate, accuracy range and min/max agree", what);
}

struct work {
	int index;
	int nr_inc;
	long increment;
};

static void *worker(void *arg)
{
	struct work *w = arg;

	for (int i = 0; i < w->nr_inc; i++) {
		percpu_counter_tree_add(&counter[w->index], w->increment);
		__atomic_fetch_add(&global_counter[w->index], w->increment,
				   __ATOMIC_RELAXED);
	}
	return NULL;
}

static void init_counters(unsigned long batch_size)
{
	items = calloc(NR_COUNTERS, percpu_counter_tree_items_size());
	is(percpu_counter_tree_init_many(counter, items, NR_COUNTERS, batch_size,
					 GFP_KERNEL),
	   0, "init_many with items and gfp, batch %lu", batch_size);
	for (int i = 0; i < NR_COUNTERS; i++)
		global_counter[i] = 0;
}

static void fini_counters(void)
{
	percpu_counter_tree_destroy_many(counter, NR_COUNTERS);
	free(items);
}

static void test_threads(unsigned long batch_size, long increment)
{
	struct work w[4];
	pthread_t t[4];

	init_counters(batch_size);
	for (int i = 0; i < 4; i++) {
		w[i] = (struct work){i % NR_COUNTERS, 3000,
				     i < 2 ? increment : increment / 2};
		pthread_create(&t[i], NULL, worker, &w[i]);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	/* Even the two counters out, as the KUnit suite's pairs are. */
	long d = global_counter[0] - global_counter[1];
	percpu_counter_tree_add(&counter[1], d);
	global_counter[1] += d;
	check_counters(tap_fmt("batch %lu, increment %ld", batch_size, increment));
	fini_counters();
}

static void test_init_one_and_set(void)
{
	static const long values[] = {5,    100,    127,   128,	  255,	  256,	4095,
				      4096, 500000, 0,	   -5,	  -100,	  -127, -128,
				      -255, -256,   -4095, -4096, -500000};
	struct percpu_counter_tree pct;
	struct percpu_counter_tree_level_item *counter_items;
	int bad = 0;

	counter_items = calloc(1, percpu_counter_tree_items_size());
	is(percpu_counter_tree_init(&pct, counter_items, 32, GFP_KERNEL), 0,
	   "percpu_counter_tree_init with items and gfp");
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		long v = values[i];

		percpu_counter_tree_set(&pct, v);
		bad += percpu_counter_tree_precise_sum(&pct) != v;
		bad += percpu_counter_tree_approximate_compare_value(&pct, v) != 0;
		percpu_counter_tree_add(&pct, v);
		bad += percpu_counter_tree_precise_sum(&pct) != 2 * v;
		bad += percpu_counter_tree_approximate_compare_value(&pct, 2 * v) != 0;
		percpu_counter_tree_add(&pct, -2 * v);
		bad += percpu_counter_tree_precise_sum(&pct) != 0;
	}
	is(bad, 0, "set, add, add back: precise and approximate agree");
	percpu_counter_tree_destroy(&pct);
	free(counter_items);

	long min, max;
	percpu_counter_tree_approximate_min_max_range(LONG_MAX, 10, 20, &min, &max);
	ok(min == LONG_MAX - 20 && max == LONG_MIN + 9,
	   "approximate_min_max_range wraps like the sums");
}

int main(void)
{
	tap_start();
	ok(percpu_counter_tree_items_size() > 0,
	   "percpu_counter_tree_items_size() is a size");
	test_init_one_and_set();
	for (unsigned long order = 2; order < 10; order += 3)
		for (long inc = 1; inc < 100000; inc *= 100)
			test_threads(1UL << order, inc);
	return tap_done();
}
