/* SPDX-License-Identifier: MIT */
#include "arena.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>

#include "diag.h"

#define ARENA_UNIT ((size_t)256 << 20)

size_t arena_unit_size;
static char *base;
static unsigned char *live; /* 1 at the first 4-byte slot of each object */
static size_t next;
static struct pcpu_stats stats;
static pthread_mutex_t arena_lock = PTHREAD_MUTEX_INITIALIZER;

int arena_init(int nr_units)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;

	base = mmap(NULL, ARENA_UNIT * (size_t)nr_units, PROT_READ | PROT_WRITE,
		    flags, -1, 0);
	live = mmap(NULL, ARENA_UNIT / 4, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (base == MAP_FAILED || live == MAP_FAILED)
		return -ENOMEM;
	arena_unit_size = ARENA_UNIT;
	stats.nr_cpus = (uint32_t)nr_units;
	stats.unit_size = 0;
	return 0;
}

void *arena_alloc(size_t size, size_t align)
{
	void *p = NULL;

	pthread_mutex_lock(&arena_lock);
	size_t at = (next + align - 1) & ~(align - 1);
	if (at + size <= ARENA_UNIT) {
		next = at + size;
		live[at / 4] = 1;
		p = base + at;
		stats.nr_alloc++;
		stats.nr_alloc_total++;
		if (stats.nr_alloc > stats.nr_max_alloc)
			stats.nr_max_alloc = stats.nr_alloc;
		stats.bytes_used += size;
	}
	pthread_mutex_unlock(&arena_lock);
	if (!p)
		errno = ENOMEM;
	return p;
}

void arena_free(void *p)
{
	size_t at = (size_t)((char *)p - base);

	pthread_mutex_lock(&arena_lock);
	if ((char *)p < base || at >= ARENA_UNIT || at % 4 || !live[at / 4]) {
		pthread_mutex_unlock(&arena_lock);
		diag_die("pcpu_free", p,
			 "not a live per-CPU object (never allocated or already freed)");
	}
	live[at / 4] = 0;
	stats.nr_alloc--;
	stats.nr_free_total++;
	pthread_mutex_unlock(&arena_lock);
}

void arena_stats(struct pcpu_stats *st)
{
	pthread_mutex_lock(&arena_lock);
	*st = stats;
	pthread_mutex_unlock(&arena_lock);
}

int arena_stats_print(FILE *f)
{
	(void)f;
	return 0;
}
