/* SPDX-License-Identifier: MIT */
#include "arena/slab.h"

#include <errno.h>
#include <jemalloc/jemalloc.h>
#include <string.h>

_Static_assert(SLAB_MAX_SLOTS % 64 == 0, "slab masks");
_Static_assert(SLAB_BITS / 2 <= SLAB_MAX_SLOTS, "class 2 fits the masks");

/* Per class, the slabs with a free slot; the one taken from is the head. */
static struct slab *partial[SLAB_MAX_CLASS + 1];

static void list_add(struct slab *s)
{
	s->prev = NULL;
	s->next = partial[s->size];
	if (s->next)
		s->next->prev = s;
	partial[s->size] = s;
}

static void list_del(struct slab *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		partial[s->size] = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->prev = s->next = NULL;
}

struct slab *slab_partial(unsigned cls)
{
	return partial[cls];
}

struct slab *slab_create(struct chunk *c, uint32_t base, uint32_t dirty, unsigned cls)
{
	struct slab *s = mallocx(sizeof(*s), MALLOCX_ZERO);

	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	s->chunk = c;
	s->base = base;
	s->size = (uint16_t)cls;
	s->nr_slots = (uint16_t)(SLAB_BITS / cls);
	/* the slots that start in the dirty prefix */
	for (uint32_t i = 0; i < s->nr_slots && i * cls < dirty; i++)
		s->dirty[i / 64] |= UINT64_C(1) << (i % 64);
	list_add(s);
	return s;
}

uint32_t slab_take(struct slab *s, int *zero)
{
	unsigned w = 0, i;
	uint64_t bit;

	while (!~s->used[w])
		w++;
	i = w * 64 + (unsigned)__builtin_ctzll(~s->used[w]);
	bit = UINT64_C(1) << (i % 64);
	s->used[w] |= bit;
	*zero = !!(s->dirty[w] & bit);
	s->dirty[w] &= ~bit;
	if (++s->nr_used == s->nr_slots)
		list_del(s);
	return s->base + i * s->size;
}

enum slab_put_error slab_put(struct slab *s, uint32_t off, unsigned bytes)
{
	uint32_t rel = off - s->base, i = rel / s->size;
	uint64_t bit = UINT64_C(1) << (i % 64);

	/* judged as the bitmap judges its objects: a byte offset is always
	 * interior, a granule in free space is not live */
	if (bytes)
		return SLAB_PUT_INTERIOR;
	if (i >= s->nr_slots || !(s->used[i / 64] & bit))
		return SLAB_PUT_NOT_LIVE;
	if (rel % s->size)
		return SLAB_PUT_INTERIOR;
	s->used[i / 64] &= ~bit;
	s->dirty[i / 64] |= bit;
	if (s->nr_used-- == s->nr_slots)
		list_add(s);
	return s->nr_used ? SLAB_PUT : SLAB_PUT_EMPTY;
}

void slab_destroy(struct slab *s)
{
	list_del(s);
	dallocx(s, 0);
}

size_t slab_header_bytes(const struct slab *s)
{
	return sallocx((void *)s, 0);
}
