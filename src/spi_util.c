/*-------------------------------------------------------------------------
 *
 * spi_util.c
 *	  Prepared SPI statements kept for the life of the backend, and the
 *	  array and nullable arguments they take.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "nodes/parsenodes.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "spi_util.h"

int
SpiExecute(SpiStatement *stmt, Datum *values, const char *nulls,
		   bool read_only, long count)
{
	int			rc;

	if (stmt->plan == NULL)
	{
		/*
		 * A generic plan: every statement here is a key lookup or a write
		 * by key, whose plan does not depend on the values, so planning
		 * again for each call would be pure overhead.
		 */
		SPIPlanPtr	plan = SPI_prepare_cursor(stmt->sql, stmt->nargs, stmt->argtypes,
											  CURSOR_OPT_GENERIC_PLAN);

		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed for \"%s\": %s",
				 stmt->sql, SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "SPI_keepplan failed");
		stmt->plan = plan;
	}

	rc = SPI_execute_plan(stmt->plan, values, nulls, read_only, count);
	if (rc < 0)
		elog(ERROR, "SPI_execute_plan failed for \"%s\": %s",
			 stmt->sql, SPI_result_code_string(rc));
	return rc;
}

Datum
SpiNullableText(const char *value, char *null_flag)
{
	*null_flag = value == NULL ? 'n' : ' ';
	return value == NULL ? (Datum) 0 : CStringGetTextDatum(value);
}

Datum
SpiInt8Array(const int64 *values, int n)
{
	Datum	   *datums = palloc(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
		datums[i] = Int64GetDatum(values[i]);
	return PointerGetDatum(construct_array(datums, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}
