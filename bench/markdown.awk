# SPDX-License-Identifier: MIT
# markdown.awk - pcpu-bench CSV as markdown pivot tables, one per section:
# a row per operation, a column per runtime mode (or, for the allocator and
# memory, a row per case and a column per figure); each cell the median
# and, with a baseline, "(Nx)": the baseline's median over this one; and
# for N threads, "[s of 1T]": its scaling, the per-thread cost over one
# thread's, round by round.
#     awk -f bench/csv.awk -f bench/markdown.awk FILE.csv > tables.md

# The key of result i from the fields named in want: w(orkload) i(mpl)
# m(ode) p(aram) t(hreads).
function key(i, want,    k) {
	k = ""
	if (index(want, "w") && wl[i] != "") k = k " " wl[i]
	if (index(want, "i") && impl[i] != "") k = k " " impl[i]
	if (index(want, "m") && mode[i] != "") k = k " " mode[i]
	if (index(want, "p") && param[i] != "") k = k " " param[i]
	if (index(want, "t") && thr[i]) k = k " " thr[i] "T"
	return substr(k, 2)
}

# A table of section s: a row per distinct key of the fields in rows, a
# column per distinct key of the others (in first-seen order, the first
# result for a cell).  The unit is a column of its own, or part of each
# column's name when unit_in_cols (the columns mix units).
function pivot(s, title, rows, unit_in_cols,    all, cols, i, r, c, k, nr, nc) {
	cols = ""
	split("w i m p t", all, " ")
	for (k = 1; k <= 5; k++)
		if (!index(rows, all[k]))
			cols = cols all[k]
	nr = nc = 0
	split("", rowname); split("", colname); split("", at); split("", rowof); split("", colof)
	for (i = 1; i <= n; i++) {
		if (sec[i] != s)
			continue
		k = key(i, rows)
		if (!(k in rowof)) { rowof[k] = ++nr; rowname[nr] = k }
		r = rowof[k]
		k = key(i, cols) (unit_in_cols ? " (" unit[i] ")" : "")
		if (!(k in colof)) { colof[k] = ++nc; colname[nc] = k }
		c = colof[k]
		if (!((r, c) in at))
			at[r, c] = i
	}
	if (!nr)
		return
	printf "\n**%s**\n\n|%s", title, unit_in_cols ? " |" : " | unit |"
	for (c = 1; c <= nc; c++)
		printf " %s |", colname[c]
	printf "%s", unit_in_cols ? "\n|---|" : "\n|---|---|"
	for (c = 1; c <= nc; c++)
		printf "---:|"
	printf "\n"
	for (r = 1; r <= nr; r++) {
		printf "| %s |", rowname[r]
		if (!unit_in_cols)
			for (c = 1; c <= nc; c++)
				if ((r, c) in at) {
					printf " %s |", unit[at[r, c]]
					break
				}
		for (c = 1; c <= nc; c++) {
			if (!((r, c) in at)) {
				printf " |"
				continue
			}
			i = at[r, c]
			printf " %s%s%s |", sample(i), ratio[i] == "" ? "" : " (" times(ratio[i]) ")",
			    scaling[i] == "" ? "" : " [" human(scaling[i]) " of 1T]"
		}
		printf "\n"
	}
}

END {
	pivot("scale", "Updates from 1..N threads: ns per operation per thread, by library and mode " \
	    "([s of 1T]: the per-thread cost over one thread's, median of the rounds' ratios)",
	    "wipt", 0)
	pivot("read", "Reads and selection (one thread), by library and mode", "wipt", 0)
	pivot("ref-kill", "percpu_ref_kill under load", "wipt", 0)
	pivot("alloc", "Allocator: objects of one size, by free order", "p", 1)
	pivot("memory", "Bytes per tree counter, by number of CPUs", "p", 1)
}
