#!/bin/sh
# make demo: run the instrumented demo linked with libpcpu-api, then the
# same binary with libpcpu.so preloaded, and show what changed.  The
# "result:" lines must not change; exit status 1 if they do.  The last
# line states the speed-up: 5 more runs of each, alternating, medians of
# the time the demo reports for its requests (examples/speed.sh).
# usage: demo.sh DEMO-BINARY LIBPCPU.SO [REQUESTS-PER-THREAD]
set -u
demo=$1
lib=$2
shift 2
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

echo "=== 1. $demo, linked with libpcpu-api (portable)"
"$demo" "$@" | tee "$tmp/plain" || exit 1
echo
echo "=== 2. LD_PRELOAD=$lib $demo"
LD_PRELOAD=$lib${LD_PRELOAD:+:$LD_PRELOAD} "$demo" "$@" | tee "$tmp/preload" || exit 1
echo
echo "=== What changed"
for key in runtime copies layout accuracy memory time; do
	printf '%-10s %s\n' "$key:" "$(sed -n "s/^$key: *//p" "$tmp/plain")"
	printf '%-10s %s\n' "" "$(sed -n "s/^$key: *//p" "$tmp/preload")"
done
grep -q '^runtime: *libpcpu ' "$tmp/preload" ||
	{ echo "demo: the preload did not take effect"; exit 1; }
grep '^result:' "$tmp/plain" >"$tmp/plain.results"
grep '^result:' "$tmp/preload" >"$tmp/preload.results"
if cmp -s "$tmp/plain.results" "$tmp/preload.results"; then
	echo "results:  identical ($(wc -l <"$tmp/plain.results") result lines): same program, same answers"
else
	echo "results:  DIFFERENT:"
	diff "$tmp/plain.results" "$tmp/preload.results"
	exit 1
fi
SPEED_TIME_LINE=time: sh "$(dirname "$0")/speed.sh" run "$lib" 5 "$demo" "$@"
