/* SPDX-License-Identifier: MIT */
/*
 * bench - the sections of pcpu-bench and what they share.
 *
 * Each section measures its workloads through the public API only (the
 * program links libpcpu-api; the per-CPU runtime is measured by running it
 * with libpcpu.so preloaded) and records every figure, with its same-process
 * baseline, in b->rep.
 */
#ifndef PCPU_BENCH_BENCH_H
#define PCPU_BENCH_BENCH_H

#include "report.h"

struct bench {
	struct report rep;
	char mode[REPORT_STR]; /* the runtime mode in force: api, rseq, ... */
	int max_threads;
	unsigned reps;
	unsigned scale_reps; /* scale's: its scaling is a median of ratios */
	double target_ms;    /* length of one timed run of a loop */
	unsigned objects;    /* alloc: objects per size */
	unsigned counters;   /* select_max and memory: counters per set */
	unsigned long batch; /* tree counters' batch size */
	double ff_limit_s;   /* alloc: first-fit pass time limit */
	const char *beside;  /* alloc: another libpcpu.so, measured beside */
};

/*
 * Record a figure; with a baseline that has a sample, ratio = baseline
 * median / this median.  Returns the stored result (NULL if out of memory,
 * reported on stderr), valid until the next result is recorded: keep a copy
 * to use it as a baseline later.
 */
struct result *bench_record(struct bench *b, const char *section, const char *workload,
			    const char *impl, int threads, const char *param,
			    const char *unit, struct sample s,
			    const struct result *baseline);

/* A sample of one value (for figures that are computed, not timed). */
struct sample bench_exact(double v);

void bench_scale(struct bench *b);    /* threaded updates vs baselines */
void bench_read(struct bench *b);     /* sums, compare, select_max */
void bench_ref_kill(struct bench *b); /* percpu_ref_kill under load */
void bench_alloc(struct bench *b);    /* seed 002's allocator table */
void bench_memory(struct bench *b);   /* bytes per tree counter */

/* Resident set size of the process now, bytes. */
double bench_rss_now(void);

/* Items (every level above the leaves, the root included) of libpcpu's
 * tree over leaves leaves. */
unsigned long bench_tree_items(unsigned long leaves);

#endif
