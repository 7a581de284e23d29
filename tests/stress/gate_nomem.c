/* SPDX-License-Identifier: MIT */
/*
 * Out of address space, threads that make their first gated add (a
 * percpu_ref get or put in atomic mode or in local mode without rseq)
 * must still get a gate reader: the add has no error path (issue 15,
 * item 6).  The threads exist and the ref is made before the address
 * space is capped at what the process uses; then they take and drop
 * references while main switches the ref back and forth, which waits for
 * their readers, and finally kills it.
 */
#include <pcpu.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

#include "../utils/tap.h"

#define NR_THREADS 4

static struct percpu_ref ref;
static pthread_barrier_t capped;
static int stop, released;

static void on_release(struct percpu_ref *r)
{
	(void)r;
	__atomic_fetch_add(&released, 1, __ATOMIC_SEQ_CST);
}

static void *worker(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&capped);
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		percpu_ref_get(&ref);
		percpu_ref_put(&ref);
	}
	return NULL;
}

/* The address space the process uses now, in bytes; 0 if unknown. */
static rlim_t address_space(void)
{
	unsigned long pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%lu", &pages) != 1)
			pages = 0;
		fclose(f);
	}
	return (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE);
}

int main(void)
{
	pthread_t t[NR_THREADS];
	struct rlimit old, cap;
	rlim_t used;
	double end;
	int switches = 0;

	tap_start();
	if (tap_emulated() || tap_heap_sanitized()) {
		tap_skip(tap_emulated()
			     ? "the emulator maps memory for the threads it runs"
			     : "the sanitizer maps memory for the threads it runs",
			 "gated adds out of address space");
		return tap_done();
	}
	ok(!percpu_ref_init(&ref, on_release, 0), "init");
	pthread_barrier_init(&capped, NULL, NR_THREADS + 1);
	for (int i = 0; i < NR_THREADS; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	used = address_space();
	getrlimit(RLIMIT_AS, &old);
	cap = old;
	cap.rlim_cur = used;
	ok(used && !setrlimit(RLIMIT_AS, &cap), "address space capped at %lu KiB",
	   (unsigned long)(used >> 10));
	pthread_barrier_wait(&capped);
	end = tap_now() + tap_seconds(0.3);
	do {
		percpu_ref_switch_to_atomic_sync(&ref);
		percpu_ref_switch_to_percpu(&ref);
		switches++;
	} while (tap_now() < end);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < NR_THREADS; i++)
		pthread_join(t[i], NULL);
	percpu_ref_kill(&ref);
	setrlimit(RLIMIT_AS, &old);
	is(__atomic_load_n(&released, __ATOMIC_SEQ_CST), 1,
	   "%d threads' gets and puts through %d switches, then kill: released once",
	   NR_THREADS, switches);
	percpu_ref_exit(&ref);
	return tap_done();
}
