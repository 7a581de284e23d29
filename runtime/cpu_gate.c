/* SPDX-License-Identifier: MIT */
/*
 * cpu_gate - reader records and the wait of cpu_gate_sync() (see
 * cpu_gate.h for the protocol).
 *
 * Records come in blocks of CPU_GATE_BLOCK, mapped on demand and pushed on
 * a list that only grows; a thread claims a free record with a
 * compare-and-swap on in_use.  Claims run with signals blocked, so a
 * handler of the same thread cannot claim a second record half-way.
 */
#include "cpu_gate.h"

#include <linux/membarrier.h>
#include <signal.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cpu.h"
#include "diag.h"

#define CPU_GATE_BLOCK 63

struct cpu_gate_block {
	struct cpu_gate_reader reader[CPU_GATE_BLOCK];
	struct cpu_gate_block *next;
};

__thread struct cpu_gate_reader *cpu_gate_self __attribute__((tls_model("initial-exec")));
bool cpu_gate_fenced;

static struct cpu_gate_block *blocks;

static inline void cpu_gate_relax(void)
{
#if defined(__x86_64__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#endif
}

static int cpu_gate_membarrier(int cmd)
{
	return (int)syscall(__NR_membarrier, cmd, 0, 0);
}

static void cpu_gate_register(void)
{
	int cmds = cpu_gate_membarrier(MEMBARRIER_CMD_QUERY);

	cpu_gate_fenced = cmds < 0 || !(cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) ||
			  cpu_gate_membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED);
}

int cpu_gate_init(void)
{
	cpu_gate_register();
	return 0;
}

static struct cpu_gate_reader *cpu_gate_take(void)
{
	struct cpu_gate_block *b;

	for (b = __atomic_load_n(&blocks, __ATOMIC_ACQUIRE); b; b = b->next)
		for (int i = 0; i < CPU_GATE_BLOCK; i++) {
			int free_ = 0;

			if (!__atomic_load_n(&b->reader[i].in_use, __ATOMIC_RELAXED) &&
			    __atomic_compare_exchange_n(&b->reader[i].in_use, &free_, 1,
							false, __ATOMIC_ACQUIRE,
							__ATOMIC_RELAXED))
				return &b->reader[i];
		}
	b = mmap(NULL, sizeof(*b), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (b == MAP_FAILED)
		diag_die("cpu_gate_claim", NULL, "out of memory for a gate reader");
	b->reader[0].in_use = 1;
	b->next = __atomic_load_n(&blocks, __ATOMIC_RELAXED);
	while (!__atomic_compare_exchange_n(&blocks, &b->next, b, false, __ATOMIC_RELEASE,
					    __ATOMIC_RELAXED))
		;
	return &b->reader[0];
}

struct cpu_gate_reader *cpu_gate_claim(void)
{
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (!cpu_gate_self) {
		cpu_gate_self = cpu_gate_take();
		cpu_thread_track();
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return cpu_gate_self;
}

void cpu_gate_thread_exit(void)
{
	struct cpu_gate_reader *r = cpu_gate_self;

	if (r) {
		cpu_gate_self = NULL;
		__atomic_store_n(&r->in_use, 0, __ATOMIC_RELEASE);
	}
}

void cpu_gate_atfork_child(void)
{
	for (struct cpu_gate_block *b = blocks; b; b = b->next)
		for (int i = 0; i < CPU_GATE_BLOCK; i++) {
			struct cpu_gate_reader *r = &b->reader[i];

			if (r != cpu_gate_self) {
				r->ctr = 0;
				r->in_use = 0;
			}
		}
	if (!cpu_gate_fenced)
		cpu_gate_register();
}

int cpu_gate_readers_in_use(void)
{
	int n = 0;

	for (struct cpu_gate_block *b = __atomic_load_n(&blocks, __ATOMIC_ACQUIRE); b;
	     b = b->next)
		for (int i = 0; i < CPU_GATE_BLOCK; i++)
			n += __atomic_load_n(&b->reader[i].in_use, __ATOMIC_RELAXED);
	return n;
}

/* Wait until r is outside any gated add, or has left the one it was in. */
static void cpu_gate_wait_reader(struct cpu_gate_reader *r)
{
	static const struct timespec nap = { 0, 1000 };
	uint64_t seen = __atomic_load_n(&r->ctr, __ATOMIC_ACQUIRE), now;

	if (!(seen & CPU_GATE_NEST_MASK))
		return;
	for (unsigned spins = 0;; spins++) {
		now = __atomic_load_n(&r->ctr, __ATOMIC_ACQUIRE);
		if (!(now & CPU_GATE_NEST_MASK) ||
		    (now & ~CPU_GATE_NEST_MASK) != (seen & ~CPU_GATE_NEST_MASK))
			return;
		/*
		 * The reader is mid-add or was preempted there.  Sleep rather
		 * than yield: a yielding waiter stays runnable, so once the
		 * reader gets the CPU it keeps it for a whole time slice
		 * (milliseconds) before we run again; a sleeping one is woken
		 * by its timer (tens of microseconds) and preempts it.
		 */
		if (spins < 100)
			cpu_gate_relax();
		else
			nanosleep(&nap, NULL);
	}
}

void cpu_gate_wait_readers(bool membarrier_done)
{
	if (cpu_gate_fenced)
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	else if (!membarrier_done &&
		 cpu_gate_membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED))
		/* Readers rely on it and no longer fence: nothing is safe. */
		diag_die("cpu_gate_sync", NULL, "membarrier failed after it worked");
	for (struct cpu_gate_block *b = __atomic_load_n(&blocks, __ATOMIC_ACQUIRE); b;
	     b = b->next)
		for (int i = 0; i < CPU_GATE_BLOCK; i++)
			cpu_gate_wait_reader(&b->reader[i]);
}
