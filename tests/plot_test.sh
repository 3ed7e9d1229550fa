#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# TAP: scripts/plot and scripts/summary on tests/fixtures/plot: three real runs
# trimmed to a few mprotect items (the host with none and kvm; Debian 6.1 and
# 6.12 in QEMU with a kmod cost sweep; --samples 3). Every kind of plot is a
# real PNG and SVG; the SVGs carry what they must show (run labels, the fitted
# slope next to the counted calls, the 1 GiB vs 64 GiB ranges of the PMD->PUD
# change, the layouts); repetitions are pooled; bad arguments exit 2. Then
# tests/fixtures/plot2 (zap, collapse, numa, aging; the host and 6.12): the
# generic plots for each and zap-chunk, the summary with skip reasons. Exact
# runs (tests/fixtures/exact: real scripts/vm --exact runs, one labelled):
# insn on every axis and in summary's header, never beside a wall-clock run on
# one axis, named by kernel_label; a run mixing units is refused.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
fix=$root/tests/fixtures/plot
plot=$root/scripts/plot
tmp=$(mktemp -d)
trap '[[ -n ${KEEP:-} ]] || rm -rf "$tmp"' EXIT

echo "TAP version 13"
if ! command -v gnuplot >/dev/null; then
	echo "1..0 # SKIP gnuplot is missing (scripts/deps installs gnuplot-nox)"
	exit 4
fi
echo "1..32"
n=0 failed=0
# shellcheck source=tests/lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"
# png FILE: a PNG of at least 600x300 pixels and 5 KB.
png() {
	[[ -f $1 && $(stat -c %s "$1") -gt 5000 ]] || return 1
	[[ $(head -c 8 "$1" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] || return 1
	local w h
	w=$(od -An -tu4 --endian=big -j 16 -N 4 "$1" | tr -d ' ')
	h=$(od -An -tu4 --endian=big -j 20 -N 4 "$1" | tr -d ' ')
	((w >= 600 && h >= 300))
}
# svg FILE TEXT...: an SVG document holding every TEXT.
svg() {
	local f=$1 t
	shift
	grep -q '<svg' "$f" 2>/dev/null && grep -q '</svg>' "$f" || return 1
	for t in "$@"; do
		grep -qF -- "$t" "$f" || { echo "# $f lacks '$t'"; return 1; }
	done
}

"$plot" "$fix" --out "$tmp/p" > "$tmp/p.out" 2> "$tmp/p.err"
rc=$?
ok $rc "scripts/plot on the fixture runs exits 0"
((rc == 0)) || diag "$tmp/p.err"
for k in bars-mprotect sweep-mprotect hist-mprotect mprotect-size; do
	png "$tmp/p/$k.png" && grep -q "$tmp/p/$k.png" "$tmp/p.out"
	ok $? "$k.png is a PNG image (and is listed)"
done
svg "$tmp/p/bars-mprotect.svg" "6.1.0-56-amd64  kmod:spin,ns=0" "6.12.117+deb12-amd64  kmod:spin,ns=0" \
	"6.18.44-fc-v445  none" "6.18.44-fc-v445  kvm" "median ns per op" "thp-64M-toggle" "sparse1g-64G-toggle"
ok $? "bars-mprotect.svg: a bar series per run and backend, the items, the y axis"
svg "$tmp/p/sweep-mprotect.svg" "6.1.0-56-amd64: slope " "vs 256 counted" \
	"6.12.117+deb12-amd64: slope " "vs 4.00 counted" "configured cost per charged notifier call (ns)" \
	"mprotect-sparse1g-64G-toggle"
ok $? "sweep-mprotect.svg: per kernel the fitted slope and the counted calls (256 on 6.1, 4 on 6.12)"
svg "$tmp/p/hist-mprotect.svg" ">1G<" ">64G<" "ranges per op" "range size"
ok $? "hist-mprotect.svg: 1 GiB ranges (6.1, PMD level) and 64 GiB ones (6.12, PUD level)"
svg "$tmp/p/mprotect-size.svg" ">thp<" ">sparse1g<" "region size" "ns per mprotect call"
ok $? "mprotect-size.svg: a line per layout, axes with units"

# The numbers behind the plots, through scripts/summary.
"$root/scripts/summary" "$fix" > "$tmp/s.out" 2>&1
rc=$?
awk '$1 == "mprotect-sparse1g-64G-toggle" && /qemu\/6.1.0-56-amd64/ && / 64 / && /vs 256$/ { a = 1 }
	/qemu\/6.12.117\+deb12-amd64/ && / 1 / && /vs 4$/ { b = 1 }
	END { exit !(a && b) }' "$tmp/s.out"
ok $(( rc || $? )) "scripts/summary: ranges per call 64 vs 1, counted calls 256 vs 4 (6.1 vs 6.12)"
((rc == 0)) || diag "$tmp/s.out"

# --only, and repetitions pooled.
"$plot" "$fix" --out "$tmp/o" --only sweep > /dev/null 2>&1 &&
	[[ $(find "$tmp/o" -type f | wc -l) == 2 && -f $tmp/o/sweep-mprotect.svg ]]
ok $? "--only sweep writes only the sweep plot (PNG and SVG)"
r=$(find "$fix" -maxdepth 1 -name 'qemu-6.1.*' | head -n 1)
mkdir -p "$tmp/rep"
cp "$r/run.meta" "$tmp/rep/"
for f in "$r"/*.csv; do
	b=$(basename "$f" .csv)
	cp "$f" "$tmp/rep/$b.r1.csv"
	cp "$f" "$tmp/rep/$b.r2.csv"
done
"$plot" "$tmp/rep" --out "$tmp/rp" > /dev/null 2>&1 && png "$tmp/rp/bars-mprotect.png" &&
	svg "$tmp/rp/bars-mprotect.svg" "thp-64M-toggle" && ! grep -q 'toggle.r1' "$tmp/rp/bars-mprotect.svg" &&
	"$root/scripts/summary" "$tmp/rep" | grep -q 'mprotect-thp-64M-toggle .*\[2 reps\]'
ok $? "<item>.rN.csv repetitions are pooled into one item"

# zap, collapse, numa and aging (tests/fixtures/plot2: bench/all --quick on the
# host, none and kvm, --samples 3; and a 6.12 guest with the kmod backends).
fix2=$root/tests/fixtures/plot2
"$plot" "$fix2" --out "$tmp/n" > "$tmp/n.out" 2> "$tmp/n.err"
rc=$?
ok $rc "scripts/plot on the zap/collapse/numa/aging runs exits 0"
((rc == 0)) || diag "$tmp/n.err"
miss=""
for k in bars-zap bars-collapse bars-numa bars-aging sweep-zap sweep-numa hist-zap zap-chunk; do
	png "$tmp/n/$k.png" && [[ -f $tmp/n/$k.svg ]] || miss="$miss $k"
done
[[ -z $miss ]]
ok $? "bars for all four, zap's and numa's sweeps, zap's range sizes and zap-chunk: PNG and SVG${miss:+ (missing:$miss)}"
svg "$tmp/n/zap-chunk.svg" "dontneed, syscall" "dontneed, uring" "free, syscall" "munmap, syscall" \
	"ns per chunk" "chunk size" ">4K<" ">2M<" "6.18.44-fc-v445  none" "6.18.44-fc-v445  kvm" \
	"6.12.117+deb12-amd64  kmod:spin,ns=0"
ok $? "zap-chunk.svg: a line per op and submission, chunk sizes on x, a panel per run and configuration"
svg "$tmp/n/bars-aging.svg" "DAMON sampling round" "damon-16M" "kmod:count,cb=clear_flush_young+clear_young+test_young" &&
	svg "$tmp/n/bars-zap.svg" "io_uring submission" "dontneed-4k-uring" "munmap-2m"
ok $? "bars: what an op is, the items, aging's young-callback configuration"
"$plot" "$fix2" --out "$tmp/c" --only chunk > /dev/null 2>&1 &&
	[[ $(find "$tmp/c" -type f | wc -l) == 2 && -f $tmp/c/zap-chunk.svg ]]
ok $? "--only chunk writes only zap-chunk (PNG and SVG)"
"$root/scripts/summary" "$fix2" > "$tmp/s2.out" 2>&1
grep -q '^zap-dontneed-4k  ' "$tmp/s2.out" && grep -q '^aging-damon-16M  ' "$tmp/s2.out" &&
	grep -q '^  zap-pageout-4k  .* skip (exit 4): --op pageout needs swap' "$tmp/s2.out"
ok $? "scripts/summary: the new items, and pageout's skip with its reason"

# Exact runs (tests/fixtures/exact: scripts/vm --exact, clock_unit insn): 6.12
# labelled 6.12+fixture-label and 6.1; the host run is wall-clock.
x=$root/tests/fixtures/exact/qemu-6.12.118+deb12-amd64-20261205-210358
x61=$root/tests/fixtures/exact/qemu-6.1.0-57-amd64-20261205-210448
grep -q '^# vm_icount: shift=0' "$x/mprotect-thp-2M-toggle.csv" && grep -q '^clock_unit: insn' "$x/run.meta" &&
	grep -q '^kernel_label: 6.12+fixture-label' "$x/run.meta"
ok $? "fixture: a real exact run (clock_unit insn, kernel_label, vm_* keys)"
"$plot" "$x" "$x61" --out "$tmp/x" > /dev/null 2> "$tmp/x.err" &&
	svg "$tmp/x/bars-mprotect.svg" "median insn per op" "exact runs: the guest clock counts instructions" \
		"6.12+fixture-label  kmod:spin,ns=0" "6.1.0-57-amd64  kmod:spin,ns=0" &&
	svg "$tmp/x/sweep-mprotect.svg" "(guest ns = insn)" "6.12+fixture-label: slope " \
		"vs 4.00 counted" "k insn per op" &&
	svg "$tmp/x/mprotect-size.svg" "insn per mprotect call" &&
	! grep -lE 'median ns|ns per|\(ns\)' "$tmp/x"/*.svg
ok $? "exact runs: axes and titles in insn (never ns), runs named by their kernel_label"
# The 6.12 run as if made on arm64: "(aarch64)" after its label, none after 6.1's.
cp -r "$x" "$tmp/xarm"
sed -i 's/^machine: .*/machine: aarch64/' "$tmp/xarm/run.meta"
for f in "$tmp/xarm"/*.csv; do sed -i 's/^# machine: .*/# machine: aarch64/' "$f"; done
"$plot" "$tmp/xarm" "$x61" --out "$tmp/xa" > /dev/null 2> "$tmp/xa.err" &&
	svg "$tmp/xa/bars-mprotect.svg" "6.12+fixture-label (aarch64)  kmod:spin,ns=0" \
		"6.1.0-57-amd64  kmod:spin,ns=0" && ! grep -q '6.1.0-57-amd64 (' "$tmp/xa/bars-mprotect.svg"
ok $? "a run made on arm64: its plots name it '6.12+fixture-label (aarch64)', the x86 run without an architecture"
"$plot" "$x" "$fix/vm-6.18.44-fc-v445-20261122-013255" --out "$tmp/xm" > "$tmp/xm.out" 2>&1 &&
	svg "$tmp/xm/bars-mprotect.svg" "median ns per op" "6.18.44-fc-v445  none" &&
	! grep -q 'fixture-label' "$tmp/xm/bars-mprotect.svg" &&
	svg "$tmp/xm/bars-mprotect-insn.svg" "median insn per op" "6.12+fixture-label  kmod:spin,ns=0" &&
	! grep -q '6.18.44' "$tmp/xm/bars-mprotect-insn.svg" && png "$tmp/xm/sweep-mprotect-insn.png" &&
	png "$tmp/xm/mprotect-size.png" && png "$tmp/xm/mprotect-size-insn.png"
ok $? "an exact and a wall-clock run: never on one axis; the exact run's plots are named -insn"
"$root/scripts/summary" "$x" > "$tmp/xs.out" 2>&1 &&
	grep -q '^item  *run  *config  *median insn/op  *95% CI' "$tmp/xs.out" &&
	grep -q '^mprotect-thp-2M-toggle  *qemu/6.12+fixture-label  *kmod:spin,ns=0..20000  *9187 .* 4 (1.00), p10 4 vs 4$' "$tmp/xs.out"
ok $? "summary of an exact run: median insn/op, the run named host/kernel_label, slope 4 vs 4 counted"
"$root/scripts/summary" "$x" "$fix/vm-6.18.44-fc-v445-20261122-013255" > "$tmp/xs2.out" 2>&1 &&
	grep -q '^item  *run  *config  *median per op  *95% CI' "$tmp/xs2.out" &&
	grep -q 'qemu/6.12+fixture-label \[insn\]' "$tmp/xs2.out" && grep -q 'vm/6.18.44-fc-v445 \[ns\]' "$tmp/xs2.out"
ok $? "summary of an exact and a wall-clock run: each run's unit next to its name"
mkdir -p "$tmp/xmix"
cp "$x/mprotect-dense4k-4K-toggle.csv" "$tmp/xmix/"
cp "$fix/vm-6.18.44-fc-v445-20261122-013255/mprotect-thp-2M-toggle.csv" "$tmp/xmix/"
"$plot" "$tmp/xmix" --out "$tmp/xmixp" > "$tmp/xmix.out" 2>&1
rc=$?
"$root/scripts/summary" "$tmp/xmix" > "$tmp/xmix2.out" 2>&1
((rc == 2 && $? == 2)) && grep -q 'mixes clock units: .* says insn, .* says ns' "$tmp/xmix.out" &&
	grep -q 'mixes clock units' "$tmp/xmix2.out"
ok $? "a run whose CSVs disagree on clock_unit: plot and summary exit 2 naming them"
sed -i 's/^# clock_unit: insn/# clock_unit: cycles/' "$tmp/xmix/"*.csv
rm -f "$tmp/xmix/mprotect-thp-2M-toggle.csv"
"$root/scripts/summary" "$tmp/xmix" > "$tmp/xbad.out" 2>&1
(($? == 2)) && grep -q "clock_unit 'cycles' is neither ns nor insn" "$tmp/xbad.out"
ok $? "a clock_unit other than ns or insn: exit 2"

# Bad usage.
bad() {
	local want=$1
	shift
	"$plot" "$@" > "$tmp/bad.out" 2>&1
	local rc=$?
	((rc == 2)) && grep -q "plot: .*$want" "$tmp/bad.out"
	ok $? "bad usage exits 2 naming the problem: ${*:-(no arguments)}"
	((rc == 2)) || diag "$tmp/bad.out"
}
bad "no RUN given"
bad "no such run" "$tmp/nonexistent"
bad "unknown option '--bogus'" "$fix" --bogus
bad "--only takes bars, sweep, hist, size, chunk" "$fix" --only pie
mkdir -p "$tmp/empty"
bad "holds no notibench CSV" "$tmp/empty"
bad "--out needs a value" "$fix" --out

exit $((failed > 0))
