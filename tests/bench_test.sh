#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# TAP: build/notibench on the host, for every benchmark `notibench list` shows
# (new ones are covered without editing this file):
# - a --quick run with --backend none and one with --backend kvm (SKIP with the
#   reason when /dev/kvm is unusable): exit 0, exactly one CSV in a fresh --out
#   and no temp file, the CSV checked by tests/guest/csvcheck, which reads it
#   through `notibench export` (format, `check: passed`, sample rows per
#   configuration, summary rows agreeing with the samples, ns_per_op > 0), the
#   knobs the harness may touch as they were;
# - every value of every choice option (`run B --help`) but the default, once,
#   with none and kvm in one run (two interleaved configurations), --samples 5;
#   a value the default options cannot take (exit 2) runs with the options in
#   `combo` below, or is a SKIP naming what to add there; a value that takes
#   minutes here is in `not_here` (a SKIP with the reason);
# - bad usage: unknown option, bad choice value, bad size/number, bad --backend
#   specs, --samples 1: exit 2 with a message naming the option, nothing written;
# - kmod: exit 4 with a reason on a host without /dev/notibench; kmod:zap on a
#   benchmark that lets no device read its buffer (mprotect): exit 2; the insn
#   model's cost is n= (instructions) and no other model's: exit 2 otherwise;
# A run that exits 4 is a SKIP with the benchmark's reason, never a pass.
# Then SIGINT / SIGTERM / SIGHUP while a run samples, in runs that change a
# knob (mprotect hugetlb2m: the 2M pool; cow thp: khugepaged's
# scan_sleep_millisecs): exit 128+N, the knob back to its value, no CSV and no
# temp file, no helper process left. Last, two runs at once that both set
# numa_balancing: the second waits for the first (the host-wide knob lock),
# records the true original and leaves it restored.
# About 45 s on the project's 2-CPU host. Every run takes a second or two but
# collapse --op ksm: 0.5 to 30 s, as ksmd also scans whatever else is
# mergeable (QEMU's guest RAM is MADV_MERGEABLE).
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
nb=$root/build/notibench
csvcheck=$root/tests/guest/csvcheck
tmp=$(mktemp -d)
pid=""
# shellcheck disable=SC2317 # the EXIT trap calls it
cleanup() { [[ -n $pid ]] && kill -KILL "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

echo "TAP version 13"
if [[ ! -x $nb ]]; then
	echo "1..0 # SKIP build/notibench is missing (make)"
	exit 4
fi
# Two copies of this test (two `make check`s) would see each other's knobs.
exec 9> "${TMPDIR:-/tmp}/notibench-bench_test.lock"
flock -w 600 9 || echo "# could not lock: another bench_test may disturb the knobs"

n=0 failed=0
# shellcheck source=tests/lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"

# Options a choice value needs (the defaults cannot take it: exit 2), or that
# keep its run to a second or two here; used whenever present. Key:
# "<benchmark> --<option> <value>".
declare -A combo=(
	["mprotect --layout hugetlb1g"]="--size 1G"
	["mprotect --align straddle"]="--size 4M"
	["mprotect --op walk1g"]="--size 2G --layout sparse1g"
	["numa --api mbind"]="--op migrate"
	# Calibration waits for khugepaged / ksmd: 30 s and 85 s without --batch.
	["collapse --op khugepaged"]="--ranges 1 --size 4M --batch 1"
	["collapse --op ksm"]="--pages 1 --size 2M --batch 1"
	# Each sample refills 1 GiB of THPs: 8 s with 5 samples.
	["zap --chunk 1g"]="--batch 1 --samples 2"
)
# Choice values not run here, with the reason (the SKIP says it).
declare -A not_here=(
	# The host's locked-down debugfs leaves only the kernel's own scan periods:
	# 1 s and growing, minutes per run. tests/guest/bench_test runs numa with
	# its knobs set.
	["numa --scan-knobs keep"]="minutes per run with the kernel's own NUMA scan periods (the guest test covers numa)"
)
# Benchmarks whose buffer a device may read (bench/README.md: kmod:zap).
zap_benchmarks=" cow upgrade "

# Every knob bench/harness/knobs.c may set (harness, layouts, benchmarks).
knob_files=(/proc/sys/kernel/numa_balancing /sys/kernel/mm/ksm/run
	/sys/kernel/mm/transparent_hugepage/enabled /sys/kernel/mm/transparent_hugepage/defrag
	/sys/kernel/mm/transparent_hugepage/khugepaged/defrag
	/sys/kernel/mm/transparent_hugepage/khugepaged/scan_sleep_millisecs
	/sys/kernel/mm/hugepages/hugepages-*/nr_hugepages)
knobs() { for f in "${knob_files[@]}"; do [[ -r $f ]] && echo "$f: $(<"$f")"; done; }

kvm_ok=1 kvm_why=""
if [[ ! -r /dev/kvm || ! -w /dev/kvm ]]; then
	kvm_ok=0 kvm_why="no usable /dev/kvm"
fi

# The reason a skipped run printed ("notibench: B: SKIP: why"), or its last line.
reason() { { grep -m1 'SKIP' "$1" || tail -n 1 "$1"; } | sed 's/^notibench: //' | tr '#' ' '; }

# run_case DESC CONFIGS KEYS ARGS...: `notibench run ARGS --out <fresh dir>`;
# checks the CSV for the configurations CONFIGS with the metadata KEYS.
# Returns the exit status (the caller may retry a 2).
run_case() {
	local desc=$1 configs=$2 keys=$3 out rc before after csvs tmps problems=""
	shift 3
	out=$tmp/run.$((++runs))
	mkdir "$out"
	before=$(knobs)
	SECONDS=0
	"$nb" run "$@" --out "$out" > "$out.stdout" 2> "$out.stderr" 9>&-
	rc=$?
	desc+=" [${SECONDS} s]"
	after=$(knobs)
	csvs=$(find "$out" -maxdepth 1 -name '*.csv' | wc -l)
	tmps=$(find "$out" -maxdepth 1 -name '.*.tmp' | wc -l)
	[[ $before == "$after" ]] || problems+="knobs changed: $(diff <(echo "$before") <(echo "$after") | grep '^[<>]' | tr '\n' ' ');"
	((tmps == 0)) || problems+=" $tmps temp files left in --out;"
	case $rc in
	0)
		((csvs == 1)) || problems+=" $csvs CSV files, wanted 1;"
		if ((csvs == 1)) && ! sh "$csvcheck" "$nb" "$out"/*.csv "configs=$configs" \
			"keys=$keys" > "$out.check"; then
			problems+=" CSV check failed;"
		fi
		ok "$([[ -z $problems ]]; echo $?)" "$desc: exit 0, one CSV, well formed${problems:+ ($problems)}"
		if [[ -z $problems ]]; then
			grep -v FAIL "$out.check"
		else
			diag "$out.check" "$out.stderr" 2>/dev/null | head -n 40
		fi
		;;
	4)
		((csvs == 0)) || problems+=" a skipped run left $csvs CSV files;"
		if [[ -n $problems ]]; then
			ok 1 "$desc: exit 4 ($problems)"
		else
			skip "$desc" "$(reason "$out.stderr")"
		fi
		;;
	2)
		# The caller decides; a usage error never writes anything.
		((csvs == 0)) || { ok 1 "$desc: exit 2 but $csvs CSV files written"; return 0; }
		;;
	*)
		ok 1 "$desc: exit status $rc (0 or 4 wanted)${problems:+ ($problems)}"
		diag "$out.stderr" | tail -n 20
		;;
	esac
	last_err=$out.stderr
	return "$rc"
}

# usage_case DESC NAMES ARGS...: exit 2, a message holding each of NAMES
# (|-separated), nothing in --out.
usage_case() {
	local desc=$1 names=$2 out rc msg problems="" name
	shift 2
	out=$tmp/run.$((++runs))
	mkdir "$out"
	"$nb" run "$@" --out "$out" > "$out.stdout" 2> "$out.stderr"
	rc=$?
	msg=$(head -c 300 "$out.stderr" | tr '\n' ' ')
	((rc == 2)) || problems+=" exit $rc;"
	IFS='|' read -ra want <<< "$names"
	for name in "${want[@]}"; do
		grep -qF -- "$name" "$out.stderr" || problems+=" message lacks '$name';"
	done
	[[ -z $(ls -A "$out") ]] || problems+=" --out not empty;"
	ok "$([[ -z $problems ]]; echo $?)" "$desc: exit 2 naming it${problems:+ ($problems)}"
	echo "# $msg"
}

# --- the command line itself ---
"$nb" list > "$tmp/list" 2>&1
rc=$?
mapfile -t benchmarks < <(awk '/^[a-z0-9_-]+ / { print $1 }' "$tmp/list")
ok "$(((rc == 0 && ${#benchmarks[@]} > 0) ? 0 : 1))" "notibench list: exit 0, ${#benchmarks[@]} benchmarks (${benchmarks[*]})"
"$nb" --version > /dev/null 2>&1
ok $? "notibench --version exits 0"
"$nb" run no-such-benchmark > /dev/null 2> "$tmp/err"
rc=$?
ok "$( ((rc == 2)) && grep -q no-such-benchmark "$tmp/err"; echo $?)" "run no-such-benchmark: exit 2 naming it (exit $rc)"
"$nb" run > /dev/null 2>&1
ok "$( (($? == 2)); echo $?)" "run without a benchmark: exit 2"

runs=0
for b in "${benchmarks[@]}"; do
	echo "# --- $b"
	"$nb" run "$b" --help > "$tmp/help.$b" 2>&1
	ok $? "run $b --help exits 0"
	# "name TYPE default values..." per benchmark option (the section after
	# "<b> options:"; a choice lists its values on "one of:").
	mapfile -t opts < <(awk -v b="$b" '
		$0 == b " options:" { on = 1; next }
		!on { next }
		/^  --[a-z0-9-]+ [A-Z]+/ { if (name) print name, type, def, vals; name = $1; type = $2; def = ""; vals = ""; next }
		/^ +one of:/ { sub(/^ +one of: */, ""); vals = $0; next }
		/^ +default:/ { sub(/^ +default: */, ""); def = $0; next }
		END { if (name) print name, type, def, vals }' "$tmp/help.$b")

	run_case "$b --quick --backend none" none "" "$b" --quick --backend none
	rc=$?
	((rc == 2)) && { ok 1 "$b --quick --backend none: exit 2"; diag "$last_err"; }
	if ((kvm_ok)); then
		run_case "$b --quick --backend kvm" kvm "config.0.kvm_host config.0.kvm_stats" \
			"$b" --quick --backend kvm
		(($? == 2)) && { ok 1 "$b --quick --backend kvm: exit 2"; diag "$last_err"; }
	else
		skip "$b --quick --backend kvm" "$kvm_why"
	fi

	backends=(--backend none) configs=none
	((kvm_ok)) && backends+=(--backend kvm) configs="none kvm"
	first_choice="" size_opt="" num_opt=""
	for o in "${opts[@]}"; do
		read -r name type def vals <<< "$o"
		case $type in
		SIZE) size_opt=${size_opt:-$name} ;;
		N) num_opt=${num_opt:-$name} ;;
		CHOICE)
			first_choice=${first_choice:-$name}
			for v in $vals; do
				[[ $v == "$def" ]] && continue
				desc="$b $name $v (--quick --samples 5, $configs)"
				if [[ -n ${not_here["$b $name $v"]:-} ]]; then
					skip "$desc" "${not_here["$b $name $v"]}"
					continue
				fi
				extra=${combo["$b $name $v"]:-}
				if [[ -z $extra ]]; then
					run_case "$desc" "$configs" "" "$b" --quick --samples 5 "$name" "$v" "${backends[@]}"
					(($? == 2)) || continue
					msg=$(head -n 1 "$last_err")
					if [[ $msg == *--* ]]; then
						skip "$desc" "the defaults cannot take it; add options to combo in tests/bench_test.sh: ${msg//#/ }"
					else
						ok 1 "$desc: exit 2 without naming an option: $msg"
					fi
					continue
				fi
				desc="$b $name $v $extra (--quick --samples 5, $configs)"
				# shellcheck disable=SC2086 # extra is a word list
				run_case "$desc" "$configs" "" "$b" --quick --samples 5 "$name" "$v" $extra "${backends[@]}"
				(($? == 2)) && { ok 1 "$desc: exit 2"; diag "$last_err"; }
			done ;;
		esac
	done

	# --- bad usage ---
	usage_case "$b --no-such-option" "--no-such-option" "$b" --quick --no-such-option
	if [[ -n $first_choice ]]; then
		usage_case "$b $first_choice no-such-value" "$first_choice|no-such-value" \
			"$b" --quick "$first_choice" no-such-value
	fi
	[[ -n $size_opt ]] && usage_case "$b $size_opt 3X" "$size_opt" "$b" --quick "$size_opt" 3X
	[[ -n $num_opt ]] && usage_case "$b $num_opt -1" "$num_opt" "$b" --quick "$num_opt" -1
	usage_case "$b --backend bogus" "--backend|bogus" "$b" --quick --backend bogus
	usage_case "$b --backend kmod:no-such-model" "--backend|no-such-model" \
		"$b" --quick --backend kmod:no-such-model
	usage_case "$b --backend kmod:spin,ns=abc" "--backend|abc" "$b" --quick --backend kmod:spin,ns=abc
	usage_case "$b --backend kvm,guest=maybe" "--backend|guest=" "$b" --quick --backend kvm,guest=maybe
	usage_case "$b --samples 1" "--samples" "$b" --quick --samples 1

	# --- kmod on the host ---
	if [[ -e /dev/notibench ]]; then
		skip "$b --backend kmod:count exits 4" "/dev/notibench exists on this host"
	else
		out=$tmp/run.$((++runs))
		mkdir "$out"
		"$nb" run "$b" --quick --backend kmod:count --out "$out" > /dev/null 2> "$out.err"
		rc=$?
		ok "$( ((rc == 4)) && grep -q 'notibench' "$out.err" && [[ -z $(ls -A "$out") ]]; echo $?)" \
			"$b --backend kmod:count without /dev/notibench: exit 4 with a reason, nothing written (exit $rc)"
		echo "# $(head -n 1 "$out.err")"
	fi
	if [[ $zap_benchmarks == *" $b "* ]]; then
		out=$tmp/run.$((++runs))
		mkdir "$out"
		"$nb" run "$b" --quick --backend kmod:zap --out "$out" > /dev/null 2> "$out.err"
		rc=$?
		# No module here: the backend skips (4); with one, it runs (0).
		ok "$( ((rc == 4 || rc == 0)); echo $?)" "$b --backend kmod:zap accepted (exit $rc: 4 without the module)"
	else
		usage_case "$b --backend kmod:zap (no device access)" "zap" "$b" --quick --backend kmod:zap
	fi
done

# --- the insn model's cost: n= instructions, not ns= ---
usage_case "mprotect --backend kmod:insn,ns=4" "--backend|n=" mprotect --quick --backend kmod:insn,ns=4
usage_case "mprotect --backend kmod:spin,n=4" "--backend|n=|ns=" mprotect --quick --backend kmod:spin,n=4
usage_case "mprotect --backend kmod:insn,n=1000001" "--backend|1000001|instructions" \
	mprotect --quick --backend kmod:insn,n=1000001
usage_case "mprotect --backend kmod:insn,n=0,x" "--backend|x" mprotect --quick --backend kmod:insn,n=0,x
# insn_range: n= per 4 KiB, range callbacks only
usage_case "mprotect --backend kmod:insn_range,ns=4" "--backend|insn_range|n=|4 KiB" \
	mprotect --quick --backend kmod:insn_range,ns=4
usage_case "mprotect --backend kmod:insn_range,n=1000001" "--backend|1000001|instructions" \
	mprotect --quick --backend kmod:insn_range,n=1000001
usage_case "mprotect --backend kmod:insn_range,cb=release,n=1" "--backend|insn_range|cb=release" \
	mprotect --quick --backend kmod:insn_range,cb=release,n=1
if [[ ! -e /dev/notibench ]]; then
	for spec in kmod:insn_range,n=0,1,2,4 kmod:insn,n=0,1,2,4; do
		out=$tmp/run.$((++runs))
		mkdir "$out"
		"$nb" run mprotect --quick --backend "$spec" --out "$out" > /dev/null 2> "$out.err"
		rc=$?
		ok "$( ((rc == 4)) && [[ -z $(ls -A "$out") ]]; echo $?)" \
			"mprotect --backend $spec parses; without /dev/notibench exit 4 (exit $rc)"
	done
fi

# --- signals while sampling ---
# cpu_ticks PID: user + system time in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

# signal_case SIG KNOB DESC ARGS...: run ARGS until KNOB changed and the run
# has used 0.3 s of CPU after that (setup, 20 ms of warm-up and calibration
# take far less: it is sampling), send SIG, check the aftermath.
signal_case() {
	local sig=$1 knob=$2 desc=$3 out before during rc want i ticks0 sampling=0 left
	shift 3
	out=$tmp/sig.$sig
	mkdir "$out"
	before=$(<"$knob")
	# Job control: its own process group (pgid = pid) to find helpers left
	# behind, and SIGINT not ignored as in a non-interactive background job.
	set -m
	"$nb" run "$@" --out "$out" > "$out.stdout" 2> "$out.stderr" 9>&- &
	pid=$!
	set +m
	for ((i = 0; i < 150; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		during=$(<"$knob")
		if [[ $during != "$before" ]]; then
			ticks0=${ticks0:-$(cpu_ticks "$pid")}
			if (($(cpu_ticks "$pid") - ticks0 >= 30)); then
				sampling=1
				break
			fi
		fi
		sleep 0.1
	done
	ok "$( ((sampling)) && [[ -n $(find "$out" -name '.*.tmp') ]]; echo $?)" \
		"$sig $desc: the run changed $knob ($before -> ${during:-?}), has a temp file and samples"
	kill "-$sig" "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rc=$?
	pid_done=$pid pid=""
	want=$((128 + $(kill -l "$sig")))
	ok "$( ((rc == want)); echo $?)" "$sig $desc: exit status $rc (wanted $want)"
	((rc == want)) || diag "$out.stderr" | tail -n 5
	during=$(<"$knob")
	ok "$([[ $during == "$before" ]]; echo $?)" "$sig $desc: $knob back to $before (is $during)"
	# Leave the host as it was, whatever the run did.
	[[ $during == "$before" ]] || echo "$before" > "$knob"
	left=$(find "$out" -mindepth 1 | tr '\n' ' ')
	ok "$([[ -z $left ]]; echo $?)" "$sig $desc: no CSV and no temp file in --out${left:+ ($left)}"
	for ((i = 0; i < 20; i++)); do
		left=$(pgrep -g "$pid_done" | tr '\n' ' ')
		[[ -z $left ]] && break
		sleep 0.1
	done
	ok "$([[ -z $left ]]; echo $?)" "$sig $desc: no helper process left${left:+ (pids $left)}"
	# shellcheck disable=SC2086 # a list of pids
	[[ -z $left ]] || kill -KILL $left 2>/dev/null
}

hp2m=/sys/kernel/mm/hugepages/hugepages-2048kB
sleep_knob=/sys/kernel/mm/transparent_hugepage/khugepaged/scan_sleep_millisecs
many=(--quick --samples 100000)	# minutes unless interrupted
if [[ -w $hp2m/nr_hugepages ]]; then
	# Larger than the free pool: the run must raise it.
	pages=$(($(<"$hp2m/free_hugepages") + 8))
	signal_case INT "$hp2m/nr_hugepages" "mprotect --layout hugetlb2m --size $((pages * 2))M" \
		mprotect --layout hugetlb2m --size "$((pages * 2))M" "${many[@]}"
else
	for i in 1 2 3 4 5; do skip "INT mprotect hugetlb2m ($i)" "no writable $hp2m/nr_hugepages"; done
fi
if [[ -w $sleep_knob && $(<"$sleep_knob") != 86400000 ]]; then
	signal_case TERM "$sleep_knob" "cow --layout thp" cow --layout thp "${many[@]}"
	# Up to 256 paused children per batch: none may outlive the run.
	signal_case HUP "$sleep_knob" "cow --layout thp --op fork" cow --layout thp --op fork "${many[@]}"
else
	for i in 1 2 3 4 5 6 7 8 9 10; do skip "TERM/HUP cow thp ($i)" "$sleep_knob is not writable or already 86400000"; done
fi

# --- two runs at once: the second waits for the first's knobs ---
# Both set numa_balancing (or KSM) to 0 for their run. Without the host-wide
# lock the second would record the first's 0 as the original and "restore" it.
nbk=/proc/sys/kernel/numa_balancing
if [[ -w $nbk && $(<"$nbk") != 0 ]]; then
	orig=$(<"$nbk")
	lock=/run/lock/notibench-knobs.lock
	[[ -w /run/lock ]] || lock=/tmp/notibench-knobs.lock
	mkdir "$tmp/lockA" "$tmp/lockB"
	set -m
	"$nb" run mprotect --size 4K "${many[@]}" --out "$tmp/lockA" > /dev/null 2>&1 9>&- &
	pid=$!
	set +m
	for ((i = 0; i < 100; i++)); do
		[[ $(<"$nbk") != "$orig" ]] && ! flock -n "$lock" true && break
		sleep 0.1
	done
	"$nb" run mprotect --size 4K --quick --out "$tmp/lockB" > "$tmp/lockB.out" 2> "$tmp/lockB.err" 9>&- &
	pidb=$!
	sleep 2
	ok "$(kill -0 "$pidb" 2>/dev/null && grep -q 'waiting' "$tmp/lockB.err" &&
		[[ -z $(ls -A "$tmp/lockB") ]]; echo $?)" \
		"knob lock: a second run waits while the first holds numa_balancing"
	kill -INT "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=""
	wait "$pidb"
	rc=$?
	ok "$( ((rc == 0)); echo $?)" "knob lock: the second run ran after the first (exit $rc)"
	((rc == 0)) || diag "$tmp/lockB.err" | tail -n 5
	ok "$(grep -q "^# knob\.[0-9]*: $nbk=$orig->0\$" "$tmp"/lockB/*.csv 2>/dev/null; echo $?)" \
		"knob lock: the second run saw numa_balancing's true original ($orig)"
	ok "$([[ $(<"$nbk") == "$orig" ]]; echo $?)" "knob lock: numa_balancing back to $orig"
	[[ $(<"$nbk") == "$orig" ]] || echo "$orig" > "$nbk"
else
	for i in 1 2 3 4; do skip "knob lock ($i)" "$nbk is not writable or already 0"; done
fi

echo "1..$n"
exit $((failed > 0))
