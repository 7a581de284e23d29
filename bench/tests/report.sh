#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/report.sh and its awk scripts, from known CSV: the merge, the table
# with its derived columns (Mops/s, over floor), the markdown pivots of
# performance.md, JSON, the charts' data, a run without gnuplot (one line,
# status 0) and with it, publishing, malformed input, and pcpu-bench's own
# CSV read back, --beside included.
. "$top_srcdir/tests/utils/shtap.sh"
report=$top_srcdir/bench/report.sh
t=$shtap_tmp
out=$t/out

# PATH without gnuplot: every other command of PATH, linked into one folder.
nognu=$t/nognu
mkdir "$nognu"
IFS=:
for d in $PATH; do
	for f in "$d"/*; do
		name=${f##*/}
		case $name in gnuplot*) continue ;; esac
		[ -e "$nognu/$name" ] || ln -s "$f" "$nognu/$name"
	done
done
unset IFS

# Two processes' CSV, as pcpu-bench writes it (bench/report.h).
cat >"$t/api.csv" <<'CSV'
# machine: Test CPU, 2 online CPUs
# runtime: libpcpu-api 0.1.0 (portable, cpus=2)
# command: pcpu-bench --section scale
# date: 2026-12-02T01:02:03Z
section,workload,impl,mode,threads,param,unit,median,min,max,reps,baseline,ratio,scaling
scale,call floor,libpcpu,api,1,pcpu_free(NULL),ns/op,3,3,3,5,,,
scale,w,libpcpu,api,1,below-a1,ns/op,2.75,2.75,2.75,5,,,
CSV
cat >"$t/rseq.csv" <<'CSV'
# machine: Other CPU
# runtime: libpcpu 0.1.0 (mode=rseq, cpus=2)
# command: other
# date: 2026-12-02T09:09:09Z
section,workload,impl,mode,threads,param,unit,median,min,max,reps,baseline,ratio,scaling
scale,call floor,libpcpu,rseq,1,pcpu_free(NULL),ns/op,2.5,2,3,5,,,
scale,counter add,shared-atomic,rseq,1,,ns/op,6,5.5,7.25,5,,,
scale,w,libpcpu,rseq,1,above-r1,ns/op,4,4,4,5,,,
scale,percpu_counter_add,libpcpu,rseq,2,"4B ""x"", y",ns/op,1.5,1,2,5,counter add/shared-atomic,4,1.15
alloc,alloc,first-fit,rseq,0,4B align 8 in-order,ms,5033.25,,,0,,,
alloc,alloc,libpcpu,rseq,0,4B align 8 in-order,ms,13,12,14,5,alloc/first-fit (stopped),387.173,
memory,bytes per counter,kernel layout,rseq,0,cpus=2,bytes,80,80,80,1,,,
memory,bytes per counter,libpcpu RSS,rseq,0,cpus=2,bytes,0,0,0,1,bytes per counter/kernel layout,inf,
CSV

PATH=$nognu sh "$report" --command "make it" --note "Quiet." "$out" "$t/api.csv" \
	"$t/rseq.csv" >"$t/stdout" 2>"$t/stderr"
ok $? "without gnuplot: status 0"
[ "$(wc -l <"$t/stderr")" -eq 1 ] &&
	grep -q "^report.sh: plots skipped (gnuplot not found in PATH.*): scale-call-floor, scale-w, scale-percpu_counter_add, nsop, alloc-alloc, memory; " "$t/stderr"
ok $? "without gnuplot: one line names the charts skipped"
diag "$t/stderr"
[ -z "$(ls "$out/plots" | grep '\.png$')" ] && [ -f "$out/plots/nsop.gp" ] &&
	[ -f "$out/plots/nsop.dat" ]
ok $? "without gnuplot: no PNG, but every chart's data and script"

# merge
grep -qx '# machine: Test CPU, 2 online CPUs' "$out/results.csv" &&
	grep -qx '# runtime: libpcpu-api 0.1.0 (portable, cpus=2); libpcpu 0.1.0 (mode=rseq, cpus=2)' \
		"$out/results.csv" &&
	grep -qx '# command: make it' "$out/results.csv" &&
	grep -qx '# date: 2026-12-02T01:02:03Z' "$out/results.csv" &&
	[ "$(grep -vc '^#' "$out/results.csv")" -eq 11 ] &&
	grep -qx 'scale,percpu_counter_add,libpcpu,rseq,2,"4B ""x"", y",ns/op,1.5,1,2,5,counter add/shared-atomic,4,1.15' \
		"$out/results.csv"
ok $? "merged CSV: first machine and date, both runtimes, the command given, every record as written"

# table.txt: line_of KEY prints the table line holding KEY
line_of() { grep -F -- "$1" "$out/table.txt"; }
line_of above-r1 | grep -q '  +1.50  *-  -$' &&
	line_of below-a1 | grep -q '  -0.25  *-  -$'
ok $? "table: over floor is the figure minus its own mode's call floor, signed"
for key in "pcpu_free(NULL)" "counter add" "4B \"x\""; do
	line_of "$key" | grep -q ' ns/op  *[0-9.]*  *-  '
	ok $? "table: no over-floor figure for the row of $key (a floor, a baseline, no floor at 2T)"
done
line_of '4B "x", y' | grep -q ' 1.50  1-2  *ns/op  *1333  *-  *1.15x  4x counter add/shared-atomic$'
ok $? "table: 2 threads at 1.5 ns/op are 1333 Mops/s, 1.15x their 1-thread cost; the ratio names its baseline"
line_of 'first-fit' | grep -q ' >5033  n/a-n/a  *ms ' &&
	line_of 'libpcpu RSS' | grep -q '  n/a bytes per counter/kernel layout$'
ok $? "table: a stopped run is a lower bound, missing and infinite figures n/a"
head -n 4 "$out/table.txt" | grep -qx 'date: 2026-12-02T01:02:03Z'
ok $? "table: the header names the date"

# performance.md
md=$out/performance.md
grep -qx 'Results of one `make bench` run, 2026-12-02T01:02:03Z (UTC).' "$md" &&
	grep -qx 'Quiet.' "$md" && grep -qx -- '- Command: `make it`' "$md"
ok $? "performance.md: the date, the note, the command"
grep -qx '| | unit | api | rseq |' "$md" &&
	grep -qxF '| call floor libpcpu pcpu_free(NULL) 1T | ns/op | 3 | 2.50 |' "$md" &&
	grep -qxF '| percpu_counter_add libpcpu 4B "x", y 2T | ns/op | | 1.50 (4x) [1.15 of 1T] |' "$md"
ok $? "performance.md: a row per operation, a column per mode, the ratio and the scaling in the cell"
grep -qxF '| 4B align 8 in-order | >5033 | 13 (387x) |' "$md" &&
	grep -qxF '| | alloc first-fit rseq (ms) | alloc libpcpu rseq (ms) |' "$md" &&
	grep -qxF '| cpus=2 | 80 | 0 (n/a) |' "$md"
ok $? "performance.md: allocator and memory tables, a row per case, units in the columns"
! grep -q '^## Charts' "$md"
ok $? "performance.md: no charts section when none was drawn"

# JSON
json=$out/results.json
grep -q '^  "command": "make it",$' "$json" &&
	grep -qF '"param": "4B \"x\", y", "unit": "ns/op", "median": 1.5, "min": 1, "max": 2, "reps": 5, "baseline": "counter add/shared-atomic", "ratio": 4, "scaling": 1.15}' "$json" &&
	grep -qF '"median": 5033.25, "min": null, "max": null, "reps": 0, "baseline": "", "ratio": null, "scaling": null}' "$json" && [ "$(grep -c '"section": ' "$json")" -eq 10 ] &&
	tail -n 2 "$json" | tr -d '\n' | grep -qx '  ]}'
ok $? "JSON: escaped strings, numbers, null for missing or infinite, every record"
if command -v python3 >/dev/null 2>&1; then
	python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$json"
	ok $? "JSON: python3 parses it"
else
	skip "JSON: python3 parses it" "no python3"
fi

# the charts' data
grep -qx '"w above-r1" ? 4' "$out/plots/nsop.dat" &&
	grep -qx 'label "libpcpu-api, linked" "libpcpu.so, mode=rseq"' "$out/plots/nsop.dat"
ok $? "nsop chart: a cluster per update with its parameter, a bar per mode"
grep -qx '2 80 80 80' "$out/plots/memory.dat" && grep -qx '# kernel layout' "$out/plots/memory.dat"
ok $? "memory chart: bytes against CPUs, a series per implementation"
grep -q 'index 0 using 1:2:3:4 with yerrorlines' "$out/plots/scale-percpu_counter_add.gp" &&
	grep -qx '# baseline: shared-atomic' "$out/plots/scale-percpu_counter_add.dat" &&
	grep -qx '2 1333.33 1000 2000' "$out/plots/scale-percpu_counter_add.dat"
ok $? "scale chart: throughput against threads with min-max bars, beside its baseline"

# malformed input stops with a message and a failed status
printf 'section,x\n' >"$t/bad1.csv"
sed 's/,inf,$/,inf,,extra/' "$t/rseq.csv" >"$t/bad2.csv"
sed 's/"4B ""x"", y"/"4B/' "$t/rseq.csv" >"$t/bad3.csv"
for bad in bad1 bad2 bad3; do
	sh "$report" "$t/o-$bad" "$t/$bad.csv" 2>"$t/stderr"
	[ $? -ne 0 ] && grep -q "$bad.csv:[0-9]*: " "$t/stderr"
	ok $? "$bad.csv is refused: $(cat "$t/stderr")"
done

if command -v gnuplot >/dev/null 2>&1; then
	sh "$report" "$out" "$t/api.csv" "$t/rseq.csv" 2>"$t/stderr"
	status=$?
	drawn=yes
	for gp in "$out"/plots/*.gp; do
		[ -s "${gp%.gp}.png" ] || drawn=no
	done
	[ $status -eq 0 ] && [ $drawn = yes ] && ! grep -q skipped "$t/stderr"
	ok $? "with gnuplot: every chart drawn"
	grep -qx '!\[.*\](plots/nsop.png)' "$md" && grep -qx '!\[.*\](plots/memory.png)' "$md"
	ok $? "with gnuplot: performance.md shows the charts"
else
	skip "with gnuplot: every chart drawn" "no gnuplot"
	skip "with gnuplot: performance.md shows the charts" "no gnuplot"
fi

# publishing: the page and the charts it shows, links still right
sh "$report" --publish "$out" "$t/doc" 2>/dev/null
status=$?
links=$(sed -n 's/^!\[.*\](\(.*\))$/\1/p' "$t/doc/performance.md")
missing=
for l in $links; do [ -f "$t/doc/$l" ] || missing="$missing $l"; done
[ $status -eq 0 ] && cmp -s "$md" "$t/doc/performance.md" && [ -z "$missing" ] &&
	[ "$(ls "$t/doc/plots" | wc -l)" -eq "$(echo "$links" | grep -c png)" ]
ok $? "publish: performance.md and exactly the charts it links${missing:+ (missing:$missing)}"

# pcpu-bench's own CSV, read back
run_prog "$top_builddir/bench/pcpu-bench" --section memory --counters 64 \
	--output "$t/bench.csv" &&
	PATH=$nognu sh "$report" "$t/own" "$t/bench.csv" 2>/dev/null &&
	grep -q '^memory  *bytes per counter  *kernel layout  *api ' "$t/own/table.txt" &&
	grep -q '^# date: 20[0-9-]*T[0-9:]*Z$' "$t/own/results.csv"
ok $? "pcpu-bench's CSV reads back"
# The scale section's scaling: on every 2-thread figure, on no 1-thread one.
run_prog "$top_builddir/bench/pcpu-bench" --section scale --threads 2 --time 0.2 \
	--output "$t/scale.csv" &&
	awk -F, '$1 == "scale" && $5 == 2 && $14 !~ /^[0-9.]+(e[-+][0-9]+)?$/ { bad++ }
		$1 == "scale" && $5 == 1 && $14 != "" { bad++ }
		$1 == "scale" { n[$5]++ }
		END { exit !(n[1] > 10 && n[2] == n[1] && !bad) }' "$t/scale.csv"
ok $? "pcpu-bench --section scale: a scaling on each 2-thread figure, none on 1 thread"
# --beside dlopen()s a second runtime, whose static TLS an ASan or TSan
# process has no room for (tests/process/arena_dlopen.c).
case ${PCPU_TEST_SANITIZER:-} in
address | thread)
	skip "the sanitizer's runtime takes the static TLS a dlopen()ed runtime needs" \
		"pcpu-bench --beside LIB: LIB's allocator beside this one's, in the tables"
	;;
*)
	run_prog LD_PRELOAD="$runtime_so" "$top_builddir/bench/pcpu-bench" --section alloc \
		--objects 200 --ff-limit 1 --beside "$runtime_so" --output "$t/beside.csv" &&
		PATH=$nognu sh "$report" "$t/beside" "$t/beside.csv" 2>/dev/null &&
		grep -q '^alloc  *free  *libpcpu beside  ' "$t/beside/table.txt" &&
		grep -q ' | alloc libpcpu beside [a-z]* (ms) |' "$t/beside/performance.md"
	ok $? "pcpu-bench --beside LIB: LIB's allocator beside this one's, in the tables"
	;;
esac
done_testing
