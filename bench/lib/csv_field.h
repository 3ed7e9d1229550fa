/* SPDX-License-Identifier: GPL-2.0 */
/* One CSV field, RFC 4180: quoted when it holds a comma, a quote or a line break. */
#ifndef NB_CSV_FIELD_H
#define NB_CSV_FIELD_H

#include <stdio.h>

void csv_put_field(FILE *f, const char *s);
/* One tab-separated field, for awk to read as data: control characters (a tab) as '?'. */
void tsv_put_field(FILE *f, const char *s);

#endif /* NB_CSV_FIELD_H */
