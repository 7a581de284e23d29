#!/bin/sh
# SPDX-License-Identifier: MIT
# Throughput of examples/example_service under wrk on loopback, linked with
# libpcpu-api (plain) and with libpcpu.so preloaded, alternating rounds in
# one run; prints requests/s of each round and the ratio of the medians in
# the line examples/speed.sh words for every comparison.
#
#   examples/wrk-service.sh [SECONDS-PER-ROUND] [ROUNDS] [CONNECTIONS] [PATH]
#
# Run from the build directory after make check (or make all and
# make examples/example_service).  Needs wrk.
set -e
secs=${1:-5}
rounds=${2:-3}
conns=${3:-16}
path=${4:-/hello}
builddir=${top_builddir:-.}
svc=$builddir/examples/example_service
lib=$(cd "$builddir/.libs" && pwd)/libpcpu.so
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pcpu-wrk.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

command -v wrk >/dev/null || { echo "wrk-service.sh: wrk not found" >&2; exit 1; }

# round VARIANT: one wrk run against a fresh service; prints requests/s.
round() {
	rm -f "$tmp/port"
	if [ "$1" = preloaded ]; then
		LD_PRELOAD=$lib "$svc" --serve $((secs + 2)) --port-file "$tmp/port" \
			>"$tmp/stats.$1" 2>/dev/null &
	else
		"$svc" --serve $((secs + 2)) --port-file "$tmp/port" >"$tmp/stats.$1" 2>/dev/null &
	fi
	pid=$!
	while [ ! -s "$tmp/port" ]; do sleep 0.05; done
	wrk -t2 -c"$conns" -d"${secs}s" "http://127.0.0.1:$(cat "$tmp/port")$path" >"$tmp/wrk"
	wait $pid
	sed -n 's/^Requests\/sec: *//p' "$tmp/wrk"
}

echo "example_service under wrk -t2 -c$conns -d${secs}s http://127.0.0.1:PORT$path"
plain=
pre=
for i in $(seq "$rounds"); do
	a=$(round plain)
	b=$(round preloaded)
	echo "round $i: plain $a req/s, preloaded $b req/s"
	plain="$plain $a"
	pre="$pre $b"
done
sh "$(dirname "$0")/speed.sh" line req/s higher "$plain" "$pre"
echo "last preloaded run's /stats:"
cat "$tmp/stats.preloaded"
