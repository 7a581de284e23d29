/* SPDX-License-Identifier: MIT */
/*
 * read - single-thread cost of the read side at the process's CPU count:
 * sums and comparisons of each counter type, beside a shared counter's load
 * and a per-thread-cache counter's sum over one slot per CPU, and select_max over a set
 * of tree counters with one clearly largest, against taking every counter's precise sum.
 * Run it with PCPU_NR_CPUS=256 for the 256-leaf figures.
 */
#include <pcpu.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "bench.h"
#include "threads.h"

struct readers {
	struct shared_counter shared;
	struct tcache_counter tcache; /* one slot per CPU, as if every CPU ran a thread */
	int64_t *this_cpu;
	struct percpu_counter counter;
	struct percpu_counter_tree tree[2];
	long sink;
};

#define READ_BODY(fn, expr)                                                              \
	static void fn(void *arg, int tid, uint64_t iters)                               \
	{                                                                                \
		struct readers *r = arg;                                                 \
		long sink = 0;                                                           \
		(void)tid;                                                               \
		while (iters--)                                                          \
			sink += (long)(expr);                                            \
		__atomic_store_n(&r->sink, sink, __ATOMIC_RELAXED);                      \
	}

READ_BODY(body_shared_load, __atomic_load_n(&r->shared.count, __ATOMIC_RELAXED))
READ_BODY(body_tcache_sum, tcache_sum(&r->tcache))
READ_BODY(body_pcpu_sum, pcpu_sum(r->this_cpu))
READ_BODY(body_counter_read, percpu_counter_read(&r->counter))
READ_BODY(body_counter_sum, percpu_counter_sum(&r->counter))
/* far from the count: decided by the fast read */
READ_BODY(body_counter_compare_far, percpu_counter_compare(&r->counter, 1L << 40))
/* at the count: needs the exact sum */
READ_BODY(body_counter_compare_near, percpu_counter_compare(&r->counter, 1000))
READ_BODY(body_tree_approx, percpu_counter_tree_approximate_sum(&r->tree[0]))
READ_BODY(body_tree_precise, percpu_counter_tree_precise_sum(&r->tree[0]))
READ_BODY(body_tree_approx_cmp,
	  percpu_counter_tree_approximate_compare(&r->tree[0], &r->tree[1]))
READ_BODY(body_tree_precise_cmp,
	  percpu_counter_tree_precise_compare(&r->tree[0], &r->tree[1]))

/* Each libpcpu read is compared with the baseline read it replaces: a
 * shared counter's load, or a per-thread-cache counter's full sum. */
enum { BASE_NONE, BASE_LOAD, BASE_TCACHE_SUM };

static const struct {
	const char *name, *impl;
	thread_body *body;
	int baseline;
} reads[] = {
    {"counter read", "shared-atomic", body_shared_load, BASE_NONE},
    {"counter sum", "thread-cache", body_tcache_sum, BASE_NONE},
    {"pcpu_sum", "libpcpu", body_pcpu_sum, BASE_TCACHE_SUM},
    {"percpu_counter_read", "libpcpu", body_counter_read, BASE_LOAD},
    {"percpu_counter_sum", "libpcpu", body_counter_sum, BASE_TCACHE_SUM},
    {"percpu_counter_compare (far)", "libpcpu", body_counter_compare_far, BASE_NONE},
    {"percpu_counter_compare (near)", "libpcpu", body_counter_compare_near, BASE_NONE},
    {"tree approximate_sum", "libpcpu", body_tree_approx, BASE_LOAD},
    {"tree precise_sum", "libpcpu", body_tree_precise, BASE_TCACHE_SUM},
    {"tree approximate_compare", "libpcpu", body_tree_approx_cmp, BASE_NONE},
    {"tree precise_compare (equal)", "libpcpu", body_tree_precise_cmp, BASE_NONE},
};

/* ---- select_max */

struct selection {
	struct percpu_counter_tree *c;
	struct percpu_counter_tree **ptr;
	unsigned n;
	int found;
	unsigned nr_precise;
};

static double time_select(void *arg)
{
	struct selection *s = arg;
	uint64_t t0 = stats_now_ns();

	s->found = percpu_counter_tree_select_max(s->ptr, s->n, &s->nr_precise);
	return (double)(stats_now_ns() - t0) / 1e6;
}

static double time_precise_scan(void *arg)
{
	struct selection *s = arg;
	uint64_t t0 = stats_now_ns();
	long best = 0;
	int at = -1;

	for (unsigned i = 0; i < s->n; i++) {
		long v = percpu_counter_tree_precise_sum(s->ptr[i]);

		if (at < 0 || v > best) {
			best = v;
			at = (int)i;
		}
	}
	s->found = at;
	return (double)(stats_now_ns() - t0) / 1e6;
}

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void bench_select(struct bench *b, const char *param)
{
	struct selection s = {.n = b->counters};
	struct sample sel, scan;
	uint64_t seed = 0x9e3779b97f4a7c15u;
	char name[REPORT_STR];

	s.c = calloc(s.n, sizeof(*s.c));
	s.ptr = calloc(s.n, sizeof(*s.ptr));
	if (!s.c || !s.ptr || percpu_counter_tree_init_many(s.c, s.n, b->batch)) {
		fprintf(stderr, "pcpu-bench: select_max: cannot set up %u counters\n",
			s.n);
		free(s.c);
		free(s.ptr);
		return;
	}
	unsigned winner = (unsigned)(xorshift(&seed) % s.n);
	for (unsigned i = 0; i < s.n; i++) {
		s.ptr[i] = &s.c[i];
		percpu_counter_tree_add(&s.c[i], (long)(xorshift(&seed) % 1000));
	}
	/* clearly largest: beyond every other counter's accuracy range */
	percpu_counter_tree_add(
	    &s.c[winner], (long)(4 * percpu_counter_tree_inaccuracy(&s.c[0]) + 1000000));

	stats_repeat(time_select, &s, 1, b->reps, &sel);
	unsigned nr_precise = s.nr_precise;
	if (s.found != (int)winner)
		fprintf(stderr, "pcpu-bench: WARNING: select_max chose %d, not %u\n",
			s.found, winner);
	stats_repeat(time_precise_scan, &s, 1, b->reps, &scan);
	if (s.found != (int)winner)
		fprintf(stderr, "pcpu-bench: WARNING: precise scan chose %d, not %u\n",
			s.found, winner);

	snprintf(name, sizeof(name), "%u precise sums", s.n);
	const struct result *r =
	    bench_record(b, "read", name, "libpcpu", 1, param, "ms", scan, NULL);
	struct result base = r ? *r : (struct result){.s.reps = 0};
	bench_record(b, "read", "select_max", "libpcpu", 1, param, "ms", sel, &base);
	bench_record(b, "read", "select_max precise sums taken", "libpcpu", 1, param,
		     "count", bench_exact(nr_precise), NULL);
	percpu_counter_tree_destroy_many(s.c, s.n);
	free(s.c);
	free(s.ptr);
}

void bench_read(struct bench *b)
{
	struct readers *r = aligned_alloc(64, sizeof(*r));
	/* copies (recording more results moves the stored ones); reps 0: none */
	struct result base[3] = {{.s.reps = 0}};
	char param[REPORT_STR];

	snprintf(param, sizeof(param), "cpus=%d", pcpu_nr_cpus());
	if (r) {
		memset(r, 0, sizeof(*r));
		tcache_init(&r->tcache);
		for (int cpu = 0; cpu < pcpu_nr_cpus(); cpu++)
			tcache_attach(&r->tcache);
	}
	if (!r || !(r->this_cpu = pcpu_alloc(sizeof(int64_t), 0)) ||
	    percpu_counter_init(&r->counter, 1000) ||
	    percpu_counter_tree_init_many(r->tree, 2, b->batch)) {
		fprintf(stderr, "pcpu-bench: read: cannot set up the counters\n");
		exit(1);
	}
	percpu_counter_tree_add(&r->tree[0], 1000);
	percpu_counter_tree_add(&r->tree[1], 1000);
	for (unsigned i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
		struct sample s;

		threads_measure(1, reads[i].body, r, b->target_ms, b->reps, &s, NULL);
		const struct result *res =
		    bench_record(b, "read", reads[i].name, reads[i].impl, 1, param,
				 "ns/op", s, &base[reads[i].baseline]);
		if (i < 2 && res)
			base[i + 1] = *res;
	}
	percpu_counter_tree_destroy_many(r->tree, 2);
	percpu_counter_destroy(&r->counter);
	pcpu_free(r->this_cpu);
	tcache_destroy(&r->tcache);
	free(r);
	bench_select(b, param);
}
