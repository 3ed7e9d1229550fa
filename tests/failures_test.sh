#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# TAP: failures are failures (issue 11), on the host.
# - bench/all on a full file system (a small tmpfs, filled to a different
#   point each time, under the host's sh and busybox sh, the guest's): every
#   run either completes with every item ok and its CSV, or exits non-zero
#   naming a path on that file system; never a "done:" line without a failed
#   item and exit 0; a run.meta left behind is whole (its first and status
#   lines) and says what happened;
# - bad options of bench/all (--backends '' or ',', --out a file or under
#   one, --out '', --only '', --repeat 0/-1, --resume '') and of scripts/vm
#   (--mem 99999999G, --cpus 100000, --out a file, --arch sparc, --arch arm64
#   with a Debian kernel or an x86 --kdir, ...) are exit 2 with a
#   message before anything runs: no notibench started, no run directory in
#   the source tree's results/, nothing downloaded or built, in seconds;
# - run.meta tells the truth: a signal right after an item's CSV was renamed
#   into place keeps that item's outcome (it said "interrupted ... no CSV
#   kept"), and a resume after a SIGKILL in that window takes the item's exit
#   status from run.log.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
all=$root/bench/all
tmp=$(mktemp -d)
fs=$tmp/fs
# shellcheck disable=SC2317 # the EXIT trap's
cleanup() {
	mountpoint -q "$fs" 2>/dev/null && umount "$fs"
	rm -rf "$tmp"
}
trap cleanup EXIT
item=mprotect-dense4k-4K-toggle   # about 0.1 s with --quick
item2=mprotect-empty-2M-toggle
fast=(--samples 2 --batch 1 --no-check)  # notibench's shortest run

n=0 failed=0
# shellcheck source=tests/lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"

echo "TAP version 13"
if [[ ! -x $root/build/notibench ]]; then
	echo "1..0 # SKIP build/notibench is missing (make)"
	exit 4
fi
echo "1..10"

# --- a full file system ---
# fill_to KIB: the tmpfs emptied, then filled until KIB KiB are free.
fill_to() {
	rm -rf "${fs:?}"/*
	local avail
	avail=$(df -Pk "$fs" | awk 'NR == 2 { print $4 }')
	((avail > $1)) && head -c $(((avail - $1) * 1024)) /dev/zero > "$fs/fill" 2>/dev/null
	return 0
}
# check_full SHELL FREE: one run into $fs with FREE KiB free; prints what is wrong.
check_full() {
	local sh=$1 free=$2 rc run st
	fill_to "$free"
	$sh "$all" --quick --backends none --only "$item" --only "$item2" --out "$fs/o" -- "${fast[@]}" \
		> "$tmp/full.out" 2>&1
	rc=$?
	run=$(find "$fs/o" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | head -n 1)
	st=$(sed -n 's/^status: //p' "$run/run.meta" 2>/dev/null)
	if ((rc == 0)); then
		[[ $st == "complete: ok=2 skip=0 fail=0" && -s $run/$item.csv && -s $run/$item2.csv ]] ||
			echo "[$sh, $free KiB free: exit 0 but status '$st' or a CSV missing]"
		return
	fi
	((rc == 1)) || echo "[$sh, $free KiB free: exit $rc]"
	grep -q "$fs/" "$tmp/full.out" || echo "[$sh, $free KiB free: exit $rc, no path under $fs named]"
	grep -q 'done: ok=[0-9]* skip=[0-9]* fail=0' "$tmp/full.out" &&
		echo "[$sh, $free KiB free: exit $rc after a 'done:' without a failed item]"
	# run.meta, when there is one, is whole and does not say the run is
	# complete without a failure; "running" only when bench/all said that
	# there was no room to mark it failed (as after a SIGKILL: resumable).
	if [[ -e $run/run.meta ]]; then
		[[ $(head -n 1 "$run/run.meta") == "notibench_run: 1" &&
			$(tail -n 1 "$run/run.meta") == "item: "* && -n $st &&
			$st != "complete: ok=2 skip=0 fail=0" ]] &&
			{ [[ $st != running ]] || grep -q 'could not be marked failed' "$tmp/full.out"; } ||
			echo "[$sh, $free KiB free: run.meta not whole, or it says '$st']"
	fi
	[[ -z $(find "$fs/o" -name '*.tmp' 2>/dev/null) ]] ||
		echo "[$sh, $free KiB free: a temp file is left]"
	((free > 0)) || [[ -z $run ]] || echo "[$sh, 0 KiB free: the empty run directory is left]"
	cp "$tmp/full.out" "$tmp/full.$free.${sh// /_}.out"
}

mkdir -p "$fs"
if ! err=$(mount -t tmpfs -o size=64k,mode=0755 tmpfs "$fs" 2>&1); then
	why="cannot mount a tmpfs here (${err:-mount failed}; needs root)"
	for t in "exit 1 naming the file" "busybox sh" "every fill point"; do
		skip "bench/all on a full file system: $t" "$why"
	done
else
	# Nothing free: the issue's case (it printed "done: ok=0 skip=0 fail=0"
	# and exited 0 with an empty run.meta).
	fill_to 0
	"$all" --quick --backends none --only "$item" --out "$fs/o" > "$tmp/f0.out" 2>&1
	rc=$?
	((rc == 1)) && grep -q "bench/all: error: cannot write $fs/o/.*/run.meta" "$tmp/f0.out" &&
		! grep -q 'done: ok' "$tmp/f0.out" &&
		[[ -z $(find "$fs/o" -mindepth 1 2>/dev/null) ]]
	ok $? "a full file system: exit 1 naming run.meta, no 'done:' line, no run directory left (exit $rc)"
	((rc == 1)) || diag "$tmp/f0.out"

	if command -v busybox > /dev/null; then
		bad=$(check_full "busybox sh" 0; check_full "busybox sh" 8)
		[[ -z $bad ]]
		ok $? "busybox sh (the guest's): nothing or 8 KiB free: exit 1 naming the path, run.meta whole${bad:+ $bad}"
	else
		skip "busybox sh on a full file system" "no busybox here"
	fi

	# From room for run.meta only to room for the whole run (24 KiB at the
	# end, more on the way): run.meta's rewrites, the temp directories, the
	# CSVs fail in turn.
	bad="" nok=0 nfail=0
	for free in 4 8 16 24 48; do
		b=$(check_full sh "$free")
		bad+=$b
		[[ -z $b ]] && { [[ -f $tmp/full.$free.sh.out ]] && nfail=$((nfail + 1)) || nok=$((nok + 1)); }
	done
	# Both outcomes seen: the fill points span the failures and the success.
	[[ -z $bad ]] && ((nfail >= 2 && nok >= 1))
	ok $? "sh: 4 to 48 KiB free: each run complete and ok, or exit 1 naming the path with run.meta whole ($nfail failed, $nok complete)${bad:+ $bad}"
	umount "$fs"
fi

# --- bad options: exit 2 before anything runs ---
# A notibench that records that it ran (the kvm probe or an item).
mkdir -p "$tmp/bin" "$tmp/cwd"
printf '#!/bin/sh\necho "$*" >> %s/ran\n' "$tmp" > "$tmp/bin/notibench"
chmod +x "$tmp/bin/notibench"
: > "$tmp/file"
results_before=$(ls -a "$root/results" 2>/dev/null)
bad=""
for a in "--backends ''" "--backends ," "--backends none,gpu" "--out $tmp/file" "--out $tmp/file/sub" \
	"--out ''" "--only ''" "--only ' '" "--repeat 0" "--repeat -1" "--resume ''" "--sweeps ''"; do
	rm -f "$tmp/ran"
	(cd "$tmp/cwd" && eval "NOTIBENCH=$tmp/bin/notibench \"$all\" --quick $a") > "$tmp/bad.out" 2>&1
	rc=$?
	((rc == 2)) && grep -q '^bench/all: --' "$tmp/bad.out" && [[ ! -e $tmp/ran ]] ||
		bad+=" [$a: exit $rc$([[ -e $tmp/ran ]] && echo ', notibench ran'): $(tail -n 1 "$tmp/bad.out")]"
done
[[ -z $bad && $(ls -a "$root/results" 2>/dev/null) == "$results_before" &&
	-z $(find "$tmp/cwd" -mindepth 1) ]]
ok $? "bench/all: bad --backends, --out, --only, --repeat, --resume, --sweeps: exit 2 with a message, notibench never started, no run directory${bad:+:$bad}"
# The same with good options does start notibench (the probe above can see it).
rm -f "$tmp/ran"
NOTIBENCH=$tmp/bin/notibench "$all" --quick --backends none --only "$item" --out "$tmp/good" \
	> "$tmp/good.out" 2>&1
rc=$?
((rc == 1)) && grep -q -- "--backend none --out $tmp/good/" "$tmp/ran" 2>/dev/null &&
	grep -q "^item: $item | .* | fail | 1 | .*notibench exited 0 but wrote no CSV" "$tmp/good"/*/run.meta
ok $? "control: good options start notibench; one that writes no CSV is a failed item, exit 1 (exit $rc)"

# scripts/vm: a cache of its own, which stays empty (no download, no build).
bad=""
# A kernel tree that passes the checks (an empty bzImage: QEMU refuses it),
# and one that was never built.
mkdir -p "$tmp/cache" "$tmp/kdir/arch/x86/boot" "$tmp/kdir/include/generated" "$tmp/raw/arch/x86/boot"
: > "$tmp/kdir/arch/x86/boot/bzImage"
: > "$tmp/raw/arch/x86/boot/bzImage"
echo '#define UTS_RELEASE "6.1.0-fake"' > "$tmp/kdir/include/generated/utsrelease.h"
for a in "--mem 99999999G" "--mem 64M" "--cpus 100000" "--cpus 0" "--out $tmp/file" "--out $tmp/file/x" \
	"--out ''" "--timeout 0" "--swap 2000G" "--hugepages-1g 100000" "--kernels ," "--kernels 6.1,,6.12" \
	"--kernel ''" "--kernel '6.1;x'" "--numa --cpus 3" "--mem ''" "--kdir $tmp/raw" "--arch sparc" \
	"--arch ''" "--arch arm64" "--arch arm64 --kernel 6.12" "--arch arm64 --kernels 6.1,6.12" \
	"--arch arm64 --rootfs"; do
	t0=$SECONDS
	eval "NB_CACHE=$tmp/cache timeout 60 \"$root/scripts/vm\" --kdir $tmp/kdir $a -- true" > "$tmp/vm.out" 2>&1
	rc=$?
	((rc == 2)) && grep -q '^vm: --' "$tmp/vm.out" && ((SECONDS - t0 < 10)) ||
		bad+=" [$a: exit $rc in $((SECONDS - t0)) s: $(tail -n 1 "$tmp/vm.out")]"
done
[[ -z $bad && -z $(find "$tmp/cache" -mindepth 1) ]]
ok $? "scripts/vm: --mem, --cpus, --out, --timeout, --swap, --hugepages-1g, --kernel(s), --numa, --kdir, --arch nonsense: exit 2 with a message in seconds, nothing downloaded or built${bad:+:$bad}"
# Control: the same options, good, get past the checks to QEMU (which
# refuses the empty bzImage: exit 1).
if command -v qemu-system-x86_64 > /dev/null; then
	NB_CACHE=$tmp/cache timeout 60 "$root/scripts/vm" --kdir "$tmp/kdir" --no-module \
		--mem 2G --cpus 2 --out "$tmp/vmout" --timeout 60 -- true > "$tmp/vm.out" 2>&1
	rc=$?
	((rc == 1)) && grep -q '^vm: booting 6.1.0-fake (tcg, 2 cpus, 2048 MiB)' "$tmp/vm.out"
	ok $? "control: scripts/vm with good --mem, --cpus, --out, --timeout boots QEMU (exit $rc)"
	((rc == 1)) || diag "$tmp/vm.out"
else
	skip "control: scripts/vm with good options boots QEMU" "no qemu-system-x86_64 here"
fi

# --- run.meta tells the truth ---
# An mv that sends bench/all SIGTERM right after it renamed an item's CSV into
# place: the window between the rename and the item's status line.
mkdir -p "$tmp/mvbin"
cat > "$tmp/mvbin/mv" <<'EOF'
#!/bin/sh
: > "$MV_HOOK_SEEN"
command -p mv "$@" || exit
case $1 in */.tmp-*/*.csv) kill -TERM "$PPID" ;; esac
EOF
chmod +x "$tmp/mvbin/mv"
for sh in sh "busybox sh"; do
	# busybox sh may run mv as its own applet, never the one on PATH.
	: > "$tmp/m1"
	rm -f "$tmp/seen"
	# shellcheck disable=SC2016 # the inner sh expands it
	MV_HOOK_SEEN=$tmp/seen PATH=$tmp/mvbin:$PATH $sh -c 'mv "$0" "$0.2"' "$tmp/m1"
	if [[ ! -e $tmp/seen ]]; then
		skip "$sh: SIGTERM right after an item's CSV was renamed into place" \
			"$sh runs mv as its own applet, not the test's hook on PATH"
		continue
	fi
	o=$tmp/sig-${sh// /_}
	MV_HOOK_SEEN=$tmp/seen PATH=$tmp/mvbin:$PATH $sh "$all" --quick --backends none --only "$item" --only "$item2" --out "$o" \
		-- "${fast[@]}" > "$o.out" 2>&1
	rc=$?
	run=$(find "$o" -mindepth 1 -maxdepth 1 -type d | head -n 1)
	((rc == 143)) && [[ -s $run/$item.csv && ! -e $run/$item2.csv ]] &&
		grep -q "^item: $item | .* | ok | 0 | [0-9.]* | \$" "$run/run.meta" &&
		grep -q "^item: $item2 | .* | pending | " "$run/run.meta" &&
		grep -q '^status: interrupted (SIGTERM)' "$run/run.meta"
	ok $? "$sh: SIGTERM right after $item.csv was renamed into place: run.meta keeps it ok (not 'interrupted, no CSV kept'), the run interrupted (exit $rc)"
	((rc == 143)) || diag "$o.out"
done
# SIGKILL in that window leaves the item "running" with its CSV: --resume
# takes its outcome from run.log's exit line (exit 1 there: a failed item).
run=$(find "$tmp/sig-sh" -mindepth 1 -maxdepth 1 -type d | head -n 1)
sed -i "s/^item: $item | \(.*\) | ok | 0 | [0-9.]* | \$/item: $item | \1 | running | | |/" "$run/run.meta"
sed -i "s/^=== $item: exit 0, /=== $item: exit 1, /" "$run/run.log"
"$all" --resume "$run" > "$tmp/res.out" 2>&1
rc=$?
((rc == 1)) && grep -q "^item: $item | .* | fail | 1 | [0-9.]* | CSV found on resume; exit 1 in run.log\$" "$run/run.meta" &&
	grep -q "^item: $item2 | .* | ok | 0 | " "$run/run.meta" &&
	grep -q '^status: complete: ok=1 skip=0 fail=1$' "$run/run.meta"
ok $? "--resume after a SIGKILL between the rename and the status: the item's exit status from run.log (fail, exit 1), the rest run (exit $rc)"
((rc == 1)) || diag "$tmp/res.out"

exit $((failed > 0))
