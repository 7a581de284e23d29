/* SPDX-License-Identifier: MIT */
/*
 * Kernel-style percpu_counter code compiled against <pcpu/linux.h>:
 * filesystem free-space accounting that allocates with a large batch and
 * checks a reserve with __percpu_counter_compare(), the set-then-read of
 * proportions code, and each kernel name that <pcpu.h> lacks.
 */
#include <pcpu/linux.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>

#include "../utils/tap.h"
#include "pin.h"

/* ---- the "filesystem", as it would read in the kernel */

#define FS_BATCH 1024

struct fs_info {
	struct percpu_counter free_blocks;
	int64_t reserved;
};

static int fs_init(struct fs_info *fs, int64_t blocks, int64_t reserved)
{
	fs->reserved = reserved;
	return percpu_counter_init(&fs->free_blocks, blocks, GFP_KERNEL);
}

/* Enough free blocks for nr on top of the reserve? */
static bool fs_has_free(struct fs_info *fs, int64_t nr)
{
	return __percpu_counter_compare(&fs->free_blocks, nr + fs->reserved, FS_BATCH) >=
	       0;
}

static void fs_take(struct fs_info *fs, int64_t nr)
{
	percpu_counter_add_batch(&fs->free_blocks, -nr, FS_BATCH);
}

/* ---- the tests */

static void *fs_taker(void *arg)
{
	struct fs_info *fs = arg;

	/* Each leaves up to FS_BATCH - 1 in its unit's delta. */
	for (int i = 0; i < 5000; i++)
		fs_take(fs, 1 + i % 3);
	fs_take(fs, 1000);
	return NULL;
}

static void test_reserve_boundary(void)
{
	struct fs_info fs;
	pthread_t t[3];
	int64_t exact;

	is(fs_init(&fs, 1000000, 5000), 0, "fs: percpu_counter_init with gfp");
	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, fs_taker, &fs);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	fs_take(&fs, 1000);
	exact = percpu_counter_sum(&fs.free_blocks);
	is(exact, 1000000 - 3 * (5000 + 4999 + 1000) - 1000, "fs: the exact free count");
	tap_diag("read %lld exact %lld", (long long)percpu_counter_read(&fs.free_blocks),
		 (long long)exact);
	/* The reserve boundary, from both sides and at it. */
	int64_t avail = exact - fs.reserved;
	ok(fs_has_free(&fs, avail), "fs: exactly the free blocks above the reserve fit");
	ok(!fs_has_free(&fs, avail + 1),
	   "fs: one more block than available does not fit");
	for (int64_t d = -3; d <= 3; d++) {
		int want = (exact > exact + d) - (exact < exact + d);

		is(__percpu_counter_compare(&fs.free_blocks, exact + d, FS_BATCH), want,
		   "__percpu_counter_compare(exact %+lld, batch %d) is %d", (long long)d,
		   FS_BATCH, want);
	}
	is(__percpu_counter_compare(&fs.free_blocks, exact + 100000, FS_BATCH), -1,
	   "__percpu_counter_compare far below decides too");
	is(__percpu_counter_compare(&fs.free_blocks, exact - 100000, 0), 1,
	   "__percpu_counter_compare with batch 0");
	is(__percpu_counter_sum(&fs.free_blocks), exact,
	   "__percpu_counter_sum is the exact sum");
	percpu_counter_destroy(&fs.free_blocks);
}

static void *adder(void *arg)
{
	for (int i = 0; i < 1000; i++)
		percpu_counter_add((struct percpu_counter *)arg, 7);
	return NULL;
}

static void test_set_then_read(void)
{
	struct percpu_counter c;
	pthread_t t[3];

	percpu_counter_init(&c, 0, GFP_KERNEL);
	percpu_counter_add(&c, 5);
	percpu_counter_set(&c, 1000);
	is(percpu_counter_read(&c), 1000, "add 5, set 1000: read is 1000");
	is(percpu_counter_sum(&c), 1000, "add 5, set 1000: sum is 1000");
	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, adder, &c);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	percpu_counter_set(&c, -42);
	is(percpu_counter_read(&c), -42, "deltas in every unit, set -42: read is -42");
	is(percpu_counter_sum(&c), -42, "deltas in every unit, set -42: sum is -42");
	percpu_counter_add(&c, 2);
	is(percpu_counter_sum(&c), -40, "adds after set count from the value set");
	percpu_counter_destroy(&c);
}

static void test_local_and_sync(void)
{
	struct percpu_counter c;
	bool runtime = strcmp(tap_variant(), "api") != 0;

	pin_here();
	percpu_counter_init(&c, 100, GFP_KERNEL);
	for (int i = 0; i < 10; i++)
		percpu_counter_add_local(&c, 1000);
	percpu_counter_sub_local(&c, 500);
	is(percpu_counter_sum(&c), 100 + 10000 - 500,
	   "add_local/sub_local count exactly");
	if (runtime)
		is(percpu_counter_read(&c), 100, "add_local stays in the unit's delta");
	percpu_counter_sync(&c);
	is(percpu_counter_read(&c), 100 + 10000 - 500,
	   "percpu_counter_sync folds the caller's delta into the count");
	is(percpu_counter_sum(&c), 100 + 10000 - 500, "sync loses nothing");
	percpu_counter_sync(&c);
	is(percpu_counter_sum(&c), 100 + 10000 - 500,
	   "sync of an empty delta changes nothing");
	percpu_counter_destroy(&c);
}

static void test_initialized_and_limited(void)
{
	struct percpu_counter c, many[3];

	is(percpu_counter_init_many(many, 4, GFP_KERNEL, 3), 0,
	   "percpu_counter_init_many with gfp");
	percpu_counter_add(&many[2], 1);
	ok(percpu_counter_initialized(&many[1]) && percpu_counter_sum(&many[2]) == 5,
	   "init_many counters count from the value");
	percpu_counter_destroy_many(many, 3);

	memset(&c, 0, sizeof(c));
	ok(!percpu_counter_initialized(&c), "a zeroed counter is not initialized");
	percpu_counter_init(&c, 10, GFP_KERNEL);
	ok(percpu_counter_initialized(&c), "an initialised counter is");
	ok(__percpu_counter_limited_add(&c, 20, 10, FS_BATCH),
	   "__percpu_counter_limited_add up to the limit adds");
	ok(!__percpu_counter_limited_add(&c, 20, 1, FS_BATCH),
	   "__percpu_counter_limited_add past the limit does not");
	ok(percpu_counter_limited_add(&c, 0, -20), "limited_add down to the limit adds");
	is(percpu_counter_sum(&c), 0, "limited adds counted exactly");
	percpu_counter_destroy(&c);
	ok(!percpu_counter_initialized(&c), "a destroyed counter is not initialized");
}

int main(void)
{
	tap_start();
	test_reserve_boundary();
	test_set_then_read();
	test_initialized_and_limited();
	test_local_and_sync();
	return tap_done();
}
