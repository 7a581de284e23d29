/* SPDX-License-Identifier: MIT */
/*
 * The arena's state, under one lock:
 *   slots    chunk lists by the length of their longest free run: slot s
 *            holds the chunks whose contig hint has s significant bits
 *            (slot 0: full), so an allocation of n bits tries only slots
 *            from fls(n) up;
 *   spare    the one empty chunk held, on no list: it serves only when no
 *            listed chunk fits, and a second chunk that empties is given
 *            back to jemalloc;
 *   sorted   every chunk, spare included, by address: pcpu_free() finds
 *            the chunk of a pointer by binary search;
 *   stats    the counters of struct pcpu_stats;
 *   slab_free_bytes, slab_meta  what the slabs of small objects
 *            (runtime/slab.h) hold free and take for their headers.
 * A chunk with a live object is on exactly the list of its contig hint.
 * Objects of a slab class come from a slab with a free slot, else from a
 * new slab, else from the bitmap directly (a hole too small for a slab),
 * and only then from a new chunk.
 */
#include "arena/arena.h"

#include <errno.h>
#include <inttypes.h>
#include <jemalloc/jemalloc.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "arena/bitmap.h"
#include "arena/chunk.h"
#include "diag.h"
#include "futex_lock.h"
#include "debug/leaks.h"
#include "arena/slab.h"

#define ARENA_NR_SLOTS 18 /* fls(CHUNK_UNIT_BITS) + 1 */
/* Largest object in bits, alignment padding included. */
#define ARENA_MAX_BITS (PCPU_ALLOC_MAX / BITMAP_GRANULE)

size_t arena_unit_size;

static struct {
	int lock; /* 0 free, 1 held, 2 held with waiters */
	struct chunk *slots[ARENA_NR_SLOTS];
	uint32_t slot_mask; /* bit s set iff slots[s] is not empty */
	struct chunk *spare;
	struct chunk **sorted;
	uint32_t nr_chunks, cap;
	struct chunk *last_freed; /* where the last free was: frees come in runs */
	struct pcpu_stats st;	  /* counters; the rest is summed when asked */
	uint64_t slab_free_bytes, slab_meta;
} arena;

/* The arena lock holds for a few hundred instructions: a futex word. */
static void arena_lock(void)
{
	futex_lock(&arena.lock);
}

static void arena_unlock(void)
{
	futex_unlock(&arena.lock);
}

_Static_assert(32 - __builtin_clz(CHUNK_UNIT_BITS) < ARENA_NR_SLOTS, "slots");

static int slot_of(uint32_t bits)
{
	return bits ? 32 - __builtin_clz(bits) : 0;
}

static void list_del(struct chunk *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else if (!(arena.slots[c->slot] = c->next))
		arena.slot_mask &= ~(1u << c->slot);
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	c->slot = -1;
}

static void list_add(struct chunk *c, int slot)
{
	c->slot = slot;
	c->prev = NULL;
	c->next = arena.slots[slot];
	if (c->next)
		c->next->prev = c;
	arena.slots[slot] = c;
	arena.slot_mask |= 1u << slot;
}

/* Put c on the list of its contig hint. */
static void relocate(struct chunk *c)
{
	int slot = slot_of(c->map.hint.contig);

	if (c->slot == slot)
		return;
	if (c->slot >= 0)
		list_del(c);
	list_add(c, slot);
}

/* Index of the first chunk whose base is above p. */
static uint32_t sorted_upper(const void *p)
{
	uint32_t lo = 0, hi = arena.nr_chunks;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if ((const char *)p < arena.sorted[mid]->base)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static int sorted_insert(struct chunk *c)
{
	uint32_t at;

	if (arena.nr_chunks == arena.cap) {
		uint32_t cap = arena.cap ? 2 * arena.cap : 16;
		size_t bytes = cap * sizeof(*arena.sorted);
		struct chunk **s =
		    arena.sorted ? rallocx(arena.sorted, bytes, 0) : mallocx(bytes, 0);

		if (!s)
			return -ENOMEM;
		arena.sorted = s;
		arena.cap = cap;
	}
	at = sorted_upper(c->base);
	memmove(&arena.sorted[at + 1], &arena.sorted[at],
		(arena.nr_chunks - at) * sizeof(*arena.sorted));
	arena.sorted[at] = c;
	arena.nr_chunks++;
	if (arena.nr_chunks > arena.st.nr_max_chunks)
		arena.st.nr_max_chunks = arena.nr_chunks;
	return 0;
}

static void sorted_remove(struct chunk *c)
{
	uint32_t at = sorted_upper(c->base) - 1;

	memmove(&arena.sorted[at], &arena.sorted[at + 1],
		(arena.nr_chunks - at - 1) * sizeof(*arena.sorted));
	arena.nr_chunks--;
}

/* The chunk whose unit 0 holds p, or NULL. */
static struct chunk *chunk_of(const void *p)
{
	struct chunk *c = arena.last_freed;
	uint32_t at;

	if (c && (const char *)p >= c->base &&
	    (const char *)p < c->base + CHUNK_UNIT_SIZE)
		return c;
	at = sorted_upper(p);
	if (!at)
		return NULL;
	c = arena.sorted[at - 1];
	return (const char *)p < c->base + CHUNK_UNIT_SIZE ? c : NULL;
}

/* A chunk for a request no listed chunk fits: the spare, or a new one. */
static struct chunk *grow(void)
{
	struct chunk *c = arena.spare;

	if (c) {
		arena.spare = NULL;
		return c;
	}
	c = chunk_create();
	if (c && sorted_insert(c)) {
		chunk_destroy(c);
		errno = ENOMEM;
		c = NULL;
	}
	return c;
}

static void prefork(void)
{
	arena_lock();
}

static void postfork(void)
{
	arena_unlock();
}

int arena_init(int nr_units)
{
	int err = chunk_setup(nr_units);

	if (err)
		return err;
	/* Registered after jemalloc's own handlers (chunk_setup started
	 * jemalloc), so the arena lock is taken before jemalloc's locks, in
	 * the order allocation takes them. */
	if (pthread_atfork(prefork, postfork, postfork))
		return -ENOMEM;
	arena_unit_size = CHUNK_UNIT_STRIDE;
	arena.st.nr_cpus = (uint32_t)nr_units;
	arena.st.unit_size = (uint32_t)CHUNK_UNIT_STRIDE;
	return 0;
}

/* Allocate bits at abits in a listed chunk (*cp): the offset, or -1. */
static int64_t find_room(uint32_t bits, uint32_t abits, struct chunk **cp)
{
	for (uint32_t mask = arena.slot_mask >> slot_of(bits) << slot_of(bits); mask;
	     mask &= mask - 1)
		for (struct chunk *c = arena.slots[__builtin_ctz(mask)]; c; c = c->next) {
			int64_t off = bitmap_alloc(&c->map, bits, abits);

			if (off >= 0) {
				relocate(c);
				*cp = c;
				return off;
			}
		}
	return -1;
}

/* A new slab of class cls in c, or NULL if c has no room for one or its
 * header cannot be allocated. */
static struct slab *slab_make(struct chunk *c, unsigned cls)
{
	int64_t off = bitmap_alloc(&c->map, SLAB_BITS, SLAB_BITS);
	uint32_t bits;
	struct slab *s;

	if (off < 0)
		return NULL;
	s = slab_create(c, (uint32_t)off, chunk_claim(c, (uint32_t)off, SLAB_BITS), cls);
	if (!s)
		bitmap_free(&c->map, (uint32_t)off, &bits);
	relocate(c);
	if (!s)
		return NULL;
	c->slabs[off / SLAB_BITS] = s;
	arena.slab_free_bytes += (uint64_t)s->nr_slots * cls * BITMAP_GRANULE;
	arena.slab_meta += slab_header_bytes(s);
	return s;
}

/* A slab of class cls with a free slot in a listed chunk, or NULL. */
static struct slab *slab_get(unsigned cls)
{
	struct slab *s = slab_partial(cls);

	for (uint32_t mask = arena.slot_mask >> slot_of(SLAB_BITS) << slot_of(SLAB_BITS);
	     !s && mask; mask &= mask - 1)
		for (struct chunk *c = arena.slots[__builtin_ctz(mask)]; !s && c;
		     c = c->next)
			s = slab_make(c, cls);
	return s;
}

/* Give back a slab whose slots are all free. */
static void slab_release(struct slab *s)
{
	struct chunk *c = s->chunk;
	uint32_t bits;

	c->slabs[s->base / SLAB_BITS] = NULL;
	arena.slab_free_bytes -= (uint64_t)s->nr_slots * s->size * BITMAP_GRANULE;
	arena.slab_meta -= slab_header_bytes(s);
	bitmap_free(&c->map, s->base, &bits);
	slab_destroy(s);
}

void *arena_alloc(size_t size, size_t align)
{
	uint32_t bits = (uint32_t)((size + BITMAP_GRANULE - 1) / BITMAP_GRANULE);
	uint32_t abits = align > BITMAP_GRANULE ? (uint32_t)(align / BITMAP_GRANULE) : 1;
	struct chunk *c = NULL;
	struct slab *s = NULL;
	unsigned cls;
	int64_t off = -1;
	uint32_t dirty;
	int zero;
	void *p;

	/* An object smaller than a small alignment takes the padding with
	 * it (like a malloc size class): the 4-byte hole it would leave fits
	 * only another 4-byte object, and a run of such holes is what made
	 * aligned requests scan every fragment. */
	if (align <= 2 * BITMAP_GRANULE)
		bits = (bits + abits - 1) & ~(abits - 1);
	cls = slab_class(bits, abits);

	arena_lock();
	if (cls)
		s = slab_get(cls);
	if (!s && (off = find_room(bits, abits, &c)) < 0) {
		c = grow();
		if (!c) {
			arena_unlock();
			errno = ENOMEM;
			return NULL;
		}
		if (!cls || !(s = slab_make(c, cls))) {
			off = bitmap_alloc(&c->map, bits, abits);
			relocate(c);
		}
	}
	if (s) {
		c = s->chunk;
		off = slab_take(s, &zero);
		dirty = zero ? bits : 0;
		arena.slab_free_bytes -= (uint64_t)bits * BITMAP_GRANULE;
	} else {
		dirty = chunk_claim(c, (uint32_t)off, bits);
	}
	arena.st.nr_alloc++;
	arena.st.nr_alloc_total++;
	if (arena.st.nr_alloc > arena.st.nr_max_alloc)
		arena.st.nr_max_alloc = arena.st.nr_alloc;
	if (!arena.st.min_alloc_size || size < arena.st.min_alloc_size)
		arena.st.min_alloc_size = size;
	if (size > arena.st.max_alloc_size)
		arena.st.max_alloc_size = size;
	arena.st.bytes_used += (uint64_t)bits * BITMAP_GRANULE;
	arena_unlock();

	if (dirty)
		chunk_zero(c, (uint32_t)off, dirty);
	p = c->base + (size_t)off * BITMAP_GRANULE;
	leaks_on_alloc(p, size);
	return p;
}

static _Noreturn void bad_free(void *p, const char *why)
{
	arena_unlock();
	diag_die("pcpu_free", p, "%s", why);
}

/* Free the slot at granule g of s; its size in bits. */
static uint32_t slab_free(void *p, struct slab *s, uint32_t g, unsigned bytes)
{
	uint32_t bits = s->size;

	switch (slab_put(s, g, bytes)) {
	case SLAB_PUT:
		break;
	case SLAB_PUT_EMPTY:
		slab_release(s);
		break;
	case SLAB_PUT_INTERIOR:
		bad_free(p, "interior pointer, not the start of a live object");
	case SLAB_PUT_NOT_LIVE:
		bad_free(p,
			 "not a live per-CPU object (never allocated or already freed)");
	}
	arena.slab_free_bytes += (uint64_t)bits * BITMAP_GRANULE;
	return bits;
}

void arena_free(void *p)
{
	struct chunk *c, *drop = NULL;
	struct slab *s;
	uint32_t bits = 0, g;
	size_t off;

	leaks_on_free(p);
	arena_lock();
	c = chunk_of(p);
	if (!c)
		bad_free(p,
			 "not a live per-CPU object (never allocated or already freed)");
	off = (size_t)((char *)p - c->base);
	g = (uint32_t)(off / BITMAP_GRANULE);
	arena.last_freed = c;
	s = c->slabs[g / SLAB_BITS];
	if (s) {
		bits = slab_free(p, s, g, off % BITMAP_GRANULE);
	} else {
		switch (off % BITMAP_GRANULE ? BITMAP_INTERIOR
					     : bitmap_free(&c->map, g, &bits)) {
		case BITMAP_FREED:
			break;
		case BITMAP_INTERIOR:
			bad_free(p, "interior pointer, not the start of a live object");
		case BITMAP_NOT_LIVE:
			bad_free(p, "not a live per-CPU object (never allocated or "
				    "already freed)");
		}
	}
	arena.st.nr_alloc--;
	arena.st.nr_free_total++;
	arena.st.bytes_used -= (uint64_t)bits * BITMAP_GRANULE;
	if (bitmap_empty(&c->map)) {
		list_del(c);
		if (arena.spare) {
			sorted_remove(c);
			arena.last_freed = NULL;
			drop = c;
		} else {
			arena.spare = c;
		}
	} else if (!s || !c->slabs[g / SLAB_BITS]) {
		/* the bitmap changed: a free, or a slab given back */
		relocate(c);
	}
	arena_unlock();
	if (drop)
		chunk_destroy(drop);
}

static uint64_t sorted_bytes(void)
{
	return arena.sorted ? sallocx(arena.sorted, 0) : 0;
}

void arena_stats(struct pcpu_stats *st)
{
	arena_lock();
	*st = arena.st;
	st->nr_chunks = arena.nr_chunks;
	st->bytes_metadata = sorted_bytes() + arena.slab_meta;
	st->bytes_free = arena.slab_free_bytes;
	for (uint32_t i = 0; i < arena.nr_chunks; i++) {
		const struct chunk *c = arena.sorted[i];
		uint64_t largest = (uint64_t)c->map.hint.contig * BITMAP_GRANULE;

		st->bytes_free += (uint64_t)c->map.hint.nr_free * BITMAP_GRANULE;
		if (largest > st->largest_free)
			st->largest_free = largest;
		st->nr_fragments += c->map.nr_runs;
		st->bytes_reserved += chunk_reserved_bytes();
		st->bytes_metadata += c->meta_bytes;
	}
	arena_unlock();
}

/* What pcpu_stats_print() says about one chunk. */
struct chunk_report {
	const void *base;
	uint64_t free_bytes, largest, nr_runs;
	uint64_t hole_bytes, hole_max; /* free runs below the last object */
	uint64_t nr_objects, size_min, size_median, size_max;
};

/* A walk over a chunk's objects, in address order. */
struct report_walk {
	uint32_t *histogram;
	uint32_t end, lo, hi; /* end of the last object; least and largest bits */
};

static void report_object(struct chunk_report *r, struct report_walk *w, uint32_t pos,
			  uint32_t bits)
{
	/* a gap before an object is a hole */
	uint64_t hole = (uint64_t)(pos - w->end) * BITMAP_GRANULE;

	r->hole_bytes += hole;
	if (hole > r->hole_max)
		r->hole_max = hole;
	r->nr_objects++;
	w->histogram[bits]++;
	w->lo = bits < w->lo ? bits : w->lo;
	w->hi = bits > w->hi ? bits : w->hi;
	w->end = pos + bits;
}

static void chunk_report(const struct chunk *c, uint32_t *histogram,
			 struct chunk_report *r)
{
	struct report_walk w = {.histogram = histogram, .lo = ARENA_MAX_BITS};
	uint32_t pos = 0, bits;
	uint64_t seen = 0;

	*r = (struct chunk_report){
	    .base = c->base,
	    .free_bytes = (uint64_t)c->map.hint.nr_free * BITMAP_GRANULE,
	    .largest = (uint64_t)c->map.hint.contig * BITMAP_GRANULE,
	    .nr_runs = c->map.nr_runs};
	while (bitmap_next_alloc(&c->map, &pos, &bits)) {
		const struct slab *s = c->slabs[pos / SLAB_BITS];

		/* a slab's live slots are the objects, its free slots free */
		for (uint32_t i = 0; s && i < s->nr_slots; i++)
			if (s->used[i / 64] >> (i % 64) & 1)
				report_object(r, &w, s->base + i * s->size, s->size);
			else
				r->free_bytes += (uint64_t)s->size * BITMAP_GRANULE;
		if (!s)
			report_object(r, &w, pos, bits);
		pos += bits;
	}
	if (!r->nr_objects)
		return;
	r->size_min = (uint64_t)w.lo * BITMAP_GRANULE;
	r->size_max = (uint64_t)w.hi * BITMAP_GRANULE;
	for (uint32_t b = w.lo; b <= w.hi; b++) {
		seen += histogram[b];
		if (!r->size_median && 2 * seen >= r->nr_objects)
			r->size_median = (uint64_t)b * BITMAP_GRANULE;
		histogram[b] = 0;
	}
}

int arena_stats_print(FILE *f)
{
	static uint32_t histogram[ARENA_MAX_BITS + 1];
	struct chunk_report *reports;
	uint32_t n;
	int err = 0;

	arena_lock();
	n = arena.nr_chunks;
	reports = n ? mallocx(n * sizeof(*reports), 0) : NULL;
	for (uint32_t i = 0; reports && i < n; i++)
		chunk_report(arena.sorted[i], histogram, &reports[i]);
	arena_unlock();
	if (n && !reports)
		return -ENOMEM;

	for (uint32_t i = 0; i < n && !err; i++) {
		const struct chunk_report *r = &reports[i];

		if (fprintf(f,
			    "  chunk %" PRIu32 " at %p: %" PRIu64
			    " bytes free, largest run %" PRIu64 ", %" PRIu64
			    " fragments, holes %" PRIu64 " bytes (max %" PRIu64
			    "); %" PRIu64 " objects, size min/median/max %" PRIu64
			    "/%" PRIu64 "/%" PRIu64 "\n",
			    i, r->base, r->free_bytes, r->largest, r->nr_runs,
			    r->hole_bytes, r->hole_max, r->nr_objects, r->size_min,
			    r->size_median, r->size_max) < 0)
			err = -EIO;
	}
	if (reports)
		dallocx(reports, 0);
	return err;
}
