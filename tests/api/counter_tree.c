/* SPDX-License-Identifier: MIT */
/*
 * percpu_counter_tree: every function, the accuracy invariant and the
 * comparisons derived from it, bad batch sizes and misuse, then threads
 * adding to several counters against shared-atomic models.
 *
 * Written against the contract of pcpu.h: the approximate sum may differ
 * from the precise one within the counter's accuracy range, so expected
 * comparison results are computed from the range read at the same moment.
 */
#include <errno.h>
#include <limits.h>
#include <pcpu.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"

typedef __int128 wide_t;

struct snap {
	long approx, precise;
	unsigned long under, over;
};

/* With no update in flight. */
static struct snap snap_of(struct percpu_counter_tree *c)
{
	struct snap s = { 0 };

	s.approx = percpu_counter_tree_approximate_sum(c);
	s.precise = percpu_counter_tree_precise_sum(c);
	percpu_counter_tree_approximate_accuracy_range(c, &s.under, &s.over);
	return s;
}

static bool accurate(const struct snap *s)
{
	return (wide_t)s->approx - s->over <= s->precise &&
	       s->precise <= (wide_t)s->approx + s->under;
}

static void test_bad_batch(void)
{
	static const unsigned long bad[] = { 0, 1, 3, 5, 6, 7, 12, 100, 1000, 3ul << 20,
					     ULONG_MAX };
	struct percpu_counter_tree c[2];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		is(percpu_counter_tree_init(c, bad[i]), -EINVAL,
		   "init with batch size %lu is -EINVAL", bad[i]);
		is(percpu_counter_tree_init_many(c, 2, bad[i]), -EINVAL,
		   "init_many with batch size %lu is -EINVAL", bad[i]);
	}
	is(percpu_counter_tree_init_many(c, 0, 32), -EINVAL,
	   "init_many with n = 0 is -EINVAL");
}

static void test_basics(unsigned long batch)
{
	struct percpu_counter_tree c;
	struct snap s;
	long want = 0;
	bool acc = true;

	if (!is(percpu_counter_tree_init(&c, batch), 0, "init with batch size %lu",
		batch))
		return;
	s = snap_of(&c);
	ok(s.approx == 0 && s.precise == 0, "batch %lu: a new counter is 0", batch);
	for (int i = 0; i < 5000; i++) {
		long v = (i % 11) - 4 + (i % 500 == 0 ? 100000 : 0);

		percpu_counter_tree_add(&c, v);
		want += v;
		if (i % 97 == 0) {
			s = snap_of(&c);
			acc &= accurate(&s) && s.precise == want;
		}
	}
	s = snap_of(&c);
	is(s.precise, want, "batch %lu: precise sum after 5000 adds", batch);
	ok(acc && accurate(&s),
	   "batch %lu: approx - over <= precise <= approx + under throughout",
	   batch);
	tap_diag("batch %lu: approx %ld precise %ld under %lu over %lu", batch, s.approx,
		 s.precise, s.under, s.over);
	if (!strcmp(tap_variant(), "api"))
		ok(s.under == 0 && s.over == 0 && s.approx == s.precise,
		   "batch %lu: the portable library is exact (range 0)", batch);

	/* The range is stored, whatever the caller's variables held. */
	unsigned long under = 1000, over = 7;
	percpu_counter_tree_approximate_accuracy_range(&c, &under, &over);
	ok(under == s.under && over == s.over,
	   "batch %lu: accuracy_range stores *under and *over", batch);
	is(percpu_counter_tree_inaccuracy(&c), s.under > s.over ? s.under : s.over,
	   "batch %lu: inaccuracy is max(under, over)", batch);

	long approx = 1, min = 2, max = 3;
	percpu_counter_tree_approximate_min_max(&c, &approx, &min, &max);
	ok(approx == s.approx && min == (long)((unsigned long)s.approx - s.over) &&
		   max == (long)((unsigned long)s.approx + s.under),
	   "batch %lu: min_max gives approx, approx - over, approx + under", batch);
	percpu_counter_tree_approximate_min_max(&c, NULL, NULL, NULL);
	percpu_counter_tree_approximate_min_max(&c, NULL, &min, NULL);
	ok(min == (long)((unsigned long)s.approx - s.over),
	   "batch %lu: min_max with NULLs",
	   batch);

	/* compare_value at the edges of the range. */
	long hi = (long)((unsigned long)s.approx + s.under);
	long lo = (long)((unsigned long)s.approx - s.over);
	ok(percpu_counter_tree_approximate_compare_value(&c, hi + 1) == 1 &&
		   percpu_counter_tree_approximate_compare_value(&c, hi) == 0 &&
		   percpu_counter_tree_approximate_compare_value(&c, lo) == 0 &&
		   percpu_counter_tree_approximate_compare_value(&c, lo - 1) == -1 &&
		   percpu_counter_tree_approximate_compare_value(&c, s.approx) == 0,
	   "batch %lu: approximate_compare_value: 1 above the range, 0 in it, -1 below",
	   batch);
	ok(percpu_counter_tree_approximate_compare_value(&c, LONG_MAX) == 1 &&
		   percpu_counter_tree_approximate_compare_value(&c, LONG_MIN) == -1,
	   "batch %lu: approximate_compare_value with LONG_MAX and LONG_MIN", batch);
	ok(percpu_counter_tree_precise_compare_value(&c, want) == 0 &&
		   percpu_counter_tree_precise_compare_value(&c, want + 1) == 1 &&
		   percpu_counter_tree_precise_compare_value(&c, want - 1) == -1 &&
		   percpu_counter_tree_precise_compare_value(&c, LONG_MAX) == 1 &&
		   percpu_counter_tree_precise_compare_value(&c, LONG_MIN) == -1,
	   "batch %lu: precise_compare_value is the sign of v - precise", batch);

	/* set, positives, wrapping. */
	percpu_counter_tree_set(&c, -42);
	s = snap_of(&c);
	ok(s.precise == -42 && accurate(&s), "batch %lu: set(-42)", batch);
	is(percpu_counter_tree_precise_sum_positive(&c), 0,
	   "batch %lu: precise_sum_positive of -42 is 0",
	   batch);
	percpu_counter_tree_set(&c, -(long)(4 * batch + 100));
	is(percpu_counter_tree_approximate_sum_positive(&c), 0,
	   "batch %lu: approximate_sum_positive of a far negative value is 0", batch);
	percpu_counter_tree_set(&c, 0);
	for (unsigned long i = 0; i < 8 * batch + 3; i++)
		percpu_counter_tree_add(&c, 1);
	s = snap_of(&c);
	is(percpu_counter_tree_precise_sum_positive(&c), (long)(8 * batch + 3),
	   "batch %lu: precise_sum_positive of a positive value", batch);
	is(percpu_counter_tree_approximate_sum_positive(&c), s.approx > 0 ? s.approx : 0,
	   "batch %lu: approximate_sum_positive", batch);
	percpu_counter_tree_set(&c, LONG_MAX);
	percpu_counter_tree_add(&c, 1);
	is(percpu_counter_tree_precise_sum(&c), LONG_MIN,
	   "batch %lu: LONG_MAX + 1 wraps to LONG_MIN",
	   batch);
	percpu_counter_tree_add(&c, -1);
	is(percpu_counter_tree_precise_sum(&c), LONG_MAX, "batch %lu: and back", batch);
	percpu_counter_tree_destroy(&c);
}

static void test_compare(unsigned long batch)
{
	struct percpu_counter_tree c[2];
	bool approx_right = true, precise_right = true;
	uint64_t seed = batch;

	if (!is(percpu_counter_tree_init_many(c, 2, batch), 0, "init_many(2) batch %lu",
		batch))
		return;
	for (int round = 0; round < 200; round++) {
		long d = (long)(tap_rand(&seed) % (8 * batch + 1)) - (long)(4 * batch);
		int n = (int)(tap_rand(&seed) % 50);

		for (int i = 0; i < n; i++)
			percpu_counter_tree_add(&c[i & 1], d / 2 + i);
		if (round % 50 == 49) {
			/* Make them equal. */
			long other = percpu_counter_tree_precise_sum(&c[1 - (round & 1)]);

			percpu_counter_tree_set(&c[round & 1], other);
		}

		struct snap a = snap_of(&c[0]), b = snap_of(&c[1]);
		wide_t diff = (wide_t)a.approx - b.approx;
		int want = diff > (wide_t)a.over + b.under ? 1 :
			   diff < -((wide_t)a.under + b.over) ? -1 : 0;
		int sign = (a.precise > b.precise) - (a.precise < b.precise);

		approx_right &= percpu_counter_tree_approximate_compare(&c[0],
									&c[1]) == want;
		approx_right &= percpu_counter_tree_approximate_compare(&c[1],
									&c[0]) == -want;
		/* A decided approximate comparison is never wrong. */
		approx_right &= want == 0 || want == sign;
		precise_right &= percpu_counter_tree_precise_compare(&c[0],
								     &c[1]) == sign;
		precise_right &= percpu_counter_tree_precise_compare(&c[1],
								     &c[0]) == -sign;
	}
	ok(approx_right, "batch %lu: approximate_compare follows the ranges", batch);
	ok(precise_right, "batch %lu: precise_compare is the sign of the difference",
	   batch);
	ok(percpu_counter_tree_precise_compare(&c[0], &c[0]) == 0 &&
		   percpu_counter_tree_approximate_compare(&c[0], &c[0]) == 0,
	   "batch %lu: a counter compares equal to itself", batch);
	percpu_counter_tree_set(&c[0], 5);
	percpu_counter_tree_set(&c[1], 5);
	is(percpu_counter_tree_precise_compare(&c[0], &c[1]), 0, "batch %lu: 5 vs 5",
	   batch);
	percpu_counter_tree_add(&c[1], 1);
	is(percpu_counter_tree_precise_compare(&c[0], &c[1]), -1, "batch %lu: 5 vs 6",
	   batch);
	percpu_counter_tree_set(&c[0], LONG_MIN);
	percpu_counter_tree_set(&c[1], LONG_MAX);
	ok(percpu_counter_tree_precise_compare(&c[0], &c[1]) == -1 &&
		   percpu_counter_tree_precise_compare(&c[1], &c[0]) == 1,
	   "batch %lu: LONG_MIN vs LONG_MAX does not overflow", batch);
	percpu_counter_tree_destroy_many(c, 2);
}

/* The index select_max must return, and how many precise sums it may take. */
static int model_max(struct percpu_counter_tree *const *c, unsigned n,
		     unsigned *candidates)
{
	wide_t best_lo = 0;
	long best = 0;
	int at = -1;

	for (unsigned i = 0; i < n; i++) {
		struct snap s = snap_of(c[i]);

		if (i == 0 || (wide_t)s.approx - s.over > best_lo)
			best_lo = (wide_t)s.approx - s.over;
		if (at < 0 || s.precise > best) {
			best = s.precise;
			at = (int)i;
		}
	}
	*candidates = 0;
	for (unsigned i = 0; i < n; i++) {
		struct snap s = snap_of(c[i]);

		*candidates += (wide_t)s.approx + s.under >= best_lo;
	}
	return at;
}

static void test_select_max(unsigned long batch)
{
	enum { N = 12 };
	struct percpu_counter_tree c[N], *ptrs[N];
	uint64_t seed = 99 + batch;
	bool right = true, bounded = true;
	unsigned nr_precise, cand;

	is(percpu_counter_tree_select_max(NULL, 0, NULL), -1, "select_max of none is -1");
	nr_precise = 12345;
	is(percpu_counter_tree_select_max(NULL, 0, &nr_precise), -1,
	   "select_max of none is -1");
	ok(nr_precise == 0, "select_max of none takes no precise sum");
	if (!is(percpu_counter_tree_init_many(c, N, batch), 0, "init_many(%d) batch %lu",
		N, batch))
		return;
	for (int i = 0; i < N; i++)
		ptrs[i] = &c[i];
	for (int round = 0; round < 100; round++) {
		/* Values spread widely, or bunched so that ranges overlap. */
		unsigned long spread = round % 2 ? 64 * batch : batch / 2 + 1;

		for (int i = 0; i < N; i++) {
			long target = (long)(tap_rand(&seed) % spread);

			if (round % 7 == 0)
				target = 3; /* all tied */
			target -= percpu_counter_tree_precise_sum(&c[i]);
			percpu_counter_tree_add(&c[i], target);
		}
		unsigned n = 1 + (unsigned)(round % N);
		int want = model_max(ptrs, n, &cand);
		int got = percpu_counter_tree_select_max(ptrs, n, &nr_precise);

		right &= got == want;
		bounded &= nr_precise <= cand;
		if (got != want)
			tap_diag("round %d: select_max of %u gave %d, want %d", round, n,
				 got, want);
		right &= percpu_counter_tree_select_max(ptrs, n, NULL) == want;
	}
	ok(right,
	   "batch %lu: select_max finds the largest precise sum, lowest index on ties",
	   batch);
	ok(bounded, "batch %lu: select_max takes precise sums only of unpruned counters",
	   batch);

	/* One counter far above the others' ranges is chosen without a
	 * precise sum of anything it pruned. */
	for (int i = 0; i < N; i++)
		percpu_counter_tree_set(&c[i], i);
	percpu_counter_tree_set(&c[5], 1000000 + 64 * (long)batch * pcpu_nr_cpus());
	int got = percpu_counter_tree_select_max(ptrs, N, &nr_precise);
	model_max(ptrs, N, &cand);
	ok(got == 5 && nr_precise <= cand,
	   "batch %lu: a clear maximum (precise sums %u of %u candidates)",
	   batch, nr_precise, cand);
	percpu_counter_tree_destroy_many(c, 0);
	is(percpu_counter_tree_precise_sum(&c[1]), 1,
	   "batch %lu: destroy_many of none is a no-op",
	   batch);
	percpu_counter_tree_destroy_many(c, N);
}

/* Misuse. */
static struct percpu_counter_tree victim;

static void use_add(void *c)
{
	percpu_counter_tree_add(c, 1);
}

static void use_approx(void *c)
{
	percpu_counter_tree_approximate_sum(c);
}

static void use_precise(void *c)
{
	percpu_counter_tree_precise_sum(c);
}

static void use_set(void *c)
{
	percpu_counter_tree_set(c, 1);
}

static void use_range(void *c)
{
	unsigned long u = 0, o = 0;

	percpu_counter_tree_approximate_accuracy_range(c, &u, &o);
}

static void use_destroy(void *c)
{
	percpu_counter_tree_destroy(c);
}

static void use_compare(void *c)
{
	struct percpu_counter_tree good;

	percpu_counter_tree_init(&good, 2);
	percpu_counter_tree_precise_compare(&good, c);
}

static void use_select(void *c)
{
	struct percpu_counter_tree good, *list[2] = { &good, c };

	percpu_counter_tree_init(&good, 2);
	percpu_counter_tree_select_max(list, 2, NULL);
}

static void test_misuse(void)
{
	static const struct {
		void (*fn)(void *);
		const char *name;
	} uses[] = {
		{ use_add, "add" },	      { use_approx, "approximate_sum" },
		{ use_precise, "precise_sum" }, { use_set, "set" },
		{ use_range, "accuracy_range" }, { use_destroy, "destroy" },
		{ use_compare, "precise_compare" }, { use_select, "select_max" },
	};
	const char *want = tap_fmt("libpcpu: percpu_counter_tree_*(%p): ",
				   (void *)&victim);

	memset(&victim, 0, sizeof(victim));
	for (size_t i = 0; i < sizeof(uses) / sizeof(uses[0]); i++)
		tap_aborts(uses[i].fn, &victim, want,
			   "%s of a zeroed tree counter aborts",
			   uses[i].name);
	percpu_counter_tree_init(&victim, 8);
	percpu_counter_tree_destroy(&victim);
	for (size_t i = 0; i < sizeof(uses) / sizeof(uses[0]); i++)
		tap_aborts(uses[i].fn, &victim, want,
			   "%s of a destroyed tree counter aborts",
			   uses[i].name);

	memset(&victim, 0, sizeof(victim));
	is(percpu_counter_tree_init(&victim, 3), -EINVAL, "init with batch 3 fails");
	tap_aborts(use_add, &victim, want, "a failed init initialised nothing");
}

/* Threads add to a few counters; shared atomics model each one. */
struct worker {
	struct percpu_counter_tree *c;
	long *model;
	unsigned n;
	uint64_t seed;
	double end;
};

static void *add_thread(void *arg)
{
	struct worker *w = arg;

	while (tap_now() < w->end) {
		for (int i = 0; i < 1000; i++) {
			uint64_t r = tap_rand(&w->seed);
			unsigned k = (unsigned)(r % w->n);
			long v = (long)((r >> 8) % 41) - 20;

			if ((r >> 30) % 512 == 0)
				v *= 100000;
			percpu_counter_tree_add(&w->c[k], v);
			__atomic_fetch_add(&w->model[k], v, __ATOMIC_RELAXED);
			if ((r >> 40) % 128 == 0) {
				/* Readers never block or break updaters. */
				percpu_counter_tree_approximate_sum(&w->c[k]);
				percpu_counter_tree_precise_sum(&w->c[k]);
			}
		}
	}
	return NULL;
}

static void test_threads(unsigned long batch)
{
	enum { THREADS = 8, N = 3 };
	struct percpu_counter_tree c[N], *ptrs[N];
	long model[N] = { 0 };
	struct worker w[THREADS];
	pthread_t tid[THREADS];
	double secs = tap_seconds(0.3);
	bool exact = true, acc = true, sel = true;

	if (percpu_counter_tree_init_many(c, N, batch))
		tap_bail("init_many failed");
	for (int k = 0; k < N; k++)
		ptrs[k] = &c[k];
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < THREADS; i++) {
			uint64_t seed = (uint64_t)(i + 1) * 1000003 + batch;

			w[i] = (struct worker){ c, model, N, seed, tap_now() + secs / 4 };
			pthread_create(&tid[i], NULL, add_thread, &w[i]);
		}
		for (int i = 0; i < THREADS; i++)
			pthread_join(tid[i], NULL);
		int best = 0;

		for (int k = 0; k < N; k++) {
			struct snap s = snap_of(&c[k]);

			exact &= s.precise == model[k];
			acc &= accurate(&s);
			if (model[k] > model[best])
				best = k;
		}
		sel &= percpu_counter_tree_select_max(ptrs, N, NULL) == best;
	}
	ok(exact, "batch %lu: %d threads, %d counters: precise sums match the model",
	   batch,
	   THREADS, N);
	ok(acc, "batch %lu: after the threads, approximate sums are within their ranges",
	   batch);
	ok(sel, "batch %lu: select_max agrees with the model", batch);
	percpu_counter_tree_destroy_many(c, N);
}

int main(void)
{
	static const unsigned long batches[] = { 2, 4, 32, 1024 };

	tap_start();
	test_bad_batch();
	for (size_t i = 0; i < sizeof(batches) / sizeof(batches[0]); i++) {
		test_basics(batches[i]);
		test_compare(batches[i]);
		test_select_max(batches[i]);
	}
	test_misuse();
	test_threads(2);
	test_threads(64);
	return tap_done();
}
