/* SPDX-License-Identifier: MIT */
#include "counter/slots.h"

#include <errno.h>

#include "arena/arena.h"

static char **slot_field(void *objs, size_t size, size_t offset, unsigned i)
{
	return (char **)((char *)objs + (size_t)i * size + offset);
}

int counter_slots_alloc(void *objs, size_t size, size_t offset, unsigned n, size_t width)
{
	size_t per_run = PCPU_ALLOC_MAX / width;
	unsigned i, run = 0;

	for (i = 0; i < n; i++) {
		if (i % per_run == 0) {
			size_t left = n - i;

			run = i;
			if (left > per_run)
				left = per_run;
			*slot_field(objs, size, offset, i) =
			    arena_alloc(left * width, width);
			if (!*slot_field(objs, size, offset, i)) {
				counter_slots_free(objs, size, offset, i, width);
				return -ENOMEM;
			}
			continue;
		}
		*slot_field(objs, size, offset, i) =
		    *slot_field(objs, size, offset, run) + (i - run) * width;
	}
	return 0;
}

void counter_slots_free(void *objs, size_t size, size_t offset, unsigned n, size_t width)
{
	for (unsigned i = 0; i < n; i += PCPU_ALLOC_MAX / width)
		arena_free(*slot_field(objs, size, offset, i));
}
