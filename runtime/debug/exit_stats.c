/* SPDX-License-Identifier: MIT */
#include "debug/exit_stats.h"

#include <errno.h>
#include <fcntl.h>
#include <pcpu.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena/arena.h"
#include "debug/config.h"
#include "diag.h"
#include "runtime.h"

/* config.stats with "%p" replaced by the process id; false if too long. */
static bool stats_path(char *buf, size_t size)
{
	const char *s = config.stats;
	size_t n = 0;

	while (*s) {
		int w;

		if (s[0] == '%' && s[1] == 'p') {
			w = snprintf(buf + n, size - n, "%d", (int)getpid());
			s += 2;
		} else {
			w = snprintf(buf + n, size - n, "%c", *s++);
		}
		if (w < 0 || (size_t)w >= size - n)
			return false;
		n += (size_t)w;
	}
	return n > 0;
}

/*
 * Open the statistics file for appending: a regular file only, never
 * through a symbolic link (the last component) and without blocking, so a
 * FIFO or a device named by mistake cannot hang the process at exit, nor a
 * link redirect the report.  -1 with a warning otherwise.
 */
static int stats_open(const char *path)
{
	struct stat st;
	int fd = open(path,
		      O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
		      0644);

	if (fd < 0) {
		diag_warn("PCPU_STATS=%s: cannot open %s: %s; no statistics",
			  config.stats, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		diag_warn("PCPU_STATS=%s: %s is not a regular file; no statistics",
			  config.stats, path);
		close(fd);
		return -1;
	}
	return fd;
}

/* The program's name as the report's first line shows it: argv[0] is the
 * caller's choice and may hold newlines or escape sequences. */
static void stats_name(char *buf, size_t size)
{
	size_t i;

	for (i = 0; i + 1 < size && program_invocation_short_name[i]; i++) {
		unsigned char ch = (unsigned char)program_invocation_short_name[i];

		buf[i] = ch < 0x20 || ch >= 0x7f ? '?' : (char)ch;
	}
	buf[i] = 0;
}

void exit_stats_print(void)
{
	/* Large enough that a report usually leaves in one write, whole
	 * between other processes appending to the same file. */
	static char buf[1 << 16];
	char path[CONFIG_PATH_MAX + 32], name[256];
	struct pcpu_stats st;
	FILE *f;
	int fd, err;

	if (!config.stats)
		return;
	if (!strcmp(config.stats, "stderr")) {
		fd = dup(STDERR_FILENO);
	} else if (!stats_path(path, sizeof(path))) {
		diag_warn("PCPU_STATS=%s: path too long; no statistics", config.stats);
		return;
	} else {
		fd = stats_open(path);
		if (fd < 0)
			return;
	}
	f = fd < 0 ? NULL : fdopen(fd, "a");
	if (!f) {
		if (fd >= 0)
			close(fd);
		return;
	}
	setvbuf(f, buf, _IOFBF, sizeof(buf));
	stats_name(name, sizeof(name));
	fprintf(f, "==%d== libpcpu statistics at exit of %s", (int)getpid(), name);
	/* Every process of a command run under pcpu-run inherits the
	 * runtime; those that never allocated get one line, not a page (and
	 * those that never called the API do not set it up for it). */
	if (__atomic_load_n(&runtime_ready, __ATOMIC_ACQUIRE))
		arena_stats(&st);
	else
		st.nr_alloc_total = 0;
	if (st.nr_alloc_total)
		err = fputc('\n', f) == EOF ? -EIO : runtime_stats_print(f);
	else
		err = fputs(": no per-CPU allocations\n", f) == EOF ? -EIO : 0;
	if (fclose(f) || err)
		diag_warn("PCPU_STATS=%s: write error; statistics incomplete",
			  config.stats);
}
