# SPDX-License-Identifier: GPL-2.0
# Checks one notibench CSV (results/README.md, format 1). POSIX awk: runs under
# mawk/gawk on the host (tests/bench_test.sh) and busybox awk in the guest
# (tests/guest/bench_test, copied to /nb/csvcheck.awk).
#
#   awk [-v samples=N] [-v configs="LABEL ..."] [-v check=passed]
#       [-v keys="KEY ..."] [-v nonzero="COL[@PREFIX] ..."] [-v show="COL ..."]
#       [-v exact="COL=VALUE[@PREFIX] ..."]
#       -f csvcheck.awk FILE
#
# samples   sample rows each configuration must have (default: the `samples`
#           metadata, which must agree)
# configs   the configuration labels, in order (default: whatever config.N says)
# check     the `check` metadata value wanted (default passed)
# keys      metadata keys that must be present and non-empty
# nonzero   columns whose median over the sample rows must be > 0, for every
#           configuration (COL), those whose label starts with PREFIX
#           (COL@PREFIX), or the one labelled LABEL (COL@=LABEL)
# exact     columns that must be VALUE in every sample row (within 1e-9), for
#           the configurations nonzero's @PREFIX (or @=LABEL) selects
# show      columns whose per-configuration median is printed
# sweep     1: a cost sweep (labels ending in ,ns=N, or ,n=N for kmod:insn, with
#           a common prefix) is present, with its `sweep` metadata line; in every
#           sample of a kmod:spin configuration of cost N the module measured at
#           least nb_charged_calls x N inside its callbacks (a spin lasts its ns
#           by the module's clock: a hard bound, per sample, whatever the number
#           of calls; the same for kmod:insn in exact mode, where N instructions
#           last N insn; none for insn on a wall clock); the medians per cost
#           are printed
# spin_bound 1: in each kmod:spin,...,ns=N configuration (and kmod:insn,...,n=N
#           in exact mode, clock_unit insn) every sample lasted at least its
#           nb_charged_calls times N. Only for benchmarks whose
#           notifier calls all run in the benchmark thread inside the timed
#           batch (the module spins N ns per charged call there): then it is a
#           hard bound, not a statistical one, and holds under TCG
#
# Always: the first line is `# notibench_csv: 1`; metadata lines are `# key: value`;
# a header with kind, config, nops, sample_ns, ns_per_op; every row has the
# header's number of fields; every sample row has nops, sample_ns and ns_per_op
# numeric and > 0; each configuration has >= 1 sample row and exactly one row of
# each of the ten summary kinds; the ns_per_op summary agrees with the samples
# (min, max, median; ci95_lo <= median <= ci95_hi; min <= p90 <= max).
# Prints "# FAIL: ..." per problem and "# ..." diagnostics; exit 1 on a problem.

# "COL@PREFIX" (or "COL@=LABEL"): sets cname and pre.
function parse_spec(spec,    at) {
	at = index(spec, "@")
	cname = at ? substr(spec, 1, at - 1) : spec
	pre = at ? substr(spec, at + 1) : ""
}
# Configuration c is selected by pre: "" all, "=LABEL" that one, else a label prefix.
function cfg_matches(c, pre) {
	if (substr(pre, 1, 1) == "=") return c == substr(pre, 2)
	return pre == "" || substr(c, 1, length(pre)) == pre
}
function fail(msg) { print "# FAIL: " msg; bad++ }

# RFC 4180 split into f[1..n]; returns n.
function csvsplit(line, f,    n, i, c, inq, cur, len) {
	if (index(line, "\"") == 0)
		return split(line, f, ",")
	n = 0; cur = ""; inq = 0; len = length(line)
	for (i = 1; i <= len; i++) {
		c = substr(line, i, 1)
		if (inq) {
			if (c == "\"") {
				if (substr(line, i + 1, 1) == "\"") { cur = cur "\""; i++ }
				else inq = 0
			} else cur = cur c
		} else if (c == "\"") inq = 1
		else if (c == ",") { f[++n] = cur; cur = "" }
		else cur = cur c
	}
	f[++n] = cur
	return n
}

function isnum(s) { return s ~ /^-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/ }

# Type-7 median of v[1..n] (sorted in place).
function median(v, n,    i, j, t, h, lo) {
	for (i = 2; i <= n; i++) {
		t = v[i]
		for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]
		v[j + 1] = t
	}
	h = (n - 1) / 2 + 1
	lo = int(h)
	return lo >= n ? v[n] : v[lo] + (h - lo) * (v[lo + 1] - v[lo])
}

function near(a, b,    d, m) { d = a - b; if (d < 0) d = -d; m = (a < 0 ? -a : a); return d <= 1e-4 * m + 1e-9 }

BEGIN {
	if (check == "") check = "passed"
	nsum = split("median mean min max p90 p99 stdev cv ci95_lo ci95_hi", sumkinds, " ")
	for (i = 1; i <= nsum; i++) issum[sumkinds[i]] = 1
	ncfg = 0; header = 0; bad = 0
}

NR == 1 && $0 != "# notibench_csv: 1" { fail("first line is '" $0 "', not '# notibench_csv: 1'") }

!header && /^#/ {
	if (!match($0, /^# [^:]+: /) && $0 !~ /^# [^:]+:$/) { fail("metadata line " NR " is not '# key: value': " $0); next }
	line = substr($0, 3); p = index(line, ":")
	key = substr(line, 1, p - 1); val = substr(line, p + 1); sub(/^ /, "", val)
	meta[key] = val
	if (key ~ /^config\.[0-9]+$/) { k = substr(key, 8) + 0; label[k] = val; if (k + 1 > ncfg) ncfg = k + 1 }
	next
}

!header {
	header = 1
	ncol = csvsplit($0, h)
	for (i = 1; i <= ncol; i++) col[h[i]] = i
	for (i = split("kind config nops sample_ns ns_per_op", need, " "); i >= 1; i--)
		if (!(need[i] in col)) fail("header has no column " need[i])
	next
}

{
	n = csvsplit($0, f)
	if (n != ncol) { fail("line " NR " has " n " fields, the header " ncol); next }
	kind = f[col["kind"]]; c = f[col["config"]]
	if (!(c in known)) {
		known[c] = 1
		for (k = 0; k < ncfg && label[k] != c; k++) ;
		if (k == ncfg) fail("line " NR ": configuration '" c "' is not in the config.N metadata")
	}
	if (kind == "sample") {
		ns[c]++
		for (i = split("nops sample_ns ns_per_op", pos, " "); i >= 1; i--) {
			v = f[col[pos[i]]]
			if (!isnum(v) || v + 0 <= 0) { fail("line " NR ": " pos[i] " '" v "' is not a number > 0"); break }
		}
		val = f[col["ns_per_op"]] + 0
		if (ns[c] == 1 || val < smin[c]) smin[c] = val
		if (ns[c] == 1 || val > smax[c]) smax[c] = val
		s[c, ns[c]] = val
		spent[c, ns[c]] = f[col["sample_ns"]] + 0
		if ("nb_charged_calls" in col) charged_n[c, ns[c]] = f[col["nb_charged_calls"]] + 0
		cbns[c, ns[c]] = ""
		for (i = 1; i <= ncol; i++)
			if (h[i] ~ /^nb_(start|end|tlb|clear_flush_young|clear_young|test_young|change_pte|release|interval)_ns$/ && isnum(f[i]))
				cbns[c, ns[c]] += f[i]
		for (cname in col) {
			v = f[col[cname]]
			if (isnum(v)) { cv[c, cname, ++cn[c, cname]] = v + 0 }
		}
	} else if (kind in issum) {
		if ((c, kind) in summ) fail("configuration " c ": two " kind " rows")
		summ[c, kind] = f[col["ns_per_op"]] + 0
	} else fail("line " NR ": unknown row kind '" kind "'")
}

END {
	if (!header) fail("no header line (no data)")
	if (meta["check"] != check) fail("check is '" meta["check"] "', wanted '" check "'" (meta["check_first_failure"] != "" ? " (" meta["check_first_failure"] ")" : ""))
	for (i = split(meta_keys_default() " " keys, mk, " "); i >= 1; i--)
		if (mk[i] != "" && meta[mk[i]] == "") fail("metadata " mk[i] " missing or empty")
	msamples = meta["samples"]; sub(/ .*/, "", msamples)
	if (samples == "") samples = msamples
	else if (msamples != samples) fail("metadata samples is '" meta["samples"] "', wanted " samples)
	if (ncfg == 0) fail("no config.N metadata")
	if (configs != "") {
		nw = split(configs, want, " ")
		got = ""
		for (k = 0; k < ncfg; k++) got = got (k ? " " : "") label[k]
		if (got != configs) fail("configurations are '" got "', wanted '" configs "'")
	}
	for (k = 0; k < ncfg; k++) {
		c = label[k]
		if (ns[c] < 1) { fail("configuration " c ": no sample row"); continue }
		if (ns[c] != samples) fail("configuration " c ": " ns[c] " sample rows, wanted " samples)
		for (i = 1; i <= nsum; i++)
			if (!((c, sumkinds[i]) in summ)) fail("configuration " c ": no " sumkinds[i] " row")
		for (i = 1; i <= ns[c]; i++) t[i] = s[c, i]
		med = median(t, ns[c])
		if (!near(summ[c, "min"], smin[c])) fail(c ": summary min " summ[c, "min"] " != min of samples " smin[c])
		if (!near(summ[c, "max"], smax[c])) fail(c ": summary max " summ[c, "max"] " != max of samples " smax[c])
		if (!near(summ[c, "median"], med)) fail(c ": summary median " summ[c, "median"] " != median of samples " med)
		if (!(summ[c, "ci95_lo"] <= summ[c, "median"] + 0 && summ[c, "median"] <= summ[c, "ci95_hi"] + 0))
			fail(c ": median " summ[c, "median"] " outside its CI [" summ[c, "ci95_lo"] ", " summ[c, "ci95_hi"] "]")
		if (!(summ[c, "p90"] >= smin[c] - 1e-9 && summ[c, "p90"] <= smax[c] * (1 + 1e-4)))
			fail(c ": p90 " summ[c, "p90"] " outside [min, max]")
		printf "# %s: %d samples, median ns_per_op %s [%s, %s]\n", c, ns[c], summ[c, "median"], summ[c, "ci95_lo"], summ[c, "ci95_hi"]
	}
	nz = split(nonzero, nzs, " ")
	for (i = 1; i <= nz; i++) {
		parse_spec(nzs[i])
		if (!(cname in col)) { fail("no column " cname " (wanted > 0)"); continue }
		matched = 0
		for (k = 0; k < ncfg; k++) {
			c = label[k]
			if (!cfg_matches(c, pre)) continue
			matched++
			m = cn[c, cname]
			for (j = 1; j <= m; j++) t[j] = cv[c, cname, j]
			if (m == 0) { fail(c ": " cname " is empty in every sample (wanted a median > 0)"); continue }
			med = median(t, m)
			if (med <= 0) fail(c ": median " cname " is " med ", wanted > 0")
			else printf "# %s: median %s %s (> 0)\n", c, cname, med
		}
		if (!matched) fail("no configuration starts with '" pre "' (for " cname ")")
	}
	ne = split(exact, exs, " ")
	for (i = 1; i <= ne; i++) {
		parse_spec(exs[i])
		wantv = substr(cname, index(cname, "=") + 1) + 0; cname = substr(cname, 1, index(cname, "=") - 1)
		if (!(cname in col)) { fail("no column " cname " (wanted = " wantv ")"); continue }
		matched = 0
		for (k = 0; k < ncfg; k++) {
			c = label[k]
			if (!cfg_matches(c, pre)) continue
			matched++
			m = cn[c, cname]; off = 0
			for (j = 1; j <= m; j++) if (cv[c, cname, j] - wantv > 1e-9 || wantv - cv[c, cname, j] > 1e-9) off++
			if (m != ns[c]) fail(c ": " cname " has " m " numeric values in " ns[c] " samples (wanted " wantv " in each)")
			else if (off) fail(c ": " cname " is not " wantv " in " off " of " m " samples")
			else printf "# %s: %s = %s in all %d samples\n", c, cname, wantv, m
		}
		if (!matched) fail("no configuration starts with '" pre "' (for " cname ")")
	}
	ns_ = split(show, shows, " ")
	for (i = 1; i <= ns_; i++) for (k = 0; k < ncfg; k++) {
		c = label[k]; m = cn[c, shows[i]]
		for (j = 1; j <= m; j++) t[j] = cv[c, shows[i], j]
		printf "# %s: median %s %s\n", c, shows[i], m ? median(t, m) : "(empty)"
	}
	if (sweep) {
		for (k = 0; k < ncfg; k++) {
			c = label[k]
			if (!match(c, /,ns=[0-9]+$/) && !match(c, /,n=[0-9]+$/)) continue
			pre = substr(c, 1, RSTART - 1); cost = substr(c, RSTART + index(substr(c, RSTART), "=")) + 0
			if (!(pre in lo) || cost < locost[pre]) { lo[pre] = c; locost[pre] = cost }
			if (!(pre in hi) || cost > hicost[pre]) { hi[pre] = c; hicost[pre] = cost }
		}
		nsw = 0
		for (pre in lo) {
			if (lo[pre] == hi[pre]) continue
			nsw++
			c = hi[pre]; m = cn[c, "nb_charged_calls"]
			for (j = 1; j <= m; j++) t[j] = cv[c, "nb_charged_calls", j]
			charged = m ? median(t, m) : 0
			printf "# sweep %s: median ns_per_op %s at cost %d, %s at cost %d (median nb_charged_calls %s per sample)\n", pre, summ[lo[pre], "median"], locost[pre], summ[c, "median"], hicost[pre], charged
		}
		if (!nsw) fail("no cost sweep among the configurations")
		else if (meta["sweep"] == "") fail("no sweep metadata")
		else {
			print "# sweep: " meta["sweep"]
			# A spin of N ns lasts at least N by the module's clock, so each sample's
			# time inside the callbacks is at least its charged calls x N. Per
			# sample, not a fit: the number of calls may differ between the
			# configurations (numa hinting scans, forks), and a fit against their
			# mean then undershoots. (No upper bound: under TCG a descheduled vCPU
			# stretches a callback without limit.)
			for (k = 0; k < ncfg; k++) {
				c = label[k]
				if (c ~ /^kmod:spin,/ && match(c, /,ns=[0-9]+$/)) cost = substr(c, RSTART + 4) + 0
				else if (c ~ /^kmod:insn,/ && meta["clock_unit"] == "insn" && match(c, /,n=[0-9]+$/))
					cost = substr(c, RSTART + 3) + 0
				else continue
				if (!cost) continue
				low = 0
				for (j = 1; j <= ns[c]; j++)
					if (cbns[c, j] == "" || cbns[c, j] < charged_n[c, j] * cost) {
						if (!low++) fail(c ": sample " j - 1 ": " (cbns[c, j] == "" ? "no nb_<callback>_ns column" : cbns[c, j] " inside the callbacks") ", less than its " charged_n[c, j] " charged calls x " cost)
					}
				if (!low) printf "# %s: in every sample the callbacks took >= nb_charged_calls x %d by the module's clock\n", c, cost
			}
		}
	}
	if (spin_bound) {
		tu_ = meta["clock_unit"] == "insn" ? "insn" : "ns"
		for (k = 0; k < ncfg; k++) {
			c = label[k]
			if (c ~ /^kmod:spin,/ && match(c, /,ns=[0-9]+$/)) cost = substr(c, RSTART + 4) + 0
			else if (c ~ /^kmod:insn,/ && meta["clock_unit"] == "insn" && match(c, /,n=[0-9]+$/))
				cost = substr(c, RSTART + 3) + 0
			else continue
			if (!cost) continue
			if (!("nb_charged_calls" in col)) { fail("no nb_charged_calls column"); break }
			short = 0
			for (j = 1; j <= ns[c]; j++) {
				if (spent[c, j] < charged_n[c, j] * cost * 0.999) {
					if (!short++) fail(c ": sample " j - 1 " lasted " spent[c, j] " " tu_ ", less than its " charged_n[c, j] " charged calls x " cost)
				}
			}
			if (short > 1) fail(c ": " short " samples in all shorter than their charged spin")
			else if (!short) printf "# %s: every sample_ns >= nb_charged_calls x %d %s\n", c, cost, tu_
		}
	}
	exit bad ? 1 : 0
}

function meta_keys_default() {
	return "kernel_release benchmark command samples batch check host_ref_syscall_ns host_ref_loop_ns cpu_steal"
}
