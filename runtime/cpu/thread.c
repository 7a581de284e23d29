/* SPDX-License-Identifier: MIT */
/*
 * thread - the thread-exit key and the fork-child handler (see thread.h).
 */
#include "cpu/thread.h"

#include <pthread.h>

static pthread_key_t cpu_thread_key;
static void (*cpu_thread_on_exit)(void);

static void cpu_thread_exit(void *unused)
{
	(void)unused;
	cpu_thread_on_exit();
}

void cpu_thread_track(void)
{
	pthread_setspecific(cpu_thread_key, (void *)1);
}

int cpu_thread_init(void (*on_exit)(void), void (*on_fork_child)(void))
{
	int err;

	cpu_thread_on_exit = on_exit;
	err = pthread_key_create(&cpu_thread_key, cpu_thread_exit);
	if (err)
		return -err;
	return -pthread_atfork(NULL, NULL, on_fork_child);
}
