#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# TAP: scripts/ab. Bad usage exits 2 before anything is built or run; a
# patch that does not apply (tests/fixtures/kernel/bad-hunk.patch) stops it
# in seconds with exit 2 and the rejected hunk, nothing run (needs the base
# 6.12 in scripts/kernel's cache: the patch is tried on a copy of it); and,
# when the base 6.12 is cached (tests/run runs this after tests/kernel_test.sh,
# which builds it; the example variant is built from its objects when
# missing, about 2 minutes, then cached), an A/A run of the
# example patch, a comment, on one item in exact mode without the KVM guest:
# every figure of the report must be equal (0 % change, diff 0), and
# --resume on the same directory boots nothing again. About 3 minutes.
# NB_KERNELS=none or NB_SOURCE_KERNELS=none skips what needs kernels.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
AB=$root/scripts/ab
fix=$root/tests/fixtures/kernel
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0
ok() {
	n=$((n + 1))
	if [[ $1 == 0 ]]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
show() { sed 's/^/# /' "$1" | tail -n "${2:-15}"; }

echo "TAP version 13"
echo "1..12"

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
	for _ in 1 2 3 4 5 6 7 8; do skip "NB_KERNELS=none or NB_SOURCE_KERNELS=none: no kernels"; done
	exit $((failed > 0))
fi
if ! "$root/scripts/kernel" --source 6.12 --no-build --print-dir > /dev/null 2>&1; then
	for _ in 1 2 3 4 5 6 7 8; do skip "6.12 is not in scripts/kernel's cache (tests/kernel_test.sh builds it)"; done
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

# The example variant: built from the base's objects when missing (a comment
# in mm/mprotect.c, a few files compiled: about 2 minutes), so that a fresh
# machine runs the A/A below too; kept in the cache for the next run.
t0=$SECONDS
if "$root/scripts/kernel" --source 6.12 --patch "$p" --no-build --print-dir > /dev/null 2>&1; then
	ok 0 "6.12+example-comment found in scripts/kernel's cache"
else
	"$root/scripts/kernel" --source 6.12 --patch "$p" --print-dir > /dev/null 2> "$tmp/err"
	rc=$?
	ok "$rc" "6.12+example-comment built from the base's objects: exit $rc in $((SECONDS - t0)) s"
	if ((rc)); then
		show "$tmp/err"
		for _ in 1 2 3 4 5 6; do skip "6.12+example-comment could not be built (above)"; done
		exit $((failed > 0))
	fi
fi

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
# The table's rows: counts +0.000 % and diff +0; costs within 0.1 % and not
# flagged (a trailing *); insn and never ns.
awk -F' [|] ' '
	{ sub(/ [|]$/, "") }
	/^\| cost insn\/op / { cost++ }
	/^\| / && NF >= 8 && $3 ~ /^[0-9.e+-]+$/ {
		rows++
		if ($1 ~ /^\| cost /) {
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
exit $((failed > 0))
