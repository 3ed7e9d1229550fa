# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Bash completion for notibench (installed as
# share/bash-completion/completions/notibench). What it offers comes from the
# binary being completed, asked once per shell: the commands from `--help`,
# the benchmarks from `list`, each benchmark's options, their choices and the
# backend specs (none, kvm[,guest=...], kmod:<model>[,param=...]) from
# `run B --help`, restore's and export's options from their usage lines. It
# needs nothing from the bash-completion package.

declare -gA _nb_cache=()

# _nb_ask BIN ARG...: BIN's stdout for ARG..., cached; empty when it fails.
_nb_ask() {
	local key="$*"
	[[ -v _nb_cache[$key] ]] || _nb_cache[$key]=$("$@" 2> /dev/null)
	printf '%s\n' "${_nb_cache[$key]}"
}

# _nb_commands BIN: the commands of `BIN --help` (its "commands:" section).
_nb_commands() {
	_nb_ask "$1" --help | awk '/^commands:/ { c = 1; next } c && /^$/ { c = 0 }
		c && /^  [a-z]/ { print $1 }'
}

# _nb_run_opts BIN B: the options of `BIN run B --help`.
_nb_run_opts() {
	_nb_ask "$1" run "$2" --help | awk '/^  --[a-z]/ { print $1 }'
}

# _nb_choices BIN B OPT: the values of a CHOICE option ("one of: ..." below it).
_nb_choices() {
	_nb_ask "$1" run "$2" --help | awk -v o="$3" '$1 == o { f = 1; next }
		f && /one of:/ { sub(/.*one of: */, ""); print; exit } f && /^  --/ { exit }'
}

# _nb_backends BIN B CUR: backend specs for CUR from the --backend paragraph of
# `BIN run B --help`: its grammar line (none | kvm[,guest=a|b] | kmod:<model>
# [,param=...]...) and its "models:" list.
_nb_backends() {
	_nb_ask "$1" run "$2" --help | awk -v cur="$3" '
	$1 == "--backend" { f = 1; next }
	f && /^  --/ { exit }
	f && /models:/ { s = $0; sub(/.*models: */, "", s); sub(/;.*/, "", s); nm = split(s, models, " ") }
	f { g = g " " $0 }
	END {
		# kvm[,guest=auto|on|off] and the [,name=...] parameters of kmod.
		if (match(g, /kvm\[,[a-z_]+=[^]]*\]/)) {
			s = substr(g, RSTART + 5, RLENGTH - 6); split(s, kv, "=")
			nv = split(kv[2], v, "|")
			for (i = 1; i <= nv; i++) kvm[i] = "kvm," kv[1] "=" v[i]
		}
		s = g; np = 0
		while (match(s, /\[,[a-z_]+=[^]]*\]/)) {
			p = substr(s, RSTART + 2, RLENGTH - 3); s = substr(s, RSTART + RLENGTH)
			split(p, kv, "=")
			if (kv[1] == "guest") continue
			if (kv[2] ~ /\|/) { nv = split(kv[2], v, "|"); for (i = 1; i <= nv; i++) par[++np] = kv[1] "=" v[i] }
			else par[++np] = kv[1] "="
		}
		# kmod:MODEL[,...]: the parameters after what is already written.
		if (match(cur, /^kmod:[a-z_]+/)) {
			m = substr(cur, 6, RLENGTH - 5)
			for (i = 1; i <= nm; i++) if (models[i] == m) known = 1
			base = cur
			if (cur ~ /,/) sub(/,[^,]*$/, "", base)
			for (i = 1; known && i <= np; i++) print base "," par[i]
		}
		print "none"; print "kvm"
		for (i in kvm) print kvm[i]
		for (i = 1; i <= nm; i++) print "kmod:" models[i]
	}'
}

_nb_complete() {
	local bin=${COMP_WORDS[0]} line=${COMP_LINE:0:COMP_POINT}
	local cur=${line##*[[:space:]]} w=${COMP_WORDS[COMP_CWORD]}
	local -a words cands=()
	local cmd="" bench="" prev=""
	# Whole words by white space: bash also breaks them at ':' and '='.
	read -ra words <<< "${line%"$cur"}"
	((${#words[@]} > 1)) && cmd=${words[1]}
	((${#words[@]} > 2)) && bench=${words[2]}
	((${#words[@]})) && prev=${words[-1]}
	bin=$(type -P "$bin" 2> /dev/null || printf '%s' "$bin")
	[[ -x $bin ]] || return 0

	if ((${#words[@]} == 1)); then
		mapfile -t cands < <(_nb_commands "$bin"; printf '%s\n' --help --version)
	else
		case $cmd in
		run)
			if ((${#words[@]} == 2)); then
				mapfile -t cands < <(_nb_ask "$bin" list | awk '{ print $1 }')
			elif [[ $prev == --backend ]]; then
				mapfile -t cands < <(_nb_backends "$bin" "$bench" "$cur")
			elif [[ $prev == --out ]]; then
				mapfile -t cands < <(compgen -d -- "$cur")
			elif [[ $prev == --* ]] && [[ -n $(_nb_choices "$bin" "$bench" "$prev") ]]; then
				read -ra cands <<< "$(_nb_choices "$bin" "$bench" "$prev")"
			elif [[ $prev != --* || $(_nb_ask "$bin" run "$bench" --help) != *$'\n'"  $prev "[A-Z]* ]]; then
				# Not after an option that takes a value (its help says "--opt VALUE").
				mapfile -t cands < <(_nb_run_opts "$bin" "$bench")
			fi ;;
		restore)
			mapfile -t cands < <(_nb_ask "$bin" --help | awk '$1 == "restore" {
				for (i = 2; i <= NF; i++) if ($i ~ /^\[--/) { gsub(/[][]/, "", $i); print $i } }') ;;
		export)
			case $prev in
			--format)
				mapfile -t cands < <(_nb_ask "$bin" export --help |
					awk '/^usage:/ && match($0, /--format [^] ]*/) {
						n = split(substr($0, RSTART + 9, RLENGTH - 9), v, "|"); for (i = 1; i <= n; i++) print v[i] }') ;;
			--out) mapfile -t cands < <(compgen -f -- "$cur") ;;
			*)
				if [[ $cur == -* ]]; then
					mapfile -t cands < <(_nb_ask "$bin" export --help |
						awk '/^usage:/ { for (i = 1; i <= NF; i++) if ($i ~ /^\[--/) { gsub(/[][]/, "", $i); print $i } }')
				else
					mapfile -t cands < <(compgen -f -- "$cur")
				fi ;;
			esac ;;
		esac
	fi
	mapfile -t COMPREPLY < <(for c in "${cands[@]}"; do [[ $c == "$cur"* ]] && printf '%s\n' "$c"; done | sort -u)
	# bash replaces only its own last word (after a ':' or '='): drop what precedes it.
	local pre=${cur%"$w"}
	[[ $cur == *"$w" && -n $pre ]] && COMPREPLY=("${COMPREPLY[@]#"$pre"}")
	# A spec or parameter still being written takes no space after it.
	[[ $prev == --backend ]] && compopt -o nospace 2> /dev/null
	return 0
}

complete -F _nb_complete notibench
