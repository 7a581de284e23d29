/* SPDX-License-Identifier: MIT */
/*
 * threads - run one loop on n pinned threads that start together, and time
 * it.  Thread i runs on the i-th CPU of the process's affinity mask
 * (modulo its size), so 1..N threads use 1..N distinct CPUs.
 */
#ifndef PCPU_BENCH_THREADS_H
#define PCPU_BENCH_THREADS_H

#include <stdint.h>

#include "stats.h"

/* One thread's share of a run: iters operations. */
typedef void thread_body(void *arg, int tid, uint64_t iters);

/* CPUs in the affinity mask. */
int threads_cpus(void);

/* Pin the calling thread to the i-th CPU of the initial affinity mask. */
void threads_pin(int i);

/*
 * The ns each thread took for its iters operations, from its own start to
 * its own end, averaged over the n threads: the per-thread cost, which a
 * thread that started late (woken after the others by the barrier) or met
 * a slower stretch alone does not charge to the others, as the span from
 * the first start to the last end would.
 */
double threads_run(int n, thread_body *body, void *arg, uint64_t iters);

/*
 * ns per operation per thread of body on n threads: warm-up runs that also
 * pick the iteration count (about target_ms per run), then reps timed runs.
 * *total_ops (if not NULL) is increased by every operation run, warm-up
 * included, so callers can check the final count.
 */
int threads_measure(int n, thread_body *body, void *arg, double target_ms, unsigned reps,
		    struct sample *out, uint64_t *total_ops);

/* One measurement of threads_measure_rounds(): body on n threads. */
struct threads_job {
	int n;
	thread_body *body;
	void *arg;
};

/*
 * threads_measure() for k jobs at once, job i summarized in out[i] and its
 * operations counted in totals[i]: after every job's warm-up, each
 * repetition times every job in turn (stats_repeat_rounds()), so that on
 * a shared machine all of them meet the same load and the ratios between
 * them (an operation over its baseline, 2 threads over 1) hold.
 */
int threads_measure_rounds(const struct threads_job *jobs, unsigned k, double target_ms,
			   unsigned reps, struct sample *out, uint64_t *totals);

#endif
