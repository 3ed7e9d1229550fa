#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# TAP: notibench's bash completion (scripts/completion/notibench.bash), sourced
# in bash and called as bash calls it (COMP_WORDS split at ':' and '=' like
# bash's COMP_WORDBREAKS) for build/notibench: commands, benchmarks, options,
# a choice's values and backend specs, all as the binary's own output says.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tests/lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"

echo "TAP version 13"
make -s -C "$root" build/notibench > /dev/null 2>&1
ok $? "make build/notibench"
PATH=$root/build:$PATH
# shellcheck source=scripts/completion/notibench.bash
. "$root/scripts/completion/notibench.bash"
complete -p notibench 2> /dev/null | grep -q -- '-F _nb_complete notibench$'
ok $? "sourcing it registers a completion for notibench"

# comp LINE: COMPREPLY for LINE (the cursor at its end), sorted, on one line.
comp() {
	local line=$1 rest w
	COMP_LINE=$line COMP_POINT=${#line} COMP_WORDS=() COMPREPLY=()
	rest=$line
	# bash's split: white space separates, ':' and '=' are words of their own.
	while [[ -n $rest ]]; do
		rest=${rest#"${rest%%[! ]*}"}
		[[ -z $rest ]] && break
		if [[ $rest == [:=]* ]]; then w=${rest:0:1}; else w=${rest%%[ :=]*}; fi
		COMP_WORDS+=("$w") rest=${rest:${#w}}
	done
	[[ $line == *" " ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	_nb_complete
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}
# check LINE WANT DESCRIPTION: the completions of LINE include every word of WANT.
check() {
	local got missing="" x
	got=" $(comp "$1") "
	for x in $2; do [[ $got == *" $x "* ]] || missing+=" $x"; done
	ok "$([[ -z $missing ]]; echo $?)" "$3: '$1' offers $2${missing:+ (missing:$missing; got:$got)}"
}

nb=$root/build/notibench
cmds=$("$nb" --help | awk '/^commands:/ { c = 1; next } c && /^  [a-z]/ { print $1 }' | tr '\n' ' ')
check "notibench " "$cmds --help --version" "the commands of --help"
[[ $(comp "notibench re") == restore ]]
ok $? "'notibench re' completes to restore only (got '$(comp "notibench re")')"
benches=$("$nb" list | awk '{ print $1 }' | tr '\n' ' ')
check "notibench run " "$benches" "the benchmarks of notibench list"
[[ $(comp "notibench run mpr") == mprotect ]]
ok $? "'notibench run mpr' completes to mprotect"
check "notibench run mprotect --" "--backend --samples --quick --out --cpu --layout --size" "run's options and mprotect's own"
check "notibench run zap --" "--backend --quick" "zap's options"
[[ " $(comp "notibench run zap --") " == *" --submit "* && " $(comp "notibench run mprotect --") " != *" --submit "* ]]
ok $? "zap's --submit is offered for zap, not for mprotect"
check "notibench run cow --quick --" "--backend --samples" "options again after a flag"
[[ -z $(comp "notibench run cow --samples ") ]]
ok $? "nothing after an option that takes a number"
layouts=$("$nb" run mprotect --help | awk '$1 == "--layout" { f = 1; next } f && /one of:/ { sub(/.*one of: */, ""); print; exit }')
[[ -n $layouts ]] && check "notibench run mprotect --layout " "$layouts" "a choice's values (mprotect --layout)"
check "notibench run mprotect --backend " "none kvm kvm,guest=off kmod:spin kmod:insn kmod:count" "backend specs"
[[ $(comp "notibench run cow --backend kmod:spin_r") == spin_range ]]
ok $? "'--backend kmod:spin_r' completes to spin_range after bash's ':' (got '$(comp "notibench run cow --backend kmod:spin_r")')"
check "notibench run cow --backend kmod:spin," "spin,ns= spin,k= spin,ring=0" "a kmod model's parameters"
check "notibench run cow --backend kmod:spin,ns=5,mode=" "=ops =interval" "mode's values after bash's '='"
[[ -z $(comp "notibench run cow --backend kmod:nosuch,") ]]
ok $? "no parameters for a model the binary does not name"
check "notibench restore --" "--no-wait --quiet" "restore's options"
check "notibench export --format " "csv json" "export --format's values"
[[ -z $(comp "notibench traits ") ]]
ok $? "traits takes nothing"
[[ -z $(comp "/nonexistent/notibench ") ]]
ok $? "no binary, no completions (and no error)"
echo "1..$n"
exit $((failed > 0))
