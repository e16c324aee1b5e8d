/*-------------------------------------------------------------------------
 *
 * utc_time.h
 *	  Timestamps as the refund documents write them.
 *
 *-------------------------------------------------------------------------
 */
#ifndef APPEASEMENT_UTC_TIME_H
#define APPEASEMENT_UTC_TIME_H

#include "postgres.h"
#include "utils/timestamp.h"

/* "YYYY-MM-DDTHH:MM:SS+00:00" in UTC, fractions of a second dropped (palloc'd). */
extern char *FormatUtcTimestamp(TimestampTz ts);

#endif							/* APPEASEMENT_UTC_TIME_H */
