/*
 * time.c - standard times (the WAKTU column of an SOP form).
 *
 * Accepted: "-" or empty (no standard time), or NUMBER [- NUMBER] UNIT where
 * NUMBER has at most three decimals ("0.5" or "0,5") and UNIT is detik,
 * menit, jam, hari, minggu, optionally followed by "kerja" for days and
 * weeks (working days), or the English second(s), min/minute(s), hour(s),
 * day(s), week(s), optionally preceded by "working".  Case does not matter.
 * A range needs low <= high; nothing longer than a year is accepted.
 */
#include "sopInt.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define DAY 86400
#define MAX_SECS ((int64_t)366 * DAY)

static const struct {
	const char *word;
	int64_t secs;
} units[] = {
	{"detik", 1}, {"second", 1}, {"seconds", 1}, {"s", 1},
	{"menit", 60}, {"min", 60}, {"minute", 60}, {"minutes", 60},
	{"jam", 3600}, {"hour", 3600}, {"hours", 3600}, {"h", 3600},
	{"hari", DAY}, {"day", DAY}, {"days", DAY},
	{"minggu", 7 * DAY}, {"week", 7 * DAY}, {"weeks", 7 * DAY},
};

static const char accepted[] =
    "write e.g. \"5 Menit\", \"0.5 Menit\", \"2 Jam\", \"1-2 Hari\", "
    "\"3 Hari Kerja\", or \"-\" for none";

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Parses a number into thousandths; returns the end or NULL. */
static const char *number(const char *p, int64_t *milli)
{
	int64_t v = 0;
	int digits = 0, frac = 0;

	while (isdigit((unsigned char)*p)) {
		if (++digits > 7)
			return NULL;
		v = v * 10 + (*p++ - '0');
	}
	if (digits == 0)
		return NULL;
	v *= 1000;
	if ((*p == '.' || *p == ',') && isdigit((unsigned char)p[1])) {
		int64_t scale = 100;

		p++;
		while (isdigit((unsigned char)*p)) {
			if (++frac > 3)
				return NULL;
			v += (*p++ - '0') * scale;
			scale /= 10;
		}
	}
	*milli = v;
	return p;
}

/* Reads one word of letters into w; returns the end. */
static const char *word(const char *p, char *w, size_t wsz)
{
	size_t n = 0;

	while (isalpha((unsigned char)*p)) {
		if (n + 1 < wsz)
			w[n++] = *p;
		else
			n = wsz; /* too long: never matches */
		p++;
	}
	w[n < wsz ? n : 0] = '\0';
	return p;
}

oa_err sop_time_parse(const char *s, int working_days, sop_time *t)
{
	const char *p = skip_ws(s);
	int64_t lo, hi, unit = 0;
	char w[16];
	int working = 0;

	memset(t, 0, sizeof *t);
	if (*p == '\0' || (p[0] == '-' && *skip_ws(p + 1) == '\0')) {
		t->none = 1;
		return OA_OK;
	}
	if ((p = number(p, &lo)) == NULL)
		return oa_fail(OA_ERR_INVALID, "bad standard time \"%s\": %s", s, accepted);
	hi = lo;
	p = skip_ws(p);
	if (*p == '-') {
		if ((p = number(skip_ws(p + 1), &hi)) == NULL)
			return oa_fail(OA_ERR_INVALID,
			    "bad standard time \"%s\": a range is \"LOW-HIGH UNIT\"; %s", s, accepted);
		p = skip_ws(p);
	}
	p = word(p, w, sizeof w);
	if (strcasecmp(w, "working") == 0) {
		working = 1;
		p = word(skip_ws(p), w, sizeof w);
	}
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strcasecmp(w, units[i].word) == 0)
			unit = units[i].secs;
	if (unit == 0)
		return oa_fail(OA_ERR_INVALID, "bad standard time \"%s\": unknown or missing unit; %s",
		    s, accepted);
	p = skip_ws(p);
	if (isalpha((unsigned char)*p)) {
		p = word(p, w, sizeof w);
		if (strcasecmp(w, "kerja") != 0)
			return oa_fail(OA_ERR_INVALID, "bad standard time \"%s\": unexpected \"%s\"; %s",
			    s, w, accepted);
		working = 1;
		p = skip_ws(p);
	}
	if (*p != '\0')
		return oa_fail(OA_ERR_INVALID, "bad standard time \"%s\": unexpected text \"%s\"; %s",
		    s, p, accepted);
	if (working && unit < DAY)
		return oa_fail(OA_ERR_INVALID,
		    "bad standard time \"%s\": only days and weeks can be working days", s);
	if (lo == 0 || hi == 0)
		return oa_fail(OA_ERR_INVALID,
		    "bad standard time \"%s\": a time must be more than zero; write \"-\" for none", s);
	if (lo > hi)
		return oa_fail(OA_ERR_INVALID,
		    "bad standard time \"%s\": the range runs backwards; write the smaller number first", s);
	if (hi / 1000 > MAX_SECS / unit)
		return oa_fail(OA_ERR_INVALID,
		    "bad standard time \"%s\": longer than a year", s);
	t->min_s = (lo * unit + 500) / 1000;
	t->max_s = (hi * unit + 500) / 1000;
	if (t->min_s == 0)
		return oa_fail(OA_ERR_INVALID,
		    "bad standard time \"%s\": shorter than one second", s);
	t->working = working || (working_days && unit >= DAY);
	return OA_OK;
}

void sop_time_format(char *out, size_t outsz, int64_t secs)
{
	static const struct {
		int64_t secs;
		const char *one, *many;
	} parts[] = {
		{DAY, " day", " days"}, {3600, " h", " h"}, {60, " min", " min"}, {1, " s", " s"},
	};
	size_t len = 0;

	if (outsz == 0)
		return;
	out[0] = '\0';
	if (secs <= 0) {
		snprintf(out, outsz, "0 min");
		return;
	}
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		int64_t n = secs / parts[i].secs;

		if (n == 0)
			continue;
		secs -= n * parts[i].secs;
		snprintf(out + len, outsz - len, "%s%" PRId64 "%s", len ? " " : "", n,
		    n == 1 ? parts[i].one : parts[i].many);
		len = strlen(out);
	}
}
