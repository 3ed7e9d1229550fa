#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# TAP: the module packaged for DKMS. `make install DESTDIR= PREFIX=<tmp>` puts
# its sources with dkms.conf under /usr/src/notibench-<version> and runs `dkms
# add`; then `dkms build` and `dkms install` for the installed headers of 6.1
# and 6.12 (the .ko in /lib/modules/<release>/updates/dkms, its vermagic that
# release's, its version the one `notibench --version` reports), and `dkms
# remove --all`. Loading it needs a kernel with module support: that is
# tests/guest/dkms_test, in the full Debian guest. Everything this test adds
# (/usr/src, /var/lib/dkms, /lib/modules/<release>: files depmod wrote) is
# removed or put back, also when it fails.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tests/lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"

echo "TAP version 13"
# tests/guest/dkms_test (the full guest's: modprobe, the benchmark) skips
# here, each time with its reason.
g=$root/tests/guest/dkms_test
if [[ -e /proc/modules ]] || ! command -v dkms > /dev/null; then
	skip "tests/guest/dkms_test skips without /proc/modules" "this host loads modules, or has no dkms"
else
	out=$("$g" 2>&1)
	rc=$?
	[[ $rc == 0 && $out == *"# SKIP no /proc/modules: this kernel"* && $out == *"1..1" ]]
	ok $? "tests/guest/dkms_test without /proc/modules: one SKIP with the reason, exit $rc"
fi
if [[ -n $(PATH=/usr/bin:/bin command -v dkms) ]]; then
	skip "tests/guest/dkms_test skips without dkms" "dkms is in /usr/bin here: cannot hide it"
else
	# Without /usr/sbin in PATH (dkms's place on Debian): dkms is its first check.
	out=$(PATH=/usr/bin:/bin "$g" 2>&1)
	rc=$?
	[[ $rc == 0 && $out == *"# SKIP no dkms command"* && $out == *"1..1" ]]
	ok $? "tests/guest/dkms_test without dkms: one SKIP with the reason, exit $rc"
fi
ver=$(sed -n 's/^#define NB_MODULE_VERSION[[:space:]]*"\(.*\)"$/\1/p' "$root/kmod/nb.h")
src=/usr/src/notibench-$ver
# skip_all REASON: the whole test is a host property here.
skip_all() { skip "dkms: build, install and remove notibench/$ver" "$1"; echo "1..$n"; exit 0; }
((EUID == 0)) || skip_all "not root (DKMS writes /usr/src, /var/lib/dkms, /lib/modules)"
command -v dkms > /dev/null || skip_all "no dkms command (scripts/deps installs it)"
[[ -n $ver ]] || { ok 1 "kmod/nb.h defines NB_MODULE_VERSION"; echo "1..$n"; exit 1; }
# Someone's own installation is not ours to remove.
[[ ! -e $src ]] || skip_all "$src exists already (an installed notibench: not touched)"
[[ -z $(dkms status -m notibench 2> /dev/null) ]] || skip_all "notibench is registered with DKMS already: not touched"

# The newest installed headers of each series.
rels=()
for s in 6.1 6.12; do
	r=$(find /lib/modules -mindepth 1 -maxdepth 1 -name "$s.*" -printf '%f\n' 2> /dev/null | sort -V |
		while read -r x; do [[ -e /lib/modules/$x/build/Makefile ]] && echo "$x"; done | tail -n 1)
	if [[ -n $r ]]; then rels+=("$r"); else skip "dkms build for $s" "no $s headers in /lib/modules/$s.*/build (scripts/deps)"; fi
done

tmp=$(mktemp -d)
# What /var/lib/dkms and each /lib/modules/<release> held before, and depmod's
# files as they were: put back by cleanup.
ls -A /var/lib/dkms > "$tmp/dkms.before" 2> /dev/null
for r in "${rels[@]}"; do
	mkdir -p "$tmp/mod/$r"
	ls -A "/lib/modules/$r" > "$tmp/mod/$r.before"
	cp -p "/lib/modules/$r"/modules.* "$tmp/mod/$r/" 2> /dev/null
done
cleanup() {
	[[ -n $(dkms status -m notibench -v "$ver" 2> /dev/null) ]] &&
		dkms remove "notibench/$ver" --all > "$tmp/cleanup.log" 2>&1
	rm -rf "$src" "/var/lib/dkms/notibench"
	local f
	while read -r f; do
		grep -qxF "$f" "$tmp/dkms.before" 2> /dev/null || rm -rf "/var/lib/dkms/${f:?}"
	done < <(ls -A /var/lib/dkms 2> /dev/null)
	for r in "${rels[@]}"; do
		while read -r f; do
			grep -qxF "$f" "$tmp/mod/$r.before" || rm -rf "/lib/modules/$r/${f:?}"
		done < <(ls -A "/lib/modules/$r")
		cp -p "$tmp/mod/$r"/modules.* "/lib/modules/$r/" 2> /dev/null
	done
	return 0
}
trap 'cleanup; rm -rf "$tmp"' EXIT

# fail_log LOG: its last lines as TAP comments.
fail_log() { tail -n 25 "$1" | diag; }

make -s -C "$root" install DESTDIR= PREFIX="$tmp/prefix" > "$tmp/install.log" 2>&1
rc=$?
ok $rc "make install DESTDIR= PREFIX=<tmp>: the module's sources in $src"
((rc == 0)) || fail_log "$tmp/install.log"
missing=""
for f in dkms.conf Kbuild nb_main.c nb.h nb_insn.h probe.sh probes/NB_HAVE_CHANGE_PTE.c \
	include/notibench.h; do
	[[ -e $src/$f ]] || missing+=" $f"
done
ok "$([[ -z $missing ]]; echo $?)" "$src holds dkms.conf, Kbuild, the sources, probes, probe.sh and the ABI header${missing:+ (missing:$missing)}"
nbv=$("$tmp/prefix/bin/notibench" --version 2> /dev/null | awk 'NR == 1 { print $2 }')
grep -qx "PACKAGE_VERSION=\"$ver\"" "$src/dkms.conf" && [[ $nbv == "$ver" ]]
ok $? "one version: dkms.conf's PACKAGE_VERSION, notibench --version ($nbv) and kmod/nb.h ($ver)"
dkms status -m notibench -v "$ver" 2> /dev/null | grep -q "^notibench/$ver: added"
ok $? "make install registered it: dkms status says notibench/$ver: added"

for r in "${rels[@]}"; do
	dkms build -m notibench -v "$ver" -k "$r" > "$tmp/build-$r.log" 2>&1
	rc=$?
	ok $rc "dkms build -k $r"
	((rc == 0)) || { fail_log "$tmp/build-$r.log"; fail_log "/var/lib/dkms/notibench/$ver/build/make.log" 2> /dev/null; }
	dkms install -m notibench -v "$ver" -k "$r" > "$tmp/install-$r.log" 2>&1
	rc=$?
	ok $rc "dkms install -k $r"
	((rc == 0)) || fail_log "$tmp/install-$r.log"
	ko=$(find "/lib/modules/$r/updates/dkms" -name 'notibench.ko*' 2> /dev/null | head -n 1)
	vm=$(modinfo -F vermagic "$ko" 2> /dev/null) mv=$(modinfo -F version "$ko" 2> /dev/null)
	[[ -n $ko && $vm == "$r "* && $mv == "$ver" ]]
	ok $? "$r: ${ko:-no notibench.ko in /lib/modules/$r/updates/dkms}, vermagic '$vm', version '$mv'"
	dkms status -m notibench -v "$ver" -k "$r" 2> /dev/null | grep -q ": installed"
	ok $? "$r: dkms status says installed"
done

dkms remove "notibench/$ver" --all > "$tmp/remove.log" 2>&1
rc=$?
ok $rc "dkms remove notibench/$ver --all"
((rc == 0)) || fail_log "$tmp/remove.log"
left=""
for r in "${rels[@]}"; do
	[[ -z $(find "/lib/modules/$r/updates/dkms" -name 'notibench.ko*' 2> /dev/null) ]] || left+=" /lib/modules/$r/updates/dkms"
done
[[ -z $(dkms status -m notibench 2> /dev/null) ]] || left+=" (dkms status)"
ok "$([[ -z $left ]]; echo $?)" "removed: no notibench.ko left, dkms status empty${left:+ (left:$left)}"

cleanup
left=""
[[ ! -e $src ]] || left+=" $src"
[[ ! -e /var/lib/dkms/notibench ]] || left+=" /var/lib/dkms/notibench"
for r in "${rels[@]}"; do
	[[ $(ls -A "/lib/modules/$r") == "$(cat "$tmp/mod/$r.before")" ]] || left+=" /lib/modules/$r"
	for f in "$tmp/mod/$r"/modules.*; do
		[[ -e $f ]] || continue
		cmp -s "$f" "/lib/modules/$r/${f##*/}" || left+=" /lib/modules/$r/${f##*/}"
	done
done
ok "$([[ -z $left ]]; echo $?)" "cleaned up: /usr/src, /var/lib/dkms and /lib/modules as before${left:+ (differs:$left)}"
echo "1..$n"
exit $((failed > 0))
