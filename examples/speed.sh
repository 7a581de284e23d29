#!/bin/sh
# SPDX-License-Identifier: MIT
# The one line that states how much faster a program runs with libpcpu.so
# preloaded (auto mode) than linked with libpcpu-api: same binary,
# alternating runs, medians.  Used by make demo, examples/wrk-service.sh and
# make wordfreq-speed.
#
#   examples/speed.sh run LIBPCPU.SO RUNS PROGRAM [ARG...]
#       run PROGRAM plain, then preloaded, RUNS times each, and compare the
#       median wall times; with SPEED_TIME_LINE=PREFIX, the seconds the
#       program prints on its output line starting with PREFIX instead (the
#       work it times, without process start-up and exit; a failed run fails)
#   examples/speed.sh line UNIT higher|lower "PLAIN VALUES" "PRELOADED VALUES"
#       the line for figures measured elsewhere (higher|lower: which is
#       better, e.g. req/s or s)
set -u

median() {
	tr ' ' '\n' | sed '/^$/d' | sort -g |
		awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# line UNIT BETTER PLAIN PRELOADED
line() {
	n=$(echo "$3" | wc -w)
	a=$(echo "$3" | median)
	b=$(echo "$4" | median)
	awk -v a="$a" -v b="$b" -v u="$1" -v better="$2" -v n="$n" 'BEGIN {
		r = (better == "lower") ? a / b : b / a
		printf "speed:     preloaded (auto mode) %.2fx %s than linked with libpcpu-api (median of %d alternating runs each: %g %s linked, %g %s preloaded)\n",
			(r >= 1) ? r : 1 / r, (r >= 1) ? "faster" : "slower", n, a, u, b, u
	}'
}

now() {
	date +%s.%N
}

case ${1:-} in
line)
	shift
	line "$@"
	;;
run)
	lib=$2
	runs=$3
	shift 3
	plain=
	pre=
	out=$(mktemp) || exit 1
	trap 'rm -f "$out"' EXIT
	# seconds of the run whose output is in $out, started at $1
	took() {
		if [ -n "${SPEED_TIME_LINE:-}" ]; then
			sed -n "s/^$SPEED_TIME_LINE *\([0-9.]*\).*/\1/p" "$out" | head -n 1
		else
			awk "BEGIN { printf \"%.3f\", $(now) - $1 }"
		fi
	}
	for _ in $(seq "$runs"); do
		t0=$(now)
		env -u LD_PRELOAD -u PCPU_MODE "$@" >"$out" || exit 1
		plain="$plain $(took "$t0")"
		t0=$(now)
		env -u PCPU_MODE LD_PRELOAD="$lib" "$@" >"$out" || exit 1
		pre="$pre $(took "$t0")"
	done
	line s lower "$plain" "$pre"
	;;
*)
	echo "usage: speed.sh run LIB RUNS PROGRAM [ARG...] | line UNIT higher|lower PLAIN PRELOADED" >&2
	exit 2
	;;
esac
