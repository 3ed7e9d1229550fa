#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# TAP: results directories are data. Two runs built from tests/fixtures/plot
# with hostile file names (quotes, ;, $(), backquotes, =, a leading -) and
# hostile metadata (kernel_release, kernel_label, host, benchmark, layout,
# configuration labels, histogram buckets, the sweep line, clock_unit) are
# read by scripts/plot, scripts/summary and scripts/compare; bench/all
# --resume reads a run.meta with hostile options. Every payload creates a canary file ($HOME.<n>) if it
# reaches a shell, awk or gnuplot as code (before this test, scripts/plot ran
# the issue's file name as gnuplot code and bench/all --resume eval'ed
# options.extra). The tools either handle the data as data (exit 0 or 1, the
# names shown as they are) or refuse it with exit 2 and a message (a newline
# in a file name; options.extra that is not bench/all's own quoting).
# Backslashes, printf formats and gnuplot macros in names and labels are shown
# as they are (awk -v would have turned \n into a newline); the kernel
# directories scripts/exact-stability --report reads are data too (spaces,
# globs, $() and a report directory that looks like an awk assignment).
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
fix=$root/tests/fixtures/plot
tmp=$(mktemp -d)
trap '[[ -n ${KEEP:-} ]] || rm -rf "$tmp"' EXIT
# The payloads write $HOME.<n>: a HOME of our own, and a working directory.
export HOME=$tmp/home
mkdir -p "$tmp/cwd"
cd "$tmp/cwd" || exit 1

n=0 failed=0
# shellcheck source=tests/lib/tap.sh
. "$root/tests/lib/tap.sh"
# canaries: the canary files that exist (none, when nothing ran).
canaries() { compgen -G "$HOME.*" | tr '\n' ' '; find "$tmp/cwd" -mindepth 1 | tr '\n' ' '; }
# none_ran DESC: one result, failing when any canary exists (then removed).
none_ran() {
	local c
	c=$(canaries)
	[[ -z ${c// /} ]]
	ok $? "$1: nothing ran${c:+ (found: $c)}"
	rm -rf "$HOME".* "$tmp/cwd"/* "$tmp/cwd"/.[!.]* 2>/dev/null
}

echo "TAP version 13"
echo "1..35"

# --- two hostile runs ---
# shellcheck disable=SC2016 # expanded later, by whatever runs the payload
p='${HOME}'
src61=$(find "$fix" -maxdepth 1 -name 'qemu-6.1.*')
srcvm=$(find "$fix" -maxdepth 1 -name 'vm-*')
# Item ids (file names): the issue's, gnuplot and shell payloads, = and a leading -.
names=(
	"mprotect-x\"; system \"touch $p.1\"; print \""
	"mprotect-y'; system('touch $p.2'); '"
	"mprotect-\`touch $p.3\`"
	"mprotect-\$(touch $p.4)"
	"mprotect-z;touch $p.5;#"
	"sumf=$p.6"
	"-v"
	"--version"
)
for run in a b; do
	d=$tmp/runs/$run
	mkdir -p "$d"
	# run.meta: hostile labels and host (run b: a kernel_label, which names it instead).
	sed -e "s|^kernel_release: .*|kernel_release: 6.1\"; system \"touch $p.10\"; print \" \`touch $p.11\` \$(touch $p.12) $run|" \
		-e "s|^host: .*|host: h'; system('touch $p.13'); '|" "$src61/run.meta" > "$d/run.meta"
	[[ $run == b ]] && echo "kernel_label: 6.12+\"\`touch $p.22\`\"; system(\"touch $p.23\")" >> "$d/run.meta"
	i=0
	for f in "$src61"/*.csv; do
		i=$((i + 1))
		# CSV metadata: release, hostname, layout, the sweep's slope; a histogram bucket.
		sed -e "s|^# kernel_release: .*|# kernel_release: 6.1\`touch $p.14\`$run|" \
			-e "s|^# hostname: .*|# hostname: \$(touch $p.15)|" \
			-e "s|--layout \([a-z0-9]*\)|--layout \1\"\`touch\${IFS}$p.16\`\"|" \
			-e "s|^\(# sweep: .*\)slope [0-9.]*|\1slope system(\"touch\${IFS}$p.17\")|" \
			-e "s|,2M:\([0-9]*\)|,2M\`touch\${IFS}$p.18\`:\1|g" "$f" > "$d/$(basename "$f")"
	done
	for k in "${!names[@]}"; do
		cp "$src61/mprotect-thp-2M-toggle.csv" "$d/${names[k]}.csv"
	done
	# A benchmark and configuration labels with payloads (the host run's none and kvm).
	sed -e "s|^# benchmark: .*|# benchmark: mprotect'\`touch $p.19\`|" \
		-e "s|^\(# config.0: \).*|\1none\`touch $p.20\`|" \
		-e "s|^\([a-z0-9_]*\),none,|\1,none\`touch $p.20\`,|" \
		-e "s|^\(# config.1: \).*|\1kvm\"\"; system \"\"touch $p.21\"\"|" \
		-e "s|^\([a-z0-9_]*\),kvm,|\1,\"kvm\"\"; system \"\"touch $p.21\"\"\",|" \
		"$srcvm/mprotect-thp-2M-toggle.csv" > "$d/host-thp.csv"
done
[[ $(find "$tmp/runs/a" -name '*.csv' | wc -l) == $((3 + ${#names[@]} + 1)) && -f $tmp/runs/a/--version.csv ]] &&
	grep -q '^median,"kvm""; system' "$tmp/runs/a/host-thp.csv" && grep -q '2M`touch' "$tmp/runs/a/mprotect-thp-2M-toggle.csv"
ok $? "fixture: two runs with ${#names[@]} hostile item names, hostile labels, layouts, buckets and configurations"
none_ran "building the fixture"

# --- scripts/plot ---
if command -v gnuplot >/dev/null; then
	"$root/scripts/plot" "$tmp/runs" --out "$tmp/plots" > "$tmp/plot.out" 2>&1
	rc=$?
	ok "$rc" "scripts/plot on the hostile runs exits 0"
	((rc == 0)) || diag "$tmp/plot.out"
	none_ran "scripts/plot"
	# The names are shown, reduced to harmless characters.
	grep -qF '>x_;_system__touch__{HOME}.1_;_print__<' "$tmp/plots/bars-mprotect.svg" 2>/dev/null &&
		grep -qF '6.12+__touch _{HOME}.22__; system(_touch _{HOME}.23_)  kmod:spin,ns=0<' "$tmp/plots/bars-mprotect.svg" &&
		grep -qF '>6.1_; system _touch _{HOME}.10_; print _ _touch _{HOME}.11_ _(touch _{HOME}.12) a  kmod:spin,ns=0<' \
			"$tmp/plots/bars-mprotect.svg" &&
		grep -qF ' a  kvm_; system _touch _{HOME}.21_<' "$tmp/plots/bars-mprotect__touch___HOME__19_.svg" 2>/dev/null
	ok $? "plot: the hostile item, run label and configuration are drawn as text, reduced to harmless characters (the benchmark's plot file named with [A-Za-z0-9_-] only)"
	[[ -z $(find "$tmp" -path "$tmp/plots" -prune -o -name '*.png' -print) ]]
	ok $? "plot: nothing written outside --out"
else
	for i in 1 2 3 4; do skip "scripts/plot on hostile runs ($i)" "gnuplot is missing"; done
fi

# --- scripts/summary ---
"$root/scripts/summary" "$tmp/runs" > "$tmp/sum.out" 2>&1
rc=$?
ok "$rc" "scripts/summary on the hostile runs exits 0"
none_ran "scripts/summary"
grep -qF "${names[0]}" "$tmp/sum.out" && grep -qF -- "--version" "$tmp/sum.out" &&
	grep -qF "h'; system('touch $p.13'); '/6.1\"; system" "$tmp/sum.out"
ok $? "summary: the item names and the run label appear as they are"

# --- scripts/compare ---
"$root/scripts/compare" "$tmp/runs/a" "$tmp/runs/b" --csv "$tmp/cmp.csv" > "$tmp/cmp.out" 2> "$tmp/cmp.err"
rc=$?
((rc == 0 || rc == 1))
ok $? "scripts/compare of the two hostile runs exits 0 or 1 (got $rc)"
((rc <= 1)) || diag "$tmp/cmp.err"
none_ran "scripts/compare"
grep -qF "${names[1]}" "$tmp/cmp.out" && grep -qF "6.1\`touch $p.14\`b" "$tmp/cmp.out" &&
	grep -qF "\"mprotect-x\"\"; system \"\"touch $p.1\"\"; print \"\"\"" "$tmp/cmp.csv"
ok $? "compare: names and values appear as they are, quoted in its CSV"

# --- a clock_unit that is neither ns nor insn: refused ---
mkdir -p "$tmp/cu"
sed "/^# kernel_release: /a # clock_unit: insn\"; system \"touch $p.40\"; \`touch $p.41\`" \
	"$src61/mprotect-thp-2M-toggle.csv" > "$tmp/cu/mprotect-thp-2M-toggle.csv"
for tool in plot summary compare; do
	args=("$tmp/cu")
	[[ $tool == compare ]] && args+=("$tmp/runs/a")
	"$root/scripts/$tool" "${args[@]}" > "$tmp/cu.out" 2> "$tmp/cu.err"
	rc=$?
	[[ $rc == 2 ]] && grep -q "clock_unit 'insn\"; system .* is neither ns nor insn" "$tmp/cu.out" "$tmp/cu.err"
	ok $? "$tool: a hostile clock_unit is refused: exit 2 naming it (got $rc)"
done
none_ran "tools given a hostile clock_unit"

# --- a relative CSV operand that looks like an awk assignment ---
cp "$src61/mprotect-thp-2M-toggle.csv" "$tmp/cwd/histf=canary.csv"
"$root/scripts/summary" "histf=canary.csv" > "$tmp/eq.out" 2>&1
rc=$?
[[ $rc == 0 && ! -e $tmp/cwd/canary.csv ]] && grep -q '^histf=canary ' "$tmp/eq.out"
ok $? "summary histf=canary.csv: read as a file, not an awk assignment (exit $rc)"
if command -v gnuplot >/dev/null; then
	"$root/scripts/plot" "histf=canary.csv" --out "$tmp/eqp" > "$tmp/eqp.out" 2>&1
	rc=$?
	[[ $rc == 0 && ! -e $tmp/cwd/canary.csv ]]
	ok $? "plot histf=canary.csv: read as a file (exit $rc)"
else
	skip "plot histf=canary.csv" "gnuplot is missing"
fi
rm -f "$tmp/cwd/histf=canary.csv"
none_ran "tools given a name=value operand"

# --- a newline in a file name: refused ---
mkdir -p "$tmp/nl"
cp "$src61/run.meta" "$tmp/nl/"
cp "$src61/mprotect-thp-2M-toggle.csv" "$tmp/nl/x"$'\n'"sumf=nl"$'\n'".csv"
for tool in plot summary compare; do
	args=("$tmp/nl")
	[[ $tool == compare ]] && args+=("$tmp/runs/a")
	"$root/scripts/$tool" "${args[@]}" > "$tmp/nl.out" 2> "$tmp/nl.err"
	rc=$?
	[[ $rc == 2 ]] && grep -q 'control character' "$tmp/nl.err" && [[ ! -e $tmp/cwd/nl ]]
	ok $? "$tool: a file name with a newline is refused: exit 2 with a message (got $rc: $(head -n 1 "$tmp/nl.err"))"
done

# --- backslashes, printf formats, gnuplot macros ---
esc=$tmp/esc/run
mkdir -p "$esc"
# shellcheck disable=SC2016 # literal: these must stay text
elabel='6.1\n\\"%s%n%d@x'"'"'`touch '"$p"'.50`\t'
# shellcheck disable=SC2016
ename='mprotect-b\n\\t%s%n@y$(touch '"$p"'.51)'
grep -v '^kernel_label: ' "$src61/run.meta" > "$esc/run.meta"
printf 'kernel_label: %s\n' "$elabel" >> "$esc/run.meta"
cp "$src61/mprotect-thp-2M-toggle.csv" "$esc/$ename.csv"
"$root/scripts/summary" "$esc" > "$tmp/esc.out" 2>&1
rc=$?
[[ $rc == 0 ]] && grep -qF -- "$elabel" "$tmp/esc.out" && grep -qF -- "$ename" "$tmp/esc.out"
ok $? "summary: a label and an item with backslashes, %s%n and @ shown as they are (exit $rc)"
((rc == 0)) || diag "$tmp/esc.out"
"$root/scripts/summary" "$esc" --only 'b\\n' > "$tmp/esc2.out" 2>&1
rc=$?
[[ $rc == 0 ]] && grep -qF -- "$ename" "$tmp/esc2.out"
ok $? "summary --only 'b\\\\n': the pattern's backslashes reach the regex as given (exit $rc)"
if command -v gnuplot >/dev/null; then
	"$root/scripts/plot" "$esc" --out "$tmp/escp" > "$tmp/escp.out" 2>&1
	rc=$?
	[[ $rc == 0 && -s $tmp/escp/bars-mprotect.svg ]] && grep -qF '6.1_n___%s%n%d_x__touch _{HOME}.50__t' "$tmp/escp/bars-mprotect.svg"
	ok $? "plot: the same label drawn as text, reduced to harmless characters (exit $rc)"
else
	skip "plot on backslashes, formats and macros" "gnuplot is missing"
fi
none_ran "tools given backslashes, formats and macros"

# --- scripts/exact-stability --report: kernel directories are data ---
es=$tmp/es
kn="6.12 \$(touch $p.52) \`touch $p.53\` *"
exact=$(find "$root/tests/fixtures/exact" -maxdepth 1 -name 'qemu-6.1.*' | head -n 1)
for k in 6.1 "$kn"; do
	for s in 1 2; do
		mkdir -p "$es/sumf=x/$k/seed-$s"
		cp -r "$exact" "$es/sumf=x/$k/seed-$s/"
	done
done
(cd "$es" && "$root/scripts/exact-stability" --report "sumf=x") > "$tmp/es.out" 2>&1
rc=$?
[[ $rc == 0 ]] && grep -qxF "== $kn: 2 boots (seeds 1,2)" "$tmp/es.out" && grep -qxF "== 6.1: 2 boots (seeds 1,2)" "$tmp/es.out" &&
	[[ $(grep -c '^mprotect-' "$tmp/es.out") -ge 4 ]] && [[ ! -e $es/x ]]
ok $? "exact-stability --report sumf=x: both kernels, the one named '$kn' as it is, each with its items (exit $rc)"
((rc == 0)) || diag "$tmp/es.out"
mkdir -p "$es/nl/6.1"$'\n'"x/seed-1"
cp -r "$exact" "$es/nl/6.1"$'\n'"x/seed-1/"
"$root/scripts/exact-stability" --report "$es/nl" > "$tmp/es2.out" 2>&1
rc=$?
[[ $rc == 2 ]] && grep -q 'control character' "$tmp/es2.out"
ok $? "exact-stability --report: a kernel directory with a newline is refused, exit 2 (got $rc)"
none_ran "scripts/exact-stability --report"

# --- bench/all --resume: run.meta's options are data ---
if [[ -x $root/build/notibench ]]; then
	"$root/bench/all" --quick --backends none --only mprotect-dense4k-4K-toggle --out "$tmp/all" \
		-- --samples 3 > "$tmp/all.out" 2>&1
	run=$(find "$tmp/all" -mindepth 1 -maxdepth 1 -type d | head -n 1)
	rm -f "$run"/*.csv
	# resume_with KEY VALUE: run.meta's KEY set to VALUE, then --resume.
	resume_with() {
		local v=$2
		NB_V=$v awk -v k="$1: " 'BEGIN { v = ENVIRON["NB_V"] } index($0, k) == 1 { $0 = k v } { print }' \
			"$run/run.meta" > "$run/run.meta.new" && mv "$run/run.meta.new" "$run/run.meta"
		"$root/bench/all" --resume "$run" > "$tmp/res.out" 2>&1
		rc=$?
		rm -f "$run"/*.csv
	}
	resume_with options.extra "--samples 3; touch $HOME.30"
	[[ $rc == 2 ]] && grep -q 'options.extra .* is not a list of arguments' "$tmp/res.out"
	ok $? "--resume, options.extra with ; touch: exit 2 naming options.extra (got $rc)"
	resume_with options.extra "--samples 3 \$(touch $HOME.31) \`touch $HOME.32\`"
	[[ $rc == 2 ]]
	ok $? "--resume, options.extra with \$() and backquotes: exit 2 (got $rc)"
	resume_with options.extra "--samples '\$(touch $HOME.33)'\\''\`touch $HOME.34\`'"
	[[ $rc == 1 ]] && grep -qF -- "--samples '\$(touch $HOME.33)'\`touch $HOME.34\`'" "$run/run.log"
	ok $? "--resume, a quoted \$() and backquotes: one literal argument for notibench, which rejects it (item fails, exit $rc)"
	resume_with options.extra "--samples 3"
	resume_with options.only "\$(touch $HOME.35) \`touch $HOME.36\` ;touch"
	[[ $rc == 2 ]] && grep -q 'no item' "$tmp/res.out"
	ok $? "--resume, options.only with payloads: patterns only, no item matches, exit 2 (got $rc)"
	resume_with options.only "mprotect-dense4k-4K-toggle"
	resume_with kernel_release "\$(touch $HOME.37)\`touch $HOME.38\`"
	[[ $rc == 1 ]] && grep -qF "made on kernel \$(touch $HOME.37)" "$tmp/res.out"
	ok $? "--resume, a hostile kernel_release: compared as text, not this kernel: exit 1 (got $rc)"
	none_ran "bench/all --resume"
else
	for i in 1 2 3 4 5 6; do skip "bench/all --resume with hostile run.meta ($i)" "build/notibench is missing (make)"; done
fi

exit $((failed > 0))
