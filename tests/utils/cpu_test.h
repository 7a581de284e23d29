/* SPDX-License-Identifier: MIT */
/*
 * cpu_test - helpers shared by the access-mode tests: forcing migrations,
 * running a batch of threads, reading the resident set size.
 */
#ifndef PCPU_CPU_TEST_H
#define PCPU_CPU_TEST_H

#include <stddef.h>
#include <stdint.h>

/* Move the calling thread to one CPU of the initial affinity mask, chosen
 * with *rng (a no-op when that mask has one CPU). */
void ct_hop(uint64_t *rng);

/* Run fn(arg + i * size) on n threads at once and join them all. */
void ct_threads(int n, void *(*fn)(void *), void *arg, size_t size);

/* The process's resident set size in KiB (VmRSS), or -1. */
long ct_rss_kib(void);

#endif
