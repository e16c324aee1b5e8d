/*-------------------------------------------------------------------------
 *
 * utc_time.c
 *	  Timestamps as the refund documents write them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "datatype/timestamp.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "utc_time.h"

char *
FormatUtcTimestamp(TimestampTz ts)
{
	struct pg_tm tm;
	fsec_t		fsec;

	/* A NULL time zone makes timestamp2tm work in UTC. */
	if (TIMESTAMP_NOT_FINITE(ts) || timestamp2tm(ts, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	return psprintf("%04d-%02d-%02dT%02d:%02d:%02d+00:00",
					tm.tm_year, tm.tm_mon, tm.tm_mday,
					tm.tm_hour, tm.tm_min, tm.tm_sec);
}
