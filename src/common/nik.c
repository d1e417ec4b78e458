/*
 * nik.c - the NIK rule (nik.h): the Dukcapil layout of a 16-digit NIK.
 */
#include "nik.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

static int two(const char *p)
{
	return (p[0] - '0') * 10 + (p[1] - '0');
}

static int no(char *why, size_t whysz, const char *reason)
{
	if (why != NULL && whysz > 0)
		snprintf(why, whysz, "%s", reason);
	return 0;
}

int oa_nik_valid(const char *nik, char *why, size_t whysz)
{
	int day, month;

	if (nik == NULL || !oa_is_digits(nik, 16))
		return no(why, whysz, "NIK must be exactly 16 digits");
	/* Dukcapil layout: province(2) regency(2) district(2) DDMMYY(6) serial(4);
	 * women's day of birth is written plus 40. */
	day = two(nik + 6);
	month = two(nik + 8);
	if (two(nik) < 11)
		return no(why, whysz, "NIK: digits 1-2 are not a province code");
	if (!((day >= 1 && day <= 31) || (day >= 41 && day <= 71)) || month < 1 || month > 12)
		return no(why, whysz, "NIK: digits 7-12 are not a date of birth (DDMMYY, day + 40 for women)");
	if (strcmp(nik + 12, "0000") == 0)
		return no(why, whysz, "NIK: the serial (digits 13-16) cannot be 0000");
	return 1;
}
