/* SPDX-License-Identifier: MIT */
/*
 * stats - how pcpu-bench turns repeated timings into one figure.
 *
 * Every figure is the median of at least STATS_MIN_REPS repetitions that
 * follow a warm-up, reported with the minimum and maximum so the reader sees
 * the spread.  The repetitions are kept in order, so that two figures
 * measured in the same rounds (stats_repeat_rounds()) can be compared round
 * by round: stats_paired_ratio().  Lower is better for every quantity the benchmark
 * records (ns/op, ms, bytes); throughput is derived from them when printed.
 */
#ifndef PCPU_BENCH_STATS_H
#define PCPU_BENCH_STATS_H

#include <stdint.h>

#define STATS_MIN_REPS 5
#define STATS_MAX_REPS 101

struct sample {
	double median;
	double min;
	double max;
	unsigned reps;		    /* 0: no measurement (the figure is missing) */
	double run[STATS_MAX_REPS]; /* the repetitions, in the order run */
};

/* Median of v[0..n-1] (mean of the middle two when n is even); sorts v.
 * NAN if n is 0. */
double stats_median(double *v, unsigned n);

/* Summary of v[0..n-1] (v is left untouched); reps 0 if n is 0. */
struct sample stats_summarize(const double *v, unsigned n);

/*
 * The median over rounds of num's repetition over den's, for two samples
 * of the same rounds: a load that slows a whole round cancels out of each
 * ratio, where it would not out of the ratio of the two medians.  NAN if
 * either has no repetitions.
 */
double stats_paired_ratio(const struct sample *num, const struct sample *den);

/*
 * Run one measurement reps times after warmup untimed runs and summarize.
 * fn returns the quantity measured (ns/op, ms...) or a negative value when
 * the run failed, which stops the repetitions: *out then holds what was
 * measured before (reps may be 0).  reps is clamped to
 * [STATS_MIN_REPS, STATS_MAX_REPS].  Returns 0, or -1 on a failed run.
 */
int stats_repeat(double (*fn)(void *arg), void *arg, unsigned warmup, unsigned reps,
		 struct sample *out);

/*
 * The same for k measurements at once, fn(args[i]) summarized in out[i]:
 * each repetition runs them all in turn, so all k sample the same stretch
 * of a shared machine's load and their ratios are not skewed by it.
 */
int stats_repeat_rounds(double (*fn)(void *arg), void *const *args, unsigned k,
			unsigned warmup, unsigned reps, struct sample *out);

/* Monotonic nanoseconds. */
uint64_t stats_now_ns(void);

#endif
