/* SPDX-License-Identifier: MIT */
/*
 * Signal handlers that update the copy the interrupted thread is updating:
 * a thread adds 1 in a loop (moving between CPUs) while another thread
 * keeps sending it signals whose handler adds 2^20 with pcpu_this_add() and
 * 1 with pcpu_this_add_return() to the same object.  Nothing may be lost.
 * The first thread's first per-CPU access happens inside a handler, so a
 * slot claim (local mode) also runs there.
 */
#include <pcpu.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>

#include "../utils/cpu_test.h"
#include "../utils/tap.h"

#define HANDLER_ADD (INT64_C(1) << 20)

static int64_t *obj;
static int handled; /* lock-free atomics: safe in the handler */
static int running = 1;
static int64_t loop_adds;

static void on_signal(int sig)
{
	(void)sig;
	pcpu_this_add(obj, HANDLER_ADD);
	pcpu_this_add_return(obj, 1);
	__atomic_fetch_add(&handled, 1, __ATOMIC_RELAXED);
}

static void *adder(void *arg)
{
	uint64_t rng = 99;

	(void)arg;
	/* Wait for the first signal, so its handler touches per-CPU data first. */
	while (!__atomic_load_n(&handled, __ATOMIC_RELAXED))
		;
	while (__atomic_load_n(&running, __ATOMIC_RELAXED)) {
		/* add_return is several instructions in rseq mode: a signal
		 * landing inside must restart it. */
		for (int i = 0; i < 512; i++) {
			pcpu_this_add(obj, 1);
			pcpu_this_add_return(obj, 1);
		}
		loop_adds += 1024;
		ct_hop(&rng);
	}
	return NULL;
}

int main(void)
{
	struct sigaction sa;
	pthread_t t;
	double stop;
	long sent = 0;

	tap_start();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	if (!(obj = pcpu_alloc(sizeof(*obj), 0)))
		tap_bail("pcpu_alloc failed");

	pthread_create(&t, NULL, adder, NULL);
	stop = tap_now() + tap_seconds(0.5);
	while (tap_now() < stop || !__atomic_load_n(&handled, __ATOMIC_RELAXED)) {
		pthread_kill(t, SIGUSR1);
		sent++;
		for (volatile int spin = 0; spin < (int)(sent % 2000); spin++)
			;
	}
	__atomic_store_n(&running, 0, __ATOMIC_RELAXED);
	pthread_join(t, NULL);

	int nr_handled = __atomic_load_n(&handled, __ATOMIC_RELAXED);

	tap_diag("%ld signals sent, %d handled, %lld loop adds", sent, nr_handled,
		 (long long)loop_adds);
	is(pcpu_sum(obj), loop_adds + (int64_t)nr_handled * (HANDLER_ADD + 1),
	   "no update lost between the thread and its handlers");
	pcpu_free(obj);
	return tap_done();
}
