/* SPDX-License-Identifier: MIT */
/*
 * memory_backend - what each library provides under the per-CPU memory
 * API, which shim/common/memory.c implements once for both (the this-CPU
 * operations excepted: each library's are its access mode itself).
 *
 * The front checks every argument first: a backend sees valid (size,
 * align) requests, non-NULL pointers and unit numbers in range.
 */
#ifndef PCPU_MEMORY_BACKEND_H
#define PCPU_MEMORY_BACKEND_H

#include <pcpu.h>
#include <stddef.h>
#include <stdio.h>

#pragma GCC visibility push(hidden)

/* Zeroed copies of size bytes aligned to align; NULL with errno set. */
void *memory_backend_alloc(size_t size, size_t align);
/* Free p, or abort naming pcpu_free and p if p is no live object. */
void memory_backend_free(void *p);
/* The number of copies of every object (sets the library up). */
int memory_backend_units(void);
/* Copy cpu of p. */
void *memory_backend_ptr(void *p, int cpu);
/* A snapshot of the statistics; 0 or -errno. */
int memory_backend_stats(struct pcpu_stats *st);
/* pcpu_stats_print()'s report on f (not NULL): the summary lines of
 * memory_ops.h, then whatever the library adds; 0 or -errno. */
int memory_backend_stats_print(FILE *f);

#pragma GCC visibility pop

#endif
