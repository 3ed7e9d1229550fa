# SPDX-License-Identifier: GPL-2.0
# scripts/ab: the comparisons of scripts/compare (--tsv: its CSV's table
# tab-separated, control characters, tabs included, as "?") as one
# tab-separated list for ab-report.awk and ab-answer.awk. Use with:
#   awk -F'\t' -f scripts/lib/ab-collect.awk \
#       grp=kmod metric=ns_per_op FILE.tsv grp=kmod metric=... FILE.tsv ...
# Columns are found by their header name; the values are data, never code.
# Lines:
#   U grp metric metric_unit
#   R grp item config metric run n median cv change_pct diff significant note
#   F grp item run note                (an item that failed in run `run`)
#   M grp item config note             (not in every run)
function get(name) { return (name in col) ? $col[name] : "" }
FNR == 1 { unit_done = 0; hdr = 0; unit = ""; split("", col) }
/^# / {
	if ((p = index($0, ": ")) > 0 && substr($0, 3, p - 3) == "metric_unit")
		unit = substr($0, p + 2)
	next
}
/^#/ || $0 == "" { next }
!hdr { for (i = 1; i <= NF; i++) col[$i] = i; hdr = 1; next }
{
	if (!unit_done) { printf "U\t%s\t%s\t%s\n", grp, metric, unit; unit_done = 1 }
	kind = get("kind")
	if (kind == "result")
		printf "R\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", grp, get("item"),
			get("config"), metric, get("run"), get("n"), get("median"),
			get("cv"), get("change_pct"), get("diff"), get("significant"),
			get("note")
	else if (kind == "failed")
		printf "F\t%s\t%s\t%s\t%s\n", grp, get("item"), get("run"), get("note")
	else if (kind == "missing")
		printf "M\t%s\t%s\t%s\t%s\n", grp, get("item"), get("config"), get("note")
}
