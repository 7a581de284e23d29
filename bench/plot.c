/* SPDX-License-Identifier: MIT */
#include "plot.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define GRID_ROWS 128
#define GRID_COLS 32
#define LABEL 192

/* A chart's data: one row per x value, one column per series. */
struct grid {
	char row[GRID_ROWS][LABEL];
	char col[GRID_COLS][LABEL];
	struct sample v[GRID_ROWS][GRID_COLS];
	unsigned nr, nc;
};

static int grid_index(char (*keys)[LABEL], unsigned *n, unsigned max, const char *key)
{
	for (unsigned i = 0; i < *n; i++)
		if (!strcmp(keys[i], key))
			return (int)i;
	if (*n == max)
		return -1;
	snprintf(keys[*n], LABEL, "%s", key);
	return (int)(*n)++;
}

static void grid_put(struct grid *g, const char *row, const char *col,
		     const struct sample *s)
{
	int r = grid_index(g->row, &g->nr, GRID_ROWS, row);
	int c = grid_index(g->col, &g->nc, GRID_COLS, col);

	if (r < 0 || c < 0 || !isnan(g->v[r][c].median))
		return;
	g->v[r][c] = *s;
}

static struct grid *grid_new(void)
{
	struct grid *g = calloc(1, sizeof(struct grid));

	for (unsigned i = 0; g && i < GRID_ROWS; i++)
		for (unsigned j = 0; j < GRID_COLS; j++)
			g->v[i][j].median = NAN;
	return g;
}

/* How a process's runtime is named in legends. */
static const char *mode_label(const char *mode, char *buf, size_t size)
{
	if (!strcmp(mode, "api"))
		snprintf(buf, size, "libpcpu-api, linked");
	else
		snprintf(buf, size, "libpcpu.so, mode=%s", mode);
	return buf;
}

/* ---- running gnuplot */

static int run(const char *prog, const char *arg1, const char *arg2, bool quiet)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (!pid) {
		if (quiet) {
			FILE *null = freopen("/dev/null", "w", stderr);
			null = freopen("/dev/null", "w", stdout);
			(void)null;
		}
		execlp(prog, prog, arg1, arg2, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Whether gnuplot can be started at all: without it every chart still gets
 * its data and script, and plot_write() names the charts it did not draw
 * instead of failing the run (a fresh machine has no gnuplot). */
static bool have_gnuplot(void)
{
	static int have = -1;

	if (have < 0)
		have = run("gnuplot", "--version", NULL, true) == 0;
	return have;
}

/* Names of the charts not drawn for want of gnuplot, for one line at the end. */
static char skipped[4096];

/* pngcairo draws antialiased text; the libgd png terminal is the fallback. */
static const char *png_terminal(void)
{
	static const char *term;

	if (!term)
		term = !have_gnuplot() || run("gnuplot", "-e", "set terminal pngcairo", true)
			       ? "png"
			       : "pngcairo";
	return term;
}

struct chart {
	const char *dir, *name;
	FILE *dat, *gp;
	char dat_path[4096], gp_path[4096];
};

static int chart_open(struct chart *c, const char *dir, const char *name,
		      const char *title, int width, int height)
{
	c->dir = dir;
	c->name = name;
	snprintf(c->dat_path, sizeof(c->dat_path), "%s/%s.dat", dir, name);
	snprintf(c->gp_path, sizeof(c->gp_path), "%s/%s.gp", dir, name);
	c->dat = fopen(c->dat_path, "w");
	c->gp = fopen(c->gp_path, "w");
	if (!c->dat || !c->gp) {
		perror(c->dat ? c->gp_path : c->dat_path);
		if (c->dat)
			fclose(c->dat);
		if (c->gp)
			fclose(c->gp);
		return -1;
	}
	fprintf(c->gp,
		"set terminal %s size %d,%d font \",11\"\n"
		"set output \"%s/%s.png\"\n"
		"set datafile missing \"?\"\n"
		"set title \"%s\" noenhanced\n"
		"set key noenhanced\n"
		"set grid ytics\n",
		png_terminal(), width, height, dir, name, title);
	return 0;
}

static int chart_close(struct chart *c, int width, int height)
{
	fprintf(c->gp,
		"set terminal svg size %d,%d dynamic font \",11\"\n"
		"set output \"%s/%s.svg\"\n"
		"replot\n"
		"unset output\n",
		width, height, c->dir, c->name);
	bool bad = fclose(c->dat) | fclose(c->gp);
	if (!bad && !have_gnuplot()) {
		size_t n = strlen(skipped);

		snprintf(skipped + n, sizeof(skipped) - n, "%s%s", n ? ", " : "", c->name);
		return 0;
	}
	if (bad || run("gnuplot", c->gp_path, NULL, false)) {
		fprintf(stderr, "pcpu-bench: gnuplot failed on %s\n", c->gp_path);
		return -1;
	}
	return 0;
}

static void print_value(FILE *f, double v)
{
	if (isnan(v) || isinf(v))
		fputs(" ?", f);
	else
		fprintf(f, " %.6g", v);
}

/* A clustered bar chart: one cluster per grid row, one bar per column. */
static int histogram(const struct grid *g, const char *dir, const char *name,
		     const char *title, const char *ylabel)
{
	struct chart c;
	int width = 420 + 36 * (int)(g->nr * (g->nc + 1)), height = 640;

	if (!g->nr)
		return 0;
	if (width > 2400)
		width = 2400;
	if (chart_open(&c, dir, name, title, width, height))
		return -1;
	fputs("label", c.dat);
	for (unsigned j = 0; j < g->nc; j++)
		fprintf(c.dat, " \"%s\"", g->col[j]);
	fputc('\n', c.dat);
	for (unsigned i = 0; i < g->nr; i++) {
		fprintf(c.dat, "\"%s\"", g->row[i]);
		for (unsigned j = 0; j < g->nc; j++)
			print_value(c.dat, g->v[i][j].median);
		fputc('\n', c.dat);
	}
	fprintf(c.gp,
		"set style data histograms\n"
		"set style histogram clustered gap 1\n"
		"set style fill solid 0.85 border -1\n"
		"set key outside right top\n"
		"set logscale y\n"
		"set ylabel \"%s\"\n"
		"set xtics rotate by 35 right noenhanced\n"
		"set bmargin 9\n"
		"plot for [i=2:%u] \"%s\" using i:xtic(1) title columnheader(i)\n",
		ylabel, g->nc + 1, c.dat_path);
	return chart_close(&c, width, height);
}

/* Lines with min-max error bars: x is the grid row, parsed as a number. */
static int lines(const struct grid *g, const char *dir, const char *name,
		 const char *title, const char *xlabel, const char *ylabel, bool logx)
{
	struct chart c;

	if (!g->nr)
		return 0;
	if (chart_open(&c, dir, name, title, 1000, 680))
		return -1;
	for (unsigned j = 0; j < g->nc; j++) {
		fprintf(c.dat, "# %s\n", g->col[j]);
		for (unsigned i = 0; i < g->nr; i++) {
			const struct sample *s = &g->v[i][j];

			if (isnan(s->median))
				continue;
			fprintf(c.dat, "%s", g->row[i]);
			print_value(c.dat, s->median);
			print_value(c.dat, s->min);
			print_value(c.dat, s->max);
			fputc('\n', c.dat);
		}
		fputs("\n\n", c.dat);
	}
	fprintf(c.gp,
		"set logscale y\nset format y \"%%g\"\nset key below width 2 maxcols 2\n%s"
		"set xlabel \"%s\"\nset ylabel \"%s\"\n"
		"set offsets graph 0.05, graph 0.05, 0, 0\n"
		"plot ",
		logx ? "set logscale x 2\n" : "set xtics 1\n", xlabel, ylabel);
	for (unsigned j = 0; j < g->nc; j++)
		fprintf(c.gp, "%s\"%s\" index %u using 1:2:3:4 with yerrorlines lw 2 title \"%s\"",
			j ? ", \\\n     " : "", c.dat_path, j, g->col[j]);
	fputc('\n', c.gp);
	return chart_close(&c, 1000, 680);
}

/* ns per op per thread -> aggregate Mops/s for scale threads. */
static double throughput(double ns, double threads)
{
	return ns > 0 ? threads * 1e3 / ns : NAN;
}

static void file_name(char *buf, size_t size, const char *prefix, const char *s)
{
	size_t n = (size_t)snprintf(buf, size, "%s", prefix);

	for (; *s && n + 1 < size; s++)
		buf[n++] = (char)((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
					  *s == '_'
				  ? *s
				  : '-');
	buf[n] = 0;
}

/* ---- the charts */

/* Throughput against threads of one libpcpu workload, with its baselines
 * from the first process that measured it. */
static int chart_scale(const struct report *rep, const char *dir, const char *workload)
{
	struct grid *g = grid_new();
	char label[LABEL], name[LABEL], title[2 * LABEL], mode[2 * REPORT_STR];
	const char *first_mode = NULL, *baseline = NULL;
	unsigned max_threads = 1;
	int ret = -1;

	if (!g)
		return -1;
	for (unsigned i = 0; i < rep->n; i++) {
		const struct result *r = &rep->r[i];

		if (strcmp(r->section, "scale") || strcmp(r->workload, workload))
			continue;
		if (!first_mode) {
			first_mode = r->mode;
			baseline = r->baseline;
		}
		if ((unsigned)r->threads > max_threads)
			max_threads = (unsigned)r->threads;
	}
	/* the baseline group: "counter add/shared-atomic" -> "counter add" */
	size_t group_len = baseline ? strcspn(baseline, "/") : 0;
	for (unsigned t = 1; t <= max_threads; t++) {
		for (unsigned i = 0; i < rep->n; i++) {
			const struct result *r = &rep->r[i];
			char row[16];
			struct sample s = r->s;

			if (strcmp(r->section, "scale") || r->threads != (int)t)
				continue;
			if (!strcmp(r->workload, workload))
				snprintf(label, sizeof(label), "%.63s (%.120s)", workload,
					 mode_label(r->mode, mode, sizeof(mode)));
			else if (group_len && !strncmp(r->workload, baseline, group_len) &&
				 !r->workload[group_len] && !strcmp(r->mode, first_mode))
				snprintf(label, sizeof(label), "baseline: %s", r->impl);
			else
				continue;
			/* throughput uses this row's threads */
			s.median = throughput(s.median, t);
			double lo = throughput(r->s.max, t), hi = throughput(r->s.min, t);
			s.min = lo;
			s.max = hi;
			snprintf(row, sizeof(row), "%u", t);
			grid_put(g, row, label, &s);
		}
	}
	file_name(name, sizeof(name), "scale-", workload);
	snprintf(title, sizeof(title), "%s: aggregate throughput (median, min-max bars)",
		 workload);
	ret = lines(g, dir, name, title, "threads (pinned, one per CPU)",
		    "million operations per second (log scale)", false);
	free(g);
	return ret;
}

static int chart_nsop(const struct report *rep, const char *dir)
{
	struct grid *g = grid_new();
	char row[LABEL], mode[2 * REPORT_STR];
	int ret;

	if (!g)
		return -1;
	for (unsigned i = 0; i < rep->n; i++) {
		const struct result *r = &rep->r[i];

		if (strcmp(r->section, "scale") || r->threads != 1)
			continue;
		if (!strcmp(r->impl, "libpcpu"))
			snprintf(row, sizeof(row), "%s", r->workload);
		else
			snprintf(row, sizeof(row), "%s: %s", r->workload, r->impl);
		grid_put(g, row, mode_label(r->mode, mode, sizeof(mode)), &r->s);
	}
	ret = histogram(g, dir, "nsop",
			"One thread: ns per operation, by implementation and access mode "
			"(lower is better)",
			"ns per operation (log scale)");
	free(g);
	return ret;
}

static int chart_alloc(const struct report *rep, const char *dir, const char *phase)
{
	struct grid *g = grid_new();
	char col[LABEL], name[LABEL], title[2 * LABEL];
	int ret;

	if (!g)
		return -1;
	for (unsigned i = 0; i < rep->n; i++) {
		const struct result *r = &rep->r[i];

		if (strcmp(r->section, "alloc") || strcmp(r->workload, phase))
			continue;
		if (!strcmp(r->impl, "libpcpu"))
			mode_label(r->mode, col, sizeof(col));
		else
			snprintf(col, sizeof(col), "baseline: %s", r->impl);
		grid_put(g, r->param, col, &r->s);
	}
	snprintf(name, sizeof(name), "alloc-%s", phase);
	snprintf(title, sizeof(title),
		 "%s: ms for all objects (1M by default), by size and free order "
		 "(lower is better; a first-fit pass stopped at its time limit shows "
		 "that limit)",
		 phase);
	ret = histogram(g, dir, name, title, "ms for 1M objects (log scale)");
	free(g);
	return ret;
}

static int chart_memory(const struct report *rep, const char *dir)
{
	struct grid *g = grid_new();
	char col[LABEL], mode[2 * REPORT_STR];
	int ret;

	if (!g)
		return -1;
	for (unsigned i = 0; i < rep->n; i++) {
		const struct result *r = &rep->r[i];

		if (strcmp(r->section, "memory") || strncmp(r->param, "cpus=", 5))
			continue;
		if (!strcmp(r->impl, "kernel layout"))
			snprintf(col, sizeof(col), "%s", r->impl);
		else
			snprintf(col, sizeof(col), "%.63s (%.120s)", r->impl,
				 mode_label(r->mode, mode, sizeof(mode)));
		grid_put(g, r->param + 5, col, &r->s);
	}
	ret = lines(g, dir, "memory",
		    "Memory per tree counter against the number of CPUs (lower is better)",
		    "CPUs (leaves of the tree, log scale)", "bytes per counter (log scale)",
		    true);
	free(g);
	return ret;
}

int plot_write(const struct report *rep, const char *dir)
{
	const char *done[GRID_COLS];
	unsigned nr_done = 0;
	int ret = 0;

	if (strchr(dir, '"')) {
		fprintf(stderr, "pcpu-bench: --plot: the directory name has a quote\n");
		return -1;
	}
	if (mkdir(dir, 0777) && access(dir, W_OK)) {
		perror(dir);
		return -1;
	}
	for (unsigned i = 0; i < rep->n; i++) {
		const struct result *r = &rep->r[i];
		bool seen = false;

		if (strcmp(r->section, "scale") || strcmp(r->impl, "libpcpu"))
			continue;
		for (unsigned j = 0; j < nr_done; j++)
			seen |= !strcmp(done[j], r->workload);
		if (seen || nr_done == GRID_COLS)
			continue;
		done[nr_done++] = r->workload;
		ret |= chart_scale(rep, dir, r->workload);
	}
	ret |= chart_nsop(rep, dir);
	ret |= chart_alloc(rep, dir, "alloc");
	ret |= chart_alloc(rep, dir, "free");
	ret |= chart_memory(rep, dir);
	if (*skipped)
		fprintf(stderr,
			"pcpu-bench: plots skipped (gnuplot not found in PATH; install "
			"gnuplot-nox and rerun): %s; their data and scripts are in %s/\n",
			skipped, dir);
	return ret ? -1 : 0;
}
