/* SPDX-License-Identifier: MIT */
/*
 * alloc - the allocator table of seed 002: b->objects objects of one size,
 * allocated, then freed in order, in reverse, or alternating (even indexes,
 * then odd); alloc ms and free ms per size and order, for pcpu_alloc() and
 * for the first-fit baseline, in the same process.  Plain sizes use the
 * alignment a C type of that size would have (4 for 4 bytes, else 8), as the
 * seed's alloc_percpu() did; "4B align 8" is the case that made the area
 * map allocator scan for minutes.  Memory: the RSS growth of each
 * implementation's first fill of a size once every copy has been written, libpcpu's
 * metadata as a share of its reserved bytes with every object live, and the process's
 * peak RSS.
 *
 * With --beside LIB, the pcpu_alloc() and pcpu_free() of LIB, another
 * build of libpcpu.so loaded with dlopen(), are measured too, after this
 * build's in every case; their rows ("libpcpu beside") take this build's
 * as the baseline, so (Nx) is this build's time as a share of LIB's.
 *
 * A first-fit pass that runs past b->ff_limit_s on course to take four times
 * as long stops: its figure is then recorded with reps 0 and the time spent
 * as a lower bound.
 */
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <pcpu.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench.h"
#include "firstfit.h"

enum order { IN_ORDER, REVERSE, ALTERNATING, NR_ORDERS };
static const char *const order_names[] = {"in-order", "reverse", "alternating"};

static const struct {
	size_t size, align;
	const char *name;
} cases[] = {
    /* 8B first: its RSS growth (a target of its own) then starts from an
     * arena that no earlier case has populated */
    {8, 8, "8B"},     {4, 4, "4B"},	  {16, 8, "16B"},	{64, 8, "64B"},
    {128, 8, "128B"}, {1024, 8, "1024B"}, {4, 8, "4B align 8"},
};

/* The per-CPU allocator measured: this process's, or the one beside. */
struct impl {
	void *(*alloc)(size_t size, size_t align);
	void (*free)(void *p);
	void *(*ptr)(void *p, int cpu);
	int (*nr_cpus)(void);
};

struct pass {
	struct firstfit *ff; /* NULL: im */
	const struct impl *im;
	size_t size, align;
	enum order order;
	void **obj;
	unsigned n;
	double limit_ns;
	unsigned done; /* objects allocated by the last pass */
	/* first pass only: with every object live, each copy is written as a
	 * user would (fresh pages count only once touched), then the RSS
	 * growth and libpcpu's statistics are taken, outside the timing */
	bool first;
	double rss_growth;     /* MB */
	struct pcpu_stats *st; /* if set: pcpu_stats() */
	double alloc_ms, free_ms;
};

static size_t free_index(enum order order, unsigned i, unsigned n)
{
	switch (order) {
	case REVERSE:
		return n - 1 - i;
	case ALTERNATING: {
		unsigned evens = (n + 1) / 2;

		return i < evens ? 2 * (size_t)i : 2 * (size_t)(i - evens) + 1;
	}
	default:
		return i;
	}
}

/*
 * Whether a first-fit pass should stop: past its time limit and on course
 * to take over four times that, i.e. scanning quadratically (a slow but
 * linear first fill, such as one that faults in gigabytes, runs on).
 */
static bool stop_early(const struct pass *p, uint64_t t0, unsigned done)
{
	double spent = (double)(stats_now_ns() - t0);

	return spent > p->limit_ns && spent * p->n / done > 4 * p->limit_ns;
}

/* Write every copy of the first done objects. */
static void touch_all(const struct pass *p)
{
	int cpus = p->ff ? p->ff->nr_units : p->im->nr_cpus();

	for (unsigned i = 0; i < p->done; i++)
		for (int cpu = 0; cpu < cpus; cpu++)
			memset(p->ff ? (char *)p->obj[i] + (size_t)cpu * p->ff->unit_size
				     : p->im->ptr(p->obj[i], cpu),
			       0x5a, p->size);
}

/* One pass; -1 if an allocation failed, 1 if the time limit stopped it. */
static int run_pass(struct pass *p)
{
	double rss0 = p->first ? bench_rss_now() : 0;
	uint64_t t0 = stats_now_ns(), t1, t2;
	int ret = 0;

	p->done = 0;
	for (unsigned i = 0; i < p->n; i++) {
		void *o = p->ff ? ff_alloc(p->ff, p->size, p->align)
				: p->im->alloc(p->size, p->align);

		if (!o) {
			ret = -1;
			break;
		}
		p->obj[i] = o;
		p->done++;
		if (p->ff && !(i & 1023) && stop_early(p, t0, i + 1)) {
			ret = 1;
			break;
		}
	}
	t1 = stats_now_ns();
	if (p->first) {
		touch_all(p);
		p->rss_growth = (bench_rss_now() - rss0) / 1e6;
		if (p->st)
			pcpu_stats(p->st, sizeof(*p->st));
		p->first = false;
		t1 = stats_now_ns();
	}
	for (unsigned i = 0; i < p->n; i++) {
		size_t at = free_index(p->order, i, p->n);

		if (at >= p->done)
			continue;
		if (p->ff)
			ff_free(p->ff, p->obj[at]);
		else
			p->im->free(p->obj[at]);
	}
	t2 = stats_now_ns();
	p->alloc_ms = (double)(t1 - t0) / 1e6;
	p->free_ms = (double)(t2 - t1) / 1e6;
	return ret;
}

static void record_case(struct bench *b, const char *impl, const char *param,
			const double *alloc, const double *frees, unsigned n, int stopped,
			const struct pass *p, const struct result *base)
{
	struct sample sa = stats_summarize(alloc, n), sf = stats_summarize(frees, n);

	if (stopped) {
		sa = (struct sample){
		    .median = p->alloc_ms, .min = p->alloc_ms, .max = p->alloc_ms};
		sf = stats_summarize(frees, 0);
		fprintf(stderr,
			"pcpu-bench: %s %s: stopped after %u of %u objects in %.0f ms\n",
			impl, param, p->done, p->n, p->alloc_ms);
	}
	struct result *ra = bench_record(b, "alloc", "alloc", impl, 0, param, "ms", sa,
					 base ? &base[0] : NULL);

	/* a baseline stopped at the limit still bounds the ratio from below */
	if (base && !base[0].s.reps && !isnan(base[0].s.median) && ra && ra->s.reps) {
		ra->ratio = base[0].s.median / ra->s.median;
		snprintf(ra->baseline, sizeof(ra->baseline), "%.40s/%.40s (stopped)",
			 base[0].workload, base[0].impl);
	}
	bench_record(b, "alloc", "free", impl, 0, param, "ms", sf,
		     base ? &base[1] : NULL);
}

/* This case's two results (alloc, free) of impl, as baselines. */
static void find_case(const struct bench *b, const char *impl, const char *param,
		      struct result base[2])
{
	/* copies: recording more results moves the stored ones */
	for (int i = 0; i < 2; i++) {
		const struct result *r = report_find(
		    &b->rep, "alloc", i ? "free" : "alloc", impl, NULL, param, -1);

		base[i] = r ? *r : (struct result){.s.median = NAN};
	}
}

/*
 * Warm-up then reps passes of one implementation, and of the one beside
 * (alt, if not NULL) alternately with it, so that both see the same
 * machine; returns the pass state of p.
 */
static int measure(struct bench *b, struct pass *p, struct pass *alt, const char *impl,
		   const char *param, const struct result *base, double *rss_mb)
{
	double alloc[2][STATS_MAX_REPS], frees[2][STATS_MAX_REPS];
	unsigned reps = b->reps < STATS_MIN_REPS ? STATS_MIN_REPS : b->reps;
	struct pass *both[2] = {p, alt};
	unsigned n = 0;
	int ret = 0;

	if (reps > STATS_MAX_REPS)
		reps = STATS_MAX_REPS;
	for (int k = 0; k < 2 && both[k]; k++) {
		/* warm-up: the first fill also shows the memory it needs */
		both[k]->limit_ns = b->ff_limit_s * 1e9;
		both[k]->n = b->objects;
		both[k]->first = true;
		ret |= run_pass(both[k]);
	}
	*rss_mb = p->rss_growth;
	while (!ret && n < reps) {
		for (int k = 0; !ret && k < 2 && both[k]; k++) {
			ret = run_pass(both[k]);
			alloc[k][n] = both[k]->alloc_ms;
			frees[k][n] = both[k]->free_ms;
		}
		n += !ret;
	}
	if (ret < 0) {
		fprintf(stderr, "pcpu-bench: %s %s: allocation failed: %s\n", impl, param,
			strerror(errno));
		n = 0;
	}
	record_case(b, impl, param, alloc[0], frees[0], n, ret > 0, p, base);
	if (alt) {
		struct result mine[2];

		find_case(b, impl, param, mine);
		record_case(b, "libpcpu beside", param, alloc[1], frees[1], n, 0, alt,
			    mine);
	}
	return ret;
}

/* LIB's allocator, loaded beside this process's; false with a message. */
static bool load_beside(const char *lib, struct impl *im)
{
	/* DEEPBIND: LIB's own calls stay inside LIB, not in the preloaded
	 * library of the same symbols */
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);

	if (!h) {
		fprintf(stderr, "pcpu-bench: --beside: %s\n", dlerror());
		return false;
	}
	*(void **)&im->alloc = dlsym(h, "pcpu_alloc");
	*(void **)&im->free = dlsym(h, "pcpu_free");
	*(void **)&im->ptr = dlsym(h, "pcpu_ptr");
	*(void **)&im->nr_cpus = dlsym(h, "pcpu_nr_cpus");
	if (!im->alloc || !im->free || !im->ptr || !im->nr_cpus) {
		fprintf(stderr, "pcpu-bench: --beside: %s lacks the memory API\n", lib);
		return false;
	}
	return true;
}

void bench_alloc(struct bench *b)
{
	void **obj = malloc(b->objects * sizeof(*obj));
	int cpus = pcpu_nr_cpus();
	static const struct impl self = {pcpu_alloc, pcpu_free, pcpu_ptr, pcpu_nr_cpus};
	struct impl beside;
	bool with_beside = b->beside && load_beside(b->beside, &beside);

	if (!obj) {
		fprintf(stderr, "pcpu-bench: alloc: out of memory\n");
		return;
	}
	memset(obj, 0,
	       b->objects * sizeof(*obj)); /* keep its pages out of the RSS figures */
	for (unsigned c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		size_t stride =
		    (cases[c].size + cases[c].align - 1) & ~(cases[c].align - 1);
		struct firstfit ff;

		if (ff_init(&ff, cpus, stride * b->objects + 4096)) {
			fprintf(stderr, "pcpu-bench: first-fit: %s\n", strerror(errno));
			break;
		}
		for (int o = 0; o < NR_ORDERS; o++) {
			struct pass p = {.size = cases[c].size,
					 .align = cases[c].align,
					 .order = (enum order)o,
					 .obj = obj};
			struct result base[2];
			char param[REPORT_STR];
			struct pcpu_stats st = {0};
			struct pass alt;
			double rss_ff, rss;

			snprintf(param, sizeof(param), "%s %s", cases[c].name,
				 order_names[o]);
			p.ff = &ff;
			measure(b, &p, NULL, "first-fit", param, NULL, &rss_ff);
			find_case(b, "first-fit", param, base);
			p.ff = NULL;
			p.im = &self;
			p.st = &st;
			alt = (struct pass){.im = &beside,
					    .size = p.size,
					    .align = p.align,
					    .order = p.order,
					    .obj = obj};
			measure(b, &p, with_beside ? &alt : NULL, "libpcpu", param, base,
				&rss);
			if (o)
				continue;
			/* memory of one full set, first order only */
			bench_record(b, "alloc", "RSS growth, all written", "first-fit",
				     0, param, "MB", bench_exact(rss_ff), NULL);
			bench_record(b, "alloc", "RSS growth, all written", "libpcpu", 0,
				     param, "MB", bench_exact(rss), NULL);
			if (st.bytes_reserved)
				bench_record(
				    b, "alloc", "metadata / reserved", "libpcpu", 0,
				    param, "%",
				    bench_exact(100.0 * (double)st.bytes_metadata /
						(double)st.bytes_reserved),
				    NULL);
		}
		ff_destroy(&ff);
	}
	free(obj);
	struct rusage ru;
	if (!getrusage(RUSAGE_SELF, &ru))
		bench_record(b, "alloc", "peak RSS", "process", 0, "all cases", "MB",
			     bench_exact((double)ru.ru_maxrss / 1024), NULL);
}
