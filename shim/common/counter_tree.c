/* SPDX-License-Identifier: MIT */
/*
 * counter_tree - the percpu_counter_tree API, for both libraries: the
 * argument and identity rules, then the library's backend
 * (counter_backend.h), and the functions every backend's primitives give
 * the same way (approximate_sum, precise_sum and the accuracy range).
 *
 * Identity: a live tree has its magic and its place in the init call that
 * made it (counter_group()), checked by destroy; destroy clears the
 * struct, so the inline paths call and the call reports the misuse.
 *
 * Bounds are computed in 128-bit arithmetic so that approx + under and
 * approx - over compare exactly, even next to LONG_MAX and LONG_MIN.  A
 * range that crosses one of them says nothing about order (the precise sum
 * may have wrapped to the other end), so it counts as the whole long range:
 * such a counter is never certainly above or below anything.
 */
#include <errno.h>
#include <limits.h>
#include <pcpu.h>

#include "counter_backend.h"
#include "counter_rules.h"

static struct percpu_counter_tree *tree_of(struct percpu_counter_tree *c, const char *fn)
{
	diag_check(c ? c->__magic : 0, DIAG_MAGIC_TREE, fn, c, "percpu_counter_tree");
	return c;
}

int percpu_counter_tree_init(struct percpu_counter_tree *c, unsigned long batch_size)
{
	return percpu_counter_tree_init_many(c, 1, batch_size);
}

int percpu_counter_tree_init_many(struct percpu_counter_tree *c, unsigned n,
				  unsigned long batch_size)
{
	int err;

	if (!counter_tree_args_valid(n, batch_size))
		return -EINVAL;
	err = tree_backend_init(c, n, batch_size);
	if (err)
		return err;
	for (unsigned i = 0; i < n; i++) {
		c[i].__group = (uint8_t)counter_group(i, n);
		c[i].__magic = DIAG_MAGIC_TREE;
	}
	return 0;
}

void percpu_counter_tree_destroy(struct percpu_counter_tree *c)
{
	percpu_counter_tree_destroy_many(c, 1);
}

void percpu_counter_tree_destroy_many(struct percpu_counter_tree *c, unsigned n)
{
	const char *fn =
	    n == 1 ? "percpu_counter_tree_destroy" : "percpu_counter_tree_destroy_many";

	if (n == 0)
		return;
	for (unsigned i = 0; i < n; i++)
		counter_check_group(fn, &c[i], tree_of(&c[i], fn)->__group, i, n);
	tree_backend_destroy(c, n);
	for (unsigned i = 0; i < n; i++)
		c[i] = (struct percpu_counter_tree){0};
}

void percpu_counter_tree_add(struct percpu_counter_tree *c, long inc)
{
	tree_backend_add(tree_of(c, "percpu_counter_tree_add"), inc);
}

void pcpu_abi_tree_carry(struct percpu_counter_tree *c, long carry)
{
	tree_backend_carry(tree_of(c, "percpu_counter_tree_add"), carry);
}

long percpu_counter_tree_approximate_sum(struct percpu_counter_tree *c)
{
	tree_of(c, "percpu_counter_tree_approximate_sum");
	return (long)((unsigned long)__atomic_load_n(c->__root, __ATOMIC_RELAXED) +
		      (unsigned long)__atomic_load_n(&c->__bias, __ATOMIC_RELAXED));
}

long percpu_counter_tree_precise_sum(struct percpu_counter_tree *c)
{
	return tree_backend_precise_sum(tree_of(c, "percpu_counter_tree_precise_sum"));
}

void percpu_counter_tree_set(struct percpu_counter_tree *c, long v)
{
	tree_backend_set(tree_of(c, "percpu_counter_tree_set"), v);
}

void percpu_counter_tree_approximate_accuracy_range(struct percpu_counter_tree *c,
						    unsigned long *under,
						    unsigned long *over)
{
	tree_of(c, "percpu_counter_tree_approximate_accuracy_range");
	if (under)
		*under = tree_backend_under(c);
	if (over)
		*over = 0;
}

typedef __int128 wide_t;

struct approx {
	wide_t value, lo, hi; /* the precise sum is in [lo, hi] */
	unsigned long under, over;
};

static struct approx approx_of(struct percpu_counter_tree *c)
{
	struct approx a = {0};

	a.value = percpu_counter_tree_approximate_sum(c);
	percpu_counter_tree_approximate_accuracy_range(c, &a.under, &a.over);
	a.lo = a.value - a.over;
	a.hi = a.value + a.under;
	if (a.lo < LONG_MIN || a.hi > LONG_MAX) {
		a.lo = LONG_MIN;
		a.hi = LONG_MAX;
	}
	return a;
}

static int sign_of(wide_t d)
{
	return (d > 0) - (d < 0);
}

long percpu_counter_tree_approximate_sum_positive(struct percpu_counter_tree *c)
{
	long v = percpu_counter_tree_approximate_sum(c);

	return v > 0 ? v : 0;
}

long percpu_counter_tree_precise_sum_positive(struct percpu_counter_tree *c)
{
	long v = percpu_counter_tree_precise_sum(c);

	return v > 0 ? v : 0;
}

void percpu_counter_tree_approximate_min_max(struct percpu_counter_tree *c, long *approx,
					     long *min, long *max)
{
	struct approx a = approx_of(c);

	/* The bounds wrap like the sums they describe. */
	if (approx)
		*approx = (long)a.value;
	if (min)
		*min = (long)((unsigned long)a.value - a.over);
	if (max)
		*max = (long)((unsigned long)a.value + a.under);
}

unsigned long percpu_counter_tree_inaccuracy(struct percpu_counter_tree *c)
{
	struct approx a = approx_of(c);

	return a.under > a.over ? a.under : a.over;
}

int percpu_counter_tree_approximate_compare_value(struct percpu_counter_tree *c, long v)
{
	struct approx a = approx_of(c);

	if (v > a.hi)
		return 1;
	if (v < a.lo)
		return -1;
	return 0;
}

int percpu_counter_tree_precise_compare_value(struct percpu_counter_tree *c, long v)
{
	return sign_of((wide_t)v - percpu_counter_tree_precise_sum(c));
}

/* Decided from approximations alone: a certainly above (below) b when a's
 * lowest possible value exceeds b's highest (and the other way round). */
static int approx_order(const struct approx *a, const struct approx *b)
{
	if (a->lo > b->hi)
		return 1;
	if (a->hi < b->lo)
		return -1;
	return 0;
}

int percpu_counter_tree_approximate_compare(struct percpu_counter_tree *a,
					    struct percpu_counter_tree *b)
{
	struct approx x = approx_of(a), y = approx_of(b);

	return approx_order(&x, &y);
}

int percpu_counter_tree_precise_compare(struct percpu_counter_tree *a,
					struct percpu_counter_tree *b)
{
	struct approx x = approx_of(a), y = approx_of(b);
	int order = approx_order(&x, &y);

	if (order)
		return order;
	return sign_of((wide_t)percpu_counter_tree_precise_sum(a) -
		       percpu_counter_tree_precise_sum(b));
}

/*
 * Two passes, as in the OOM killer's use of these counters: the best lower
 * bound among the approximations prunes every counter whose upper bound
 * cannot reach it (its exact value is strictly below that counter's), then
 * precise sums decide among the survivors.  A single survivor is the
 * answer without any precise sum.  The approximations are read again in
 * the second pass instead of being stored: no allocation, and a bound that
 * moved in between only keeps more candidates.
 */
int percpu_counter_tree_select_max(struct percpu_counter_tree *const *c, unsigned n,
				   unsigned *nr_precise)
{
	wide_t best_lo = 0;
	unsigned i, survivors = 0, first = 0, taken = 0;
	int best = -1;
	long best_sum = 0;

	for (i = 0; i < n; i++) {
		struct approx a = approx_of(c[i]);

		if (i == 0 || a.lo > best_lo)
			best_lo = a.lo;
	}
	/* Whether more than one survives is all the second pass needs. */
	for (i = 0; i < n && survivors < 2; i++) {
		if (approx_of(c[i]).hi >= best_lo && survivors++ == 0)
			first = i;
	}
	if (survivors == 1) {
		best = (int)first;
	} else {
		for (i = first; i < n; i++) {
			if (approx_of(c[i]).hi < best_lo)
				continue;
			long sum = percpu_counter_tree_precise_sum(c[i]);
			taken++;
			if (best < 0 || sum > best_sum) {
				best = (int)i;
				best_sum = sum;
			}
		}
	}
	/* Bounds that moved between the passes may have pruned everyone. */
	if (best < 0 && n)
		best = (int)first;
	if (nr_precise)
		*nr_precise = taken;
	return best;
}
