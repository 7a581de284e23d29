/* SPDX-License-Identifier: MIT */
#include "counter/tree_shape.h"

void tree_shape_init(struct tree_shape *s, unsigned nr_leaves)
{
	unsigned levels = 1, shift, j, pos = 0;

	/* As few levels as a fan-out of 16 allows... */
	while (levels < TREE_MAX_LEVELS &&
	       (unsigned long long)nr_leaves > 1ULL << (4 * levels))
		levels++;
	/* ...and within them the narrower fan-out of 8 when it suffices:
	 * more items, each shared by fewer CPUs. */
	shift = (unsigned long long)nr_leaves <= 1ULL << (3 * levels) ? 3 : 4;

	s->nr_leaves = nr_leaves;
	s->nr_levels = levels;
	s->fanout_shift = shift;
	for (j = 1; j <= levels; j++) {
		unsigned long long span = 1ULL << (j * shift);
		unsigned n = (unsigned)((nr_leaves + span - 1) / span);

		s->level_start[j] = pos;
		s->level_items[j] = j == levels ? 1 : n;
		pos += s->level_items[j];
	}
	s->nr_items = pos;
}

void tree_propagate(const struct tree_shape *s, char *items, size_t stride, unsigned leaf,
		    unsigned batch_shift, long carry)
{
	unsigned j;

	for (j = 1; j < s->nr_levels; j++) {
		unsigned pos = s->level_start[j] + (leaf >> (j * s->fanout_shift));
		long *item = (long *)(items + pos * stride);
		long res = __atomic_add_fetch(item, carry, __ATOMIC_RELAXED);

		carry = tree_carry((unsigned long)res, (unsigned long)carry,
				   tree_level_shift(s, batch_shift, j));
		if (!carry)
			return;
	}
	__atomic_fetch_add((long *)(items + (s->nr_items - 1) * stride), carry,
			   __ATOMIC_RELAXED);
}

unsigned long tree_items_total(const struct tree_shape *s, const char *items,
			       size_t stride, unsigned batch_shift)
{
	unsigned long total = (unsigned long)__atomic_load_n(
	    (const long *)(items + (s->nr_items - 1) * stride), __ATOMIC_RELAXED);

	for (unsigned j = 1; j < s->nr_levels; j++) {
		unsigned long mask = (1UL << tree_level_shift(s, batch_shift, j)) - 1;

		for (unsigned k = 0; k < s->level_items[j]; k++) {
			unsigned pos = s->level_start[j] + k;

			total +=
			    (unsigned long)__atomic_load_n(
				(const long *)(items + pos * stride), __ATOMIC_RELAXED) &
			    mask;
		}
	}
	return total;
}

unsigned long tree_under(const struct tree_shape *s, unsigned batch_shift)
{
	unsigned __int128 under =
	    (unsigned __int128)s->nr_leaves * ((1UL << batch_shift) - 1);
	unsigned j;

	for (j = 1; j < s->nr_levels; j++) {
		unsigned long below = 1UL << tree_level_shift(s, batch_shift, j - 1);
		unsigned long batch = 1UL << tree_level_shift(s, batch_shift, j);

		under += (unsigned __int128)s->level_items[j] * (batch - below);
	}
	return under > ~0UL ? ~0UL : (unsigned long)under;
}
