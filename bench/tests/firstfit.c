/* SPDX-License-Identifier: MIT */
/* pcpu-bench's first-fit baseline allocator: alignment, no overlap, zeroed
 * copies, free lists that coalesce back to one extent, and the offset hash
 * under a randomized sequence of allocs and frees. */
#include <stdlib.h>
#include <string.h>

#include "firstfit.h"
#include "tap.h"

#define UNIT  (1u << 20)
#define UNITS 3
#define SLOTS 4096

struct live {
	char *p;
	size_t size;
};

int main(void)
{
	static unsigned char owner[UNIT]; /* 1 where a live object is */
	static struct live live[SLOTS];
	struct firstfit ff;
	uint64_t rng = 42;
	unsigned bad_align = 0, overlap = 0, dirty = 0, failed = 0, ops = 0;

	tap_start();
	ok(ff_init(&ff, UNITS, UNIT) == 0, "init %d units of %u bytes", UNITS, UNIT);
	for (unsigned i = 0; i < 200000; i++) {
		unsigned k = (unsigned)(tap_rand(&rng) % SLOTS);
		struct live *l = &live[k];

		if (l->p) {
			size_t off = (size_t)(l->p - ff.base);

			memset(owner + off, 0, l->size);
			ff_free(&ff, l->p);
			l->p = NULL;
			ops++;
			continue;
		}
		size_t size = 1 + tap_rand(&rng) % 300;
		size_t align = (size_t)1 << (tap_rand(&rng) % 7);
		char *p = ff_alloc(&ff, size, align);

		if (!p) {
			failed++;
			continue;
		}
		size_t off = (size_t)(p - ff.base);
		bad_align += (off % (align < 4 ? 4 : align)) != 0;
		for (size_t b = 0; b < size; b++)
			overlap += owner[off + b];
		memset(owner + off, 1, size);
		for (int u = 0; u < UNITS; u++) {
			char *copy = p + (size_t)u * ff.unit_size;

			for (size_t b = 0; b < size; b++)
				dirty += copy[b] != 0;
			memset(copy, 0xa5, size); /* the next owner must see zeroes */
		}
		*l = (struct live){p, size};
		ops++;
	}
	is(bad_align, 0, "every object is aligned as asked");
	is(overlap, 0, "no object overlaps a live one");
	is(dirty, 0, "every copy is zeroed at allocation");
	is(failed, 0, "no allocation failed with at most %u objects live", SLOTS);
	ok(ops > 150000, "%u operations ran", ops);
	for (unsigned k = 0; k < SLOTS; k++)
		if (live[k].p)
			ff_free(&ff, live[k].p);
	ok(ff.head && !ff.head->next && ff.head->start == 0 &&
	       ff.head->end == ff.unit_size,
	   "after every free, the free list is one extent covering the unit");
	is(ff.hash_used, 0, "and the offset hash is empty");

	/* the area-map pathology: 4-byte objects, 8-aligned, leave 4-byte holes */
	char *a = ff_alloc(&ff, 4, 8), *b = ff_alloc(&ff, 4, 8);
	ok(a && b && b - a == 8, "4-byte objects at 8-byte alignment are 8 apart");
	ok(ff.head->end - ff.head->start == 4, "leaving a 4-byte hole first in the list");
	ff_free(&ff, a);
	ff_free(&ff, b);
	ok(!ff.head->next, "which frees coalesce away");
	ff_destroy(&ff);
	return tap_done();
}
