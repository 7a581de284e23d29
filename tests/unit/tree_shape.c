/* SPDX-License-Identifier: MIT */
/*
 * Unit test of runtime/tree_shape.c, compiled in: the shapes for leaf
 * counts from 1 to 65536, and carries from every leaf of the required
 * shapes (routed to the right parent or not) checked against the identity
 * the accuracy range rests on: root + every residual = sum of the leaves;
 * and the inline add's shortcut carry of an inc or dec against the
 * general carry arithmetic, at every leaf batch.
 */
#include <pcpu.h>
#include <stdlib.h>

#include "../utils/tap.h"
#include "counter/tree_shape.h"

static unsigned ceil_div(unsigned long long a, unsigned long long b)
{
	return (unsigned)((a + b - 1) / b);
}

static bool shape_ok(unsigned leaves)
{
	struct tree_shape s;
	unsigned f, levels = 1, pos = 0;

	tree_shape_init(&s, leaves);
	while (leaves > 1ULL << (4 * levels))
		levels++;
	f = 1u << s.fanout_shift;
	if (s.nr_leaves != leaves || s.nr_levels != levels || (f != 8 && f != 16))
		return false;
	/* 8 only when it needs no extra level. */
	if (f == 16 && leaves <= 1ULL << (3 * levels))
		return false;
	for (unsigned j = 1; j <= levels; j++) {
		unsigned below = j == 1 ? leaves : s.level_items[j - 1];

		if (s.level_start[j] != pos)
			return false;
		if (j < levels &&
		    s.level_items[j] != ceil_div(leaves, 1ULL << (j * s.fanout_shift)))
			return false;
		/* Every item has children, and at most the fan-out (16 at
		 * the root of a one-level tree). */
		if (s.level_items[j] > below ||
		    below > s.level_items[j] * (levels == 1 ? 16u : f))
			return false;
		pos += s.level_items[j];
	}
	return s.level_items[levels] == 1 && s.nr_items == pos &&
	       (leaves == 1 ? pos == 1 : pos < leaves);
}

static void test_shapes(void)
{
	static const unsigned special[] = {
	    1,	 2,   3,   7,	8,   9,	  16,  17,   63,   64,	 65,	127,  128,
	    129, 255, 256, 257, 511, 512, 513, 4095, 4096, 4097, 65535, 65536};
	struct tree_shape s;
	bool all = true;

	for (unsigned leaves = 1; leaves <= 5000; leaves++) {
		if (!shape_ok(leaves)) {
			tap_diag("  bad shape for %u leaves", leaves);
			all = false;
		}
	}
	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		all &= shape_ok(special[i]);
	ok(all, "shapes from 1 to 5000 leaves and powers of two up to 65536");

	tree_shape_init(&s, 256);
	is(s.nr_levels, 2, "256 leaves: two levels");
	is(s.nr_items, 17, "256 leaves: 16 items and the root");
	is(tree_under(&s, 5), 256 * 31 + 16 * (512 - 32), "256 leaves, batch 32: under");
	tree_shape_init(&s, 4096);
	is(s.nr_items, 256 + 16 + 1, "4096 leaves: 273 items");
	tree_shape_init(&s, 64);
	is(s.fanout_shift, 3, "64 leaves: fan-out 8");
	is(s.nr_items, 9, "64 leaves: 8 items and the root");
	tree_shape_init(&s, 1);
	is(tree_under(&s, 3), 7, "one leaf, batch 8: under = 7");
	is(tree_under(&s, 63), (1UL << 63) - 1, "one leaf, batch 2^63");
	tree_shape_init(&s, 4096);
	is(tree_under(&s, 63), ~0UL, "the range saturates");

	/* (orig, res): (0, -1), (3, 4), (4, 3), (1, 2), (2, 14), (-9, 7),
	 * (LONG_MAX, LONG_MIN) */
	ok(tree_carry((unsigned long)-1L, (unsigned long)-1L, 2) == -4 &&
	       tree_carry(4, 1, 2) == 4 && tree_carry(3, (unsigned long)-1L, 2) == -4 &&
	       tree_carry(2, 1, 2) == 0 && tree_carry(14, 12, 2) == 12 &&
	       tree_carry(7, 16, 2) == 16 && tree_carry(1UL << 63, 1, 2) == 4,
	   "carries round both signs down, and wrap");
}

/* Random adds on every leaf; returns whether the identity and the range
 * held after every one of them. */
static bool simulate(unsigned leaves, unsigned shift, bool misroute, uint64_t *seed)
{
	struct tree_shape s;
	long *leaf, *items;
	unsigned long under, max_seen = 0;
	bool good = true;

	tree_shape_init(&s, leaves);
	under = tree_under(&s, shift);
	leaf = calloc(leaves, sizeof(*leaf));
	items = calloc(s.nr_items, sizeof(*items));
	for (unsigned step = 0; step < 4 * leaves + 2000 && good; step++) {
		uint64_t r = tap_rand(seed);
		/* The last leaf often: an odd count must not lose it. */
		unsigned k = r & 1 ? leaves - 1 : (unsigned)((r >> 1) % leaves);
		long inc = (long)((r >> 20) % (4UL << shift)) - (long)(2UL << shift);
		unsigned long res = (unsigned long)leaf[k] + (unsigned long)inc;
		long carry = tree_carry(res, (unsigned long)inc, shift);
		leaf[k] = (long)res;
		unsigned route = misroute ? (unsigned)((r >> 40) % leaves) : k;

		if (carry)
			tree_propagate(&s, (char *)items, sizeof(long), route, shift,
				       carry);
		/* Every step for small trees, now and then for large ones. */
		if (step % (leaves / 16 + 1) && step + 1 < 4 * leaves + 2000)
			continue;

		unsigned long sum = 0, rebuilt = (unsigned long)items[s.nr_items - 1];
		for (unsigned i = 0; i < leaves; i++) {
			sum += (unsigned long)leaf[i];
			rebuilt += (unsigned long)leaf[i] & ((1UL << shift) - 1);
		}
		for (unsigned j = 1; j < s.nr_levels; j++)
			for (unsigned i = 0; i < s.level_items[j]; i++)
				rebuilt += (unsigned long)items[s.level_start[j] + i] &
					   ((1UL << tree_level_shift(&s, shift, j)) - 1);

		unsigned long d = sum - (unsigned long)items[s.nr_items - 1];
		if (d > max_seen)
			max_seen = d;
		if (rebuilt != sum || d > under) {
			tap_diag("  %u leaves batch %lu step %u: sum %lu rebuilt %lu "
				 "root %ld under %lu",
				 leaves, 1UL << shift, step, sum, rebuilt,
				 items[s.nr_items - 1], under);
			good = false;
		}
	}
	free(leaf);
	free(items);
	return good;
}

static void test_carries(void)
{
	static const unsigned sizes[] = {1, 2, 3, 7, 8, 9, 64, 255, 256, 4096};
	uint64_t seed = 3;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		bool all = true;

		for (unsigned shift = 1; shift <= 9; shift += 4)
			all &= simulate(sizes[i], shift, false, &seed) &&
			       simulate(sizes[i], shift, true, &seed);
		ok(all,
		   "%u leaves: root + residuals = leaves, within the range, "
		   "routed or not",
		   sizes[i]);
	}
}

/* pcpu_abi_tree_unit_carry() against pcpu_abi_tree_leaf_carry(), for inc
 * and dec at every leaf shift, on the values around the residual's wraps
 * and at random. */
static void test_unit_carries(void)
{
	uint64_t seed = 11;
	unsigned bad = 0, checked = 0;

	for (unsigned shift = 1; shift <= 31; shift++) {
		uint32_t batch = (uint32_t)1 << shift;

		for (int k = -3; k < 4096 + 3; k++) {
			uint32_t res;

			if (k < 4096 - 64)
				res = (uint32_t)(k / 8) * batch + (uint32_t)(k % 8) - 3;
			else
				res =
				    (uint32_t)(seed = seed * 6364136223846793005u + 1) >>
				    7;
			for (long inc = -1; inc <= 1; inc += 2) {
				long want = pcpu_abi_tree_leaf_carry(
				    res, (unsigned long)inc, shift);

				checked++;
				if (pcpu_abi_tree_unit_carry(res, inc, shift) != want &&
				    bad++ < 5)
					tap_diag(
					    "shift %u res %u inc %ld: %ld, want %ld",
					    shift, res, inc,
					    pcpu_abi_tree_unit_carry(res, inc, shift),
					    want);
			}
		}
	}
	is(bad, 0, "the inline inc/dec carry equals the general one (%u cases)", checked);
}

int main(void)
{
	tap_start();
	test_shapes();
	test_carries();
	test_unit_carries();
	return tap_done();
}
