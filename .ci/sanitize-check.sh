#!/bin/sh
# The sanitizer legs: build this checkout with -fsanitize=KIND, libraries
# and test programs alike, and run the whole test suite.
#
# usage: .ci/sanitize-check.sh KIND [BUILDDIR]
#        (KIND: undefined, address or thread)
#
#   BUILDDIR/src  a fresh copy of the checkout's files, tracked and
#                 untracked but not ignored (the checkout may be configured
#                 in place, which rules out building it out of tree)
#   BUILDDIR/obj  the out-of-tree build
#
# undefined: UBSan, every report fatal (-fno-sanitize-recover), so a test
# that reaches undefined behaviour fails.  libpcpu.so then needs
# libubsan.so, which any program can load: the preloaded variants work as
# they are.
#
# address, thread: ASan and TSan want their runtime first in a process, so
# that their malloc interposes libc's.  LD_PRELOAD=libpcpu.so puts the
# runtime library before it, which they report and refuse
# (verify_asan_link_order, and TSan's own check); both are told not to
# check, which is sound here because libpcpu.so never calls libc's malloc
# (its own allocations are its private jemalloc's), so nothing it allocates
# crosses the sanitizer's heap.  The shell tests also preload the
# instrumented library into uninstrumented programs, where the sanitizer is
# loaded late and checks only libpcpu.so's own accesses.  LeakSanitizer
# stays on: a test that leaks heap memory fails.  TSan runs the API and
# stress suites only (see below).
#
# tests/process/hygiene.sh accepts the sanitizers' libraries in the process
# (PCPU_TEST_SANITIZER).
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
address)
	flags="-fsanitize=address -fno-omit-frame-pointer"
	export ASAN_OPTIONS=verify_asan_link_order=0:abort_on_error=1:detect_leaks=1
	;;
thread)
	flags="-fsanitize=thread -Wno-tsan"
	# detect_deadlocks=0: the private jemalloc takes more locks at fork()
	# than the detector tracks (64), which it reports as its own failure.
	# die_after_fork=0: the fork tests start threads in the child.
	export TSAN_OPTIONS=verify_interceptors=0:halt_on_error=1:detect_deadlocks=0:die_after_fork=0
	;;
*) die "unknown kind (undefined, address, thread)" ;;
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
# TSan runs the suites about data, not about the process: the API suites
# and the stress tests, in every variant.  The process tests (leak mode's
# libunwind, resident memory, ulimit, fork with threads), the examples and
# the bench measure what TSan's runtime itself changes.
tests=
if [ "$kind" = thread ]; then
	tests=$(make -s --eval='print-tsan-tests: ; @echo $(filter tests/api/% tests/stress/%,$(TESTS))' \
		print-tsan-tests) || die "cannot list the tests"
fi
PCPU_TEST_SANITIZER=$kind make -j"$jobs" check ${tests:+TESTS="$tests"}
status=$?
# The reports, if any, for the summary.
grep -rlE "runtime error:|ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer" \
	--include='*.log' tests 2>/dev/null | sed "s|^|sanitize-$kind: report in $B/obj/|"
exit $status
