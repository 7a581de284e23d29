#!/bin/sh
# SPDX-License-Identifier: MIT
# report.sh - everything people read about a benchmark run, made from the
# CSV that pcpu-bench writes (it writes nothing else):
#
#   bench/report.sh [--command TEXT] [--note TEXT] DIR FILE.csv...
#       merges the files into DIR/results.csv (the command named TEXT) and
#       writes DIR/results.json, DIR/table.txt, DIR/performance.md and the
#       charts' data and gnuplot scripts in DIR/plots/.  With gnuplot in
#       PATH it draws the charts (DIR/plots/*.png); without it, one line on
#       stderr names the charts skipped, and the status is still 0.  NOTE:
#       a paragraph on the conditions of the run (load, noise).
#   bench/report.sh --publish DIR DOCDIR
#       copies DIR/performance.md and the charts it shows to DOCDIR and
#       DOCDIR/plots/ (`make bench-doc`); its links are relative, plots/...,
#       so they hold in both places.
#
# The awk scripts beside this one do the work, each reading the CSV with
# csv.awk: merge.awk, json.awk, table.awk, markdown.awk, plots.awk.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
# Any POSIX awk (Debian's default is mawk).
AWK=${AWK:-awk}

usage() {
	echo "usage: report.sh [--command TEXT] [--note TEXT] DIR FILE.csv..." >&2
	echo "       report.sh --publish DIR DOCDIR" >&2
	exit 2
}

csv() {
	script=$1
	shift
	"$AWK" -f "$here/csv.awk" -f "$here/$script.awk" "$@"
}

# The charts performance.md shows, when drawn: NAME and its description.
doc_charts='scale-percpu_counter_tree_add|Tree counter adds: aggregate throughput against threads, beside the baselines
scale-percpu_ref-get-put|percpu_ref get+put: aggregate throughput against threads
nsop|One thread: ns per operation of every update, by implementation and mode
alloc-alloc|Allocator: ms to allocate all objects, by size and free order
memory|Bytes per tree counter against the number of CPUs'

publish() {
	src=$1
	doc=$2
	[ -f "$src/performance.md" ] || {
		echo "report.sh: no $src/performance.md (run make bench first)" >&2
		exit 1
	}
	mkdir -p "$doc/plots"
	rm -f "$doc"/plots/*.png
	sed -n 's/^!\[.*\](\(plots\/[^)]*\.png\))$/\1/p' "$src/performance.md" |
		while read -r png; do
			cp "$src/$png" "$doc/$png"
		done
	cp "$src/performance.md" "$doc/performance.md"
	echo "report.sh: $doc/performance.md and $(ls "$doc/plots" | wc -l) charts from $src" >&2
}

performance_md() {
	dir=$1
	note=$2
	field() { sed -n "s/^# $1: //p" "$dir/results.csv"; }
	cat <<MD
# Performance

Results of one \`make bench\` run, $(field date) (UTC).${note:+

$note}

Every figure comes from \`pcpu-bench\` linked against \`libpcpu-api\`
(column \`api\`) and the same binary with \`libpcpu.so\` preloaded in each
access mode the runtime provides (columns named by the mode
\`pcpu_runtime()\` reported).  Each cell is the median of at least 5 timed
repetitions after a warm-up (15 for the updates), threads pinned one per
CPU, each thread timed from its own start to its own end, every timed
loop compiled to start on a 32-byte boundary (its time would otherwise
move with where the linker put it).  The updates
and their baselines, on 1, 2, ... threads, are measured in rounds: each
repetition runs every one of them in turn, so that the ratios (an update
over its baseline, N threads over one) compare runs made under the same
load.  "[s of 1T]" is an N-thread figure's scaling: the median, over the
rounds, of its per-thread cost over the same update's on one thread in
that round (1 is linear).  Row \`thread-local\` is an add to a thread-local \`int64_t\` in
memory (one add instruction with a memory operand), the memory operation a
per-CPU add replaces; row \`own heap word\` is the same add through a
pointer to a word of the thread's own (some cores run a thread-local,
segment-relative add several times slower); row \`thread-local store\`
keeps the count in a register and only stores it, below any add.  "(Nx)" is the median of a
baseline measured in the same process divided by the cell's: above 1,
libpcpu is faster or smaller than the baseline.  Ratios hold on a busy
machine where absolute times do not.  ">N" is a run stopped at its time
limit, N a lower bound.  Row \`call floor\` is an exported call that
returns at once (\`pcpu_free(NULL)\`), the least any libpcpu call costs;
\`no-inline\` is the operation as an exported call, as a caller built with
\`-DPCPU_NO_INLINE\` makes it.

- Machine: $(field machine)
- Runtimes: $(field runtime)
- Command: \`$(field command)\`

\`make bench\` writes these tables, the full table with min-max ranges,
Mops/s and each figure above the call floor (\`bench-results/table.txt\`),
the CSV and JSON, and the charts; \`make bench-doc\` then replaces this
page and its charts with that run's.  bench/report.sh makes all of it from
pcpu-bench's CSV.
MD
	drawn=
	echo "$doc_charts" | while IFS='|' read -r name alt; do
		[ -f "$dir/plots/$name.png" ] || continue
		[ -n "$drawn" ] || printf '\n## Charts\n'
		drawn=1
		printf '\n![%s](plots/%s.png)\n' "$alt" "$name"
	done
	printf '\n## Tables\n'
	csv markdown "$dir/results.csv"
}

if [ "${1:-}" = --publish ]; then
	[ $# -eq 3 ] || usage
	publish "$2" "$3"
	exit 0
fi
command=
note=
while [ $# -gt 0 ]; do
	case $1 in
	--command) command=$2; shift 2 ;;
	--note) note=$2; shift 2 ;;
	-*) usage ;;
	*) break ;;
	esac
done
[ $# -ge 2 ] || usage
dir=$1
shift
mkdir -p "$dir/plots"
rm -f "$dir"/plots/*.dat "$dir"/plots/*.gp "$dir"/plots/*.png

csv merge -v command="$command" "$@" >"$dir/results.csv.tmp"
mv "$dir/results.csv.tmp" "$dir/results.csv"
csv json "$dir/results.csv" >"$dir/results.json"
csv table "$dir/results.csv" >"$dir/table.txt"

have_gnuplot=
command -v gnuplot >/dev/null 2>&1 && have_gnuplot=1
term=png
# pngcairo draws antialiased text; libgd's png is the fallback
[ -n "$have_gnuplot" ] && gnuplot -e 'set terminal pngcairo' </dev/null >/dev/null 2>&1 &&
	term=pngcairo
charts=$(csv plots -v dir="$dir/plots" -v term=$term "$dir/results.csv")
if [ -n "$have_gnuplot" ]; then
	for chart in $charts; do
		(cd "$dir/plots" && gnuplot "$chart.gp") || {
			echo "report.sh: gnuplot failed on $dir/plots/$chart.gp" >&2
			exit 1
		}
	done
elif [ -n "$charts" ]; then
	echo "report.sh: plots skipped (gnuplot not found in PATH; install gnuplot-nox and rerun):" \
		"$(echo "$charts" | paste -sd, - | sed 's/,/, /g'); their data and scripts are in $dir/plots/" >&2
fi
performance_md "$dir" "$note" >"$dir/performance.md"
