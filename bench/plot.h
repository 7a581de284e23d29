/* SPDX-License-Identifier: MIT */
/*
 * plot - charts of a report, drawn by gnuplot as PNG and SVG: throughput
 * against threads for each libpcpu update workload (scale-*.png), ns per
 * operation of every implementation at one thread (nsop.png), the
 * allocator's alloc and free times by size and order (alloc-*.png), and
 * bytes per tree counter against CPUs (memory.png).  Each chart's data and
 * gnuplot script are left beside it.  Without gnuplot in PATH the data and
 * scripts are still written and one line on stderr names the charts skipped.
 */
#ifndef PCPU_BENCH_PLOT_H
#define PCPU_BENCH_PLOT_H

#include "report.h"

/* 0 (also when gnuplot is missing), or -1 with a message on stderr. */
int plot_write(const struct report *rep, const char *dir);

#endif
