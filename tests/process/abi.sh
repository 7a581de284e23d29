#!/bin/sh
# The ABI: libpcpu.so and libpcpu-api.so must export exactly the same
# symbols, every one under version node PCPU_1, and nothing but the API
# declared with PCPU_API in include/pcpu.h and the data of pcpu/abi.h.  A difference would make the
# preload silently miss functions (or bind none at all, if the version node
# differed).  TAP output.
set -u
top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-.}
# NM: configure's choice (a cross nm for a cross build), else nm.
runtime=$top_builddir/.libs/libpcpu.so
portable=$top_builddir/.libs/libpcpu-api.so
header=$top_srcdir/include/pcpu.h
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT

n=0
failed=0
check() { # check STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}
show() { # show FILE: its lines as TAP diagnostics
	sed 's/^/#   /' "$1"
}

for lib in "$runtime" "$portable"; do
	[ -f "$lib" ] || { echo "Bail out! $lib is not built"; exit 1; }
done

# "TYPE NAME@VERSION", addresses dropped, sorted.
exports() {
	${NM:-nm} -D --defined-only "$1" | awk '{ print $(NF - 1), $NF }' | LC_ALL=C sort
}
exports "$runtime" >"$tmp/runtime" && exports "$portable" >"$tmp/portable" ||
	{ echo "Bail out! nm -D failed"; exit 1; }
echo "# libpcpu.so exports $(wc -l <"$tmp/runtime") symbols, libpcpu-api.so $(wc -l <"$tmp/portable")"

diff "$tmp/portable" "$tmp/runtime" >"$tmp/diff"
check $? "libpcpu.so and libpcpu-api.so export the same symbols and versions"
[ -s "$tmp/diff" ] && show "$tmp/diff"

# The API the header declares: names after PCPU_API up to "(", over
# declarations that span lines.  Preprocessor lines are not declarations.
grep -v '^[[:space:]]*#' "$header" | tr '\n' ' ' | tr ';' '\n' |
	sed -n 's/.*PCPU_API[^(]*[^a-z0-9_]\([a-z_][a-z0-9_]*\)[[:space:]]*(.*/\1/p' |
	LC_ALL=C sort -u >"$tmp/api"
count=$(wc -l <"$tmp/api")
[ "$count" -ge 60 ]
check $? "include/pcpu.h declares the API ($count PCPU_API functions)"

for which in runtime portable; do
	# The version node's own definition is the one symbol without "@@".
	awk '$2 == "PCPU_1" && $1 == "A" { next }
	     $2 !~ /@@PCPU_1$/ { print }' "$tmp/$which" >"$tmp/$which.unversioned"
	[ ! -s "$tmp/$which.unversioned" ]
	check $? "$which: every exported symbol is NAME@@PCPU_1"
	[ -s "$tmp/$which.unversioned" ] && show "$tmp/$which.unversioned"

	grep -q '^A PCPU_1$' "$tmp/$which"
	check $? "$which: defines version node PCPU_1"

	awk '$2 != "PCPU_1" && $1 == "T" { sub(/@.*/, "", $2); print $2 }' "$tmp/$which" |
		LC_ALL=C sort -u >"$tmp/$which.names"
	diff "$tmp/api" "$tmp/$which.names" >"$tmp/$which.diff"
	check $? "$which: exports exactly the PCPU_API functions of pcpu.h (< missing, > extra)"
	[ -s "$tmp/$which.diff" ] && show "$tmp/$which.diff"

	# The data is pcpu/abi.h's: the descriptor and the thread-local block.
	awk '$2 != "PCPU_1" && $1 != "T" { sub(/@.*/, "", $2); print $2 }' "$tmp/$which" |
		LC_ALL=C sort >"$tmp/$which.data"
	printf 'pcpu_abi_process\npcpu_abi_thread\n' | diff - "$tmp/$which.data" >"$tmp/$which.ddiff"
	check $? "$which: exports the functions and exactly the data of pcpu/abi.h"
	[ -s "$tmp/$which.ddiff" ] && show "$tmp/$which.ddiff"
done

echo "1..$n"
[ "$failed" -eq 0 ]
