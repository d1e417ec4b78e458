/*
 * engineInt.h - private to the engine module.
 */
#ifndef OA_ENGINEINT_H
#define OA_ENGINEINT_H

#include "engine.h"

#define SLA_MAX_HOLIDAYS 512

typedef struct sla_cal {
	int64_t offset;          /* seconds east of UTC */
	int64_t start, end;      /* working window, seconds after local midnight */
	unsigned days;           /* bit 0 Monday .. bit 6 Sunday */
	int64_t holidays[SLA_MAX_HOLIDAYS]; /* local day numbers */
	size_t nholidays;
} sla_cal;

oa_err sla_cal_load(sla_cal *cal, const conf *cfg);
int64_t sla_day_length(const sla_cal *cal);
int64_t sla_working_between(const sla_cal *cal, int64_t from, int64_t to);
int64_t sla_add_working(const sla_cal *cal, int64_t from, int64_t secs);
/* The standard in seconds (working seconds for working-day steps); -1 if none. */
int64_t sla_standard(const sla_cal *cal, const sop_time *t);
/* When a step opened at `opened` is due; 0 if it has no standard time. */
int64_t sla_due(const sla_cal *cal, const sop_time *t, int64_t opened);
/* Measured duration, in working seconds for working-day steps. */
int64_t sla_duration(const sla_cal *cal, int working, int64_t opened, int64_t done);

#endif
