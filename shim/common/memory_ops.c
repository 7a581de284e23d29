/* SPDX-License-Identifier: MIT */
#include "memory_ops.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

int memory_stats_copy(struct pcpu_stats *dst, size_t size, const struct pcpu_stats *st)
{
	if (size <= sizeof(*st)) {
		memcpy(dst, st, size);
	} else {
		memcpy(dst, st, sizeof(*st));
		memset((char *)dst + sizeof(*st), 0, size - sizeof(*st));
	}
	return 0;
}

int memory_stats_print_summary(FILE *f, const char *runtime, const struct pcpu_stats *st)
{
	int n = fprintf(
	    f,
	    "libpcpu statistics: %s\n"
	    "  allocations:   %" PRIu64 " live, %" PRIu64 " peak, %" PRIu64
	    " allocated, %" PRIu64 " freed\n"
	    "  request sizes: %" PRIu64 " min, %" PRIu64 " max bytes\n"
	    "  per CPU:       %" PRIu64 " bytes used, %" PRIu64
	    " free in chunks (largest run %" PRIu64 ", %" PRIu64 " fragments)\n"
	    "  chunks:        %" PRIu64 " held, %" PRIu64 " peak; %" PRIu32
	    " copies of %" PRIu32 " bytes\n"
	    "  memory:        %" PRIu64 " bytes reserved, %" PRIu64 " bytes metadata\n",
	    runtime, st->nr_alloc, st->nr_max_alloc, st->nr_alloc_total,
	    st->nr_free_total, st->min_alloc_size, st->max_alloc_size, st->bytes_used,
	    st->bytes_free, st->largest_free, st->nr_fragments, st->nr_chunks,
	    st->nr_max_chunks, st->nr_cpus, st->unit_size, st->bytes_reserved,
	    st->bytes_metadata);
	return n < 0 ? -EIO : 0;
}
