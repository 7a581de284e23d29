# SPDX-License-Identifier: MIT
# json.awk - pcpu-bench CSV as JSON: the header's machine, runtime,
# command and date, and "results", one object per record with the CSV's
# columns as keys; numbers as JSON numbers, a missing one as null.
#     awk -f bench/csv.awk -f bench/json.awk FILE.csv > results.json
function str(s,    out, i, c) {
	out = ""
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (c == "\"" || c == "\\")
			out = out "\\" c
		else if (c == "\t")
			out = out "\\t"
		else if (c < " ")
			out = out " "
		else
			out = out c
	}
	return "\"" out "\""
}

# What C's %g wrote, when JSON can say it: "inf" or "" is null.
function num(s) {
	return s ~ /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/ ? s : "null"
}

END {
	printf "{\n  \"machine\": %s,\n  \"runtime\": %s,\n", str(head["machine"]),
	    str(head["runtime"])
	printf "  \"command\": %s,\n  \"date\": %s,\n  \"results\": [", str(head["command"]),
	    str(head["date"])
	for (i = 1; i <= n; i++) {
		printf "%s\n    {\"section\": %s, \"workload\": %s, \"impl\": %s, ",
		    (i > 1 ? "," : ""), str(sec[i]), str(wl[i]), str(impl[i])
		printf "\"mode\": %s, \"threads\": %d, \"param\": %s, \"unit\": %s, ",
		    str(mode[i]), thr[i], str(param[i]), str(unit[i])
		printf "\"median\": %s, \"min\": %s, \"max\": %s, \"reps\": %d, ",
		    num(med[i]), num(lo[i]), num(hi[i]), reps[i]
		printf "\"baseline\": %s, \"ratio\": %s, \"scaling\": %s}", str(base[i]),
		    num(ratio[i]), num(scaling[i])
	}
	printf "%s]\n}\n", n ? "\n  " : ""
}
