/* SPDX-License-Identifier: MIT */
/*
 * probe - a small program the shell tests run under various environments:
 *   probe runtime   print pcpu_runtime(), pcpu_nr_cpus(), the pid and the
 *                   effective user id
 *   probe leak      leak four per-CPU objects from two call sites
 *   probe clean     allocate and free, leaking nothing
 *   probe nomem     print setup=ok if the runtime sets up (pcpu_stats()
 *                   works), else check that every call with an error path
 *                   reports ENOMEM and print
 *                   setup=failed (run under a tight ulimit -v)
 *   probe objects   leak a percpu_counter and a percpu_ref, and print how
 *                   many per-CPU objects each init allocated
 */
#include <errno.h>
#include <pcpu.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *keep[8];
/* volatile: one call site, not a loop the compiler unrolls into three. */
static volatile int nr_routes = 3;

/* noinline and a use of the result: the frame must stay in the stack. */
__attribute__((noinline)) static int64_t *make_route_stats(void)
{
	int64_t *p = pcpu_alloc(4 * sizeof(int64_t), 0);

	if (!p)
		abort();
	return p;
}

__attribute__((noinline)) static void *make_cache_slot(void)
{
	void *p = pcpu_alloc(128, 64);

	if (!p)
		abort();
	return p;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "runtime";

	if (!strcmp(cmd, "runtime")) {
		printf("%s\ncpus=%d\npid=%d\neuid=%d\n", pcpu_runtime(), pcpu_nr_cpus(),
		       (int)getpid(), (int)geteuid());
		return 0;
	}
	if (!strcmp(cmd, "leak") || !strcmp(cmd, "clean")) {
		for (int i = 0; i < nr_routes; i++)
			keep[i] = make_route_stats();
		keep[3] = make_cache_slot();
		pcpu_free(pcpu_alloc(8, 0));
		if (!strcmp(cmd, "clean"))
			for (int i = 0; i < 4; i++)
				pcpu_free(keep[i]);
		puts("done");
		return 0;
	}
	if (!strcmp(cmd, "nomem")) {
		static struct percpu_counter c;
		static struct percpu_counter_tree t;
		static struct percpu_ref r;
		struct pcpu_stats st;

		if (!pcpu_stats(&st, sizeof(st))) {
			puts("setup=ok");
			return 0;
		}
		if (pcpu_alloc(8, 0) || errno != ENOMEM ||
		    percpu_counter_init(&c, 0) != -ENOMEM ||
		    percpu_counter_tree_init(&t, 32) != -ENOMEM ||
		    percpu_ref_init(&r, NULL, 0) != -ENOMEM ||
		    pcpu_stats(&st, sizeof(st)) != -ENOMEM ||
		    pcpu_stats_print(stdout) != -ENOMEM)
			return 1;
		puts("setup=failed");
		return 0;
	}
	if (!strcmp(cmd, "objects")) {
		static struct percpu_counter c;
		static struct percpu_ref r;
		struct pcpu_stats st[3];

		pcpu_stats(&st[0], sizeof(st[0]));
		if (percpu_counter_init(&c, 0))
			abort();
		pcpu_stats(&st[1], sizeof(st[1]));
		if (percpu_ref_init(&r, NULL, 0))
			abort();
		pcpu_stats(&st[2], sizeof(st[2]));
		printf("counter_allocs=%llu\nref_allocs=%llu\n",
		       (unsigned long long)(st[1].nr_alloc - st[0].nr_alloc),
		       (unsigned long long)(st[2].nr_alloc - st[1].nr_alloc));
		return 0;
	}
	fprintf(stderr, "usage: probe runtime|leak|clean|nomem|objects\n");
	return 2;
}
