/* SPDX-License-Identifier: MIT */
/*
 * counter - percpu_counter's backend in libpcpu.so: the engine's batch
 * counter (runtime/counter/counter.h), whose struct is the storage of the
 * public one.  The runtime sets itself up on the first init.
 */
#include <pcpu.h>

#include "abi.h"
#include "counter/counter.h"
#include "counter_backend.h"
#include "counter_rules.h"
#include "runtime.h"

ABI_FIELD_AT(struct counter, deltas, struct percpu_counter, __pcpu);
ABI_FIELD_AT(struct counter, count, struct percpu_counter, __count);
ABI_FIELD_AT(struct counter, batch, struct percpu_counter, __batch);
ABI_FIELD_AT(struct counter, front_magic, struct percpu_counter, __magic);
ABI_FIELD_AT(struct counter, front_group, struct percpu_counter, __group);
ABI_FIELD_AT(struct counter, far, struct percpu_counter, __far);
ABI_FIELD_AT(struct counter, gate, struct percpu_counter, __gate);
ABI_FIELD_AT(struct counter, front_self, struct percpu_counter, __private);
_Static_assert(sizeof(struct counter) == sizeof(struct percpu_counter),
	       "struct counter must be laid out as struct percpu_counter");

static struct counter *engine(struct percpu_counter *c)
{
	return (struct counter *)c;
}

int counter_backend_init(struct percpu_counter *c, int64_t value, unsigned n)
{
	int err = runtime_try_init();

	return err ? err : counter_init_many(engine(c), value, n, COUNTER_FIRST_BATCH);
}

void counter_backend_destroy(struct percpu_counter *c, unsigned n)
{
	counter_destroy_many(engine(c), n);
}

void counter_backend_add(struct percpu_counter *c, int64_t amount, int32_t batch)
{
	counter_add_batch(engine(c), amount, batch);
}

int64_t counter_backend_sum(struct percpu_counter *c)
{
	return counter_sum(engine(c));
}

void counter_backend_set(struct percpu_counter *c, int64_t value)
{
	counter_set(engine(c), value);
}

bool counter_backend_limited_add(struct percpu_counter *c, int64_t limit, int64_t amount)
{
	return counter_limited_add(engine(c), limit, amount);
}

int64_t counter_backend_read_slack(struct percpu_counter *c)
{
	return counter_read_slack(engine(c));
}
