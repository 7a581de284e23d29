#!/bin/sh
# Assemble the arm64 sysroot of libpcpu's build dependencies from Debian's
# arm64 packages, unpacked into DIR and never installed: libjemalloc-dev for
# arm64 and for amd64 replace each other, so the cross build cannot get its
# headers and archives from the system.
#
# usage: .ci/arm64-sysroot.sh DIR
#
# Needs the arm64 architecture in dpkg's list and its package lists fetched
# (.ci/arm64-deps.sh does both).  The C library is not in DIR: the cross
# toolchain brings the one to link with, and Debian's multiarch libc6:arm64
# the one tests run with.  DIR/.stamp names the packages unpacked; a DIR
# that has it is left alone (remove DIR to refresh it).
set -eu

packages="libjemalloc-dev libjemalloc2 libunwind-dev libunwind8 liblzma-dev liblzma5"

[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
dir=$1
[ -f "$dir/.stamp" ] && exit 0

mkdir -p "$dir/debs"
dir=$(cd "$dir" && pwd)
(
	cd "$dir/debs"
	rm -f ./*.deb
	apt-get download -q -o APT::Sandbox::User=root $(for p in $packages; do printf '%s:arm64 ' "$p"; done)
)
for deb in "$dir"/debs/*.deb; do
	dpkg-deb -x "$deb" "$dir"
done
# Development links that point at the running system (/lib/...) point into
# DIR instead, so the linker finds the arm64 libraries they name.
find "$dir" -type l | while read -r link; do
	target=$(readlink "$link")
	case $target in
	/*) ln -sfn "$dir$target" "$link" ;;
	esac
done
(cd "$dir/debs" && ls ./*.deb) >"$dir/.stamp"
echo "arm64 sysroot in $dir:" $(sed 's|^\./||; s|_arm64\.deb$||' "$dir/.stamp")
