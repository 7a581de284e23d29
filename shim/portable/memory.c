/* SPDX-License-Identifier: MIT */
/*
 * Per-CPU memory of the portable library.
 *
 * Each object is one block of nr_cpus copies, stride bytes apart, where
 * stride is the size rounded up to the alignment.  Blocks are kept in a
 * tree ordered by the address range of copy 0, so any pointer into copy 0
 * (an interior per-CPU pointer) finds its block; the lock is shared for
 * lookups and exclusive for changes.
 */
#include "portable.h"

#include <errno.h>
#include <pcpu.h>
#include <pthread.h>
#include <search.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "memory_ops.h"

struct block {
	uintptr_t start; /* copy 0 */
	size_t size;     /* requested bytes of one copy */
	size_t stride;   /* bytes between copies */
};

static void *blocks;
static pthread_rwlock_t blocks_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct pcpu_stats stats; /* under blocks_lock, exclusive */

/*
 * A child forked while another thread holds blocks_lock would inherit it
 * held for ever: hold it across fork().  The child re-initialises it
 * rather than unlocking, since a rwlock records its writer's thread id,
 * which the child's thread no longer has.
 */
static void blocks_prefork(void)
{
	pthread_rwlock_wrlock(&blocks_lock);
}

static void blocks_postfork_parent(void)
{
	pthread_rwlock_unlock(&blocks_lock);
}

static void blocks_postfork_child(void)
{
	pthread_rwlock_init(&blocks_lock, NULL);
}

__attribute__((constructor)) static void blocks_atfork(void)
{
	pthread_atfork(blocks_prefork, blocks_postfork_parent, blocks_postfork_child);
}

/* Ranges never overlap, so "overlaps" means "contains" for a 1-byte key. */
static int block_cmp(const void *a, const void *b)
{
	const struct block *x = a, *y = b;

	if (x->start + x->size <= y->start)
		return -1;
	if (y->start + y->size <= x->start)
		return 1;
	return 0;
}

/* The block whose copy 0 contains p, or NULL; caller holds blocks_lock. */
static struct block *block_find(const void *p)
{
	struct block key = { (uintptr_t)p, 1, 0 };
	void *node = tfind(&key, &blocks, block_cmp);

	return node ? *(struct block **)node : NULL;
}

void *pcpu_alloc(size_t size, size_t align)
{
	int nr = pcpu_nr_cpus();

	if (memory_check_request(size, &align)) {
		errno = EINVAL;
		return NULL;
	}
	struct block *b = malloc(sizeof(*b));
	size_t stride = (size + align - 1) & ~(align - 1);
	void *mem = aligned_alloc(align, stride * (size_t)nr);

	if (!b || !mem)
		goto nomem;
	memset(mem, 0, stride * (size_t)nr);
	*b = (struct block){ (uintptr_t)mem, size, stride };

	pthread_rwlock_wrlock(&blocks_lock);
	if (!tsearch(b, &blocks, block_cmp)) {
		pthread_rwlock_unlock(&blocks_lock);
		goto nomem;
	}
	if (++stats.nr_alloc > stats.nr_max_alloc)
		stats.nr_max_alloc = stats.nr_alloc;
	stats.nr_alloc_total++;
	if (!stats.min_alloc_size || size < stats.min_alloc_size)
		stats.min_alloc_size = size;
	if (size > stats.max_alloc_size)
		stats.max_alloc_size = size;
	stats.bytes_used += size;
	stats.bytes_reserved += stride * (size_t)nr;
	stats.bytes_metadata += sizeof(*b);
	pthread_rwlock_unlock(&blocks_lock);
	return mem;

nomem:
	free(mem);
	free(b);
	errno = ENOMEM;
	return NULL;
}

void pcpu_free(void *p)
{
	if (!p)
		return;

	pthread_rwlock_wrlock(&blocks_lock);
	struct block *b = block_find(p);

	if (!b || b->start != (uintptr_t)p) {
		pthread_rwlock_unlock(&blocks_lock);
		if (b)
			diag_die("pcpu_free", p,
				 "interior pointer, %zu bytes into the object at %p",
				 (size_t)((uintptr_t)p - b->start), (void *)b->start);
		diag_die("pcpu_free", p,
			 "not a live per-CPU object (never allocated or already freed)");
	}
	tdelete(b, &blocks, block_cmp);
	stats.nr_alloc--;
	stats.nr_free_total++;
	stats.bytes_used -= b->size;
	stats.bytes_reserved -= b->stride * (size_t)pcpu_nr_cpus();
	stats.bytes_metadata -= sizeof(*b);
	pthread_rwlock_unlock(&blocks_lock);

	free(p);
	free(b);
}

void *pcpu_ptr(void *p, int cpu)
{
	if (cpu < 0 || cpu >= pcpu_nr_cpus())
		return NULL;

	pthread_rwlock_rdlock(&blocks_lock);
	struct block *b = block_find(p);
	size_t stride = b ? b->stride : 0;
	pthread_rwlock_unlock(&blocks_lock);

	if (!b)
		diag_die("pcpu_ptr", p, "not a per-CPU pointer");
	return (char *)p + (size_t)cpu * stride;
}

void pcpu_this_add(int64_t *p, int64_t v)
{
	int64_t *mine = pcpu_ptr(p, portable_this_cpu());

	__atomic_fetch_add(mine, v, __ATOMIC_RELAXED);
}

int64_t pcpu_this_add_return(int64_t *p, int64_t v)
{
	int64_t *mine = pcpu_ptr(p, portable_this_cpu());

	return (int64_t)((uint64_t)__atomic_fetch_add(mine, v, __ATOMIC_RELAXED) +
			 (uint64_t)v);
}

void *pcpu_this_ptr(void *p)
{
	return pcpu_ptr(p, portable_this_cpu());
}

int64_t pcpu_sum(int64_t *p)
{
	uint64_t sum = 0;

	for (int cpu = 0; cpu < pcpu_nr_cpus(); cpu++)
		sum += (uint64_t)__atomic_load_n((int64_t *)pcpu_ptr(p, cpu),
						 __ATOMIC_RELAXED);
	return (int64_t)sum;
}

static void stats_snapshot(struct pcpu_stats *st)
{
	pthread_rwlock_wrlock(&blocks_lock);
	*st = stats;
	pthread_rwlock_unlock(&blocks_lock);
	st->nr_cpus = (uint32_t)pcpu_nr_cpus();
}

int pcpu_stats(struct pcpu_stats *st, size_t size)
{
	struct pcpu_stats now;

	stats_snapshot(&now);
	return memory_stats_copy(st, size, &now);
}

int pcpu_stats_print(FILE *f)
{
	struct pcpu_stats now;

	if (!f)
		return -EINVAL;
	stats_snapshot(&now);
	return memory_stats_print_summary(f, pcpu_runtime(), &now);
}
