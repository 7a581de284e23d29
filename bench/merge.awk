# SPDX-License-Identifier: MIT
# merge.awk - several pcpu-bench CSV files as one, in the same format:
# the first file's machine and date, every runtime, the command given as
# -v command=TEXT (else the first file's), and every record as it was.
#     awk -f bench/csv.awk -f bench/merge.awk [-v command=TEXT] FILE.csv...
END {
	if (command != "")
		head["command"] = command
	split("machine runtime command date", key, " ")
	for (k = 1; k <= 4; k++)
		print "# " key[k] ": " head[key[k]]
	print columns
	for (i = 1; i <= n; i++)
		print line[i]
}
