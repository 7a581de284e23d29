/* SPDX-License-Identifier: MIT */
/*
 * Memory is committed lazily: with many possible CPUs, the units of CPUs
 * that never write an object must not cost resident memory, neither for
 * fresh objects nor for objects allocated over freed ones (which the
 * arena zeroes).  The runtime variants re-run this program with
 * PCPU_NR_CPUS=1024.
 */
#include <pcpu.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../utils/tap.h"

#define WANT_CPUS 1024
#define NR_OBJ	  20000
#define SIZE	  64

static void *obj[NR_OBJ];

static long rss_kib(void)
{
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f || fscanf(f, "%ld %ld", &pages, &resident) != 2)
		tap_bail("cannot read /proc/self/statm");
	fclose(f);
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Allocate every object and write the copies of CPUs 0 and 1 only. */
static bool fill_two_cpus(void)
{
	for (int i = 0; i < NR_OBJ; i++) {
		obj[i] = pcpu_alloc(SIZE, 0);
		if (!obj[i])
			return false;
		memset(pcpu_ptr(obj[i], 0), 0x5a, SIZE);
		memset(pcpu_ptr(obj[i], 1), 0xa5, SIZE);
	}
	return true;
}

static bool zero_copies(int cpu)
{
	for (int i = 0; i < NR_OBJ; i++) {
		const unsigned char *c = pcpu_ptr(obj[i], cpu);

		for (int k = 0; k < SIZE; k++)
			if (c[k])
				return false;
	}
	return true;
}

int main(int argc, char **argv)
{
	/* Two CPUs' worth of objects, twice over, plus slack for metadata, the
	 * allocator's own pages and an emulator's (qemu-user keeps some 80
	 * bytes per guest page mapped, about 26 MiB for these 1.3 GiB of
	 * reserved units): still a seventeenth of 1024 CPUs' worth. */
	long bound = 4 * 2 * (long)NR_OBJ * SIZE / 1024 + 65536;
	long base, grown;
	bool good;

	(void)argc;
	if (strcmp(tap_variant(), "api") && !getenv("PCPU_NR_CPUS")) {
		setenv("PCPU_NR_CPUS", "1024", 1);
		tap_execv("/proc/self/exe", argv);
		/* Returns only if the exec failed: go on with the CPU count
		 * in force, and skip below. */
	}
	tap_start();
	if (!strcmp(tap_variant(), "api")) {
		tap_skip("the portable library has no arena", "lazy commit");
		return tap_done();
	}
	if (pcpu_nr_cpus() != WANT_CPUS) {
		tap_skip("could not re-execute with PCPU_NR_CPUS", "lazy commit");
		return tap_done();
	}
	is(pcpu_nr_cpus(), WANT_CPUS, "PCPU_NR_CPUS=%d in force", WANT_CPUS);
	pcpu_free(pcpu_alloc(SIZE, 0));
	base = rss_kib();
	good = fill_two_cpus();
	grown = rss_kib() - base;
	ok(good, "%d objects of %d bytes, written on CPUs 0 and 1", NR_OBJ, SIZE);
	ok(grown < bound, "resident memory grew %ld KiB (< %ld; all CPUs would be %ld)",
	   grown, bound, (long)NR_OBJ * SIZE * WANT_CPUS / 1024);
	for (int i = 0; i < NR_OBJ; i++)
		pcpu_free(obj[i]);

	/* Over freed memory the arena must zero every copy; copies that read
	 * as zero must stay unwritten. */
	good = fill_two_cpus();
	grown = rss_kib() - base;
	ok(good, "the same again over the freed objects' memory");
	ok(grown < bound, "resident memory grew %ld KiB in all (< %ld)", grown, bound);
	for (int i = 0; i < NR_OBJ; i++) {
		memset(pcpu_ptr(obj[i], WANT_CPUS - 1), 0x77, SIZE);
		pcpu_free(obj[i]);
		obj[i] = pcpu_alloc(SIZE, 0);
	}
	ok(zero_copies(0) && zero_copies(1) && zero_copies(WANT_CPUS - 1) &&
	       zero_copies(WANT_CPUS / 2),
	   "written copies were zeroed on reuse, the others read zero");
	for (int i = 0; i < NR_OBJ; i++)
		pcpu_free(obj[i]);
	return tap_done();
}
