#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# TAP: `make install DESTDIR=<tmp> PREFIX=/usr` lays out the binary, the ABI
# header, the module's sources and the tools, their man pages, the bash
# completion and the DKMS tree (usr/src/notibench-<version>, not registered:
# DESTDIR is set), and the installed tools work from there on results/example
# (summary, plot's script, compare, bench/all's matrix with the installed
# notibench beside it), each naming itself in --help and --version.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
d=$tmp/dest p=$tmp/dest/usr
n=0 failed=0
# shellcheck source=tests/lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"

echo "TAP version 13"
make -s -C "$root" install DESTDIR="$d" PREFIX=/usr > "$tmp/make.out" 2>&1
ok $? "make install DESTDIR=... PREFIX=/usr"
missing=""
for f in bin/notibench bin/notibench-all bin/notibench-compare bin/notibench-plot \
	bin/notibench-summary include/notibench.h share/notibench/include/notibench.h \
	share/notibench/kmod/nb_main.c share/notibench/kmod/probe.sh \
	share/notibench/scripts/plot share/notibench/scripts/lib/plan.awk \
	share/notibench/scripts/lib/runs.sh share/bash-completion/completions/notibench \
	share/man/man1/notibench.1 share/man/man1/notibench-all.1 share/man/man1/notibench-compare.1 \
	share/man/man1/notibench-plot.1 share/man/man1/notibench-summary.1; do
	[[ -e $p/$f ]] || missing+=" $f"
done
ok "$([[ -z $missing ]]; echo $?)" "installed files present${missing:+ (missing:$missing)}"
grep -qx "exec /usr/share/notibench/scripts/plot \"\$@\"" "$p/bin/notibench-plot"
ok $? "notibench-plot runs the installed scripts/plot"
ver=$(sed -n 's/^#define NB_MODULE_VERSION[[:space:]]*"\(.*\)"$/\1/p' "$root/kmod/nb.h")
k=$d/usr/src/notibench-$ver
missing=""
for f in dkms.conf Kbuild nb_main.c nb.h nb_insn.h probe.sh include/notibench.h; do
	[[ -e $k/$f ]] || missing+=" $f"
done
[[ -z $missing ]] && compgen -G "$k/probes/*.c" > /dev/null && [[ -x $k/probe.sh ]] &&
	grep -qx "PACKAGE_VERSION=\"$ver\"" "$k/dkms.conf" && ! grep -q '@VERSION@' "$k/dkms.conf"
ok $? "the DKMS tree: usr/src/notibench-$ver with dkms.conf (PACKAGE_VERSION $ver), sources, probes${missing:+ (missing:$missing)}"
if command -v dkms > /dev/null; then
	[[ -z $(dkms status -m notibench -v "$ver" 2> /dev/null) ]] || [[ -e /usr/src/notibench-$ver ]]
	ok $? "with DESTDIR set, nothing was registered with DKMS"
else
	skip "with DESTDIR set, nothing was registered with DKMS" "no dkms command"
fi
# Each installed tool names itself: --help's usage line and --version.
# The wrappers exec /usr/share/...: run copies that exec what DESTDIR holds.
for t in notibench-plot notibench-summary; do
	sed "s|^exec /usr/|exec $p/|" "$p/bin/$t" > "$tmp/$t" && chmod +x "$tmp/$t"
done
for t in notibench notibench-all notibench-compare notibench-plot notibench-summary; do
	b=$p/bin/$t
	[[ -x $tmp/$t ]] && b=$tmp/$t
	h=$("$b" --help 2>&1) v=$("$b" --version 2>&1)
	grep -q "^usage: $t " <<< "$h" && ! grep -qE "^(usage: |       )(bench/all|scripts/|compare )" <<< "$h" &&
		[[ $v == "$t $ver"* ]]
	ok $? "$t --help says 'usage: $t ...', --version '$t $ver' (got '$(head -n 1 <<< "$v")')"
done
ex=$root/results/example
"$p/share/notibench/scripts/summary" "$ex" > "$tmp/sum.out" 2>&1 && grep -q '^mprotect-sparse1g-64G-toggle ' "$tmp/sum.out"
ok $? "the installed summary reads results/example"
runs=("$ex"/qemu-6.1.0-*/ "$ex"/qemu-6.12.*/)
"$p/bin/notibench-compare" "${runs[@]}" > "$tmp/cmp.out" 2>&1
rc=$?
((rc == 0 || rc == 1)) && grep -q '^Result: ' "$tmp/cmp.out"
ok $? "the installed notibench-compare compares two example runs (exit $rc)"
"$p/bin/notibench-all" --list --quick > "$tmp/list.out" 2>&1 && grep -q '^mprotect-dense4k-4K-toggle ' "$tmp/list.out"
ok $? "the installed notibench-all lists its matrix"
echo "1..$n"
exit $((failed > 0))
