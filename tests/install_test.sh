#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# TAP: `make install DESTDIR=<tmp> PREFIX=/usr` lays out the binary, the ABI
# header, the module's sources and the tools, and the installed tools work
# from there on results/example (summary, plot's script, compare, bench/all's
# matrix with the installed notibench beside it).
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
d=$tmp/dest p=$tmp/dest/usr
n=0 failed=0
# shellcheck source=tests/lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"

echo "TAP version 13"
make -s -C "$root" install DESTDIR="$d" PREFIX=/usr > "$tmp/make.out" 2>&1
ok $? "make install DESTDIR=... PREFIX=/usr"
missing=""
for f in bin/notibench bin/notibench-all bin/notibench-compare bin/notibench-plot \
	bin/notibench-summary include/notibench.h share/notibench/include/notibench.h \
	share/notibench/kmod/nb_main.c share/notibench/kmod/probe.sh \
	share/notibench/scripts/plot share/notibench/scripts/lib/plan.awk \
	share/notibench/scripts/lib/runs.sh; do
	[[ -e $p/$f ]] || missing+=" $f"
done
ok "$([[ -z $missing ]]; echo $?)" "installed files present${missing:+ (missing:$missing)}"
grep -qx "exec /usr/share/notibench/scripts/plot \"\$@\"" "$p/bin/notibench-plot"
ok $? "notibench-plot runs the installed scripts/plot"
ex=$root/results/example
"$p/share/notibench/scripts/summary" "$ex" > "$tmp/sum.out" 2>&1 && grep -q '^mprotect-sparse1g-64G-toggle ' "$tmp/sum.out"
ok $? "the installed summary reads results/example"
runs=("$ex"/qemu-6.1.0-*/ "$ex"/qemu-6.12.*/)
"$p/bin/notibench-compare" "${runs[@]}" > "$tmp/cmp.out" 2>&1
rc=$?
((rc == 0 || rc == 1)) && grep -q '^Result: ' "$tmp/cmp.out"
ok $? "the installed notibench-compare compares two example runs (exit $rc)"
"$p/bin/notibench-all" --list --quick > "$tmp/list.out" 2>&1 && grep -q '^mprotect-dense4k-4K-toggle ' "$tmp/list.out"
ok $? "the installed notibench-all lists its matrix"
echo "1..$n"
exit $((failed > 0))
