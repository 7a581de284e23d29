/* SPDX-License-Identifier: MIT */
/*
 * report - the results of one or more pcpu-bench runs and their output as a
 * human table, CSV, JSON or markdown.
 *
 * A result is one figure: what was measured (section, workload, parameter,
 * threads), by which implementation (impl, and the runtime mode in force
 * in the process that measured it), its sample (median, min, max, reps) in
 * a lower-is-better unit, and optionally its ratio against a baseline
 * measured in the same process: ratio = baseline median / this median, so a
 * ratio above 1 means "better than the baseline".  A sample with reps 0 and
 * a median is a run stopped at its time limit: the median is a lower bound.
 *
 * The human table also shows each threaded ns/op figure of libpcpu above
 * its call floor: minus the figure of workload REPORT_FLOOR (one exported
 * call that returns at once) with the same section, mode and threads.
 * Derived when writing, it has no column in CSV and JSON, whose rows hold
 * the floor itself.
 *
 * The CSV form is also the interchange format: report_read_csv() reads
 * what report_write() wrote, so runs of separate processes (the portable
 * library and each preloaded mode) merge into one report.
 */
#ifndef PCPU_BENCH_REPORT_H
#define PCPU_BENCH_REPORT_H

#include <stdio.h>

#include "stats.h"

#define REPORT_STR 64
#define REPORT_FLOOR "call floor"

struct result {
	char section[REPORT_STR];  /* scale, read, ref-kill, alloc, memory */
	char workload[REPORT_STR]; /* e.g. percpu_counter_tree_add */
	char impl[REPORT_STR];     /* libpcpu, shared-atomic, mutex, ... */
	char mode[REPORT_STR];     /* api, rseq, atomic, local */
	char param[REPORT_STR];    /* e.g. "4B reverse", "cpus=256" */
	char unit[REPORT_STR];     /* ns/op, ms, bytes, count, MB */
	int threads;               /* 0: not a threaded figure */
	struct sample s;
	char baseline[2 * REPORT_STR]; /* "workload/impl" of the baseline, or "" */
	double ratio;                  /* NAN without a baseline */
};

struct report {
	char machine[256];
	char runtime[512];
	char command[1024];
	struct result *r;
	unsigned n, cap;
};

enum report_format { REPORT_TABLE, REPORT_CSV, REPORT_JSON, REPORT_MARKDOWN };

/* Append a copy of *r; returns the stored result, or NULL (ENOMEM). */
struct result *report_add(struct report *rep, const struct result *r);
/* First result matching every non-NULL key (threads < 0: any). */
struct result *report_find(const struct report *rep, const char *section,
			   const char *workload, const char *impl, const char *mode,
			   const char *param, int threads);
void report_free(struct report *rep);

/* "table", "csv", "json", "markdown"; -1 if unknown. */
int report_format_parse(const char *s);
/* Write the whole report; -1 on a write error. */
int report_write(const struct report *rep, enum report_format fmt, FILE *f);

/*
 * Append the results of a CSV file written by report_write(); the header
 * fields of the first file read fill empty header fields, later runtimes
 * are appended to rep->runtime.  -1 with errno (EINVAL on a malformed
 * file).
 */
int report_read_csv(struct report *rep, FILE *f);

/* Escapers, exposed for the tests: write s quoted for the format. */
void report_csv_field(FILE *f, const char *s);
void report_json_string(FILE *f, const char *s);

#endif
