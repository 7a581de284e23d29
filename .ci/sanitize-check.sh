#!/bin/sh
# The sanitizer legs: build this checkout with -fsanitize=KIND, libraries
# and test programs alike, and run the whole test suite.
#
# usage: .ci/sanitize-check.sh KIND [BUILDDIR]    (KIND: undefined)
#
#   BUILDDIR/src  a fresh copy of the checkout's files, tracked and
#                 untracked but not ignored (the checkout may be configured
#                 in place, which rules out building it out of tree)
#   BUILDDIR/obj  the out-of-tree build
#
# undefined: UBSan, every report fatal (-fno-sanitize-recover), so a test
# that reaches undefined behaviour fails.  libpcpu.so then needs
# libubsan.so, which any program can load: the preloaded variants work as
# they are, and tests/process/hygiene.sh accepts the sanitizer's libraries
# (PCPU_TEST_SANITIZER).  ASan and TSan are not offered: their runtimes
# must come first in a process, which LD_PRELOAD=libpcpu.so into an
# instrumented test program breaks (ASAN_OPTIONS=verify_asan_link_order=0
# hides it, but the shell tests preload into uninstrumented programs too).
# SANITIZE_JOBS (default 2) is make's -j.  Exits 0 when the suite passed.
set -u

kind=${1:?usage: sanitize-check.sh KIND [BUILDDIR]}
top=$(cd "$(dirname "$0")/.." && pwd)
B=${2:-$top/build-$kind}
jobs=${SANITIZE_JOBS:-2}

say() { echo "sanitize-$kind: $*"; }
die() { say "$*"; exit 1; }

case $kind in
undefined)
	flags="-fsanitize=undefined -fno-sanitize-recover=undefined"
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	;;
*) die "unknown kind (undefined)" ;;
esac

# Our make is not the caller's: no jobserver to inherit.
unset MAKEFLAGS MFLAGS MAKELEVEL

mkdir -p "$B" || exit 1
B=$(cd "$B" && pwd)
rm -rf "$B/src" "$B/obj"
mkdir -p "$B/src" "$B/obj"
git -C "$top" ls-files -z --cached --others --exclude-standard |
	(cd "$top" && tar --null --ignore-failed-read -T - -cf -) |
	tar -xf - -C "$B/src" || die "cannot copy the checkout"
(cd "$B/src" && autoreconf -fi >/dev/null 2>&1) || die "autoreconf failed"
cd "$B/obj" || exit 1
../src/configure CFLAGS="-O2 -g $flags" CXXFLAGS="-O2 -g $flags" LDFLAGS="$flags" \
	>configure.out 2>&1 || { cat configure.out; die "configure failed"; }
make -j"$jobs" >build.out 2>&1 || { cat build.out; die "build failed"; }
PCPU_TEST_SANITIZER=$kind make -j"$jobs" check
status=$?
# The reports, if any, for the summary.
grep -l "runtime error:" tests/*.log tests/*/*.log examples/*.log 2>/dev/null | sed "s|^|sanitize-$kind: report in $B/obj/|"
exit $status
