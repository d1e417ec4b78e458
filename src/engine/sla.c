/*
 * sla.c - the working-time calendar behind standard times counted in
 * working days: the agency's UTC offset, working hours, working days of the
 * week and public holidays (openams.conf, section sla.*).
 *
 * Working time between two instants is the overlap with the working windows
 * [day + start, day + end) of every working day in local time.  A standard
 * of N working days is N times the length of one working day, so "1-2 Hari
 * Kerja" from a Friday afternoon ends on Tuesday afternoon.
 */
#include <stdlib.h>
#include <string.h>

#include "engineInt.h"

/* Day number (days since the epoch) and weekday (1 Monday .. 7 Sunday). */
static int64_t day_of(int64_t local)
{
	return local >= 0 ? local / 86400 : (local - 86399) / 86400;
}

static int weekday(int64_t day)
{
	/* 1970-01-01 was a Thursday (4). */
	int64_t w = (day + 3) % 7;
	if (w < 0)
		w += 7;
	return (int)w + 1;
}

oa_err sla_cal_load(sla_cal *cal, const conf *cfg)
{
	const char *days = conf_str(cfg, "sla.workdays"), *hol = conf_str(cfg, "sla.holidays");
	const char *a = conf_str(cfg, "sla.workday_start"), *b = conf_str(cfg, "sla.workday_end");

	memset(cal, 0, sizeof *cal);
	cal->offset = conf_int(cfg, "sla.utc_offset_minutes") * 60;
	cal->start = (atoi(a) * 60 + atoi(a + 3)) * 60;
	cal->end = (atoi(b) * 60 + atoi(b + 3)) * 60;
	if (cal->end <= cal->start)
		return oa_fail(OA_ERR_CONFIG, "sla.workday_end must be after sla.workday_start");
	for (const char *p = days; *p; p++)
		if (*p >= '1' && *p <= '7')
			cal->days |= 1u << (*p - '1');
	if (cal->days == 0)
		return oa_fail(OA_ERR_CONFIG, "sla.workdays names no day");
	while (*hol) {
		char d[11];
		size_t n;
		int64_t t;
		hol += strspn(hol, " ,");
		n = strcspn(hol, " ,");
		if (n == 0)
			break;
		if (n == 10) {
			memcpy(d, hol, 10);
			d[10] = 0;
			if (oa_time_parse(d, &t) == OA_OK && cal->nholidays < SLA_MAX_HOLIDAYS)
				cal->holidays[cal->nholidays++] = t / 86400;
		}
		hol += n;
	}
	return OA_OK;
}

static int is_workday(const sla_cal *cal, int64_t day)
{
	if (!(cal->days & (1u << (weekday(day) - 1))))
		return 0;
	for (size_t i = 0; i < cal->nholidays; i++)
		if (cal->holidays[i] == day)
			return 0;
	return 1;
}

int64_t sla_day_length(const sla_cal *cal)
{
	return cal->end - cal->start;
}

int64_t sla_working_between(const sla_cal *cal, int64_t from, int64_t to)
{
	int64_t a = from + cal->offset, b = to + cal->offset, sum = 0;

	if (b <= a)
		return 0;
	for (int64_t d = day_of(a), last = day_of(b); d <= last; d++) {
		int64_t ws = d * 86400 + cal->start, we = d * 86400 + cal->end;
		int64_t lo = a > ws ? a : ws, hi = b < we ? b : we;
		if (hi > lo && is_workday(cal, d))
			sum += hi - lo;
		if (last - d > 36600) /* a century: inputs are bounded long before this */
			break;
	}
	return sum;
}

int64_t sla_add_working(const sla_cal *cal, int64_t from, int64_t secs)
{
	int64_t t = from + cal->offset;

	if (secs <= 0)
		return from;
	for (int64_t d = day_of(t), guard = 0; guard < 36600; d++, guard++) {
		int64_t ws = d * 86400 + cal->start, we = d * 86400 + cal->end;
		int64_t lo = t > ws ? t : ws;
		if (!is_workday(cal, d) || lo >= we)
			continue;
		if (we - lo >= secs)
			return lo + secs - cal->offset;
		secs -= we - lo;
	}
	return from + secs; /* unreachable with a sane calendar */
}

int64_t sla_standard(const sla_cal *cal, const sop_time *t)
{
	if (t->none)
		return -1;
	if (!t->working)
		return t->max_s;
	/* N working days = N working-day lengths; the remainder (hours,
	 * minutes) counts as working seconds as written. */
	return (t->max_s / 86400) * sla_day_length(cal) + t->max_s % 86400;
}

int64_t sla_due(const sla_cal *cal, const sop_time *t, int64_t opened)
{
	int64_t std = sla_standard(cal, t);

	if (std < 0)
		return 0;
	return t->working ? sla_add_working(cal, opened, std) : opened + std;
}

int64_t sla_duration(const sla_cal *cal, int working, int64_t opened, int64_t done)
{
	return working ? sla_working_between(cal, opened, done) : done - opened;
}
