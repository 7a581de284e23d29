/* SPDX-License-Identifier: MIT */
/* pcpu-bench's report writer: escaping, exact CSV and JSON for a known
 * report, and reading CSV back (the merge of several runs). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "tap.h"

static char *captured(void (*fn)(FILE *, const char *), const char *s)
{
	char *buf;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	fn(f, s);
	fclose(f);
	return buf;
}

static bool same_text(char *got, const char *want, const char *what)
{
	bool same = !strcmp(got, want);

	ok(same, "%s", what);
	if (!same)
		tap_diag("got:\n%s\nwant:\n%s", got, want);
	free(got);
	return same;
}

static char *written(const struct report *rep, enum report_format fmt)
{
	char *buf;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	if (report_write(rep, fmt, f))
		tap_diag("report_write failed");
	fclose(f);
	return buf;
}

static void known_report(struct report *rep)
{
	struct result a = {
		.section = "scale", .workload = "counter add", .impl = "shared-atomic",
		.mode = "rseq", .unit = "ns/op", .threads = 1,
		.s = { 6, 5.5, 7.25, 5 }, .ratio = NAN,
	};
	struct result b = {
		.section = "scale", .workload = "percpu_counter_add", .impl = "libpcpu",
		.mode = "rseq", .param = "4B \"x\", y", .unit = "ns/op", .threads = 2,
		.s = { 1.5, 1, 2, 5 }, .baseline = "counter add/shared-atomic", .ratio = 4,
	};

	memset(rep, 0, sizeof(*rep));
	snprintf(rep->machine, sizeof(rep->machine), "Test CPU, 2 online CPUs");
	snprintf(rep->runtime, sizeof(rep->runtime), "libpcpu 0.1.0 (mode=rseq, cpus=2)");
	snprintf(rep->command, sizeof(rep->command), "pcpu-bench --section \"a,b\"");
	report_add(rep, &a);
	report_add(rep, &b);
}

static const char want_csv[] =
	"# machine: Test CPU, 2 online CPUs\n"
	"# runtime: libpcpu 0.1.0 (mode=rseq, cpus=2)\n"
	"# command: pcpu-bench --section \"a,b\"\n"
	"section,workload,impl,mode,threads,param,unit,median,min,max,reps,baseline,ratio\n"
	"scale,counter add,shared-atomic,rseq,1,,ns/op,6,5.5,7.25,5,,\n"
	"scale,percpu_counter_add,libpcpu,rseq,2,\"4B \"\"x\"\", y\",ns/op,1.5,1,2,5,"
	"counter add/shared-atomic,4\n";

static const char want_json[] =
	"{\n"
	"  \"machine\": \"Test CPU, 2 online CPUs\",\n"
	"  \"runtime\": \"libpcpu 0.1.0 (mode=rseq, cpus=2)\",\n"
	"  \"command\": \"pcpu-bench --section \\\"a,b\\\"\",\n"
	"  \"results\": [\n"
	"    {\"section\": \"scale\", \"workload\": \"counter add\", \"impl\": "
	"\"shared-atomic\", \"mode\": \"rseq\", \"threads\": 1, \"param\": \"\", "
	"\"unit\": \"ns/op\", \"median\": 6, \"min\": 5.5, \"max\": 7.25, \"reps\": 5, "
	"\"baseline\": \"\", \"ratio\": null},\n"
	"    {\"section\": \"scale\", \"workload\": \"percpu_counter_add\", \"impl\": "
	"\"libpcpu\", \"mode\": \"rseq\", \"threads\": 2, \"param\": \"4B \\\"x\\\", y\", "
	"\"unit\": \"ns/op\", \"median\": 1.5, \"min\": 1, \"max\": 2, \"reps\": 5, "
	"\"baseline\": \"counter add/shared-atomic\", \"ratio\": 4}\n"
	"  ]\n"
	"}\n";

/* The line of a table that contains key, or "" (for the message). */
static const char *table_line(const char *table, const char *key, char *buf, size_t size)
{
	const char *at = strstr(table, key), *start, *end;

	if (!at)
		return "";
	for (start = at; start > table && start[-1] != '\n'; start--)
		;
	end = strchr(at, '\n');
	snprintf(buf, size, "%.*s", (int)(end ? end - start : (long)strlen(start)), start);
	return buf;
}

/* Each libpcpu ns/op figure is shown above its own process's call floor at
 * the same threads; figures without one, and the others, show "-". */
static void floor_column(void)
{
	static const struct result rows[] = {
		{ .section = "scale", .workload = REPORT_FLOOR, .impl = "libpcpu",
		  .mode = "rseq", .param = "floor-r1", .unit = "ns/op", .threads = 1,
		  .s = { 2.5, 2, 3, 5 }, .ratio = NAN },
		{ .section = "scale", .workload = REPORT_FLOOR, .impl = "libpcpu",
		  .mode = "local", .param = "floor-l1", .unit = "ns/op", .threads = 1,
		  .s = { 3, 3, 3, 5 }, .ratio = NAN },
		{ .section = "scale", .workload = "counter add", .impl = "shared-atomic",
		  .mode = "rseq", .param = "atomic-r1", .unit = "ns/op", .threads = 1,
		  .s = { 2, 2, 2, 5 }, .ratio = NAN },
		{ .section = "scale", .workload = "w", .impl = "libpcpu", .mode = "rseq",
		  .param = "above-r1", .unit = "ns/op", .threads = 1,
		  .s = { 4, 4, 4, 5 }, .ratio = NAN },
		{ .section = "scale", .workload = "w", .impl = "libpcpu", .mode = "local",
		  .param = "below-l1", .unit = "ns/op", .threads = 1,
		  .s = { 2.75, 2.75, 2.75, 5 }, .ratio = NAN },
		{ .section = "scale", .workload = "w", .impl = "libpcpu", .mode = "rseq",
		  .param = "none-r2", .unit = "ns/op", .threads = 2,
		  .s = { 4, 4, 4, 5 }, .ratio = NAN },
		{ .section = "scale", .workload = "w", .impl = "libpcpu", .mode = "api",
		  .param = "none-a1", .unit = "ns/op", .threads = 1,
		  .s = { 4, 4, 4, 5 }, .ratio = NAN },
	};
	static const struct { const char *param, *want; } cells[] = {
		{ "above-r1", " +1.50 " }, { "below-l1", " -0.25 " },
		{ "floor-r1", " - " },     { "atomic-r1", " - " },
		{ "none-r2", " - " },      { "none-a1", " - " },
	};
	struct report rep = { 0 };
	char buf[512];

	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		report_add(&rep, &rows[i]);
	char *table = written(&rep, REPORT_TABLE);
	ok(strstr(table, " over floor ") != NULL, "the table has an over-floor column");
	for (unsigned i = 0; i < sizeof(cells) / sizeof(cells[0]); i++) {
		const char *line = table_line(table, cells[i].param, buf, sizeof(buf));

		ok(strstr(line, cells[i].want) != NULL, "over floor of %s is \"%s\": %s",
		   cells[i].param, cells[i].want, line);
	}
	free(table);
	char *md = written(&rep, REPORT_MARKDOWN);
	ok(strstr(md, "| " REPORT_FLOOR " libpcpu floor-r1 1T | ns/op | 2.50 |") != NULL &&
		   strstr(md, "Row `" REPORT_FLOOR "`: ") != NULL,
	   "markdown: the floor is a row of its own, and the intro says what it is");
	free(md);
	report_free(&rep);
}

static struct report read_back(const char *text, int *ret, int *err)
{
	struct report rep = { 0 };
	FILE *f = fmemopen((void *)text, strlen(text), "r");

	errno = 0;
	*ret = report_read_csv(&rep, f);
	*err = errno;
	fclose(f);
	return rep;
}

int main(void)
{
	tap_start();

	same_text(captured(report_csv_field, "plain text"), "plain text",
		  "CSV: a plain field is written as is");
	same_text(captured(report_csv_field, "a,b"), "\"a,b\"", "CSV: a comma quotes");
	same_text(captured(report_csv_field, "say \"hi\""), "\"say \"\"hi\"\"\"",
		  "CSV: quotes are doubled inside quotes");
	same_text(captured(report_csv_field, "two\nlines"), "\"two\nlines\"",
		  "CSV: a newline quotes");
	same_text(captured(report_csv_field, ""), "", "CSV: empty field");
	same_text(captured(report_json_string, "q\" b\\ n\n t\t r\r"),
		  "\"q\\\" b\\\\ n\\n t\\t r\\r\"", "JSON: quote, backslash, \\n, \\t, \\r");
	same_text(captured(report_json_string, "\x01\x1f/é"), "\"\\u0001\\u001f/é\"",
		  "JSON: control characters as \\u00XX, UTF-8 and / as is");

	struct report rep;
	known_report(&rep);
	same_text(written(&rep, REPORT_CSV), want_csv, "exact CSV for a known report");
	same_text(written(&rep, REPORT_JSON), want_json, "exact JSON for a known report");

	char *table = written(&rep, REPORT_TABLE);
	ok(strstr(table, "machine: Test CPU, 2 online CPUs\n") &&
		   strstr(table, "runtime: libpcpu 0.1.0 (mode=rseq, cpus=2)\n"),
	   "the table's header names the machine and the runtime");
	ok(strstr(table, "4x counter add/shared-atomic") != NULL,
	   "the table shows the ratio and its baseline");
	ok(strstr(table, "1333") != NULL, "the table derives 2 threads / 1.5 ns = 1333 Mops/s");
	free(table);
	char *md = written(&rep, REPORT_MARKDOWN);
	ok(strstr(md, "| percpu_counter_add libpcpu 4B \"x\", y 2T | ns/op | 1.50 (4x) |") !=
		   NULL,
	   "markdown: one row per operation, one column per mode, ratio in the cell");
	free(md);

	/* round trip through CSV */
	int ret, err;
	char *csv = written(&rep, REPORT_CSV);
	struct report back = read_back(csv, &ret, &err);
	free(csv);
	is(ret, 0, "the CSV reads back");
	is(back.n, 2, "with both results");
	ok(!strcmp(back.machine, rep.machine) && !strcmp(back.runtime, rep.runtime) &&
		   !strcmp(back.command, rep.command),
	   "and the header");
	ok(back.n == 2 && !strcmp(back.r[1].param, rep.r[1].param) &&
		   !strcmp(back.r[1].baseline, rep.r[1].baseline) && back.r[1].ratio == 4 &&
		   back.r[1].threads == 2 && back.r[1].s.min == 1 && back.r[1].s.reps == 5,
	   "a quoted field, the baseline and the numbers survive");
	ok(back.n == 2 && isnan(back.r[0].ratio) && back.r[0].s.max == 7.25,
	   "a missing ratio reads back as NaN");

	/* a second run merges in, its runtime appended to the header */
	static const char other[] =
		"# machine: Test CPU, 2 online CPUs\n"
		"# runtime: libpcpu-api 0.1.0 (portable, cpus=2)\n"
		"# command: x\n"
		"section,workload,impl,mode,threads,param,unit,median,min,max,reps,baseline,"
		"ratio\n"
		"read,\"multi\nline\",libpcpu,api,1,,ms,2,1,3,5,,\n";
	FILE *f = fmemopen((void *)other, strlen(other), "r");
	ok(report_read_csv(&back, f) == 0 && back.n == 3, "a second file appends");
	fclose(f);
	ok(strstr(back.runtime, "(mode=rseq, cpus=2); libpcpu-api 0.1.0 (portable") != NULL,
	   "runtimes accumulate in the header: %s", back.runtime);
	ok(back.n == 3 && !strcmp(back.r[2].workload, "multi\nline"),
	   "a quoted newline stays inside its field");
	ok(report_find(&back, "read", NULL, "libpcpu", "api", NULL, -1) == &back.r[2] &&
		   report_find(&back, "scale", NULL, NULL, NULL, NULL, 2) == &back.r[1] &&
		   !report_find(&back, "alloc", NULL, NULL, NULL, NULL, -1),
	   "report_find matches on the keys given");
	report_free(&back);

	static const char *const bad[] = {
		"not a report\n",
		"section,x\nscale,only,three\n",
		"section,x\n\"unterminated,a,b,c,d,e,f,g,h,i,j,k,l\n",
		"section,x\na,b,c,d,1,p,u,1,1,1,5,,,extra\n",
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		back = read_back(bad[i], &ret, &err);
		ok(ret == -1 && err == EINVAL, "malformed CSV %u is rejected with EINVAL", i);
		report_free(&back);
	}
	floor_column();
	is(report_format_parse("json"), REPORT_JSON, "format names parse");
	is(report_format_parse("xml"), -1, "unknown format names do not");
	report_free(&rep);
	return tap_done();
}
