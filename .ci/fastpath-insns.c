/* SPDX-License-Identifier: MIT */
/*
 * Driver for .ci/fastpath-insns.sh: calls pcpu_this_add() argv[1] times
 * and prints, on stderr, where each loaded object starts, so that the
 * instructions traced can be named from each object's objdump -d.
 */
#define _GNU_SOURCE
#include <link.h>
#include <pcpu.h>
#include <stdio.h>
#include <stdlib.h>

static int show_base(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	(void)data;
	/* The program itself has no name here. */
	fprintf(stderr, "base %#lx %s\n", (unsigned long)info->dlpi_addr,
		info->dlpi_name[0] ? info->dlpi_name : "program");
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;
	int64_t *p = pcpu_alloc(sizeof(*p), 0);

	if (!p)
		return 2;
	dl_iterate_phdr(show_base, NULL);
	/* The first call may set things up (a thread's slot): not counted. */
	pcpu_this_add(p, 1);
	for (long i = 0; i < n; i++)
		pcpu_this_add(p, 1);
	return pcpu_sum(p) == n + 1 ? 0 : 1;
}
