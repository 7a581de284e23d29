/* SPDX-License-Identifier: MIT */
/*
 * chunk - one slab of per-CPU memory and its allocation map.
 *
 * A chunk is chunk_nr_units units of CHUNK_UNIT_SIZE bytes, CHUNK_UNIT_STRIDE
 * apart,
 * carved from a jemalloc arena private to the library (jemalloc itself is
 * linked privately into libpcpu.so).  Unit u holds CPU u's copy of every
 * object of the chunk, so the copy of the object at base + off is at
 * base + u * CHUNK_UNIT_STRIDE + off.  The map (runtime/bitmap.h) describes
 * the units' common layout.
 *
 * Memory is committed lazily: the chunk comes from jemalloc zeroed without
 * being written (fresh or purged pages), and nothing here writes a page
 * that still reads as zero, so a unit costs memory only where its CPU (or
 * a caller of pcpu_ptr) has written.
 *
 * Invariants: every bit at or above pristine was never handed out since
 * the chunk was created, so that part of every unit is still zero; below
 * it, free memory may hold what its last object left there, and is zeroed
 * when it is handed out again (chunk_zero).  The arena owns slot, prev and
 * next and serialises every call on a chunk.
 */
#ifndef PCPU_CHUNK_H
#define PCPU_CHUNK_H

#include <pcpu.h>
#include <stddef.h>
#include <stdint.h>

#include "arena/bitmap.h"

/* Bytes per unit: holds PCPU_ALLOC_MAX eight times over, a multiple of
 * every page size Linux uses (4, 16, 64 KiB). */
#define CHUNK_UNIT_SIZE ((size_t)256 * 1024)
#define CHUNK_UNIT_BITS ((uint32_t)(CHUNK_UNIT_SIZE / BITMAP_GRANULE))
/* The alignment of a chunk's base: a page, so that each unit's first
 * page starts on one whatever PCPU_ALIGN_MAX is. */
#define CHUNK_BASE_ALIGN ((size_t)4096)
/*
 * Bytes from one unit to the next: a unit, one page and PCPU_ALIGN_MAX of
 * colour.  At a stride of exactly 256 KiB every CPU's copy of an object
 * has the same address bits up to bit 17: a sum over many CPUs then reads
 * lines that all fall in one L1 set, a few L2 sets and a few TLB sets,
 * and evict each other.  The page moves each unit's pages to other TLB
 * and L2 sets, the PCPU_ALIGN_MAX bytes (two cache lines) to other L1
 * sets, and every copy keeps the alignment pcpu_alloc() promises (up to
 * PCPU_ALIGN_MAX), which a stride that is not a multiple of it would
 * break.  Measured on 256 units (pcpu-bench, the tree's precise sum): 4.2
 * ns per CPU with the page alone, 0.9 with both.  The gap after each unit
 * is never touched.
 */
#define CHUNK_UNIT_STRIDE (CHUNK_UNIT_SIZE + CHUNK_BASE_ALIGN + PCPU_ALIGN_MAX)

/* Granules per slab of small objects (runtime/slab.h): 1 KiB, at a
 * multiple of itself. */
#define SLAB_BITS ((uint32_t)256)

struct slab;

struct chunk {
	char *base; /* unit 0 */
	/* the slab whose bitmap allocation starts at each SLAB_BITS
	 * boundary, or NULL */
	struct slab *slabs[CHUNK_UNIT_BITS / SLAB_BITS];
	struct bitmap map;
	uint32_t pristine;
	int slot;
	struct chunk *prev, *next;
	uint64_t meta_bytes; /* what this chunk's metadata takes from jemalloc */
	struct bitmap_block blocks[];
};

extern int chunk_nr_units;

/* Create the private jemalloc arena for nr_units units per chunk; 0 or
 * -errno. */
int chunk_setup(int nr_units);

/* A new, empty chunk, or NULL (ENOMEM). */
struct chunk *chunk_create(void);
void chunk_destroy(struct chunk *c);

/* Backing bytes a chunk reserves for all its units. */
static inline uint64_t chunk_reserved_bytes(void)
{
	return (uint64_t)chunk_nr_units * CHUNK_UNIT_STRIDE;
}

/* [off, off + bits) was just allocated: move the pristine mark past it and
 * return how many of its first bits must be zeroed (they lie below the
 * mark). */
uint32_t chunk_claim(struct chunk *c, uint32_t off, uint32_t bits);

/* Zero bits bits at off in every unit, writing only units whose copy is
 * not already zero.  Needs no lock: the caller owns that object. */
void chunk_zero(const struct chunk *c, uint32_t off, uint32_t bits);

#endif
