/* SPDX-License-Identifier: MIT */
/*
 * White-box tests of the access modes, built from the runtime's cpu/
 * sources with a plain mapping standing in for the arena: the mode chosen,
 * the closing of closable copies (with signal handlers nesting adds), CPU
 * numbers folded into range, and in local mode slot reuse, the shared slot
 * and the slots a fork child gets back.
 */
#include <pcpu.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "debug/config.h"
#include "cpu/cpu.h"
#include "../utils/cpu_test.h"
#include "../utils/tap.h"

/* Older C library headers (the arm64 cross toolchain's) lack it. */
#ifndef AT_RSEQ_FEATURE_SIZE
#define AT_RSEQ_FEATURE_SIZE 27
#endif

#define UNIT	 4096
#define NR_GATED 4

size_t arena_unit_size = UNIT;
static char *units;

static int64_t copies_sum(int64_t *p)
{
	int64_t s = 0;

	for (int i = 0; i < cpu_nr_units; i++)
		s += __atomic_load_n((int64_t *)arena_ptr(p, i), __ATOMIC_RELAXED);
	return s;
}

/* ---- the gate ---- */

static int gate;
static int gate_stop;
static int64_t *gated_obj;
static __thread int64_t *sig_success;

struct gated {
	pthread_t t;
	int64_t success, sig_success;
	uint64_t rng;
};

static void gated_on_signal(int sig)
{
	(void)sig;
	if (sig_success && cpu_closable_add(gated_obj, 1000, &gate))
		(*sig_success)++;
}

static void *gated_worker(void *arg)
{
	struct gated *g = arg;

	sig_success = &g->sig_success;
	while (!__atomic_load_n(&gate_stop, __ATOMIC_RELAXED)) {
		if (cpu_closable_add(gated_obj, 1, &gate))
			g->success++;
		if (!(tap_rand(&g->rng) & 4095))
			ct_hop(&g->rng);
	}
	sig_success = NULL;
	return NULL;
}

/* Whether every copy of p is still closed: 0 where closing waited for the
 * adds in flight, the closed value plus adds that failed in atomic mode. */
static bool copies_closed(int64_t *p)
{
	for (int i = 0; i < cpu_nr_units; i++) {
		int64_t c = __atomic_load_n((int64_t *)arena_ptr(p, i), __ATOMIC_RELAXED);

		if (cpu_mode == CPU_MODE_ATOMIC ? c > PCPU_ABI_REF_OPEN_MIN : c != 0)
			return false;
	}
	return true;
}

static void gate_grace_period(void)
{
	struct gated g[NR_GATED];
	double stop = tap_now() + tap_seconds(1.0);
	int rounds = 0, bad_sync = 0, bad_after = 0;
	uint64_t rng = 5;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = gated_on_signal;
	sigaction(SIGUSR1, &sa, NULL);
	gated_obj = (int64_t *)units;
	while (tap_now() < stop || rounds < 5) {
		int64_t at_sync, total = 0;

		memset(units, 0, (size_t)cpu_nr_units * UNIT);
		cpu_closable_reopen(gated_obj, &gate);
		__atomic_store_n(&gate_stop, 0, __ATOMIC_RELAXED);
		memset(g, 0, sizeof(g));
		for (int i = 0; i < NR_GATED; i++) {
			g[i].rng = (uint64_t)(rounds * NR_GATED + i + 1);
			pthread_create(&g[i].t, NULL, gated_worker, &g[i]);
		}
		for (unsigned n = tap_rand(&rng) % 2000; n; n--) {
			if (!(n % 50))
				pthread_kill(g[n % NR_GATED].t, SIGUSR1);
			for (volatile int spin = 0; spin < 100; spin++)
				;
		}
		at_sync = cpu_closable_close(gated_obj, &gate);
		for (int i = 0; i < 10; i++)
			pthread_kill(g[i % NR_GATED].t, SIGUSR1);
		sched_yield();
		__atomic_store_n(&gate_stop, 1, __ATOMIC_RELAXED);
		for (int i = 0; i < NR_GATED; i++) {
			pthread_join(g[i].t, NULL);
			total += g[i].success + 1000 * g[i].sig_success;
		}
		/* Both ways: an add that succeeded after the close is in
		 * total and not in at_sync; one taken but reported closed,
		 * the other way round. */
		bad_sync += at_sync != total;
		bad_after += !copies_closed(gated_obj);
		rounds++;
	}
	tap_diag("%d close rounds", rounds);
	is(bad_sync, 0,
	   "cpu_closable_close(): its sum is exactly the adds that reported success");
	is(bad_after, 0, "cpu_closable_close(): no add counts on a copy afterwards");
	ok(!cpu_closable_add(gated_obj, 1, &gate), "a closable add fails while closed");
}

/* ---- add-take: the counters' fold ---- */

#define NR_FOLDERS 4

static int64_t folded;
static double fold_stop;

struct folder {
	uint64_t rng;
	int64_t model;
};

/* Add to the copy with cpu_this_add_take64(), as percpu_counter does, and
 * move what it takes into a shared total. */
#define FOLD_BATCH 500

static void *folder(void *arg)
{
	struct folder *f = arg;
	int64_t *p = (int64_t *)units;

	do {
		for (int i = 0; i < 1000; i++) {
			int64_t v = (int64_t)(tap_rand(&f->rng) % 64) - 16;

			__atomic_fetch_add(&folded, cpu_this_add_take64(p, v, FOLD_BATCH),
					   __ATOMIC_RELAXED);
			f->model += v;
		}
		ct_hop(&f->rng);
	} while (tap_now() < fold_stop);
	return NULL;
}

static void add_take_fold(void)
{
	struct folder f[NR_FOLDERS] = {0};
	int64_t want = 0;
	bool inside = true;

	memset(units, 0, (size_t)cpu_nr_units * UNIT);
	for (int i = 0; i < NR_FOLDERS; i++)
		f[i].rng = (uint64_t)i + 11;
	fold_stop = tap_now() + tap_seconds(1.0) / 2;
	ct_threads(NR_FOLDERS, folder, f, sizeof(f[0]));
	for (int i = 0; i < NR_FOLDERS; i++)
		want += f[i].model;
	for (int i = 0; i < cpu_nr_units; i++) {
		int64_t c = *(int64_t *)arena_ptr(units, i);

		inside &= c > -FOLD_BATCH && c < FOLD_BATCH;
	}
	ok(folded != 0, "copies were folded");
	is(copies_sum((int64_t *)units) + folded, want,
	   "add_take under migration: copies + taken equal the model");
	ok(inside, "every copy ended inside the batch (the take emptied the copy that "
		   "crossed it)");
}

/* ---- folding ---- */

static void fold_into_range(void)
{
	int64_t *p = (int64_t *)units, taken;
	int saved = cpu_nr_units;
	long saved_ix = cpu_rseq_index_off;
	cpu_set_t one;

	if (cpu_mode == CPU_MODE_LOCAL) {
		tap_skip("local mode has no CPU numbers",
			 "CPU numbers beyond the units fold");
		return;
	}
	CPU_ZERO(&one);
	CPU_SET(1, &one);
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2 ||
	    sched_setaffinity(0, sizeof(one), &one)) {
		tap_skip("needs CPU 1", "CPU numbers beyond the units fold");
		return;
	}
	memset(units, 0, (size_t)cpu_nr_units * UNIT);
	/* Run on CPU 1 with one unit, indexed by cpu_id (mm_cid would be 0). */
	if (cpu_rseq_index_off)
		cpu_rseq_index_off = cpu_rseq_cs_off - 8 + 4;
	cpu_nr_units = 1;
	cpu_this_add64(p, 3);
	cpu_this_add_return64(p, 4);
	taken = cpu_this_add_take64(p, 8, 1);
	cpu_closable_add(p, 5, &(int){0});
	cpu_this_add_return32((uint32_t *)(p + 1), 6);
	cpu_nr_units = saved;
	cpu_rseq_index_off = saved_ix;
	ok(*p == 5 && taken == 15,
	   "CPU numbers beyond the units fold into range (unit 0 got every update)");
	is(copies_sum(p), 5, "and no other unit was touched");
	is(copies_sum(p + 1), 6, "the 32-bit add-return folds the same way");
	CPU_ZERO(&one);
	for (int i = 0; i < CPU_SETSIZE; i++)
		CPU_SET(i, &one);
	sched_setaffinity(0, sizeof(one), &one);
}

/* ---- 32-bit add-return ---- */

/* It wraps modulo 2^32, returns the new value and writes 4 bytes only. */
static void add_return32(void)
{
	uint32_t *q = (uint32_t *)(units + 64);
	bool neighbours = true;
	uint64_t sum = 0;

	memset(units, 0, (size_t)cpu_nr_units * UNIT);
	is(cpu_this_add_return32(q, 5), 5, "add_return32 returns the new value");
	is(cpu_this_add_return32(q, UINT32_MAX - 1), 3, "add_return32 wraps modulo 2^32");
	for (int i = 0; i < cpu_nr_units; i++) {
		uint32_t *u = arena_ptr(q, i);

		sum += u[0];
		neighbours &= u[-1] == 0 && u[1] == 0;
	}
	is(sum, 3, "the two adds landed on the calling CPU's copies only");
	ok(neighbours, "and left the neighbouring 32-bit words alone");
}

/* ---- local slots and gate readers over thread life ---- */

static int max_slot, unregistered;

static void *touch(void *arg)
{
	int64_t *p = arg;
	int slot;

	cpu_this_add64(p, 1);
	cpu_closable_add(p, 1, &(int){0});
	/* In rseq mode the thread's area is registered now (by glibc or,
	 * without glibc's, by the add above). */
	if (cpu_mode == CPU_MODE_RSEQ && cpu_rseq_index() >= (uint32_t)cpu_nr_units)
		__atomic_fetch_add(&unregistered, 1, __ATOMIC_RELAXED);
	slot = cpu_local_word & CPU_LOCAL_SHARED ? -1 : (int)(cpu_local_word / UNIT);
	if (slot > __atomic_load_n(&max_slot, __ATOMIC_RELAXED))
		__atomic_store_n(&max_slot, slot, __ATOMIC_RELAXED);
	return NULL;
}

/* Whether closable adds hold gate readers: not where they are restartable
 * sequences (rseq mode, local mode with rseq), nor in atomic mode, whose
 * copies close without a grace period. */
static bool gated_by_readers(void)
{
	return cpu_mode == CPU_MODE_LOCAL && !cpu_local_rseq;
}

static pthread_barrier_t hold;

static void *touch_and_hold(void *arg)
{
	touch(arg);
	pthread_barrier_wait(&hold);
	pthread_barrier_wait(&hold);
	return NULL;
}

static void thread_life(void)
{
	int64_t *p = (int64_t *)units;
	int nr_hold = cpu_nr_units + 2, owned, readers, status;
	pthread_t t[nr_hold];
	pid_t pid;

	/* 1000 threads, fewer when the run is scaled down (valgrind). */
	int nr_seq = tap_seconds(1.0) < 0.5 ? 100 : 1000;

	memset(units, 0, (size_t)cpu_nr_units * UNIT);
	max_slot = 0;
	touch(p);
	for (int i = 0; i < nr_seq; i++)
		ct_threads(1, touch, p, 0);
	is(copies_sum(p), 2 * (nr_seq + 1), "%d threads one after another: sums exact",
	   nr_seq);
	is(unregistered, 0, "every thread's rseq area (if any) registered");
	if (gated_by_readers())
		is(cpu_gate_readers_in_use(), 1, "their gate readers were released");
	if (cpu_mode == CPU_MODE_LOCAL) {
		is(cpu_local_slots_owned(), 1, "their slots were released");
		ok(max_slot <= 1, "and reused (highest slot %d)", max_slot);
	}

	/* More threads than slots alive at once, then a fork. */
	pthread_barrier_init(&hold, NULL, (unsigned)nr_hold + 1);
	for (int i = 0; i < nr_hold; i++)
		pthread_create(&t[i], NULL, touch_and_hold, p);
	pthread_barrier_wait(&hold);
	owned = cpu_local_slots_owned();
	readers = cpu_gate_readers_in_use();
	if (gated_by_readers())
		is(readers, nr_hold + 1, "every live thread holds a gate reader");
	if (cpu_mode == CPU_MODE_LOCAL)
		is(owned, cpu_nr_units - 1,
		   "over the cap: every slot but the shared one owned");
	pid = fork();
	if (pid == 0) {
		int64_t before = copies_sum(p);

		if (gated_by_readers() && cpu_gate_readers_in_use() != 1)
			_exit(1);
		if (cpu_mode == CPU_MODE_LOCAL && cpu_local_slots_owned() != 1)
			_exit(2);
		/* The child gets every slot but its own back: fill them. */
		for (int i = 0; i < 3; i++)
			ct_threads(cpu_nr_units > 2 ? cpu_nr_units - 2 : 1, touch, p, 0);
		_exit(cpu_closable_close(p, &gate) ==
			      before + 2 * 3 * (cpu_nr_units > 2 ? cpu_nr_units - 2 : 1)
			  ? 0
			  : 3);
	}
	waitpid(pid, &status, 0);
	is(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0,
	   "fork child: holds only its own reader and slot, closes, sums exactly");
	pthread_barrier_wait(&hold);
	for (int i = 0; i < nr_hold; i++)
		pthread_join(t[i], NULL);
	is(copies_sum(p), 2 * (nr_seq + 1 + nr_hold), "sums exact after the fork");
	if (cpu_mode == CPU_MODE_LOCAL)
		is(cpu_local_slots_owned(), 1, "slots released again");
}

int main(void)
{
	tap_start();
	config_read();
	if (cpu_init())
		tap_bail("cpu_init failed");
	/* CPU_TEST_MODE: the mode expected when this build is run without
	 * the preloaded runtime (tests/unit/cpu_tunable.sh). */
	const char *want =
	    getenv("CPU_TEST_MODE") ? getenv("CPU_TEST_MODE") : tap_variant();

	is(strcmp(cpu_mode_name(), want), 0, "mode %s in force (expected %s)",
	   cpu_mode_name(), want);
	if (cpu_mode == CPU_MODE_RSEQ) {
		ok(cpu_rseq_detect(), "rseq mode only with a registered rseq area");
		/* The documented choice: mm_cid where the kernel keeps it. */
		is(cpu_rseq_index_off - cpu_rseq_cs_off,
		   getauxval(AT_RSEQ_FEATURE_SIZE) >= 28 ? 16 : -4, "rseq index: %s",
		   getauxval(AT_RSEQ_FEATURE_SIZE) >= 28 ? "mm_cid" : "cpu_id");
	}
	units = mmap(NULL, (size_t)cpu_nr_units * UNIT, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (units == MAP_FAILED)
		tap_bail("mmap failed");

	gate_grace_period();
	add_take_fold();
	add_return32();
	fold_into_range();
	thread_life();
	if (cpu_local_rseq) {
		/* The local mode's other grace period, as where rseq is missing. */
		tap_diag("local mode again, with gate readers instead of rseq");
		cpu_local_rseq = false;
		gate_grace_period();
		thread_life();
	}
	return tap_done();
}
