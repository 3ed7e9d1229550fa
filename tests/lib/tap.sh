# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# TAP for the shell tests, sourced by each (tests/run tallies what they print):
#   ok STATUS DESCRIPTION	STATUS 0 passes, anything else fails and counts
#   skip DESCRIPTION REASON	a result skipped with its reason
#   diag [FILE...]		each line as a TAP comment
# $n counts the results (for a plan printed at the end), $failed the failures.
n=0 failed=0

ok() {
	n=$((n + 1))
	if [[ $1 == 0 ]]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}

skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

diag() { sed 's/^/# /' "$@"; }
