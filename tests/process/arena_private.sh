#!/bin/sh
# jemalloc is linked into libpcpu.so privately: the library exports only
# the API (under PCPU_1) and depends on no jemalloc or C++ runtime.
lib=${top_builddir:-.}/.libs/libpcpu.so
echo "1..3"
extra=$(nm -D --defined-only "$lib" | awk '$3 != "PCPU_1" && $3 !~ /^(pcpu|percpu)_/')
if [ -z "$extra" ]; then echo "ok 1 - only the API is exported"; else
	echo "not ok 1 - exports beyond the API:"; echo "$extra" | sed 's/^/# /'; fi
if nm -D --defined-only "$lib" | grep -q " pcpu_alloc@@PCPU_1$"; then
	echo "ok 2 - pcpu_alloc is exported under PCPU_1"
else
	echo "not ok 2 - pcpu_alloc is not exported under PCPU_1"
fi
needed=$(readelf -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
case $needed in
*jemalloc* | *stdc++* | *gcc_s*) echo "not ok 3 - depends on: $needed" ;;
*) echo "ok 3 - depends only on: $needed" ;;
esac
