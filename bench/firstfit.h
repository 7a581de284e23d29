/* SPDX-License-Identifier: MIT */
/*
 * firstfit - a naive per-CPU allocator, the baseline of the allocator table.
 *
 * One region of nr_units units of unit_size bytes; an object is one offset
 * valid in every unit.  Free space is an address-ordered doubly linked list
 * of extents, searched first-fit from the lowest address on every
 * allocation (the shape of the kernel's old area-map allocator, whose scans
 * the seed's bitmap allocator replaced).  Frees coalesce with their
 * neighbours; the list position is found from the last extent touched, so
 * the free orders of the benchmark cost O(1) each.  Object sizes live in an
 * open-addressing hash keyed by offset.  Single-threaded.
 */
#ifndef PCPU_BENCH_FIRSTFIT_H
#define PCPU_BENCH_FIRSTFIT_H

#include <stddef.h>
#include <stdint.h>

struct ff_extent {
	size_t start, end; /* free [start, end) in every unit */
	struct ff_extent *prev, *next;
};

struct firstfit {
	char *base;
	size_t unit_size;
	int nr_units;
	struct ff_extent *head;	  /* lowest free extent */
	struct ff_extent *finger; /* last extent touched, or NULL */
	struct ff_extent *spare;  /* recycled extent nodes */
	uint64_t *keys;		  /* offset + 1; 0: empty slot */
	uint32_t *sizes;
	size_t hash_cap, hash_used;
};

/* 0, or -1 with errno. */
int ff_init(struct firstfit *ff, int nr_units, size_t unit_size);
void ff_destroy(struct firstfit *ff);
/* Copy 0's address of a zeroed object (every copy zeroed), or NULL. */
void *ff_alloc(struct firstfit *ff, size_t size, size_t align);
/* p must be a live object of ff; aborts otherwise. */
void ff_free(struct firstfit *ff, void *p);

#endif
