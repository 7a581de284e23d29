/* SPDX-License-Identifier: MIT */
/*
 * slab - the small-object cache in front of the bitmap.
 *
 * Objects of 2 to SLAB_MAX_CLASS granules (8 to 64 bytes) whose alignment
 * divides their size are served from slabs: a slab is one bitmap
 * allocation of SLAB_BITS granules at a multiple of SLAB_BITS, cut into
 * equal slots of one class (size in granules).  Taking or returning a slot
 * flips a bit in the slab's masks instead of updating the bitmap's hints,
 * so an allocation or a free costs a few instructions; the bitmap is
 * touched once per slab.
 *
 * Owns, for every slab (all under the arena lock):
 *   used   bit i set iff slot i is a live object handed out by pcpu_alloc;
 *   dirty  bit i set iff slot i may hold non-zero bytes in some unit (it
 *          was used, or lay below the chunk's pristine mark when the slab
 *          was made); a slot is zeroed when it is handed out again;
 *   the slab's place in its class's list: a slab with a free slot is on
 *   the list of its class, a full one on none.
 * A slab with no live slot is given back to the bitmap at once, so that a
 * chunk whose objects are all freed is empty again (and can be released).
 * The chunk's slab table (chunk->slabs) names the slab at each SLAB_BITS
 * boundary: pcpu_free() checks a slab slot there before the bitmap, which
 * sees the whole slab as one allocation.
 */
#ifndef PCPU_SLAB_H
#define PCPU_SLAB_H

#include <stddef.h>
#include <stdint.h>

#include "arena/chunk.h"

/* Largest class in granules (64 bytes); class 1 (4-byte objects) stays in
 * the bitmap, so that its holes serve requests of any size. */
#define SLAB_MAX_CLASS 16
#define SLAB_MAX_SLOTS (SLAB_BITS / 2)

struct slab {
	struct chunk *chunk;
	uint32_t base; /* first granule, a multiple of SLAB_BITS */
	uint16_t size; /* granules per slot: the class */
	uint16_t nr_slots;
	uint16_t nr_used;
	uint64_t used[SLAB_MAX_SLOTS / 64];
	uint64_t dirty[SLAB_MAX_SLOTS / 64];
	struct slab *prev, *next; /* the class's list of slabs with a free slot */
};

/* The class of an object of bits granules at an alignment of align
 * granules (a power of two), or 0 if slabs do not serve it. */
static inline unsigned slab_class(uint32_t bits, uint32_t align)
{
	return bits >= 2 && bits <= SLAB_MAX_CLASS && !(bits & (align - 1)) ? bits : 0;
}

/* A slab of class cls with a free slot, or NULL if it has none. */
struct slab *slab_partial(unsigned cls);

/* Make a slab of class cls over the free-to-use bitmap allocation at base
 * of c, of which the first dirty granules may hold old bytes; NULL if its
 * header cannot be allocated (ENOMEM). */
struct slab *slab_create(struct chunk *c, uint32_t base, uint32_t dirty, unsigned cls);

/* Take a free slot of s: its granule offset in the chunk; *zero set when
 * the slot must be zeroed before it is handed out. */
uint32_t slab_take(struct slab *s, int *zero);

enum slab_put_error {
	SLAB_PUT = 0,
	SLAB_PUT_EMPTY,	   /* put, and s has no live slot left: release it */
	SLAB_PUT_INTERIOR, /* inside a live slot, or not at a granule */
	SLAB_PUT_NOT_LIVE, /* a free slot or the unused tail: never allocated
			    * or already freed */
};

/* Return the slot at granule off of s's chunk (off inside s); bytes is
 * the pointer's offset from the granule (non-zero: interior). */
enum slab_put_error slab_put(struct slab *s, uint32_t off, unsigned bytes);

/* Take s off its class's list and free its header: its slots are all
 * free; the caller frees its bitmap allocation and its table entry. */
void slab_destroy(struct slab *s);

/* Bytes per unit of the header of a slab, for the metadata statistics. */
size_t slab_header_bytes(const struct slab *s);

#endif
