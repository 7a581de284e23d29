/* SPDX-License-Identifier: MIT */
/*
 * bitmap - the allocation map of one chunk: which 4-byte granules of a unit
 * are allocated, where each allocation starts and ends, and the hints that
 * let an allocation or a free touch only the blocks it concerns.
 *
 * Owns, for a map of nr_bits bits (bit i = bytes [4i, 4i + 4) of every unit):
 *   alloc_map  bit set iff the granule belongs to a live allocation;
 *   bound_map  bit set at the first granule of every live allocation and
 *              at the granule just past its end (unless that is the end of
 *              the map); bits strictly inside a live allocation are clear.
 *              Stale bits may remain in free space: they are harmless
 *              because alloc_map is the ground truth there.
 *   blocks     one struct bitmap_block per BITMAP_BLOCK_BITS bits (one
 *              4 KiB page of the unit), with the hints of that block;
 *   hint       the same hints for the whole map (runs may cross blocks);
 *   nr_runs    the number of free runs (fragments) in the map.
 *
 * Hint invariants, for a region (a block, runs clipped to it, or the map):
 *   first_free  offset of the first free bit, or the region size if full;
 *   left_free   length of the free run at offset 0 (0 if bit 0 is used);
 *   right_free  length of the free run ending at the region's end;
 *   contig      length of the longest free run, exact at all times;
 *   contig_start  start of one free run of that length (0 if contig is 0);
 *   scan        0, or the length of the longest free run that starts before
 *               contig_start, starting at scan_start.  0 means "unknown"
 *               unless first_free >= contig_start (then no free bit lies
 *               before the contig run), so scan never claims a run that is
 *               not there, and when it is known an allocation larger than
 *               scan can go straight to the contig run;
 *   nr_free     free bits in the region.
 * Every hint is exact after every operation except scan, which may drop to
 * "unknown"; it is re-learnt the next time the contig run is rescanned.
 * A free reads the bitmap only inside the blocks it frees and follows the
 * neighbouring blocks' hints to find the run it merges into; it never scans
 * the map.
 */
#ifndef PCPU_BITMAP_H
#define PCPU_BITMAP_H

#include <stdbool.h>
#include <stdint.h>

/* Bytes per bit: the minimum allocation and its granularity. */
#define BITMAP_GRANULE 4
/* Bits per block: one 4 KiB page of a unit. */
#define BITMAP_BLOCK_BITS 1024

/* Hints of a region, in bits from its start (see the invariants above). */
struct bitmap_hint {
	uint32_t first_free;
	uint32_t left_free;
	uint32_t right_free;
	uint32_t contig;
	uint32_t contig_start;
	uint32_t scan;
	uint32_t scan_start;
	uint32_t nr_free;
};

/* A block's hints, stored in 16 bits each: 16 bytes per 256 bytes of the
 * two bitmaps, the metadata budget. */
struct bitmap_block {
	uint16_t first_free;
	uint16_t left_free;
	uint16_t right_free;
	uint16_t contig;
	uint16_t contig_start;
	uint16_t scan;
	uint16_t scan_start;
	uint16_t nr_free;
};

struct bitmap {
	uint32_t nr_bits; /* a multiple of BITMAP_BLOCK_BITS */
	uint32_t nr_blocks;
	uint32_t nr_runs; /* free runs */
	struct bitmap_hint hint;
	uint64_t *alloc_map;
	uint64_t *bound_map;
	struct bitmap_block *blocks;
};

/* Bytes of the two bitmaps (one allocation, zeroed by the caller) and of
 * the block array for a map of nr_bits bits. */
static inline uint64_t bitmap_map_bytes(uint32_t nr_bits)
{
	return 2 * (uint64_t)nr_bits / 8;
}

static inline uint64_t bitmap_blocks_bytes(uint32_t nr_bits)
{
	return (uint64_t)nr_bits / BITMAP_BLOCK_BITS * sizeof(struct bitmap_block);
}

/* Set up an empty map over maps (bitmap_map_bytes(), zeroed) and blocks. */
void bitmap_init(struct bitmap *m, uint32_t nr_bits, uint64_t *maps,
		 struct bitmap_block *blocks);

/* Whether the map's longest free run is at least bits long, the test
 * that lets a map that cannot hold bits bits at any alignment be skipped
 * without a search; bitmap_alloc() then says for certain whether a run
 * takes them at the alignment. */
bool bitmap_fits(const struct bitmap *m, uint32_t bits);

/* Allocate bits bits at a multiple of align (a power of two) by first fit:
 * the lowest such offset whose bits are all free, or -1 if there is none. */
int64_t bitmap_alloc(struct bitmap *m, uint32_t bits, uint32_t align);

enum bitmap_free_error {
	BITMAP_FREED = 0,
	BITMAP_INTERIOR, /* inside a live allocation */
	BITMAP_NOT_LIVE, /* free space: never allocated or already freed */
};

/* Free the allocation starting at off, setting *bits to its length. */
enum bitmap_free_error bitmap_free(struct bitmap *m, uint32_t off, uint32_t *bits);

static inline bool bitmap_empty(const struct bitmap *m)
{
	return m->hint.nr_free == m->nr_bits;
}

/* Next live allocation at or after *pos: its offset in *pos and its length
 * in bits; false when there is none. */
bool bitmap_next_alloc(const struct bitmap *m, uint32_t *pos, uint32_t *bits);

static inline bool bitmap_test(const uint64_t *map, uint32_t bit)
{
	return map[bit / 64] >> (bit % 64) & 1;
}

#endif
