/* SPDX-License-Identifier: MIT */
/*
 * Per-CPU memory of the portable library.
 *
 * Every object lives in copy 0 of a chunk: one mapping of portable_copies
 * copies of PORTABLE_UNIT bytes, portable_stride (= PORTABLE_UNIT) apart,
 * so copy n of any object p is at p + n * portable_stride, one
 * process-wide constant, with no lookup.  Copy 0 is cut into blocks of
 * BLOCK bytes; a block serves one size class (a power of two from 8 bytes
 * to PCPU_ALLOC_MAX, at least the alignment; bytes_used counts slots) and
 * owns:
 *   live  bit i set iff slot i is a live object: pcpu_free() judges by it
 *         (interior, never allocated, double free);
 *   bump  the slots from bump on were never used since the block took
 *         its class (still zero in every copy); below it, nr_freed slots
 *         are free, none in a live word before hint, and are zeroed when
 *         they are handed out again (the allocator writes no object
 *         memory, so a copy nobody wrote costs nothing);
 *   its place on its class's list while it has a free slot.
 * A block whose slots are all free again is given back (its pages dropped,
 * so they read as zero, and it may serve any class) unless it is its
 * class's only block with room: one alloc/free pair does not map and drop
 * pages every time.  Chunks are never unmapped.
 *
 * One futex word guards everything.  It is held across fork() and the
 * child resets it with a store, which is defined for a plain word (a held
 * pthread lock may not be re-initialised).
 */
#include "portable.h"

#include <errno.h>
#include <pcpu.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "diag.h"
#include "futex_lock.h"
#include "memory_backend.h"
#include "memory_ops.h"

#define PORTABLE_UNIT ((size_t)1 << 20)
#define BLOCK	      ((size_t)64 << 10)
#define NR_BLOCKS     (PORTABLE_UNIT / BLOCK)
#define MIN_SHIFT     3
#define MAX_SHIFT     15
#define NR_CLASSES    (MAX_SHIFT - MIN_SHIFT + 1)
#define MAX_SLOTS     (BLOCK >> MIN_SHIFT)

_Static_assert(PCPU_ALLOC_MAX == 1 << MAX_SHIFT, "classes up to the largest object");
_Static_assert(PCPU_ALIGN_MAX <= BLOCK, "a block is aligned for every request");

size_t portable_stride = PORTABLE_UNIT;
int portable_copies;

struct chunk;

struct block {
	struct chunk *chunk;
	char *base;	/* copy 0 */
	unsigned shift; /* log2 of the slot size; 0: no class */
	uint32_t nr_live, bump, nr_freed, hint;
	struct block *prev, *next;
	uint64_t live[MAX_SLOTS / 64];
};

struct chunk {
	char *base;
	struct block blocks[NR_BLOCKS];
};

static int lock;
static struct chunk **chunks; /* by address */
static unsigned nr_chunks, cap_chunks;
static struct block *partial[NR_CLASSES]; /* blocks with a free slot */
static struct block *unused;		  /* blocks of no class, by next */
static struct pcpu_stats stats;

static void memory_prefork(void)
{
	futex_lock(&lock);
}

static void memory_postfork_parent(void)
{
	futex_unlock(&lock);
}

static void memory_postfork_child(void)
{
	futex_lock_reset(&lock);
}

__attribute__((constructor)) static void memory_init(void)
{
	portable_copies = pcpu_nr_cpus();
	pthread_atfork(memory_prefork, memory_postfork_parent, memory_postfork_child);
}

static void list_add(struct block *b)
{
	struct block **head = &partial[b->shift - MIN_SHIFT];

	b->prev = NULL;
	b->next = *head;
	if (b->next)
		b->next->prev = b;
	*head = b;
}

static void list_del(struct block *b)
{
	if (b->prev)
		b->prev->next = b->next;
	else
		partial[b->shift - MIN_SHIFT] = b->next;
	if (b->next)
		b->next->prev = b->prev;
	b->prev = b->next = NULL;
}

/* A new chunk's blocks go on the unused list; false when out of memory. */
static bool chunk_add(void)
{
	size_t len;
	struct chunk *c;
	void *mem;
	unsigned at = nr_chunks;

	/* an allocation from another library's constructor may come first */
	if (!portable_copies)
		portable_copies = pcpu_nr_cpus();
	len = PORTABLE_UNIT * (size_t)portable_copies;
	c = calloc(1, sizeof(*c));
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (nr_chunks == cap_chunks) {
		unsigned cap = cap_chunks ? 2 * cap_chunks : 8;
		struct chunk **grown = c && mem != MAP_FAILED
					   ? realloc(chunks, cap * sizeof(*chunks))
					   : NULL;

		if (grown) {
			chunks = grown;
			cap_chunks = cap;
		}
	}
	if (!c || mem == MAP_FAILED || nr_chunks == cap_chunks) {
		free(c);
		if (mem != MAP_FAILED)
			munmap(mem, len);
		return false;
	}
	c->base = mem;
	while (at && chunks[at - 1]->base > c->base)
		at--;
	memmove(&chunks[at + 1], &chunks[at], (nr_chunks - at) * sizeof(*chunks));
	chunks[at] = c;
	nr_chunks++;
	for (unsigned i = NR_BLOCKS; i-- > 0;) {
		c->blocks[i].chunk = c;
		c->blocks[i].base = c->base + i * BLOCK;
		c->blocks[i].next = unused;
		unused = &c->blocks[i];
	}
	stats.nr_chunks = nr_chunks;
	if (nr_chunks > stats.nr_max_chunks)
		stats.nr_max_chunks = nr_chunks;
	stats.bytes_reserved += len;
	stats.bytes_metadata += sizeof(*c);
	return true;
}

/* A block of class shift with a free slot, or NULL when out of memory. */
static struct block *block_get(unsigned shift)
{
	struct block *b = partial[shift - MIN_SHIFT];

	if (b)
		return b;
	if (!unused && !chunk_add())
		return NULL;
	b = unused;
	unused = b->next;
	b->shift = shift;
	list_add(b);
	return b;
}

/* Drop the pages of a block with no live slot and make it unused. */
static void block_release(struct block *b)
{
	list_del(b);
	for (int n = 0; n < portable_copies; n++)
		madvise(b->base + (size_t)n * portable_stride, BLOCK, MADV_DONTNEED);
	b->shift = 0;
	b->bump = 0;
	b->nr_freed = 0;
	b->hint = 0;
	b->next = unused;
	unused = b;
}

/* The chunk whose copy 0 holds p, or NULL. */
static struct chunk *chunk_of(const void *p)
{
	unsigned lo = 0, hi = nr_chunks;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;

		if ((const char *)p < chunks[mid]->base)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (!lo || (const char *)p >= chunks[lo - 1]->base + PORTABLE_UNIT)
		return NULL;
	return chunks[lo - 1];
}

/* Zero size bytes of every copy of p, writing only copies that are not
 * zero already (a copy never written costs no memory). */
static void zero_copies(char *p, size_t size)
{
	for (int n = 0; n < portable_copies; n++, p += portable_stride) {
		size_t i = 0;

		while (i < size && !p[i])
			i++;
		if (i < size)
			memset(p, 0, size);
	}
}

void *memory_backend_alloc(size_t size, size_t align)
{
	unsigned shift = MIN_SHIFT;
	struct block *b;
	bool reused;
	uint32_t i;
	char *p;

	while ((size_t)1 << shift < size || (size_t)1 << shift < align)
		shift++;
	futex_lock(&lock);
	b = block_get(shift);
	if (!b) {
		futex_unlock(&lock);
		errno = ENOMEM;
		return NULL;
	}
	reused = b->nr_freed != 0;
	if (reused) {
		while (!~b->live[b->hint])
			b->hint++;
		i = b->hint * 64 + (uint32_t)__builtin_ctzll(~b->live[b->hint]);
		b->nr_freed--;
	} else {
		i = b->bump++;
	}
	p = b->base + ((size_t)i << shift);
	b->live[i / 64] |= UINT64_C(1) << (i % 64);
	if (++b->nr_live == BLOCK >> shift)
		list_del(b);
	if (++stats.nr_alloc > stats.nr_max_alloc)
		stats.nr_max_alloc = stats.nr_alloc;
	stats.nr_alloc_total++;
	if (!stats.min_alloc_size || size < stats.min_alloc_size)
		stats.min_alloc_size = size;
	if (size > stats.max_alloc_size)
		stats.max_alloc_size = size;
	stats.bytes_used += (size_t)1 << shift;
	futex_unlock(&lock);
	if (reused)
		zero_copies(p, size);
	return p;
}

static _Noreturn void bad_free(void *p, const char *why, const char *start)
{
	futex_unlock(&lock);
	if (start)
		diag_die("pcpu_free", p,
			 "interior pointer, %zu bytes into the object at %p",
			 (size_t)((const char *)p - start), (const void *)start);
	diag_die("pcpu_free", p, "%s", why);
}

void memory_backend_free(void *p)
{
	static const char not_live[] =
	    "not a live per-CPU object (never allocated or already freed)";
	struct chunk *c;
	struct block *b;
	uint32_t i;
	size_t off;

	futex_lock(&lock);
	c = chunk_of(p);
	if (!c)
		bad_free(p, not_live, NULL);
	off = (size_t)((char *)p - c->base);
	b = &c->blocks[off / BLOCK];
	i = b->shift ? (uint32_t)(off % BLOCK >> b->shift) : 0;
	if (!b->shift || !(b->live[i / 64] >> (i % 64) & 1))
		bad_free(p, not_live, NULL);
	if (off % BLOCK % ((size_t)1 << b->shift))
		bad_free(p, NULL, b->base + ((size_t)i << b->shift));
	b->live[i / 64] &= ~(UINT64_C(1) << (i % 64));
	b->nr_freed++;
	if (i / 64 < b->hint)
		b->hint = i / 64;
	stats.nr_alloc--;
	stats.nr_free_total++;
	stats.bytes_used -= (size_t)1 << b->shift;
	if (b->nr_live-- == BLOCK >> b->shift)
		list_add(b);
	if (!b->nr_live && (b->prev || b->next))
		block_release(b);
	futex_unlock(&lock);
}

/* pcpu_nr_cpus(), not portable_copies, which stays 0 until the first
 * chunk: the units are a constant before the first allocation too. */
int memory_backend_units(void)
{
	return pcpu_nr_cpus();
}

void *memory_backend_ptr(void *p, int cpu)
{
	return (char *)p + (size_t)cpu * portable_stride;
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

static void stats_snapshot(struct pcpu_stats *st)
{
	futex_lock(&lock);
	*st = stats;
	futex_unlock(&lock);
	st->nr_cpus = (uint32_t)memory_backend_units();
	st->unit_size = (uint32_t)portable_stride;
}

int memory_backend_stats(struct pcpu_stats *st)
{
	stats_snapshot(st);
	return 0;
}

int memory_backend_stats_print(FILE *f)
{
	struct pcpu_stats now;

	stats_snapshot(&now);
	return memory_stats_print_summary(f, pcpu_runtime(), &now);
}
