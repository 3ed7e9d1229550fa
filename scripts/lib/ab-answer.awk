# SPDX-License-Identifier: GPL-2.0
# scripts/ab: the answer of report.md (markdown on stdout) and, with -v
# plotdir=DIR, the data and gnuplot script of its plot (DIR/ab.gp, DIR/*.dat).
# Reads the same list as ab-report.awk (ab-collect.awk's lines plus X and S
# lines); ENVIRON["AB_NAMES"] and ["AB_LABELS"] name the runs 1 (the base) .. N.
#
# Per variant: one sentence over all items (in how many the notifier calls
# change, the kernel's own cost, what a per-call, a per-4 KiB and a zapping
# subscriber pay, KVM's unmaps and zaps), then one per item with the numbers.
# Per item the figures are (kmod group, the configuration kmod:count unless
# said): notifier calls per op by event, bytes per range, insn per op; the
# per-call sweep's charged calls per op (kmod:insn or kmod:spin); the per-4 KiB
# sweep's charged 4 KiB pages per op (kmod:insn_range); the zap model's mirror
# entries zapped per op (kmod:zap); the secondary-TLB hook's calls per op and
# bytes per range (kmod:count,cb=tlb) and the calls a subscriber charging each
# of them is charged (the SMMU model: kmod:insn,cb=tlb or kmod:spin,cb=tlb);
# and with KVM (kvm group) kvm_unmap_hva_range
# calls and entries zapped per op, and the guest's refault cost per op.
# Figures of failed items, and clamped ones, are never used.
BEGIN {
	FS = "\t"
	nruns = split(ENVIRON["AB_NAMES"], name, "\t")
	split(ENVIRON["AB_LABELS"], label, "\t")
}
function num(x) { return x != "" && x != "nan" && x != "-nan" && x != "clamped" }
# Text from the runs is data: in markdown no table or code breaks, in gnuplot
# (plan.awk's rule) only these characters.
function md(s) { gsub(/[|`<>*_\[\]]/, "-", s); return s }
function gpt(s) { gsub("[^A-Za-z0-9 _.,:;=+/#<>~%()!?&^-]", "_", s); return s }
function dtext(s) { gsub(/[^A-Za-z0-9._+-]/, "_", s); return s }
function fmt(x,    a) {
	if (!num(x)) return "-"
	a = x < 0 ? -x : x
	if (a >= 1000 || a == int(a)) return sprintf("%.0f", x)
	return sprintf("%.4g", x)
}
function bytes(x) {
	if (!num(x)) return "-"
	if (x >= 1099511627776 && x % 1099511627776 == 0) return (x / 1099511627776) " TiB"
	if (x >= 1073741824) return sprintf("%.5g GiB", x / 1073741824)
	if (x >= 1048576 && x % 1048576 == 0) return (x / 1048576) " MiB"
	if (x >= 1024 && x % 1024 == 0) return (x / 1024) " KiB"
	return sprintf("%.4g B", x)
}
function pct(a, b) { return num(a) && num(b) && a + 0 != 0 ? sprintf("%+.3f %%", (b - a) / (a < 0 ? -a : a) * 100) : "" }
function item_seen(it) { if (!(it in iseen)) { iseen[it] = 1; items[++nitems] = it } }
$1 == "R" || $1 == "X" {
	g = $2; it = $3; cf = $4; m = $5; r = $6 + 0
	item_seen(it)
	if (!((g, it) in first)) first[g, it] = cf
	v = $1 == "R" ? $8 : $7
	if ($1 == "R" && $7 + 0 == 0) v = ""
	if ($1 == "R" && $13 ~ /^CLAMPED/) v = "clamped"
	val[g, it, cf, m, r] = v
	if (m == "ns_per_op" && g == "kmod") {
		if (cf == "kmod:count") countcfg[it] = cf
		else if (cf == "kmod:count,cb=tlb") tlbcfg[it] = cf
		else if (cf ~ /^kmod:(insn|spin),cb=tlb,/) { if (!(it in smmucfg)) smmucfg[it] = cf }
		else if (cf ~ /^kmod:insn_range,/) { if (!(it in rangecfg)) rangecfg[it] = cf }
		else if (cf ~ /^kmod:(insn|spin),/ && !(it in callcfg)) callcfg[it] = cf
		else if (cf ~ /^kmod:zap/) zapcfg[it] = cf
	}
	if (g == "kvm" && m == "ns_per_op") kvmcfg[it] = cf
	next
}
$1 == "F" { failed[$3] = 1; item_seen($3); next }
$1 == "S" { if ($5 !~ /^ok/) { notrun[$3] = notrun[$3] sprintf("%s%s: %s", notrun[$3] == "" ? "" : "; ", name[$4], $5); item_seen($3) } next }
# get(g, it, cf, m, r): a figure, "" when there is none.
function get(g, it, cf, m, r) { return (g, it, cf, m, r) in val ? val[g, it, cf, m, r] : "" }
function ccfg(it) { return it in countcfg ? countcfg[it] : first["kmod", it] }
# The notifier calls per op of run r: the sum over events (start calls).
function calls(it, r,    k, e, s, any, v) {
	s = 0; any = 0
	for (e = 1; e <= nev; e++) {
		v = get("kmod", it, ccfg(it), evm[e], r)
		if (num(v)) { s += v; any = 1 }
	}
	return any ? s : ""
}
function byevent(it, r,    e, v, s) {
	s = ""
	for (e = 1; e <= nev; e++) {
		v = get("kmod", it, ccfg(it), evm[e], r)
		if (num(v) && v + 0 != 0) s = s (s == "" ? "" : " + ") fmt(v) " " evname[e]
	}
	return s == "" ? "0" : s
}
# The figures of one item and run, into F[key] (empty when absent).
function figures(it, r) {
	delete F
	F["calls"] = calls(it, r)
	F["events"] = byevent(it, r)
	F["bytes"] = get("kmod", it, ccfg(it), "nb_range_bytes_mean", r)
	F["cost"] = get("kmod", it, ccfg(it), "ns_per_op", r)
	F["faults"] = get("kmod", it, ccfg(it), "faults_per_op", r)
	if (it in callcfg) F["percall"] = get("kmod", it, callcfg[it], "charged_per_op", r)
	if (it in rangecfg) F["pages"] = get("kmod", it, rangecfg[it], "charged_per_op", r)
	# A clamped per-4 KiB sweep has no answer (ab-report.awk marks it).
	if (it in rangecfg && get("kmod", it, rangecfg[it], "sweep_slope", r) == "clamped") F["pages"] = "clamped"
	if (it in zapcfg) F["zapped"] = get("kmod", it, zapcfg[it], "nb_mirror_zapped_per_op", r)
	if (it in tlbcfg) {
		F["tlb"] = get("kmod", it, tlbcfg[it], "nb_tlb_per_op", r)
		F["tlbbytes"] = get("kmod", it, tlbcfg[it], "nb_tlb_bytes_mean", r)
	}
	if (it in smmucfg) F["smmu"] = get("kmod", it, smmucfg[it], "charged_per_op", r)
	if (it in kvmcfg) {
		F["kcost"] = get("kvm", it, kvmcfg[it], "ns_per_op", r)
		F["kunmap"] = get("kvm", it, kvmcfg[it], "kvm_unmap_hva_range_per_op", r)
		F["kzap"] = get("kvm", it, kvmcfg[it], "kvm_entries_zapped_per_op", r)
		F["krefault"] = get("kvm", it, kvmcfg[it], "kvm_guest_refault_ns_per_op", r)
	}
}
# "a -> b" (with the change when asked); a figure missing on either side: "".
function arrow(a, b, withpct,    p) {
	if (!num(a) && !num(b)) return ""
	p = withpct ? pct(a, b) : ""
	return fmt(a) " → " fmt(b) (p != "" ? " (" p ")" : "")
}
function differs(a, b) { return num(a) && num(b) && a + 0 != b + 0 }
function ratio(a, b) {
	if (!num(a) || !num(b)) return 0
	if (a + 0 == 0 && b + 0 == 0) return 1
	if (a + 0 == 0 || b + 0 == 0) return 1e18
	return a > b ? a / b : b / a
}
END {
	split("unmap clear protection_vma protection_page soft_dirty release migrate exclusive protection_upgrade other", evn, " ")
	for (e = 1; e in evn; e++) { nev = e; evname[e] = evn[e]; evm[e] = "nb_" evn[e] "_per_op" }
	unit = "insn"
	print "## Answer"
	print ""
	print "One sentence per variant over every item, then one per item (kmod:count's counts and"
	print "cost; charged calls of the per-call sweep, 4 KiB pages of the per-4 KiB sweep"
	print "(`kmod:insn_range`), mirror entries of the zap model; KVM's unmaps, zapped entries and"
	print "the guest's refault cost, all per op). Exact runs: every figure is a median of"
	print "samples that repeat, differences are the kernels'."
	for (r = 2; r <= nruns; r++) {
		nit = nchg = nkc = 0; cmin = 1e18; cmax = -1e18
		best_c = best_p = best_k = best_z = best_u = ""; rc = rp = rk = rz = ru = 0
		npc = npp = nku = nkz = nzz = ntc = ntb = 0; best_t = ""; rt = 0
		for (i = 1; i <= nitems; i++) {
			it = items[i]
			if (it in failed || it in notrun) continue
			figures(it, 1); split("", A); for (k in F) A[k] = F[k]
			figures(it, r)
			nit++
			if (differs(A["calls"], F["calls"])) { nchg++; x = ratio(A["calls"], F["calls"]); if (x > rc) { rc = x; best_c = it } }
			if (num(A["cost"]) && num(F["cost"]) && A["cost"] + 0 != 0) {
				d = (F["cost"] - A["cost"]) / A["cost"] * 100; nkc++
				if (d < cmin) { cmin = d; imin = it }
				if (d > cmax) { cmax = d; imax = it }
			}
			if (differs(A["percall"], F["percall"])) { npc++; x = ratio(A["percall"], F["percall"]); if (x > rp) { rp = x; best_p = it } }
			if (differs(A["pages"], F["pages"])) { npp++; x = ratio(A["pages"], F["pages"]); if (x > rk) { rk = x; best_k = it } }
			if (differs(A["zapped"], F["zapped"])) { nzz++; x = ratio(A["zapped"], F["zapped"]); if (x > rz) { rz = x; best_z = it } }
			if (differs(A["kunmap"], F["kunmap"])) { nku++; x = ratio(A["kunmap"], F["kunmap"]); if (x > ru) { ru = x; best_u = it } }
			if (differs(A["kzap"], F["kzap"])) nkz++
			if (differs(A["tlb"], F["tlb"])) ntc++
			if (differs(A["tlbbytes"], F["tlbbytes"]) || num(A["tlbbytes"]) != num(F["tlbbytes"])) {
				ntb++; x = ratio(A["tlbbytes"], F["tlbbytes"]); if (best_t == "" || x > rt) { rt = x; best_t = it }
			}
		}
		printf "\n### %s (%s) against %s (%s)\n\n", md(name[r]), md(label[r]), md(name[1]), md(label[1])
		s = sprintf("Of %d items, the notifier calls per op change in %d", nit, nchg)
		if (best_c != "") { figures(best_c, 1); a = F["calls"]; figures(best_c, r); s = s sprintf(" (most in %s: %s)", md(best_c), arrow(a, F["calls"], 0)) }
		if (nkc) s = s sprintf("; the insn per op with a counting subscriber (kmod:count) by %+.3f %% (%s) to %+.3f %% (%s)", cmin, md(imin), cmax, md(imax))
		if (npc || best_p != "") { figures(best_p, 1); a = F["percall"]; figures(best_p, r); s = s sprintf("; a per-call subscriber is charged other calls in %d (most in %s: %s per op)", npc, md(best_p), arrow(a, F["percall"], 0)) }
		else s = s "; a per-call subscriber is charged the same calls in every item"
		if (npp) { figures(best_k, 1); a = F["pages"]; figures(best_k, r); s = s sprintf(", a per-4 KiB one other pages in %d (most in %s: %s 4 KiB pages per op)", npp, md(best_k), arrow(a, F["pages"], 0)) }
		if (nzz) { figures(best_z, 1); a = F["zapped"]; figures(best_z, r); s = s sprintf(", a zapping mirror other entries in %d (most in %s: %s per op)", nzz, md(best_z), arrow(a, F["zapped"], 0)) }
		if (length(tlbcfg)) {
			s = s sprintf("; the secondary-TLB hook's calls per op change in %d, the bytes of its ranges in %d", ntc, ntb)
			if (best_t != "") { figures(best_t, 1); a = F["tlbbytes"]; figures(best_t, r); s = s sprintf(" (most in %s: %s → %s per range)", md(best_t), bytes(a), bytes(F["tlbbytes"])) }
		}
		if (nku || nkz) {
			s = s sprintf("; KVM's unmaps per op change in %d, its zapped entries in %d", nku, nkz)
			if (best_u != "") { figures(best_u, 1); a = F["kunmap"]; figures(best_u, r); s = s sprintf(" (most in %s: %s unmaps per op)", md(best_u), arrow(a, F["kunmap"], 0)) }
		} else if (length(kvmcfg))
			s = s "; KVM's unmaps and zapped entries per op are the same in every item"
		print "**" s ".**"
		print ""
		for (i = 1; i <= nitems; i++) {
			it = items[i]
			if (it in failed) { printf "- `%s`: failed in a run: not compared (below).\n", md(it); continue }
			if (it in notrun) { printf "- `%s`: not compared: %s.\n", md(it), md(notrun[it]); continue }
			figures(it, 1); split("", A); for (k in F) A[k] = F[k]
			figures(it, r)
			s = sprintf("- `%s`: notifier calls per op %s", md(it), A["events"] == F["events"] ? F["events"] " in both" : A["events"] " → " F["events"])
			if (num(A["bytes"]) || num(F["bytes"])) s = s sprintf(", %s per range", A["bytes"] == F["bytes"] ? bytes(F["bytes"]) : bytes(A["bytes"]) " → " bytes(F["bytes"]))
			if (num(A["cost"])) s = s sprintf("; %s %s/op with kmod:count", arrow(A["cost"], F["cost"], 1), unit)
			if (num(A["percall"]) || num(F["percall"])) s = s sprintf("; per-call subscriber: %s charged calls/op", arrow(A["percall"], F["percall"], 0))
			if (A["pages"] == "clamped" || F["pages"] == "clamped") s = s "; per-4 KiB subscriber: CLAMPED (not compared)"
			else if (num(A["pages"]) || num(F["pages"])) s = s sprintf("; per-4 KiB subscriber: %s pages/op", arrow(A["pages"], F["pages"], 0))
			if (num(A["zapped"]) || num(F["zapped"])) s = s sprintf("; zap model: %s mirror entries zapped/op", arrow(A["zapped"], F["zapped"], 0))
			if (num(A["tlb"]) || num(F["tlb"])) s = s sprintf("; secondary-TLB hook: %s calls/op, %s per range", arrow(A["tlb"], F["tlb"], 0), A["tlbbytes"] == F["tlbbytes"] ? bytes(F["tlbbytes"]) : bytes(A["tlbbytes"]) " → " bytes(F["tlbbytes"]))
			if (num(A["smmu"]) || num(F["smmu"])) s = s sprintf("; SMMU model (charged per hook call): %s charged calls/op", arrow(A["smmu"], F["smmu"], 0))
			if (num(A["kcost"]) || num(F["kcost"])) s = s sprintf("; KVM: %s %s/op", arrow(A["kcost"], F["kcost"], 1), unit)
			if (num(A["kunmap"]) || num(F["kunmap"])) s = s sprintf("%s %s kvm_unmap_hva_range/op", num(A["kcost"]) || num(F["kcost"]) ? "," : "; KVM:", arrow(A["kunmap"], F["kunmap"], 0))
			if (num(A["kzap"]) || num(F["kzap"])) s = s sprintf(", %s entries zapped/op", arrow(A["kzap"], F["kzap"], 0))
			if ((num(A["kzap"]) && A["kzap"] + 0) || (num(F["kzap"]) && F["kzap"] + 0)) s = s sprintf(", guest refault %s %s/op", arrow(A["krefault"], F["krefault"], 0), unit)
			print s "."
		}
	}
	if (plotdir != "") plot()
}

# --- the plot: one panel per figure some item has, the answer first ---
# panel(key, title, ylabel): DIR/<key>.dat (item, then one column per run;
# "?" where there is none) and its gnuplot commands, when any item has the figure.
# A key "chg:K": the variants' change of figure K against the base, in %.
function panel(key, title, ylabel,    i, r, it, line, any, mn, mx, v, f, lg, chg, k, r0, b) {
	any = 0; mn = 1e300; mx = 0
	chg = key ~ /^chg:/; k = chg ? substr(key, 5) : key; r0 = chg ? 2 : 1
	f = plotdir "/" (chg ? "chg-" k : k) ".dat"
	printf "item" > f
	for (r = r0; r <= nruns; r++) printf "\t%s", dtext(label[r]) > f
	print "" > f
	for (i = 1; i <= nitems; i++) {
		it = items[i]
		if (it in failed || it in notrun) continue
		line = dtext(substr(it, 1, 3) == "ab-" ? substr(it, 4) : it)
		figures(it, 1); b = F[k]
		for (r = r0; r <= nruns; r++) {
			figures(it, r)
			v = F[k]
			if (chg) v = num(v) && num(b) && b + 0 != 0 ? (v - b) / b * 100 : ""
			if (num(v)) { any = 1; if (v + 0 > 0 && v + 0 < mn) mn = v + 0; if (v + 0 > mx) mx = v + 0 }
			line = line "\t" (num(v) ? v + 0 : "?")
		}
		print line > f
	}
	close(f)
	if (!any) return
	npanel++
	Pr0[npanel] = r0
	if (chg) {
		P[npanel] = sprintf("set title \"%s\"\nset ylabel \"%s\"\nunset logscale y; set autoscale y; set format y '%%+.3g'\n",
			gpt(title), gpt(ylabel))
		Pf[npanel] = "chg-" k
		return
	}
	lg = mx > 0 && mn < 1e300 && mx / mn > 100
	P[npanel] = sprintf("set title \"%s%s\"\nset ylabel \"%s\"\n%s\n", gpt(title),
		lg ? " (log scale: no bar is 0)" : "", gpt(ylabel),
		lg ? sprintf("set logscale y; set yrange [%g:%g]; set format y '%%.0s%%c'", mn / 2, mx * 2) : \
		sprintf("unset logscale y; set format y '%%.4g'; set yrange [0:%g]", mx > 0 ? mx * 1.2 : 1))
	Pf[npanel] = key
}
function plot(    gp, p, r, rows) {
	npanel = 0
	panel("calls", "notifier calls per op (kmod:count, every event): the answer", "calls per op")
	panel("chg:cost", "cost per op with a counting subscriber (kmod:count): change against " label[1], "% change")
	panel("percall", "a per-call subscriber: charged calls per op (kmod:insn sweep)", "charged calls per op")
	panel("pages", "a per-4 KiB subscriber: 4 KiB pages charged per op (kmod:insn_range)", "4 KiB pages per op")
	panel("zapped", "a zapping mirror (kmod:zap): entries zapped and refaulted per op", "entries per op")
	panel("chg:kcost", "KVM (nested guest): cost per op, change against " label[1], "% change")
	panel("kunmap", "KVM (nested guest): kvm_unmap_hva_range calls per op", "calls per op")
	panel("kzap", "KVM (nested guest): secondary entries zapped per op", "entries per op")
	if (!npanel) return
	gp = plotdir "/ab.gp"
	rows = int((npanel + 1) / 2)
	printf "set multiplot layout %d,%d title \"A/B: %s against the base %s (exact mode: %s)\" font ',12'\n",
		rows, (npanel > 1 ? 2 : 1), gpt(label_list()), gpt(label[1]), unit > gp
	print "set datafile separator '\\t'; set datafile missing '?'" > gp
	print "set style data histogram; set style histogram clustered gap 1" > gp
	print "set style fill solid 0.85 border rgb 'gray30'; set boxwidth 0.9" > gp
	print "set grid ytics; set xtics rotate by -35 left nomirror font ',8'; set bmargin 8; set rmargin 9" > gp
	print "set key above horizontal font ',9'" > gp
	for (p = 1; p <= npanel; p++) {
		printf "%s", P[p] > gp
		printf "plot" > gp
		for (r = Pr0[p]; r <= nruns; r++)
			printf "%s '%s.dat' using %d%s title columnheader(%d) lc %d", (r > Pr0[p] ? "," : ""), Pf[p],
				r - Pr0[p] + 2, (r == Pr0[p] ? ":xtic(1)" : ""), (r - Pr0[p] + 2), r > gp
		print "" > gp
	}
	print "unset multiplot" > gp
	close(gp)
	printf "%d %d\n", 1400, 380 * rows + 60 > (plotdir "/size")
	close(plotdir "/size")
}
function label_list(    r, s) { for (r = 2; r <= nruns; r++) s = s (r > 2 ? ", " : "") label[r]; return s }
