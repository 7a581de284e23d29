# SPDX-License-Identifier: MIT
# plots.awk - the charts of pcpu-bench CSV as gnuplot input: for each chart
# NAME, DIR/NAME.dat (its data) and DIR/NAME.gp (a script that draws
# NAME.png from it, run in DIR); prints each NAME on a line.  Drawing is
# bench/report.sh's, which names the charts it could not draw.
#     awk -f bench/csv.awk -f bench/plots.awk -v dir=DIR [-v term=png] FILE.csv
# The charts: throughput against threads of each libpcpu update workload
# with its baselines (scale-*), ns per operation of every update at one
# thread (nsop), the allocator's times by size and free order (alloc-alloc,
# alloc-free) and bytes per tree counter against CPUs (memory).  Every
# axis that spans decades is logarithmic.

# Clear the grid: rows are x values or clusters, columns are series.
function grid_new() {
	nr = nc = 0
	split("", rowof); split("", colof); split("", row); split("", col)
	split("", gmed); split("", glo); split("", ghi)
}

# The first value for a cell wins.
function grid_put(r, c, m, l, h) {
	if (!(r in rowof)) { rowof[r] = ++nr; row[nr] = r }
	if (!(c in colof)) { colof[c] = ++nc; col[nc] = c }
	r = rowof[r]
	c = colof[c]
	if ((r, c) in gmed)
		return
	gmed[r, c] = m
	glo[r, c] = l
	ghi[r, c] = h
}

function value(x) {
	return x == "" ? "?" : x
}

# Start chart name: its script's common part.
function chart(name, title, width, height) {
	dat = dir "/" name ".dat"
	gp = dir "/" name ".gp"
	printf "" > dat
	printf "set terminal %s size %d,%d font \",11\"\nset output \"%s.png\"\n",
	    term, width, height, name > gp
	printf "set datafile missing \"?\"\nset title \"%s\" noenhanced\n", title > gp
	printf "set key noenhanced\nset grid ytics\n" > gp
}

function chart_done(name) {
	close(dat)
	close(gp)
	print name
}

# A clustered bar chart: a cluster per grid row, a bar per column.
function histogram(name, title, ylabel,    width, r, c) {
	if (!nr)
		return
	width = 420 + 36 * nr * (nc + 1)
	chart(name, title, width > 2400 ? 2400 : width, 780)
	printf "label" > dat
	for (c = 1; c <= nc; c++)
		printf " \"%s\"", col[c] > dat
	printf "\n" > dat
	for (r = 1; r <= nr; r++) {
		printf "\"%s\"", row[r] > dat
		for (c = 1; c <= nc; c++)
			printf " %s", value(gmed[r, c]) > dat
		printf "\n" > dat
	}
	printf "set style data histograms\nset style histogram clustered gap 1\n" > gp
	printf "set style fill solid 0.85 border -1\nset key outside right top\n" > gp
	printf "set logscale y\nset ylabel \"%s\"\n", ylabel > gp
	printf "set xtics rotate by 35 right noenhanced\nset bmargin 20\nset lmargin 30\n" > gp
	printf "plot for [i=2:%d] \"%s.dat\" using i:xtic(1) title columnheader(i)\n",
	    nc + 1, name > gp
	chart_done(name)
}

# Lines with min-max error bars, x the grid row as a number; a data block
# per column.
function lines(name, title, xlabel, ylabel, logx,    r, c) {
	if (!nr)
		return
	chart(name, title, 1000, 680)
	for (c = 1; c <= nc; c++) {
		printf "# %s\n", col[c] > dat
		for (r = 1; r <= nr; r++)
			if ((r, c) in gmed && gmed[r, c] != "")
				printf "%s %s %s %s\n", row[r], gmed[r, c], value(glo[r, c]),
				    value(ghi[r, c]) > dat
		printf "\n\n" > dat
	}
	printf "set logscale y\nset format y \"%%g\"\nset key below width 2 maxcols 2\n" > gp
	printf "%s", logx ? "set logscale x 2\n" : "set xtics 1\n" > gp
	printf "set xlabel \"%s\"\nset ylabel \"%s\"\n", xlabel, ylabel > gp
	printf "set offsets graph 0.05, graph 0.05, 0, 0\nplot " > gp
	for (c = 1; c <= nc; c++)
		printf "%s\"%s.dat\" index %d using 1:2:3:4 with yerrorlines lw 2 title \"%s\"",
		    (c > 1 ? ", \\\n     " : ""), name, c - 1, col[c] > gp
	printf "\n" > gp
	chart_done(name)
}

# Aggregate Mops/s from ns per operation per thread at t threads.
function throughput(ns, t) {
	return ns == "" || ns <= 0 ? "" : t * 1e3 / ns
}

# Throughput against threads of libpcpu workload w, beside the baselines
# of its group (its ratio's "workload/impl" names the group) measured in
# the first process that measured w.
function chart_scale(w,    i, t, first, group, name, label) {
	grid_new()
	first = group = ""
	for (i = 1; i <= n; i++)
		if (sec[i] == "scale" && wl[i] == w && impl[i] == "libpcpu" && first == "") {
			first = mode[i]
			group = base[i]
			sub(/\/.*/, "", group)
		}
	# threads ascending: the rows are the x values
	for (t = 1; t <= maxthr; t++)
		for (i = 1; i <= n; i++) {
			if (sec[i] != "scale" || thr[i] != t)
				continue
			if (wl[i] == w && impl[i] == "libpcpu")
				label = w " (" mode_label(mode[i]) ")"
			else if (group != "" && wl[i] == group && impl[i] != "libpcpu" &&
			    mode[i] == first)
				label = "baseline: " impl[i]
			else
				continue
			grid_put(t, label, throughput(med[i], t), throughput(hi[i], t),
			    throughput(lo[i], t))
		}
	name = "scale-" w
	gsub(/[^a-z0-9_]/, "-", name)
	lines(name, w ": aggregate throughput (median, min-max bars)",
	    "threads (pinned, one per CPU)", "million operations per second (log scale)", 0)
}

END {
	if (term == "")
		term = "png"
	maxthr = 0
	for (i = 1; i <= n; i++)
		if (sec[i] == "scale" && thr[i] > maxthr)
			maxthr = thr[i]
	for (i = 1; i <= n; i++)
		if (sec[i] == "scale" && impl[i] == "libpcpu" && !(wl[i] in charted)) {
			charted[wl[i]] = 1
			chart_scale(wl[i])
		}

	grid_new()
	for (i = 1; i <= n; i++)
		if (sec[i] == "scale" && thr[i] == 1)
			grid_put(impl[i] == "libpcpu" ? key_param(i) : wl[i] ": " impl[i],
			    mode_label(mode[i]), med[i], lo[i], hi[i])
	histogram("nsop", "One thread: ns per operation, by implementation and access mode " \
	    "(lower is better)", "ns per operation (log scale)")

	for (p = 1; p <= 2; p++) {
		phase = p == 1 ? "alloc" : "free"
		grid_new()
		for (i = 1; i <= n; i++)
			if (sec[i] == "alloc" && wl[i] == phase)
				grid_put(param[i], impl[i] == "libpcpu" ? mode_label(mode[i]) : impl[i],
				    med[i], lo[i], hi[i])
		histogram("alloc-" phase, phase ": ms for all objects, by size and free order " \
		    "(lower is better; a first-fit pass stopped at its time limit shows " \
		    "that limit)", "ms (log scale)")
	}

	grid_new()
	for (i = 1; i <= n; i++)
		if (sec[i] == "memory" && param[i] ~ /^cpus=/)
			grid_put(substr(param[i], 6), impl[i] == "kernel layout" ? impl[i] : \
			    impl[i] " (" mode_label(mode[i]) ")", med[i], lo[i], hi[i])
	lines("memory", "Memory per tree counter against the number of CPUs (lower is better)",
	    "CPUs (leaves of the tree, log scale)", "bytes per counter (log scale)", 1)
}

# A libpcpu workload named with its parameter (no-inline, ...), if any.
function key_param(i) {
	return wl[i] (param[i] != "" ? " " param[i] : "")
}
