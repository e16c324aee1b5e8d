/*-------------------------------------------------------------------------
 *
 * spi_util.c
 *	  Prepared SPI statements kept for the life of the backend.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"

#include "spi_util.h"

int
SpiExecute(SpiStatement *stmt, Datum *values, const char *nulls,
		   bool read_only, long count)
{
	int			rc;

	if (stmt->plan == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare(stmt->sql, stmt->nargs, stmt->argtypes);

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
