/* SPDX-License-Identifier: MIT */
/*
 * The runtime through a process's life: first calls from another library's
 * constructor and its threads (early_lib), threads that exist before their
 * first call, fork() with and without other threads inside the runtime,
 * fork()+exec() (the child inherits LD_PRELOAD), and exit while threads,
 * exit handlers and a later destructor (early_lib's) still update counters.
 */
#include <pcpu.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "early_lib.h"
#include "../utils/tap.h"

#define LATE_THREADS 4

/* ---- threads created before their first call */

static pthread_barrier_t late_barrier;
static struct percpu_counter *late_counter;
static int late_ok;

static void *late_thread(void *arg)
{
	int64_t *obj;
	int good;

	(void)arg;
	pthread_barrier_wait(&late_barrier);
	obj = pcpu_alloc(sizeof(*obj), 0);
	good = obj && pcpu_nr_cpus() == early_result.nr_cpus;
	for (int i = 0; good && i < 10000; i++) {
		percpu_counter_inc(late_counter);
		pcpu_this_add(obj, 1);
	}
	good = good && pcpu_sum(obj) == 10000;
	pcpu_free(obj);
	if (good)
		__atomic_fetch_add(&late_ok, 1, __ATOMIC_RELAXED);
	return NULL;
}

/* ---- fork */

/*
 * Status of the child that ran fn, or -1; a child that hangs is killed:
 * by its alarm(), or, where it hangs with the alarm's signal blocked (as
 * inside libunwind), by the parent after 30 s.
 */
static int in_child(int (*fn)(void *), void *arg)
{
	int status, waited = 0;
	pid_t pid = fork(), got;

	if (pid < 0)
		tap_bail("fork failed");
	if (pid == 0) {
		alarm(5);
		_exit(fn(arg));
	}
	while ((got = waitpid(pid, &status, WNOHANG)) == 0 && waited++ < 3000)
		usleep(10000);
	if (got == 0) {
		tap_diag("child %d hung with SIGALRM blocked: killed", (int)pid);
		kill(pid, SIGKILL);
		got = waitpid(pid, &status, 0);
	}
	if (got != pid)
		return -1;
	if (WIFSIGNALED(status))
		tap_diag("child killed by signal %d", WTERMSIG(status));
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

struct fork_state {
	struct percpu_counter counter;
	int64_t *obj;
};

static int child_uses_parent_objects(void *arg)
{
	struct fork_state *st = arg;
	int64_t *fresh[100];

	percpu_counter_add(&st->counter, 5);
	pcpu_this_add(st->obj, 5);
	if (percpu_counter_sum(&st->counter) != 15 || pcpu_sum(st->obj) != 12)
		return 1;
	for (int i = 0; i < 100; i++) {
		fresh[i] = pcpu_alloc(sizeof(int64_t), 0);
		if (!fresh[i])
			return 2;
		pcpu_this_add(fresh[i], i);
	}
	for (int i = 0; i < 100; i++) {
		if (pcpu_sum(fresh[i]) != i)
			return 3;
		pcpu_free(fresh[i]);
	}
	pcpu_free(st->obj);
	percpu_counter_destroy(&st->counter);
	return 0;
}

static int busy_stop;
static struct percpu_counter busy_counter;

/* Keeps the runtime's locks busy while the main thread forks. */
static void *busy_thread(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&busy_stop, __ATOMIC_RELAXED)) {
		void *p = pcpu_alloc(48, 0);
		struct percpu_counter c;

		percpu_counter_add(&busy_counter, 1);
		if (!percpu_counter_init(&c, 1))
			percpu_counter_destroy(&c);
		pcpu_free(p);
	}
	return NULL;
}

static int child_allocates(void *arg)
{
	struct percpu_counter c;

	(void)arg;
	for (int i = 0; i < 1000; i++) {
		void *p = pcpu_alloc(32, 0);

		if (!p)
			return 1;
		pcpu_free(p);
	}
	if (percpu_counter_init(&c, 0))
		return 2;
	percpu_counter_add(&busy_counter, 1);
	percpu_counter_destroy(&c);
	return 0;
}

/*
 * Every lock of the libraries must be held across fork(), or a child can
 * inherit one held for ever and hang (then alarm() kills it).  Returns the
 * number of children that failed.
 */
static int fork_while_busy(void)
{
	pthread_t busy[2];
	int failed = 0;

	if (percpu_counter_init(&busy_counter, 0))
		tap_bail("percpu_counter_init failed");
	for (int i = 0; i < 2; i++)
		if (pthread_create(&busy[i], NULL, busy_thread, NULL))
			tap_bail("pthread_create failed");
	for (int i = 0; i < 20 && !failed; i++)
		failed += in_child(child_allocates, NULL) != 0;
	__atomic_store_n(&busy_stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < 2; i++)
		pthread_join(busy[i], NULL);
	percpu_counter_destroy(&busy_counter);
	return failed;
}

/* ---- fork + exec */

static int exec_child(const char *parent_runtime)
{
	struct percpu_counter c;

	/* The runtime the parent had must serve the new program too. */
	if (strcmp(pcpu_runtime(), parent_runtime))
		return 1;
	if (percpu_counter_init(&c, 0))
		return 2;
	percpu_counter_add(&c, 7);
	return percpu_counter_sum(&c) == 7 ? 0 : 3;
}

static int child_execs(void *arg)
{
	char *argv[] = {"lifecycle", "--exec-child", arg, NULL};

	execv("/proc/self/exe", argv);
	return 4;
}

/* ---- exit */

static struct percpu_counter exit_counter;
static int64_t *exit_obj;

static void exit_handler(void)
{
	percpu_counter_add(&exit_counter, 1);
	pcpu_this_add(exit_obj, 1);
	pcpu_free(pcpu_alloc(16, 0));
}

static void *exit_thread(void *arg)
{
	(void)arg;
	for (;;) {
		percpu_counter_inc(&exit_counter);
		pcpu_this_add(exit_obj, 1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t late[LATE_THREADS], t;
	struct percpu_counter late_c;
	struct fork_state st;

	if (argc == 3 && !strcmp(argv[1], "--exec-child"))
		return exec_child(argv[2]);

	/* Before any call of main's. */
	pthread_barrier_init(&late_barrier, NULL, LATE_THREADS + 1);
	for (int i = 0; i < LATE_THREADS; i++)
		if (pthread_create(&late[i], NULL, late_thread, NULL))
			tap_bail("pthread_create failed");

	tap_start();

	/* early_lib's constructor ran first, from several threads. */
	is(strcmp(early_result.runtime, pcpu_runtime()), 0,
	   "a constructor before ours was served by the same runtime (%s)",
	   early_result.runtime);
	ok(early_result.alloc_ok, "pcpu_alloc() from that constructor succeeded");
	is(early_result.threads_ok, EARLY_THREADS,
	   "its %d threads racing into the runtime all passed", EARLY_THREADS);
	is(early_result.sum, EARLY_THREADS * EARLY_ADDS, "their shared counter is exact");
	is(pcpu_sum(early_obj), EARLY_THREADS * EARLY_ADDS,
	   "their per-CPU object is still live and exact");

	late_c = (struct percpu_counter){0};
	late_counter = &late_c;
	if (percpu_counter_init(late_counter, 0))
		tap_bail("percpu_counter_init failed");
	pthread_barrier_wait(&late_barrier);
	for (int i = 0; i < LATE_THREADS; i++)
		pthread_join(late[i], NULL);
	is(late_ok, LATE_THREADS, "threads created before their first call all passed");
	is(percpu_counter_sum(late_counter), LATE_THREADS * 10000,
	   "their shared counter is exact");
	percpu_counter_destroy(late_counter);

	/* fork */
	if (percpu_counter_init(&st.counter, 10) ||
	    !(st.obj = pcpu_alloc(sizeof(*st.obj), 0)))
		tap_bail("allocation failed");
	pcpu_this_add(st.obj, 7);
	is(in_child(child_uses_parent_objects, &st), 0,
	   "a forked child uses, allocates and frees per-CPU objects");
	is(percpu_counter_sum(&st.counter), 10, "the child's adds stay in the child");
	is(pcpu_sum(st.obj), 7, "the child's this-CPU adds stay in the child");
	pcpu_free(st.obj);
	percpu_counter_destroy(&st.counter);

	/* qemu-user (seen with 7.2) now and then hangs a child forked while
	 * other threads take stacks for PCPU_DEBUG=leaks; natively this
	 * passes every time, so only the emulated leak-mode run skips it. */
	if (tap_emulated() && getenv("PCPU_DEBUG"))
		tap_skip("qemu-user hangs forks of unwinding threads",
			 "children forked while threads allocate all work");
	else
		is(fork_while_busy(), 0,
		   "children forked while threads allocate all work");

	/* An emulated program cannot exec one of its own architecture. */
	if (getenv("PCPU_TEST_EMULATOR") && *getenv("PCPU_TEST_EMULATOR"))
		tap_skip("under an emulator", "fork+exec");
	else
		is(in_child(child_execs, (void *)pcpu_runtime()), 0,
		   "fork+exec: the new program is served by the same runtime");

	/* exit: an exit handler, a running thread and early_lib's destructor
	 * all still update counters after the runtime's destructor. */
	if (percpu_counter_init(&exit_counter, 0) ||
	    !(exit_obj = pcpu_alloc(sizeof(*exit_obj), 0)))
		tap_bail("allocation failed");
	atexit(exit_handler);
	if (pthread_create(&t, NULL, exit_thread, NULL))
		tap_bail("pthread_create failed");
	pthread_detach(t);
	return tap_done();
}
