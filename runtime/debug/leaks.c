/* SPDX-License-Identifier: MIT */
#include "debug/leaks.h"

#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cpu/cpu.h"
#include "diag.h"
#include "debug/stack.h"
#include "debug/symbolize.h"

#define LEAK_DEPTH	 32
#define LEAK_BUCKET_BITS 16
#define LEAK_BUCKETS	 (1u << LEAK_BUCKET_BITS)
#define LEAK_SLAB	 ((size_t)1 << 20)

struct leak {
	struct leak *next;
	void *ptr;
	size_t size;
	int depth;
	void *pcs[LEAK_DEPTH];
};

static struct leak **buckets;
static struct leak *free_records;
static pthread_mutex_t leaks_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t nr_recorded;

static void *leaks_map(size_t size)
{
	void *p =
	    mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void leaks_lock_all(void)
{
	pthread_mutex_lock(&leaks_lock);
}

static void leaks_unlock_all(void)
{
	pthread_mutex_unlock(&leaks_lock);
}

void leaks_init(void)
{
	buckets = leaks_map(LEAK_BUCKETS * sizeof(*buckets));
	if (!buckets) {
		diag_warn("PCPU_DEBUG=leaks: no memory for the leak table; leak checking "
			  "is off");
		config.debug_leaks = false;
		return;
	}
	stack_init();
	pthread_atfork(leaks_lock_all, leaks_unlock_all, leaks_unlock_all);
}

static struct leak **bucket_of(const void *p)
{
	uint64_t h = (uint64_t)(uintptr_t)p * 0x9e3779b97f4a7c15ull;

	return &buckets[h >> (64 - LEAK_BUCKET_BITS)];
}

/* A free record; caller holds leaks_lock. */
static struct leak *record_get(void)
{
	struct leak *r = free_records;

	if (!r) {
		char *slab = leaks_map(LEAK_SLAB);

		if (!slab)
			return NULL;
		for (size_t off = 0; off + sizeof(*r) <= LEAK_SLAB; off += sizeof(*r)) {
			r = (struct leak *)(slab + off);
			r->next = free_records;
			free_records = r;
		}
		r = free_records;
	}
	free_records = r->next;
	return r;
}

void leaks_record(void *p, size_t size)
{
	void *pcs[LEAK_DEPTH];
	int depth = stack_capture(pcs, LEAK_DEPTH);
	struct leak *r;

	pthread_mutex_lock(&leaks_lock);
	r = record_get();
	if (r) {
		struct leak **b = bucket_of(p);

		r->ptr = p;
		r->size = size;
		r->depth = depth;
		memcpy(r->pcs, pcs, sizeof(pcs[0]) * (size_t)depth);
		r->next = *b;
		*b = r;
		nr_recorded++;
	}
	pthread_mutex_unlock(&leaks_lock);
	if (!r)
		diag_warn(
		    "PCPU_DEBUG=leaks: no memory to record %p; it will not be reported",
		    p);
}

void leaks_forget(void *p)
{
	pthread_mutex_lock(&leaks_lock);
	for (struct leak **link = bucket_of(p); *link; link = &(*link)->next) {
		struct leak *r = *link;

		if (r->ptr == p) {
			*link = r->next;
			r->next = free_records;
			free_records = r;
			break;
		}
	}
	pthread_mutex_unlock(&leaks_lock);
}

/*
 * The report shows a stack from the API function the program called: the
 * frames inside libpcpu.so above it (the recording itself) are noise.
 */
static int first_frame(const struct leak *r, const void *self_base)
{
	int first = 0;
	Dl_info info;

	for (int i = 0; i < r->depth; i++) {
		if (!dladdr(r->pcs[i], &info) || info.dli_fbase != self_base)
			break;
		first = i;
	}
	return first;
}

struct leak_group {
	const struct leak *first; /* a record with the group's stack */
	int from;		  /* its first frame worth showing */
	uint64_t bytes, count;
};

static int same_stack(const struct leak_group *g, const struct leak *r, int from)
{
	return g->first->depth - g->from == r->depth - from &&
	       !memcmp(g->first->pcs + g->from, r->pcs + from,
		       sizeof(r->pcs[0]) * (size_t)(r->depth - from));
}

/* Append a group for r; false if out of memory. */
static bool group_add(struct leak_group **groups, size_t *nr, size_t *cap,
		      const struct leak *r, int from)
{
	if (*nr == *cap) {
		size_t ncap = *cap ? 2 * *cap : 256;
		struct leak_group *n = leaks_map(ncap * sizeof(*n));

		if (!n)
			return false;
		if (*groups) {
			memcpy(n, *groups, *cap * sizeof(*n));
			munmap(*groups, *cap * sizeof(*n));
		}
		*groups = n;
		*cap = ncap;
	}
	(*groups)[(*nr)++] = (struct leak_group){r, from, 0, 0};
	return true;
}

static int group_cmp(const void *a, const void *b)
{
	const struct leak_group *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	return x->count > y->count ? -1 : x->count < y->count;
}

void leaks_report(FILE *f)
{
	struct leak_group *groups = NULL;
	size_t nr_groups = 0, cap = 0;
	uint64_t bytes = 0, count = 0, nr_ungrouped = 0;
	const void *self_base;
	int pid = (int)getpid();
	char line[1024];
	Dl_info self;

	if (!dladdr((void *)leaks_report, &self))
		self.dli_fbase = NULL;
	self_base = self.dli_fbase;

	pthread_mutex_lock(&leaks_lock);
	for (unsigned b = 0; b < LEAK_BUCKETS; b++) {
		for (const struct leak *r = buckets[b]; r; r = r->next) {
			int from = first_frame(r, self_base);
			size_t g;

			for (g = 0; g < nr_groups && !same_stack(&groups[g], r, from);
			     g++)
				;
			if (g == nr_groups &&
			    !group_add(&groups, &nr_groups, &cap, r, from)) {
				nr_ungrouped++;
			} else {
				groups[g].bytes += r->size;
				groups[g].count++;
			}
			bytes += r->size;
			count++;
		}
	}
	if (!count) {
		fprintf(f,
			"==%d== libpcpu: no per-CPU leaks (%" PRIu64
			" allocations recorded, all freed)\n",
			pid, nr_recorded);
		pthread_mutex_unlock(&leaks_lock);
		return;
	}
	qsort(groups, nr_groups, sizeof(*groups), group_cmp);
	fprintf(
	    f,
	    "=================================================================\n"
	    "==%d==ERROR: libpcpu: detected per-CPU memory leaks (PCPU_DEBUG=leaks)\n",
	    pid);
	for (size_t g = 0; g < nr_groups; g++) {
		const struct leak *r = groups[g].first;

		fprintf(f,
			"\nLeak of %" PRIu64 " byte(s) per CPU in %" PRIu64
			" object(s) allocated from:\n",
			groups[g].bytes, groups[g].count);
		for (int i = groups[g].from; i < r->depth; i++) {
			symbolize(r->pcs[i], line, sizeof(line));
			fprintf(f, "    #%d %p %s\n", i - groups[g].from, r->pcs[i],
				line);
		}
	}
	if (nr_ungrouped)
		fprintf(f,
			"\n(%" PRIu64
			" more object(s) not shown: no memory to group them)\n",
			nr_ungrouped);
	fprintf(f,
		"\nSUMMARY: libpcpu: %" PRIu64 " byte(s) per CPU leaked in %" PRIu64
		" allocation(s) (%" PRIu64 " bytes over %d CPUs)\n",
		bytes, count, bytes * (uint64_t)cpu_nr_units, cpu_nr_units);
	pthread_mutex_unlock(&leaks_lock);
	if (groups)
		munmap(groups, cap * sizeof(*groups));
}
