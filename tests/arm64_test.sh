#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# TAP: make static ARCH=arm64 (issue 14), on the host: every guest program in
# build/arm64/static is an aarch64 static executable (insn_test among them:
# the host cannot single-step arm64 code) or a copy of its script, the tests
# in UBSan's trap mode as on x86, and the x86 build/static is left as it was.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tests/lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"
cd "$root" || exit 1

echo "TAP version 13"
for need in /usr/bin/aarch64-linux-gnu-gcc /usr/lib/aarch64-linux-gnu/liburing.a \
	/usr/lib/aarch64-linux-gnu/libnuma.a; do
	if [[ ! -e $need ]]; then
		echo "1..0 # SKIP no $need (scripts/deps arm64)"
		exit 4
	fi
done

x86=build/static a64=build/arm64/static
# The compiled programs, and the scripts copied as they are (tests/guest/, bench/all).
elfs=(kmod_test fuzz_test insn_test notibench vm-yield)
copies=(all bench_test kvm_test csvcheck csvcheck.awk)
sums() { (cd "$x86" 2>/dev/null && sha256sum -- * 2>/dev/null); }
before=$(sums)

out=$(nice make -s static ARCH=arm64 2>&1)
ok $? "make static ARCH=arm64"
grep -v -e getaddrinfo -e 'libnuma.a(affinity.o)' <<<"$out" | diag -

for p in "${elfs[@]}"; do
	type=$(file -b "$a64/$p" 2>&1)
	[[ $type == *"ARM aarch64"* && $type == *"statically linked"* ]]
	ok $? "$a64/$p is an aarch64 static executable (${type%%, BuildID*})"
done
for p in "${copies[@]}"; do
	src=tests/guest/$p
	[[ $p == all ]] && src=bench/all
	cmp -s "$src" "$a64/$p"
	ok $? "$a64/$p is $src"
done
# Every program of the x86 guest has its arm64 build (when x86's is built).
if [[ -d $x86 ]]; then
	extra=$(comm -23 <(ls "$x86") <(ls "$a64"))
	[[ -z $extra ]]
	ok $? "every program of $x86 is in $a64 too (missing: ${extra:-none})"
else
	skip "every program of $x86 is in $a64 too" "no $x86 (make static)"
fi
# Trap mode: a check is a brk, no call into libubsan's runtime.
for p in kmod_test fuzz_test insn_test; do
	handlers=$(aarch64-linux-gnu-nm "$a64/$p" 2>&1 | grep -c __ubsan_handle)
	traps=$(aarch64-linux-gnu-objdump -d "$a64/$p" | grep -c 'brk[[:space:]]*#0x3e8')
	[[ $handlers == 0 && $traps -gt 0 ]]
	ok $? "$p: UBSan in trap mode ($traps brk #0x3e8, $handlers __ubsan_handle symbols)"
done
[[ -f build/arm64/libperf/lib64/libperf.a ]] &&
	aarch64-linux-gnu-objdump -f build/arm64/libperf/lib64/libperf.a | grep -q 'elf64-littleaarch64'
ok $? "libperf is cross-built into build/arm64/libperf"

after=$(sums)
[[ $before == "$after" ]]
ok $? "the x86 $x86 is unchanged ($(wc -l <<<"$after") files, same sha256)"
if [[ -n $after ]]; then
	! file "$x86"/* | grep -q aarch64
	ok $? "no aarch64 file in $x86"
fi
echo "1..$n"
exit $((failed > 0))
