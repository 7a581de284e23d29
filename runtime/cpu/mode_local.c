/* SPDX-License-Identifier: MIT */
/*
 * mode_local - slot ownership of the local access mode, its slow paths
 * and the closing of its copies (see mode_local.h).
 *
 * owner[i] is the kernel thread id of slot i's owner, 0 when free.  A
 * claim takes the lowest free slot with a compare-and-swap, so a process
 * with few threads keeps using the first units, and a thread that exits
 * hands its slot to the next one.  Claims run with signals blocked: a
 * handler of the same thread cannot claim a second slot half-way through.
 */
#include "cpu/mode_local.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arena/arena.h"
#include "cpu/thread.h"
#include "cpu/unit.h"

bool cpu_local_rseq;

static int *owner;
static int nr_slots;

int cpu_local_init(int nr)
{
	owner = mmap(NULL, (size_t)nr * sizeof(*owner), PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (owner == MAP_FAILED) {
		owner = NULL;
		return -ENOMEM;
	}
	nr_slots = nr;
	return 0;
}

static uintptr_t cpu_local_slot_word(int slot)
{
	return (uintptr_t)slot * arena_unit_size;
}

uintptr_t cpu_local_claim(void)
{
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	/* A handler may have claimed before the signals were blocked. */
	if (cpu_local_word == CPU_LOCAL_UNCLAIMED) {
		int tid = gettid();
		int slot;

		for (slot = 0; slot < nr_slots - 1; slot++) {
			int free_ = 0;

			if (!__atomic_load_n(&owner[slot], __ATOMIC_RELAXED) &&
			    __atomic_compare_exchange_n(&owner[slot], &free_, tid, false,
							__ATOMIC_ACQUIRE,
							__ATOMIC_RELAXED))
				break;
		}
		if (slot < nr_slots - 1)
			cpu_local_word = cpu_local_slot_word(slot);
		else
			cpu_local_word =
			    cpu_local_slot_word(nr_slots - 1) | CPU_LOCAL_SHARED;
		cpu_thread_track();
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return cpu_local_word;
}

/* The slot a word owns, or -1 for the shared slot or none. */
static int cpu_local_owned_slot(uintptr_t w)
{
	if (w & CPU_LOCAL_SHARED)
		return -1;
	return (int)(w / arena_unit_size);
}

void cpu_local_thread_exit(void)
{
	int slot = cpu_local_owned_slot(cpu_local_word);

	cpu_local_word = CPU_LOCAL_UNCLAIMED;
	/* Release: the next owner sees every update this thread made. */
	if (slot >= 0)
		__atomic_store_n(&owner[slot], 0, __ATOMIC_RELEASE);
}

void cpu_local_atfork_child(void)
{
	int mine = cpu_local_owned_slot(cpu_local_word);

	for (int slot = 0; slot < nr_slots - 1; slot++)
		__atomic_store_n(&owner[slot], slot == mine ? gettid() : 0,
				 __ATOMIC_RELAXED);
}

int cpu_local_slots_owned(void)
{
	int n = 0;

	for (int slot = 0; slot < nr_slots - 1; slot++)
		n += __atomic_load_n(&owner[slot], __ATOMIC_RELAXED) != 0;
	return n;
}

void cpu_local_add_slow(int64_t *p, int64_t v)
{
	uintptr_t w = cpu_local_word;

	if (w == CPU_LOCAL_UNCLAIMED)
		w = cpu_local_claim();
	if (w & CPU_LOCAL_SHARED)
		__atomic_fetch_add(cpu_local_at(p, w), v, __ATOMIC_RELAXED);
	else
		cpu_local_add_owned(p, w, v);
}

/* The slow paths of the add-returns, both widths: claim, or share. */
#define CPU_LOCAL_DEFINE_ADD_RETURN_SLOW(name, type)                                     \
	type name##_slow(type *p, type v)                                                \
	{                                                                                \
		uintptr_t w = cpu_local_word;                                            \
                                                                                         \
		if (w == CPU_LOCAL_UNCLAIMED)                                            \
			w = cpu_local_claim();                                           \
		if (w & CPU_LOCAL_SHARED)                                                \
			return __atomic_add_fetch(                                       \
			    (type *)((char *)p + (w & ~CPU_LOCAL_SHARED)), v,            \
			    __ATOMIC_RELAXED);                                           \
		return name(p, v);                                                       \
	}

CPU_LOCAL_DEFINE_ADD_RETURN_SLOW(cpu_local_add_return, int64_t)
CPU_LOCAL_DEFINE_ADD_RETURN_SLOW(cpu_local_add_return32, uint32_t)

int64_t cpu_local_add_take_slow(int64_t *p, int64_t v, uint64_t bm1)
{
	uintptr_t w = cpu_local_word;

	if (w == CPU_LOCAL_UNCLAIMED)
		w = cpu_local_claim();
	if (w & CPU_LOCAL_SHARED)
		return pcpu_abi_take_after_add(
		    cpu_local_at(p, w),
		    __atomic_add_fetch(cpu_local_at(p, w), v, __ATOMIC_RELAXED), bm1);
	return cpu_local_add_take(p, v, bm1);
}

/* The rseq form of the slow path: claim, then one sequence on the owned
 * slot, or on the shared one with a locked add. */
static bool cpu_local_closable_add_rseq(int64_t *p, int64_t v, const int *gate)
{
	uintptr_t w = cpu_local_word;

	(void)p, (void)v, (void)gate; /* unused where there are no sequences */
	if (w == CPU_LOCAL_UNCLAIMED)
		w = cpu_local_claim();
	if (w & CPU_LOCAL_SHARED)
		return !CPU_RSEQ_RUN(pcpu_arch_rseq_gated_add_locked_at(
					 cpu_local_at(p, w), v, gate, cpu_rseq_cs_off),
				     CPU_GATED_CLOSED);
	return !CPU_RSEQ_RUN(
	    pcpu_arch_rseq_gated_add_at(cpu_local_owned(p, w), v, gate, cpu_rseq_cs_off),
	    CPU_GATED_CLOSED);
}

bool cpu_local_closable_add_slow(int64_t *p, int64_t v, const int *gate)
{
	struct cpu_gate_reader *r;
	uint64_t entered;
	bool open;

	if (cpu_local_rseq)
		return cpu_local_closable_add_rseq(p, v, gate);
	r = cpu_gate_reader();
	entered = cpu_gate_enter(r);
	open = !__atomic_load_n(gate, __ATOMIC_RELAXED);
	if (open)
		cpu_local_add_slow(p, v);
	cpu_gate_exit(r, entered);
	return open;
}

int64_t cpu_local_close(int64_t *p)
{
	cpu_gate_wait(cpu_local_rseq ? CPU_GATE_SEQUENCES : 0);
	return cpu_units_exchange(p, 0);
}
