# SPDX-License-Identifier: GPL-2.0
# The checks of one notibench CSV (results/README.md, format 1) on what
# `notibench export` read from it; run by tests/guest/csvcheck, never alone.
# POSIX awk: mawk/gawk on the host, busybox awk in the guest.
#
#   awk -f csvcheck.awk META.tab ROWS.tab
#
# META is `export --format meta` (file, key, value, tab-separated); ROWS is
# `export --statistics rows` (run,...,config,metric,statistic,value,unit,
# sample,line; columns found by name): every sample row (statistic sample,
# its index among its configuration's samples) and summary row (statistic:
# its kind) of every metric, with its line in the CSV. The medians, minima and
# maxima of the samples are computed here from ROWS.
# What to check comes in the environment (csvcheck's NAME=VALUE as ck_NAME),
# data never code:
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
# Always (besides what export refuses, metadata lines not `# key: value`
# among it): every row's kind is sample or one of the ten summary kinds; every
# sample row has nops, sample_ns and ns_per_op > 0 and some value; each
# configuration has >= 1 sample row and exactly one row of each summary kind,
# and is in the config.N metadata; the ns_per_op summary agrees with the
# samples (min, max, median; ci95_lo <= median <= ci95_hi; min <= p90 <= max).
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

# RFC 4180 split of a line of export's table into f[1..n]; returns n.
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

# The statistic st (median, min, max) of configuration c's values of metric m
# (sorted in place); call only when cnt[c, m] > 0. The median as export's.
function sstat(c, m, st,    n, i, j, t, h, lo) {
	n = cnt[c, m]
	if (!((c, m) in sorted)) {
		for (i = 2; i <= n; i++) {
			t = vals[c, m, i]
			for (j = i - 1; j >= 1 && vals[c, m, j] > t; j--) vals[c, m, j + 1] = vals[c, m, j]
			vals[c, m, j + 1] = t
		}
		sorted[c, m] = 1
	}
	if (st == "min") return vals[c, m, 1]
	if (st == "max") return vals[c, m, n]
	h = (n - 1) * 0.5; lo = int(h)
	if (lo >= n - 1) return vals[c, m, n]
	return vals[c, m, lo + 1] + (h - lo) * (vals[c, m, lo + 2] - vals[c, m, lo + 1])
}
# Configuration c has a value of metric m in some sample.
function has_med(c, m) { return cnt[c, m] > 0 }

function near(a, b,    d, m) { d = a - b; if (d < 0) d = -d; m = (a < 0 ? -a : a); return d <= 1e-4 * m + 1e-9 }

# The cost N of a kmod:spin,...,ns=N or (exact mode) kmod:insn,...,n=N label; 0 otherwise.
function bound_cost(c) {
	if (c ~ /^kmod:spin,/ && match(c, /,ns=[0-9]+$/)) return substr(c, RSTART + 4) + 0
	if (c ~ /^kmod:insn,/ && meta["clock_unit"] == "insn" && match(c, /,n=[0-9]+$/))
		return substr(c, RSTART + 3) + 0
	return 0
}

BEGIN {
	samples = ENVIRON["ck_samples"]; configs = ENVIRON["ck_configs"]
	check = ENVIRON["ck_check"]; keys = ENVIRON["ck_keys"]
	nonzero = ENVIRON["ck_nonzero"]; exact = ENVIRON["ck_exact"]; show = ENVIRON["ck_show"]
	sweep = ENVIRON["ck_sweep"] + 0; spin_bound = ENVIRON["ck_spin_bound"] + 0
	dir = ENVIRON["ck_dir"]
	if (check == "") check = "passed"
	nsum = split("median mean min max p90 p99 stdev cv ci95_lo ci95_hi", sumkinds, " ")
	for (i = 1; i <= nsum; i++) known[sumkinds[i]] = 1
	ncfg = 0; bad = 0; nrows = 0; nempty = 0
}

# META: file, key, value (no tab in them: export shows control characters as ?).
FILENAME == dir "/meta.tab" {
	p = index($0, "\t"); line = substr($0, p + 1); p = index(line, "\t")
	key = substr(line, 1, p - 1); val = substr(line, p + 1)
	meta[key] = val
	if (key ~ /^config\.[0-9]+$/) { k = substr(key, 8) + 0; label[k] = val; if (k + 1 > ncfg) ncfg = k + 1 }
	next
}

# ROWS' header: its columns by name.
FNR == 1 {
	ncol = csvsplit($0, h)
	split("", col)
	for (i = 1; i <= ncol; i++) col[h[i]] = i
	next
}

{
	csvsplit($0, f)
	c = f[col["config"]]; m = f[col["metric"]]; st = f[col["statistic"]]
	vs = f[col["value"]]; v = vs + 0; ln = f[col["line"]]
	seen[c] = 1
}

# A sample row (j: its place among c's samples, from 1).
st == "sample" {
	j = f[col["sample"]] + 1
	if (!((c, j) in rowseen)) { rowseen[c, j] = 1; nrows++; if (j > ns[c]) ns[c] = j }
	if (vs == "") next
	if (!((c, j) in anyval)) anyval[c, j] = 1
	sv[c, j, m] = v; hascol[m] = 1
	vals[c, m, ++cnt[c, m]] = v
	if (m ~ /^nb_(start|end|tlb|clear_flush_young|clear_young|test_young|change_pte|release|interval)_ns$/)
		cbns[c, j] += v
	next
}

# A summary row: its kind is the statistic.
{
	if (!(st in known)) {
		if (!(ln in badline)) { badline[ln] = 1; fail("line " ln ": unknown row kind '" st "'") }
		next
	}
	if (m != "ns_per_op") next
	kn[c, st]++
	if (vs != "") summ[c, st] = v
}

END {
	if (meta["check"] != check) fail("check is '" meta["check"] "', wanted '" check "'" (meta["check_first_failure"] != "" ? " (" meta["check_first_failure"] ")" : ""))
	for (i = split(meta_keys_default() " " keys, mk, " "); i >= 1; i--)
		if (mk[i] != "" && meta[mk[i]] == "") fail("metadata " mk[i] " missing or empty")
	msamples = meta["samples"]; sub(/ .*/, "", msamples)
	if (samples == "") samples = msamples
	else if (msamples != samples) fail("metadata samples is '" meta["samples"] "', wanted " samples)
	if (ncfg == 0) fail("no config.N metadata")
	if (configs != "") {
		got = ""
		for (k = 0; k < ncfg; k++) got = got (k ? " " : "") label[k]
		if (got != configs) fail("configurations are '" got "', wanted '" configs "'")
	}
	for (k = 0; k < ncfg; k++) inmeta[label[k]] = 1
	for (c in seen)
		if (!(c in inmeta)) fail("configuration '" c "' is not in the config.N metadata")
	for (cj in rowseen) if (!(cj in anyval)) nempty++
	if (nempty) fail(nempty " of " nrows " sample rows have no value at all")
	for (k = 0; k < ncfg; k++) {
		c = label[k]
		if (ns[c] < 1) { fail("configuration " c ": no sample row"); continue }
		if (ns[c] != samples) fail("configuration " c ": " ns[c] " sample rows, wanted " samples)
		for (j = 1; j <= ns[c]; j++)
			for (i = split("nops sample_ns ns_per_op", need, " "); i >= 1; i--)
				if (!((c, j, need[i]) in sv) || sv[c, j, need[i]] <= 0) {
					fail(c ": sample " j - 1 ": " need[i] " '" sv[c, j, need[i]] "' is not a number > 0")
					break
				}
		for (i = 1; i <= nsum; i++) {
			if (!((c, sumkinds[i]) in kn)) fail("configuration " c ": no " sumkinds[i] " row")
			else if (kn[c, sumkinds[i]] > 1) fail("configuration " c ": two " sumkinds[i] " rows")
		}
		smin = smax = med = ""
		if (has_med(c, "ns_per_op")) {
			smin = sstat(c, "ns_per_op", "min"); smax = sstat(c, "ns_per_op", "max")
			med = sstat(c, "ns_per_op", "median")
		}
		if (!near(summ[c, "min"], smin)) fail(c ": summary min " summ[c, "min"] " != min of samples " smin)
		if (!near(summ[c, "max"], smax)) fail(c ": summary max " summ[c, "max"] " != max of samples " smax)
		if (!near(summ[c, "median"], med)) fail(c ": summary median " summ[c, "median"] " != median of samples " med)
		if (!(summ[c, "ci95_lo"] <= summ[c, "median"] + 0 && summ[c, "median"] <= summ[c, "ci95_hi"] + 0))
			fail(c ": median " summ[c, "median"] " outside its CI [" summ[c, "ci95_lo"] ", " summ[c, "ci95_hi"] "]")
		if (!(summ[c, "p90"] >= smin - 1e-9 && summ[c, "p90"] <= smax * (1 + 1e-4)))
			fail(c ": p90 " summ[c, "p90"] " outside [min, max]")
		printf "# %s: %d samples, median ns_per_op %s [%s, %s]\n", c, ns[c], summ[c, "median"], summ[c, "ci95_lo"], summ[c, "ci95_hi"]
	}
	nz = split(nonzero, nzs, " ")
	for (i = 1; i <= nz; i++) {
		parse_spec(nzs[i])
		if (!(cname in hascol)) { fail("no column " cname " (or no value in any sample; wanted > 0)"); continue }
		matched = 0
		for (k = 0; k < ncfg; k++) {
			c = label[k]
			if (!cfg_matches(c, pre)) continue
			matched++
			if (!has_med(c, cname)) { fail(c ": " cname " is empty in every sample (wanted a median > 0)"); continue }
			med = sstat(c, cname, "median")
			if (med <= 0) fail(c ": median " cname " is " med ", wanted > 0")
			else printf "# %s: median %s %s (> 0)\n", c, cname, med
		}
		if (!matched) fail("no configuration starts with '" pre "' (for " cname ")")
	}
	ne = split(exact, exs, " ")
	for (i = 1; i <= ne; i++) {
		parse_spec(exs[i])
		wantv = substr(cname, index(cname, "=") + 1) + 0; cname = substr(cname, 1, index(cname, "=") - 1)
		if (!(cname in hascol)) { fail("no column " cname " (or no value in any sample; wanted = " wantv ")"); continue }
		matched = 0
		for (k = 0; k < ncfg; k++) {
			c = label[k]
			if (!cfg_matches(c, pre)) continue
			matched++
			m = 0; off = 0
			for (j = 1; j <= ns[c]; j++) {
				if (!((c, j, cname) in sv)) continue
				m++
				if (sv[c, j, cname] - wantv > 1e-9 || wantv - sv[c, j, cname] > 1e-9) off++
			}
			if (m != ns[c]) fail(c ": " cname " has " m " numeric values in " ns[c] " samples (wanted " wantv " in each)")
			else if (off) fail(c ": " cname " is not " wantv " in " off " of " m " samples")
			else printf "# %s: %s = %s in all %d samples\n", c, cname, wantv, m
		}
		if (!matched) fail("no configuration starts with '" pre "' (for " cname ")")
	}
	nshow = split(show, shows, " ")
	for (i = 1; i <= nshow; i++) for (k = 0; k < ncfg; k++) {
		c = label[k]
		printf "# %s: median %s %s\n", c, shows[i], has_med(c, shows[i]) ? sstat(c, shows[i], "median") : "(empty)"
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
			c = hi[pre]
			charged = has_med(c, "nb_charged_calls") ? sstat(c, "nb_charged_calls", "median") : 0
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
				if (!(cost = bound_cost(c))) continue
				low = 0
				for (j = 1; j <= ns[c]; j++) {
					charged = sv[c, j, "nb_charged_calls"] + 0
					if (!((c, j) in cbns) || cbns[c, j] < charged * cost) {
						if (!low++) fail(c ": sample " j - 1 ": " (!((c, j) in cbns) ? "no nb_<callback>_ns column" : cbns[c, j] " inside the callbacks") ", less than its " charged " charged calls x " cost)
					}
				}
				if (!low) printf "# %s: in every sample the callbacks took >= nb_charged_calls x %d by the module's clock\n", c, cost
			}
		}
	}
	if (spin_bound) {
		tu_ = meta["clock_unit"] == "insn" ? "insn" : "ns"
		for (k = 0; k < ncfg; k++) {
			c = label[k]
			if (!(cost = bound_cost(c))) continue
			if (!("nb_charged_calls" in hascol)) { fail("no nb_charged_calls column"); break }
			short = 0
			for (j = 1; j <= ns[c]; j++) {
				charged = sv[c, j, "nb_charged_calls"] + 0
				if (sv[c, j, "sample_ns"] < charged * cost * 0.999) {
					if (!short++) fail(c ": sample " j - 1 " lasted " sv[c, j, "sample_ns"] " " tu_ ", less than its " charged " charged calls x " cost)
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
