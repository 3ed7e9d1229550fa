#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# TAP: the readers of results (scripts/plot, scripts/summary) validate like
# scripts/compare, with its reader (notibench-compare --check), and never
# report a failure as a success. Bad CSVs (empty, binary, cut mid-line, cut
# after the samples, a header only, a 1 MB line, a 1 MB quoted field, a word
# where a number goes) are exit 2 naming the file and line, within 10 s, and
# plot writes no image; the valid fixtures still pass. A full filesystem (a
# small tmpfs, when this host lets us mount one) for --out, for the temporary
# directory and for summary's stdout is exit 1 naming the path, with no empty
# or partial image left.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
fix=$root/tests/fixtures
tmp=$(mktemp -d)
mnt=""
trap 'exit 130' INT TERM HUP
trap '[[ -z $mnt ]] || umount "$mnt" 2>/dev/null; [[ -n ${KEEP:-} ]] || rm -rf "$tmp"' EXIT

n=0 failed=0
# shellcheck source=tests/lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"

echo "TAP version 13"
echo "1..30"

make -s -C "$root" build/notibench-compare >/dev/null || { echo "Bail out! make build/notibench-compare failed"; exit 1; }
have_gnuplot=0
command -v gnuplot >/dev/null && have_gnuplot=1

# --- the valid fixtures pass ---
"$root/build/notibench-compare" --check "$fix"/plot/* "$fix"/plot2/* "$fix"/exact/* > "$tmp/chk.out" 2>&1
rc=$?
[[ $rc == 0 && ! -s $tmp/chk.out ]]
ok $? "notibench-compare --check on every fixture run: exit 0, silent (got $rc)"
((rc == 0)) || diag "$tmp/chk.out"
for d in plot plot2 exact; do
	"$root/scripts/summary" "$fix/$d" > "$tmp/s.out" 2> "$tmp/s.err"
	rc=$?
	[[ $rc == 0 ]] && grep -q '^item ' "$tmp/s.out"
	ok $? "summary on tests/fixtures/$d: exit 0 with the table (got $rc)"
	((rc == 0)) || diag "$tmp/s.err"
done

# --- bad CSVs: exit 2 with the file and line, fast, nothing plotted ---
src=$fix/plot/qemu-6.1.0-56-amd64-20261122-013320
good=$src/mprotect-thp-2M-toggle.csv
hdr=$(grep -n -m 1 '^kind,' "$good" | cut -d: -f1)
# bad NAME LINE: a copy of the run with NAME.csv in place of the good CSV; the
# line the message must name.
bad() {
	local d=$tmp/bad/$1
	mkdir -p "$d"
	cp "$src"/*.csv "$src/run.meta" "$d/"
	rm "$d/mprotect-thp-2M-toggle.csv"
	echo "$d/$1.csv:$2:"
}
declare -A want
want[empty]=$(bad empty 1)
: > "$tmp/bad/empty/empty.csv"
want[binary]=$(bad binary 1)
head -c 4096 /dev/urandom > "$tmp/bad/binary/binary.csv"
want[cut]=$(bad cut $((hdr + 2)))
head -c "$(head -n $((hdr + 2)) "$good" | wc -c)" "$good" | head -c -10 > "$tmp/bad/cut/cut.csv"
want[nosummary]=$(bad nosummary $((hdr + 3)))
head -n $((hdr + 3)) "$good" > "$tmp/bad/nosummary/nosummary.csv"
want[header]=$(bad header "$hdr")
head -n "$hdr" "$good" > "$tmp/bad/header/header.csv"
want[longline]=$(bad longline $((hdr + 1)))
{ head -n "$hdr" "$good"; head -c 1048576 /dev/zero | tr '\0' '7'; echo; } > "$tmp/bad/longline/longline.csv"
want[longquote]=$(bad longquote $((hdr + 1)))
{ head -n "$hdr" "$good"; printf 'sample,"'; head -c 1048576 /dev/zero | tr '\0' 'x'; echo '",0'; } \
	> "$tmp/bad/longquote/longquote.csv"
want[word]=$(bad word $((hdr + 1)))
sed "$((hdr + 1))s/,[0-9.]*,/,NaNx,/4" "$good" > "$tmp/bad/word/word.csv"
for k in empty binary cut nosummary header longline longquote word; do
	d=$tmp/bad/$k
	for tool in summary plot; do
		if [[ $tool == plot ]] && ((!have_gnuplot)); then
			skip "plot on a run with a bad CSV ($k)" "gnuplot is missing"
			continue
		fi
		start=$(date +%s%N)
		if [[ $tool == plot ]]; then
			"$root/scripts/plot" "$d" --out "$tmp/bp-$k" > "$tmp/b.out" 2> "$tmp/b.err"
		else
			"$root/scripts/summary" "$d" > "$tmp/b.out" 2> "$tmp/b.err"
		fi
		rc=$?
		ms=$((($(date +%s%N) - start) / 1000000))
		[[ $rc == 2 ]] && grep -qF "$tool: ${want[$k]}" "$tmp/b.err" && ((ms < 10000)) &&
			[[ -z $(find "$tmp" -maxdepth 1 -name "bp-$k" -newer "$d" -exec find {} -type f \; 2>/dev/null) ]]
		ok $? "$tool on a run with a bad CSV ($k): exit 2 naming ${want[$k]#"$tmp"/} in $ms ms, nothing written (got $rc: $(head -c 200 "$tmp/b.err" | head -n 1))"
	done
done
# The same through scripts/compare: one reader, one verdict (it reads only ns_per_op's numbers).
"$root/scripts/compare" "$src" "$tmp/bad/longline" > "$tmp/c.out" 2> "$tmp/c.err"
rc=$?
[[ $rc == 2 ]] && grep -qF "compare: ${want[longline]} a line of 1048577 bytes" "$tmp/c.err"
ok $? "compare on the 1 MB line: exit 2 with the same file and line (got $rc)"

# --- full filesystems ---
if [[ $(id -u) != 0 ]]; then
	reason="not root: cannot mount a small tmpfs"
elif mkdir -p "$tmp/mnt" && mount -t tmpfs -o size=192k,mode=0755 nb-readers-test "$tmp/mnt" 2> "$tmp/mnt.err"; then
	mnt=$tmp/mnt
	reason=""
else
	reason="mount -t tmpfs is not permitted here: $(head -n 1 "$tmp/mnt.err")"
fi
# fill: leaves about $1 KiB free on the tmpfs.
fill() {
	rm -rf "${mnt:?}"/*
	head -c $((192 * 1024 - $1 * 1024)) /dev/zero > "$mnt/filler" 2>/dev/null
}
if ((!have_gnuplot)); then
	for i in 1 2 3 4 5; do skip "plot on a full filesystem ($i)" "gnuplot is missing"; done
elif [[ -n $reason ]]; then
	for i in 1 2 3 4 5; do skip "plot on a full filesystem ($i)" "$reason"; done
else
	"$root/scripts/plot" "$fix/plot" --out "$tmp/ref" > /dev/null 2>&1
	# --out with room for a few images, not all.
	fill 120
	"$root/scripts/plot" "$fix/plot" --out "$mnt/plots" > "$tmp/f.out" 2> "$tmp/f.err"
	rc=$?
	[[ $rc == 1 ]] && grep -q "^plot: cannot write $mnt/plots/[a-z-]*\.\(png\|svg\)$" "$tmp/f.err"
	ok $? "plot, --out on a full filesystem: exit 1 naming the image (got $rc: $(grep '^plot:' "$tmp/f.err" | head -n 1))"
	[[ -z $(find "$mnt/plots" -empty -o -name '.*' -print) ]]
	ok $? "plot, --out full: no empty image, no temporary file left ($(find "$mnt/plots" -empty -o -name '.*' -print | tr '\n' ' '))"
	same=0 total=0
	for f in "$mnt"/plots/*; do
		[[ -e $f ]] || continue
		total=$((total + 1))
		cmp -s "$f" "$tmp/ref/$(basename "$f")" && same=$((same + 1))
	done
	((total > 0 && same == total))
	ok $? "plot, --out full: the $total images written are whole (identical to a run with room: $same)"
	# The temporary directory on the full filesystem: with 8 KiB the lists fail, with
	# 100 KiB gnuplot's images (it exits 0 leaving them empty).
	for free in 8 100; do
		fill $free
		TMPDIR=$mnt "$root/scripts/plot" "$fix/plot" --out "$tmp/tp$free" > "$tmp/t.out" 2> "$tmp/t.err"
		rc=$?
		[[ $rc == 1 ]] && grep -q "^plot: .*$mnt/nb-plot\." "$tmp/t.err" && [[ -z $(find "$tmp/tp$free" -type f -empty) ]]
		ok $? "plot, TMPDIR on a full filesystem ($free KiB free): exit 1 naming the path, no empty image (got $rc: $(grep '^plot:' "$tmp/t.err" | head -n 1))"
	done
fi
if [[ -n $reason ]]; then
	for i in 1 2; do skip "summary on a full filesystem ($i)" "$reason"; done
else
	fill 2
	"$root/scripts/summary" "$fix/plot" > "$mnt/summary.txt" 2> "$tmp/s.err"
	rc=$?
	[[ $rc == 1 ]] && grep -q 'cannot write the table to stdout' "$tmp/s.err"
	ok $? "summary > a file on a full filesystem: exit 1 (got $rc: $(tail -n 1 "$tmp/s.err"))"
	fill 1
	TMPDIR=$mnt "$root/scripts/summary" "$fix/plot" > "$tmp/ts.out" 2> "$tmp/ts.err"
	rc=$?
	[[ $rc == 1 ]] && grep -q "^summary: cannot .*$mnt" "$tmp/ts.err"
	ok $? "summary, TMPDIR on a full filesystem: exit 1 naming the path (got $rc: $(grep '^summary:' "$tmp/ts.err" | head -n 1))"
fi
"$root/scripts/summary" "$fix/plot" > /dev/full 2> "$tmp/df.err"
rc=$?
[[ $rc == 1 ]] && grep -q 'cannot write the table to stdout' "$tmp/df.err"
ok $? "summary > /dev/full: exit 1 (got $rc)"
if ((have_gnuplot)); then
	"$root/scripts/plot" "$fix/plot" --out "$tmp/dfp" > /dev/full 2> "$tmp/dfp.err"
	rc=$?
	[[ $rc == 1 ]] && grep -q 'cannot write the list of plots to stdout' "$tmp/dfp.err"
	ok $? "plot > /dev/full: exit 1 (got $rc)"
else
	skip "plot > /dev/full" "gnuplot is missing"
fi

exit $((failed > 0))
