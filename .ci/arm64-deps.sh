#!/bin/sh
# Install what the arm64 leg needs on a Debian 12 amd64 host (as root): the
# cross toolchain, qemu-user, and Debian's multiarch arm64 C library that
# the emulated tests run with.  Installs nothing already there.
#
# The tests run against libc6:arm64 (beside the amd64 libc, found by qemu's
# default library prefix), not against the cross toolchain's
# libc6-arm64-cross: with that one's loader (qemu -L /usr/aarch64-linux-gnu)
# a program that calls pthread_create hangs under qemu-aarch64 7.2.
set -eu

host_packages="gcc-aarch64-linux-gnu g++-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user"
guest_packages="libc6:arm64 libstdc++6:arm64"

export DEBIAN_FRONTEND=noninteractive
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	dpkg --add-architecture arm64
	apt-get update -qq
elif ! apt-cache policy libjemalloc-dev:arm64 | grep -q 'Candidate: [0-9]'; then
	apt-get update -qq
fi

missing=
for p in $host_packages $guest_packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "arm64: installing$missing"
	apt-get install -y -qq $missing >/dev/null
fi
