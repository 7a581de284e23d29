# SPDX-License-Identifier: MIT
# csv.awk - the reader every bench script shares: it loads the CSV that
# pcpu-bench writes (bench/report.h: "# key: value" lines, a line of column
# names, one line per result) from one or more files, and formats figures.
# Given first, before the script that uses what it loaded in its END:
#     awk -f bench/csv.awk -f bench/table.awk FILE.csv...
#
# After the input: n results; result i is sec[i] wl[i] impl[i] mode[i]
# thr[i] param[i] unit[i] med[i] lo[i] hi[i] reps[i] base[i] ratio[i]
# scaling[i] (a missing number is ""), and line[i] is its record as read.
# head[K] is the first file's "# K:" value, except head["runtime"], every
# distinct runtime joined with "; ".  A record that is not 14 fields, or a
# file whose columns are not pcpu-bench's, stops the script with status 1.
BEGIN {
	columns = "section,workload,impl,mode,threads,param,unit,median,min,max,reps,baseline,ratio,scaling"
	n = 0
}

# csv_split(s, f): the fields of record s into f[1..]; their number, or
# -1 for a quote left open.
function csv_split(s, f,    nf, i, c, quoted) {
	nf = 1
	f[1] = ""
	quoted = 0
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (quoted && c == "\"" && substr(s, i + 1, 1) == "\"") {
			f[nf] = f[nf] c
			i++
		} else if (c == "\"") {
			quoted = !quoted
		} else if (c == "," && !quoted) {
			f[++nf] = ""
		} else {
			f[nf] = f[nf] c
		}
	}
	return quoted ? -1 : nf
}

function csv_fail(why) {
	printf "%s:%d: %s\n", FILENAME, FNR, why | "cat 1>&2"
	csv_failed = 1
	exit 1
}

# Runs before the END of the script given after this file; an exit in an
# END skips the ones after it.
END {
	if (csv_failed)
		exit 1
}

FNR == 1 { csv_columns = 0 }

/^# [a-z]+: / {
	k = substr($0, 3, index($0, ":") - 3)
	v = substr($0, index($0, ":") + 2)
	if (k == "runtime" && k in head) {
		if (index("; " head[k] "; ", "; " v "; ") == 0)
			head[k] = head[k] "; " v
	} else if (!(k in head)) {
		head[k] = v
	}
	next
}

!csv_columns {
	if ($0 != columns)
		csv_fail("not pcpu-bench's columns: " $0)
	csv_columns = 1
	next
}

{
	if (csv_split($0, f) != 14)
		csv_fail("not a record of 14 fields: " $0)
	n++
	sec[n] = f[1]; wl[n] = f[2]; impl[n] = f[3]; mode[n] = f[4]
	thr[n] = f[5] + 0; param[n] = f[6]; unit[n] = f[7]
	med[n] = f[8]; lo[n] = f[9]; hi[n] = f[10]; reps[n] = f[11] + 0
	base[n] = f[12]; ratio[n] = f[13]; scaling[n] = f[14]
	line[n] = $0
}

function abs(x) {
	return x < 0 ? -x : x
}

# For people: three significant digits, no exponent; "n/a" when missing
# or not finite (C's %g writes "inf").
function human(x) {
	if (x !~ /^-?[0-9]/)
		return "n/a"
	x += 0
	if (abs(x) >= 100 || (x == int(x) && abs(x) < 1e9))
		return sprintf("%.0f", x)
	return sprintf(abs(x) >= 10 ? "%.1f" : "%.2f", x)
}

# A ratio as people read it: "4x", or "n/a" when not finite.
function times(x) {
	return x ~ /^-?[0-9]/ ? human(x) "x" : "n/a"
}

# Result i's median, ">median" for a run stopped at its limit (reps 0).
function sample(i) {
	return (reps[i] == 0 && med[i] != "" ? ">" : "") human(med[i])
}

# How a process's runtime is named in legends.
function mode_label(m) {
	return m == "api" ? "libpcpu-api, linked" : "libpcpu.so, mode=" m
}

# Aggregate Mops/s of threaded ns/op figure x of result i, or "".
function mops(i, x) {
	if (!thr[i] || unit[i] != "ns/op" || x == "" || x <= 0)
		return ""
	return thr[i] * 1e3 / x
}

# Result i's ns/op above the call floor of its own process (the same
# section, mode and threads), or "": libpcpu's threaded figures only.
function over_floor(i,    j) {
	if (!thr[i] || impl[i] != "libpcpu" || unit[i] != "ns/op" ||
	    wl[i] == "call floor" || !reps[i])
		return ""
	for (j = 1; j <= n; j++)
		if (wl[j] == "call floor" && sec[j] == sec[i] && mode[j] == mode[i] &&
		    thr[j] == thr[i] && reps[j])
			return med[i] - med[j]
	return ""
}
