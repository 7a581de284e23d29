/* SPDX-License-Identifier: MIT */
#include "baseline.h"

#include <stdlib.h>

void mutex_counter_init(struct mutex_counter *c)
{
	pthread_mutex_init(&c->lock, NULL);
	c->count = 0;
}

void mutex_counter_add(struct mutex_counter *c, int64_t v)
{
	pthread_mutex_lock(&c->lock);
	c->count += v;
	pthread_mutex_unlock(&c->lock);
}

void mutex_counter_destroy(struct mutex_counter *c)
{
	pthread_mutex_destroy(&c->lock);
}

void tcache_init(struct tcache_counter *c)
{
	c->global = 0;
	c->slots = NULL;
	pthread_mutex_init(&c->lock, NULL);
}

struct tcache_slot *tcache_attach(struct tcache_counter *c)
{
	struct tcache_slot *s = aligned_alloc(64, sizeof(*s));

	if (!s)
		abort();
	s->cached = 0;
	s->pending = 0;
	pthread_mutex_lock(&c->lock);
	s->next = c->slots;
	c->slots = s;
	pthread_mutex_unlock(&c->lock);
	return s;
}

void tcache_add(struct tcache_counter *c, struct tcache_slot *s, int64_t v)
{
	/* Only the owner writes its slot: a load and a store, no atomic RMW. */
	int64_t x = __atomic_load_n(&s->cached, __ATOMIC_RELAXED) + v;

	if (++s->pending < TCACHE_FLUSH) {
		__atomic_store_n(&s->cached, x, __ATOMIC_RELAXED);
		return;
	}
	s->pending = 0;
	__atomic_fetch_add(&c->global, x, __ATOMIC_RELAXED);
	__atomic_store_n(&s->cached, 0, __ATOMIC_RELAXED);
}

int64_t tcache_sum(struct tcache_counter *c)
{
	int64_t sum = __atomic_load_n(&c->global, __ATOMIC_RELAXED);

	pthread_mutex_lock(&c->lock);
	for (struct tcache_slot *s = c->slots; s; s = s->next)
		sum += __atomic_load_n(&s->cached, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&c->lock);
	return sum;
}

void tcache_destroy(struct tcache_counter *c)
{
	struct tcache_slot *s = c->slots;

	while (s) {
		struct tcache_slot *next = s->next;

		free(s);
		s = next;
	}
	c->slots = NULL;
	pthread_mutex_destroy(&c->lock);
}
