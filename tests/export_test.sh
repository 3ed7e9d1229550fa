#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# TAP: `notibench export` (results/README.md "notibench export: one long
# table"). Over results/example's runs: exit 0, the CSV and the JSON have the
# same rows, the JSON parses, every median/min/max/mean/CI the CSVs' summary rows
# hold is in the table (to the 6 digits older CSVs were written with), the
# item is the file's stem and the label the release. A run.meta's
# kernel_label and a CSV's `# item:` / `# kernel_label:` / `# clock_unit:`
# name the rows; a CSV that describes itself (tests/fixtures/export, written by
# a 6.12 guest) gives its sweep's fit as rows and its options as keys; repeats
# x.rN.csv are item x. Hostile values (quotes, backslashes, control characters,
# bad UTF-8) still give JSON that parses. Bad input (a cut file, a word where a
# number goes, not a notibench CSV, a bad clock_unit, a file name with a
# newline, bad options) is exit 2 naming the file (and line), leaving no --out
# file and not touching an existing one; a failed write is exit 1 naming the
# path. NB_NOTIBENCH=binary tests another build (e.g. ASan).
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
fix=$root/tests/fixtures
tmp=$(mktemp -d)
trap 'exit 130' INT TERM HUP
trap '[[ -n ${KEEP:-} ]] || rm -rf "$tmp"' EXIT

n=0 failed=0
# shellcheck source=tests/lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"

echo "TAP version 13"
echo "1..34"

nb=${NB_NOTIBENCH:-$root/build/notibench}
if [[ -z ${NB_NOTIBENCH:-} ]]; then
	make -s -C "$root" build/notibench >/dev/null || { echo "Bail out! make build/notibench failed"; exit 1; }
fi
runs=()
for d in "$root"/results/example/*/; do
	[[ -f $d/run.meta ]] && runs+=("$d")
done

# --- results/example ---
"$nb" export "${runs[@]}" > "$tmp/all.csv" 2> "$tmp/err"
rc=$?
[[ $rc == 0 && ! -s $tmp/err && $(wc -l < "$tmp/all.csv") -gt 1000 ]]
ok $? "export of results/example's ${#runs[@]} runs as CSV: exit 0, silent (got $rc)"
[[ $rc == 0 ]] || diag "$tmp/err"

"$nb" export --format json --out "$tmp/all.json" "${runs[@]}" 2> "$tmp/err"
rc=$?
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$tmp/all.json" 2>> "$tmp/err"
ok $(( rc || $? )) "export --format json --out: exit 0, it parses as JSON"
[[ $rc == 0 ]] || diag "$tmp/err"

# check.py: the table against the CSVs it was read from.
cat > "$tmp/check.py" <<'EOF'
import csv, json, os, sys

mode = sys.argv[1]
table = list(csv.DictReader(open(sys.argv[2], newline="")))
if mode == "rows":
    rows = json.load(open(sys.argv[3]))["rows"]
    norm = lambda r: tuple(str(r[k]) for k in ("run", "item", "config", "metric", "statistic"))
    ok = len(rows) == len(table) and [norm(r) for r in rows] == [norm(r) for r in table]
    ok = ok and all(float(a["value"]) == float(b["value"]) for a, b in zip(rows, table))
    print(f"# {len(table)} CSV rows, {len(rows)} JSON rows")
    sys.exit(0 if ok else 1)
if mode == "values":
    have = {(r["run"], r["item"], r["config"], r["metric"], r["statistic"]): r for r in table}
    checked = bad = 0
    for path in sys.argv[3:]:
        run = os.path.basename(os.path.dirname(os.path.abspath(path)))
        item = os.path.basename(path)[:-4]
        data = list(csv.reader(l for l in open(path) if not l.startswith("#")))
        head = data[0]
        for row in data[1:]:
            if row[0] not in ("median", "min", "max", "mean", "ci95_lo", "ci95_hi"):
                continue
            for i, col in enumerate(head):
                if col in ("kind", "config", "round", "seq", "sample") or col.endswith("_hist") or not row[i]:
                    continue
                checked += 1
                r = have.get((run, item, row[1], col, row[0]))
                want = float(row[i])
                if r is None or abs(float(r["value"]) - want) > 1e-5 * abs(want):
                    bad += 1
                    if bad < 5:
                        print(f"# {path}: {row[1]} {col} {row[0]}: CSV {row[i]}, export {r and r['value']}")
                elif r["kernel_label"] == "" or r["item"] != item:
                    bad += 1
    print(f"# {checked} summary values checked, {bad} wrong")
    sys.exit(0 if checked > 10000 and bad == 0 else 1)
if mode == "names":   # the item, label and unit of a metric's rows
    item, label, unit, metric, munit = sys.argv[3:8]
    sel = [r for r in table if r["metric"] == metric]
    ok = sel and all((r["item"], r["kernel_label"], r["clock_unit"], r["unit"]) == (item, label, unit, munit) for r in sel)
    if not ok:
        print("# got", set((r["item"], r["kernel_label"], r["clock_unit"], r["unit"]) for r in sel))
    sys.exit(0 if ok else 1)
EOF

python3 "$tmp/check.py" rows "$tmp/all.csv" "$tmp/all.json"
ok $? "the CSV and the JSON hold the same rows, in the same order, with the same values"

files=()
for d in "${runs[@]}"; do files+=("$d"*.csv); done
python3 "$tmp/check.py" values "$tmp/all.csv" "${files[@]}"
ok $? "every median, min, max, mean, ci95_lo and ci95_hi of the CSVs' summary rows is the export's (item = file stem)"

row=$(grep -m1 '^qemu-6.12[^,]*,6.12.117+deb12-amd64,ns,mprotect-thp-64M-toggle,mprotect-thp-64M-toggle.csv,mprotect,"kmod:spin,ns=0",ns_per_op,median,' "$tmp/all.csv")
med=$(grep '^median,"kmod:spin,ns=0",' "$root"/results/example/qemu-6.12*/mprotect-thp-64M-toggle.csv |
	python3 -c 'import csv,sys; print(float(next(csv.reader(sys.stdin))[7]))')
[[ -n $row ]] && python3 -c "import sys; a, b = float(sys.argv[1].rsplit(',', 2)[1]), float(sys.argv[2]); sys.exit(abs(a - b) > 1e-5 * b)" "$row" "$med"
ok $? "mprotect-thp-64M-toggle's kmod:spin,ns=0 median ns_per_op on 6.12: the CSV's ($med), unit ns"

one=$(ls "${runs[0]}"*.csv | head -1)
"$nb" export "$one" > "$tmp/one.csv" 2>&1 &&
	[[ $(grep -c "" "$tmp/one.csv") -gt 1 ]] && ! grep -qv "^run,\|^$(basename "${runs[0]}")," "$tmp/one.csv"
ok $? "a single CSV: its directory is its run"

# --- what names the rows ---
mkdir -p "$tmp/lab"
cp "$fix"/plot/qemu-6.12*/mprotect-sparse1g-64G-toggle.csv "$tmp/lab/x.csv"
printf 'notibench_run: 1\nkernel_label: base\nclock_unit: ns\n' > "$tmp/lab/run.meta"
"$nb" export "$tmp/lab" > "$tmp/lab.csv" 2>&1 &&
	python3 "$tmp/check.py" names "$tmp/lab.csv" x base ns ns_per_op ns
ok $? "run.meta's kernel_label names the run's rows; the item is the file's stem"

sed -i '2i # item: mprotect-sparse1g\n# kernel_label: patched\n# clock_unit: insn' "$tmp/lab/x.csv"
"$nb" export "$tmp/lab/x.csv" > "$tmp/lab.csv" 2>&1 &&
	python3 "$tmp/check.py" names "$tmp/lab.csv" mprotect-sparse1g patched insn ns_per_op insn &&
	python3 "$tmp/check.py" names "$tmp/lab.csv" mprotect-sparse1g patched insn nops ops
ok $? "# item:, # kernel_label: and # clock_unit: in the CSV win; times are in its clock unit"

# A CSV that describes itself (notibench from 2026-12, in a 6.12 guest): item,
# label, options and the sweep's fit as keys.
new=$(ls "$fix"/export/*/mprotect-thp-2M-toggle.csv)
"$nb" export "$new" > "$tmp/new.csv" 2> "$tmp/err" &&
	python3 "$tmp/check.py" names "$tmp/new.csv" mprotect-thp-2M-toggle base-6.12 ns ns_per_op ns
ok $? "a CSV with # item: and # kernel_label: (bench/all's NB_ITEM, scripts/vm --label) names its rows"

slope=$(sed -n 's/^# sweep\.0\.slope: //p' "$new")
grep -q "^[^,]*,base-6.12,ns,mprotect-thp-2M-toggle,mprotect-thp-2M-toggle.csv,mprotect,kmod:spin,sweep.slope,fit,$slope,\$" "$tmp/new.csv" &&
	[[ $(grep -c ',sweep\.[a-z0-9_]*,fit,' "$tmp/new.csv") == 9 ]] &&
	grep -q '^# option\.layout: thp$' "$new" && grep -q '^# option\.samples: 4$' "$new"
ok $? "its sweep's fit keys are rows of the sweep's group (sweep.slope $slope); its options are keys"

mkdir -p "$tmp/rep"
grep -v '^# item:' "$new" > "$tmp/rep/mp.r2.csv"
cp "$tmp/rep/mp.r2.csv" "$tmp/rep/mp.r10.csv"
"$nb" export "$tmp/rep" > "$tmp/rep.csv" 2>&1 &&
	python3 "$tmp/check.py" names "$tmp/rep.csv" mp base-6.12 ns ns_per_op ns &&
	[[ $(cut -d, -f5 "$tmp/rep.csv" | sort -u | tr '\n' ' ') == "file mp.r10.csv mp.r2.csv " ]] &&
	[[ $(sed -n 2p "$tmp/rep.csv" | cut -d, -f5) == mp.r2.csv ]]
ok $? "repeats x.r2.csv, x.r10.csv: item x, told apart by file, read in version order"

"$nb" export --format json "$new" | python3 -m json.tool > /dev/null
ok $? "its JSON parses (python3 -m json.tool)"

# --- hostile values ---
mkdir -p "$tmp/host"
cp "$fix"/plot/qemu-6.12*/mprotect-sparse1g-64G-toggle.csv "$tmp/host/h.csv"
sed -i -e 's/"kmod:spin,ns=0"/"kmod:""q""uo\\te\\"",ns=0"/' -e '2i # kernel_label: a\\b\x01\x1b[31m\xff\xc3"' \
	"$tmp/host/h.csv"
"$nb" export --format json "$tmp/host" > "$tmp/host.json" 2> "$tmp/err" &&
	python3 -m json.tool "$tmp/host.json" > /dev/null &&
	python3 -c '
import json, sys
rows = json.load(open(sys.argv[1]))["rows"]
labels = {r["kernel_label"] for r in rows}
configs = {r["config"] for r in rows}
sys.exit(0 if any("\\" in l for l in labels) and any("\"" in c for c in configs) else 1)' "$tmp/host.json"
ok $? "quotes, backslashes, control characters and bad UTF-8 in values: the JSON parses and keeps them"

# --- bad input: exit 2 naming the file (and line), no --out file ---
# bad NAME DESCRIPTION PATTERN INPUT...: export --out must exit 2 with PATTERN on stderr, no file.
bad() {
	local name=$1 what=$2 pat=$3
	shift 3
	rm -f "$tmp/out.csv"
	"$nb" export --out "$tmp/out.csv" "$@" > "$tmp/$name.out" 2> "$tmp/$name.err"
	local rc=$?
	[[ $rc == 2 && ! -e $tmp/out.csv && ! -s $tmp/$name.out ]] && grep -q -- "$pat" "$tmp/$name.err"
	ok $? "$what: exit 2 naming it, no --out file (got $rc: $(head -c 200 "$tmp/$name.err" | tr '\n' ' '))"
}
mkdir -p "$tmp/bad"
src=$(ls "$fix"/plot/qemu-6.12*/mprotect-sparse1g-64G-toggle.csv)
head -c 3000 "$src" > "$tmp/bad/cut.csv"
bad cut "a CSV cut mid-line" "cut.csv:[0-9]" "$tmp/bad/cut.csv"
awk '/^sample,/ && !done { sub(/,[0-9.]+,/, ",12x,"); done = 1 } 1' "$src" > "$tmp/bad/word.csv"
bad word "a word where a number goes" "word.csv:[0-9]*: column .*'12x' is not a number" "$tmp/bad/word.csv"
grep -v '^median,' "$src" > "$tmp/bad/nomedian.csv"
bad nomedian "samples without a median row (a truncated file)" "nomedian.csv:[0-9]*: configuration" \
	"$tmp/bad/nomedian.csv"
echo "a,b,c" > "$tmp/bad/other.csv"
bad other "a CSV given that is not notibench's" "other.csv:1: not a notibench CSV" "$tmp/bad/other.csv"
sed '2i # clock_unit: parsecs' "$src" > "$tmp/bad/unit.csv"
bad unit "a clock_unit neither ns nor insn" "unit.csv: clock_unit 'parsecs'" "$tmp/bad/unit.csv"
mkdir -p "$tmp/nl"
cp "$src" "$tmp/nl/$(printf 'a\nb').csv"
bad newline "a run directory with a newline in a file name" "control character" "$tmp/nl"
bad good-then-bad "a good run then a cut file" "cut.csv:" "${runs[0]}" "$tmp/bad/cut.csv"

echo keep > "$tmp/out.keep"
"$nb" export --out "$tmp/out.keep" "$tmp/bad/cut.csv" 2> /dev/null
rc=$?
[[ $rc == 2 && $(cat "$tmp/out.keep") == keep && -z $(ls "$tmp" | grep 'out.keep.tmp') ]]
ok $? "a bad input leaves an existing --out file as it was, and no temporary file (got $rc)"

errs=0
for args in "" "--format xml $src" "--bogus $src" "--out" "--format"; do
	# shellcheck disable=SC2086 # the words are the arguments
	"$nb" export $args > /dev/null 2> "$tmp/usage.err"
	rc=$?
	[[ $rc == 2 && -s $tmp/usage.err ]] || { echo "# '$args': exit $rc"; errs=$((errs + 1)); }
done
ok $errs "bad usage (no input, --format xml, an unknown option, a missing value): exit 2 with a message"

# --- failed writes: exit 1 naming the path ---
"$nb" export --out "$tmp/no/such/dir/t.csv" "$src" 2> "$tmp/err"
rc=$?
[[ $rc == 1 ]] && grep -q "$tmp/no/such/dir/t.csv" "$tmp/err"
ok $? "--out in a missing directory: exit 1 naming the path (got $rc)"

if [[ -w /dev/full ]]; then
	"$nb" export "$src" > /dev/full 2> "$tmp/err"
	rc=$?
	[[ $rc == 1 ]] && grep -q "standard output" "$tmp/err"
	ok $? "standard output on a full device: exit 1 naming it (got $rc)"
else
	n=$((n + 1)); echo "ok $n - standard output on a full device # SKIP no writable /dev/full"
fi

mkdir -p "$tmp/ro" && chmod 555 "$tmp/ro"
if [[ ! -w $tmp/ro ]]; then
	"$nb" export --out "$tmp/ro/t.csv" "$src" 2> "$tmp/err"
	rc=$?
	[[ $rc == 1 && ! -e $tmp/ro/t.csv ]] && grep -q "$tmp/ro/t.csv" "$tmp/err"
	ok $? "--out in a read-only directory: exit 1 naming the path, no file (got $rc)"
else
	n=$((n + 1)); echo "ok $n - --out in a read-only directory # SKIP root writes anywhere"
fi
chmod 755 "$tmp/ro"

"$nb" export --out "$tmp/good.csv" "$src" 2> "$tmp/err" && cmp -s "$tmp/good.csv" <("$nb" export "$src")
ok $? "--out writes what standard output gets"

# --statistics written: the summary rows as the run wrote them, every one of them.
w=$root/results/example/qemu-6.1.0-56-amd64-20261122-044424/mprotect-thp-64M-toggle.csv
"$nb" export --statistics written "$w" > "$tmp/w.csv" 2> "$tmp/err" &&
	med=$(grep -m1 '^median,"kmod:spin,ns=0",' "$w" | cut -d, -f9) && [[ -n $med ]] &&
	grep -q ",\"kmod:spin,ns=0\",ns_per_op,median,$med,ns\$" "$tmp/w.csv" &&
	! grep -q ',n,[0-9]*,[a-z]*$' "$tmp/w.csv" &&
	"$nb" export --statistics bogus "$w" > /dev/null 2>&1; rc=$?
[[ $rc == 2 ]]
ok $? "--statistics written: the CSV's median row as written, no n; a bad value is exit 2 (got $rc)"

# The scripts' table: an old CSV's options from its command (mprotect's defaults
# filled in), a new one's from its option.<name> keys and its fit from sweep.N.
"$nb" export --format summary-tsv --run-id 7 "$w" > "$tmp/s.tsv" 2> "$tmp/err" &&
	awk -F'\t' '$1 != 7 || $18 != "thp" || $20 != "64M" || $21 != "toggle" || $22 != "1g" { bad = 1 }
		END { exit bad || NR < 2 }' "$tmp/s.tsv"
ok $? "summary-tsv of a CSV from before 2026-12: the run id, options from its command"
x=$(echo "$fix"/export/*/mprotect-thp-2M-toggle.csv)
slope=$(sed -n 's/^# sweep\.0\.slope: //p' "$x")
"$nb" export --format summary-tsv "$x" > "$tmp/n.tsv" 2> "$tmp/err" &&
	awk -F'\t' -v s="$slope" '$18 != "thp" || $19 != 2097152 || $7 != "kmod:spin" || $24 != sprintf("%.6g", s) { bad = 1 }
		END { exit bad || NR != 3 }' "$tmp/n.tsv"
ok $? "summary-tsv of a CSV that describes itself: option.<name> and sweep.0.slope ($slope)"

# --statistics rows: every sample and summary row with its index and line.
"$nb" export --statistics rows "$x" > "$tmp/rows.csv" 2> "$tmp/err" &&
	head -1 "$tmp/rows.csv" | grep -q ',statistic,value,unit,sample,line$' &&
	[[ $(grep -c ',ns_per_op,sample,' "$tmp/rows.csv") == "$(grep -c '^sample,' "$x")" ]] &&
	[[ $(grep -c ',ns_per_op,median,.*,,[0-9]*$' "$tmp/rows.csv") == "$(grep -c '^median,' "$x")" ]] &&
	r=$(grep -m1 ',"kmod:spin,ns=0",ns_per_op,sample,' "$tmp/rows.csv") &&
	[[ $r == *,ns,0,* ]] && l=${r##*,} && sed -n "${l}p" "$x" | grep -q '^sample,"kmod:spin,ns=0",' &&
	! grep -q ',fit,' "$tmp/rows.csv"
ok $? "--statistics rows: as many sample and median rows as the CSV, sample 0 at its line"

# An empty field is an empty value, not a row left out; an unknown kind is a
# statistic, data; JSON gives sample and line too.
awk -F, -v OFS=, '!d && /^sample,/ { $9 = ""; d = 1 } { print }' "$x" |
	sed 's/^mean,/ev$(il),/' > "$tmp/e.csv"
"$nb" export --statistics rows "$tmp/e.csv" > "$tmp/e.out" 2> "$tmp/err" &&
	grep -q ',ns_per_op,sample,,ns,0,[0-9]*$' "$tmp/e.out" &&
	grep -q ',ns_per_op,"\?ev\$(il)"\?,' "$tmp/e.out" &&
	"$nb" export --format json --statistics rows "$tmp/e.csv" > "$tmp/e.json" &&
	grep -q '"value":null,"unit":"ns","sample":0,"line":[0-9]*}' "$tmp/e.json"
ok $? "--statistics rows: an empty field, a hostile kind, JSON's sample and line"

# --format meta: file, key and value of every metadata line, control characters as ?.
{ head -1 "$x"; printf '# note: a\tb\033c $(touch %s/pwn)\n' "$tmp"; tail -n +2 "$x"; } > "$tmp/m.csv"
"$nb" export --format meta "$tmp/m.csv" > "$tmp/m.tab" 2> "$tmp/err" &&
	grep -qx "m.csv	note	a?b?c \$(touch $tmp/pwn)" "$tmp/m.tab" &&
	grep -qx "m.csv	benchmark	mprotect" "$tmp/m.tab" &&
	awk -F'\t' 'NF != 3 { bad = 1 } END { exit bad || NR != '"$(grep -c '^#' "$x")"' + 1 }' "$tmp/m.tab" &&
	[[ ! -e $tmp/pwn ]]
ok $? "--format meta: every metadata line, tab and escape shown as ?"

# --format tsv: the CSV table tab-separated, nothing quoted (labels hold commas),
# a hostile kind's tab and escape as ?.
printf 'sample\tx\033y' > "$tmp/kind"
awk -v k="$(cat "$tmp/kind")" '/^mean,/ { sub(/^mean/, "\"" k "\"") } { print }' "$x" > "$tmp/t.csv"
"$nb" export --statistics rows "$x" > "$tmp/t1.csv" 2> "$tmp/err" &&
	"$nb" export --format tsv --statistics rows "$x" > "$tmp/t1.tsv" 2>> "$tmp/err" &&
	cmp -s <(grep -v '"' "$tmp/t1.csv") <(grep -v '	[^	]*,' "$tmp/t1.tsv" | tr '\t' ,) &&
	[[ $(wc -l < "$tmp/t1.csv") == "$(wc -l < "$tmp/t1.tsv")" ]] &&
	grep -q '	kmod:[^	]*,[^	]*	' "$tmp/t1.tsv" &&
	awk -F'\t' 'NF != 13 { bad = 1 } END { exit bad || !NR }' "$tmp/t1.tsv" &&
	"$nb" export --format tsv --statistics rows "$tmp/t.csv" > "$tmp/t2.tsv" 2>> "$tmp/err" &&
	grep -q '	ns_per_op	sample?x?y	' "$tmp/t2.tsv" &&
	awk -F'\t' 'NF != 13 { bad = 1 } END { exit bad || !NR }' "$tmp/t2.tsv"
ok $? "--format tsv: the CSV's rows tab-separated, labels unquoted, a tab and escape as ?"

# A line before the header that is not `# key: value`: refused with its line.
rcs=""
for bad in '# no colon' '#key: value' '# : empty key' '# key:value'; do
	{ head -1 "$x"; echo "$bad"; tail -n +2 "$x"; } > "$tmp/b.csv"
	"$nb" export --format meta "$tmp/b.csv" > /dev/null 2> "$tmp/err"; rc=$?
	grep -q 'b.csv:2: ' "$tmp/err" || rc="$rc(no line)"
	rcs+="$rc "
done
[[ $rcs == "2 2 2 2 " ]]
ok $? "--format meta refuses a metadata line that is not '# key: value' (got $rcs)"

[[ $n == 34 ]] || echo "# ran $n tests, planned 34"
exit $((failed > 0))
