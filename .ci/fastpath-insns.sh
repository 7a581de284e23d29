#!/bin/sh
# Count the instructions one pcpu_this_add() call executes, from an
# instruction trace under qemu-user (one instruction per translation block):
# the instructions that run exactly N more times in a run with N more calls
# are the per-call path, named by the objdump -d of the object they are in.
#
# usage: .ci/fastpath-insns.sh ARCH BUILDDIR MODE
#   ARCH      aarch64 or x86_64 (the architecture BUILDDIR was built for)
#   BUILDDIR  a configured and built tree (.libs/libpcpu.so)
#   MODE      the PCPU_MODE to preload libpcpu.so in
#
# Under qemu-user the kernel has no rseq and glibc's sched_getcpu() makes
# the getcpu system call; the instructions inside libpcpu.so are those a
# real machine runs, the C library's may not be.
set -eu

[ $# -eq 3 ] || { echo "usage: $0 aarch64|x86_64 BUILDDIR MODE" >&2; exit 2; }
arch=$1
B=$(cd "$2" && pwd)
mode=$3
n=2000
case $arch in
aarch64) cc=aarch64-linux-gnu-gcc objdump=aarch64-linux-gnu-objdump ;;
x86_64) cc=gcc objdump=objdump ;;
*) echo "$0: unknown ARCH $arch" >&2; exit 2 ;;
esac

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
$cc -O2 -I"$(dirname "$0")/../include" "$(dirname "$0")/fastpath-insns.c" \
	-o "$tmp/drv" -L"$B/.libs" -lpcpu-api -Wl,-rpath,"$B/.libs"
for k in $n $((2 * n)); do
	qemu-$arch -singlestep -d nochain,exec -D "$tmp/trace.$k" \
		-E LD_PRELOAD="$B/.libs/libpcpu.so" -E PCPU_MODE="$mode" \
		"$tmp/drv" $k 2>"$tmp/bases"
done

# Program counters (hex, no 0x) that ran exactly n more times.
awk -v n=$n '
	FNR == 1 { f++ }
	/^Trace / { split($4, a, "/"); c[f, a[2]]++; seen[a[2]] = 1 }
	END { for (pc in seen) if (c[2, pc] - c[1, pc] == n) print pc }
' "$tmp/trace.$n" "$tmp/trace.$((2 * n))" | sort >"$tmp/pcs"

# Name each: object, symbol, instruction.
while read -r _ base obj; do
	case $obj in
	program) obj=$tmp/drv ;;
	/*) ;;
	*) continue ;;	# the vDSO
	esac
	$objdump -d --no-show-raw-insn "$obj" | awk -v base="$base" -v obj="${obj##*/}" '
		/^[0-9a-f]+ <.*>:$/ { sym = $2; gsub(/[<>:]/, "", sym); next }
		/^ +[0-9a-f]+:\t/ {
			split($0, f, "\t"); addr = f[1]; gsub(/[ :]/, "", addr)
			printf "%s\t%s\t%s\t%s\n", addr, obj, sym, f[2] " " f[3]
		}' >"$tmp/insns.${obj##*/}"
	echo "$base ${obj##*/}" >>"$tmp/objs"
done <"$tmp/bases"
echo "pcpu_this_add(), PCPU_MODE=$mode, $arch; drv is the calling loop"
awk '
	function hex(s,   i, v) { v = 0; s = tolower(s); sub(/^0x/, "", s)
		for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return v }
	FILENAME ~ /objs$/ { nb++; b[nb] = hex($1); o[nb] = $2; next }
	FILENAME ~ /insns\./ { split(FILENAME, p, "insns."); ins[p[2], hex($1)] = $0; next }
	{
		pc = hex($1); best = -1
		for (i = 1; i <= nb; i++) if (b[i] <= pc && (best < 0 || b[i] > b[best])) best = i
		line = best < 0 ? "" : ins[o[best], pc - b[best]]
		if (line == "") { printf "  %-14s %s\n", "?", $1; total["?"]++ }
		else { split(line, f, "\t"); printf "  %-14s %-28s %s\n", f[2], f[3], f[4]; total[f[2]]++ }
		all++
	}
	END {
		printf "%d instructions per iteration:", all
		for (k in total) printf " %s %d", k, total[k]
		printf "\n"
	}
' "$tmp/objs" "$tmp"/insns.* "$tmp/pcs"
