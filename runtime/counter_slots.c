/* SPDX-License-Identifier: MIT */
#include "counter_slots.h"

#include <errno.h>

#include "arena.h"

static int64_t **slot_field(void *objs, size_t size, size_t offset, unsigned i)
{
	return (int64_t **)((char *)objs + (size_t)i * size + offset);
}

int counter_slots_alloc(void *objs, size_t size, size_t offset, unsigned n)
{
	unsigned i, run = 0;

	for (i = 0; i < n; i++) {
		if (i % SLOTS_PER_RUN == 0) {
			size_t left = n - i;

			run = i;
			if (left > SLOTS_PER_RUN)
				left = SLOTS_PER_RUN;
			*slot_field(objs, size, offset, i) =
				arena_alloc(left * sizeof(int64_t), sizeof(int64_t));
			if (!*slot_field(objs, size, offset, i)) {
				counter_slots_free(objs, size, offset, i);
				return -ENOMEM;
			}
			continue;
		}
		*slot_field(objs, size, offset, i) =
			*slot_field(objs, size, offset, run) + (i - run);
	}
	return 0;
}

void counter_slots_free(void *objs, size_t size, size_t offset, unsigned n)
{
	for (unsigned i = 0; i < n; i += SLOTS_PER_RUN)
		arena_free(*slot_field(objs, size, offset, i));
}
