/* SPDX-License-Identifier: MIT */
/*
 * Per-CPU memory: pcpu_alloc, pcpu_free, pcpu_ptr and the this-CPU
 * operations, including their bad inputs and misuse (interior pointers,
 * double frees, a CPU's copy), zeroed copies also over reused memory, no
 * overlap between objects or between the copies of one object, the
 * allocator's statistics and its chunks, fork (also while another thread
 * allocates), a multi-threaded churn of allocations and this-CPU adds
 * against a shared-atomic model, and a stress in which every copy of every
 * object carries a pattern that is checked before it is freed.  One suite
 * for both libraries (issue 17 merged tests/arena_alloc.c into it).
 */
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pcpu.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../utils/tap.h"

static int nr;

static bool all_bytes(const void *p, size_t len, unsigned char v)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i] != v)
			return false;
	return true;
}

static void test_bad_requests(void)
{
	static const struct {
		size_t size, align;
		const char *what;
	} bad[] = {
	    {0, 0, "size 0"},
	    {0, 64, "size 0, align 64"},
	    {PCPU_ALLOC_MAX + 1, 0, "size PCPU_ALLOC_MAX + 1"},
	    {SIZE_MAX, 0, "size SIZE_MAX"},
	    {8, 3, "align 3"},
	    {8, 12, "align 12"},
	    {8, 24, "align 24"},
	    {8, PCPU_ALIGN_MAX * 2, "align PCPU_ALIGN_MAX * 2"},
	    {8, PCPU_ALIGN_MAX + 8, "align PCPU_ALIGN_MAX + 8"},
	    {8, SIZE_MAX, "align SIZE_MAX"},
	    {8, (size_t)1 << 40, "align 2^40"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		void *p = pcpu_alloc(bad[i].size, bad[i].align);
		int err = errno;

		ok(!p && err == EINVAL, "pcpu_alloc(%s) fails with EINVAL", bad[i].what);
		pcpu_free(p);
	}
	pcpu_free(NULL);
	ok(1, "pcpu_free(NULL) is a no-op");
}

/* Fill every copy, check each keeps its own bytes: copies are disjoint. */
static bool copies_disjoint(void *p, size_t size)
{
	for (int cpu = 0; cpu < nr; cpu++)
		memset(pcpu_ptr(p, cpu), cpu & 0xff, size);
	for (int cpu = 0; cpu < nr; cpu++)
		if (!all_bytes(pcpu_ptr(p, cpu), size, (unsigned char)(cpu & 0xff)))
			return false;
	return true;
}

static void test_sizes_and_alignment(void)
{
	static const size_t sizes[] = {1, 2, 7, 8, 24, 100, 4096, 5000, PCPU_ALLOC_MAX};
	static const size_t aligns[] = {0, 1, 2, 4, 8, 16, 64, PCPU_ALIGN_MAX};

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		for (size_t a = 0; a < sizeof(aligns) / sizeof(aligns[0]); a++) {
			size_t size = sizes[s], align = aligns[a];
			size_t want = align ? align : 8;
			void *p = pcpu_alloc(size, align);
			bool aligned = p, zeroed = p, disjoint;

			if (!ok(p, "pcpu_alloc(%zu, %zu) succeeds", size, align))
				continue;
			for (int cpu = 0; cpu < nr; cpu++) {
				void *copy = pcpu_ptr(p, cpu);

				aligned &= copy && (uintptr_t)copy % want == 0;
				zeroed &= copy && all_bytes(copy, size, 0);
			}
			disjoint = aligned && copies_disjoint(p, size);
			ok(aligned && zeroed && disjoint,
			   "size %zu align %zu: %d copies aligned to %zu, zeroed, "
			   "disjoint",
			   size, align, nr, want);
			pcpu_free(p);
		}
	}
}

/* Dirty objects, free them, allocate again: reused memory comes back zeroed. */
static void test_reuse_zeroed(void)
{
	enum { N = 64 };
	void *p[N];
	bool zeroed = true, got = true;

	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < N; i++) {
			size_t size = 8 + (size_t)(i % 8) * 24;

			p[i] = pcpu_alloc(size, 0);
			got &= p[i] != NULL;
			if (!p[i])
				continue;
			for (int cpu = 0; cpu < nr; cpu++) {
				zeroed &= all_bytes(pcpu_ptr(p[i], cpu), size, 0);
				memset(pcpu_ptr(p[i], cpu), 0xa5, size);
			}
		}
		for (int i = 0; i < N; i++)
			pcpu_free(p[i]);
	}
	ok(got && zeroed, "objects allocated after dirty frees are zeroed in every copy");
}

/* Live objects never share bytes, in any copy. */
static void test_objects_disjoint(void)
{
	enum { N = 200 };
	uint32_t *p[N];
	size_t words[N];
	bool got = true, intact = true;

	for (int i = 0; i < N; i++) {
		words[i] = 1 + (size_t)i % 17;
		p[i] = pcpu_alloc(words[i] * sizeof(uint32_t), (size_t)4 << (i % 4));
		got &= p[i] != NULL;
	}
	if (!ok(got, "%d objects of mixed sizes and alignments", N))
		goto out;
	for (int i = 0; i < N; i++)
		for (int cpu = 0; cpu < nr; cpu++)
			for (size_t w = 0; w < words[i]; w++)
				((uint32_t *)pcpu_ptr(p[i], cpu))[w] =
				    (uint32_t)i << 16 | (uint32_t)cpu;
	for (int i = 0; i < N; i++)
		for (int cpu = 0; cpu < nr; cpu++)
			for (size_t w = 0; w < words[i]; w++)
				intact &= ((uint32_t *)pcpu_ptr(p[i], cpu))[w] ==
					  ((uint32_t)i << 16 | (uint32_t)cpu);
	ok(intact, "no two live objects share a byte in any copy");
out:
	for (int i = 0; i < N; i++)
		pcpu_free(p[i]);
}

static void test_ptr(void)
{
	size_t size = 256;
	char *p = pcpu_alloc(size, 64);
	bool offsets = true;

	if (!ok(p, "pcpu_alloc(256, 64)"))
		return;
	ok(pcpu_ptr(p, -1) == NULL, "pcpu_ptr(p, -1) is NULL");
	ok(pcpu_ptr(p, nr) == NULL, "pcpu_ptr(p, nr_cpus) is NULL");
	ok(pcpu_ptr(p, INT_MAX) == NULL, "pcpu_ptr(p, INT_MAX) is NULL");
	ok(pcpu_ptr(p, INT_MIN) == NULL, "pcpu_ptr(p, INT_MIN) is NULL");
	ok(pcpu_ptr(p, nr - 1) != NULL, "pcpu_ptr(p, nr_cpus - 1) is a copy");
	for (size_t off = 0; off < size; off += 1 + off / 3)
		for (int cpu = 0; cpu < nr; cpu++)
			offsets &=
			    pcpu_ptr(p + off, cpu) == (char *)pcpu_ptr(p, cpu) + off;
	offsets &=
	    pcpu_ptr(p + size - 1, nr - 1) == (char *)pcpu_ptr(p, nr - 1) + size - 1;
	ok(offsets, "pcpu_ptr(p + off, cpu) == pcpu_ptr(p, cpu) + off for every field");

	/* A field written through an interior pointer is that field. */
	for (int cpu = 0; cpu < nr; cpu++)
		*(int64_t *)pcpu_ptr(p + 64, cpu) = cpu + 1;
	int64_t sum = 0;
	for (int cpu = 0; cpu < nr; cpu++)
		sum += ((int64_t *)pcpu_ptr(p, cpu))[8];
	is(sum, (int64_t)nr * (nr + 1) / 2,
	   "writes through an interior pointer land in the field");
	pcpu_free(p);
}

static void test_this_cpu_ops(void)
{
	int64_t *p = pcpu_alloc(3 * sizeof(int64_t), 0);
	bool matched = true;
	int64_t total = 0;

	if (!ok(p, "pcpu_alloc of three int64_t"))
		return;
	is(pcpu_sum(p), 0, "pcpu_sum of a new object is 0");
	pcpu_this_add(p, 5);
	is(pcpu_sum(p), 5, "pcpu_this_add(5) then pcpu_sum == 5");
	pcpu_this_add(p, -12);
	is(pcpu_sum(p), -7, "pcpu_this_add(-12) then pcpu_sum == -7");
	total = -7;

	/* Only this thread touches p, so the copy it updated still holds the
	 * returned value right after the call. */
	for (int i = 1; i <= 1000; i++) {
		int64_t r = pcpu_this_add_return(p, i), v = i;
		bool found = false;

		total += v;
		for (int cpu = 0; cpu < nr && !found; cpu++)
			found = *(int64_t *)pcpu_ptr(p, cpu) == r;
		matched &= found;
	}
	ok(matched, "pcpu_this_add_return returns the updated copy's new value");
	is(pcpu_sum(p), total, "pcpu_sum after 1000 add_returns");

	/* Neighbouring fields are independent per-CPU int64_t. */
	pcpu_this_add(p + 1, 100);
	pcpu_this_add(p + 2, -3);
	is(pcpu_sum(p + 1), 100, "pcpu_sum of the second field");
	is(pcpu_sum(p + 2), -3, "pcpu_sum of the third field");
	is(pcpu_sum(p), total, "the first field is untouched");

	/* Copies written directly count too; the sum wraps modulo 2^64. */
	for (int cpu = 0; cpu < nr; cpu++)
		*(int64_t *)pcpu_ptr(p + 1, cpu) = INT64_MAX;
	is(pcpu_sum(p + 1), (int64_t)((uint64_t)INT64_MAX * (uint64_t)nr),
	   "pcpu_sum of copies set directly wraps modulo 2^64");
	*(int64_t *)pcpu_ptr(p + 2, 0) = INT64_MAX;
	for (int cpu = 1; cpu < nr; cpu++)
		*(int64_t *)pcpu_ptr(p + 2, cpu) = 0;
	pcpu_this_add(p + 2, 1);
	is(pcpu_sum(p + 2), INT64_MIN, "INT64_MAX + 1 wraps to INT64_MIN");
	pcpu_free(p);
}

static void free_it(void *p)
{
	pcpu_free(p);
}

static void free_twice(void *p)
{
	pcpu_free(p);
	pcpu_free(p);
}

static void test_bad_free(void)
{
	char *p = pcpu_alloc(64, 0);
	int64_t on_stack = 0;
	void *heap = malloc(64);

	if (!ok(p && heap, "pcpu_alloc(64) and malloc(64)"))
		return;
	tap_aborts(free_it, p + 8, tap_fmt("libpcpu: pcpu_free(%p): ", (void *)(p + 8)),
		   "pcpu_free of an interior pointer aborts with a message");
	tap_aborts(free_it, p + 63, tap_fmt("libpcpu: pcpu_free(%p): ", (void *)(p + 63)),
		   "pcpu_free of the last byte aborts with a message");
	tap_aborts(free_it, &on_stack,
		   tap_fmt("libpcpu: pcpu_free(%p): ", (void *)&on_stack),
		   "pcpu_free of a stack address aborts with a message");
	tap_aborts(free_it, heap, tap_fmt("libpcpu: pcpu_free(%p): ", heap),
		   "pcpu_free of a malloc block aborts with a message");
	tap_aborts(free_twice, p, tap_fmt("libpcpu: pcpu_free(%p): ", (void *)p),
		   "double pcpu_free aborts with a message");
	if (nr > 1)
		tap_aborts(free_it, pcpu_ptr(p, 1),
			   tap_fmt("libpcpu: pcpu_free(%p): ", pcpu_ptr(p, 1)),
			   "pcpu_free of CPU 1's copy aborts with a message");
	pcpu_free(p);
	tap_aborts(free_it, p, tap_fmt("libpcpu: pcpu_free(%p): ", (void *)p),
		   "pcpu_free of a freed object aborts with a message");
	free(heap);
}

/* In a child, since it exhausts the address space it is given. */
static void exhaust(void *arg)
{
	struct rlimit rl = {256ul << 20, 256ul << 20};
	double end = tap_now() + 5;
	(void)arg;

	if (setrlimit(RLIMIT_AS, &rl))
		_exit(3);
	while (tap_now() < end) {
		errno = 0;
		if (!pcpu_alloc(PCPU_ALLOC_MAX, 0))
			_exit(errno == ENOMEM ? 0 : 1);
	}
	_exit(2); /* the allocator never ran out */
}

static void test_enomem(void)
{
	pid_t pid;
	int status = 0;

	if (tap_emulated()) {
		tap_skip("qemu-user does not apply RLIMIT_AS",
			 "pcpu_alloc runs out with ENOMEM");
		return;
	}
	pid = fork();
	if (pid == 0)
		exhaust(NULL);
	waitpid(pid, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 2 && strcmp(tap_variant(), "api"))
		tap_skip("the runtime's reservation outlasted the limit",
			 "pcpu_alloc runs out with ENOMEM");
	else
		ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		   "pcpu_alloc under a 256 MiB address-space limit runs out with ENOMEM "
		   "(status %#x)",
		   status);
}

/* Threads add to one shared object and churn private ones. */
struct churn {
	int64_t *shared;
	int64_t model; /* what this thread added to shared */
	uint64_t seed;
	double end;
	bool ok;
};

static void *churn_thread(void *arg)
{
	struct churn *t = arg;

	t->ok = true;
	while (tap_now() < t->end) {
		size_t size = 16 + (tap_rand(&t->seed) % 64) * 8;
		int64_t *mine = pcpu_alloc(size, 0);

		if (!mine) {
			t->ok = false;
			break;
		}
		for (int i = 0; i < 100; i++) {
			int64_t v = (int64_t)(tap_rand(&t->seed) % 2001) - 1000;

			if (i & 1)
				pcpu_this_add(t->shared, v);
			else
				pcpu_this_add_return(t->shared, v);
			t->model += v;
			pcpu_this_add(mine, v);
			pcpu_this_add(mine + size / 8 - 1, 1);
		}
		t->ok &= pcpu_sum(mine + size / 8 - 1) == 100;
		for (int cpu = 0; cpu < nr; cpu++)
			t->ok &=
			    all_bytes((int64_t *)pcpu_ptr(mine, cpu) + 1, size - 16, 0);
		pcpu_free(mine);
	}
	return NULL;
}

static void test_threads(void)
{
	enum { THREADS = 8 };
	struct churn t[THREADS];
	pthread_t tid[THREADS];
	int64_t *shared = pcpu_alloc(sizeof(int64_t), 0);
	int64_t model = 0;
	bool all = true;
	double secs = tap_seconds(0.3);

	if (!ok(shared, "pcpu_alloc of the shared int64_t"))
		return;
	for (int i = 0; i < THREADS; i++) {
		t[i] = (struct churn){.shared = shared,
				      .seed = (uint64_t)i * 7919 + 1,
				      .end = tap_now() + secs};
		pthread_create(&tid[i], NULL, churn_thread, &t[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(tid[i], NULL);
		model += t[i].model;
		all &= t[i].ok;
	}
	ok(all, "%d threads: private objects zeroed, their adds all counted", THREADS);
	is(pcpu_sum(shared), model, "%d threads' this-CPU adds on one object: none lost",
	   THREADS);
	pcpu_free(shared);
}

/* Adds interrupted by signal handlers that add to the same object. */
static int64_t *sig_target;
static int64_t sig_handled;

static void sig_add(int sig)
{
	(void)sig;
	pcpu_this_add(sig_target, 1000000);
	__atomic_fetch_add(&sig_handled, 1, __ATOMIC_RELAXED);
}

struct sig_worker {
	pthread_t tid;
	int64_t loops;
	int stop;
};

static void *sig_thread(void *arg)
{
	struct sig_worker *w = arg;

	while (!__atomic_load_n(&w->stop, __ATOMIC_RELAXED)) {
		pcpu_this_add(sig_target, 1);
		w->loops++;
	}
	return NULL;
}

static void test_signals(void)
{
	enum { THREADS = 8 };
	struct sig_worker w[THREADS];
	struct sigaction sa = {.sa_handler = sig_add}, old;
	int64_t sent = 0, loops = 0;
	double end = tap_now() + tap_seconds(0.3);

	sig_target = pcpu_alloc(sizeof(int64_t), 0);
	if (!ok(sig_target, "pcpu_alloc of the signal target"))
		return;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, &old);
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct sig_worker){0};
		pthread_create(&w[i].tid, NULL, sig_thread, &w[i]);
	}
	for (int round = 0; tap_now() < end || round < 200; round++) {
		for (int i = 0; i < THREADS; i++)
			if (!pthread_kill(w[i].tid, SIGUSR1))
				sent++;
		usleep(100);
	}
	for (int i = 0; i < THREADS; i++)
		__atomic_store_n(&w[i].stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < THREADS; i++) {
		pthread_join(w[i].tid, NULL);
		loops += w[i].loops;
	}
	sigaction(SIGUSR1, &old, NULL);
	int64_t handled = __atomic_load_n(&sig_handled, __ATOMIC_RELAXED);

	tap_diag("%lld signals sent, %lld handled, %lld loop adds", (long long)sent,
		 (long long)handled, (long long)loops);
	ok(handled >= 1, "signal handlers ran");
	is(pcpu_sum(sig_target), loops + 1000000 * handled,
	   "%d threads adding while signal handlers add to the same copy: none lost",
	   THREADS);
	pcpu_free(sig_target);
}

/* As an application sees the allocator (issue 17 merged tests/arena_alloc.c
 * here): patterns in every copy, statistics, misuse, fork. */
static bool copies_are(void *p, size_t size, int byte)
{
	for (int cpu = 0; cpu < nr; cpu++) {
		const unsigned char *c = pcpu_ptr(p, cpu);

		for (size_t i = 0; i < size; i++)
			if (c[i] != byte)
				return false;
	}
	return true;
}

static void fill(void *p, size_t size, int byte)
{
	for (int cpu = 0; cpu < nr; cpu++)
		memset(pcpu_ptr(p, cpu), byte, size);
}

static void test_bad_input(void)
{
	void *p;

	errno = 0;
	ok(!pcpu_alloc(0, 0) && errno == EINVAL, "size 0: EINVAL");
	errno = 0;
	ok(!pcpu_alloc(PCPU_ALLOC_MAX + 1, 0) && errno == EINVAL,
	   "size above the maximum: EINVAL");
	errno = 0;
	ok(!pcpu_alloc(8, 24) && errno == EINVAL, "alignment not a power of two: EINVAL");
	errno = 0;
	ok(!pcpu_alloc(8, 2 * PCPU_ALIGN_MAX) && errno == EINVAL,
	   "alignment too large: EINVAL");
	p = pcpu_alloc(PCPU_ALLOC_MAX, PCPU_ALIGN_MAX);
	ok(p && (uintptr_t)p % PCPU_ALIGN_MAX == 0,
	   "largest object at largest alignment");
	ok(p && copies_are(p, PCPU_ALLOC_MAX, 0), "its copies are zero");
	pcpu_free(p);
	pcpu_free(NULL);
	ok(1, "pcpu_free(NULL) is a no-op");
	p = pcpu_alloc(8, 0);
	ok(p && (uintptr_t)p % 8 == 0, "alignment 0 means 8");
	ok(!pcpu_ptr(p, -1) && !pcpu_ptr(p, nr), "pcpu_ptr outside [0, nr_cpus) is NULL");
	pcpu_free(p);
}

static void test_pointers(void)
{
	size_t size = 200;
	char *p = pcpu_alloc(size, 16);
	bool interior = true, apart = true;

	for (int cpu = 0; cpu < nr; cpu++) {
		char *c = pcpu_ptr(p, cpu);

		for (size_t off = 0; off < size; off += 13)
			interior &= (char *)pcpu_ptr(p + off, cpu) == c + off;
		interior &= (uintptr_t)c % 16 == 0;
		for (int other = 0; other < cpu; other++) {
			char *o = pcpu_ptr(p, other);
			size_t d = (size_t)(c > o ? c - o : o - c);

			/* Copies never share a cache line. */
			apart &= d >= size && d >= 64;
		}
	}
	ok(interior,
	   "pcpu_ptr(p + off, cpu) == pcpu_ptr(p, cpu) + off, every copy aligned");
	ok(apart, "copies of one object are disjoint and on different cache lines");
	pcpu_free(p);
}

#define NR_OBJ 3000

/* Fill many objects of random sizes and alignments, each with its own
 * byte; any overlap shows as a wrong byte.  Then free and reallocate the
 * same shapes: the new copies must be zero although the old were not. */
static void test_overlap_and_zero(void)
{
	static void *obj[NR_OBJ];
	static size_t size[NR_OBJ], align[NR_OBJ];
	uint64_t rng = 42;
	bool got = true, intact = true, zero = true, aligned = true;

	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < NR_OBJ; i++) {
			if (!round) {
				size[i] =
				    1 + tap_rand(&rng) % (tap_rand(&rng) % 8 ? 64 : 3000);
				align[i] = (size_t)1 << (tap_rand(&rng) % 8);
			}
			obj[i] = pcpu_alloc(size[i], align[i]);
			got &= obj[i] != NULL;
			if (!obj[i])
				continue;
			aligned &= (uintptr_t)obj[i] % align[i] == 0;
			zero &= copies_are(obj[i], size[i], 0);
			fill(obj[i], size[i], 1 + i % 251);
		}
		for (int i = 0; i < NR_OBJ; i++)
			intact &= !obj[i] || copies_are(obj[i], size[i], 1 + i % 251);
		for (int i = 0; i < NR_OBJ; i++)
			pcpu_free(obj[i]);
	}
	ok(got, "%d objects of random sizes and alignments, twice", NR_OBJ);
	ok(aligned, "every object at its alignment");
	ok(zero, "every copy zeroed at allocation, also over reused memory");
	ok(intact, "no object overlaps another (patterns intact)");
}

/* Chunks that empty go back, all but one. */
static void test_reclaim(void)
{
	struct pcpu_stats st;
	size_t size = 1024, n = 4 * (256 << 10) / 1024;
	void **big = calloc(n, sizeof(*big));
	bool got = big != NULL;

	for (size_t i = 0; got && i < n; i++)
		got = (big[i] = pcpu_alloc(size, 0)) != NULL;
	pcpu_stats(&st, sizeof(st));
	ok(got && st.nr_chunks >= 3, "%zu objects of %zu bytes take %" PRIu64 " chunks",
	   n, size, st.nr_chunks);
	for (size_t i = 0; big && i < n; i++)
		pcpu_free(big[i]);
	free(big);
	pcpu_stats(&st, sizeof(st));
	is(st.nr_chunks, 1, "freed, they go back to jemalloc but one");
	ok(st.nr_max_chunks >= 3 &&
	       st.bytes_reserved == st.nr_chunks * (uint64_t)st.unit_size * nr,
	   "peak and reservation follow");
}

/* Whether objs[i..i+n) are n consecutive 4-byte objects. */
static bool consecutive(void **objs, size_t i, size_t n)
{
	for (size_t k = 1; k < n; k++)
		if ((char *)objs[i + k] != (char *)objs[i] + 4 * k)
			return false;
	return true;
}

/* Free n consecutive objects of the last fill whose first is at an address
 * that is off modulo 32, at or after index from; the index, or 0. */
static size_t free_hole(void **objs, size_t nr_objs, size_t from, size_t n, uintptr_t off)
{
	for (size_t i = from; i + n <= nr_objs; i++) {
		if ((uintptr_t)objs[i] % 32 != off || !consecutive(objs, i, n))
			continue;
		for (size_t k = 0; k < n; k++)
			pcpu_free(objs[i + k]);
		return i;
	}
	return 0;
}

/*
 * Issue 15: with every chunk full of 4-byte objects but for an 11-granule
 * hole that cannot take 32 bytes at 32 (the longest free run) and an
 * 8-granule hole that can, pcpu_alloc(32, 32) takes the second hole
 * rather than a new chunk.  In a child, so the fill leaves nothing behind.
 */
static void test_aligned_hole(void)
{
	pid_t pid = fork();
	int status = -1;

	if (!pid) {
		size_t cap = 1 << 20, nr_objs = 0, eleven, eight;
		void **objs = malloc(cap * sizeof(*objs)), *p;
		struct pcpu_stats st;
		uint64_t chunks;

		do {
			for (int k = 0; k < 256 && objs && nr_objs < cap; k++)
				if (!(objs[nr_objs++] = pcpu_alloc(4, 4)))
					_exit(2);
			pcpu_stats(&st, sizeof(st));
		} while (objs && nr_objs < cap && st.bytes_free);
		if (!objs || st.bytes_free)
			_exit(3);
		eleven = free_hole(objs, nr_objs, nr_objs / 2, 11, 4);
		eight = free_hole(objs, nr_objs, eleven + 64, 8, 0);
		if (!eleven || !eight)
			_exit(4);
		pcpu_stats(&st, sizeof(st));
		chunks = st.nr_chunks;
		p = pcpu_alloc(32, 32);
		pcpu_stats(&st, sizeof(st));
		_exit(p != objs[eight] ? 5 : st.nr_chunks != chunks ? 6 : 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		status = -1;
	ok(status == 0,
	   "full chunks with an 11-granule misaligned hole and an 8-granule aligned one: "
	   "pcpu_alloc(32, 32) takes the aligned hole, no new chunk (child status %#x)",
	   status);
}

static void test_stats(void)
{
	struct pcpu_stats a, b;
	void *p;
	FILE *f = tmpfile();
	char line[512];
	bool chunk_line = false;

	is(pcpu_stats(NULL, sizeof(a)), -EINVAL, "pcpu_stats(NULL): -EINVAL");
	pcpu_stats(&a, sizeof(a));
	p = pcpu_alloc(100, 0);
	pcpu_stats(&b, sizeof(b));
	is(b.nr_alloc, a.nr_alloc + 1, "nr_alloc counts a live object");
	is(b.nr_alloc_total, a.nr_alloc_total + 1, "nr_alloc_total counts allocations");
	ok(b.max_alloc_size >= 100 && b.min_alloc_size && b.min_alloc_size <= 100,
	   "min/max request sizes bracket it");
	ok(b.bytes_used >= a.bytes_used + 100, "bytes_used grows by at least its size");
	is(b.nr_cpus, nr, "nr_cpus");
	pcpu_free(p);
	pcpu_stats(&b, sizeof(b));
	is(b.nr_alloc, a.nr_alloc, "nr_alloc back after free");
	is(b.nr_free_total, a.nr_free_total + 1, "nr_free_total counts frees");
	is(b.bytes_used, a.bytes_used, "bytes_used back after free");
	if (strcmp(tap_variant(), "api")) {
		p = pcpu_alloc(16, 0);
		pcpu_stats(&b, sizeof(b));
		ok(b.nr_chunks >= 1 && b.unit_size &&
		       b.bytes_reserved >= b.nr_chunks * (uint64_t)b.unit_size * nr,
		   "chunks reserve nr_cpus units each");
		ok(b.bytes_free && b.largest_free && b.largest_free <= b.bytes_free &&
		       b.nr_fragments >= 1,
		   "free bytes, largest run and fragments of the chunks");
		ok(b.bytes_metadata &&
		       b.bytes_metadata < b.bytes_reserved / 16 / nr * 1.1 + 4096,
		   "metadata within 10%% of the bitmaps' cost");
		ok(f && pcpu_stats_print(f) == 0, "pcpu_stats_print");
		rewind(f);
		while (f && fgets(line, sizeof(line), f))
			chunk_line |=
			    strstr(line, "chunk 0 at") && strstr(line, "median");
		ok(chunk_line, "it describes each chunk");
		pcpu_free(p);
		test_reclaim();
		test_aligned_hole();
	}
	if (f)
		fclose(f);
	is(pcpu_stats_print(NULL), -EINVAL, "pcpu_stats_print(NULL): -EINVAL");
}

static void *bad_p;

static void free_bad(void *arg)
{
	(void)arg;
	pcpu_free(bad_p);
}

static void double_free(void *arg)
{
	void *p = pcpu_alloc(8, 0);

	(void)arg;
	pcpu_free(p);
	pcpu_free(p);
}

/* Small objects (the runtime's slabs): every misuse still named. */
static void test_small_misuse(void)
{
	char *a = pcpu_alloc(12, 4), *b = pcpu_alloc(12, 4), *c = pcpu_alloc(12, 4);

	bad_p = a + 4;
	tap_aborts(free_bad, NULL, "interior pointer",
		   "12-byte object: interior granule aborts");
	bad_p = a + 1;
	tap_aborts(free_bad, NULL, "interior pointer",
		   "12-byte object: interior byte aborts");
	pcpu_free(b);
	bad_p = b;
	tap_aborts(free_bad, NULL, "not a live", "12-byte object freed twice aborts");
	bad_p = b + 4;
	tap_aborts(free_bad, NULL, "not a live", "inside a freed 12-byte object aborts");
	pcpu_free(a);
	pcpu_free(c);
}

static void test_misuse(void)
{
	char *p = pcpu_alloc(64, 0);
	int local;

	bad_p = p + 8;
	tap_aborts(free_bad, NULL, "pcpu_free(", "freeing an interior pointer aborts");
	bad_p = &local;
	tap_aborts(free_bad, NULL, "not a live",
		   "freeing a pointer never allocated aborts");
	tap_aborts(double_free, NULL, "not a live", "a double free aborts");
	if (nr > 1) {
		bad_p = pcpu_ptr(p, 1);
		tap_aborts(free_bad, NULL, "pcpu_free(", "freeing a CPU's copy aborts");
	}
	pcpu_free(p);
	test_small_misuse();
}

static void test_fork(void)
{
	int64_t *p = pcpu_alloc(8, 0);
	int status = -1;
	pid_t pid;

	*(int64_t *)pcpu_ptr(p, 0) = 7;
	pid = fork();
	if (pid == 0) {
		bool good = *(int64_t *)pcpu_ptr(p, 0) == 7;

		for (int i = 0; i < 1000 && good; i++) {
			int64_t *q = pcpu_alloc(8 + i % 64, 0);

			good = q && copies_are(q, 8, 0);
			pcpu_free(q);
		}
		pcpu_free(p);
		_exit(good ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "a child allocates, frees and keeps the parent's objects");
	pcpu_free(p);
}

/* A thread that sits in pcpu_alloc while another forks must not leave the
 * child with a held lock. */
static int churn_stop;

static void *churn(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&churn_stop, __ATOMIC_RELAXED))
		pcpu_free(pcpu_alloc(32, 0));
	return NULL;
}

static void test_fork_busy(void)
{
	pthread_t t;
	bool good = true;

	__atomic_store_n(&churn_stop, 0, __ATOMIC_RELAXED);
	pthread_create(&t, NULL, churn, NULL);
	for (int i = 0; i < 50 && good; i++) {
		int status = -1;
		pid_t pid = fork();

		if (pid == 0) {
			void *q;

			alarm(10); /* a lock held across fork hangs: fail instead */
			q = pcpu_alloc(16, 0);

			pcpu_free(q);
			_exit(q ? 0 : 1);
		}
		waitpid(pid, &status, 0);
		good = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}
	__atomic_store_n(&churn_stop, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	ok(good, "children forked while another thread allocates can allocate");
}

#define NR_THREADS 4
#define LIVE	   512

struct worker {
	int id;
	double until;
	unsigned long ops;
	bool good;
};

static void *stress(void *arg)
{
	struct worker *w = arg;
	void *obj[LIVE] = {0};
	size_t size[LIVE];
	unsigned char tag[LIVE];
	uint64_t rng = 1234 + (uint64_t)w->id;

	w->good = true;
	while (tap_now() < w->until && w->good) {
		for (int k = 0; k < 64; k++) {
			int i = (int)(tap_rand(&rng) % LIVE);

			if (obj[i]) {
				w->good &= copies_are(obj[i], size[i], tag[i]);
				pcpu_free(obj[i]);
				obj[i] = NULL;
				continue;
			}
			size[i] = 1 + tap_rand(&rng) % (tap_rand(&rng) % 16 ? 48 : 2048);
			obj[i] = pcpu_alloc(size[i], (size_t)1 << (tap_rand(&rng) % 7));
			if (!obj[i]) {
				w->good = false;
				break;
			}
			w->good &= copies_are(obj[i], size[i], 0);
			tag[i] = (unsigned char)(1 + (w->id * 61 + i) % 255);
			fill(obj[i], size[i], tag[i]);
			w->ops++;
		}
	}
	for (int i = 0; i < LIVE; i++) {
		if (obj[i]) {
			w->good &= copies_are(obj[i], size[i], tag[i]);
			pcpu_free(obj[i]);
		}
	}
	return NULL;
}

static void test_stress(void)
{
	struct worker w[NR_THREADS];
	pthread_t t[NR_THREADS];
	struct pcpu_stats before, after;
	double until = tap_now() + tap_seconds(0.5);
	unsigned long ops = 0;
	bool good = true;

	pcpu_stats(&before, sizeof(before));
	for (int i = 0; i < NR_THREADS; i++) {
		w[i] = (struct worker){.id = i, .until = until};
		pthread_create(&t[i], NULL, stress, &w[i]);
	}
	for (int i = 0; i < NR_THREADS; i++) {
		pthread_join(t[i], NULL);
		good &= w[i].good;
		ops += w[i].ops;
	}
	pcpu_stats(&after, sizeof(after));
	ok(good,
	   "%d threads, %lu allocations: every copy zeroed, then its pattern intact "
	   "until "
	   "freed",
	   NR_THREADS, ops);
	is(after.nr_alloc, before.nr_alloc, "no object leaked or lost");
}

static void test_malloc_untouched(void)
{
	Dl_info info = {0};
	bool found = dladdr((void *)malloc, &info) && info.dli_fname;

	if (tap_heap_sanitized())
		ok(found && !strstr(info.dli_fname, "libpcpu"),
		   "the process's malloc is the sanitizer's, not libpcpu's (%s)",
		   found ? info.dli_fname : "?");
	else
		ok(found && strstr(info.dli_fname, "libc.so"),
		   "the process's malloc is still libc's (%s)",
		   found ? info.dli_fname : "?");
}

int main(void)
{
	tap_start();
	nr = pcpu_nr_cpus();
	test_bad_requests();
	test_sizes_and_alignment();
	test_reuse_zeroed();
	test_objects_disjoint();
	test_ptr();
	test_this_cpu_ops();
	test_bad_free();
	test_enomem();
	test_threads();
	test_signals();
	test_bad_input();
	test_pointers();
	test_overlap_and_zero();
	test_stats();
	test_misuse();
	test_fork();
	test_fork_busy();
	test_stress();
	test_malloc_untouched();
	return tap_done();
}
