# SPDX-License-Identifier: GPL-2.0
# scripts/plot's planner: reads labels.tsv, sum.tsv and hist.tsv (see
# results/README.md "For the scripts": notibench export --format summary-tsv,
# histogram-tsv) and writes, into directory W, one gnuplot script NAME.gp per plot
# with its data files, and plots.list ("NAME WIDTH HEIGHT" lines). The terminal
# and output are set by the caller. Variables: W, only (",bars,sweep,...,"),
# allcfg (1: bars show every configuration). labels.tsv: run, label, unit
# (clock_unit: ns, or insn for exact runs, whose times are guest
# instructions). Runs of one unit share a plot; when both are present the
# exact runs' plots are named with "-insn" (bars-mprotect-insn).

BEGIN { FS = "\t"; nfile = 0 }
FNR == 1 { nfile++ }
nfile == 1 {
	label[$1] = clean($2); runit[$1] = $3 == "insn" ? "insn" : "ns"
	if (!(runit[$1] in unitseen)) { unitseen[runit[$1]] = 1; nunits++ }
	next
}
nfile == 2 {
	n = ++ns
	S_run[n] = $1; S_item[n] = clean($2); S_bench[n] = clean($3); S_cfg[n] = clean($5)
	S_base[n] = $6; S_group[n] = clean($7); S_ns[n] = num($8); S_med[n] = num($9)
	S_lo[n] = num($10); S_hi[n] = num($11); S_cmed[n] = num($12); S_clo[n] = num($13)
	S_chi[n] = num($14); S_layout[n] = clean($18); S_bytes[n] = num($19); S_size[n] = clean($20)
	S_op[n] = clean($21); S_align[n] = clean($22); S_slope[n] = num($24); S_icpt[n] = num($25)
	S_r2[n] = num($26); S_cnt[n] = num($27); S_reps[n] = $28
	S_chunk[n] = clean($29); S_cbytes[n] = num($30); S_submit[n] = clean($31)
	# some calls charged the module's per-call cap: a lower bound, marked CLAMPED
	S_cap[n] = $35 != ""; S_sclamp[n] = $36 != ""
	S_unit[n] = runit[$1]
	if (!(S_bench[n] in benchseen)) { benchseen[S_bench[n]] = 1; benches[++nb] = S_bench[n] }
	next
}
nfile == 3 {
	n = ++nhist
	H_run[n] = $1; H_item[n] = clean($2); H_bench[n] = clean($3); H_cfg[n] = clean($4)
	H_cb[n] = clean($5); H_bucket[n] = clean($6); H_bytes[n] = num($7); H_val[n] = num($8)
	H_unit[n] = runit[$1]
	next
}

# What the runs hold is data: item ids are file names, labels, configurations,
# benchmarks, layouts and histogram buckets come from the files. In a gnuplot
# script a " or \ would end or escape the string it is in, a backquote runs a
# shell command, @ expands a macro, and in a data file a space, # or " would
# shift or hide columns. So text keeps only the characters below (any other
# becomes _), file names only letters, digits, - and _, and numbers are
# numbers ("" when not finite).
function clean(s) { gsub("[^]A-Za-z0-9 _.,:;=+/#<>~%()[{}!?&*^|-]", "_", s); return s }
# In a data file (column 1: xtic labels): no blanks, no comment sign.
function dtext(s) { gsub(/[ #]/, "_", s); return s }
function fname(s) { gsub(/[^A-Za-z0-9_-]/, "_", s); return s }
function num(x) {
	if (x == "" || x !~ /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/) return ""
	x += 0
	return (x == x && x - x == 0) ? x : ""
}
function v(x) { return x == "" ? "?" : x }
function short(item, bench) {
	if (index(item, bench "-") == 1) return substr(item, length(bench) + 2)
	return item
}
function opnote(bench) {
	if (bench == "mprotect") return "one op = one RO+RW toggle (2 mprotect calls) or one RO+RW walk of the region"
	if (bench == "cow") return "one op = one COW fault (parent/child writer) or one fork"
	if (bench == "upgrade") return "one op = one permission-upgrade fault"
	if (bench == "zap") return "one op = one chunk zapped, or one io_uring submission of --batch-size chunks"
	if (bench == "collapse") return "one op = one MADV_COLLAPSE, --ranges khugepaged collapses or --pages ksm merges"
	if (bench == "numa") return "one op = one NUMA scan period (hinting) or one page migrated"
	if (bench == "aging") return "one op = one DAMON sampling round, or one page marked idle or read back"
	return "one op as the benchmark defines it (bench/README.md)"
}
# Colours: runs (and bar series) take linetypes 1.., layouts 11..17.
function preamble(gp,    i, n, c) {
	n = split("#1f77b4 #d62728 #2ca02c #ff7f0e #9467bd #8c564b #e377c2 #17becf #7f7f7f #bcbd22", c, " ")
	for (i = 1; i <= n; i++) printf "set linetype %d lc rgb '%s' lw 1.2\n", i, c[i] > gp
	printf "set linetype cycle %d\n", n > gp
}
function want(k) { return index(only, "," k ",") > 0 }
# At least 1000 pixels wide: a single panel must still show the two-line title.
function addplot(name, w, h) { print name, int(w < 1000 ? 1000 : w), int(h) > (W "/plots.list") }
function fmt(x) {
	if (x == "") return "?"
	if (x >= 100) return sprintf("%.0f", x)
	if (x >= 10) return sprintf("%.1f", x)
	return sprintf("%.2f", x)
}
function runlist(bench,    i, s, seen) {
	s = ""
	for (i = 1; i <= ns; i++)
		if (S_unit[i] == U && S_bench[i] == bench && !((S_run[i]) in seen)) { seen[S_run[i]] = 1; s = s (s == "" ? "" : ", ") label[S_run[i]] }
	return s
}
function sizetics() {
	return "set xtics (\"4K\" 4096, \"64K\" 65536, \"2M\" 2097152, \"64M\" 67108864, \"1G\" 1073741824, \"64G\" 68719476736, \"1T\" 1099511627776)"
}

# --- bars-B: items x (run, configuration) ---
function bars(bench,    i, j, k, key, nser, ser, sertitle, nit, it, f, gp, line, w, h, file, s) {
	nser = 0; nit = 0
	split("", ser); split("", it); split("", val)
	for (i = 1; i <= ns; i++) {
		if (S_unit[i] != U || S_bench[i] != bench || (!allcfg && !S_base[i])) continue
		key = S_run[i] SUBSEP S_cfg[i]
		if (!(key in ser)) { ser[key] = ++nser; sertitle[nser] = label[S_run[i]] "  " S_cfg[i] }
		if (S_cap[i] && sertitle[ser[key]] !~ / CLAMPED$/) sertitle[ser[key]] = sertitle[ser[key]] " CLAMPED"
		if (!(S_item[i] in it)) { it[S_item[i]] = ++nit; itname[nit] = S_item[i] }
		val[it[S_item[i]], ser[key]] = v(S_med[i]) " " v(S_lo[i]) " " v(S_hi[i])
	}
	if (!nit) return
	file = "bars-" fname(bench) SUF
	f = W "/" file ".dat"
	for (i = 1; i <= nit; i++) {
		line = dtext(short(itname[i], bench))
		for (j = 1; j <= nser; j++)
			line = line " " (((i, j) in val) ? val[i, j] : "? ? ?")
		print line > f
	}
	close(f)
	gp = W "/" file ".gp"
	preamble(gp)
	print "set datafile missing '?'" > gp
	printf "set title \"%s: median %s per op; whiskers: 95 %% CI of the median\\n%s\\nruns: %s%s\"\n",
		bench, U, opnote(bench), runlist(bench), EXACT > gp
	print "set style data histogram" > gp
	print "set style histogram errorbars gap 1.5 lw 1" > gp
	print "set style fill solid 0.85 border rgb 'gray30'" > gp
	print "set boxwidth 0.9" > gp
	print "set logscale y" > gp
	print "set format y '%.0s%c'" > gp
	print "set ylabel 'median " U " per op (log scale)'" > gp
	print "set xlabel 'item (" bench "-...)'" > gp
	print "set grid ytics mytics" > gp
	print "set xtics rotate by -30 left nomirror" > gp
	print "set key outside right top vertical" > gp
	print "set bmargin 9" > gp
	printf "plot" > gp
	for (j = 1; j <= nser; j++)
		printf "%s '%s.dat' using %d:%d:%d%s title \"%s\"", (j > 1 ? "," : ""), file,
			3 * j - 1, 3 * j, 3 * j + 1, (j == 1 ? ":xtic(1)" : ""), sertitle[j] > gp
	print "" > gp
	close(gp)
	w = 260 + nit * (nser * 12 + 18); if (w < 900) w = 900; if (w > 2400) w = 2400
	addplot(file, w, 640)
}

# Grid for N panels.
function cols_for(n) { return n <= 1 ? 1 : n <= 4 ? 2 : n <= 9 ? 3 : 4 }

# The axes of a log-log panel set: x tics, labels, and side margins xoff.
function loglog(gp, xtics, xlabel, ylabel, xoff) {
	print "set datafile missing '?'" > gp
	print "set logscale xy" > gp
	print xtics > gp
	print "set format y '%.0s%c'" > gp
	printf "set xlabel '%s'\n", xlabel > gp
	printf "set ylabel '%s'\n", ylabel > gp
	print "set grid" > gp
	print "set key top left font ',8'" > gp
	printf "set offsets graph %s, graph %s, graph 0.1, graph 0.1\n", xoff, xoff > gp
}

# --- sweep-B: one panel per item, one line per run and sweep ---
function sweeps(bench,    i, j, p, key, np, pan, ser, nser, f, gp, c, r, w, h, file, x, xmax, t, ymax, div, unit) {
	np = 0; nser = 0
	split("", pan); split("", ser); split("", smax); split("", pmax); split("", sclamped)
	for (i = 1; i <= ns; i++) {
		if (S_unit[i] != U || S_bench[i] != bench || S_group[i] == "") continue
		if (!(S_item[i] in pan)) { pan[S_item[i]] = ++np; panitem[np] = S_item[i]; pser[np] = 0 }
		p = pan[S_item[i]]
		key = S_item[i] SUBSEP S_run[i] SUBSEP S_group[i]
		if (!(key in ser)) {
			ser[key] = ++nser; pser[p]++; pslist[p, pser[p]] = nser
			stitle[nser] = sprintf("%s: slope %s (r2 %s) vs %s counted", label[S_run[i]],
				fmt(S_slope[i]), S_r2[i] == "" ? "?" : sprintf("%.2f", S_r2[i]), fmt(S_cnt[i]))
			if (S_group[i] != "kmod:spin") stitle[nser] = stitle[nser] " [" S_group[i] "]"
			sslope[nser] = S_slope[i]; sicpt[nser] = S_icpt[i]; srun[nser] = S_run[i]
		}
		j = ser[key]
		if (S_cap[i] || S_sclamp[i]) sclamped[j] = 1
		f = W "/sweep-" fname(bench) SUF "-" j ".dat"
		print S_ns[i], v(S_med[i]), v(S_lo[i]), v(S_hi[i]) > f
		if (S_med[i] + 0 > smax[j] + 0) smax[j] = S_med[i]
		if (S_ns[i] + 0 > pmax[p] + 0) pmax[p] = S_ns[i]
	}
	if (!np) return
	for (j = 1; j <= nser; j++) close(W "/sweep-" fname(bench) SUF "-" j ".dat")
	# a clamped sweep: no fit drawn, no slope in its key
	for (j = 1; j <= nser; j++)
		if (j in sclamped) {
			sub(/: slope .* counted/, ": CLAMPED (calls charged the per-call cap), no slope", stitle[j])
			sslope[j] = ""
		}
	file = "sweep-" fname(bench) SUF
	gp = W "/" file ".gp"
	preamble(gp)
	c = cols_for(np); r = int((np + c - 1) / c)
	print "set datafile missing '?'" > gp
	printf "set multiplot layout %d,%d title \"%s: kmod cost sweeps: median " U " per op against the configured cost of one notifier call\\n(whiskers: 95 %% CI of the median, clipped at the top; dashed: the fit). The fitted slope is the number of charged notifier calls per op:\\nthe key gives it next to the charged calls per op the module counted. %s" EXACT "\" font ',11'\n",
		r, c, bench, opnote(bench) > gp
	print "set xlabel 'configured cost per charged notifier call (" (U == "insn" ? "guest ns = insn" : "ns") ")'" > gp
	print "set grid" > gp
	print "set key top left Left reverse samplen 2 spacing 1.1 font ',8'" > gp
	print "set format x '%.0s%c'" > gp
	for (p = 1; p <= np; p++) {
		# y in ns, us or ms (insn, k insn, M insn), whichever keeps the tick labels short
		ymax = 0
		for (t = 1; t <= pser[p]; t++) if (smax[pslist[p, t]] + 0 > ymax) ymax = smax[pslist[p, t]] + 0
		div = ymax >= 2e6 ? 1e6 : ymax >= 2e3 ? 1e3 : 1
		if (U == "insn")
			unit = div == 1e6 ? "M insn" : div == 1e3 ? "k insn" : "insn"
		else
			unit = div == 1e6 ? "ms" : div == 1e3 ? "us" : "ns"
		printf "set title \"%s\"\n", panitem[p] > gp
		printf "set ylabel 'median %s per op'\n", unit > gp
		printf "set xrange [%g:%g]; set xtics 0, %g\n", -0.06 * pmax[p], 1.06 * pmax[p], pmax[p] / 4 > gp
		# From 0 to the highest median plus room for the key: a wild whisker is
		# clipped rather than flattening every line.
		printf "set yrange [0:%g]\n", (ymax > 0 ? ymax : 1) * 1.6 / div > gp
		printf "plot" > gp
		for (t = 1; t <= pser[p]; t++) {
			j = pslist[p, t]
			printf "%s 'sweep-%s-%d.dat' using 1:($2/%g):($3/%g):($4/%g) with yerrorlines lc %d pt 7 ps 0.6 title \"%s\"",
				(t > 1 ? "," : ""), fname(bench) SUF, j, div, div, div, srun[j], stitle[j] > gp
			if (sslope[j] != "" && sicpt[j] != "")
				printf ", [0:%s] (%s + %s * x) / %g with lines dt 2 lc %d notitle", pmax[p], sicpt[j], sslope[j], div, srun[j] > gp
		}
		print "" > gp
	}
	print "unset multiplot" > gp
	close(gp)
	addplot(file, c * 500, r * 360 + 80)
}

# --- hist-B: ranges per op by size bucket ---
function hists(bench,    i, j, p, np, pan, nr, runs, rr, b, nbk, bk, f, gp, c, r, line, file, mx, mn, val) {
	np = 0
	split("", pan)
	for (i = 1; i <= nhist; i++) {
		if (H_unit[i] != U || H_bench[i] != bench) continue
		if (!(H_item[i] in pan)) { pan[H_item[i]] = ++np; hitem[np] = H_item[i]; hcb[np] = H_cb[i] }
	}
	if (!np) return
	file = "hist-" fname(bench) SUF
	gp = W "/" file ".gp"
	preamble(gp)
	c = cols_for(np); r = int((np + c - 1) / c)
	printf "set multiplot layout %d,%d title \"%s: sizes of the ranges the notifier was called with (module histogram, callback %s), ranges per op by size bucket\\n(a bucket holds sizes from its label up to twice it; %s)\" font ',11'\n",
		r, c, bench, hcb[1], opnote(bench) > gp
	print "set style data histogram" > gp
	print "set style histogram cluster gap 1" > gp
	print "set style fill solid 0.85 border rgb 'gray30'" > gp
	print "set xlabel 'range size (bucket lower bound)'" > gp
	print "set ylabel 'ranges per op'" > gp
	print "set grid ytics" > gp
	print "set key top right font ',8'" > gp
	print "set xtics nomirror" > gp
	for (p = 1; p <= np; p++) {
		nr = 0; nbk = 0
		split("", runs); split("", bk); split("", val)
		mx = 0; mn = ""
		for (i = 1; i <= nhist; i++) {
			if (H_unit[i] != U || H_bench[i] != bench || H_item[i] != hitem[p]) continue
			if (!(H_run[i] in runs)) { runs[H_run[i]] = ++nr; rr[nr] = H_run[i] }
			if (!(H_bucket[i] in bk)) { bk[H_bucket[i]] = ++nbk; bname[nbk] = H_bucket[i]; bbytes[nbk] = H_bytes[i] }
			val[bk[H_bucket[i]], runs[H_run[i]]] = H_val[i]
			if (H_val[i] + 0 > mx) mx = H_val[i] + 0
			if (H_val[i] + 0 > 0 && (mn == "" || H_val[i] + 0 < mn)) mn = H_val[i] + 0
		}
		# buckets by size
		for (i = 1; i <= nbk; i++) order[i] = i
		for (i = 2; i <= nbk; i++) {
			t = order[i]
			for (j = i - 1; j >= 1 && bbytes[order[j]] + 0 > bbytes[t] + 0; j--) order[j + 1] = order[j]
			order[j + 1] = t
		}
		f = W "/" file "-" p ".dat"
		for (i = 1; i <= nbk; i++) {
			b = order[i]
			line = dtext(bname[b])
			for (j = 1; j <= nr; j++) line = line " " (((b, j) in val) ? val[b, j] : 0)
			print line > f
		}
		close(f)
		printf "set title \"%s\"\n", hitem[p] > gp
		if (mn != "" && mx / mn > 30) {
			print "set logscale y; set yrange [" mn / 3 ":" mx * 3 "]" > gp
		} else
			print "unset logscale y; set yrange [0:" (mx > 0 ? mx * 1.25 : 1) "]" > gp
		printf "plot" > gp
		for (j = 1; j <= nr; j++)
			printf "%s '%s-%d.dat' using %d%s lc %d title \"%s\"", (j > 1 ? "," : ""), file, p, j + 1,
				(j == 1 ? ":xtic(1)" : ""), rr[j], label[rr[j]] > gp
		print "" > gp
	}
	print "unset multiplot" > gp
	close(gp)
	addplot(file, c * 520, r * 360 + 70)
}

# --- mprotect-size: ns per call against size, per layout ---
function sizes(    i, j, p, np, pan, key, nl, lay, f, gp, c, r, file, t, n) {
	np = 0
	split("", pan); split("", lay); split("", npts)
	for (i = 1; i <= ns; i++) {
		if (S_unit[i] != U) continue
		if (S_bench[i] != "mprotect" || S_op[i] != "toggle" || S_align[i] != "1g" || !S_base[i]) continue
		if (S_bytes[i] == "" || S_cmed[i] == "") continue
		key = S_run[i] SUBSEP S_cfg[i]
		if (!(key in pan)) { pan[key] = ++np; ptitle[np] = label[S_run[i]] "  " S_cfg[i]; pl[np] = 0 }
		p = pan[key]
		if (!((p, S_layout[i]) in lay)) { lay[p, S_layout[i]] = ++pl[p]; lname[p, pl[p]] = S_layout[i] }
		f = W "/mprotect-size" SUF "-" p "-" lay[p, S_layout[i]] ".dat"
		print S_bytes[i], S_cmed[i], v(S_clo[i]), v(S_chi[i]) > f
		npts[p, lay[p, S_layout[i]]]++
	}
	if (!np) return
	# Layouts get the same colour in every panel.
	split("dense4k thp sparse2m sparse1g sparse64g empty hugetlb2m hugetlb1g", known, " ")
	for (i = 1; i <= 7; i++) lcol[known[i]] = i == 5 ? 9 : i
	file = "mprotect-size" SUF
	gp = W "/" file ".gp"
	preamble(gp)
	c = cols_for(np); r = int((np + c - 1) / c)
	printf "set multiplot layout %d,%d title \"mprotect toggle: " U " per mprotect call against region size, one line per layout (log-log; whiskers: 95 %% CI of the median)\\nsparse2m / sparse1g / sparse64g: one 4 KiB page per 2 MiB / 1 GiB / 64 GiB; empty: nothing mapped" EXACT "\" font ',11'\n", r, c > gp
	loglog(gp, sizetics(), "region size (bytes, log scale)", "median " U " per mprotect call (log)", 0.05)
	for (p = 1; p <= np; p++) {
		printf "set title \"%s\"\n", ptitle[p] > gp
		printf "plot" > gp
		for (t = 1; t <= pl[p]; t++) {
			f = W "/mprotect-size" SUF "-" p "-" t ".dat"
			close(f)
			n = lcol[lname[p, t]]; if (n == "") n = 8 + t
			printf "%s 'mprotect-size%s-%d-%d.dat' using 1:2:3:4 with yerrorlines lc %d pt 7 ps 0.6 title \"%s\"",
				(t > 1 ? "," : ""), SUF, p, t, n, lname[p, t] > gp
		}
		print "" > gp
	}
	print "unset multiplot" > gp
	close(gp)
	addplot(file, c * 560, r * 400 + 70)
}

# --- zap-chunk: ns per chunk against chunk size, per op and submission ---
# Colour by op, line and point type by submission (syscall solid and filled,
# uring dashed and open: --small's libgd terminal draws no dashes).
function zapchunk(    i, p, np, pan, key, sid, f, gp, c, r, file, t, n) {
	np = 0
	split("", pan); split("", zser); split("", zpts); split("", zn)
	for (i = 1; i <= ns; i++) {
		if (S_unit[i] != U) continue
		if (S_bench[i] != "zap" || !S_base[i] || S_cbytes[i] == "" || S_cmed[i] == "") continue
		key = S_run[i] SUBSEP S_cfg[i]
		if (!(key in pan)) { pan[key] = ++np; ztitle[np] = label[S_run[i]] "  " S_cfg[i]; zn[np] = 0 }
		p = pan[key]
		sid = S_op[i] " " S_submit[i]
		if (!((p, sid) in zser)) { zser[p, sid] = ++zn[p]; zop[p, zn[p]] = S_op[i]; zsub[p, zn[p]] = S_submit[i] }
		f = W "/zap-chunk" SUF "-" p "-" zser[p, sid] ".dat"
		zpts[f] = zpts[f] S_cbytes[i] " " S_cmed[i] " " v(S_clo[i]) " " v(S_chi[i]) "\n"
	}
	if (!np) return
	# Points in chunk order, whatever the order of the items.
	for (f in zpts) {
		n = split(zpts[f], zl, "\n")
		for (i = 1; i < n; i++) zk[i] = zl[i] + 0
		for (i = 2; i < n; i++) {
			t = zl[i]; key = zk[i]
			for (r = i - 1; r >= 1 && zk[r] > key; r--) { zl[r + 1] = zl[r]; zk[r + 1] = zk[r] }
			zl[r + 1] = t; zk[r + 1] = key
		}
		for (i = 1; i < n; i++) print zl[i] > f
		close(f)
	}
	split("dontneed free pageout munmap", known, " ")
	for (i = 1; i <= 4; i++) zcol[known[i]] = i
	file = "zap-chunk" SUF
	gp = W "/" file ".gp"
	preamble(gp)
	c = cols_for(np); r = int((np + c - 1) / c)
	printf "set multiplot layout %d,%d title \"zap: median " U " per chunk zapped against chunk size, one line per op and submission (log-log; whiskers: 95 %% CI of the median)\\nsolid, filled: one system call per chunk; dashed, open: io_uring IORING_OP_MADVISE, " U " per chunk of a submission" EXACT "\" font ',11'\n", r, c > gp
	loglog(gp, "set xtics (\"4K\" 4096, \"2M\" 2097152, \"1G\" 1073741824)", "chunk size (log scale)",
		"median " U " per chunk (log)", 0.1)
	for (p = 1; p <= np; p++) {
		printf "set title \"%s\"\n", ztitle[p] > gp
		printf "plot" > gp
		for (t = 1; t <= zn[p]; t++) {
			n = zcol[zop[p, t]]; if (n == "") n = 4 + t
			printf "%s 'zap-chunk%s-%d-%d.dat' using 1:2:3:4 with yerrorlines lc %d dt %d pt %d ps 0.7 title \"%s, %s\"",
				(t > 1 ? "," : ""), SUF, p, t, n, zsub[p, t] == "uring" ? 2 : 1, zsub[p, t] == "uring" ? 6 : 7,
				zop[p, t], zsub[p, t] > gp
		}
		print "" > gp
	}
	print "unset multiplot" > gp
	close(gp)
	addplot(file, c * 560, r * 400 + 70)
}

# Runs of each clock unit get their own plots: wall-clock (ns) ones under the
# usual names, exact ones (insn: guest instructions) under "-insn" names when
# both are present. U is the unit, EXACT a last line for titles, SUF the suffix.
END {
	printf "" > (W "/plots.list")
	split("ns insn", ulist, " ")
	for (u = 1; u <= 2; u++) {
		U = ulist[u]
		if (!(U in unitseen)) continue
		SUF = nunits > 1 && U != "ns" ? "-" U : ""
		EXACT = U == "insn" ? "\\nexact runs: the guest clock counts instructions (insn); a cost of N ns is N instructions" : ""
		for (b = 1; b <= nb; b++) {
			if (want("bars")) bars(benches[b])
			if (want("sweep")) sweeps(benches[b])
			if (want("hist")) hists(benches[b])
		}
		if (want("size")) sizes()
		if (want("chunk")) zapchunk()
	}
	close(W "/plots.list")
}
