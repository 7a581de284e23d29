/* SPDX-License-Identifier: MIT */
/*
 * Thread life: 10,000 short-lived threads (8 at a time) update per-CPU
 * data; in local mode each claims a slot that must be reused after it
 * exits, so the unit count, the arena and the resident set stay flat.  Then
 * more threads than slots (PCPU_NR_SLOTS=3, in a re-executed copy of this
 * program) all update at once: the threads beyond the cap share a slot and
 * the sums stay exact.
 */
#include <pcpu.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../utils/cpu_test.h"
#include "../utils/tap.h"

#define NR_CHURN      10000
#define BATCH	      8
#define NR_OVERCAP    16
#define OVERCAP_SLOTS "3"

static int64_t *obj;
static pthread_barrier_t all_running;

static void *short_lived(void *arg)
{
	pcpu_this_add(obj, (int64_t)(uintptr_t)arg);
	return NULL;
}

static void churn(int from, int to)
{
	pthread_t t[BATCH];

	for (int i = from; i < to; i += BATCH) {
		for (int j = 0; j < BATCH; j++)
			if (pthread_create(&t[j], NULL, short_lived,
					   (void *)(uintptr_t)(i + j)))
				tap_bail("pthread_create failed");
		for (int j = 0; j < BATCH; j++)
			pthread_join(t[j], NULL);
	}
}

struct overcap {
	uint64_t rng;
	int64_t model;
};

static void *overcap_worker(void *arg)
{
	struct overcap *w = arg;

	/* Every thread holds its slot (or its share) while the others run. */
	pthread_barrier_wait(&all_running);
	for (int i = 0; i < 50000; i++) {
		int64_t v = (int64_t)(tap_rand(&w->rng) % 101) - 50;

		if (i & 1)
			pcpu_this_add(obj, v);
		else
			pcpu_this_add_return(obj, v);
		w->model += v;
	}
	pthread_barrier_wait(&all_running);
	return NULL;
}

/* The re-executed copy: exit 0 if the over-cap sums are exact. */
static int overcap_child(void)
{
	struct overcap w[NR_OVERCAP] = {0};
	int64_t want = 0;
	const char *mode = getenv("PCPU_MODE");

	if (mode && !strcmp(mode, "local") && pcpu_nr_cpus() != atoi(OVERCAP_SLOTS))
		return 2;
	obj = pcpu_alloc(8, 0);
	pthread_barrier_init(&all_running, NULL, NR_OVERCAP);
	for (int i = 0; i < NR_OVERCAP; i++)
		w[i].rng = (uint64_t)i + 1;
	ct_threads(NR_OVERCAP, overcap_worker, w, sizeof(w[0]));
	for (int i = 0; i < NR_OVERCAP; i++)
		want += w[i].model;
	return pcpu_sum(obj) == want ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct pcpu_stats before, after;
	int nr = 0, status = 0;
	int64_t want = 0;
	long rss_warm, rss_end;
	pid_t pid;

	if (argc > 1 && !strcmp(argv[1], "overcap"))
		return overcap_child();
	tap_start();
	nr = pcpu_nr_cpus();
	if (!(obj = pcpu_alloc(8, 0)))
		tap_bail("pcpu_alloc failed");
	churn(0, NR_CHURN / 10);
	rss_warm = ct_rss_kib();
	pcpu_stats(&before, sizeof(before));
	churn(NR_CHURN / 10, NR_CHURN);
	rss_end = ct_rss_kib();
	pcpu_stats(&after, sizeof(after));
	for (int i = 0; i < NR_CHURN; i++)
		want += i;

	is(pcpu_sum(obj), want, "%d short-lived threads: sum exact", NR_CHURN);
	is(pcpu_nr_cpus(), nr, "pcpu_nr_cpus() unchanged by thread churn");
	is(after.bytes_reserved, before.bytes_reserved,
	   "arena unchanged by thread churn");
	tap_diag("VmRSS %ld KiB after %d threads, %ld KiB after %d", rss_warm,
		 NR_CHURN / 10, rss_end, NR_CHURN);
	if (tap_emulated() || tap_heap_sanitized())
		tap_skip(tap_emulated()
			     ? "emulated: qemu-user keeps memory for every exited thread"
			     : "sanitizer: it keeps exited threads' stacks",
			 "resident set flat over %d more threads",
			 NR_CHURN - NR_CHURN / 10);
	else
		ok(rss_end - rss_warm < 2048,
		   "resident set flat over %d more threads (+%ld KiB)",
		   NR_CHURN - NR_CHURN / 10, rss_end - rss_warm);

	pid = fork();
	if (pid == 0) {
		setenv("PCPU_NR_SLOTS", OVERCAP_SLOTS, 1);
		tap_execv("/proc/self/exe", (char *[]){argv[0], "overcap", NULL});
		_exit(127);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "%d threads on %s slots: sums exact (exit status %d)", NR_OVERCAP,
	   OVERCAP_SLOTS, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return tap_done();
}
