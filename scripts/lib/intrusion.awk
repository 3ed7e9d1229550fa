# SPDX-License-Identifier: GPL-2.0
# Intruded samples of notibench CSVs, for scripts/exact-stability.
# usage: awk -F'\t' -v T=INSNS -f scripts/lib/intrusion.awk \
#            run=1 what=rows ROWS what=meta META run=2 what=rows ROWS ...
# ROWS is `notibench export --format tsv --statistics rows` of a run's CSVs
# (columns found by their header name), META `notibench export --format meta`
# of the same CSVs (file, key, value): data, never code.
# Prints per run, item and configuration (tab-separated):
#   run item config samples intruded
# where a sample is intruded when its batch (sample_ns) took more than T
# beyond the configuration's fastest batch: an exact-mode run repeats the
# same instructions per batch, so anything above that is work of another
# context (a tick, a kernel thread) or of a slower path taken that time.
# and per item whose benchmark says what its cost sweep's slope is not
# (metadata sweep_slope), one line first: M run item sweep_slope
function item_of(p) { sub(/.*\//, "", p); sub(/\.csv$/, "", p); sub(/\.r[0-9]+$/, "", p); return p }
what == "rows" && FNR == 1 { split("", col); for (i = 1; i <= NF; i++) col[$i] = i; next }
what == "rows" { hasrows[run, $col["file"]] = 1 }
what == "rows" && $col["metric"] == "sample_ns" && $col["statistic"] == "sample" {
	k = run SUBSEP item_of($col["file"]) SUBSEP $col["config"]
	if (!(k in n)) order[++nk] = k
	v = $col["value"] + 0
	n[k]++; s[k, n[k]] = v
	if (!(k in lo) || v < lo[k]) lo[k] = v
}
# A file's last sweep_slope line, when the file has a row.
what == "meta" && $2 == "sweep_slope" && ((run, $1) in hasrows) {
	if (!((run, $1) in slope)) morder[++nm] = run SUBSEP $1
	slope[run, $1] = $3
}
END {
	for (i = 1; i <= nm; i++) {
		split(morder[i], f, SUBSEP)
		printf "M\t%s\t%s\t%s\n", f[1], item_of(f[2]), slope[morder[i]]
	}
	for (i = 1; i <= nk; i++) {
		k = order[i]; c = 0
		for (j = 1; j <= n[k]; j++) if (s[k, j] > lo[k] + T) c++
		split(k, f, SUBSEP)
		printf "%s\t%s\t%s\t%d\t%d\n", f[1], f[2], f[3], n[k], c
	}
}
