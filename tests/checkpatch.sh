#!/bin/bash
# TAP: the module's sources pass checkpatch.pl --strict from Debian's
# linux-source tarball (scripts/deps installs linux-source-6.1).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache=$root/build/checkpatch
tarball=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -n 1)

echo "TAP version 13"
if [[ ! -x $cache/scripts/checkpatch.pl ]]; then
	if [[ -z $tarball ]]; then
		echo "1..0 # SKIP no /usr/src/linux-source-*.tar.xz (run scripts/deps)"
		exit 4
	fi
	mkdir -p "$cache"
	top=$(basename "$tarball" .tar.xz)
	tar -xJf "$tarball" -C "$cache" --strip-components=1 \
		"$top/scripts/checkpatch.pl" "$top/scripts/spelling.txt" \
		"$top/scripts/const_structs.checkpatch" || exit 1
fi

cd "$root" || exit 1
# Sources only: not what Kbuild generates next to them.
files=(kmod/nb_*.c kmod/nb.h kmod/nb_insn.h kmod/probes/*.c)
echo "1..${#files[@]}"
n=0 fail=0
for f in "${files[@]}"; do
	n=$((n + 1))
	out=$("$cache/scripts/checkpatch.pl" --no-tree --strict --quiet -f "$f" 2>&1)
	if [[ -z $out ]]; then
		echo "ok $n - checkpatch --strict $f"
	else
		echo "not ok $n - checkpatch --strict $f"
		sed 's/^/# /' <<<"$out"
		fail=1
	fi
done
exit $fail
