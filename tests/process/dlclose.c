/* SPDX-License-Identifier: MIT */
/*
 * dlclose() of a dlopen()ed libpcpu.so (issue 15, item 3).  Threads leave
 * state that points into the library behind them: the rseq area's rseq_cs
 * (read by the kernel at the thread's next preemption), the pthread key
 * whose destructor runs at thread exit.  So the library is never unloaded
 * (-z nodelete): in every mode, use it from threads, dlclose it, let the
 * threads exit and the main thread be preempted, and the process must
 * still be fine.
 */
#include <dlfcn.h>
#include <pcpu.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../utils/tap.h"

#define TUNABLE	   "glibc.rtld.optional_static_tls=16384"
#define NR_THREADS 4

static struct {
	int (*counter_init)(struct percpu_counter *, int64_t);
	void (*counter_add)(struct percpu_counter *, int64_t);
	int64_t (*counter_sum)(struct percpu_counter *);
	void (*counter_destroy)(struct percpu_counter *);
	int (*ref_init)(struct percpu_ref *, percpu_ref_func_t *, unsigned);
	void (*ref_get)(struct percpu_ref *);
	void (*ref_put)(struct percpu_ref *);
	void (*ref_kill)(struct percpu_ref *);
	void (*ref_exit)(struct percpu_ref *);
} lib;
static struct percpu_counter counter;
static struct percpu_ref ref;
static pthread_barrier_t used, closed;

static void use(void)
{
	for (int i = 0; i < 10000; i++) {
		lib.counter_add(&counter, 1);
		lib.ref_get(&ref);
		lib.ref_put(&ref);
	}
}

static void *worker(void *arg)
{
	(void)arg;
	use();
	pthread_barrier_wait(&used);
	pthread_barrier_wait(&closed);
	return NULL;
}

#define RESOLVE(h, field, name) (*(void **)&lib.field = dlsym(h, name))

/* In the child: load, use, close, let the threads exit; 0 if all went well. */
static int use_and_close(const char *path)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	pthread_t t[NR_THREADS];
	double end;

	if (!h) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 2;
	}
	if (!RESOLVE(h, counter_init, "percpu_counter_init") ||
	    !RESOLVE(h, counter_add, "percpu_counter_add") ||
	    !RESOLVE(h, counter_sum, "percpu_counter_sum") ||
	    !RESOLVE(h, counter_destroy, "percpu_counter_destroy") ||
	    !RESOLVE(h, ref_init, "percpu_ref_init") ||
	    !RESOLVE(h, ref_get, "percpu_ref_get") ||
	    !RESOLVE(h, ref_put, "percpu_ref_put") ||
	    !RESOLVE(h, ref_kill, "percpu_ref_kill") ||
	    !RESOLVE(h, ref_exit, "percpu_ref_exit"))
		return 3;
	if (lib.counter_init(&counter, 0) || lib.ref_init(&ref, NULL, 0))
		return 4;
	pthread_barrier_init(&used, NULL, NR_THREADS + 1);
	pthread_barrier_init(&closed, NULL, NR_THREADS + 1);
	for (int i = 0; i < NR_THREADS; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	use();
	pthread_barrier_wait(&used);
	if (lib.counter_sum(&counter) != (NR_THREADS + 1) * 10000)
		return 5;
	lib.counter_destroy(&counter);
	lib.ref_kill(&ref);
	lib.ref_exit(&ref);
	dlclose(h);
	pthread_barrier_wait(&closed);
	for (int i = 0; i < NR_THREADS; i++)
		pthread_join(t[i], NULL);
	/* Be preempted a few times: the kernel reads rseq_cs then. */
	for (end = tap_now() + 0.1; tap_now() < end;)
		sched_yield();
	return 0;
}

static int run(char *self, const char *path, const char *mode, const char *tunables)
{
	int status = -1;
	pid_t pid = fork();

	if (pid == 0) {
		setenv("GLIBC_TUNABLES", tunables, 1);
		setenv("PCPU_MODE", mode, 1);
		tap_execv(self, (char *[]){self, "use", (char *)path, NULL});
		_exit(127);
	}
	waitpid(pid, &status, 0);
	if (WIFSIGNALED(status))
		tap_diag("killed by signal %d", WTERMSIG(status));
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int main(int argc, char **argv)
{
	const char *top = getenv("top_builddir");
	char path[4096];

	if (argc == 3 && !strcmp(argv[1], "use"))
		return use_and_close(argv[2]);
	snprintf(path, sizeof(path), "%s/.libs/libpcpu.so", top ? top : ".");
	if (access(path, R_OK))
		tap_bail("no %s", path);
	is(run(argv[0], path, "rseq", TUNABLE), 0, "rseq: threads exit after dlclose");
	is(run(argv[0], path, "atomic", TUNABLE), 0,
	   "atomic: threads exit after dlclose");
	is(run(argv[0], path, "local", TUNABLE), 0, "local: threads exit after dlclose");
	is(run(argv[0], path, "local", TUNABLE ":glibc.pthread.rseq=0"), 0,
	   "local without rseq: threads exit after dlclose");
	return tap_done();
}
