/* SPDX-License-Identifier: MIT */
/*
 * counter_slots - the per-CPU int64_t copies of counters made together.
 *
 * Counters initialised by one call share per-CPU allocations: a run of up
 * to SLOTS_PER_RUN consecutive counters takes one arena object, counter i
 * of a run owning the int64_t at offset 8 * i in every copy, so one CPU's
 * copies of neighbouring counters share its cache lines and no other
 * CPU's.  The first counter of each run holds the allocation's own
 * pointer, which is how the run is freed.
 *
 * The counters are the caller's structs: objs is their array, size their
 * size and offset where each keeps its int64_t pointer.
 */
#ifndef PCPU_COUNTER_SLOTS_H
#define PCPU_COUNTER_SLOTS_H

#include <pcpu.h>
#include <stddef.h>

#define SLOTS_PER_RUN (PCPU_ALLOC_MAX / sizeof(int64_t))

/* Give each of the n counters its zeroed per-CPU int64_t; 0, or -ENOMEM
 * with nothing allocated. */
int counter_slots_alloc(void *objs, size_t size, size_t offset, unsigned n);

/* Free what counter_slots_alloc() gave the same n counters. */
void counter_slots_free(void *objs, size_t size, size_t offset, unsigned n);

#endif
