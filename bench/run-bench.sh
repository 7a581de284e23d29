#!/bin/sh
# SPDX-License-Identifier: MIT
# make bench: the standard set of pcpu-bench runs, and what report.sh makes
# of their CSV.
#
#   bench/run-bench.sh [RESULTS_DIR]      (top_builddir: the build tree)
#
# Runs pcpu-bench linked against libpcpu-api (plain), then with libpcpu.so
# preloaded in each access mode (PCPU_MODE=rseq, atomic, local).  A mode the
# runtime does not provide falls back to another, which pcpu_runtime()
# names: such a run is labelled with the mode in force, and skipped when
# that mode was already measured.  The first preloaded mode that works also
# runs the allocator table, the 256-leaf reads and select_max, and the
# memory per counter for several CPU counts (PCPU_NR_CPUS).  Each run's CSV
# is RESULTS_DIR/raw/NAME.csv; bench/report.sh makes RESULTS_DIR/
# {results.csv,results.json,table.txt,performance.md,plots/} from them, the
# load average before and after the runs noted in performance.md.
#
# Environment: BENCH_THREADS (default: CPUs in the affinity mask),
# BENCH_REPS (default: pcpu-bench's), BENCH_OBJECTS (default 1000000),
# BENCH_CPU_COUNTS (default "2 16 64 256 1024 4096"), BENCH_NOTE (more
# words on the conditions, for performance.md).
set -eu

out=${1:-bench-results}
top=${top_builddir:-$(pwd)}
srcdir=$(cd "$(dirname "$0")/.." && pwd)
preload=$top/.libs/libpcpu.so
cpu_counts=${BENCH_CPU_COUNTS:-2 16 64 256 1024 4096}

common=
[ -n "${BENCH_REPS:-}" ] && common="--reps $BENCH_REPS"
[ -n "${BENCH_THREADS:-}" ] && common="$common --threads $BENCH_THREADS"

rm -rf "$out/raw"
mkdir -p "$out/raw"
start=$(date +%s)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

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
		--output "$out/raw/$name.csv"
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

load_after=$(cut -d' ' -f1-3 /proc/loadavg)
note="Load average (1, 5, 15 min) before the runs: $load_before; after: $load_after."
sh "$srcdir/bench/report.sh" --command "make bench (bench/run-bench.sh)" \
	--note "$note${BENCH_NOTE:+ $BENCH_NOTE}" "$out" "$out"/raw/*.csv

cat "$out/table.txt"
echo "pcpu-bench: $(($(date +%s) - start)) s; results in $out/ (charts, or their data and gnuplot scripts, in $out/plots/)" >&2
