#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# TAP: scripts/kernel. Builds (or finds in its cache) the benchmarking kernel
# from Debian's linux-source-6.12 (the first of NB_SOURCE_KERNELS, and the
# others there too; "none" skips this test, as does NB_KERNELS=none), and
# its debug configuration (`--config debug`; NB_DEBUG_KERNEL names another
# source, "none" skips it), which tests/run then boots; a cold build is the long part
# of a first `make check`. Then, cheaply: bad usage exits 2; a patch that
# does not apply stops with exit 2 naming the patch, the file and the hunk,
# leaving the cache and a --tree as they were; a second run finds the kernel
# in seconds; notibench.ko builds against it without modpost warnings (its
# Module.symvers); an option the config drops stops the build naming it; a
# patched variant (tests/fixtures/kernel/0001-example-comment.patch, a
# comment, made unique per run) is built from a copy of the base's objects,
# compiling a few files, and is removed again.
# Kernel traits, before any build (NB_KERNEL_TEST=quick runs only these;
# so does NB_SOURCE_KERNELS=none): the patches' `Notibench-Trait: key=value`
# lines come out sorted (--print-traits), two patches may repeat a value
# but not disagree, and a malformed line, an unknown key or an unknown value
# is exit 2 naming the file and line; a cache hit (fake entries in a scratch
# cache) returns .notibench-traits, written then if the entry had none.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
K=$root/scripts/kernel
fix=$root/tests/fixtures/kernel
srcs=${NB_SOURCE_KERNELS:-6.12}
srcs=${srcs//,/ }
src=${srcs%% *}
cache=${NB_KCACHE:-${NB_CACHE:-$root/build/vm}/kernels}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0
# shellcheck source=tests/lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"
# The cache's entries and build directories (not its lock files).
entries() { find "$cache" -mindepth 1 -maxdepth 1 ! -name '.*.lock' -printf '%f\n' 2>/dev/null | sort; }
show() { sed 's/^/# /' "$1" | tail -n "${2:-15}"; }

echo "TAP version 13"

# --- kernel traits: nothing built ---
printf 'Subject: [PATCH] t\n\nNotibench-Trait: upgrade_notify=yes\nNotibench-Trait: mprotect_notify=pmd\n---\n' \
	> "$tmp/a.patch"
printf 'Notibench-Trait: mprotect_notify=pmd\n' > "$tmp/same.patch"
printf 'plain\n' > "$tmp/none.patch"
"$K" --patch "$tmp/a.patch" --patch "$tmp/same.patch" --print-traits > "$tmp/out" 2> "$tmp/err"
rc=$?
ok "$((rc || $(printf 'mprotect_notify=pmd\nupgrade_notify=yes\n' | cmp -s - "$tmp/out"; echo $?)))" \
	"--print-traits: the patches' traits sorted, a value repeated by a second patch is fine (exit $rc: $(tr '\n' ' ' < "$tmp/out"))"
"$K" --patch "$tmp/none.patch" --print-traits > "$tmp/out" 2> "$tmp/err"
rc=$?
ok "$((rc || $([[ ! -s $tmp/out ]]; echo $?)))" "--print-traits of a patch without traits: nothing (exit $rc)"
bad=""
while IFS='|' read -r name line want; do
	printf 'Subject: x\n\n%s\n' "$line" > "$tmp/$name.patch"
	args=(--patch "$tmp/$name.patch")
	[[ $name == disagree ]] && args=(--patch "$tmp/a.patch" "${args[@]}")
	"$K" "${args[@]}" --print-traits > /dev/null 2> "$tmp/err"
	rc=$?
	{ ((rc == 2)) && grep -qF "$tmp/$name.patch:3: " "$tmp/err" && grep -qF -- "$want" "$tmp/err"; } ||
		bad+=" [$name: exit $rc, $(tail -n 1 "$tmp/err")]"
done <<'LINES'
disagree|Notibench-Trait: mprotect_notify=pud|a.patch:4 declares mprotect_notify=pmd: the patches disagree
lower|notibench-trait: mprotect_notify=pmd|a trait line is exactly
indented|  Notibench-Trait: mprotect_notify=pmd|a trait line is exactly
trailing|Notibench-Trait: mprotect_notify=pmd # yes|a trait line is exactly
space|Notibench-Trait:  mprotect_notify=pmd|a trait line is exactly
upper|Notibench-Trait: MPROTECT=pmd|a trait line is exactly
unknown|Notibench-Trait: no_such_trait=yes|unknown trait 'no_such_trait'
value|Notibench-Trait: upgrade_notify=maybe|upgrade_notify=maybe: the value is one of yes
LINES
ok "$([[ -z $bad ]]; echo $?)" "a bad trait line, an unknown key or value, two patches disagreeing: exit 2, file and line named${bad:+:$bad}"

# A cache hit returns the traits: fake entries (base and variant) in a
# scratch cache, keyed as scripts/kernel keys a small git tree.
kc=$tmp/kcache tt=$tmp/ttree
mkdir -p "$tt/arch/x86" "$kc"
printf 'kernelversion:\n\t@echo 9.9.9\n' > "$tt/Makefile"
git -C "$tt" init -q && git -C "$tt" add -A && git -C "$tt" -c user.email=t@t -c user.name=t commit -qm t
fake() {  # fake [--patch P]: the entry's key from the --no-build refusal, then the entry
	local k
	k=$(NB_KCACHE=$kc "$K" --tree "$tt" "$@" --no-build 2>&1 | sed -n 's/.*(\([0-9a-f]\{16\}\)) is not in .*/\1/p')
	[[ -n $k ]] || return 1
	mkdir -p "$kc/$k" && echo "release 9.9.9" > "$kc/$k/.notibench-kernel" && echo fake > "$kc/$k/.notibench-label"
	echo "$kc/$k"
}
base=$(fake) && var=$(fake --patch "$tmp/a.patch")
d=$(NB_KCACHE=$kc "$K" --tree "$tt" --patch "$tmp/a.patch" --no-build --print-dir 2> "$tmp/err")
rc=$?
ok "$((rc || $([[ -n $var && $d == "$var" ]] && printf 'mprotect_notify=pmd\nupgrade_notify=yes\n' |
	cmp -s - "$d/.notibench-traits"; echo $?)))" \
	"a cache hit on a variant without .notibench-traits writes it: the patches' traits (exit $rc)"
((rc)) && show "$tmp/err"
d=$(NB_KCACHE=$kc "$K" --tree "$tt" --no-build --print-dir 2> "$tmp/err")
rc=$?
ok "$((rc || $([[ -n $base && $d == "$base" && -f $d/.notibench-traits && ! -s $d/.notibench-traits ]]; echo $?)))" \
	"a cache hit on the base: an empty .notibench-traits (exit $rc)"
NB_KCACHE=$kc "$K" --list > "$tmp/out" 2>&1
grep -qF "mprotect_notify=pmd upgrade_notify=yes" "$tmp/out"
ok $? "--list shows an entry's traits"

if [[ $src == none || ${NB_KERNELS:-} == none || ${NB_KERNEL_TEST:-} == quick ]]; then
	echo "# the rest builds kernels: not run (NB_SOURCE_KERNELS=none, NB_KERNELS=none or NB_KERNEL_TEST=quick)"
	echo "1..$n"
	exit $((failed > 0))
fi

# --- bad usage: exit 2, nothing built ---
bad=""
for args in "--source 5.10" "--patch $tmp/nosuch.patch" "--config nosuch" "--label a/b" \
	"--jobs 0" "--tree $tmp" "--bogus" "--arch sparc" "--arch arm64 --tree $tmp"; do
	# shellcheck disable=SC2086 # args is a word list
	"$K" $args > /dev/null 2> "$tmp/err"
	rc=$?
	((rc == 2)) || bad+=" [$args: exit $rc]"
done
ok "$([[ -z $bad ]]; echo $?)" "bad usage exits 2${bad:+:$bad}"

# --- a small git "tree": patches go to a copy, a failing one is named ---
t=$tmp/tree
mkdir -p "$t/arch/x86" "$t/mm"
printf 'kernelversion:\n\t@echo 9.9.9\n%%config:\n\t@echo no Kconfig in this tree; exit 1\n' > "$t/Makefile"
cat > "$t/mm/mprotect.c" <<-'EOF'
	// SPDX-License-Identifier: GPL-2.0
	/*
	 *  mm/mprotect.c
	 *
	 *  (C) Copyright 1994 Linus Torvalds
	 *  (C) Copyright 2002 Christoph Hellwig
	 *
	 *  Address space accounting code	<alan@lxorguk.ukuu.org.uk>
	 *  (C) Copyright 2002 Red Hat Inc, All Rights Reserved
	 */

	#include <linux/pagewalk.h>
EOF
git -C "$t" init -q && git -C "$t" add -A &&
	git -C "$t" -c user.email=t@t -c user.name=t commit -qm tree
sum0=$(cd "$t" && find . -path ./.git -prune -o -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum)
ent0=$(entries)
NB_KCACHE=$cache "$K" --tree "$t" --patch "$fix/bad-hunk.patch" > /dev/null 2> "$tmp/err"
rc=$?
grep -q "patch $fix/bad-hunk.patch does not apply" "$tmp/err" && grep -q 'patching file mm/mprotect.c' "$tmp/err" &&
	grep -q 'Hunk #1 FAILED at 7' "$tmp/err" && grep -qF -- '- *  (C) Copyright 2002 No Such Line' "$tmp/err"
named=$?
sum1=$(cd "$t" && find . -path ./.git -prune -o -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum)
ok "$((rc != 2 || named || $([[ $sum0 == "$sum1" && $(entries) == "$ent0" ]]; echo $?)))" \
	"--tree with a patch that does not apply: exit $rc (2 wanted), patch, file and hunk named, tree and cache unchanged"
((rc == 2 && named == 0)) || show "$tmp/err"
NB_KCACHE=$cache "$K" --tree "$t" --patch "$fix/0001-example-comment.patch" > /dev/null 2> "$tmp/err"
rc=$?
sum1=$(cd "$t" && find . -path ./.git -prune -o -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum)
grep -q 'applying 0001-example-comment.patch' "$tmp/err" && ! grep -q 'does not apply' "$tmp/err"
applied=$?
ok "$((rc != 1 || applied || $([[ $sum0 == "$sum1" && $(entries) == "$ent0" ]]; echo $?)))" \
	"--tree: a patch that applies changes the copy only; a failed build (no Kconfig) exits $rc (1 wanted), leaves no entry"
((rc == 1 && applied == 0)) || show "$tmp/err"

# --- the benchmarking kernel ---
t0=$SECONDS
# A cold build takes many minutes: its progress shows as TAP comments.
"$K" --source "$src" --print-vm-args 2>&1 > "$tmp/args" | tee "$tmp/err" | sed -u 's/^/# /'
rc=${PIPESTATUS[0]} secs=$((SECONDS - t0))
read -r _ img _ kdir < "$tmp/args"
how=found
grep -q 'kernel: built ' "$tmp/err" && how=built
missing=""
for f in "$img" "$kdir/Module.symvers" "$kdir/modules.builtin" "$kdir/.notibench-label"; do
	[[ -f $f ]] || missing+=" ${f##*/}"
done
grep -qx 'CONFIG_IDLE_PAGE_TRACKING=y' "$kdir/.config" 2>/dev/null || missing+=" CONFIG_IDLE_PAGE_TRACKING"
ok "$((rc || ${#missing}))" "scripts/kernel --source $src: $how in $secs s (exit $rc), bzImage, Module.symvers, modules.builtin, label $(cat "$kdir/.notibench-label" 2>/dev/null)${missing:+; missing:$missing}"
((rc)) && show "$tmp/err" 30
if ((rc)); then
	echo "1..$n"
	exit 1
fi
grep '^built ' "$kdir/.notibench-kernel" | sed 's/^/# /'

t0=$SECONDS
"$K" --source "$src" --print-vm-args > "$tmp/args2" 2> "$tmp/err"
rc=$? secs=$((SECONDS - t0))
ok "$((rc || secs > 30 || $(grep -c 'kernel: built\|building' "$tmp/err")))" \
	"a second run finds it in $secs s (30 at most), builds nothing, same directory: $(cmp -s "$tmp/args" "$tmp/args2" && echo yes || echo NO)"
cmp -s "$tmp/args" "$tmp/args2" || ok 1 "the second run's arguments differ: $(cat "$tmp/args2")"

make -s -C "$root" kmod KDIR="$kdir" KMOD_OUT="$tmp/kmod" > "$tmp/kmod.out" 2>&1
rc=$?
[[ -f $tmp/kmod/notibench.ko ]] && ! grep -q 'WARNING: modpost' "$tmp/kmod.out"
ok "$((rc || $?))" "notibench.ko builds against it (make kmod KDIR=...: exit $rc, no modpost warning)"
((rc)) && show "$tmp/kmod.out"

# --- an option the config drops ---
printf 'CONFIG_NB_NO_SUCH_OPTION=y\n# CONFIG_TMPFS is not set\n' > "$tmp/drop.config"
ent0=$(entries)
"$K" --source "$src" --config "$tmp/drop.config" > /dev/null 2> "$tmp/err"
rc=$?
grep -q 'drop.config asks for CONFIG_NB_NO_SUCH_OPTION=y' "$tmp/err"
ok "$((rc != 2 || $? || $([[ $(entries) == "$ent0" ]]; echo $?)))" \
	"a fragment option the config drops: exit $rc (2 wanted), named, no cache entry left"
((rc == 2)) || show "$tmp/err"

# --- a patch that does not apply to the real source ---
"$K" --source "$src" --patch "$fix/bad-hunk.patch" > /dev/null 2> "$tmp/err"
rc=$?
grep -q 'bad-hunk.patch does not apply' "$tmp/err" && grep -q 'Hunk #1 FAILED' "$tmp/err"
ok "$((rc != 2 || $? || $([[ $(entries) == "$ent0" ]]; echo $?)))" \
	"--source $src --patch bad-hunk.patch: exit $rc (2 wanted), hunk named, no cache entry left"

# --- the other kernels tests/run boots ---
for s in ${srcs#"$src"}; do
	t0=$SECONDS
	"$K" --source "$s" > /dev/null 2> "$tmp/err"
	rc=$?
	ok "$rc" "scripts/kernel --source $s: exit $rc in $((SECONDS - t0)) s"
	((rc)) && show "$tmp/err" 30
done

# --- the debug kernel (scripts/kernel --config debug) tests/run boots for
# kmod_test, bench_test, kvm_test, fuzz_test and tests/vm/debug_test.sh ---
dsrc=${NB_DEBUG_KERNEL:-$src}
if [[ $dsrc != none ]]; then
	t0=$SECONDS
	"$K" --source "$dsrc" --config debug --print-dir 2>&1 > "$tmp/ddir" | tee "$tmp/err" | sed -u 's/^/# /'
	rc=${PIPESTATUS[0]} secs=$((SECONDS - t0))
	ddir=$(cat "$tmp/ddir")
	how=found
	grep -q 'kernel: built ' "$tmp/err" && how=built
	missing=""
	for o in KASAN PROVE_LOCKING PROVE_RCU DEBUG_ATOMIC_SLEEP DEBUG_KMEMLEAK DEBUG_VM UBSAN LKDTM; do
		grep -qx "CONFIG_$o=y" "$ddir/.config" 2>/dev/null || missing+=" CONFIG_$o"
	done
	ok "$((rc || ${#missing}))" "scripts/kernel --source $dsrc --config debug: $how in $secs s (exit $rc), label $(cat "$ddir/.notibench-label" 2>/dev/null)${missing:+; missing:$missing}"
	((rc)) && show "$tmp/err" 30
	[[ -f $ddir/.notibench-kernel ]] && grep '^built ' "$ddir/.notibench-kernel" | sed 's/^/# /'
fi

# --- a patched variant, built from the base's objects ---
nonce=$$.$RANDOM
sed "s/which changes no code\./which changes no code ($nonce)./" "$fix/0001-example-comment.patch" \
	> "$tmp/0001-example-comment.patch"
t0=$SECONDS
"$K" --source "$src" --patch "$tmp/0001-example-comment.patch" --label "$src+example-$nonce" \
	--print-dir > "$tmp/vdir" 2> "$tmp/err"
rc=$? secs=$((SECONDS - t0))
vdir=$(cat "$tmp/vdir")
info=$vdir/.notibench-kernel
cc=$(sed -n 's/^built .* \([0-9]*\) files compiled.*/\1/p' "$info" 2>/dev/null)
grep -qx "base ${kdir##*/}" "$info" 2>/dev/null && [[ -n $cc ]] && ((cc <= 50)) &&
	grep -q 'notibench: an example patch' "$vdir/mm/mprotect.c" &&
	! grep -q 'notibench: an example patch' "$kdir/mm/mprotect.c" &&
	[[ $(cat "$vdir/.notibench-label") == "$src+example-$nonce" ]]
ok "$((rc || $?))" "a patched variant: exit $rc in $secs s, from the base's objects, ${cc:-?} files compiled (50 at most), label $src+example-$nonce, base untouched"
((rc)) && show "$tmp/err" 30
[[ -f $info ]] && grep '^built ' "$info" | sed 's/^/# /'
# Each run builds its own variant; the cache keeps only the base.
[[ -n $vdir && $vdir != "$kdir" && -d $vdir ]] && rm -rf "$vdir"
rm -f "$cache/$src+example-$nonce"

echo "1..$n"
exit $((failed > 0))
