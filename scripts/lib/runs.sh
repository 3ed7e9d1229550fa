# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Finding the runs and CSVs scripts/plot and scripts/summary read. Results
# directories travel (tarballs, CI artifacts): their file names are data. A
# name with a control character (newline, tab, escape...) is refused, since
# no line- or tab-separated list could hold it; every path handed to awk is
# absolute or starts with ./ (awk takes an operand "name=value" as an
# assignment, and one starting with - as an option).
#
# nb_find_runs ARG...    sets runs[]: a CSV file, a run directory (run.meta or
#                        *.csv in it), or the run directories two levels
#                        below a directory (version order)
# nb_run_files RUN       sets files[]: RUN itself (a CSV), or its *.csv, sorted
# Both return 1 with the reason in nb_err.
# nb_meta_value FILE KEY prints "KEY: value" (run.meta) or "# KEY: value" (CSV),
#                        the first one, control characters removed.

nb_err=""

# nb_operand PATH: PATH as a safe awk operand.
nb_operand() {
	case $1 in
	/* | ./*) printf '%s' "$1" ;;
	*) printf './%s' "$1" ;;
	esac
}

# nb_check_name PATH: 1 (with nb_err) when PATH has a control character.
nb_check_name() {
	if [[ $1 == *[[:cntrl:]]* ]]; then
		nb_err="a file name with a control character (newline, tab, ...): $(printf '%q' "$1"); not reading it"
		return 1
	fi
}

nb_find_runs() {
	local a sub
	runs=()
	for a in "$@"; do
		nb_check_name "$a" || return 1
		if [[ -f $a && $a == *.csv ]]; then
			runs+=("$(nb_operand "$a")")
		elif [[ -d $a ]]; then
			if [[ -f $a/run.meta ]] || compgen -G "$a/*.csv" >/dev/null; then
				runs+=("$(nb_operand "${a%/}")")
			else
				mapfile -d '' -t sub < <(find "$(nb_operand "$a")" -mindepth 2 -maxdepth 3 \
					-name run.meta -printf '%h\0' | sort -zV)
				if ((${#sub[@]} == 0)); then
					nb_err="$a holds no notibench CSV and no run directory"
					return 1
				fi
				for a in "${sub[@]}"; do
					nb_check_name "$a" || return 1
					runs+=("$a")
				done
			fi
		else
			nb_err="no such run: $a"
			return 1
		fi
	done
}

nb_run_files() {
	local f
	if [[ -f $1 ]]; then
		files=("$1")
		return 0
	fi
	mapfile -d '' -t files < <(find "$1" -maxdepth 1 -name '*.csv' -print0 | sort -z)
	for f in "${files[@]}"; do
		nb_check_name "$f" || return 1
	done
}

nb_meta_value() {
	sed -n "s/^\\(# \\)\\{0,1\\}$2: //p" "$1" | head -n 1 | tr -d '[:cntrl:]'
}
