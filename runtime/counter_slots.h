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
int counter_slots_alloc(void *objs, size_t size, size_t offset, unsigned n,
			size_t width);

/*
 * Where counter i of n stands in the call that made it, kept in each
 * counter so that destroy can check it is given exactly what one init
 * made, no more and no fewer: 1 for init (or init_many of one), then 2 for
 * the first of an init_many, 4 for its last and 3 for those between.
 */
static inline unsigned counter_slots_group(unsigned i, unsigned n)
{
	return n == 1 ? 1 : i == 0 ? 2 : i == n - 1 ? 4 : 3;
}

/* Abort with a message naming obj (counter i of n, as fn got it) unless
 * group is what counter_slots_group() gave it. */
void counter_slots_check_group(const char *fn, const void *obj, unsigned group,
			       unsigned i, unsigned n);

/* Free what counter_slots_alloc() gave the same n counters. */
void counter_slots_free(void *objs, size_t size, size_t offset, unsigned n,
			size_t width);

#endif
