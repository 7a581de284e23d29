#!/bin/sh
# Assemble what the arm64 leg takes from Debian packages without installing
# them, in DIR:
#   - the arm64 sysroot of libpcpu's build dependencies, from Debian's arm64
#     packages: libjemalloc-dev for arm64 and for amd64 replace each other,
#     so the cross build cannot get its headers and archives from the system;
#   - DIR/usr/bin/qemu-aarch64-static, from qemu-user-static (whose package
#     conflicts with qemu-user-binfmt).  qemu-user's qemu-aarch64 7.2 is
#     built with TCG plugins and asserts (plugins/core.c:221, "success")
#     when a child forked from a multi-threaded process creates a thread;
#     the static build has no plugins and runs such programs.
#
# usage: .ci/arm64-sysroot.sh DIR
#
# Needs the arm64 architecture in dpkg's list and its package lists fetched
# (.ci/arm64-deps.sh does both).  The C library is not in DIR: the cross
# toolchain brings the one to link with, and Debian's multiarch libc6:arm64
# the one tests run with.  DIR/.stamp names the packages unpacked; a DIR
# whose stamp names the same packages is left alone (remove DIR to fetch
# newer versions).
set -eu

packages="libjemalloc-dev libjemalloc2 libunwind-dev libunwind8 liblzma-dev liblzma5"
emulator=qemu-user-static

[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
dir=$1
want="$packages $emulator"
[ "$(head -n 1 "$dir/.stamp" 2>/dev/null)" = "$want" ] && exit 0

mkdir -p "$dir/debs"
dir=$(cd "$dir" && pwd)
(
	cd "$dir/debs"
	rm -f ./*.deb
	apt-get download -q -o APT::Sandbox::User=root $emulator \
		$(for p in $packages; do printf '%s:arm64 ' "$p"; done)
)
for deb in "$dir"/debs/*_arm64.deb; do
	dpkg-deb -x "$deb" "$dir"
done
dpkg-deb --fsys-tarfile "$dir"/debs/${emulator}_*.deb |
	tar -xf - -C "$dir" ./usr/bin/qemu-aarch64-static
# Development links that point at the running system (/lib/...) point into
# DIR instead, so the linker finds the arm64 libraries they name.
find "$dir" -type l | while read -r link; do
	target=$(readlink "$link")
	case $target in
	/*) ln -sfn "$dir$target" "$link" ;;
	esac
done
(echo "$want"; cd "$dir/debs" && ls ./*.deb) >"$dir/.stamp"
rm -f "$dir"/debs/${emulator}_*.deb	# 60 MB, of which one program is kept
echo "arm64 sysroot in $dir:" $(sed '1d; s|^\./||; s|_[a-z0-9]*\.deb$||' "$dir/.stamp")
