#!/bin/sh
# SPDX-License-Identifier: MIT
# make bench: the standard set of pcpu-bench runs, merged into one report.
#
#   bench/run-bench.sh [RESULTS_DIR]      (top_builddir: the build tree)
#
# Runs pcpu-bench linked against libpcpu-api (plain), then with libpcpu.so
# preloaded in each access mode (PCPU_MODE=rseq, atomic, local).  A mode the
# runtime does not provide falls back to another, which pcpu_runtime()
# names: such a run is labelled with the mode in force, and skipped when
# that mode was already measured.  The first preloaded mode that works also
# runs the allocator table, the 256-leaf reads and select_max, and the
# memory per counter for several CPU counts (PCPU_NR_CPUS).  Writes
# RESULTS_DIR/{table.txt,results.csv,results.json,summary.md,plots/,raw/}
# and RESULTS_DIR/README-performance.md.
#
# Environment: BENCH_THREADS (default: CPUs in the affinity mask),
# BENCH_REPS (default 5), BENCH_OBJECTS (default 1000000),
# BENCH_CPU_COUNTS (default "2 16 64 256 1024 4096").
set -eu

out=${1:-bench-results}
top=${top_builddir:-$(pwd)}
srcdir=$(cd "$(dirname "$0")/.." && pwd)
preload=$top/.libs/libpcpu.so
cpu_counts=${BENCH_CPU_COUNTS:-2 16 64 256 1024 4096}

common="--reps ${BENCH_REPS:-5}"
[ -n "${BENCH_THREADS:-}" ] && common="$common --threads $BENCH_THREADS"

rm -rf "$out/raw" "$out/plots"
mkdir -p "$out/raw" "$out/plots"
start=$(date +%s)

# pcpu_bench NAME [VAR=VALUE...] -- ARGS...: one run, its CSV in raw/NAME.csv
pcpu_bench() {
	name=$1
	shift
	envs=
	while [ "$1" != -- ]; do
		envs="$envs $1"
		shift
	done
	shift
	echo "  [$(($(date +%s) - start))s] $name:$envs pcpu-bench $*" >&2
	# shellcheck disable=SC2086 # envs and common are word lists
	"$top/libtool" --mode=execute env $envs "$top/bench/pcpu-bench" $common "$@" \
		--format csv --output "$out/raw/$name.csv"
}

identify() {
	"$top/libtool" --mode=execute env LD_PRELOAD="$preload" PCPU_MODE="$1" \
		"$top/bench/pcpu-bench" --identify
}

echo "pcpu-bench: standard set into $out/" >&2
pcpu_bench 1-api -- --section scale,read,ref-kill

seen=
first=
i=0
for mode in rseq atomic local; do
	i=$((i + 1))
	actual=$(identify "$mode")
	case " $seen " in
	*" $actual "*)
		echo "  PCPU_MODE=$mode: the runtime runs mode=$actual, measured already; skipped" >&2
		continue
		;;
	esac
	[ "$actual" = "$mode" ] ||
		echo "  PCPU_MODE=$mode: the runtime runs mode=$actual; labelled $actual" >&2
	seen="$seen $actual"
	: "${first:=$mode}"
	pcpu_bench "2$i-$actual" LD_PRELOAD="$preload" PCPU_MODE="$mode" -- \
		--section scale,read,ref-kill
done

pcpu_bench 3-read-256 LD_PRELOAD="$preload" PCPU_MODE="$first" PCPU_NR_CPUS=256 -- \
	--section read
pcpu_bench 4-alloc LD_PRELOAD="$preload" PCPU_MODE="$first" -- \
	--section alloc --objects "${BENCH_OBJECTS:-1000000}"
for n in $cpu_counts; do
	# zero-padded: the merge reads raw/*.csv in name order
	pcpu_bench "5-memory-$(printf %05d "$n")" LD_PRELOAD="$preload" PCPU_MODE="$first" \
		PCPU_NR_CPUS="$n" -- --section memory
done

merge() {
	"$top/libtool" --mode=execute "$top/bench/pcpu-bench" --merge \
		--command "make bench (bench/run-bench.sh)" "$@" "$out"/raw/*.csv
}
merge --format csv --output "$out/results.csv"
merge --format json --output "$out/results.json"
merge --format markdown --output "$out/summary.md"
merge --format table --output "$out/table.txt" --plot "$out/plots"
"$srcdir/bench/readme-section.sh" "$out" >"$out/README-performance.md"

cat "$out/table.txt"
echo "pcpu-bench: $(($(date +%s) - start)) s; results in $out/ (plots, or their data and gnuplot scripts, in $out/plots/)" >&2
