/* SPDX-License-Identifier: MIT */
/*
 * The inline fast paths of pcpu.h, in every variant:
 *   - the data the program's inline code reads is the serving library's
 *     (under LD_PRELOAD, the runtime's, not libpcpu-api's): the mode it
 *     publishes matches pcpu_runtime(), and once a thread is set up, its
 *     hot operations make no call at all where the mode has an inline
 *     path (inline_calls.c counts every call of the exported functions);
 *   - the portable library publishes atomic mode where glibc has rseq
 *     areas (inline this-CPU adds on the CPU's copy); its counters and
 *     refs, one shared word each, are served by calls;
 *   - a shared library linked with the program and a plugin loaded with
 *     dlopen() take the same inline paths on the same copies, with the
 *     general-dynamic TLS model;
 *   - zeroed and destroyed objects still abort with the message.
 */
#include <dlfcn.h>
#include <pcpu.h>
#include <stdlib.h>
#include <string.h>

#include "inline_calls.h"
#include "inline_lib.h"
#include "../utils/tap.h"

#define N 10000

static const char *const modes[] = {"call", "rseq", "atomic", "local"};

/* Whether the runtime serves the program (not the portable library). */
static bool runtime(void)
{
	return strcmp(tap_variant(), "api") != 0;
}

/* Whether the mode in force has an inline path for a ref's get and put
 * (the portable library's refs are one shared word: calls). */
static bool ref_inline(void)
{
	const struct pcpu_abi_process *d = &pcpu_abi_process;

	if (!runtime())
		return false;
	if (d->mode == PCPU_ABI_RSEQ)
		return true;
	if (d->mode == PCPU_ABI_ATOMIC)
		return d->rseq_index != 0;
	/* An owned slot: a sequence, or a gate reader section. */
	return d->mode == PCPU_ABI_LOCAL;
}

/* Whether a limited add far from its limit is inline: one restartable
 * sequence (x86-64: the rseq mode, or the local mode's owned slot with
 * rseq areas), or a gate reader section (the local mode's owned slot
 * without them, the atomic mode on glibc's areas). */
static bool limited_inline(void)
{
	const struct pcpu_abi_process *d = &pcpu_abi_process;

	return runtime() && ((PCPU_ARCH_RSEQ && d->mode == PCPU_ABI_RSEQ) ||
			     d->mode == PCPU_ABI_LOCAL ||
			     (d->mode == PCPU_ABI_ATOMIC && d->rseq_index));
}

/* Whether it has one for the this-CPU adds of per-CPU memory. */
static bool add_inline(void)
{
	const struct pcpu_abi_process *d = &pcpu_abi_process;

	return d->mode == PCPU_ABI_RSEQ || d->mode == PCPU_ABI_LOCAL ||
	       (d->mode == PCPU_ABI_ATOMIC && d->rseq_index);
}

static void published(void)
{
	const struct pcpu_abi_process *d = &pcpu_abi_process;
	const char *want = tap_variant();

	is(d->version, PCPU_ABI_VERSION, "the descriptor is version %d",
	   PCPU_ABI_VERSION);
	/* The portable library publishes atomic mode (on glibc's areas). */
	ok(d->mode < 4 && !strcmp(modes[d->mode], runtime() ? want : "atomic"),
	   "the program's inline code sees mode %s (got %s)", runtime() ? want : "atomic",
	   d->mode < 4 ? modes[d->mode] : "?");
	if (d->mode != PCPU_ABI_CALL) {
		is(d->nr_units, pcpu_nr_cpus(), "and the runtime's unit count");
		is(d->batch, percpu_counter_batch(), "and its default batch");
	}
}

/* N of each hot operation on fresh objects; the calls they made. */
static void hot_calls(void)
{
	/* Counter and tree adds are per-CPU in the runtime only. */
	bool counters_inline = add_inline() && runtime();
	int64_t *p = pcpu_alloc(sizeof(*p), 0);
	struct percpu_counter c;
	struct percpu_counter_tree t;
	struct percpu_ref r;
	unsigned long before, this_cpu, adds, reads, refs, limits;
	bool limited = true;
	bool mine = true;

	if (!p || percpu_counter_init(&c, 0) || percpu_counter_tree_init(&t, 32) ||
	    percpu_ref_init(&r, NULL, 0))
		tap_bail("cannot set up the objects");
	/* The thread's first update may set it up (a local-mode slot), and
	 * a counter's first plain add records the default batch. */
	pcpu_this_add(p, 1);
	percpu_counter_inc(&c);
	percpu_ref_get(&r);
	percpu_ref_put(&r);

	before = inline_calls;
	for (int i = 0; i < N; i++) {
		pcpu_this_add(p, 1);
		mine &= pcpu_this_ptr(p) != NULL;
	}
	this_cpu = inline_calls - before;
	before = inline_calls;
	for (int i = 0; i < N; i++) {
		percpu_counter_inc(&c);
		percpu_counter_tree_add(&t, 1);
	}
	adds = inline_calls - before;
	before = inline_calls;
	for (int i = 0; i < N; i++) {
		(void)percpu_counter_read(&c);
		(void)percpu_counter_tree_approximate_sum(&t);
	}
	reads = inline_calls - before;
	before = inline_calls;
	for (int i = 0; i < N; i++) {
		percpu_ref_get(&r);
		percpu_ref_put(&r);
	}
	refs = inline_calls - before;
	before = inline_calls;
	for (int i = 0; i < N; i++)
		limited &= percpu_counter_limited_add(&c, INT64_MAX / 2, 1);
	limits = inline_calls - before;

	if (add_inline())
		is(this_cpu, 0, "%d pcpu_this_add and pcpu_this_ptr made no call", N);
	else
		is(this_cpu, 2 * N, "without an inline path each of them is a call");
	if (counters_inline)
		is(adds, 0, "%d counter and tree adds made no call", N);
	else
		is(adds, 2 * N, "without per-CPU counters every counter add is a call");
	ok(mine, "pcpu_this_ptr() named a copy every time");
	/* Both libraries keep the counts where the inline reads find them. */
	is(reads, 0, "%d counter reads and approximate sums made no call", N);
	if (ref_inline())
		is(refs, 0, "%d ref get+put pairs made no call", N);
	else
		is(refs, 2 * N, "without an inline path every get and put is a call");
	ok(limited, "limited adds far from the limit all added");
	if (limited_inline() && pcpu_abi_process.mode == PCPU_ABI_LOCAL)
		/* One call each time the owned slot is full, to empty it: the
		 * library leaves it a batch under 0, so that is every
		 * 2 * (batch - 1) adds; where it is a gate reader section, one
		 * more, the first, for the thread's reader. */
		ok(limits <= (unsigned long)(N / (2 * (percpu_counter_batch() - 1)) + 2),
		   "%d limited adds far from the limit made %ld calls, one per twice "
		   "a full slot",
		   N, (long)limits);
	else if (limited_inline())
		/* One call each time a delta is full, to empty it (the rseq
		 * and atomic modes' thread may fill the copies of several
		 * CPUs), and where it is a gate reader section the first, for
		 * the thread's reader. */
		ok(limits <= (unsigned long)(N / (percpu_counter_batch() - 1) +
					     pcpu_abi_process.nr_units + 1),
		   "%d limited adds far from the limit made %ld calls, one per full "
		   "delta",
		   N, (long)limits);
	else
		is(limits, N, "elsewhere every limited add is a call");
	is(pcpu_sum(p), N + 1, "the this-CPU adds all counted");
	is(percpu_counter_sum(&c), 2 * N + 1, "the counter and limited adds all counted");
	is(percpu_counter_tree_precise_sum(&t), N, "the tree adds all counted");
	percpu_ref_kill(&r);
	ok(percpu_ref_is_zero(&r), "the gets and puts balanced");
	percpu_ref_exit(&r);
	percpu_counter_tree_destroy(&t);
	percpu_counter_destroy(&c);
	pcpu_free(p);
}

/* The same operations from a linked shared library and a plugin. */
static void shared_objects(void)
{
	int64_t *p = pcpu_alloc(sizeof(*p), 0);
	struct percpu_counter c;
	struct percpu_ref r;
	inline_lib_fn *plugin;
	unsigned long before;
	void *h;

	if (!p || percpu_counter_init(&c, 0) || percpu_ref_init(&r, NULL, 0))
		tap_bail("cannot set up the objects");
	h = dlopen(getenv("PCPU_TEST_PLUGIN"), RTLD_NOW | RTLD_LOCAL);
	if (!h)
		tap_bail("dlopen: %s", dlerror());
	*(void **)&plugin = dlsym(h, INLINE_PLUGIN_ENTRY);
	if (!plugin)
		tap_bail("dlsym: %s", dlerror());
	inline_linked_run(p, &c, &r, 1);
	plugin(p, &c, &r, 1);
	before = inline_calls;
	inline_linked_run(p, &c, &r, N);
	plugin(p, &c, &r, N);
	if (add_inline() && ref_inline() && runtime())
		is(inline_calls - before, 0,
		   "a linked library and a dlopen()ed plugin made no call");
	else
		ok(inline_calls - before > 0, "a linked library and a plugin call where "
					      "the mode has no inline path");
	is(pcpu_sum(p), 2 * N + 2, "their this-CPU adds landed on the program's object");
	is(percpu_counter_sum(&c), 2 * N + 2, "their counter adds too");
	dlclose(h);
	percpu_ref_exit(&r);
	percpu_counter_destroy(&c);
	pcpu_free(p);
}

static void use_counter(void *arg)
{
	percpu_counter_inc(arg);
}

static void use_tree(void *arg)
{
	percpu_counter_tree_add(arg, 1);
}

static void use_ref(void *arg)
{
	percpu_ref_get(arg);
}

static void read_counter(void *arg)
{
	(void)percpu_counter_read(arg);
}

/* Inline paths on zeroed and destroyed objects reach the library's
 * message (the api tests cover garbage). */
static void misuse(void)
{
	struct percpu_counter c;
	struct percpu_counter_tree t;
	struct percpu_ref r;

	memset(&c, 0, sizeof(c));
	tap_aborts(use_counter, &c,
		   tap_fmt("libpcpu: percpu_counter_*(%p): ", (void *)&c),
		   "inline add on a zeroed counter aborts with the message");
	tap_aborts(read_counter, &c,
		   tap_fmt("libpcpu: percpu_counter_read(%p): ", (void *)&c),
		   "inline read of a zeroed counter aborts with the message");
	percpu_counter_init(&c, 0);
	percpu_counter_destroy(&c);
	tap_aborts(use_counter, &c,
		   tap_fmt("libpcpu: percpu_counter_*(%p): ", (void *)&c),
		   "inline add on a destroyed counter aborts with the message");
	percpu_counter_tree_init(&t, 32);
	percpu_counter_tree_destroy(&t);
	tap_aborts(use_tree, &t,
		   tap_fmt("libpcpu: percpu_counter_tree_*(%p): ", (void *)&t),
		   "inline tree add on a destroyed counter aborts with the message");
	percpu_ref_init(&r, NULL, 0);
	percpu_ref_kill(&r);
	percpu_ref_exit(&r);
	tap_aborts(use_ref, &r, tap_fmt("libpcpu: percpu_ref_get*(%p): ", (void *)&r),
		   "inline get on an exited ref aborts with the message");
}

int main(void)
{
	tap_start();
	published();
	hot_calls();
	shared_objects();
	misuse();
	return tap_done();
}
