/* SPDX-License-Identifier: MIT */
/*
 * pcpu_stats and pcpu_stats_print: counts that follow allocations and
 * frees, the caller-sized struct, and the printer's errors.
 */
#include <errno.h>
#include <pcpu.h>
#include <stdlib.h>
#include <string.h>

#include "../utils/tap.h"

static struct pcpu_stats now(void)
{
	struct pcpu_stats st;

	memset(&st, 0xff, sizeof(st));
	if (pcpu_stats(&st, sizeof(st)))
		tap_bail("pcpu_stats failed");
	return st;
}

static void test_counts(void)
{
	enum { N = 10 };
	struct pcpu_stats before = now(), mid, after;
	void *p[N];
	uint64_t bytes = 0;
	bool got = true;

	is(before.nr_cpus, pcpu_nr_cpus(), "nr_cpus is pcpu_nr_cpus()");
	ok(before.nr_max_alloc >= before.nr_alloc, "peak >= live allocations");
	ok(before.nr_alloc_total - before.nr_free_total == before.nr_alloc,
	   "allocated - freed == live");
	for (int i = 0; i < N; i++) {
		size_t size = 40 + (size_t)i * 100;

		p[i] = pcpu_alloc(size, 0);
		got &= p[i] != NULL;
		bytes += size;
	}
	ok(got, "%d allocations of 40 to %d bytes", N, 40 + (N - 1) * 100);
	mid = now();
	is(mid.nr_alloc, before.nr_alloc + N, "nr_alloc counts %d more live", N);
	is(mid.nr_alloc_total, before.nr_alloc_total + N, "nr_alloc_total counts %d more",
	   N);
	is(mid.nr_free_total, before.nr_free_total, "nr_free_total unchanged");
	ok(mid.nr_max_alloc >= mid.nr_alloc, "peak >= live allocations");
	ok(mid.bytes_used >= before.bytes_used + bytes,
	   "bytes_used grew by at least the %llu bytes requested",
	   (unsigned long long)bytes);
	ok(mid.bytes_reserved >= mid.bytes_used * mid.nr_cpus,
	   "bytes_reserved covers every copy of the bytes used");
	ok(mid.min_alloc_size && mid.min_alloc_size <= 40, "min_alloc_size <= 40");
	ok(mid.max_alloc_size >= 40 + (N - 1) * 100,
	   "max_alloc_size >= the largest request");
	ok(mid.nr_max_chunks >= mid.nr_chunks, "peak chunks >= chunks held");
	ok(mid.nr_chunks >= 1 && mid.unit_size,
	   "a chunk of fixed units holds live objects");
	if (mid.unit_size && mid.nr_cpus > 1)
		is((char *)pcpu_ptr(p[0], 1) - (char *)pcpu_ptr(p[0], 0), mid.unit_size,
		   "copies are unit_size apart");
	else
		tap_skip("unit_size varies or one CPU", "copies are unit_size apart");

	for (int i = 0; i < N; i++)
		pcpu_free(p[i]);
	after = now();
	is(after.nr_alloc, before.nr_alloc, "nr_alloc back after the frees");
	is(after.nr_free_total, before.nr_free_total + N, "nr_free_total counts %d more",
	   N);
	is(after.nr_alloc_total, mid.nr_alloc_total, "frees allocate nothing");
	ok(after.nr_max_alloc >= before.nr_alloc + N, "the peak remembers %d more", N);
	is(after.bytes_used, before.bytes_used, "bytes_used back after the frees");
	pcpu_free(NULL);
	is(now().nr_free_total, after.nr_free_total, "pcpu_free(NULL) counts nothing");
	errno = 0;
	ok(!pcpu_alloc(0, 0) && now().nr_alloc_total == after.nr_alloc_total,
	   "a failed pcpu_alloc counts nothing");
}

static void test_sizes(void)
{
	struct pcpu_stats full = now();
	unsigned char small[sizeof(struct pcpu_stats)];
	unsigned char big[sizeof(struct pcpu_stats) + 64];

	is(pcpu_stats(NULL, sizeof(full)), -EINVAL, "pcpu_stats(NULL) is -EINVAL");
	is(pcpu_stats(&full, 0), -EINVAL, "pcpu_stats(st, 0) is -EINVAL");

	memset(small, 0xab, sizeof(small));
	is(pcpu_stats((struct pcpu_stats *)small, 8), 0, "pcpu_stats with size 8");
	ok(!memcmp(small, &full.nr_alloc, 8), "size 8 gets nr_alloc");
	ok(small[8] == 0xab && small[sizeof(small) - 1] == 0xab,
	   "size 8 writes nothing past 8 bytes");

	memset(small, 0xab, sizeof(small));
	is(pcpu_stats((struct pcpu_stats *)small, 13), 0, "pcpu_stats with size 13");
	ok(!memcmp(small, &full, 13) && small[13] == 0xab,
	   "size 13 gets exactly 13 bytes of the struct");

	memset(big, 0xab, sizeof(big));
	is(pcpu_stats((struct pcpu_stats *)big, sizeof(big)), 0,
	   "pcpu_stats with a larger size");
	ok(!memcmp(big, &full, sizeof(full)), "a larger size gets the whole struct");
	bool zero = true;
	for (size_t i = sizeof(full); i < sizeof(big); i++)
		zero &= big[i] == 0;
	ok(zero, "bytes past this version's struct are zeroed");
}

static void test_print(void)
{
	void *keep = pcpu_alloc(1000, 0);
	FILE *f = tmpfile();
	char text[8192];
	size_t len;
	struct pcpu_stats st = now();

	if (!ok(f && keep, "a temporary file and a live object"))
		return;
	is(pcpu_stats_print(f), 0, "pcpu_stats_print to a file");
	rewind(f);
	len = fread(text, 1, sizeof(text) - 1, f);
	text[len] = '\0';
	fclose(f);
	ok(len > 0 && text[len - 1] == '\n', "it printed whole lines");
	tap_diag("pcpu_stats_print wrote %zu bytes", len);
	ok(strstr(text, tap_fmt(" %llu ", (unsigned long long)st.nr_alloc_total)) &&
	       strstr(text, tap_fmt(" %llu ", (unsigned long long)st.bytes_used)),
	   "the printout shows pcpu_stats' counts (%llu allocations, %llu bytes)",
	   (unsigned long long)st.nr_alloc_total, (unsigned long long)st.bytes_used);

	is(pcpu_stats_print(NULL), -EINVAL, "pcpu_stats_print(NULL) is -EINVAL");
	f = fopen("/dev/full", "w");
	if (f) {
		setvbuf(f, NULL, _IONBF, 0);
		is(pcpu_stats_print(f), -EIO, "pcpu_stats_print to /dev/full is -EIO");
		fclose(f);
	} else {
		tap_skip("no /dev/full", "pcpu_stats_print write error");
	}
	pcpu_free(keep);
}

int main(void)
{
	tap_start();
	test_counts();
	test_sizes();
	test_print();
	return tap_done();
}
