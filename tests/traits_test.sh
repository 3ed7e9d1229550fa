#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# TAP: kernel traits on the host (issue 10), no module and no guest:
# - one list: the keys and values scripts/lib/traits.sh reads from
#   bench/harness/traits.def are the ones `notibench traits` (env.c, which compiles
#   the same file) prints;
# - notibench reads vm.meta's kernel_traits (NB_VM_META) and NB_KERNEL_TRAITS,
#   whose keys override; an unknown key, a value not in the list, a word that
#   is not key=value or a key given twice is exit 2 naming the source, for
#   `notibench traits` and for `notibench run` (nothing written);
# - the predictions follow them: mprotect over a 64 GiB sparse1g region
#   predicts 128 PROTECTION_VMA pairs per toggle by trait mprotect_notify=pmd
#   (one per 1 GiB chunk and call), 2 by mprotect_notify=pud, and says which
#   (the CSV's prediction and kernel_traits); upgrade --op wp-reuse predicts
#   one PROTECTION_UPGRADE pair per fault by upgrade_notify=yes, none
#   without; bench/all's run.meta records vm.meta's kernel_traits (as
#   kernel_label) and NB_KERNEL_TRAITS, the CSVs the merged traits;
# - scripts/vm: its vm.meta kernel_traits (nb_kernel_traits: the build's
#   .notibench-traits with --trait over them); --trait with an unknown key
#   or value, a malformed one or a key given twice is exit 2 before anything
#   is booted.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
nb=$root/build/notibench
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0
# shellcheck source=tests/lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"
export NB_VM_META=$tmp/vm.meta
: > "$NB_VM_META"
unset NB_KERNEL_TRAITS

echo "TAP version 13"

# --- one list ---
sh_list=$(NB_ROOT=$root bash -c 'source "$NB_ROOT/scripts/lib/traits.sh"
	for k in $(nb_trait_keys); do echo "$k $(nb_trait_values "$k")"; done')
c_list=$("$nb" traits | awk 'NR > 1 { print $1, $2 }')
[[ -n $sh_list && $sh_list == "$c_list" ]]
ok $? "scripts/lib/traits.sh and notibench traits list the same traits: $(echo "$c_list" | tr '\n' ';')"

# --- sources and refusals ---
echo "kernel_traits: mprotect_notify=pud upgrade_notify=yes" > "$NB_VM_META"
NB_KERNEL_TRAITS="mprotect_notify=pmd" "$nb" traits > "$tmp/out" 2>&1
rc=$?
grep -qE '^mprotect_notify +pmd\|pud +pmd ' "$tmp/out" && grep -qE '^upgrade_notify +yes\|no +yes ' "$tmp/out" &&
	grep -qE '^kvm_upgrade_filter +yes\|no +- ' "$tmp/out"
ok "$((rc || $?))" "vm.meta's kernel_traits, NB_KERNEL_TRAITS's keys over them (exit $rc)"
bad=""
while IFS='|' read -r where val want; do
	if [[ $where == env ]]; then
		: > "$NB_VM_META"
		NB_KERNEL_TRAITS=$val "$nb" traits > "$tmp/out" 2>&1
	else
		echo "kernel_traits: $val" > "$NB_VM_META"
		"$nb" traits > "$tmp/out" 2>&1
	fi
	rc=$?
	{ ((rc == 2)) && grep -qF -- "$want" "$tmp/out"; } || bad+=" [$where '$val': exit $rc, $(head -n 1 "$tmp/out")]"
done <<'CASES'
env|no_such=yes|NB_KERNEL_TRAITS: unknown trait 'no_such' (known traits: kvm_upgrade_filter=yes|no, mprotect_notify=pmd|pud, range_flush_hook=range|empty, upgrade_notify=yes|no)
env|mprotect_notify=p4d|NB_KERNEL_TRAITS: mprotect_notify=p4d: the value is one of pmd|pud
env|mprotect_notify|NB_KERNEL_TRAITS: 'mprotect_notify' is not key=value
env|upgrade_notify=yes upgrade_notify=no|NB_KERNEL_TRAITS: trait upgrade_notify given twice
meta|upgrade_notify=maybe|vm.meta: kernel_traits: upgrade_notify=maybe: the value is one of yes|no
CASES
ok "$([[ -z $bad ]]; echo $?)" "a bad trait from NB_KERNEL_TRAITS or vm.meta: exit 2 naming the source${bad:+:$bad}"
: > "$NB_VM_META"
mkdir -p "$tmp/o"
NB_KERNEL_TRAITS="mprotect_notify=pxd" "$nb" run mprotect --quick --out "$tmp/o" > "$tmp/out" 2>&1
rc=$?
grep -q 'NB_KERNEL_TRAITS: mprotect_notify=pxd' "$tmp/out" && [[ -z $(ls -A "$tmp/o") ]]
ok "$((rc != 2 || $?))" "notibench run with a bad NB_KERNEL_TRAITS: exit $rc (2 wanted), named, nothing written"

# --- the predictions ---
for t in pmd pud none; do
	mkdir -p "$tmp/mp-$t"
	if [[ $t == none ]]; then
		"$nb" run mprotect --size 64G --layout sparse1g --quick --samples 2 --out "$tmp/mp-$t" > /dev/null 2> "$tmp/err-$t"
	else
		NB_KERNEL_TRAITS="mprotect_notify=$t" "$nb" run mprotect --size 64G --layout sparse1g --quick \
			--samples 2 --out "$tmp/mp-$t" > /dev/null 2> "$tmp/err-$t"
	fi
	echo $? > "$tmp/rc-$t"
done
p() { sed -n "s/^# $2: //p" "$tmp/mp-$1"/*.csv 2>/dev/null; }
grep -q '^128 PROTECTION_VMA pairs .* by trait mprotect_notify=pmd: one pair per 1 GiB chunk' <<<"$(p pmd prediction)" &&
	[[ $(p pmd kernel_traits) == mprotect_notify=pmd && $(p pmd kernel_traits_env) == mprotect_notify=pmd ]]
ok "$(($(cat "$tmp/rc-pmd") || $?))" "mprotect sparse1g 64G, mprotect_notify=pmd: $(p pmd prediction | cut -c1-60)...; kernel_traits $(p pmd kernel_traits)"
grep -q '^2 PROTECTION_VMA pairs .* by trait mprotect_notify=pud: one pair per 512 GiB chunk' <<<"$(p pud prediction)"
ok "$(($(cat "$tmp/rc-pud") || $?))" "mprotect sparse1g 64G, mprotect_notify=pud: $(p pud prediction | cut -c1-60)..."
grep -q ', by version (' <<<"$(p none prediction)" && [[ $(p none kernel_traits) == none && -z $(p none kernel_traits_env) ]]
ok "$(($(cat "$tmp/rc-none") || $?))" "mprotect without traits: by version, kernel_traits none ($(p none prediction | sed 's/.*(kernel/kernel/' | cut -c1-70))"

for t in yes none; do
	mkdir -p "$tmp/up-$t"
	if [[ $t == none ]]; then
		"$nb" run upgrade --size 4M --op wp-reuse --quick --samples 2 --out "$tmp/up-$t" > /dev/null 2> "$tmp/err-up-$t"
	else
		NB_KERNEL_TRAITS="upgrade_notify=yes" "$nb" run upgrade --size 4M --op wp-reuse --quick \
			--samples 2 --out "$tmp/up-$t" > /dev/null 2> "$tmp/err-up-$t"
	fi
	echo $? > "$tmp/rc-up-$t"
done
u() { sed -n "s/^# prediction: //p" "$tmp/up-$1"/*.csv 2>/dev/null; }
grep -q '1 PROTECTION_UPGRADE pair (by trait upgrade_notify=yes)' <<<"$(u yes)" &&
	grep -q 'zap model: 1 entries zapped and refaulted per op (the PROTECTION_UPGRADE pair' <<<"$(u yes)"
ok "$(($(cat "$tmp/rc-up-yes") || $?))" "upgrade wp-reuse, upgrade_notify=yes: one PROTECTION_UPGRADE pair and one more zapped entry per fault predicted"
grep -q '0 PROTECTION_UPGRADE pair (stock: no such event)' <<<"$(u none)" &&
	grep -q 'zap model: 0 entries' <<<"$(u none)"
ok "$(($(cat "$tmp/rc-up-none") || $?))" "upgrade wp-reuse without traits: none predicted"

# bench/all's run.meta (--list writes no run: use the plan of one quick item)
mkdir -p "$tmp/all"
echo "kernel_traits: upgrade_notify=yes" > "$NB_VM_META"
NB_KERNEL_TRAITS="mprotect_notify=pmd" "$root/bench/all" --quick --backends none --only 'mprotect-thp-2M-toggle' \
	--out "$tmp/all" > "$tmp/all.out" 2>&1
rc=$?
grep -qx 'kernel_traits: upgrade_notify=yes' "$tmp/all"/*/run.meta 2>/dev/null &&
	grep -qx 'kernel_traits_env: mprotect_notify=pmd' "$tmp/all"/*/run.meta 2>/dev/null &&
	grep -qx '# kernel_traits: mprotect_notify=pmd upgrade_notify=yes' "$tmp/all"/*/*.csv 2>/dev/null
ok "$((rc || $?))" "bench/all: run.meta has vm.meta's kernel_traits and kernel_traits_env, the item's CSV both merged (exit $rc)"
: > "$NB_VM_META"
((rc)) && tail -n 5 "$tmp/all.out" | sed 's/^/# /'

# --- what scripts/vm writes as vm.meta's kernel_traits (scripts/lib/traits.sh) ---
kt() { NB_ROOT=$root bash -c 'source "$NB_ROOT/scripts/lib/traits.sh"; nb_kernel_traits "$@"' kt "$@"; }
printf 'upgrade_notify=yes\nmprotect_notify=pmd\n' > "$tmp/traits"
printf 'mprotect_notify=pxd\n' > "$tmp/traits.bad"
[[ $(kt "$tmp/traits") == "mprotect_notify=pmd upgrade_notify=yes" &&
	$(kt "$tmp/traits" mprotect_notify=pud kvm_upgrade_filter=yes) == "kvm_upgrade_filter=yes mprotect_notify=pud upgrade_notify=yes" &&
	$(kt "" mprotect_notify=pmd) == "mprotect_notify=pmd" && -z $(kt "$tmp/none") ]] &&
	! out=$(kt "$tmp/traits.bad") && [[ $out == *"traits.bad:1: mprotect_notify=pxd: the value is one of pmd|pud"* ]]
ok $? "kernel_traits for vm.meta: the build's .notibench-traits sorted, --trait over them, none without; a bad line named"

# --- scripts/vm --trait: refused before anything boots ---
bad=""
for a in "--trait no_such=yes" "--trait mprotect_notify=p4d" "--trait mprotect_notify" \
	"--trait mprotect_notify=pmd --trait mprotect_notify=pud" "--trait MPROTECT_NOTIFY=pmd"; do
	# shellcheck disable=SC2086 # a word list
	timeout 20 "$root/scripts/vm" $a -- true > /dev/null 2> "$tmp/err"
	rc=$?
	{ ((rc == 2)) && grep -q '^vm: --trait ' "$tmp/err"; } || bad+=" [$a: exit $rc, $(tail -n 1 "$tmp/err")]"
done
ok "$([[ -z $bad ]]; echo $?)" "scripts/vm --trait: unknown key or value, malformed, twice: exit 2 naming --trait${bad:+:$bad}"

echo "1..$n"
exit $((failed > 0))
