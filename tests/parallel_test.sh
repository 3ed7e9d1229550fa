#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# TAP: scripts/ab's boots as GNU parallel jobs (--jobs, --sshlogin). Bad
# values exit 2 before anything is built or run. When GNU parallel is
# installed and the base 6.12 is in scripts/kernel's cache (tests/kernel_test.sh
# builds it), the A/A of tests/ab_test.sh on one item without the KVM guest,
# two exact boots (the example variant is built from the base's objects when
# missing, about 2 minutes, then cached; the builds come first, serially):
# - with --jobs 2 and --timeout 5: exit 1 naming both kernels, nothing kept;
# - with --jobs 2 on this machine: both boots at once (parallel's joblog);
# - with one slot here (--sshlogin :) and one through ssh to this machine:
#   an sshd bound to 127.0.0.1 on a free port, with a host key and a user key
#   made in a temporary directory, started and stopped here (nothing in
#   /etc/ssh or ~/.ssh is read or written: ssh -F /dev/null, -i, its own
#   known_hosts). The remote is this machine at the same paths, so the run
#   directories parallel --return brings back are those written;
# - both give the same exact results: every count equal, costs within 1e-5
#   (see same() below).
# 11 minutes here at load 9-10 with other helpers' guests (the time-out case 3 of
# them: module builds and initramfs under load; two boots at once, twice); the first time
# 2 minutes more for the example variant).
# NB_KERNELS=none or NB_SOURCE_KERNELS=none skips what needs kernels.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
AB=$root/scripts/ab
p=$root/tests/fixtures/kernel/0001-example-comment.patch
tmp=$(mktemp -d)
sshd_pid="" made_run=0
# shellcheck disable=SC2317 # the EXIT trap calls it
cleanup() {
	[[ -n $sshd_pid ]] && kill "$sshd_pid" 2>/dev/null
	((made_run)) && rmdir /run/sshd 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
# shellcheck source=tests/lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"
skips() { local i; for ((i = 0; i < $1; i++)); do skip "$2" "$3"; done; }
show() { sed 's/^/# /' "$1" | tail -n "${2:-15}"; }

echo "TAP version 13"
echo "1..9"

# --- usage ---
bad=""
for args in "--jobs 0" "--jobs 65" "--jobs x" "--sshlogin a'b" "--sshlogin a\$b" "--jobs"; do
	# shellcheck disable=SC2086 # args is a word list
	"$AB" --patch "$p" --out "$tmp/u" $args > /dev/null 2> "$tmp/err"
	rc=$?
	((rc == 2)) && [[ -s $tmp/err ]] || bad+=" [$args: exit $rc]"
done
ok "$([[ -z $bad && ! -e $tmp/u ]]; echo $?)" "bad --jobs and --sshlogin exit 2 with a message, nothing made${bad:+:$bad}"

item='mprotect-thp-2M-toggle'
args=(--no-kvm --patch "$p" --full --only "$item")
if [[ ${NB_KERNELS:-} == none || ${NB_SOURCE_KERNELS:-} == none ]]; then
	skips 8 "A/A runs" "NB_KERNELS=none or NB_SOURCE_KERNELS=none: no kernels"
	exit $((failed > 0))
fi
if ! parallel --version 2>/dev/null | grep -q '^GNU parallel'; then
	skips 8 "A/A runs" "GNU parallel is not installed (scripts/deps installs it)"
	exit $((failed > 0))
fi
if ! "$root/scripts/kernel" --source 6.12 --no-build --print-dir > /dev/null 2>&1; then
	skips 8 "A/A runs" "6.12 is not in scripts/kernel's cache (tests/kernel_test.sh builds it)"
	exit $((failed > 0))
fi

# hosts OUT: the joblog's Host column, one line per job.
hosts() { awk -F'\t' 'NR > 1 { print $2 }' "$1/logs/parallel.log"; }
# overlap OUT: the two jobs ran at once (each started before the other ended).
overlap() {
	awk -F'\t' 'NR > 1 { s[++n] = $3; e[n] = $3 + $4 }
		END { exit !(n == 2 && s[1] < e[2] && s[2] < e[1]) }' "$1/logs/parallel.log"
}
# same A B: the comparisons' rows (the CSVs without their comment lines, which
# name the run directories) are equal; the costs (ns_per_op, insn in exact
# mode) within 1e-5 of each other: two invocations of scripts/ab on the same
# cached base 6.12 differed by up to 1.2e-6 here (0.125-0.25 insn/op), with or
# without parallel, the variant's boots never. Prints the CSVs that differ.
same() {
	local f g d=""
	for f in "$1"/compare/*.csv; do
		g=$2/compare/${f##*/}
		if [[ $f == *-ns_per_op.csv ]]; then
			awk -F, '
				{	# the quoted configurations hold commas
					while (match($0, /"[^"]*"/)) {
						s = substr($0, RSTART, RLENGTH); gsub(/[",]/, ";", s)
						$0 = substr($0, 1, RSTART - 1) s substr($0, RSTART + RLENGTH)
					}
				}
				NR == FNR { if ($1 == "result") m[$3 FS $4 FS $5] = $9; next }
				$1 == "result" {
					k = $3 FS $4 FS $5; n++
					if (!(k in m) || $9 + 0 <= 0) { bad = 1; next }
					r = (m[k] - $9) / $9
					if (r > 1e-5 || r < -1e-5) bad = 1
				}
				END { exit bad || !n }' <(grep -v '^#' "$f") <(grep -v '^#' "$g") || d+=" ${f##*/}"
		else
			cmp -s <(grep -v '^#' "$f") <(grep -v '^#' "$g") || d+=" ${f##*/}"
		fi
	done
	echo "$d"
}

# --- guests that do not finish (--timeout 5): exit 1, each named, nothing kept ---
"$AB" "${args[@]}" --timeout 5 --jobs 2 --out "$tmp/to" > "$tmp/out" 2> "$tmp/err"
rc=$?
kept=$(find "$tmp/to/runs" -mindepth 1 -maxdepth 1 | wc -l)
ok "$( ((rc == 1 && kept == 0)) && [[ ! -f $tmp/to/report.md ]] &&
	[[ $(grep -c 'error: kernel 6.12[^ ]* (6.12[^ ]*) did not complete' "$tmp/err") == 2 ]]; echo $?)" \
	"--jobs 2, guests that time out: exit 1 (got $rc), both named, nothing kept ($kept)"
((rc == 1)) || show "$tmp/err"

# --- two local job slots ---
t0=$SECONDS
"$AB" "${args[@]}" --jobs 2 --out "$tmp/local" > "$tmp/out" 2> "$tmp/err"
rc=$? secs=$((SECONDS - t0))
ok "$( ((rc == 0)) && [[ -f $tmp/local/report.md ]]; echo $?)" "--jobs 2: exit $rc in $secs s, report.md written"
((rc == 0)) || show "$tmp/err" 30
nd=$(find "$tmp/local/runs" -mindepth 2 -maxdepth 2 -name '*-6.12.118-*' -type d | wc -l)
ok "$( ((nd == 2)) && [[ -f $tmp/local/logs/parallel.log ]] && overlap "$tmp/local" &&
	[[ $(hosts "$tmp/local" | sort -u) == : ]]; echo $?)" \
	"--jobs 2: two run directories ($nd), both boots at once on this machine (parallel's joblog)"
[[ -f $tmp/local/logs/parallel.log ]] && show "$tmp/local/logs/parallel.log" 3

# --- an sshd on loopback, and a login through it ---
sshd=$(command -v sshd || echo /usr/sbin/sshd)
why=""
for t in ssh ssh-keygen rsync "$sshd"; do
	command -v "$t" > /dev/null || why="$t is not installed (scripts/deps installs openssh-server, openssh-client, rsync)"
done
if [[ -z $why && ! -d /run/sshd ]]; then
	# sshd's privilege separation directory (root only; removed again below).
	if mkdir /run/sshd 2> /dev/null; then made_run=1; else why="no /run/sshd and cannot make it (sshd needs it)"; fi
fi
if [[ -z $why ]]; then
	k=$tmp/ssh-keys
	mkdir -p "$k" && chmod 700 "$k"
	ssh-keygen -q -t ed25519 -N '' -f "$k/host" && ssh-keygen -q -t ed25519 -N '' -f "$k/user" &&
		cp "$k/user.pub" "$k/authorized_keys" || why="ssh-keygen failed"
fi
if [[ -z $why ]]; then
	for _ in 1 2 3 4 5 6 7 8; do
		port=$((20000 + RANDOM % 40000))
		cat > "$k/sshd_config" <<-EOF
			ListenAddress 127.0.0.1:$port
			HostKey $k/host
			AuthorizedKeysFile $k/authorized_keys
			PidFile $k/sshd.pid
			StrictModes no
			PasswordAuthentication no
			KbdInteractiveAuthentication no
			PermitRootLogin prohibit-password
			UsePAM no
		EOF
		# Without -D it forks once it listens: exit 0 means the port was free.
		if "$sshd" -f "$k/sshd_config" -E "$k/sshd.log" 2> /dev/null; then
			sshd_pid=$(cat "$k/sshd.pid" 2>/dev/null)
			break
		fi
	done
	[[ -n $sshd_pid ]] || why="sshd did not start on 127.0.0.1 ($(tail -n 1 "$k/sshd.log" 2>/dev/null))"
fi
if [[ -z $why ]]; then
	cat > "$k/ssh" <<-EOF
		#!/bin/sh
		exec ssh -F /dev/null -i $k/user -p $port -o BatchMode=yes -o StrictHostKeyChecking=no \\
			-o UserKnownHostsFile=$k/known_hosts -o GlobalKnownHostsFile=/dev/null -o LogLevel=ERROR "\$@"
	EOF
	chmod +x "$k/ssh"
	login="$(id -un)@127.0.0.1"
	[[ $("$k/ssh" "$login" echo yes 2> "$k/ssh.err") == yes ]] ||
		why="ssh to $login through the test's sshd failed: $(tail -n 1 "$k/ssh.err")"
fi
if [[ -n $why ]]; then
	skips 4 "an ssh login" "$why"
	skip "1-slot and 2-slot medians" "$why"
else
	t0=$SECONDS
	"$AB" "${args[@]}" --jobs 1 --sshlogin : --sshlogin "$k/ssh $login" --out "$tmp/ssh" > "$tmp/out" 2> "$tmp/err"
	rc=$? secs=$((SECONDS - t0))
	ok "$( ((rc == 0)) && [[ -f $tmp/ssh/report.md ]]; echo $?)" \
		"--jobs 1 --sshlogin : --sshlogin 'SSH $login': exit $rc in $secs s, report.md written"
	((rc == 0)) || show "$tmp/err" 30
	nssh=$(hosts "$tmp/ssh" 2>/dev/null | grep -cxF -- "$k/ssh $login")
	ok "$( ((nssh >= 1)) && grep -q 'Accepted publickey' "$k/sshd.log"; echo $?)" \
		"a boot ran through the ssh login ($nssh of 2; parallel's joblog, sshd's log)"
	[[ -f $tmp/ssh/logs/parallel.log ]] && show "$tmp/ssh/logs/parallel.log" 3
	nd=$(find "$tmp/ssh/runs" -mindepth 2 -maxdepth 2 -name '*-6.12.118-*' -type d | wc -l)
	left=$(find "$tmp/ssh/runs" -mindepth 1 -maxdepth 1 -name '.*' | wc -l)
	ok "$( ((nd == 2 && left == 0)) && grep -q -- '--return' "$tmp/err" && [[ -f $tmp/ssh/logs/rsync.log ]]; echo $?)" \
		"the run directories came back into runs/ ($nd, $left staging files left), with --return and the tree rsynced"
	# The remote's boots were the same commands: commands.txt names them.
	ok "$(grep -q 'GNU parallel .*--sshlogin' "$tmp/ssh/commands.txt" &&
		[[ $(grep -c 'scripts/vm --kdir' "$tmp/ssh/commands.txt") == 2 ]]; echo $?)" \
		"commands.txt: both scripts/vm commands and the parallel line"
	d=$(same "$tmp/local" "$tmp/ssh")
	ok "$([[ -z $d && -f $tmp/local/report.md && -f $tmp/ssh/report.md ]]; echo $?)" \
		"the same exact results with 2 slots here and 1 slot here + 1 through ssh: counts equal, costs within 1e-5${d:+ (differ:$d)}"
fi
exit $((failed > 0))
