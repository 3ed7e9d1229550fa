# SPDX-License-Identifier: GPL-2.0
# Reading notibench CSVs (results/README.md) in any POSIX awk (mawk, busybox).
# Use with: awk -f scripts/lib/csv.awk -f PROGRAM FILES...
#
# For every file the program's own rules see each line after this file's rules
# have classified it:
#   nb_meta[key]        "# key: value" metadata of the current file
#   nb_col[name]        column index of the header line, nb_ncol columns
#   nb_f[1..nb_n]       the fields of a data row (after nb_row is set)
#   nb_row              1 on a data row (sample or summary), 0 otherwise
# and csv_get(name) returns the field called name of the current row ("" when
# the file has no such column). Control characters in a line become "?".

# csv_split(line, f): split one RFC 4180 line into f[1..n]; return n.
# Linear in the line's length: split at the quotes first (the even pieces are
# inside quotes, an empty odd piece between two is a doubled quote), then the
# odd pieces at their commas.
function csv_split(line, f,    n, np, p, i, j, m, c, field) {
	if (index(line, "\"") == 0)
		return split(line, f, ",")
	np = split(line, p, "\"")
	n = 0; field = ""
	for (i = 1; i <= np; i++) {
		if (i % 2 == 0)
			field = field p[i]
		else if (p[i] == "" && i > 1 && i < np)
			field = field "\""
		else {
			m = split(p[i], c, ",")
			if (m == 0) continue
			field = field c[1]
			for (j = 2; j <= m; j++) {
				f[++n] = field; field = c[j]
			}
		}
	}
	f[++n] = field
	return n
}

function csv_get(name) {
	return (name in nb_col) ? nb_f[nb_col[name]] : ""
}

FNR == 1 {
	split("", nb_meta); split("", nb_col); nb_ncol = 0; nb_hdr = 0
}
# The files are data: a control character (a tab, an escape) in a value could
# not go into the tab-separated lists the readers write, nor to a terminal.
{
	sub(/\r$/, "")
	gsub(/[[:cntrl:]]/, "?")
	nb_row = 0
}
/^# / {
	if ((nb_p = index($0, ": ")) > 0)
		nb_meta[substr($0, 3, nb_p - 3)] = substr($0, nb_p + 2)
}
!/^#/ && !nb_hdr && NF {
	nb_ncol = csv_split($0, nb_f)
	for (nb_i = 1; nb_i <= nb_ncol; nb_i++)
		nb_col[nb_f[nb_i]] = nb_i
	nb_hdr = 1
	next
}
!/^#/ && nb_hdr && NF {
	nb_n = csv_split($0, nb_f)
	nb_row = 1
}
