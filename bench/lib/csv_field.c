// SPDX-License-Identifier: GPL-2.0
/* The CSV and TSV field writers shared by notibench (csv.c, export) and notibench-compare. */
#include "csv_field.h"

#include <string.h>

void csv_put_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\n\r")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

void tsv_put_field(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}
