/* SPDX-License-Identifier: MIT */
#include "cpus.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

/* Parse a kernel cpu list ("0-3,8,10-11") and return its highest entry + 1,
 * or 0 if the text is not a cpu list. */
static int cpulist_span(const char *s)
{
	long highest = -1;

	while (*s && *s != '\n') {
		char *end;
		long lo = strtol(s, &end, 10), hi = lo;

		if (end == s || lo < 0)
			return 0;
		if (*end == '-') {
			s = end + 1;
			hi = strtol(s, &end, 10);
			if (end == s || hi < lo)
				return 0;
		}
		if (hi > highest)
			highest = hi;
		s = end;
		if (*s == ',')
			s++;
		else if (*s && *s != '\n')
			return 0;
	}
	return highest >= 0 && highest < 1 << 20 ? (int)highest + 1 : 0;
}

int cpus_possible(void)
{
	char buf[4096];
	int n = 0;
	int fd = open("/sys/devices/system/cpu/possible", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		ssize_t len = read(fd, buf, sizeof(buf) - 1);

		close(fd);
		if (len > 0) {
			buf[len] = '\0';
			n = cpulist_span(buf);
		}
	}
	if (n <= 0) {
		long conf = sysconf(_SC_NPROCESSORS_CONF);

		n = conf > 0 ? (int)conf : 1;
	}
	return n;
}
