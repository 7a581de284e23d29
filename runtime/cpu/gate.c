/* SPDX-License-Identifier: MIT */
/*
 * gate - reader records and the wait of cpu_gate_wait() (see gate.h for
 * the protocol).
 *
 * Records come in blocks of CPU_GATE_BLOCK, mapped on demand and pushed on
 * a list that only grows; a thread claims a free record with a
 * compare-and-swap on in_use.  Claims run with signals blocked, so a
 * handler of the same thread cannot claim a second record half-way.
 *
 * A claim cannot fail: a gated add has no error path.  When no block can
 * be mapped (out of address space), the thread's record is its spare, in
 * its own TLS, which lives exactly as long as the thread.  Since a spare
 * goes away with its thread, spares are on a list of their own, which
 * claims, thread exits and the wait take spares_lock to walk or change (a
 * spin lock: in a fork child it is a word to reset).  Whoever holds it has
 * signals blocked, so a handler cannot claim a spare under its own lock.
 */
#include "cpu/gate.h"

#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cpu/rseq_area.h"
#include "cpu/thread.h"
#include "diag.h"

#define CPU_GATE_BLOCK 63

struct cpu_gate_block {
	struct cpu_gate_reader reader[CPU_GATE_BLOCK];
	struct cpu_gate_block *next;
};

bool cpu_gate_fenced;

static struct cpu_gate_block *blocks;

struct cpu_gate_spare {
	struct cpu_gate_reader reader;
	struct cpu_gate_spare *next;
};

static __thread struct cpu_gate_spare cpu_gate_spare
    __attribute__((tls_model("initial-exec")));
static struct cpu_gate_spare *spares;
static int spares_lock;

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

/* Signals must be blocked. */
static void spares_acquire(void)
{
	while (__atomic_exchange_n(&spares_lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&spares_lock, __ATOMIC_RELAXED))
			sched_yield();
}

static void spares_release(void)
{
	__atomic_store_n(&spares_lock, 0, __ATOMIC_RELEASE);
}

/* spares_acquire() from any context: blocks signals, *old for unlock. */
static void spares_lock_out(sigset_t *old)
{
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, old);
	spares_acquire();
}

static void spares_unlock(const sigset_t *old)
{
	spares_release();
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

/* The calling thread's spare, listed (signals blocked). */
static struct cpu_gate_reader *cpu_gate_take_spare(void)
{
	struct cpu_gate_spare *s = &cpu_gate_spare;

	spares_acquire();
	s->next = spares;
	__atomic_store_n(&spares, s, __ATOMIC_RELEASE);
	spares_release();
	return &s->reader;
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
		return cpu_gate_take_spare();
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
	if (!cpu_gate_mine()) {
		cpu_gate_set_mine(cpu_gate_take());
		cpu_thread_track();
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return cpu_gate_mine();
}

void cpu_gate_thread_exit(void)
{
	struct cpu_gate_reader *r = cpu_gate_mine();
	struct cpu_gate_spare **pp;
	sigset_t old;

	if (r == &cpu_gate_spare.reader) {
		spares_lock_out(&old);
		for (pp = &spares; *pp != &cpu_gate_spare; pp = &(*pp)->next)
			;
		*pp = cpu_gate_spare.next;
		cpu_gate_set_mine(NULL);
		spares_unlock(&old);
	} else if (r) {
		cpu_gate_set_mine(NULL);
		__atomic_store_n(&r->in_use, 0, __ATOMIC_RELEASE);
	}
}

void cpu_gate_atfork_child(void)
{
	for (struct cpu_gate_block *b = blocks; b; b = b->next)
		for (int i = 0; i < CPU_GATE_BLOCK; i++) {
			struct cpu_gate_reader *r = &b->reader[i];

			if (r != cpu_gate_mine()) {
				r->ctr = 0;
				r->in_use = 0;
			}
		}
	/* The other threads' spares are gone with them. */
	spares_lock = 0;
	spares = NULL;
	if (cpu_gate_mine() == &cpu_gate_spare.reader) {
		cpu_gate_spare.next = NULL;
		spares = &cpu_gate_spare;
	}
	if (!cpu_gate_fenced) {
		cpu_gate_register();
		/* Alone in the child: no inline reader runs meanwhile. */
		if (cpu_gate_fenced)
			__atomic_fetch_or(&pcpu_abi_process.flags, PCPU_ABI_GATE_FENCE,
					  __ATOMIC_RELAXED);
	}
}

int cpu_gate_readers_in_use(void)
{
	int n = 0;
	sigset_t old;

	for (struct cpu_gate_block *b = __atomic_load_n(&blocks, __ATOMIC_ACQUIRE); b;
	     b = b->next)
		for (int i = 0; i < CPU_GATE_BLOCK; i++)
			n += __atomic_load_n(&b->reader[i].in_use, __ATOMIC_RELAXED);
	spares_lock_out(&old);
	for (struct cpu_gate_spare *s = spares; s; s = s->next)
		n++;
	spares_unlock(&old);
	return n;
}

/* Wait until r is outside any gated add, or has left the one it was in. */
static void cpu_gate_wait_reader(struct cpu_gate_reader *r)
{
	static const struct timespec nap = {0, 1000};
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
			pcpu_arch_relax();
		else
			nanosleep(&nap, NULL);
	}
}

void cpu_gate_wait(unsigned how)
{
	struct cpu_gate_reader *self = how & CPU_GATE_NOT_SELF ? cpu_gate_mine() : NULL;

	if (how & CPU_GATE_SEQUENCES)
		cpu_rseq_fence();
	if (cpu_gate_fenced)
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	else if (!(how & CPU_GATE_SEQUENCES) &&
		 cpu_gate_membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED))
		/* Readers rely on it and no longer fence: nothing is safe. */
		diag_die("cpu_gate_wait", NULL, "membarrier failed after it worked");
	for (struct cpu_gate_block *b = __atomic_load_n(&blocks, __ATOMIC_ACQUIRE); b;
	     b = b->next)
		for (int i = 0; i < CPU_GATE_BLOCK; i++)
			if (&b->reader[i] != self)
				cpu_gate_wait_reader(&b->reader[i]);
	if (__atomic_load_n(&spares, __ATOMIC_ACQUIRE)) {
		sigset_t old;

		spares_lock_out(&old);
		for (struct cpu_gate_spare *s = spares; s; s = s->next)
			if (&s->reader != self)
				cpu_gate_wait_reader(&s->reader);
		spares_unlock(&old);
	}
}
