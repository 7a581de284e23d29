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

/* Wall-clock ns from the first thread's start to the last one's end. */
double threads_run(int n, thread_body *body, void *arg, uint64_t iters);

/*
 * ns per operation per thread of body on n threads: warm-up runs that also
 * pick the iteration count (about target_ms per run), then reps timed runs.
 * *total_ops (if not NULL) is increased by every operation run, warm-up
 * included, so callers can check the final count.
 */
int threads_measure(int n, thread_body *body, void *arg, double target_ms, unsigned reps,
		    struct sample *out, uint64_t *total_ops);

/*
 * threads_measure() for 1..max threads at once, the n-thread runs on
 * args[n - 1], summarized in out[n - 1] and counted in totals[n - 1]:
 * after every warm-up, each repetition times 1, 2, ... max threads in
 * turn (stats_repeat_rounds()), so a scaling ratio compares runs made
 * under the same load.
 */
int threads_measure_scaling(int max, thread_body *body, void *const *args,
			    double target_ms, unsigned reps, struct sample *out,
			    uint64_t *totals);

#endif
