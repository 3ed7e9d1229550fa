# SPDX-License-Identifier: GPL-2.0
# scripts/ab: the comparison CSVs of scripts/compare (--csv) as one
# tab-separated list for ab-report.awk. Use with:
#   awk -f scripts/lib/csv.awk -f scripts/lib/ab-collect.awk \
#       grp=kmod metric=ns_per_op FILE.csv grp=kmod metric=... FILE.csv ...
# Lines (every value has passed csv.awk, which turns control characters, tabs
# included, into "?"):
#   U grp metric metric_unit
#   R grp item config metric run n median cv change_pct diff significant note
#   F grp item run note                (an item that failed in run `run`)
#   M grp item config note             (not in every run)
FNR == 1 { unit_done = 0 }
nb_row {
	if (!unit_done) { printf "U\t%s\t%s\t%s\n", grp, metric, nb_meta["metric_unit"]; unit_done = 1 }
	kind = csv_get("kind")
	if (kind == "result")
		printf "R\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", grp, csv_get("item"),
			csv_get("config"), metric, csv_get("run"), csv_get("n"), csv_get("median"),
			csv_get("cv"), csv_get("change_pct"), csv_get("diff"), csv_get("significant"),
			csv_get("note")
	else if (kind == "failed")
		printf "F\t%s\t%s\t%s\t%s\n", grp, csv_get("item"), csv_get("run"), csv_get("note")
	else if (kind == "missing")
		printf "M\t%s\t%s\t%s\t%s\n", grp, csv_get("item"), csv_get("config"), csv_get("note")
}
