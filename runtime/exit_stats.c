/* SPDX-License-Identifier: MIT */
#include "exit_stats.h"

#include <errno.h>
#include <fcntl.h>
#include <pcpu.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "diag.h"

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

void exit_stats_print(void)
{
	/* Large enough that a report usually leaves in one write, whole
	 * between other processes appending to the same file. */
	static char buf[1 << 16];
	char path[CONFIG_PATH_MAX + 32];
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
		fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0) {
			diag_warn("PCPU_STATS=%s: cannot open %s: %s; no statistics",
				  config.stats, path, strerror(errno));
			return;
		}
	}
	f = fd < 0 ? NULL : fdopen(fd, "a");
	if (!f) {
		if (fd >= 0)
			close(fd);
		return;
	}
	setvbuf(f, buf, _IOFBF, sizeof(buf));
	fprintf(f, "==%d== libpcpu statistics at exit of %s", (int)getpid(),
		program_invocation_short_name);
	/* Every process of a command run under pcpu-run inherits the
	 * runtime; those that never allocated get one line, not a page. */
	pcpu_stats(&st, sizeof(st));
	if (st.nr_alloc_total)
		err = fputc('\n', f) == EOF ? -EIO : pcpu_stats_print(f);
	else
		err = fputs(": no per-CPU allocations\n", f) == EOF ? -EIO : 0;
	if (fclose(f) || err)
		diag_warn("PCPU_STATS=%s: write error; statistics incomplete", config.stats);
}
