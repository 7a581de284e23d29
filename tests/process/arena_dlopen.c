/* SPDX-License-Identifier: MIT */
/*
 * dlopen() of libpcpu.so.  Its private jemalloc uses initial-exec TLS,
 * which a library loaded after start-up can only get from glibc's surplus
 * static TLS: without GLIBC_TUNABLES=glibc.rtld.optional_static_tls=<bytes>
 * dlopen must fail cleanly (an error, no crash), with it the library must
 * load and work, and the process's malloc must stay libc's either way.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../utils/tap.h"

#define TUNABLE "glibc.rtld.optional_static_tls=16384"

enum { PROBE_WORKS = 0, PROBE_BROKEN = 1, PROBE_NO_TLS = 2 };

static bool malloc_is_libc(void)
{
	Dl_info info = {0};

	return dladdr((void *)malloc, &info) && info.dli_fname &&
	       strstr(info.dli_fname, "libc.so");
}

/* Load the library and use it; the exit status says what happened. */
static int probe(const char *path)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	void *(*alloc)(size_t, size_t);
	void (*release)(void *);
	unsigned char *p;

	if (!h) {
		const char *err = dlerror();

		fprintf(stderr, "dlopen: %s\n", err ? err : "?");
		return err && strstr(err, "static TLS") && malloc_is_libc()
			   ? PROBE_NO_TLS
			   : PROBE_BROKEN;
	}
	alloc = (void *(*)(size_t, size_t))dlsym(h, "pcpu_alloc");
	release = (void (*)(void *))dlsym(h, "pcpu_free");
	if (!alloc || !release || !(p = alloc(64, 0)))
		return PROBE_BROKEN;
	for (int i = 0; i < 64; i++)
		if (p[i])
			return PROBE_BROKEN;
	release(p);
	return malloc_is_libc() ? PROBE_WORKS : PROBE_BROKEN;
}

static int run_probe(char *self, const char *path, const char *tunables)
{
	int status = -1;
	pid_t pid = fork();

	if (pid == 0) {
		if (tunables)
			setenv("GLIBC_TUNABLES", tunables, 1);
		else
			unsetenv("GLIBC_TUNABLES");
		tap_execv(self, (char *[]){self, "probe", (char *)path, NULL});
		_exit(PROBE_BROKEN);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int main(int argc, char **argv)
{
	const char *top = getenv("top_builddir");
	char path[4096];

	if (argc == 3 && !strcmp(argv[1], "probe"))
		return probe(argv[2]);
	if (tap_heap_sanitized()) {
		printf(
		    "1..0 # SKIP the sanitizer's runtime changes the static TLS block\n");
		return 0;
	}
	snprintf(path, sizeof(path), "%s/.libs/libpcpu.so", top ? top : ".");
	if (access(path, R_OK))
		tap_bail("no %s", path);
	is(run_probe(argv[0], path, NULL), PROBE_NO_TLS,
	   "without the tunable, dlopen fails with a static TLS error");
	is(run_probe(argv[0], path, TUNABLE), PROBE_WORKS,
	   "with GLIBC_TUNABLES=" TUNABLE ", it loads, allocates zeroed memory, frees");
	return tap_done();
}
