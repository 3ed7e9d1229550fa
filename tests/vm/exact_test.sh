#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# TAP: exact mode (scripts/vm --exact) on one kernel, KERNEL (a scripts/vm
# --kernel spec); tests/run runs it once per kernel. Three boots of a short
# cost sweep (mprotect of a 2 MiB THP, kmod:spin at 0..20000 per call):
# - boot 1, two vCPUs (the second CPU comes up after boot, which 6.1
#   did not do under icount): exit 0, CPUs 0-1 online, one CSV that says
#   clock_unit insn and carries the host's date (not the guest's 2000), the
#   sweep's slope within 1 % of the charged calls the module counted;
# - boot 2, the same command: the same initramfs and boot_id, and every
#   configuration's median identical to boot 1's (the boot is deterministic);
# - boot 3, --seed 1: another boot_id (another random pool), and every median
#   within 0.1 % of boot 1's (exact mode's spread between different boots).
# About 70 s per boot here (3.6 minutes for the three on 6.1 while other jobs ran).
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
k=${1:?usage: tests/vm/exact_test.sh KERNEL}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
nb=${NB_NOTIBENCH:-$root/build/notibench}

echo "TAP version 13"
echo "1..9"
n=0
# shellcheck source=tests/lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"

# boot N [VM-OPTIONS]: run the sweep in an exact guest with two vCPUs into $tmp/N.
boot() {
	local d=$tmp/$1
	shift
	"$root/scripts/vm" --kernel "$k" --exact --cpus 2 "$@" --timeout 900 --out "$d" -- \
		sh -c 'cat /sys/devices/system/cpu/online > /out/online
			cat /proc/sys/kernel/random/boot_id > /out/boot_id
			notibench run mprotect --layout thp --size 2M --quick \
				--backend kmod:spin,ns=0,5000,10000,20000 --out /out' \
		> "$d.log" 2>&1
}
# medians DIR: "config median" per configuration of DIR's CSV (its median
# rows' ns_per_op as notibench export reads them; columns found by name).
medians() {
	"$nb" export --format tsv --statistics rows -- "$1"/mprotect-*.csv 2>/dev/null |
		awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
			$col["statistic"] == "median" && $col["metric"] == "ns_per_op" {
				print $col["config"], $col["value"] }'
}
meta() { sed -n "s/^# $1: //p" "$2"/mprotect-*.csv 2>/dev/null | head -n 1; }
initrd() { sed -n 's/.*initramfs \([0-9a-f]*\),.*/\1/p' "$1.log"; }

boot 1
rc=$?
csv=$(find "$tmp/1" -name 'mprotect-*.csv' | wc -l)
ok "$((rc != 0 || csv != 1))" "boot 1 (2 vCPUs): exit $rc, $csv CSV"
online=$(cat "$tmp/1/online" 2>/dev/null)
ok "$([[ $online == 0-1 ]]; echo $?)" "boot 1: the second CPU came up (online: ${online:-?})"
unit=$(meta clock_unit "$tmp/1") date=$(meta date "$tmp/1")
ok "$([[ $unit == insn && -n $date && $date != 2000-* ]]; echo $?)" \
	"boot 1: clock_unit ${unit:-?}, date ${date:-?} (the host's)"
sweep=$(meta sweep "$tmp/1")
ratio=$(sed -n 's/.*slope\/charged \([0-9.-]*\),.*/\1/p' <<<"$sweep")
ok "$(awk -v r="${ratio:-0}" 'BEGIN { exit !(r >= 0.99 && r <= 1.01) }'; echo $?)" \
	"boot 1: the sweep's slope / charged calls = ${ratio:-?} (within 1 %)"

boot 2
rc=$?
ok "$((rc != 0))" "boot 2: exit $rc, initramfs $(initrd "$tmp/2") (boot 1: $(initrd "$tmp/1"))"
m1=$(medians "$tmp/1") m2=$(medians "$tmp/2")
ok "$([[ -n $m1 && $m1 == "$m2" && $(cat "$tmp/1/boot_id") == "$(cat "$tmp/2/boot_id")" ]]; echo $?)" \
	"boot 2: the same boot_id and identical medians (boot 1: $(tr '\n' ' ' <<<"$m1"))"
[[ $m1 == "$m2" ]] || paste <(echo "$m1") <(echo "$m2") | sed 's/^/# boot 1, 2: /'

boot 3 --seed 1
rc=$?
ok "$((rc != 0))" "boot 3 (--seed 1): exit $rc"
ok "$([[ -s $tmp/3/boot_id && $(cat "$tmp/3/boot_id") != "$(cat "$tmp/1/boot_id")" ]]; echo $?)" \
	"boot 3: another boot_id"
m3=$(medians "$tmp/3")
worst=$(paste -d' ' <(echo "$m1") <(echo "$m3") | awk '
	$1 != $3 || NF != 4 { bad = 1 }
	{ d = ($4 - $2) / $2; if (d < 0) d = -d; if (d > w) w = d }
	END { printf "%.5f", bad ? 1 : 100 * w }')
ok "$(awk -v w="$worst" 'BEGIN { exit !(w <= 0.1) }'; echo $?)" \
	"boot 3: every median within 0.1 % of boot 1's (largest difference $worst %)"
for b in 1 2 3; do
	[[ -f $tmp/$b.log ]] && grep -E 'vm: error|not ok' "$tmp/$b.log" | sed "s/^/# boot $b: /"
done
exit 0
