# SPDX-License-Identifier: GPL-2.0
# The tables of scripts/exact-stability, from intrusion.awk's output (first
# file) and notibench export --format summary-tsv's table (second file), runs being the boots.
# Exit status 1 when a target is missed: a median's CV across the boots
# above 0.1 %, a sweep's slope (of its fastest deciles, as README.md judges
# sweeps; the medians' is shown too) off its charged calls by more than 1 %.
function fmt(x) { return x >= 1000 ? sprintf("%.1f", x) : sprintf("%.4g", x) }
FNR == 1 { file++ }
file == 1 && $1 == "M" { noslope[$3] = $4; next }
file == 1 { k = $2 SUBSEP $3; smp[k] += $4; intr[k] += $5; next }
{
	k = $2 SUBSEP $5
	if (!(k in nb)) { order[++nk] = k; item[k] = $2; cfg[k] = $5 }
	nb[k]++; med[k, $1] = $9; runs[$1] = 1
	if ($7 != "" && $6 == 1 && $24 != "") {
		g = $2 SUBSEP $7
		if (!(g in gn)) { gorder[++ng] = g; gitem[g] = $2; ggrp[g] = $7 }
		gn[g]++; sl[g, $1] = $24; cnt[g, $1] = $27; p10[g, $1] = $32
	}
}
END {
	nr = 0; for (r in runs) if (r + 0 > nr) nr = r + 0
	printf "%-34s %-40s %s %9s %9s\n", "item", "config", "median per boot (insn/op)", "CV %", "intruded"
	for (i = 1; i <= nk; i++) {
		k = order[i]; s = 0; ss = 0; m = 0; line = ""
		for (r = 1; r <= nr; r++) {
			v = med[k, r]
			line = line " " (v == "" ? "-" : fmt(v + 0))
			if (v != "") { m++; s += v; ss += v * v }
		}
		cv = ""
		if (m >= 2 && s != 0) {
			var = (ss - s * s / m) / (m - 1); if (var < 0) var = 0
			cv = 100 * sqrt(var) / (s / m); if (cv < 0) cv = -cv
		}
		tot++
		if (cv != "" && cv <= 0.1) ok++
		else if (cv != "") bad++
		if (cv != "" && cv > worst) { worst = cv; wk = k }
		ik = item[k] SUBSEP cfg[k]
		ipct = smp[ik] ? sprintf("%d/%d", intr[ik], smp[ik]) : "-"
		ti += intr[ik]; ts += smp[ik]
		printf "%-34s %-40s%s %9s %9s%s\n", item[k] == last ? "" : item[k], cfg[k], line,
			cv == "" ? "-" : sprintf("%.4f", cv), ipct, (cv != "" && cv > 0.1) ? "  > 0.1 %" : ""
		last = item[k]
	}
	printf "\nsweeps, per boot: slope of the fastest deciles (p10) and of the medians / charged calls\n"
	printf "per op counted by the module; the target is judged on p10, as every sweep is (README.md)\n"
	for (i = 1; i <= ng; i++) {
		g = gorder[i]; line = ""; gbad = 0
		for (r = 1; r <= nr; r++) {
			if (!((g, r) in sl)) { line = line " -"; continue }
			q = p10[g, r] != "" ? p10[g, r] : sl[g, r]
			line = line sprintf(" %s (%s)/%s", fmt(q + 0), fmt(sl[g, r] + 0), fmt(cnt[g, r] + 0))
			# No charged call: the slope must be under 1 % of one call.
			d = q - cnt[g, r]; if (d < 0) d = -d
			if (d > 0.01 * (cnt[g, r] > 1 ? cnt[g, r] : 1)) gbad = 1
		}
		# The benchmark says its slope is not the calls (CSV key sweep_slope).
		if (gitem[g] in noslope) {
			printf "%-34s %-36s%s  by design (sweep_slope): %s\n", gitem[g], ggrp[g], line,
				substr(noslope[gitem[g]], 1, 72) "..."
			nslope++
			continue
		}
		gtot++; if (gbad) sbad++
		printf "%-34s %-36s%s%s\n", gitem[g], ggrp[g], line, gbad ? "  off by > 1 %" : ""
	}
	printf "\n%d of %d item x configurations with a cross-boot CV of the median <= 0.1 %%", ok, tot
	if (wk != "") { split(wk, w, SUBSEP); printf " (worst %.4f %%: %s %s)", worst, w[1], w[2] }
	printf "\n%d of %d sweeps with every boot's slope within 1 %% of the charged calls", gtot - sbad, gtot
	printf "%s\n", nslope ? sprintf(" (and %d whose benchmark says why it is not the calls)", nslope) : ""
	printf "intruded samples: %d of %d (%.2f %%)\n", ti, ts, ts ? 100 * ti / ts : 0
	exit (bad || sbad) ? 1 : 0
}
