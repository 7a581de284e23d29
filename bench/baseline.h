/* SPDX-License-Identifier: MIT */
/*
 * baseline - what a user would write instead of libpcpu, measured beside it:
 * a shared atomic counter, a mutex-protected counter, and a per-thread-cache
 * counter in the style of folly's ThreadCachedInt (each thread accumulates
 * in its own slot and flushes to a shared atomic every TCACHE_FLUSH
 * updates; a full sum walks the registered threads' slots).
 */
#ifndef PCPU_BENCH_BASELINE_H
#define PCPU_BENCH_BASELINE_H

#include <pthread.h>
#include <stdint.h>

#define TCACHE_FLUSH 1000

struct shared_counter {
	_Alignas(64) int64_t count;
	char pad[64 - sizeof(int64_t)];
};

struct mutex_counter {
	_Alignas(64) pthread_mutex_t lock;
	int64_t count;
};

struct tcache_slot {
	_Alignas(64) int64_t cached; /* read by tcache_sum, relaxed */
	unsigned pending;	     /* updates since the last flush */
	struct tcache_slot *next;
};

struct tcache_counter {
	_Alignas(64) int64_t global;
	pthread_mutex_t lock; /* protects slots */
	struct tcache_slot *slots;
};

void mutex_counter_init(struct mutex_counter *c);
void mutex_counter_add(struct mutex_counter *c, int64_t v);
void mutex_counter_destroy(struct mutex_counter *c);

void tcache_init(struct tcache_counter *c);
/* The calling thread's slot, registered once per thread and counter. */
struct tcache_slot *tcache_attach(struct tcache_counter *c);
void tcache_add(struct tcache_counter *c, struct tcache_slot *s, int64_t v);
/* Shared count plus every thread's cached part. */
int64_t tcache_sum(struct tcache_counter *c);
void tcache_destroy(struct tcache_counter *c);

#endif
