/* SPDX-License-Identifier: MIT */
/*
 * Kernel-style per-CPU code compiled against <pcpu/linux.h>, in the manner
 * of the kernel's percpu_test: static per-CPU variables of every width
 * (DEFINE_PER_CPU and its forms, per_cpu(), get/put_cpu_var()), the
 * this_cpu_*, __this_cpu_* and raw_cpu_* operations on them and on
 * alloc_percpu() memory, a variable defined in a shared library and
 * declared here (used from both modules' constructors), one defined here
 * that the library's constructor uses before ours ran, and threads pinned
 * to CPUs checking that this_cpu_ptr() names the copy this_cpu_add()
 * updates.  Built twice: as a PIE (tests/linux/percpu) and without PIE
 * (tests/linux/percpu_nopie), where the library's variables named here
 * are copies in this program (copy relocations).
 */
#include <pcpu/linux.h>
#include <pthread.h>
#include <sched.h>

#include "../utils/tap.h"
#include "pin.h"
#include "sum.h"
#include "vars.h"

static DEFINE_PER_CPU(unsigned char, v8_lo);
static DEFINE_PER_CPU(unsigned char, v8);
static DEFINE_PER_CPU(unsigned char, v8_hi);
static DEFINE_PER_CPU(short, v16);
DEFINE_PER_CPU(int, v32) = 3;
DEFINE_PER_CPU_ALIGNED(uint64_t, v64);
DEFINE_PER_CPU_READ_MOSTLY(void *, vptr);
DEFINE_PER_CPU(int64_t, exe_events) = EXE_EVENTS_INIT;
DECLARE_PER_CPU(int, v32);
DECLARE_PER_CPU_ALIGNED(uint64_t, v64);
DECLARE_PER_CPU_READ_MOSTLY(void *, vptr);

/* In this module's constructors: at the earliest priority a program may
 * use (101, which pcpu/linux.h's registration shares, in either order), and
 * at the default one. */
static int64_t exe_ctor_read, exe_early_read;

__attribute__((constructor(101))) static void exe_early(void)
{
	exe_early_read = this_cpu_read(v32);
}

__attribute__((constructor)) static void exe_start(void)
{
	this_cpu_inc(lib_events);
	exe_ctor_read = this_cpu_read(v32);
}

/*
 * Every operation of one family (prefix this_cpu, __this_cpu or raw_cpu)
 * on one variable: the value after each, as the kernel defines it.
 */
#define FAMILY(pfx, T, var, what)                                                        \
	do {                                                                             \
		T o;                                                                     \
		pfx##_write(var, (T)10);                                                 \
		is(pfx##_read(var), 10, "%s " #pfx "_write/read", what);                 \
		pfx##_add(var, 5);                                                       \
		pfx##_sub(var, 3);                                                       \
		pfx##_inc(var);                                                          \
		pfx##_dec(var);                                                          \
		is(pfx##_read(var), 12, "%s " #pfx "_add/sub/inc/dec", what);            \
		is(pfx##_add_return(var, 4), 16, "%s " #pfx "_add_return", what);        \
		is(pfx##_sub_return(var, 6), 10, "%s " #pfx "_sub_return", what);        \
		is(pfx##_inc_return(var), 11, "%s " #pfx "_inc_return", what);           \
		is(pfx##_dec_return(var), 10, "%s " #pfx "_dec_return", what);           \
		is(pfx##_xchg(var, (T)20), 10, "%s " #pfx "_xchg returns the old value", \
		   what);                                                                \
		is(pfx##_cmpxchg(var, (T)20, (T)30), 20,                                 \
		   "%s " #pfx "_cmpxchg returns the old value", what);                   \
		is(pfx##_cmpxchg(var, (T)20, (T)40), 30,                                 \
		   "%s " #pfx "_cmpxchg that fails returns the value", what);            \
		is(pfx##_read(var), 30, "%s " #pfx "_cmpxchg stored only on a match",    \
		   what);                                                                \
		o = 5;                                                                   \
		ok(!pfx##_try_cmpxchg(var, &o, (T)6) && o == 30,                         \
		   "%s " #pfx "_try_cmpxchg fails and loads the value", what);           \
		ok(pfx##_try_cmpxchg(var, &o, (T)31) && pfx##_read(var) == 31,           \
		   "%s " #pfx "_try_cmpxchg succeeds", what);                            \
		pfx##_and(var, (T)0x11);                                                 \
		pfx##_or(var, (T)0x40);                                                  \
		is(pfx##_read(var), 0x51, "%s " #pfx "_and/or", what);                   \
		ok(*this_cpu_ptr(&(var)) == (T)0x51,                                     \
		   "%s " #pfx ": this_cpu_ptr() names the copy it updated", what);       \
	} while (0)

#define WIDTH(T, var, init, what)                                                        \
	do {                                                                             \
		int64_t others = 0;                                                      \
		int cpu;                                                                 \
		FAMILY(this_cpu, T, var, what);                                          \
		FAMILY(__this_cpu, T, var, what);                                        \
		FAMILY(raw_cpu, T, var, what);                                           \
		for_each_possible_cpu(cpu) if (per_cpu_ptr(&(var), cpu) !=               \
					       this_cpu_ptr(&(var))) others +=           \
		    per_cpu(var, cpu) != (T)(init);                                      \
		is(others, 0, "%s: the other copies kept the initial value", what);      \
	} while (0)

static void test_widths(void)
{
	WIDTH(unsigned char, v8, 0, "1 byte");
	WIDTH(short, v16, 0, "2 bytes");
	WIDTH(int, v32, 3, "4 bytes");
	WIDTH(uint64_t, v64, 0, "8 bytes");

	this_cpu_write(v8, 250);
	this_cpu_add(v8, 10);
	ok(this_cpu_read(v8) == 4 && this_cpu_read(v8_lo) == 0 &&
	       this_cpu_read(v8_hi) == 0,
	   "a 1-byte add wraps in its byte, its neighbours untouched");
	this_cpu_write(v16, -1);
	this_cpu_inc(v16);
	is(this_cpu_read(v16), 0, "a 2-byte add wraps in its width");
	ok(((uintptr_t)this_cpu_ptr(&v64) & 63) == 0 &&
	       ((uintptr_t)per_cpu_ptr(&v64, 0) & 63) == 0,
	   "DEFINE_PER_CPU_ALIGNED copies are cache-line aligned");
	this_cpu_write(vptr, (void *)&v8);
	ok(this_cpu_read(vptr) == (void *)&v8, "DEFINE_PER_CPU_READ_MOSTLY of a pointer");
}

static void test_static(void)
{
	int cpu, n = 0, inits = 0;

	is(exe_ctor_read, 3,
	   "this_cpu_read() from this module's constructor sees the initial value");
	is(exe_early_read, 3, "and from a constructor of priority 101");
	for_each_possible_cpu(cpu)
	{
		n++;
		inits += per_cpu(v32, cpu) == 3;
		ok(per_cpu_ptr(&v32, cpu) != &v32,
		   "per_cpu_ptr(&var, %d) is a copy, not the template", cpu);
	}
	is(n, nr_cpu_ids, "nr_cpu_ids copies");
	n = 0;
	for_each_online_cpu(cpu) n++;
	is(n, nr_cpu_ids, "for_each_online_cpu() visits every copy");
	is(inits, nr_cpu_ids, "every copy of DEFINE_PER_CPU(int, v32) = 3 starts at 3");
	is(num_possible_cpus(), pcpu_nr_cpus(),
	   "num_possible_cpus() is the number of copies");
	ok(num_online_cpus() >= 1 && num_online_cpus() <= (unsigned)nr_cpu_ids,
	   "num_online_cpus() is the machine's online count (%u)", num_online_cpus());

	int *p = &get_cpu_var(v32);
	*p = 77; /* the kernel would have preemption off; one thread here */
	put_cpu_var(v32);
	is(this_cpu_read(v32), 77, "get_cpu_var()/put_cpu_var() name this CPU's copy");
	int *q = get_cpu_ptr(&v32);
	ok(q == this_cpu_ptr(&v32), "get_cpu_ptr() is this_cpu_ptr()");
	put_cpu_ptr(&v32);
	ok(raw_cpu_ptr(&v32) == this_cpu_ptr(&v32), "raw_cpu_ptr() is this_cpu_ptr()");
	per_cpu(v32, 0) = 5;
	is(*per_cpu_ptr(&v32, 0), 5, "per_cpu() is an lvalue of copy 0");
	is(v32, 3, "the template is never written");
	for_each_possible_cpu(cpu) per_cpu(v32, cpu) = 3;
}

static void test_alloc(void)
{
	char *a = __alloc_percpu(100, 64);
	short *b = __alloc_percpu_gfp(sizeof(short), __alignof__(short), GFP_ATOMIC);
	int zero = 1, cpu;

	ok(a && b, "__alloc_percpu and __alloc_percpu_gfp allocate");
	for_each_possible_cpu(cpu)
	{
		zero &= per_cpu_ptr(a, cpu)[99] == 0 && *per_cpu_ptr(b, cpu) == 0;
		zero &= ((uintptr_t)per_cpu_ptr(a, cpu) & 63) == 0;
	}
	ok(zero, "their copies are zeroed and aligned as asked");
	this_cpu_write(b[0], 9);
	is(this_cpu_read(b[0]), 9, "this_cpu on __alloc_percpu_gfp memory");
	free_percpu(a);
	free_percpu(b);
}

static void test_cross_module(void)
{
	int64_t nr = nr_cpu_ids;

	is(lib_ctor_read, LIB_EVENTS_INIT + 1,
	   "the library's constructor used its variable: init + its own inc");
	is(lib_ctor_exe_read, EXE_EVENTS_INIT + 100,
	   "and this program's, before this program's constructors ran");
	is(per_cpu_sum(exe_events), nr * EXE_EVENTS_INIT + 100,
	   "its add is in this program's copies");
	is(lib_events_sum(), nr * LIB_EVENTS_INIT + 2,
	   "both modules' constructors counted in the same copies");
	ok(per_cpu_ptr(&lib_events, 0) == lib_events_ptr(0) &&
	       per_cpu_ptr(&lib_events, (int)nr - 1) == lib_events_ptr((int)nr - 1),
	   "per_cpu_ptr() of a DECLARE_PER_CPU variable is the defining module's copy");
	ok(per_cpu_ptr(&lib_plain, 0) == lib_plain_ptr(0) &&
	       per_cpu_ptr(&lib_plain, (int)nr - 1) == lib_plain_ptr((int)nr - 1),
	   "and of one declared by hand (plain extern)");
	this_cpu_add(lib_plain, 1);
	is(per_cpu_sum(lib_plain), nr * LIB_PLAIN_INIT + 1,
	   "whose copies start at its initialiser");
	this_cpu_add(lib_events, 1000);
	is(lib_events_sum(), nr * LIB_EVENTS_INIT + 1002,
	   "an add here is seen by the library's per_cpu() sum");
	for (int i = 0; i < 10; i++)
		lib_hit();
	this_cpu_add(lib_hits, 5);
	is(lib_hits_sum(), 15, "DEFINE_PER_CPU_SHARED_ALIGNED across the boundary");
	ok(((uintptr_t)this_cpu_ptr(&lib_hits) & 63) == 0,
	   "the library's aligned copy is aligned");
}

/* ---- pinned threads: this_cpu_ptr() against this_cpu_add() */

struct pinned {
	int cpu;
	int64_t *c64; /* alloc_percpu(): only this thread updates it */
	int *c32;
	long same, good;
};

static void *pinned_run(void *arg)
{
	struct pinned *t = arg;
	cpu_set_t set;
	double end = tap_now() + tap_seconds(0.3);

	CPU_ZERO(&set);
	CPU_SET(t->cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	while (tap_now() < end) {
		for (int i = 0; i < 1000; i++) {
			int64_t *p = this_cpu_ptr(t->c64);
			int *q = this_cpu_ptr(t->c32);
			int64_t before = __atomic_load_n(p, __ATOMIC_RELAXED);
			int before32 = __atomic_load_n(q, __ATOMIC_RELAXED);

			this_cpu_add(*t->c64, 1);
			this_cpu_inc(*t->c32);
			/* Same unit before and after: the add should be in the
			 * copy we read (with mm_cid, the slot can change and
			 * come back in between, rarely: hence 99% below). */
			if (p == this_cpu_ptr(t->c64) && q == this_cpu_ptr(t->c32)) {
				t->same++;
				t->good +=
				    __atomic_load_n(p, __ATOMIC_RELAXED) == before + 1 &&
				    this_cpu_read(*t->c64) == before + 1 &&
				    __atomic_load_n(q, __ATOMIC_RELAXED) == before32 + 1;
			}
		}
	}
	return NULL;
}

static void test_pinned(void)
{
	cpu_set_t allowed;
	struct pinned t[4];
	pthread_t th[4];
	int n = 0;

	sched_getaffinity(0, sizeof(allowed), &allowed);
	for (int cpu = 0; cpu < CPU_SETSIZE && n < 4; cpu++)
		if (CPU_ISSET(cpu, &allowed)) {
			t[n] = (struct pinned){.cpu = cpu,
					       .c64 = alloc_percpu(int64_t),
					       .c32 = alloc_percpu(int)};
			pthread_create(&th[n], NULL, pinned_run, &t[n]);
			n++;
		}
	for (int i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		ok(t[i].same > 0 && t[i].good >= t[i].same - t[i].same / 100,
		   "pinned to CPU %d: this_cpu_ptr/read named the copy this_cpu_add "
		   "updated "
		   "(%ld of %ld)",
		   t[i].cpu, t[i].good, t[i].same);
		free_percpu(t[i].c64);
		free_percpu(t[i].c32);
	}
}

int main(void)
{
	tap_start();
	test_static();
	test_cross_module();
	test_alloc();
	test_pinned();
	pin_here();
	test_widths();
	return tap_done();
}
