#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# TAP: the man pages of the installed tools (build/man/, `make man`), made by
# help2man from each tool's own --help and --version: `man -l` renders each;
# its NAME and SYNOPSIS name the tool as installed, one option of the tool's
# --help as it is now is in the page, and the footer carries --version's
# version. A page built from an older --help fails here, and make rebuilds
# it when the tool changes.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tests/lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"

echo "TAP version 13"
if ! command -v help2man > /dev/null || ! command -v man > /dev/null; then
	skip "man pages" "no help2man or man (scripts/deps installs help2man and man-db)"
	echo "1..$n"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
make -s -C "$root" man > "$tmp/make.out" 2>&1
rc=$?
ok $rc "make man"
((rc == 0)) || diag "$tmp/make.out"
ver=$(sed -n 's/^#define NB_MODULE_VERSION[[:space:]]*"\(.*\)"$/\1/p' "$root/kmod/nb.h")

# tool NAME PROG: NAME's page against PROG's --help (run as the wrapper runs it).
tool() {
	local name=$1 prog=$2 page=$root/build/man/$1.1 opt syn
	if [[ ! -s $page ]]; then
		ok 1 "$name: build/man/$name.1 made"
		return
	fi
	LC_ALL=C MANWIDTH=100 MANPAGER=cat man -l "$page" > "$tmp/$name.txt" 2> "$tmp/$name.err"
	ok $? "$name: man -l build/man/$name.1 renders"
	grep -q "^NAME" "$tmp/$name.txt" && grep -A1 "^NAME" "$tmp/$name.txt" | grep -qE "^ +$name - [a-z]"
	ok $? "$name: NAME says '$name - ...'"
	syn=$(sed -n '/^SYNOPSIS/,/^[A-Z]/p' "$tmp/$name.txt")
	grep -qE "^ +$name( |$)" <<< "$syn" && ! grep -qE "bench/all|scripts/" <<< "$syn"
	ok $? "$name: SYNOPSIS names $name (as installed)"
	# The last option of --help (it comes after most of the text), or the last
	# command for notibench, whose options are commands.
	NB_PROG=$name NB_COMPARE_NAME=$name NOTIBENCH=$root/build/notibench "$prog" --help > "$tmp/$name.help"
	opt=$(grep -oE '^ +--[a-z][a-z-]+' "$tmp/$name.help" | tail -n 1 | tr -d ' ')
	[[ -n $opt ]] || opt=$(grep -oE '^  [a-z][a-z-]+' "$tmp/$name.help" | tail -n 1 | tr -d ' ')
	[[ -n $opt ]] && grep -qE -- "(^|[^a-z-])$opt([^a-z-]|$)" "$tmp/$name.txt"
	ok $? "$name: the page has '${opt:-?}' from its --help"
	tail -n 1 "$tmp/$name.txt" | grep -qE "^$name $ver "
	ok $? "$name: the footer has '$name $ver' (from --version)"
}
tool notibench "$root/build/notibench"
tool notibench-all "$root/bench/all"
tool notibench-compare "$root/build/notibench-compare"
tool notibench-plot "$root/scripts/plot"
tool notibench-summary "$root/scripts/summary"
echo "1..$n"
exit $((failed > 0))
