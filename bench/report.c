/* SPDX-License-Identifier: MIT */
#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const char *const columns[] = {
	"section", "workload", "impl", "mode",  "threads",  "param", "unit",
	"median",  "min",      "max",  "reps",  "baseline", "ratio",
};
#define NR_COLUMNS (sizeof(columns) / sizeof(columns[0]))
/* One cell of the human table: the longest is "<ratio>x <baseline>". */
#define CELL (3 * REPORT_STR)

struct result *report_add(struct report *rep, const struct result *r)
{
	if (rep->n == rep->cap) {
		unsigned cap = rep->cap ? 2 * rep->cap : 64;
		struct result *p = realloc(rep->r, cap * sizeof(*p));

		if (!p)
			return NULL;
		rep->r = p;
		rep->cap = cap;
	}
	rep->r[rep->n] = *r;
	return &rep->r[rep->n++];
}

static bool key_eq(const char *want, const char *have)
{
	return !want || !strcmp(want, have);
}

struct result *report_find(const struct report *rep, const char *section,
			   const char *workload, const char *impl, const char *mode,
			   const char *param, int threads)
{
	for (unsigned i = 0; i < rep->n; i++) {
		struct result *r = &rep->r[i];

		if (key_eq(section, r->section) && key_eq(workload, r->workload) &&
		    key_eq(impl, r->impl) && key_eq(mode, r->mode) &&
		    key_eq(param, r->param) && (threads < 0 || threads == r->threads))
			return r;
	}
	return NULL;
}

void report_free(struct report *rep)
{
	free(rep->r);
	rep->r = NULL;
	rep->n = rep->cap = 0;
}

int report_format_parse(const char *s)
{
	static const char *const names[] = { "table", "csv", "json", "markdown" };

	for (int i = 0; i < 4; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

/* ---- escaping */

void report_csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

void report_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (c < 0x20)
				fprintf(f, "\\u%04x", c);
			else
				fputc(c, f);
		}
	}
	fputc('"', f);
}

/* Exact enough to round-trip a figure, short enough to read. */
static void fmt_exact(char *buf, size_t size, double x)
{
	if (isnan(x))
		buf[0] = 0;
	else
		snprintf(buf, size, "%.6g", x);
}

/* For people: three significant digits, no exponent. */
static void fmt_human(char *buf, size_t size, double x)
{
	if (isnan(x) || isinf(x))
		snprintf(buf, size, "n/a");
	else if (fabs(x) >= 100 || (x == floor(x) && fabs(x) < 1e9))
		snprintf(buf, size, "%.0f", x);
	else if (fabs(x) >= 10)
		snprintf(buf, size, "%.1f", x);
	else
		snprintf(buf, size, "%.2f", x);
}

/* A median, or ">time" for a run stopped at its limit (reps 0). */
static void fmt_sample(char *buf, size_t size, const struct sample *s)
{
	char num[24];

	fmt_human(num, sizeof(num), s->median);
	snprintf(buf, size, "%s%s", !s->reps && !isnan(s->median) ? ">" : "", num);
}

/* Aggregate throughput of a threaded ns/op figure (ns per op per thread). */
static double mops(const struct result *r, double ns)
{
	if (!r->threads || strcmp(r->unit, "ns/op") || !(ns > 0))
		return NAN;
	return r->threads * 1e3 / ns;
}

/* ns per op above the call floor of the same process and threads. */
static double over_floor(const struct report *rep, const struct result *r)
{
	const struct result *f;

	if (!r->threads || strcmp(r->impl, "libpcpu") || strcmp(r->unit, "ns/op") ||
	    !strcmp(r->workload, REPORT_FLOOR) || !r->s.reps)
		return NAN;
	f = report_find(rep, r->section, REPORT_FLOOR, NULL, r->mode, NULL, r->threads);
	return f && f->s.reps ? r->s.median - f->s.median : NAN;
}

/* ---- CSV and JSON */

static void write_csv(const struct report *rep, FILE *f)
{
	fprintf(f, "# machine: %s\n# runtime: %s\n# command: %s\n", rep->machine,
		rep->runtime, rep->command);
	for (unsigned c = 0; c < NR_COLUMNS; c++)
		fprintf(f, "%s%s", c ? "," : "", columns[c]);
	fputc('\n', f);
	for (unsigned i = 0; i < rep->n; i++) {
		const struct result *r = &rep->r[i];
		char med[32], min[32], max[32], ratio[32];

		fmt_exact(med, sizeof(med), r->s.median);
		fmt_exact(min, sizeof(min), r->s.min);
		fmt_exact(max, sizeof(max), r->s.max);
		fmt_exact(ratio, sizeof(ratio), r->ratio);
		const char *text[] = { r->section, r->workload, r->impl, r->mode };
		for (unsigned c = 0; c < 4; c++) {
			report_csv_field(f, text[c]);
			fputc(',', f);
		}
		fprintf(f, "%d,", r->threads);
		report_csv_field(f, r->param);
		fputc(',', f);
		report_csv_field(f, r->unit);
		fprintf(f, ",%s,%s,%s,%u,", med, min, max, r->s.reps);
		report_csv_field(f, r->baseline);
		fprintf(f, ",%s\n", ratio);
	}
}

static void json_number(FILE *f, double x)
{
	char buf[32];

	fmt_exact(buf, sizeof(buf), x);
	fputs(buf[0] ? buf : "null", f);
}

static void json_field(FILE *f, const char *name, const char *s)
{
	fprintf(f, "\"%s\": ", name);
	report_json_string(f, s);
}

static void write_json(const struct report *rep, FILE *f)
{
	fputs("{\n  ", f);
	json_field(f, "machine", rep->machine);
	fputs(",\n  ", f);
	json_field(f, "runtime", rep->runtime);
	fputs(",\n  ", f);
	json_field(f, "command", rep->command);
	fputs(",\n  \"results\": [", f);
	for (unsigned i = 0; i < rep->n; i++) {
		const struct result *r = &rep->r[i];

		fputs(i ? ",\n    {" : "\n    {", f);
		json_field(f, "section", r->section);
		fputs(", ", f);
		json_field(f, "workload", r->workload);
		fputs(", ", f);
		json_field(f, "impl", r->impl);
		fputs(", ", f);
		json_field(f, "mode", r->mode);
		fprintf(f, ", \"threads\": %d, ", r->threads);
		json_field(f, "param", r->param);
		fputs(", ", f);
		json_field(f, "unit", r->unit);
		fputs(", \"median\": ", f);
		json_number(f, r->s.median);
		fputs(", \"min\": ", f);
		json_number(f, r->s.min);
		fputs(", \"max\": ", f);
		json_number(f, r->s.max);
		fprintf(f, ", \"reps\": %u, ", r->s.reps);
		json_field(f, "baseline", r->baseline);
		fputs(", \"ratio\": ", f);
		json_number(f, r->ratio);
		fputc('}', f);
	}
	fputs(rep->n ? "\n  ]\n}\n" : "]\n}\n", f);
}

/* ---- human table: every result, one line each */

enum { T_SECTION, T_WORKLOAD, T_IMPL, T_MODE, T_THREADS, T_PARAM, T_MEDIAN, T_RANGE,
       T_UNIT, T_MOPS, T_FLOOR, T_RATIO, T_COLS };

static void table_cells(const struct report *rep, const struct result *r,
			char cell[T_COLS][CELL])
{
	char lo[32], hi[32];
	const size_t sz = CELL;
	double above = over_floor(rep, r);

	snprintf(cell[T_SECTION], sz, "%s", r->section);
	snprintf(cell[T_WORKLOAD], sz, "%s", r->workload);
	snprintf(cell[T_IMPL], sz, "%s", r->impl);
	snprintf(cell[T_MODE], sz, "%s", r->mode);
	if (r->threads)
		snprintf(cell[T_THREADS], sz, "%d", r->threads);
	else
		snprintf(cell[T_THREADS], sz, "-");
	snprintf(cell[T_PARAM], sz, "%s", r->param[0] ? r->param : "-");
	fmt_sample(cell[T_MEDIAN], sz, &r->s);
	fmt_human(lo, sizeof(lo), r->s.min);
	fmt_human(hi, sizeof(hi), r->s.max);
	snprintf(cell[T_RANGE], sz, "%s-%s", lo, hi);
	snprintf(cell[T_UNIT], sz, "%s", r->unit);
	fmt_human(cell[T_MOPS], sz, mops(r, r->s.median));
	if (isnan(above)) {
		snprintf(cell[T_FLOOR], sz, "-");
	} else {
		fmt_human(lo, sizeof(lo), fabs(above));
		snprintf(cell[T_FLOOR], sz, "%s%s", above < 0 ? "-" : "+", lo);
	}
	if (isnan(r->ratio))
		snprintf(cell[T_RATIO], sz, "-");
	else {
		fmt_human(lo, sizeof(lo), r->ratio);
		snprintf(cell[T_RATIO], sz, "%sx %s", lo, r->baseline);
	}
	if (isnan(mops(r, r->s.median)))
		snprintf(cell[T_MOPS], sz, "-");
}

static void write_table(const struct report *rep, FILE *f)
{
	static const char *const head[T_COLS] = {
		"section", "workload", "impl",  "mode",   "thr",        "param",
		"median",  "min-max",  "unit",  "Mops/s", "over floor", "vs baseline",
	};
	char cell[T_COLS][CELL];
	int width[T_COLS];

	for (int c = 0; c < T_COLS; c++)
		width[c] = (int)strlen(head[c]);
	for (unsigned i = 0; i < rep->n; i++) {
		table_cells(rep, &rep->r[i], cell);
		for (int c = 0; c < T_COLS; c++)
			if ((int)strlen(cell[c]) > width[c])
				width[c] = (int)strlen(cell[c]);
	}
	fprintf(f, "machine: %s\nruntime: %s\ncommand: %s\n\n", rep->machine,
		rep->runtime, rep->command);
	for (int c = 0; c < T_COLS; c++)
		fprintf(f, "%-*s%s", c == T_COLS - 1 ? 0 : width[c], head[c],
			c == T_COLS - 1 ? "\n" : "  ");
	for (unsigned i = 0; i < rep->n; i++) {
		table_cells(rep, &rep->r[i], cell);
		for (int c = 0; c < T_COLS; c++) {
			bool num = c == T_MEDIAN || c == T_MOPS || c == T_THREADS ||
				   c == T_FLOOR;

			if (c == T_COLS - 1)
				fprintf(f, "%s\n", cell[c]);
			else
				fprintf(f, num ? "%*s  " : "%-*s  ", width[c], cell[c]);
		}
	}
}

/* ---- markdown: one pivot table per section */

enum { K_WORKLOAD = 1, K_IMPL = 2, K_MODE = 4, K_PARAM = 8, K_THREADS = 16 };

static void key_of(const struct result *r, unsigned fields, char *buf, size_t size)
{
	const char *part[] = { r->workload, r->impl, r->mode, r->param };
	size_t n = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < 4 && n < size; i++)
		if ((fields & (1u << i)) && part[i][0])
			n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? " " : "",
					      part[i]);
	if ((fields & K_THREADS) && r->threads && n < size)
		snprintf(buf + n, size - n, "%s%dT", n ? " " : "", r->threads);
}

/* Index of key in keys[0..*n-1], appending it if new. */
static unsigned intern(char (*keys)[3 * REPORT_STR], unsigned *n, const char *key)
{
	for (unsigned i = 0; i < *n; i++)
		if (!strcmp(keys[i], key))
			return i;
	snprintf(keys[*n], 3 * REPORT_STR, "%s", key);
	return (*n)++;
}

/*
 * One table of a section: a row per distinct row_fields key, a column per
 * distinct key of the other fields.  The unit is a column of its own, or
 * part of each column's name when unit_in_cols (columns of mixed units).
 */
static void md_pivot(const struct report *rep, FILE *f, const char *section,
		     const char *title, unsigned row_fields, bool unit_in_cols)
{
	unsigned col_fields = (K_WORKLOAD | K_IMPL | K_MODE | K_PARAM | K_THREADS) &
			      ~row_fields;
	char (*rows)[3 * REPORT_STR] = calloc(rep->n, sizeof(*rows));
	char (*cols)[3 * REPORT_STR] = calloc(rep->n, sizeof(*cols));
	int *at = malloc((size_t)rep->n * rep->n * sizeof(*at));
	unsigned nr = 0, nc = 0;
	char key[3 * REPORT_STR];

	if (!rows || !cols || !at)
		goto out;
	for (unsigned i = 0; i < rep->n * rep->n; i++)
		at[i] = -1;
	for (unsigned i = 0; i < rep->n; i++) {
		const struct result *r = &rep->r[i];

		if (strcmp(r->section, section))
			continue;
		key_of(r, row_fields, key, sizeof(key));
		unsigned row = intern(rows, &nr, key);
		key_of(r, col_fields, key, sizeof(key));
		if (unit_in_cols)
			snprintf(key + strlen(key), sizeof(key) - strlen(key), " (%s)",
				 r->unit);
		unsigned col = intern(cols, &nc, key);
		if (at[row * rep->n + col] < 0)
			at[row * rep->n + col] = (int)i;
	}
	if (!nr)
		goto out;
	fprintf(f, "\n**%s**\n\n|%s", title, unit_in_cols ? " |" : " | unit |");
	for (unsigned c = 0; c < nc; c++)
		fprintf(f, " %s |", cols[c]);
	fputs(unit_in_cols ? "\n|---|" : "\n|---|---|", f);
	for (unsigned c = 0; c < nc; c++)
		fputs("---:|", f);
	fputc('\n', f);
	for (unsigned row = 0; row < nr; row++) {
		const char *unit = "";

		for (unsigned c = 0; c < nc && !*unit; c++)
			if (at[row * rep->n + c] >= 0)
				unit = rep->r[at[row * rep->n + c]].unit;
		if (unit_in_cols)
			fprintf(f, "| %s |", rows[row]);
		else
			fprintf(f, "| %s | %s |", rows[row], unit);
		for (unsigned c = 0; c < nc; c++) {
			int i = at[row * rep->n + c];
			char med[48], ratio[32];

			if (i < 0) {
				fputs(" |", f);
				continue;
			}
			fmt_sample(med, sizeof(med), &rep->r[i].s);
			if (isnan(rep->r[i].ratio)) {
				fprintf(f, " %s |", med);
			} else {
				fmt_human(ratio, sizeof(ratio), rep->r[i].ratio);
				fprintf(f, " %s (%sx) |", med, ratio);
			}
		}
		fputc('\n', f);
	}
out:
	free(rows);
	free(cols);
	free(at);
}

static void write_markdown(const struct report *rep, FILE *f)
{
	fprintf(f, "Machine: %s  \nRuntimes: %s  \nCommand: `%s`\n", rep->machine,
		rep->runtime, rep->command);
	fputs("\nEach cell: median of the repetitions; (Nx): the baseline's median "
	      "divided by this one, both measured in the same process.  "
	      "Row `" REPORT_FLOOR "`: an exported call that returns at once, the "
	      "least that any libpcpu operation costs in the same process.\n",
	      f);
	md_pivot(rep, f, "scale",
		 "Updates from 1..N threads: ns per operation per thread, by library and mode",
		 K_WORKLOAD | K_IMPL | K_PARAM | K_THREADS, false);
	md_pivot(rep, f, "read", "Reads and selection (one thread), by library and mode",
		 K_WORKLOAD | K_IMPL | K_PARAM | K_THREADS, false);
	md_pivot(rep, f, "ref-kill", "percpu_ref_kill under load",
		 K_WORKLOAD | K_IMPL | K_PARAM | K_THREADS, false);
	md_pivot(rep, f, "alloc", "Allocator: objects of one size, by free order",
		 K_PARAM, true);
	md_pivot(rep, f, "memory", "Bytes per tree counter, by number of CPUs",
		 K_PARAM, true);
}

int report_write(const struct report *rep, enum report_format fmt, FILE *f)
{
	switch (fmt) {
	case REPORT_TABLE:
		write_table(rep, f);
		break;
	case REPORT_CSV:
		write_csv(rep, f);
		break;
	case REPORT_JSON:
		write_json(rep, f);
		break;
	case REPORT_MARKDOWN:
		write_markdown(rep, f);
		break;
	}
	return fflush(f) || ferror(f) ? -1 : 0;
}

/* ---- reading CSV back */

/* Split one CSV record into fields (quotes as report_csv_field writes
 * them); returns the number of fields, -1 if malformed. */
static int csv_split(char *line, char **field, int max)
{
	int n = 0;
	char *p = line;

	for (;;) {
		char *out = p;

		if (n == max)
			return -1;
		field[n++] = p;
		if (*p == '"') {
			char *in = p + 1;

			for (;;) {
				if (!*in)
					return -1;
				if (*in == '"') {
					if (in[1] != '"')
						break;
					in++;
				}
				*out++ = *in++;
			}
			p = in + 1;
			if (*p && *p != ',')
				return -1;
		} else {
			p += strcspn(p, ",");
			out = p;
		}
		if (!*p) {
			*out = 0;
			return n;
		}
		*out = 0;
		p++;
	}
}

static double parse_num(const char *s)
{
	return *s ? strtod(s, NULL) : NAN;
}

static void header_field(char *dst, size_t size, const char *line, const char *tag,
			 bool append)
{
	size_t len = strlen(tag);

	if (strncmp(line, tag, len))
		return;
	line += len;
	if (!dst[0])
		snprintf(dst, size, "%s", line);
	else if (append && !strstr(dst, line))
		snprintf(dst + strlen(dst), size - strlen(dst), "; %s", line);
}

/* Read one logical line (a quoted field may hold newlines). */
static char *read_record(FILE *f, char **buf, size_t *cap)
{
	size_t len = 0;
	bool quoted = false;
	int c;

	while ((c = fgetc(f)) != EOF) {
		if (len + 2 > *cap) {
			size_t ncap = *cap ? 2 * *cap : 256;
			char *p = realloc(*buf, ncap);

			if (!p)
				return NULL;
			*buf = p;
			*cap = ncap;
		}
		if (c == '"')
			quoted = !quoted;
		if (c == '\n' && !quoted)
			break;
		(*buf)[len++] = (char)c;
	}
	if (c == EOF && !len)
		return NULL;
	(*buf)[len] = 0;
	return *buf;
}

int report_read_csv(struct report *rep, FILE *f)
{
	char *buf = NULL, *line;
	size_t cap = 0;
	bool seen_head = false;
	int ret = 0;

	while ((line = read_record(f, &buf, &cap))) {
		char *field[NR_COLUMNS + 1];
		struct result r;

		if (line[0] == '#') {
			header_field(rep->machine, sizeof(rep->machine), line,
				     "# machine: ", false);
			header_field(rep->runtime, sizeof(rep->runtime), line,
				     "# runtime: ", true);
			header_field(rep->command, sizeof(rep->command), line,
				     "# command: ", false);
			continue;
		}
		if (!seen_head) {
			seen_head = !strncmp(line, "section,", 8);
			if (!seen_head)
				goto bad;
			continue;
		}
		if (csv_split(line, field, NR_COLUMNS + 1) != (int)NR_COLUMNS)
			goto bad;
		memset(&r, 0, sizeof(r));
		snprintf(r.section, sizeof(r.section), "%s", field[0]);
		snprintf(r.workload, sizeof(r.workload), "%s", field[1]);
		snprintf(r.impl, sizeof(r.impl), "%s", field[2]);
		snprintf(r.mode, sizeof(r.mode), "%s", field[3]);
		r.threads = atoi(field[4]);
		snprintf(r.param, sizeof(r.param), "%s", field[5]);
		snprintf(r.unit, sizeof(r.unit), "%s", field[6]);
		r.s.median = parse_num(field[7]);
		r.s.min = parse_num(field[8]);
		r.s.max = parse_num(field[9]);
		r.s.reps = (unsigned)atoi(field[10]);
		snprintf(r.baseline, sizeof(r.baseline), "%s", field[11]);
		r.ratio = parse_num(field[12]);
		if (!report_add(rep, &r)) {
			ret = -1;
			goto out;
		}
	}
	if (ferror(f))
		ret = -1;
	goto out;
bad:
	errno = EINVAL;
	ret = -1;
out:
	free(buf);
	return ret;
}
