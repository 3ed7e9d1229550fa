# SPDX-License-Identifier: GPL-2.0
# Summarise notibench CSVs for scripts/plot and scripts/summary.
# usage: awk -v sumf=SUM.tsv -v histf=HIST.tsv -f scripts/lib/csv.awk \
#            -f scripts/lib/extract.awk run=1 A.csv B.csv run=2 C.csv ...
#
# The item of a file is its name without ".csv" and without a repetition
# suffix ".rN" (bench/all --repeat). Repetitions of an item in one run are
# pooled: the median of their medians, the lowest ci95_lo and the highest
# ci95_hi (an envelope of the repetitions' confidence intervals).
#
# sumf, one line per run, item and configuration (tab-separated):
#   run item bench cfgorder config base group ns median lo hi
#   call_median call_lo call_hi ranges kvm_ranges charged_per_op
#   layout size_bytes size op align writer slope intercept r2 counted reps
#   chunk chunk_bytes submit p10_slope floor_slope floors clamped sweep_clamped
# chunk and submit are zap's --chunk and --submit (empty for other benchmarks);
# p10_slope the sweep's fastest-decile fit (empty for CSVs from before it);
# floor_slope and floors (resolved, unresolved, uncharged) the fit of its
# configurations' fastest samples and whether it resolves its cost steps
# (exact mode only; empty otherwise). clamped is the most calls per op any
# sample of the configuration had charged the module's per-call cap
# (nb_capped_per_op's max; "yes" when only config.K.clamped says so; empty
# when none was): its time per op is then a lower bound, not an answer.
# sweep_clamped is 1 when the sweep's metadata says "clamped" (some
# configuration of it was): no slope is given for it, and none is borrowed.
# base is 1 for a configuration that is not a cost sweep and for the cheapest
# point of each sweep (the one the bar charts show); group is the sweep's
# configuration without ",ns=N" (",n=N" for kmod:insn; "" when not a sweep); ns
# its configured cost (instructions for kmod:insn).
# histf, one line per run, item and range-size bucket of the first
# configuration with module counters (the counts do not depend on the cost):
#   run item bench config callback bucket bucket_bytes ranges_per_op

function basename(p) { sub(/.*\//, "", p); return p }
function num(s) { return s == "" ? "" : s + 0 }
# bytes("64M") = 67108864; "" when not a size.
function bytes(s,    n, u) {
	if (s == "full") return 18446744073709551615
	if (s ~ /^</) return 0
	if (s ~ /^>=/) { s = substr(s, 3); return bytes(s) + 1 }
	if (s !~ /^[0-9]+[KMGT]?$/) return ""
	n = s + 0; u = substr(s, length(s), 1)
	if (u == "K") n *= 1024
	else if (u == "M") n *= 1048576
	else if (u == "G") n *= 1073741824
	else if (u == "T") n *= 1099511627776
	return n
}
# arg(cmd, opt, dflt): the value following opt in a command line.
function arg(cmd, opt, dflt,    w, n, i) {
	n = split(cmd, w, " ")
	for (i = 1; i < n; i++)
		if (w[i] == opt) return w[i + 1]
	return dflt
}
function sortnum(a, n,    i, j, t) {
	for (i = 2; i <= n; i++) {
		t = a[i]
		for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]
		a[j + 1] = t
	}
}
function median_of(list,    a, n, i) {
	n = split(list, a, " ")
	if (n == 0) return ""
	for (i = 1; i <= n; i++) a[i] += 0
	sortnum(a, n)
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function lowest(list,    a, n, i, m) {
	n = split(list, a, " "); m = ""
	for (i = 1; i <= n; i++) if (m == "" || a[i] + 0 < m + 0) m = a[i] + 0
	return m
}
function highest(list,    a, n, i, m) {
	n = split(list, a, " "); m = ""
	for (i = 1; i <= n; i++) if (m == "" || a[i] + 0 > m + 0) m = a[i] + 0
	return m
}
function add(arr, k, v) { if (v != "") arr[k] = (k in arr) ? arr[k] " " v : v }

# End of one file: fold its configurations into the run's items.
function flush(    c, k, cfg, g, ns, m) {
	if (cur_file == "") return
	for (c = 1; c <= ncfg; c++) {
		cfg = cfgname[c]
		k = cur_run SUBSEP cur_item SUBSEP cfg
		if (!(k in seen)) {
			seen[k] = 1
			order[++nkeys] = k
			K_run[nkeys] = cur_run; K_item[nkeys] = cur_item; K_cfg[nkeys] = cfg
			K_bench[nkeys] = cur_bench; K_cfgorder[nkeys] = c
			K_layout[nkeys] = cur_layout; K_size[nkeys] = cur_size
			K_op[nkeys] = cur_op; K_align[nkeys] = cur_align; K_writer[nkeys] = cur_writer
			K_chunk[nkeys] = cur_chunk; K_submit[nkeys] = cur_submit
			idx[k] = nkeys
		}
		m = idx[k]
		add(V_med, m, F_med[cfg]); add(V_lo, m, F_lo[cfg]); add(V_hi, m, F_hi[cfg])
		add(V_cmed, m, F_cmed[cfg]); add(V_clo, m, F_clo[cfg]); add(V_chi, m, F_chi[cfg])
		add(V_rng, m, F_rng[cfg]); add(V_kvm, m, F_kvm[cfg]); add(V_chg, m, F_chg[cfg])
		V_reps[m]++
		g = cfg; ns = ""
		if (match(cfg, /,ns=[0-9]+/) || match(cfg, /,n=[0-9]+/)) {
			ns = substr(cfg, RSTART, RLENGTH); ns = substr(ns, index(ns, "=") + 1) + 0
			g = substr(cfg, 1, RSTART - 1) substr(cfg, RSTART + RLENGTH)
		}
		K_group[m] = g; K_ns[m] = ns
		if (ns != "") {
			if (!((cur_run SUBSEP cur_item SUBSEP g SUBSEP ns) in gns)) {
				gns[cur_run SUBSEP cur_item SUBSEP g SUBSEP ns] = 1
				gcount[cur_run SUBSEP cur_item SUBSEP g]++
			}
			if (!((cur_run SUBSEP cur_item SUBSEP g) in gmin) || ns < gmin[cur_run SUBSEP cur_item SUBSEP g])
				gmin[cur_run SUBSEP cur_item SUBSEP g] = ns
		}
		if (F_cap[cfg] != "" && F_cap[cfg] > 0 && (V_cap[m] == "" || F_cap[cfg] > V_cap[m]))
			V_cap[m] = F_cap[cfg]
		if ((cfg in F_cmark) && V_cap[m] == "") V_cap[m] = "yes"
		if ((g in F_clamp)) {
			V_sclamp[m] = 1
		} else if ((g in F_slope)) {
			add(V_slope, m, F_slope[g]); add(V_icpt, m, F_icpt[g])
			add(V_r2, m, F_r2[g]); add(V_cnt, m, F_cnt[g])
			if (g in F_p10) add(V_p10, m, F_p10[g])
			if (g in F_fl) { add(V_fl, m, F_fl[g]); V_res[m] = V_res[m] == "" || V_res[m] == F_res[g] ? F_res[g] : "mixed" }
		} else if (ns != "" && F_anyslope != "") {
			add(V_slope, m, F_slope[F_anyslope]); add(V_icpt, m, F_icpt[F_anyslope])
			add(V_r2, m, F_r2[F_anyslope]); add(V_cnt, m, F_cnt[F_anyslope])
			if (F_anyslope in F_p10) add(V_p10, m, F_p10[F_anyslope])
		}
	}
	if (hist_cfg != "" && hist_nops > 0) {
		HR[cur_run SUBSEP cur_item]++
		for (b in H) {
			k = cur_run SUBSEP cur_item SUBSEP b
			if (!(k in HH)) { hk[++nh] = k; H_cfg[nh] = hist_cfg; H_cb[nh] = hist_cb; H_bench[nh] = cur_bench }
			HH[k] += H[b] / hist_nops
		}
	}
	split("", F_med); split("", F_lo); split("", F_hi); split("", F_cmed)
	split("", F_clo); split("", F_chi); split("", F_rng); split("", F_kvm); split("", F_chg)
	split("", F_slope); split("", F_icpt); split("", F_r2); split("", F_cnt); split("", F_p10)
	split("", F_fl); split("", F_res); split("", F_cap); split("", F_clamp)
	split("", F_lab); split("", F_cmark)
	split("", cfgseen); split("", H)
	ncfg = 0; hist_cfg = ""; hist_nops = 0; hist_col = 0; F_anyslope = ""
	cur_file = ""
}

FNR == 1 {
	flush()
	cur_file = FILENAME
	cur_run = run  # an operand run=N is assigned before the next file starts
	cur_layout = cur_size = cur_op = cur_align = cur_writer = cur_chunk = cur_submit = ""
	cur_item = basename(FILENAME)
	gsub(/[[:cntrl:]]/, "?", cur_item)  # the callers refuse such names; never a broken list
	sub(/\.csv$/, "", cur_item)
	sub(/\.r[0-9]+$/, "", cur_item)
	cur_bench = ""
}
/^# benchmark: / { cur_bench = substr($0, 14) }
# config.K's label, and whether the harness marked it clamped (config.K.clamped)
/^# config\.[0-9]+: / { k = substr($2, 8); sub(/:$/, "", k); F_lab[k] = substr($0, index($0, ": ") + 2) }
/^# config\.[0-9]+\.clamped: / { k = substr($2, 8); sub(/\.clamped:$/, "", k); if (k in F_lab) F_cmark[F_lab[k]] = 1 }
/^# command: / {
	cmd = substr($0, 12)
	cur_layout = arg(cmd, "--layout", "")
	cur_size = arg(cmd, "--size", "")
	cur_op = arg(cmd, "--op", "")
	cur_align = arg(cmd, "--align", "")
	cur_writer = arg(cmd, "--writer", "")
	cur_chunk = arg(cmd, "--chunk", "")
	cur_submit = arg(cmd, "--submit", "")
}
# "# sweep: kmod:spin: slope 5.5203, intercept 66764.1 ns, r2 0.99504, charged calls per op 4.0000, ..."
/^# sweep: / {
	s = substr($0, 10)
	p = index(s, ": slope ")
	if (index(s, ": clamped: ") && (!p || index(s, ": clamped: ") < p))
		F_clamp[substr(s, 1, index(s, ": clamped: ") - 1)] = 1
	else if (p) {
		g = substr(s, 1, p - 1); rest = substr(s, p + 2)
		n = split(rest, w, /[ ,]+/)
		for (i = 1; i < n; i++) {
			if (w[i] == "slope") F_slope[g] = w[i + 1]
			else if (w[i] == "p10_slope") F_p10[g] = w[i + 1]
			else if (w[i] == "floor_slope") F_fl[g] = w[i + 1]
			else if (w[i] == "floors") F_res[g] = w[i + 1]
			else if (w[i] == "intercept") F_icpt[g] = w[i + 1]
			else if (w[i] == "r2") F_r2[g] = w[i + 1]
			else if (w[i] == "op" && w[i - 1] == "per") F_cnt[g] = w[i + 1]
		}
		if (F_anyslope == "") F_anyslope = g
	}
}
nb_row {
	if (cur_bench == "") { cur_bench = cur_item; sub(/-.*/, "", cur_bench) }
	if (cur_layout == "" && cur_bench == "mprotect") cur_layout = "dense4k"
	if (cur_size == "" && cur_bench == "mprotect") cur_size = "2M"
	if (cur_op == "" && cur_bench == "mprotect") cur_op = "toggle"
	if (cur_align == "" && cur_bench == "mprotect") cur_align = "1g"
	if (cur_op == "" && cur_bench == "zap") cur_op = "dontneed"
	if (cur_chunk == "" && cur_bench == "zap") cur_chunk = "4k"
	if (cur_submit == "" && cur_bench == "zap") cur_submit = "syscall"
	kind = csv_get("kind"); cfg = csv_get("config")
	if (!(cfg in cfgseen)) { cfgseen[cfg] = 1; cfgname[++ncfg] = cfg }
	if (kind == "median") {
		F_med[cfg] = num(csv_get("ns_per_op")); F_cmed[cfg] = num(csv_get("ns_per_call"))
		F_rng[cfg] = num(csv_get("nb_ranges_per_call"))
		F_kvm[cfg] = num(csv_get("kvm_unmap_hva_range_per_call"))
		c = csv_get("nb_charged_calls"); o = csv_get("nops")
		F_chg[cfg] = (c != "" && o + 0 > 0) ? c / o : ""
	} else if (kind == "max") {
		F_cap[cfg] = num(csv_get("nb_capped_per_op"))
	} else if (kind == "ci95_lo") {
		F_lo[cfg] = num(csv_get("ns_per_op")); F_clo[cfg] = num(csv_get("ns_per_call"))
	} else if (kind == "ci95_hi") {
		F_hi[cfg] = num(csv_get("ns_per_op")); F_chi[cfg] = num(csv_get("ns_per_call"))
	} else if (kind == "sample") {
		if (!hist_col) {
			if ("nb_start_hist" in nb_col) { hist_col = nb_col["nb_start_hist"]; hist_cb = "start" }
			else if ("nb_interval_hist" in nb_col) { hist_col = nb_col["nb_interval_hist"]; hist_cb = "interval" }
			else {
				for (name in nb_col)
					if (name ~ /^nb_.*_hist$/) {
						hist_col = nb_col[name]; hist_cb = substr(name, 4, length(name) - 8)
						break
					}
				if (!hist_col) hist_col = -1
			}
		}
		if (hist_col > 0 && hist_cfg == "" && csv_get("nb_ranges_per_call") != "")
			hist_cfg = cfg
		if (hist_col > 0 && cfg == hist_cfg) {
			hist_nops += csv_get("nops")
			n = split(nb_f[hist_col], pairs, " ")
			for (i = 1; i <= n; i++) {
				p = pairs[i]
				for (j = length(p); j > 0 && substr(p, j, 1) != ":"; j--) ;
				if (j > 1) H[substr(p, 1, j - 1)] += substr(p, j + 1)
			}
		}
	}
}

END {
	flush()
	for (m = 1; m <= nkeys; m++) {
		gk = K_run[m] SUBSEP K_item[m] SUBSEP K_group[m]
		sweep = K_ns[m] != "" && gcount[gk] >= 2
		base = !sweep || K_ns[m] == gmin[gk]
		printf "%s\t%s\t%s\t%d\t%s\t%d\t%s\t%s", K_run[m], K_item[m], K_bench[m], K_cfgorder[m],
			K_cfg[m], base, sweep ? K_group[m] : "", sweep ? K_ns[m] : "" > sumf
		printf "\t%s\t%s\t%s\t%s\t%s\t%s", median_of(V_med[m]), lowest(V_lo[m]), highest(V_hi[m]),
			median_of(V_cmed[m]), lowest(V_clo[m]), highest(V_chi[m]) > sumf
		printf "\t%s\t%s\t%s", median_of(V_rng[m]), median_of(V_kvm[m]), median_of(V_chg[m]) > sumf
		printf "\t%s\t%s\t%s\t%s\t%s\t%s", K_layout[m], K_size[m] == "" ? "" : sprintf("%.0f", bytes(K_size[m])), K_size[m], K_op[m],
			K_align[m], K_writer[m] > sumf
		printf "\t%s\t%s\t%s\t%s\t%d", sweep ? median_of(V_slope[m]) : "",
			sweep ? median_of(V_icpt[m]) : "", sweep ? median_of(V_r2[m]) : "",
			sweep ? median_of(V_cnt[m]) : "", V_reps[m] > sumf
		printf "\t%s\t%s\t%s\t%s", K_chunk[m], K_chunk[m] == "" ? "" : sprintf("%.0f", bytes(toupper(K_chunk[m]))),
			K_submit[m], sweep && (m in V_p10) ? median_of(V_p10[m]) : "" > sumf
		printf "\t%s\t%s", sweep && (m in V_fl) ? median_of(V_fl[m]) : "", sweep ? V_res[m] : "" > sumf
		printf "\t%s\t%s\n", V_cap[m], sweep && V_sclamp[m] ? 1 : "" > sumf
	}
	for (i = 1; i <= nh; i++) {
		split(hk[i], a, SUBSEP)
		printf "%s\t%s\t%s\t%s\t%s\t%s\t%.0f\t%.6g\n", a[1], a[2], H_bench[i], H_cfg[i], H_cb[i],
			a[3], bytes(a[3]), HH[hk[i]] / HR[a[1] SUBSEP a[2]] > histf
	}
}
