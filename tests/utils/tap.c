/* SPDX-License-Identifier: MIT */
#include "tap.h"

#include <limits.h>
#include <pcpu.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int tap_count, tap_failed;

bool tap_heap_sanitized(void)
{
	const char *s = getenv("PCPU_TEST_SANITIZER");

	return s && (!strcmp(s, "address") || !strcmp(s, "thread"));
}

const char *tap_variant(void)
{
	const char *v = getenv("PCPU_TEST_EXPECT");

	return v && *v ? v : "api";
}

void tap_start(void)
{
	const char *want = tap_variant(), *rt = pcpu_runtime();
	char mode[32];

	setvbuf(stdout, NULL, _IONBF, 0);
	tap_diag("runtime: %s", rt);
	if (!strcmp(want, "api")) {
		if (strncmp(rt, "libpcpu-api ", 12))
			tap_bail("expected the portable library, got %s", rt);
		return;
	}
	snprintf(mode, sizeof(mode), "mode=%s,", want);
	if (strncmp(rt, "libpcpu ", 8) || !strstr(rt, mode))
		tap_bail("expected libpcpu.so in %s mode, got %s", want, rt);
}

int tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

static bool tap_vreport(bool cond, const char *fmt, va_list ap)
{
	printf("%s %d - ", cond ? "ok" : "not ok", ++tap_count);
	vprintf(fmt, ap);
	putchar('\n');
	if (!cond)
		tap_failed++;
	return cond;
}

bool tap_ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vreport(cond, fmt, ap);
	va_end(ap);
	return cond;
}

bool tap_is_i64(int64_t got, int64_t want, const char *fmt, ...)
{
	va_list ap;
	bool cond = got == want;

	va_start(ap, fmt);
	tap_vreport(cond, fmt, ap);
	va_end(ap);
	if (!cond)
		tap_diag("  got %lld, want %lld", (long long)got, (long long)want);
	return cond;
}

void tap_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

void tap_skip(const char *why, const char *fmt, ...)
{
	va_list ap;

	printf("ok %d - ", ++tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" # SKIP %s\n", why);
}

void tap_bail(const char *fmt, ...)
{
	va_list ap;

	fputs("Bail out! ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	exit(1);
}

/* Whether the pieces of pattern between '*'s occur in text in order. */
static bool tap_match(const char *text, const char *pattern)
{
	while (*pattern) {
		size_t len = strcspn(pattern, "*");
		char piece[256];

		if (len >= sizeof(piece))
			tap_bail("tap_aborts pattern too long");
		memcpy(piece, pattern, len);
		piece[len] = '\0';
		text = strstr(text, piece);
		if (!text)
			return false;
		text += len;
		pattern += len;
		if (*pattern == '*')
			pattern++;
	}
	return true;
}

bool tap_aborts(void (*fn)(void *), void *arg, const char *want, const char *fmt, ...)
{
	char err[4096];
	size_t len = 0;
	int pipefd[2], status = 0;
	pid_t pid;
	va_list ap;

	if (pipe(pipefd))
		tap_bail("pipe failed");
	pid = fork();
	if (pid < 0)
		tap_bail("fork failed");
	if (pid == 0) {
		/* No core dumps for expected aborts. */
		signal(SIGABRT, SIG_DFL);
		close(pipefd[0]);
		dup2(pipefd[1], STDERR_FILENO);
		fn(arg);
		_exit(0);
	}
	close(pipefd[1]);
	for (ssize_t n; len < sizeof(err) - 1 &&
			(n = read(pipefd[0], err + len, sizeof(err) - 1 - len)) > 0;)
		len += (size_t)n;
	err[len] = '\0';
	close(pipefd[0]);
	waitpid(pid, &status, 0);

	bool aborted = WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
	bool said = tap_match(err, want);

	va_start(ap, fmt);
	tap_vreport(aborted && said, fmt, ap);
	va_end(ap);
	if (!aborted || !said)
		tap_diag("  child %s; stderr: %s", aborted ? "aborted" : "did not abort",
			 len ? err : "(empty)");
	return aborted && said;
}

bool tap_emulated(void)
{
	const char *v = getenv("PCPU_TEST_EMULATOR");

	return v && *v;
}

int tap_execv(const char *path, char *const argv[])
{
	const char *emu = getenv("PCPU_TEST_EMULATOR");
	char real[PATH_MAX], *words, **args;
	size_t n = 0, nargs = 0;

	if (!emu || !*emu)
		return execv(path, argv);
	/* The emulator answers /proc/self/exe with the emulated program. */
	if (!realpath(path, real))
		return -1;
	while (argv[nargs])
		nargs++;
	words = strdup(emu);
	/* emulator words, "-0 argv[0]", the program, argv[1...], NULL */
	args = calloc(strlen(emu) / 2 + 1 + 3 + nargs + 1, sizeof(*args));
	if (!words || !args)
		return -1;
	for (char *w = strtok(words, " \t"); w; w = strtok(NULL, " \t"))
		args[n++] = w;
	if (nargs) {
		args[n++] = "-0";
		args[n++] = argv[0];
	}
	args[n++] = real;
	for (size_t i = 1; i < nargs; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	execvp(args[0], args);
	free(args);
	free(words);
	return -1;
}

double tap_seconds(double dflt)
{
	const char *v = getenv("PCPU_TEST_SECONDS");
	double s = v ? atof(v) : 0;

	return s > 0 ? s : dflt;
}

double tap_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

uint64_t tap_rand(uint64_t *state)
{
	uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ull;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dull;
}

const char *tap_fmt(const char *fmt, ...)
{
	static char bufs[4][256];
	static unsigned next;
	char *buf = bufs[next++ % 4];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(bufs[0]), fmt, ap);
	va_end(ap);
	return buf;
}
