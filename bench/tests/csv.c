/* SPDX-License-Identifier: MIT */
/* pcpu-bench's CSV writer (bench/report.c): field quoting, one line per
 * record, the exact CSV of a known report, and report_find's keys.  What
 * the scripts make of that CSV is bench/tests/report.sh's. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "tap.h"

static void same_text(char *got, const char *want, const char *what)
{
	bool same = !strcmp(got, want);

	ok(same, "%s", what);
	if (!same)
		tap_diag("got:\n%s\nwant:\n%s", got, want);
	free(got);
}

static char *field(const char *s)
{
	char *buf;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	report_csv_field(f, s);
	fclose(f);
	return buf;
}

static char *written(const struct report *rep)
{
	char *buf;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	if (report_write_csv(rep, f))
		tap_diag("report_write_csv failed");
	fclose(f);
	return buf;
}

static const struct result known[] = {
    {.section = "scale",
     .workload = "counter add",
     .impl = "shared-atomic",
     .mode = "rseq",
     .unit = "ns/op",
     .threads = 1,
     .s = {6, 5.5, 7.25, 5, {0}},
     .ratio = NAN,
     .scaling = NAN},
    {.section = "scale",
     .workload = "percpu_counter_add",
     .impl = "libpcpu",
     .mode = "rseq",
     .param = "4B \"x\", y",
     .unit = "ns/op",
     .threads = 2,
     .s = {1.5, 1, 2, 5, {0}},
     .baseline = "counter add/shared-atomic",
     .ratio = 4,
     .scaling = 1.15},
    /* stopped at its limit: reps 0, a lower bound, no min or max */
    {.section = "alloc",
     .workload = "alloc",
     .impl = "first-fit",
     .mode = "rseq",
     .param = "4B align 8\nin-order",
     .unit = "ms",
     .s = {5033.25, NAN, NAN, 0, {0}},
     .ratio = NAN,
     .scaling = NAN},
};

static const char want_csv[] =
    "# machine: Test CPU, 2 online CPUs\n"
    "# runtime: libpcpu 0.1.0 (mode=rseq, cpus=2)\n"
    "# command: pcpu-bench --section \"a,b\" two lines\n"
    "# date: 2026-12-02T01:02:03Z\n"
    "section,workload,impl,mode,threads,param,unit,median,min,max,reps,baseline,ratio,"
    "scaling\n"
    "scale,counter add,shared-atomic,rseq,1,,ns/op,6,5.5,7.25,5,,,\n"
    "scale,percpu_counter_add,libpcpu,rseq,2,\"4B \"\"x\"\", y\",ns/op,1.5,1,2,5,"
    "counter add/shared-atomic,4,1.15\n"
    "alloc,alloc,first-fit,rseq,0,4B align 8 in-order,ms,5033.25,,,0,,,\n";

int main(void)
{
	struct report rep = {0};

	tap_start();
	same_text(field("plain text"), "plain text", "a plain field is written as is");
	same_text(field("a,b"), "\"a,b\"", "a comma quotes");
	same_text(field("say \"hi\""), "\"say \"\"hi\"\"\"",
		  "quotes are doubled inside quotes");
	same_text(field("two\nlines\r"), "two lines ",
		  "a newline is a space: one line a record");
	same_text(field("a,\"\nb"), "\"a,\"\" b\"", "also inside quotes");
	same_text(field(""), "", "an empty field is empty");

	snprintf(rep.machine, sizeof(rep.machine), "Test CPU, 2 online CPUs");
	snprintf(rep.runtime, sizeof(rep.runtime), "libpcpu 0.1.0 (mode=rseq, cpus=2)");
	snprintf(rep.command, sizeof(rep.command),
		 "pcpu-bench --section \"a,b\" two\nlines");
	snprintf(rep.date, sizeof(rep.date), "2026-12-02T01:02:03Z");
	for (unsigned i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		ok(report_add(&rep, &known[i]) == &rep.r[i],
		   "report_add stores result %u", i);
	same_text(
	    written(&rep), want_csv,
	    "exact CSV: header lines, quoting, empty ratio and scaling, a stopped run");

	ok(report_find(&rep, "scale", NULL, "libpcpu", "rseq", NULL, -1) == &rep.r[1] &&
	       report_find(&rep, NULL, NULL, NULL, NULL, NULL, 1) == &rep.r[0] &&
	       report_find(&rep, "alloc", "alloc", NULL, NULL, NULL, 0) == &rep.r[2] &&
	       !report_find(&rep, "scale", NULL, NULL, NULL, NULL, 3) &&
	       !report_find(&rep, "memory", NULL, NULL, NULL, NULL, -1),
	   "report_find matches on the keys given, threads < 0 on any");
	report_free(&rep);
	ok(!rep.r && !rep.n, "report_free empties the report");
	return tap_done();
}
