# SPDX-License-Identifier: MIT
# table.awk - pcpu-bench CSV as the human table: the header, then every
# result on one line, columns aligned (numbers to the right).  Derived
# here, with no column in the CSV: Mops/s, the aggregate throughput of a
# threaded ns/op figure, and "over floor", a libpcpu figure's ns/op above
# its own process's call floor (csv.awk's over_floor).
#     awk -f bench/csv.awk -f bench/table.awk FILE.csv > table.txt
END {
	split("section workload impl mode thr param median min-max unit Mops/s " \
	    "over_floor vs_1T vs_baseline", title, " ")
	nc = 13
	for (c = 1; c <= nc; c++) {
		gsub(/_/, " ", title[c])
		cell[0, c] = title[c]
		width[c] = length(title[c])
	}
	for (i = 1; i <= n; i++) {
		x = over_floor(i)
		m = mops(i, med[i])
		cell[i, 1] = sec[i]
		cell[i, 2] = wl[i]
		cell[i, 3] = impl[i]
		cell[i, 4] = mode[i]
		cell[i, 5] = thr[i] ? thr[i] : "-"
		cell[i, 6] = param[i] != "" ? param[i] : "-"
		cell[i, 7] = sample(i)
		cell[i, 8] = human(lo[i]) "-" human(hi[i])
		cell[i, 9] = unit[i]
		cell[i, 10] = m == "" ? "-" : human(m)
		cell[i, 11] = x == "" ? "-" : (x < 0 ? "-" : "+") human(abs(x))
		cell[i, 12] = scaling[i] == "" ? "-" : times(scaling[i])
		cell[i, 13] = ratio[i] == "" ? "-" : times(ratio[i]) " " base[i]
		for (c = 1; c <= nc; c++)
			if (length(cell[i, c]) > width[c])
				width[c] = length(cell[i, c])
	}
	printf "machine: %s\nruntime: %s\ncommand: %s\ndate: %s\n\n", head["machine"],
	    head["runtime"], head["command"], head["date"]
	for (i = 0; i <= n; i++) {
		for (c = 1; c < nc; c++) {
			right = c == 5 || c == 7 || c == 10 || c == 11 || c == 12
			printf "%" (right ? "" : "-") width[c] "s  ", cell[i, c]
		}
		print cell[i, nc]
	}
}
