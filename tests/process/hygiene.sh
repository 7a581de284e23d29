#!/bin/sh
# SPDX-License-Identifier: MIT
# Process hygiene of libpcpu.so (the exported symbol list itself is
# tests/process/abi.sh's): what it links, what it adds to the global scope, that it
# never replaces malloc or operator new, and that libunwind, loaded only for
# PCPU_DEBUG=leaks, stays out of the global scope.
. "$top_srcdir/tests/utils/shtap.sh"

# Only libc, the loader, and libm/libpthread/libdl if ever needed; in a
# sanitizer build (.ci/sanitize-check.sh), the sanitizer's runtime and what
# it links too.
allowed='linux-vdso\.so\.1|linux-gate\.so\.1|libc\.so\.6|libm\.so\.6|libpthread\.so\.0|libdl\.so\.2|/?.*ld-linux[-a-z0-9_.]*\.so\.[0-9]+'
[ -n "${PCPU_TEST_SANITIZER:-}" ] &&
	allowed="$allowed|lib[a-z]+san\.so\.[0-9]+|libstdc\+\+\.so\.6|libgcc_s\.so\.1"
allowed="^($allowed)\$"
if emulated; then
	skip "ldd libpcpu.so" "cross build: the host's ldd cannot load it"
else
	ldd "$runtime_so" >"$shtap_tmp/ldd" 2>&1
	awk '{ print $1 }' "$shtap_tmp/ldd" | grep -Ev "$allowed" >"$shtap_tmp/extra"
	[ ! -s "$shtap_tmp/extra" ] && grep -q 'libc\.so\.6' "$shtap_tmp/ldd"
	ok $? "ldd libpcpu.so: libc and the loader only"
	diag "$shtap_tmp/ldd"
fi

readelf -d "$runtime_so" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' >"$shtap_tmp/needed"
grep -Ev "$allowed" "$shtap_tmp/needed" >"$shtap_tmp/extra"
[ ! -s "$shtap_tmp/extra" ] && [ -s "$shtap_tmp/needed" ]
ok $? "DT_NEEDED: $(tr '\n' ' ' <"$shtap_tmp/needed")"

# readelf, unlike nm, reads any architecture's ELF.
readelf --dyn-syms -W "$runtime_so" | awk '$7 != "UND" && $8 != "" { print $8 }' | sed 's/@.*//' |
	grep -Ex 'malloc|free|calloc|realloc|memalign|posix_memalign|aligned_alloc|valloc|pvalloc|malloc_usable_size|_Zn[wa].*|_Zd[la].*|backtrace|_Unwind_.*|unw_.*' >"$shtap_tmp/bad"
[ ! -s "$shtap_tmp/bad" ]
ok $? "defines no allocator, operator new/delete or unwinder symbol"
diag "$shtap_tmp/bad"

# bindings MODE-ENV...: run tests/process/scope preloaded under LD_DEBUG=bindings;
# its TAP output lands in $shtap_tmp/tap, the bindings in $shtap_tmp/b.*.
bindings() {
	rm -f "$shtap_tmp"/b.*
	run_prog "$@" PCPU_MODE=atomic PCPU_TEST_EXPECT=atomic LD_PRELOAD="$runtime_so" \
		LD_DEBUG=bindings LD_DEBUG_OUTPUT="$shtap_tmp/b" \
		"$tests/process/scope" >"$shtap_tmp/tap" 2>"$shtap_tmp/err"
	status=$?
	cat "$shtap_tmp"/b.* >"$shtap_tmp/bindings"
	return $status
}

bindings PCPU_DEBUG=
ok $? "tests/process/scope passes preloaded under LD_DEBUG=bindings"
# "binding file A [0] to B [0]: normal symbol `S' [V]"
sed -n "s/.*binding file .* to \([^ ]*\) .*symbol \`\([^']*\)'.*/\1 \2/p" \
	"$shtap_tmp/bindings" >"$shtap_tmp/to"
grep '/libpcpu\.so ' "$shtap_tmp/to" | awk '{ print $2 }' | sort -u >"$shtap_tmp/ours"
grep -Ev '^(pcpu_|percpu_)' "$shtap_tmp/ours" >"$shtap_tmp/bad"
[ -s "$shtap_tmp/ours" ] && [ ! -s "$shtap_tmp/bad" ]
ok $? "every binding to libpcpu.so is an API symbol ($(wc -l <"$shtap_tmp/ours") seen)"
diag "$shtap_tmp/bad"
# (or to ASan's or TSan's runtime, which interposes them in their builds)
grep -E ' (malloc|free|calloc|realloc|_Znwm|_ZdlPv)$' "$shtap_tmp/to" |
	grep -v '/libc\.so\.6 \|/libstdc++\.so\.6 \|/lib[at]san\.so\.[0-9]* ' >"$shtap_tmp/bad"
[ ! -s "$shtap_tmp/bad" ]
ok $? "malloc, free, operator new and delete bind to libc and libstdc++"
diag "$shtap_tmp/bad"

# Leak mode loads libunwind, whose _Unwind_* must not catch C++ exceptions.
bindings PCPU_DEBUG=leaks
status=$?
[ $status -eq 0 ] && ! grep -q '^not ok' "$shtap_tmp/tap" &&
	grep -q 'loaded libunwind' "$shtap_tmp/tap"
ok $? "tests/process/scope passes with PCPU_DEBUG=leaks (libunwind loaded, exceptions work)"
grep -v '^ok' "$shtap_tmp/tap" | diag /dev/stdin
sed -n "s/.*binding file \([^ ]*\) .* to \([^ ]*\) .*symbol \`\([^']*\)'.*/\1 \2 \3/p" \
	"$shtap_tmp/bindings" >"$shtap_tmp/to"
grep ' _Unwind_RaiseException$' "$shtap_tmp/to" >"$shtap_tmp/raise"
[ -s "$shtap_tmp/raise" ] &&
	! grep -v ' [^ ]*/libgcc_s\.so\.1 \| [^ ]*/lib[at]san\.so\.[0-9]* ' "$shtap_tmp/raise" >/dev/null
ok $? "after a leak-mode start, _Unwind_RaiseException still binds to libgcc_s"
diag "$shtap_tmp/raise"
# Only libpcpu.so and libunwind's own dependencies may bind to libunwind.
awk '$2 ~ /libunwind/ && $1 !~ /(libpcpu\.so|libunwind|liblzma)/' "$shtap_tmp/to" >"$shtap_tmp/bad"
grep -q ' [^ ]*libunwind[^ ]* unw_backtrace$' "$shtap_tmp/to" && [ ! -s "$shtap_tmp/bad" ]
ok $? "only libpcpu.so binds to libunwind"
diag "$shtap_tmp/bad"

# C++ names in a leak report are demangled.
run_prog PCPU_DEBUG=leaks LD_PRELOAD="$runtime_so" "$tests/process/scope" leak \
	>"$shtap_tmp/out" 2>"$shtap_tmp/err"
[ $? -eq 0 ] && grep -q '#1 0x[0-9a-f]* in shop::cart::make_stats(int)+0x' "$shtap_tmp/err" &&
	grep -q '^SUMMARY: libpcpu: 24 byte(s) per CPU leaked in 1 allocation(s)' "$shtap_tmp/err"
ok $? "a leak from C++ names the function demangled"
diag "$shtap_tmp/err"

done_testing
