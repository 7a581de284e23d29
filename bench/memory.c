/* SPDX-License-Identifier: MIT */
/*
 * memory - bytes per tree counter at the process's CPU count, from the
 * statistics and the resident set around one percpu_counter_tree_init_many()
 * of many counters, against the kernel's layout for the same tree: 8 bytes
 * per CPU for the level-0 counters plus one 64-byte cache line per tree item.
 * Run it once per CPU count (PCPU_NR_CPUS).
 *
 * The tree shape used for the kernel figure: leaves are the CPUs, each item
 * above them has up to b->fanout children, and levels are added until one
 * item (the root) remains.
 */
#include <pcpu.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

unsigned long bench_tree_items(unsigned long leaves, unsigned fanout)
{
	unsigned long items = 0;

	do {
		leaves = (leaves + fanout - 1) / fanout;
		items += leaves;
	} while (leaves > 1);
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
	memset(c, 0, n * sizeof(*c));
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
	double meta = (double)(st1.bytes_metadata - st0.bytes_metadata) / n;
	double rss = (rss1 - rss0) / n;
	double kernel = 8.0 * cpus + 64.0 * bench_tree_items(cpus, b->fanout);
	double self = sizeof(struct percpu_counter_tree);

	snprintf(param, sizeof(param), "cpus=%lu", cpus);
	const struct result *base =
		bench_record(b, "memory", "bytes per counter", "kernel layout", 0, param,
			     "bytes", bench_exact(kernel), NULL);
	bench_record(b, "memory", "bytes per counter", "libpcpu stats", 0, param,
		     "bytes", bench_exact(percpu + meta + self), base);
	bench_record(b, "memory", "bytes per counter", "libpcpu RSS", 0, param,
		     "bytes", bench_exact(rss + self), base);
	percpu_counter_tree_destroy_many(c, (unsigned)n);
	free(c);
}
