#!/bin/sh
# SPDX-License-Identifier: MIT
# count-assertions.sh - how many assertions the test suite makes, counted
# two ways, so that a reorganisation of tests/ can show it lost none.
#
# usage: tests/utils/count-assertions.sh [SRCDIR [BUILDDIR]]
#        (defaults: the checkout this script is in, and the same directory)
#
# 1. sites: assertion call sites in the C and C++ test sources (ok(), is(),
#    tap_ok(), tap_is_i64(), tap_aborts(), tap_skip() as tap.h declares
#    them) and in the shell tests (shtap.sh's ok and skip, and the lines
#    that echo "ok ..." themselves), per file.
#    tap.c, which defines them, and the bench's tests are not counted.
# 2. lines: the TAP results ("ok N", "not ok N") each test log of the last
#    `make check` in BUILDDIR holds, per log (so per program and variant),
#    and how many distinct descriptions they carry (the text after
#    "ok N - ", the number dropped: a check in a loop that prints the same
#    text counts once).
# Totals close each part.  The bench's tests (tests/bench-*) are excluded
# from both: they belong to bench/.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=${1:-$(cd "$here/../.." && pwd)}
build=${2:-$src}

echo "# sites: assertion call sites per source file"
(cd "$src" && find tests examples -type f \( -name '*.c' -o -name '*.cc' \
	-o -name '*.sh' \) 2>/dev/null | grep -v -e '/bench-' -e '/tap\.c$' |
	sort) | while read -r f; do
	case $f in
	*.sh) n=$(grep -cE '^[[:space:]]*(ok|skip) |echo "ok ' "$src/$f") ;;
	*) n=$(grep -oE '\b(ok|is|tap_ok|tap_is_i64|tap_aborts|tap_skip)[[:space:]]*\(' \
		"$src/$f" | wc -l) ;;
	esac
	[ "$n" -gt 0 ] && printf '%6d  %s\n' "$n" "$f"
done | awk '{ print; t += $1 } END { printf "%6d  total sites\n", t }'

echo "# lines: TAP results / distinct descriptions per test log"
(cd "$build" && find tests examples -name '*.log' 2>/dev/null |
	grep -v -e '/bench-' -e 'test-suite' | sort) | while read -r f; do
	n=$(grep -cE '^(not )?ok [0-9]+' "$build/$f")
	d=$(grep -E '^(not )?ok [0-9]+' "$build/$f" |
		sed -E 's/^(not )?ok [0-9]+( - )?//' | sort -u | wc -l)
	printf '%6d %6d  %s\n' "$n" "$d" "$f"
done | awk '{ print; t += $1; u += $2 }
	END { printf "%6d %6d  total lines, distinct\n", t, u }'
