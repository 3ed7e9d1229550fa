#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# TAP: scripts/compare on fixture runs written by
# tests/fixtures/compare/make_run.awk (deterministic pseudo-random noise):
# noise only is not flagged; an injected +15 % regression is flagged alone
# (exit 1, or 0 above --threshold 20); an improvement is flagged with exit 0;
# environment differences are listed; bad arguments exit 2 with a message;
# --csv writes a parseable file atomically; in real numa and aging CSVs what
# changes on every run (addresses, pids, measured periods) is not listed as an
# environment difference; an item whose self-check failed in a run (in its CSV,
# in a repeat, in the baseline, or as run.meta's status) is listed and not
# compared (exit 3, or 1 with a regression). Checks the exact flagged rows, not
# only exit statuses.
# NB_COMPARE=binary tests another build (e.g. ASan).
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
fix=$root/tests/fixtures/compare
compare=$root/scripts/compare
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

n=0 failed=0
# ok STATUS DESCRIPTION: one TAP result, passing when STATUS is 0.
# shellcheck source=tests/lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"
# diag FILE: show a file as TAP diagnostics (after a failure).

# gen DIR AWK-ARGS...: one fixture run directory.
gen() {
	local d=$tmp/$1
	shift
	mkdir -p "$d" && awk -v dir="$d" "$@" -f "$fix/make_run.awk"
}

# RFC 4180 splitting for awk (mawk has no FPAT).
csvsplit='
function csvsplit(s, f,    n, i, c, cur, q) {
	n = 0; cur = ""; q = 0
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (q) {
			if (c == "\"") {
				if (substr(s, i + 1, 1) == "\"") { cur = cur c; i++ } else q = 0
			} else cur = cur c
		} else if (c == "\"") q = 1
		else if (c == ",") { f[++n] = cur; cur = "" }
		else cur = cur c
	}
	f[++n] = cur
	return n
}'
# flagged CSV: "item|config|run|regression|note" of each significant result row.
flagged() {
	awk "$csvsplit"'
	/^#/ { next }
	/^kind,/ { csvsplit($0, h); for (i in h) c[h[i]] = i; next }
	{ csvsplit($0, f) }
	f[1] == "result" && f[c["significant"]] == "1" {
		print f[c["item"]] "|" f[c["config"]] "|" f[c["run"]] "|" f[c["regression"]] "|" f[c["note"]]
	}' "$1"
}
# field CSV KIND ITEM CONFIG RUN COLUMN: one value of the comparison CSV.
field() {
	awk -v kind="$2" -v item="$3" -v cfg="$4" -v run="$5" -v col="$6" "$csvsplit"'
	/^#/ { next }
	/^kind,/ { csvsplit($0, h); for (i in h) idx[h[i]] = i; next }
	{ csvsplit($0, f); if (f[1] == kind && f[3] == item && f[4] == cfg && f[5] == run) print f[idx[col]] }' "$1"
}
# Table rows of the text output carrying the * mark.
marked() { awk '/^(mprotect|cow)-/ && / \* /' "$1"; }

# run NAME ARGS...: scripts/compare ARGS, stdout in NAME.out, stderr in NAME.err, status in rc.
rc=0
run() {
	local name=$1
	shift
	"$compare" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	rc=$?
}

reg_item=mprotect-thp-4M-toggle reg_cfg=kmod:spin,ns=250
imp_item=cow-dense4k-2M
gen base -v seed=101
gen noise -v seed=202
gen reg -v seed=202 -v shift_item=$reg_item -v shift_cfg=$reg_cfg -v shift=1.15
gen imp -v seed=202 -v shift_item=$imp_item -v shift_cfg=none -v shift=0.85
gen env -v seed=202 -v kernel=6.12.9-fixture -v "cmdline=console=ttyS0 quiet mitigations=off" \
	-v date=2026-02-02T00:00:00+0000 -v "batch=32 ops per sample (--batch)"
gen miss -v seed=202 -v drop_item=cow-thp-4M -v drop_item_cfg=mprotect-dense4k-2M-toggle
gen const1 -v const=1 -v n=10
gen const2 -v const=1 -v n=10 -v shift_item=$reg_item -v shift_cfg=$reg_cfg -v shift=1.1
gen small1 -v const=1 -v n=5
gen small2 -v const=1 -v n=5 -v shift_item=$reg_item -v shift_cfg=$reg_cfg -v shift=1.1
# Repeats (bench/all --repeat 8): 5 % noise within a run and 5 % between runs.
for r in 1 2 3 4 5 6 7 8; do
	gen rep1 -v rep=$r -v seed=$((1000 + r)) -v runnoise=0.05
	gen rep2 -v rep=$r -v seed=$((2000 + r)) -v runnoise=0.05
	gen rep2reg -v rep=$r -v seed=$((2000 + r)) -v runnoise=0.05 -v shift_item=$reg_item \
		-v shift_cfg=$reg_cfg -v shift=1.3
done
mkdir -p "$tmp/one1" "$tmp/one2" "$tmp/three1" "$tmp/three2"
cp "$tmp/rep1/"*.r1.csv "$tmp/one1/" && cp "$tmp/rep2/"*.r1.csv "$tmp/one2/"
cp "$tmp/rep1/"*.r[123].csv "$tmp/three1/" && cp "$tmp/rep2/"*.r[123].csv "$tmp/three2/"

# Failed self-checks: the improved item's check failed (its -32 % must not be reported).
gen failed -v seed=202 -v shift_item=$imp_item -v shift_cfg=none -v shift=0.68 -v fail_item=$imp_item
gen failreg -v seed=202 -v shift_item=$reg_item -v shift_cfg=$reg_cfg -v shift=1.15 -v fail_item=$imp_item
gen failbase -v seed=101 -v fail_item=$imp_item -v "fail_why=kmod:count sample 3: 2 CLEAR calls, predicted 1"
for r in 1 2 3; do
	gen failrep1 -v rep=$r -v seed=$((1000 + r))
	fail=()
	((r == 2)) && fail=(-v "fail_item=$imp_item")
	gen failrep2 -v rep=$r -v seed=$((2000 + r)) "${fail[@]}"
done
mkdir -p "$tmp/metafail"
cp "$tmp/noise/"*.csv "$tmp/metafail/"
{
	echo "notibench_run: 1"
	echo "item: mprotect-thp-4M-toggle | mprotect | --layout thp --size 4M | none kvm | ok | 0 | 1.00 | "
	echo "item: cow-thp-4M | cow | --layout thp --size 4M | none kvm | fail | 1 | 2.00 | notibench: cow: FAIL: check failed in 3 of the samples"
} > "$tmp/metafail/run.meta"

# Exact runs (clock_unit insn, scripts/vm --exact): a within-run CV of 0.02 %.
x=(-v unit=insn -v noise=0.0002)
gen xa -v seed=301 "${x[@]}" -v klabel=6.12-base
gen xb -v seed=302 "${x[@]}" -v klabel=6.12-base
gen xsmall -v seed=302 "${x[@]}" -v klabel=6.12+patch -v shift_item=$reg_item -v shift_cfg=$reg_cfg -v shift=1.003
gen xreg -v seed=302 "${x[@]}" -v klabel=6.12+patch -v shift_item=$reg_item -v shift_cfg=$reg_cfg -v shift=1.08
gen xq1 -v seed=301 -v unit=insn -v noise=0.000005
gen xq2 -v seed=302 -v unit=insn -v noise=0.000005 -v shift_item=$reg_item -v shift_cfg=$reg_cfg -v shift=1.0005
gen xmix -v seed=301 "${x[@]}" -v unit_item=cow-thp-4M -v unit_other=ns
gen xbad -v seed=301 "${x[@]}" -v unit_item=cow-thp-4M -v unit_other=cycles
gen wall -v seed=302 -v unit=ns -v klabel=6.12-wall

echo "TAP version 13"
echo "1..79"

# (1) noise only
run noise "$tmp/base" "$tmp/noise" --csv "$tmp/noise.csv"
ok $((rc != 0)) "noise only, 20 items x 2 configurations: exit 0 (got $rc)"
[[ -z $(flagged "$tmp/noise.csv") && -z $(marked "$tmp/noise.out") ]]
ok $? "noise only: no result flagged, in the CSV or the text"
grep -q '^40 tests, 0 significant' "$tmp/noise.out"
ok $? "noise only: 40 tests, Holm over all of them"
grep -q 'Environment: no differences' "$tmp/noise.out" && ! grep -q '^  date' "$tmp/noise.out"
ok $? "same environment (dates differ, not compared): no differences listed"

# (2) an injected +15 % regression in one item x configuration
run reg "$tmp/base" "$tmp/reg" --csv "$tmp/reg.csv"
ok $((rc != 1)) "+15 % in $reg_item/$reg_cfg: exit 1 with the default threshold 5 (got $rc)"
got=$(flagged "$tmp/reg.csv")
[[ $got == "$reg_item|$reg_cfg|2|1|REGRESSION" ]]
ok $? "exactly that row is flagged, as a regression (got '${got//$'\n'/; }')"
got=$(marked "$tmp/reg.out")
[[ $(wc -l <<<"$got") == 1 && $got == "$reg_item"*"$reg_cfg"*REGRESSION ]]
ok $? "the text marks exactly that row with * and REGRESSION"
chg=$(field "$tmp/reg.csv" result $reg_item $reg_cfg 2 change_pct)
awk -v c="$chg" 'BEGIN { exit !(c > 10 && c < 20) }'
ok $? "its change of the median is about +15 % (got $chg)"
grep -q '^Result: 1 significant regression beyond +5 % (exit status 1)' "$tmp/reg.out"
ok $? "the text ends with the verdict"
# --tsv: the same table, its fields (labels with commas) tab-separated, unquoted
run regt "$tmp/base" "$tmp/reg" --csv "$tmp/regt.csv" --tsv "$tmp/regt.tsv"
awk "$csvsplit"'
	/^#/ { print; next }
	{ n = csvsplit($0, f); s = f[1]; for (i = 2; i <= n; i++) s = s "\t" f[i]; print s }' \
	"$tmp/regt.csv" > "$tmp/regt.want"
[[ $rc == 1 && -s $tmp/regt.tsv ]] && cmp -s "$tmp/regt.want" "$tmp/regt.tsv" &&
	grep -q "	$reg_cfg	2	" "$tmp/regt.tsv"
ok $? "--tsv: the CSV's lines, fields tab-separated and unquoted (exit $rc)"
run reg20 "$tmp/base" "$tmp/reg" --threshold 20 --csv "$tmp/reg20.csv"
got=$(flagged "$tmp/reg20.csv")
[[ $rc == 0 && $got == "$reg_item|$reg_cfg|2|0|slower, within threshold" ]]
ok $? "--threshold 20: exit 0 (got $rc), the row still significant, not a regression"
run reg3 "$tmp/base" "$tmp/noise" "$tmp/reg" --csv "$tmp/reg3.csv"
got=$(flagged "$tmp/reg3.csv")
[[ $rc == 1 && $got == "$reg_item|$reg_cfg|3|1|REGRESSION" ]] && grep -q '^80 tests' "$tmp/reg3.out"
ok $? "three runs: 80 tests under one Holm correction, only run 3's row flagged, exit 1"

# (3) an injected improvement
run imp "$tmp/base" "$tmp/imp"
got=$(marked "$tmp/imp.out")
[[ $rc == 0 && $(wc -l <<<"$got") == 1 && $got == "$imp_item "*" none "*-1[0-9].*improvement ]]
ok $? "-15 % in $imp_item/none: flagged as an improvement, exit 0 (got $rc: '$got')"

# (4) environment differences
run env "$tmp/base" "$tmp/env"
grep -A2 '^  kernel_release$' "$tmp/env.out" | tr '\n' '|' |
	grep -q '|    \[1\] 6.18.44-fixture|    \[2\] 6.12.9-fixture|'
ok $? "kernel_release listed with each run's value"
grep -A2 '^  cmdline$' "$tmp/env.out" | grep -q '\[2\] console=ttyS0 quiet mitigations=off'
ok $? "cmdline listed with each run's value"
! grep -qE '^  (cpu_model|date|hostname|clocksource)' "$tmp/env.out" && [[ $rc == 0 ]]
ok $? "equal keys and per-run keys (date) are not listed; noise only: exit 0"
grep -A2 '^  batch, in all 20 items$' "$tmp/env.out" | tr '\n' '|' |
	grep -q '|    \[1\] 64 ops per sample (--batch)|    \[2\] 32 ops per sample (--batch)|'
ok $? "a per item key that differs alike in every item is listed once"

# items and configurations not in every run
run miss "$tmp/base" "$tmp/miss" --csv "$tmp/miss.csv"
got=$(awk '/^Not compared/ { on = 1; next } on && /^$/ { on = 0 } on' "$tmp/miss.out" |
	tr -s ' ' | tr '\n' '|')
[[ $rc == 0 && $got == "item config only in runs|cow-thp-4M (whole item) 1|mprotect-dense4k-2M-toggle kmod:spin,ns=250 1|" ]]
ok $? "an item and a configuration missing from run 2 are listed, not compared (got '$got')"
grep -q '^37 tests' "$tmp/miss.out" && [[ -z $(field "$tmp/miss.csv" result cow-thp-4M none 1 n) ]]
ok $? "the others are compared (37 tests), the missing ones have no result rows"

# medians from the sample rows, exact ratios and geometric means
run const "$tmp/const1" "$tmp/const2" --csv "$tmp/const.csv"
ratio=$(field "$tmp/const.csv" result $reg_item $reg_cfg 2 ratio)
med=$(field "$tmp/const.csv" result $reg_item $reg_cfg 2 median)
gm=$(awk -F, '$1 == "geomean" && $2 == "mprotect" { print $13 }' "$tmp/const.csv")
gc=$(awk -F, '$1 == "geomean" && $2 == "cow" { print $13 }' "$tmp/const.csv")
awk -v r="$ratio" -v m="$med" 'BEGIN { exit !(r == 1.1 && m == 1000 * 6 * 1.3 * 1.1) }'
ok $? "medians come from the samples, not the (wrong) summary rows: $med = 6000 x 1.3 x 1.1, ratio $ratio"
awk -v g="$gm" -v c="$gc" 'BEGIN { e = 1.1 ^ (1 / 24); exit !(g - e < 1e-9 && e - g < 1e-9 && c == 1) }'
ok $? "geomean per benchmark: mprotect 1.1^(1/24) = $gm over 24 pairs, cow $gc"
[[ $rc == 1 && $(flagged "$tmp/const.csv") == "$reg_item|$reg_cfg|2|1|REGRESSION" ]]
ok $? "constant samples, n = 10 (ties, normal approximation): the +10 % row is flagged"
run small "$tmp/small1" "$tmp/small2" --csv "$tmp/small.csv"
[[ $rc == 0 && -z $(flagged "$tmp/small.csv") ]] && grep -q '^0 tests.*n too small' "$tmp/small.out" &&
	[[ $(field "$tmp/small.csv" result $reg_item $reg_cfg 2 note) == "n too small"* ]]
ok $? "n = 5 with ties: 'n too small', not tested, exit 0 (got $rc)"

# two single CSV files are matched to each other whatever their names
cp "$tmp/reg/$reg_item.csv" "$tmp/renamed.csv"
run single "$tmp/noise/$reg_item.csv" "$tmp/renamed.csv" --csv "$tmp/single.csv"
[[ $rc == 1 && $(flagged "$tmp/single.csv") == "mprotect|$reg_cfg|2|1|REGRESSION" ]]
ok $? "two single files: matched (item named after the benchmark), regression found, exit 1"

# (7) repeats: the unit is then one run, so variation between runs is tested
run rep "$tmp/rep1" "$tmp/rep2" --csv "$tmp/rep.csv"
[[ $rc == 0 && -z $(flagged "$tmp/rep.csv") ]] && grep -q "^Values: the repeats' medians" "$tmp/rep.out" &&
	[[ $(field "$tmp/rep.csv" result $reg_item none 2 unit) == "repeat medians" &&
	   $(field "$tmp/rep.csv" result $reg_item none 2 n) == 8 &&
	   $(field "$tmp/rep.csv" result $reg_item none 2 reps) == 8 ]]
ok $? "8 repeats a side, 5 % noise between runs: the repeats' medians are tested (n = 8), nothing flagged, exit 0 (got $rc)"
run one "$tmp/one1" "$tmp/one2" --csv "$tmp/one.csv"
got=$(flagged "$tmp/one.csv" | wc -l)
((got >= 10)) && grep -q '^Values: the sample rows. Samples of one run share' "$tmp/one.out"
ok $? "the same runs' first repeats alone: the samples miss the variation between runs ($got flagged) and the output says so"
run repreg "$tmp/rep1" "$tmp/rep2reg" --csv "$tmp/repreg.csv"
[[ $rc == 1 && $(flagged "$tmp/repreg.csv") == "$reg_item|$reg_cfg|2|1|REGRESSION" ]]
ok $? "8 repeats a side with +30 % in $reg_item/$reg_cfg: exactly that flagged, exit 1 (got $rc)"
run three "$tmp/three1" "$tmp/three2"
[[ $rc == 0 ]] && grep -q '^Note: 40 of the 40 tests have too few values to be significant at all' "$tmp/three.out" &&
	grep -q '(n = 3 vs 3: smallest possible p = 2 / C(6, 3) = 0.1 >= 0.05)' "$tmp/three.out"
ok $? "3 repeats a side: a note that no test can reach significance (smallest p 2/C(6,3) = 0.1)"

# (8) real CSVs of numa and aging (a 6.12 guest run in tests/fixtures/plot2):
# what differs between two runs of one set-up in layout_verified (addresses,
# kdamond's pid, numa's measured scan period and set-up counts) is not an
# environment difference; a page size is. Configurations with commas in
# their labels (aging's callbacks, the sweep points) are matched.
g=$(find "$root/tests/fixtures/plot2" -mindepth 1 -maxdepth 1 -name 'qemu-*' | head -n 1)
mkdir -p "$tmp/lv1" "$tmp/lv2" "$tmp/lv3"
cp "$g/aging-damon-16M.csv" "$g/numa-hinting-dense4k-4M.csv" "$tmp/lv1/"
for f in "$tmp/lv1/"*.csv; do
	sed -E '/^# layout_verified: /{ s/0x[0-9a-f]+/0x7f0000000000/g; s/pid [0-9]+/pid 4242/
		s/period [0-9.]+ ms/period 99.9 ms/; s/[0-9]+ scans seen/17 scans seen/; }' "$f" > "$tmp/lv2/${f##*/}"
	sed '/^# layout_verified: /s/AnonHugePages 0 kB/AnonHugePages 2048 kB/' "$f" > "$tmp/lv3/${f##*/}"
done
! grep -q 'pid 4242' "$tmp/lv1/aging-damon-16M.csv" && grep -q 'vaddr, .* over 0x7f0000000000-.* pid 4242$' "$tmp/lv2/aging-damon-16M.csv" &&
	grep -q '^# layout_verified: .* period 99.9 ms' "$tmp/lv2/numa-hinting-dense4k-4M.csv" &&
	! cmp -s "$tmp/lv1/numa-hinting-dense4k-4M.csv" "$tmp/lv2/numa-hinting-dense4k-4M.csv"
ok $? "fixture: the copies differ from the run in kdamond's pid, the DAMON span and numa's scan period"
run lv "$tmp/lv1" "$tmp/lv2"
[[ $rc == 0 ]] && grep -q 'Environment: no differences' "$tmp/lv.out" && grep -q '^5 tests, 0 significant' "$tmp/lv.out" &&
	grep -q '^aging-damon-16M  *kmod:count,cb=clear_flush_young+clear_young+test_young  ' "$tmp/lv.out" &&
	grep -q '^numa-hinting-dense4k-4M  *kmod:spin,ns=250000  ' "$tmp/lv.out"
ok $? "aging and numa: addresses, pid and measured period are no environment difference; 1 + 4 configurations compared (exit $rc)"
((rc == 0)) || diag "$tmp/lv.err"
run lv3 "$tmp/lv1" "$tmp/lv3"
grep -A2 '^  .*layout_verified' "$tmp/lv3.out" | tr '\n' '|' | grep -q 'AnonHugePages 0 kB.*period ? ms.*|.*AnonHugePages 2048 kB'
ok $? "a page size in layout_verified is listed, the measured parts masked as ?"

# (9) the host reference: runs whose CPU sped up or slowed down as a whole.
mkdir -p "$tmp/hr1" "$tmp/hr2"
for f in "$tmp/lv1/"*.csv; do
	sed '/^# date: /a # host_ref_syscall_ns: 150.0 170.0 (getppid)\n# host_ref_loop_ns: 1.500 1.500 (LCG)\n# cpu_steal: 2.0 % of the run' \
		"$f" > "$tmp/hr1/${f##*/}"
	sed '/^# date: /a # host_ref_syscall_ns: 190.0 210.0 (getppid)\n# host_ref_loop_ns: 1.650 1.650 (LCG)\n# cpu_steal: 0.0 % of the run' \
		"$f" > "$tmp/hr2/${f##*/}"
done
run hr "$tmp/hr1" "$tmp/hr2"
grep -q '^  \[1\] getppid 160.0 ns, loop step 1.500 ns, steal 2.0 %$' "$tmp/hr.out" &&
	grep -q '^  \[2\] getppid 200.0 ns (+25.0 %), loop step 1.650 ns (+10.0 %), steal 0.0 %$' "$tmp/hr.out"
ok $? "host reference: per run the median of before and after over the items, and the change against run [1]"
! grep -q 'Host reference' "$tmp/lv.out"
ok $? "runs without a host reference print none"

# (10) an item whose self-check failed in a run is not compared
run failed "$tmp/base" "$tmp/failed" --csv "$tmp/failed.csv"
[[ $rc == 3 && -z $(flagged "$tmp/failed.csv") && -z $(marked "$tmp/failed.out") ]]
ok $? "a failed self-check with a -32 % change: nothing flagged, not an improvement, exit 3 (got $rc)"
[[ -z $(field "$tmp/failed.csv" result $imp_item none 2 n) && -z $(field "$tmp/failed.csv" result $imp_item none 1 n) ]] &&
	grep -q '^38 tests, 0 significant.*some not compared: failed in a run' "$tmp/failed.out" &&
	[[ $(awk -F, '$1 == "geomean" && $2 == "cow" { print $8 }' "$tmp/failed.csv") == 14 ]]
ok $? "its configurations have no result rows, no test (38 of 40) and are left out of the cow geomean (14 pairs)"
got=$(awk "$csvsplit"'/^failed,/ { csvsplit($0, f); print f[3] "|" f[5] "|" f[20] }' "$tmp/failed.csv")
[[ $got == "$imp_item|2|self-check FAILED: none sample 0: 0 faults for 12288 pages written"* ]]
ok $? "CSV: a 'failed' row naming the item, run 2 and the first failure (got '$got')"
awk '/^Not compared \(failed in a run/ { on = 1 } on' "$tmp/failed.out" |
	grep -q "^$imp_item  *2  *self-check FAILED: none sample 0: 0 faults" &&
	grep -q '^Result: no significant regression beyond +5 % among the items compared, but 1 failed in a run and was not compared (exit status 3)' "$tmp/failed.out"
ok $? "text: listed under 'Not compared (failed in a run...)' with its run and first failure; the verdict says exit 3"
run failreg "$tmp/base" "$tmp/failreg" --csv "$tmp/failreg.csv"
[[ $rc == 1 && $(flagged "$tmp/failreg.csv") == "$reg_item|$reg_cfg|2|1|REGRESSION" ]] &&
	grep -q "^failed,,$imp_item,,2," "$tmp/failreg.csv"
ok $? "a regression and a failed item: exit 1, the regression flagged, the failed item listed (got $rc)"
run failbase "$tmp/failbase" "$tmp/noise" --csv "$tmp/failbase.csv"
[[ $rc == 3 ]] && grep -q "^failed,,$imp_item,,1,.*kmod:count sample 3: 2 CLEAR calls" "$tmp/failbase.csv" &&
	[[ -z $(field "$tmp/failbase.csv" result $imp_item none 2 n) ]]
ok $? "a failure in the baseline run: not compared either, exit 3 (got $rc)"
run failrep "$tmp/failrep1" "$tmp/failrep2" --csv "$tmp/failrep.csv"
[[ $rc == 3 ]] && grep -q "^failed,,$imp_item,,2,.*repeat 2 of 3: self-check FAILED" "$tmp/failrep.csv" &&
	grep -q "^$imp_item  *2 (repeat 2 of 3)  *self-check FAILED" "$tmp/failrep.out"
ok $? "one failed repeat of three: the whole item is not compared, the repeat named (got $rc)"
run metafail "$tmp/base" "$tmp/metafail" --csv "$tmp/metafail.csv"
[[ $rc == 3 ]] && grep -q "^failed,,cow-thp-4M,,2,.*bench/all's run.meta: fail (exit 1): notibench: cow: FAIL: check failed in 3" "$tmp/metafail.csv" &&
	[[ -z $(field "$tmp/metafail.csv" result cow-thp-4M none 2 n) && -n $(field "$tmp/metafail.csv" result mprotect-thp-4M-toggle none 2 n) ]]
ok $? "run.meta's item status fail (its CSV kept): not compared, with bench/all's reason, exit 3 (got $rc)"

# (11) exact runs: differences are deterministic, not tested
run xaa "$tmp/xa" "$tmp/xb" --csv "$tmp/xaa.csv"
[[ $rc == 0 && -z $(flagged "$tmp/xaa.csv") && -z $(marked "$tmp/xaa.out") ]] &&
	grep -q '^40 compared (exact), 0 flagged' "$tmp/xaa.out" && ! grep -qE 'Mann-Whitney|p\(Holm\)' "$tmp/xaa.out"
ok $? "exact A/A (two runs of one kernel, 0.02 % CV): nothing flagged, no test of noise, exit 0 (got $rc)"
grep -q '^notibench compare: 2 exact runs, metric ns_per_op in insn/op, guest instructions' "$tmp/xaa.out" &&
	grep -q '^ns_per_op (insn/op: guest instructions) per item and configuration (exact):$' "$tmp/xaa.out" &&
	grep -q '^item  *config  *run  *n  *median insn/op  *95% CI of median  *CV  *difference insn/op  *change' "$tmp/xaa.out" &&
	! grep -qE '(median|difference) ns' "$tmp/xaa.out"
ok $? "exact: the unit is insn/op in the headline, the table title and the column headers"
grep -q '^# clock_unit: insn$' "$tmp/xaa.csv" && grep -q '^# metric_unit: insn/op$' "$tmp/xaa.csv" &&
	grep -q '^# tolerance_pct: 0.1$' "$tmp/xaa.csv" &&
	grep -q '^kind,benchmark,item,config,run,reps,unit,n,median,ci95_lo,ci95_hi,change_pct,ratio,u,p,p_holm,test,significant,regression,note,diff,cv$' "$tmp/xaa.csv" &&
	[[ $(field "$tmp/xaa.csv" result $reg_item none 2 test) == deterministic && -z $(field "$tmp/xaa.csv" result $reg_item none 2 p) ]]
ok $? "exact --csv: clock_unit, metric_unit and tolerance_pct; diff and cv columns; test 'deterministic', no p"
grep -q '^  \[1\] 6.12-base: .*/xa/ (20 items)$' "$tmp/xaa.out" &&
	grep -q "^$reg_item  *none  *2 6.12-base  *30 " "$tmp/xaa.out"
ok $? "exact: each run named by its kernel_label in the run list and the run column"
# The same run made on arm64: the architecture after its label (an arm64 and
# an x86 run of one kernel version are not one kernel).
cp -r "$tmp/xa" "$tmp/xarm"
for f in "$tmp/xarm"/*.csv; do sed -i '1a # machine: aarch64' "$f"; done
run xarm "$tmp/xa" "$tmp/xarm"
grep -q '^  \[1\] 6.12-base: .*/xa/ (20 items)$' "$tmp/xarm.out" &&
	grep -q '^  \[2\] 6.12-base (aarch64): .*/xarm/ (20 items)$' "$tmp/xarm.out" &&
	grep -q "^$reg_item  *none  *2 6.12-base (aarch64)  *30 " "$tmp/xarm.out"
ok $? "an aarch64 run: '(aarch64)' after its kernel_label in the run list and the run column, none after x86's"
run xsmall "$tmp/xa" "$tmp/xsmall" --csv "$tmp/xsmall.csv"
got=$(flagged "$tmp/xsmall.csv")
d=$(field "$tmp/xsmall.csv" result $reg_item $reg_cfg 2 diff)
m=$(field "$tmp/xsmall.csv" result $reg_item $reg_cfg 1 median)
[[ $rc == 0 && $got == "$reg_item|$reg_cfg|2|0|higher" ]] &&
	awk -v d="$d" -v m="$m" 'BEGIN { exit !(d / m > 0.002 && d / m < 0.004) }' &&
	grep -q "^$reg_item  *kmod:spin,ns=250  *2 6.12+patch .* +0.3[0-9][0-9] %  \*  higher$" "$tmp/xsmall.out"
ok $? "exact +0.3 %: exactly that row flagged 'higher' with its difference in instructions ($d of $m), exit 0 (got $rc: '$got')"
grep -A2 '^  kernel_label$' "$tmp/xsmall.out" | tr '\n' '|' | grep -q '|    \[1\] 6.12-base|    \[2\] 6.12+patch|'
ok $? "exact: kernel_label is an environment difference when the labels differ"
run xreg "$tmp/xa" "$tmp/xreg" --csv "$tmp/xreg.csv"
[[ $rc == 1 && $(flagged "$tmp/xreg.csv") == "$reg_item|$reg_cfg|2|1|REGRESSION" ]] &&
	grep -q '^Result: 1 flagged regression beyond +5 % (exit status 1)' "$tmp/xreg.out"
ok $? "exact +8 %: REGRESSION, exit 1 (got $rc)"
run xq "$tmp/xq1" "$tmp/xq2" --csv "$tmp/xq.csv"
[[ $rc == 0 && -z $(flagged "$tmp/xq.csv") && $(field "$tmp/xq.csv" result $reg_item $reg_cfg 2 note) == "within tolerance" ]]
ok $? "exact +0.05 % beyond a 0.0005 % spread: within the 0.1 % tolerance, not flagged (got $rc)"
run xqt "$tmp/xq1" "$tmp/xq2" --tolerance 0.01 --csv "$tmp/xqt.csv"
[[ $rc == 0 && $(flagged "$tmp/xqt.csv") == "$reg_item|$reg_cfg|2|0|higher" ]]
ok $? "exact --tolerance 0.01: the +0.05 % difference is flagged (got $rc)"
run xw "$tmp/xa" "$tmp/wall"
[[ $rc == 2 && ! -s $tmp/xw.out ]] &&
	grep -q "cannot compare an exact run with a wall-clock run: \[1\] $tmp/xa (6.12-base) counts guest instructions (clock_unit insn), \[2\] $tmp/wall (6.12-wall) nanoseconds" "$tmp/xw.err"
ok $? "an exact run and a wall-clock run: refused, naming both, exit 2 (got $rc: $(head -c 200 "$tmp/xw.err"))"
run wx "$tmp/base" "$tmp/xb"
[[ $rc == 2 ]] && grep -q "\[2\] $tmp/xb (6.12-base) counts guest instructions.*\[1\] $tmp/base nanoseconds" "$tmp/wx.err"
ok $? "a run without clock_unit (ns) first, an exact one second: refused the same way (got $rc)"
run xmix "$tmp/xa" "$tmp/xmix"
[[ $rc == 2 ]] && grep -q "xmix mixes clock units: .* says insn, .*cow-thp-4M.csv says ns" "$tmp/xmix.err"
ok $? "a run directory whose CSVs disagree on clock_unit: exit 2 naming them (got $rc)"
run xbad "$tmp/xa" "$tmp/xbad"
[[ $rc == 2 ]] && grep -q "cow-thp-4M.csv: clock_unit 'cycles' is neither ns nor insn" "$tmp/xbad.err"
ok $? "a clock_unit other than ns and insn: exit 2 (got $rc)"
# Real exact runs (tests/fixtures/exact: scripts/vm --exact, two quick mprotect
# items with a kmod cost sweep, --samples 5): two boots of 6.12, a boot of 6.1
# and one of 6.12 labelled 6.12+fixture-label.
ex=$root/tests/fixtures/exact
e612a=$ex/qemu-6.12.118+deb12-amd64-20261205-210225
e612b=$ex/qemu-6.12.118+deb12-amd64-20261205-210252
e61=$ex/qemu-6.1.0-57-amd64-20261205-210448
e612l=$ex/qemu-6.12.118+deb12-amd64-20261205-210358
run ra "$e612a" "$e612b" --csv "$tmp/ra.csv"
[[ $rc == 0 && -z $(flagged "$tmp/ra.csv") ]] && grep -q '^8 compared (exact), 0 flagged' "$tmp/ra.out" &&
	grep -q '^  \[1\] getppid [0-9.]* insn' "$tmp/ra.out" && ! grep -qE '[0-9] ns\b|median ns' "$tmp/ra.out"
ok $? "real exact runs, two boots of 6.12 (A/A): nothing flagged, exit 0, no ns anywhere (got $rc)"
run rk "$e61" "$e612l" --csv "$tmp/rk.csv"
got=$(flagged "$tmp/rk.csv" | grep -c '|2|.|')
[[ $rc == 1 && $got == 8 && $(field "$tmp/rk.csv" result mprotect-thp-2M-toggle kmod:spin,ns=0 2 note) == REGRESSION ]] &&
	grep -q '^  \[2\] 6.12+fixture-label: .*210358/ (2 items)$' "$tmp/rk.out" &&
	grep -q '^mprotect-thp-2M-toggle  *kmod:spin,ns=0  *2 6.12+fixture-label  *5 ' "$tmp/rk.out" &&
	grep -q '^# run.2.label: 6.12+fixture-label$' "$tmp/rk.csv" &&
	grep -A2 '^  kernel_label$' "$tmp/rk.out" | grep -q '\[2\] 6.12+fixture-label'
ok $? "real exact runs, 6.1 against a labelled 6.12: every difference flagged (thp-2M +22 %: REGRESSION), the run named by its label, exit 1 (got $rc, $got flagged)"
run rw "$e612a" "$root/tests/fixtures/plot/qemu-6.12.117+deb12-amd64-20261122-013351"
[[ $rc == 2 && ! -s $tmp/rw.out ]] && grep -q "cannot compare an exact run with a wall-clock run: \[1\] $e612a (6.12.118+deb12-amd64) counts guest instructions (clock_unit insn), \[2\] .*qemu-6.12.117+deb12-amd64-20261122-013351 nanoseconds" "$tmp/rw.err"
ok $? "a real exact run and a real wall-clock (TCG) run of 6.12: refused naming both, exit 2 (got $rc)"

# (5) bad usage: exit 2 and a message
# bad NAME REGEX DESCRIPTION ARGS...
bad() {
	local name=$1 re=$2 what=$3
	shift 3
	run "$name" "$@"
	if [[ $rc == 2 ]] && grep -qE -- "$re" "$tmp/$name.err" && [[ ! -s $tmp/$name.out ]]; then
		ok 0 "$what: exit 2, '$(head -n 1 "$tmp/$name.err")'"
	else
		ok 1 "$what: want exit 2 and /$re/ on stderr, nothing on stdout; got $rc"
		diag "$tmp/$name.err"
	fi
}
printf 'a,b\n1,2\n' >"$tmp/plain.csv"
mkdir -p "$tmp/plaindir" && cp "$tmp/plain.csv" "$tmp/plaindir/"
mkdir -p "$tmp/badnum" && cp "$tmp/base/"*.csv "$tmp/badnum/" &&
	sed -i '30s/,[^,]*$/,12x/' "$tmp/badnum/cow-thp-2M.csv"
sed '1s/: 1$/: 2/' "$tmp/base/cow-thp-2M.csv" >"$tmp/v2.csv"
sed '31s/,[^,]*$//' "$tmp/base/cow-thp-2M.csv" >"$tmp/short.csv"
bad noargs 'no runs given' "no arguments"
bad onerun 'one run given' "one run" "$tmp/base"
bad nofile "$tmp/nonexistent: No such file or directory" "a nonexistent path" "$tmp/base" "$tmp/nonexistent"
bad plain 'plain.csv:1: not a notibench CSV' "a CSV that is not notibench's" "$tmp/base/cow-thp-2M.csv" "$tmp/plain.csv"
bad plaindir 'plaindir: a directory without notibench CSVs' "a directory without notibench CSVs" "$tmp/base" "$tmp/plaindir"
bad thr "--threshold 'abc': not a percentage" "--threshold abc" "$tmp/base" "$tmp/noise" --threshold abc
bad opt "unknown option '--frobnicate'" "an unknown option" "$tmp/base" "$tmp/noise" --frobnicate
bad alpha "--alpha '1.5'" "--alpha 1.5" "$tmp/base" "$tmp/noise" --alpha=1.5
bad tol "--tolerance '-1': not a percentage" "--tolerance -1" "$tmp/xa" "$tmp/xb" --tolerance -1
bad metric "--metric nosuch: no such column" "--metric of a column no CSV has" "$tmp/base" "$tmp/noise" --metric nosuch
bad version "v2.csv:1: notibench CSV version '2'; this reads version 1" "another format version" "$tmp/base/cow-thp-2M.csv" "$tmp/v2.csv"
bad short "short.csv:31: 7 fields, the header has 8" "a row with a field missing" "$tmp/base/cow-thp-2M.csv" "$tmp/short.csv"
bad badnum "cow-thp-2M.csv:30: column ns_per_op: '12x' is not a number" "a bad number in a sample row" "$tmp/base" "$tmp/badnum"

# (5b) a CLAMPED configuration (config.K.clamped: some calls charged the
# module's per-call cap): the +8 % of xreg in it is shown, never flagged.
mkdir -p "$tmp/xclamp"
cp "$tmp/xreg/"*.csv "$tmp/xclamp/"
awk -v cfg="$reg_cfg" '{ print }
	/^# config\.[0-9]+: / && substr($0, index($0, ": ") + 2) == cfg {
		k = $2; sub(/:$/, "", k)
		print "# " k ".clamped: yes: 4.0000 calls per op (median; max 4.0000) charged the per-call cap (NB_MAX_CALL_NS, 1 ms per call), not their cost"
	}' "$tmp/xreg/$reg_item.csv" > "$tmp/xclamp/$reg_item.csv"
run xclamp "$tmp/xa" "$tmp/xclamp" --csv "$tmp/xclamp.csv"
got=$(field "$tmp/xclamp.csv" result "$reg_item" "$reg_cfg" 2 note)
[[ $rc == 0 && -z $(flagged "$tmp/xclamp.csv") && -z $(marked "$tmp/xclamp.out") &&
	$got == "CLAMPED (calls charged the per-call cap: a lower bound), not compared" ]]
ok $? "exact +8 % in a CLAMPED configuration: not flagged, noted CLAMPED, exit 0 (got $rc, '$got')"
grep -q '^1 not compared: CLAMPED' "$tmp/xclamp.out" && grep -q "$reg_cfg.*CLAMPED" "$tmp/xclamp.out"
ok $? "the text shows the row as CLAMPED and counts it as not compared"
run xclampb "$tmp/xclamp" "$tmp/xreg" --csv "$tmp/xclampb.csv"
got=$(field "$tmp/xclampb.csv" result "$reg_item" "$reg_cfg" 2 note)
[[ $rc == 0 && -z $(flagged "$tmp/xclampb.csv") && $got == "not compared: run 1's is CLAMPED" ]]
ok $? "clamped in the baseline only: not compared either (got $rc, '$got')"
# scripts/summary: the configuration and its sweep are marked, no slope is given
sum_one() { # CSV CLAMPED-CONFIG-INDEX: a copy with that configuration clamped, summarised
	awk -v k="$2" '{
		if (/^# sweep: /) { s = substr($0, 10); print "# sweep: " substr(s, 1, index(s, ": slope ") - 1) ": clamped: 1 of 4 configurations, up to 4.0000 calls per op charged the per-call cap (NB_MAX_CALL_NS, 1 ms per call); no fit, cost_unit ns, time_unit insn"; next }
		print
		if ($0 ~ "^# config\\." k ": ") print "# config." k ".clamped: yes"
	}' "$1"
}
mkdir -p "$tmp/sumclamp"
f=$(ls "$root"/tests/fixtures/exact/*210225/mprotect-thp-2M-toggle.csv)
sum_one "$f" 3 > "$tmp/sumclamp/mprotect-thp-2M-toggle.csv"
"$root/scripts/summary" "$tmp/sumclamp" > "$tmp/sumclamp.out" 2>&1
grep -q 'clamped: no slope' "$tmp/sumclamp.out" && ! grep -qE 'kmod:spin.* [0-9.]+ \([01]\.[0-9]+\)' "$tmp/sumclamp.out"
grep -q 'kmod:spin,ns=0\.\.20000 CLAMPED' "$tmp/sumclamp.out"
ok $? "scripts/summary: a sweep whose metadata says clamped shows 'clamped: no slope', no fit, and is marked CLAMPED"
"$root/scripts/summary" "$(dirname "$f")" > "$tmp/sumplain.out" 2>&1
! grep -q 'CLAMPED\|clamped' "$tmp/sumplain.out" && grep -qE 'kmod:spin.*\(1\.00\)' "$tmp/sumplain.out"
ok $? "scripts/summary: the same sweep unclamped shows its slope and no CLAMPED"

# (6) --csv: complete, parseable, atomic
mkdir -p "$tmp/out"
run csvout "$tmp/base" "$tmp/reg" --csv "$tmp/out/cmp.csv"
awk "$csvsplit"'
	/^#/ { next }
	{ nf = csvsplit($0, f) }
	!hdr { if ($0 != "kind,benchmark,item,config,run,reps,unit,n,median,ci95_lo,ci95_hi,change_pct,ratio,u,p,p_holm,test,significant,regression,note") exit 1; hdr = 1; next }
	nf != 20 { exit 1 }
	f[1] == "result" { r++ } f[1] == "geomean" { g++ }
	END { exit !(hdr && r == 80 && g == 2) }' "$tmp/out/cmp.csv"
ok $? "--csv: a header and 20 fields a row; 80 result rows (40 x 2 runs), 2 geomean rows"
[[ $(ls -A "$tmp/out") == cmp.csv && $rc == 1 ]]
ok $? "--csv: no temp file left beside it; exit status unchanged"
run csvbad "$tmp/base" "$tmp/noise" --csv "$tmp/no/such/dir/x.csv"
[[ $rc == 2 && ! -e $tmp/no ]] && grep -q 'x.csv: No such file or directory' "$tmp/csvbad.err"
ok $? "--csv into a missing directory: exit 2 with the reason (got $rc)"

exit $((failed > 0))
