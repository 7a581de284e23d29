/* SPDX-License-Identifier: MIT */
/* The header in strict ISO C11 (-std=c11 -pedantic-errors), run against
 * both libraries. */
#include <errno.h>
#include <pcpu.h>

#include "../utils/tap.h"

int main(void)
{
	struct percpu_counter c;
	struct percpu_ref ref;
	int64_t *p;

	tap_start();
	p = pcpu_alloc(sizeof(*p), _Alignof(int64_t));
	ok(p != NULL, "pcpu_alloc with _Alignof");
	pcpu_this_add(p, 2);
	is(pcpu_this_add_return(p, 3) >= 3, 1, "pcpu_this_add_return");
	is(pcpu_sum(p), 5, "pcpu_sum");
	pcpu_free(p);
	is(percpu_counter_init(&c, 1), 0, "percpu_counter_init");
	percpu_counter_inc(&c);
	is(percpu_counter_sum(&c), 2, "percpu_counter_sum");
	percpu_counter_destroy(&c);
	is(percpu_ref_init(&ref, NULL, ~0u), -EINVAL, "percpu_ref_init with bad flags");
	return tap_done();
}
