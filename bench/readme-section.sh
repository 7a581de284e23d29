#!/bin/sh
# SPDX-License-Identifier: MIT
# Print the README's performance section (markdown) from a results
# directory written by `make bench`: the machine, the command, the main
# tables and two charts.
#
#   bench/readme-section.sh bench-results > perf.md
set -eu

dir=${1:?usage: readme-section.sh RESULTS_DIR}
summary=$dir/summary.md
[ -f "$summary" ] || {
	echo "readme-section.sh: no $summary (run make bench first)" >&2
	exit 1
}
machine=$(sed -n 's/^Machine: \(.*\)  $/\1/p' "$summary")
runtimes=$(sed -n 's/^Runtimes: \(.*\)  $/\1/p' "$summary")

cat <<MD
## Performance

Every figure below comes from one \`make bench\` run: \`pcpu-bench\` linked
against \`libpcpu-api\` (column \`api\`) and the same binary with
\`libpcpu.so\` preloaded in each access mode the runtime provides (columns
named by the mode \`pcpu_runtime()\` reported).  Each cell is the median of
at least 5 timed repetitions after a warm-up, threads pinned one per CPU;
"(Nx)" is the same-process baseline's median divided by the cell's, so
ratios hold even on a busy machine where absolute times do not.  The full
table with min-max ranges is \`$dir/table.txt\`; CSV and JSON are beside it.
Without gnuplot, \`make bench\` still writes every table, CSV and JSON, names
the charts it skipped in one line, and succeeds.

- Machine: $machine
- Runtimes: $runtimes
- Command: \`make bench\` (runs \`bench/run-bench.sh $dir\`)

MD
# the tables, without the header lines already given above
sed -e '/^Machine: /d' -e '/^Runtimes: /d' -e '/^Command: /d' "$summary"

# the charts, when gnuplot drew them (make bench skips them without it)
scale=$(ls "$dir/plots"/scale-percpu_counter_tree_add.png 2>/dev/null ||
	ls "$dir/plots"/scale-*.png 2>/dev/null | head -n 1 || true)
if [ -n "$scale" ]; then
	printf '\n![Aggregate throughput against threads](%s)\n' "$scale"
fi
if [ -f "$dir/plots/nsop.png" ]; then
	printf '\n![ns per operation at one thread, by implementation and mode](%s)\n' \
		"$dir/plots/nsop.png"
fi
