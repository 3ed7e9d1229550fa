# SPDX-License-Identifier: GPL-2.0
# Intruded samples of notibench CSVs, for scripts/exact-stability.
# usage: awk -v T=INSNS -f scripts/lib/csv.awk -f scripts/lib/intrusion.awk \
#            run=1 A.csv B.csv run=2 C.csv ...
# Prints per run, item and configuration (tab-separated):
#   run item config samples intruded
# where a sample is intruded when its batch (sample_ns) took more than T
# beyond the configuration's fastest batch: an exact-mode run repeats the
# same instructions per batch, so anything above that is work of another
# context (a tick, a kernel thread) or of a slower path taken that time.
# and per item whose benchmark says what its cost sweep's slope is not
# (metadata sweep_slope), one line: M run item sweep_slope
function item_of(p) { sub(/.*\//, "", p); sub(/\.csv$/, "", p); sub(/\.r[0-9]+$/, "", p); return p }
nb_row && !(FILENAME in seen) {
	seen[FILENAME] = 1
	if ("sweep_slope" in nb_meta) printf "M\t%s\t%s\t%s\n", run, item_of(FILENAME), nb_meta["sweep_slope"]
}
nb_row && csv_get("kind") == "sample" {
	k = run SUBSEP item_of(FILENAME) SUBSEP csv_get("config")
	if (!(k in n)) order[++nk] = k
	v = csv_get("sample_ns") + 0
	n[k]++; s[k, n[k]] = v
	if (!(k in lo) || v < lo[k]) lo[k] = v
}
END {
	for (i = 1; i <= nk; i++) {
		k = order[i]; c = 0
		for (j = 1; j <= n[k]; j++) if (s[k, j] > lo[k] + T) c++
		split(k, f, SUBSEP)
		printf "%s\t%s\t%s\t%d\t%d\n", f[1], f[2], f[3], n[k], c
	}
}
