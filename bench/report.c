/* SPDX-License-Identifier: MIT */
#include "report.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

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

/* s on one line (a newline or carriage return becomes a space), quoted
 * with its quotes doubled if quote. */
static void put_text(FILE *f, const char *s, bool quote)
{
	if (quote)
		fputc('"', f);
	for (; *s; s++) {
		if (quote && *s == '"')
			fputc('"', f);
		fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
	}
	if (quote)
		fputc('"', f);
}

void report_csv_field(FILE *f, const char *s)
{
	put_text(f, s, strpbrk(s, ",\"") != NULL);
}

/* A number exact enough to round-trip a figure; empty for NAN. */
static void put_number(FILE *f, double x)
{
	if (!isnan(x))
		fprintf(f, "%.6g", x);
}

int report_write_csv(const struct report *rep, FILE *f)
{
	const char *head[][2] = {{"machine", rep->machine},
				 {"runtime", rep->runtime},
				 {"command", rep->command},
				 {"date", rep->date}};

	for (unsigned i = 0; i < sizeof(head) / sizeof(head[0]); i++) {
		fprintf(f, "# %s: ", head[i][0]);
		put_text(f, head[i][1], false);
		fputc('\n', f);
	}
	fputs("section,workload,impl,mode,threads,param,unit,median,min,max,reps,"
	      "baseline,ratio,scaling\n",
	      f);
	for (unsigned i = 0; i < rep->n; i++) {
		const struct result *r = &rep->r[i];
		const char *text[] = {r->section, r->workload, r->impl, r->mode};

		for (unsigned c = 0; c < 4; c++) {
			report_csv_field(f, text[c]);
			fputc(',', f);
		}
		fprintf(f, "%d,", r->threads);
		report_csv_field(f, r->param);
		fputc(',', f);
		report_csv_field(f, r->unit);
		const double num[] = {r->s.median, r->s.min, r->s.max};
		for (unsigned c = 0; c < 3; c++) {
			fputc(',', f);
			put_number(f, num[c]);
		}
		fprintf(f, ",%u,", r->s.reps);
		report_csv_field(f, r->baseline);
		fputc(',', f);
		put_number(f, r->ratio);
		fputc(',', f);
		put_number(f, r->scaling);
		fputc('\n', f);
	}
	return fflush(f) || ferror(f) ? -1 : 0;
}
