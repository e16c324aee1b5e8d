/*-------------------------------------------------------------------------
 *
 * spi_util.h
 *	  Prepared SPI statements kept for the life of the backend, and the
 *	  array and nullable arguments they take.
 *
 * Every statement is written once, with parameters and schema-qualified
 * names, prepared on first use and kept with SPI_keepplan; the plan cache
 * revalidates it when the objects behind it change.
 *
 *-------------------------------------------------------------------------
 */
#ifndef APPEASEMENT_SPI_UTIL_H
#define APPEASEMENT_SPI_UTIL_H

#include "postgres.h"
#include "executor/spi.h"

#define SPI_STATEMENT_MAX_ARGS	20

typedef struct SpiStatement
{
	const char *sql;
	int			nargs;
	Oid			argtypes[SPI_STATEMENT_MAX_ARGS];
	SPIPlanPtr	plan;			/* NULL until first use */
} SpiStatement;

/*
 * Executes a kept statement with the given values (nulls as SPI expects:
 * NULL for none, else ' ' / 'n' per argument).  read_only keeps the
 * caller's snapshot; a statement that must see what committed while this
 * transaction waited for a lock passes false, which takes a new one.  Raises an error when SPI
 * reports one; returns the SPI result code, with SPI_processed and
 * SPI_tuptable set.
 */
extern int	SpiExecute(SpiStatement *stmt, Datum *values, const char *nulls,
					   bool read_only, long count);

/* A text argument that may be NULL: sets *null_flag to 'n' or ' '. */
extern Datum SpiNullableText(const char *value, char *null_flag);

/* A bigint[] argument of n values. */
extern Datum SpiInt8Array(const int64 *values, int n);

#endif							/* APPEASEMENT_SPI_UTIL_H */
