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
# nb_run_info RUN        (after nb_run_files RUN) sets run_rel, run_host,
#                        run_label (kernel_label, else the release; with
#                        " (ARCH)" after it off x86-64: uname -m) and
#                        run_unit: clock_unit, "ns" (wall clock; no key) or
#                        "insn" (exact mode: guest instructions), the same in
#                        run.meta and every CSV; returns 1 (nb_err) otherwise.
# nb_check_csvs NAME FILE...  validates the CSVs before any awk or gnuplot
#                        reads them, with the reader notibench-compare uses
#                        (bench/lib/csv_read.c: `notibench-compare --check`; no
#                        line over 64 KiB, numbers where numbers go, no file
#                        cut short); its messages ("NAME: FILE:LINE: reason")
#                        on stderr. 0, or 2 (bad data, or no checker: nb_err).
# nb_export RUN-ID FORMAT FILE...  the CSVs of one run through `notibench
#                        export --format FORMAT` (summary-tsv, histogram-tsv:
#                        the tables the scripts format) on stdout; 2 (nb_err)
#                        when there is no notibench to run.
# nb_notibench ARG...    `notibench ARG...` (that notibench: e.g. export
#                        --format tsv|meta, tables awk reads as data); 2
#                        (nb_err) when there is none.
# The callers set NB_ROOT; NB_COMPARE names another notibench-compare and
# NB_NOTIBENCH another notibench (else the source tree's build/, or the
# installed PREFIX/bin one).

# shellcheck disable=SC2034 # nb_err, runs, files and run_* are for the caller
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
	local a d sub
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
				for d in "${sub[@]}"; do
					nb_check_name "$d" || return 1
					runs+=("$d")
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

nb_check_csvs() {
	local name=$1 bin=${NB_COMPARE:-}
	shift
	nb_err=""
	if [[ -z $bin && -f $NB_ROOT/Makefile ]]; then
		# The source tree: built when missing or stale, as scripts/compare does.
		bin=$NB_ROOT/build/notibench-compare
		if ! make -s -C "$NB_ROOT" build/notibench-compare >/dev/null; then
			nb_err="cannot build $bin (make build/notibench-compare), which checks the CSVs"
			return 2
		fi
	elif [[ -z $bin ]]; then
		# Installed (make install): PREFIX/share/notibench/scripts beside PREFIX/bin.
		bin=$NB_ROOT/../../bin/notibench-compare
		[[ -x $bin ]] || bin=$(command -v notibench-compare) || bin=$NB_ROOT/../../bin/notibench-compare
	fi
	if [[ ! -x $bin ]]; then
		nb_err="$bin is missing: it checks the CSVs"
		return 2
	fi
	NB_COMPARE_NAME=$name "$bin" --check -- "$@" || return 2
}

nb_meta_value() {
	sed -n "s/^\\(# \\)\\{0,1\\}$2: //p" "$1" | head -n 1 | tr -d '[:cntrl:]'
}

nb_run_info() {
	local meta=$1/run.meta f u src=""
	[[ -f $meta ]] || meta=${files[0]}
	run_rel=$(nb_meta_value "$meta" kernel_release)
	run_host=$(nb_meta_value "$meta" host)
	[[ -n $run_host ]] || run_host=$(nb_meta_value "$meta" hostname)
	run_label=$(nb_meta_value "$meta" kernel_label)
	[[ -n $run_label ]] || run_label=$(nb_meta_value "${files[0]}" kernel_label)
	[[ -n $run_label ]] || run_label=$run_rel
	# The architecture next to it off x86-64, as notibench-compare shows it.
	run_arch=$(nb_meta_value "$meta" machine)
	[[ -z $run_arch || $run_arch == x86_64 ]] || run_label+=" ($run_arch)"
	run_unit=""
	if [[ -f $1/run.meta ]] && grep -q '^clock_unit: ' "$1/run.meta"; then
		run_unit=$(nb_meta_value "$1/run.meta" clock_unit) src=$1/run.meta
	fi
	for f in "${files[@]}"; do
		# The metadata ends at the header line.
		u=$(sed -n '/^[^#]/q; s/^# clock_unit: //p' "$f" | head -n 1 | tr -d '[:cntrl:]')
		u=${u:-ns}
		if [[ $u != ns && $u != insn ]]; then
			nb_err="$f: clock_unit '$u' is neither ns nor insn"
			return 1
		fi
		if [[ -z $run_unit ]]; then
			run_unit=$u src=$f
		elif [[ $u != "$run_unit" ]]; then
			nb_err="$1 mixes clock units: $src says $run_unit, $f says $u (an exact run and a wall-clock one in one directory)"
			return 1
		fi
	done
	if [[ $run_unit != ns && $run_unit != insn ]]; then
		nb_err="$src: clock_unit '$run_unit' is neither ns nor insn"
		return 1
	fi
}

nb_export() {
	local id=$1 format=$2
	shift 2
	nb_notibench export --format "$format" --run-id "$id" -- "$@"
}

nb_notibench() {
	local bin=${NB_NOTIBENCH:-}
	nb_err=""
	if [[ -z $bin && -f $NB_ROOT/Makefile ]]; then
		bin=$NB_ROOT/build/notibench
		if [[ ! -x $bin ]] && ! make -s -C "$NB_ROOT" build/notibench >/dev/null; then
			nb_err="cannot build $bin (make build/notibench), which reads the CSVs"
			return 2
		fi
	elif [[ -z $bin ]]; then
		bin=$NB_ROOT/../../bin/notibench
		[[ -x $bin ]] || bin=$(command -v notibench) || bin=$NB_ROOT/../../bin/notibench
	fi
	if [[ ! -x $bin ]]; then
		nb_err="$bin is missing: it reads the CSVs (notibench export)"
		return 2
	fi
	"$bin" "$@"
}
