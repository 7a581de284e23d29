/* SPDX-License-Identifier: MIT */
/*
 * memory - bytes per tree counter at the process's CPU count, around one
 * percpu_counter_tree_init_many() of many counters, against the kernel's
 * layout for the same tree: 8 bytes per CPU for the level-0 counters plus
 * one 64-byte cache line per tree item.  Run it once per CPU count
 * (PCPU_NR_CPUS).
 *
 * Two libpcpu figures: "reserved", the per-CPU bytes the arena set aside
 * for every CPU's copy (pcpu_stats) plus everything else the init made
 * resident (the tree items, which are written at init, and the allocator's
 * metadata); and "RSS", the resident growth alone, which leaves out the
 * copies of CPUs that never wrote.  "reserved" counts a copy twice if the
 * init touched its page, so it errs high.  Neither side counts the
 * caller's struct (48 bytes here, 56 in the kernel patch), as the issue's
 * kernel layout does not.
 *
 * The kernel figure uses the tree shape libpcpu documents for its counters
 * (runtime/tree_shape.h): the fewest levels of items a fan-out of 16
 * allows, a fan-out of 8 instead when 8 suffices for that many levels,
 * ceil(leaves / fanout^j) items at level j below the root, and the root.
 */
#include <pcpu.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

unsigned long bench_tree_items(unsigned long leaves)
{
	unsigned levels = 1, shift;
	unsigned long items = 1; /* the root */

	while (levels < 8 && leaves > 1ul << (4 * levels))
		levels++;
	shift = leaves <= 1ul << (3 * levels) ? 3 : 4;
	for (unsigned j = 1; j < levels; j++)
		items += (leaves + (1ul << (j * shift)) - 1) >> (j * shift);
	return items;
}

double bench_rss_now(void)
{
	unsigned long size, resident;
	FILE *f = fopen("/proc/self/statm", "r");
	int n = f ? fscanf(f, "%lu %lu", &size, &resident) : 0;

	if (f)
		fclose(f);
	return n == 2 ? (double)resident * (double)sysconf(_SC_PAGESIZE) : 0;
}

void bench_memory(struct bench *b)
{
	unsigned long cpus = (unsigned long)pcpu_nr_cpus();
	/* enough counters to average out page granularity, at most ~64 MB */
	unsigned long n = (64ul << 20) / (cpus * 8);
	struct pcpu_stats st0, st1;
	struct percpu_counter_tree *c;
	char param[REPORT_STR];

	if (n > b->counters)
		n = b->counters;
	if (n < 64)
		n = 64;
	c = calloc(n, sizeof(*c));
	if (!c)
		return;
	/* Make the structs resident before the first reading, so that the
	 * growth is the counters' own memory: a memset of calloc'd memory is
	 * removed by the compiler, volatile stores are not. */
	for (size_t i = 0; i < n * sizeof(*c); i += 64)
		((volatile char *)c)[i] = 0;
	pcpu_stats(&st0, sizeof(st0));
	double rss0 = bench_rss_now();
	if (percpu_counter_tree_init_many(c, (unsigned)n, b->batch)) {
		fprintf(stderr, "pcpu-bench: memory: cannot init %lu counters\n", n);
		free(c);
		return;
	}
	double rss1 = bench_rss_now();
	pcpu_stats(&st1, sizeof(st1));

	double percpu = (double)(st1.bytes_used - st0.bytes_used) * st1.nr_cpus / n;
	double rss = (rss1 - rss0) / n;
	double kernel = 8.0 * cpus + 64.0 * bench_tree_items(cpus);

	snprintf(param, sizeof(param), "cpus=%lu", cpus);
	const struct result *r =
	    bench_record(b, "memory", "bytes per counter", "kernel layout", 0, param,
			 "bytes", bench_exact(kernel), NULL);
	/* a copy: recording more results moves the stored ones */
	struct result base = r ? *r : (struct result){.s.reps = 0};
	bench_record(b, "memory", "bytes per counter", "libpcpu reserved", 0, param,
		     "bytes", bench_exact(percpu + rss), &base);
	bench_record(b, "memory", "bytes per counter", "libpcpu RSS", 0, param, "bytes",
		     bench_exact(rss), &base);
	percpu_counter_tree_destroy_many(c, (unsigned)n);
	free(c);
}
