/* SPDX-License-Identifier: MIT */
#include "arena/chunk.h"

#include <errno.h>
#include <jemalloc/jemalloc.h>
#include <pcpu.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

int chunk_nr_units;
static unsigned chunk_arena;

/*
 * The arena returns what it is given at once (no decay), so a chunk given
 * back stops costing memory, and a chunk taken again comes back zeroed by
 * jemalloc's purge rather than by writing it.  Its default extent hooks
 * are kept on purpose: with custom hooks jemalloc zeroes recycled memory
 * with memset, which would commit every unit of a many-CPU chunk.
 */
int chunk_setup(int nr_units)
{
	size_t len = sizeof(chunk_arena);
	ssize_t now = 0;
	char name[64];

	if (mallctl("arenas.create", &chunk_arena, &len, NULL, 0))
		return -ENOMEM;
	snprintf(name, sizeof(name), "arena.%u.dirty_decay_ms", chunk_arena);
	if (mallctl(name, NULL, NULL, &now, sizeof(now)))
		return -EINVAL;
	snprintf(name, sizeof(name), "arena.%u.muzzy_decay_ms", chunk_arena);
	if (mallctl(name, NULL, NULL, &now, sizeof(now)))
		return -EINVAL;
	chunk_nr_units = nr_units;
	return 0;
}

struct chunk *chunk_create(void)
{
	size_t head = sizeof(struct chunk) + bitmap_blocks_bytes(CHUNK_UNIT_BITS);
	/* Metadata comes from the same arena, so that it too is returned at
	 * once when the chunk goes. */
	int meta = MALLOCX_ARENA(chunk_arena) | MALLOCX_TCACHE_NONE;
	struct chunk *c = mallocx(head, meta);
	uint64_t *maps = mallocx(bitmap_map_bytes(CHUNK_UNIT_BITS), meta | MALLOCX_ZERO);
	char *base = mallocx(chunk_reserved_bytes(),
			     meta | MALLOCX_ALIGN(CHUNK_BASE_ALIGN) | MALLOCX_ZERO);

	if (!c || !maps || !base) {
		if (c)
			dallocx(c, MALLOCX_TCACHE_NONE);
		if (maps)
			dallocx(maps, MALLOCX_TCACHE_NONE);
		if (base)
			dallocx(base, MALLOCX_TCACHE_NONE);
		errno = ENOMEM;
		return NULL;
	}
	c->base = base;
	memset(c->slabs, 0, sizeof(c->slabs));
	bitmap_init(&c->map, CHUNK_UNIT_BITS, maps, c->blocks);
	c->pristine = 0;
	c->slot = -1;
	c->prev = c->next = NULL;
	c->meta_bytes =
	    sallocx(c, MALLOCX_TCACHE_NONE) + sallocx(maps, MALLOCX_TCACHE_NONE);
	return c;
}

void chunk_destroy(struct chunk *c)
{
	dallocx(c->base, MALLOCX_TCACHE_NONE);
	dallocx(c->map.alloc_map, MALLOCX_TCACHE_NONE);
	dallocx(c, MALLOCX_TCACHE_NONE);
}

uint32_t chunk_claim(struct chunk *c, uint32_t off, uint32_t bits)
{
	uint32_t end = off + bits, dirty = 0;

	if (off < c->pristine)
		dirty = (end < c->pristine ? end : c->pristine) - off;
	if (end > c->pristine)
		c->pristine = end;
	return dirty;
}

typedef uint32_t __attribute__((may_alias)) chunk_word;

/* Whether len bytes (a multiple of 4) at p are all zero: read in 64-byte
 * strides so that large objects are checked at memory speed. */
static int chunk_is_zero(const char *p, size_t len)
{
	const chunk_word *w = (const chunk_word *)p;
	size_t n = len / sizeof(*w), i = 0;

	for (; i + 16 <= n; i += 16) {
		chunk_word acc = 0;

		for (int k = 0; k < 16; k++)
			acc |= w[i + k];
		if (acc)
			return 0;
	}
	for (; i < n; i++)
		if (w[i])
			return 0;
	return 1;
}

void chunk_zero(const struct chunk *c, uint32_t off, uint32_t bits)
{
	size_t len = (size_t)bits * BITMAP_GRANULE;
	char *p = c->base + (size_t)off * BITMAP_GRANULE;

	for (int u = 0; u < chunk_nr_units; u++, p += CHUNK_UNIT_STRIDE)
		if (!chunk_is_zero(p, len))
			memset(p, 0, len);
}
