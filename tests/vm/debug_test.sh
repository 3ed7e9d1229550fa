#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# TAP: the debug kernel's reports fail a run. tests/run boots kmod_test,
# bench_test, kvm_test and fuzz_test under `scripts/kernel --config debug`
# and counts a clean dmesg as a pass; this shows that a dirty one would not
# be. One boot of that kernel (DIR: its --kdir) provokes, through the
# kernel's own crash-test module (LKDTM, built in), a WARNING, an
# out-of-bounds array index (UBSAN) and a use-after-free read (KASAN):
# scripts/vm must exit 1, name each report, and vm-init must have run its
# kmemleak scan after the command. About 40 s.
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
kdir=${1:?usage: tests/vm/debug_test.sh KDIR (a scripts/kernel --config debug build)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "TAP version 13"
if ! grep -qx 'CONFIG_LKDTM=y' "$kdir/.config" 2>/dev/null; then
	echo "1..0 # SKIP $kdir has no built-in LKDTM (not a scripts/kernel --config debug build)"
	exit 0
fi
echo "1..6"
n=0 failed=0
# shellcheck source=tests/lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"

# Each provocation in its own shell: the write may be killed (an oops kills
# the writer), the next must still run.
"$root/scripts/vm" --kdir "$kdir" --out "$tmp/out" -- sh -c '
	mount -t debugfs debugfs /sys/kernel/debug || exit 3
	for t in WARNING ARRAY_BOUNDS READ_AFTER_FREE; do
		sh -c "echo $t > /sys/kernel/debug/provoke-crash/DIRECT"
		echo "provoked $t"
	done' > "$tmp/log" 2> "$tmp/err"
rc=$?
dm=$tmp/out/vm-dmesg.txt
ok "$((rc != 1))" "scripts/vm exits 1 when the guest's dmesg has reports (exit $rc)"
grep -q "kernel warnings in the guest's dmesg" "$tmp/err"
ok $? "scripts/vm says why: kernel warnings in the guest's dmesg"
grep -q 'WARNING:.*lkdtm' "$dm"
ok $? "the WARNING is in dmesg and in scripts/vm's list"
grep -q 'UBSAN: array-index-out-of-bounds' "$dm" && grep -q 'UBSAN' "$tmp/err"
ok $? "UBSAN reports the out-of-bounds index"
grep -q 'KASAN: slab-use-after-free' "$dm" && grep -q 'KASAN' "$tmp/err"
ok $? "KASAN reports the use-after-free"
grep -q 'vm-init: kmemleak scanned after the command' "$dm"
ok $? "vm-init scanned for leaks after the command"
((failed)) && { sed 's/^/# /' "$tmp/err" | tail -n 30; grep -E 'lkdtm|UBSAN|KASAN|kmemleak' "$dm" | head -n 20 | sed 's/^/# dmesg: /'; }
exit $((failed > 0))
