/* SPDX-License-Identifier: MIT */
/*
 * Misuse that both libraries must judge the same way (issue 15, items 8, 9
 * and 11), each in a child that must abort with the message:
 *   - destroy or destroy_many given other than exactly what one init or
 *     init_many made, for counters and tree counters;
 *   - percpu_ref_get_many/put_many of more references than a ref counts;
 *   - NULL where an object or a per-CPU pointer is expected.
 */
/* The library's own functions: the inline fast paths read the object
 * before they call, so NULL crashes there (pcpu.h says so). */
#define PCPU_NO_INLINE
#include <limits.h>
#include <pcpu.h>
#include <stdint.h>
#include <stdlib.h>

#include "../utils/tap.h"

#define NOT_MADE "counter was not made by one init*"

static struct percpu_counter counters[3];
static struct percpu_counter_tree trees[3];
static struct percpu_ref ref;

static void counters_make(void)
{
	if (percpu_counter_init_many(counters, 0, 3))
		abort();
}

static void trees_make(void)
{
	if (percpu_counter_tree_init_many(trees, 3, 32))
		abort();
}

static void counter_destroy_member(void *i)
{
	counters_make();
	percpu_counter_destroy(&counters[*(int *)i]);
}

static void counter_destroy_many_fewer(void *arg)
{
	(void)arg;
	counters_make();
	percpu_counter_destroy_many(counters, 2);
}

static void counter_destroy_many_tail(void *arg)
{
	(void)arg;
	counters_make();
	percpu_counter_destroy_many(&counters[1], 2);
}

static void counter_destroy_many_of_singles(void *arg)
{
	(void)arg;
	if (percpu_counter_init(&counters[0], 0) || percpu_counter_init(&counters[1], 0))
		abort();
	percpu_counter_destroy_many(counters, 2);
}

/* A copy of a counter, then both destroyed: the copy first (arg 0) or
 * the original first (arg 1). */
static void counter_destroy_copy(void *original_first)
{
	static struct percpu_counter original;
	struct percpu_counter copy;

	if (percpu_counter_init(&original, 0))
		abort();
	copy = original;
	percpu_counter_destroy(*(int *)original_first ? &original : &copy);
	percpu_counter_destroy(*(int *)original_first ? &copy : &original);
}

static void tree_destroy_member(void *i)
{
	trees_make();
	percpu_counter_tree_destroy(&trees[*(int *)i]);
}

static void tree_destroy_many_fewer(void *arg)
{
	(void)arg;
	trees_make();
	percpu_counter_tree_destroy_many(trees, 2);
}

static void ref_make(void)
{
	if (percpu_ref_init(&ref, NULL, 0))
		abort();
}

static void ref_get_many(void *nr)
{
	ref_make();
	percpu_ref_get_many(&ref, *(unsigned long *)nr);
}

static void ref_put_many(void *nr)
{
	ref_make();
	percpu_ref_put_many(&ref, *(unsigned long *)nr);
}

static void null_counter_add(void *arg)
{
	(void)arg;
	percpu_counter_add(NULL, 1);
}

static void null_counter_sum(void *arg)
{
	(void)arg;
	percpu_counter_sum(NULL);
}

static void null_counter_destroy(void *arg)
{
	(void)arg;
	percpu_counter_destroy(NULL);
}

static void null_tree_add(void *arg)
{
	(void)arg;
	percpu_counter_tree_add(NULL, 1);
}

static void null_tree_select_max(void *arg)
{
	struct percpu_counter_tree *c[2] = {&trees[0], NULL};

	(void)arg;
	if (percpu_counter_tree_init(&trees[0], 32))
		abort();
	percpu_counter_tree_select_max(c, 2, NULL);
}

static void null_ref_get(void *arg)
{
	(void)arg;
	percpu_ref_get(NULL);
}

static void null_ref_put(void *arg)
{
	(void)arg;
	percpu_ref_put(NULL);
}

static void null_ref_kill(void *arg)
{
	(void)arg;
	percpu_ref_kill(NULL);
}

static void null_pcpu_sum(void *arg)
{
	(void)arg;
	pcpu_sum(NULL);
}

static void null_pcpu_ptr(void *arg)
{
	(void)arg;
	pcpu_ptr(NULL, 0);
}

int main(void)
{
	static int first = 0, middle = 1, last = 2;
	static unsigned long huge[] = {ULONG_MAX, 1UL << 63, 1UL << 59};

	tap_start();
	tap_aborts(counter_destroy_member, &first,
		   "libpcpu: percpu_counter_destroy(0x*): " NOT_MADE,
		   "percpu_counter_destroy of the first of an init_many aborts");
	tap_aborts(counter_destroy_member, &middle, NOT_MADE,
		   "percpu_counter_destroy of the middle of an init_many aborts");
	tap_aborts(counter_destroy_member, &last, NOT_MADE,
		   "percpu_counter_destroy of the last of an init_many aborts");
	tap_aborts(counter_destroy_many_fewer, NULL,
		   "libpcpu: percpu_counter_destroy_many(0x*): " NOT_MADE,
		   "percpu_counter_destroy_many of 2 of an init_many of 3 aborts");
	tap_aborts(
	    counter_destroy_many_tail, NULL, NOT_MADE,
	    "percpu_counter_destroy_many of the last 2 of an init_many of 3 aborts");
	tap_aborts(counter_destroy_many_of_singles, NULL, NOT_MADE,
		   "percpu_counter_destroy_many of 2 counters made one by one aborts");
	tap_aborts(counter_destroy_copy, &first,
		   "libpcpu: percpu_counter_destroy(0x*): a copy of a counter",
		   "destroying a copy of a counter aborts");
	tap_aborts(counter_destroy_copy, &middle,
		   "libpcpu: percpu_counter_destroy(0x*): a copy of a counter",
		   "destroying a counter and then a copy of it aborts");
	tap_aborts(tree_destroy_member, &middle,
		   "libpcpu: percpu_counter_tree_destroy(0x*): " NOT_MADE,
		   "percpu_counter_tree_destroy of a member of an init_many aborts");
	tap_aborts(tree_destroy_member, &first, NOT_MADE,
		   "percpu_counter_tree_destroy of the first of an init_many aborts");
	tap_aborts(tree_destroy_many_fewer, NULL,
		   "libpcpu: percpu_counter_tree_destroy_many(0x*): " NOT_MADE,
		   "percpu_counter_tree_destroy_many of 2 of an init_many of 3 aborts");
	for (unsigned i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
		tap_aborts(ref_get_many, &huge[i],
			   "libpcpu: percpu_ref_get_many(0x*): * references: more than a "
			   "ref can count*",
			   "percpu_ref_get_many(r, %#lx) aborts", huge[i]);
		tap_aborts(ref_put_many, &huge[i],
			   "libpcpu: percpu_ref_put_many(0x*): * references: more than a "
			   "ref can count*",
			   "percpu_ref_put_many(r, %#lx) aborts", huge[i]);
	}
	tap_aborts(null_counter_add, NULL,
		   "libpcpu: percpu_counter_*((nil)): not an initialised percpu_counter ",
		   "percpu_counter_add(NULL) aborts with the message");
	tap_aborts(
	    null_counter_sum, NULL,
	    "libpcpu: percpu_counter_sum((nil)): not an initialised percpu_counter ",
	    "percpu_counter_sum(NULL) aborts with the message");
	tap_aborts(
	    null_counter_destroy, NULL,
	    "libpcpu: percpu_counter_destroy((nil)): not an initialised percpu_counter ",
	    "percpu_counter_destroy(NULL) aborts with the message");
	tap_aborts(null_tree_add, NULL,
		   "libpcpu: percpu_counter_tree_add((nil)): not an initialised "
		   "percpu_counter_tree",
		   "percpu_counter_tree_add(NULL) aborts with the message");
	tap_aborts(
	    null_tree_select_max, NULL,
	    "libpcpu: percpu_counter_tree_*((nil)): not an initialised "
	    "percpu_counter_tree",
	    "percpu_counter_tree_select_max with a NULL entry aborts with the message");
	tap_aborts(null_ref_get, NULL,
		   "libpcpu: percpu_ref_get((nil)): not an initialised percpu_ref",
		   "percpu_ref_get(NULL) aborts with the message");
	tap_aborts(null_ref_put, NULL,
		   "libpcpu: percpu_ref_put((nil)): not an initialised percpu_ref",
		   "percpu_ref_put(NULL) aborts with the message");
	tap_aborts(null_ref_kill, NULL,
		   "libpcpu: percpu_ref_kill((nil)): not an initialised percpu_ref",
		   "percpu_ref_kill(NULL) aborts with the message");
	tap_aborts(null_pcpu_sum, NULL, "libpcpu: pcpu_*((nil)): not a per-CPU pointer",
		   "pcpu_sum(NULL) aborts with the message");
	tap_aborts(null_pcpu_ptr, NULL, "libpcpu: pcpu_ptr((nil)): not a per-CPU pointer",
		   "pcpu_ptr(NULL, 0) aborts with the message");
	return tap_done();
}
