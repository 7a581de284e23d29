/* SPDX-License-Identifier: MIT */
/*
 * Internal test of runtime/bitmap.c (compiled into this program): random
 * allocations and frees of random sizes and alignments, and after every
 * operation both bitmaps, every block's hints, the map's hints and the
 * fragment count are compared with a brute-force recomputation from a
 * byte-per-bit model.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../utils/tap.h"
#include "arena/bitmap.h"

#define NR_BLOCKS 4
#define NR_BITS	  (NR_BLOCKS * BITMAP_BLOCK_BITS)
#define MAX_LIVE  NR_BITS

static struct bitmap map;
static uint64_t maps[2 * NR_BITS / 64];
static struct bitmap_block blocks[NR_BLOCKS];
static uint8_t used[NR_BITS];
static struct {
	uint32_t off, bits;
} live[MAX_LIVE];
static unsigned nr_live;
static char why[256];

#define FAIL(...) (snprintf(why, sizeof(why), __VA_ARGS__), false)

/* Brute-force hints of [base, base + size) of the model. */
static bool check_hint(const char *what, uint32_t base, uint32_t size,
		       uint32_t first_free, uint32_t left_free, uint32_t right_free,
		       uint32_t contig, uint32_t contig_start, uint32_t scan,
		       uint32_t scan_start, uint32_t nr_free)
{
	uint32_t ff = size, lf = 0, rf = 0, best = 0, nf = 0, before = 0;
	bool run_ok;

	for (uint32_t i = 0; i < size;) {
		uint32_t j = i;

		if (used[base + i]) {
			i++;
			continue;
		}
		while (j < size && !used[base + j])
			j++;
		if (ff == size)
			ff = i;
		if (i == 0)
			lf = j;
		if (j == size)
			rf = j - i;
		if (j - i > best)
			best = j - i;
		if (i < contig_start && j - i > before)
			before = j - i;
		nf += j - i;
		i = j;
	}
	if (first_free != ff)
		return FAIL("%s: first_free %u, want %u", what, first_free, ff);
	if (left_free != lf || right_free != rf)
		return FAIL("%s: left/right_free %u/%u, want %u/%u", what, left_free,
			    right_free, lf, rf);
	if (nr_free != nf)
		return FAIL("%s: nr_free %u, want %u", what, nr_free, nf);
	if (contig != best)
		return FAIL("%s: contig %u, want %u", what, contig, best);
	if (contig) {
		run_ok =
		    contig_start + contig <= size &&
		    (contig_start == 0 || used[base + contig_start - 1]) &&
		    (contig_start + contig == size || used[base + contig_start + contig]);
		for (uint32_t i = 0; run_ok && i < contig; i++)
			run_ok = !used[base + contig_start + i];
		if (!run_ok)
			return FAIL("%s: contig_start %u is not a free run of %u", what,
				    contig_start, contig);
	}
	if (scan) {
		if (scan > contig || scan_start + scan >= contig_start)
			return FAIL("%s: scan %u@%u not before contig %u@%u", what, scan,
				    scan_start, contig, contig_start);
		run_ok = (scan_start == 0 || used[base + scan_start - 1]) &&
			 used[base + scan_start + scan];
		for (uint32_t i = 0; run_ok && i < scan; i++)
			run_ok = !used[base + scan_start + i];
		if (!run_ok)
			return FAIL("%s: scan_start %u is not a free run of %u", what,
				    scan_start, scan);
		if (scan != before)
			return FAIL("%s: scan %u, longest before contig is %u", what,
				    scan, before);
	} else if (first_free >= contig_start && before) {
		return FAIL("%s: scan claims nothing before contig, %u is", what, before);
	}
	return true;
}

static bool check_all(void)
{
	char what[32];
	uint32_t runs = 0;

	for (uint32_t i = 0; i < NR_BITS; i++) {
		if (bitmap_test(map.alloc_map, i) != used[i])
			return FAIL("alloc_map bit %u is %d", i, !used[i]);
		if (!used[i] && (i == 0 || used[i - 1]))
			runs++;
	}
	for (unsigned k = 0; k < nr_live; k++) {
		uint32_t s = live[k].off, e = s + live[k].bits;

		if (!bitmap_test(map.bound_map, s))
			return FAIL("no boundary at the start of %u+%u", s, live[k].bits);
		for (uint32_t i = s + 1; i < e; i++)
			if (bitmap_test(map.bound_map, i))
				return FAIL("boundary inside %u+%u at %u", s,
					    live[k].bits, i);
		if (e < NR_BITS && !bitmap_test(map.bound_map, e))
			return FAIL("no boundary at the end of %u+%u", s, live[k].bits);
	}
	if (map.nr_runs != runs)
		return FAIL("nr_runs %u, want %u", map.nr_runs, runs);
	for (uint32_t b = 0; b < NR_BLOCKS; b++) {
		const struct bitmap_block *k = &map.blocks[b];

		snprintf(what, sizeof(what), "block %u", b);
		if (!check_hint(what, b * BITMAP_BLOCK_BITS, BITMAP_BLOCK_BITS,
				k->first_free, k->left_free, k->right_free, k->contig,
				k->contig_start, k->scan, k->scan_start, k->nr_free))
			return false;
	}
	const struct bitmap_hint *h = &map.hint;

	return check_hint("map", 0, NR_BITS, h->first_free, h->left_free, h->right_free,
			  h->contig, h->contig_start, h->scan, h->scan_start, h->nr_free);
}

static uint32_t random_bits(uint64_t *rng)
{
	switch (tap_rand(rng) % 8) {
	case 0:
		return 1 + tap_rand(rng) % 1500; /* crosses blocks */
	case 1:
	case 2:
		return 1 + tap_rand(rng) % 256;
	default:
		return 1 + tap_rand(rng) % 16;
	}
}

/* The first fit by brute force over the model: the lowest multiple of
 * align with bits free bits from there, or -1. */
static int64_t model_first_fit(uint32_t bits, uint32_t align)
{
	for (uint32_t at = 0; at + bits <= NR_BITS; at += align) {
		uint32_t i = 0;

		while (i < bits && !used[at + i])
			i++;
		if (i == bits)
			return at;
		at = (at + i) / align * align; /* past the used bit, next round */
	}
	return -1;
}

static bool do_alloc(uint64_t *rng, uint32_t bits, uint32_t align)
{
	int64_t want = model_first_fit(bits, align);
	int64_t at = bitmap_alloc(&map, bits, align);

	if (at != want)
		return FAIL("alloc %u@%u returned %" PRId64 ", the first fit is %" PRId64,
			    bits, align, at, want);
	if (at < 0)
		return true;
	(void)rng;
	if (at % align || at + bits > NR_BITS)
		return FAIL("alloc %u@%u returned %" PRId64, bits, align, at);
	for (uint32_t i = 0; i < bits; i++) {
		if (used[at + i])
			return FAIL("alloc %u@%u at %" PRId64 " overlaps a live one",
				    bits, align, at);
		used[at + i] = 1;
	}
	live[nr_live].off = (uint32_t)at;
	live[nr_live++].bits = bits;
	return true;
}

static bool do_free(unsigned k)
{
	uint32_t bits = 0, off = live[k].off;

	if (bitmap_free(&map, off, &bits) != BITMAP_FREED || bits != live[k].bits)
		return FAIL("free of %u+%u: got %u bits", off, live[k].bits, bits);
	memset(used + off, 0, bits);
	live[k] = live[--nr_live];
	return true;
}

/* One randomized sequence; fill steers how full the map is kept. */
static bool run_sequence(uint64_t *rng, unsigned ops, unsigned fill, unsigned *done)
{
	for (*done = 0; *done < ops; (*done)++) {
		bool alloc = nr_live == 0 || tap_rand(rng) % 100 < fill;
		bool okay;

		if (alloc) {
			uint32_t align = 1u << (tap_rand(rng) % 4 ? tap_rand(rng) % 4
								  : tap_rand(rng) % 11);

			okay = do_alloc(rng, random_bits(rng), align);
		} else {
			okay = do_free((unsigned)(tap_rand(rng) % nr_live));
		}
		if (!okay || !check_all())
			return false;
	}
	return true;
}

static bool free_at(uint32_t off)
{
	for (unsigned k = 0; k < nr_live; k++)
		if (live[k].off == off)
			return do_free(k);
	return FAIL("no live object at %u", off);
}

static bool free_all(void)
{
	while (nr_live)
		if (!do_free(nr_live - 1) || !check_all())
			return false;
	return true;
}

static void test_errors(void)
{
	uint32_t bits;
	int64_t a = bitmap_alloc(&map, 8, 1), b = bitmap_alloc(&map, 1, 1);

	ok(a >= 0 && b >= 0, "two allocations");
	is(bitmap_free(&map, (uint32_t)a + 3, &bits), BITMAP_INTERIOR, "interior offset");
	is(bitmap_free(&map, (uint32_t)b + 1, &bits), BITMAP_NOT_LIVE, "free space");
	is(bitmap_free(&map, (uint32_t)a, &bits), BITMAP_FREED, "free");
	is(bits, 8, "freed length from the boundary map");
	is(bitmap_free(&map, (uint32_t)a, &bits), BITMAP_NOT_LIVE, "double free");
	is(bitmap_free(&map, NR_BITS + 5, &bits), BITMAP_NOT_LIVE, "past the map");
	is(bitmap_free(&map, (uint32_t)b, &bits), BITMAP_FREED, "free the other");
	ok(bitmap_empty(&map), "empty again");
}

static void test_patterns(void)
{
	uint32_t n = NR_BITS;
	bool good = true;

	/* The seed's workloads: in order, reverse, alternating; and
	 * 1-bit objects at 2-bit alignment. */
	for (uint32_t i = 0; good && i < n; i++)
		good = do_alloc(NULL, 1, 1) && live[nr_live - 1].off == i && check_all();
	ok(good, "%u sequential 1-bit allocations fill the map in order (%s)", n,
	   good ? "" : why);
	ok(bitmap_alloc(&map, 1, 1) < 0, "a full map refuses");
	/* A free at a block's start whose left neighbour is the last bit
	 * still used below a long free run at the map's start. */
	for (uint32_t i = 0; good && i < BITMAP_BLOCK_BITS - 1; i++)
		good = free_at(i) && check_all();
	good = good && free_at(BITMAP_BLOCK_BITS) && check_all();
	ok(good, "a free next to the map's left run stays apart from it (%s)",
	   good ? "" : why);
	for (uint32_t i = BITMAP_BLOCK_BITS + 2; good && i < n; i += 2)
		good = free_at(i) && check_all();
	ok(good, "alternating frees keep every hint exact (%s)", good ? "" : why);
	good = good && free_all();
	ok(good, "freeing the rest in reverse (%s)", good ? "" : why);
	ok(bitmap_empty(&map) && map.hint.contig == n && map.nr_runs == 1,
	   "one free run");
	for (uint32_t i = 0; good && i < n / 2; i++)
		good =
		    do_alloc(NULL, 1, 2) && live[nr_live - 1].off == 2 * i && check_all();
	ok(good, "1-bit objects at 2-bit alignment go one after another (%s)",
	   good ? "" : why);
	good = good && free_all();
	ok(good, "and free (%s)", good ? "" : why);

	/* Issue 15: a full map with an 11-bit hole that cannot take 8 bits at
	 * 8-bit alignment (the longest run) and a shorter 8-bit hole that can. */
	for (uint32_t i = 0; good && i < n; i++)
		good = do_alloc(NULL, 1, 1);
	for (uint32_t i = 1001; good && i < 1012; i++)
		good = free_at(i);
	for (uint32_t i = 2048; good && i < 2056; i++)
		good = free_at(i);
	ok(good && map.hint.contig == 11,
	   "holes of 11 (misaligned) and 8 (aligned) bits");
	good = good && do_alloc(NULL, 8, 8);
	ok(good && live[nr_live - 1].off == 2048,
	   "8 bits at 8-bit alignment go into the shorter aligned hole (%s)",
	   good ? "" : why);
	good = good && free_all();
	ok(good, "and free (%s)", good ? "" : why);
}

int main(void)
{
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	unsigned total = 0, done;
	bool good = true;
	const unsigned fills[] = {55, 70, 50, 90, 30};

	bitmap_init(&map, NR_BITS, maps, blocks);
	ok(check_all(), "an empty map's hints (%s)", why);
	test_errors();
	test_patterns();
	for (unsigned r = 0; good && r < sizeof(fills) / sizeof(fills[0]); r++) {
		good = run_sequence(&rng, 24000, fills[r], &done);
		total += done;
		ok(good, "%u random operations at %u%% allocations, hints exact (%s)",
		   done, fills[r], good ? "" : why);
		good = good && free_all();
	}
	ok(good && total >= 100000, "%u operations checked in all", total);
	return tap_done();
}
