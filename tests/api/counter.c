/* SPDX-License-Identifier: MIT */
/*
 * percpu_counter: every function, its bounds and its misuse, where a delta
 * folds on one CPU, init_many beyond one allocation's worth of counters,
 * destroy and destroy_many given other than what one init made, then
 * threads updating counters and racing limited adds against shared-atomic
 * models.
 *
 * Written against the contract of pcpu.h, not one implementation: read()
 * may lag the exact value by less than batch * pcpu_nr_cpus().  One
 * suite for both libraries (issue 17 merged tests/counter.c into it).
 */
#include <errno.h>
#include <pcpu.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "../utils/tap.h"

static int nr;

/* |read - sum| < batch * nr_cpus, with no update in flight. */
static bool read_near(struct percpu_counter *c, int64_t batch)
{
	__int128 d = (__int128)percpu_counter_read(c) - percpu_counter_sum(c);

	if (batch < 1)
		batch = 1;
	return d < (__int128)batch * nr && d > -(__int128)batch * nr;
}

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

static void test_basics(void)
{
	struct percpu_counter c;
	int32_t batch = percpu_counter_batch();

	is(batch, 2 * nr > 512 ? 2 * nr : 512,
	   "percpu_counter_batch() is max(512, 2 * nr_cpus)");
	is(percpu_counter_init(&c, 42), 0, "percpu_counter_init(42)");
	is(percpu_counter_sum(&c), 42, "sum of a new counter is its initial value");
	is(percpu_counter_read(&c), 42, "read of the initial value");
	ok(read_near(&c, batch), "read of a new counter is within the bound");
	percpu_counter_add(&c, 10);
	percpu_counter_sub(&c, 3);
	percpu_counter_inc(&c);
	percpu_counter_dec(&c);
	percpu_counter_dec(&c);
	is(percpu_counter_sum(&c), 48, "add 10, sub 3, inc, dec, dec: 48");
	ok(read_near(&c, batch), "read is within batch * nr_cpus of sum");
	percpu_counter_sub(&c, INT64_MIN);
	percpu_counter_sub(&c, INT64_MIN);
	is(percpu_counter_sum(&c), 48, "sub(INT64_MIN) twice wraps back");

	int64_t want = 48;
	for (int i = 0; i < 10000; i++) {
		int64_t v = (i % 7) - 3 + (i % 1000 == 0 ? 1000000 : 0);

		percpu_counter_add(&c, v);
		want += v;
	}
	is(percpu_counter_sum(&c), want, "10000 mixed adds: exact sum");
	ok(read_near(&c, batch),
	   "read is within batch * nr_cpus of sum after 10000 adds");

	for (int32_t b = -1; b <= 1000; b = b < 4 ? b + 1 : b * 3) {
		for (int i = 0; i < 500; i++) {
			percpu_counter_add_batch(&c, (i & 1) ? 3 : -1, b);
			want += (i & 1) ? 3 : -1;
		}
		is(percpu_counter_sum(&c), want, "add_batch with batch %d: exact sum", b);
		ok(read_near(&c, b > batch ? b : batch),
		   "batch %d: read within the bound", b);
	}

	/* set() makes the exact value; read() stays within its bound (the
	 * runtime may leave CPUs' deltas in place and adjust the count). */
	percpu_counter_set(&c, -5);
	is(percpu_counter_sum(&c), -5, "set(-5): sum");
	ok(read_near(&c, 972),
	   "set(-5): read within the bound of the largest batch used");
	int64_t r = percpu_counter_read(&c);
	is(percpu_counter_read_positive(&c), r > 0 ? r : 0, "read_positive is read or 0");
	is(percpu_counter_sum_positive(&c), 0, "sum_positive of -5 is 0");
	percpu_counter_add(&c, 12);
	is(percpu_counter_sum_positive(&c), 7, "sum_positive of 7 is 7");
	ok(percpu_counter_read_positive(&c) >= 0, "read_positive is never negative");
	percpu_counter_set(&c, 1000000);
	ok(percpu_counter_read_positive(&c) > 1000000 - (int64_t)972 * nr,
	   "read_positive after set(1000000) is within the bound");

	int64_t before = percpu_counter_read(&c);
	percpu_counter_add_batch(&c, 3, 0);
	is(percpu_counter_read(&c), before + 3, "batch 0 folds at once");
	percpu_counter_set(&c, -12);
	is(percpu_counter_sum(&c), -12, "set is exact");
	is(percpu_counter_read_positive(&c) >= 0, 1, "read_positive is not negative");
	is(percpu_counter_sum_positive(&c), 0, "sum_positive clamps");

	percpu_counter_set(&c, INT64_MAX);
	is(percpu_counter_sum(&c), INT64_MAX, "set(INT64_MAX)");
	percpu_counter_sub(&c, INT64_MAX);
	percpu_counter_sub(&c, 1);
	is(percpu_counter_sum(&c), -1, "sub(INT64_MAX), sub(1): -1");
	percpu_counter_destroy(&c);

	is(percpu_counter_init(&c, INT64_MIN), 0, "percpu_counter_init(INT64_MIN)");
	is(percpu_counter_sum(&c), INT64_MIN, "sum is INT64_MIN");
	is(percpu_counter_sum_positive(&c), 0, "sum_positive of INT64_MIN is 0");
	percpu_counter_destroy(&c);
}

/* Pinned, so every fold lands on the delta that triggered it and the read
 * is within the documented distance after every add. */
static void test_pinned_lag(void)
{
	struct percpu_counter c;
	int64_t slack = (int64_t)percpu_counter_batch() * nr;
	cpu_set_t old;
	bool lag = true;

	is(percpu_counter_init(&c, 40), 0, "init");
	is(percpu_counter_sum(&c), 40, "initial value");
	percpu_counter_add(&c, 5);
	percpu_counter_sub(&c, 7);
	percpu_counter_inc(&c);
	percpu_counter_dec(&c);
	percpu_counter_dec(&c);
	is(percpu_counter_sum(&c), 37, "add, sub, inc, dec");
	pin_to_one_cpu(&old);
	for (int i = 0; i < 10000; i++) {
		percpu_counter_add(&c, (i % 7) - 2);
		int64_t d = percpu_counter_read(&c) - percpu_counter_sum(&c);
		lag &= d < slack && d > -slack;
	}
	sched_setaffinity(0, sizeof(old), &old);
	ok(lag, "read stays within batch * cpus of the sum");
	percpu_counter_destroy(&c);
}

/*
 * A delta folds into the count exactly when it reaches +-batch: one add
 * short of it, the read has not moved (the portable library's read is
 * always exact), and the add that reaches it moves the read by all of it.
 */
static void test_fold_at_batch(void)
{
	const int32_t batches[] = {1, 5, percpu_counter_batch()};
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
			   "batch %d: an add of %d reaches the count alone", b,
			   sign * 3 * b);
			is(percpu_counter_sum(&c), sign * (4 * b + 1),
			   "and the sum is exact");
			percpu_counter_destroy(&c);
		}
	}
	sched_setaffinity(0, sizeof(old), &old);
}

static void test_compare(void)
{
	struct percpu_counter c;
	int64_t slack = (int64_t)percpu_counter_batch() * nr;

	percpu_counter_init(&c, 0);
	for (int i = 0; i < 777; i++)
		percpu_counter_inc(&c);
	is(percpu_counter_compare(&c, 777), 0, "compare(777) of 777 is 0");
	is(percpu_counter_compare(&c, 776), 1, "compare(776) of 777 is 1");
	is(percpu_counter_compare(&c, 778), -1, "compare(778) of 777 is -1");
	is(percpu_counter_compare(&c, 777 - 10 * slack), 1, "compare far below is 1");
	is(percpu_counter_compare(&c, 777 + 10 * slack), -1, "compare far above is -1");
	is(percpu_counter_compare(&c, INT64_MIN), 1, "compare(INT64_MIN) is 1");
	is(percpu_counter_compare(&c, INT64_MAX), -1, "compare(INT64_MAX) is -1");
	/* set() then compare at the boundaries, and just past the bound. */
	percpu_counter_set(&c, 1000);
	is(percpu_counter_compare(&c, 1000), 0, "compare equal");
	is(percpu_counter_compare(&c, 999), 1, "compare above by one");
	is(percpu_counter_compare(&c, 1001), -1, "compare below by one");
	is(percpu_counter_compare(&c, 1000 + 3 * slack), -1, "compare far below");
	is(percpu_counter_compare(&c, 1000 - 3 * slack), 1, "compare far above");
	percpu_counter_set(&c, INT64_MIN);
	is(percpu_counter_compare(&c, INT64_MAX), -1,
	   "INT64_MIN compared with INT64_MAX is -1");
	is(percpu_counter_compare(&c, INT64_MIN), 0,
	   "INT64_MIN compared with itself is 0");
	percpu_counter_set(&c, INT64_MAX);
	is(percpu_counter_compare(&c, INT64_MIN), 1,
	   "INT64_MAX compared with INT64_MIN is 1");
	percpu_counter_destroy(&c);
}

static void test_limited_add(void)
{
	struct percpu_counter c;

	percpu_counter_init(&c, 0);
	ok(percpu_counter_limited_add(&c, 10, 4), "0 + 4 <= 10: added");
	ok(percpu_counter_limited_add(&c, 10, 6), "4 + 6 <= 10: added");
	ok(!percpu_counter_limited_add(&c, 10, 1), "10 + 1 > 10: refused");
	is(percpu_counter_sum(&c), 10, "the refused add left 10");
	ok(percpu_counter_limited_add(&c, 10, 0), "amount 0 returns true");
	ok(percpu_counter_limited_add(&c, -100, 0),
	   "amount 0 returns true whatever the limit");
	ok(!percpu_counter_limited_add(&c, 5, 1), "a limit already exceeded refuses");
	ok(percpu_counter_limited_add(&c, 0, -10), "10 - 10 >= 0: added");
	ok(!percpu_counter_limited_add(&c, 0, -1), "0 - 1 < 0: refused");
	ok(percpu_counter_limited_add(&c, -5, -5), "0 - 5 >= -5: added");
	is(percpu_counter_sum(&c), -5, "now -5");
	ok(percpu_counter_limited_add(&c, INT64_MAX, INT64_MAX),
	   "-5 + INT64_MAX <= INT64_MAX: added");
	is(percpu_counter_sum(&c), INT64_MAX - 5, "now INT64_MAX - 5");
	percpu_counter_destroy(&c);

	/* Folded deltas must count: build a value out of per-CPU adds. */
	percpu_counter_init(&c, 0);
	for (int i = 0; i < 1000; i++)
		percpu_counter_add(&c, 1);
	ok(!percpu_counter_limited_add(&c, 1000, 1),
	   "1000 plain adds, then +1 over 1000 refused");
	ok(percpu_counter_limited_add(&c, 1001, 1), "+1 up to 1001 added");
	ok(!percpu_counter_limited_add(&c, 1000, -2000), "1001 - 2000 < 1000: refused");
	ok(percpu_counter_limited_add(&c, -999, -2000), "1001 - 2000 >= -999: added");
	is(percpu_counter_sum(&c), -999, "now -999");
	percpu_counter_destroy(&c);

	percpu_counter_init(&c, INT64_MAX - 1);
	ok(percpu_counter_limited_add(&c, INT64_MAX, 1),
	   "INT64_MAX - 1 + 1 <= INT64_MAX: added");
	ok(!percpu_counter_limited_add(&c, INT64_MAX, 1),
	   "INT64_MAX + 1 overflows: refused");
	is(percpu_counter_sum(&c), INT64_MAX, "still INT64_MAX");
	percpu_counter_set(&c, INT64_MIN + 1);
	ok(percpu_counter_limited_add(&c, INT64_MIN, -1),
	   "INT64_MIN + 1 - 1 >= INT64_MIN: added");
	ok(!percpu_counter_limited_add(&c, INT64_MIN, -1),
	   "INT64_MIN - 1 overflows: refused");
	is(percpu_counter_sum(&c), INT64_MIN, "still INT64_MIN");
	percpu_counter_destroy(&c);

	percpu_counter_init(&c, 0);
	ok(percpu_counter_limited_add(&c, 10, 5), "5 of 10");
	ok(percpu_counter_limited_add(&c, 10, 5), "10 of 10");
	ok(!percpu_counter_limited_add(&c, 10, 1), "11 of 10 refused");
	ok(percpu_counter_limited_add(&c, 10, 0), "adding 0 succeeds");
	ok(!percpu_counter_limited_add(&c, 0, -11), "-1 of floor 0 refused");
	ok(percpu_counter_limited_add(&c, 0, -10), "0 of floor 0");
	is(percpu_counter_sum(&c), 0, "sum after limited adds");
	percpu_counter_set(&c, INT64_MAX - 1);
	ok(!percpu_counter_limited_add(&c, INT64_MAX, 5),
	   "an overflowing add is refused");
	ok(percpu_counter_limited_add(&c, INT64_MAX, 1), "up to INT64_MAX");
	percpu_counter_destroy(&c);

	/* A count that a plain add moved next to a limit far above the
	 * deltas' reach: the limited adds must see the count, not only
	 * their own copy, in both directions.  (A fresh counter each way: a
	 * slow path near the limit shuts the fast path out for good.) */
	enum { FAR = 1000000 };
	percpu_counter_init(&c, 0);
	percpu_counter_add(&c, FAR - 3);
	ok(!percpu_counter_limited_add(&c, FAR, 5), "FAR - 3 + 5 > FAR: refused");
	ok(percpu_counter_limited_add(&c, FAR, 3), "FAR - 3 + 3 <= FAR: added");
	ok(!percpu_counter_limited_add(&c, FAR, 1), "FAR + 1 > FAR: refused");
	percpu_counter_destroy(&c);
	percpu_counter_init(&c, 0);
	percpu_counter_add(&c, -FAR);
	ok(!percpu_counter_limited_add(&c, -FAR - 2, -3), "-FAR - 3 < -FAR - 2: refused");
	ok(percpu_counter_limited_add(&c, -FAR - 2, -2), "-FAR - 2 >= -FAR - 2: added");
	is(percpu_counter_sum(&c), -FAR - 2, "now -FAR - 2");
	percpu_counter_destroy(&c);

	/*
	 * Far from a large limit, beyond the far slack (pcpu/abi.h), inline
	 * limited adds decide on the count with one comparison; nearer, the
	 * deltas count.  500 in this thread's copy and a count 100 under
	 * the limit: the total is past it, and an add that decided on the
	 * count alone would go through.
	 */
	enum { NEAR = 100, HELD = 500 };
	const int64_t LARGE = INT64_C(1) << 40;

	percpu_counter_init(&c, 0);
	for (int i = 0; i < HELD; i++)
		percpu_counter_inc(&c);
	percpu_counter_add(&c, LARGE - NEAR);
	ok(!percpu_counter_limited_add(&c, LARGE, 1),
	   "count LARGE - %d, %d in a copy: +1 refused under LARGE", NEAR, HELD);
	percpu_counter_add(&c, -(INT64_C(1) << 25));
	ok(percpu_counter_limited_add(&c, LARGE, 1), "2^25 further down: added");
	is(percpu_counter_sum(&c), LARGE - NEAR + HELD - (INT64_C(1) << 25) + 1,
	   "the sum has the one add");
	percpu_counter_destroy(&c);
	percpu_counter_init(&c, 0);
	for (int i = 0; i < HELD; i++)
		percpu_counter_dec(&c);
	percpu_counter_add(&c, -LARGE + NEAR);
	ok(!percpu_counter_limited_add(&c, -LARGE, -1),
	   "count -LARGE + %d, -%d in a copy: -1 refused above floor -LARGE", NEAR, HELD);
	percpu_counter_add(&c, INT64_C(1) << 25);
	ok(percpu_counter_limited_add(&c, -LARGE, -1), "2^25 further up: added");
	is(percpu_counter_sum(&c), -LARGE + NEAR - HELD + (INT64_C(1) << 25) - 1,
	   "the sum has the one add");
	percpu_counter_destroy(&c);

	/* A batch whose deltas reach past the far slack (2^26 on any number
	 * of CPUs): the far path must not decide on the count, though the
	 * count lies beyond the slack and the copy has room for the add. */
	const int32_t WIDE = INT32_C(1) << 26;

	percpu_counter_init(&c, 0);
	percpu_counter_add_batch(&c, WIDE / 2, WIDE);
	percpu_counter_add(&c, LARGE - WIDE / 2);
	ok(!percpu_counter_limited_add(&c, LARGE, 1),
	   "2^25 in a delta of a batch-2^26 counter, count 2^25 under LARGE: +1 refused");
	is(percpu_counter_sum(&c), LARGE, "nothing added");
	percpu_counter_destroy(&c);

	/* Counts at the ends of the range, a delta past them: the value
	 * wraps (modulo 2^64) to the other end, past any limit. */
	percpu_counter_init(&c, INT64_MIN + 10);
	percpu_counter_add(&c, -20);
	ok(!percpu_counter_limited_add(&c, INT64_MAX / 2, 1),
	   "INT64_MIN + 10 - 20 wraps to INT64_MAX - 9: +1 refused below INT64_MAX / 2");
	percpu_counter_add(&c, 20);
	percpu_counter_set(&c, INT64_MAX - 10);
	percpu_counter_add(&c, 20);
	ok(!percpu_counter_limited_add(&c, INT64_MIN / 2, -1),
	   "INT64_MAX - 10 + 20 wraps to INT64_MIN + 9: -1 refused above INT64_MIN / 2");
	is(percpu_counter_sum(&c), INT64_MIN + 9,
	   "the refused adds left the wrapped value");
	percpu_counter_destroy(&c);
}

static void test_many(void)
{
	enum { N = 5 };
	struct percpu_counter c[N];
	bool right = true;

	is(percpu_counter_init_many(c, 7, 0), -EINVAL, "init_many with n = 0 is -EINVAL");
	is(percpu_counter_init_many(c, 7, N), 0, "init_many of %d counters", N);
	for (int i = 0; i < N; i++)
		for (int k = 0; k <= i * 100; k++)
			percpu_counter_inc(&c[i]);
	for (int i = 0; i < N; i++)
		right &= percpu_counter_sum(&c[i]) == 7 + i * 100 + 1;
	ok(right, "counters of one init_many are independent");
	percpu_counter_destroy_many(c, 0);
	ok(percpu_counter_sum(&c[0]) == 8, "destroy_many of none is a no-op");
	percpu_counter_destroy_many(c, N);

	/* Many counters alive at once. */
	enum { M = 300 };
	struct percpu_counter *m = calloc(M, sizeof(*m));
	int err = 0;

	for (int i = 0; i < M && !err; i++)
		err = percpu_counter_init(&m[i], i);
	is(err, 0, "%d counters initialised", M);
	for (int i = 0; i < M; i++)
		percpu_counter_add(&m[i], i);
	right = true;
	for (int i = 0; i < M; i++)
		right &= percpu_counter_sum(&m[i]) == 2 * i;
	ok(right, "%d live counters keep their own values", M);
	for (int i = 0; i < M; i++)
		percpu_counter_destroy(&m[i]);
	free(m);

	/* More than one allocation's worth of slots in one init_many. */
	enum { BIG = 5000 };
	struct percpu_counter *big = calloc(BIG, sizeof(*big));

	is(percpu_counter_init_many(big, 0, 0), -EINVAL, "init_many of 0 counters");
	is(percpu_counter_init_many(big, 3, BIG), 0, "init_many of %d counters", BIG);
	for (int i = 0; i < BIG; i++)
		percpu_counter_add_batch(&big[i], i, 4);
	right = true;
	for (int i = 0; i < BIG; i++)
		right &= percpu_counter_sum(&big[i]) == 3 + i;
	ok(right, "counters made together stay independent");
	percpu_counter_destroy_many(big, BIG);
	free(big);
}

/* Misuse: uninitialised and destroyed counters abort with a message. */
static struct percpu_counter victim;

static void use_add(void *c)
{
	percpu_counter_add(c, 1);
}

static void use_sum(void *c)
{
	percpu_counter_sum(c);
}

static void use_read(void *c)
{
	percpu_counter_read(c);
}

static void use_destroy(void *c)
{
	percpu_counter_destroy(c);
}

static void use_limited(void *c)
{
	percpu_counter_limited_add(c, 100, 1);
}

static void use_set(void *c)
{
	percpu_counter_set(c, 1);
}

static void use_compare(void *c)
{
	percpu_counter_compare(c, 1);
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
	static const struct {
		void (*fn)(void *);
		const char *name;
	} uses[] = {
	    {use_add, "add"},
	    {use_sum, "sum"},
	    {use_read, "read"},
	    {use_destroy, "destroy"},
	    {use_limited, "limited_add"},
	    {use_set, "set"},
	    {use_compare, "compare"},
	};
	const char *want = tap_fmt("libpcpu: percpu_counter_*(%p): ", (void *)&victim);

	memset(&victim, 0, sizeof(victim));
	for (size_t i = 0; i < sizeof(uses) / sizeof(uses[0]); i++)
		tap_aborts(uses[i].fn, &victim, want, "%s of a zeroed counter aborts",
			   uses[i].name);
	memset(&victim, 0x5a, sizeof(victim));
	tap_aborts(use_add, &victim, want, "add to a garbage counter aborts");

	percpu_counter_init(&victim, 0);
	percpu_counter_destroy(&victim);
	for (size_t i = 0; i < sizeof(uses) / sizeof(uses[0]); i++)
		tap_aborts(uses[i].fn, &victim, want, "%s of a destroyed counter aborts",
			   uses[i].name);
	tap_aborts(use_read, &victim, "percpu_counter_read",
		   "read of a destroyed counter names percpu_counter_read");

	struct percpu_counter two[2];
	memset(two, 0, sizeof(two));
	is(percpu_counter_init_many(two, 0, 0), -EINVAL, "init_many(n = 0) fails");
	tap_aborts(use_add, &two[0],
		   tap_fmt("libpcpu: percpu_counter_*(%p): ", (void *)&two[0]),
		   "a failed init_many initialised nothing");

	/* Counters made together are destroyed together, in both libraries
	 * (the portable one accepted these until issue 17). */
	struct percpu_counter three[3];
	if (percpu_counter_init_many(three, 0, 3))
		tap_bail("init_many failed");
	tap_aborts(destroy_member, three, "not made by one init of 1",
		   "destroying one counter of an init_many aborts");
	tap_aborts(destroy_two_of_three, three, "not made by one init_many of 2",
		   "destroy_many of fewer than init_many made aborts");
	percpu_counter_destroy_many(three, 3);
}

/* Threads update counters; each keeps an exact model of what it added. */
struct worker {
	struct percpu_counter *c;
	unsigned nr_counters;
	int64_t *model; /* per counter, shared atomics */
	uint64_t seed;
	double end;
};

static void *update_thread(void *arg)
{
	struct worker *w = arg;

	while (tap_now() < w->end) {
		for (int i = 0; i < 1000; i++) {
			uint64_t r = tap_rand(&w->seed);
			unsigned k = (unsigned)(r % w->nr_counters);
			int64_t v = (int64_t)((r >> 8) % 201) - 100;
			struct percpu_counter *c = &w->c[k];

			switch ((r >> 20) % 6) {
			case 0:
				percpu_counter_inc(c);
				v = 1;
				break;
			case 1:
				percpu_counter_dec(c);
				v = -1;
				break;
			case 2:
				percpu_counter_sub(c, v);
				v = -v;
				break;
			case 3:
				/* at most the default batch: compare and the
				 * read bound assume it */
				percpu_counter_add_batch(
				    c, v,
				    (int32_t)((r >> 32) %
					      (uint64_t)percpu_counter_batch()) +
					1);
				break;
			default:
				percpu_counter_add(c, v);
				break;
			}
			__atomic_fetch_add(&w->model[k], v, __ATOMIC_RELAXED);
			if ((r >> 40) % 64 == 0) {
				/* Readers never block or break updaters. */
				percpu_counter_sum(c);
				percpu_counter_read(c);
			}
		}
	}
	return NULL;
}

enum { THREADS = 8 };

static void test_threads(void)
{
	enum { COUNTERS = 3 };
	struct percpu_counter c[COUNTERS];
	int64_t model[COUNTERS] = {0};
	struct worker w[THREADS];
	pthread_t tid[THREADS];
	double secs = tap_seconds(0.3);
	bool exact = true, near = true;
	int32_t batch = percpu_counter_batch();

	percpu_counter_init_many(c, 0, COUNTERS);
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < THREADS; i++) {
			uint64_t seed = (uint64_t)(i + 1) * 0x1234567 + (uint64_t)round;

			w[i] = (struct worker){c, COUNTERS, model, seed,
					       tap_now() + secs / 2};
			pthread_create(&tid[i], NULL, update_thread, &w[i]);
		}
		for (int i = 0; i < THREADS; i++)
			pthread_join(tid[i], NULL);
		for (int k = 0; k < COUNTERS; k++) {
			bool right = percpu_counter_sum(&c[k]) == model[k] &&
				     percpu_counter_compare(&c[k], model[k]) == 0 &&
				     percpu_counter_compare(&c[k], model[k] - 1) == 1 &&
				     percpu_counter_compare(&c[k], model[k] + 1) == -1;

			if (!right)
				tap_diag("  counter %d: model %lld sum %lld read %lld", k,
					 (long long)model[k],
					 (long long)percpu_counter_sum(&c[k]),
					 (long long)percpu_counter_read(&c[k]));
			exact &= right;
			near &= read_near(&c[k], batch);
		}
	}
	ok(exact, "%d threads, %d counters: sums and compares match the model", THREADS,
	   COUNTERS);
	ok(near, "after the threads, read is within %d * nr_cpus of sum", batch);
	percpu_counter_destroy_many(c, COUNTERS);
}

/* Threads adding with random batches, some below 1 (batch 1). */
enum { ADDERS = 16 };

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
	struct adder a[ADDERS];
	int64_t model = 0;
	uint64_t seed = 5;
	double until = tap_now() + tap_seconds(0.3);

	percpu_counter_init(&c, 0);
	for (int t = 0; t < ADDERS; t++) {
		a[t] = (struct adder){
		    .c = &c, .model = &model, .seed = tap_rand(&seed), .until = until};
		pthread_create(&a[t].thread, NULL, adder_run, &a[t]);
	}
	for (int t = 0; t < ADDERS; t++)
		pthread_join(a[t].thread, NULL);
	is(percpu_counter_sum(&c), model, "sum equals the model after %d threads",
	   ADDERS);
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
	struct adder a[ADDERS];
	int64_t added = 0, spread = (limit < 0 ? -3 : 3) * 1000 * ADDERS;
	uint64_t seed = 77;

	percpu_counter_init(&c, 0);
	for (int t = 0; t < ADDERS; t++) {
		a[t] = (struct adder){.c = &c, .seed = tap_rand(&seed), .limit = limit};
		pthread_create(&a[t].thread, NULL, spread_run, &a[t]);
	}
	for (int t = 0; t < ADDERS; t++)
		pthread_join(a[t].thread, NULL);
	for (int t = 0; t < ADDERS; t++)
		pthread_create(&a[t].thread, NULL, limited_run, &a[t]);
	for (int t = 0; t < ADDERS; t++) {
		pthread_join(a[t].thread, NULL);
		added += a[t].added;
	}

	int64_t sum = percpu_counter_sum(&c);
	is(sum, spread + added, "limit %lld: the sum is what the limited adds reported",
	   (long long)limit);
	ok(limit > 0 ? sum <= limit && sum > limit - 100
		     : sum >= limit && sum < limit + 100,
	   "limit %lld: %d threads stopped at %lld, never past the limit",
	   (long long)limit, ADDERS, (long long)sum);
	percpu_counter_destroy(&c);
}

/* Limited adds racing: the counter must never pass the limit. */
struct limiter {
	struct percpu_counter *c;
	int64_t limit, floor;
	int64_t *model; /* shared atomic: what succeeded */
	uint64_t seed;
	double end;
	bool mixed;
};

static void *limited_thread(void *arg)
{
	struct limiter *l = arg;

	for (;;) {
		uint64_t r = tap_rand(&l->seed);
		int64_t amount = (int64_t)(r % 7) + 1;
		bool down = l->mixed && (r >> 16) % 2;

		if (down) {
			if (percpu_counter_limited_add(l->c, l->floor, -amount))
				__atomic_fetch_sub(l->model, amount, __ATOMIC_RELAXED);
		} else if (percpu_counter_limited_add(l->c, l->limit, amount)) {
			__atomic_fetch_add(l->model, amount, __ATOMIC_RELAXED);
		} else if (!l->mixed) {
			/* Refused: finish by filling to the limit with ones. */
			while (percpu_counter_limited_add(l->c, l->limit, 1))
				__atomic_fetch_add(l->model, 1, __ATOMIC_RELAXED);
			return NULL;
		}
		if (l->mixed && tap_now() > l->end)
			return NULL;
	}
}

static void test_limited_threads(void)
{
	struct percpu_counter c;
	struct limiter l[THREADS];
	pthread_t tid[THREADS];
	int64_t model = 0;
	double secs = tap_seconds(0.3);
	int64_t limit = 20000 + 1000 * (int64_t)(secs * 100);

	/* Up only: every thread stops once even +1 is refused, so the
	 * counter ends exactly at the limit if no add ever overshot. */
	percpu_counter_init(&c, 0);
	for (int i = 0; i < THREADS; i++) {
		l[i] = (struct limiter){&c, limit, 0, &model, (uint64_t)i * 31 + 5,
					0,  false};
		pthread_create(&tid[i], NULL, limited_thread, &l[i]);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(tid[i], NULL);
	is(percpu_counter_sum(&c), limit, "%d threads filling to %lld: exactly the limit",
	   THREADS, (long long)limit);
	is(model, limit, "the successful limited adds add up to the limit");
	percpu_counter_destroy(&c);

	/* Up and down between a floor and a limit. */
	int64_t floor = -500, top = 500;
	bool inside = true;

	model = 0;
	percpu_counter_init(&c, 0);
	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < THREADS; i++) {
			l[i] = (struct limiter){&c,
						top,
						floor,
						&model,
						(uint64_t)(i + 1) * 77 + (uint64_t)round,
						tap_now() + secs / 4,
						true};
			pthread_create(&tid[i], NULL, limited_thread, &l[i]);
		}
		for (int i = 0; i < THREADS; i++)
			pthread_join(tid[i], NULL);
		int64_t s = percpu_counter_sum(&c);

		inside &= s >= floor && s <= top && s == model;
	}
	ok(inside, "%d threads adding up and down: within [%lld, %lld], exact", THREADS,
	   (long long)floor, (long long)top);
	percpu_counter_destroy(&c);
}

/* Many short races to a small limit: every round the threads fill the
 * counter to the limit from zero, each ending when even +1 is refused, so
 * the limit is hit eight times at once per round.  A limited add that ever
 * overshot would leave the counter above the limit (nothing goes down). */
struct race {
	struct percpu_counter c;
	pthread_barrier_t start, end;
	int64_t limit, model;
	int rounds;
};

static void *race_thread(void *arg)
{
	struct race *rc = arg;
	uint64_t seed = (uint64_t)(uintptr_t)&seed;

	for (int round = 0; round < rc->rounds; round++) {
		pthread_barrier_wait(&rc->start);
		for (;;) {
			int64_t amount = (int64_t)(tap_rand(&seed) % 3) + 1;

			if (percpu_counter_limited_add(&rc->c, rc->limit, amount)) {
				__atomic_fetch_add(&rc->model, amount, __ATOMIC_RELAXED);
			} else if (amount == 1 ||
				   !percpu_counter_limited_add(&rc->c, rc->limit, 1)) {
				break;
			} else {
				__atomic_fetch_add(&rc->model, 1, __ATOMIC_RELAXED);
			}
		}
		pthread_barrier_wait(&rc->end);
	}
	return NULL;
}

static void test_limited_rounds(void)
{
	static struct race rc;
	pthread_t tid[THREADS];
	int exact = 0, over = 0, rounds;
	double start = tap_now(), secs = tap_seconds(0.3);

	/* Calibrate the round count on a first, short batch. */
	rc.limit = 48;
	rc.rounds = rounds = 200;
	percpu_counter_init(&rc.c, 0);
	for (int batch = 0; batch < 2; batch++) {
		pthread_barrier_init(&rc.start, NULL, THREADS + 1);
		pthread_barrier_init(&rc.end, NULL, THREADS + 1);
		for (int i = 0; i < THREADS; i++)
			pthread_create(&tid[i], NULL, race_thread, &rc);
		for (int round = 0; round < rc.rounds; round++) {
			percpu_counter_set(&rc.c, 0);
			rc.model = 0;
			pthread_barrier_wait(&rc.start);
			pthread_barrier_wait(&rc.end);
			int64_t sum = percpu_counter_sum(&rc.c);

			exact += sum == rc.limit && rc.model == rc.limit;
			over += sum > rc.limit;
		}
		for (int i = 0; i < THREADS; i++)
			pthread_join(tid[i], NULL);
		pthread_barrier_destroy(&rc.start);
		pthread_barrier_destroy(&rc.end);
		if (batch == 0) {
			double per = (tap_now() - start) / rc.rounds;

			rc.rounds = (int)(secs / (per > 1e-6 ? per : 1e-6));
			if (rc.rounds < 100)
				rc.rounds = 100;
			if (rc.rounds > 100000)
				rc.rounds = 100000;
			rounds += rc.rounds;
		}
	}
	percpu_counter_destroy(&rc.c);
	is(over, 0, "%d rounds of %d threads racing to %lld: never above the limit",
	   rounds, THREADS, (long long)rc.limit);
	is(exact, rounds, "every round ends exactly at the limit, equal to the model");
}

int main(void)
{
	tap_start();
	nr = pcpu_nr_cpus();
	test_basics();
	test_pinned_lag();
	test_fold_at_batch();
	test_compare();
	test_limited_add();
	test_many();
	test_misuse();
	test_threads();
	test_concurrent();
	test_limited_threads();
	test_limited_concurrent(200000);
	test_limited_concurrent(-200000);
	test_limited_rounds();
	return tap_done();
}
