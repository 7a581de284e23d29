/* SPDX-License-Identifier: MIT */
/*
 * percpu_counter_tree: every function, the accuracy invariant and the
 * comparisons derived from it (their exact boundaries too), bad and good
 * batch sizes up to 2^63, adds of every size, set around powers of two,
 * select_max against a model and a brute-force scan with ties, fork, and
 * misuse (destroy of part of an init_many included), then threads adding
 * to several counters against shared-atomic models.
 *
 * Written against the contract of pcpu.h: the approximate sum may differ
 * from the precise one within the counter's accuracy range, so expected
 * comparison results are computed from the range read at the same moment.
 * One suite for both libraries (issue 17 merged tests/counter_tree.c into
 * it); tests/stress/counter_tree_shapes.sh runs it again at every tree shape.
 */
#include <errno.h>
#include <limits.h>
#include <pcpu.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../utils/tap.h"

typedef __int128 wide_t;

struct snap {
	long approx, precise;
	unsigned long under, over;
};

/* With no update in flight. */
static struct snap snap_of(struct percpu_counter_tree *c)
{
	struct snap s = {0};

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
	static const unsigned long bad[] = {0,	1,   3,	   5,	      6,	7,
					    12, 100, 1000, 3ul << 20, ULONG_MAX};
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
	   "batch %lu: approx - over <= precise <= approx + under throughout", batch);
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
	   "batch %lu: min_max with NULLs", batch);

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
	   "batch %lu: precise_sum_positive of -42 is 0", batch);
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
	   "batch %lu: LONG_MAX + 1 wraps to LONG_MIN", batch);
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
		int want = diff > (wide_t)a.over + b.under	? 1
			   : diff < -((wide_t)a.under + b.over) ? -1
								: 0;
		int sign = (a.precise > b.precise) - (a.precise < b.precise);

		approx_right &=
		    percpu_counter_tree_approximate_compare(&c[0], &c[1]) == want;
		approx_right &=
		    percpu_counter_tree_approximate_compare(&c[1], &c[0]) == -want;
		/* A decided approximate comparison is never wrong. */
		approx_right &= want == 0 || want == sign;
		precise_right &=
		    percpu_counter_tree_precise_compare(&c[0], &c[1]) == sign;
		precise_right &=
		    percpu_counter_tree_precise_compare(&c[1], &c[0]) == -sign;
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
	   "batch %lu: a clear maximum (precise sums %u of %u candidates)", batch,
	   nr_precise, cand);
	percpu_counter_tree_destroy_many(c, 0);
	is(percpu_counter_tree_precise_sum(&c[1]), 1,
	   "batch %lu: destroy_many of none is a no-op", batch);
	percpu_counter_tree_destroy_many(c, N);
}

#define NR_THREADS 16
#define NR_MANY	   3

/* approx - over <= precise <= approx + under, modulo 2^64 like the sums. */
static bool within_range(struct percpu_counter_tree *c)
{
	unsigned long under = 0, over = 0;
	long approx = percpu_counter_tree_approximate_sum(c);
	long precise = percpu_counter_tree_precise_sum(c);
	unsigned long d = (unsigned long)precise - (unsigned long)approx;

	percpu_counter_tree_approximate_accuracy_range(c, &under, &over);
	if (d <= under || -d <= over)
		return true;
	tap_diag("  approx %ld precise %ld under %lu over %lu", approx, precise, under,
		 over);
	return false;
}

static void test_batch_sizes(void)
{
	static const unsigned long bad[] = {
	    0, 1, 3, 5, 6, 12, 100, 1000, (1UL << 40) + 1, ~0UL};
	static const unsigned long good[] = {2, 4, 512, 1UL << 31, 1UL << 63};
	struct percpu_counter_tree c[2];
	bool all = true;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (percpu_counter_tree_init(c, bad[i]) != -EINVAL ||
		    percpu_counter_tree_init_many(c, 2, bad[i]) != -EINVAL) {
			tap_diag("  batch %lu accepted", bad[i]);
			all = false;
		}
	}
	ok(all, "init and init_many reject batch sizes 0, 1, 3 and non-powers of two");
	is(percpu_counter_tree_init_many(c, 0, 32), -EINVAL, "init_many of 0 counters");

	all = true;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (percpu_counter_tree_init(c, good[i])) {
			all = false;
			continue;
		}
		percpu_counter_tree_add(c, 5);
		percpu_counter_tree_add(c, -7);
		all &= percpu_counter_tree_precise_sum(c) == -2 && within_range(c);
		percpu_counter_tree_destroy(c);
	}
	ok(all, "powers of two from 2 to 2^63 work as batch sizes");
}

struct adder {
	pthread_t thread;
	struct percpu_counter_tree *c;
	long *model;
	uint64_t seed;
	double until;
};

static void *adder_run(void *arg)
{
	struct adder *a = arg;

	do {
		for (int i = 0; i < 256; i++) {
			uint64_t r = tap_rand(&a->seed);
			long inc = (long)(r % 50001);
			unsigned k = (unsigned)(r >> 32) % NR_MANY;

			if (r & (1ULL << 31))
				inc = -inc;
			/* now and then an add of any size: the 32-bit leaves
			 * must carry every bit above what they keep */
			if (!(r & 0x3f0000))
				inc = (long)tap_rand(&a->seed);
			percpu_counter_tree_add(&a->c[k], inc);
			__atomic_fetch_add(&a->model[k], inc, __ATOMIC_RELAXED);
		}
	} while (tap_now() < a->until);
	return NULL;
}

/* 16 threads of random adds on three counters made together, one round
 * per batch size, each checked at quiescence against an atomic model. */
static void test_concurrent_batches(void)
{
	double per_round = tap_seconds(0.8) / 8;
	uint64_t seed = 42;

	for (unsigned shift = 2; shift <= 9; shift++) {
		struct percpu_counter_tree c[NR_MANY];
		struct adder a[NR_THREADS];
		long model[NR_MANY] = {0};
		bool exact = true, in_range = true;

		if (percpu_counter_tree_init_many(c, NR_MANY, 1UL << shift))
			tap_bail("init_many failed");
		for (int round = 0; round < 2; round++) {
			double until = tap_now() + per_round / 2;

			for (int t = 0; t < NR_THREADS; t++) {
				a[t] = (struct adder){.c = c,
						      .model = model,
						      .seed = tap_rand(&seed),
						      .until = until};
				pthread_create(&a[t].thread, NULL, adder_run, &a[t]);
			}
			for (int t = 0; t < NR_THREADS; t++)
				pthread_join(a[t].thread, NULL);
			for (int k = 0; k < NR_MANY; k++) {
				if (percpu_counter_tree_precise_sum(&c[k]) != model[k]) {
					tap_diag("  counter %d: precise %ld, model %ld",
						 k,
						 percpu_counter_tree_precise_sum(&c[k]),
						 model[k]);
					exact = false;
				}
				in_range &= within_range(&c[k]);
			}
		}
		ok(exact, "batch %lu: precise sums equal the model after %d threads",
		   1UL << shift, NR_THREADS);
		ok(in_range, "batch %lu: approximate sums within their accuracy range",
		   1UL << shift);
		percpu_counter_tree_destroy_many(c, NR_MANY);
	}
}

/* Adds of every size, one thread, against a model, for batch sizes up to
 * 2^63: beyond 2^31 the leaves cannot hold a whole batch (tree_shape.h). */
static void test_wide_adds(void)
{
	static const unsigned shifts[] = {1, 5, 20, 31, 32, 40, 63};
	uint64_t seed = 7;

	for (size_t i = 0; i < sizeof(shifts) / sizeof(shifts[0]); i++) {
		struct percpu_counter_tree c;
		unsigned long model = 0;
		bool exact = true, in_range = true;

		if (percpu_counter_tree_init(&c, 1UL << shifts[i]))
			tap_bail("init failed");
		for (int n = 0; n < 20000; n++) {
			uint64_t r = tap_rand(&seed);
			/* sizes spread over every bit length, both signs */
			long inc = (long)(tap_rand(&seed) >> (r % 64));

			if (r & (1ULL << 32))
				inc = -inc;
			percpu_counter_tree_add(&c, inc);
			model += (unsigned long)inc;
			if (n % 97 == 0) {
				exact &=
				    percpu_counter_tree_precise_sum(&c) == (long)model;
				in_range &= within_range(&c);
			}
		}
		exact &= percpu_counter_tree_precise_sum(&c) == (long)model;
		ok(exact && in_range && within_range(&c),
		   "batch 2^%u: adds of every size keep the precise sum exact and in "
		   "range",
		   shifts[i]);
		percpu_counter_tree_destroy(&c);
	}
}

/* Leave residuals everywhere, so that approximate and precise sums differ
 * where the implementation has any slack. */
static void scramble(struct percpu_counter_tree *c, uint64_t *seed)
{
	for (int i = 0; i < 1000; i++)
		percpu_counter_tree_add(c, (long)(tap_rand(seed) % 2001) - 1000);
}

/* An add that spans a leaf's batch goes to the root whole: the leaf
 * keeps its residual, the approximate sum moves by exactly the add. */
static void test_add_to_root(void)
{
	bool portable = !strncmp(pcpu_runtime(), "libpcpu-api", 11);
	struct percpu_counter_tree c;
	unsigned long under = 0, over = 0;

	is(percpu_counter_tree_init(&c, 32), 0, "init with batch 32");
	percpu_counter_tree_add(&c, 5);
	long before = percpu_counter_tree_approximate_sum(&c);
	percpu_counter_tree_add(&c, 1000);
	percpu_counter_tree_add(&c, -40);
	is(percpu_counter_tree_approximate_sum(&c) - before, 960,
	   "adds of a batch or more move the approximate sum by exactly themselves");
	is(before, portable ? 5 : 0, "the small add stayed in its leaf");
	is(percpu_counter_tree_precise_sum(&c), 965, "the precise sum is exact");
	percpu_counter_tree_approximate_accuracy_range(&c, &under, &over);
	ok(percpu_counter_tree_approximate_sum(&c) - (long)over <= 965 &&
	       965 <= percpu_counter_tree_approximate_sum(&c) + (long)under,
	   "and within the accuracy range");
	percpu_counter_tree_destroy(&c);
}

static void test_compare_value(void)
{
	struct percpu_counter_tree c;
	unsigned long under = 0, over = 0;
	long approx, min, max;
	uint64_t seed = 7;

	if (percpu_counter_tree_init(&c, 64))
		tap_bail("init failed");
	percpu_counter_tree_set(&c, 0);
	percpu_counter_tree_approximate_accuracy_range(&c, &under, &over);
	is(percpu_counter_tree_approximate_sum(&c), 0, "fresh counter set to 0");
	is(percpu_counter_tree_approximate_compare_value(&c, (long)under), 0,
	   "compare_value(under = %lu) is undecided", under);
	is(percpu_counter_tree_approximate_compare_value(&c, (long)under + 1), 1,
	   "compare_value(under + 1) is above");
	is(percpu_counter_tree_approximate_compare_value(&c, -(long)over), 0,
	   "compare_value(-over = -%lu) is undecided", over);
	is(percpu_counter_tree_approximate_compare_value(&c, -(long)over - 1), -1,
	   "compare_value(-(over + 1)) is below");
	is(percpu_counter_tree_precise_compare_value(&c, 0), 0, "precise compare with 0");
	is(percpu_counter_tree_precise_compare_value(&c, 1), 1, "precise compare with 1");
	is(percpu_counter_tree_precise_compare_value(&c, -1), -1,
	   "precise compare with -1");
	ok(percpu_counter_tree_inaccuracy(&c) == (under > over ? under : over),
	   "inaccuracy is max(under, over)");

	/* The same boundaries on a counter whose approximation lags. */
	scramble(&c, &seed);
	percpu_counter_tree_set(&c, 0);
	scramble(&c, &seed);
	percpu_counter_tree_approximate_min_max(&c, &approx, &min, &max);
	is(approx, percpu_counter_tree_approximate_sum(&c),
	   "min_max returns the approximation");
	is(max - approx, (long)under, "max = approx + under");
	is(approx - min, (long)over, "min = approx - over");
	ok(min <= percpu_counter_tree_precise_sum(&c) &&
	       percpu_counter_tree_precise_sum(&c) <= max,
	   "precise sum within [min, max]");
	ok(percpu_counter_tree_approximate_compare_value(&c, min) == 0 &&
	       percpu_counter_tree_approximate_compare_value(&c, max) == 0 &&
	       percpu_counter_tree_approximate_compare_value(&c, min - 1) == -1 &&
	       percpu_counter_tree_approximate_compare_value(&c, max + 1) == 1,
	   "approximate compare_value boundaries at min and max");
	long p = percpu_counter_tree_precise_sum(&c);
	ok(percpu_counter_tree_precise_compare_value(&c, p) == 0 &&
	       percpu_counter_tree_precise_compare_value(&c, p + 1) == 1 &&
	       percpu_counter_tree_precise_compare_value(&c, p - 1) == -1,
	   "precise compare_value around the precise sum");
	percpu_counter_tree_destroy(&c);
}

static void test_compare_two(void)
{
	struct percpu_counter_tree a, b;
	unsigned long ua = 0, oa = 0, ub = 0, ob = 0;

	if (percpu_counter_tree_init(&a, 32) || percpu_counter_tree_init(&b, 128))
		tap_bail("init failed");
	percpu_counter_tree_approximate_accuracy_range(&a, &ua, &oa);
	percpu_counter_tree_approximate_accuracy_range(&b, &ub, &ob);

	long up = (long)(oa + ub), down = (long)(ua + ob);

	percpu_counter_tree_set(&a, 1000 + up);
	percpu_counter_tree_set(&b, 1000);
	is(percpu_counter_tree_approximate_compare(&a, &b), 0,
	   "a = b + over_a + under_b: undecided");
	is(percpu_counter_tree_precise_compare(&a, &b), up ? 1 : 0, "precise sign");
	percpu_counter_tree_set(&a, 1000 + up + 1);
	is(percpu_counter_tree_approximate_compare(&a, &b), 1,
	   "a = b + over_a + under_b + 1: a larger");
	is(percpu_counter_tree_precise_compare(&a, &b), 1, "precise: a larger");

	percpu_counter_tree_set(&a, -1000);
	percpu_counter_tree_set(&b, -1000 + down);
	is(percpu_counter_tree_approximate_compare(&a, &b), 0,
	   "b = a + under_a + over_b: undecided");
	is(percpu_counter_tree_precise_compare(&a, &b), down ? -1 : 0, "precise sign");
	percpu_counter_tree_set(&b, -1000 + down + 1);
	is(percpu_counter_tree_approximate_compare(&a, &b), -1,
	   "b = a + under_a + over_b + 1: a smaller");
	is(percpu_counter_tree_precise_compare(&a, &b), -1, "precise: a smaller");

	percpu_counter_tree_set(&a, 77);
	percpu_counter_tree_set(&b, 77);
	is(percpu_counter_tree_approximate_compare(&a, &b), 0, "equal: undecided");
	is(percpu_counter_tree_precise_compare(&a, &b), 0, "equal: precise 0");
	is(percpu_counter_tree_precise_compare(&a, &a), 0, "a counter equals itself");
	percpu_counter_tree_destroy(&a);
	percpu_counter_tree_destroy(&b);
}

static void test_set(void)
{
	static const long base[] = {127, 128, 255, 256, 4095, 4096, 500000};
	uint64_t seed = 11;
	bool all = true;

	for (unsigned long batch = 4; batch <= 512; batch *= 8) {
		struct percpu_counter_tree c;

		if (percpu_counter_tree_init(&c, batch))
			tap_bail("init failed");
		for (size_t i = 0; i < 2 * sizeof(base) / sizeof(base[0]); i++) {
			long v = i % 2 ? -base[i / 2] : base[i / 2];

			scramble(&c, &seed);
			percpu_counter_tree_set(&c, v);
			bool set_ok =
			    percpu_counter_tree_precise_sum(&c) == v && within_range(&c);
			percpu_counter_tree_add(&c, v);
			bool dbl = percpu_counter_tree_precise_sum(&c) == 2 * v &&
				   within_range(&c);
			percpu_counter_tree_add(&c, -2 * v);
			bool zero =
			    percpu_counter_tree_precise_sum(&c) == 0 && within_range(&c);
			/* One unit at a time across the batch boundaries. */
			for (long j = 0; j < 3 * (long)batch; j++)
				percpu_counter_tree_add(&c, v < 0 ? -1 : 1);
			bool steps = percpu_counter_tree_precise_sum(&c) ==
					 (v < 0 ? -3 : 3) * (long)batch &&
				     within_range(&c);
			if (!(set_ok && dbl && zero && steps)) {
				tap_diag("  batch %lu value %ld: set %d double %d cancel "
					 "%d steps %d",
					 batch, v, set_ok, dbl, zero, steps);
				all = false;
			}
		}
		percpu_counter_tree_set(&c, -5);
		all &= percpu_counter_tree_precise_sum_positive(&c) == 0 &&
		       percpu_counter_tree_approximate_sum_positive(&c) == 0;
		percpu_counter_tree_set(&c, 5);
		all &= percpu_counter_tree_precise_sum_positive(&c) == 5;
		percpu_counter_tree_set(&c, LONG_MAX);
		percpu_counter_tree_add(&c, 1);
		all &=
		    percpu_counter_tree_precise_sum(&c) == LONG_MIN && within_range(&c);
		percpu_counter_tree_destroy(&c);
		ok(all,
		   "batch %lu: set around powers of two, then double, cancel and step",
		   batch);
	}
}

/* The first index of the largest precise sum. */
static int brute_max(struct percpu_counter_tree **c, unsigned n)
{
	int best = -1;
	long best_sum = 0;

	for (unsigned i = 0; i < n; i++) {
		long s = percpu_counter_tree_precise_sum(c[i]);

		if (best < 0 || s > best_sum) {
			best = (int)i;
			best_sum = s;
		}
	}
	return best;
}

static void test_select_max_ties(void)
{
	enum { N = 64 };
	struct percpu_counter_tree many[N], *c[N];
	uint64_t seed = 99;
	bool all = true;
	unsigned taken = 12345;

	if (percpu_counter_tree_init_many(many, N, 16))
		tap_bail("init_many failed");
	for (int i = 0; i < N; i++)
		c[i] = &many[i];
	is(percpu_counter_tree_select_max(c, 0, &taken), -1, "select_max of none");
	is(taken, 0, "no precise sum for none");

	for (int round = 0; round < 200; round++) {
		unsigned n = 1 + (unsigned)(tap_rand(&seed) % N);
		/* Few distinct levels, so ties are common, reached through
		 * adds that leave residuals. */
		long spread = round % 3 == 0 ? 1 : round % 3 == 1 ? 50 : 100000;

		for (unsigned i = 0; i < n; i++) {
			long target = (long)(tap_rand(&seed) % 4) * spread;

			percpu_counter_tree_set(c[i], 0);
			scramble(c[i], &seed);
			percpu_counter_tree_add(
			    c[i], target - percpu_counter_tree_precise_sum(c[i]));
		}
		int got = percpu_counter_tree_select_max(c, n, &taken);
		int want = brute_max(c, n);

		if (got != want || taken > n) {
			tap_diag("  round %d n %u: got %d want %d, %u precise sums",
				 round, n, got, want, taken);
			all = false;
		}
	}
	ok(all, "select_max equals a brute-force scan on random sets with ties");

	/* One clearly largest: no precise sum needed. */
	for (int i = 0; i < N; i++)
		percpu_counter_tree_set(c[i], i);
	percpu_counter_tree_set(c[N / 2], 1L << 40);
	is(percpu_counter_tree_select_max(c, N, &taken), N / 2, "clear maximum found");
	is(taken, 0, "without any precise sum");
	for (int i = 0; i < N; i++)
		percpu_counter_tree_set(c[i], 3);
	is(percpu_counter_tree_select_max(c, N, NULL), 0, "all equal: the lowest index");

	/* A precise sum that wrapped past LONG_MAX, its approximation not
	 * (yet): the range crosses the end, so it proves no order. */
	percpu_counter_tree_set(c[0], LONG_MAX);
	percpu_counter_tree_add(c[0], 1);
	percpu_counter_tree_set(c[1], 0);
	is(percpu_counter_tree_select_max(c, 2, NULL), 1,
	   "a sum wrapped to LONG_MIN is not the maximum");
	is(percpu_counter_tree_precise_compare(c[0], c[1]), -1, "and compares below 0");
	is(percpu_counter_tree_precise_compare_value(c[0], 0), 1, "0 is above it");
	ok(percpu_counter_tree_approximate_compare_value(c[0], 0) != -1,
	   "its approximation does not claim to be above 0");
	percpu_counter_tree_destroy_many(many, N);
}

/* A child inherits live counters and can make new ones.  (A thread of the
 * parent making and destroying counters meanwhile belongs here too, once
 * the arena survives a fork taken while it is locked.) */
static void test_fork(void)
{
	struct percpu_counter_tree c;
	bool all = true;

	if (percpu_counter_tree_init(&c, 16))
		tap_bail("init failed");
	percpu_counter_tree_add(&c, 1000);
	for (int i = 0; i < 20; i++) {
		pid_t pid = fork();
		int status;

		if (pid == 0) {
			struct percpu_counter_tree d;

			alarm(10); /* a lock inherited held would hang here */
			percpu_counter_tree_add(&c, 1);
			_exit(percpu_counter_tree_precise_sum(&c) != 1001 ||
			      percpu_counter_tree_init(&d, 8) ||
			      (percpu_counter_tree_add(&d, 3),
			       percpu_counter_tree_precise_sum(&d) != 3));
		}
		if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status)) {
			tap_diag("  child %d: status %#x", i, status);
			all = false;
		}
	}
	ok(all, "forked children use inherited counters and make new ones");
	is(percpu_counter_tree_precise_sum(&c), 1000, "the parent's counter is its own");
	percpu_counter_tree_destroy(&c);
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
	struct percpu_counter_tree good, *list[2] = {&good, c};

	percpu_counter_tree_init(&good, 2);
	percpu_counter_tree_select_max(list, 2, NULL);
}

static void destroy_member(void *arg)
{
	percpu_counter_tree_destroy(&((struct percpu_counter_tree *)arg)[1]);
}

static void destroy_two_of_three(void *arg)
{
	percpu_counter_tree_destroy_many(arg, 2);
}

static void test_misuse(void)
{
	static const struct {
		void (*fn)(void *);
		const char *name;
	} uses[] = {
	    {use_add, "add"},
	    {use_approx, "approximate_sum"},
	    {use_precise, "precise_sum"},
	    {use_set, "set"},
	    {use_range, "accuracy_range"},
	    {use_destroy, "destroy"},
	    {use_compare, "precise_compare"},
	    {use_select, "select_max"},
	};
	const char *want =
	    tap_fmt("libpcpu: percpu_counter_tree_*(%p): ", (void *)&victim);

	memset(&victim, 0, sizeof(victim));
	for (size_t i = 0; i < sizeof(uses) / sizeof(uses[0]); i++)
		tap_aborts(uses[i].fn, &victim, want,
			   "%s of a zeroed tree counter aborts", uses[i].name);
	percpu_counter_tree_init(&victim, 8);
	percpu_counter_tree_destroy(&victim);
	for (size_t i = 0; i < sizeof(uses) / sizeof(uses[0]); i++)
		tap_aborts(uses[i].fn, &victim, want,
			   "%s of a destroyed tree counter aborts", uses[i].name);
	tap_aborts(use_add, &victim, "percpu_counter_tree_add",
		   "add on a destroyed counter aborts");
	tap_aborts(use_destroy, &victim, "percpu_counter_tree",
		   "destroying twice aborts");

	/* Counters made together are destroyed together, in both libraries
	 * (the portable one accepted these until issue 17). */
	struct percpu_counter_tree three[3];
	if (percpu_counter_tree_init_many(three, 3, 8))
		tap_bail("init_many failed");
	tap_aborts(destroy_member, three, "not made by one init of 1",
		   "destroying one counter of an init_many aborts");
	tap_aborts(destroy_two_of_three, three, "not made by one init_many of 2",
		   "destroy_many of fewer than init_many made aborts");
	percpu_counter_tree_destroy_many(three, 3);

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
	long model[N] = {0};
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

			w[i] = (struct worker){c, model, N, seed, tap_now() + secs / 4};
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
	   batch, THREADS, N);
	ok(acc, "batch %lu: after the threads, approximate sums are within their ranges",
	   batch);
	ok(sel, "batch %lu: select_max agrees with the model", batch);
	percpu_counter_tree_destroy_many(c, N);
}

int main(void)
{
	static const unsigned long batches[] = {2, 4, 32, 1024};

	tap_start();
	test_bad_batch();
	test_batch_sizes();
	test_add_to_root();
	test_compare_value();
	test_compare_two();
	test_set();
	test_select_max_ties();
	for (size_t i = 0; i < sizeof(batches) / sizeof(batches[0]); i++) {
		test_basics(batches[i]);
		test_compare(batches[i]);
		test_select_max(batches[i]);
	}
	test_misuse();
	test_threads(2);
	test_threads(64);
	test_concurrent_batches();
	test_wide_adds();
	test_fork();
	return tap_done();
}
