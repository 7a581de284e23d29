/* SPDX-License-Identifier: MIT */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double stats_median(double *v, unsigned n)
{
	if (!n)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct sample stats_summarize(const double *v, unsigned n)
{
	struct sample s = {NAN, NAN, NAN, 0, {0}};
	double sorted[STATS_MAX_REPS];

	if (!n)
		return s;
	if (n > STATS_MAX_REPS)
		n = STATS_MAX_REPS;
	memcpy(s.run, v, n * sizeof(*v));
	memcpy(sorted, v, n * sizeof(*v));
	s.median = stats_median(sorted, n);
	s.min = sorted[0];
	s.max = sorted[n - 1];
	s.reps = n;
	return s;
}

double stats_paired_ratio(const struct sample *num, const struct sample *den)
{
	unsigned n = num->reps < den->reps ? num->reps : den->reps;
	double r[STATS_MAX_REPS];

	for (unsigned i = 0; i < n; i++)
		r[i] = num->run[i] / den->run[i];
	return stats_median(r, n);
}

int stats_repeat(double (*fn)(void *arg), void *arg, unsigned warmup, unsigned reps,
		 struct sample *out)
{
	return stats_repeat_rounds(fn, &arg, 1, warmup, reps, out);
}

int stats_repeat_rounds(double (*fn)(void *arg), void *const *args, unsigned k,
			unsigned warmup, unsigned reps, struct sample *out)
{
	double *v = malloc(sizeof(*v) * STATS_MAX_REPS * (k ? k : 1));
	unsigned n = 0;
	int ret = 0;

	if (reps < STATS_MIN_REPS)
		reps = STATS_MIN_REPS;
	if (reps > STATS_MAX_REPS)
		reps = STATS_MAX_REPS;
	if (!v)
		ret = -1;
	for (; !ret && warmup; warmup--)
		for (unsigned i = 0; i < k && !ret; i++)
			if (fn(args[i]) < 0)
				ret = -1;
	/* A failed run stops every measurement at the rounds completed. */
	while (!ret && n < reps) {
		for (unsigned i = 0; i < k && !ret; i++) {
			double x = fn(args[i]);

			if (x < 0)
				ret = -1;
			else
				v[i * STATS_MAX_REPS + n] = x;
		}
		if (!ret)
			n++;
	}
	for (unsigned i = 0; i < k; i++)
		out[i] = stats_summarize(v ? v + i * STATS_MAX_REPS : NULL, v ? n : 0);
	free(v);
	return ret;
}

uint64_t stats_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
