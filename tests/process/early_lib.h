/* SPDX-License-Identifier: MIT */
/*
 * early_lib - a library that uses libpcpu from its constructor and its
 * destructor, as a library an application links may.  It depends on
 * libpcpu-api, so with libpcpu.so preloaded the loader initialises it
 * before libpcpu.so and finalises it after: its constructor makes the
 * runtime's first calls, from several threads at once, and its destructor
 * runs after the runtime's.
 */
#ifndef PCPU_EARLY_LIB_H
#define PCPU_EARLY_LIB_H

#include <stdint.h>

#define EARLY_THREADS 4
#define EARLY_ADDS    10000

struct early_result {
	char runtime[128]; /* pcpu_runtime() as the constructor saw it */
	int nr_cpus;	   /* pcpu_nr_cpus() likewise */
	int64_t sum;	   /* the shared counter after the threads */
	int64_t obj_sum;   /* pcpu_sum() of the per-CPU object */
	int threads_ok;	   /* threads whose own checks passed */
	int alloc_ok;	   /* the per-CPU object was allocated */
};

extern struct early_result early_result;

/* The per-CPU int64_t the constructor allocated, kept until the
 * destructor frees it. */
extern int64_t *early_obj;

#endif
