/* SPDX-License-Identifier: MIT */
/* pcpu-bench's statistics: median, min-max, warm-up and repetitions. */
#include <math.h>
#include <string.h>

#include "stats.h"
#include "tap.h"

struct seq {
	const double *v;
	unsigned n, calls;
	int fail_at; /* call index that fails, -1 never */
};

static double next_value(void *arg)
{
	struct seq *s = arg;
	unsigned i = s->calls++;

	if ((int)i == s->fail_at)
		return -1;
	return s->v[i % s->n];
}

/* Which measurement each call of logged_value() served, in call order. */
static char call_log[64];
static unsigned nr_calls;

static double logged_value(void *arg)
{
	if (nr_calls < sizeof(call_log) - 1)
		call_log[nr_calls++] = ((struct seq *)arg)->v[0] == 5 ? 'a' : 'b';
	return next_value(arg);
}

int main(void)
{
	tap_start();

	double odd[] = {5, 1, 4, 2, 3};
	is(stats_median(odd, 5), 3, "median of 5 unsorted values");
	double even[] = {10, 2, 8, 4};
	ok(stats_median(even, 4) == 6,
	   "median of 4 values is the mean of the middle two");
	double dup[] = {7, 7, 1, 7};
	ok(stats_median(dup, 4) == 7, "median with duplicates");
	double one[] = {42.5};
	ok(stats_median(one, 1) == 42.5, "median of one value");
	ok(isnan(stats_median(one, 0)), "median of nothing is NaN");

	const double in[] = {3.5, -1, 9, 2, 2};
	double copy[5];
	memcpy(copy, in, sizeof(in));
	struct sample s = stats_summarize(copy, 5);
	ok(s.median == 2 && s.min == -1 && s.max == 9 && s.reps == 5,
	   "summary: median 2, min -1, max 9, 5 reps (got %g %g %g %u)", s.median, s.min,
	   s.max, s.reps);
	ok(!memcmp(copy, in, sizeof(in)), "summarize leaves its input in order");
	s = stats_summarize(copy, 0);
	ok(s.reps == 0 && isnan(s.median) && isnan(s.min), "summary of nothing");

	/* warm-up values (1000) must not reach the figure */
	const double runs[] = {1000, 5, 3, 9, 1, 7, 4, 6};
	struct seq q = {runs, 8, 0, -1};
	ok(stats_repeat(next_value, &q, 1, 7, &s) == 0, "repeat succeeds");
	is(q.calls, 8, "one warm-up call and 7 timed calls");
	ok(s.reps == 7 && s.median == 5 && s.min == 1 && s.max == 9,
	   "median 5, min 1, max 9 of the timed calls only (got %g %g %g)", s.median,
	   s.min, s.max);

	q = (struct seq){runs + 1, 7, 0, -1};
	stats_repeat(next_value, &q, 0, 2, &s);
	is(q.calls, STATS_MIN_REPS,
	   "fewer repetitions than the minimum are raised to it");
	is(s.reps, STATS_MIN_REPS, "and all of them are summarized");

	q = (struct seq){runs + 1, 7, 0, -1};
	stats_repeat(next_value, &q, 2, 1000, &s);
	is(q.calls, 2 + STATS_MAX_REPS, "repetitions are capped at the maximum");

	q = (struct seq){runs + 1, 7, 0, 3};
	ok(stats_repeat(next_value, &q, 1, 5, &s) == -1, "a failed run is reported");
	ok(s.reps == 2 && s.min == 3 && s.max == 9,
	   "the runs before the failure are kept (reps %u)", s.reps);
	q = (struct seq){runs + 1, 7, 0, 0};
	ok(stats_repeat(next_value, &q, 1, 5, &s) == -1 && s.reps == 0 && q.calls == 1,
	   "a failed warm-up stops before timing");

	/* Rounds: each repetition calls every measurement in turn. */
	const double other[] = {2, 8, 6, 4, 2};
	struct seq a = {runs + 1, 7, 0, -1}, b = {other, 5, 0, -1};
	void *args[] = {&a, &b};
	struct sample two[2];

	ok(stats_repeat_rounds(logged_value, args, 2, 1, 5, two) == 0, "rounds succeed");
	ok(!strcmp(call_log, "abababababab"),
	   "one warm-up each, then 5 rounds of a then b (%s)", call_log);
	ok(two[0].reps == 5 && two[0].median == 4 && two[0].min == 1 && two[0].max == 9 &&
	       two[1].reps == 5 && two[1].median == 4 && two[1].min == 2 &&
	       two[1].max == 8,
	   "each measurement summarized from its own timed calls (got %g %g)",
	   two[0].median, two[1].median);
	ok(two[0].run[0] == 3 && two[0].run[1] == 9 && two[0].run[2] == 1 &&
	       two[0].run[3] == 7 && two[0].run[4] == 4,
	   "the timed values are kept in the order run");
	ok(stats_paired_ratio(&two[0], &two[1]) == 1.5,
	   "paired ratio: the median of 3/8 9/6 1/4 7/2 4/2, not of the medians' 4/4 "
	   "(got %g)",
	   stats_paired_ratio(&two[0], &two[1]));

	/* Two rounds met a load that slowed everything tenfold: it cancels out
	 * round by round, but not from the ratio of the medians. */
	const double fast[] = {2, 20, 2.2, 22, 2.1}, slow[] = {1, 10, 1, 10, 10};
	struct sample num = stats_summarize(fast, 5), den = stats_summarize(slow, 5);
	ok(stats_paired_ratio(&num, &den) == 2 && num.median / den.median < 0.3,
	   "a slow round cancels out of the paired ratio (%g, medians' %g)",
	   stats_paired_ratio(&num, &den), num.median / den.median);
	den.reps = 0;
	ok(isnan(stats_paired_ratio(&num, &den)), "no paired ratio without repetitions");

	a = (struct seq){runs + 1, 7, 0, -1};
	b = (struct seq){other, 5, 0, 3};
	int failed = stats_repeat_rounds(next_value, args, 2, 1, 5, two);
	ok(failed == -1 && two[0].reps == 2 && two[1].reps == 2 && a.calls == 4 &&
	       b.calls == 4,
	   "a failed run keeps the rounds completed before it, for both (reps %u %u)",
	   two[0].reps, two[1].reps);

	uint64_t t0 = stats_now_ns(), t1 = stats_now_ns();
	ok(t1 >= t0 && t0 > 0, "the clock is monotonic");
	return tap_done();
}
