/* SPDX-License-Identifier: MIT */
#include "arena/bitmap.h"

#define BB BITMAP_BLOCK_BITS
/* A stretch of runs that were not enumerated and whose longest is unknown. */
#define GAP_UNKNOWN UINT32_MAX

/* ------------------------------------------------------------------------
 * Bit operations on arrays of 64-bit words.
 */

/* First clear bit in [pos, end), or end. */
static uint32_t next_zero(const uint64_t *map, uint32_t pos, uint32_t end)
{
	while (pos < end) {
		uint64_t w = ~map[pos / 64] >> (pos % 64);

		if (w) {
			pos += (uint32_t)__builtin_ctzll(w);
			return pos < end ? pos : end;
		}
		pos = (pos | 63) + 1;
	}
	return end;
}

/* First set bit in [pos, end), or end. */
static uint32_t next_one(const uint64_t *map, uint32_t pos, uint32_t end)
{
	while (pos < end) {
		uint64_t w = map[pos / 64] >> (pos % 64);

		if (w) {
			pos += (uint32_t)__builtin_ctzll(w);
			return pos < end ? pos : end;
		}
		pos = (pos | 63) + 1;
	}
	return end;
}

/* One past the last set bit in [lo, pos), or lo; lo is a multiple of 64. */
static uint32_t prev_one_end(const uint64_t *map, uint32_t lo, uint32_t pos)
{
	while (pos > lo) {
		uint32_t i = (pos - 1) / 64, below = pos - i * 64;
		uint64_t w = map[i];

		if (below < 64)
			w &= (UINT64_C(1) << below) - 1;
		if (w)
			return i * 64 + 64 - (uint32_t)__builtin_clzll(w);
		pos = i * 64;
	}
	return lo;
}

static uint64_t word_mask(uint32_t s, uint32_t e)
{
	uint64_t lo = ~UINT64_C(0) << (s % 64);
	uint64_t hi = e % 64 ? ~UINT64_C(0) >> (64 - e % 64) : ~UINT64_C(0);

	return lo & hi;
}

/* Set (val) or clear [s, e). */
static void assign_range(uint64_t *map, uint32_t s, uint32_t e, bool val)
{
	if (s < e && s / 64 == (e - 1) / 64) {
		if (val)
			map[s / 64] |= word_mask(s, e);
		else
			map[s / 64] &= ~word_mask(s, e);
		return;
	}
	while (s < e) {
		uint32_t stop = (s | 63) + 1 < e ? (s | 63) + 1 : e;
		uint64_t mask = word_mask(s, stop);

		if (val)
			map[s / 64] |= mask;
		else
			map[s / 64] &= ~mask;
		s = stop;
	}
}

/* ------------------------------------------------------------------------
 * Regions: a block (runs clipped to it) or the whole map.
 */

struct region {
	const struct bitmap *m;
	uint32_t base; /* first bit of the region */
	uint32_t size; /* bits */
	bool whole;    /* the whole map: runs are followed across blocks */
};

static struct bitmap_hint block_load(const struct bitmap_block *b)
{
	return (struct bitmap_hint){
	    .first_free = b->first_free,
	    .left_free = b->left_free,
	    .right_free = b->right_free,
	    .contig = b->contig,
	    .contig_start = b->contig_start,
	    .scan = b->scan,
	    .scan_start = b->scan_start,
	    .nr_free = b->nr_free,
	};
}

static void block_store(struct bitmap_block *b, const struct bitmap_hint *h)
{
	b->first_free = (uint16_t)h->first_free;
	b->left_free = (uint16_t)h->left_free;
	b->right_free = (uint16_t)h->right_free;
	b->contig = (uint16_t)h->contig;
	b->contig_start = (uint16_t)h->contig_start;
	b->scan = (uint16_t)h->scan;
	b->scan_start = (uint16_t)h->scan_start;
	b->nr_free = (uint16_t)h->nr_free;
}

/* Whether a hint set knows the longest run before its contig run. */
static bool scan_known(const struct bitmap_hint *h)
{
	return h->scan || h->first_free >= h->contig_start;
}

/*
 * Start of the free run that ends at bit s (s itself may be anything).
 * Blocks before s's are followed by their hints; the map's left and
 * contig runs answer at once for the long runs that frees in address
 * order build up.
 */
static uint32_t run_begin(const struct bitmap *m, uint32_t s)
{
	uint32_t bs = s / BB * BB;
	uint32_t ms = prev_one_end(m->alloc_map, bs, s);

	if (ms > bs || !bs)
		return ms;
	if (m->hint.left_free >= bs)
		return 0;
	if (m->hint.contig && m->hint.contig_start + m->hint.contig == bs)
		return m->hint.contig_start;
	for (uint32_t b = bs / BB; b-- > 0;) {
		if (m->blocks[b].nr_free != BB)
			return ms - m->blocks[b].right_free;
		ms -= BB;
	}
	return ms;
}

/* End of the free run that starts at bit e (e itself may be anything). */
static uint32_t run_end(const struct bitmap *m, uint32_t e)
{
	uint32_t be = (e / BB + 1) * BB;
	uint32_t me;

	if (e >= m->nr_bits)
		return m->nr_bits;
	me = next_one(m->alloc_map, e, be);
	if (me < be || be == m->nr_bits)
		return me;
	if (m->hint.right_free >= m->nr_bits - be)
		return m->nr_bits;
	if (m->hint.contig && m->hint.contig_start == be)
		return be + m->hint.contig;
	for (uint32_t b = be / BB; b < m->nr_blocks; b++) {
		if (m->blocks[b].nr_free != BB)
			return me + m->blocks[b].left_free;
		me += BB;
	}
	return me;
}

static uint32_t region_next_free(const struct region *r, uint32_t from)
{
	const struct bitmap *m = r->m;
	uint32_t end;

	if (from >= r->size)
		return r->size;
	if (!r->whole)
		return next_zero(m->alloc_map, r->base + from, r->base + r->size) -
		       r->base;
	end = (from / BB + 1) * BB;
	from = next_zero(m->alloc_map, from, end);
	if (from < end)
		return from;
	for (uint32_t b = end / BB; b < m->nr_blocks; b++)
		if (m->blocks[b].nr_free)
			return b * BB + m->blocks[b].first_free;
	return r->size;
}

/*
 * A rescan: runs are offered in address order, each with the longest of the
 * runs skipped since the previous one (gap), and the longest becomes the
 * contig hint.  The longest run seen before it becomes the scan hint when
 * it is exact and its place is known.
 */
struct refresh {
	uint32_t best, best_start;
	uint32_t pre, pre_start;
	bool pre_ok;
	uint32_t all, all_start; /* longest run so far, skipped ones included */
	bool exact;		 /* all is exact (no unknown gap so far) */
	bool placed;		 /* all_start is where the run of length all is */
};

/* Start from a run known to be the longest up to its end (or from none). */
static void refresh_init(struct refresh *f, uint32_t len, uint32_t start)
{
	*f = (struct refresh){.best = len,
			      .best_start = start,
			      .all = len,
			      .all_start = start,
			      .exact = true,
			      .placed = true};
}

static void refresh_yield(struct refresh *f, uint32_t start, uint32_t len, uint32_t gap)
{
	if (gap == GAP_UNKNOWN) {
		f->exact = false;
	} else if (gap > f->all) {
		f->all = gap;
		f->placed = false;
	}
	if (len > f->best) {
		f->pre = f->all;
		f->pre_start = f->all_start;
		f->pre_ok = f->exact && f->placed;
		f->best = len;
		f->best_start = start;
	}
	if (len > f->all) {
		f->all = len;
		f->all_start = start;
		f->placed = true;
	}
}

static void refresh_store(const struct refresh *f, struct bitmap_hint *h)
{
	h->contig = f->best;
	h->contig_start = f->best ? f->best_start : 0;
	h->scan = f->best && f->pre_ok ? f->pre : 0;
	h->scan_start = h->scan ? f->pre_start : 0;
}

/* The longest run before a block's contig run, as a gap. */
static uint32_t block_before_contig(const struct bitmap_block *b)
{
	if (b->scan)
		return b->scan;
	return b->first_free >= b->contig_start ? 0 : GAP_UNKNOWN;
}

/* Offer the runs of the whole map that start at or after from. */
static void map_runs(const struct bitmap *m, uint32_t from, struct refresh *f)
{
	uint32_t b = from / BB, end = (b + 1) * BB;
	uint32_t carry_start = 0, carry = 0, gap = 0;

	/* The first block bit by bit, since from may lie inside it. */
	while ((from = next_zero(m->alloc_map, from, end)) < end) {
		uint32_t z = next_one(m->alloc_map, from, end);

		if (z == end) {
			carry_start = from;
			carry = z - from;
			break;
		}
		refresh_yield(f, from, z - from, 0);
		from = z;
	}
	/* The others from their hints: runs crossing blocks are joined. */
	for (b++; b < m->nr_blocks; b++) {
		const struct bitmap_block *blk = &m->blocks[b];
		uint32_t bs = b * BB, cs = blk->contig_start, ce = cs + blk->contig;

		if (blk->nr_free == BB) {
			if (!carry)
				carry_start = bs;
			carry += BB;
			continue;
		}
		if (carry || blk->left_free) {
			if (!carry)
				carry_start = bs;
			refresh_yield(f, carry_start, carry + blk->left_free, gap);
			carry = 0;
			gap = 0;
		}
		/* Runs inside the block that are not offered are no longer than
		 * its contig run; before it they are bounded by its scan. */
		if (blk->contig && cs > 0 && ce < BB)
			refresh_yield(f, bs + cs, blk->contig, block_before_contig(blk));
		else if (blk->contig && cs > 0)
			gap = block_before_contig(blk);
		if (blk->right_free) {
			carry_start = bs + BB - blk->right_free;
			carry = blk->right_free;
		}
	}
	if (carry)
		refresh_yield(f, carry_start, carry, gap);
}

/* Offer the runs of region r that start at or after from. */
static void region_runs(const struct region *r, uint32_t from, struct refresh *f)
{
	const uint64_t *map = r->m->alloc_map;
	uint32_t end = r->base + r->size;

	if (r->whole) {
		map_runs(r->m, from, f);
		return;
	}
	from += r->base;
	while ((from = next_zero(map, from, end)) < end) {
		uint32_t z = next_one(map, from, end);

		refresh_yield(f, from - r->base, z - from, 0);
		from = z;
	}
}

/*
 * [s, e) inside the free run [rs, re) has just been allocated (the bitmap
 * already says so; for the whole map, so do the blocks' hints).
 */
static void hint_alloc(struct bitmap_hint *h, const struct region *r, uint32_t s,
		       uint32_t e, uint32_t rs, uint32_t re)
{
	bool known = scan_known(h);

	h->nr_free -= e - s;
	if (s < h->left_free)
		h->left_free = s;
	if (e > r->size - h->right_free)
		h->right_free = r->size - e;
	if (h->first_free == s)
		h->first_free = e < re ? e : region_next_free(r, e);

	if (h->contig && rs == h->contig_start && known && s == rs && re == r->size &&
	    re - e > h->scan) {
		/* Carved from the front of a contig run that ends the region
		 * (filling in address order): what is left of it is still the
		 * longest, and scan still describes what lies before. */
		h->contig = re - e;
		h->contig_start = e;
	} else if (h->contig && rs == h->contig_start) {
		struct refresh f;

		/* The contig run is cut: the new longest is the longest of what
		 * lies before it (scan), its two remains and the runs after it. */
		if (known) {
			refresh_init(&f, h->scan, h->scan_start);
			if (s > rs)
				refresh_yield(&f, rs, s - rs, 0);
			if (re < r->size)
				region_runs(r, e, &f);
			else if (re > e)
				refresh_yield(&f, e, re - e, 0);
		} else {
			refresh_init(&f, 0, 0);
			region_runs(r, h->first_free, &f);
		}
		refresh_store(&f, h);
	} else if (h->scan && rs == h->scan_start) {
		h->scan = 0;
		h->scan_start = 0;
	}
}

/* [s, e) has just been freed and lies in the free run [ms, me) it merged
 * into. */
static void hint_free(struct bitmap_hint *h, uint32_t size, uint32_t s, uint32_t e,
		      uint32_t ms, uint32_t me)
{
	bool known = scan_known(h);
	uint32_t len = me - ms;

	h->nr_free += e - s;
	if (s < h->first_free)
		h->first_free = s;
	if (ms == 0)
		h->left_free = me;
	if (me == size)
		h->right_free = size - ms;
	if (len > h->contig) {
		if (h->contig && h->contig_start < ms) {
			/* The old contig run is the longest before the new. */
			h->scan = h->contig;
			h->scan_start = h->contig_start;
		} else if (!(h->scan && h->scan_start + h->scan < ms)) {
			h->scan = 0;
			h->scan_start = 0;
		}
		h->contig = len;
		h->contig_start = ms;
	} else if (ms < h->contig_start && known && len > h->scan) {
		h->scan = len;
		h->scan_start = ms;
	}
}

/* Apply an allocation ([s, e) in run [rs, re)) or a free ([s, e) merged
 * into [ms, me), passed as rs, re) to every block it covers. */
static void blocks_update(struct bitmap *m, uint32_t s, uint32_t e, uint32_t rs,
			  uint32_t re, bool alloc)
{
	for (uint32_t b = s / BB; b * BB < e; b++) {
		uint32_t bs = b * BB, be = bs + BB;
		struct region r = {.m = m, .base = bs, .size = BB};
		struct bitmap_hint h = block_load(&m->blocks[b]);
		uint32_t cs = s > bs ? s - bs : 0, ce = (e < be ? e : be) - bs;
		uint32_t crs = rs > bs ? rs - bs : 0, cre = (re < be ? re : be) - bs;

		if (alloc)
			hint_alloc(&h, &r, cs, ce, crs, cre);
		else
			hint_free(&h, BB, cs, ce, crs, cre);
		block_store(&m->blocks[b], &h);
	}
}

/* ------------------------------------------------------------------------
 * The map.
 */

void bitmap_init(struct bitmap *m, uint32_t nr_bits, uint64_t *maps,
		 struct bitmap_block *blocks)
{
	struct bitmap_hint empty = {
	    .left_free = BB, .right_free = BB, .contig = BB, .nr_free = BB};

	m->nr_bits = nr_bits;
	m->nr_blocks = nr_bits / BB;
	m->nr_runs = 1;
	m->alloc_map = maps;
	m->bound_map = maps + nr_bits / 64;
	m->blocks = blocks;
	for (uint32_t b = 0; b < m->nr_blocks; b++)
		block_store(&blocks[b], &empty);
	m->hint = (struct bitmap_hint){.left_free = nr_bits,
				       .right_free = nr_bits,
				       .contig = nr_bits,
				       .nr_free = nr_bits};
}

/* Where an allocation of bits aligned to align would go in [rs, re). */
static bool run_fit(uint32_t rs, uint32_t re, uint32_t bits, uint32_t align, uint32_t *at)
{
	uint32_t a = (rs + align - 1) & ~(align - 1);

	*at = a;
	return a < re && re - a >= bits;
}

bool bitmap_fits(const struct bitmap *m, uint32_t bits)
{
	return m->hint.contig >= bits;
}

/* The full extent of a free run found at a, whose block part ends at z. */
static void run_extent(const struct bitmap *m, uint32_t a, uint32_t z, uint32_t *rs,
		       uint32_t *re)
{
	*rs = a % BB ? a : run_begin(m, a);
	if (z % BB)
		*re = z;
	else if (m->hint.contig && *rs == m->hint.contig_start)
		*re = *rs + m->hint.contig;
	else
		*re = run_end(m, z);
}

/*
 * First fit, block by block from the first free bit.  A block is read bit
 * by bit only if its own contig run, or the run leaving it at its end, can
 * take the request; inside it, the scan hint lets a request longer than
 * every run before the block's contig run start there.
 */
static bool find_fit(const struct bitmap *m, uint32_t bits, uint32_t align, uint32_t *at,
		     uint32_t *rs, uint32_t *re)
{
	for (uint32_t b = m->hint.first_free / BB; b < m->nr_blocks; b++) {
		const struct bitmap_block *blk = &m->blocks[b];
		uint32_t bs = b * BB, be = bs + BB, pos;
		bool inside, tail = false;

		if (!blk->nr_free)
			continue;
		/* Any run of the block at least as long as the request may
		 * suit the alignment, not only its contig run: a block is read
		 * whenever its contig run is long enough. */
		inside = blk->contig >= bits;
		if (!inside && blk->right_free) {
			run_extent(m, be - blk->right_free, be, rs, re);
			tail = run_fit(*rs, *re, bits, align, at);
		}
		if (!inside && !tail)
			continue;
		pos = bs + blk->first_free;
		if (bits > blk->scan &&
		    (blk->scan || blk->first_free >= blk->contig_start))
			pos = bs + blk->contig_start;
		while ((pos = next_zero(m->alloc_map, pos, be)) < be) {
			uint32_t z = next_one(m->alloc_map, pos, be);

			run_extent(m, pos, z, rs, re);
			if (run_fit(*rs, *re, bits, align, at))
				return true;
			pos = z;
		}
	}
	return false;
}

int64_t bitmap_alloc(struct bitmap *m, uint32_t bits, uint32_t align)
{
	struct bitmap_hint *h = &m->hint;
	struct region whole = {.m = m, .size = m->nr_bits, .whole = true};
	uint32_t at, rs, re, e;

	if (!bitmap_fits(m, bits))
		return -1;
	rs = h->contig_start;
	re = rs + h->contig;
	/* Every run before the contig run is shorter than the request, and
	 * the contig run takes it at its alignment: it is the first fit.
	 * Otherwise a later, shorter run may still be aligned: search. */
	if (!(bits > h->scan && scan_known(h) && run_fit(rs, re, bits, align, &at)) &&
	    !find_fit(m, bits, align, &at, &rs, &re))
		return -1;
	e = at + bits;
	assign_range(m->alloc_map, at, e, true);
	m->bound_map[at / 64] |= UINT64_C(1) << (at % 64);
	if (bits > 1)
		assign_range(m->bound_map, at + 1, e, false);
	if (e < m->nr_bits)
		m->bound_map[e / 64] |= UINT64_C(1) << (e % 64);
	blocks_update(m, at, e, rs, re, true);
	hint_alloc(h, &whole, at, e, rs, re);
	m->nr_runs += (at > rs) + (e < re) - 1;
	return at;
}

enum bitmap_free_error bitmap_free(struct bitmap *m, uint32_t off, uint32_t *bits)
{
	uint32_t e, ms, me;

	if (off >= m->nr_bits || !bitmap_test(m->alloc_map, off))
		return BITMAP_NOT_LIVE;
	if (!bitmap_test(m->bound_map, off))
		return BITMAP_INTERIOR;
	e = next_one(m->bound_map, off + 1, m->nr_bits);
	assign_range(m->alloc_map, off, e, false);
	ms = run_begin(m, off);
	me = run_end(m, e);
	blocks_update(m, off, e, ms, me, false);
	hint_free(&m->hint, m->nr_bits, off, e, ms, me);
	m->nr_runs += 1 - (ms < off) - (me > e);
	*bits = e - off;
	return BITMAP_FREED;
}

bool bitmap_next_alloc(const struct bitmap *m, uint32_t *pos, uint32_t *bits)
{
	uint32_t a = next_one(m->alloc_map, *pos, m->nr_bits);

	if (a >= m->nr_bits)
		return false;
	*pos = a;
	*bits = next_one(m->bound_map, a + 1, m->nr_bits) - a;
	return true;
}
