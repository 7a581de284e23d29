#!/bin/sh
# The arm64 leg: cross-build libpcpu for aarch64-linux-gnu from this
# checkout's files and run the whole test suite under qemu-aarch64.
#
# usage: .ci/arm64-check.sh [BUILDDIR]        (default: build-arm64)
#
#   BUILDDIR/sysroot  arm64 build dependencies (.ci/arm64-sysroot.sh); kept
#   BUILDDIR/src      a fresh copy of the checkout's files, tracked and
#                     untracked but not ignored: the checkout itself may be
#                     configured in place, which rules out building it out
#                     of tree, and its build outputs must not leak in
#   BUILDDIR/obj      the out-of-tree build: ../src/configure --host=...
#
# The emulator is qemu-aarch64-static, unpacked beside the sysroot (see
# .ci/arm64-sysroot.sh for why not qemu-user's qemu-aarch64).
# The suite runs once per qemu CPU model in PCPU_ARM64_CPUS, default
# "max cortex-a53": max has the LSE atomics, the Cortex-A53 is a baseline
# armv8.0 core without them, so both paths of the outline atomics run.
# ARM64_JOBS (default 2) is make's -j.  The packages of .ci/arm64-deps.sh
# must be installed.  Exits 0 when every pass passed.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-$top/build-arm64}
cpus=${PCPU_ARM64_CPUS:-max cortex-a53}
jobs=${ARM64_JOBS:-2}
triplet=aarch64-linux-gnu
start=$(date +%s)

say() { echo "arm64: $*"; }
die() { say "$*"; exit 1; }

# Our make is not the caller's: no jobserver to inherit.
unset MAKEFLAGS MFLAGS MAKELEVEL

command -v $triplet-gcc >/dev/null || die "$triplet-gcc missing (.ci/arm64-deps.sh)"
[ -e /lib/ld-linux-aarch64.so.1 ] || die "libc6:arm64 missing (.ci/arm64-deps.sh)"

mkdir -p "$B" || exit 1
B=$(cd "$B" && pwd)
sys=$B/sysroot
"$top/.ci/arm64-sysroot.sh" "$sys" || die "cannot assemble the sysroot"

rm -rf "$B/src" "$B/obj"
mkdir -p "$B/src" "$B/obj"
git -C "$top" ls-files -z --cached --others --exclude-standard |
	(cd "$top" && tar --null --ignore-failed-read -T - -cf -) |
	tar -xf - -C "$B/src" || die "cannot copy the checkout"
(cd "$B/src" && autoreconf -fi) || die "autoreconf failed"

lib=$sys/usr/lib/$triplet
cd "$B/obj" || exit 1
../src/configure --host=$triplet \
	CPPFLAGS="-isystem $sys/usr/include -idirafter $sys/usr/include/$triplet" \
	LDFLAGS="-L$lib -Wl,-rpath-link,$lib:$sys/lib/$triplet" \
	JEMALLOC_PIC="$lib/libjemalloc_pic.a" \
	PKG_CONFIG_LIBDIR="$lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$sys" \
	TEST_EMULATOR="$sys/usr/bin/qemu-aarch64-static -E LD_LIBRARY_PATH=$lib:$sys/lib/$triplet" \
	>configure.out 2>&1 || { cat configure.out; die "configure failed"; }
make -j"$jobs" >build.out 2>&1 || { cat build.out; die "build failed"; }
say "built in $(($(date +%s) - start)) s, libpcpu.so for" \
	"$($triplet-readelf -h .libs/libpcpu.so | sed -n 's/^ *Machine: *//p')"

failed=
for cpu in $cpus; do
	t=$(date +%s)
	say "make check, qemu-aarch64 -cpu $cpu"
	if QEMU_CPU=$cpu make -j"$jobs" check; then
		# The suite must have run emulated, not natively or not at all.
		grep -q '^# machine: aarch64' tests/api/identity.api.log ||
			{ say "tests/api/identity.api.log does not say aarch64"; failed=1; }
	else
		# The failed tests' own logs; test-suite.log would repeat the
		# summary that .ci/run counts.
		find tests bench examples -name '*.trs' -exec grep -l -E \
			'^:global-test-result: (FAIL|ERROR|XPASS)' {} + |
		while read -r trs; do
			echo "--- ${trs%.trs}.log"
			cat "${trs%.trs}.log"
		done
		failed=1
	fi
	cp test-suite.log "$B/test-suite-$cpu.log"
	say "-cpu $cpu took $(($(date +%s) - t)) s"
done

say "wall time $(($(date +%s) - start)) s"
[ -z "$failed" ] || die "FAILED"
say "all passes passed"
