/* SPDX-License-Identifier: MIT */
/*
 * report - the results of one pcpu-bench run and their CSV form, the only
 * output of the program: bench/report.sh makes the tables, JSON, charts and
 * doc/performance.md from it.
 *
 * A result is one figure: what was measured (section, workload, parameter,
 * threads), by which implementation (impl, and the runtime mode in force
 * in the process that measured it), its sample (median, min, max, reps) in
 * a lower-is-better unit, and optionally its ratio against a baseline
 * measured in the same process: ratio = baseline median / this median, so a
 * ratio above 1 means "better than the baseline".  A threaded figure at N
 * > 1 threads may carry its scaling: its per-thread cost over the same
 * workload's on one thread, the median over the rounds that measured both
 * (stats_paired_ratio()), so 1 is linear scaling.  A sample with reps 0 and
 * a median is a run stopped at its time limit: the median is a lower bound.
 * Workload REPORT_FLOOR is the call floor (scale.c), which the scripts
 * subtract from libpcpu's threaded figures of the same mode and threads.
 *
 * The CSV: "# key: value" lines (machine, runtime, command, date), a line
 * naming the columns, then one line per result (an empty field for a
 * missing number).  A field holding a comma or
 * a quote is quoted, its quotes doubled; newlines are written as spaces, so
 * that every record is one line for the scripts' line-oriented reader.
 */
#ifndef PCPU_BENCH_REPORT_H
#define PCPU_BENCH_REPORT_H

#include <stdio.h>

#include "stats.h"

#define REPORT_STR   64
#define REPORT_FLOOR "call floor"

struct result {
	char section[REPORT_STR];  /* scale, read, ref-kill, alloc, memory */
	char workload[REPORT_STR]; /* e.g. percpu_counter_tree_add */
	char impl[REPORT_STR];	   /* libpcpu, shared-atomic, mutex, ... */
	char mode[REPORT_STR];	   /* api, rseq, atomic, local */
	char param[REPORT_STR];	   /* e.g. "4B reverse", "cpus=256" */
	char unit[REPORT_STR];	   /* ns/op, ms, bytes, count, MB */
	int threads;		   /* 0: not a threaded figure */
	struct sample s;
	char baseline[2 * REPORT_STR]; /* "workload/impl" of the baseline, or "" */
	double ratio;		       /* NAN without a baseline */
	double scaling;		       /* N threads over 1, round by round; NAN: none */
};

struct report {
	char machine[256];
	char runtime[512];
	char command[1024];
	char date[32]; /* UTC, ISO 8601, when the run started */
	struct result *r;
	unsigned n, cap;
};

/* Append a copy of *r; returns the stored result, or NULL (ENOMEM). */
struct result *report_add(struct report *rep, const struct result *r);
/* First result matching every non-NULL key (threads < 0: any). */
struct result *report_find(const struct report *rep, const char *section,
			   const char *workload, const char *impl, const char *mode,
			   const char *param, int threads);
void report_free(struct report *rep);

/* Write the whole report as CSV; -1 on a write error. */
int report_write_csv(const struct report *rep, FILE *f);

/* Write s as one CSV field (exposed for the tests). */
void report_csv_field(FILE *f, const char *s);

#endif
