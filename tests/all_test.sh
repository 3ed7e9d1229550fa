#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# TAP: bench/all on the host with cheap items. A run writes its directory with
# run.meta (item status lines) and one CSV per item named by the item id;
# --repeat names files <id>.rN.csv; --resume runs only the items without a
# CSV (under busybox sh, as in the guest); SIGINT during an item leaves no CSV
# and no temp directory, and marks the run interrupted; bad arguments exit 2
# with a message. Checks file contents, not only existence.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
all=$root/bench/all
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
item=mprotect-dense4k-4K-toggle   # about 0.1 s with --quick
item2=mprotect-empty-2M-toggle

echo "TAP version 13"
if [[ ! -x $root/build/notibench ]]; then
	echo "1..0 # SKIP build/notibench is missing (make)"
	exit 4
fi
echo "1..25"
n=0 failed=0
ok() {
	n=$((n + 1))
	if [[ $1 == 0 ]]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
diag() { sed 's/^/# /' "$@"; }
# the one run directory under $1
rundir() { find "$1" -mindepth 1 -maxdepth 1 -type d | head -n 1; }

# --- one cheap item, default backends ---
"$all" --quick --only "$item" --out "$tmp/a" > "$tmp/a.out" 2>&1
rc=$?
ok $((rc != 0)) "bench/all --quick --only $item exits 0 (got $rc)"
((rc == 0)) || diag "$tmp/a.out"
run=$(rundir "$tmp/a")
rel=$(uname -r)
[[ $(basename "${run:-x}") =~ ^[A-Za-z0-9._-]+-${rel//+/\\+}-[0-9]{8}-[0-9]{6}$ ]]
ok $? "the run directory is <host>-<release>-<timestamp> ($(basename "${run:-none}"))"
csv=$run/$item.csv
head -n 1 "$csv" 2>/dev/null | grep -qx '# notibench_csv: 1' &&
	grep -q '^# command: .*run mprotect --layout dense4k --size 4K --quick --backend none' "$csv" &&
	grep -q '^median,none,' "$csv"
ok $? "$item.csv is a notibench CSV of that item with a none median row"
grep -q "^item: $item | mprotect | --layout dense4k --size 4K | none.* | ok | 0 | [0-9.]* | \$" "$run/run.meta"
ok $? "run.meta records the item ok, exit 0, with its seconds"
for k in host kernel_release date command notibench_git backends status; do
	grep -q "^$k: ." "$run/run.meta" || { echo "# run.meta lacks $k"; false; }
done && grep -q "^kernel_release: $rel\$" "$run/run.meta" &&
	grep -q '^status: complete: ok=1 skip=0 fail=0$' "$run/run.meta"
ok $? "run.meta has host, kernel, date, command, git revision, backends and the final status"
[[ -z $(find "$run" -name '.tmp-*' -o -name '*.tmp') ]]
ok $? "no temp file or directory is left"
grep -q "^\[1/1\] $item  *ok " "$tmp/a.out"
ok $? "not a tty: one plain status line per item"

# --- two items under busybox sh, then --resume ---
if command -v busybox >/dev/null; then sh=(busybox sh); else sh=(sh); fi
"${sh[@]}" "$all" --quick --backends none --only "$item" --only "$item2" --out "$tmp/b" > "$tmp/b.out" 2>&1
rc=$?
run=$(rundir "$tmp/b")
((rc == 0)) && [[ -f $run/$item.csv && -f $run/$item2.csv ]]
ok $? "${sh[*]} bench/all: two --only patterns, two CSVs (exit $rc)"
sum1=$(cksum < "$run/$item.csv")
rm -f "$run/$item2.csv"
"${sh[@]}" "$all" --resume "$run" > "$tmp/r.out" 2>&1
rc=$?
ok $rc "--resume exits 0"
((rc == 0)) || diag "$tmp/r.out"
grep -q "$item .*done earlier" "$tmp/r.out" && [[ $(cksum < "$run/$item.csv") == "$sum1" ]]
ok $? "--resume skips the item whose CSV exists (file unchanged)"
grep -q "$item2  *ok " "$tmp/r.out" && grep -q '^median,none,' "$run/$item2.csv"
ok $? "--resume runs the item whose CSV is missing"
grep -q '^status: complete: ok=2 skip=0 fail=0$' "$run/run.meta" &&
	[[ $(grep -c '^item: ' "$run/run.meta") == 2 ]]
ok $? "after --resume run.meta has both items ok, once each"
"$all" --resume "$run" --quick > "$tmp/r2.out" 2>&1
ok $(($? != 2)) "--resume with other options is bad usage"

# --- --repeat ---
"$all" --quick --backends none --only "$item" --repeat 2 --out "$tmp/c" > "$tmp/c.out" 2>&1
run=$(rundir "$tmp/c")
[[ -f $run/$item.r1.csv && -f $run/$item.r2.csv && ! -e $run/$item.csv ]] &&
	grep -q "^item: $item.r2 | .* | ok | 0 |" "$run/run.meta"
ok $? "--repeat 2 writes $item.r1.csv and $item.r2.csv"

# --- SIGINT during an item ---
# Job control gives the background job default signal dispositions (a
# non-interactive shell would start it with SIGINT ignored).
set -m
"$all" --backends none --only "$item" --out "$tmp/d" -- --samples 100000 > "$tmp/d.out" 2>&1 &
pid=$!
set +m
tmpdir=""
for _ in $(seq 100); do
	tmpdir=$(find "$tmp/d" -mindepth 2 -maxdepth 2 -name ".tmp-$item" 2>/dev/null)
	[[ -n $tmpdir ]] && [[ -n $(find "$tmpdir" -name '*.csv.tmp') ]] && break
	sleep 0.1
done
[[ -n $tmpdir ]]
ok $? "the item is running (its temp directory and notibench's temp CSV exist)"
sleep 0.2
kill -INT "$pid"
wait "$pid"
rc=$?
run=$(rundir "$tmp/d")
ok $((rc != 130)) "SIGINT: bench/all exits 130 (got $rc)"
[[ ! -e $run/$item.csv && -z $(find "$run" -name '.tmp-*' -o -name '*.tmp') ]]
ok $? "SIGINT: no CSV and no temp file are left"
grep -q '^status: interrupted (SIGINT)' "$run/run.meta" &&
	grep -q "^item: $item | .* | interrupted | " "$run/run.meta" &&
	grep -q 'resume with: bench/all --resume' "$tmp/d.out"
ok $? "SIGINT: run.meta says interrupted and how to resume"
left=0
for c in /proc/[0-9]*/cmdline; do
	args=$(tr '\0' ' ' < "$c" 2>/dev/null)
	[[ $args == *"--out $tmpdir"* ]] && { left=1; echo "# still running: $args"; }
done
ok $left "SIGINT: notibench is not left running"

# --- bad usage ---
bad() {
	local want=$1
	shift
	"$all" "$@" > "$tmp/bad.out" 2>&1
	local rc=$?
	((rc == 2)) && grep -q "bench/all: .*$want" "$tmp/bad.out"
	ok $? "bad usage exits 2 naming the problem: $*"
	((rc == 2)) || diag "$tmp/bad.out"
}
bad "unknown option '--bogus'" --bogus
bad "--repeat takes a number" --repeat 0
bad "--backends is host, kmod, all" --backends gpu
bad "no item .* matches" --only no-such-item-xyz
bad "run.meta is missing" --resume "$tmp/nonexistent"

# --list: every id once, in both shells alike
"$all" --list --backends none > "$tmp/l1" 2>&1 && "${sh[@]}" "$all" --list --backends none > "$tmp/l2" 2>&1 &&
	cmp -s "$tmp/l1" "$tmp/l2" && [[ $(awk '{ print $1 }' "$tmp/l1" | sort | uniq -d | wc -l) == 0 ]] &&
	[[ $(wc -l < "$tmp/l1") -ge 20 ]]
ok $? "--list: the same matrix under bash and ${sh[*]}, ids unique"

exit $((failed > 0))
