// SPDX-License-Identifier: GPL-2.0
/* The CSV field writer shared by notibench (csv.c) and notibench-compare. */
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
