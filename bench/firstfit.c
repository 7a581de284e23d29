/* SPDX-License-Identifier: MIT */
#include "firstfit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define FF_GRANULE 4

static struct ff_extent *node_new(struct firstfit *ff, size_t start, size_t end)
{
	struct ff_extent *e = ff->spare;

	if (e)
		ff->spare = e->next;
	else if (!(e = malloc(sizeof(*e))))
		abort();
	e->start = start;
	e->end = end;
	e->prev = e->next = NULL;
	return e;
}

static void node_unlink(struct firstfit *ff, struct ff_extent *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		ff->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	if (ff->finger == e)
		ff->finger = e->prev ? e->prev : e->next;
	e->next = ff->spare;
	ff->spare = e;
}

/* Link e after prev (NULL: at the head). */
static void node_link(struct firstfit *ff, struct ff_extent *prev, struct ff_extent *e)
{
	e->prev = prev;
	e->next = prev ? prev->next : ff->head;
	if (e->next)
		e->next->prev = e;
	if (prev)
		prev->next = e;
	else
		ff->head = e;
}

/* ---- offset -> size */

static size_t hash_slot(const struct firstfit *ff, uint64_t key)
{
	return (size_t)((key * 0x9e3779b97f4a7c15u) >> 20) & (ff->hash_cap - 1);
}

static void hash_put(struct firstfit *ff, uint64_t key, uint32_t size);

static void hash_grow(struct firstfit *ff)
{
	uint64_t *keys = ff->keys;
	uint32_t *sizes = ff->sizes;
	size_t cap = ff->hash_cap;

	ff->hash_cap = cap ? 2 * cap : 1024;
	ff->keys = calloc(ff->hash_cap, sizeof(*ff->keys));
	ff->sizes = calloc(ff->hash_cap, sizeof(*ff->sizes));
	if (!ff->keys || !ff->sizes)
		abort();
	ff->hash_used = 0;
	for (size_t i = 0; i < cap; i++)
		if (keys[i])
			hash_put(ff, keys[i], sizes[i]);
	free(keys);
	free(sizes);
}

static void hash_put(struct firstfit *ff, uint64_t key, uint32_t size)
{
	if (2 * (ff->hash_used + 1) > ff->hash_cap)
		hash_grow(ff);
	size_t i = hash_slot(ff, key);
	while (ff->keys[i])
		i = (i + 1) & (ff->hash_cap - 1);
	ff->keys[i] = key;
	ff->sizes[i] = size;
	ff->hash_used++;
}

/* Remove key and return its size; 0 if absent.  Backward-shift deletion
 * keeps every probe sequence unbroken without tombstones. */
static uint32_t hash_take(struct firstfit *ff, uint64_t key)
{
	size_t mask = ff->hash_cap - 1, i;
	uint32_t size;

	if (!ff->hash_cap)
		return 0;
	for (i = hash_slot(ff, key); ff->keys[i] != key; i = (i + 1) & mask)
		if (!ff->keys[i])
			return 0;
	size = ff->sizes[i];
	for (size_t j = (i + 1) & mask; ff->keys[j]; j = (j + 1) & mask) {
		size_t home = hash_slot(ff, ff->keys[j]);

		/* j's entry may move to the hole i if i lies on its probe path */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			ff->keys[i] = ff->keys[j];
			ff->sizes[i] = ff->sizes[j];
			i = j;
		}
	}
	ff->keys[i] = 0;
	ff->hash_used--;
	return size;
}

/* ---- the allocator */

int ff_init(struct firstfit *ff, int nr_units, size_t unit_size)
{
	memset(ff, 0, sizeof(*ff));
	unit_size = (unit_size + 4095) & ~(size_t)4095;
	ff->base = mmap(NULL, unit_size * (size_t)nr_units, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ff->base == MAP_FAILED)
		return -1;
	ff->unit_size = unit_size;
	ff->nr_units = nr_units;
	ff->head = node_new(ff, 0, unit_size);
	return 0;
}

void ff_destroy(struct firstfit *ff)
{
	struct ff_extent *lists[] = {ff->head, ff->spare};

	for (int l = 0; l < 2; l++) {
		for (struct ff_extent *e = lists[l], *next; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	munmap(ff->base, ff->unit_size * (size_t)ff->nr_units);
	free(ff->keys);
	free(ff->sizes);
	memset(ff, 0, sizeof(*ff));
}

void *ff_alloc(struct firstfit *ff, size_t size, size_t align)
{
	size = (size + FF_GRANULE - 1) & ~(size_t)(FF_GRANULE - 1);
	if (align < FF_GRANULE)
		align = FF_GRANULE;
	for (struct ff_extent *e = ff->head; e; e = e->next) {
		size_t at = (e->start + align - 1) & ~(align - 1);

		if (at + size > e->end)
			continue;
		if (at + size < e->end) {
			if (at > e->start) {
				struct ff_extent *tail = node_new(ff, at + size, e->end);

				node_link(ff, e, tail);
				e->end = at;
			} else {
				e->start = at + size;
			}
		} else if (at > e->start) {
			e->end = at;
		} else {
			node_unlink(ff, e);
		}
		for (int u = 0; u < ff->nr_units; u++)
			memset(ff->base + (size_t)u * ff->unit_size + at, 0, size);
		hash_put(ff, at + 1, (uint32_t)size);
		return ff->base + at;
	}
	errno = ENOMEM;
	return NULL;
}

/* The last extent starting below off, or NULL; walks from the finger. */
static struct ff_extent *extent_before(struct firstfit *ff, size_t off)
{
	struct ff_extent *e = ff->finger ? ff->finger : ff->head;

	if (!e || e->start > off) {
		while (e && e->start > off)
			e = e->prev;
		return e;
	}
	while (e->next && e->next->start < off)
		e = e->next;
	return e;
}

void ff_free(struct firstfit *ff, void *p)
{
	size_t off = (size_t)((char *)p - ff->base);
	uint32_t size = hash_take(ff, off + 1);
	struct ff_extent *prev, *next, *e;

	if (!size) {
		fprintf(stderr, "firstfit: ff_free(%p): not a live object\n", p);
		abort();
	}
	prev = extent_before(ff, off);
	next = prev ? prev->next : ff->head;
	if (prev && prev->end == off) {
		e = prev;
		e->end += size;
		if (next && next->start == e->end) {
			e->end = next->end;
			node_unlink(ff, next);
		}
	} else if (next && next->start == off + size) {
		e = next;
		e->start = off;
	} else {
		e = node_new(ff, off, off + size);
		node_link(ff, prev, e);
	}
	ff->finger = e;
}
