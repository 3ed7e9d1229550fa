#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# TAP: scripts/ab. Bad usage exits 2 before anything is built or run; a
# patch that does not apply (tests/fixtures/kernel/bad-hunk.patch) stops it
# in seconds with exit 2 and the rejected hunk, nothing run (needs the base
# 6.12 in scripts/kernel's cache: the patch is tried on a copy of it). When
# the base 6.12 is cached (tests/run runs this after tests/kernel_test.sh,
# which builds it):
# - an A/A run of the example patch, a comment, on one item in exact mode
#   without the KVM guest (the example variant is built from the base's
#   objects when missing, about 2 minutes, then cached): every figure of the
#   report must be equal (0 % change, diff 0), and --resume on the same
#   directory boots nothing again. About 3 minutes;
# - an A/B of the shipped patches, all three in one variant "all3"
#   (patches/6.12: revert-pud-notifier, upgrade-notify, kvm-filter-upgrade),
#   on two items of the A/B matrix (--quick), in exact mode with the KVM
#   guest: exit 0 means every self-check passed in both kernels, i.e. the
#   guest predicted the patched counts from the build's traits; the counts
#   must differ as patches/README.md says (mprotect over sparse 64 GiB: 64
#   ranges of 1 GiB per call against one of 64 GiB; one 4 KiB
#   PROTECTION_UPGRADE pair and one mirror entry zapped per write-protect
#   reuse fault against none; KVM zaps nothing for them, the filter). The
#   variant is built from the base's objects when missing (upgrade-notify
#   changes include/linux/mmu_notifier.h: about 700 files, tens of minutes
#   on a loaded 2-core machine: 966 s at load 6; once, then cached); the
#   run itself, four exact boots, 2.5-3.5 minutes.
# With every kernel cached, 5-7 minutes in all (at load 4).
# NB_KERNELS=none or NB_SOURCE_KERNELS=none skips what needs kernels.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
AB=$root/scripts/ab
fix=$root/tests/fixtures/kernel
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0
# shellcheck source=tests/lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
skips() { local i; for ((i = 0; i < $1; i++)); do skip "$2"; done; }
show() { sed 's/^/# /' "$1" | tail -n "${2:-15}"; }

echo "TAP version 13"
echo "1..18"

# --- usage ---
"$AB" --help > "$tmp/help" 2>&1
rc=$?
ok "$([[ $rc == 0 ]] && grep -q -- '--variant NAME=FILE' "$tmp/help"; echo $?)" "--help prints the usage (exit $rc)"

p=$fix/0001-example-comment.patch
mkdir -p "$tmp/full" && touch "$tmp/full/x"
mkdir -p "$tmp/noab"
bad=""
while IFS= read -r args; do
	# shellcheck disable=SC2086 # args is a word list
	"$AB" $args > /dev/null 2> "$tmp/err"
	rc=$?
	((rc == 2)) && [[ -s $tmp/err ]] || bad+=" [$args: exit $rc]"
done <<-EOF
	--out $tmp/u1
	--variant x --out $tmp/u2
	--variant base=$p --out $tmp/u3
	--patch $tmp/nosuch.patch --out $tmp/u4
	--base 5.10 --patch $p --out $tmp/u5
	--patch $p --variant patched=$p --out $tmp/u6
	--variant a=$p, --out $tmp/u7
	--patch $p --timeout 0 --out $tmp/u8
	--patch $p --bogus --out $tmp/u9
	--arch riscv64 --patch $p --out $tmp/u11
	--patch $p --arch
	--patch $p --out $tmp/full
	--patch $p --resume --out $tmp/noab
	--patch $p --out
EOF
ok "$([[ -z $bad ]]; echo $?)" "bad usage exits 2 with a message${bad:+:$bad}"
"$AB" --patch "$p" --only 'a b' --out "$tmp/u10" > /dev/null 2> "$tmp/err"
rc=$?
ok "$( ((rc == 2)) && grep -q 'without blanks' "$tmp/err"; echo $?)" "an --only pattern with a blank is refused (exit $rc)"
left=$(find "$tmp" -mindepth 1 -maxdepth 1 -name 'u*' | wc -l)
ok "$([[ $left == 0 ]]; echo $?)" "bad usage creates no output directory ($left made)"

# --- kernels: only what scripts/kernel has cached ---
if [[ ${NB_KERNELS:-} == none || ${NB_SOURCE_KERNELS:-} == none ]]; then
	skips 14 "NB_KERNELS=none or NB_SOURCE_KERNELS=none: no kernels"
	exit $((failed > 0))
fi
if ! "$root/scripts/kernel" --source 6.12 --no-build --print-dir > /dev/null 2>&1; then
	skips 14 "6.12 is not in scripts/kernel's cache (tests/kernel_test.sh builds it)"
	exit $((failed > 0))
fi

# A patch that does not apply: exit 2 in seconds, the hunk shown, nothing run.
t0=$SECONDS
"$AB" --patch "$fix/bad-hunk.patch" --out "$tmp/bad" > "$tmp/out" 2> "$tmp/err"
rc=$? secs=$((SECONDS - t0))
runs=$(find "$tmp/bad/runs" -mindepth 1 2>/dev/null | wc -l)
if ((rc == 2)) && grep -q 'does not apply' "$tmp/err" && grep -q 'No Such Line' "$tmp/err" &&
	grep -q 'nothing was run' "$tmp/err" && ((runs == 0 && secs < 300)); then
	ok 0 "a patch that does not apply: exit 2 in $secs s, the hunk shown, nothing run"
else
	ok 1 "a patch that does not apply: exit 2 (got $rc) in $secs s, the hunk shown, nothing run ($runs in runs/)"
	show "$tmp/err"
fi

# The example variant's part: a guest that times out, then the A/A.
aa_part() {
	# A guest that does not finish (here: --timeout 5, no boot is that fast):
	# exit 1 with the kernel's label and the tail of its console, nothing kept.
	"$AB" --no-build --no-kvm --patch "$p" --full --only 'mprotect-thp-2M-toggle' --timeout 5 \
		--out "$tmp/to" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	kept=$(find "$tmp/to/runs" -mindepth 1 -maxdepth 1 | wc -l)
	ok "$( ((rc == 1 && kept == 0)) && grep -q 'error: kernel 6.12 (6.12) did not complete' "$tmp/err" &&
		grep -q 'last console lines' "$tmp/err" && [[ ! -f $tmp/to/report.md ]]; echo $?)" \
		"a guest that does not finish: exit 1 (got $rc), its label and console's tail, nothing kept ($kept)"
	((rc == 1)) || show "$tmp/err"

	# --- A/A: the example patch is a comment ---
	# Every count is equal. The costs differ by what two kernels' boots differ
	# by, like two seeds of one kernel (README, "Exact boots"); most likely each
	# build's version string, with its build time, goes into the boot's random
	# pool. So a
	# cost row must be within compare's tolerance (0.1 %) and not flagged.
	aa=$tmp/aa
	args=(--no-build --no-kvm --patch "$p" --full --only 'mprotect-thp-2M-toggle' --out "$aa")
	t0=$SECONDS
	"$AB" "${args[@]}" > "$tmp/out" 2> "$tmp/err"
	rc=$? secs=$((SECONDS - t0))
	r=$aa/report.md
	ok "$( ((rc == 0)) && [[ -f $r ]]; echo $?)" "A/A run: exit $rc in $secs s, report.md written"
	((rc == 0)) || show "$tmp/err" 30
	# The table's rows: counts +0.000 % and diff +0; costs, and the sweep's
	# slope fitted from them (to 10 digits: the CSV's sweep.N.slope), within
	# 0.1 % and not flagged (a trailing *); insn and never ns.
	awk -F' [|] ' '
		{ sub(/ [|]$/, "") }
		/^\| cost insn\/op / { cost++ }
		/^\| / && NF >= 8 && $3 ~ /^[0-9.e+-]+$/ {
			rows++
			if ($1 ~ /^\| (cost |sweep slope )/) {
				c = $5 + 0; if (c < 0) c = -c
				if ($5 !~ /^[+-][0-9.]+%$/ || c > 0.1 || $0 ~ /[*]/) bad = bad " [" $0 "]"
			} else if ($5 != "+0.000%" || $8 != "+0")
				bad = bad " [" $0 "]"
		}
		/ns\/op/ { bad = bad " [ns: " $0 "]" }
		END { if (!rows || cost < 2 || bad != "") { print rows + 0, cost + 0, bad; exit 1 } }' \
		"$r" > "$tmp/rows" 2>&1
	ok $? "A/A report: every count equal, every cost within 0.1 % and not flagged, in insn $(cat "$tmp/rows")"
	grep -q '6.12+example-comment' "$r" && grep -q 'a comment (notibench.s example patch)' "$r" &&
		grep -q 'scripts/vm --kdir' "$r" && grep -q 'protection_vma calls/op' "$r"
	ok $? "A/A report: the variant's label and patch subject, the commands, the notifier counts"
	[[ $rc == 0 ]] || show "$r" 40

	cp "$r" "$tmp/report1.md" 2>/dev/null
	t0=$SECONDS
	"$AB" "${args[@]}" --resume > "$tmp/out" 2> "$tmp/err"
	rc=$? secs=$((SECONDS - t0))
	ok "$( ((rc == 0)) && grep -q 'not booted again' "$tmp/err" && ! grep -q 'booting' "$tmp/err" &&
		cmp -s <(sed -n '/^## Results/,$p' "$tmp/report1.md") <(sed -n '/^## Results/,$p' "$r") &&
		grep -q 'from an earlier invocation' "$r"; echo $?)" \
		"--resume: exit $rc in $secs s, no kernel booted again, the same tables"

	# An item whose self-check failed in a run: listed with its message, not compared, exit 3.
	f=$(find "$aa/runs/6.12+example-comment" -name mprotect-thp-2M-toggle.csv | head -n 1)
	if [[ -n $f ]]; then
		sed -i 's/^# check: passed$/# check: FAILED/; /^# check: FAILED$/a # check_first_failure: sample 0: 3 PROTECTION_VMA pairs against 2 predicted' "$f"
	fi
	"$AB" "${args[@]}" --resume > "$tmp/out" 2> "$tmp/err"
	rc=$?
	sed -n '/^## Results/,$p' "$r" > "$tmp/results"
	ok "$( ((rc == 3)) && grep -q '^- \*\*failed\*\* in patched (6.12+example-comment): .*3 PROTECTION_VMA pairs against 2' "$tmp/results" &&
		! grep -q '^| cost' "$tmp/results"; echo $?)" \
		"a failed self-check: exit 3 (got $rc), the item listed as failed with its message, no table"
}

# variant LABEL PATCH...: the variant's kernel from scripts/kernel's cache,
# or built from the base's objects when missing (then cached for the next
# run), so that a fresh machine runs the A/B below too; one result. Fails
# (status 1) when it could not be built.
variant() {
	local label=$1 pargs=() f rc t0=$SECONDS
	shift
	for f; do pargs+=(--patch "$f"); done
	if "$root/scripts/kernel" --source 6.12 "${pargs[@]}" --no-build --print-dir > /dev/null 2>&1; then
		ok 0 "$label found in scripts/kernel's cache"
		return 0
	fi
	"$root/scripts/kernel" --source 6.12 "${pargs[@]}" --print-dir > /dev/null 2> "$tmp/err"
	rc=$?
	ok "$rc" "$label built from the base's objects: exit $rc in $((SECONDS - t0)) s"
	((rc == 0)) || show "$tmp/err"
	return $((rc != 0))
}

# The example variant (a comment in mm/mprotect.c, a few files compiled:
# about 2 minutes).
if ! variant 6.12+example-comment "$p"; then
	skips 6 "6.12+example-comment could not be built (above)"
else
	aa_part
fi

# --- A/B: the shipped patches, all three in one variant, with KVM ---
# What patches/README.md counted, now predicted by the guest's self-checks
# from the build's traits and compared by scripts/ab against the base: one
# boot of each kernel with the module, one with KVM (151-205 s at load 4).
ps=("$root/patches/6.12/revert-pud-notifier.patch" "$root/patches/6.12/upgrade-notify.patch"
	"$root/patches/6.12/kvm-filter-upgrade.patch")
all3=6.12+revert-pud-notifier+upgrade-notify+kvm-filter-upgrade
traits='kvm_upgrade_filter=yes mprotect_notify=pmd upgrade_notify=yes'
# med GROUP METRIC ITEM CONFIG RUN: the median scripts/compare gave (run 1 the
# base, 2 all3) for OUT/compare/GROUP-METRIC.csv, as OUT/compare/ab.tsv lists
# it (ab-collect.awk's "R grp item config metric run n median ..." lines, read
# from compare's --tsv twin of that CSV); empty when it has none.
med() {
	awk -F'\t' -v g="$1" -v m="$2" -v it="$3" -v cf="$4" -v run="$5" '
		$1 == "R" && $2 == g && $3 == it && $4 == cf && $5 == m && $6 == run { print $8; exit }' \
		"$ab/compare/ab.tsv" 2>/dev/null
}
# expect GROUP METRIC ITEM CONFIG BASE ALL3: both medians as predicted (within
# the 10 significant digits compare prints: 6.871947674e+10 for 64 GiB); adds
# " METRIC=base/all3" to got, with a "!" and what was wanted when not (bad=1).
expect() {
	local b a
	b=$(med "$1" "$2" "$3" "$4" 1) a=$(med "$1" "$2" "$3" "$4" 2)
	if awk -v b="$b" -v a="$a" -v eb="$5" -v ea="$6" '
		function near(x, e,    d) { d = x - e; if (d < 0) d = -d; return x != "" && d <= 1e-9 * (e < 0 ? -e : e) }
		BEGIN { exit !(near(b, eb) && near(a, ea)) }'; then
		got+=" $2=$b/$a"
	else
		got+=" !$2=${b:-none}/${a:-none} (want $5/$6)"
		bad=1
	fi
}
ab_part() {
	local ab=$tmp/ab3 rc secs t0 r got bad it nrun fa fb listed
	t0=$SECONDS
	"$AB" --no-build --variant "all3=$(IFS=,; echo "${ps[*]}")" --quick \
		--only 'ab-mprotect-sparse1g-64G' --only 'ab-upgrade-wp-reuse-64M' \
		--out "$ab" > "$tmp/out" 2> "$tmp/err"
	rc=$? secs=$((SECONDS - t0))
	r=$ab/report.md
	# Exit 0: both items ran and passed their self-checks in all four runs.
	nrun=$(grep -l '^status: complete' "$ab"/runs/*/*/run.meta 2>/dev/null | wc -l)
	ok "$( ((rc == 0 && nrun == 4)) && [[ -f $r ]] && ! grep -q '\*\*failed\*\*\|^Not run' "$r"; echo $?)" \
		"A/B of 6.12 against $all3 (--quick, 2 items, with KVM): exit $rc in $secs s, every self-check passed in $nrun of 4 runs"
	if ((rc)); then
		show "$tmp/err" 40
		[[ -f $r ]] && sed -n '/^## Results/,$p' "$r" | grep -A2 'failed\|^Not run' | sed 's/^/# /' | head -n 40
	fi
	# The guest predicted from the traits: all3's CSVs carry them, the base's
	# say none, and the report lists the build's .notibench-traits.
	fa=$(grep -lx "# kernel_traits: $traits" "$ab/runs/$all3"/*/*.csv "$ab/runs/$all3-kvm"/*/*.csv 2>/dev/null | wc -l)
	fb=$(grep -lx '# kernel_traits: none' "$ab/runs/6.12"/*/*.csv "$ab/runs/6.12-kvm"/*/*.csv 2>/dev/null | wc -l)
	listed=$(awk '/^Traits of all3 / { on = 1; next } on && /^```$/ { if (++f == 2) exit; next }
		on && f == 1 { printf "%s%s", s, $0; s = " " }' "$r" 2>/dev/null)
	ok "$( ((fa == 4 && fb == 4)) && [[ $listed == "$traits" ]]; echo $?)" \
		"A/B: all3's CSVs record its traits ($fa of 4), the base's none ($fb of 4), the report lists them ($listed)"

	# mprotect over 64 GiB with one page per GiB, RO then RW (kmod:count):
	# one PROTECTION_VMA pair of 64 GiB per mprotect call on 6.12 (per 512
	# GiB chunk), 64 of 1 GiB with the revert (per populated 1 GiB chunk).
	got="" bad=0 it=ab-mprotect-sparse1g-64G
	expect kmod nb_ranges_per_call $it kmod:count 1 64
	expect kmod nb_range_bytes_mean $it kmod:count $((64 << 30)) $((1 << 30))
	expect kmod nb_protection_vma_per_op $it kmod:count 2 128
	# The report's rows, the charged calls (start and end) of the per-call sweep too.
	# shellcheck disable=SC2016 # markdown's backquotes
	if ! { grep -q '^| notifier ranges/call | `kmod:count` | 1 | .* | 64 | ' "$r" 2>/dev/null &&
		grep -q '^| charged calls/op (module) | `kmod:insn,n=0` | 4 | .* | 256 | ' "$r"; }; then
		bad=1 got+=" !(report rows)"
	fi
	# The answer's sentence and its plot say the same.
	# shellcheck disable=SC2016 # markdown's backquotes
	if ! { grep -q '^- `ab-mprotect-sparse1g-64G`: notifier calls per op 2 protection_vma → 128 protection_vma, 64 GiB → 1 GiB per range;.* per-call subscriber: 4 → 256 charged calls/op' "$r" &&
		[[ -s $ab/plots/ab-answer.png && -s $ab/plots/ab-answer.svg && -s $ab/compare/ab.tsv ]]; }; then
		bad=1 got+=" !(answer sentence or plot)"
	fi
	ok "$bad" "A/B mprotect sparse1g 64G: 64 ranges of 1 GiB per call against 1 of 64 GiB, 256 charged calls per toggle against 4:$got"

	# A write-protect reuse fault (kmod:count; the zap model kmod:zap): no
	# notifier on 6.12; with upgrade-notify one PROTECTION_UPGRADE pair per
	# fault, and one mirror entry zapped and refaulted per fault.
	got="" bad=0 it=ab-upgrade-wp-reuse-64M
	expect kmod nb_protection_upgrade_per_op $it kmod:count 0 1
	expect kmod faults_per_op $it kmod:count 1 1
	expect kmod nb_mirror_zapped_per_op $it kmod:zap,ns=0 0 1
	expect kmod nb_dev_refaults_per_op $it kmod:zap,ns=0 0 1
	# shellcheck disable=SC2016 # markdown's backquotes
	if ! { grep -q '^| protection_upgrade calls/op | `kmod:count` | 0 | .* | 1 | ' "$r" 2>/dev/null &&
		grep -q '^| mirror entries zapped/op | `kmod:zap,ns=0` | 0 | .* | 1 | ' "$r"; }; then
		bad=1 got+=" !(report rows)"
	fi
	# shellcheck disable=SC2016 # markdown's backquotes
	grep -q '^- `ab-upgrade-wp-reuse-64M`: notifier calls per op 0 → 1 protection_upgrade,.* zap model: 0 → 1 mirror entries zapped/op' "$r" ||
		{ bad=1 got+=" !(answer sentence)"; }
	ok "$bad" "A/B upgrade wp-reuse 64M: 1 PROTECTION_UPGRADE pair and 1 mirror entry zapped per fault against 0:$got"

	# KVM (the kvm backend in a nested guest): kvm-filter-upgrade makes KVM
	# ignore the new event, so the upgrade faults zap nothing, as on 6.12
	# (upgrade-notify alone: 1 kvm_unmap_hva_range and 1 entry zapped per
	# fault, patches/README.md); mprotect's unmaps follow the revert's ranges.
	got="" bad=0
	expect kvm kvm_unmap_hva_range_per_call $it kvm 0 0
	expect kvm kvm_entries_zapped $it kvm 0 0
	expect kvm faults_per_op $it kvm 1 1
	expect kvm kvm_unmap_hva_range_per_call ab-mprotect-sparse1g-64G kvm 1 64
	ok "$bad" "A/B KVM: the upgrade faults zap nothing in either kernel (the filter), mprotect's unmaps per call follow its ranges:$got"
	((bad == 0)) || show "$r" 60
}

# The variant: when missing, built from the base's objects; upgrade-notify
# changes include/linux/mmu_notifier.h, so about 700 files compile again.
if ! variant "$all3" "${ps[@]}"; then
	skips 5 "$all3 could not be built (above)"
else
	ab_part
fi
exit $((failed > 0))
