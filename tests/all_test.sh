#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# TAP: bench/all on the host with cheap items. A run writes its directory with
# run.meta (item status lines) and one CSV per item named by the item id;
# --repeat names files <id>.rN.csv; --resume runs only the items without a
# CSV (under busybox sh, as in the guest); SIGINT during an item leaves no CSV
# and no temp directory, and marks the run interrupted; bad arguments exit 2
# with a message; every benchmark has quick rows, and the quick zap, collapse,
# numa and aging rows run here (about 5 s) each ok or skipped with the
# benchmark's reason. Checks file contents, not only existence.
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
echo "1..36"
n=0 failed=0
# shellcheck source=tests/lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"
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
for k in host kernel_release date command notibench_git backends status options.sweeps sweeps; do
	grep -q "^$k: ." "$run/run.meta" || { echo "# run.meta lacks $k"; false; }
done && grep -q "^kernel_release: $rel\$" "$run/run.meta" &&
	grep -q '^status: complete: ok=1 skip=0 fail=0$' "$run/run.meta" &&
	grep -q '^sweeps: spin (auto: the clock is wall time)$' "$run/run.meta"
ok $? "run.meta has host, kernel, date, command, git revision, backends, the sweeps' model and the final status"
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
# non-interactive shell would start it with SIGINT ignored), and env resets
# them: a shell cannot trap a signal that was ignored when it started (POSIX),
# so a make check started with SIGINT ignored (nohup, a background job of a
# script) would otherwise see bench/all run the item to its end.
set -m
env --default-signal=INT,TERM,HUP "$all" --backends none --only "$item" --out "$tmp/d" -- --samples 100000 > "$tmp/d.out" 2>&1 &
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
	args=$(tr '\0' ' ' 2>/dev/null < "$c")
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
bad "--sweeps takes auto, spin or insn" --sweeps ns

# --- the sweeps' cost model: insn in exact mode, the same items ---
printf 'vm: scripts/vm\nclock_unit: insn\n' > "$tmp/vm.meta"
"$all" --list --backends kmod | awk '{ print $1 }' > "$tmp/ids.spin"
NB_VM_META=$tmp/vm.meta "$all" --list --backends kmod > "$tmp/l.exact" 2>&1
awk '{ print $1 }' "$tmp/l.exact" | cmp -s - "$tmp/ids.spin" &&
	! grep -q 'kmod:spin' "$tmp/l.exact" && grep -q ' kmod:insn,n=0,[0-9,]*$' "$tmp/l.exact" &&
	grep -q ' kmod:insn,cb=clear_young+clear_flush_young+test_young,n=0,' "$tmp/l.exact"
ok $? "exact mode (vm.meta clock_unit: insn): the same items, every spin sweep an insn sweep (n=)"
NB_VM_META=$tmp/vm.meta "$all" --list --backends kmod --sweeps spin > "$tmp/l.spin" 2>&1
"$all" --list --backends kmod --sweeps insn > "$tmp/l.insn" 2>&1
! grep -q 'kmod:insn' "$tmp/l.spin" && grep -q 'kmod:spin,ns=' "$tmp/l.spin" &&
	! grep -q 'kmod:spin' "$tmp/l.insn" && cmp -s "$tmp/l.insn" "$tmp/l.exact"
ok $? "--sweeps spin in exact mode keeps spin; --sweeps insn on a wall clock gives insn"
bad "no item .* matches" --only no-such-item-xyz

# --- the A/B matrix (--ab, scripts/ab): its own rows, nowhere else ---
"$all" --list --ab --backends all > "$tmp/lab" 2>&1
"$all" --list --backends all > "$tmp/lfull" 2>&1
NB_VM_META=$tmp/vm.meta "$all" --list --ab --backends kmod > "$tmp/lab.exact" 2>&1
awk -v lay="dense4k thp sparse2m sparse1g sparse64g empty hugetlb2m hugetlb1g" '
	function bad(m) { print m; err = 1 }
	$1 !~ /^ab-/ { bad("not an ab- id: " $1) }
	{ l = $0 " " }
	$2 == "mprotect" || $2 == "numa" {
		for (w = 3; w <= NF; w++) if ($w == "--layout") seen[$(w + 1)] = 1
		if (l !~ / kvm / || l !~ / kmod:count / || l !~ / kmod:spin,ns=0,[0-9,]+ / ||
		    ($2 == "mprotect" && l !~ / kmod:insn_range,n=0,1,2 /)) bad("missing a configuration: " $1)
	}
	$2 == "mprotect" && l ~ /--size 1T / { big[$0 ~ /sparse64g/ ? "s64" : "x"] = 1 }
	$2 == "mprotect" && l ~ /--align straddle / { straddle = 1 }
	$2 == "numa" && l ~ /--op hinting --layout sparse64g --size 1T / { hint = 1 }
	$2 == "upgrade" || $2 == "cow" {
		if (l !~ / kvm / || l !~ / kmod:count / || l !~ / kmod:zap / || l !~ / kmod:count,cb=tlb / ||
		    l !~ / kmod:spin,cb=tlb,ns=0,[0-9,]+ /) bad("missing a configuration: " $1)
	}
	$2 == "upgrade" { op[$4] = 1 }
	$2 == "upgrade" && l ~ /--op mprotect .*--batch 256 / { small = 1 }
	END {
		n = split(lay, L, " ")
		for (i = 1; i <= n; i++) if (!(L[i] in seen)) bad("no layout " L[i])
		if (!big["s64"] || !straddle || !hint) bad("no sparse64g 1T, straddle or sparse hinting row")
		if (!op["wp-reuse"] || !op["soft-dirty"] || !op["read-then-write"] || !op["mprotect"]) bad("an upgrade op is missing")
		if (!small) bad("no mprotect upgrade of 256 pages (below arm64 flush_tlb_mm fallback)")
		exit err
	}' "$tmp/lab" > "$tmp/lab.err" 2>&1 &&
	! grep -q '^ab-' "$tmp/lfull" && ! grep -q '^ab-' "$tmp/lall" 2>/dev/null &&
	! grep -q 'kmod:spin' "$tmp/lab.exact" && grep -q ' kmod:insn,n=0,[0-9,]* kmod:insn_range,n=0,1,2$' "$tmp/lab.exact"
ok $? "--ab: every mprotect layout (sparse64g, straddle, 1 TiB), NUMA hinting, the upgrade ops and COW, each with kvm, kmod:count, a per-call sweep and a per-4 KiB one (mprotect) or the zap model and the secondary-TLB hook counted and swept (upgrade, COW; an mprotect upgrade of 256 pages); no ab- row in the full matrix; exact mode: insn sweeps $(tr '\n' ' ' < "$tmp/lab.err")"
# A module that is not here makes an A/B item skip; the run is an A/B run, and so is its --resume.
"$all" --ab --backends kmod --only 'ab-mprotect-dense4k-2M' --out "$tmp/ab" > "$tmp/ab.out" 2>&1
rc=$?
r=$(rundir "$tmp/ab")
"$all" --resume "$r" > "$tmp/ab2.out" 2>&1
rc2=$?
((rc == 0 && rc2 == 0)) && grep -q '^options.ab: 1$' "$r/run.meta" &&
	grep -q '^item: ab-mprotect-dense4k-2M | mprotect | .* | skip | ' "$r/run.meta" &&
	grep -q 'A/B matrix' "$tmp/ab.out" && grep -q '^status: complete' "$r/run.meta"
ok $? "--ab run: options.ab in run.meta, the item skipped with its reason without the module, --resume keeps the A/B matrix (exit $rc, $rc2)"
((rc == 0 && rc2 == 0)) || diag "$tmp/ab.out" "$tmp/ab2.out"
bad "run.meta is missing" --resume "$tmp/nonexistent"

# --- zap, collapse, numa and aging: the matrix covers them, and their quick
# rows run here: each item ok with a CSV of its own, or skipped with the
# benchmark's reason and no CSV; none fails ---
new='^(zap|collapse|numa|aging)-'
nb_list=$("$root/build/notibench" list | awk '{ print $1 }')
"$all" --list --backends all > "$tmp/lall" 2>&1 && "$all" --list --quick --backends all > "$tmp/lq" 2>&1
miss=""
for b in $nb_list; do
	awk -v b="$b" '$2 == b { f = 1 } END { exit !f }' "$tmp/lq" || miss="$miss $b"
done
[[ -n $nb_list && -z $miss ]]
ok $? "every benchmark of notibench list has a quick row in the matrix${miss:+ (missing:$miss)}"
# has ARGS...: a row of the full matrix whose benchmark and arguments hold ARGS.
has() { awk -v want="$*" '{ $1 = ""; l = $0 " " } index(l, " " want " ") { f = 1 } END { exit !f }' "$tmp/lall"; }
miss=""
for op in dontneed free pageout munmap; do
	for c in 4k 2m; do has zap --op $op --chunk $c || miss="$miss zap-$op-$c"; done
done
for op in dontneed free; do has zap --op $op --chunk 4k --submit uring || miss="$miss zap-$op-uring"; done
for op in madv-collapse khugepaged ksm; do has collapse --op $op || miss="$miss collapse-$op"; done
for op in hinting migrate; do has numa --op $op || miss="$miss numa-$op"; done
for op in damon idle-mark; do has aging --op $op || miss="$miss aging-$op"; done
# Every row has none, kvm and the module; a few count instead of sweeping
# (bench/all says why), but each benchmark has sweeps.
grep -E "$new" "$tmp/lall" | grep -v ' none kvm kmod:' | grep -q . && miss="$miss (a row without none kvm kmod)"
for b in zap collapse numa aging; do
	grep -q "^$b-.* none kvm kmod:spin," "$tmp/lall" || miss="$miss (no $b sweep)"
done
[[ -z $miss ]]
ok $? "the full matrix has zap, collapse, numa and aging rows with none, kvm and the module, and sweeps${miss:+ (missing:$miss)}"

"$all" --quick --backends host --only "$new" --out "$tmp/e" > "$tmp/e.out" 2>&1
rc=$?
ok $((rc != 0)) "bench/all --quick --backends host --only '$new' exits 0 (got $rc)"
((rc == 0)) || diag "$tmp/e.out"
run=$(rundir "$tmp/e")
"$all" --list --quick --backends host --only "$new" | awk '{ print $1 }' > "$tmp/e.ids"
# check_items RUN: one line per item that is neither a sound ok nor a sound skip.
check_items() {
	local run=$1 id b st why
	while IFS=$'\t' read -r id b st why; do
		case $st in
		ok)
			grep -q "^# benchmark: $b\$" "$run/$id.csv" 2>/dev/null &&
				grep -q '^# check: passed$' "$run/$id.csv" &&
				grep -q '^median,none,' "$run/$id.csv" &&
				! grep -q '^sample,"\{0,1\}kmod' "$run/$id.csv" ||
				echo "$id: ok, but its CSV is missing, not $b's, not checked or has no none median (or a kmod row)"
			;;
		skip)
			[[ -n $why && ! -e $run/$id.csv ]] && grep -qF "SKIP: $why" "$run/run.log" ||
				echo "$id: skip without the benchmark's reason, or with a CSV"
			;;
		*) echo "$id: $st ($why)" ;;
		esac
	done < <(awk -F' [|] ' '/^item: / { print substr($1, 7) "\t" $2 "\t" $5 "\t" $8 }' "$run/run.meta")
}
bad=$(check_items "$run")
[[ -z $bad ]] && cmp -s "$tmp/e.ids" <(grep '^item: ' "$run/run.meta" | sed 's/^item: //; s/ .*//')
ok $? "each quick zap/collapse/numa/aging item: ok with its CSV (check passed, none and kvm only) or skipped with its reason"
[[ -n $bad ]] && diag <<<"$bad"
# Not all skips: the plain 4k zaps need nothing this machine may lack.
n_ok=$(grep -c '^item: .* | ok | ' "$run/run.meta")
for id in zap-dontneed-4k zap-free-4k zap-munmap-4k; do
	grep -q "^item: $id | .* | ok | " "$run/run.meta" || n_ok=0
done
((n_ok >= 3))
ok $? "the 4k syscall zaps are ok here ($n_ok items ok in all)"
if [[ -e /dev/notibench ]]; then
	n=$((n + 1)); echo "ok $n - kmod rows on the host skip without the module # SKIP /dev/notibench exists here"
else
	"$all" --quick --backends kmod --only 'zap-dontneed-4k$' --out "$tmp/f" > "$tmp/f.out" 2>&1
	rc=$?
	run=$(rundir "$tmp/f")
	((rc == 0)) && grep -q '^item: zap-dontneed-4k | zap | .* | kmod:spin,[^|]* | skip | 4 | .*/dev/notibench' "$run/run.meta" &&
		[[ ! -e $run/zap-dontneed-4k.csv ]]
	ok $? "--backends kmod without /dev/notibench: the kmod sweep skips naming the device (exit $rc)"
fi

# --list: every id once, in both shells alike
"$all" --list --backends none > "$tmp/l1" 2>&1 && "${sh[@]}" "$all" --list --backends none > "$tmp/l2" 2>&1 &&
	cmp -s "$tmp/l1" "$tmp/l2" && [[ $(awk '{ print $1 }' "$tmp/l1" | sort | uniq -d | wc -l) == 0 ]] &&
	[[ $(wc -l < "$tmp/l1") -ge 20 ]]
ok $? "--list: the same matrix under bash and ${sh[*]}, ids unique"

exit $((failed > 0))
