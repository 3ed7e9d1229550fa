#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# TAP: the hardware path (README.md, "On hardware") in a full Debian guest
# (scripts/vm --rootfs), the stand-in for a machine whose kernel loads
# modules: scripts/deps finds every package present (no network there), and
# `make bench QUICK=1` takes the branch for such a kernel: make kmod against
# the guest's running kernel, insmod, bench/all with every backend it offers
# (none, kmod; kvm only with /dev/kvm), the summary and the plots, rmmod. Then
# the results are checked as on the host, the module must be gone and every
# knob the suite touches (bench/harness/knob_file.c: /proc/sys, /sys/kernel/mm,
# debugfs' numa_balancing, damon_stat) as it was. tests/guest/dkms_test runs
# in the same boot when it exists.
#
# usage: tests/vm/hardware_test.sh [KERNEL]   (6.1 or 6.12, default 6.12)
# NB_HARDWARE=part (make check's, the default): the host's build/ is copied
# in (times kept, so make finds user space up to date; the module is still
# built in the guest) and bench/all runs NB_HARDWARE_ONLY (a few items per
# backend; scripts/bench --only). NB_HARDWARE=full (make hardware): a copy
# without build/, everything compiled in the guest, the whole quick matrix,
# then the host part of make check (tests/run with no guests).
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
kernel=${1:-6.12}
mode=${NB_HARDWARE:-part}
# One item of three benchmarks (no $: make would expand it in ONLY=).
only=${NB_HARDWARE_ONLY:-mprotect-dense4k-4K-toggle zap-free-4k collapse-madv-collapse-64M}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=tests/lib/tap.sh
. "$root/tests/lib/tap.sh"

echo "TAP version 13"
case $mode in
part | full) ;;
*) echo "1..0 # SKIP NB_HARDWARE is part or full, not '$mode'"; exit 4 ;;
esac
if [[ $mode == part && ! -x $root/build/notibench ]]; then
	echo "1..0 # SKIP build/notibench is missing (make)"
	exit 4
fi

# The guest's side: record, run, record again; the checks are made here.
# Each step's output and exit status land in /out.
# shellcheck disable=SC2016  # expanded in the guest
guest='
mode=$1 only=$2
snap() {
	find /proc/sys/vm /proc/sys/kernel /sys/kernel/mm /sys/kernel/debug/sched/numa_balancing \
		/sys/module/damon_stat/parameters -type f -perm -u+w 2>/dev/null |
		grep -v -e /ns_last_pid -e /tainted -e /perf_event_max_sample_rate -e /random/ |
		LC_ALL=C sort | while read -r f; do
			printf "%s=%s\n" "$f" "$(head -c 256 "$f" 2>/dev/null | tr "\n" " ")"
		done
}
step() {  # step NAME CMD...: its output to the console and /out/NAME.out
	local s=$SECONDS
	"${@:2}" 2>&1 | tee "/out/$1.out"
	echo "${PIPESTATUS[0]}" > "/out/$1.rc"
	echo $((SECONDS - s)) > "/out/$1.seconds"
}
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
uname -r > /out/uname
[ -c /dev/kvm ] && echo yes > /out/kvm
snap > /out/knobs.before
step deps scripts/deps
if [ "$mode" = part ]; then
	step bench make bench QUICK=1 ONLY="$only"
else
	step bench make bench QUICK=1
fi
snap > /out/knobs.after
cat /proc/modules > /out/modules.after
cp -a results /out/results
if [ -f tests/guest/dkms_test ]; then
	if [ -x tests/guest/dkms_test ]; then step dkms tests/guest/dkms_test
	else step dkms sh tests/guest/dkms_test; fi
	cat /proc/modules > /out/modules.dkms
fi
if [ "$mode" = full ]; then
	NB_KERNELS=none NB_SOURCE_KERNELS=none NB_DEBUG_KERNEL=none step check tests/run
fi
exit 0
'
vmopts=(--rootfs --kernel "$kernel" --mem 3G --out "$tmp/vm")
if [[ $mode == part ]]; then vmopts+=(--with-build --timeout 3600); else vmopts+=(--timeout 14400); fi
start=$SECONDS
scripts/vm "${vmopts[@]}" -- bash -c "$guest" guest "$mode" "$only" > "$tmp/vm.out" 2>&1
rc=$?
o=$tmp/vm
secs() { cat "$o/$1.seconds" 2>/dev/null || echo '?'; }
echo "# scripts/vm --rootfs --kernel $kernel ($mode): $((SECONDS - start)) s in all; deps $(secs deps) s," \
	"make bench QUICK=1 $(secs bench) s"

ok $rc "the full guest ($kernel) booted, ran and powered off cleanly (scripts/vm exit $rc)"
((rc == 0)) || tail -n 40 "$tmp/vm.out" | diag
[[ $(cat "$o/uname" 2>/dev/null) == *-amd64 ]]
ok $? "the guest runs Debian's kernel ($(cat "$o/uname" 2>/dev/null))"

[[ $(cat "$o/deps.rc" 2>/dev/null) == 0 ]] && grep -qE '^deps: [0-9]+ packages present$' "$o/deps.out"
ok $? "scripts/deps finds every package present in the guest (no network)"
grep -qv '^deps: [0-9]* packages present$' "$o/deps.out" 2>/dev/null && diag "$o/deps.out"

brc=$(cat "$o/bench.rc" 2>/dev/null || echo '?')
[[ $brc == 0 ]]
ok $? "make bench QUICK=1 exits 0 (got $brc)"
[[ $brc == 0 ]] || tail -n 40 "$o/bench.out" 2>/dev/null | diag
b=$o/bench.out
grep -q "^bench: this kernel (.*) loads modules: building notibench.ko" "$b" 2>/dev/null
ok $? "scripts/bench takes the branch for a kernel that loads modules"
# No scripts/vm run (scripts/vm-yield.c is compiled in the full mode).
grep -qE "make .*-C /lib/modules/.*/build M=.* modules|make -C \"?/lib/modules/" "$b" 2>/dev/null &&
	! grep -qE 'scripts/vm( |$)' "$b"
ok $? "make kmod builds against the guest's /lib/modules/\$(uname -r)/build, no guest of its own"

runs=()
for d in "$o"/results/*/; do [[ -f $d/run.meta ]] && runs+=("${d%/}"); done
((${#runs[@]} == 1))
ok $? "one run directory (${#runs[@]})"
run=${runs[0]:-$o/none}
grep -qE '^status: complete: ok=[1-9][0-9]* skip=[0-9]+ fail=0$' "$run/run.meta" 2>/dev/null
ok $? "run.meta: complete, no failure ($(sed -n 's/^status: //p' "$run/run.meta" 2>/dev/null))"
kinds=$(sed -n 's/^backends: //p' "$run/run.meta" 2>/dev/null)
for be in none kmod; do
	[[ " $kinds " == *" $be "* ]] && grep -qE "^median,\"?${be}[,:]" "$run"/*.csv 2>/dev/null
	ok $? "the $be backend is in the run (backends: $kinds) with median rows"
done
if [[ -f $o/kvm ]]; then
	[[ " $kinds " == *" kvm "* ]] && grep -qE '^median,"?kvm[,:]' "$run"/*.csv
	ok $? "the kvm backend ran (the guest has /dev/kvm)"
else
	why=$(sed -n 's/^backends_probe: .*kvm=no (\([^)]*\)).*/\1/p' "$run/run.meta" 2>/dev/null)
	[[ -n $why && " $kinds " != *" kvm "* ]]
	ok $? "without /dev/kvm in the guest bench/all leaves kvm out, saying why (${why:-no reason})"
fi
bad=0 ncsv=0
for c in "$run"/*.csv; do
	[[ -f $c ]] || continue
	ncsv=$((ncsv + 1))
	head -n 1 "$c" | grep -qx '# notibench_csv: 1' || { bad=1; echo "# not a notibench CSV: ${c##*/}"; }
done
((ncsv > 0 && bad == 0))
ok $? "$ncsv notibench CSVs"
n_ok=$(grep -c '^item: .*| ok | 0 |' "$run/run.meta" 2>/dev/null)
((ncsv == n_ok))
ok $? "one CSV per item that ran ok ($ncsv CSVs, $n_ok ok)"
if [[ $mode == part ]]; then
	read -ra words <<<"$only"
	((n_ok >= ${#words[@]}))
	ok $? "ONLY's ${#words[@]} patterns ran at least as many items ($n_ok)"
fi
grep -qE '^kernel_release: .*-amd64$' "$run/run.meta" 2>/dev/null
ok $? "run.meta names the guest's kernel"
grep -q '^bench: summary' "$b" 2>/dev/null && grep -qE 'kmod' <(sed -n '/^bench: summary/,/^bench: plots/p' "$b")
ok $? "the summary is printed, with kmod rows"
np=$(find "$run/plots" -name '*.png' 2>/dev/null | wc -l)
ns=$(find "$run/plots" -name '*.svg' 2>/dev/null | wc -l)
((np > 0 && ns > 0))
ok $? "plots: $np PNG and $ns SVG files in the run's plots/"

[[ -f $o/modules.after ]] && ! grep -q '^notibench ' "$o/modules.after"
ok $? "the module is unloaded at the end (no notibench in /proc/modules)"
if [[ -s $o/knobs.before && -s $o/knobs.after ]]; then
	diff "$o/knobs.before" "$o/knobs.after" > "$tmp/knobs.diff"
	ok $? "every knob is as before ($(wc -l < "$o/knobs.before") writable /proc/sys and /sys values compared)"
	diag "$tmp/knobs.diff"
else
	ok 1 "every knob is as before (no snapshot)"
fi

if [[ -f $root/tests/guest/dkms_test ]]; then
	drc=$(cat "$o/dkms.rc" 2>/dev/null || echo '?')
	grep -q '^1\.\.' "$o/dkms.out" 2>/dev/null && ! grep -q '^not ok' "$o/dkms.out" && [[ $drc == 0 ]]
	ok $? "tests/guest/dkms_test passes in the guest (exit $drc)"
	grep -E '^(not )?ok|^1\.\.' "$o/dkms.out" 2>/dev/null | diag
	[[ -f $o/modules.dkms ]] && ! grep -q '^notibench ' "$o/modules.dkms"
	ok $? "after dkms_test no notibench module is loaded"
else
	skip "tests/guest/dkms_test in the guest" "tests/guest/dkms_test does not exist yet"
fi
if [[ $mode == full ]]; then
	crc=$(cat "$o/check.rc" 2>/dev/null || echo '?')
	[[ $crc == 0 ]]
	ok $? "the host part of make check in the guest: $(tail -n 1 "$o/check.out" 2>/dev/null) (exit $crc, $(secs check) s)"
	grep -- '^--- .*FAILED\|^--- .*[1-9][0-9]* failed' "$o/check.out" 2>/dev/null | diag
fi
echo "1..$n"
((failed == 0))
