#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# TAP: build/notibench's knobs survive every way a run can end (bench/harness/knobs.h).
# A run journals each knob's original value (next to the host-wide knob lock)
# before it changes the knob; a run killed with SIGKILL leaves the knob
# changed and the journal behind, and then:
# - right after its first knob changed (mprotect --layout hugetlb2m: the 2M
#   pool), while it samples (cow --layout thp: khugepaged's
#   scan_sleep_millisecs) and during collapse --op ksm (ksm run,
#   sleep_millisecs, pages_to_scan): `notibench restore` puts every knob back,
#   lists each, and removes the journal;
# - while it samples (mprotect hugetlb2m): the next `notibench run` restores
#   first, says so on stderr, and its CSV records the true original;
# - bench/all restores at its start.
# SIGQUIT (collapse --op khugepaged: khugepaged's settings) and SIGPIPE (`|
# head -c 0`, and the issue's `| head -c 1`) restore like SIGINT. Two runs at
# once: the second waits and its CSV records the original, not the first's
# temporary value; `restore --no-wait` exits 1 meanwhile. A journal with
# corrupt lines, a path outside the knob directories or "..", a cut-short last
# line: reported, ignored, the valid record used; another user's journal is
# not acted on; a write that fails is exit 1 and stays in the journal.
# `restore` with nothing to do: "nothing to restore", exit 0.
# A knob this host does not let root write is a SKIP with the reason. About
# 20 s on the project's 2-CPU host.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
nb=$root/build/notibench
tmp=$(mktemp -d)
pid=""
# Every knob a case here may change, and its value now: put back at exit
# whatever happens (a failing case must not leave the host changed).
watch=(/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
	/sys/kernel/mm/transparent_hugepage/khugepaged/{scan_sleep_millisecs,alloc_sleep_millisecs,pages_to_scan}
	/sys/kernel/mm/ksm/{run,sleep_millisecs,pages_to_scan,smart_scan}
	/proc/sys/kernel/numa_balancing /sys/kernel/mm/transparent_hugepage/enabled)
declare -A orig=()
for f in "${watch[@]}"; do [[ -r $f ]] && orig[$f]=$(<"$f"); done
# shellcheck disable=SC2317 # the EXIT trap calls it
cleanup() {
	[[ -n $pid ]] && kill -KILL "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[[ -e $journal ]] && "$nb" restore --no-wait > /dev/null 2>&1
	for f in "${!orig[@]}"; do
		cur=$(<"$f") v=${orig[$f]}
		# THP's enabled reads "always [madvise] never": write the bracketed word.
		[[ $v =~ \[(.*)\] ]] && v=${BASH_REMATCH[1]}
		[[ $cur == "${orig[$f]}" ]] || echo "$v" > "$f"
	done
	rm -rf "$tmp"
}
dir=/tmp
[[ -w /run/lock ]] && dir=/run/lock
lock=$dir/notibench-knobs.lock journal=$dir/notibench-knobs.journal
trap cleanup EXIT

echo "TAP version 13"
if [[ ! -x $nb ]]; then
	echo "1..0 # SKIP build/notibench is missing (make)"
	exit 4
fi
# bench_test changes the same knobs: one of these tests at a time.
exec 9> "${TMPDIR:-/tmp}/notibench-bench_test.lock"
flock -w 600 9 || echo "# could not lock: another bench_test or knobs_test may disturb the knobs"
ulimit -c 0	# SIGQUIT dumps core by default

n=0 failed=0
# shellcheck source=tests/lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# What a dead run or an earlier test left is not this test's to judge.
"$nb" restore --quiet > /dev/null 2>&1

# start NAME ARGS...: `notibench run ARGS --out $tmp/NAME` in the background
# (pid), its own process group, output in $tmp/NAME.{stdout,stderr}.
start() {
	local name=$1
	shift
	mkdir "$tmp/$name"
	set -m
	"$nb" run "$@" --out "$tmp/$name" > "$tmp/$name.stdout" 2> "$tmp/$name.stderr" 9>&- &
	pid=$!
	set +m
}

# changed KNOB BEFORE [sampling]: wait (15 s at most) until the run changed
# KNOB; with "sampling" also until the run used 0.3 s of CPU after that
# (setup and calibration take far less). 0 when it did, the run alive.
changed() {
	local knob=$1 before=$2 i ticks0=""
	for ((i = 0; i < 1500; i++)); do
		kill -0 "$pid" 2>/dev/null || return 1
		if [[ $(<"$knob") != "$before" ]]; then
			[[ ${3:-} == sampling ]] || return 0
			ticks0=${ticks0:-$(cpu_ticks "$pid")}
			(($(cpu_ticks "$pid") - ticks0 >= 30)) && return 0
		fi
		sleep 0.01
	done
	return 1
}

# stop SIG: send SIG to the run, wait for it; rc is its exit status.
stop() {
	kill "-$1" "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rc=$?
	last=$pid pid=""
}

# killed DESC KNOB...: after SIGKILL the knobs are still changed (the values
# in $was) and the journal has their originals, with the run's pid.
killed() {
	local desc=$1 f problems=""
	shift
	((rc == 137)) || problems+=" exit $rc, wanted 137;"
	for f in "$@"; do
		[[ $(<"$f") != "${orig[$f]}" ]] || problems+=" $f back to ${orig[$f]} already;"
		grep -qxF "knob $last $f ${orig[$f]}" "$journal" 2>/dev/null ||
			problems+=" no journal record of $f=${orig[$f]};"
	done
	ok "$([[ -z $problems ]]; echo $?)" "SIGKILL $desc: knobs left changed, their originals journaled${problems:+ ($problems)}"
	[[ -z $problems ]] || diag "$journal" 2>/dev/null
}

# restored DESC KNOB...: the knobs have their original values, no journal.
restored() {
	local desc=$1 f problems=""
	shift
	for f in "$@"; do
		[[ $(<"$f") == "${orig[$f]}" ]] || problems+=" $f is $(<"$f"), not ${orig[$f]};"
	done
	[[ -e $journal ]] && problems+=" $journal is left;"
	ok "$([[ -z $problems ]]; echo $?)" "$desc: knobs back to their originals, no journal${problems:+ ($problems)}"
}

# restore_cmd DESC KNOB...: `notibench restore` after a SIGKILL: exit 0, one
# line per knob naming the dead run, the knobs back.
restore_cmd() {
	local desc=$1 f problems=""
	shift
	"$nb" restore > "$tmp/restore.out" 2> "$tmp/restore.err"
	rc=$?
	((rc == 0)) || problems+=" exit $rc;"
	for f in "$@"; do
		grep -q "^restored $f: .* -> ${orig[$f]} (left by pid $last: .*notibench run .*, started " \
			"$tmp/restore.out" || problems+=" $f not listed;"
	done
	ok "$([[ -z $problems ]]; echo $?)" "SIGKILL $desc: notibench restore lists every knob and exits 0${problems:+ ($problems)}"
	[[ -z $problems ]] || diag "$tmp/restore.out" "$tmp/restore.err"
	restored "SIGKILL $desc, notibench restore" "$@"
}

hp=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
thp=/sys/kernel/mm/transparent_hugepage/khugepaged
ksm=/sys/kernel/mm/ksm
many=(--quick --samples 100000)	# minutes unless interrupted
hp_ok=""
[[ -w $hp ]] || hp_ok="no writable $hp"
# Larger than the free pool: the run must raise it.
[[ -z $hp_ok ]] && hp_size=$((($(<"${hp%/*}/free_hugepages") + 8) * 2))M

# --- SIGKILL right after the first knob changed; notibench restore ---
if [[ -z $hp_ok ]]; then
	start kill1 mprotect --layout hugetlb2m --size "$hp_size" "${many[@]}"
	changed "$hp" "${orig[$hp]}"
	stop KILL
	killed "right after the run changed nr_hugepages" "$hp"
	restore_cmd "right after the first knob" "$hp"
else
	for i in 1 2 3; do skip "SIGKILL after the first knob ($i)" "$hp_ok"; done
fi

# --- SIGKILL while sampling; the next run restores before its own work ---
if [[ -z $hp_ok ]]; then
	start kill2 mprotect --layout hugetlb2m --size "$hp_size" "${many[@]}"
	changed "$hp" "${orig[$hp]}" sampling
	stop KILL
	killed "while mprotect hugetlb2m samples" "$hp"
	mkdir "$tmp/next"
	"$nb" run mprotect --size 4K --quick --out "$tmp/next" > "$tmp/next.out" 2> "$tmp/next.err" 9>&-
	rc=$?
	((rc == 0)) && grep -q "^notibench: restored [0-9]* knobs\? left by pid $last (.*run mprotect .*, started " "$tmp/next.err" &&
		grep -qx "# hugetlb_2m: nr_hugepages=${orig[$hp]} free=[0-9]*" "$tmp"/next/*.csv
	st=$?
	ok $st "SIGKILL while sampling: the next run says it restored the dead run's knobs, and its CSV records nr_hugepages=${orig[$hp]} (exit $rc)"
	((st == 0)) || diag "$tmp/next.err"
	restored "SIGKILL while sampling, the next run" "$hp"
else
	for i in 1 2 3; do skip "SIGKILL while sampling, next run ($i)" "$hp_ok"; done
fi

# --- SIGKILL during cow --layout thp's samples; notibench restore ---
sk=$thp/scan_sleep_millisecs
if [[ -w $sk && ${orig[$sk]} != 86400000 ]]; then
	start kill3 cow --layout thp "${many[@]}"
	changed "$sk" "${orig[$sk]}" sampling
	stop KILL
	killed "while cow thp samples" "$sk"
	restore_cmd "while cow thp samples" "$sk"
else
	for i in 1 2 3; do skip "SIGKILL cow thp ($i)" "$sk is not writable or already 86400000"; done
fi

# --- SIGKILL during collapse --op ksm; notibench restore ---
if [[ -w $ksm/run && -r $ksm/pages_sharing && ${orig[$ksm/run]} == 0 ]]; then
	kk=("$ksm/run" "$ksm/sleep_millisecs" "$ksm/pages_to_scan")
	start kill4 collapse --op ksm --pages 1 --size 2M --batch 1 "${many[@]}"
	changed "$ksm/run" 0 && sleep 0.3
	stop KILL
	killed "during collapse --op ksm" "${kk[@]}"
	restore_cmd "during collapse --op ksm" "${kk[@]}"
else
	for i in 1 2 3; do skip "SIGKILL collapse ksm ($i)" "no writable $ksm/run, or KSM already running"; done
fi

# --- SIGQUIT during collapse --op khugepaged ---
kh=("$thp/scan_sleep_millisecs" "$thp/alloc_sleep_millisecs" "$thp/pages_to_scan")
if [[ -w ${kh[0]} && -w ${kh[2]} && ${orig[${kh[2]}]} != 2097152 ]]; then
	start quit collapse --op khugepaged --ranges 1 --size 4M --batch 1 "${many[@]}"
	changed "${kh[2]}" "${orig[${kh[2]}]}" && sleep 0.3
	stop QUIT
	((rc == 131)) && [[ -z $(ls -A "$tmp/quit") ]]
	ok $? "SIGQUIT during collapse --op khugepaged: exit $rc (wanted 131), no CSV and no temp file"
	restored "SIGQUIT during collapse khugepaged" "${kh[@]}"
else
	for i in 1 2; do skip "SIGQUIT collapse khugepaged ($i)" "khugepaged's knobs are not writable here"; done
fi

# --- SIGPIPE: the reader is gone when the run prints its results ---
if [[ -z $hp_ok ]]; then
	mkdir "$tmp/pipe0" "$tmp/pipe1"
	"$nb" run mprotect --layout hugetlb2m --size "$hp_size" --quick --out "$tmp/pipe0" 2> "$tmp/pipe0.err" 9>&- |
		head -c 0
	rc=${PIPESTATUS[0]}
	ok "$( ((rc == 141)); echo $?)" "SIGPIPE (| head -c 0): exit $rc (wanted 141)"
	restored "SIGPIPE (| head -c 0)" "$hp"
	# The issue's command: whether head is gone by the second line is a race.
	"$nb" run mprotect --layout hugetlb2m --size "$hp_size" --quick --out "$tmp/pipe1" 2> "$tmp/pipe1.err" 9>&- |
		head -c 1 > /dev/null
	rc=${PIPESTATUS[0]}
	ok "$( ((rc == 141 || rc == 0)); echo $?)" "SIGPIPE (| head -c 1): exit $rc (0, or 141 when head was gone)"
	restored "SIGPIPE (| head -c 1)" "$hp"
else
	for i in 1 2 3 4; do skip "SIGPIPE ($i)" "$hp_ok"; done
fi

# --- two runs at once: the second records the true original ---
if [[ -z $hp_ok ]]; then
	start first mprotect --layout hugetlb2m --size "$hp_size" "${many[@]}"
	changed "$hp" "${orig[$hp]}"
	"$nb" restore --no-wait > "$tmp/nowait.out" 2> "$tmp/nowait.err"
	rc=$?
	((rc == 1)) && grep -q 'a run holds the knob lock' "$tmp/nowait.err" && [[ ! -s $tmp/nowait.out ]]
	ok $? "restore --no-wait while a run holds the lock: exit 1 with the reason (exit $rc)"
	mkdir "$tmp/second"
	"$nb" run mprotect --size 4K --quick --out "$tmp/second" > /dev/null 2> "$tmp/second.err" 9>&- &
	pidb=$!
	sleep 1
	kill -0 "$pidb" 2>/dev/null && grep -q 'waiting' "$tmp/second.err"
	ok $? "a second run waits for the first's knob lock"
	stop INT
	wait "$pidb"
	rc=$?
	((rc == 0)) && grep -qx "# hugetlb_2m: nr_hugepages=${orig[$hp]} free=[0-9]*" "$tmp"/second/*.csv
	st=$?
	ok $st "the second run's CSV records nr_hugepages=${orig[$hp]}, not the first's value (exit $rc: $(grep -h '^# hugetlb_2m' "$tmp"/second/*.csv 2>/dev/null))"
	restored "two runs" "$hp"
else
	for i in 1 2 3 4; do skip "two runs ($i)" "$hp_ok"; done
fi

# --- journals written by hand ---
# journal LINES...: the journal, under the knob lock as a run writes it.
journal() {
	(flock 8 && printf '%s' "$@" > "$journal") 8>> "$lock"
}
if [[ -w $sk && -w ${kh[1]} ]]; then
	x=$((orig[$sk] + 1234))
	echo "$x" > "$sk"
	decoy=$tmp/decoy
	echo untouched > "$decoy"
	journal "run 4194000 1700000000 a run left for dead"$'\n' \
		"knob 4194000 $sk ${orig[$sk]}"$'\n' \
		$'not a record\n' \
		"knob 4194000 $decoy evil"$'\n' \
		"knob 4194000 /sys/kernel/mm/../../..$decoy evil"$'\n' \
		$'knob 4194000 /sys/kernel/mm/ksm/run \x01\xff\n' \
		"knob 4194000 ${kh[1]} 7"
	"$nb" restore > "$tmp/corrupt.out" 2> "$tmp/corrupt.err"
	rc=$?
	((rc == 0)) &&
		grep -qx "restored $sk: $x -> ${orig[$sk]} (left by pid 4194000: a run left for dead, started 2023-11-14T22:13:20Z)" "$tmp/corrupt.out" &&
		[[ $(wc -l < "$tmp/corrupt.out") == 1 ]] &&
		[[ $(grep -c "^notibench: $journal: line [3-6]: not a valid record, ignored\$" "$tmp/corrupt.err") == 4 ]] &&
		grep -qx "notibench: $journal: line 7: cut short (no newline), ignored" "$tmp/corrupt.err" &&
		[[ $(<"$decoy") == untouched && $(<"${kh[1]}") == "${orig[${kh[1]}]}" ]]
	st=$?
	ok $st "a corrupt journal: each bad line reported and ignored, nothing outside the knob directories written, the valid record restored (exit $rc)"
	((st == 0)) || diag "$tmp/corrupt.out" "$tmp/corrupt.err"
	restored "a corrupt journal" "$sk"

	# Another user's journal is not acted on.
	echo "$x" > "$sk"
	journal "knob 4194000 $sk ${orig[$sk]}"$'\n'
	chown 65534 "$journal" && chmod 644 "$journal"
	"$nb" restore > "$tmp/foreign.out" 2> "$tmp/foreign.err"
	rc=$?
	((rc == 0)) && grep -q "$journal: not a file this user wrote (uid 65534.*ignored and removed" "$tmp/foreign.err" &&
		grep -qx 'nothing to restore' "$tmp/foreign.out" && [[ $(<"$sk") == "$x" && ! -e $journal ]]
	st=$?
	ok $st "another user's journal: reported, removed, not acted on (exit $rc)"
	((st == 0)) || diag "$tmp/foreign.out" "$tmp/foreign.err"
	echo "${orig[$sk]}" > "$sk"

	# A write that fails: exit 1, the record kept for the next try.
	kd=$thp/defrag
	journal "knob 4194002 $kd nonsense"$'\n'
	"$nb" restore > "$tmp/fail.out" 2> "$tmp/fail.err"
	rc=$?
	((rc == 1)) && grep -q "^notibench: could not restore $kd to nonsense (left by pid 4194002: no run record): " "$tmp/fail.err" &&
		grep -qxF "knob 4194002 $kd nonsense" "$journal"
	st=$?
	ok $st "a restore write that fails: reported, exit 1, the record kept (exit $rc)"
	((st == 0)) || diag "$tmp/fail.out" "$tmp/fail.err"
	rm -f "$journal"

	# bench/all restores first.
	echo "$x" > "$sk"
	journal "knob 4194001 $sk ${orig[$sk]}"$'\n'
	"$root/bench/all" --quick --backends none --only mprotect-dense4k-4K-toggle --out "$tmp/all" > "$tmp/all.out" 2>&1
	rc=$?
	((rc == 0)) && grep -q "restored $sk: $x -> ${orig[$sk]} (left by pid 4194001: no run record)" "$tmp/all.out"
	st=$?
	ok $st "bench/all restores what a dead run left before its items (exit $rc)"
	((st == 0)) || diag "$tmp/all.out" | tail -n 5
	restored "bench/all" "$sk"
else
	for i in 1 2 3 4 5 6; do skip "hand-written journals ($i)" "$sk or ${kh[1]} is not writable"; done
fi

# --- nothing to do ---
"$nb" restore > "$tmp/none.out" 2>&1
rc=$?
((rc == 0)) && [[ $(<"$tmp/none.out") == "nothing to restore" ]]
ok $? "restore with no journal: 'nothing to restore', exit 0 (exit $rc)"
"$nb" restore --quiet > "$tmp/quiet.out" 2>&1
rc=$?
((rc == 0)) && [[ ! -s $tmp/quiet.out ]]
ok $? "restore --quiet with no journal: silent, exit 0 (exit $rc)"

echo "1..$n"
exit $((failed > 0))
