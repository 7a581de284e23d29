/* SPDX-License-Identifier: MIT */
#include "counter/tree_items.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LINE	   64
#define POOL_SLOTS 8 /* one line per position */

/* The first line of a slab; the position blocks follow. */
struct slab {
	struct slab *next, *prev; /* pool slabs with a free slot */
	uint32_t used;		  /* bitmap of pool slots handed out */
};
_Static_assert(sizeof(struct slab) <= LINE, "slab header outgrew its line");

static struct slab pool = {&pool, &pool, 0};
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

/* A fork while another thread holds the lock must not leave the child's
 * pool locked for ever. */
static void pool_lock_take(void)
{
	pthread_mutex_lock(&pool_lock);
}

static void pool_lock_drop(void)
{
	pthread_mutex_unlock(&pool_lock);
}

static void pool_setup(void)
{
	pthread_atfork(pool_lock_take, pool_lock_drop, pool_lock_drop);
}

static size_t slab_stride(size_t nr_slots)
{
	return nr_slots * sizeof(long);
}

static struct slab *slab_new(size_t nr_slots, unsigned nr_items)
{
	size_t size = LINE + nr_items * slab_stride(nr_slots);
	struct slab *s = aligned_alloc(LINE, (size + LINE - 1) & ~(size_t)(LINE - 1));

	if (s)
		memset(s, 0, size);
	return s;
}

static char *slab_base(struct slab *s)
{
	return (char *)s + LINE;
}

static void slab_unlink(struct slab *s)
{
	s->prev->next = s->next;
	s->next->prev = s->prev;
}

static char *pool_alloc(unsigned nr_items)
{
	struct slab *s;
	unsigned slot;

	pthread_once(&pool_once, pool_setup);
	pthread_mutex_lock(&pool_lock);
	s = pool.next;
	if (s == &pool) {
		s = slab_new(POOL_SLOTS, nr_items);
		if (!s) {
			pthread_mutex_unlock(&pool_lock);
			errno = ENOMEM;
			return NULL;
		}
		s->next = pool.next;
		s->prev = &pool;
		pool.next->prev = s;
		pool.next = s;
	}
	slot = (unsigned)__builtin_ctz(~s->used);
	s->used |= 1u << slot;
	if (s->used == (1u << POOL_SLOTS) - 1)
		slab_unlink(s);
	pthread_mutex_unlock(&pool_lock);
	return slab_base(s) + slot * sizeof(long);
}

static void pool_free(char *base, unsigned nr_items)
{
	/* Pool slabs are line-aligned and their stride is one line, so the
	 * slot and the slab follow from the address. */
	unsigned slot = (unsigned)((uintptr_t)base % LINE / sizeof(long));
	struct slab *s = (struct slab *)(base - slot * sizeof(long) - LINE);
	bool was_full;

	for (unsigned k = 0; k < nr_items; k++)
		*(long *)(base + k * slab_stride(POOL_SLOTS)) = 0;
	pthread_mutex_lock(&pool_lock);
	was_full = s->used == (1u << POOL_SLOTS) - 1;
	s->used &= ~(1u << slot);
	if (!s->used) {
		if (!was_full)
			slab_unlink(s);
		free(s);
	} else if (was_full) {
		s->next = pool.next;
		s->prev = &pool;
		pool.next->prev = s;
		pool.next = s;
	}
	pthread_mutex_unlock(&pool_lock);
}

char *tree_items_alloc(unsigned n, unsigned nr_items, size_t *stride)
{
	size_t nr_slots = ((size_t)n + POOL_SLOTS - 1) / POOL_SLOTS * POOL_SLOTS;
	struct slab *s;

	*stride = slab_stride(nr_slots);
	if (n == 1)
		return pool_alloc(nr_items);
	s = slab_new(nr_slots, nr_items);
	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	return slab_base(s);
}

void tree_items_free(char *base, unsigned n, unsigned nr_items)
{
	if (n == 1)
		pool_free(base, nr_items);
	else
		free(base - LINE);
}
