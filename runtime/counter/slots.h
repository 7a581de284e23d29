/* SPDX-License-Identifier: MIT */
/*
 * counter_slots - the per-CPU copies of counters made together.
 *
 * Counters initialised by one call share per-CPU allocations: a run of up
 * to PCPU_ALLOC_MAX / width consecutive counters takes one arena object,
 * counter i of a run owning the width bytes at offset width * i in every
 * copy, so one CPU's copies of neighbouring counters share its cache lines
 * and no other CPU's.  The first counter of each run holds the
 * allocation's own pointer, which is how the run is freed.
 *
 * The counters are the caller's structs: objs is their array, size their
 * size and offset where each keeps the pointer to its copy; width is the
 * size of one copy (8 for int64_t deltas, 4 for uint32_t leaves).
 */
#ifndef PCPU_COUNTER_SLOTS_H
#define PCPU_COUNTER_SLOTS_H

#include <pcpu.h>
#include <stddef.h>

/* Give each of the n counters its zeroed per-CPU copy of width bytes; 0,
 * or -ENOMEM with nothing allocated. */
int counter_slots_alloc(void *objs, size_t size, size_t offset, unsigned n, size_t width);

/* Free what counter_slots_alloc() gave the same n counters. */
void counter_slots_free(void *objs, size_t size, size_t offset, unsigned n, size_t width);

#endif
