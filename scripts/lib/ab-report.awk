# SPDX-License-Identifier: GPL-2.0
# scripts/ab: the per item tables of report.md (markdown on stdout), from
# ab-collect.awk's list with these lines added (all tab-separated):
#   X grp item config metric run value     a figure with no spread (the
#                                          sweep's slope and charged calls, from
#                                          notibench export, summary-tsv)
#   S grp item run status reason           bench/all's run.meta: skip or fail
# Runs are 1 (the base) .. N; ENVIRON["AB_NAMES"] and ["AB_LABELS"] hold their
# names and kernel labels, tab-separated. One table per item and group (kmod,
# kvm): a row per metric, the columns
#   base  ±%stddev  %change  <variant>  ±%stddev  diff   (per variant)
# the way LKP's and mmtests' compare-kernels lay it out; ±%stddev is the
# samples' CV, diff the exact difference (exact runs are deterministic), * a
# difference compare flags (beyond both runs' spread and its tolerance).
# The cost rows are of every configuration, the sweep's slope and charged
# calls of every sweep, the other counts of the first configuration that has
# them. Count rows whose medians are 0 (or absent) in every run are left out;
# the cost rows never are. Items that failed in a run are listed with the message,
# never compared. A figure of a configuration some of whose calls charged the
# module's per-call cap (compare's note CLAMPED) is marked CLAMPED, and a sweep
# slope that notibench export gave as "clamped" reads "CLAMPED (no slope)": lower
# bounds, never answers, and compare flags neither.
BEGIN {
	FS = "\t"
	nruns = split(ENVIRON["AB_NAMES"], name, "\t")
	split(ENVIRON["AB_LABELS"], label, "\t")
	order["kmod"] = "ns_per_op charged_per_op sweep_slope nb_unmap_per_op nb_clear_per_op " \
		"nb_protection_vma_per_op nb_protection_page_per_op nb_soft_dirty_per_op " \
		"nb_release_per_op nb_migrate_per_op nb_exclusive_per_op nb_protection_upgrade_per_op " \
		"nb_other_per_op " \
		"nb_ranges_per_call nb_range_bytes_mean nb_tlb_per_op nb_tlb_bytes_mean " \
		"faults_per_op nb_mirror_zapped_per_op " \
		"nb_dev_refaults_per_op nops"
	order["kvm"] = "ns_per_op kvm_unmap_hva_range_per_op kvm_unmap_hva_range_per_call " \
		"kvm_entries_zapped_per_op kvm_entries_zapped " \
		"kvm_guest_refault_ns_per_op faults_per_op nops"
	title["charged_per_op"] = "charged calls/op (module)"
	title["sweep_slope"] = "sweep slope (insn/op per insn of cost)"
	title["nb_ranges_per_call"] = "notifier ranges/call"
	title["nb_range_bytes_mean"] = "bytes/range"
	title["nb_tlb_per_op"] = "secondary-TLB calls/op"
	title["nb_tlb_bytes_mean"] = "bytes/secondary-TLB range"
	title["faults_per_op"] = "page faults/op"
	title["nb_mirror_zapped_per_op"] = "mirror entries zapped/op"
	title["nb_dev_refaults_per_op"] = "device refaults/op"
	title["kvm_unmap_hva_range_per_call"] = "kvm_unmap_hva_range/call"
	title["kvm_unmap_hva_range_per_op"] = "kvm_unmap_hva_range/op"
	title["kvm_entries_zapped_per_op"] = "KVM entries zapped/op"
	title["kvm_entries_zapped"] = "KVM entries zapped/sample"
	title["kvm_guest_refault_ns_per_op"] = "KVM guest refault"
	title["nops"] = "ops/sample (the batch)"
	gname["kmod"] = "module (kmod backend, cost sweeps)"
	gname["kvm"] = "KVM (kvm backend, a nested guest's secondary MMU)"
}
function clean(s) { gsub(/\|/, "/", s); gsub(/[`<>]/, "_", s); return s }
function num(x) { return x != "" && x != "nan" && x != "-nan" }
function fmtv(x) { return x == "clamped" ? "CLAMPED (no slope)" : num(x) ? sprintf("%.10g", x + 0) : "-" }
function cl(k, r) { if ((k, r) in clamped) { anyclamped = 1; return " CLAMPED" } return "" }
function fmtcv(c) { return num(c) ? sprintf("±%.2f%%", c * 100) : "" }
function fmtchg(c, d) {
	if (c == "inf" || c == "-inf") return c
	if (num(c)) return sprintf("%+.3f%%", c)
	return num(d) && d + 0 == 0 ? "+0.000%" : "-"
}
function fmtdiff(d) { return num(d) ? sprintf("%+.10g", d + 0) : "-" }
function mtitle(g, m,    u, e) {
	if (m in title) {
		u = unit[g, m]
		return title[m] (m == "kvm_guest_refault_ns_per_op" ? " " (u != "" ? u : "ns/op") : "")
	}
	if (m == "ns_per_op") return "cost " (unit[g, m] != "" ? unit[g, m] : "ns/op")
	if (m ~ /^nb_.*_per_op$/) { e = substr(m, 4, length(m) - 10); return e " calls/op" }
	return m
}
$1 == "U" { unit[$2, $3] = $4; next }
$1 == "R" || $1 == "X" {
	g = $2; it = $3; cf = $4; m = $5; r = $6 + 0
	if (!((g, it) in seen_item)) { seen_item[g, it] = 1; items[g, ++nitems[g]] = it }
	if (!((g, it, cf) in seen_cfg)) { seen_cfg[g, it, cf] = 1; cfgs[g, it, ++ncfg[g, it]] = cf }
	k = g SUBSEP it SUBSEP cf SUBSEP m
	has[k] = 1
	if ($1 == "R") {
		med[k, r] = $8; cv[k, r] = $9; chg[k, r] = $10; dif[k, r] = $11; sig[k, r] = $12
		if ($13 ~ /^CLAMPED/) clamped[k, r] = 1
		if ($7 + 0 == 0) med[k, r] = ""
	} else
		med[k, r] = $7
	if ((num(med[k, r]) && med[k, r] + 0 != 0) || med[k, r] == "clamped") nonzero[k] = 1
	next
}
$1 == "F" {
	g = $2; it = $3
	if (!((g, it) in seen_item)) { seen_item[g, it] = 1; items[g, ++nitems[g]] = it }
	if ((g, it, $4) in failseen) next
	failseen[g, it, $4] = 1
	failed[g, it] = failed[g, it] sprintf("- **failed** in %s (%s): %s\n", name[$4], label[$4], clean($5))
	next
}
$1 == "M" {
	if (($2, $3, $4) in missseen) next
	missseen[$2, $3, $4] = 1
	missing[$2, $3] = missing[$2, $3] sprintf("- %s: %s (not compared)\n", $4 == "" ? "every configuration" : "`" clean($4) "`", clean($5))
	next
}
$1 == "S" { skipped[$2] = skipped[$2] sprintf("| %s | %s (%s) | %s | %s |\n", clean($3), name[$4], label[$4], $5, clean($6)); next }

# firstcfg(g, it, m): the first configuration of the item with a figure of
# metric m in some run (1 when none has): the counts do not depend on the
# cost, but the zap model's exist only in its kmod:zap configuration.
function firstcfg(g, it, m,    c, k, r) {
	for (c = 1; c <= ncfg[g, it]; c++) {
		k = g SUBSEP it SUBSEP cfgs[g, it, c] SUBSEP m
		if (!(k in has)) continue
		for (r = 1; r <= nruns; r++)
			if (num(med[k, r]) || med[k, r] == "clamped") return c
	}
	return 1
}
# row(g, it, cf, m): one table row, when it has something to show.
function row(g, it, cf, m,    k, r, s, base, v, d, c, x) {
	k = g SUBSEP it SUBSEP cf SUBSEP m
	if (!(k in has)) return
	if (m != "ns_per_op" && !(k in nonzero)) return
	s = "| " mtitle(g, m) " | `" clean(cf) "` | " fmtv(med[k, 1]) cl(k, 1) " | " fmtcv(cv[k, 1])
	base = med[k, 1]
	for (r = 2; r <= nruns; r++) {
		x = !((k, r) in chg)          # an X figure: computed here
		v = med[k, r]; d = dif[k, r]; c = chg[k, r]
		if (x) {
			d = num(v) && num(base) ? v - base : ""
			c = num(d) && num(base) && base + 0 != 0 ? d / (base < 0 ? -base : base) * 100 : ""
		}
		if (((k, r) in clamped) || ((k, 1) in clamped) || v == "clamped" || base == "clamped") {
			c = d = "not compared"
			anyclamped = 1
		}
		s = s " | " (c == "not compared" ? c : fmtchg(c, d)) (sig[k, r] == "1" ? " *" : "") \
			" | " fmtv(v) cl(k, r) " | " fmtcv(cv[k, r]) " | " (d == "not compared" ? "-" : fmtdiff(d))
	}
	print s " |"
	shown++
}
END {
	for (gi = 1; gi <= 2; gi++) {
		g = gi == 1 ? "kmod" : "kvm"
		if (!nitems[g] && !(g in skipped)) continue
		printf "\n## %s\n", gname[g]
		for (i = 1; i <= nitems[g]; i++) {
			it = items[g, i]
			printf "\n### %s\n\n", clean(it)
			if ((g, it) in failed) {
				printf "%s", failed[g, it]
				print "\nNot compared: its numbers do not measure the same work in every run."
				continue
			}
			h = "| metric | configuration | " name[1] " " label[1] " | ±%stddev"
			a = "|---|---|--:|--:"
			for (r = 2; r <= nruns; r++) {
				h = h " | %change | " name[r] " " label[r] " | ±%stddev | diff"
				a = a "|--:|--:|--:|--:"
			}
			print h " |"
			print a "|"
			shown = 0
			n = split(order[g], ms, " ")
			for (j = 1; j <= n; j++) {
				m = ms[j]
				# The cost and the sweeps' figures: of every configuration
				# (a sweep's under its first point); the counts: of the first.
				if (m == "ns_per_op" || m == "charged_per_op" || m == "sweep_slope")
					for (c = 1; c <= ncfg[g, it]; c++) row(g, it, cfgs[g, it, c], m)
				else
					row(g, it, cfgs[g, it, firstcfg(g, it, m)], m)
			}
			if ((g, it) in missing) printf "\n%s", missing[g, it]
			if (anyclamped)
				print "\nCLAMPED: some calls of that configuration charged the module's per-call " \
					"cap (1 ms; insn_range 2^28 instructions) instead of their cost: the figure is " \
					"a lower bound, not an answer, and is not compared; a sweep with such a " \
					"configuration gives no slope."
			anyclamped = 0
		}
		if (g in skipped) {
			print "\nNot run, skipped or failed in a run (bench/all's run.meta):\n"
			print "| item | run | status | reason |"
			print "|---|---|---|---|"
			printf "%s", skipped[g]
		}
	}
}
